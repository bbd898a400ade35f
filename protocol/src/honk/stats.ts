import { groupPath, toField, type ChunkedDataset } from "./chunks.js";
import { poseidon2Hash } from "./poseidon2.js";
import { blindingLimbs, commit, type Commitment } from "./pedersen.js";

/**
 * Twins of circuits/noir/lib/src/kinds.nr: the contribution vector of a group of chunks, e.g. stats'
 * [count, Σx_0 … Σx_{C−1}, Σx_0² … Σx_{C−1}²] (signed integers at scales 1, 2^16, 2^32), and the
 * circuits' inputs. The vectors here are *compact* (over the dataset's C columns); a circuit of
 * width W ≥ C commits to the vector padded to W (`circuitVector`: zeros for the unused columns).
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

export type CircuitInputs = Record<string, string | number | string[] | string[][] | string[][][]>;

/** Kinds with a circuit vector. */
export type VectorKind = "stats" | "minmax" | "kmeans" | "linreg" | "logreg";

/**
 * A compact vector (over C columns) in the layout of a width-W circuit, zeros for columns C … W−1:
 * stats [count, Σx (W), Σx² (W)]; minmax [min (W), max (W)]; kmeans [count (k), Σx per cluster (W
 * each)]; linreg/logreg [count, Σ r·x_0 … Σ r·x_{W−2}, Σ r] (the gradient entries past the C − 1
 * features zero).
 */
export function circuitVector(kind: VectorKind, v: readonly bigint[], C: number, W: number, clusters = 4): bigint[] {
  const pad = (xs: readonly bigint[], n: number) => [...xs, ...new Array<bigint>(n - xs.length).fill(0n)];
  switch (kind) {
    case "stats":
      return [v[0], ...pad(v.slice(1, 1 + C), W), ...pad(v.slice(1 + C, 1 + 2 * C), W)];
    case "minmax":
      return [...pad(v.slice(0, C), W), ...pad(v.slice(C, 2 * C), W)];
    case "kmeans":
      return [...v.slice(0, clusters), ...Array.from({ length: clusters }, (_, j) => pad(v.slice(clusters + j * C, clusters + (j + 1) * C), W)).flat()];
    case "linreg":
    case "logreg":
      return [v[0], ...pad(v.slice(1, C), W - 1), v[C]];
  }
}

/** Pads a row of C values to W slots. */
const padRow = (r: readonly bigint[], W: number): bigint[] => [...r, ...new Array<bigint>(W - r.length).fill(0n)];

/** The columns public input of every circuit: the dataset's real width. */
const shapeInputs = (ds: ChunkedDataset, group: number, binding: bigint) => ({
  root: ds.tree.root.toString(),
  group: String(group),
  binding: binding.toString(),
  columns: String(ds.C),
});

/** The values, counts and salts of group `group` (K consecutive chunks; absent chunks are empty), rows padded to W slots. */
function groupWitness(ds: ChunkedDataset, group: number, K: number): { values: string[][][]; counts: number[]; salts: string[]; rows: bigint[][] } {
  if (!Number.isInteger(group) || group < 0 || group * K >= ds.chunks.length) {
    throw new Error(`group ${group} does not exist: the dataset has ${ds.chunks.length} chunks, ${K} per group`);
  }
  const zero = new Array<string>(ds.W).fill("0");
  const values: string[][][] = [];
  const counts: number[] = [];
  const salts: string[] = [];
  const rows: bigint[][] = [];
  for (let c = 0; c < K; c++) {
    const k = group * K + c;
    const chunk = ds.chunks[k] ?? [];
    values.push(Array.from({ length: ds.R }, (_, i) => (chunk[i] ? padRow(chunk[i], ds.W).map((x) => toField(x).toString()) : zero)));
    counts.push(chunk.length);
    salts.push(k < ds.chunks.length ? ds.salts[k].toString() : "0");
    rows.push(...chunk);
  }
  return { values, counts, salts, rows };
}

/** The rows of a group (for the twins). */
export function groupRows(ds: ChunkedDataset, group: number, K: number): bigint[][] {
  return groupWitness(ds, group, K).rows;
}

/** Inputs of stats_chunk (K = 4 chunks per proof) for group `group`, bound to `binding`. */
export function statsChunkInputs(ds: ChunkedDataset, group: number, binding: bigint, blinding: bigint, K = 4): CircuitInputs {
  const w = groupWitness(ds, group, K);
  const b = blindingLimbs(blinding);
  return {
    ...shapeInputs(ds, group, binding),
    values: w.values,
    counts: w.counts.map(String),
    salts: w.salts,
    path: groupPath(ds.tree, group, Math.log2(K)).map(String),
    blinding_lo: b.lo.toString(),
    blinding_hi: b.hi.toString(),
  };
}

/** Column-wise min and max of rows (at least one). */
export function extrema(rows: readonly (readonly bigint[])[], C: number): { mins: bigint[]; maxs: bigint[] } {
  if (rows.length === 0) throw new Error("extrema: no rows");
  const mins = rows[0].slice(0, C);
  const maxs = rows[0].slice(0, C);
  for (const r of rows)
    for (let j = 0; j < C; j++) {
      if (r[j] < mins[j]) mins[j] = r[j];
      if (r[j] > maxs[j]) maxs[j] = r[j];
    }
  return { mins, maxs };
}

/** The hiding commitment minmax_chunk outputs: H(blinding, mins, maxs) (field-encoded, each padded with zeros to W). */
export function extremaCommitment(mins: readonly bigint[], maxs: readonly bigint[], blinding: bigint, W = mins.length): bigint {
  return poseidon2Hash([blinding, ...padRow(mins, W).map(toField), ...padRow(maxs, W).map(toField)]);
}

/** The running extrema of a member after a group (compact, C columns) and the blinding of its hash. */
export interface ExtremaLink {
  mins: bigint[];
  maxs: bigint[];
  blinding: bigint;
}

/** Column-wise min and max of a group's rows, folded into the previous link's bounds when there is one. */
function foldExtrema(rows: readonly (readonly bigint[])[], C: number, prev?: ExtremaLink): { mins: bigint[]; maxs: bigint[] } {
  return extrema(prev ? [...rows, prev.mins, prev.maxs] : rows, C);
}

/**
 * The chain minmax_chunk proves: link g holds the extrema of groups 0..g under blindings[g], so the
 * last link is the member's extrema over every row and its hash is the last proof's output.
 */
export function extremaChain(ds: ChunkedDataset, K: number, blindings: readonly bigint[]): ExtremaLink[] {
  const links: ExtremaLink[] = [];
  for (const [g, blinding] of blindings.entries()) links.push({ ...foldExtrema(groupRows(ds, g, K), ds.C, links[g - 1]), blinding });
  return links;
}

/**
 * Inputs of minmax_chunk (K = 2 chunks per proof) for group `group`: `prev` is the previous
 * group's link (required exactly when group > 0); the proven bounds fold this group into it.
 */
export function minmaxChunkInputs(ds: ChunkedDataset, group: number, binding: bigint, blinding: bigint, K = 2, prev?: ExtremaLink): CircuitInputs {
  if ((group === 0) !== (prev === undefined))
    throw new Error(`minmaxChunkInputs: group ${group} ${group === 0 ? "has no previous link" : "needs the previous group's link (extremaChain)"}`);
  const w = groupWitness(ds, group, K);
  const { mins, maxs } = foldExtrema(w.rows, ds.C, prev);
  const field = (r: readonly bigint[]) => padRow(r, ds.W).map((x) => toField(x).toString());
  const zero = new Array<bigint>(ds.C).fill(0n);
  return {
    ...shapeInputs(ds, group, binding),
    prev: (prev ? extremaCommitment(prev.mins, prev.maxs, prev.blinding, ds.W) : 0n).toString(),
    values: w.values,
    counts: w.counts.map(String),
    salts: w.salts,
    path: groupPath(ds.tree, group, Math.log2(K)).map(String),
    prev_mins: field(prev?.mins ?? zero),
    prev_maxs: field(prev?.maxs ?? zero),
    prev_blinding: (prev?.blinding ?? 0n).toString(),
    mins: field(mins),
    maxs: field(maxs),
    blinding: blinding.toString(),
  };
}

/**
 * Why the minmax proofs of one member (public inputs `prev` and `extrema` of groups 0..n−1, in
 * order) do not prove `opening` as the extrema over all its rows (undefined: they do): group 0
 * starts from 0, each later group from the previous group's output, and the last output is the
 * opening's hash. A skipped, reordered or foreign group breaks the chain.
 */
export function extremaChainError(links: readonly { group: bigint; prev: bigint; extrema: bigint }[], opening: ExtremaLink, W: number): string | undefined {
  if (links.length === 0) return "no minmax proofs";
  for (const [g, l] of links.entries()) {
    if (l.group !== BigInt(g)) return `minmax proof ${g} proves group ${l.group}; groups must be 0..${links.length - 1} in order`;
    if (l.prev !== (g === 0 ? 0n : links[g - 1].extrema)) return `minmax group ${g}: its prev is not ${g === 0 ? "0" : `group ${g - 1}'s extrema hash`} (the chain is broken)`;
  }
  if (opening.mins.length !== opening.maxs.length || opening.mins.length > W) return `the extrema opening must hold equally many mins and maxs, at most ${W}`;
  if (extremaCommitment(opening.mins, opening.maxs, opening.blinding, W) !== links[links.length - 1].extrema)
    return "the extrema opening does not open the last minmax proof's output";
  return undefined;
}

/** centroids_hash of kmeans_chunk: H(centroids row-major, each padded with zeros to W, field-encoded). */
export function centroidsHash(centroids: readonly (readonly bigint[])[], W = centroids[0]?.length ?? 0): bigint {
  return poseidon2Hash(centroids.flatMap((c) => padRow(c, W)).map(toField));
}

/** Index of the nearest centroid (squared distance; ties to the lowest index). */
export function nearest(row: readonly bigint[], centroids: readonly (readonly bigint[])[]): number {
  let best = 0;
  let bestD = -1n;
  centroids.forEach((c, j) => {
    const d = row.reduce((s, x, k) => s + (x - c[k]) * (x - c[k]), 0n);
    if (bestD < 0n || d < bestD) {
      best = j;
      bestD = d;
    }
  });
  return best;
}

/** Twin of kmeans_chunk: [count_0..count_{k-1}, sum_0[0..C-1] … sum_{k-1}[0..C-1]]. */
export function kmeansVector(rows: readonly (readonly bigint[])[], centroids: readonly (readonly bigint[])[], C: number): bigint[] {
  const k = centroids.length;
  const out = new Array<bigint>(k + k * C).fill(0n);
  for (const r of rows) {
    const j = nearest(r, centroids);
    out[j] += 1n;
    for (let c = 0; c < C; c++) out[k + j * C + c] += r[c];
  }
  return out;
}

/** Inputs of kmeans_chunk (one chunk per proof) for chunk `group`. */
export function kmeansChunkInputs(ds: ChunkedDataset, group: number, centroids: readonly (readonly bigint[])[], binding: bigint, blinding: bigint, K = 1): CircuitInputs {
  const w = groupWitness(ds, group, K);
  const b = blindingLimbs(blinding);
  const zero = new Array<bigint>(ds.C).fill(0n);
  const onehot = (r: readonly bigint[]) => {
    const j = nearest(r, centroids);
    return centroids.map((_, t) => (t === j ? "1" : "0"));
  };
  return {
    ...shapeInputs(ds, group, binding),
    centroids_hash: centroidsHash(centroids, ds.W).toString(),
    values: w.values,
    counts: w.counts.map(String),
    salts: w.salts,
    path: groupPath(ds.tree, group, Math.log2(K)).map(String),
    centroids: centroids.map((c) => padRow(c, ds.W).map((x) => toField(x).toString())),
    onehot: Array.from({ length: K }, (_, k) => Array.from({ length: ds.R }, (_, i) => onehot(ds.chunks[group * K + k]?.[i] ?? zero))),
    blinding_lo: b.lo.toString(),
    blinding_hi: b.hi.toString(),
  };
}

/** The weights [w_0 … w_{C−2}, bias] in W slots: [w_0 … w_{C−2}, 0 …, bias]. */
export function circuitWeights(weights: readonly bigint[], W = weights.length): bigint[] {
  return [...padRow(weights.slice(0, -1), W - 1), weights[weights.length - 1]];
}

/** weights_hash of linreg_chunk / logreg_chunk: H(circuitWeights) (scale 2^16, field-encoded). */
export function weightsHash(weights: readonly bigint[], W = weights.length): bigint {
  return poseidon2Hash(circuitWeights(weights, W).map(toField));
}

/** floor(a / 2^s) for signed a. */
const floorShift = (a: bigint, s: bigint): bigint => a >> s;

/** The circuit's prediction of a row (scale 2^16): floor((Σ w_c·x_c + bias·2^16) / 2^16). */
export function linearPrediction(row: readonly bigint[], weights: readonly bigint[]): bigint {
  const F = weights.length - 1;
  let z = weights[F] << 16n;
  for (let c = 0; c < F; c++) z += weights[c] * row[c];
  return floorShift(z, 16n);
}

/** Twin of linreg_chunk: [count, Σ r·x_0 … Σ r·x_{F−1}, Σ r], r = prediction − y (y the last column). */
export function linregVector(rows: readonly (readonly bigint[])[], weights: readonly bigint[]): bigint[] {
  const F = weights.length - 1;
  const out = new Array<bigint>(F + 2).fill(0n);
  out[0] = BigInt(rows.length);
  for (const row of rows) {
    const r = linearPrediction(row, weights) - row[F];
    for (let c = 0; c < F; c++) out[1 + c] += r * row[c];
    out[1 + F] += r;
  }
  return out;
}

/** Inputs of linreg_chunk (K = 2 chunks per proof) for group `group`. */
export function linregChunkInputs(ds: ChunkedDataset, group: number, weights: readonly bigint[], binding: bigint, blinding: bigint, K = 2): CircuitInputs {
  if (weights.length !== ds.C) throw new Error(`linregChunkInputs: ${ds.C} columns need ${ds.C - 1} weights and a bias`);
  const w = groupWitness(ds, group, K);
  const b = blindingLimbs(blinding);
  const zero = new Array<bigint>(ds.C).fill(0n);
  const quotients: string[][] = [];
  for (let k = 0; k < K; k++) {
    const chunk = ds.chunks[group * K + k] ?? [];
    quotients.push(Array.from({ length: ds.R }, (_, i) => toField(linearPrediction(chunk[i] ?? zero, weights)).toString()));
  }
  return {
    ...shapeInputs(ds, group, binding),
    weights_hash: weightsHash(weights, ds.W).toString(),
    values: w.values,
    counts: w.counts.map(String),
    salts: w.salts,
    path: groupPath(ds.tree, group, Math.log2(K)).map(String),
    weights: circuitWeights(weights, ds.W).map((x) => toField(x).toString()),
    quotients,
    blinding_lo: b.lo.toString(),
    blinding_hi: b.hi.toString(),
  };
}

/** logreg_chunk's hard sigmoid: u = 2^15 + floor(z / 2^18), pred = clamp(u, 0, 2^16) (scale 2^16). */
export function logisticParts(row: readonly bigint[], weights: readonly bigint[]): { q: bigint; u: bigint; pred: bigint } {
  const F = weights.length - 1;
  let z = weights[F] << 16n;
  for (let c = 0; c < F; c++) z += weights[c] * row[c];
  const q = floorShift(z, 18n);
  const u = (1n << 15n) + q;
  const pred = u < 0n ? 0n : u > 1n << 16n ? 1n << 16n : u;
  return { q, u, pred };
}

/** Twin of logreg_chunk: [count, Σ r·x_0 … Σ r·x_{F−1}, Σ r], r = σ(row) − y. */
export function logregVector(rows: readonly (readonly bigint[])[], weights: readonly bigint[]): bigint[] {
  const F = weights.length - 1;
  const out = new Array<bigint>(F + 2).fill(0n);
  out[0] = BigInt(rows.length);
  for (const row of rows) {
    const r = logisticParts(row, weights).pred - row[F];
    for (let c = 0; c < F; c++) out[1 + c] += r * row[c];
    out[1 + F] += r;
  }
  return out;
}

/** Inputs of logreg_chunk (K = 2 chunks per proof) for group `group`. */
export function logregChunkInputs(ds: ChunkedDataset, group: number, weights: readonly bigint[], binding: bigint, blinding: bigint, K = 2): CircuitInputs {
  const base = linregChunkInputs(ds, group, weights, binding, blinding, K);
  const zero = new Array<bigint>(ds.C).fill(0n);
  const quotients: string[][] = [];
  const below: string[][] = [];
  const above: string[][] = [];
  for (let k = 0; k < K; k++) {
    const chunk = ds.chunks[group * K + k] ?? [];
    const parts = Array.from({ length: ds.R }, (_, i) => logisticParts(chunk[i] ?? zero, weights));
    quotients.push(parts.map((p) => toField(p.q).toString()));
    below.push(parts.map((p) => (p.u < 0n ? "1" : "0")));
    above.push(parts.map((p) => (p.u > 1n << 16n ? "1" : "0")));
  }
  return { ...base, quotients, below, above };
}
