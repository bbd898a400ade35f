/**
 * Vertical (feature-partitioned) linear regression by gradient descent with Paillier, the
 * fiu-cloud family with its leak removed: no residual, prediction, column or other party's
 * gradient ever travels in plaintext, and nobody decrypts anything but its own gradient or a
 * value hidden under a mask it does not know.
 *
 * Parties: the label party `y` (labels only) and feature parties x_1..x_p (columns X_j), rows aligned
 * by a shared id. Everything is done in standardized units (each party centres and scales its own
 * columns; y centres and scales its labels), so the intercept is 0 there and is restored at the end.
 *
 * Why this shape: the gradient of party j is X_jᵀ(Σ_i X_i θ_i − y)/n = (Σ_i G_ji θ_i − X_jᵀ y)/n with
 * G_ji = X_jᵀ X_i. The n-sized inner products are done once, under encryption, and each iteration
 * then costs O(p²) ciphertext operations instead of O(n) encryptions (fiu-cloud re-encrypts the
 * prediction vector every iteration; at 2,048 bits that is ~1 s per 300 rows).
 *
 * Two key modes (the task's keyHolder):
 *
 * "label" (the default; fiu-cloud's arrangement): y generates the one Paillier key pair. Every party
 * also makes an X25519 key pair for the task (xk/P): tables meant for some parties only are sealed
 * to them (seal.ts: XChaCha20-Poly1305, keys by X25519 + HKDF), and each pair x_i, x_j derives masks
 * from its shared secret.
 *   ids/P         P → all            P's row ids (alignment; no data values)
 *   xk/P          P → all            P's X25519 public key
 *   pk/y          y → all            Paillier public key of y, with its DJN randomness base h_s and
 *                                    its certificate (Π^mod, Π^fac, h_s an N-th residue)
 *   enc-y/y       y → x_j            Enc_y(row r of y), standardized fixed point
 *   enc-x/j       x_j → x_i          Enc_y(row r of X_j), columns packed; sealed to the other feature parties
 *   term/t/i->j   x_i → y            Enc_y(G_ji θ_i^(t) + m_ij^t)   (from enc-x/j and X_i, θ_i)
 *   lterm/t/j     x_j → y            Enc_y(−X_jᵀ y + r_j^t)          (from enc-y/y and X_j)
 *   grad/t/j      y → x_j            Dec of lterm/t/j · Π_{i≠j} term/t/i->j, sealed to x_j
 *   model/j       x_j → y            θ_j/σ_j and Σ θ_j μ_j/σ_j (the released model)
 * m_ij^t (x_i and x_j derive it from their shared secret) and r_j^t (from x_j's own seed) are
 * uniform mod N within 2^-128 and fresh per iteration, pair and chunk, so every value y can decrypt
 * — one term, one label term, or their product (the only thing it does decrypt) — is uniform to it.
 * x_j removes Σ_i m_ij^t + r_j^t, adds its own G_jj θ_j and steps. Each ciphertext sent to y is
 * re-randomized by the fresh encryption of its mask: y, holding the factorization, could otherwise
 * extract a ciphertext's randomness, which for a product of enc-y powers is a function of X_j.
 * Setup: x_i computes Enc_y(G_ji[:, d]) for each of its columns d by multi-exponentiation of the
 * opened enc-x/j with its own column as exponents; x_j computes Enc_y(X_jᵀ y) from enc-y/y likewise.
 *
 * "features": every feature party j owns a key pair (pk/j published); it alone can decrypt values
 * encrypted under pk_j, and everything encrypted under pk_j is a sum that j is entitled to learn.
 *   ids/P         P → all            as above
 *   pk/j          x_j → all          Paillier public key of x_j, with its certificate (Π^mod, Π^fac)
 *   enc-x/j       x_j → y, x_i       Enc_j(row r of X_j), standardized fixed point, columns packed
 *   term/t/i->j   x_i → y            Enc_j(G_ji θ_i^(t))     (computed from enc-x/j and X_i, θ_i)
 *   grad/t/j      y → x_j            Enc_j(Σ_{i≠j} G_ji θ_i^(t) − X_jᵀ y)
 *   model/j       x_j → y            as above
 * Setup: x_i computes Enc_j(G_ji) as above; y computes Enc_j(X_jᵀ y) from enc-x/j with its labels.
 * Iteration t: x_i sends Enc_j(G_ji θ_i) for every other j; y multiplies them with Enc_j(−X_jᵀ y)
 * and forwards; x_j decrypts, adds its own G_jj θ_j.
 *
 * Certified keys (both modes): every reader of a pk/ table verifies its certificate
 * (crypto/paillier-proofs/certificate.ts, bound to vlinregKeyBinding(party)) before encrypting
 * under the key or computing on ciphertexts under it, and refuses the key with the reason. The
 * iterations' steps (cross terms, label terms, y's decryptions of masked sums) are not proven; the
 * final certificate (certificate.ts; label mode, `certify`) is: one more round at the final θ whose
 * masks cancel, y's decryption of the true gradient proven, the model accepted only if ‖∇‖ is near 0.
 *
 * Both modes step θ_j ← θ_j − α (G_jj/n)⁻¹ ∇_j + β (θ_j − θ_j^prev) (block-Jacobi preconditioning
 * from the party's own data, heavy-ball momentum), and the fixed-point run is exact: the same data
 * gives the same model in either mode, under any keys and masks.
 *
 * What each party learns (semi-honest parties, no collusion):
 *   y:   ids; public keys; the model at the end (each party's un-scaled coefficients and offset) —
 *        the task's output. Label mode: values uniform mod N (masked), nothing else — the sealed
 *        enc-x/j are not addressed to it. Features mode: ciphertexts under the feature parties' keys
 *        (nothing, under DCR).
 *   x_i: ids; public keys; ciphertexts of other parties' rows (and, label mode, of y's labels) under
 *        a key it does not hold (nothing); its own gradient ∇_i^(t) every iteration — as in any
 *        gradient-descent protocol (fiu-cloud included): the first one, at θ = 0, is −X_iᵀy/n (its
 *        columns' covariance with the label), later ones add Σ_j G_ij θ_j (its columns' covariance
 *        with the current partial predictions of others).
 *   A party receives a ciphertext it can decrypt only as grad/t/itself (features mode: its own
 *   gradient's sum term) or, y in label mode, as term/t/i->j and lterm/t/j, each masked; sealed
 *   tables go to their addressees only. Predictions Xθ and residuals Xθ − y are never formed, in any form.
 * Collusion: label mode: y with any x_i decrypts enc-x/j of every other feature party (sealed to
 * x_i, under y's key) — together they learn all columns; this is the price of the label party
 * holding the one key, and the reason for the "features" mode. Features mode: y with x_j learns
 * what x_j learns (gradients of j) — no rows of others. Either mode: x_i with x_j learn both
 * gradients and no rows. A malicious party could send wrong terms (integrity is the zk layer's
 * job). Row ids are shared in plaintext (a PSI that hides non-shared ids is out of scope).
 */
import { alignIds, checkIds, type Id } from "./align.js";
import { modInv, mod, multiExp, modPow } from "../crypto/bigmath.js";
import { FX_BITS, GRAD_BITS, SLOT_BITS, X_OFFSET, Y_OFFSET, encodeLabel, encodeStd, encodeTheta, pack, slotsPerPlaintext, standardize, unpack } from "./encoding.js";
import {
  generatePaillierKeyPair,
  paillierEncryptor,
  paillierKeyPair,
  paillierPublicKey,
  paillierSecretKey,
  type PaillierEncryptor,
  type PaillierKeyPair,
  type PaillierPublicKey,
  type PaillierRandomnessOptions,
} from "../crypto/paillier.js";
import { encryptAll } from "../crypto/paillier-workers.js";
import { certifyKey, keyCertificateProblem, parseKeyCertificate, proveDecryption, serializeDecryptionProof, serializeKeyCertificate } from "../crypto/paillier-proofs/index.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { solve } from "../algorithms/linalg.js";
import { maskMod, newMaskSeed, newSealSecret, pairSecret, readSealKey, readSealed, sealKeyTable, sealSecretFromHex, sealSecretHex, sealTable, bytesHex, hexBytes } from "./seal.js";
import { checkVerticalCertificate, vlinregCertBinding, vlinregKeyBinding, VLINREG_CERT_TOLERANCE, type CertifiedGradient, type VerticalCertificate } from "./certificate.js";
import { TableStore, ciphertextTable, readCiphertexts, type TableIO, type TablePayload } from "./tables.js";

export const LABEL = "y";

/** Who generates the Paillier key(s): the label party (one key) or every feature party (one each). */
export type KeyHolder = "label" | "features";

function chunkCount(k: number, pub: PaillierPublicKey): number {
  return Math.ceil(k / slotsPerPlaintext(pub.bits));
}

/** The certificate a party publishes with its key (Π^mod, Π^fac and, with a DJN base, its N-th residue proof). */
function certificate(key: PaillierKeyPair, party: string, hs?: bigint): string {
  return serializeKeyCertificate(certifyKey(key.secretKey, vlinregKeyBinding(party), hs));
}

const certified = new Set<string>();

/** Refuses a pk/<party> table whose key is not certified (checked once per process and table content). */
function checkKey(party: string, reader: string, pub: PaillierPublicKey, cert: string | undefined, hs: bigint | undefined): void {
  if (cert === undefined)
    throw new Error(
      `table pk/${party}: the Paillier key comes without its certificate (Π^mod, Π^fac${hs === undefined ? "" : ", the DJN base's N-th residue proof"}); ${reader} refuses an uncertified key`,
    );
  const memo = bytesHex(sha256(new TextEncoder().encode(`${party}|${pub.n.toString(16)}|${hs?.toString(16) ?? ""}|${cert}`)));
  if (certified.has(memo)) return;
  let why: string | undefined;
  try {
    why = keyCertificateProblem(pub, parseKeyCertificate(cert), vlinregKeyBinding(party), hs);
  } catch (e) {
    why = (e as Error).message;
  }
  if (why) throw new Error(`table pk/${party}: the Paillier key is not certified, so ${reader} refuses it: ${why}`);
  certified.add(memo);
  if (certified.size > 1024) certified.delete(certified.values().next().value!);
}

function readPk(store: TableIO, party: string, reader: string): PaillierPublicKey {
  const t = store.read(`pk/${party}`, reader);
  if (t.type !== "paillier-pk") throw new Error(`table pk/${party}: expected a Paillier public key`);
  const pub = paillierPublicKey(BigInt(t.n));
  checkKey(party, reader, pub, t.cert, t.hs === undefined ? undefined : BigInt(t.hs));
  return pub;
}

/** pk/y with its DJN base: what a feature party encrypts under in label mode. */
function readLabelKey(store: TableIO, reader: string): { pub: PaillierPublicKey; hs?: bigint } {
  const t = store.read(`pk/${LABEL}`, reader);
  if (t.type !== "paillier-pk") throw new Error(`table pk/${LABEL}: expected a Paillier public key`);
  const pub = paillierPublicKey(BigInt(t.n));
  const hs = t.hs === undefined ? undefined : BigInt(t.hs);
  checkKey(LABEL, reader, pub, t.cert, hs);
  return { pub, hs };
}

function readIds(store: TableIO, parties: string[], reader: string): Record<string, string[]> {
  return Object.fromEntries(
    parties.map((p) => {
      const t = store.read(`ids/${p}`, reader);
      if (t.type !== "ids") throw new Error(`table ids/${p}: expected ids`);
      return [p, t.ids];
    }),
  );
}

/** Enc(Σ_r v_r·m_r) from Enc(m_r) and signed v_r: exponents are shifted by `offset` to be non-negative and the shift removed with Π Enc(m_r). */
function innerProduct(cts: readonly bigint[], v: readonly bigint[], offset: bigint, pub: PaillierPublicKey, prodAll: bigint): bigint {
  const main = multiExp(
    cts,
    v.map((x) => x + offset),
    pub.n2,
  );
  return (main * modInv(modPow(prodAll, offset, pub.n2), pub.n2)) % pub.n2;
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

const hexOf = (v: bigint) => "0x" + v.toString(16);

/** Names of the masks (HKDF info): one per iteration, pair or party, and chunk. */
const termMask = (t: number, from: string, to: string, c: number) => `term/${t}/${from}->${to}/${c}`;
const labelMask = (t: number, party: string, c: number) => `lterm/${t}/${party}/${c}`;
const certMask = (tag: string, from: string, to: string, c: number) => `cert/${tag}/${from}->${to}/${c}`;

export interface FeatureInput {
  name: string;
  ids: readonly Id[];
  columns: Record<string, readonly number[]>;
}

export interface FeatureState {
  name: string;
  /** Absent in states written before the label mode existed: "features". */
  keyHolder?: KeyHolder;
  key?: { p: string; q: string; djnBase?: string; window?: number; fastRandomness?: boolean };
  /** Label mode: this party's X25519 secret for the task and the seed of its own masks. */
  seal?: { secret: string; maskSeed: string };
  /** Label mode: Enc_y(−X_meᵀ y) per chunk. */
  labelTerm?: string[];
  chunks: number;
  cross: { peer: string; n: string; a: string[][]; aInv: string[][] }[];
  theta: number[];
  prev: number[];
  gradients: number[][];
}

export interface LabelState {
  keyHolder?: KeyHolder;
  labelTerms: { party: string; n: string; b: string[] }[];
  /** Label mode: the Paillier key pair and the X25519 secret. */
  key?: { p: string; q: string; djnBase?: string; window?: number; fastRandomness?: boolean };
  seal?: string;
}

export interface StepOptions {
  learningRate: number;
  momentum: number;
}

function exportKey(kp: PaillierKeyPair | undefined): FeatureState["key"] {
  const key = kp?.secret();
  return (
    key && {
      p: hexOf(key.p),
      q: hexOf(key.q),
      djnBase: key.options.djnBase === undefined ? undefined : hexOf(key.options.djnBase),
      window: key.options.window,
      fastRandomness: key.options.fastRandomness,
    }
  );
}

function importKey(k: NonNullable<FeatureState["key"]>): PaillierKeyPair {
  return paillierKeyPair(paillierSecretKey(BigInt(k.p), BigInt(k.q)), {
    djnBase: k.djnBase === undefined ? undefined : BigInt(k.djnBase),
    window: k.window,
    fastRandomness: k.fastRandomness,
  });
}

export class FeatureParty {
  readonly name: string;
  readonly keyHolder: KeyHolder;
  readonly columnNames: string[];
  private readonly ids: string[];
  private readonly raw: number[][];
  private means: number[] = [];
  private sds: number[] = [];
  /** Aligned, standardized, fixed-point rows. */
  private X: bigint[][] = [];
  private n = 0;
  /** The other feature parties, in the task's order. */
  private peers: string[] = [];
  private key?: PaillierKeyPair;
  private seal?: { secret: Uint8Array; maskSeed: Uint8Array };
  /** X25519 shared secrets with other parties (label mode), derived on demand from xk/P. */
  private readonly pairs = new Map<string, Uint8Array>();
  private label?: { pub: PaillierPublicKey; enc: PaillierEncryptor };
  private labelTerm: bigint[] = [];
  private chunks = 0;
  private Gown: number[][] = [];
  /** For each peer j: per own column d, Enc(G_j,me[:, d]) per chunk of j (under j's key, or y's in label mode), and inverses. */
  private cross = new Map<string, { pub: PaillierPublicKey; a: bigint[][]; aInv: bigint[][] }>();
  theta: number[];
  private prev: number[];
  /** Gradients seen, in standardized units (the party's own knowledge). */
  readonly gradients: number[][] = [];

  constructor(input: FeatureInput, keyHolder: KeyHolder = "label") {
    if (typeof input.name !== "string" || !/^[A-Za-z0-9_-]+$/.test(input.name) || input.name === LABEL) {
      throw new Error(`feature party name ${JSON.stringify(input.name)}: use letters, digits, _ or -, and not "${LABEL}" (the label party)`);
    }
    if (keyHolder !== "label" && keyHolder !== "features") throw new Error(`keyHolder ${JSON.stringify(keyHolder)}: use "label" or "features"`);
    this.name = input.name;
    this.keyHolder = keyHolder;
    this.columnNames = Object.keys(input.columns);
    if (this.columnNames.length === 0) throw new Error(`feature party ${this.name}: no columns`);
    this.raw = this.columnNames.map((c) => [...input.columns[c]]);
    for (const [i, col] of this.raw.entries()) {
      if (col.length !== input.ids.length) {
        throw new Error(`feature party ${this.name}: column ${this.columnNames[i]} has ${col.length} rows but there are ${input.ids.length} ids; row counts must match`);
      }
    }
    this.ids = checkIds(this.name, input.ids, this.raw[0].length);
    this.theta = new Array<number>(this.columnNames.length).fill(0);
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
    this.peers = parties.filter((p) => p !== LABEL && p !== this.name);
    const std = this.raw.map((col, c) =>
      standardize(
        perm.map((r) => col[r]),
        `${this.name}.${this.columnNames[c]}`,
      ),
    );
    this.means = std.map((s) => s.mean);
    this.sds = std.map((s) => s.sd);
    this.X = perm.map((_, r) => std.map((s, c) => encodeStd(s.values[r], `${this.name}.${this.columnNames[c]}[row ${r}]`)));
    const k = this.columnNames.length;
    const scale = 2 ** (2 * FX_BITS) * this.n;
    this.Gown = Array.from({ length: k }, (_, a) =>
      Array.from({ length: k }, (_, b) => {
        let s = 0;
        for (let r = 0; r < this.n; r++) s += Number(this.X[r][a]) * Number(this.X[r][b]);
        return s / scale;
      }),
    );
  }

  private need(mode: KeyHolder, what: string): void {
    if (this.keyHolder !== mode) throw new Error(`feature party ${this.name}: ${what} belongs to keyHolder "${mode}", this party runs "${this.keyHolder}"`);
  }

  /** Features mode: this party's own Paillier key pair. */
  async makeKey(bits: number, opts?: PaillierRandomnessOptions, given?: PaillierKeyPair): Promise<void> {
    this.need("features", "makeKey");
    this.key = given ?? (await generatePaillierKeyPair(bits, { ...opts, blum: true }));
  }

  /** Label mode: xk/me, this party's X25519 key for the task (sealed tables and pairwise masks). */
  publishSealKey(store: TableIO): void {
    this.need("label", "publishSealKey");
    this.seal ??= { secret: newSealSecret(), maskSeed: newMaskSeed() };
    store.write(`xk/${this.name}`, this.name, sealKeyTable(this.seal.secret));
  }

  private pair(store: TableIO, party: string): Uint8Array {
    let s = this.pairs.get(party);
    if (!s) {
      s = pairSecret(this.seal!.secret, readSealKey(store, party, this.name));
      this.pairs.set(party, s);
    }
    return s;
  }

  private labelKey(store: TableIO): { pub: PaillierPublicKey; enc: PaillierEncryptor } {
    if (!this.label) {
      const { pub, hs } = readLabelKey(store, this.name);
      this.label = { pub, enc: paillierEncryptor(pub, hs) };
    }
    return this.label;
  }

  /**
   * enc-x/me: one ciphertext per row and chunk of columns — features mode under the own key, with
   * pk/me; label mode under pk_y and sealed to the other feature parties (none: not written).
   */
  async publishEncrypted(store: TableIO, workers = 1): Promise<void> {
    const pub = this.keyHolder === "label" ? this.labelKey(store).pub : this.key!.pub;
    const s = slotsPerPlaintext(pub.bits);
    this.chunks = chunkCount(this.columnNames.length, pub);
    if (this.keyHolder === "label" && this.peers.length === 0) return;
    const plain: bigint[] = [];
    for (const row of this.X) for (let c = 0; c < this.chunks; c++) plain.push(pack(row.slice(c * s, (c + 1) * s), pub.n));
    const name = `enc-x/${this.name}`;
    if (this.keyHolder === "features") {
      const key = this.key!;
      const cts = await encryptAll(key, plain, workers);
      store.write(`pk/${this.name}`, this.name, { type: "paillier-pk", n: hexOf(key.pub.n), cert: certificate(key, this.name) });
      store.write(name, this.name, ciphertextTable(this.name, cts, key.pub.n2));
      return;
    }
    const { enc } = this.labelKey(store);
    // A fresh encryptor: its window is sized for this batch (the masks' one is small).
    const rows = paillierEncryptor(pub, enc.spec().hs);
    const cts = await encryptAll(rows, plain, workers);
    const to = this.peers.map((p) => ({ party: p, shared: this.pair(store, p) }));
    store.write(name, this.name, sealTable(name, ciphertextTable(LABEL, cts, pub.n2), this.name, to));
  }

  /** For each other feature party j: Enc(X_jᵀ x_d) for each own column d, under j's key (features) or y's (label). */
  prepareCross(store: TableIO, peers: { name: string; columns: number }[]): void {
    for (const peer of peers) {
      if (peer.name === this.name) continue;
      const name = `enc-x/${peer.name}`;
      let pub: PaillierPublicKey;
      let cts: bigint[];
      let ch: number;
      if (this.keyHolder === "features") {
        pub = readPk(store, peer.name, this.name);
        ch = chunkCount(peer.columns, pub);
        cts = readCiphertexts(name, store.read(name, this.name), peer.name, this.n * ch, pub.n2);
      } else {
        pub = this.labelKey(store).pub;
        ch = chunkCount(peer.columns, pub);
        const inner = readSealed(store, name, this.name, this.pair(store, peer.name));
        cts = readCiphertexts(name, inner, LABEL, this.n * ch, pub.n2);
      }
      const cols = Array.from({ length: ch }, (_, c) => chunkColumn(cts, this.n, ch, c));
      const all = cols.map((col) => prodAllOf(col, pub.n2));
      const a = this.columnNames.map((_, d) =>
        cols.map((col, c) =>
          innerProduct(
            col,
            this.X.map((row) => row[d]),
            X_OFFSET,
            pub,
            all[c],
          ),
        ),
      );
      this.cross.set(peer.name, { pub, a, aInv: a.map((row) => row.map((x) => modInv(x, pub.n2))) });
    }
  }

  /** Label mode: Enc_y(−X_meᵀ y) per chunk, from enc-y/y and the own columns. */
  prepareLabelTerm(store: TableIO): void {
    this.need("label", "prepareLabelTerm");
    const { pub } = this.labelKey(store);
    const s = slotsPerPlaintext(pub.bits);
    const name = `enc-y/${LABEL}`;
    const ys = readCiphertexts(name, store.read(name, this.name), LABEL, this.n, pub.n2);
    const all = prodAllOf(ys, pub.n2);
    const perColumn = this.columnNames.map((_, d) =>
      innerProduct(
        ys,
        this.X.map((row) => row[d]),
        X_OFFSET,
        pub,
        all,
      ),
    );
    // Pack homomorphically: slot i of a chunk is the column's sum times 2^(SLOT_BITS·i).
    this.labelTerm = Array.from({ length: this.chunks }, (_, c) => {
      let acc = 1n;
      for (let i = 0; i < s && c * s + i < perColumn.length; i++) acc = (acc * modPow(perColumn[c * s + i], 1n << BigInt(SLOT_BITS * i), pub.n2)) % pub.n2;
      return modInv(acc, pub.n2);
    });
  }

  /**
   * term/t/me->j = Enc(G_j,me θ_me) for every other feature party j; in label mode plus the mask
   * m_me,j^t, and lterm/t/me = Enc_y(−X_meᵀ y + r_me^t).
   */
  sendTerms(store: TableIO, t: number): void {
    const th = this.theta.map((v, d) => encodeTheta(v, `${this.name}.theta[${this.columnNames[d]}]`));
    const label = this.keyHolder === "label";
    for (const [peer, { pub, a, aInv }] of this.cross) {
      const out = a[0].map((_, c) => {
        let acc = 1n;
        th.forEach((e, d) => {
          if (e !== 0n) acc = (acc * (e > 0n ? modPow(a[d][c], e, pub.n2) : modPow(aInv[d][c], -e, pub.n2))) % pub.n2;
        });
        if (label) acc = (acc * this.labelKey(store).enc.encrypt(maskMod(this.pair(store, peer), termMask(t, this.name, peer, c), pub.n))) % pub.n2;
        return acc;
      });
      store.write(`term/${t}/${this.name}->${peer}`, this.name, ciphertextTable(label ? LABEL : peer, out, pub.n2));
    }
    if (label) {
      const { pub, enc } = this.labelKey(store);
      const out = this.labelTerm.map((b, c) => (b * enc.encrypt(maskMod(this.seal!.maskSeed, labelMask(t, this.name, c), pub.n))) % pub.n2);
      store.write(`lterm/${t}/${this.name}`, this.name, ciphertextTable(LABEL, out, pub.n2));
    }
  }

  /**
   * The final certificate's round (label mode) at the current θ: cterm/<tag>/me->j =
   * Enc_y(G_j,me θ_me + m) for every other feature party j, and cown/<tag>/me =
   * Enc_y(G_me,me θ_me − X_meᵀ y − Σ_i m_i,me): the pairwise masks cancel in y's product, which is
   * the true gradient block (y decrypts it and proves the decryption). The own term G_me,me θ_me is
   * exact in fixed point, at the scale of the cross terms, so the product holds n·2^GRAD_BITS·∇_me.
   */
  sendCertificateTerms(store: TableIO, tag: string): void {
    this.need("label", "sendCertificateTerms");
    const { pub, enc } = this.labelKey(store);
    const th = this.theta.map((v, d) => encodeTheta(v, `${this.name}.theta[${this.columnNames[d]}]`));
    for (const [peer, { a, aInv }] of this.cross) {
      const out = a[0].map((_, c) => {
        let acc = 1n;
        th.forEach((e, d) => {
          if (e !== 0n) acc = (acc * (e > 0n ? modPow(a[d][c], e, pub.n2) : modPow(aInv[d][c], -e, pub.n2))) % pub.n2;
        });
        // The fresh encryption of the mask also re-randomizes the product (y holds the factorization).
        return (acc * enc.encrypt(maskMod(this.pair(store, peer), certMask(tag, this.name, peer, c), pub.n))) % pub.n2;
      });
      store.write(`cterm/${tag}/${this.name}->${peer}`, this.name, ciphertextTable(LABEL, out, pub.n2));
    }
    const k = this.columnNames.length;
    const own = Array.from({ length: k }, (_, a) => {
      let v = 0n;
      for (let d = 0; d < k; d++) {
        let g = 0n;
        for (const row of this.X) g += row[a] * row[d];
        v += g * th[d];
      }
      return v;
    });
    const s = slotsPerPlaintext(pub.bits);
    const out = this.labelTerm.map((b, c) => {
      let v = pack(own.slice(c * s, (c + 1) * s), pub.n);
      for (const peer of this.cross.keys()) v -= maskMod(this.pair(store, peer), certMask(tag, peer, this.name, c), pub.n);
      return (b * enc.encrypt(mod(v, pub.n))) % pub.n2;
    });
    store.write(`cown/${tag}/${this.name}`, this.name, ciphertextTable(LABEL, out, pub.n2));
  }

  /** Σ_{i≠me} G_me,i θ_i − X_meᵀ y, as fixed-point slots, from grad/t/me. */
  private othersTerm(store: TableIO, t: number): bigint[] {
    const k = this.columnNames.length;
    const name = `grad/${t}/${this.name}`;
    if (this.keyHolder === "features") {
      const key = this.key!;
      const s = slotsPerPlaintext(key.pub.bits);
      const cts = readCiphertexts(name, store.read(name, this.name), this.name, this.chunks, key.pub.n2);
      return cts.flatMap((c, i) => unpack(key.decrypt(c), Math.min(s, k - i * s), key.pub.n));
    }
    const { pub } = this.labelKey(store);
    const s = slotsPerPlaintext(pub.bits);
    const t0 = readSealed(store, name, this.name, this.pair(store, LABEL));
    if (t0.type !== "masked" || t0.key !== LABEL || t0.values.length !== this.chunks) {
      throw new Error(`table ${name}: expected ${this.chunks} masked value(s) under ${LABEL}'s key`);
    }
    return t0.values.flatMap((h, c) => {
      let v = BigInt(h);
      if (v < 0n || v >= pub.n) throw new Error(`table ${name}: value ${c} is outside [0, N)`);
      for (const peer of this.cross.keys()) v -= maskMod(this.pair(store, peer), termMask(t, peer, this.name, c), pub.n);
      v -= maskMod(this.seal!.maskSeed, labelMask(t, this.name, c), pub.n);
      return unpack(mod(v, pub.n), Math.min(s, k - c * s), pub.n);
    });
  }

  /** Read grad/t/me, recover the sum of everyone else's terms, add the own term, take one step. */
  update(store: TableIO, t: number, step: StepOptions): void {
    const k = this.columnNames.length;
    const others = this.othersTerm(store, t);
    const grad = others.map((v, c) => {
      let own = 0;
      for (let d = 0; d < k; d++) own += this.Gown[c][d] * this.theta[d];
      return Number(v) / 2 ** GRAD_BITS / this.n + own;
    });
    this.gradients.push(grad);
    const delta = solve(this.Gown, grad, { tolerance: 1e-12, singular: "preconditioner: a party's own columns are collinear; drop a redundant column" });
    const next = this.theta.map((th, c) => th - step.learningRate * delta[c] + step.momentum * (th - this.prev[c]));
    this.prev = this.theta;
    this.theta = next;
  }

  /**
   * Everything this party must persist to resume after a restart, except its dataset (given again
   * to `restore`) and what `align` recomputes from it. Holds the Paillier secret (features mode) or
   * the X25519 secret and mask seed (label mode): store encrypted.
   */
  exportState(): FeatureState {
    return {
      name: this.name,
      keyHolder: this.keyHolder,
      key: exportKey(this.key),
      seal: this.seal && { secret: sealSecretHex(this.seal.secret), maskSeed: bytesHex(this.seal.maskSeed) },
      labelTerm: this.labelTerm.length ? this.labelTerm.map(hexOf) : undefined,
      chunks: this.chunks,
      cross: [...this.cross].map(([peer, c]) => ({ peer, n: hexOf(c.pub.n), a: c.a.map((r) => r.map(hexOf)), aInv: c.aInv.map((r) => r.map(hexOf)) })),
      theta: [...this.theta],
      prev: [...this.prev],
      gradients: this.gradients.map((g) => [...g]),
    };
  }

  /** Rebuild a party from its dataset and persisted state; re-aligns (reads the ids tables again). */
  static restore(input: FeatureInput, state: FeatureState, store: TableIO, parties: string[]): FeatureParty {
    const f = new FeatureParty(input, state.keyHolder ?? "features");
    if (state.name !== f.name) throw new Error(`restore: state belongs to ${state.name}, not ${f.name}`);
    f.align(store, parties);
    if (state.key) f.key = importKey(state.key);
    if (state.seal) f.seal = { secret: sealSecretFromHex(state.seal.secret), maskSeed: hexBytes(state.seal.maskSeed, "mask seed", 32) };
    if (state.labelTerm) f.labelTerm = state.labelTerm.map(BigInt);
    f.chunks = state.chunks;
    for (const c of state.cross) f.cross.set(c.peer, { pub: paillierPublicKey(BigInt(c.n)), a: c.a.map((r) => r.map(BigInt)), aInv: c.aInv.map((r) => r.map(BigInt)) });
    f.theta = [...state.theta];
    f.prev = [...state.prev];
    f.gradients.push(...state.gradients);
    return f;
  }

  /** Whether the last update moved θ by at most `tolerance` relative to it (standardized units). */
  settled(tolerance: number): boolean {
    const moved = Math.hypot(...this.theta.map((th, c) => th - this.prev[c]));
    return moved <= tolerance * Math.hypot(...this.theta);
  }

  /**
   * conv/t/me after update t: one bit, whether this party settled. Every party settling bounds the
   * whole model's change too: Σ‖Δθ_j‖² ≤ tol²·Σ‖θ_j‖².
   */
  publishProgress(store: TableIO, t: number, tolerance: number): void {
    store.write(`conv/${t}/${this.name}`, this.name, { type: "progress", settled: this.settled(tolerance) });
  }

  publishModel(store: TableIO): void {
    const coefOverSd = this.theta.map((th, c) => th / this.sds[c]);
    store.write(`model/${this.name}`, this.name, {
      type: "model",
      columns: this.columnNames,
      coefOverSd,
      offset: coefOverSd.reduce((a, b, c) => a + b * this.means[c], 0),
    });
  }
}

export class LabelParty {
  readonly name = LABEL;
  readonly keyHolder: KeyHolder;
  private readonly ids: string[];
  private readonly raw: number[];
  private mean = 0;
  private sd = 1;
  private Y: bigint[] = [];
  private n = 0;
  /** Features mode: Enc_j(−X_jᵀ y) per feature party, per chunk. */
  private labelTerms = new Map<string, { pub: PaillierPublicKey; b: bigint[] }>();
  /** Label mode: the task's one Paillier key pair, and the X25519 secret. */
  private key?: PaillierKeyPair;
  private seal?: Uint8Array;
  private readonly pairs = new Map<string, Uint8Array>();

  constructor(ids: readonly Id[], y: readonly number[], keyHolder: KeyHolder = "label") {
    if (keyHolder !== "label" && keyHolder !== "features") throw new Error(`keyHolder ${JSON.stringify(keyHolder)}: use "label" or "features"`);
    this.keyHolder = keyHolder;
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
    const s = standardize(
      perm.map((r) => this.raw[r]),
      "y",
    );
    this.mean = s.mean;
    this.sd = s.sd;
    this.Y = s.values.map((v, r) => encodeLabel(v, `y[row ${r}]`));
  }

  private need(mode: KeyHolder, what: string): void {
    if (this.keyHolder !== mode) throw new Error(`label party: ${what} belongs to keyHolder "${mode}", this party runs "${this.keyHolder}"`);
  }

  /** Label mode: the key pair (with the DJN base others encrypt with) and the X25519 key; pk/y and xk/y. */
  async publishKeys(store: TableIO, bits: number, opts?: PaillierRandomnessOptions, given?: PaillierKeyPair): Promise<void> {
    this.need("label", "publishKeys");
    this.key = given ?? (await generatePaillierKeyPair(bits, { ...opts, fastRandomness: true, blum: true }));
    this.seal = newSealSecret();
    const hs = this.key.secret().options.djnBase;
    store.write(`pk/${LABEL}`, LABEL, {
      type: "paillier-pk",
      n: hexOf(this.key.pub.n),
      ...(hs === undefined ? {} : { hs: hexOf(hs) }),
      cert: certificate(this.key, LABEL, hs),
    });
    store.write(`xk/${LABEL}`, LABEL, sealKeyTable(this.seal));
  }

  /** Label mode: enc-y/y, the standardized labels under y's own key (public: only y can decrypt them). */
  async publishLabels(store: TableIO, workers = 1): Promise<void> {
    this.need("label", "publishLabels");
    const key = this.key!;
    const cts = await encryptAll(
      key,
      this.Y.map((v) => mod(v, key.pub.n)),
      workers,
    );
    store.write(`enc-y/${LABEL}`, LABEL, ciphertextTable(LABEL, cts, key.pub.n2));
  }

  /** Features mode: Enc_j(−X_jᵀ y) from enc-x/j and the labels. */
  prepareLabelTerms(store: TableIO, features: { name: string; columns: number }[]): void {
    this.need("features", "prepareLabelTerms");
    for (const f of features) {
      const pub = readPk(store, f.name, LABEL);
      const ch = chunkCount(f.columns, pub);
      const cts = readCiphertexts(`enc-x/${f.name}`, store.read(`enc-x/${f.name}`, LABEL), f.name, this.n * ch, pub.n2);
      const b = Array.from({ length: ch }, (_, c) => {
        const col = chunkColumn(cts, this.n, ch, c);
        return modInv(innerProduct(col, this.Y, Y_OFFSET, pub, prodAllOf(col, pub.n2)), pub.n2);
      });
      this.labelTerms.set(f.name, { pub, b });
    }
  }

  /** Holds the label mode's Paillier and X25519 secrets: store encrypted. */
  exportState(): LabelState {
    return {
      keyHolder: this.keyHolder,
      labelTerms: [...this.labelTerms].map(([party, t]) => ({ party, n: hexOf(t.pub.n), b: t.b.map(hexOf) })),
      key: exportKey(this.key),
      seal: this.seal && sealSecretHex(this.seal),
    };
  }

  static restore(ids: readonly Id[], y: readonly number[], state: LabelState, store: TableIO, parties: string[]): LabelParty {
    const l = new LabelParty(ids, y, state.keyHolder ?? "features");
    l.align(store, parties);
    for (const t of state.labelTerms) l.labelTerms.set(t.party, { pub: paillierPublicKey(BigInt(t.n)), b: t.b.map(BigInt) });
    if (state.key) l.key = importKey(state.key);
    if (state.seal) l.seal = sealSecretFromHex(state.seal);
    return l;
  }

  /**
   * Features mode: grad/t/j = Enc_j(−X_jᵀ y) · Π_{i≠j} term/t/i->j.
   * Label mode: grad/t/j = Dec(lterm/t/j · Π_{i≠j} term/t/i->j), every factor masked, sealed to x_j.
   */
  relay(store: TableIO, t: number, features: { name: string; columns: number }[]): void {
    for (const f of features) {
      let pub: PaillierPublicKey;
      let acc: bigint[];
      const read: string[] = [];
      if (this.keyHolder === "features") {
        const lt = this.labelTerms.get(f.name)!;
        pub = lt.pub;
        acc = [...lt.b];
      } else {
        pub = this.key!.pub;
        const name = `lterm/${t}/${f.name}`;
        acc = readCiphertexts(name, store.read(name, LABEL), LABEL, chunkCount(f.columns, pub), pub.n2);
        read.push(name);
      }
      const owner = this.keyHolder === "features" ? f.name : LABEL;
      for (const other of features) {
        if (other.name === f.name) continue;
        const name = `term/${t}/${other.name}->${f.name}`;
        const cts = readCiphertexts(name, store.read(name, LABEL), owner, acc.length, pub.n2);
        cts.forEach((c, i) => (acc[i] = (acc[i] * c) % pub.n2));
        read.push(name);
      }
      const name = `grad/${t}/${f.name}`;
      if (this.keyHolder === "features") {
        store.write(name, LABEL, ciphertextTable(f.name, acc, pub.n2));
        continue;
      }
      const values = acc.map((c) => hexOf(this.key!.decrypt(c)));
      store.note?.({ kind: "decrypted", reader: LABEL, key: LABEL, tables: read, count: acc.length });
      let shared = this.pairs.get(f.name);
      if (!shared) this.pairs.set(f.name, (shared = pairSecret(this.seal!, readSealKey(store, f.name, LABEL))));
      store.write(name, LABEL, sealTable(name, { type: "masked", key: LABEL, values }, LABEL, [{ party: f.name, shared }]));
    }
  }

  /**
   * The final certificate (label mode): per feature party j, the product of cown/<tag>/j and every
   * cterm/<tag>/i->j (the masks cancel), decrypted with a proof of correct decryption bound to
   * `binding`; the terms travel in the certificate so anyone can rebuild the products.
   */
  certify(store: TableIO, tag: string, features: { name: string; columns: number }[], binding: Uint8Array): VerticalCertificate {
    this.need("label", "certify");
    const key = this.key!;
    const pub = key.pub;
    const pk = store.read(`pk/${LABEL}`, LABEL);
    if (pk.type !== "paillier-pk" || pk.cert === undefined) throw new Error(`table pk/${LABEL}: expected the label party's certified key`);
    const blocks = features.map((f) => {
      const chunks = chunkCount(f.columns, pub);
      const names = [`cown/${tag}/${f.name}`, ...features.filter((o) => o.name !== f.name).map((o) => `cterm/${tag}/${o.name}->${f.name}`)];
      const terms = names.map((table) => ({ table, cts: readCiphertexts(table, store.read(table, LABEL), LABEL, chunks, pub.n2) }));
      const acc = new Array<bigint>(chunks).fill(1n);
      for (const t of terms) t.cts.forEach((c, i) => (acc[i] = (acc[i] * c) % pub.n2));
      const dec = acc.map((c) => proveDecryption(key.secretKey, c, binding));
      store.note?.({ kind: "decrypted", reader: LABEL, key: LABEL, tables: names, count: chunks });
      return {
        party: f.name,
        columns: f.columns,
        terms: terms.map((t) => ({ table: t.table, cts: t.cts.map(hexOf) })),
        values: dec.map((d) => hexOf(mod(d.m, pub.n))),
        proofs: dec.map((d) => serializeDecryptionProof(d.proof)),
      };
    });
    return { v: 1, tag, binding: bytesHex(binding), rows: this.n, key: { n: pk.n, ...(pk.hs === undefined ? {} : { hs: pk.hs }), cert: pk.cert }, blocks };
  }

  /** After iteration t: whether every feature party settled (conv/t/j); if so, stop/y tells them to publish their models. */
  checkStop(store: TableIO, t: number, features: string[]): boolean {
    const all = features.every((f) => {
      const x = store.read(`conv/${t}/${f}`, LABEL);
      if (x.type !== "progress") throw new Error(`table conv/${t}/${f}: expected a progress bit`);
      return x.settled;
    });
    if (all) store.write(`stop/${LABEL}`, LABEL, { type: "progress", settled: true });
    return all;
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
  /** Who generates the Paillier key(s); "label" by default (see the module comment). */
  keyHolder?: KeyHolder;
  /** Paillier modulus size; 2048 by default. */
  keyBits?: number;
  keyOptions?: PaillierRandomnessOptions;
  /** Pre-made key pairs by party name: feature parties in features mode, "y" in label mode (tests reuse them to save key generation). */
  keys?: Record<string, PaillierKeyPair>;
  /** Most iterations (200 by default). */
  iterations?: number;
  /** Stop once every party's coefficients move by less than this (relative, standardized units) in one iteration; 0 (default) runs every iteration. */
  tolerance?: number;
  /** Step size α; default 1/p for p feature parties (safe: the preconditioned Hessian's eigenvalues are ≤ p). */
  learningRate?: number;
  /** Heavy-ball momentum β; default 0.8 (0 with a single feature party). */
  momentum?: number;
  store?: TableStore;
  /** Threads each party uses to encrypt its rows (1 = this thread only). */
  workers?: number;
  /**
   * Label mode: after the last iteration, run the final certificate round (certificate.ts) and
   * accept the model only if the proven gradient's norm is at most `tolerance`
   * (VLINREG_CERT_TOLERANCE by default); `task` names the binding of the proofs ("local" by default).
   */
  certify?: boolean | { tolerance?: number; task?: string };
}

export interface VerticalResult {
  coefficients: Record<string, number>;
  intercept: number;
  store: TableStore;
  parties: { label: LabelParty; features: FeatureParty[] };
  /** Per step and party: wall-clock and CPU milliseconds (CPU of this process, worker threads included). */
  timings: { step: string; party: string; ms: number; cpuMs: number }[];
  /** Iterations run, and whether they stopped at the tolerance. */
  iterations: number;
  converged: boolean;
  /** With `certify`: the final certificate (checked: its gradient is within the tolerance) and the gradient it proves. */
  certificate?: VerticalCertificate;
  certified?: CertifiedGradient;
}

/**
 * The final certificate round at the parties' current θ (label mode): each feature party sends its
 * certificate terms, the label party decrypts and proves; returns the certificate unchecked (the
 * requester checks it with checkVerticalCertificate).
 */
export function certificateRound(parties: { label: LabelParty; features: FeatureParty[] }, store: TableIO, binding: Uint8Array, tag = "final"): VerticalCertificate {
  if (!/^[A-Za-z0-9_-]+$/.test(tag)) throw new Error(`certificate tag ${JSON.stringify(tag)}: use letters, digits, _ or -`);
  for (const f of parties.features) f.sendCertificateTerms(store, tag);
  return parties.label.certify(
    store,
    tag,
    parties.features.map((f) => ({ name: f.name, columns: f.columnNames.length })),
    binding,
  );
}

/**
 * Runs every party's steps in order in one process (the local debug mode); the runtime runs the
 * same steps as round phases, each party on its own node, with the store on the blob store.
 */
export async function runVertical(input: VerticalInput, opts: VerticalOptions = {}): Promise<VerticalResult> {
  const keyHolder = opts.keyHolder ?? "label";
  const store = opts.store ?? new TableStore();
  const label = new LabelParty(input.label.ids, input.label.y, keyHolder);
  const feats = input.features.map((f) => new FeatureParty(f, keyHolder));
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
  const bits = opts.keyBits ?? 2048;
  const workers = opts.workers ?? 1;

  label.publishIds(store);
  feats.forEach((f) => f.publishIds(store));
  // Alignment errors surface here, before any key is made or anything encrypted.
  await timed("align", LABEL, () => label.align(store, all));
  for (const f of feats) await timed("align", f.name, () => f.align(store, all));
  if (keyHolder === "label") {
    await timed("keygen", LABEL, () => label.publishKeys(store, bits, opts.keyOptions, opts.keys?.[LABEL]));
    feats.forEach((f) => f.publishSealKey(store));
    await timed("encrypt", LABEL, () => label.publishLabels(store, workers));
    for (const f of feats) await timed("encrypt", f.name, () => f.publishEncrypted(store, workers));
    for (const f of feats)
      await timed("cross", f.name, () => {
        f.prepareCross(store, shape);
        f.prepareLabelTerm(store);
      });
  } else {
    for (const f of feats) await timed("keygen", f.name, () => f.makeKey(bits, opts.keyOptions, opts.keys?.[f.name]));
    for (const f of feats) await timed("encrypt", f.name, () => f.publishEncrypted(store, workers));
    for (const f of feats) await timed("cross", f.name, () => f.prepareCross(store, shape));
    await timed("cross", LABEL, () => label.prepareLabelTerms(store, shape));
  }
  if (opts.certify && keyHolder !== "label")
    throw new Error('certify: the final certificate needs keyHolder "label" (the label party decrypts the gradient and proves it); it is not built for "features" yet');
  const tolerance = opts.tolerance ?? 0;
  if (!(tolerance >= 0 && tolerance < 1)) throw new Error(`tolerance ${tolerance}: must be in [0, 1)`);
  let ran = 0;
  let converged = false;
  // The runtime's schedule: after update t (t < last) each party publishes conv/t/j with its next
  // terms; the label party then stops the run instead of relaying, and the parties publish models.
  for (let t = 0; t < iterations && !converged; t++) {
    for (const f of feats) await timed("iter:term", f.name, () => f.sendTerms(store, t));
    await timed("iter:relay", LABEL, () => label.relay(store, t, shape));
    for (const f of feats) await timed("iter:update", f.name, () => f.update(store, t, step));
    ran = t + 1;
    if (tolerance > 0 && t < iterations - 1) {
      feats.forEach((f) => f.publishProgress(store, t, tolerance));
      converged = label.checkStop(store, t, names);
    }
  }
  let certificate: VerticalCertificate | undefined;
  let certified: CertifiedGradient | undefined;
  if (opts.certify) {
    const c = opts.certify === true ? {} : opts.certify;
    const binding = vlinregCertBinding(c.task ?? "local");
    for (const f of feats) await timed("certify:terms", f.name, () => f.sendCertificateTerms(store, "final"));
    await timed("certify:decrypt", LABEL, () => (certificate = label.certify(store, "final", shape, binding)));
    const pk = store.read(`pk/${LABEL}`, "requester");
    if (pk.type !== "paillier-pk") throw new Error(`table pk/${LABEL}: expected a Paillier public key`);
    await timed("certify:check", "requester", () => {
      try {
        certified = checkVerticalCertificate(certificate!, { binding, n: BigInt(pk.n), tolerance: c.tolerance ?? VLINREG_CERT_TOLERANCE, features: shape });
      } catch (e) {
        throw new Error(`vertical regression: the final certificate refuses the model: ${(e as Error).message}`, { cause: e });
      }
    });
  }
  feats.forEach((f) => f.publishModel(store));
  const model = label.finish(store, names);
  return { ...model, store, parties: { label, features: feats }, timings, iterations: ran, converged, certificate, certified };
}
