/** Shared arithmetic and codecs of the Paillier proofs (no I/O). */
import { gcd, modInv, modPow, randomBelow } from "../bigmath.js";
import type { PaillierPublicKey, PaillierSecretKey } from "../paillier.js";
import { randomBytes } from "../random.js";

export { randomBytes };

export function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

/** Uniform unit of Z_n* (CSPRNG). */
export function randomUnit(n: bigint): bigint {
  return randomBelow(n, randomBytes);
}

/** Uniform in [0, 2^bits) (CSPRNG). */
export function randomBits(bits: number): bigint {
  const len = Math.ceil(bits / 8);
  const b = randomBytes(len);
  const extra = len * 8 - bits;
  if (extra) b[0] &= 0xff >> extra;
  return BigInt("0x" + (Buffer.from(b).toString("hex") || "0"));
}

/** Uniform in [−2^bits, 2^bits): the signed sampling intervals ±2^bits of CGGMP21. */
export function randomSigned(bits: number): bigint {
  return randomBits(bits + 1) - (1n << BigInt(bits));
}

/** base^exp mod m for a signed exponent (the base must be a unit). */
export function powSigned(base: bigint, exp: bigint, m: bigint): bigint {
  return exp < 0n ? modPow(modInv(base, m), -exp, m) : modPow(base, exp, m);
}

/** Chinese remainder: x ≡ xp (mod p), x ≡ xq (mod q), with pInvQ = p⁻¹ mod q. */
export function crt(xp: bigint, xq: bigint, p: bigint, q: bigint, pInvQ: bigint): bigint {
  return xp + p * mod((xq - xp) * pInvQ, q);
}

/** r^N mod N²: by CRT with reduced exponents when the secret key is at hand (about half the cost). */
export function powN(pk: PaillierPublicKey, r: bigint, sk?: PaillierSecretKey): bigint {
  if (!sk) return modPow(r, pk.n, pk.n2);
  const xp = modPow(r % sk.p2, sk.enP, sk.p2);
  const xq = modPow(r % sk.q2, sk.enQ, sk.q2);
  return crt(xp, xq, sk.p2, sk.q2, sk.p2InvQ2);
}

/** The N-th root mod N of an N-th residue u mod N² (key holder: N⁻¹ mod φ by CRT). */
export function nthRoot(sk: PaillierSecretKey, u: bigint): bigint {
  const { p, q } = sk;
  const rp = modPow(u % p, modInv(sk.publicKey.n % (p - 1n), p - 1n), p);
  const rq = modPow(u % q, modInv(sk.publicKey.n % (q - 1n), q - 1n), q);
  return crt(rp, rq, p, q, sk.pInvQ);
}

/** Jacobi symbol (a / n) for odd n > 0. */
export function jacobi(a: bigint, n: bigint): number {
  if (n <= 0n || n % 2n === 0n) throw new Error("jacobi: n must be odd and positive");
  a = mod(a, n);
  let t = 1;
  while (a !== 0n) {
    while (a % 2n === 0n) {
      a /= 2n;
      const r = n % 8n;
      if (r === 3n || r === 5n) t = -t;
    }
    [a, n] = [n, a];
    if (a % 4n === 3n && n % 4n === 3n) t = -t;
    a %= n;
  }
  return n === 1n ? t : 0;
}

export function isUnit(x: bigint, n: bigint): boolean {
  return x > 0n && x < n && gcd(x, n) === 1n;
}

// ---------- serialization ----------

export const hex = (x: bigint): string => (x < 0n ? "-" + (-x).toString(16) : x.toString(16));

/** Parses a field of a proof object as a (signed) hex integer; the error names the field. */
export function parseHex(o: Record<string, unknown>, field: string, what: string): bigint {
  const v = o[field];
  if (typeof v !== "string" || !/^-?[0-9a-f]+$/.test(v) || v.length > 8192) throw new Error(`${what}: field "${field}" must be a lowercase hex integer`);
  return v.startsWith("-") ? -BigInt("0x" + v.slice(1)) : BigInt("0x" + v);
}

export function parseObject(text: string, kind: string, what: string): Record<string, unknown> {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    throw new Error(`${what}: not JSON`);
  }
  if (typeof o !== "object" || o === null || Array.isArray(o)) throw new Error(`${what}: not a JSON object`);
  const r = o as Record<string, unknown>;
  if (r.v !== 1 || r.proof !== kind) throw new Error(`${what}: need {"v":1,"proof":"${kind}",…}, got proof ${JSON.stringify(r.proof)}`);
  return r;
}

/** Bytes a bigint takes as fixed-width big-endian (for reporting proof sizes). */
export function byteLen(x: bigint): number {
  return Math.ceil((x < 0n ? -x : x).toString(16).length / 2);
}
