/**
 * Zero-concentrated differential privacy (zCDP, Bun and Steinke 2016) accounting: what a release
 * costs in ρ, how releases add up, and what ρ means in (ε, δ). Pure math, no I/O.
 *
 * A mechanism M is ρ-zCDP when the Rényi divergence of order α between its outputs on any two
 * neighbouring datasets is at most ρ·α for every α > 1. Neighbouring = one row added or removed.
 */

/** Gaussian (continuous or discrete) noise of variance σ² on a query of ℓ2 sensitivity Δ: ρ = Δ²/(2σ²) (BS16 Prop. 1.6; CKS20 Thm. 4). */
export function gaussianRho(sensitivity: number, sigma2: number): number {
  positive(sigma2, "σ²");
  nonNegative(sensitivity, "sensitivity");
  return (sensitivity * sensitivity) / (2 * sigma2);
}

/** The ℓ2 version over a vector: per-coordinate sensitivities Δ_i (a row moves each by at most Δ_i), noise σ_i² per coordinate. */
export function gaussianRhoVector(sensitivities: readonly number[], sigma2: readonly number[]): number {
  if (sensitivities.length !== sigma2.length) throw new RangeError("gaussianRhoVector: one σ² per coordinate");
  return sensitivities.reduce((s, d, i) => s + (d === 0 ? 0 : gaussianRho(d, sigma2[i])), 0);
}

/**
 * Sum of n independent discrete Gaussians N_Z(0, σ²)^d, one per member, on a query of ℓ2
 * sensitivity Δ (all in integer units): Kairouz, Liu and Steinke, "The Distributed Discrete
 * Gaussian Mechanism for Federated Learning with Secure Aggregation" (ICML 2021), Theorem 1 /
 * Proposition 14. The sum is not exactly a discrete Gaussian; τ bounds how far it is:
 * τ = 10·Σ_{k=1}^{n−1} exp(−2π²σ²·k/(k+1)), and the release is ½ε²-zCDP with
 * ε = min(√(Δ²/(nσ²) + 2τd), √(Δ²/(nσ²)) + τ√d). For σ of a few units τ is already below 1e-80.
 */
export function distributedGaussianRho(args: { sensitivity: number; sigma2PerMember: number; members: number; dimension: number }): number {
  const { sensitivity: D, sigma2PerMember: s2, members: n, dimension: d } = args;
  positive(s2, "σ² per member");
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`distributedGaussianRho: members must be a positive integer, got ${n}`);
  if (!Number.isInteger(d) || d < 1) throw new RangeError(`distributedGaussianRho: dimension must be a positive integer, got ${d}`);
  let tau = 0;
  for (let k = 1; k < n; k++) tau += Math.exp((-2 * Math.PI ** 2 * s2 * k) / (k + 1));
  tau *= 10;
  const base = (D * D) / (n * s2);
  const eps = Math.min(Math.sqrt(base + 2 * tau * d), Math.sqrt(base) + tau * Math.sqrt(d));
  return (eps * eps) / 2;
}

/**
 * Skellam noise Sk(μ) = Poisson(μ) − Poisson(μ) (variance 2μ) on a query of ℓ1 sensitivity Δ1 and
 * ℓ2 sensitivity Δ2: Agarwal, Kairouz and Liu, "The Skellam Mechanism for Differentially Private
 * Federated Learning" (NeurIPS 2021), Theorem 3.5: (α, ε(α))-RDP with
 * ε(α) ≤ αΔ2²/(4μ) + min(((2α−1)Δ2² + 6Δ1)/(16μ²), 3Δ1/(4μ)).
 * Taking the first branch of the min and bounding it for α ≥ 1 by α(2Δ2² + 6Δ1)/(16μ²) gives a
 * bound linear in α, i.e. ρ-zCDP with ρ = Δ2²/(4μ) + (Δ2² + 3Δ1)/(8μ²). Sums of Skellam noise are
 * Skellam, so n members adding Sk(μ/n) give exactly Sk(μ).
 */
export function skellamRho(args: { l1: number; l2: number; mu: number }): number {
  const { l1, l2, mu } = args;
  positive(mu, "μ");
  nonNegative(l1, "ℓ1 sensitivity");
  nonNegative(l2, "ℓ2 sensitivity");
  return (l2 * l2) / (4 * mu) + (l2 * l2 + 3 * l1) / (8 * mu * mu);
}

/** Pure ε-DP implies ½ε²-zCDP (BS16 Prop. 1.4). */
export function pureToRho(epsilon: number): number {
  nonNegative(epsilon, "ε");
  return (epsilon * epsilon) / 2;
}

/** Composition: ρ-zCDP releases add up (BS16 Lemma 1.7). */
export function compose(rhos: readonly number[]): number {
  return rhos.reduce((s, r) => s + nonNegative(r, "ρ"), 0);
}

/** ρ-zCDP ⇒ (ε, δ)-DP with ε = ρ + 2√(ρ·ln(1/δ)) (BS16 Prop. 1.3). */
export function epsilonSimple(rho: number, delta: number): number {
  nonNegative(rho, "ρ");
  checkDelta(delta);
  return rho + 2 * Math.sqrt(rho * Math.log(1 / delta));
}

/**
 * The tighter conversion of Canonne, Kamath and Steinke (2020), Proposition 12 / Corollary 13:
 * ρ-zCDP ⇒ (ε, δ)-DP with δ = inf_{α>1} exp((α−1)(αρ − ε))/(α−1) · (1 − 1/α)^α, i.e.
 * ε = inf_{α>1} αρ + (ln(1/δ) + (α−1)ln(1 − 1/α) − ln α)/(α − 1).
 * Minimised numerically over α (the objective is unimodal); never above epsilonSimple.
 */
export function epsilonTight(rho: number, delta: number): number {
  nonNegative(rho, "ρ");
  checkDelta(delta);
  if (rho === 0) return 0;
  const f = (a: number) => a * rho + (Math.log(1 / delta) + (a - 1) * Math.log1p(-1 / a) - Math.log(a)) / (a - 1);
  // Search ln(α − 1) by golden section on a wide bracket; the optimum sits near 1 + √(ln(1/δ)/ρ).
  let lo = Math.log(1e-9);
  let hi = Math.log(1e9);
  const g = (x: number) => f(1 + Math.exp(x));
  const phi = (Math.sqrt(5) - 1) / 2;
  let x1 = hi - phi * (hi - lo);
  let x2 = lo + phi * (hi - lo);
  let f1 = g(x1);
  let f2 = g(x2);
  for (let i = 0; i < 200; i++) {
    if (f1 < f2) {
      hi = x2;
      x2 = x1;
      f2 = f1;
      x1 = hi - phi * (hi - lo);
      f1 = g(x1);
    } else {
      lo = x1;
      x1 = x2;
      f1 = f2;
      x2 = lo + phi * (hi - lo);
      f2 = g(x2);
    }
  }
  return Math.max(0, Math.min(f1, f2, epsilonSimple(rho, delta)));
}

/** The δ of the tight conversion at a given ε (for checking epsilonTight): inf over α of CKS20's expression. */
export function deltaTight(rho: number, epsilon: number): number {
  let best = 1;
  for (let x = -12; x <= 12; x += 0.001) {
    const a = 1 + Math.exp(x);
    const v = Math.exp((a - 1) * (a * rho - epsilon) - Math.log(a - 1) + a * Math.log1p(-1 / a));
    if (v < best) best = v;
  }
  return best;
}

export type Conversion = "simple" | "tight";

export function epsilonOf(rho: number, delta: number, conversion: Conversion = "tight"): number {
  return conversion === "tight" ? epsilonTight(rho, delta) : epsilonSimple(rho, delta);
}

/**
 * The inverse: the largest ρ whose (ε, δ) equivalent stays within ε. For the simple conversion
 * in closed form, ρ = (√(L + ε) − √L)² with L = ln(1/δ); for the tight one by bisection.
 */
export function rhoFor(epsilon: number, delta: number, conversion: Conversion = "tight"): number {
  positive(epsilon, "ε");
  checkDelta(delta);
  const L = Math.log(1 / delta);
  const simple = (Math.sqrt(L + epsilon) - Math.sqrt(L)) ** 2;
  if (conversion === "simple") return simple;
  // The tight ε never exceeds the simple one, so the answer is at least `simple`.
  let lo = simple;
  let hi = Math.max(simple * 2, epsilon);
  while (epsilonTight(hi, delta) <= epsilon) hi *= 2;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (epsilonTight(mid, delta) <= epsilon) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Calibration: σ² for a target ρ on a query of ℓ2 sensitivity Δ (the inverse of gaussianRho). */
export function sigma2For(sensitivity: number, rho: number): number {
  positive(rho, "ρ");
  nonNegative(sensitivity, "sensitivity");
  return (sensitivity * sensitivity) / (2 * rho);
}

/**
 * Distributed calibration: each member adds variance σ²/threshold, so any threshold or more
 * honest members' noise sums to at least σ² whatever the others (dropped, or colluding with the
 * requester and adding nothing) do.
 */
export function sigma2PerMember(sensitivity: number, rho: number, threshold: number): number {
  if (!Number.isInteger(threshold) || threshold < 1) throw new RangeError(`sigma2PerMember: threshold must be a positive integer, got ${threshold}`);
  return sigma2For(sensitivity, rho) / threshold;
}

function positive(x: number, what: string): number {
  if (!(typeof x === "number" && Number.isFinite(x) && x > 0)) throw new RangeError(`${what} must be a positive finite number, got ${x}`);
  return x;
}

function nonNegative(x: number, what: string): number {
  if (!(typeof x === "number" && Number.isFinite(x) && x >= 0)) throw new RangeError(`${what} must be a finite number ≥ 0, got ${x}`);
  return x;
}

function checkDelta(delta: number): void {
  if (!(typeof delta === "number" && delta > 0 && delta < 1)) throw new RangeError(`δ must lie in (0, 1), got ${delta}`);
}
