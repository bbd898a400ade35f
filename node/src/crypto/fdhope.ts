/**
 * FDH-OPE (frequency-hiding-ish order-preserving encryption) as Rory runs it (legacy only).
 *
 * Keygen on a matrix D (defaults minVal 0, maxRange 8, proportion 15, rangeLimit 2,
 * emptyLength 0.001):
 *  1. M_max = round(max|D|) + rangeLimit; C_max = M_max·proportion; N = number of entries.
 *  2. n_r uniform in [3, maxRange]; message boundaries: minVal, n_r−1 sorted uniform points in
 *     (minVal+0.2, M_max), M_max; the last upper bound becomes M_max + 1.
 *  3. d_j = count of |x| in message interval j; cipher interval length L_j = C_max·d_j/N
 *     (emptyLength if d_j = 0); cipher boundaries are the running sums from 0.
 * Encrypt x: j = interval of |x|; scale = (c_hi−c_lo)/(m_hi−m_lo);
 *   c = c_lo + scale·(|x| − m_lo) + δ, δ uniform in (0, sens·scale); negate c if x < 0.
 * There is no decryption. Order of |x| is preserved up to the δ jitter (sens·scale); sign is kept.
 *
 * LEAKAGE: the total order of every encrypted value (by design), the sign, and — since cipher
 * interval widths are proportional to how many values fall in each message interval — a coarse
 * histogram of |D|. Within an interval the map is affine, so ratios of differences inside one
 * interval are revealed exactly. The scheme is not additive (slopes differ per interval), yet
 * Rory's DBSKMeans adds FDH-OPE ciphertexts: the sums are only approximately meaningful.
 * Randomness (n_r, boundaries, δ) comes from the platform CSPRNG, never a fixed seed.
 */
import { randomInt, randomOpen } from "./random.js";

export interface FdhOpeOptions {
  minVal?: number;
  maxRange?: number;
  proportion?: number;
  rangeLimit?: number;
  emptyLength?: number;
}

export interface FdhOpeKey {
  /** n_r + 1 message boundaries; the last is M_max + 1. */
  readonly messageBounds: readonly number[];
  /** n_r + 1 cipher boundaries, starting at 0. */
  readonly cipherBounds: readonly number[];
}

export function fdhOpeKeygen(values: ArrayLike<number>, opts: FdhOpeOptions = {}): FdhOpeKey {
  const minVal = opts.minVal ?? 0;
  const maxRange = opts.maxRange ?? 8;
  const proportion = opts.proportion ?? 15;
  const rangeLimit = opts.rangeLimit ?? 2;
  const emptyLength = opts.emptyLength ?? 0.001;
  if (!Number.isInteger(maxRange) || maxRange < 3) throw new Error(`fdh-ope keygen: maxRange must be an integer ≥ 3, got ${maxRange}`);
  if (!(proportion > 0)) throw new Error("fdh-ope keygen: proportion must be > 0");
  const N = values.length;
  if (N === 0) throw new Error("fdh-ope keygen: the matrix is empty; pass at least one value");
  let maxAbs = 0;
  for (let i = 0; i < N; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) throw new Error(`fdh-ope keygen: value at index ${i} is not finite (${v})`);
    maxAbs = Math.max(maxAbs, Math.abs(v));
  }
  const Mmax = Math.round(maxAbs) + rangeLimit;
  if (!(Mmax > minVal + 0.2)) throw new Error(`fdh-ope keygen: M_max (${Mmax}) must exceed minVal + 0.2; raise rangeLimit`);
  const Cmax = Mmax * proportion;
  const nr = randomInt(3, maxRange);
  const inner: number[] = [];
  for (let i = 0; i < nr - 1; i++) inner.push(randomOpen(minVal + 0.2, Mmax));
  inner.sort((a, b) => a - b);
  const messageBounds = [minVal, ...inner, Mmax + 1];
  const counts = new Array<number>(nr).fill(0);
  for (let i = 0; i < N; i++) counts[intervalOf(messageBounds, Math.abs(values[i]))]++;
  const cipherBounds = [0];
  for (let j = 0; j < nr; j++) {
    const L = counts[j] === 0 ? emptyLength : (Cmax * counts[j]) / N;
    cipherBounds.push(cipherBounds[j] + L);
  }
  return { messageBounds, cipherBounds };
}

function intervalOf(bounds: readonly number[], a: number): number {
  if (a < bounds[0] || a >= bounds[bounds.length - 1]) {
    throw new Error(
      `fdh-ope: |x| = ${a} is outside the key's message range [${bounds[0]}, ${bounds[bounds.length - 1]}); ` + "make the key on data that covers this value (or raise rangeLimit)",
    );
  }
  let lo = 0;
  let hi = bounds.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (bounds[mid] <= a) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export function fdhOpeEncrypt(key: FdhOpeKey, values: ArrayLike<number>, sens = 1e-5): Float64Array {
  if (!(sens > 0)) throw new Error("fdh-ope encrypt: sens must be > 0");
  const { messageBounds: mb, cipherBounds: cb } = key;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (!Number.isFinite(x)) throw new Error(`fdh-ope encrypt: value at index ${i} is not finite (${x})`);
    const a = Math.abs(x);
    const j = intervalOf(mb, a);
    const scale = (cb[j + 1] - cb[j]) / (mb[j + 1] - mb[j]);
    const c = cb[j] + scale * (a - mb[j]) + randomOpen(0, sens * scale);
    out[i] = x < 0 ? -c : c;
  }
  return out;
}

export function serializeFdhOpeKey(key: FdhOpeKey): string {
  return JSON.stringify({ scheme: "fdh-ope", messageBounds: key.messageBounds, cipherBounds: key.cipherBounds });
}

export function parseFdhOpeKey(text: string): FdhOpeKey {
  const o = JSON.parse(text) as { scheme?: unknown; messageBounds?: unknown; cipherBounds?: unknown };
  if (o.scheme !== "fdh-ope") throw new Error('fdh-ope key: field "scheme" must be "fdh-ope"');
  const mb = o.messageBounds;
  const cb = o.cipherBounds;
  if (!Array.isArray(mb) || !Array.isArray(cb) || mb.length !== cb.length || mb.length < 2) {
    throw new Error("fdh-ope key: messageBounds and cipherBounds must be arrays of equal length ≥ 2");
  }
  for (let i = 1; i < mb.length; i++) {
    if (!(mb[i] > mb[i - 1]) || !(cb[i] > cb[i - 1])) throw new Error("fdh-ope key: bounds must be strictly increasing");
  }
  return { messageBounds: mb as number[], cipherBounds: cb as number[] };
}
