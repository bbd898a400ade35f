import { BN254_FR, poseidon2Hash } from "../../protocol/src/honk/poseidon2.js";
import { chunkTree, toField, type ChunkedDataset } from "../../protocol/src/honk/chunks.js";

/**
 * The leaf exactly as the circuit computes it (column-major, 5 values per element), without the JS
 * twin's range checks, for consistent wrong witnesses; `values` are R rows of W field elements.
 */
export function rawLeaf(values: bigint[][], count: number, salt: bigint, r: number, w: number, columns: number): bigint {
  if (count === 0) return 0n;
  const packed: bigint[] = [];
  for (let j = 0; j < w; j++) {
    let acc = 0n;
    let shift = 1n;
    for (let i = 0; i < r; i++) {
      acc = (acc + ((values[i][j] + (1n << 48n)) % BN254_FR) * shift) % BN254_FR;
      shift = (shift << 49n) % BN254_FR;
      if (i % 5 === 4 || i === r - 1) {
        packed.push(acc);
        acc = 0n;
        shift = 1n;
      }
    }
  }
  return poseidon2Hash([salt, BigInt(r), BigInt(w), BigInt(columns), BigInt(count), ...packed]);
}

/**
 * The dataset with chunk `chunk` replaced by `values` (R rows of W field elements, `count` real)
 * and the root recomputed, so that a witness built from it fails only at the constraint under test.
 */
export function withChunk(d: ChunkedDataset, chunk: number, mutate: (values: bigint[][]) => number): { ds: ChunkedDataset; values: string[][]; count: number } {
  const pad = (r: bigint[]) => [...r.map(toField), ...new Array<bigint>(d.W - r.length).fill(0n)];
  const values = Array.from({ length: d.R }, (_, i) => (d.chunks[chunk][i] ? pad(d.chunks[chunk][i]) : new Array<bigint>(d.W).fill(0n)));
  const count = mutate(values);
  const leaves = d.tree.leaves.slice();
  leaves[chunk] = rawLeaf(values, count, d.salts[chunk], d.R, d.W, d.C);
  return { ds: { ...d, tree: chunkTree(leaves) }, values: values.map((r) => r.map(String)), count };
}
