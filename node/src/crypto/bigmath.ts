/** BigInt helpers for Paillier: sliding-window modular exponentiation, inverses, byte codecs. */

/**
 * base^exp mod m (exp ≥ 0), left-to-right sliding window; the window shrinks for short exponents,
 * where the table of odd powers would cost more than it saves.
 */
export function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  if (m === 1n) return 0n;
  if (exp < 0n) throw new Error("modPow: negative exponent; invert the base first");
  let b = base % m;
  if (b < 0n) b += m;
  if (exp === 0n) return 1n;
  const bits = exp.toString(2);
  const WINDOW = bits.length > 512 ? 5 : bits.length > 64 ? 4 : 2;
  const b2 = (b * b) % m;
  const odd: bigint[] = [b];
  for (let i = 1; i < 1 << (WINDOW - 1); i++) odd.push((odd[i - 1] * b2) % m);
  let r = 1n;
  let i = 0;
  while (i < bits.length) {
    if (bits.charCodeAt(i) === 48) {
      r = (r * r) % m;
      i++;
      continue;
    }
    let j = Math.min(i + WINDOW, bits.length);
    while (bits.charCodeAt(j - 1) === 48) j--;
    const val = parseInt(bits.slice(i, j), 2);
    for (let k = i; k < j; k++) r = (r * r) % m;
    r = (r * odd[(val - 1) >> 1]) % m;
    i = j;
  }
  return r;
}

export function modInv(a: bigint, m: bigint): bigint {
  let [r0, r1] = [((a % m) + m) % m, m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new Error("modInv: value is not invertible modulo m (it shares a factor with the modulus)");
  return ((s0 % m) + m) % m;
}

export function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

export function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

export function toBytes(x: bigint, length: number): Uint8Array {
  if (x < 0n) throw new Error("toBytes: negative");
  let h = x.toString(16);
  if (h.length > length * 2) throw new Error(`toBytes: value needs more than ${length} bytes`);
  h = h.padStart(length * 2, "0");
  return Uint8Array.from(Buffer.from(h, "hex"));
}

export function fromBytes(b: Uint8Array): bigint {
  if (b.length === 0) return 0n;
  return BigInt("0x" + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex"));
}

/** Uniform in [1, n) and coprime to n (rejection sampling on CSPRNG bytes). */
export function randomBelow(n: bigint, random: (len: number) => Uint8Array): bigint {
  const len = Math.ceil(bitLength(n) / 8) + 8;
  for (;;) {
    const x = fromBytes(random(len)) % n;
    if (x > 1n && gcd(x, n) === 1n) return x;
  }
}
