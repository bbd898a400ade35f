import { VECTOR_FIXED } from "../../../../protocol/src/fixedpoint.js";

/**
 * Contribution vectors: what every federated kind sends, whatever the backend. A member's real
 * partial sums are rounded once to signed integers at scale 2^VECTOR_FRAC_BITS (VECTOR_FIXED,
 * protocol/src/fixedpoint.ts); every backend then sums integers exactly (plain in the clear,
 * secagg mod p, Paillier mod n), so the three backends give bit-identical aggregates and the only
 * error against a plaintext computation is that one rounding per member and value (≤ 2^-21 absolute).
 */
export const VECTOR_FRAC_BITS = VECTOR_FIXED.fracBits;
/** Bits of one signed encoded value: |v| · 2^20 < 2^(VALUE_BITS−1), i.e. |v| < 2^59. */
export const VALUE_BITS = VECTOR_FIXED.valueBits;

export function encodeVector(values: readonly number[], what = "contribution"): bigint[] {
  return values.map((v, i) => {
    const x = VECTOR_FIXED.tryEncode(v);
    if (x === "not-finite") throw new RangeError(`${what}[${i}] is ${String(v)}; only finite numbers can be aggregated (clean the data)`);
    if (x === "out-of-range")
      throw new RangeError(
        `${what}[${i}] = ${v} is out of range: |value| must stay below 2^${VALUE_BITS - 1 - VECTOR_FRAC_BITS}; rescale the columns (a diverging gradient descent: lower params.learningRate)`,
      );
    return x;
  });
}

/** A signed integer at scale 2^frac → real, split exactly into whole and fraction so large values keep their fraction. */
export function real(x: bigint, frac: number): number {
  return VECTOR_FIXED.decode(x, frac);
}

/** Sum of encoded vectors → reals. */
export function decodeVector(sum: readonly bigint[]): number[] {
  return sum.map((x) => VECTOR_FIXED.decode(x));
}

/** Checks that an aggregated integer vector stays in the range a sum of `terms` valid vectors can reach. */
export function checkSumRange(sum: readonly bigint[], terms: number): void {
  sum.forEach((x, i) => {
    if (!VECTOR_FIXED.fits(x, terms)) throw new RangeError(`aggregate[${i}] is outside the range ${terms} contributions can reach; a contribution was out of range`);
  });
}

export function addInto(acc: bigint[], v: readonly bigint[]): void {
  for (let i = 0; i < acc.length; i++) acc[i] += v[i];
}
