import type { DatasetTree } from "../../../protocol/src/commitment.js";
import { chunkPath, paddedWidth } from "../../../protocol/src/commitment.js";
import { SNARK_FIELD } from "../../../protocol/src/binding.js";
import { fromField } from "../../../protocol/src/fixedpoint.js";
import { floorDivPow2, gradientShift, kmeansContribution, linearScore, statsContribution } from "../../../protocol/src/contributions.js";

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
export function chunkSumInput(tree: DatasetTree, rows: readonly (readonly bigint[])[], chunkIndex: number, binding: bigint, p: ChunkSumParams): Record<string, unknown> {
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

/** Shape of a contribution circuit's chunk (circuits/registry.ts params). */
export interface ChunkShape {
  chunkRows: number;
  columns: number;
  treeDepth: number;
}

/**
 * The committed-rows part of every contribution circuit's input (circuits/lib/committed_chunk.circom):
 * values zero-padded to the circuit's columns, salts, prefix mask, Merkle path and root.
 * `minColumns` is the fewest dataset columns the circuit accepts (the gradient circuits need the
 * target in the last column, so all of them).
 */
export function committedChunkInput(
  what: string,
  tree: DatasetTree,
  rows: readonly (readonly bigint[])[],
  chunkIndex: number,
  p: ChunkShape,
  minColumns = 1,
): { input: Record<string, unknown>; chunkRows: bigint[][] } {
  if (tree.depth !== p.treeDepth) throw new Error(`${what}: tree depth ${tree.depth} differs from the circuit's ${p.treeDepth}`);
  if (tree.columns > p.columns || tree.columns < minColumns) {
    throw new Error(`${what}: the dataset has ${tree.columns} columns; this circuit proves datasets of ${minColumns} to ${p.columns} columns`);
  }
  if (rows.length !== tree.rows) throw new Error(`${what}: ${rows.length} rows given for a tree of ${tree.rows}`);
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
    input: { values, salts, mask, pathIndices: w.pathIndices.map(String), siblings: w.siblings.map(String), root: tree.rootField.toString() },
    chunkRows: rows.slice(w.firstRow, w.firstRow + w.count).map((r) => [...r]),
  };
}

/** Signed integer → its field element as a decimal string. */
const signedString = (x: bigint): string => (x < 0n ? SNARK_FIELD + x : x).toString();

const fieldString = (x: bigint, what: string): string => {
  if (x < 0n || x >= SNARK_FIELD) throw new Error(`${what} must be a field element`);
  return x.toString();
};

/** stats_chunk: committed rows + the two blindings + binding. */
export function statsChunkInput(a: {
  tree: DatasetTree;
  rows: readonly (readonly bigint[])[];
  chunkIndex: number;
  binding: bigint;
  blinding: bigint;
  extremaBlinding: bigint;
  shape: ChunkShape;
}): Record<string, unknown> {
  const { input, chunkRows } = committedChunkInput("stats_chunk", a.tree, a.rows, a.chunkIndex, a.shape);
  const s = statsContribution(chunkRows, a.shape.columns);
  return {
    ...input,
    min: s.min.map(signedString),
    max: s.max.map(signedString),
    blinding: fieldString(a.blinding, "stats_chunk: blinding"),
    extremaBlinding: fieldString(a.extremaBlinding, "stats_chunk: extremaBlinding"),
    binding: fieldString(a.binding, "stats_chunk: binding (protocol roundBinding)"),
  };
}

/** kmeans_chunk: committed rows, the k centroids (field elements, zero-padded to the circuit's columns) and their hash. */
export function kmeansChunkInput(a: {
  tree: DatasetTree;
  rows: readonly (readonly bigint[])[];
  chunkIndex: number;
  binding: bigint;
  blinding: bigint;
  centroids: readonly (readonly bigint[])[];
  centroidsHash: bigint;
  clusters: number;
  shape: ChunkShape;
}): Record<string, unknown> {
  const { input, chunkRows } = committedChunkInput("kmeans_chunk", a.tree, a.rows, a.chunkIndex, a.shape);
  if (a.centroids.length !== a.clusters) throw new Error(`kmeans_chunk: ${a.centroids.length} centroids given; the circuit takes exactly ${a.clusters}`);
  const centroids = a.centroids.map((c, j) => {
    if (c.length > a.shape.columns) throw new Error(`kmeans_chunk: centroid ${j} has ${c.length} coordinates; at most ${a.shape.columns}`);
    return [...c.map((v) => fieldString(v, `kmeans_chunk: centroid ${j}`)), ...Array<string>(a.shape.columns - c.length).fill("0")];
  });
  const { assign } = kmeansContribution(chunkRows, a.centroids, a.shape.columns);
  const oneHot = Array.from({ length: a.shape.chunkRows }, (_, i) => Array.from({ length: a.clusters }, (_, j) => (assign[i] === j ? "1" : "0")));
  return {
    ...input,
    centroids,
    assign: oneHot,
    blinding: fieldString(a.blinding, "kmeans_chunk: blinding"),
    centroidsHash: fieldString(a.centroidsHash, "kmeans_chunk: centroidsHash"),
    binding: fieldString(a.binding, "kmeans_chunk: binding (protocol roundBinding)"),
  };
}

/** linreg_chunk / logreg_chunk: committed rows (target last), weights [w_0..w_{C-2}, bias] and their hash. */
export function gradientChunkInput(a: {
  circuit: string;
  logistic: boolean;
  tree: DatasetTree;
  rows: readonly (readonly bigint[])[];
  chunkIndex: number;
  binding: bigint;
  blinding: bigint;
  weights: readonly bigint[];
  weightsHash: bigint;
  shape: ChunkShape;
}): Record<string, unknown> {
  const { input } = committedChunkInput(a.circuit, a.tree, a.rows, a.chunkIndex, a.shape, a.shape.columns);
  if (a.weights.length !== a.shape.columns) {
    throw new Error(`${a.circuit}: ${a.weights.length} weights given; the circuit takes ${a.shape.columns} (${a.shape.columns - 1} features, then the bias)`);
  }
  // Every slot, padding included (zero rows still pass through the division), gets its quotient.
  const w = a.weights.map((x) => fromField(x));
  const div = (input.values as string[][]).map((row) =>
    floorDivPow2(
      linearScore(
        row.map((v) => fromField(BigInt(v))),
        w,
      ),
      gradientShift(a.logistic),
    ),
  );
  return {
    ...input,
    quotient: div.map((d) => signedString(d.q)),
    remainder: div.map((d) => d.rem.toString()),
    weights: a.weights.map((w, i) => fieldString(w, `${a.circuit}: weight ${i}`)),
    blinding: fieldString(a.blinding, `${a.circuit}: blinding`),
    weightsHash: fieldString(a.weightsHash, `${a.circuit}: weightsHash`),
    binding: fieldString(a.binding, `${a.circuit}: binding (protocol roundBinding)`),
  };
}
