/**
 * SKMeans over CKKS, in which the worker learns nothing but sizes.
 *
 * Messages (one task round per iteration after setup):
 *   owner.start(X, C0)      → setup   : worker keys (public, relin, Galois), Enc(D) in row blocks,
 *                                       Enc(C0_j) replicated over all row positions (j < k)
 *   worker.fromSetup(setup); worker.distances()
 *                           → distances: Enc((D_b − C_j)²) slot-wise, for every block b and centroid j
 *   owner.step(distances)   → decrypts, sums each row's slots, labels = argmin_j, new centroids
 *                             C_t (plaintext, from its own data), shift test; either the result, or
 *                           → update  : "worker" mode: Enc(mask_{j,b}) with 1/|C_j| on member rows'
 *                                       slots (k·blocks ciphertexts) and Enc(keep_j) (= C_{t−1,j}
 *                                       replicated when cluster j is empty, else 0);
 *                                       "owner" mode: Enc(C_t,j) replicated (k ciphertexts)
 *   worker.step(update)     → "worker" mode: Enc(C_t,j) = rotateSum(Σ_b Enc(D_b)·Enc(mask_{j,b}), A, R)
 *                             + Enc(keep_j), i.e. the encrypted mean, already replicated; then
 *                           → distances (as above)
 *
 * What each party learns:
 *   worker: n, a, k, the preset, the number of blocks and iterations, and message sizes. Every value
 *           it handles is a CKKS ciphertext under the owner's key (IND-CPA); it never sees a label,
 *           a cluster size, a centroid, a shift or a distance in plaintext, and it cannot tell empty
 *           clusters (the keep_j ciphertexts are always sent). It holds no secret key.
 *   owner:  its own data, and the squared distances of its rows to the current centroids (which
 *           it could compute itself), hence the labels and centroids, the result it asked for.
 * Differences from Rory: no plaintext UDM (Rory's UDM gives the data up to a translation), no
 * plaintext shifts or labels at the worker, no n² storage; convergence is the plaintext Lloyd
 * criterion (largest centroid move ≤ tolerance, or maxIterations) decided by the owner.
 *
 * The owner centres the data and divides by one global scale (|x| ≤ 1) before encrypting: this
 * keeps every value within CKKS's range and precision and leaves the Euclidean partition
 * unchanged. Centroids are mapped back before they are returned.
 * "worker" mode needs Galois keys for steps A, 2A, …, slots/2 (log2(R) keys), "owner" mode none.
 */
import type { Ciphertext } from "node-seal";
import { CkksEvaluator, CkksOwner, CkksWorker, type CkksPresetName, getCkksContext } from "../../crypto/ckks/index.js";
import { argmin, centroidsFromLabels, type KMeansResult } from "../baseline.js";
import { checkIterationOptions, checkK, checkMatrix, denormalize, fitNormalizer, type IterationOptions, type Matrix, normalize, type Normalizer, sqDist } from "../matrix.js";
import { checkLayout, layoutHeader, packBlock, replicateRow, type RowLayout, rowLayout, rowSums, rowsInBlock, squaredDiffBytes } from "./layout.js";
import { decodeMessage, encodeMessage } from "../wire.js";

export type CentroidUpdate = "worker" | "owner";

export interface SkmeansCkksOptions extends IterationOptions {
  preset?: CkksPresetName;
  /** Who averages the members: the worker on ciphertexts (default) or the owner in plaintext. */
  centroidUpdate?: CentroidUpdate;
}

interface SetupHeader {
  step: "skmeans-ckks/setup";
  layout: RowLayout;
  k: number;
  mode: CentroidUpdate;
}
interface UpdateHeader {
  step: "skmeans-ckks/update";
  iteration: number;
  mode: CentroidUpdate;
}
interface DistHeader {
  step: "skmeans-ckks/distances";
  iteration: number;
  k: number;
  blocks: number;
}
interface SnapshotHeader {
  step: "skmeans-ckks/owner-state";
  nz: Normalizer;
  X: number[][];
  C: number[][];
  layout: RowLayout;
  mode: CentroidUpdate;
  tolerance: number;
  maxIterations: number;
  iteration: number;
}

export type OwnerStep = { done: false; toWorker: Uint8Array; iteration: number } | { done: true; result: KMeansResult };

export class SkmeansCkksOwner {
  private iteration = 0;
  private constructor(
    private readonly keys: CkksOwner,
    private readonly nz: Normalizer,
    private readonly X: number[][],
    private C: number[][],
    private readonly layout: RowLayout,
    private readonly mode: CentroidUpdate,
    private readonly tolerance: number,
    private readonly maxIterations: number,
  ) {}

  /** Checks every input before any key is made or any byte is produced. */
  static async start(X: Matrix, initialCentroids: Matrix, opts: SkmeansCkksOptions = {}): Promise<{ owner: SkmeansCkksOwner; setup: Uint8Array }> {
    checkMatrix("X", X);
    checkK(Array.isArray(initialCentroids) ? initialCentroids.length : undefined, X.length);
    checkMatrix("initialCentroids", initialCentroids, { cols: X[0].length });
    const { tolerance, maxIterations } = checkIterationOptions(opts);
    const mode = opts.centroidUpdate ?? "worker";
    if (mode !== "worker" && mode !== "owner") throw new Error(`centroidUpdate: must be "worker" or "owner", got ${String(mode)}`);
    const nz = fitNormalizer(X);
    const Xn = normalize(nz, X);
    const Cn = normalize(nz, initialCentroids);
    if (Cn.some((c) => c.some((v) => Math.abs(v) > 64))) throw new Error("initialCentroids: far outside the data's range; pick centroids near the data");
    const presetName = opts.preset ?? 128;
    const { slots } = await getCkksContext(presetName);
    const layout = rowLayout(X.length, X[0].length, slots);
    const steps = mode === "worker" ? CkksEvaluator.rotateSumSteps(layout.stride, slots / layout.stride) : [];
    const keys = await CkksOwner.generate({ preset: presetName, rotationSteps: steps });
    const frames: Uint8Array[] = [keys.workerKeys()];
    for (let b = 0; b < layout.blocks; b++) frames.push(keys.encryptToBytes(packBlock(Xn, layout, b)));
    for (const c of Cn) frames.push(keys.encryptToBytes(replicateRow(c, layout)));
    const header: SetupHeader = { step: "skmeans-ckks/setup", layout: layoutHeader(layout), k: Cn.length, mode };
    const owner = new SkmeansCkksOwner(keys, nz, Xn, Cn, layout, mode, tolerance, maxIterations);
    return { owner, setup: encodeMessage(header, frames) };
  }

  get fingerprint(): string {
    return this.keys.fingerprintHex;
  }

  get iterationsDone(): number {
    return this.iteration;
  }

  /**
   * The owner's whole state as bytes, for its own storage between rounds (a restarted node resumes
   * with `restore`). Holds the SECRET KEY and the normalised data: never send it to anyone.
   */
  snapshot(): Uint8Array {
    const header: SnapshotHeader = {
      step: "skmeans-ckks/owner-state",
      nz: this.nz,
      X: this.X,
      C: this.C,
      layout: this.layout,
      mode: this.mode,
      tolerance: this.tolerance,
      maxIterations: this.maxIterations,
      iteration: this.iteration,
    };
    return encodeMessage(header, [this.keys.exportSecret()]);
  }

  static async restore(bytes: Uint8Array): Promise<SkmeansCkksOwner> {
    const { header: h, frames } = decodeMessage<SnapshotHeader>(bytes, "skmeans-ckks/owner-state");
    const keys = await CkksOwner.importSecret(frames[0]);
    const owner = new SkmeansCkksOwner(keys, h.nz, h.X, h.C, h.layout, h.mode, h.tolerance, h.maxIterations);
    owner.iteration = h.iteration;
    return owner;
  }

  step(distances: Uint8Array): OwnerStep {
    const { header, frames } = decodeMessage<DistHeader>(distances, "skmeans-ckks/distances");
    const k = this.C.length;
    const l = this.layout;
    if (header.iteration !== this.iteration || header.k !== k || header.blocks !== l.blocks || frames.length !== k * l.blocks) {
      throw new Error(
        `skmeans-ckks: distances message is for iteration ${header.iteration} with ${frames.length} ciphertexts; expected iteration ${this.iteration} with ${k * l.blocks}`,
      );
    }
    const D = Array.from({ length: l.n }, () => new Float64Array(k));
    for (let j = 0; j < k; j++) {
      for (let b = 0; b < l.blocks; b++) {
        const rows = rowsInBlock(l, b);
        const s = rowSums(this.keys, frames[j * l.blocks + b], l, rows);
        for (let r = 0; r < rows; r++) D[b * l.rowsPerCt + r][j] = s[r];
      }
    }
    const labels = D.map((d) => argmin(d));
    const next = centroidsFromLabels(this.X, labels, this.C);
    let shift = 0;
    for (let j = 0; j < k; j++) shift = Math.max(shift, Math.sqrt(sqDist(this.C[j], next[j])) * this.nz.scale);
    const prev = this.C;
    this.C = next;
    this.iteration++;
    if (shift <= this.tolerance || this.iteration >= this.maxIterations) {
      return { done: true, result: { labels, centroids: denormalize(this.nz, next), iterations: this.iteration, converged: shift <= this.tolerance } };
    }
    const out: Uint8Array[] = [];
    if (this.mode === "owner") {
      for (const c of next) out.push(this.keys.encryptToBytes(replicateRow(c, l)));
    } else {
      const counts = new Array<number>(k).fill(0);
      for (const x of labels) counts[x]++;
      for (let j = 0; j < k; j++) {
        for (let b = 0; b < l.blocks; b++) {
          const mask = new Float64Array(l.slots);
          const rows = rowsInBlock(l, b);
          for (let r = 0; r < rows; r++) {
            if (labels[b * l.rowsPerCt + r] !== j) continue;
            for (let z = 0; z < l.a; z++) mask[r * l.stride + z] = 1 / counts[j];
          }
          out.push(this.keys.encryptToBytes(mask));
        }
      }
      for (let j = 0; j < k; j++) out.push(this.keys.encryptToBytes(counts[j] === 0 ? replicateRow(prev[j], l) : new Float64Array(0)));
    }
    const header2: UpdateHeader = { step: "skmeans-ckks/update", iteration: this.iteration, mode: this.mode };
    return { done: false, toWorker: encodeMessage(header2, out), iteration: this.iteration };
  }

  dispose(): void {
    this.keys.dispose();
  }
}

export class SkmeansCkksWorker {
  private iteration = 0;
  private lowD: Ciphertext[] | undefined;
  private constructor(
    private readonly keys: CkksWorker,
    private readonly layout: RowLayout,
    private readonly k: number,
    private readonly mode: CentroidUpdate,
    private readonly D: Ciphertext[],
    private C: Ciphertext[],
  ) {}

  static async fromSetup(setup: Uint8Array): Promise<SkmeansCkksWorker> {
    const { header, frames } = decodeMessage<SetupHeader>(setup, "skmeans-ckks/setup");
    const { layout, k, mode } = header;
    if (frames.length !== 1 + layout.blocks + k) throw new Error(`skmeans-ckks setup: ${frames.length} frames, expected ${1 + layout.blocks + k}`);
    const keys = await CkksWorker.fromBundle(frames[0]);
    keys.assertNoSecretKey();
    checkLayout(layout, keys.slots, "skmeans-ckks setup");
    const loaded: Ciphertext[] = [];
    try {
      for (const f of frames.slice(1)) loaded.push(keys.load(f));
    } catch (e) {
      for (const c of loaded) c.delete();
      keys.dispose();
      throw e;
    }
    return new SkmeansCkksWorker(keys, layout, k, mode, loaded.slice(0, layout.blocks), loaded.slice(layout.blocks));
  }

  /**
   * A restarted worker: rebuilt from the setup and the last update it received (the update's
   * computation is deterministic given both), it returns that round's distances again.
   */
  static async resume(setup: Uint8Array, lastUpdate?: Uint8Array): Promise<{ worker: SkmeansCkksWorker; distances: Uint8Array }> {
    const worker = await SkmeansCkksWorker.fromSetup(setup);
    if (!lastUpdate) return { worker, distances: worker.distances() };
    const { header } = decodeMessage<UpdateHeader>(lastUpdate, "skmeans-ckks/update");
    worker.iteration = header.iteration - 1;
    return { worker, distances: worker.step(lastUpdate) };
  }

  /** Enc(D_b) at the centroids' level (computed once; mod switching is not free). */
  private dataAtLevel(level: number): Ciphertext[] {
    if (this.D[0].coeffModulusSize() === level) return this.D;
    if (this.lowD && this.lowD[0].coeffModulusSize() === level) return this.lowD;
    for (const c of this.lowD ?? []) c.delete();
    this.lowD = this.D.map((d) => {
      const c = d.copy();
      while (c.coeffModulusSize() > level) this.keys.ctx.evaluator.cipherModSwitchToNextInplace(c);
      return c;
    });
    return this.lowD;
  }

  /** Squared slot-wise differences of every block to every current centroid. */
  distances(): Uint8Array {
    const l = this.layout;
    const D = this.dataAtLevel(this.C[0].coeffModulusSize());
    const frames: Uint8Array[] = [];
    for (let j = 0; j < this.k; j++) for (let b = 0; b < l.blocks; b++) frames.push(squaredDiffBytes(this.keys, D[b], this.C[j]));
    const header: DistHeader = { step: "skmeans-ckks/distances", iteration: this.iteration, k: this.k, blocks: l.blocks };
    return encodeMessage(header, frames);
  }

  /** Applies the owner's update (new encrypted centroids, or encrypted masks to average with) and returns the next distances. */
  step(update: Uint8Array): Uint8Array {
    const { header, frames } = decodeMessage<UpdateHeader>(update, "skmeans-ckks/update");
    const l = this.layout;
    if (header.iteration !== this.iteration + 1 || header.mode !== this.mode) {
      throw new Error(`skmeans-ckks worker: update is for iteration ${header.iteration} (${header.mode}); expected ${this.iteration + 1} (${this.mode})`);
    }
    const expect = this.mode === "owner" ? this.k : this.k * l.blocks + this.k;
    if (frames.length !== expect) throw new Error(`skmeans-ckks worker: update has ${frames.length} ciphertexts, expected ${expect}`);
    const next: Ciphertext[] = [];
    try {
      if (this.mode === "owner") {
        for (const f of frames) next.push(this.keys.load(f));
      } else {
        for (let j = 0; j < this.k; j++) next.push(this.averaged(frames.slice(j * l.blocks, (j + 1) * l.blocks), frames[this.k * l.blocks + j]));
      }
    } catch (e) {
      for (const c of next) c.delete();
      throw e;
    }
    for (const c of this.C) c.delete();
    this.C = next;
    this.iteration = header.iteration;
    return this.distances();
  }

  private averaged(maskBytes: Uint8Array[], keepBytes: Uint8Array): Ciphertext {
    const ev = this.keys;
    const l = this.layout;
    let acc: Ciphertext | undefined;
    for (let b = 0; b < l.blocks; b++) {
      const m = ev.load(maskBytes[b]);
      try {
        const p = ev.multiply(this.D[b], m, { relinearize: false, rescale: false });
        if (!acc) acc = p;
        else {
          ev.addInPlace(acc, p);
          p.delete();
        }
      } finally {
        m.delete();
      }
    }
    const sum = acc!;
    ev.finishProduct(sum);
    const rep = ev.rotateSum(sum, l.stride, l.slots / l.stride);
    sum.delete();
    const keep = ev.load(keepBytes);
    try {
      const out = ev.add(rep, keep);
      return out;
    } finally {
      keep.delete();
      rep.delete();
    }
  }

  get iterationsDone(): number {
    return this.iteration;
  }

  dispose(): void {
    for (const c of [...this.D, ...this.C, ...(this.lowD ?? [])]) c.delete();
    this.keys.dispose();
  }
}

/** All steps in one process (tests, benchmarks); the runtime runs the same steps as task rounds. */
export async function runSkmeansCkks(X: Matrix, initialCentroids: Matrix, opts: SkmeansCkksOptions = {}): Promise<KMeansResult & { bytesToWorker: number; bytesToOwner: number }> {
  const { owner, setup } = await SkmeansCkksOwner.start(X, initialCentroids, opts);
  const worker = await SkmeansCkksWorker.fromSetup(setup);
  let toWorker = setup.length;
  let toOwner = 0;
  try {
    let dist = worker.distances();
    for (;;) {
      toOwner += dist.length;
      const r = owner.step(dist);
      if (r.done) return { ...r.result, bytesToWorker: toWorker, bytesToOwner: toOwner };
      toWorker += r.toWorker.length;
      dist = worker.step(r.toWorker);
    }
  } finally {
    worker.dispose();
    owner.dispose();
  }
}
