/**
 * Replicated evaluation for the outsourced kinds (issue 15): several workers run the same step on
 * the same ciphertexts and evaluation keys and commit the hash of their output. CKKS evaluation in
 * node-seal is bit-for-bit deterministic (test/outsourced/determinism.test.ts checks every
 * operation the workers run, across processes), so honest replicas produce identical bytes and
 * any difference means at least one replica did not run the step.
 *
 * Verdict: all digests equal → the common output is accepted and the owner re-runs nothing.
 * Otherwise the owner arbitrates: it holds the same inputs and evaluation keys (the worker bundle
 * it made), re-runs the step itself, and every replica whose digest differs from its re-run is
 * named. The owner continues with its own output, so one cheating replica neither stalls nor
 * steers the task.
 *
 * What replication does not catch: replicas that collude and return the same wrong output. Decoy
 * iterations (whole steps whose answer the owner knows, see README) are the check for that.
 *
 * The digest is over the output bytes before they are sealed to the owner: sealing is randomised,
 * so only the inner bytes compare. For the CKKS variants those bytes are ciphertexts under the
 * owner's key, and publishing their hash reveals nothing a worker did not already hold.
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex } from "@noble/hashes/utils.js";

export interface ReplicaOutput {
  /** The worker that produced it. */
  member: string;
  output: Uint8Array;
}

export interface ReplicaVerdict {
  /** The output the owner continues with. */
  accepted: Uint8Array;
  /** keccak256 of `accepted`. */
  digest: string;
  /** Whether the owner had to re-run the step (the replicas disagreed). */
  arbitrated: boolean;
  /** Replicas whose output was accepted. */
  honest: string[];
  /** Replicas whose output differed from the owner's re-run, with why. */
  cheaters: { member: string; digest: string; reason: string }[];
}

/** The commitment a replica submits for its output: keccak256, 0x-prefixed, as on-chain commitments. */
export function outputDigest(output: Uint8Array): string {
  return "0x" + bytesToHex(keccak_256(output));
}

/**
 * Judges one step's replica outputs. `rerun` computes the step from the owner's copy of its inputs,
 * called when the replicas disagree or when fewer than `replicas` submitted (a missing replica
 * does not vote: a lone output is never accepted unchecked). Throws on no output, more outputs
 * than replicas, or the same member twice.
 */
export async function judgeReplicas(outputs: readonly ReplicaOutput[], replicas: number, rerun: () => Uint8Array | Promise<Uint8Array>): Promise<ReplicaVerdict> {
  if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`replicas: must be an integer ≥ 1, got ${replicas}`);
  if (outputs.length === 0 || outputs.length > replicas) throw new Error(`replication: ${outputs.length} output(s) for ${replicas} replica(s); expected 1 to ${replicas}`);
  const seen = new Set<string>();
  for (const o of outputs) {
    const m = o.member.toLowerCase();
    if (seen.has(m)) throw new Error(`replication: ${o.member} submitted twice; each replica is a different worker`);
    seen.add(m);
  }
  const digests = outputs.map((o) => outputDigest(o.output));
  if (outputs.length === replicas && digests.every((d) => d === digests[0])) {
    return { accepted: outputs[0].output, digest: digests[0], arbitrated: false, honest: outputs.map((o) => o.member), cheaters: [] };
  }
  const reference = await rerun();
  const ref = outputDigest(reference);
  const honest: string[] = [];
  const cheaters: ReplicaVerdict["cheaters"] = [];
  outputs.forEach((o, i) => {
    if (digests[i] === ref) honest.push(o.member);
    else cheaters.push({ member: o.member, digest: digests[i], reason: `output ${digests[i].slice(0, 18)}… differs from the owner's re-run ${ref.slice(0, 18)}…` });
  });
  return { accepted: reference, digest: ref, arbitrated: true, honest, cheaters };
}
