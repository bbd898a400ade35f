/**
 * SKMeans and DBSKMeans, legacy variant: Liu's scheme + the updatable distance matrix (UDM), as
 * Rory runs them (kept for comparison and compatibility; not the default).
 *
 * Setup (owner → worker): E = Liu(D) (n×a), the UDM U[x,y,z] = D[x,z] − D[y,z] (n×n×a) — in
 * plaintext for SKMeans, FDH-OPE-encrypted for DBSKMeans — and the initial centroid rows
 * (default: the first k rows, as Rory).
 * Worker step A: U'[x,y] = D[x] − c_y; label x by argmin_y Σ_z |U'[x,y,z]| (L1); encrypted
 *   centroids = mean of member ciphertexts (add + scalar multiply; an empty cluster keeps its
 *   centroid); S_enc = C_old − C_new → owner, with the labels.
 * Owner: stops at maxIterations; otherwise decrypts S_enc and returns S (plaintext for SKMeans,
 *   FDH-OPE(S) for DBSKMeans).
 * Worker step B: converged if the mean relative error between old and new centroid ciphertexts
 *   ≤ 0.015 (Rory's test, on ciphertexts); else U'[x,y,:] += S[y,:] and step A again.
 *
 * LEAKAGE to the worker (why this is legacy): the plaintext UDM gives D up to a translation (one
 * row of U is D − D[y]); with FDH-OPE it still gives the order of every coordinate difference and
 * a coarse histogram; Liu ciphertexts reveal plaintext ratios and signs (see crypto/liu.ts); the
 * worker sees every label, every cluster size and every shift S in plaintext (SKMeans). FDH-OPE is
 * not additive, so DBSKMeans's U' += OPE(S) is approximate and its labels can drift from SKMeans's.
 * Storage is n²·a doubles: `maxRows` (default 3000, 216 MB at a = 3) refuses larger inputs.
 */
import { type FdhOpeKey, fdhOpeEncrypt, fdhOpeKeygen } from "../../crypto/fdhope.js";
import { type LiuCiphertext, type LiuKey, liuAdd, liuDecrypt, liuEncrypt, liuKeygen, liuScale, liuSub, parseLiuCiphertext, serializeLiuCiphertext } from "../../crypto/liu.js";
import { argmin } from "../baseline.js";
import { checkK, checkMatrix, type Matrix } from "../matrix.js";
import { bytesF64, decodeMessage, encodeMessage, f64Bytes } from "../wire.js";

export interface SkmeansLegacyOptions {
  k: number;
  /** Initial centroid row indices (default 0..k−1, as Rory). */
  initialIndices?: number[];
  maxIterations?: number;
  securityLevel?: 128 | 192 | 256;
  /** DBSKMeans: FDH-OPE-encrypt the UDM and the shifts. */
  ope?: boolean;
  maxRows?: number;
  /** Rory's convergence threshold on the ciphertexts' mean relative error. */
  convergence?: number;
}

interface SetupHeader {
  step: "skmeans-legacy/setup";
  n: number;
  a: number;
  k: number;
  m: number;
  init: number[];
  ope: boolean;
  convergence: number;
}
interface ShiftHeader {
  step: "skmeans-legacy/shift";
  iteration: number;
  converged: boolean;
  labels: number[];
}
interface SHeader {
  step: "skmeans-legacy/s";
  iteration: number;
}

export interface LegacyKMeansResult {
  labels: number[];
  iterations: number;
  converged: boolean;
}

export type LegacyOwnerStep = { done: false; toWorker: Uint8Array } | { done: true; result: LegacyKMeansResult };

export class SkmeansLegacyOwner {
  private iteration = 0;
  private constructor(
    private readonly key: LiuKey,
    private readonly ope: FdhOpeKey | undefined,
    private readonly k: number,
    private readonly a: number,
    private readonly maxIterations: number,
  ) {}

  static start(X: Matrix, opts: SkmeansLegacyOptions): { owner: SkmeansLegacyOwner; setup: Uint8Array } {
    checkMatrix("X", X);
    checkK(opts.k, X.length);
    const n = X.length;
    const a = X[0].length;
    const maxRows = opts.maxRows ?? 3000;
    if (n > maxRows)
      throw new Error(`X: ${n} rows exceed maxRows ${maxRows}; the legacy UDM holds n²·a doubles (${((n * n * a * 8) / 1e9).toFixed(1)} GB here). Use the ckks variant`);
    const init = opts.initialIndices ?? Array.from({ length: opts.k }, (_, i) => i);
    if (init.length !== opts.k || init.some((i) => !Number.isInteger(i) || i < 0 || i >= n)) throw new Error(`initialIndices: need ${opts.k} row indices in [0, ${n})`);
    const maxIterations = opts.maxIterations ?? 10;
    if (!Number.isInteger(maxIterations) || maxIterations < 1) throw new Error(`maxIterations: must be a positive integer, got ${maxIterations}`);
    const key = liuKeygen({ securityLevel: opts.securityLevel ?? 128 });
    const flat = new Float64Array(n * a);
    X.forEach((r, i) => r.forEach((v, z) => (flat[i * a + z] = v)));
    const E = liuEncrypt(key, flat);
    const U = new Float64Array(n * n * a);
    for (let x = 0; x < n; x++) for (let y = 0; y < n; y++) for (let z = 0; z < a; z++) U[(x * n + y) * a + z] = X[x][z] - X[y][z];
    let opeKey: FdhOpeKey | undefined;
    let Uout: Float64Array = U;
    if (opts.ope) {
      opeKey = fdhOpeKeygen(U);
      Uout = fdhOpeEncrypt(opeKey, U, 1e-8);
    }
    const header: SetupHeader = { step: "skmeans-legacy/setup", n, a, k: opts.k, m: key.m, init, ope: !!opts.ope, convergence: opts.convergence ?? 0.015 };
    return { owner: new SkmeansLegacyOwner(key, opeKey, opts.k, a, maxIterations), setup: encodeMessage(header, [serializeLiuCiphertext(E), f64Bytes(Uout)]) };
  }

  step(msg: Uint8Array): LegacyOwnerStep {
    const { header, frames } = decodeMessage<ShiftHeader>(msg, "skmeans-legacy/shift");
    if (header.iteration !== this.iteration + 1) throw new Error(`skmeans-legacy: shift for iteration ${header.iteration}, expected ${this.iteration + 1}`);
    this.iteration = header.iteration;
    if (header.converged || this.iteration >= this.maxIterations) {
      return { done: true, result: { labels: header.labels, iterations: header.converged ? this.iteration - 1 : this.iteration, converged: header.converged } };
    }
    const S = liuDecrypt(this.key, parseLiuCiphertext(frames[0]));
    if (S.length !== this.k * this.a) throw new Error(`skmeans-legacy: shift has ${S.length} values, expected k·a = ${this.k * this.a}`);
    const out = this.ope ? fdhOpeEncrypt(this.ope, S, 1e-8) : S;
    return { done: false, toWorker: encodeMessage<SHeader>({ step: "skmeans-legacy/s", iteration: this.iteration }, [f64Bytes(out)]) };
  }
}

export class SkmeansLegacyWorker {
  private iteration = 0;
  private readonly Up: Float64Array; // n×k×a: D[x] − c_y (or its FDH-OPE image)
  private C: LiuCiphertext; // k×a
  private Cnew: LiuCiphertext | undefined;
  private labels: number[] = [];

  private constructor(
    private readonly h: SetupHeader,
    private readonly E: LiuCiphertext,
    U: Float64Array,
  ) {
    const { n, a, k, m, init } = h;
    this.Up = new Float64Array(n * k * a);
    for (let x = 0; x < n; x++) for (let y = 0; y < k; y++) for (let z = 0; z < a; z++) this.Up[(x * k + y) * a + z] = U[(x * n + init[y]) * a + z];
    const data = new Float64Array(k * a * m);
    init.forEach((row, y) => data.set(E.data.subarray(row * a * m, (row + 1) * a * m), y * a * m));
    this.C = { m, length: k * a, data };
  }

  static fromSetup(setup: Uint8Array): SkmeansLegacyWorker {
    const { header, frames } = decodeMessage<SetupHeader>(setup, "skmeans-legacy/setup");
    const E = parseLiuCiphertext(frames[0]);
    const U = bytesF64(frames[1]);
    if (E.length !== header.n * header.a || U.length !== header.n * header.n * header.a) throw new Error("skmeans-legacy setup: sizes do not match the header");
    return new SkmeansLegacyWorker(header, E, U);
  }

  /** Step A: label by L1 over U', average member ciphertexts, return S_enc = C_old − C_new. */
  assign(): Uint8Array {
    const { n, a, k, m } = this.h;
    const labels = new Array<number>(n);
    const d = new Float64Array(k);
    for (let x = 0; x < n; x++) {
      for (let y = 0; y < k; y++) {
        let s = 0;
        for (let z = 0; z < a; z++) s += Math.abs(this.Up[(x * k + y) * a + z]);
        d[y] = s;
      }
      labels[x] = argmin(d);
    }
    this.labels = labels;
    const data = new Float64Array(k * a * m);
    for (let y = 0; y < k; y++) {
      const members = labels.flatMap((l, x) => (l === y ? [x] : []));
      let acc: LiuCiphertext | undefined;
      for (const x of members) {
        const row: LiuCiphertext = { m, length: a, data: this.E.data.subarray(x * a * m, (x + 1) * a * m) };
        acc = acc ? liuAdd(acc, row) : { m, length: a, data: Float64Array.from(row.data) };
      }
      const mean = acc ? liuScale(acc, 1 / members.length) : { m, length: a, data: this.C.data.slice(y * a * m, (y + 1) * a * m) };
      data.set(mean.data, y * a * m);
    }
    this.Cnew = { m, length: k * a, data };
    this.iteration++;
    const S = liuSub(this.C, this.Cnew);
    return encodeMessage<ShiftHeader>({ step: "skmeans-legacy/shift", iteration: this.iteration, converged: false, labels }, [serializeLiuCiphertext(S)]);
  }

  /** Step B (Rory's convergence test, then U' += S) followed by step A; or a "converged" reply. */
  step(msg: Uint8Array): Uint8Array {
    const { header, frames } = decodeMessage<SHeader>(msg, "skmeans-legacy/s");
    if (header.iteration !== this.iteration || !this.Cnew) throw new Error(`skmeans-legacy worker: S for iteration ${header.iteration}, expected ${this.iteration}`);
    const S = bytesF64(frames[0]);
    const { n, a, k } = this.h;
    if (S.length !== k * a) throw new Error(`skmeans-legacy worker: S has ${S.length} values, expected ${k * a}`);
    let err = 0;
    for (let i = 0; i < this.C.data.length; i++) {
      const o = this.C.data[i];
      err += o === 0 ? Math.abs(this.Cnew.data[i]) : Math.abs((o - this.Cnew.data[i]) / o);
    }
    err /= this.C.data.length;
    if (err <= this.h.convergence) {
      return encodeMessage<ShiftHeader>({ step: "skmeans-legacy/shift", iteration: this.iteration + 1, converged: true, labels: this.labels }, []);
    }
    for (let x = 0; x < n; x++) for (let y = 0; y < k; y++) for (let z = 0; z < a; z++) this.Up[(x * k + y) * a + z] += S[y * a + z];
    this.C = this.Cnew;
    return this.assign();
  }
}

export function runSkmeansLegacy(X: Matrix, opts: SkmeansLegacyOptions): LegacyKMeansResult {
  const { owner, setup } = SkmeansLegacyOwner.start(X, opts);
  const worker = SkmeansLegacyWorker.fromSetup(setup);
  let msg = worker.assign();
  for (;;) {
    const r = owner.step(msg);
    if (r.done) return r.result;
    msg = worker.step(r.toWorker);
  }
}

export function runDbskmeansLegacy(X: Matrix, opts: SkmeansLegacyOptions): LegacyKMeansResult {
  return runSkmeansLegacy(X, { ...opts, ope: true });
}
