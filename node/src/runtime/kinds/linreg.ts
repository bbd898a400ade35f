import { linregParams, type RegressionParams } from "../../../../protocol/src/tasks/linreg.js";
import type { TaskSpec } from "../../../../protocol/src/taskspec.js";
import { encode } from "../../../../protocol/src/fixedpoint.js";
import { FX, real, signedParam, type ProvenKind } from "./proven.js";
import { federatedHandler, selectRows, type FederatedKind, type FederatedMeta } from "./federated.js";
import { clip, type Part } from "../../privacy/mechanism.js";
import type { PrivacyParam } from "../../../../protocol/src/tasks/privacy.js";

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

export function regressionLength(p: RegressionParams): number {
  const d = dims(p);
  return 2 + d + (p.method === "newton" ? tri(d) : 0);
}

export function roundWeights(p: RegressionParams, params: unknown): number[] {
  const d = dims(p);
  if (params === undefined || params === null) return new Array<number>(d).fill(0);
  const w = (params as RegressionRoundParams).weights;
  if (!Array.isArray(w) || w.length !== d || w.some((v) => typeof v !== "number" || !Number.isFinite(v)))
    throw new Error(`regression: the round's weights must be ${d} finite numbers`);
  return w;
}

/** A member's vector from its rows (pure). */
export function regressionPartial(p: RegressionParams, link: Link, rows: readonly number[][], w: readonly number[]): number[] {
  const d = dims(p);
  const newton = p.method === "newton";
  const v = new Array<number>(regressionLength(p)).fill(0);
  const x = new Array<number>(d);
  const nf = p.features.length;
  for (const r of rows) {
    if (p.intercept) x[0] = 1;
    for (let j = 0; j < nf; j++) x[j + (p.intercept ? 1 : 0)] = r[j]!;
    let z = 0;
    for (let j = 0; j < d; j++) z += w[j]! * x[j]!;
    const [loss, g1, g2] = link(z, r[nf]!);
    v[0]! += 1;
    v[1]! += loss;
    for (let j = 0; j < d; j++) v[2 + j]! += g1 * x[j]!;
    if (newton) {
      let o = 2 + d;
      for (let i = 0; i < d; i++) for (let j = i; j < d; j++) v[o++]! += g2 * x[i]! * x[j]!;
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
  const bounds = [...p.features, p.target].map((c) => privacy.bounds[c]!);
  const v = new Array<number>(regressionLength(p)).fill(0);
  const x = new Array<number>(d);
  const nf = p.features.length;
  const off = p.intercept ? 1 : 0;
  for (const raw of rows) {
    const r = raw.map((val, j) => clip(val, bounds[j]!));
    if (p.intercept) x[0] = 1;
    for (let j = 0; j < nf; j++) x[j + off] = r[j]!;
    let z = 0;
    for (let j = 0; j < d; j++) z += w[j]! * x[j]!;
    const g1 = link(z, r[nf]!)[1];
    const norm = Math.abs(g1) * Math.hypot(...x);
    const f = norm > C ? C / norm : 1;
    v[0]! += 1;
    for (let j = 0; j < d; j++) v[2 + j]! += f * g1 * x[j]!;
  }
  return v;
}

/** A row adds 1 to the count and a gradient of ℓ2 norm ≤ gradientClip. */
export function regressionDpParts(p: RegressionParams, privacy: PrivacyParam): Part[] {
  const d = dims(p);
  return [{ coords: [0], l2: 1 }, { coords: Array.from({ length: d }, (_, j) => 2 + j), l2: privacy.gradientClip! }];
}

/** Solves A x = b by Gaussian elimination with partial pivoting (A symmetric positive definite here). */
export function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[piv]![c]!)) piv = r;
    if (Math.abs(M[piv]![c]!) < 1e-300) throw new Error("regression: the Hessian is singular (constant or collinear features); drop a feature or set params.l2 > 0");
    [M[c], M[piv]] = [M[piv]!, M[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = M[r]![c]! / M[c]![c]!;
      for (let k = c; k <= n; k++) M[r]![k]! -= f * M[c]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= M[r]![k]! * x[k]!;
    x[r] = s / M[r]![r]!;
  }
  return x;
}

/** The requester's step from summed partials (pure). */
export function regressionStep(p: RegressionParams, sum: readonly number[], w: readonly number[]) {
  const d = dims(p);
  const n = Math.round(sum[0]!);
  const start = p.intercept ? 1 : 0;
  const g = Array.from({ length: d }, (_, j) => sum[2 + j]! + (j >= start ? p.l2 * w[j]! : 0));
  let loss = sum[1]!;
  for (let j = start; j < d; j++) loss += 0.5 * p.l2 * w[j]! ** 2;
  let delta: number[];
  if (p.method === "newton") {
    const H = Array.from({ length: d }, () => new Array<number>(d).fill(0));
    let o = 2 + d;
    for (let i = 0; i < d; i++)
      for (let j = i; j < d; j++) {
        H[i]![j] = H[j]![i] = sum[o++]!;
      }
    for (let j = start; j < d; j++) H[j]![j]! += p.l2;
    delta = solve(H, g);
  } else {
    if (n <= 0) throw new Error("regression: no rows were aggregated");
    delta = g.map((v) => (p.learningRate * v) / n);
  }
  const next = w.map((v, j) => v - delta[j]!);
  const step = Math.hypot(...delta);
  const converged = step <= p.tolerance * Math.max(1, Math.hypot(...next));
  return { weights: next, loss, gradientNorm: Math.hypot(...g), step, rows: n, converged };
}

export function provenRegression(circuit: "linreg" | "logreg"): ProvenKind<RegressionParams> {
  const pk: ProvenKind<RegressionParams> = {
    circuit,
    layout: (p) => [...p.features, p.target],
    check: (p, s) =>
      p.features.length !== s.columns - 1 ? `the ${s.name} circuit reads rows of exactly ${s.columns - 1} features then the target; the task has ${p.features.length} feature(s)`
      : p.method !== "gd" ? `proven ${circuit} needs params.method "gd": the circuit proves the gradient, not the Hessian Newton needs`
      : undefined,
    // kind weights: [intercept?, features…]; circuit weights: [features…, bias]
    params: (p, round) => {
      const w = roundWeights(p, round);
      const f = p.intercept ? w.slice(1) : w;
      return { weights: [...f, p.intercept ? w[0]! : 0].map((v, i) => encode(v, { column: i < f.length ? p.features[i] : "bias" })) };
    },
    // circuit [count, Σe·x_c (scale 2^32), Σe (2^16)] → [n, loss (not proven: 0), g (intercept first)]
    toKind: (p, sum, s) => {
      const g = p.features.map((_, j) => real(sum[1 + j]!, 2 * FX));
      const bias = real(sum[s.columns]!, FX);
      return [Number(sum[0]), 0, ...(p.intercept ? [bias] : []), ...g];
    },
    // linreg_chunk / logreg_chunk: the same weights and vector layout, signed values
    honk: { kind: circuit, params: (p, round, s) => ({ weights: pk.params(p, round, s).weights!.map(signedParam) }) },
  };
  return pk;
}

export const provenLinreg = provenRegression("linreg");
export const provenLogreg = provenRegression("logreg");

export function regressionKind(kind: "linreg" | "logreg", parse: (spec: TaskSpec) => RegressionParams, link: Link, proven?: ProvenKind<RegressionParams>): FederatedKind<RegressionParams> {
  return {
    kind,
    proven,
    parse,
    columns: (p) => [...p.features, p.target],
    length: regressionLength,
    local: (p, params, tables) => regressionPartial(p, link, selectRows(tables, [...p.features, p.target], kind), roundWeights(p, params)),
    dp: {
      local: (p, params, tables, privacy) => regressionDpVector(p, link, selectRows(tables, [...p.features, p.target], kind), roundWeights(p, params), privacy),
      parts: regressionDpParts,
    },
    finish(p, params, sum) {
      // Under DP the row count is noisy: at least one row keeps the gd step finite.
      const s = regressionStep(p, p.privacy ? [Math.max(1, sum[0]!), ...sum.slice(1)] : sum, roundWeights(p, params));
      const names = [...(p.intercept ? ["(intercept)"] : []), ...p.features];
      return { result: { ...s, names }, next: { weights: s.weights } satisfies RegressionRoundParams, done: s.converged };
    },
  };
}

export const linregKind = regressionKind("linreg", (spec) => linregParams.parse(spec.params), squaredLink, provenLinreg);
export const linregHandler = federatedHandler(linregKind);
