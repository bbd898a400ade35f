import type { DatasetTree } from "../../../protocol/src/commitment.js";
import { chunkPath, paddedWidth } from "../../../protocol/src/commitment.js";
import { SNARK_FIELD } from "../../../protocol/src/binding.js";

export interface ChunkSumParams {
  chunkRows: number;
  columns: number;
  treeDepth: number;
}

/**
 * Witness input of circuits/chunk_sum.circom for chunk `chunkIndex` of a committed dataset: the
 * chunk's rows (zero-padded to the circuit's width) and salts (padding rows and salts zero, mask a
 * prefix of ones), the Merkle path of
 * the chunk's subtree, and the public binding and root. All numbers as decimal strings.
 */
export function chunkSumInput(
  tree: DatasetTree,
  rows: readonly (readonly bigint[])[],
  chunkIndex: number,
  binding: bigint,
  p: ChunkSumParams,
): Record<string, unknown> {
  if (tree.depth !== p.treeDepth) throw new Error(`chunk_sum: tree depth ${tree.depth} differs from the circuit's ${p.treeDepth}`);
  // Leaves hash rows zero-padded to a multiple of 4 columns, so a dataset of columns - 3 …
  // columns values per row fits this circuit with its missing columns as zeros.
  if (paddedWidth(tree.columns) !== p.columns) {
    throw new Error(`chunk_sum: the dataset has ${tree.columns} columns; this circuit proves datasets of ${p.columns - 3} to ${p.columns} columns`);
  }
  if (rows.length !== tree.rows) throw new Error(`chunk_sum: ${rows.length} rows given for a tree of ${tree.rows}`);
  if (binding < 0n || binding >= SNARK_FIELD) throw new Error("chunk_sum: binding must be a field element (protocol roundBinding)");
  const w = chunkPath(tree, chunkIndex, p.chunkRows);
  const values: string[][] = [];
  const salts: string[] = [];
  const mask: string[] = [];
  for (let i = 0; i < p.chunkRows; i++) {
    const r = w.firstRow + i;
    const real = i < w.count;
    const row = Array<string>(p.columns).fill("0");
    if (real) rows[r].forEach((v, c) => (row[c] = v.toString()));
    values.push(row);
    salts.push(real ? tree.salts[r].toString() : "0");
    mask.push(real ? "1" : "0");
  }
  return {
    values,
    salts,
    mask,
    pathIndices: w.pathIndices.map(String),
    siblings: w.siblings.map(String),
    binding: binding.toString(),
    root: tree.rootField.toString(),
  };
}
