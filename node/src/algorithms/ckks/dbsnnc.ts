/**
 * DBSNNC over CKKS: the worker computes every pairwise squared distance on ciphertexts; the owner
 * decrypts them and runs the one-pass nearest-neighbour clustering. The worker learns only sizes.
 *
 * Layout: each block holds its rows twice, back to back, so rotating by t·A (one Galois key, step
 * A, applied repeatedly) lines row i up with row (i + t) mod rows. For a block with itself,
 * t = 1..⌊rows/2⌋ covers every pair; for two blocks, the larger is rotated t = 0..rows−1.
 * Cost: ~n²/(2R) ciphertext multiplies and rotations (R = slots/(2A) rows per block), so it is
 * quadratic in n like Rory's distance matrix, but the matrix never exists in plaintext outside
 * the owner.
 *
 * Messages: owner.start(X) → setup (worker keys with one Galois key, Enc(blocks));
 * worker.distances() → Enc((B_b − rot(B_c, tA))²) for all needed (b, c, t); owner.finish(...) → labels.
 * Worker learns: n, a, message sizes. Owner learns: its own pairwise distances.
 * Distances are squared Euclidean; the threshold τ (default: the smallest non-zero distance, as in
 * Rory) is in squared original units. Near-ties within 1e-6 (normalised) are treated as ties so
 * that CKKS noise does not split rows the plaintext run keeps together.
 */
import type { Ciphertext } from "node-seal";
import { CkksOwner, CkksWorker, type CkksPresetName, getCkksContext } from "../../crypto/ckks/index.js";
import { checkMatrix, fitNormalizer, type Matrix, normalize } from "../matrix.js";
import { checkLayout, layoutHeader, packBlock, type RowLayout, rowLayout, rowSums, rowsInBlock, squaredDiffBytes } from "./layout.js";
import { decodeMessage, encodeMessage } from "../wire.js";

const EPS = 1e-6;

interface SetupHeader {
  step: "dbsnnc-ckks/setup";
  layout: RowLayout;
}
interface DistHeader {
  step: "dbsnnc-ckks/distances";
  pairs: [number, number, number][];
}

/** Which (small block, big block, shift) products the worker computes, in order. */
function plan(l: RowLayout): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let c = 0; c < l.blocks; c++) {
    const nc = rowsInBlock(l, c);
    for (let t = 1; t <= Math.floor(nc / 2); t++) out.push([c, c, t]);
    for (let b = c + 1; b < l.blocks; b++) {
      // blocks are full except the last, so c (earlier) has at least as many rows as b
      for (let t = 0; t < nc; t++) out.push([b, c, t]);
    }
  }
  return out;
}

export class DbsnncCkksOwner {
  private constructor(
    private readonly keys: CkksOwner,
    private readonly layout: RowLayout,
    private readonly scale2: number,
    private readonly threshold: number | undefined,
  ) {}

  static async start(X: Matrix, opts: { threshold?: number; preset?: CkksPresetName; maxRows?: number } = {}): Promise<{ owner: DbsnncCkksOwner; setup: Uint8Array }> {
    checkMatrix("X", X);
    const maxRows = opts.maxRows ?? 5000;
    if (X.length > maxRows) throw new Error(`X: ${X.length} rows exceed maxRows ${maxRows}; DBSNNC computes all n² distances, raise maxRows deliberately`);
    if (opts.threshold !== undefined && !(opts.threshold >= 0)) throw new Error("threshold: must be a number ≥ 0 (squared distance)");
    const { slots } = await getCkksContext(opts.preset ?? 128);
    const layout = rowLayout(X.length, X[0].length, slots, true);
    const nz = fitNormalizer(X);
    const Xn = normalize(nz, X);
    const keys = await CkksOwner.generate({ preset: opts.preset ?? 128, rotationSteps: [layout.stride] });
    const frames = [keys.workerKeys()];
    for (let b = 0; b < layout.blocks; b++) frames.push(keys.encryptToBytes(packBlock(Xn, layout, b, true)));
    const owner = new DbsnncCkksOwner(keys, layout, nz.scale * nz.scale, opts.threshold);
    return { owner, setup: encodeMessage<SetupHeader>({ step: "dbsnnc-ckks/setup", layout: layoutHeader(layout) }, frames) };
  }

  finish(distances: Uint8Array): number[] {
    const { header, frames } = decodeMessage<DistHeader>(distances, "dbsnnc-ckks/distances");
    const l = this.layout;
    const expected = plan(l);
    if (frames.length !== expected.length || JSON.stringify(header.pairs) !== JSON.stringify(expected)) {
      throw new Error(`dbsnnc-ckks: distances message has ${frames.length} ciphertexts, expected ${expected.length}`);
    }
    const n = l.n;
    const Dm = new Float64Array(n * n);
    expected.forEach(([b, c, t], f) => {
      const nb = rowsInBlock(l, b);
      const nc = rowsInBlock(l, c);
      const s = rowSums(this.keys, frames[f], l, nb);
      for (let i = 0; i < nb; i++) {
        const x = b * l.rowsPerCt + i;
        const y = c * l.rowsPerCt + ((i + t) % nc);
        const v = s[i] < EPS ? 0 : s[i];
        Dm[x * n + y] = v;
        Dm[y * n + x] = v;
      }
    });
    let tau = this.threshold === undefined ? undefined : this.threshold / this.scale2;
    if (tau === undefined) {
      tau = Infinity;
      for (const v of Dm) if (v > 0 && v < tau) tau = v;
      if (tau === Infinity) tau = 0;
    }
    const labels = new Array<number>(n).fill(0);
    let clusters = 1;
    for (let r = 1; r < n; r++) {
      let best = 0;
      let bestD = Dm[r * n];
      for (let i = 1; i < r; i++) {
        const d = Dm[r * n + i];
        if (d < bestD - EPS) {
          bestD = d;
          best = i;
        }
      }
      labels[r] = bestD <= tau + EPS ? labels[best] : clusters++;
    }
    return labels;
  }

  dispose(): void {
    this.keys.dispose();
  }
}

export class DbsnncCkksWorker {
  private constructor(
    private readonly keys: CkksWorker,
    private readonly layout: RowLayout,
    private readonly B: Ciphertext[],
  ) {}

  static async fromSetup(setup: Uint8Array): Promise<DbsnncCkksWorker> {
    const { header, frames } = decodeMessage<SetupHeader>(setup, "dbsnnc-ckks/setup");
    const keys = await CkksWorker.fromBundle(frames[0]);
    keys.assertNoSecretKey();
    checkLayout(header.layout, keys.slots, "dbsnnc-ckks setup");
    if (frames.length !== 1 + header.layout.blocks) throw new Error(`dbsnnc-ckks setup: ${frames.length - 1} blocks, expected ${header.layout.blocks}`);
    const B: Ciphertext[] = [];
    try {
      for (const f of frames.slice(1)) B.push(keys.load(f));
    } catch (e) {
      for (const c of B) c.delete();
      keys.dispose();
      throw e;
    }
    return new DbsnncCkksWorker(keys, header.layout, B);
  }

  distances(): Uint8Array {
    const l = this.layout;
    const pairs = plan(l);
    const frames: Uint8Array[] = [];
    for (let c = 0; c < l.blocks; c++) {
      let rot = this.B[c].copy();
      let at = 0;
      const mine = pairs.filter((p) => p[1] === c);
      for (const [b, , t] of mine.sort((p, q) => p[2] - q[2] || p[0] - q[0])) {
        while (at < t) {
          const r = this.keys.rotate(rot, l.stride);
          rot.delete();
          rot = r;
          at++;
        }
        frames.push(squaredDiffBytes(this.keys, this.B[b], rot));
      }
      rot.delete();
    }
    // frames were produced per c sorted by t; reorder to the plan's order
    const order: number[] = [];
    for (let c = 0; c < l.blocks; c++) {
      const idx = pairs
        .map((p, i) => [p, i] as const)
        .filter(([p]) => p[1] === c)
        .sort((x, y) => x[0][2] - y[0][2] || x[0][0] - y[0][0]);
      for (const [, i] of idx) order.push(i);
    }
    const ordered = new Array<Uint8Array>(frames.length);
    order.forEach((planIndex, k) => (ordered[planIndex] = frames[k]));
    return encodeMessage<DistHeader>({ step: "dbsnnc-ckks/distances", pairs }, ordered);
  }

  dispose(): void {
    for (const c of this.B) c.delete();
    this.keys.dispose();
  }
}

export async function runDbsnncCkks(X: Matrix, opts: { threshold?: number; preset?: CkksPresetName; maxRows?: number } = {}): Promise<number[]> {
  const { owner, setup } = await DbsnncCkksOwner.start(X, opts);
  try {
    const worker = await DbsnncCkksWorker.fromSetup(setup);
    try {
      return owner.finish(worker.distances());
    } finally {
      worker.dispose();
    }
  } finally {
    owner.dispose();
  }
}
