/**
 * Fixed-point encoding of reals into Paillier plaintexts, and packing of several signed values
 * into one plaintext.
 *
 * Scales (all powers of two, so the decoder divides exactly):
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
export const FX_BITS = 24;
export const THETA_BITS = 24;
export const GRAD_BITS = 2 * FX_BITS + THETA_BITS;
export const STD_LIMIT_BITS = 7;
export const THETA_LIMIT_BITS = 16;
export const SLOT_BITS = 176;
/** Non-negative shift for exponents: multi-exponentiation takes x̂ + X_OFFSET ≥ 0, the shift is removed homomorphically. */
export const X_OFFSET = 1n << BigInt(FX_BITS + STD_LIMIT_BITS);
export const Y_OFFSET = 1n << BigInt(FX_BITS + THETA_BITS + STD_LIMIT_BITS);

function fixed(v: number, bits: number, limitBits: number, field: string): bigint {
  if (!Number.isFinite(v)) throw new Error(`${field}: ${v} is not a finite number; remove or impute missing values first`);
  if (Math.abs(v) >= 2 ** limitBits) {
    throw new Error(`${field}: |${v}| ≥ 2^${limitBits} after scaling; it would overflow the fixed-point slots (outlier, unit error, or a diverging learning rate)`);
  }
  return BigInt(Math.round(v * 2 ** bits));
}

export const encodeStd = (v: number, field: string) => fixed(v, FX_BITS, STD_LIMIT_BITS, field);
export const encodeTheta = (v: number, field: string) => fixed(v, THETA_BITS, THETA_LIMIT_BITS, field);
export const encodeLabel = (v: number, field: string) => fixed(v, FX_BITS + THETA_BITS, STD_LIMIT_BITS, field);

/** Values of SLOT_BITS each that fit in one plaintext mod N with room for the sign. */
export function slotsPerPlaintext(nBits: number): number {
  const s = Math.floor((nBits - 2) / SLOT_BITS);
  if (s < 1) throw new Error(`Paillier modulus of ${nBits} bits is too small for one ${SLOT_BITS}-bit slot; use ≥ 512 bits`);
  return s;
}

export function pack(values: readonly bigint[], n: bigint): bigint {
  let acc = 0n;
  for (let i = values.length - 1; i >= 0; i--) acc = (acc << BigInt(SLOT_BITS)) + values[i];
  const r = acc % n;
  return r < 0n ? r + n : r;
}

export function unpack(plain: bigint, count: number, n: bigint): bigint[] {
  let v = plain > n / 2n ? plain - n : plain;
  const base = 1n << BigInt(SLOT_BITS);
  const half = base >> 1n;
  const out: bigint[] = [];
  for (let i = 0; i < count; i++) {
    let s = v % base;
    if (s < 0n) s += base;
    if (s >= half) s -= base;
    out.push(s);
    v = (v - s) / base;
  }
  if (v !== 0n) throw new Error("unpack: plaintext has more data than the expected slots; a slot overflowed its bound");
  return out;
}

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
