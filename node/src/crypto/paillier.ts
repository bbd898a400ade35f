/**
 * Paillier for exact integers (2048-bit modulus by default), own implementation.
 *
 * - g = n + 1, so g^m = 1 + m·n mod n² (no exponentiation for the message part).
 * - Encryption randomness r^n mod n² is the whole cost. Options, fastest last:
 *     "standard": r uniform in Z_n*, r^n mod n² (public key only);
 *     "crt": the key holder computes r^n mod p² and mod q² with reduced exponents and recombines;
 *     a `RandomnessPool` precomputes r^n values in batches (e.g. while waiting for a round) so that
 *     encrypt costs one multiplication.
 * - Decryption by CRT: m_p = L_p(c^{p−1} mod p²)·h_p mod p, same for q, recombined.
 * - Packing: several signed values per plaintext in fixed-width slots, with headroom bits so that
 *   sums of up to `maxTerms` packed ciphertexts never carry across slots; signed values are stored
 *   as v + 2^(valueBits−1), and `unpack` subtracts terms·offset.
 *
 * Detectable misuse gives an error: a ciphertext of another key (fingerprint of n in the byte
 * header), ciphertext ≥ n² or 0, and ciphertexts not coprime to n (found during CRT decryption).
 * Paillier is malleable: a tampered ciphertext that stays in range decrypts to some other value;
 * integrity must come from signatures on the message that carries it.
 */
import { generatePrimeSync } from "node:crypto";
import { sha256 } from "@noble/hashes/sha2.js";
import { bitLength, fromBytes, gcd, modInv, modPow, randomBelow, toBytes } from "./bigmath.js";
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
    publicKey: pk, p, q, p2, q2, hp, hq,
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

function checkPlain(pk: PaillierPublicKey, m: bigint): bigint {
  if (typeof m !== "bigint") throw new Error("paillier encrypt: plaintext must be a bigint");
  // Negative plaintexts wrap to n − |m|; decrypt maps the upper half back to negatives.
  if (m >= pk.n / 2n || -m >= pk.n / 2n) throw new Error(`paillier encrypt: |plaintext| must be < n/2 (${pk.bits}-bit key)`);
  return m < 0n ? m + pk.n : m;
}

/** Enc(m) = (1 + m·n)·rn mod n². `rn` from a pool, `freshRnCrt` or (default) `freshRn`. */
export function paillierEncrypt(pk: PaillierPublicKey, m: bigint, rn: bigint = freshRn(pk)): bigint {
  const mm = checkPlain(pk, m);
  return ((1n + mm * pk.n) % pk.n2) * rn % pk.n2;
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
