/**
 * SKNN (1-NN), legacy variant: Liu's scheme as Rory runs it.
 *
 * train (owner → worker): Liu(M) and the model labels IN PLAINTEXT (as Rory stores them).
 * query (owner → worker): Liu(X).
 * worker: Dist[i][j] = Σ_z abs(E(X_iz) − E(M_jz)) (component-wise abs; decrypts to the L1
 *   distance only because Liu leaks magnitudes, see crypto/liu.ts) → owner.
 * owner: decrypts, argmin per test row → indices IN PLAINTEXT → worker, which maps them to labels.
 * LEAKAGE to the worker: the model labels, the nearest-neighbour index of every query (so the
 * predicted labels), and everything Liu leaks (ratios and signs of all values and differences).
 */
import { type LiuKey, liuAbs, liuDecrypt, liuEncrypt, liuKeygen, liuSub, parseLiuCiphertext, serializeLiuCiphertext, type LiuCiphertext } from "../../crypto/liu.js";
import { argmin } from "../baseline.js";
import { checkMatrix, type Matrix } from "../matrix.js";
import { decodeMessage, encodeMessage } from "../wire.js";

interface TrainHeader {
  step: "sknn-legacy/train";
  rows: number;
  a: number;
  labels: number[];
}
interface QueryHeader {
  step: "sknn-legacy/query";
  rows: number;
}
interface DistHeader {
  step: "sknn-legacy/distances";
  rows: number;
  model: number;
}
interface IndexHeader {
  step: "sknn-legacy/indices";
  indices: number[];
}

function flatten(X: Matrix): Float64Array {
  const a = X[0].length;
  const f = new Float64Array(X.length * a);
  X.forEach((r, i) => r.forEach((v, z) => (f[i * a + z] = v)));
  return f;
}

export class SknnLegacyOwner {
  private constructor(
    private readonly key: LiuKey,
    private readonly a: number,
  ) {}

  static train(M: Matrix, labels: readonly number[], opts: { securityLevel?: 128 | 192 | 256 } = {}): { owner: SknnLegacyOwner; train: Uint8Array } {
    checkMatrix("model", M);
    if (!Array.isArray(labels) || labels.length !== M.length) throw new Error(`labels: need one label per model row (${M.length})`);
    const key = liuKeygen({ securityLevel: opts.securityLevel ?? 128 });
    const header: TrainHeader = { step: "sknn-legacy/train", rows: M.length, a: M[0].length, labels: [...(labels as readonly number[])] };
    return { owner: new SknnLegacyOwner(key, M[0].length), train: encodeMessage(header, [serializeLiuCiphertext(liuEncrypt(key, flatten(M)))]) };
  }

  query(X: Matrix): Uint8Array {
    checkMatrix("test", X, { cols: this.a });
    return encodeMessage<QueryHeader>({ step: "sknn-legacy/query", rows: X.length }, [serializeLiuCiphertext(liuEncrypt(this.key, flatten(X)))]);
  }

  indices(distances: Uint8Array): Uint8Array {
    const { header, frames } = decodeMessage<DistHeader>(distances, "sknn-legacy/distances");
    const d = liuDecrypt(this.key, parseLiuCiphertext(frames[0]));
    if (d.length !== header.rows * header.model) throw new Error("sknn-legacy: distance count does not match rows × model");
    const indices: number[] = [];
    for (let i = 0; i < header.rows; i++) indices.push(argmin(d.subarray(i * header.model, (i + 1) * header.model)));
    return encodeMessage<IndexHeader>({ step: "sknn-legacy/indices", indices }, []);
  }
}

export class SknnLegacyWorker {
  private constructor(
    private readonly h: TrainHeader,
    private readonly M: LiuCiphertext,
  ) {}

  static fromTrain(train: Uint8Array): SknnLegacyWorker {
    const { header, frames } = decodeMessage<TrainHeader>(train, "sknn-legacy/train");
    const M = parseLiuCiphertext(frames[0]);
    if (M.length !== header.rows * header.a) throw new Error("sknn-legacy train: model size does not match the header");
    return new SknnLegacyWorker(header, M);
  }

  distances(query: Uint8Array): Uint8Array {
    const { header, frames } = decodeMessage<QueryHeader>(query, "sknn-legacy/query");
    const Q = parseLiuCiphertext(frames[0]);
    const { a, rows: model } = this.h;
    const m = Q.m;
    if (m !== this.M.m || Q.length !== header.rows * a) throw new Error("sknn-legacy worker: query does not match the model's key or dimension");
    const out = new Float64Array(header.rows * model * m);
    for (let i = 0; i < header.rows; i++) {
      const qi: LiuCiphertext = { m, length: a, data: Q.data.subarray(i * a * m, (i + 1) * a * m) };
      for (let j = 0; j < model; j++) {
        const mj: LiuCiphertext = { m, length: a, data: this.M.data.subarray(j * a * m, (j + 1) * a * m) };
        const ad = liuAbs(liuSub(qi, mj)).data;
        const at = (i * model + j) * m;
        for (let z = 0; z < a; z++) for (let c = 0; c < m; c++) out[at + c] += ad[z * m + c];
      }
    }
    return encodeMessage<DistHeader>({ step: "sknn-legacy/distances", rows: header.rows, model }, [serializeLiuCiphertext({ m, length: header.rows * model, data: out })]);
  }

  labels(indices: Uint8Array): number[] {
    const { header } = decodeMessage<IndexHeader>(indices, "sknn-legacy/indices");
    return header.indices.map((i) => {
      if (!Number.isInteger(i) || i < 0 || i >= this.h.rows) throw new Error(`sknn-legacy worker: index ${i} is not a model row`);
      return this.h.labels[i];
    });
  }
}

export function runSknnLegacy(M: Matrix, labels: readonly number[], X: Matrix): number[] {
  const { owner, train } = SknnLegacyOwner.train(M, labels);
  const worker = SknnLegacyWorker.fromTrain(train);
  return worker.labels(owner.indices(worker.distances(owner.query(X))));
}
