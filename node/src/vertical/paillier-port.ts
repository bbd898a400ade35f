import { generateRandomKeys } from "paillier-bigint";
import { randomBytes } from "node:crypto";
import { FixedBase, invMod, mod, powMod, bitLength } from "./bigmath.js";

/**
 * The small Paillier surface vertical regression needs, so the implementation can be swapped for
 * node/src/crypto/paillier.ts when that exists. Key generation comes from `paillier-bigint`;
 * encryption and decryption are done here because that library's are ~40× slower than necessary
 * (no CRT, full-size random exponent per encryption).
 *
 * g = N + 1 throughout, so Enc(m) = (1 + mN)·ρ mod N² with ρ an N-th residue.
 */
export interface PaillierPublicKey {
  n: bigint;
  n2: bigint;
  /** Bit length of N. */
  bits: number;
}

export interface PaillierKeyPair {
  pub: PaillierPublicKey;
  /** Encrypt plaintexts in [0, N) with fresh randomness each. */
  encrypt(m: bigint): bigint;
  decrypt(c: bigint): bigint;
}

export interface KeyOptions {
  /**
   * true (default): randomness ρ = h_s^a with h_s = (−x²)^N mod N² fixed per key and a uniform in
   * [0, 2^⌈bits/2⌉), the Damgård–Jurik–Nielsen variant (2010) whose semantic security also rests
   * on DCR; with a fixed-base table and CRT this costs ~2·(bits/2)/8 multiplications mod p².
   * false: textbook ρ = r^N for uniform r (several times slower).
   */
  fastRandomness?: boolean;
  /** Window of the fixed-base tables (memory 2^w per window). */
  window?: number;
}

export function publicKeyFromN(n: bigint): PaillierPublicKey {
  if (n <= 3n || n % 2n === 0n) throw new Error("Paillier public key: N must be an odd composite > 3");
  return { n, n2: n * n, bits: bitLength(n) };
}

function randomBelow(bound: bigint): bigint {
  const bytes = Math.ceil(bitLength(bound) / 8) + 8;
  return BigInt("0x" + randomBytes(bytes).toString("hex")) % bound;
}

export function keyPairFromPrimes(p: bigint, q: bigint, opts: KeyOptions = {}): PaillierKeyPair {
  if (p === q) throw new Error("Paillier key: p and q must differ");
  const n = p * q;
  const pub = publicKeyFromN(n);
  const p2 = p * p;
  const q2 = q * q;
  const p2InvQ2 = invMod(p2, q2);
  const pInvQ = invMod(p, q);
  // CRT decryption constants: h_p = L_p(g^(p−1) mod p²)^(−1) mod p.
  const hp = invMod((powMod(n + 1n, p - 1n, p2) - 1n) / p, p);
  const hq = invMod((powMod(n + 1n, q - 1n, q2) - 1n) / q, q);
  const crt2 = (rp: bigint, rq: bigint) => rp + p2 * mod((rq - rp) * p2InvQ2, q2);

  let noise: () => bigint;
  if (opts.fastRandomness ?? true) {
    let x = randomBelow(n);
    while (x < 2n) x = randomBelow(n);
    const hs = powMod(mod(-(x * x), n), n, pub.n2);
    const aBits = Math.ceil(pub.bits / 2);
    const w = opts.window ?? 8;
    const tp = new FixedBase(hs % p2, p2, aBits, w);
    const tq = new FixedBase(hs % q2, q2, aBits, w);
    const bound = 1n << BigInt(aBits);
    noise = () => {
      const a = randomBelow(bound);
      return crt2(tp.pow(a), tq.pow(a));
    };
  } else {
    noise = () => {
      const r = randomBelow(n - 2n) + 2n;
      // r^N mod p² = (r mod p²)^N; the exponent cannot shrink, but the modulus halves.
      return crt2(powMod(r % p2, n, p2), powMod(r % q2, n, q2));
    };
  }
  return {
    pub,
    encrypt(m: bigint): bigint {
      if (m < 0n || m >= n) throw new Error("Paillier encrypt: plaintext must be in [0, N); encode signed values first");
      return ((1n + m * n) * noise()) % pub.n2;
    },
    decrypt(c: bigint): bigint {
      if (c <= 0n || c >= pub.n2) throw new Error("Paillier decrypt: ciphertext out of range [1, N²)");
      const mp = (((powMod(c % p2, p - 1n, p2) - 1n) / p) * hp) % p;
      const mq = (((powMod(c % q2, q - 1n, q2) - 1n) / q) * hq) % q;
      return mp + p * mod((mq - mp) * pInvQ, q);
    },
  };
}

export async function generateKeyPair(bits = 2048, opts: KeyOptions = {}): Promise<PaillierKeyPair> {
  if (!Number.isInteger(bits) || bits < 512 || bits % 64 !== 0) throw new Error(`Paillier key size ${bits}: use a multiple of 64 ≥ 512 (2048 for real use)`);
  const { privateKey } = await generateRandomKeys(bits, true);
  const pk = privateKey as unknown as { _p?: bigint; _q?: bigint };
  if (pk._p === undefined || pk._q === undefined) throw new Error("paillier-bigint did not expose the key's primes; cannot use CRT");
  return keyPairFromPrimes(pk._p, pk._q, opts);
}

/** Homomorphic addition of plaintexts. */
export function addCt(pub: PaillierPublicKey, a: bigint, b: bigint): bigint {
  return (a * b) % pub.n2;
}

/** Enc(k·m) from Enc(m) for a signed integer k. */
export function mulPlain(pub: PaillierPublicKey, c: bigint, k: bigint): bigint {
  return k >= 0n ? powMod(c, k, pub.n2) : powMod(invMod(c, pub.n2), -k, pub.n2);
}
