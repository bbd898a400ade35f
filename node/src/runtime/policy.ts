import { Role } from "../../../protocol/src/phases.js";
import { ZodError } from "zod";
import { SpecError, type TaskSpec } from "../../../protocol/src/taskspec.js";
import { kindDef } from "../../../protocol/src/tasks/registry.js";
import type { NodeConfig } from "../config.js";
import type { DatasetRow, NodeStore } from "../store/store.js";
import type { HandlerRegistry } from "./handler.js";
import { epsilonOf, rhoFor } from "../privacy/accountant.js";
import { privacyOf, taskRho } from "../privacy/mechanism.js";
import { specHash } from "../../../protocol/src/taskspec.js";
import { autoApproval, checkDatasetPolicy, policyRho } from "./dataset-policy.js";

export interface Decision {
  accept: boolean;
  reason: string;
  /** The node's datasets the task uses (name and version). */
  datasets: DatasetRow[];
  /** zCDP ρ the task spends on each of those datasets (all its rounds together); 0 without params.privacy. */
  rho: number;
  /** Accepted, but these datasets' policies wait for the owner's approval (name@version). */
  approval?: string[];
  /** Accepted without the owner by an auto-approve rule: which one. */
  autoApproved?: string;
}

const decline = (reason: string): Decision => ({ accept: false, reason, datasets: [], rho: 0 });

/** A dataset's differential-privacy budget in zCDP ρ: policy.dpRhoBudget, else the largest ρ within (dpEpsilonBudget, dpDelta). */
/** The policy fields the privacy budget reads. */
export type BudgetPolicy = Pick<NodeConfig["policy"], "dpEpsilonBudget" | "dpDelta" | "dpRhoBudget">;

export function rhoBudget(policy: BudgetPolicy): number {
  if (policy.dpRhoBudget !== undefined) return policy.dpRhoBudget;
  return policy.dpEpsilonBudget > 0 ? rhoFor(policy.dpEpsilonBudget, policy.dpDelta) : 0;
}

/** "ρ 0.0123 (ε 0.87 at δ 1e-6)": a ρ with its (ε, δ) equivalent, for messages and logs. */
export function describeRho(rho: number, delta: number): string {
  const eps = rho > 0 ? epsilonOf(rho, delta) : 0;
  return `ρ ${fmt(rho)} (ε ${fmt(eps)} at δ ${delta.toExponential()})`;
}

const fmt = (x: number) => (x === 0 ? "0" : Number(x.toPrecision(4)).toString());

/** A dataset's budget in ρ: its own policy's rhoBudget / epsilonBudget, else the node's. */
export function datasetRhoBudget(store: NodeStore, policy: BudgetPolicy, dataset: string): number {
  const own = store.datasetPolicy(dataset);
  return (own && policyRho(own.policy, policy.dpDelta).budget) ?? rhoBudget(policy);
}

/** What a dataset has left and has released, for logs and the operator (never a store row). */
export function privacyBudget(store: NodeStore, policy: BudgetPolicy, dataset: string) {
  const budget = datasetRhoBudget(store, policy, dataset);
  const l = store.rhoLedger(dataset);
  const left = Math.max(0, budget - l.committed);
  const eps = (r: number) => (r > 0 ? epsilonOf(r, policy.dpDelta) : 0);
  return {
    dataset,
    delta: policy.dpDelta,
    budget: { rho: budget, epsilon: eps(budget) },
    released: { rho: l.released, epsilon: eps(l.released), releases: l.releases },
    committed: { rho: l.committed, epsilon: eps(l.committed) },
    left: { rho: left, epsilon: eps(left) },
  };
}

/** policy.maxTaskCost when the config names none (row-operations; see estimateTaskCost). */
export const DEFAULT_MAX_TASK_COST = 2e9;

/**
 * Estimated work of a task on this node, in row-operations: how many times some value of one of
 * the node's rows is touched, over every round. It is an order of magnitude, not a timing: a node
 * bounds it (policy.maxTaskCost) so that one task cannot take the node for hours. Each kind states
 * its own (TaskKindDef.cost in protocol/src/tasks, e.g. stats R × columns × T, kmeans
 * R × columns × k × T, with R = the rows of this node's datasets the task uses and T = spec.rounds);
 * a kind without one: R × dataset columns × T.
 *
 * Outsourced kinds run on workers that hold no rows (needsData false): they are bounded by their
 * schema caps (params.k, queries, setup blobs) and get no estimate here (undefined).
 */
export function estimateTaskCost(spec: TaskSpec, datasets: readonly Pick<DatasetRow, "rows" | "columns">[]): number | undefined {
  if (datasets.length === 0) return undefined;
  const R = datasets.reduce((a, d) => a + d.rows, 0);
  const T = spec.rounds;
  const def = kindDef(spec.kind);
  // spec.params were parsed with the kind's schema by parseTaskSpec
  if (def?.cost) return def.cost(spec.params, R, T);
  return R * Math.max(...datasets.map((d) => d.columns)) * T;
}

const sci = (x: number) => (x < 1e6 ? String(Math.round(x)) : x.toExponential(2));

/**
 * Whether this node joins a task as a member: it has a handler for the kind and its aggregation,
 * the operator's policy admits the kind and the requester, it holds every dataset of its own that
 * the spec references (at the referenced version), the kind's own checks pass, the task's
 * estimated cost is within policy.maxTaskCost, and the datasets' differential-privacy budgets
 * cover the task's epsilon.
 */
export function decide(args: {
  spec: TaskSpec;
  self: string;
  roles: number;
  /** maxTaskCost may be left out (DEFAULT_MAX_TASK_COST). */
  policy: Omit<NodeConfig["policy"], "maxTaskCost"> & { maxTaskCost?: number };
  handlers: HandlerRegistry;
  store: NodeStore;
  /** Rows behind each owner the spec references (its referenced datasets' committed rows, read from the chain); this node's own come from its store. */
  ownerRows?: ReadonlyMap<string, number>;
}): Decision {
  const { spec, self, roles, policy, handlers, store } = args;
  if ((roles & (Role.Owner | Role.Worker)) === 0) return decline("this node has neither the Owner nor the Worker role");
  const handler = handlers.get(spec.kind);
  if (!handler) return decline(`no handler for kind ${spec.kind} (this node runs ${handlers.kinds().join(", ")})`);
  const kinds: readonly string[] = policy.allowedKinds;
  if (!(kinds[0] === "*" || kinds.includes(spec.kind))) return decline(`policy.allowedKinds does not admit kind ${spec.kind}`);
  const reqs: readonly string[] = policy.allowedRequesters;
  if (!(reqs[0] === "*" || reqs.includes(spec.requester))) return decline(`policy.allowedRequesters does not admit ${spec.requester}`);
  if (!handler.aggregations.includes(spec.aggregation))
    return decline(`kind ${spec.kind} runs aggregation ${handler.aggregations.join("/")} here, the task asks for ${spec.aggregation}`);
  if (spec.setup && !handler.setup) return decline(`the task has a Setup phase, kind ${spec.kind} has no setup step here`);
  const datasets: DatasetRow[] = [];
  if (handler.needsData !== false) {
    if ((roles & Role.Owner) === 0) return decline("kind needs data and this node lacks the Owner role");
    const refs = spec.datasets.filter((r) => r.owner === self);
    if (refs.length === 0) return decline("the task references no dataset of this node");
    for (const ref of refs) {
      const row = store.getDataset(ref.datasetId, ref.version);
      if (!row || !row.committed) return decline(`dataset ${ref.datasetId}${ref.version ? ` v${ref.version}` : ""} is not committed on this node`);
      if (datasets.some((d) => d.name === row.name && d.version === row.version)) continue;
      datasets.push(row);
    }
  } else if ((roles & Role.Worker) === 0) return decline(`kind ${spec.kind} runs on workers and this node lacks the Worker role`);
  // The runtime reads specs through parseTaskSpec; one that skipped it is checked against the kind's
  // schema here, once, before the estimate or the handler read its params (declined, not thrown).
  const checked = kindDef(spec.kind)?.params.safeParse(spec.params);
  if (checked && !checked.success) return decline(`the task's parameters do not parse: ${checked.error.issues.map((i) => `params.${i.path.join(".")}: ${i.message}`).join("; ")}`);
  // Each dataset's own policy (dataset-policy.ts), checked before anything costly.
  const ownerRows = new Map(args.ownerRows ?? []);
  if (datasets.length > 0)
    ownerRows.set(
      self,
      datasets.reduce((a, d) => a + d.rows, 0),
    );
  const hash = specHash(spec);
  const approval: string[] = [];
  let autoApproved: string | undefined;
  for (const d of datasets) {
    const own = store.datasetPolicy(d.name)?.policy;
    if (!own) continue;
    const why = checkDatasetPolicy({ dataset: d.name, policy: own, spec, self, delta: policy.dpDelta, ownerRows });
    if (why) return decline(why);
    const auto = autoApproval(own, spec, hash);
    if (auto === null) approval.push(`${d.name}@${d.version}`);
    else if (auto !== undefined) autoApproved ??= `dataset ${d.name}: auto-approved (${auto})`;
  }
  const cost = estimateTaskCost(spec, datasets);
  const bound = policy.maxTaskCost ?? DEFAULT_MAX_TASK_COST;
  if (cost !== undefined && cost > bound)
    return decline(
      `the task's estimated cost, ${sci(cost)} row-operations (kind ${spec.kind}: see estimateTaskCost in node/src/runtime/policy.ts), exceeds policy.maxTaskCost ${sci(bound)}; ask for fewer rounds, columns or clusters, or raise the bound`,
    );
  let why: string | undefined;
  try {
    why = handler.admit?.(
      spec,
      datasets.map((row) => ({ row })),
      self,
    );
  } catch (e) {
    // Parameters the kind cannot read (a spec that skipped the parser) are the spec's fault: declined
    // with the reason. Anything else is a fault of this node and propagates (logged as a handler error).
    if (!(e instanceof ZodError || e instanceof SpecError)) throw e;
    why = `the task's parameters do not parse: ${e.message}`;
  }
  if (why) return decline(why);
  // Checked before anything is computed: the whole task (every round's release) must fit.
  const privacy = privacyOf(spec);
  const rho = privacy ? taskRho(privacy) : 0;
  if (rho > 0) {
    for (const d of datasets) {
      const budget = datasetRhoBudget(store, policy, d.name);
      const left = Math.max(0, budget - store.rhoLedger(d.name).committed);
      if (rho > left * (1 + 1e-12))
        return decline(
          `dataset ${d.name} has ${describeRho(left, policy.dpDelta)} of its privacy budget left; the task asks for ${describeRho(rho, policy.dpDelta)} over ${spec.rounds} round(s)`,
        );
    }
  }
  return {
    accept: true,
    reason: approval.length ? "" : (autoApproved ?? ""),
    datasets,
    rho,
    ...(approval.length ? { approval } : {}),
    ...(autoApproved && !approval.length ? { autoApproved } : {}),
  };
}
