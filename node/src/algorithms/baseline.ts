/**
 * Plaintext baselines the encrypted variants are checked against: Lloyd's k-means from given
 * initial centroids, k-NN (1-NN by default), the DBSNNC one-pass nearest-neighbour clustering,
 * and the adjusted Rand index.
 */
import { checkIterationOptions, checkK, checkMatrix, type IterationOptions, l1Dist, type Matrix, sqDist } from "./matrix.js";

export type Metric = "euclidean2" | "manhattan";

const dist = (m: Metric) => (m === "manhattan" ? l1Dist : sqDist);

export interface KMeansResult {
  labels: number[];
  centroids: number[][];
  iterations: number;
  converged: boolean;
}

/** Index of the smallest value; the first index wins ties. */
export function argmin(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] < v[best]) best = i;
  return best;
}

export function assign(X: Matrix, C: Matrix, metric: Metric = "euclidean2"): number[] {
  const d = dist(metric);
  return X.map((x) => argmin(C.map((c) => d(x, c))));
}

/** Member means; an empty cluster keeps its previous centroid. */
export function centroidsFromLabels(X: Matrix, labels: readonly number[], previous: Matrix): number[][] {
  const k = previous.length;
  const a = X[0].length;
  const sums = Array.from({ length: k }, () => new Array<number>(a).fill(0));
  const counts = new Array<number>(k).fill(0);
  labels.forEach((l, i) => {
    counts[l]++;
    for (let j = 0; j < a; j++) sums[l][j] += X[i][j];
  });
  return sums.map((s, c) => (counts[c] === 0 ? [...previous[c]] : s.map((v) => v / counts[c])));
}

/**
 * Lloyd's algorithm: assign, recompute means, stop when the largest centroid move ≤ tolerance or
 * after maxIterations. Returns the labels of the last assignment. `metric: "manhattan"` assigns by
 * L1 distance (Rory's legacy SKMeans does that) while still averaging.
 */
export function kmeans(X: Matrix, initialCentroids: Matrix, opts: IterationOptions & { metric?: Metric } = {}): KMeansResult {
  checkMatrix("X", X);
  checkK(initialCentroids?.length, X.length);
  checkMatrix("initialCentroids", initialCentroids, { cols: X[0].length });
  const { tolerance, maxIterations } = checkIterationOptions(opts);
  let C = initialCentroids.map((c) => [...c]);
  let labels: number[] = [];
  for (let it = 1; it <= maxIterations; it++) {
    labels = assign(X, C, opts.metric);
    const next = centroidsFromLabels(X, labels, C);
    let shift = 0;
    for (let j = 0; j < C.length; j++) shift = Math.max(shift, Math.sqrt(sqDist(C[j], next[j])));
    C = next;
    if (shift <= tolerance) return { labels, centroids: C, iterations: it, converged: true };
  }
  return { labels, centroids: C, iterations: maxIterations, converged: false };
}

/** k-NN majority vote (ties → the label of the nearest among the tied); k = 1 is Rory's SKNN. */
export function knn(train: Matrix, trainLabels: readonly number[], test: Matrix, k = 1, metric: Metric = "euclidean2"): number[] {
  checkMatrix("train", train);
  checkMatrix("test", test, { cols: train[0].length });
  if (trainLabels.length !== train.length) throw new Error(`trainLabels: ${trainLabels.length} labels for ${train.length} training rows`);
  checkK(k, train.length);
  const d = dist(metric);
  return test.map((x) => {
    const order = train
      .map((t, i) => [d(x, t), i] as const)
      .sort((p, q) => p[0] - q[0] || p[1] - q[1])
      .slice(0, k);
    const votes = new Map<number, number>();
    for (const [, i] of order) votes.set(trainLabels[i], (votes.get(trainLabels[i]) ?? 0) + 1);
    let best = trainLabels[order[0][1]];
    for (const [l, v] of votes) if (v > (votes.get(best) ?? 0)) best = l;
    return best;
  });
}

/**
 * DBSNNC as Rory runs it, on a distance matrix: row 0 starts cluster 0; each next row r joins
 * the cluster of its nearest earlier row if that distance ≤ τ, else starts a new cluster.
 * τ defaults to the smallest non-zero distance.
 */
export function nncFromDistances(n: number, distance: (i: number, j: number) => number, threshold?: number): number[] {
  let tau = threshold;
  if (tau === undefined) {
    tau = Infinity;
    for (let i = 0; i < n; i++)
      for (let j = i + 1; j < n; j++) {
        const d = distance(i, j);
        if (d > 0 && d < tau) tau = d;
      }
    if (tau === Infinity) tau = 0;
  }
  const labels = new Array<number>(n).fill(0);
  let clusters = 1;
  for (let r = 1; r < n; r++) {
    let best = 0;
    let bestD = distance(r, 0);
    for (let i = 1; i < r; i++) {
      const d = distance(r, i);
      if (d < bestD) {
        bestD = d;
        best = i;
      }
    }
    labels[r] = bestD <= tau ? labels[best] : clusters++;
  }
  return labels;
}

export function nnc(X: Matrix, opts: { threshold?: number; metric?: Metric } = {}): number[] {
  checkMatrix("X", X);
  const d = dist(opts.metric ?? "manhattan");
  return nncFromDistances(X.length, (i, j) => d(X[i], X[j]), opts.threshold);
}

/** Adjusted Rand index (Hubert & Arabie). 1 = same partition up to renaming. */
export function adjustedRandIndex(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`adjustedRandIndex: label arrays differ in length (${a.length} vs ${b.length})`);
  const n = a.length;
  const table = new Map<string, number>();
  const ra = new Map<number, number>();
  const rb = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const key = `${a[i]}|${b[i]}`;
    table.set(key, (table.get(key) ?? 0) + 1);
    ra.set(a[i], (ra.get(a[i]) ?? 0) + 1);
    rb.set(b[i], (rb.get(b[i]) ?? 0) + 1);
  }
  const c2 = (x: number) => (x * (x - 1)) / 2;
  let index = 0;
  for (const v of table.values()) index += c2(v);
  let sa = 0;
  for (const v of ra.values()) sa += c2(v);
  let sb = 0;
  for (const v of rb.values()) sb += c2(v);
  const expected = (sa * sb) / c2(n);
  const max = (sa + sb) / 2;
  if (max === expected) return 1;
  return (index - expected) / (max - expected);
}
