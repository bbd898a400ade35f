/**
 * Re-checks a proven Compute contribution from what the connector publishes (the fed/proven
 * envelope is public; only its inner body is sealed or masked): the proofs' dataset root is a
 * committed version the spec references for the member, every proof is bound to this task, round
 * and member, and the requester's own check (provenSystem(...).open: order and count, round
 * parameters, the on-chain commitment, every Groth16 or UltraHonk proof) passes.
 */
import { keccak256 } from "ethers";
import type { BindingDomain, DatasetRecord } from "../../../chain-connector/src/connector.js";
import { outputsCommitment, roundBinding } from "../../../protocol/src/binding.js";
import { bytes32ToField, fieldToBytes32 } from "../../../protocol/src/commitment.js";
import { proofSystemOf, type TaskSpec } from "../../../protocol/src/taskspec.js";
import type { RoundContext } from "../runtime/handler.js";
import { circuitShape, provenSystem, type ProvenKind } from "../runtime/kinds/shared/proven.js";
import { honkShape } from "../zk/honk-contributions.js";
import { NODE_KINDS } from "../runtime/kinds/registry.js";

export interface ProofCheck {
  what: string;
  ok: boolean;
  detail: string;
}

/** The kind's contribution circuit for a proven spec (its node handler's `proven`); undefined when the spec is not proven or the kind has none. */
export function provenKindOf(spec: TaskSpec): { pk: ProvenKind<unknown>; params: unknown } | undefined {
  if (spec.verification === "none") return undefined;
  const proven = NODE_KINDS.find((h) => h.kind === spec.kind)?.proven;
  if (!proven) return undefined;
  return { pk: proven.pk, params: proven.params(spec) };
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

/** Each proof's public inputs in an envelope (fed/proven: chunks' signals; fed/honk: groups' inputs), with where root and binding sit. */
function proofInputs(
  spec: TaskSpec,
  pk: ProvenKind<unknown>,
  payload: Uint8Array,
): { system: string; inputs: bigint[][]; root: number; binding: number; outputs: (pi: bigint[]) => bigint[] } {
  let env: { chunks?: Array<{ signals?: unknown }>; groups?: Array<{ publicInputs?: unknown }> } = {};
  try {
    env = JSON.parse(new TextDecoder().decode(payload)) as typeof env;
  } catch {
    /* no inputs: the lines below fail, and the full check names it */
  }
  const words = (xs: unknown): bigint[] => (Array.isArray(xs) && xs.every((x) => typeof x === "string" && /^(0x[0-9a-f]+|\d+)$/.test(x)) ? xs.map((x: string) => BigInt(x)) : []);
  if (proofSystemOf(spec) === "honk" && pk.honk) {
    const names = honkShape(pk.honk.kind).publicInputs;
    const outAt = names.findIndex((x) => x.startsWith("commitment"));
    return {
      system: "UltraHonk",
      inputs: (env?.groups ?? []).map((g) => words(g?.publicInputs)),
      root: names.indexOf("root"),
      binding: names.indexOf("binding"),
      outputs: (pi) => pi.slice(outAt),
    };
  }
  const n = circuitShape(pk.circuit).nPublic;
  return { system: "Groth16", inputs: (env?.chunks ?? []).map((c) => words(c?.signals)), root: n - 1, binding: n - 2, outputs: (pi) => pi.slice(0, -2) };
}

/**
 * One line per check for a member's proven contribution (Groth16 or UltraHonk, as the spec's
 * protocol proofSystemOf says); `chunks` is how many commitments the verified proofs carry (what the
 * requester's result counts).
 */
export async function checkProvenContribution(a: ProvenInput, label: string): Promise<{ checks: ProofCheck[]; chunks: number }> {
  const checks: ProofCheck[] = [];
  const add = (what: string, ok: boolean, detail: string) => checks.push({ what: `${label} ${what}`, ok, detail });
  const pk = provenKindOf(a.spec);
  if (!pk) throw new Error(`task ${a.taskId} is not a proven task of a kind with a contribution circuit`);
  const env = proofInputs(a.spec, pk.pk, a.payload);
  const ok = env.inputs.length > 0 && env.inputs.every((pi) => pi.length > Math.max(env.root, env.binding));
  // Root: every proof covers rows under one root, registered for this member and referenced by the spec.
  const roots = [...new Set(env.inputs.map((pi) => (ok ? pi[env.root] : -1n)))];
  const root = ok && roots.length === 1 ? fieldToBytes32(roots[0]) : undefined;
  const d = root ? await a.dataset(a.member, root) : null;
  add(
    "dataset root",
    !!d && bytes32ToField(d.root) === roots[0],
    d
      ? `proofs cover ${d.rows} rows under ${d.root}, version ${d.version} registered on the connector`
      : root
        ? `root ${root} is not a committed version the spec references for ${a.member}`
        : `the proofs name ${ok ? roots.length : 0} roots; one is expected`,
  );
  // Binding: each proof's public binding is this task, round and member over its own outputs.
  const bad: number[] = [];
  for (const [k, pi] of env.inputs.entries()) {
    const want = ok ? roundBinding({ ...a.domain, taskId: a.taskId, round: a.round, member: a.member, commitment: outputsCommitment(env.outputs(pi)) }) : undefined;
    if (want === undefined || pi[env.binding] !== want) bad.push(k);
  }
  add(
    "round binding",
    ok && bad.length === 0,
    !ok
      ? "the envelope has no readable proofs"
      : bad.length
        ? `proof(s) ${bad.join(", ")} bound to another task, round or member`
        : `${env.inputs.length} proof(s) bound to task ${a.taskId}, round ${a.round}, ${a.member}`,
  );
  // The requester's own check (provenSystem(...).open): every proof verified, in order, the round's parameters, the on-chain commitment.
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
    const sys = provenSystem(a.spec, pk.pk, pk.params);
    const o = await sys.open(ctx, c);
    n = o.commitments.length;
    add("proofs", true, `${env.inputs.length} ${sys.shape.name} ${env.system} proof(s) verify; in order, this round's parameters, the on-chain commitment matches`);
  } catch (e) {
    add("proofs", false, (e as Error).message);
  }
  return { checks, chunks: n };
}
