import { chacha20 } from "@noble/ciphers/chacha.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { SNARK_FIELD } from "../../../../protocol/src/binding.js";

/**
 * Arithmetic in the BN254 scalar field. Secure aggregation works here (not in int64 as Delta did)
 * so a masked sum is an exact field sum that can later be compared with zk commitments over the
 * same field, and so masks can be truly uniform: a uniform mask added mod p hides any input.
 */
export const P = SNARK_FIELD;
/** Bytes that hold one field element (254 bits). */
export const ELEMENT_BYTES = 32;
/** p < 2^254: candidates are 254-bit strings, accepted with probability p / 2^254 ≈ 0.757. */
const CANDIDATE_MASK = (1n << 254n) - 1n;

export function mod(a: bigint): bigint {
  const r = a % P;
  return r < 0n ? r + P : r;
}

export function checkElement(v: bigint, field: string): bigint {
  if (typeof v !== "bigint" || v < 0n || v >= P) {
    throw new Error(`${field}: ${String(v)} is not a field element; encode values into [0, p) with the fixed-point codec first`);
  }
  return v;
}

export function checkVector(v: readonly bigint[], length: number, field: string): void {
  if (!Array.isArray(v) || v.length !== length) {
    throw new Error(`${field}: expected a vector of ${length} field elements, got ${Array.isArray(v) ? v.length : typeof v}`);
  }
  for (let i = 0; i < v.length; i++) checkElement((v as readonly bigint[])[i], `${field}[${i}]`);
}

export function addVec(acc: bigint[], v: readonly bigint[]): void {
  for (let i = 0; i < acc.length; i++) {
    const s = acc[i] + v[i];
    acc[i] = s >= P ? s - P : s;
  }
}

export function subVec(acc: bigint[], v: readonly bigint[]): void {
  for (let i = 0; i < acc.length; i++) {
    const s = acc[i] - v[i];
    acc[i] = s < 0n ? s + P : s;
  }
}

export function inv(a: bigint): bigint {
  let [r0, r1] = [mod(a), P];
  if (r0 === 0n) throw new Error("inv: zero has no inverse in the field");
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return mod(s0);
}

export function elementToBytes(v: bigint): Uint8Array {
  checkElement(v, "element");
  return Uint8Array.from(Buffer.from(v.toString(16).padStart(64, "0"), "hex"));
}

export function bytesToElement(b: Uint8Array, field = "element"): bigint {
  if (b.length !== ELEMENT_BYTES) throw new Error(`${field}: expected ${ELEMENT_BYTES} bytes, got ${b.length}`);
  return checkElement(BigInt("0x" + Buffer.from(b).toString("hex")), field);
}

/** Reads 32-byte candidates from a byte source and keeps those below p, so the result is exactly uniform. */
function sampleFrom(next: () => Uint8Array, count: number): bigint[] {
  const out: bigint[] = [];
  while (out.length < count) {
    const buf = next();
    const hex = Buffer.from(buf).toString("hex");
    for (let o = 0; o + 64 <= hex.length && out.length < count; o += 64) {
      const c = BigInt("0x" + hex.slice(o, o + 64)) & CANDIDATE_MASK;
      if (c < P) out.push(c);
    }
  }
  return out;
}

/** Uniform field elements from the operating system's CSPRNG (Shamir coefficients, secrets). */
export function randomElements(count: number): bigint[] {
  // The CSPRNG hands out at most 64 KiB per call.
  return sampleFrom(() => randomBytes(Math.min(65536, ELEMENT_BYTES * Math.max(4, Math.ceil(count * 1.4)))), count);
}

export function randomElement(): bigint {
  return randomElements(1)[0];
}

const ZERO_NONCE = new Uint8Array(12);

/**
 * Deterministic PRG: the ChaCha20 keystream under a 32-byte seed, cut into 254-bit candidates and
 * rejection-sampled, so every output is uniform mod p (no modulo bias). Both ends of a pairwise mask
 * expand the same seed to the same vector.
 */
export function prgElements(seed: Uint8Array, count: number): bigint[] {
  if (seed.length !== 32) throw new Error(`prgElements: seed must be 32 bytes, got ${seed.length}`);
  let counter = 0;
  return sampleFrom(() => {
    // Whole 64-byte blocks so the block counter advances exactly with the bytes consumed.
    const blocks = Math.max(1, Math.ceil((count * ELEMENT_BYTES * 1.4) / 64));
    const out = chacha20(seed, ZERO_NONCE, new Uint8Array(blocks * 64), undefined, counter);
    counter += blocks;
    return out;
  }, count);
}
