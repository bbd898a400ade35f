import { AbiCoder, keccak256, solidityPacked, ZeroAddress } from "ethers";

/** BN254 scalar field order: circom signals and Groth16 public inputs live modulo this prime. */
export const SNARK_FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/**
 * The public input that ties a proof to one submission: keccak256 over the task manager's
 * address, chain id, task, round, member and commitment, reduced into the field. TaskManager.sol
 * computes the same value, so a proof made for one round or member is refused for any other (no
 * replay, no theft of another member's proof). The blob hash is not in it: a contribution's payload
 * carries its chunk proofs, so the payload's hash is only known after proving. The coordinator uses
 * the zero address and chain id 0.
 */
export function roundBinding(args: { taskManager?: string; chainId?: bigint | number | string; taskId: number; round: number; member: string; commitment: string }): bigint {
  const enc = AbiCoder.defaultAbiCoder().encode(
    ["address", "uint256", "uint256", "uint256", "address", "bytes32"],
    [args.taskManager ?? ZeroAddress, BigInt(args.chainId ?? 0), args.taskId, args.round, args.member, args.commitment],
  );
  return BigInt(keccak256(enc)) % SNARK_FIELD;
}

/**
 * Public signal layout of every contribution circuit (circom lists outputs first, then public
 * inputs): [outputs..., binding, datasetRoot]. The on-chain commitment of a proven contribution is
 * keccak256 of the packed outputs, so the recorded commitment is exactly what was proven.
 */
export function outputsCommitment(outputs: readonly (bigint | string)[]): string {
  return keccak256(
    solidityPacked(
      outputs.map(() => "uint256"),
      outputs.map((o) => BigInt(o)),
    ),
  );
}
