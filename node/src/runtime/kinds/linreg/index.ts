import type { RegressionParams } from "../../../../../protocol/src/tasks/linreg/index.js";
import { kindParams, type TaskSpec } from "../../../../../protocol/src/taskspec.js";
import { encode } from "../../../../../protocol/src/fixedpoint.js";
import { FX, real, signedParam, type ProvenKind } from "../shared/proven.js";
import { federatedHandler, selectRows, type FederatedKind, type FederatedMeta } from "../shared/federated.js";
import { clip, type Part } from "../../../privacy/mechanism.js";
import { solve } from "../../../algorithms/linalg.js";
import type { PrivacyParam } from "../../../../../protocol/src/tasks/privacy.js";

/**
 * Federated regression by gradient rounds. With d' = features (+1 for the intercept), a member's
 * vector is [n, loss, g (d'), H upper triangle (d'(d'+1)/2, Newton only)] at the round's weights;
 * the requester adds the L2 term and steps: Newton w ← w − H⁻¹g, or gd w ← w − η·g/n. For least
 * squares one Newton step from any start is the closed-form solution; the next round confirms
 * (its step is below tolerance) and ends the task.
 */
export interface RegressionRoundParams {
  weights: number[];
}

export interface RegressionResult extends FederatedMeta {
  /** Weights after this round's step: intercept first when fitted, then the features in order. */
  weights: number[];
  names: string[];
  /** Loss at the round's weights (linreg: ½Σr²; logreg: Σ log-loss), L2 term included. */
  loss: number;
  /** Norm of the gradient at the round's weights. */
  gradientNorm: number;
  /** Norm of this round's step. */
  step: number;
  rows: number;
  converged: boolean;
}

/** Per-row loss, its derivative in the linear predictor z = x·w, and the second derivative. */
export interface Link {
  (z: number, y: number): [loss: number, d1: number, d2: number];
}

export const squaredLink: Link = (z, y) => {
  const r = z - y;
  return [0.5 * r * r, r, 1];
};

const tri = (d: number) => (d * (d + 1)) / 2;

export function dims(p: RegressionParams): number {
  return p.features.length + (p.intercept ? 1 : 0);
}

/**
 * Newton: [n, loss, g, H upper triangle]. gd: [n, loss, g, Σx_f, Σx_f²] where the feature sums
 * are filled in round 1 only (zeros later): the requester standardizes with them (FeatureScale).
 */
export function regressionLength(p: RegressionParams): number {
  const d = dims(p);
  return 2 + d + (p.method === "newton" ? tri(d) : 2 * p.features.length);
}

/**
 * How gd standardizes: it steps in u, where w = A·u maps standardized weights to the original
 * scale (w_f = u_f/sd_f, intercept w_0 = u_0 − Σ u_f·mean_f/sd_f). Members always evaluate the
 * gradient g at the original-scale weights, as before; the requester turns it into Aᵀg, the
 * gradient in u. So members need nothing new, and the result's weights are on the original scale.
 */
export interface FeatureScale {
  mean: number[];
  sd: number[];
}

/** The scale from round 1's summed Σx_f and Σx_f² (gd, no DP): released through the task's aggregation backend like every other sum. */
export function scaleFromSums(p: RegressionParams, sum: readonly number[]): FeatureScale {
  const nf = p.features.length;
  const n = sum[0];
  const off = 2 + dims(p);
  const mean: number[] = [];
  const sd: number[] = [];
  for (let f = 0; f < nf; f++) {
    const m = n > 0 ? sum[off + f] / n : 0;
    const m2 = n > 0 ? sum[off + nf + f] / n : 0;
    // Without an intercept a shift cannot be absorbed: scale by the root mean square only.
    const s = p.intercept ? Math.sqrt(Math.max(0, m2 - m * m)) : Math.sqrt(Math.max(0, m2));
    mean.push(p.intercept ? m : 0);
    // A constant column (sd ≈ 0 next to its mean) is left as it is.
    sd.push(s > 1e-9 * Math.max(1, Math.abs(m)) ? s : 1);
  }
  return { mean, sd };
}

/** Under DP the declared bounds give the scale: public, so nothing more is released. */
export function scaleFromBounds(p: RegressionParams, privacy: PrivacyParam): FeatureScale {
  const mean: number[] = [];
  const sd: number[] = [];
  for (const c of p.features) {
    const [lo, hi] = privacy.bounds[c];
    const half = p.intercept ? (hi - lo) / 2 : Math.max(Math.abs(lo), Math.abs(hi));
    mean.push(p.intercept ? (lo + hi) / 2 : 0);
    sd.push(half > 0 ? half : 1);
  }
  return { mean, sd };
}

function toStd(p: RegressionParams, w: readonly number[], sc: FeatureScale): number[] {
  const o = p.intercept ? 1 : 0;
  const u = [...w];
  for (let f = 0; f < p.features.length; f++) {
    u[f + o] = w[f + o] * sc.sd[f];
    if (o) u[0] += w[f + o] * sc.mean[f];
  }
  return u;
}

function fromStd(p: RegressionParams, u: readonly number[], sc: FeatureScale): number[] {
  const o = p.intercept ? 1 : 0;
  const w = [...u];
  for (let f = 0; f < p.features.length; f++) {
    w[f + o] = u[f + o] / sc.sd[f];
    if (o) w[0] -= (u[f + o] * sc.mean[f]) / sc.sd[f];
  }
  return w;
}

/** Aᵀg: the gradient with respect to the standardized weights. */
function gradToStd(p: RegressionParams, g: readonly number[], sc: FeatureScale): number[] {
  const o = p.intercept ? 1 : 0;
  const out = [...g];
  for (let f = 0; f < p.features.length; f++) out[f + o] = (g[f + o] - (o ? sc.mean[f] * g[0] : 0)) / sc.sd[f];
  return out;
}

export function roundWeights(p: RegressionParams, params: unknown): number[] {
  const d = dims(p);
  if (params === undefined || params === null) return new Array<number>(d).fill(0);
  const w = (params as RegressionRoundParams).weights;
  if (!Array.isArray(w) || w.length !== d || w.some((v) => typeof v !== "number" || !Number.isFinite(v)))
    throw new Error(`regression: the round's weights must be ${d} finite numbers`);
  return w;
}

/** A member's vector from its rows (pure); `withSums`: gd's round 1, which adds Σx_f and Σx_f². */
export function regressionPartial(p: RegressionParams, link: Link, rows: readonly number[][], w: readonly number[], withSums = false): number[] {
  const d = dims(p);
  const newton = p.method === "newton";
  const v = new Array<number>(regressionLength(p)).fill(0);
  const x = new Array<number>(d);
  const nf = p.features.length;
  for (const r of rows) {
    if (p.intercept) x[0] = 1;
    for (let j = 0; j < nf; j++) x[j + (p.intercept ? 1 : 0)] = r[j]!;
    let z = 0;
    for (let j = 0; j < d; j++) z += w[j] * x[j];
    const [loss, g1, g2] = link(z, r[nf]);
    v[0] += 1;
    v[1] += loss;
    for (let j = 0; j < d; j++) v[2 + j] += g1 * x[j];
    if (newton) {
      let o = 2 + d;
      for (let i = 0; i < d; i++) for (let j = i; j < d; j++) v[o++] += g2 * x[i] * x[j];
    } else if (withSums) {
      for (let f = 0; f < nf; f++) {
        v[2 + d + f] += r[f];
        v[2 + d + nf + f] += r[f] * r[f];
      }
    }
  }
  return v;
}

/**
 * A member's vector under DP (gd only): rows clamped to the bounds, each row's gradient scaled down
 * to ℓ2 norm ≤ privacy.gradientClip, summed with the row count; the loss is not released (0).
 */
export function regressionDpVector(p: RegressionParams, link: Link, rows: readonly number[][], w: readonly number[], privacy: PrivacyParam): number[] {
  const d = dims(p);
  const C = privacy.gradientClip!;
  const bounds = [...p.features, p.target].map((c) => privacy.bounds[c]);
  const v = new Array<number>(regressionLength(p)).fill(0);
  const x = new Array<number>(d);
  const nf = p.features.length;
  const off = p.intercept ? 1 : 0;
  for (const raw of rows) {
    const r = raw.map((val, j) => clip(val, bounds[j]));
    if (p.intercept) x[0] = 1;
    for (let j = 0; j < nf; j++) x[j + off] = r[j]!;
    let z = 0;
    for (let j = 0; j < d; j++) z += w[j] * x[j];
    const g1 = link(z, r[nf])[1];
    const norm = Math.abs(g1) * Math.hypot(...x);
    const f = norm > C ? C / norm : 1;
    v[0] += 1;
    for (let j = 0; j < d; j++) v[2 + j] += f * g1 * x[j];
  }
  return v;
}

/** A row adds 1 to the count and a gradient of ℓ2 norm ≤ gradientClip. */
export function regressionDpParts(p: RegressionParams, privacy: PrivacyParam): Part[] {
  const d = dims(p);
  return [
    { coords: [0], l2: 1 },
    { coords: Array.from({ length: d }, (_, j) => 2 + j), l2: privacy.gradientClip! },
  ];
}

/**
 * The requester's step from summed partials (pure). gd with `scale` steps in standardized
 * coordinates (see FeatureScale): `step` and convergence are measured there, `weights` are on the
 * original scale. Without it (proven tasks: the circuit proves the raw gradient and no sums) gd
 * steps on the raw weights.
 */
export function regressionStep(p: RegressionParams, sum: readonly number[], w: readonly number[], scale?: FeatureScale) {
  const d = dims(p);
  const n = Math.round(sum[0]);
  const start = p.intercept ? 1 : 0;
  const g = Array.from({ length: d }, (_, j) => sum[2 + j] + (j >= start ? p.l2 * w[j] : 0));
  let loss = sum[1];
  for (let j = start; j < d; j++) loss += 0.5 * p.l2 * w[j] ** 2;
  let delta: number[];
  if (p.method === "newton") {
    const H = Array.from({ length: d }, () => new Array<number>(d).fill(0));
    let o = 2 + d;
    for (let i = 0; i < d; i++)
      for (let j = i; j < d; j++) {
        H[i][j] = H[j][i] = sum[o++]!;
      }
    for (let j = start; j < d; j++) H[j][j] += p.l2;
    delta = solve(H, g, { singular: "regression: the Hessian is singular (constant or collinear features); drop a feature or set params.l2 > 0" });
  } else {
    if (n <= 0) throw new Error("regression: no rows were aggregated");
    if (scale) {
      const u = toStd(p, w, scale);
      const du = gradToStd(p, g, scale).map((v) => (p.learningRate * v) / n);
      const u2 = u.map((v, j) => v - du[j]);
      const step = Math.hypot(...du);
      const converged = step <= p.tolerance * Math.max(1, Math.hypot(...u2));
      return { weights: fromStd(p, u2, scale), loss, gradientNorm: Math.hypot(...g), step, rows: n, converged };
    }
    delta = g.map((v) => (p.learningRate * v) / n);
  }
  const next = w.map((v, j) => v - delta[j]);
  const step = Math.hypot(...delta);
  const converged = step <= p.tolerance * Math.max(1, Math.hypot(...next));
  return { weights: next, loss, gradientNorm: Math.hypot(...g), step, rows: n, converged };
}

export function provenRegression(circuit: "linreg" | "logreg"): ProvenKind<RegressionParams> {
  const pk: ProvenKind<RegressionParams> = {
    circuit,
    layout: (p) => [...p.features, p.target],
    // the circuit's 1 + C committed values
    values: (s) => 1 + s.columns,
    check: (p, s) =>
      p.features.length !== s.columns - 1
        ? `the ${s.name} circuit reads rows of exactly ${s.columns - 1} features then the target; the task has ${p.features.length} feature(s)`
        : p.method !== "gd"
          ? `proven ${circuit} needs params.method "gd": the circuit proves the gradient, not the Hessian Newton needs`
          : undefined,
    // kind weights: [intercept?, features…]; circuit weights: [features…, bias]
    params: (p, round) => {
      const w = roundWeights(p, round);
      const f = p.intercept ? w.slice(1) : w;
      return { weights: [...f, p.intercept ? w[0] : 0].map((v, i) => encode(v, { column: i < f.length ? p.features[i] : "bias" })) };
    },
    // circuit [count, Σe·x_c (scale 2^32), Σe (2^16)] → [n, loss (not proven: 0), g (intercept first)]
    toKind: (p, sum, s) => {
      const g = p.features.map((_, j) => real(sum[1 + j], 2 * FX));
      const bias = real(sum[s.columns], FX);
      return [Number(sum[0]), 0, ...(p.intercept ? [bias] : []), ...g];
    },
    // linreg_chunk / logreg_chunk: the same weights and vector layout, signed values
    honk: { kind: circuit, params: (p, round, s) => ({ weights: pk.params(p, round, s).weights!.map(signedParam) }) },
  };
  return pk;
}

export const provenLinreg = provenRegression("linreg");
export const provenLogreg = provenRegression("logreg");

export function regressionKind(
  kind: "linreg" | "logreg",
  parse: (spec: TaskSpec) => RegressionParams,
  link: Link,
  proven?: ProvenKind<RegressionParams>,
): FederatedKind<RegressionParams> {
  return {
    kind,
    proven,
    parse,
    columns: (p) => [...p.features, p.target],
    length: regressionLength,
    // gd's round 1 (no weights yet) also sums each feature and its square, for the standardization.
    local: (p, params, tables) =>
      regressionPartial(p, link, selectRows(tables, [...p.features, p.target], kind), roundWeights(p, params), p.method === "gd" && (params === undefined || params === null)),
    dp: {
      local: (p, params, tables, privacy) => regressionDpVector(p, link, selectRows(tables, [...p.features, p.target], kind), roundWeights(p, params), privacy),
      parts: regressionDpParts,
    },
    finish(p, params, sum, info) {
      // gd standardizes (FeatureScale): the scale is fixed in round 1 and kept in the requester's
      // own state, never in the published `next` (members would learn the features' moments).
      let scale: FeatureScale | undefined;
      if (p.method === "gd" && !info.proven) {
        scale = info.state?.get<{ scale?: FeatureScale }>()?.scale;
        if (!scale) {
          scale = p.privacy ? scaleFromBounds(p, p.privacy) : scaleFromSums(p, sum);
          info.state?.set({ scale });
        }
      }
      // Under DP the row count is noisy: at least one row keeps the gd step finite.
      const s = regressionStep(p, p.privacy ? [Math.max(1, sum[0]), ...sum.slice(1)] : sum, roundWeights(p, params), scale);
      const names = [...(p.intercept ? ["(intercept)"] : []), ...p.features];
      return { result: { ...s, names }, next: { weights: s.weights } satisfies RegressionRoundParams, done: s.converged };
    },
  };
}

export const linregKind = regressionKind("linreg", (spec) => kindParams(spec, "linreg"), squaredLink, provenLinreg);
export const linregHandler = federatedHandler(linregKind);
