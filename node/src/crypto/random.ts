/**
 * Cryptographically secure randomness for the pure-math crypto modules.
 *
 * Rory seeds Python's `random` with a fixed value, so every "fresh" Liu nonce and FDH-OPE
 * interval is the same across runs. Everything here draws from the platform CSPRNG
 * (`crypto.getRandomValues`), buffered because Liu encryption draws m doubles per value.
 */

const POOL_BYTES = 1 << 16;
let pool = new Uint8Array(0);
let poolView = new DataView(pool.buffer);
let offset = 0;

function take(bytes: number): number {
  if (offset + bytes > pool.length) {
    pool = new Uint8Array(POOL_BYTES);
    for (let i = 0; i < POOL_BYTES; i += 65536) {
      globalThis.crypto.getRandomValues(pool.subarray(i, Math.min(POOL_BYTES, i + 65536)));
    }
    poolView = new DataView(pool.buffer);
    offset = 0;
  }
  const at = offset;
  offset += bytes;
  return at;
}

/** Uniform double in [0, 1) with 53 random bits. */
export function randomUnit(): number {
  const at = take(8);
  const hi = poolView.getUint32(at) >>> 5; // 27 bits
  const lo = poolView.getUint32(at + 4) >>> 6; // 26 bits
  return (hi * 67108864 + lo) / 9007199254740992;
}

/** Uniform double in the open interval (lo, hi). */
export function randomOpen(lo: number, hi: number): number {
  for (;;) {
    const u = randomUnit();
    if (u !== 0) return lo + (hi - lo) * u;
  }
}

/** Uniform integer in [lo, hi] (inclusive), unbiased by rejection. */
export function randomInt(lo: number, hi: number): number {
  if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || hi < lo) {
    throw new Error(`randomInt: need safe integers lo ≤ hi, got ${lo}, ${hi}`);
  }
  const span = hi - lo + 1;
  if (span > 2 ** 32) throw new Error("randomInt: range wider than 2^32 is not supported");
  const limit = Math.floor(2 ** 32 / span) * span;
  for (;;) {
    const at = take(4);
    const x = poolView.getUint32(at);
    if (x < limit) return lo + (x % span);
  }
}

/** `n` fresh CSPRNG bytes (not from the shared pool, so safe to keep as key material). */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) globalThis.crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}
