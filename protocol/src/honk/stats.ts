import { chunkPath, toField, type ChunkedDataset } from "./chunks.js";
import { blindingLimbs, commit, type Commitment } from "./pedersen.js";

/**
 * Twin of circuits/noir/stats_chunk: the contribution vector of one chunk,
 * [count, Σx_0 … Σx_{C−1}, Σx_0² … Σx_{C−1}²] (signed integers at scales 1, 2^16, 2^32), and the
 * circuit's inputs.
 */
export function statsVector(rows: readonly (readonly bigint[])[], C: number): bigint[] {
  const out = new Array<bigint>(1 + 2 * C).fill(0n);
  out[0] = BigInt(rows.length);
  for (const r of rows) {
    for (let j = 0; j < C; j++) {
      out[1 + j] += r[j];
      out[1 + C + j] += r[j] * r[j];
    }
  }
  return out;
}

export function statsCommitment(rows: readonly (readonly bigint[])[], C: number, blinding: bigint): Commitment {
  return commit(statsVector(rows, C), blinding);
}

export type CircuitInputs = Record<string, string | number | string[] | string[][]>;

/** Inputs of stats_chunk for chunk k of a dataset, bound to `binding`. */
export function statsChunkInputs(ds: ChunkedDataset, k: number, binding: bigint, blinding: bigint): CircuitInputs {
  const chunk = ds.chunks[k];
  if (!chunk) throw new Error(`statsChunkInputs: chunk ${k} does not exist (${ds.chunks.length} chunks)`);
  const zero = new Array<string>(ds.C).fill("0");
  const values = Array.from({ length: ds.R }, (_, i) => (chunk[i] ? chunk[i].map((x) => toField(x).toString()) : zero));
  const b = blindingLimbs(blinding);
  return {
    root: ds.tree.root.toString(),
    chunk_index: String(k),
    binding: binding.toString(),
    values,
    count: chunk.length,
    salt: ds.salts[k].toString(),
    path: chunkPath(ds.tree, k).map(String),
    blinding_lo: b.lo.toString(),
    blinding_hi: b.hi.toString(),
  };
}
