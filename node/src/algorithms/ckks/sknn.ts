/**
 * SKNN (1-NN) over CKKS, in which the worker learns nothing but sizes.
 *
 * Messages:
 *   owner.train(M, labels)  → train   : worker keys, Enc(M) in row blocks. The labels stay with the
 *                                        owner (Rory stores them in plaintext at the worker).
 *   owner.query(X)          → query   : Enc(x_i) replicated over all row positions, one per test row
 *   worker.distances(query) → distances: Enc((M_b − x_i)²) slot-wise for every test row i, block b
 *   owner.labels(distances) → decrypts, sums each model row's slots, argmin → label (owner side)
 *
 * What each party learns:
 *   worker: model size, number of attributes, number of test rows, message sizes; only ciphertexts
 *           under the owner's key; no labels, no indices, no distances. No secret key.
 *   owner:  the squared distances of each test row to each model row (its own model and queries).
 * Ties (equal distances, e.g. duplicate rows) go to the smallest model index, as in the plaintext
 * baseline; distances within 1e-6 (normalised units) of the minimum count as ties, since CKKS
 * noise is ~1e-7 there.
 */
import type { Ciphertext } from "node-seal";
import { CkksOwner, CkksWorker, type CkksPresetName, getCkksContext } from "../../crypto/ckks/index.js";
import { checkMatrix, fitNormalizer, type Matrix, normalize, type Normalizer } from "../matrix.js";
import { checkLayout, layoutHeader, packBlock, replicateRow, type RowLayout, rowLayout, rowSums, rowsInBlock, squaredDiffBytes } from "./layout.js";
import { decodeMessage, encodeMessage } from "../wire.js";

const TIE = 1e-6;

interface TrainHeader {
  step: "sknn-ckks/train";
  layout: RowLayout;
}
interface QueryHeader {
  step: "sknn-ckks/query";
  queryId: number;
  rows: number;
}
interface DistHeader {
  step: "sknn-ckks/distances";
  queryId: number;
  rows: number;
  blocks: number;
}
interface SnapshotHeader {
  step: "sknn-ckks/owner-state";
  nz: Normalizer;
  labels: number[];
  layout: RowLayout;
  nextQuery: number;
  pending: [number, number][];
}

export class SknnCkksOwner {
  private nextQuery = 0;
  private pending = new Map<number, number>();
  private constructor(
    private readonly keys: CkksOwner,
    private readonly nz: Normalizer,
    private readonly labelsOf: readonly number[],
    private readonly layout: RowLayout,
  ) {}

  static async train(M: Matrix, labels: readonly number[], opts: { preset?: CkksPresetName } = {}): Promise<{ owner: SknnCkksOwner; train: Uint8Array }> {
    checkMatrix("model", M);
    if (!Array.isArray(labels) || labels.length !== M.length)
      throw new Error(`labels: need one label per model row (${M.length}), got ${Array.isArray(labels) ? labels.length : typeof labels}`);
    if (labels.some((l) => !Number.isInteger(l))) throw new Error("labels: must be integers");
    const { slots } = await getCkksContext(opts.preset ?? 128);
    const layout = rowLayout(M.length, M[0].length, slots);
    const nz = fitNormalizer(M);
    const Mn = normalize(nz, M);
    const keys = await CkksOwner.generate({ preset: opts.preset ?? 128 });
    const frames = [keys.workerKeys()];
    for (let b = 0; b < layout.blocks; b++) frames.push(keys.encryptToBytes(packBlock(Mn, layout, b)));
    const header: TrainHeader = { step: "sknn-ckks/train", layout: layoutHeader(layout) };
    return { owner: new SknnCkksOwner(keys, nz, [...(labels as readonly number[])], layout), train: encodeMessage(header, frames) };
  }

  query(X: Matrix): Uint8Array {
    checkMatrix("test", X, { cols: this.layout.a });
    const Xn = normalize(this.nz, X);
    if (Xn.some((r) => r.some((v) => Math.abs(v) > 64)))
      throw new Error("test: values lie far outside the model's range (beyond CKKS's safe range); check the attribute order and units");
    const id = this.nextQuery++;
    this.pending.set(id, X.length);
    const frames = Xn.map((r) => this.keys.encryptToBytes(replicateRow(r, this.layout)));
    return encodeMessage<QueryHeader>({ step: "sknn-ckks/query", queryId: id, rows: X.length }, frames);
  }

  labels(distances: Uint8Array): number[] {
    const { header, frames } = decodeMessage<DistHeader>(distances, "sknn-ckks/distances");
    const rows = this.pending.get(header.queryId);
    const l = this.layout;
    if (rows === undefined) throw new Error(`sknn-ckks: no pending query ${header.queryId}`);
    if (header.rows !== rows || frames.length !== rows * l.blocks)
      throw new Error(`sknn-ckks: distances for query ${header.queryId} have ${frames.length} ciphertexts, expected ${rows * l.blocks}`);
    const out: number[] = [];
    for (let i = 0; i < rows; i++) {
      const d = new Float64Array(l.n);
      for (let b = 0; b < l.blocks; b++) d.set(rowSums(this.keys, frames[i * l.blocks + b], l, rowsInBlock(l, b)), b * l.rowsPerCt);
      let min = Infinity;
      for (const v of d) min = Math.min(min, v);
      const best = d.findIndex((v) => v <= min + TIE);
      out.push(this.labelsOf[best]);
    }
    this.pending.delete(header.queryId);
    return out;
  }

  /** Owner state for its own storage (holds the SECRET KEY and the labels; never send it). */
  snapshot(): Uint8Array {
    const header: SnapshotHeader = {
      step: "sknn-ckks/owner-state",
      nz: this.nz,
      labels: [...this.labelsOf],
      layout: this.layout,
      nextQuery: this.nextQuery,
      pending: [...this.pending],
    };
    return encodeMessage(header, [this.keys.exportSecret()]);
  }

  static async restore(bytes: Uint8Array): Promise<SknnCkksOwner> {
    const { header: h, frames } = decodeMessage<SnapshotHeader>(bytes, "sknn-ckks/owner-state");
    const owner = new SknnCkksOwner(await CkksOwner.importSecret(frames[0]), h.nz, h.labels, h.layout);
    owner.nextQuery = h.nextQuery;
    owner.pending = new Map(h.pending);
    return owner;
  }

  dispose(): void {
    this.keys.dispose();
  }
}

export class SknnCkksWorker {
  private constructor(
    private readonly keys: CkksWorker,
    private readonly layout: RowLayout,
    private readonly M: Ciphertext[],
  ) {}

  static async fromTrain(train: Uint8Array): Promise<SknnCkksWorker> {
    const { header, frames } = decodeMessage<TrainHeader>(train, "sknn-ckks/train");
    const keys = await CkksWorker.fromBundle(frames[0]);
    keys.assertNoSecretKey();
    checkLayout(header.layout, keys.slots, "sknn-ckks train");
    if (frames.length !== 1 + header.layout.blocks) throw new Error(`sknn-ckks train: ${frames.length - 1} model blocks, expected ${header.layout.blocks}`);
    const M: Ciphertext[] = [];
    try {
      for (const f of frames.slice(1)) M.push(keys.load(f));
    } catch (e) {
      for (const c of M) c.delete();
      keys.dispose();
      throw e;
    }
    return new SknnCkksWorker(keys, header.layout, M);
  }

  distances(query: Uint8Array): Uint8Array {
    const { header, frames } = decodeMessage<QueryHeader>(query, "sknn-ckks/query");
    if (frames.length !== header.rows) throw new Error(`sknn-ckks worker: query says ${header.rows} rows but carries ${frames.length}`);
    const xs: Ciphertext[] = [];
    try {
      for (const f of frames) xs.push(this.keys.load(f));
      const out: Uint8Array[] = [];
      for (const x of xs) for (const m of this.M) out.push(squaredDiffBytes(this.keys, m, x));
      return encodeMessage<DistHeader>({ step: "sknn-ckks/distances", queryId: header.queryId, rows: header.rows, blocks: this.layout.blocks }, out);
    } finally {
      for (const x of xs) x.delete();
    }
  }

  dispose(): void {
    for (const c of this.M) c.delete();
    this.keys.dispose();
  }
}

export async function runSknnCkks(M: Matrix, labels: readonly number[], X: Matrix, opts: { preset?: CkksPresetName } = {}): Promise<number[]> {
  const { owner, train } = await SknnCkksOwner.train(M, labels, opts);
  try {
    const q = owner.query(X);
    const worker = await SknnCkksWorker.fromTrain(train);
    try {
      return owner.labels(worker.distances(q));
    } finally {
      worker.dispose();
    }
  } finally {
    owner.dispose();
  }
}
