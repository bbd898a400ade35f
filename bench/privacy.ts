/**
 * Differential privacy: the relative error the noise costs, versus the task's ε (δ = 1e-6,
 * converted to zCDP ρ with the tight Canonne–Kamath–Steinke inverse). A 10,000-row dataset
 * (4 columns, three Gaussian blobs, declared bounds [0, 10]) split across 3 members, threshold 2
 * (each member adds σ²/2, so the aggregate carries 1.5·σ²). The members' clipped fixed-point
 * vectors are noised with the exact discrete Gaussian sampler and summed as every backend sums
 * them; stats: mean and variance per column against the exact values; k-means: 5 DP Lloyd rounds
 * (ρ split over them) against 5 plain Lloyd rounds from the same start, centroid error relative to
 * the centroid's norm. Errors are means over trials and columns/centroids. Also the sampler's speed.
 * Run: npx tsx bench/privacy.ts [--quick] [--json]
 */
import { pathToFileURL } from "node:url";
import { Wallet } from "ethers";
import { parseTaskSpec, type TaskSpec } from "../protocol/src/taskspec.js";
import type { Table } from "../node/src/data/table.js";
import { decodeVector } from "../node/src/runtime/aggregation/vector.js";
import { noisePlanOf, noisyVector } from "../node/src/runtime/kinds/shared/federated.js";
import { statsVectorKind } from "../node/src/runtime/kinds/stats/index.js";
import { kmeansKind, kmeansPartial, kmeansStep } from "../node/src/runtime/kinds/kmeans/index.js";
import { taskRho } from "../node/src/privacy/mechanism.js";
import { discreteGaussian } from "../node/src/privacy/samplers.js";

export interface PrivacyRow {
  epsilon: number;
  delta: number;
  rho: number;
  statsTrials: number;
  meanRelErr: number;
  varianceRelErr: number;
  kmeansTrials: number;
  centroidRelErr: number;
  /** Noise sd on a column's mean (real units), for scale. */
  meanSd: number;
}

const COLUMNS = ["a", "b", "c", "d"];
const BOUNDS = Object.fromEntries(COLUMNS.map((c) => [c, [0, 10]]));
const INIT = [
  [2, 2, 2, 2],
  [5, 5, 5, 5],
  [8, 8, 8, 8],
];

/** Deterministic data (mulberry32 + Box–Muller), so every run measures the same rows. */
function dataset(rows: number, members: number): Table[] {
  let s = 12345;
  const u = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  const centres = [
    [2.5, 3, 2, 7],
    [6, 7.5, 5, 2.5],
    [8, 2.5, 7.5, 6],
  ];
  const tables: Table[] = Array.from({ length: members }, () => ({ columns: COLUMNS, rows: [] }));
  for (let i = 0; i < rows; i++) {
    const c = centres[i % 3];
    tables[i % members].rows.push(c.map((m) => Math.min(10, Math.max(0, m + 0.8 * gauss()))));
  }
  return tables;
}

// The workload's params of each kind measured.
const WORKLOAD = { stats: { columns: COLUMNS }, kmeans: { columns: COLUMNS, initial: INIT, tolerance: 0 } };

function spec(epsilon: number, rounds: number, kind: keyof typeof WORKLOAD): TaskSpec {
  const params = WORKLOAD[kind];
  return parseTaskSpec({
    kind,
    requester: Wallet.createRandom().address,
    datasets: [{ owner: Wallet.createRandom().address, datasetId: "d" }],
    params: { ...params, privacy: { epsilon, delta: 1e-6, bounds: BOUNDS } },
    members: { min: 3, max: 3, threshold: 2 },
    rounds,
  });
}

const sumOf = (vs: bigint[][]) => vs.reduce((a, v) => a.map((x, i) => x + v[i]));

export function privacyBench(opts: { rows?: number; epsilons?: number[]; statsTrials?: number; kmeansTrials?: number; rounds?: number } = {}): PrivacyRow[] {
  const rows = opts.rows ?? 10_000;
  const epsilons = opts.epsilons ?? [0.1, 0.3, 1, 3, 10];
  const statsTrials = opts.statsTrials ?? 50;
  const kmeansTrials = opts.kmeansTrials ?? 10;
  const rounds = opts.rounds ?? 5;
  const tables = dataset(rows, 3);
  const all = tables.flatMap((t) => t.rows);
  const truth = COLUMNS.map((_, j) => {
    const xs = all.map((r) => r[j]);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    return { mean, variance: xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length };
  });
  let plain = INIT;
  for (let r = 0; r < rounds; r++) plain = kmeansStep(kmeansPartial(all, plain), plain, 0).centroids;

  const out: PrivacyRow[] = [];
  for (const epsilon of epsilons) {
    const ss = spec(epsilon, 1, "stats");
    const sp = statsVectorKind.parse(ss);
    const plan = noisePlanOf(statsVectorKind, ss, sp)!;
    let meanErr = 0;
    let varErr = 0;
    for (let t = 0; t < statsTrials; t++) {
      const sum = decodeVector(sumOf(tables.map((tb) => noisyVector(statsVectorKind, ss, sp, undefined, [tb]))));
      const res = statsVectorKind.finish(sp, undefined, sum, { round: 1, rounds: 1, members: 3 }).result as { columns: Record<string, { mean: number; variance: number }> };
      COLUMNS.forEach((c, j) => {
        meanErr += Math.abs(res.columns[c].mean - truth[j].mean) / truth[j].mean;
        varErr += Math.abs(res.columns[c].variance - truth[j].variance) / truth[j].variance;
      });
    }
    const ks = spec(epsilon, rounds, "kmeans");
    const kp = kmeansKind.parse(ks);
    let cErr = 0;
    for (let t = 0; t < kmeansTrials; t++) {
      let centroids = INIT;
      for (let r = 0; r < rounds; r++) {
        const params = r === 0 ? undefined : { centroids };
        const sum = decodeVector(sumOf(tables.map((tb) => noisyVector(kmeansKind, ks, kp, params, [tb]))));
        centroids = (kmeansKind.finish(kp, params, sum, { round: r + 1, rounds, members: 3 }).result as { centroids: number[][] }).centroids;
      }
      centroids.forEach((c, i) => (cErr += Math.hypot(...c.map((v, j) => v - plain[i][j])) / Math.hypot(...plain[i])));
    }
    out.push({
      epsilon,
      delta: 1e-6,
      rho: taskRho((ss.params as { privacy: never }).privacy),
      statsTrials,
      meanRelErr: meanErr / (statsTrials * COLUMNS.length),
      varianceRelErr: varErr / (statsTrials * COLUMNS.length),
      kmeansTrials,
      centroidRelErr: cErr / (kmeansTrials * INIT.length),
      meanSd: (plan.sigma[1] * Math.sqrt(1.5)) / rows,
    });
  }
  return out;
}

/** Discrete Gaussian draws per second at the fixed-point scale the mechanisms use (σ ≈ 2^20 · 10 · a few). */
export function samplerSpeed(draws = 20_000): { sigma: string; drawsPerSecond: number }[] {
  const res: { sigma: string; drawsPerSecond: number }[] = [];
  for (const [label, s2] of [
    ["σ = 3", { num: 9n, den: 1n }],
    ["σ ≈ 5·10^7", { num: 25n * 10n ** 14n + 1n, den: 3n }],
  ] as const) {
    const t = performance.now();
    for (let i = 0; i < draws; i++) discreteGaussian(s2);
    res.push({ sigma: label, drawsPerSecond: Math.round(draws / ((performance.now() - t) / 1000)) });
  }
  return res;
}

export function formatPrivacy(rows: PrivacyRow[]): string {
  const head = "| ε (δ = 1e-6) | ρ (zCDP) | stats: mean rel. error | stats: variance rel. error | noise sd of a mean | k-means: centroid rel. error (5 rounds) |";
  const sep = "|---|---|---|---|---|---|";
  const fmt = (x: number) => (x === 0 ? "0" : x.toPrecision(3));
  return [head, sep, ...rows.map((r) => `| ${r.epsilon} | ${fmt(r.rho)} | ${fmt(r.meanRelErr)} | ${fmt(r.varianceRelErr)} | ${fmt(r.meanSd)} | ${fmt(r.centroidRelErr)} |`)].join(
    "\n",
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const quick = process.argv.includes("--quick");
  const json = process.argv.includes("--json");
  const rows = privacyBench(quick ? { statsTrials: 10, kmeansTrials: 3 } : {});
  const speed = samplerSpeed(quick ? 5_000 : 20_000);
  if (json) {
    for (const r of rows) console.log(JSON.stringify({ bench: "privacy", rows: 10_000, members: 3, threshold: 2, ...r }));
    for (const s of speed) console.log(JSON.stringify({ bench: "privacy-sampler", ...s }));
  } else {
    console.log(formatPrivacy(rows));
    console.log();
    console.log(["| discrete Gaussian | draws per second |", "|---|---|", ...speed.map((s) => `| ${s.sigma} | ${s.drawsPerSecond.toLocaleString("en-US")} |`)].join("\n"));
  }
}
