import { SNARK_FIELD } from "./binding.js";

/**
 * Fixed-point codec: dataset values as BN254 field elements, so circuits can hash and add them.
 *
 * - A real value v is stored as the integer x = round(v · 2^FRAC_BITS) (16 fractional bits: a
 *   resolution of 1/65536 ≈ 1.5e-5).
 * - Range: |x| < 2^MAX_ABS_BITS = 2^48, so |v| < 2^32 ≈ 4.29e9. The circuits enforce the same bound
 *   (SignedRange(49) in circuits/lib/range.circom: -2^48 ≤ x < 2^48), so a committed value can never
 *   wrap around the field inside a sum: 2^20 rows of 2^48 stay below 2^68, and products of two
 *   values (scale 2^32) below 2^96, far under p ≈ 2^253.6.
 * - Negatives are stored as p - |x| (the usual field representation of -|x|).
 * - Sums of encoded values keep the scale; a product of two has scale 2^(2·FRAC_BITS): pass the
 *   scale to decode.
 * - Doubles represent integers exactly below 2^53, and scaling by a power of two is exact, so
 *   encode→decode returns the nearest multiple of 2^-16 with no further rounding.
 */
export const FRAC_BITS = 16;
export const SCALE = 1n << BigInt(FRAC_BITS);
export const MAX_ABS_BITS = 48;
/** Exclusive bound on |x| for an encoded value x. */
export const MAX_ABS = 1n << BigInt(MAX_ABS_BITS);
/** Largest real magnitude that encodes (exclusive). */
export const MAX_REAL = Number(MAX_ABS) / Number(SCALE);

const HALF_FIELD = SNARK_FIELD / 2n;

/** Where a value came from, named in errors so the data owner can fix the source. */
export interface ValueSite {
  row?: number;
  column?: string | number;
}

function site(at?: ValueSite): string {
  if (!at) return "value";
  const parts: string[] = [];
  if (at.column !== undefined) parts.push(`column ${typeof at.column === "number" ? `#${at.column}` : `"${at.column}"`}`);
  if (at.row !== undefined) parts.push(`row ${at.row}`);
  return parts.length ? parts.join(", ") : "value";
}

/** Signed integer (already scaled) → field element. Throws when |x| ≥ 2^48. */
export function toField(x: bigint, at?: ValueSite): bigint {
  const abs = x < 0n ? -x : x;
  if (abs >= MAX_ABS) {
    throw new RangeError(
      `fixedpoint: ${site(at)} has scaled magnitude ${abs} ≥ 2^${MAX_ABS_BITS}; rescale the column so |value| < ${MAX_REAL}`,
    );
  }
  return x < 0n ? SNARK_FIELD + x : x;
}

/** Field element → signed integer: elements above p/2 are negatives. Throws on values outside [0, p). */
export function fromField(f: bigint, at?: ValueSite): bigint {
  if (f < 0n || f >= SNARK_FIELD) {
    throw new RangeError(`fixedpoint: ${site(at)} ${f} is not a field element (must be in [0, p))`);
  }
  return f > HALF_FIELD ? f - SNARK_FIELD : f;
}

/** Real number → field element at scale 2^16. Throws on NaN, ±Infinity and |v| ≥ 2^32. */
export function encode(v: number, at?: ValueSite): bigint {
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new RangeError(`fixedpoint: ${site(at)} is ${String(v)}; only finite numbers encode (clean or impute the value)`);
  }
  if (Math.abs(v) >= MAX_REAL) {
    throw new RangeError(`fixedpoint: ${site(at)} = ${v} is out of range; |value| must be < ${MAX_REAL} (2^32)`);
  }
  // Math.round rounds half toward +∞; fine for a codec as long as everyone uses this one.
  const x = BigInt(Math.round(v * Number(SCALE)));
  return toField(x, at);
}

/**
 * Field element → real number. `fracBits` is the scale of the value: 16 for encoded values and
 * their sums, 32 for a product of two encoded values.
 */
export function decode(f: bigint, fracBits: number = FRAC_BITS, at?: ValueSite): number {
  const x = fromField(f, at);
  // Split so integers above 2^53 still come out as the nearest double instead of losing the fraction.
  const scale = 1n << BigInt(fracBits);
  const neg = x < 0n;
  const abs = neg ? -x : x;
  const whole = abs / scale;
  const frac = abs % scale;
  const r = Number(whole) + Number(frac) / Number(scale);
  return neg ? -r : r;
}

/**
 * Encodes a table. `columns` names the columns in errors (indices are used when omitted). Every
 * row must have the same width.
 */
export function encodeRows(rows: readonly (readonly number[])[], columns?: readonly string[]): bigint[][] {
  const width = columns?.length ?? rows[0]?.length ?? 0;
  return rows.map((row, r) => {
    if (row.length !== width) {
      throw new RangeError(`fixedpoint: row ${r} has ${row.length} values, expected ${width}; every row needs one value per column`);
    }
    return row.map((v, c) => encode(v, { row: r, column: columns?.[c] ?? c }));
  });
}

/** Decodes a table of field elements at scale 2^16. */
export function decodeRows(rows: readonly (readonly bigint[])[]): number[][] {
  return rows.map((row, r) => row.map((f, c) => decode(f, FRAC_BITS, { row: r, column: c })));
}
