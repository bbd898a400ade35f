/**
 * CKKS key holders and evaluation on top of node-seal.
 *
 * - `CkksOwner` holds the secret key (data owner / requester): encrypt, decrypt, make worker keys.
 * - `CkksWorker` is built from a worker key bundle that carries ONLY the public key, the
 *   relinearisation keys and the Galois keys for the rotation steps the owner chose; the bundle
 *   format has no slot for a secret key, and `assertNoSecretKey()` checks the instance.
 *
 * Every serialized ciphertext carries the preset and a key fingerprint (SHA-256 of the public key
 * bytes, first 16 bytes). Loading a ciphertext made under another key fails with a clear error
 * instead of decrypting to noise. The fingerprint catches mistakes, not forgery: anyone can copy a
 * fingerprint onto a ciphertext of their own.
 *
 * Memory: SEAL objects live in the WASM heap and are not garbage collected. Every method that
 * returns a `Ciphertext` hands ownership to the caller, who must `delete()` it; intermediate
 * objects are deleted here. `dispose()` frees the keys. Note that embind's `clone()` only copies the
 * JS handle (both handles then share one SEAL object); deep copies use SEAL's `copy()`.
 *
 * Precision: values are encoded at scale Δ (2^40 for presets 128/192). Fresh encryptions decode
 * within ~1e-6 absolute for |x| ≤ 2^10; after multiply + relinearize + rescale within ~1e-5 for
 * operands ≤ 1 (tests check these bounds). The last level must hold value·Δ: keep |x| well below
 * 2^(60−scaleBits−1).
 */
import { sha256 } from "@noble/hashes/sha2.js";
import type { Ciphertext, Decryptor, Encryptor, GaloisKeys, KeyGenerator, Plaintext, PublicKey, RelinKeys, SecretKey } from "node-seal";
import { type CkksContext, type CkksPresetName, getCkksContext, sealCall } from "./context.js";
import { readFrames, writeFrames } from "../../algorithms/wire.js";

const CT_MAGIC = [0x43, 0x4b, 0x43, 0x31]; // "CKC1"
const WK_MAGIC = [0x43, 0x4b, 0x57, 0x31]; // "CKW1"
const OWN_MAGIC = [0x43, 0x4b, 0x53, 0x31]; // "CKS1"
const FP_LEN = 16;

export type Fingerprint = Uint8Array;

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

function fingerprintOf(publicKeyBytes: Uint8Array): Fingerprint {
  return sha256(publicKeyBytes).subarray(0, FP_LEN);
}

function eqBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function checkMagic(bytes: Uint8Array, magic: number[], what: string): void {
  if (bytes.length < magic.length + 1 + FP_LEN || magic.some((m, i) => bytes[i] !== m)) {
    throw new Error(`${what}: bad magic (these bytes are not a ${what})`);
  }
}

export interface MultiplyOptions {
  /** Relinearise the size-3 product (default true). Skip only when the result goes straight to decryption. */
  relinearize?: boolean;
  /** Rescale after the multiply (default true). */
  rescale?: boolean;
}

/** Evaluation shared by owner and worker. */
export abstract class CkksEvaluator {
  protected constructor(
    readonly ctx: CkksContext,
    readonly fingerprint: Fingerprint,
    protected readonly publicKey: PublicKey,
    protected relinKeys: RelinKeys | undefined,
    protected galoisKeys: GaloisKeys | undefined,
    readonly rotationSteps: readonly number[],
    protected readonly encryptor: Encryptor,
  ) {}

  get slots(): number {
    return this.ctx.slots;
  }

  get fingerprintHex(): string {
    return hex(this.fingerprint);
  }

  protected encode(values: ArrayLike<number>, scale = this.ctx.scale, like?: Ciphertext): Plaintext {
    const { seal, encoder, evaluator, slots } = this.ctx;
    if (values.length > slots) throw new Error(`ckks encode: ${values.length} values exceed the ${slots} slots of preset ${this.ctx.preset.name}`);
    const arr = new Float64Array(slots);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!Number.isFinite(v)) throw new Error(`ckks encode: value at index ${i} is not finite (${v})`);
      arr[i] = v;
    }
    const pt = new seal.Plaintext();
    sealCall("encode", () => encoder.encode(arr, scale, pt));
    if (like) {
      const pid = like.parmsId();
      try {
        sealCall("encode (level switch)", () => evaluator.plainModSwitchToInplace(pt, pid));
      } finally {
        pid.delete();
      }
    }
    return pt;
  }

  /** Public-key encryption of up to `slots` values (unused slots are 0). */
  encrypt(values: ArrayLike<number>): Ciphertext {
    const pt = this.encode(values);
    const ct = new this.ctx.seal.Ciphertext();
    try {
      sealCall("encrypt", () => this.encryptor.encrypt(pt, ct));
      return ct;
    } catch (e) {
      ct.delete();
      throw e;
    } finally {
      pt.delete();
    }
  }

  /** Ciphertext → bytes: magic, preset, key fingerprint, SEAL bytes (zstd). */
  save(ct: Ciphertext): Uint8Array {
    const body = sealCall("save ciphertext", () => ct.saveToArray(this.ctx.seal.ComprModeType.zstd) as Uint8Array);
    return this.frame(body);
  }

  protected frame(body: Uint8Array): Uint8Array {
    const out = new Uint8Array(CT_MAGIC.length + 1 + FP_LEN + body.length);
    out.set(CT_MAGIC, 0);
    out[4] = this.ctx.preset.name === 128 ? 1 : this.ctx.preset.name === 192 ? 2 : 3;
    out.set(this.fingerprint, 5);
    out.set(body, 5 + FP_LEN);
    return out;
  }

  /** Bytes → ciphertext; refuses bytes made under another preset or another key. */
  load(bytes: Uint8Array): Ciphertext {
    checkMagic(bytes, CT_MAGIC, "ckks ciphertext");
    const preset = [0, 128, 192, 256][bytes[4]];
    if (preset !== this.ctx.preset.name) {
      throw new Error(`ckks ciphertext: made for preset ${preset ?? "unknown"}, but this key uses preset ${this.ctx.preset.name}`);
    }
    const fp = bytes.subarray(5, 5 + FP_LEN);
    if (!eqBytes(fp, this.fingerprint)) {
      throw new Error(
        `ckks ciphertext: encrypted under another key (fingerprint ${hex(fp)}, this key is ${this.fingerprintHex}); ` + "use the ciphertexts made with this task's keys",
      );
    }
    const ct = new this.ctx.seal.Ciphertext();
    try {
      sealCall("load ciphertext", () => ct.loadFromArray(this.ctx.context, bytes.subarray(5 + FP_LEN)));
      return ct;
    } catch (e) {
      ct.delete();
      throw e;
    }
  }

  /** Brings a copy of `a` down to `b`'s level (and scale, when they differ only by prime rounding). */
  private matched(a: Ciphertext, b: Ciphertext): Ciphertext {
    const { evaluator } = this.ctx;
    const out = a.copy();
    if (a.coeffModulusSize() > b.coeffModulusSize()) {
      const pid = b.parmsId();
      try {
        sealCall("mod switch", () => evaluator.cipherModSwitchToInplace(out, pid));
      } finally {
        pid.delete();
      }
    }
    this.matchScale(out, b.scale());
    return out;
  }

  private matchScale(ct: Ciphertext, target: number): void {
    const s = ct.scale();
    if (s === target) return;
    // Rescaling divides by a prime near 2^bits, not by 2^bits, so scales drift by ~1e-7 relative;
    // setting the scale accepts that relative error. Larger gaps are a depth mismatch: refuse.
    if (Math.abs(s / target - 1) > 1e-4) {
      throw new Error(`ckks: operand scales differ (2^${Math.log2(s).toFixed(2)} vs 2^${Math.log2(target).toFixed(2)}); they come from different multiplication depths`);
    }
    ct.setScale(target);
  }

  /** Aligns levels/scales, returning operands the caller must delete if they differ from inputs. */
  private aligned(a: Ciphertext, b: Ciphertext): [Ciphertext, Ciphertext] {
    if (a.coeffModulusSize() > b.coeffModulusSize() || (a.coeffModulusSize() === b.coeffModulusSize() && a.scale() !== b.scale())) {
      return [this.matched(a, b), b];
    }
    if (b.coeffModulusSize() > a.coeffModulusSize()) return [a, this.matched(b, a)];
    return [a, b];
  }

  private binary(a: Ciphertext, b: Ciphertext, what: string, f: (x: Ciphertext, y: Ciphertext, out: Ciphertext) => void): Ciphertext {
    const [x, y] = this.aligned(a, b);
    const out = new this.ctx.seal.Ciphertext();
    try {
      sealCall(what, () => f(x, y, out));
      return out;
    } catch (e) {
      out.delete();
      throw e;
    } finally {
      if (x !== a) x.delete();
      if (y !== b) y.delete();
    }
  }

  add(a: Ciphertext, b: Ciphertext): Ciphertext {
    return this.binary(a, b, "add", (x, y, o) => this.ctx.evaluator.add(x, y, o));
  }

  sub(a: Ciphertext, b: Ciphertext): Ciphertext {
    return this.binary(a, b, "sub", (x, y, o) => this.ctx.evaluator.sub(x, y, o));
  }

  /** acc += b (acc is replaced in place when levels match; otherwise acc is re-made). */
  addInPlace(acc: Ciphertext, b: Ciphertext): void {
    if (acc.coeffModulusSize() === b.coeffModulusSize() && acc.size() === b.size()) {
      if (acc.scale() !== b.scale()) this.matchScale(b, acc.scale());
      sealCall("add", () => this.ctx.evaluator.addInplace(acc, b));
      return;
    }
    const sum = this.add(acc, b);
    acc.assign(sum);
    sum.delete();
  }

  multiply(a: Ciphertext, b: Ciphertext, opts: MultiplyOptions = {}): Ciphertext {
    const out = this.binary(a, b, "multiply", (x, y, o) => this.ctx.evaluator.multiply(x, y, o));
    try {
      this.finishProduct(out, opts);
      return out;
    } catch (e) {
      out.delete();
      throw e;
    }
  }

  square(a: Ciphertext, opts: MultiplyOptions = {}): Ciphertext {
    const out = new this.ctx.seal.Ciphertext();
    try {
      sealCall("square", () => this.ctx.evaluator.square(a, out));
      this.finishProduct(out, opts);
      return out;
    } catch (e) {
      out.delete();
      throw e;
    }
  }

  /** Relinearises and/or rescales a product in place (for products accumulated before finishing). */
  finishProduct(ct: Ciphertext, opts: MultiplyOptions = {}): void {
    const { evaluator } = this.ctx;
    if (opts.relinearize ?? true) {
      if (!this.relinKeys) throw new Error("ckks multiply: no relinearisation keys in this key set; make worker keys with relinearisation");
      const rk = this.relinKeys;
      sealCall("relinearize", () => evaluator.relinearizeInplace(ct, rk));
    }
    if (opts.rescale ?? true) {
      if (ct.coeffModulusSize() <= 1) throw new Error("ckks multiply: no level left to rescale; the computation is deeper than the preset allows");
      sealCall("rescale", () => evaluator.rescaleToNextInplace(ct));
    }
  }

  /** Slot-wise product with plaintext values (encoded at the ciphertext's level), rescaled. */
  multiplyPlain(a: Ciphertext, values: ArrayLike<number>, opts: { rescale?: boolean } = {}): Ciphertext {
    const pt = this.encode(values, this.ctx.scale, a);
    const out = new this.ctx.seal.Ciphertext();
    try {
      sealCall("multiply plain", () => this.ctx.evaluator.multiplyPlain(a, pt, out));
      if (opts.rescale ?? true) this.finishProduct(out, { relinearize: false, rescale: true });
      return out;
    } catch (e) {
      out.delete();
      throw e;
    } finally {
      pt.delete();
    }
  }

  addPlain(a: Ciphertext, values: ArrayLike<number>): Ciphertext {
    const pt = this.encode(values, a.scale(), a);
    const out = new this.ctx.seal.Ciphertext();
    try {
      sealCall("add plain", () => this.ctx.evaluator.addPlain(a, pt, out));
      return out;
    } catch (e) {
      out.delete();
      throw e;
    } finally {
      pt.delete();
    }
  }

  /**
   * Drops levels exactly (no division, scale unchanged) while the remaining modulus keeps
   * `neededBits`. For a product that is only decrypted: skipping relinearisation AND rescaling and
   * then dropping keeps the error near 1e-8, whereas rescaling a size-3 ciphertext multiplies the
   * rounding error by s² (measured ~2e-6).
   */
  dropToFit(ct: Ciphertext, neededBits: number): void {
    const bits = this.ctx.preset.coeffModulusBits;
    for (;;) {
      const size = ct.coeffModulusSize();
      let after = 0;
      for (let i = 0; i < size - 1; i++) after += bits[i];
      if (size <= 1 || after < neededBits) return;
      sealCall("mod switch", () => this.ctx.evaluator.cipherModSwitchToNextInplace(ct));
    }
  }

  /** Drops `ct` to the last level in place (smaller bytes; use only when no more multiplies follow). */
  dropToLastLevel(ct: Ciphertext): void {
    while (ct.coeffModulusSize() > 1) sealCall("mod switch", () => this.ctx.evaluator.cipherModSwitchToNextInplace(ct));
  }

  /** Cyclic left rotation of the slot vector by `steps` (a Galois key for that step must exist). */
  rotate(a: Ciphertext, steps: number): Ciphertext {
    const gk = this.galoisKeys;
    if (!gk || !this.rotationSteps.includes(steps)) {
      throw new Error(`ckks rotate: no Galois key for step ${steps}; the key set holds steps [${this.rotationSteps.join(", ")}]`);
    }
    const out = new this.ctx.seal.Ciphertext();
    try {
      sealCall("rotate", () => this.ctx.evaluator.rotateVector(a, steps, gk, out));
      return out;
    } catch (e) {
      out.delete();
      throw e;
    }
  }

  /**
   * Σ_{t<count} rotate(a, t·stride) by doubling (log2(count) rotations, keys for stride·2^j).
   * With count·stride = slots, every slot s ends up holding the sum of all slots ≡ s (mod stride).
   */
  rotateSum(a: Ciphertext, stride: number, count: number): Ciphertext {
    if (!Number.isInteger(Math.log2(count))) throw new Error(`ckks rotateSum: count must be a power of two, got ${count}`);
    const acc = a.copy();
    for (let step = stride; step < stride * count; step *= 2) {
      const r = this.rotate(acc, step);
      sealCall("add", () => this.ctx.evaluator.addInplace(acc, r));
      r.delete();
    }
    return acc;
  }

  /** Galois steps `rotateSum(·, stride, count)` needs. */
  static rotateSumSteps(stride: number, count: number): number[] {
    const steps: number[] = [];
    for (let step = stride; step < stride * count; step *= 2) steps.push(step);
    return steps;
  }

  dispose(): void {
    this.publicKey.delete();
    this.relinKeys?.delete();
    this.galoisKeys?.delete();
    this.encryptor.delete();
    this.relinKeys = undefined;
    this.galoisKeys = undefined;
  }
}

export interface CkksKeygenOptions {
  preset?: CkksPresetName;
  /** Rotation steps the worker will need; Galois keys are made only for these. */
  rotationSteps?: readonly number[];
  /** Encoding scale in bits (default: the preset's; 60 with preset 256 reproduces Pyfhel). */
  scaleBits?: number;
}

const KEY_HEADER = 5 + FP_LEN + 1; // magic, preset, fingerprint, scale bits

function checkSteps(steps: readonly number[], slots: number): number[] {
  const out = [...new Set(steps)].sort((a, b) => a - b);
  for (const s of out) {
    if (!Number.isInteger(s) || s === 0 || Math.abs(s) >= slots) {
      throw new Error(`ckks keygen: rotation step ${s} must be a non-zero integer with |step| < ${slots}`);
    }
  }
  return out;
}

/** The secret-key holder. */
export class CkksOwner extends CkksEvaluator {
  private constructor(
    ctx: CkksContext,
    fingerprint: Fingerprint,
    publicKey: PublicKey,
    private readonly publicKeyBytes: Uint8Array,
    private readonly secretKey: SecretKey,
    private readonly keygen: KeyGenerator,
    private readonly decryptor: Decryptor,
    encryptor: Encryptor,
    private workerBundle: Uint8Array | undefined,
    steps: readonly number[],
  ) {
    super(ctx, fingerprint, publicKey, undefined, undefined, steps, encryptor);
  }

  static async generate(opts: CkksKeygenOptions = {}): Promise<CkksOwner> {
    const ctx = await getCkksContext(opts.preset ?? 128, opts.scaleBits);
    const { seal, context } = ctx;
    const keygen = sealCall("keygen", () => new seal.KeyGenerator(context));
    const sk = keygen.secretKey();
    const pk = keygen.createPublicKey();
    const pkBytes = pk.saveToArray(seal.ComprModeType.zstd) as Uint8Array;
    return CkksOwner.assemble(ctx, keygen, sk, pk, pkBytes, opts.rotationSteps ?? []);
  }

  private static assemble(ctx: CkksContext, keygen: KeyGenerator, sk: SecretKey, pk: PublicKey, pkBytes: Uint8Array, steps: readonly number[]): CkksOwner {
    const { seal, context } = ctx;
    const enc = new seal.Encryptor(context, pk, sk);
    const dec = new seal.Decryptor(context, sk);
    const owner = new CkksOwner(ctx, fingerprintOf(pkBytes), pk, pkBytes, sk, keygen, dec, enc, undefined, checkSteps(steps, ctx.slots));
    return owner;
  }

  /**
   * Bytes a worker needs: public key, relinearisation keys, Galois keys for `rotationSteps`.
   * Never contains the secret key. Made once and cached (relin/Galois generation is the slow part).
   */
  workerKeys(): Uint8Array {
    if (this.workerBundle) return this.workerBundle;
    const { seal } = this.ctx;
    const rk = this.keygen.createRelinKeysSerializable();
    const rkBytes = rk.saveToArray(seal.ComprModeType.zstd) as Uint8Array;
    rk.delete();
    let gkBytes: Uint8Array = new Uint8Array(0);
    if (this.rotationSteps.length > 0) {
      const gk = sealCall("galois keys", () => this.keygen.createGaloisKeysSerializableWithSteps(Int32Array.from(this.rotationSteps)));
      gkBytes = gk.saveToArray(seal.ComprModeType.zstd) as Uint8Array;
      gk.delete();
    }
    const steps = new Uint8Array(new Int32Array(this.rotationSteps).buffer);
    const header = [...WK_MAGIC, presetByte(this.ctx.preset.name), ...this.fingerprint, Math.log2(this.ctx.scale)];
    this.workerBundle = writeFrames(header, [this.publicKeyBytes, rkBytes, gkBytes, steps]);
    return this.workerBundle;
  }

  /** Seeded symmetric encryption straight to bytes: half the size of a public-key ciphertext. */
  encryptToBytes(values: ArrayLike<number>): Uint8Array {
    const pt = this.encode(values);
    try {
      const ser = sealCall("encrypt", () => this.encryptor.encryptSymmetricSerializable(pt));
      try {
        return this.frame(ser.saveToArray(this.ctx.seal.ComprModeType.zstd) as Uint8Array);
      } finally {
        ser.delete();
      }
    } finally {
      pt.delete();
    }
  }

  decrypt(ct: Ciphertext, count = this.ctx.slots): Float64Array {
    const pt = new this.ctx.seal.Plaintext();
    try {
      sealCall("decrypt", () => this.decryptor.decrypt(ct, pt));
      const v = sealCall("decode", () => this.ctx.encoder.decodeFloat64(pt) as Float64Array);
      return count >= v.length ? v : v.slice(0, count);
    } finally {
      pt.delete();
    }
  }

  decryptBytes(bytes: Uint8Array, count?: number): Float64Array {
    const ct = this.load(bytes);
    try {
      return this.decrypt(ct, count);
    } finally {
      ct.delete();
    }
  }

  /** Secret material for the owner's own storage (never send this to a worker). */
  exportSecret(): Uint8Array {
    const skBytes = this.secretKey.saveToArray(this.ctx.seal.ComprModeType.zstd) as Uint8Array;
    const steps = new Uint8Array(new Int32Array(this.rotationSteps).buffer);
    return writeFrames([...OWN_MAGIC, presetByte(this.ctx.preset.name), ...this.fingerprint, Math.log2(this.ctx.scale)], [this.publicKeyBytes, skBytes, steps]);
  }

  static async importSecret(bytes: Uint8Array): Promise<CkksOwner> {
    checkMagic(bytes, OWN_MAGIC, "ckks owner key");
    const preset = presetFromByte(bytes[4], "ckks owner key");
    const ctx = await getCkksContext(preset, bytes[5 + FP_LEN]);
    const [pkBytes, skBytes, stepBytes] = readFrames(bytes, KEY_HEADER, 3, "ckks owner key");
    if (!eqBytes(fingerprintOf(pkBytes), bytes.subarray(5, 5 + FP_LEN))) throw new Error("ckks owner key: fingerprint does not match its public key (corrupted file)");
    const { seal, context } = ctx;
    const sk = new seal.SecretKey();
    const pk = new seal.PublicKey();
    sealCall("load secret key", () => sk.loadFromArray(context, skBytes));
    sealCall("load public key", () => pk.loadFromArray(context, pkBytes));
    const keygen = new seal.KeyGenerator(context, sk);
    const steps = Array.from(new Int32Array(stepBytes.slice().buffer));
    return CkksOwner.assemble(ctx, keygen, sk, pk, pkBytes, steps);
  }

  override dispose(): void {
    super.dispose();
    this.decryptor.delete();
    this.keygen.delete();
    this.secretKey.delete();
  }
}

function presetByte(p: CkksPresetName): number {
  return p === 128 ? 1 : p === 192 ? 2 : 3;
}

function presetFromByte(b: number, what: string): CkksPresetName {
  const p = ([0, 128, 192, 256] as const)[b];
  if (!p) throw new Error(`${what}: unknown preset byte ${b}`);
  return p;
}

/** Evaluation-only key holder: public, relinearisation and Galois keys; never a secret key. */
export class CkksWorker extends CkksEvaluator {
  static async fromBundle(bytes: Uint8Array): Promise<CkksWorker> {
    checkMagic(bytes, WK_MAGIC, "ckks worker keys");
    const preset = presetFromByte(bytes[4], "ckks worker keys");
    const ctx = await getCkksContext(preset, bytes[5 + FP_LEN]);
    const [pkBytes, rkBytes, gkBytes, stepBytes] = readFrames(bytes, KEY_HEADER, 4, "ckks worker keys");
    const fp = fingerprintOf(pkBytes);
    if (!eqBytes(fp, bytes.subarray(5, 5 + FP_LEN))) throw new Error("ckks worker keys: fingerprint does not match the public key (corrupted or tampered bundle)");
    const { seal, context } = ctx;
    const pk = new seal.PublicKey();
    const rk = new seal.RelinKeys();
    const gk = gkBytes.length > 0 ? new seal.GaloisKeys() : undefined;
    try {
      sealCall("load public key", () => pk.loadFromArray(context, pkBytes));
      sealCall("load relinearisation keys", () => rk.loadFromArray(context, rkBytes));
      if (gk) sealCall("load Galois keys", () => gk.loadFromArray(context, gkBytes));
    } catch (e) {
      pk.delete();
      rk.delete();
      gk?.delete();
      throw e;
    }
    const steps = Array.from(new Int32Array(stepBytes.slice().buffer));
    const enc = new seal.Encryptor(context, pk);
    return new CkksWorker(ctx, fp, pk, rk, gk, steps, enc);
  }

  /** Throws if this instance could decrypt. Workers are built from bundles that hold no secret key. */
  assertNoSecretKey(): void {
    assertNoSecretKey(this);
  }
}

/** Throws if `holder` carries a SEAL secret key or decryptor, or can decrypt. */
export function assertNoSecretKey(holder: object): void {
  const { seal } = (holder as { ctx: CkksContext }).ctx;
  for (const v of Object.values(holder)) {
    if (v instanceof seal.SecretKey) throw new Error("ckks: this key holder holds a secret key; send workers only workerKeys()");
    if (v instanceof seal.Decryptor) throw new Error("ckks: this key holder holds a decryptor; send workers only workerKeys()");
  }
  if (typeof (holder as { decrypt?: unknown }).decrypt === "function") throw new Error("ckks: this key holder can decrypt");
}
