import { AbiCoder, concat, keccak256 } from "ethers";
import { BN254_FR } from "./poseidon2.js";

/**
 * Twin of contracts/ChunkAudit.sol: the Merkle tree over a member's list of chunk-group proofs
 * whose root it commits per round, and the binding its proofs carry.
 *
 * leaf = keccak256(abi.encode(keccak256(proof), bytes32[] publicInputs)); nodes keccak256(left ‖ right);
 * the tree has the least depth holding every entry (one entry: the root is its leaf), empty leaves zero.
 */
export interface ProofListEntry {
  proof: Uint8Array;
  /** Public inputs as 0x-prefixed 32-byte words (the verifier's bytes32[]). */
  publicInputs: readonly string[];
}

const ZERO = "0x" + "0".repeat(64);
export const MAX_PROOF_LIST_DEPTH = 20;

export function proofListLeaf(e: ProofListEntry): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["bytes32", "bytes32[]"], [keccak256(e.proof), e.publicInputs]));
}

export interface ProofListTree {
  root: string;
  count: number;
  /** Siblings of entry i from the leaf up (the `path` ChunkAudit takes). */
  path(i: number): string[];
}

export function proofListTree(entries: readonly ProofListEntry[]): ProofListTree {
  if (entries.length === 0) throw new Error("proofListTree: a list has at least one entry");
  let depth = 0;
  while (1 << depth < entries.length) depth++;
  if (depth > MAX_PROOF_LIST_DEPTH) throw new Error(`proofListTree: at most 2^${MAX_PROOF_LIST_DEPTH} entries`);
  const levels: string[][] = [entries.map(proofListLeaf)];
  for (let d = 0; d < depth; d++) {
    const cur = levels[d];
    const next: string[] = [];
    for (let i = 0; i < 1 << (depth - d - 1); i++) next.push(keccak256(concat([cur[2 * i] ?? ZERO, cur[2 * i + 1] ?? ZERO])));
    levels.push(next);
  }
  return {
    root: levels[depth][0],
    count: entries.length,
    path(i) {
      if (!Number.isInteger(i) || i < 0 || i >= entries.length) throw new Error(`proofListTree: entry ${i} does not exist (${entries.length} entries)`);
      return Array.from({ length: depth }, (_, d) => levels[d][(i >> d) ^ 1] ?? ZERO);
    },
  };
}

/** ChunkAudit.bindingOf: the binding public input of a member's proofs in round `key`. */
export function chunkAuditBinding(key: string, member: string): bigint {
  return BigInt(keccak256(AbiCoder.defaultAbiCoder().encode(["string", "bytes32", "address"], ["ciphermine/chunk-audit/v1", key, member]))) % BN254_FR;
}
