import { SNARK_FIELD } from "./binding.js";

/**
 * Fixed point: the one factory (`fixedPoint`) and every scale the platform uses, as named
 * instances. A format is a power-of-two scale 2^fracBits and a signed value width valueBits: a
 * real v encodes as x = round(v · 2^fracBits) with |x| < 2^(valueBits−1). The widths differ for
 * real reasons and stay explicit:
 *
 * | instance | frac | value bits | why |
 * |---|---|---|---|
 * | CIRCUIT_FIXED | 16 | 49 | dataset values in the proven circuits: SignedRange(49) in circuits/lib/range.circom |
 * | VECTOR_FIXED | 20 | 80 | federated contribution vectors: the Paillier packing slots (runtime/aggregation) |
 * | VLINREG_FEATURE_FIXED, _THETA_, _LABEL_ | 24 / 24 / 48 | 32 / 41 / 56 | vertical regression: standardized values, coefficients, labels inside 176-bit Paillier slots (vertical/encoding.ts) |
 *
 * Doubles represent integers exactly below 2^53 and scaling by a power of two is exact, so
 * encode→decode returns the nearest multiple of 2^-fracBits with no further rounding.
 */
export interface FixedPointFormat {
  readonly name: string;
  readonly fracBits: number;
  readonly valueBits: number;
  /** 2^fracBits. */
  readonly scale: bigint;
  /** Exclusive bound on |x| for an encoded x: 2^(valueBits−1). */
  readonly limit: bigint;
  /** Exclusive bound on |v| for a real that encodes: limit / scale. */
  readonly maxReal: number;
  /** round(v · 2^fracBits), or why v does not encode; callers that name the value in their own words use this. */
  tryEncode(v: number): bigint | "not-finite" | "out-of-range";
  /** round(v · 2^fracBits); throws a RangeError naming `what` and the bound otherwise. */
  encode(v: number, what?: string): bigint;
  /** Whether an encoded (or summed) integer is within `terms` values' range. */
  fits(x: bigint, terms?: number): boolean;
  /**
   * A signed integer at scale 2^fracBits (or `fracBits`, e.g. 2·fracBits for a product) → the
   * nearest double, split into whole and fraction so integers above 2^53 keep their fraction.
   */
  decode(x: bigint, fracBits?: number): number;
}

export function fixedPoint(spec: { name: string; fracBits: number; valueBits: number }): FixedPointFormat {
  const { name, fracBits, valueBits } = spec;
  if (!Number.isInteger(fracBits) || fracBits < 0 || !Number.isInteger(valueBits) || valueBits <= fracBits + 1 || valueBits > 1023) {
    throw new Error(`fixed point ${name}: need integers 0 ≤ fracBits < valueBits − 1 ≤ 1022, got fracBits ${fracBits}, valueBits ${valueBits}`);
  }
  const scale = 1n << BigInt(fracBits);
  const limit = 1n << BigInt(valueBits - 1);
  const realScale = 2 ** fracBits;
  const maxReal = 2 ** (valueBits - 1 - fracBits);
  const tryEncode = (v: number): bigint | "not-finite" | "out-of-range" => {
    if (typeof v !== "number" || !Number.isFinite(v)) return "not-finite";
    if (Math.abs(v) >= maxReal) return "out-of-range";
    // Math.round rounds half toward +∞; fine for a codec as long as everyone uses this one.
    const x = BigInt(Math.round(v * realScale));
    return x >= limit || -x >= limit ? "out-of-range" : x;
  };
  return {
    name,
    fracBits,
    valueBits,
    scale,
    limit,
    maxReal,
    tryEncode,
    encode(v: number, what = "value"): bigint {
      const x = tryEncode(v);
      if (x === "not-finite") throw new RangeError(`${what} is ${String(v)}; only finite numbers encode (clean or impute the value)`);
      if (x === "out-of-range") throw new RangeError(`${what} = ${v} is out of range: |value| must stay below 2^${valueBits - 1 - fracBits} (${name} fixed point); rescale it`);
      return x;
    },
    fits(x: bigint, terms = 1): boolean {
      const lim = limit * BigInt(Math.max(1, terms));
      return x < lim && -x < lim;
    },
    decode(x: bigint, frac = fracBits): number {
      const d = 1n << BigInt(frac);
      const neg = x < 0n;
      const a = neg ? -x : x;
      const r = Number(a / d) + Number(a % d) / Number(d);
      return neg ? -r : r;
    },
  };
}

/**
 * Dataset values as BN254 field elements, so circuits can hash and add them: 16 fractional bits
 * (a resolution of 1/65536 ≈ 1.5e-5), |x| < 2^48 so |v| < 2^32 ≈ 4.29e9. The circuits enforce the
 * same bound (SignedRange(49): -2^48 ≤ x < 2^48), so a committed value can never wrap around the
 * field inside a sum: 2^20 rows of 2^48 stay below 2^68, and products of two values (scale 2^32)
 * below 2^96, far under p ≈ 2^253.6. Negatives are stored as p - |x|. Sums of encoded values keep
 * the scale; a product of two has scale 2^(2·FRAC_BITS): pass the scale to decode.
 */
export const CIRCUIT_FIXED = fixedPoint({ name: "circuit", fracBits: 16, valueBits: 49 });

/**
 * Federated contribution vectors: a member's real partial sums rounded once at scale 2^20, then
 * summed exactly by every backend (plain, secagg mod p, Paillier slots of 80 bits plus headroom),
 * so the three give bit-identical aggregates: |v| < 2^59.
 */
export const VECTOR_FIXED = fixedPoint({ name: "contribution vector", fracBits: 20, valueBits: 80 });

/**
 * Vertical regression, in Paillier slots of 176 bits (vertical/encoding.ts): standardized features
 * (|x| < 2^7, i.e. 128 σ), coefficients in standardized units (|θ| < 2^16), and labels at the
 * gradient's scale 2^(24+24) so x̂·ŷ and x̂·x̂·θ̂ add up.
 */
export const VLINREG_FEATURE_FIXED = fixedPoint({ name: "vlinreg feature", fracBits: 24, valueBits: 24 + 7 + 1 });
export const VLINREG_THETA_FIXED = fixedPoint({ name: "vlinreg coefficient", fracBits: 24, valueBits: 24 + 16 + 1 });
export const VLINREG_LABEL_FIXED = fixedPoint({ name: "vlinreg label", fracBits: 48, valueBits: 48 + 7 + 1 });

export const FRAC_BITS = CIRCUIT_FIXED.fracBits;
export const SCALE = CIRCUIT_FIXED.scale;
export const MAX_ABS_BITS = CIRCUIT_FIXED.valueBits - 1;
/** Exclusive bound on |x| for an encoded value x. */
export const MAX_ABS = CIRCUIT_FIXED.limit;
/** Largest real magnitude that encodes (exclusive). */
export const MAX_REAL = CIRCUIT_FIXED.maxReal;

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
    throw new RangeError(`fixedpoint: ${site(at)} has scaled magnitude ${abs} ≥ 2^${MAX_ABS_BITS}; rescale the column so |value| < ${MAX_REAL}`);
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
  const x = CIRCUIT_FIXED.tryEncode(v);
  if (x === "not-finite") throw new RangeError(`fixedpoint: ${site(at)} is ${String(v)}; only finite numbers encode (clean or impute the value)`);
  if (x === "out-of-range") throw new RangeError(`fixedpoint: ${site(at)} = ${v} is out of range; |value| must be < ${MAX_REAL} (2^32)`);
  return toField(x, at);
}

/**
 * Field element → real number. `fracBits` is the scale of the value: 16 for encoded values and
 * their sums, 32 for a product of two encoded values.
 */
export function decode(f: bigint, fracBits: number = FRAC_BITS, at?: ValueSite): number {
  return CIRCUIT_FIXED.decode(fromField(f, at), fracBits);
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
