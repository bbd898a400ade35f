import { packCentred, unpackCentred } from "../crypto/paillier.js";
import { VLINREG_FEATURE_FIXED, VLINREG_LABEL_FIXED, VLINREG_THETA_FIXED, type FixedPointFormat } from "../../../protocol/src/fixedpoint.js";

/**
 * Fixed-point encoding of reals into Paillier plaintexts, and packing of several signed values
 * into one plaintext.
 *
 * Scales (all powers of two, so the decoder divides exactly; the formats are the named instances
 * VLINREG_*_FIXED of protocol/src/fixedpoint.ts):
 * - standardized features and standardized labels: x̂ = round(x·2^FX_BITS), |x| < 2^STD_LIMIT_BITS
 *   (128 σ; anything larger is refused: an outlier or a unit error, not data to regress on);
 * - coefficients (standardized units): θ̂ = round(θ·2^THETA_BITS), |θ| < 2^THETA_LIMIT_BITS;
 * - labels inside the label term: ŷ = round(y·2^(FX_BITS+THETA_BITS)), so that x̂·ŷ has the same scale
 *   2^GRAD_BITS = 2^(2·FX_BITS+THETA_BITS) as x̂·x̂·θ̂;
 * - a gradient slot therefore holds Σ_r x̂·(Σ x̂θ̂ − ŷ): at most n·k·2^(2·31+40) + n·2^(31+55) in size,
 *   which for n·k < 2^70 stays below 2^(SLOT_BITS−2); slots are signed (two's-complement-like borrow
 *   between slots is undone by the centred decoder), and the whole plaintext is below N/2, so a value
 *   mod N is read back as a signed integer.
 */
export const FX_BITS = VLINREG_FEATURE_FIXED.fracBits;
export const THETA_BITS = VLINREG_THETA_FIXED.fracBits;
export const GRAD_BITS = 2 * FX_BITS + THETA_BITS;
export const STD_LIMIT_BITS = VLINREG_FEATURE_FIXED.valueBits - 1 - FX_BITS;
export const THETA_LIMIT_BITS = VLINREG_THETA_FIXED.valueBits - 1 - THETA_BITS;
export const SLOT_BITS = 176;
/** Non-negative shift for exponents: multi-exponentiation takes x̂ + X_OFFSET ≥ 0, the shift is removed homomorphically. */
export const X_OFFSET = VLINREG_FEATURE_FIXED.limit;
export const Y_OFFSET = VLINREG_LABEL_FIXED.limit;

function fixed(format: FixedPointFormat, v: number, field: string): bigint {
  const x = format.tryEncode(v);
  if (x === "not-finite") throw new Error(`${field}: ${v} is not a finite number; remove or impute missing values first`);
  if (x === "out-of-range") {
    const limitBits = format.valueBits - 1 - format.fracBits;
    throw new Error(`${field}: |${v}| ≥ 2^${limitBits} after scaling; it would overflow the fixed-point slots (outlier, unit error, or a diverging learning rate)`);
  }
  return x;
}

export const encodeStd = (v: number, field: string) => fixed(VLINREG_FEATURE_FIXED, v, field);
export const encodeTheta = (v: number, field: string) => fixed(VLINREG_THETA_FIXED, v, field);
export const encodeLabel = (v: number, field: string) => fixed(VLINREG_LABEL_FIXED, v, field);

/** Values of SLOT_BITS each that fit in one plaintext mod N with room for the sign. */
export function slotsPerPlaintext(nBits: number): number {
  const s = Math.floor((nBits - 2) / SLOT_BITS);
  if (s < 1) throw new Error(`Paillier modulus of ${nBits} bits is too small for one ${SLOT_BITS}-bit slot; use ≥ 512 bits`);
  return s;
}

/** Packs SLOT_BITS-wide signed slots into one plaintext mod N (crypto/paillier.ts packCentred). */
export const pack = (values: readonly bigint[], n: bigint): bigint => packCentred(values, SLOT_BITS, n);

/** Unpacks `count` signed SLOT_BITS-wide slots (crypto/paillier.ts unpackCentred). */
export const unpack = (plain: bigint, count: number, n: bigint): bigint[] => unpackCentred(plain, count, SLOT_BITS, n);

export interface Standardized {
  mean: number;
  sd: number;
  values: number[];
}

/** Centre and scale one column (population standard deviation); a constant column cannot be scaled. */
export function standardize(values: readonly number[], field: string): Standardized {
  const n = values.length;
  if (n < 2) throw new Error(`${field}: needs at least 2 rows, got ${n}`);
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new Error(`${field}[${i}]: ${v} is not a finite number; drop rows with missing values first`);
  });
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  if (!(sd > 0)) throw new Error(`${field}: constant column (standard deviation 0) carries no information; drop it`);
  return { mean, sd, values: values.map((v) => (v - mean) / sd) };
}
