import type { KmeansParams } from "../../../../../protocol/src/tasks/kmeans/index.js";
import { kindParams, type TaskSpec } from "../../../../../protocol/src/taskspec.js";
import { encode } from "../../../../../protocol/src/fixedpoint.js";
import { FX, real, signedParam, type ProvenKind } from "../shared/proven.js";
import { flatten } from "../../jobs.js";
import { pool } from "../../pool.js";
import { federatedHandler, selectRows, type FederatedKind, type FederatedMeta } from "../shared/federated.js";
import { clip, maxAbs, type Part } from "../../../privacy/mechanism.js";
import type { PrivacyParam } from "../../../../../protocol/src/tasks/privacy.js";

/**
 * Federated k-means (Lloyd). Contribution vector, per cluster c: [count_c, Σx_c (d values)], then
 * the sum of squared distances to the round's centroids: k·(d+1)+1 values. A member learns only
 * the public centroids; the requester learns per-cluster counts and sums over all members.
 */
export interface KmeansRoundParams {
  centroids: number[][];
}

export interface KmeansResult extends FederatedMeta {
  /** Centroids after this round's update (the next round's, or the final ones). */
  centroids: number[][];
  /** Rows assigned to each cluster by the round's centroids. */
  counts: number[];
  /** Σ squared distance of every row to its round centroid. */
  inertia: number;
  /** Largest distance a centroid moved in this round. */
  movement: number;
  converged: boolean;
}

/** Index of the nearest centroid (ties: the lowest index), and the squared distance. */
export function nearest(x: readonly number[], centroids: readonly (readonly number[])[]): [number, number] {
  let best = 0;
  let bestD = Infinity;
  centroids.forEach((c, i) => {
    let d = 0;
    for (let j = 0; j < x.length; j++) d += (x[j] - c[j]) ** 2;
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  });
  return [best, bestD];
}

export function roundCentroids(p: KmeansParams, params: unknown): number[][] {
  if (params === undefined || params === null) return p.initial;
  const c = (params as KmeansRoundParams).centroids;
  if (
    !Array.isArray(c) ||
    c.length !== p.initial.length ||
    c.some((r) => !Array.isArray(r) || r.length !== p.columns.length || r.some((v) => typeof v !== "number" || !Number.isFinite(v)))
  )
    throw new Error(`kmeans: the round's centroids must be ${p.initial.length} rows of ${p.columns.length} finite numbers`);
  return c;
}

const INLINE_TERMS = 1_000_000;

/** One member's partial sums (pure). */
export function kmeansPartial(rows: readonly number[][], centroids: readonly number[][]): number[] {
  const k = centroids.length;
  const d = centroids[0].length;
  const v = new Array<number>(k * (d + 1) + 1).fill(0);
  for (const x of rows) {
    const [c, dist] = nearest(x, centroids);
    const o = c * (d + 1);
    v[o] += 1;
    for (let j = 0; j < d; j++) v[o + 1 + j] += x[j];
    v[k * (d + 1)] += dist;
  }
  return v;
}

/** New centroids from summed partials; an empty cluster keeps its centroid. */
export function kmeansStep(sum: readonly number[], centroids: readonly number[][], tolerance: number) {
  const k = centroids.length;
  const d = centroids[0].length;
  const counts: number[] = [];
  let movement = 0;
  const next = centroids.map((old, c) => {
    const o = c * (d + 1);
    // Counts are sums of exact integers: rounding only ever adds sub-2^-20 noise.
    const n = Math.round(sum[o]);
    counts.push(n);
    if (n <= 0) return [...old];
    const nc = Array.from({ length: d }, (_, j) => sum[o + 1 + j] / n);
    movement = Math.max(movement, Math.hypot(...nc.map((v, j) => v - old[j])));
    return nc;
  });
  return { centroids: next, counts, inertia: sum[k * (d + 1)], movement, converged: movement <= tolerance };
}

export const provenKmeans: ProvenKind<KmeansParams> = {
  circuit: "kmeans",
  layout: (p) => p.columns,
  // per cluster: its count and coordinate sums
  values: (s) => s.clusters * (1 + s.columns),
  check: (p, s) =>
    p.columns.length > s.columns
      ? `the ${s.name} circuit takes at most ${s.columns} columns; the task names ${p.columns.length}`
      : p.initial.length > s.clusters
        ? `the ${s.name} circuit assigns to at most ${s.clusters} centroids; the task has ${p.initial.length}`
        : undefined,
  // Unused centroid slots repeat centroid 0: ties go to the lowest index, so they never win a row.
  params: (p, round, s) => {
    const c = roundCentroids(p, round).map((row) => row.map((v, j) => encode(v, { column: p.columns[j] })));
    while (c.length < s.clusters) c.push([...c[0]]);
    return { centroids: c };
  },
  // circuit [count[0..K-1], sum[0][0..C-1], …] → per cluster [count, Σx (d)], then inertia (not proven: 0)
  toKind: (p, sum, s) => {
    const d = p.columns.length;
    const out: number[] = [];
    for (let c = 0; c < p.initial.length; c++) {
      out.push(Number(sum[c]));
      for (let j = 0; j < d; j++) out.push(real(sum[s.clusters + c * s.columns + j], FX));
    }
    out.push(0);
    return out;
  },
  // kmeans_chunk: the same vector layout and padding (exactly its k centroids), signed values
  honk: { kind: "kmeans", params: (p, round, s) => ({ centroids: provenKmeans.params(p, round, s).centroids!.map((c) => c.map(signedParam)) }) },
};

export const kmeansKind: FederatedKind<KmeansParams> = {
  kind: "kmeans",
  parse: (spec: TaskSpec) => kindParams(spec, "kmeans"),
  columns: (p) => p.columns,
  length: (p) => p.initial.length * (p.columns.length + 1) + 1,
  local: (p, params, tables) => {
    const rows = selectRows(tables, p.columns, "kmeans");
    const centroids = roundCentroids(p, params);
    // rows × k × d distance terms: above ~10⁶ (a few ms) the assignment runs on a pool thread.
    if (rows.length * centroids.length * p.columns.length < INLINE_TERMS) return kmeansPartial(rows, centroids);
    const flat = flatten(rows, p.columns);
    return pool().run("kmeansPartial", { rows: flat, centroids }, [flat.values.buffer]);
  },
  finish(p, params, sum) {
    const step = kmeansStep(sum, roundCentroids(p, params), p.tolerance);
    const privacy = p.privacy;
    if (privacy) {
      // Post-processing of noisy sums: a centroid of clipped rows lies inside the bounds' box.
      step.centroids = step.centroids.map((c) => c.map((v, j) => clip(v, privacy.bounds[p.columns[j]])));
    }
    return { result: step, next: { centroids: step.centroids } satisfies KmeansRoundParams, done: step.converged };
  },
  proven: provenKmeans,
  dp: {
    local: (p, params, tables, privacy) => kmeansDpVector(p, params, tables, privacy),
    parts: (p, privacy) => kmeansDpParts(p, privacy),
  },
};

/** A member's vector under DP: rows clamped to the bounds, then per-cluster counts and sums; the inertia is not released (0). */
export function kmeansDpVector(p: KmeansParams, params: unknown, tables: Parameters<typeof selectRows>[0], privacy: PrivacyParam): number[] {
  const bounds = p.columns.map((c) => privacy.bounds[c]);
  const rows = selectRows(tables, p.columns, "kmeans").map((r) => r.map((x, j) => clip(x, bounds[j])));
  const v = kmeansPartial(rows, roundCentroids(p, params));
  v[v.length - 1] = 0;
  return v;
}

/** A row lands in one cluster: it adds 1 to that cluster's count and its clamped point (ℓ2 ≤ ‖max|bound|‖) to its sums. */
export function kmeansDpParts(p: KmeansParams, privacy: PrivacyParam): Part[] {
  const d = p.columns.length;
  const l2 = Math.hypot(...p.columns.map((c) => maxAbs(privacy.bounds[c])));
  return p.initial.flatMap((_, c) => {
    const o = c * (d + 1);
    return [
      { coords: [o], l2: 1, group: `cluster ${c}` },
      { coords: Array.from({ length: d }, (_, j) => o + 1 + j), l2, group: `cluster ${c}` },
    ];
  });
}

export const kmeansHandler = federatedHandler(kmeansKind);
