import { SNARK_FIELD } from "./binding.js";
import { hashRow, type Hasher } from "./commitment.js";
import { CIRCUIT_FIXED, FRAC_BITS, fromField } from "./fixedpoint.js";
import { kindDef, provenKinds, type ProvenKindName } from "./tasks/registry.js";

/**
 * What each federated contribution circuit computes over one chunk of fixed-point rows, in plain
 * integer arithmetic (the JS twins of circuits/lib/{stats,kmeans,gradient}_chunk.circom), and the
 * vectors their Pedersen commitments hide (protocol/src/pedersen.ts, in this order):
 *
 * | circuit | committed vector | scales |
 * |---|---|---|
 * | stats_chunk | [count, sum[0..C-1], sumSq[0..C-1]] | 1, 2^16, 2^32 |
 * | kmeans_chunk | [count[0..k-1], sum[0][0..C-1], …, sum[k-1][0..C-1]] | 1, 2^16 |
 * | linreg_chunk / logreg_chunk | [count, grad[0..C-2], gradBias] | 1, 2^32, 2^16 |
 *
 * Rows are field elements (fixedpoint.encodeRows) zero-padded to the circuit's C columns.
 * Public parameters (centroids, weights) reach a circuit as ONE public input, paramsHash.
 */

/**
 * The circuit that proves each federated kind's Compute contribution (circuits/<name>.circom):
 * the proof part of each kind in the registry (protocol/src/tasks, TaskKindDef.proof).
 */
export const CONTRIBUTION_CIRCUITS: Readonly<Record<ContributionKind, string>> = Object.fromEntries(provenKinds().map((k) => [k.kind, k.circuit])) as Record<
  ContributionKind,
  string
>;
export type ContributionKind = ProvenKindName;

/** Bit width of fixed-point values in circuits: |x| < 2^48 is SignedRange(49) (CIRCUIT_FIXED). */
export const VALUE_BITS = CIRCUIT_FIXED.valueBits;

/**
 * One field element for many public parameters (MACI's convention): chained Poseidon over
 * zero-padded blocks of 4 from 0, i.e. hashRow(H, 0, params); circuits/lib/params_hash.circom.
 * Centroids are flattened row-major (centroid 0's C coordinates, then centroid 1's, …); gradient
 * weights are [w_0..w_{C-2}, bias].
 */
export function paramsHash(H: Hasher, params: readonly bigint[]): bigint {
  return hashRow(H, 0n, params);
}

const signed = (f: bigint) => fromField(f);
const field = (x: bigint) => ((x % SNARK_FIELD) + SNARK_FIELD) % SNARK_FIELD;

/** floor(x / 2^shift) for a signed integer, and the remainder in [0, 2^shift). */
export function floorDivPow2(x: bigint, shift: number): { q: bigint; rem: bigint } {
  const d = 1n << BigInt(shift);
  let q = x / d; // truncates toward 0
  if (x < 0n && q * d !== x) q -= 1n;
  return { q, rem: x - q * d };
}

/** clamp(u, 0, 2^16): the circuits' hard sigmoid on u = 2^15 + floor(z/4) (scale 2^16). */
export function hardSigmoid(u: bigint): bigint {
  const one = 1n << BigInt(FRAC_BITS);
  return u < 0n ? 0n : u > one ? one : u;
}

/** The hard sigmoid of a real z: clamp(1/2 + z/4, 0, 1). */
export function hardSigmoidReal(z: number): number {
  return Math.min(1, Math.max(0, 0.5 + z / 4));
}

function widen(rows: readonly (readonly bigint[])[], C: number, what: string): bigint[][] {
  if (rows.length === 0) throw new RangeError(`${what}: a chunk needs at least one row`);
  return rows.map((r, i) => {
    if (r.length > C) throw new RangeError(`${what}: row ${i} has ${r.length} columns; this circuit takes at most ${C}`);
    return [...r.map(signed), ...Array<bigint>(C - r.length).fill(0n)];
  });
}

export interface StatsContribution {
  count: bigint;
  sums: bigint[];
  sumSq: bigint[];
  min: bigint[];
  max: bigint[];
}

export function statsContribution(rows: readonly (readonly bigint[])[], C = 4): StatsContribution {
  const xs = widen(rows, C, "stats");
  const col = (c: number) => xs.map((r) => r[c]);
  const range = [...Array(C).keys()];
  return {
    count: BigInt(xs.length),
    sums: range.map((c) => col(c).reduce((a, b) => a + b, 0n)),
    sumSq: range.map((c) => col(c).reduce((a, b) => a + b * b, 0n)),
    min: range.map((c) => col(c).reduce((a, b) => (b < a ? b : a))),
    max: range.map((c) => col(c).reduce((a, b) => (b > a ? b : a))),
  };
}

/** [count, sums, sumSq] as signed integers (pedersen accepts them or their field elements). */
export function statsVector(s: StatsContribution): bigint[] {
  return [s.count, ...s.sums, ...s.sumSq];
}

/** Poseidon(extremaBlinding, min[0..C-1], max[0..C-1]): stats_chunk's `extrema` output. */
export function extremaCommitment(H: Hasher, s: StatsContribution, extremaBlinding: bigint): bigint {
  return H([extremaBlinding, ...s.min.map(field), ...s.max.map(field)]);
}

export interface KMeansContribution {
  /** Cluster of each row: the nearest centroid by squared distance, ties to the lowest index. */
  assign: number[];
  counts: bigint[];
  sums: bigint[][];
}

export function kmeansContribution(rows: readonly (readonly bigint[])[], centroids: readonly (readonly bigint[])[], C = 4): KMeansContribution {
  const xs = widen(rows, C, "kmeans");
  const mu = widen(centroids, C, "kmeans centroids");
  const k = mu.length;
  const counts = Array<bigint>(k).fill(0n);
  const sums = mu.map(() => Array<bigint>(C).fill(0n));
  const assign = xs.map((x) => {
    let best = 0;
    let bestD = -1n;
    mu.forEach((m, j) => {
      const d = x.reduce((a, v, c) => a + (v - m[c]) * (v - m[c]), 0n);
      if (bestD < 0n || d < bestD) {
        best = j;
        bestD = d;
      }
    });
    counts[best] += 1n;
    x.forEach((v, c) => (sums[best][c] += v));
    return best;
  });
  return { assign, counts, sums };
}

export function kmeansVector(k: KMeansContribution): bigint[] {
  return [...k.counts, ...k.sums.flat()];
}

/** z·2^32 = Σ w_c·x_c + bias·2^16 for one row (signed integers; the row's last column is the target). */
export function linearScore(row: readonly bigint[], w: readonly bigint[]): bigint {
  const C = w.length;
  let z = w[C - 1] << BigInt(FRAC_BITS);
  for (let c = 0; c < C - 1; c++) z += w[c] * row[c];
  return z;
}

/** The circuits' rescaling of a row's score: shift 16 (linear) or 18 (logistic: z/4). */
export const gradientShift = (logistic: boolean): number => (logistic ? FRAC_BITS + 2 : FRAC_BITS);

export interface GradientContribution {
  count: bigint;
  /** Σ e·x_c over the feature columns (scale 2^32). */
  grad: bigint[];
  /** Σ e (scale 2^16). */
  gradBias: bigint;
  /** Per-row prediction (scale 2^16). */
  predictions: bigint[];
}

/**
 * Gradient of the squared loss (linear) or the log loss with the hard sigmoid (logistic) at
 * `weights` = [w_0..w_{C-2}, bias] (field elements, scale 2^16), over rows whose last column
 * (of C) is the target. Rounding is floor, as the circuit's witness division.
 */
export function gradientContribution(rows: readonly (readonly bigint[])[], weights: readonly bigint[], logistic: boolean, C = 4): GradientContribution {
  const xs = widen(rows, C, logistic ? "logreg" : "linreg");
  if (weights.length !== C) throw new RangeError(`gradient: ${weights.length} weights; the circuit takes ${C} (${C - 1} features, then the bias)`);
  const w = weights.map(signed);
  const grad = Array<bigint>(C - 1).fill(0n);
  let gradBias = 0n;
  const predictions = xs.map((x) => {
    const q = floorDivPow2(linearScore(x, w), gradientShift(logistic)).q;
    const pred = logistic ? hardSigmoid(q + (1n << BigInt(FRAC_BITS - 1))) : q;
    const e = pred - x[C - 1];
    gradBias += e;
    for (let c = 0; c < C - 1; c++) grad[c] += e * x[c];
    return pred;
  });
  return { count: BigInt(xs.length), grad, gradBias, predictions };
}

export function gradientVector(g: GradientContribution): bigint[] {
  return [g.count, ...g.grad, g.gradBias];
}

/**
 * Pedersen bit widths of the circuits' committed vectors for chunks of 2^r rows (the PBITS of
 * each template); pass them to pedersen.pedersenCommit / verifyAggregate.
 */
export function commitmentBits(kind: ContributionKind, r: number): number {
  const qbits = (shift: number) => 2 * VALUE_BITS - shift + 1;
  switch (kind) {
    case "stats":
      return 2 * (VALUE_BITS - 1) + r + 2;
    case "kmeans":
      return VALUE_BITS + r + 1;
    case "linreg":
      return qbits(FRAC_BITS) + 1 + VALUE_BITS + r + 1;
    case "logreg":
      return VALUE_BITS + 1 + VALUE_BITS + r + 1;
  }
}

export interface ContributionSignals {
  commitment: { x: bigint; y: bigint };
  chunkIndex: number;
  /** stats only: Poseidon(extremaBlinding, min, max). */
  extrema?: bigint;
  /** kmeans: centroidsHash; linreg / logreg: weightsHash. */
  paramsHash?: bigint;
  binding: bigint;
  root: bigint;
}

/**
 * Reads a contribution proof's public signals by the kind's declared layout (its proof part's
 * publicInputs, protocol/src/tasks): stats [cx, cy, extrema, chunkIndex, binding, root]; kmeans /
 * linreg / logreg [cx, cy, chunkIndex, paramsHash, binding, root]. A verifier compares paramsHash
 * with paramsHash(H, the round's centroids or weights) and binding/root with the round's.
 */
export function parseContributionSignals(kind: ContributionKind, signals: readonly (string | bigint)[]): ContributionSignals {
  const names = kindDef(kind)?.proof?.publicInputs;
  if (!names) throw new RangeError(`contributions: kind ${kind} has no contribution circuit`);
  if (signals.length !== names.length) throw new RangeError(`contributions: a ${kind} proof has ${names.length} public signals, got ${signals.length}`);
  const s = signals.map((x) => BigInt(x));
  const at = (name: string) => s[names.indexOf(name)];
  const out: ContributionSignals = {
    commitment: { x: at("commitment[0]"), y: at("commitment[1]") },
    chunkIndex: Number(at("chunkIndex")),
    binding: at("binding"),
    root: at("root"),
  };
  if (names.includes("extrema")) out.extrema = at("extrema");
  const params = names.find((n) => n === "centroidsHash" || n === "weightsHash");
  if (params) out.paramsHash = at(params);
  return out;
}
