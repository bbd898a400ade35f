import { outputsCommitment } from "../../protocol/src/binding.js";
import { proofSystemOf } from "../../protocol/src/taskspec.js";
import { ConnectorError, type ConnectorErrorCode, type Groth16Proof } from "./connector.js";

function fail(code: ConnectorErrorCode, message: string): never {
  throw new ConnectorError(code, message);
}

/** Checks one kind's proof (the operator's verification keys); may throw on a configuration error. */
export interface ProofVerifier {
  verify(kind: string, proof: Groth16Proof): Promise<boolean>;
}

/**
 * The off-chain check of a Compute contribution's proof, the same in both connectors (coordinator
 * and ethereum with off-chain verification): the checks TaskManager makes for on-chain tasks, then
 * the proof itself by the operator's verifier.
 *
 * - publicSignals = [outputs…, binding, root], every one an integer;
 * - binding = the round binding the caller computed for this deployment, task, round, sender and
 *   commitment (so a proof is never replayed elsewhere);
 * - commitment = keccak256 of the packed outputs (protocol outputsCommitment);
 * - root: a dataset root the member committed (`hasRoot`);
 * - the proof verifies under the kind's key.
 * Failures throw ConnectorError InvalidProof (malformed or not verifying) or BadBinding.
 */
export async function checkContributionProof(a: {
  kind: string;
  taskId: number;
  member: string;
  commitment: string;
  binding: bigint;
  proof: Groth16Proof | undefined;
  hasRoot: (member: string, root: string) => boolean | Promise<boolean>;
  verifier: ProofVerifier;
}): Promise<void> {
  const proof = a.proof;
  if (!proof || typeof proof !== "object" || !Array.isArray(proof.publicSignals))
    fail("InvalidProof", `task ${a.taskId} asks for verification: submit a Groth16 proof with the Compute contribution`);
  const sig = proof.publicSignals;
  if (sig.length < 3) fail("InvalidProof", "publicSignals must be [outputs..., binding, root] with at least one output");
  let values: bigint[];
  try {
    values = sig.map((s) => {
      if (typeof s !== "string" || !/^[0-9]{1,78}$/.test(s)) throw new TypeError();
      const v = BigInt(s);
      if (v >= 1n << 256n) throw new RangeError();
      return v;
    });
  } catch {
    return fail("InvalidProof", "public signals must be integers (decimal strings)");
  }
  if (values[values.length - 2] !== a.binding) fail("BadBinding", "the proof is bound to another task, round, member or commitment");
  if (outputsCommitment(values.slice(0, -2)) !== a.commitment.toLowerCase()) fail("BadBinding", "commitment must be keccak256 of the proof's packed outputs");
  const root = "0x" + values[values.length - 1].toString(16).padStart(64, "0");
  if (!(await a.hasRoot(a.member, root))) fail("BadBinding", `the proof's dataset root ${root} was never committed by ${a.member}`);
  let ok = false;
  try {
    ok = await a.verifier.verify(a.kind, proof);
  } catch (e) {
    fail("InvalidProof", `the proof could not be checked: ${(e as Error).message}`);
  }
  if (!ok) fail("InvalidProof", `the proof does not verify against the ${a.kind} verification key`);
}

/**
 * Whether a Compute submission skips the connector's Groth16 check because its task is proven with
 * UltraHonk (protocol proofSystemOf: every "offchain" task): its group proofs travel in the payload, the commitment is
 * the Merkle root of its proof list, and the requester verifies every proof off-chain. A Groth16
 * proof sent with it is refused rather than ignored, so a client never believes it was checked.
 */
export function honkSubmission(spec: { verification?: string; proofSystem?: string } | null | undefined, proof: unknown): boolean {
  if (proofSystemOf(spec) !== "honk") return false;
  if (proof !== undefined && proof !== null)
    fail(
      "InvalidProof",
      'the task is proven with UltraHonk (verification "offchain"): its proofs go in the payload and the commitment is the root of the proof list; submit without a Groth16 proof',
    );
  return true;
}
