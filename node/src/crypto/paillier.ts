/**
 * Paillier for exact integers (2048-bit modulus by default), own implementation.
 *
 * - g = n + 1, so g^m = 1 + m·n mod n² (no exponentiation for the message part).
 * - Encryption randomness r^n mod n² is the whole cost. Options, fastest last:
 *     "standard": r uniform in Z_n*, r^n mod n² (public key only);
 *     "crt": the key holder computes r^n mod p² and mod q² with reduced exponents and recombines;
 *     a `RandomnessPool` precomputes r^n values in batches (e.g. while waiting for a round) so that
 *     encrypt costs one multiplication;
 *     fixed-base (DJN): ρ = h_s^a for a per-key base h_s and a short exponent a, by fixed-base
 *     tables (`paillierKeyPair`, `paillierEncryptor`, and `encryptAll` in paillier-workers.ts for
 *     worker threads): what vertical regression uses to encrypt every row.
 * - Decryption by CRT: m_p = L_p(c^{p−1} mod p²)·h_p mod p, same for q, recombined.
 * - Packing: several signed values per plaintext in fixed-width slots, with headroom bits so that
 *   sums of up to `maxTerms` packed ciphertexts never carry across slots; signed values are stored
 *   as v + 2^(valueBits−1), and `unpack` subtracts terms·offset. `packCentred` is the packing for
 *   scaling by signed constants (centred slots, mod n).
 *
 * Detectable misuse gives an error: a ciphertext of another key (fingerprint of n in the byte
 * header), ciphertext ≥ n² or 0, and ciphertexts not coprime to n (found during CRT decryption).
 * Paillier is malleable: a tampered ciphertext that stays in range decrypts to some other value;
 * integrity must come from signatures on the message that carries it.
 */
import { generatePrimeSync } from "node:crypto";
import { sha256 } from "@noble/hashes/sha2.js";
import { bitLength, FixedBase, fromBytes, gcd, mod, modInv, modPow, randomBelow, toBytes, uniformBelow } from "./bigmath.js";
import { randomBytes } from "./random.js";

export interface PaillierPublicKey {
  readonly n: bigint;
  readonly n2: bigint;
  readonly bits: number;
  /** 8 bytes of SHA-256(n), hex. */
  readonly fingerprint: string;
}

export interface PaillierSecretKey {
  readonly publicKey: PaillierPublicKey;
  readonly p: bigint;
  readonly q: bigint;
  readonly p2: bigint;
  readonly q2: bigint;
  readonly hp: bigint;
  readonly hq: bigint;
  readonly pInvQ: bigint;
  readonly p2InvQ2: bigint;
  /** n mod p(p−1) and n mod q(q−1): exponents for CRT r^n. */
  readonly enP: bigint;
  readonly enQ: bigint;
}

function fingerprintOf(n: bigint): string {
  return Buffer.from(sha256(toBytes(n, Math.ceil(bitLength(n) / 8))).subarray(0, 8)).toString("hex");
}

export function paillierPublicKey(n: bigint): PaillierPublicKey {
  if (n <= 3n || n % 2n === 0n) throw new Error("paillier public key: n must be an odd integer > 3");
  return { n, n2: n * n, bits: bitLength(n), fingerprint: fingerprintOf(n) };
}

function L(x: bigint, d: bigint): bigint {
  return (x - 1n) / d;
}

export function paillierSecretKey(p: bigint, q: bigint): PaillierSecretKey {
  if (p === q) throw new Error("paillier secret key: p and q must differ");
  const pk = paillierPublicKey(p * q);
  if (gcd(pk.n, (p - 1n) * (q - 1n)) !== 1n) throw new Error("paillier secret key: gcd(n, φ(n)) must be 1");
  const p2 = p * p;
  const q2 = q * q;
  const g = pk.n + 1n;
  const hp = modInv(L(modPow(g % p2, p - 1n, p2), p), p);
  const hq = modInv(L(modPow(g % q2, q - 1n, q2), q), q);
  return {
    publicKey: pk,
    p,
    q,
    p2,
    q2,
    hp,
    hq,
    pInvQ: modInv(p, q),
    p2InvQ2: modInv(p2, q2),
    enP: pk.n % (p * (p - 1n)),
    enQ: pk.n % (q * (q - 1n)),
  };
}

export interface PaillierKeygenOptions {
  /**
   * Blum primes p ≡ q ≡ 3 (mod 4), as the modulus proof Π^mod (paillier-proofs/modulus.ts)
   * requires: a key that will be certified must be made with this on. Costs nothing measurable.
   */
  blum?: boolean;
}

export function paillierKeygen(bits = 2048, opts: PaillierKeygenOptions = {}): PaillierSecretKey {
  if (!Number.isInteger(bits) || bits < 512 || bits % 2 !== 0) throw new Error(`paillier keygen: bits must be an even integer ≥ 512, got ${bits}`);
  const primeOpts = opts.blum ? { bigint: true as const, add: 4n, rem: 3n } : { bigint: true as const };
  for (;;) {
    const p = generatePrimeSync(bits / 2, primeOpts);
    const q = generatePrimeSync(bits / 2, primeOpts);
    if (p === q || bitLength(p * q) !== bits) continue;
    try {
      return paillierSecretKey(p, q);
    } catch {
      // gcd(n, φ) ≠ 1 is astronomically rare; draw again.
    }
  }
}

/** Whether the key's primes are Blum primes (p ≡ q ≡ 3 mod 4), which Π^mod needs. */
export function isBlumKey(sk: PaillierSecretKey): boolean {
  return sk.p % 4n === 3n && sk.q % 4n === 3n;
}

/** r^n mod n² for a fresh r (public-key path). */
export function freshRn(pk: PaillierPublicKey): bigint {
  return modPow(randomBelow(pk.n, randomBytes), pk.n, pk.n2);
}

/** r^n mod n² through CRT (key holder only): ~half the cost of `freshRn`. */
export function freshRnCrt(sk: PaillierSecretKey): bigint {
  const r = randomBelow(sk.publicKey.n, randomBytes);
  const xp = modPow(r % sk.p2, sk.enP, sk.p2);
  const xq = modPow(r % sk.q2, sk.enQ, sk.q2);
  let d = (xq - xp) % sk.q2;
  if (d < 0n) d += sk.q2;
  return xp + sk.p2 * ((d * sk.p2InvQ2) % sk.q2);
}

/** Precomputed r^n values, filled in batches; `take` falls back to computing one on demand. */
export class RandomnessPool {
  private readonly values: bigint[] = [];
  constructor(
    readonly publicKey: PaillierPublicKey,
    private readonly secretKey?: PaillierSecretKey,
  ) {}

  get size(): number {
    return this.values.length;
  }

  fill(count: number): void {
    for (let i = 0; i < count; i++) this.values.push(this.secretKey ? freshRnCrt(this.secretKey) : freshRn(this.publicKey));
  }

  /** Fills in slices of `chunk`, yielding to the event loop between slices (idle-time precomputation). */
  async fillInBackground(count: number, chunk = 4, signal?: AbortSignal): Promise<void> {
    for (let done = 0; done < count && !signal?.aborted; done += chunk) {
      this.fill(Math.min(chunk, count - done));
      await new Promise<void>((res) => setImmediate(res));
    }
  }

  take(): bigint {
    return this.values.pop() ?? (this.secretKey ? freshRnCrt(this.secretKey) : freshRn(this.publicKey));
  }
}

// ---------- key pairs and encryptors with fixed-base (DJN) randomness ----------

export interface PaillierRandomnessOptions {
  /**
   * true (default): randomness ρ = h_s^a with h_s = (−x²)^N mod N² fixed per key and a uniform in
   * [0, 2^⌈bits/2⌉), the Damgård–Jurik–Nielsen variant (2010) whose semantic security also rests
   * on DCR; with a fixed-base table and CRT this costs ~2·(bits/2)/8 multiplications mod p².
   * false: textbook ρ = r^N for uniform r, by CRT (several times slower).
   */
  fastRandomness?: boolean;
  /** Window of the fixed-base tables (memory 2^w per window). */
  window?: number;
  /** Reuse this h_s (another thread encrypting for the same key); fresh when absent. */
  djnBase?: bigint;
}

/**
 * A key holder's encrypt/decrypt over residues in [0, N) (callers encode signed values first, as
 * vertical/encoding.ts packs them), with the randomness chosen by `PaillierRandomnessOptions`.
 */
export interface PaillierKeyPair {
  readonly pub: PaillierPublicKey;
  readonly secretKey: PaillierSecretKey;
  /** Encrypt plaintexts in [0, N) with fresh randomness each. */
  encrypt(m: bigint): bigint;
  /** Decrypt to [0, N). */
  decrypt(c: bigint): bigint;
  /** What a worker thread needs to encrypt under this key (same DJN base). */
  secret(): PaillierWorkerKey;
  /** Size the randomness tables for about `expected` encryptions (before the first one). */
  prepare(expected: number): void;
}

/** What a helper thread needs to encrypt under a held key: secret, so it never leaves the process. */
export interface PaillierWorkerKey {
  p: bigint;
  q: bigint;
  options: PaillierRandomnessOptions;
}

function checkResidue(pk: PaillierPublicKey, m: bigint): void {
  if (m < 0n || m >= pk.n) throw new Error("Paillier encrypt: plaintext must be in [0, N); encode signed values first");
}

/** Key pair over `sk`; fixed-base tables are built on first use, sized by `prepare`. */
export function paillierKeyPair(sk: PaillierSecretKey, opts: PaillierRandomnessOptions = {}): PaillierKeyPair {
  const pub = sk.publicKey;
  const n = pub.n;
  const { p, q, p2, q2, p2InvQ2 } = sk;
  const crt2 = (rp: bigint, rq: bigint) => rp + p2 * mod((rq - rp) * p2InvQ2, q2);

  let noise: () => bigint;
  let djnBase: bigint | undefined;
  let window = opts.window;
  if (opts.fastRandomness ?? true) {
    let x = uniformBelow(n);
    while (x < 2n) x = uniformBelow(n);
    const hs = opts.djnBase ?? modPow(mod(-(x * x), n), n, pub.n2);
    djnBase = hs;
    const aBits = Math.ceil(pub.bits / 2);
    const bound = 1n << BigInt(aBits);
    let tables: [FixedBase, FixedBase] | undefined;
    noise = () => {
      tables ??= [new FixedBase(hs % p2, p2, aBits, window ?? 8), new FixedBase(hs % q2, q2, aBits, window ?? 8)];
      const a = uniformBelow(bound);
      return crt2(tables[0].pow(a), tables[1].pow(a));
    };
  } else {
    noise = () => freshRnCrt(sk);
  }
  return {
    pub,
    secretKey: sk,
    encrypt(m: bigint): bigint {
      checkResidue(pub, m);
      return ((1n + m * n) * noise()) % pub.n2;
    },
    decrypt(c: bigint): bigint {
      if (c <= 0n || c >= pub.n2) throw new Error("Paillier decrypt: ciphertext out of range [1, N²)");
      const m = paillierDecrypt(sk, c);
      return m < 0n ? m + n : m;
    },
    secret: () => ({ p, q, options: { ...opts, djnBase, window } }),
    prepare(expected: number): void {
      // A 10-bit window costs ~2 s and ~60 MB of tables at 2,048 bits and saves ~20 % per encryption.
      window ??= expected >= 4000 ? 10 : 8;
    },
  };
}

export function paillierKeyPairFromWorkerKey(k: PaillierWorkerKey): PaillierKeyPair {
  return paillierKeyPair(paillierSecretKey(k.p, k.q), k.options);
}

/** A fresh key pair; `bits` a multiple of 64 (the DJN exponent and the tables split it in halves). */
export async function generatePaillierKeyPair(bits = 2048, opts: PaillierRandomnessOptions & PaillierKeygenOptions = {}): Promise<PaillierKeyPair> {
  if (!Number.isInteger(bits) || bits < 512 || bits % 64 !== 0) throw new Error(`Paillier key size ${bits}: use a multiple of 64 ≥ 512 (2048 for real use)`);
  return paillierKeyPair(paillierKeygen(bits, { blum: opts.blum }), opts);
}

/** What a thread needs to encrypt under someone else's key: the public modulus and its DJN base. */
export interface PaillierEncryptorSpec {
  n: bigint;
  hs?: bigint;
  window?: number;
}

/** Encryption of residues in [0, N) under a key this party does not hold. */
export interface PaillierEncryptor {
  readonly pub: PaillierPublicKey;
  encrypt(m: bigint): bigint;
  prepare(expected: number): void;
  spec(): PaillierEncryptorSpec;
}

/**
 * Fixed-base tables of public DJN bases, by key: building one costs 0.2–3 s at 2,048 bits (by
 * window), so a party's later steps in the same process reuse the table its row encryption built.
 */
const publicTables = new Map<string, FixedBase>();

function publicTable(n2: bigint, hs: bigint, bits: number, window: number): FixedBase {
  const id = `${n2.toString(36)}:${hs.toString(36)}`;
  const have = publicTables.get(id);
  if (have && have.w >= window) return have;
  const t = new FixedBase(hs, n2, bits, window);
  if (publicTables.size >= 4 && !have) publicTables.delete(publicTables.keys().next().value!);
  publicTables.set(id, t);
  return t;
}

/**
 * Encrypts under a public key. With the key's DJN base h_s (published with it) the randomness is
 * h_s^a, a < 2^⌈bits/2⌉, by a fixed-base table mod N² — about twice the key holder's CRT cost;
 * without it, textbook r^N (several times slower).
 */
export function paillierEncryptor(pub: PaillierPublicKey, hs?: bigint, window?: number): PaillierEncryptor {
  if (hs !== undefined && (hs <= 1n || hs >= pub.n2)) throw new Error("Paillier public key: the DJN base hs must be in (1, N²)");
  const aBits = Math.ceil(pub.bits / 2);
  const bound = 1n << BigInt(aBits);
  let w = window;
  let table: FixedBase | undefined;
  const noise = (): bigint => {
    if (hs === undefined) {
      let r = uniformBelow(pub.n);
      while (r < 2n) r = uniformBelow(pub.n);
      return modPow(r, pub.n, pub.n2);
    }
    table ??= publicTable(pub.n2, hs, aBits, w ?? 5);
    return table.pow(uniformBelow(bound));
  };
  return {
    pub,
    encrypt(m: bigint): bigint {
      checkResidue(pub, m);
      return ((1n + m * pub.n) * noise()) % pub.n2;
    },
    prepare(expected: number): void {
      // A few encryptions per step (masks) take a small table; encrypting rows, a large one.
      w ??= expected >= 4000 ? 10 : expected >= 200 ? 8 : 5;
    },
    spec: () => ({ n: pub.n, hs, window: w }),
  };
}

export function paillierEncryptorFromSpec(s: PaillierEncryptorSpec): PaillierEncryptor {
  return paillierEncryptor(paillierPublicKey(s.n), s.hs, s.window);
}

function checkPlain(pk: PaillierPublicKey, m: bigint): bigint {
  if (typeof m !== "bigint") throw new Error("paillier encrypt: plaintext must be a bigint");
  // Negative plaintexts wrap to n − |m|; decrypt maps the upper half back to negatives.
  if (m >= pk.n / 2n || -m >= pk.n / 2n) throw new Error(`paillier encrypt: |plaintext| must be < n/2 (${pk.bits}-bit key)`);
  return m < 0n ? m + pk.n : m;
}

/** Enc(m) = (1 + m·n)·rn mod n². `rn` from a pool, `freshRnCrt` or (default) `freshRn`. */
export function paillierEncrypt(pk: PaillierPublicKey, m: bigint, rn: bigint = freshRn(pk)): bigint {
  const mm = checkPlain(pk, m);
  return (((1n + mm * pk.n) % pk.n2) * rn) % pk.n2;
}

export function paillierAdd(pk: PaillierPublicKey, a: bigint, b: bigint): bigint {
  return (a * b) % pk.n2;
}

export function paillierAddPlain(pk: PaillierPublicKey, c: bigint, m: bigint): bigint {
  return (c * ((1n + checkPlain(pk, m) * pk.n) % pk.n2)) % pk.n2;
}

export function paillierMulPlain(pk: PaillierPublicKey, c: bigint, k: bigint): bigint {
  if (k < 0n) return modPow(modInv(c, pk.n2), -k, pk.n2);
  return modPow(c, k, pk.n2);
}

function checkCiphertext(pk: PaillierPublicKey, c: bigint): void {
  if (typeof c !== "bigint" || c <= 0n || c >= pk.n2) throw new Error("paillier: ciphertext must be in (0, n²); it is not a ciphertext of this key");
}

/** CRT decryption to a signed value in (−n/2, n/2). */
export function paillierDecrypt(sk: PaillierSecretKey, c: bigint): bigint {
  const { p, q, p2, q2 } = sk;
  checkCiphertext(sk.publicKey, c);
  const xp = modPow(c % p2, p - 1n, p2);
  const xq = modPow(c % q2, q - 1n, q2);
  if ((xp - 1n) % p !== 0n || (xq - 1n) % q !== 0n) {
    throw new Error("paillier decrypt: ciphertext is not coprime to n (tampered, or made under another key)");
  }
  const mp = (L(xp, p) * sk.hp) % p;
  const mq = (L(xq, q) * sk.hq) % q;
  let d = (mq - mp) % q;
  if (d < 0n) d += q;
  const m = mp + p * ((d * sk.pInvQ) % q);
  const n = sk.publicKey.n;
  return m > n / 2n ? m - n : m;
}

// ---------- packing ----------

export interface PackingLayout {
  /** Bits of one signed value: values must lie in [−2^(valueBits−1), 2^(valueBits−1)). */
  readonly valueBits: number;
  /** Number of packed ciphertexts (or plaintext additions) whose sum must still unpack. */
  readonly maxTerms: number;
  readonly slotBits: number;
  readonly slots: number;
}

export function packingLayout(pk: PaillierPublicKey, valueBits: number, maxTerms: number): PackingLayout {
  if (!Number.isInteger(valueBits) || valueBits < 2 || valueBits > 512) throw new Error(`paillier packing: valueBits must be an integer in [2, 512], got ${valueBits}`);
  if (!Number.isInteger(maxTerms) || maxTerms < 1) throw new Error(`paillier packing: maxTerms must be a positive integer, got ${maxTerms}`);
  const slotBits = valueBits + Math.ceil(Math.log2(maxTerms + 1));
  // Keep the packed integer below n/2 so it never meets the signed wrap-around.
  const slots = Math.floor((pk.bits - 2) / slotBits);
  if (slots < 1) throw new Error("paillier packing: a slot does not fit in the plaintext space; lower valueBits or maxTerms");
  return { valueBits, maxTerms, slotBits, slots };
}

export function pack(layout: PackingLayout, values: readonly bigint[]): bigint {
  if (values.length > layout.slots) throw new Error(`paillier pack: ${values.length} values exceed the layout's ${layout.slots} slots`);
  const offset = 1n << BigInt(layout.valueBits - 1);
  const w = BigInt(layout.slotBits);
  let x = 0n;
  for (let i = values.length - 1; i >= 0; i--) {
    const v = values[i];
    if (v < -offset || v >= offset) throw new Error(`paillier pack: value at index ${i} (${v}) is outside the ${layout.valueBits}-bit signed range`);
    x = (x << w) | (v + offset);
  }
  return x;
}

/** Unpacks `count` slots of a sum of `terms` packed plaintexts. */
export function unpack(layout: PackingLayout, x: bigint, count: number, terms = 1): bigint[] {
  if (terms > layout.maxTerms) throw new Error(`paillier unpack: ${terms} terms exceed the layout's headroom (${layout.maxTerms})`);
  if (x < 0n) throw new Error("paillier unpack: negative packed value (overflowed layout?)");
  const offset = BigInt(terms) * (1n << BigInt(layout.valueBits - 1));
  const w = BigInt(layout.slotBits);
  const mask = (1n << w) - 1n;
  const out: bigint[] = [];
  for (let i = 0; i < count; i++) {
    out.push((x & mask) - offset);
    x >>= w;
  }
  return out;
}

/**
 * The other packing: centred signed slots of `slotBits`, reduced mod n. Unlike `pack` (offset
 * slots, sums only), it survives homomorphic scaling by signed constants — a borrow between slots
 * is undone by the centred decoder — as long as every slot stays within ±2^(slotBits−1) and the
 * whole value within ±n/2 (vertical regression's gradients, vertical/encoding.ts).
 */
export function packCentred(values: readonly bigint[], slotBits: number, n: bigint): bigint {
  let acc = 0n;
  for (let i = values.length - 1; i >= 0; i--) acc = (acc << BigInt(slotBits)) + values[i];
  const r = acc % n;
  return r < 0n ? r + n : r;
}

/** Unpacks `count` centred slots of `slotBits` from a plaintext in [0, n). */
export function unpackCentred(plain: bigint, count: number, slotBits: number, n: bigint): bigint[] {
  let v = plain > n / 2n ? plain - n : plain;
  const base = 1n << BigInt(slotBits);
  const half = base >> 1n;
  const out: bigint[] = [];
  for (let i = 0; i < count; i++) {
    let s = v % base;
    if (s < 0n) s += base;
    if (s >= half) s -= base;
    out.push(s);
    v = (v - s) / base;
  }
  if (v !== 0n) throw new Error("unpack: plaintext has more data than the expected slots; a slot overflowed its bound");
  return out;
}

// ---------- serialization ----------

export function serializePaillierPublicKey(pk: PaillierPublicKey): string {
  return JSON.stringify({ scheme: "paillier", n: pk.n.toString(16) });
}

export function parsePaillierPublicKey(text: string): PaillierPublicKey {
  const o = JSON.parse(text) as { scheme?: unknown; n?: unknown };
  if (o.scheme !== "paillier" || typeof o.n !== "string" || !/^[0-9a-f]+$/.test(o.n)) {
    throw new Error('paillier public key: need {"scheme":"paillier","n":<hex>}');
  }
  return paillierPublicKey(BigInt("0x" + o.n));
}

export function serializePaillierSecretKey(sk: PaillierSecretKey): string {
  return JSON.stringify({ scheme: "paillier-secret", p: sk.p.toString(16), q: sk.q.toString(16) });
}

export function parsePaillierSecretKey(text: string): PaillierSecretKey {
  const o = JSON.parse(text) as { scheme?: unknown; p?: unknown; q?: unknown };
  if (o.scheme !== "paillier-secret" || typeof o.p !== "string" || typeof o.q !== "string") {
    throw new Error('paillier secret key: need {"scheme":"paillier-secret","p":<hex>,"q":<hex>}');
  }
  return paillierSecretKey(BigInt("0x" + o.p), BigInt("0x" + o.q));
}

const MAGIC = [0x50, 0x41, 0x49, 0x31]; // "PAI1"

/** "PAI1" | key fingerprint (8 bytes) | c as fixed-length big-endian (bytes of n²). */
export function serializePaillierCiphertext(pk: PaillierPublicKey, c: bigint): Uint8Array {
  checkCiphertext(pk, c);
  const len = Math.ceil(bitLength(pk.n2) / 8);
  const out = new Uint8Array(12 + len);
  out.set(MAGIC, 0);
  out.set(Buffer.from(pk.fingerprint, "hex"), 4);
  out.set(toBytes(c, len), 12);
  return out;
}

export function parsePaillierCiphertext(pk: PaillierPublicKey, bytes: Uint8Array): bigint {
  if (bytes.length < 12 || MAGIC.some((m, i) => bytes[i] !== m)) throw new Error("paillier ciphertext: bad magic (not a Paillier ciphertext)");
  const fp = Buffer.from(bytes.subarray(4, 12)).toString("hex");
  if (fp !== pk.fingerprint) throw new Error(`paillier ciphertext: made under another key (fingerprint ${fp}, this key is ${pk.fingerprint})`);
  const len = Math.ceil(bitLength(pk.n2) / 8);
  if (bytes.length !== 12 + len) throw new Error(`paillier ciphertext: expected ${12 + len} bytes, got ${bytes.length}`);
  const c = fromBytes(bytes.subarray(12));
  checkCiphertext(pk, c);
  return c;
}
