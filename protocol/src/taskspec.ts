import { z } from "zod";
import { getAddress, isAddress, keccak256, toUtf8Bytes } from "ethers";
import { canonicalJson, hashJson } from "./canonical.js";
import { AGGREGATIONS, Verification, VERIFICATION_LEVELS } from "./phases.js";
import { kindDef, knownKinds, TASK_KINDS, type KindName, type ParamsOf } from "./tasks/registry.js";
import { CAPS, capMessage, jsonDepth } from "./tasks/caps.js";

export const address = z
  .string()
  .refine((s) => isAddress(s), { error: "must be a 0x-prefixed 20-byte Ethereum address" })
  .transform((s) => getAddress(s));

export const bytes32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "must be a 0x-prefixed 32-byte hex string")
  .transform((s) => s.toLowerCase());

export const datasetRef = z.object({
  owner: address,
  /** The owner's dataset name; on-chain it is keccak256(name) (see datasetKey). */
  datasetId: z
    .string()
    .min(1, "datasetId must name one of the owner's datasets")
    .max(CAPS.MAX_NAME_CHARS, capMessage("datasetId", "MAX_NAME_CHARS", "use a shorter dataset name")),
  /** A committed version; omitted means the latest version when the task is created. */
  version: z.number().int().min(1).optional(),
});
export type DatasetRef = z.infer<typeof datasetRef>;

const seconds = (what: string) =>
  z
    .number()
    .int()
    .min(1, `${what} deadline must be at least 1 second`)
    .max(7 * 24 * 3600);

export const taskSpecSchema = z
  .object({
    version: z.literal(1).default(1),
    kind: z.string().superRefine((k, ctx) => {
      if (!knownKinds().includes(k)) ctx.addIssue({ code: "custom", message: `unknown kind "${k}": use one of ${knownKinds().join(", ")}` });
    }),
    requester: address,
    datasets: z
      .array(datasetRef)
      .min(1, "datasets must reference at least one committed dataset")
      .max(CAPS.MAX_DATASETS, capMessage("datasets", "MAX_DATASETS", "reference fewer datasets")),
    params: z.record(z.string(), z.unknown()).default({}),
    aggregation: z.enum(AGGREGATIONS).default("plain"),
    verification: z.enum(VERIFICATION_LEVELS).default("none"),
    /**
     * The proof system, from specs written when there were two: UltraHonk is the only one (see
     * proofSystemOf), so "honk" is accepted and means what its absence means; "groth16" is refused.
     */
    proofSystem: z
      .literal("honk", {
        error: 'only "honk" is accepted: proven tasks use UltraHonk over datasets committed by chunks (Groth16 is no longer selectable); drop proofSystem or set it to "honk"',
      })
      .optional(),
    /** Whether rounds have a Setup phase in which every member submits (key shares, for example). */
    setup: z.boolean().default(false),
    members: z
      .object({
        min: z.number().int().min(1).default(1),
        max: z
          .number()
          .int()
          .min(1)
          .max(CAPS.MAX_MEMBERS, capMessage("members.max", "MAX_MEMBERS", "lower members.max"))
          .default(100),
        /** Fewest members that must survive every phase for the round to finalize. */
        threshold: z.number().int().min(1).default(1),
      })
      .default({ min: 1, max: 100, threshold: 1 }),
    rounds: z
      .number()
      .int()
      .min(1)
      .max(CAPS.MAX_ROUNDS, capMessage("rounds", "MAX_ROUNDS", "lower rounds"))
      .default(1),
    deadlines: z
      .object({
        join: seconds("join"),
        setup: seconds("setup"),
        compute: seconds("compute"),
        aggregate: seconds("aggregate"),
      })
      .default({ join: 30, setup: 30, compute: 120, aggregate: 60 }),
    /** Distinguishes otherwise identical specs, so each submission has its own hash. */
    nonce: z
      .string()
      .max(CAPS.MAX_NAME_CHARS, capMessage("nonce", "MAX_NAME_CHARS", "use a shorter nonce (a UUID)"))
      .default(() => crypto.randomUUID()),
  })
  .superRefine((spec, ctx) => {
    const m = spec.members;
    if (m.min > m.max) ctx.addIssue({ code: "custom", path: ["members", "min"], message: "members.min must not exceed members.max" });
    if (m.threshold > m.min) ctx.addIssue({ code: "custom", path: ["members", "threshold"], message: "members.threshold must not exceed members.min" });
    // The contribution circuits prove the un-noised, un-clipped vector: a noised one would not open
    // the proven commitments, and clipping is not enforced in-circuit yet.
    if (spec.params.privacy !== undefined && spec.verification !== "none")
      ctx.addIssue({
        code: "custom",
        path: ["verification"],
        message:
          'params.privacy cannot be combined with proofs yet (the circuits do not enforce the clipping nor prove the noise); set verification: "none" or drop params.privacy',
      });
    if (spec.proofSystem === "honk" && spec.verification === "none")
      ctx.addIssue({ code: "custom", path: ["proofSystem"], message: 'proofSystem "honk" applies to proven tasks: set verification: "offchain" or drop proofSystem' });
    if (spec.proofSystem === "honk" && spec.verification === "onchain")
      ctx.addIssue({
        code: "custom",
        path: ["proofSystem"],
        message: 'verification "onchain" still uses the Groth16 contracts until ChunkAudit is wired into rounds: drop proofSystem, or set verification: "offchain"',
      });
    // Requirements that would otherwise surface only as a round failing on-chain later
    // (members decline, the round dies as too-few-joined): refused here, before any transaction.
    if (spec.aggregation === "secagg" && !spec.setup)
      ctx.addIssue({
        code: "custom",
        path: ["setup"],
        message: 'aggregation "secagg" exchanges key shares in a Setup phase: set setup: true (a requester node sets it when the field is omitted)',
      });
    const def = kindDef(spec.kind);
    if (!def) return;
    if (spec.verification !== "none" && !def.proof)
      ctx.addIssue({
        code: "custom",
        path: ["verification"],
        message: `kind ${spec.kind} has no contribution circuit, so it cannot be proven: set verification: "none" (kinds with proofs: ${TASK_KINDS.filter((k) => "proof" in k)
          .map((k) => k.name)
          .join(", ")})`,
      });
    const r = def.params.safeParse(spec.params);
    if (!r.success) {
      for (const issue of r.error.issues) ctx.addIssue({ code: "custom", path: ["params", ...issue.path.map(String)], message: issue.message });
      return;
    }
    // A kind without a privacy mechanism would drop the field silently: the task would run without noise.
    if (spec.params.privacy !== undefined && !def.privacy)
      ctx.addIssue({
        code: "custom",
        path: ["params", "privacy"],
        message: `kind ${spec.kind} has no differential-privacy mechanism (${TASK_KINDS.filter((k) => k.privacy)
          .map((k) => k.name)
          .join(", ")} have one); drop params.privacy`,
      });
    // The parsed params replace the given ones: a field the kind does not know (a typo) would vanish unnoticed.
    const shape = (def.params as { shape?: Record<string, unknown> }).shape;
    for (const key of Object.keys(spec.params))
      if (spec.params[key] !== undefined && !(key in (r.data as object)) && !(key === "privacy" && !def.privacy))
        ctx.addIssue({
          code: "custom",
          path: ["params", key],
          message: `kind ${spec.kind} has no parameter "${key}"; remove it${shape ? ` (its parameters: ${Object.keys(shape).join(", ")})` : ""}`,
        });
    def.checkSpec?.(spec, r.data, (path, message) => ctx.addIssue({ code: "custom", path, message }));
  })
  // Parameters are parsed once, here: the spec carries the kind's parsed params (defaults filled
  // in), so every party reads them typed (kindParams) and hashes the same bytes.
  .transform((spec) => ({ ...spec, params: kindDef(spec.kind)!.params.parse(spec.params) as Record<string, unknown> }));

/**
 * The proof system of a spec's contributions: UltraHonk over datasets committed by chunks for
 * "offchain" (with or without proofSystem "honk"); "onchain" still uses the Groth16 verifiers
 * bound in TaskManager (and the row-by-row commitment) until on-chain checks move to ChunkAudit;
 * none for unproven tasks.
 */
export function proofSystemOf(spec: { verification?: string; proofSystem?: string } | null | undefined): "honk" | "groth16" | undefined {
  if (!spec || spec.verification === undefined || spec.verification === "none") return undefined;
  return spec.verification === "onchain" ? "groth16" : "honk";
}

/** The parsed params of a spec of kind `kind` (parseTaskSpec parsed them; this only narrows the type). */
export function kindParams<K extends KindName>(spec: { kind: string; params: unknown }, kind: K): ParamsOf<K> {
  if (spec.kind !== kind) throw new Error(`expected a ${kind} spec, got kind ${spec.kind}`);
  return spec.params as ParamsOf<K>;
}

/** The type the registry gives params field `F` across the kinds that declare it. */
export type ParamField<F extends string> = { [K in KindName]: F extends keyof ParamsOf<K> ? ParamsOf<K>[F] : never }[KindName];

/**
 * A params field several kinds share (the federated kinds' `paillier` and `privacy`), typed by the
 * registry; undefined when the spec's kind has no such field or the spec leaves it out.
 */
export function paramField<F extends string>(spec: { params: Record<string, unknown> }, field: F): ParamField<F> | undefined {
  return spec.params[field] as ParamField<F> | undefined;
}

export type TaskSpecInput = z.input<typeof taskSpecSchema>;
export type TaskSpec = z.output<typeof taskSpecSchema>;

/** Parses a spec, throwing one error that lists every bad field with its fix. */
export function parseTaskSpec(input: unknown): TaskSpec {
  // Before zod and canonical JSON, which both recurse: a spec nested thousands deep is refused, not a stack overflow.
  if (jsonDepth(input, CAPS.MAX_DEPTH) > CAPS.MAX_DEPTH)
    throw new SpecError([`(spec): nests deeper than ${CAPS.MAX_DEPTH} levels (cap MAX_DEPTH, the nesting limit); flatten params`]);
  const r = taskSpecSchema.safeParse(input);
  if (!r.success) throw new SpecError(r.error.issues.map((i) => `${i.path.join(".") || "(spec)"}: ${i.message}`));
  const size = specBytes(r.data).length;
  if (size > CAPS.MAX_SPEC_BYTES)
    throw new SpecError([`(spec): is ${size} bytes in canonical JSON; ${capMessage("a spec", "MAX_SPEC_BYTES", "move bulk data into blobs and name their hashes")}`]);
  return r.data;
}

export class SpecError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid task spec: ${problems.join("; ")}`);
    this.name = "SpecError";
  }
}

export function specHash(spec: TaskSpec): string {
  return hashJson(spec);
}

export function specBytes(spec: TaskSpec): Uint8Array {
  return toUtf8Bytes(canonicalJson(spec));
}

/** The nodes the spec's kind allows to join (TaskKindDef.allowedMembers); undefined: any node with the role. */
export function allowedMembers(spec: TaskSpec): readonly string[] | undefined {
  const def = kindDef(spec.kind) as { allowedMembers?: (p: unknown) => readonly string[] } | undefined;
  return def?.allowedMembers?.(spec.params);
}

/** On-chain identifier of a task kind: keccak256 of its name. */
export function kindKey(kind: string): string {
  return keccak256(toUtf8Bytes(kind));
}

/** On-chain identifier of a dataset name. */
export function datasetKey(name: string): string {
  return keccak256(toUtf8Bytes(name));
}

export function verificationLevel(v: TaskSpec["verification"]): Verification {
  return v === "onchain" ? Verification.OnChain : v === "offchain" ? Verification.OffChain : Verification.None;
}
