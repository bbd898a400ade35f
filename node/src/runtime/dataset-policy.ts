import { z } from "zod";
import { address, bytes32, type TaskSpec } from "../../../protocol/src/taskspec.js";
import { kindDef } from "../../../protocol/src/tasks/registry.js";
import { rhoFor } from "../privacy/accountant.js";
import { privacyOf, taskRho } from "../privacy/mechanism.js";

/**
 * A data owner's rules for one dataset (every version of it), on top of the node-wide policy:
 * what may run on it, for whom, on which columns, behind how many owners and rows, at what
 * privacy loss, with proofs or not, and whether the owner approves each task by hand. Every
 * field is optional: a field left out does not restrict. Privacy figures given as ε are read at
 * the node's δ (policy.dpDelta) and kept as zCDP ρ, the unit of the node's ledger.
 */
export const datasetPolicySchema = z
  .object({
    /** Task kinds that may read the dataset. */
    allowedKinds: z.array(z.string().min(1, "a kind name must not be empty")).min(1, "list at least one kind, or leave allowedKinds out").optional(),
    /** Requester addresses whose tasks may read it. */
    allowedRequesters: z.array(address).min(1, "list at least one address, or leave allowedRequesters out").optional(),
    /** Columns a task may read (features, targets, ids). */
    allowedColumns: z.array(z.string().min(1, "a column name must not be empty")).min(1, "list at least one column, or leave allowedColumns out").optional(),
    /** Fewest owners whose data is behind any released aggregate: the spec's distinct owners and members.threshold must both reach it. */
    minOwners: z.number({ error: "must be a number" }).int("must be a whole number").min(1, "must be >= 1").optional(),
    /** Fewest rows each owner behind the aggregate must hold (its committed row count on the chain). */
    minRowsPerOwner: z.number({ error: "must be a number" }).int("must be a whole number").min(1, "must be >= 1").optional(),
    /** Largest privacy loss one task may spend on the dataset (all its rounds), as zCDP ρ or as ε at the node's δ; a task without params.privacy is then refused. */
    maxRhoPerTask: z.number({ error: "must be a number" }).positive("must be > 0").optional(),
    maxEpsilonPerTask: z.number({ error: "must be a number" }).positive("must be > 0").optional(),
    /** The dataset's whole privacy budget, instead of the node's policy.dpRhoBudget / dpEpsilonBudget. */
    rhoBudget: z.number({ error: "must be a number" }).min(0, "must be >= 0").optional(),
    epsilonBudget: z.number({ error: "must be a number" }).min(0, "must be >= 0").optional(),
    /** Tasks must come with proofs of their contributions (spec verification "offchain" or "onchain"). */
    requireProofs: z.boolean({ error: "must be true or false" }).optional(),
    /** "required": a task that passes every check waits in the owner's inbox until allowed or denied. */
    approval: z.enum(["none", "required"], { error: 'must be "none" or "required"' }).optional(),
    /** Tasks approved without the owner: by requester address, or by exact spec hash. */
    autoApprove: z
      .object({
        requesters: z.array(address).optional(),
        specHashes: z.array(bytes32).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.maxRhoPerTask !== undefined && p.maxEpsilonPerTask !== undefined)
      ctx.addIssue({ code: "custom", path: ["maxEpsilonPerTask"], message: "give maxRhoPerTask or maxEpsilonPerTask, not both" });
    if (p.rhoBudget !== undefined && p.epsilonBudget !== undefined) ctx.addIssue({ code: "custom", path: ["epsilonBudget"], message: "give rhoBudget or epsilonBudget, not both" });
    if (p.autoApprove && p.approval !== "required")
      ctx.addIssue({ code: "custom", path: ["autoApprove"], message: 'auto-approve rules apply only with approval: "required"; set it or drop autoApprove' });
  });

export type DatasetPolicy = z.output<typeof datasetPolicySchema>;

/** Parses a policy; a ZodError names the field (the API answers 400 with it, the CLI prints it). */
export function parseDatasetPolicy(input: unknown): DatasetPolicy {
  return datasetPolicySchema.parse(input ?? {});
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * The columns of this node's datasets a task reads (its kind's `columns`, on the params
 * parseTaskSpec parsed); undefined when the kind names none (a policy with allowedColumns then
 * refuses it).
 */
export function columnsOf(spec: TaskSpec, self: string): string[] | undefined {
  return kindDef(spec.kind)?.columns?.(spec.params, self);
}

const fmt = (x: number) => Number(x.toPrecision(4)).toString();

/** A policy's per-task cap and total budget in ρ (ε read at `delta`); undefined where it sets none. */
export function policyRho(policy: DatasetPolicy, delta: number): { perTask?: number; budget?: number } {
  const perTask = policy.maxRhoPerTask ?? (policy.maxEpsilonPerTask !== undefined ? rhoFor(policy.maxEpsilonPerTask, delta) : undefined);
  const budget = policy.rhoBudget ?? (policy.epsilonBudget !== undefined ? (policy.epsilonBudget > 0 ? rhoFor(policy.epsilonBudget, delta) : 0) : undefined);
  return { perTask, budget };
}

/**
 * Checks a spec against one dataset's policy; returns the reason to decline ("dataset penguins:
 * column body_mass not allowed (allowed: a, b)"), or undefined. `ownerRows` gives, per owner
 * the spec references, the rows of its referenced datasets (from the chain's commitments).
 */
export function checkDatasetPolicy(args: {
  dataset: string;
  policy: DatasetPolicy;
  spec: TaskSpec;
  self: string;
  delta: number;
  ownerRows: ReadonlyMap<string, number>;
}): string | undefined {
  const { dataset, policy: p, spec, self, delta, ownerRows } = args;
  const no = (why: string) => `dataset ${dataset}: ${why}`;
  if (p.allowedKinds && !p.allowedKinds.includes(spec.kind)) return no(`kind ${spec.kind} not allowed (allowed: ${p.allowedKinds.join(", ")})`);
  if (p.allowedRequesters && !p.allowedRequesters.some((a) => same(a, spec.requester)))
    return no(`requester ${spec.requester} not allowed (allowed: ${p.allowedRequesters.join(", ")})`);
  if (p.allowedColumns) {
    const cols = columnsOf(spec, self);
    if (cols === undefined)
      return no(`the columns kind ${spec.kind} reads cannot be checked against allowedColumns, so it is not allowed (allowed: ${p.allowedColumns.join(", ")})`);
    const bad = [...new Set(cols)].filter((c) => !p.allowedColumns!.includes(c));
    if (bad.length) return no(`column${bad.length > 1 ? "s" : ""} ${bad.join(", ")} not allowed (allowed: ${p.allowedColumns.join(", ")})`);
  }
  if (p.requireProofs && spec.verification === "none") return no('proofs are required: the task must set verification "offchain" or "onchain", it has "none"');
  if (p.minOwners !== undefined) {
    const owners = new Set(spec.datasets.map((r) => r.owner.toLowerCase())).size;
    const behind = Math.min(owners, spec.members.threshold);
    if (behind < p.minOwners)
      return no(
        `an aggregate may be released with ${behind} owner(s) behind it (${owners} owner(s) referenced, members.threshold ${spec.members.threshold}); the policy needs at least ${p.minOwners} (minOwners)`,
      );
  }
  if (p.minRowsPerOwner !== undefined)
    for (const [owner, rows] of ownerRows)
      if (rows < p.minRowsPerOwner) return no(`owner ${owner} has ${rows} row(s) behind the aggregate; the policy needs at least ${p.minRowsPerOwner} per owner (minRowsPerOwner)`);
  const { perTask } = policyRho(p, delta);
  if (perTask !== undefined) {
    const privacy = privacyOf(spec);
    if (!privacy) return no(`the task adds no differential-privacy noise (no params.privacy); the policy allows at most ρ ${fmt(perTask)} per task`);
    const rho = taskRho(privacy);
    if (rho > perTask * (1 + 1e-12)) return no(`the task asks for privacy loss ρ ${fmt(rho)} over ${spec.rounds} round(s); the policy allows at most ρ ${fmt(perTask)} per task`);
  }
  return undefined;
}

/** Whether the policy lets the task in without the owner: undefined when no approval is needed, else the auto rule that matched or null. */
export function autoApproval(policy: DatasetPolicy, spec: TaskSpec, hash: string): string | null | undefined {
  if (policy.approval !== "required") return undefined;
  if (policy.autoApprove?.requesters?.some((a) => same(a, spec.requester))) return `requester ${spec.requester}`;
  if (policy.autoApprove?.specHashes?.some((h) => same(h, hash))) return `spec hash ${hash}`;
  return null;
}
