import { randomBytes } from "node:crypto";
import { paillierKeygen, paillierSecretKey, paillierDecrypt, freshRnCrt } from "../crypto/paillier.js";
import { FixedBase, invMod, mod, powMod, bitLength } from "./bigmath.js";

/**
 * The small Paillier surface vertical regression needs. Key generation, CRT decryption and the
 * textbook CRT randomness come from node/src/crypto/paillier.ts; what is added here is the
 * fixed-base (DJN) randomness, which makes the key holder's encryptions of its rows several
 * times cheaper — encrypting every row once is the dominant cost of the protocol.
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
  secret(): KeySecret;
  /** Size the randomness tables for about `expected` encryptions (before the first one). */
  prepare(expected: number): void;
}

export interface KeyOptions {
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

/** What a helper thread needs to encrypt under this key: secret, so it never leaves the process. */
export interface KeySecret {
  p: bigint;
  q: bigint;
  options: KeyOptions;
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
  const sk = paillierSecretKey(p, q);
  const n = sk.publicKey.n;
  const pub = publicKeyFromN(n);
  const { p2, q2, p2InvQ2 } = sk;
  const crt2 = (rp: bigint, rq: bigint) => rp + p2 * mod((rq - rp) * p2InvQ2, q2);

  let noise: () => bigint;
  let djnBase: bigint | undefined;
  let window = opts.window;
  if (opts.fastRandomness ?? true) {
    let x = randomBelow(n);
    while (x < 2n) x = randomBelow(n);
    const hs = opts.djnBase ?? powMod(mod(-(x * x), n), n, pub.n2);
    djnBase = hs;
    const aBits = Math.ceil(pub.bits / 2);
    const bound = 1n << BigInt(aBits);
    // Tables are built on first use, with a window sized by prepare() for big batches.
    let tables: [FixedBase, FixedBase] | undefined;
    noise = () => {
      tables ??= [new FixedBase(hs % p2, p2, aBits, window ?? 8), new FixedBase(hs % q2, q2, aBits, window ?? 8)];
      const a = randomBelow(bound);
      return crt2(tables[0].pow(a), tables[1].pow(a));
    };
  } else {
    noise = () => freshRnCrt(sk);
  }
  return {
    pub,
    encrypt(m: bigint): bigint {
      if (m < 0n || m >= n) throw new Error("Paillier encrypt: plaintext must be in [0, N); encode signed values first");
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

/** What a thread needs to encrypt under someone else's key: the public key and its DJN base. */
export interface PublicSpec {
  n: bigint;
  hs?: bigint;
  window?: number;
}

/** Encryption under a key this party does not hold (the label party's, in label-key mode). */
export interface PublicEncryptor {
  pub: PaillierPublicKey;
  encrypt(m: bigint): bigint;
  prepare(expected: number): void;
  spec(): PublicSpec;
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
export function publicEncryptor(pub: PaillierPublicKey, hs?: bigint, window?: number): PublicEncryptor {
  if (hs !== undefined && (hs <= 1n || hs >= pub.n2)) throw new Error("Paillier public key: the DJN base hs must be in (1, N²)");
  const aBits = Math.ceil(pub.bits / 2);
  const bound = 1n << BigInt(aBits);
  let w = window;
  let table: FixedBase | undefined;
  const noise = (): bigint => {
    if (hs === undefined) {
      let r = randomBelow(pub.n);
      while (r < 2n) r = randomBelow(pub.n);
      return powMod(r, pub.n, pub.n2);
    }
    table ??= publicTable(pub.n2, hs, aBits, w ?? 5);
    return table.pow(randomBelow(bound));
  };
  return {
    pub,
    encrypt(m: bigint): bigint {
      if (m < 0n || m >= pub.n) throw new Error("Paillier encrypt: plaintext must be in [0, N); encode signed values first");
      return ((1n + m * pub.n) * noise()) % pub.n2;
    },
    prepare(expected: number): void {
      // A few encryptions per step (masks) take a small table; encrypting rows, a large one.
      w ??= expected >= 4000 ? 10 : expected >= 200 ? 8 : 5;
    },
    spec: () => ({ n: pub.n, hs, window: w }),
  };
}

export function publicEncryptorFromSpec(s: PublicSpec): PublicEncryptor {
  return publicEncryptor(publicKeyFromN(s.n), s.hs, s.window);
}

export async function generateKeyPair(bits = 2048, opts: KeyOptions = {}): Promise<PaillierKeyPair> {
  if (!Number.isInteger(bits) || bits < 512 || bits % 64 !== 0) throw new Error(`Paillier key size ${bits}: use a multiple of 64 ≥ 512 (2048 for real use)`);
  const sk = paillierKeygen(bits);
  return keyPairFromPrimes(sk.p, sk.q, opts);
}

/** Homomorphic addition of plaintexts. */
export function addCt(pub: PaillierPublicKey, a: bigint, b: bigint): bigint {
  return (a * b) % pub.n2;
}

/** Enc(k·m) from Enc(m) for a signed integer k. */
export function mulPlain(pub: PaillierPublicKey, c: bigint, k: bigint): bigint {
  return k >= 0n ? powMod(c, k, pub.n2) : powMod(invMod(c, pub.n2), -k, pub.n2);
}
