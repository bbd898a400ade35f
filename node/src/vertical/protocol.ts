/**
 * Vertical (feature-partitioned) linear regression by gradient descent with Paillier, the
 * fiu-cloud family with its leak removed: no residual, prediction, column or other party's
 * gradient ever travels in plaintext.
 *
 * Parties: the label party `y` (labels only) and feature parties x_1..x_p (columns X_j), rows aligned
 * by a shared id. Everything is done in standardized units (each party centres and scales its own
 * columns; y centres and scales its labels), so the intercept is 0 there and is restored at the end.
 *
 * Why this shape: the gradient of party j is X_jᵀ(Σ_i X_i θ_i − y)/n = (Σ_i G_ji θ_i − X_jᵀ y)/n with
 * G_ji = X_jᵀ X_i. The n-sized inner products are done once, under encryption, and each iteration
 * then costs O(k²) ciphertext operations instead of O(n) encryptions (fiu-cloud re-encrypts the
 * prediction vector every iteration; at 2,048 bits that is ~1 s per 300 rows).
 *
 * Keys: every feature party j owns a Paillier key pair (pk_j published); it alone can decrypt values
 * encrypted under pk_j, and everything encrypted under pk_j is a sum that j is entitled to learn.
 *
 * Tables (write-once; writer → readers):
 *   ids/P         P → all            P's row ids (alignment; no data values)
 *   pk/j          x_j → all          Paillier public key of x_j
 *   enc-x/j       x_j → y, x_i       Enc_j(row r of X_j), standardized fixed point, columns packed
 *   term/t/i->j   x_i → y            Enc_j(G_ji θ_i^(t))     (computed from enc-x/j and X_i, θ_i)
 *   grad/t/j      y → x_j            Enc_j(Σ_{i≠j} G_ji θ_i^(t) − X_jᵀ y)
 *   model/j       x_j → y            θ_j/σ_j and Σ θ_j μ_j/σ_j (the released model)
 * Setup: x_i computes Enc_j(G_ji[:, d]) for each of its columns d by multi-exponentiation of
 * enc-x/j with its own column as exponents; y computes Enc_j(X_jᵀ y) likewise with its labels.
 * Iteration t: x_i sends Enc_j(G_ji θ_i) for every other j; y multiplies them with Enc_j(−X_jᵀ y)
 * and forwards; x_j decrypts, adds its own G_jj θ_j, and steps θ_j ← θ_j − α (G_jj/n)⁻¹ ∇_j + β (θ_j − θ_j^prev)
 * (block-Jacobi preconditioning from its own data, heavy-ball momentum).
 *
 * What each party learns (semi-honest parties, no collusion):
 *   y:   ids; public keys; ciphertexts under the feature parties' keys (nothing, under DCR); at the
 *        end, the model (each party's un-scaled coefficients and offset) — the task's output.
 *   x_i: ids; public keys; ciphertexts of other parties' rows under their keys (nothing); its own
 *        gradient ∇_i^(t) every iteration — as in any gradient-descent protocol (fiu-cloud included):
 *        the first one, at θ = 0, is −X_iᵀy/n (its columns' covariance with the label), later ones
 *        add Σ_j G_ij θ_j (its columns' covariance with the current partial predictions of others).
 *   No party ever receives a ciphertext under its own key except grad/t/itself, whose plaintext is
 *   its own gradient; predictions Xθ and residuals Xθ − y are never formed, in any form.
 * Collusion: y with x_j learns what x_j learns (gradients of j) — no rows of others; x_i with x_j
 * learn both gradients. A malicious party could send wrong terms (integrity is the zk layer's job).
 * Row ids are shared in plaintext (a PSI that hides non-shared ids is out of scope).
 */
import { alignIds, checkIds, type Id } from "./align.js";
import { invMod, multiExp, powMod } from "./bigmath.js";
import {
  FX_BITS, GRAD_BITS, X_OFFSET, Y_OFFSET, encodeLabel, encodeStd, encodeTheta, pack, slotsPerPlaintext, standardize, unpack,
} from "./encoding.js";
import { generateKeyPair, keyPairFromPrimes, publicKeyFromN, type KeyOptions, type PaillierKeyPair, type PaillierPublicKey } from "./paillier-port.js";
import { encryptAll } from "./parallel.js";
import { TableStore, ciphertextTable, readCiphertexts, type TableIO, type TablePayload } from "./tables.js";

export const LABEL = "y";

function chunkCount(k: number, pub: PaillierPublicKey): number {
  return Math.ceil(k / slotsPerPlaintext(pub.bits));
}

function readPk(store: TableIO, party: string, reader: string): PaillierPublicKey {
  const t = store.read(`pk/${party}`, reader);
  if (t.type !== "paillier-pk") throw new Error(`table pk/${party}: expected a Paillier public key`);
  return publicKeyFromN(BigInt(t.n));
}

function readIds(store: TableIO, parties: string[], reader: string): Record<string, string[]> {
  return Object.fromEntries(parties.map((p) => {
    const t = store.read(`ids/${p}`, reader);
    if (t.type !== "ids") throw new Error(`table ids/${p}: expected ids`);
    return [p, t.ids];
  }));
}

/** Enc(Σ_r v_r·m_r) from Enc(m_r) and signed v_r: exponents are shifted by `offset` to be non-negative and the shift removed with Π Enc(m_r). */
function innerProduct(cts: readonly bigint[], v: readonly bigint[], offset: bigint, pub: PaillierPublicKey, prodAll: bigint): bigint {
  const main = multiExp(cts, v.map((x) => x + offset), pub.n2);
  return (main * invMod(powMod(prodAll, offset, pub.n2), pub.n2)) % pub.n2;
}

/** Ciphertexts of chunk c of every row (the table is row-major: row r, chunk c at r·chunks + c). */
function chunkColumn(cts: readonly bigint[], rows: number, chunks: number, c: number): bigint[] {
  const out = new Array<bigint>(rows);
  for (let r = 0; r < rows; r++) out[r] = cts[r * chunks + c];
  return out;
}

function prodAllOf(col: readonly bigint[], n2: bigint): bigint {
  let acc = 1n;
  for (const c of col) acc = (acc * c) % n2;
  return acc;
}

function solve(a: number[][], b: number[]): number[] {
  const k = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < k; c++) {
    let piv = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(m[r][c]) > Math.abs(m[piv][c])) piv = r;
    if (Math.abs(m[piv][c]) < 1e-12) throw new Error("preconditioner: a party's own columns are collinear; drop a redundant column");
    [m[c], m[piv]] = [m[piv], m[c]];
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = m[r][c] / m[c][c];
      for (let j = c; j <= k; j++) m[r][j] -= f * m[c][j];
    }
  }
  return m.map((row, i) => row[k] / row[i]);
}

export interface FeatureInput {
  name: string;
  ids: readonly Id[];
  columns: Record<string, readonly number[]>;
}

export interface FeatureState {
  name: string;
  key?: { p: string; q: string; djnBase?: string; window?: number; fastRandomness?: boolean };
  chunks: number;
  cross: { peer: string; n: string; a: string[][]; aInv: string[][] }[];
  theta: number[];
  prev: number[];
  gradients: number[][];
}

export interface LabelState {
  labelTerms: { party: string; n: string; b: string[] }[];
}

export interface StepOptions {
  learningRate: number;
  momentum: number;
}

export class FeatureParty {
  readonly name: string;
  readonly columnNames: string[];
  private readonly ids: string[];
  private readonly raw: number[][];
  private means: number[] = [];
  private sds: number[] = [];
  /** Aligned, standardized, fixed-point rows. */
  private X: bigint[][] = [];
  private n = 0;
  private key?: PaillierKeyPair;
  private chunks = 0;
  private Gown: number[][] = [];
  /** For each peer j: per own column d, Enc_j(G_j,me[:, d]) per chunk of j, and inverses. */
  private cross = new Map<string, { pub: PaillierPublicKey; a: bigint[][]; aInv: bigint[][] }>();
  theta: number[];
  private prev: number[];
  /** Gradients seen, in standardized units (the party's own knowledge). */
  readonly gradients: number[][] = [];

  constructor(input: FeatureInput) {
    if (typeof input.name !== "string" || !/^[A-Za-z0-9_-]+$/.test(input.name) || input.name === LABEL) {
      throw new Error(`feature party name ${JSON.stringify(input.name)}: use letters, digits, _ or -, and not "${LABEL}" (the label party)`);
    }
    this.name = input.name;
    this.columnNames = Object.keys(input.columns);
    if (this.columnNames.length === 0) throw new Error(`feature party ${this.name}: no columns`);
    this.raw = this.columnNames.map((c) => [...input.columns[c]]);
    for (const [i, col] of this.raw.entries()) {
      if (col.length !== input.ids.length) {
        throw new Error(`feature party ${this.name}: column ${this.columnNames[i]} has ${col.length} rows but there are ${input.ids.length} ids; row counts must match`);
      }
    }
    this.ids = checkIds(this.name, input.ids, this.raw[0].length);
    this.theta = new Array(this.columnNames.length).fill(0);
    this.prev = [...this.theta];
  }

  publishIds(store: TableIO): void {
    store.write(`ids/${this.name}`, this.name, { type: "ids", ids: this.ids });
  }

  /** Align to the common order, then standardize and encode own columns. */
  align(store: TableIO, parties: string[]): void {
    const { rows } = alignIds(readIds(store, parties, this.name));
    const perm = rows[this.name];
    this.n = perm.length;
    const std = this.raw.map((col, c) => standardize(perm.map((r) => col[r]), `${this.name}.${this.columnNames[c]}`));
    this.means = std.map((s) => s.mean);
    this.sds = std.map((s) => s.sd);
    this.X = perm.map((_, r) => std.map((s, c) => encodeStd(s.values[r], `${this.name}.${this.columnNames[c]}[row ${r}]`)));
    const k = this.columnNames.length;
    const scale = 2 ** (2 * FX_BITS) * this.n;
    this.Gown = Array.from({ length: k }, (_, a) => Array.from({ length: k }, (_, b) => {
      let s = 0;
      for (let r = 0; r < this.n; r++) s += Number(this.X[r][a]) * Number(this.X[r][b]);
      return s / scale;
    }));
  }

  async makeKey(bits: number, opts?: KeyOptions, given?: PaillierKeyPair): Promise<void> {
    this.key = given ?? (await generateKeyPair(bits, opts));
  }

  /** pk/me and enc-x/me: one ciphertext per row and chunk of columns. */
  async publishEncrypted(store: TableIO, workers = 1): Promise<void> {
    const key = this.key!;
    const s = slotsPerPlaintext(key.pub.bits);
    this.chunks = chunkCount(this.columnNames.length, key.pub);
    const plain: bigint[] = [];
    for (const row of this.X) for (let c = 0; c < this.chunks; c++) plain.push(pack(row.slice(c * s, (c + 1) * s), key.pub.n));
    const cts = await encryptAll(key, plain, workers);
    store.write(`pk/${this.name}`, this.name, { type: "paillier-pk", n: "0x" + key.pub.n.toString(16) });
    store.write(`enc-x/${this.name}`, this.name, ciphertextTable(this.name, cts, key.pub.n2));
  }

  /** For each other feature party j: Enc_j(X_jᵀ x_d) for each own column d. */
  prepareCross(store: TableIO, peers: { name: string; columns: number }[]): void {
    for (const peer of peers) {
      if (peer.name === this.name) continue;
      const pub = readPk(store, peer.name, this.name);
      const ch = chunkCount(peer.columns, pub);
      const cts = readCiphertexts(`enc-x/${peer.name}`, store.read(`enc-x/${peer.name}`, this.name), peer.name, this.n * ch, pub.n2);
      const cols = Array.from({ length: ch }, (_, c) => chunkColumn(cts, this.n, ch, c));
      const all = cols.map((col) => prodAllOf(col, pub.n2));
      const a = this.columnNames.map((_, d) => cols.map((col, c) => innerProduct(col, this.X.map((row) => row[d]), X_OFFSET, pub, all[c])));
      this.cross.set(peer.name, { pub, a, aInv: a.map((row) => row.map((x) => invMod(x, pub.n2))) });
    }
  }

  /** term/t/me->j = Enc_j(G_j,me θ_me) for every other feature party j. */
  sendTerms(store: TableIO, t: number): void {
    const th = this.theta.map((v, d) => encodeTheta(v, `${this.name}.theta[${this.columnNames[d]}]`));
    for (const [peer, { pub, a, aInv }] of this.cross) {
      const out = a[0].map((_, c) => {
        let acc = 1n;
        th.forEach((e, d) => {
          if (e !== 0n) acc = (acc * (e > 0n ? powMod(a[d][c], e, pub.n2) : powMod(aInv[d][c], -e, pub.n2))) % pub.n2;
        });
        return acc;
      });
      store.write(`term/${t}/${this.name}->${peer}`, this.name, ciphertextTable(peer, out, pub.n2));
    }
  }

  /** Read grad/t/me, decrypt the sum of everyone else's terms, add the own term, take one step. */
  update(store: TableIO, t: number, step: StepOptions): void {
    const key = this.key!;
    const k = this.columnNames.length;
    const s = slotsPerPlaintext(key.pub.bits);
    const cts = readCiphertexts(`grad/${t}/${this.name}`, store.read(`grad/${t}/${this.name}`, this.name), this.name, this.chunks, key.pub.n2);
    const others = cts.flatMap((c, i) => unpack(key.decrypt(c), Math.min(s, k - i * s), key.pub.n));
    const grad = others.map((v, c) => {
      let own = 0;
      for (let d = 0; d < k; d++) own += this.Gown[c][d] * this.theta[d];
      return Number(v) / 2 ** GRAD_BITS / this.n + own;
    });
    this.gradients.push(grad);
    const delta = solve(this.Gown, grad);
    const next = this.theta.map((th, c) => th - step.learningRate * delta[c] + step.momentum * (th - this.prev[c]));
    this.prev = this.theta;
    this.theta = next;
  }

  /**
   * Everything this party must persist to resume after a restart, except its dataset (given again
   * to `restore`) and what `align` recomputes from it. Holds the Paillier secret: store encrypted.
   */
  exportState(): FeatureState {
    const hex = (v: bigint) => "0x" + v.toString(16);
    const key = this.key?.secret();
    return {
      name: this.name,
      key: key && { p: hex(key.p), q: hex(key.q), djnBase: key.options.djnBase === undefined ? undefined : hex(key.options.djnBase), window: key.options.window, fastRandomness: key.options.fastRandomness },
      chunks: this.chunks,
      cross: [...this.cross].map(([peer, c]) => ({ peer, n: hex(c.pub.n), a: c.a.map((r) => r.map(hex)), aInv: c.aInv.map((r) => r.map(hex)) })),
      theta: [...this.theta], prev: [...this.prev], gradients: this.gradients.map((g) => [...g]),
    };
  }

  /** Rebuild a party from its dataset and persisted state; re-aligns (reads the ids tables again). */
  static restore(input: FeatureInput, state: FeatureState, store: TableIO, parties: string[]): FeatureParty {
    const f = new FeatureParty(input);
    if (state.name !== f.name) throw new Error(`restore: state belongs to ${state.name}, not ${f.name}`);
    f.align(store, parties);
    if (state.key) {
      f.key = keyPairFromPrimes(BigInt(state.key.p), BigInt(state.key.q), {
        djnBase: state.key.djnBase === undefined ? undefined : BigInt(state.key.djnBase), window: state.key.window, fastRandomness: state.key.fastRandomness,
      });
    }
    f.chunks = state.chunks;
    for (const c of state.cross) f.cross.set(c.peer, { pub: publicKeyFromN(BigInt(c.n)), a: c.a.map((r) => r.map(BigInt)), aInv: c.aInv.map((r) => r.map(BigInt)) });
    f.theta = [...state.theta];
    f.prev = [...state.prev];
    f.gradients.push(...state.gradients);
    return f;
  }

  publishModel(store: TableIO): void {
    const coefOverSd = this.theta.map((th, c) => th / this.sds[c]);
    store.write(`model/${this.name}`, this.name, {
      type: "model", columns: this.columnNames, coefOverSd, offset: coefOverSd.reduce((a, b, c) => a + b * this.means[c], 0),
    });
  }
}

export class LabelParty {
  readonly name = LABEL;
  private readonly ids: string[];
  private readonly raw: number[];
  private mean = 0;
  private sd = 1;
  private Y: bigint[] = [];
  private n = 0;
  /** Enc_j(−X_jᵀ y) per feature party, per chunk. */
  private labelTerms = new Map<string, { pub: PaillierPublicKey; b: bigint[] }>();

  constructor(ids: readonly Id[], y: readonly number[]) {
    this.raw = [...y];
    this.ids = checkIds(LABEL, ids, y.length);
  }

  publishIds(store: TableIO): void {
    store.write(`ids/${LABEL}`, LABEL, { type: "ids", ids: this.ids });
  }

  align(store: TableIO, parties: string[]): void {
    const { rows } = alignIds(readIds(store, parties, LABEL));
    const perm = rows[LABEL];
    this.n = perm.length;
    const s = standardize(perm.map((r) => this.raw[r]), "y");
    this.mean = s.mean;
    this.sd = s.sd;
    this.Y = s.values.map((v, r) => encodeLabel(v, `y[row ${r}]`));
  }

  prepareLabelTerms(store: TableIO, features: { name: string; columns: number }[]): void {
    for (const f of features) {
      const pub = readPk(store, f.name, LABEL);
      const ch = chunkCount(f.columns, pub);
      const cts = readCiphertexts(`enc-x/${f.name}`, store.read(`enc-x/${f.name}`, LABEL), f.name, this.n * ch, pub.n2);
      const b = Array.from({ length: ch }, (_, c) => {
        const col = chunkColumn(cts, this.n, ch, c);
        return invMod(innerProduct(col, this.Y, Y_OFFSET, pub, prodAllOf(col, pub.n2)), pub.n2);
      });
      this.labelTerms.set(f.name, { pub, b });
    }
  }

  exportState(): LabelState {
    return { labelTerms: [...this.labelTerms].map(([party, t]) => ({ party, n: "0x" + t.pub.n.toString(16), b: t.b.map((v) => "0x" + v.toString(16)) })) };
  }

  static restore(ids: readonly Id[], y: readonly number[], state: LabelState, store: TableIO, parties: string[]): LabelParty {
    const l = new LabelParty(ids, y);
    l.align(store, parties);
    for (const t of state.labelTerms) l.labelTerms.set(t.party, { pub: publicKeyFromN(BigInt(t.n)), b: t.b.map(BigInt) });
    return l;
  }

  /** grad/t/j = Enc_j(−X_jᵀ y) · Π_{i≠j} term/t/i->j. */
  relay(store: TableIO, t: number, features: { name: string; columns: number }[]): void {
    for (const f of features) {
      const { pub, b } = this.labelTerms.get(f.name)!;
      const acc = [...b];
      for (const other of features) {
        if (other.name === f.name) continue;
        const name = `term/${t}/${other.name}->${f.name}`;
        const cts = readCiphertexts(name, store.read(name, LABEL), f.name, b.length, pub.n2);
        cts.forEach((c, i) => (acc[i] = (acc[i] * c) % pub.n2));
      }
      store.write(`grad/${t}/${f.name}`, LABEL, ciphertextTable(f.name, acc, pub.n2));
    }
  }

  /** Un-scale: β_c = s_y·θ_c/σ_c, intercept = ȳ − s_y·Σ θ_c μ_c/σ_c. */
  finish(store: TableIO, features: string[]): { coefficients: Record<string, number>; intercept: number } {
    const coefficients: Record<string, number> = {};
    let offset = 0;
    for (const f of features) {
      const t = store.read(`model/${f}`, LABEL) as Extract<TablePayload, { type: "model" }>;
      if (t.type !== "model") throw new Error(`table model/${f}: expected a model`);
      t.columns.forEach((c, i) => (coefficients[c] = this.sd * t.coefOverSd[i]));
      offset += t.offset;
    }
    return { coefficients, intercept: this.mean - this.sd * offset };
  }
}

export interface VerticalInput {
  label: { ids: readonly Id[]; y: readonly number[] };
  features: FeatureInput[];
}

export interface VerticalOptions {
  /** Paillier modulus size; 2048 by default. */
  keyBits?: number;
  keyOptions?: KeyOptions;
  /** Pre-made key pairs by feature party name (tests reuse them to save key generation). */
  keys?: Record<string, PaillierKeyPair>;
  iterations?: number;
  /** Step size α; default 1/p for p feature parties (safe: the preconditioned Hessian's eigenvalues are ≤ p). */
  learningRate?: number;
  /** Heavy-ball momentum β; default 0.8 (0 with a single feature party). */
  momentum?: number;
  store?: TableStore;
  /** Threads each feature party uses to encrypt its rows (1 = this thread only). */
  workers?: number;
}

export interface VerticalResult {
  coefficients: Record<string, number>;
  intercept: number;
  store: TableStore;
  parties: { label: LabelParty; features: FeatureParty[] };
  /** Per step and party: wall-clock and CPU milliseconds (CPU of this process, worker threads included). */
  timings: { step: string; party: string; ms: number; cpuMs: number }[];
}

/**
 * Runs every party's steps in order in one process (the local debug mode); the runtime runs the
 * same steps as round phases, each party on its own node, with the store on the blob store.
 */
export async function runVertical(input: VerticalInput, opts: VerticalOptions = {}): Promise<VerticalResult> {
  const store = opts.store ?? new TableStore();
  const label = new LabelParty(input.label.ids, input.label.y);
  const feats = input.features.map((f) => new FeatureParty(f));
  const names = feats.map((f) => f.name);
  if (new Set(names).size !== names.length) throw new Error(`feature party names must be unique: ${names.join(", ")}`);
  const colNames = feats.flatMap((f) => f.columnNames);
  if (new Set(colNames).size !== colNames.length) throw new Error(`column names must be unique across parties: ${colNames.join(", ")}`);
  const p = feats.length;
  if (p < 1) throw new Error("vertical regression needs at least one feature party");
  const iterations = opts.iterations ?? 200;
  // With one feature party the block preconditioner is the exact inverse Hessian: one plain step solves it.
  const step: StepOptions = { learningRate: opts.learningRate ?? 1 / p, momentum: opts.momentum ?? (p === 1 ? 0 : 0.8) };
  if (!(step.learningRate > 0 && step.learningRate <= 2)) throw new Error(`learningRate ${step.learningRate}: must be in (0, 2]; 1/p is always safe`);
  if (!(step.momentum >= 0 && step.momentum < 1)) throw new Error(`momentum ${step.momentum}: must be in [0, 1)`);
  if (!Number.isInteger(iterations) || iterations < 1) throw new Error(`iterations ${iterations}: must be a positive integer`);
  const timings: VerticalResult["timings"] = [];
  const timed = async (stepName: string, party: string, f: () => unknown) => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await f();
    const c = process.cpuUsage(c0);
    timings.push({ step: stepName, party, ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 });
  };
  const all = [LABEL, ...names];
  const shape = feats.map((f) => ({ name: f.name, columns: f.columnNames.length }));

  label.publishIds(store);
  feats.forEach((f) => f.publishIds(store));
  // Alignment errors surface here, before any key is made or anything encrypted.
  await timed("align", LABEL, () => label.align(store, all));
  for (const f of feats) await timed("align", f.name, () => f.align(store, all));
  for (const f of feats) await timed("keygen", f.name, () => f.makeKey(opts.keyBits ?? 2048, opts.keyOptions, opts.keys?.[f.name]));
  for (const f of feats) await timed("encrypt", f.name, () => f.publishEncrypted(store, opts.workers ?? 1));
  for (const f of feats) await timed("cross", f.name, () => f.prepareCross(store, shape));
  await timed("cross", LABEL, () => label.prepareLabelTerms(store, shape));
  for (let t = 0; t < iterations; t++) {
    for (const f of feats) await timed("iter:term", f.name, () => f.sendTerms(store, t));
    await timed("iter:relay", LABEL, () => label.relay(store, t, shape));
    for (const f of feats) await timed("iter:update", f.name, () => f.update(store, t, step));
  }
  feats.forEach((f) => f.publishModel(store));
  const model = label.finish(store, names);
  return { ...model, store, parties: { label, features: feats }, timings };
}
