/**
 * skmeans and dbskmeans on the round runtime: one round per k-means iteration.
 *   ckks   : SkmeansCkksOwner/Worker (the worker learns sizes only); the owner snapshots after
 *            every step, so a restarted owner node resumes; a new worker resumes from the setup
 *            and the last reply.
 *   legacy : SkmeansLegacyOwner/Worker (Liu + UDM; dbskmeans: FDH-OPE UDM), leakage as
 *            documented in algorithms/legacy/skmeans.ts; the owner does not snapshot.
 *   plain  : the worker runs plaintext Lloyd on plaintext data (a baseline; leaks everything).
 * The owner's initial centroids, labels and centroids never appear in the spec.
 */
import { skmeansParams, type SkmeansParams } from "../../../../../protocol/src/tasks/skmeans/index.js";
import { CkksWorker } from "../../../crypto/ckks/index.js";
import {
  centroidsFromLabels,
  checkIterationOptions,
  checkK,
  checkMatrix,
  decodeMessage,
  kmeans,
  SkmeansCkksOwner,
  SkmeansCkksWorker,
  SkmeansLegacyOwner,
  SkmeansLegacyWorker,
  type KMeansResult,
  type CentroidUpdate,
} from "../../../algorithms/index.js";
import { bytesJson, jsonBytes } from "../shared/json.js";
import { outsourcedHandler, type OwnerEngine, type Prepared, type VariantImpl, type WorkerEngine } from "../shared/outsourced.js";

export interface SkmeansRequest {
  k?: number;
  maxIterations?: number;
  tolerance?: number;
  /** Initial centroids (ckks, plain); default: the rows at initialIndices. */
  initialCentroids?: number[][];
  /** Rows whose values start the centroids (default 0..k−1, as Rory). */
  initialIndices?: number[];
  centroidUpdate?: CentroidUpdate;
  /** ckks: an encrypted dataset made earlier (SkmeansCkksOwner.start) with the owner's snapshot of it. */
  prepared?: { setup: Uint8Array; ownerState: Uint8Array };
}

class CkksOwnerEngine implements OwnerEngine {
  constructor(private readonly o: SkmeansCkksOwner) {}
  get steps() {
    return this.o.iterationsDone;
  }
  step(output: Uint8Array) {
    const r = this.o.step(output);
    return r.done ? { result: { ...r.result } } : { reply: r.toWorker };
  }
  snapshot() {
    return this.o.snapshot();
  }
  dispose() {
    this.o.dispose();
  }
}

class CkksWorkerEngine implements WorkerEngine {
  constructor(
    private readonly w: SkmeansCkksWorker,
    public steps = 0,
  ) {}
  next(reply?: Uint8Array) {
    const out = reply ? this.w.step(reply) : this.w.distances();
    this.steps++;
    return out;
  }
  dispose() {
    this.w.dispose();
  }
}

class LegacyOwnerEngine implements OwnerEngine {
  steps = 0;
  constructor(
    private readonly o: SkmeansLegacyOwner,
    private readonly X: number[][],
    private readonly C0: number[][],
  ) {}
  step(output: Uint8Array) {
    const r = this.o.step(output);
    this.steps++;
    if (!r.done) return { reply: r.toWorker };
    // The owner has its data: the centroids of the final partition cost it nothing to compute.
    return { result: { ...r.result, centroids: centroidsFromLabels(this.X, r.result.labels, this.C0) } };
  }
  dispose() {}
}

class LegacyWorkerEngine implements WorkerEngine {
  steps = 0;
  constructor(private readonly w: SkmeansLegacyWorker) {}
  next(reply?: Uint8Array) {
    const out = reply ? this.w.step(reply) : this.w.assign();
    this.steps++;
    return out;
  }
  dispose() {}
}

interface PlainSetup {
  step: "skmeans-plain/setup";
  X: number[][];
  C0: number[][];
  tolerance: number;
  maxIterations: number;
}

class PlainOwnerEngine implements OwnerEngine {
  steps = 0;
  step(output: Uint8Array) {
    this.steps++;
    return { result: { ...bytesJson<KMeansResult>(output, "skmeans-plain result") } };
  }
  dispose() {}
}

class PlainWorkerEngine implements WorkerEngine {
  steps = 0;
  constructor(private readonly s: PlainSetup) {}
  next() {
    this.steps++;
    return jsonBytes(kmeans(this.s.X, this.s.C0, { tolerance: this.s.tolerance, maxIterations: this.s.maxIterations }));
  }
  dispose() {}
}

export const skmeansVariants: Record<SkmeansParams["variant"], VariantImpl<SkmeansParams>> = {
  ckks: {
    rounds: (p) => p.maxIterations,
    async worker(setup) {
      return new CkksWorkerEngine(await SkmeansCkksWorker.fromSetup(setup));
    },
    async resume(setup, lastReply, _p, round) {
      const { worker, distances } = await SkmeansCkksWorker.resume(setup, lastReply);
      return { engine: new CkksWorkerEngine(worker, round), output: distances };
    },
    async restoreOwner(snapshot) {
      return new CkksOwnerEngine(await SkmeansCkksOwner.restore(snapshot));
    },
  },
  legacy: {
    rounds: (p) => p.maxIterations,
    async worker(setup) {
      return new LegacyWorkerEngine(SkmeansLegacyWorker.fromSetup(setup));
    },
  },
  plain: {
    rounds: (p) => p.maxIterations,
    async worker(setup) {
      const s = bytesJson<PlainSetup>(setup, "skmeans-plain setup");
      if (s.step !== "skmeans-plain/setup") throw new Error("skmeans-plain: setup message expected");
      return new PlainWorkerEngine(s);
    },
  },
};

/** Checks a prepared CKKS setup against the owner state it came with: same key for every ciphertext, sizes matching the dataset. */
async function checkPrepared(
  prep: NonNullable<SkmeansRequest["prepared"]>,
  X: number[][],
  k: number | undefined,
): Promise<{ owner: SkmeansCkksOwner; k: number; maxIterations: number; mode: CentroidUpdate; tolerance: number }> {
  if (!(prep.setup instanceof Uint8Array) || !(prep.ownerState instanceof Uint8Array)) throw new Error("prepared: give setup and ownerState as bytes");
  const state = decodeMessage<{ step: string; maxIterations: number; mode: CentroidUpdate; tolerance: number }>(prep.ownerState, "skmeans-ckks/owner-state").header;
  const { header, frames } = decodeMessage<{ step: string; k: number; layout: { n: number; a: number } }>(prep.setup, "skmeans-ckks/setup");
  if (header.layout.n !== X.length || header.layout.a !== X[0].length)
    throw new Error(`prepared.setup: encrypts ${header.layout.n}×${header.layout.a} values, the dataset's columns are ${X.length}×${X[0].length}`);
  if (k !== undefined && k !== header.k) throw new Error(`k: ${k}, but prepared.setup was made for k = ${header.k}`);
  const owner = await SkmeansCkksOwner.restore(prep.ownerState);
  try {
    if (owner.iterationsDone !== 0) throw new Error(`prepared.ownerState: has ${owner.iterationsDone} iterations done; give the state saved right after start()`);
    const wk = await CkksWorker.fromBundle(frames[0]);
    try {
      if (wk.fingerprintHex !== owner.fingerprint)
        throw new Error(
          `prepared.setup: its worker keys are under another key (fingerprint ${wk.fingerprintHex}) than the owner state's (${owner.fingerprint}); encrypt with the owner's key`,
        );
      frames.slice(1).forEach((f, i) => {
        try {
          wk.load(f).delete();
        } catch (e) {
          throw new Error(`prepared.setup: ciphertext ${i + 1}: ${(e as Error).message}`, { cause: e });
        }
      });
    } finally {
      wk.dispose();
    }
  } catch (e) {
    owner.dispose();
    throw e;
  }
  return { owner, k: header.k, maxIterations: state.maxIterations, mode: state.mode, tolerance: state.tolerance };
}

function initialRows(X: number[][], k: number, req: SkmeansRequest): number[][] {
  if (req.initialCentroids !== undefined) {
    if (!Array.isArray(req.initialCentroids) || req.initialCentroids.length !== k)
      throw new Error(`initialCentroids: need k = ${k} rows, got ${Array.isArray(req.initialCentroids) ? req.initialCentroids.length : typeof req.initialCentroids}`);
    checkMatrix("initialCentroids", req.initialCentroids, { cols: X[0].length });
    return req.initialCentroids.map((r) => [...r]);
  }
  const idx = req.initialIndices ?? Array.from({ length: k }, (_, i) => i);
  if (!Array.isArray(idx) || idx.length !== k || idx.some((i) => !Number.isInteger(i) || i < 0 || i >= X.length))
    throw new Error(`initialIndices: need ${k} row indices in [0, ${X.length})`);
  return idx.map((i) => [...X[i]]);
}

/** The owner's side of a submission; `ope`: legacy encrypts the distance matrix with FDH-OPE (dbskmeans). */
export async function prepareSkmeans(
  req: SkmeansRequest & { variant: SkmeansParams["variant"]; kind: string; securityLevel?: 128 | 192 | 256 },
  X: number[][],
  ope = false,
): Promise<Prepared> {
  checkMatrix("dataset", X);
  const common = { securityLevel: req.securityLevel ?? 128 };
  if (req.prepared) {
    if (req.variant !== "ckks") throw new Error("prepared: only the ckks variant takes a prepared encrypted dataset");
    const p = await checkPrepared(req.prepared, X, req.k);
    return {
      engine: new CkksOwnerEngine(p.owner),
      setup: req.prepared.setup,
      params: { ...common, k: p.k, maxIterations: p.maxIterations, tolerance: p.tolerance, centroidUpdate: p.mode },
      rounds: p.maxIterations,
    };
  }
  checkK(req.k, X.length);
  const k = req.k;
  const { tolerance, maxIterations } = checkIterationOptions({ tolerance: req.tolerance, maxIterations: req.maxIterations ?? 10 });
  const params = { ...common, k, maxIterations, tolerance, centroidUpdate: req.centroidUpdate ?? "worker" };
  if (req.variant === "legacy") {
    if (req.initialCentroids !== undefined) throw new Error("initialCentroids: the legacy variant starts from data rows; give initialIndices instead");
    const C0 = initialRows(X, k, req);
    const { owner, setup } = SkmeansLegacyOwner.start(X, {
      k,
      initialIndices: req.initialIndices,
      maxIterations,
      securityLevel: req.securityLevel ?? 128,
      ope,
    });
    return { engine: new LegacyOwnerEngine(owner, X, C0), setup, params, rounds: maxIterations };
  }
  const C0 = initialRows(X, k, req);
  if (req.variant === "plain") {
    const s: PlainSetup = { step: "skmeans-plain/setup", X, C0, tolerance, maxIterations };
    return { engine: new PlainOwnerEngine(), setup: jsonBytes(s), params, rounds: maxIterations };
  }
  const { owner, setup } = await SkmeansCkksOwner.start(X, C0, { tolerance, maxIterations, preset: req.securityLevel ?? 128, centroidUpdate: params.centroidUpdate });
  return { engine: new CkksOwnerEngine(owner), setup, params, rounds: maxIterations };
}

export const skmeansHandler = outsourcedHandler("skmeans", skmeansParams, skmeansVariants, (req, X) => prepareSkmeans(req as never, X));
