import type { PrivacyParam } from "../../../protocol/src/tasks/privacy.js";
import { paramField, type TaskSpec } from "../../../protocol/src/taskspec.js";
import { VECTOR_FRAC_BITS } from "../runtime/aggregation/vector.js";
import { distributedGaussianRho, epsilonOf, rhoFor } from "./accountant.js";
import { discreteGaussian, rationalOf, type ByteSource, type Rational } from "./samplers.js";

/**
 * The distributed discrete Gaussian mechanism on a federated contribution vector. Each member adds
 * N_Z(0, σ_i²/threshold) to coordinate i of its fixed-point integer vector; the backends (plain,
 * secagg, Paillier) sum integers exactly, so the aggregate carries the sum of the members' noise,
 * of variance at least σ_i² as long as `members.threshold` of them are honest.
 *
 * A kind describes its vector as parts: sets of coordinates with an ℓ2 sensitivity (how far one
 * row, clipped to the declared bounds, can move them, in real units). A part with a `group`
 * belongs to a family of which a row touches only one member (k-means: a row lands in one
 * cluster). Calibration gives every part the same share of the round's ρ: with m effective parts
 * (the ungrouped ones plus the largest group), part p gets total variance c²·Δ_p² with
 * c² = m/(2ρ), so that Σ Δ_p²/(2c²Δ_p²) = ρ.
 */

export const DEFAULT_DP_DELTA = 1e-6;

export interface Part {
  /** Coordinates of the vector this part covers. */
  coords: number[];
  /** ℓ2 sensitivity of these coordinates, real units (before the 2^20 fixed-point scale). */
  l2: number;
  /** Parts sharing a group: a row touches only one of that group's parts' families (see the module comment). */
  group?: string;
}

export interface NoisePlan {
  /** Per coordinate: the variance each member adds (exact rational), or null (coordinate not noised: must be 0). */
  memberSigma2: (Rational | null)[];
  /** Per coordinate: the standard deviation of the aggregate's noise with threshold honest members, real units. */
  sigma: number[];
  /** ρ of one release as accounted (Kairouz–Liu–Steinke bound for the sum of `threshold` members' noise). */
  rho: number;
  /** The ρ asked for this release (the task's ρ divided by its rounds); rho ≤ target. */
  target: number;
  threshold: number;
}

/** The task's total ρ: params.privacy.rho, or the largest ρ whose tight (ε, δ) equivalent is within the asked (ε, δ). */
export function taskRho(p: PrivacyParam): number {
  if (p.rho !== undefined) return p.rho;
  // The tight inverse is a bisection over a numerical minimum: worth remembering per (ε, δ).
  const key = `${p.epsilon},${p.delta}`;
  let rho = rhoCache.get(key);
  if (rho === undefined) {
    rho = rhoFor(p.epsilon!, p.delta!, "tight");
    if (rhoCache.size > 1000) rhoCache.clear();
    rhoCache.set(key, rho);
  }
  return rho;
}
const rhoCache = new Map<string, number>();

/** ρ of each release (one per round): the task's ρ split evenly over spec.rounds. */
export function roundRho(spec: TaskSpec): number {
  const p = privacyOf(spec);
  return p ? taskRho(p) / spec.rounds : 0;
}

export function privacyOf(spec: TaskSpec): PrivacyParam | undefined {
  return paramField(spec, "privacy");
}

const SCALE = 2 ** VECTOR_FRAC_BITS;

/**
 * Sensitivity in the integer domain: a member rounds each coordinate of its summed vector once to
 * an integer at scale 2^20, so a row moves the integers by at most 2^20·|x| + 1 per coordinate
 * (+1 more for floating-point summation error), i.e. by 2^20·Δ + 2√k in ℓ2 over k coordinates.
 */
export function integerSensitivity(part: Part): number {
  return part.l2 * SCALE + 2 * Math.sqrt(part.coords.length);
}

export function planNoise(parts: readonly Part[], length: number, rho: number, threshold: number): NoisePlan {
  if (!(rho > 0)) throw new RangeError(`privacy: the round's ρ must be positive, got ${rho}`);
  const seen = new Set<number>();
  for (const p of parts)
    for (const i of p.coords) {
      if (!Number.isInteger(i) || i < 0 || i >= length) throw new RangeError(`privacy: part coordinate ${i} is outside the vector (length ${length})`);
      if (seen.has(i)) throw new RangeError(`privacy: coordinate ${i} is in two parts`);
      seen.add(i);
    }
  const ungrouped = parts.filter((p) => p.group === undefined);
  const groups = new Map<string, Part[]>();
  for (const p of parts) if (p.group !== undefined) groups.set(p.group, [...(groups.get(p.group) ?? []), p]);
  const largest = Math.max(0, ...[...groups.values()].map((g) => g.length));
  const m = ungrouped.length + largest;
  const c2 = m / (2 * rho);
  const memberSigma2 = new Array<Rational | null>(length).fill(null);
  const sigma = new Array<number>(length).fill(0);
  const partRho = (p: Part, s2m: number) => distributedGaussianRho({ sensitivity: integerSensitivity(p), sigma2PerMember: s2m, members: threshold, dimension: p.coords.length });
  let accounted = 0;
  const perGroup = new Map<string, number>();
  for (const p of parts) {
    const D = integerSensitivity(p);
    // Round the per-member variance up a hair, so float error in c² only ever adds noise.
    const s2m = ((c2 * D * D) / threshold) * (1 + 1e-9);
    const r = rationalOf(s2m);
    for (const i of p.coords) {
      memberSigma2[i] = r;
      sigma[i] = Math.sqrt(s2m * threshold) / SCALE;
    }
    const pr = partRho(p, s2m);
    if (p.group === undefined) accounted += pr;
    else perGroup.set(p.group, (perGroup.get(p.group) ?? 0) + pr);
  }
  accounted += Math.max(0, ...perGroup.values());
  return { memberSigma2, sigma, rho: accounted, target: rho, threshold };
}

/** Adds each member's share of the noise to its integer vector (coordinates without a part must be 0). */
export function addNoise(enc: readonly bigint[], plan: NoisePlan, bytes?: ByteSource): bigint[] {
  if (enc.length !== plan.memberSigma2.length) throw new RangeError(`privacy: vector has ${enc.length} values, the noise plan ${plan.memberSigma2.length}`);
  return enc.map((x, i) => {
    const s2 = plan.memberSigma2[i];
    if (!s2) {
      // A coordinate the kind does not release under DP must carry nothing, or it would leak un-noised.
      if (x !== 0n) throw new Error(`privacy: coordinate ${i} has no noise and must be 0 under differential privacy`);
      return x;
    }
    return x + discreteGaussian(s2, bytes);
  });
}

export function clip(x: number, [lo, hi]: readonly [number, number]): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** The largest magnitude a clipped value can take. */
export function maxAbs([lo, hi]: readonly [number, number]): number {
  return Math.max(Math.abs(lo), Math.abs(hi));
}

/** What a DP result says about its noise and privacy loss (the requester's result, round by round). */
export interface PrivacyReport {
  mechanism: "distributed discrete Gaussian";
  /** ρ (zCDP) of this round's release, and of the whole task (all rounds). */
  rhoRound: number;
  rhoTask: number;
  /** (ε, δ) equivalent of the whole task (Canonne–Kamath–Steinke conversion). */
  epsilon: number;
  delta: number;
  /** Honest members whose noise alone carries the guarantee. */
  threshold: number;
  /** Standard deviation of the aggregate's noise per released coordinate, with exactly threshold members (real units). */
  sigma: number[];
  bounds: Record<string, [number, number]>;
}

export function privacyReport(spec: TaskSpec, plan: NoisePlan): PrivacyReport {
  const p = privacyOf(spec)!;
  const rhoTask = taskRho(p);
  const delta = p.delta ?? DEFAULT_DP_DELTA;
  return {
    mechanism: "distributed discrete Gaussian",
    rhoRound: plan.target,
    rhoTask,
    epsilon: epsilonOf(rhoTask, delta),
    delta,
    threshold: plan.threshold,
    sigma: plan.sigma,
    bounds: p.bounds,
  };
}
