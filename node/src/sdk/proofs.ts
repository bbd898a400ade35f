/**
 * Re-checks a proven Compute contribution from what the connector publishes (the fed/proven
 * envelope is public; only its inner body is sealed or masked): the proofs' dataset root is a
 * committed version the spec references for the member, every chunk is bound to this task, round
 * and member, and the requester's own check (openProven: chunk order and count, round parameters,
 * the sampled chunk against the on-chain commitment, every Groth16 proof) passes.
 */
import { keccak256 } from "ethers";
import type { BindingDomain, DatasetRecord } from "../../../chain-connector/src/connector.js";
import { outputsCommitment, roundBinding } from "../../../protocol/src/binding.js";
import { bytes32ToField, fieldToBytes32 } from "../../../protocol/src/commitment.js";
import { parseContributionSignals } from "../../../protocol/src/contributions.js";
import type { TaskSpec } from "../../../protocol/src/taskspec.js";
import type { RoundContext } from "../runtime/handler.js";
import { circuitShape, openProven, type ProvenKind } from "../runtime/kinds/proven.js";
import type { FederatedKind } from "../runtime/kinds/federated.js";
import { kmeansKind } from "../runtime/kinds/kmeans.js";
import { linregKind } from "../runtime/kinds/linreg.js";
import { logregKind } from "../runtime/kinds/logreg.js";
import { statsVectorKind } from "../runtime/kinds/stats.js";

export interface ProofCheck {
  what: string;
  ok: boolean;
  detail: string;
}

// The federated kinds with a contribution circuit (their handlers' `proven`).
const PROVEN_KINDS: Record<string, FederatedKind<unknown>> = {
  stats: statsVectorKind,
  kmeans: kmeansKind,
  linreg: linregKind,
  logreg: logregKind,
};

/** The kind's contribution circuit for a proven spec; undefined when the spec is not proven or the kind has none. */
export function provenKindOf(spec: TaskSpec): { pk: ProvenKind<unknown>; params: unknown } | undefined {
  if (spec.verification === "none") return undefined;
  const k = PROVEN_KINDS[spec.kind];
  if (!k?.proven) return undefined;
  return { pk: k.proven, params: k.parse(spec) };
}

export interface ProvenInput {
  spec: TaskSpec;
  taskId: number;
  round: number;
  /** The round's public parameters (the previous round record's `next`; undefined in round 1). */
  roundParams: unknown;
  domain: BindingDomain;
  member: string;
  /** The Compute contribution's on-chain commitment and its payload (the fed/proven envelope). */
  commitment: string;
  payload: Uint8Array;
  /** The committed version of a dataset the spec references for `owner` with this root, or null. */
  dataset: (owner: string, root: string) => Promise<DatasetRecord | null>;
}

/** One line per check for a member's proven contribution; `chunks` is how many proofs verified. */
export async function checkProvenContribution(a: ProvenInput, label: string): Promise<{ checks: ProofCheck[]; chunks: number }> {
  const checks: ProofCheck[] = [];
  const add = (what: string, ok: boolean, detail: string) => checks.push({ what: `${label} ${what}`, ok, detail });
  const pk = provenKindOf(a.spec);
  if (!pk) throw new Error(`task ${a.taskId} is not a proven task of a kind with a contribution circuit`);
  const shape = circuitShape(pk.pk.circuit);
  let chunks: Array<{ signals: string[] }> = [];
  try {
    const env = JSON.parse(new TextDecoder().decode(a.payload)) as { chunks?: Array<{ signals: string[] }> };
    chunks = Array.isArray(env?.chunks) ? env.chunks : [];
  } catch {
    /* openProven names it below */
  }
  // Root: every chunk proves rows under one root, registered for this member and referenced by the spec.
  const roots = [...new Set(chunks.map((c) => (Array.isArray(c?.signals) && c.signals.length === shape.nPublic ? c.signals[shape.nPublic - 1] : "?")))];
  const root = roots.length === 1 && roots[0] !== "?" ? fieldToBytes32(BigInt(roots[0])) : undefined;
  const d = root ? await a.dataset(a.member, root) : null;
  add(
    "dataset root",
    !!d && bytes32ToField(d.root) === BigInt(roots[0]),
    d
      ? `proofs cover ${d.rows} rows under ${d.root}, version ${d.version} registered on the connector`
      : root
        ? `root ${root} is not a committed version the spec references for ${a.member}`
        : `the chunks prove ${roots.length} different roots (or none)`,
  );
  // Binding: each proof's public binding is this task, round and member over its own outputs.
  const bad: number[] = [];
  for (const [k, c] of chunks.entries()) {
    try {
      const s = parseContributionSignals(pk.pk.circuit, c.signals);
      const want = roundBinding({ ...a.domain, taskId: a.taskId, round: a.round, member: a.member, commitment: outputsCommitment(c.signals.slice(0, -2)) });
      if (s.binding !== want) bad.push(k);
    } catch {
      bad.push(k);
    }
  }
  add(
    "round binding",
    chunks.length > 0 && bad.length === 0,
    bad.length ? `chunk(s) ${bad.join(", ")} bound to another task, round or member` : `${chunks.length} chunk(s) bound to task ${a.taskId}, round ${a.round}, ${a.member}`,
  );
  // The requester's own check, every Groth16 proof included.
  const ctx = {
    taskId: a.taskId,
    round: a.round,
    spec: a.spec,
    params: a.roundParams,
    self: a.member,
    binding: (commitment: string, member = a.member) => roundBinding({ ...a.domain, taskId: a.taskId, round: a.round, member, commitment }),
    dataset: a.dataset,
  } as unknown as RoundContext;
  // The blob hash is recomputed from the bytes (content addressing), so a changed payload is checked afresh.
  const c = { member: a.member, blobHash: keccak256(a.payload), commitment: a.commitment, payload: a.payload };
  let n = 0;
  try {
    const o = await openProven(ctx, pk.pk, pk.params, c);
    n = o.commitments.length;
    add("proofs", true, `${n} ${shape.name} Groth16 proof(s) verify; chunks in order, the sampled one matches the on-chain commitment`);
  } catch (e) {
    add("proofs", false, (e as Error).message);
  }
  return { checks, chunks: n };
}
