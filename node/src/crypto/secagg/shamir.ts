import { P, mod, inv, randomElements, checkElement } from "./field.js";

/**
 * Shamir secret sharing over the BN254 scalar field. Coefficients come from the OS CSPRNG
 * (Delta used a non-cryptographic RNG, which lets anyone holding t-1 shares predict the rest).
 */
export interface Share {
  /** Evaluation point, 1-based party index; never 0 (that is the secret). */
  x: number;
  y: bigint;
}

export function split(secret: bigint, xs: readonly number[], threshold: number): Share[] {
  checkElement(secret, "split: secret");
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > xs.length) {
    throw new Error(`split: threshold ${threshold} must be an integer in [1, ${xs.length}] (number of share holders)`);
  }
  checkPoints(xs, "split");
  const coeffs = [secret, ...randomElements(threshold - 1)];
  return xs.map((x) => {
    const bx = BigInt(x);
    let y = 0n;
    for (let k = coeffs.length - 1; k >= 0; k--) y = (y * bx + coeffs[k]) % P;
    return { x, y };
  });
}

function checkPoints(xs: readonly number[], where: string): void {
  const seen = new Set<number>();
  for (const x of xs) {
    if (!Number.isInteger(x) || x < 1) throw new Error(`${where}: share point ${x} must be a positive integer`);
    if (seen.has(x)) throw new Error(`${where}: share point ${x} appears twice; each holder gets one point`);
    seen.add(x);
  }
}

/**
 * Lagrange weights for a fixed set of points, reused across every secret shared on the same
 * points (the server reconstructs one secret per party with the same responders).
 */
export class Interpolator {
  readonly base: number[];
  readonly extra: number[];
  private readonly atZero: bigint[];
  private readonly atExtra: bigint[][];

  constructor(xs: readonly number[], threshold: number) {
    checkPoints(xs, "Interpolator");
    if (xs.length < threshold) {
      throw new Error(`reconstruction needs ${threshold} shares (the threshold) but only ${xs.length} holders answered; the round cannot be completed`);
    }
    this.base = xs.slice(0, threshold);
    this.extra = xs.slice(threshold);
    this.atZero = this.weights(0n);
    this.atExtra = this.extra.map((x) => this.weights(BigInt(x)));
  }

  private weights(at: bigint): bigint[] {
    return this.base.map((xi, i) => {
      let num = 1n;
      let den = 1n;
      this.base.forEach((xj, j) => {
        if (i === j) return;
        num = mod(num * (at - BigInt(xj)));
        den = mod(den * (BigInt(xi) - BigInt(xj)));
      });
      return (num * inv(den)) % P;
    });
  }

  /**
   * The secret at x = 0. Shares beyond the threshold must lie on the same polynomial; a share that
   * does not is reported rather than silently outvoted.
   */
  reconstruct(byPoint: ReadonlyMap<number, bigint>, what: string): bigint {
    const ys = this.base.map((x) => {
      const y = byPoint.get(x);
      if (y === undefined) throw new Error(`reconstruct ${what}: missing share for point ${x}`);
      return y;
    });
    const dot = (w: bigint[]) => w.reduce((acc, wi, i) => (acc + wi * ys[i]) % P, 0n);
    this.extra.forEach((x, k) => {
      const y = byPoint.get(x);
      if (y === undefined) throw new Error(`reconstruct ${what}: missing share for point ${x}`);
      if (dot(this.atExtra[k]) !== y) {
        throw new Error(`reconstruct ${what}: share at point ${x} is inconsistent with the others; a holder sent a wrong share`);
      }
    });
    return dot(this.atZero);
  }
}

export function reconstruct(shares: readonly Share[], threshold: number): bigint {
  const it = new Interpolator(
    shares.map((s) => s.x),
    threshold,
  );
  return it.reconstruct(new Map(shares.map((s) => [s.x, s.y])), "secret");
}
