/**
 * Liu's symmetric "homomorphic" scheme, as Rory runs it (legacy variant only).
 *
 * Key: m ≥ 3 triples (k_i, s_i, t_i) of positive 16-bit integers in [2^15, 2^16).
 * Encrypt v with fresh r_1..r_m uniform in [0,1):
 *   e_1 = k_1·t_1·v + s_1·r_m + k_1·(r_1 − r_{m−1})
 *   e_i = k_i·t_i·v + s_i·r_m + k_i·(r_i − r_{i−1})        (2 ≤ i ≤ m−1)
 *   e_m = (k_m + s_m + t_m)·r_m
 * Decrypt: s = e_m/(k_m+s_m+t_m); v = [Σ_{i<m} (e_i − s·s_i)/k_i] / Σ_{i<m} t_i.
 * Decryption is linear in the ciphertext, which is what makes add, subtract, scalar multiply
 * and the block-wise decryption of the outer product work.
 *
 * Validity (Rory never checks; we do, at keygen and on every key import): k_i ≠ 0 for i < m,
 * T = Σ_{i<m} t_i ≠ 0, k_m + s_m + t_m ≠ 0. Otherwise decryption divides by zero.
 *
 * LEAKAGE — this is not semantically secure, and the ciphertext reveals the plaintext's scale:
 *   - with integer keys of ~2^15 and r ∈ [0,1), e_1 ≈ k_1·t_1·v (the nonce terms are ≤ ~2^17,
 *     the message term ~2^30·v), so e_1(a)/e_1(b) ≈ a/b and sign(e_1) = sign(k_1 t_1)·sign(v):
 *     ratios and signs of plaintexts are visible to whoever holds ciphertexts
 *     (Rory's notes measure a median relative error of 1.5e-6 for that ratio);
 *   - component-wise `abs` "works" (decrypts to |a−b| within ~3e-4) precisely because of that;
 *   - a handful of known plaintext/ciphertext pairs yields the key by linear algebra
 *     (published known-plaintext attacks).
 * Use only where the legacy behaviour must be reproduced; the CKKS variants are the default.
 * Unlike Rory, nonces come from the platform CSPRNG, never from a fixed seed.
 */
import { randomInt, randomUnit } from "./random.js";

export interface LiuKey {
  readonly m: number;
  readonly k: readonly number[];
  readonly s: readonly number[];
  readonly t: readonly number[];
}

/** A vector of `length` values, each encrypted as m consecutive doubles. */
export interface LiuCiphertext {
  readonly m: number;
  readonly length: number;
  readonly data: Float64Array;
}

export const LIU_M_FOR_SECURITY: Readonly<Record<128 | 192 | 256, number>> = { 128: 3, 192: 4, 256: 6 };

export function liuMForSecurity(level: number): number {
  const m = (LIU_M_FOR_SECURITY as Record<number, number>)[level];
  if (m === undefined) throw new Error(`liu: securityLevel must be 128, 192 or 256, got ${level}`);
  return m;
}

/** Throws a named error when the key cannot decrypt. */
export function validateLiuKey(key: LiuKey): void {
  const { m, k, s, t } = key;
  if (!Number.isInteger(m) || m < 3) throw new Error(`liu key: m must be an integer ≥ 3, got ${m}`);
  for (const [name, arr] of [
    ["k", k],
    ["s", s],
    ["t", t],
  ] as const) {
    if (!Array.isArray(arr) || arr.length !== m) throw new Error(`liu key: ${name} must have m = ${m} entries`);
    for (const x of arr) if (!Number.isFinite(x)) throw new Error(`liu key: ${name} has a non-finite entry`);
  }
  for (let i = 0; i < m - 1; i++) if (k[i] === 0) throw new Error(`liu key: k_${i + 1} must be non-zero`);
  let T = 0;
  for (let i = 0; i < m - 1; i++) T += t[i];
  if (T === 0) throw new Error("liu key: Σ_{i<m} t_i must be non-zero");
  if (k[m - 1] + s[m - 1] + t[m - 1] === 0) throw new Error("liu key: k_m + s_m + t_m must be non-zero");
}

// Positive components, as Rory draws them: component-wise `abs` (SKNN) only decrypts to |v|
// when every k_i·t_i and k_m+s_m+t_m is positive.
function component(): number {
  return randomInt(1 << 15, (1 << 16) - 1);
}

export function liuKeygen(opts: { m?: number; securityLevel?: 128 | 192 | 256 } = {}): LiuKey {
  const m = opts.m ?? liuMForSecurity(opts.securityLevel ?? 128);
  if (!Number.isInteger(m) || m < 3) throw new Error(`liu keygen: m must be an integer ≥ 3, got ${m}`);
  for (;;) {
    const key: LiuKey = {
      m,
      k: Array.from({ length: m }, component),
      s: Array.from({ length: m }, component),
      t: Array.from({ length: m }, component),
    };
    try {
      validateLiuKey(key);
      return key;
    } catch {
      // Rejection sampling: an invalid draw is simply redrawn.
    }
  }
}

function encryptInto(key: LiuKey, v: number, out: Float64Array, at: number, r: Float64Array): void {
  const { m, k, s, t } = key;
  for (let i = 0; i < m; i++) r[i] = randomUnit();
  const rm = r[m - 1];
  out[at] = k[0] * t[0] * v + s[0] * rm + k[0] * (r[0] - r[m - 2]);
  for (let i = 1; i < m - 1; i++) out[at + i] = k[i] * t[i] * v + s[i] * rm + k[i] * (r[i] - r[i - 1]);
  out[at + m - 1] = (k[m - 1] + s[m - 1] + t[m - 1]) * rm;
}

export function liuEncrypt(key: LiuKey, values: ArrayLike<number>): LiuCiphertext {
  const { m } = key;
  const data = new Float64Array(values.length * m);
  const r = new Float64Array(m);
  for (let j = 0; j < values.length; j++) {
    const v = values[j];
    if (!Number.isFinite(v)) throw new Error(`liu encrypt: value at index ${j} is not finite (${v})`);
    encryptInto(key, v, data, j * m, r);
  }
  return { m, length: values.length, data };
}

function decryptAt(key: LiuKey, data: ArrayLike<number>, at: number): number {
  const { m, k, s, t } = key;
  const sv = data[at + m - 1] / (k[m - 1] + s[m - 1] + t[m - 1]);
  let acc = 0;
  let T = 0;
  for (let i = 0; i < m - 1; i++) {
    acc += (data[at + i] - sv * s[i]) / k[i];
    T += t[i];
  }
  return acc / T;
}

function checkShape(key: LiuKey, c: LiuCiphertext, what: string): void {
  if (c.m !== key.m) throw new Error(`liu ${what}: ciphertext has m = ${c.m} but the key has m = ${key.m} (wrong key?)`);
  if (c.data.length !== c.length * c.m) throw new Error(`liu ${what}: ciphertext data length ${c.data.length} ≠ length·m`);
}

export function liuDecrypt(key: LiuKey, c: LiuCiphertext): Float64Array {
  checkShape(key, c, "decrypt");
  const out = new Float64Array(c.length);
  for (let j = 0; j < c.length; j++) out[j] = decryptAt(key, c.data, j * c.m);
  return out;
}

function sameShape(a: LiuCiphertext, b: LiuCiphertext, op: string): void {
  if (a.m !== b.m || a.length !== b.length) {
    throw new Error(`liu ${op}: shapes differ (m ${a.m}/${b.m}, length ${a.length}/${b.length})`);
  }
}

export function liuAdd(a: LiuCiphertext, b: LiuCiphertext): LiuCiphertext {
  sameShape(a, b, "add");
  const data = new Float64Array(a.data.length);
  for (let i = 0; i < data.length; i++) data[i] = a.data[i] + b.data[i];
  return { m: a.m, length: a.length, data };
}

export function liuSub(a: LiuCiphertext, b: LiuCiphertext): LiuCiphertext {
  sameShape(a, b, "sub");
  const data = new Float64Array(a.data.length);
  for (let i = 0; i < data.length; i++) data[i] = a.data[i] - b.data[i];
  return { m: a.m, length: a.length, data };
}

export function liuScale(a: LiuCiphertext, scalar: number): LiuCiphertext {
  if (!Number.isFinite(scalar)) throw new Error(`liu scale: scalar must be finite, got ${scalar}`);
  const data = new Float64Array(a.data.length);
  for (let i = 0; i < data.length; i++) data[i] = a.data[i] * scalar;
  return { m: a.m, length: a.length, data };
}

/** Component-wise |·| as Rory's SKNN uses it; decrypts to ≈|v| only because of the leak above. */
export function liuAbs(a: LiuCiphertext): LiuCiphertext {
  const data = new Float64Array(a.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.abs(a.data[i]);
  return { m: a.m, length: a.length, data };
}

/** Element-wise product as the outer product of components: m² doubles per value. */
export interface LiuProduct {
  readonly m: number;
  readonly length: number;
  readonly data: Float64Array;
}

export function liuMul(a: LiuCiphertext, b: LiuCiphertext): LiuProduct {
  sameShape(a, b, "mul");
  const { m, length } = a;
  const data = new Float64Array(length * m * m);
  for (let j = 0; j < length; j++) {
    for (let i = 0; i < m; i++) {
      const ai = a.data[j * m + i];
      for (let l = 0; l < m; l++) data[(j * m + i) * m + l] = ai * b.data[j * m + l];
    }
  }
  return { m, length, data };
}

/** Each row block a_i·Enc(b) decrypts to a_i·v_b; the m results form v_b·Enc(a), which decrypts to v_a·v_b. */
export function liuDecryptProduct(key: LiuKey, p: LiuProduct): Float64Array {
  if (p.m !== key.m) throw new Error(`liu decrypt product: m = ${p.m} but the key has m = ${key.m} (wrong key?)`);
  const { m } = key;
  const inner = new Float64Array(m);
  const out = new Float64Array(p.length);
  for (let j = 0; j < p.length; j++) {
    for (let i = 0; i < m; i++) inner[i] = decryptAt(key, p.data, (j * m + i) * m);
    out[j] = decryptAt(key, inner, 0);
  }
  return out;
}

export function serializeLiuKey(key: LiuKey): string {
  validateLiuKey(key);
  return JSON.stringify({ scheme: "liu", m: key.m, k: key.k, s: key.s, t: key.t });
}

export function parseLiuKey(text: string): LiuKey {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    throw new Error("liu key: not JSON");
  }
  const r = o as { scheme?: unknown; m?: unknown; k?: unknown; s?: unknown; t?: unknown };
  if (r.scheme !== "liu") throw new Error('liu key: field "scheme" must be "liu"');
  const key = { m: r.m, k: r.k, s: r.s, t: r.t } as LiuKey;
  validateLiuKey(key);
  return key;
}

/** Ciphertext bytes: "LIU1", m (u8), length (u32 LE), then doubles (LE). */
export function serializeLiuCiphertext(c: LiuCiphertext): Uint8Array {
  const out = new Uint8Array(9 + c.data.length * 8);
  const dv = new DataView(out.buffer);
  out.set([0x4c, 0x49, 0x55, 0x31]);
  dv.setUint8(4, c.m);
  dv.setUint32(5, c.length, true);
  for (let i = 0; i < c.data.length; i++) dv.setFloat64(9 + i * 8, c.data[i], true);
  return out;
}

export function parseLiuCiphertext(bytes: Uint8Array): LiuCiphertext {
  if (bytes.length < 9 || bytes[0] !== 0x4c || bytes[1] !== 0x49 || bytes[2] !== 0x55 || bytes[3] !== 0x31) {
    throw new Error("liu ciphertext: bad magic (not a Liu ciphertext)");
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const m = dv.getUint8(4);
  const length = dv.getUint32(5, true);
  if (bytes.length !== 9 + length * m * 8) throw new Error("liu ciphertext: truncated or padded bytes");
  const data = new Float64Array(length * m);
  for (let i = 0; i < data.length; i++) data[i] = dv.getFloat64(9 + i * 8, true);
  return { m, length, data };
}
