import { canonicalJson } from "../../../../../protocol/src/canonical.js";
import type { StatsParams } from "../../../../../protocol/src/tasks/stats/index.js";
import { kindParams, proofSystemOf, type TaskSpec } from "../../../../../protocol/src/taskspec.js";
import { Phase } from "../../../../../protocol/src/phases.js";
import type { ReceivedContribution, RoundContext, TaskKindHandler } from "../../handler.js";
import { openFromMember, sealForRequester } from "../../aggregation/sealed.js";
import { federatedHandler, type FederatedKind, type FederatedMeta } from "../shared/federated.js";
import { FX, real, type ProvenKind } from "../shared/proven.js";
import { clip, maxAbs, type Part } from "../../../privacy/mechanism.js";
import { openHonk } from "../../../zk/honk-proven.js";
import { openHonkExtrema } from "../../../zk/honk-extrema.js";
import type { PrivacyParam } from "../../../../../protocol/src/tasks/privacy.js";

/** One member's partial sums for a column. */
export interface ColumnPartial {
  count: number;
  sum: number;
  sumSq: number;
  min: number;
  max: number;
}

export interface ColumnStats {
  count: number;
  sum: number;
  mean: number;
  /** Population variance (divides by count). */
  variance: number;
  min: number;
  max: number;
}

/**
 * secagg / paillier columns: min and max are not sums, so these backends cannot combine them;
 * UltraHonk-proven rounds carry them beside the backend, proven and sealed to the requester.
 */
export type SecureColumnStats = Omit<ColumnStats, "min" | "max"> & { min?: number; max?: number };

export interface StatsResult {
  columns: Record<string, ColumnStats>;
  /** Members whose partials were combined. */
  members: number;
  /** Contributions left out (payload not matching its commitment, or not a valid stats payload). */
  rejected?: FederatedMeta["rejected"];
}

/** Why a plain stats contribution is invalid (the requester opens it to tell), or undefined. */
function plainReason(ctx: RoundContext, c: ReceivedContribution): string | undefined {
  try {
    decode(c.member, openFromMember(ctx, c), kindParams(ctx.spec, "stats").columns);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Result of stats with secagg or paillier aggregation. */
export interface SecureStatsResult extends Omit<FederatedMeta, "members"> {
  columns: Record<string, SecureColumnStats>;
  members: number;
  /** Who the members are. */
  contributors: string[];
}

interface StatsPayload {
  v: 1;
  columns: Record<string, ColumnPartial>;
}

/** Partial sums of the named columns over the rows of several tables (pure). */
export function partials(tables: { columns: string[]; rows: number[][] }[], columns: string[]): Record<string, ColumnPartial> {
  const out: Record<string, ColumnPartial> = {};
  for (const name of columns) {
    const p: ColumnPartial = { count: 0, sum: 0, sumSq: 0, min: Infinity, max: -Infinity };
    for (const t of tables) {
      const j = t.columns.indexOf(name);
      if (j < 0) throw new Error(`stats: column "${name}" is not in the dataset (it has ${t.columns.join(", ")})`);
      for (const row of t.rows) {
        const v = row[j];
        p.count++;
        p.sum += v;
        p.sumSq += v * v;
        if (v < p.min) p.min = v;
        if (v > p.max) p.max = v;
      }
    }
    out[name] = p;
  }
  return out;
}

/** Combines partials into statistics (pure). */
export function combine(parts: Record<string, ColumnPartial>[], columns: string[]): Record<string, ColumnStats> {
  const out: Record<string, ColumnStats> = {};
  for (const name of columns) {
    let count = 0,
      sum = 0,
      sumSq = 0,
      min = Infinity,
      max = -Infinity;
    for (const p of parts) {
      const c = p[name];
      if (!c) throw new Error(`stats: a contribution lacks column "${name}"`);
      count += c.count;
      sum += c.sum;
      sumSq += c.sumSq;
      min = Math.min(min, c.min);
      max = Math.max(max, c.max);
    }
    const mean = count > 0 ? sum / count : NaN;
    // E[x²] − mean² can dip below zero by rounding when the spread is tiny.
    const variance = count > 0 ? Math.max(0, sumSq / count - mean * mean) : NaN;
    out[name] = { count, sum, mean, variance, min, max };
  }
  return out;
}

function decode(member: string, bytes: Uint8Array, columns: string[]): Record<string, ColumnPartial> {
  let p: StatsPayload;
  try {
    p = JSON.parse(new TextDecoder().decode(bytes)) as StatsPayload;
  } catch {
    throw new Error(`stats: contribution of ${member} is not JSON`);
  }
  if (p?.v !== 1 || typeof p.columns !== "object") throw new Error(`stats: contribution of ${member} is not a stats payload`);
  for (const name of columns) {
    const x = p.columns[name];
    const ok = x && [x.count, x.sum, x.sumSq, x.min, x.max].every((n) => typeof n === "number" && Number.isFinite(n)) && Number.isInteger(x.count) && x.count > 0;
    if (!ok) throw new Error(`stats: contribution of ${member} has no valid partial for column "${name}"`);
  }
  return p.columns;
}

export const provenStats: ProvenKind<StatsParams> = {
  circuit: "stats",
  layout: (p) => p.columns,
  // the row count, then Σx and Σx² of every column
  values: (s) => 1 + 2 * s.columns,
  check: (p, s) => (p.columns.length > s.columns ? `the ${s.name} circuit proves at most ${s.columns} columns; the task names ${p.columns.length}` : undefined),
  params: () => ({}),
  // circuit [count, sum[0..C-1], sumSq[0..C-1]] → per column [count, Σx, Σx²]
  toKind: (p, sum, s) => p.columns.flatMap((_, i) => [Number(sum[0]), real(sum[1 + i], FX), real(sum[1 + s.columns + i], 2 * FX)]),
  // stats_chunk's vector has the same layout, [count, Σx_j, Σx_j²] at scales 1, 2^16, 2^32
  honk: { kind: "stats", params: () => ({}) },
};

/**
 * secagg / paillier: per column [count, Σx, Σx²] as one vector through the aggregation backend
 * (min and max are not sums and are left out).
 */
export const statsVectorKind: FederatedKind<StatsParams> = {
  kind: "stats",
  // parseTaskSpec parsed the params with the kind's schema: read, not re-parsed
  parse: (spec: TaskSpec) => kindParams(spec, "stats"),
  columns: (p) => p.columns,
  length: (p) => 3 * p.columns.length,
  local: (p, _params, tables) =>
    p.columns.flatMap((c) => {
      const x = partials(tables, [c])[c];
      return [x.count, x.sum, x.sumSq];
    }),
  finish(p, _params, sum) {
    const columns: Record<string, SecureColumnStats> = {};
    p.columns.forEach((c, i) => {
      // Under DP the row count travels once, in column 0's slot (every column counts every row).
      const count = Math.round(sum[p.privacy ? 0 : 3 * i]);
      const s = sum[3 * i + 1];
      let mean = count > 0 ? s / count : NaN;
      let variance = count > 0 ? Math.max(0, sum[3 * i + 2] / count - mean * mean) : NaN;
      const b = p.privacy?.bounds[c];
      if (b && count > 0) {
        // Post-processing of the noisy sums: a mean outside the bounds or a variance beyond
        // (hi − lo)²/4 is impossible for clipped data, so pull them back in.
        mean = clip(mean, b);
        variance = Math.min(variance, (b[1] - b[0]) ** 2 / 4);
      }
      columns[c] = { count, sum: s, mean, variance };
    });
    return { result: { columns } };
  },
  proven: provenStats,
  dp: {
    local: (p, _params, tables, privacy) => statsDpVector(p.columns, tables, privacy),
    parts: (p, privacy) => statsDpParts(p.columns, privacy),
  },
};

/**
 * The proven per-column min and max over the aggregated members (UltraHonk stats): each member's
 * chained min/max proofs were checked with its contribution (openHonk); here the requester opens
 * each sealed opening against the member's last proven output. An opening that fails fails the
 * round naming the member: the sums were already combined with it.
 */
async function addProvenExtrema(ctx: RoundContext, columns: Record<string, SecureColumnStats>, members: string[]): Promise<void> {
  const names = Object.keys(columns);
  const want = new Set(members.map((m) => m.toLowerCase()));
  const mins: (bigint | undefined)[] = names.map(() => undefined);
  const maxs: (bigint | undefined)[] = names.map(() => undefined);
  for (const c of (await ctx.contributions(Phase.Compute)).filter((x) => want.has(x.member.toLowerCase()))) {
    const o = await openHonk(ctx, "stats", {}, c);
    if (!o.extrema) throw new Error(`stats: ${c.member}'s contribution carries no proven min/max`);
    const e = openHonkExtrema(ctx, c.member, o.extrema, names.length);
    names.forEach((_, j) => {
      if (mins[j] === undefined || e.mins[j] < mins[j]) mins[j] = e.mins[j];
      if (maxs[j] === undefined || e.maxs[j] > maxs[j]) maxs[j] = e.maxs[j];
    });
  }
  names.forEach((n, j) => {
    if (mins[j] !== undefined) columns[n] = { ...columns[n], min: real(mins[j], FX), max: real(maxs[j]!, FX) };
  });
}

/** A member's clipped vector under DP: per column [count (column 0 only), Σx, Σx²] with x clamped to its bounds (pure). */
export function statsDpVector(columns: string[], tables: { columns: string[]; rows: number[][] }[], privacy: PrivacyParam): number[] {
  const v = new Array<number>(3 * columns.length).fill(0);
  columns.forEach((name, i) => {
    const b = privacy.bounds[name];
    for (const t of tables) {
      const j = t.columns.indexOf(name);
      if (j < 0) throw new Error(`stats: column "${name}" is not in the dataset (it has ${t.columns.join(", ")})`);
      for (const row of t.rows) {
        const x = clip(row[j], b);
        if (i === 0) v[0] += 1;
        v[3 * i + 1] += x;
        v[3 * i + 2] += x * x;
      }
    }
  });
  return v;
}

/** Sensitivities: a row adds 1 to the count, at most max|bound| to a sum and max|bound|² to a sum of squares. */
export function statsDpParts(columns: string[], privacy: PrivacyParam): Part[] {
  const parts: Part[] = [{ coords: [0], l2: 1 }];
  columns.forEach((name, i) => {
    const B = maxAbs(privacy.bounds[name]);
    parts.push({ coords: [3 * i + 1], l2: B }, { coords: [3 * i + 2], l2: B * B });
  });
  return parts;
}
const secure = federatedHandler(statsVectorKind);
/** Plain and unproven: partials with min and max, sealed to the requester. Proven tasks go through the vector path (min/max are not additive). */
const isPlain = (spec: TaskSpec) => spec.aggregation === "plain" && spec.verification === "none" && spec.params.privacy === undefined;

/**
 * Federated column statistics. `plain`: each member sends its partial sums (with min and max)
 * sealed to the requester; `secagg` and `paillier`: count, sum and sum of squares through the backend.
 */
export const statsHandler: TaskKindHandler = {
  kind: "stats",
  proven: secure.proven,
  aggregations: ["plain", "secagg", "paillier"],
  usesReveal: (spec) => secure.usesReveal!(spec),
  // Every round recomputes the same statistics over the committed data: no round parameters.
  usesParams: () => false,
  setup: (ctx) => secure.setup!(ctx),
  reveal: (ctx) => secure.reveal!(ctx),
  aggregateWhen: (r, a, spec) => secure.aggregateWhen!(r, a, spec),
  noiseSigma: (spec) => secure.noiseSigma!(spec),
  verify: (ctx, c) => (isPlain(ctx.spec) ? plainReason(ctx, c) === undefined : secure.verify!(ctx, c)),
  admit(spec, datasets, self) {
    if (!isPlain(spec) || spec.setup) return secure.admit!(spec, datasets, self);
    const { columns } = kindParams(spec, "stats");
    for (const d of datasets) {
      const missing = columns.filter((c) => !d.row.schema.columns.includes(c));
      if (missing.length) return `dataset ${d.row.name} v${d.row.version} lacks column(s) ${missing.join(", ")}`;
    }
    return undefined;
  },
  async contribute(ctx) {
    if (!isPlain(ctx.spec)) return secure.contribute(ctx);
    const { columns } = kindParams(ctx.spec, "stats");
    const payload: StatsPayload = {
      v: 1,
      columns: partials(
        ctx.datasets.map((d) => d.table),
        columns,
      ),
    };
    return sealForRequester(ctx, new TextEncoder().encode(canonicalJson(payload)));
  },
  async aggregate(ctx, contributions) {
    if (!isPlain(ctx.spec)) {
      const out = await secure.aggregate(ctx, contributions);
      const { members, ...rest } = out.result as FederatedMeta & { columns: Record<string, SecureColumnStats> };
      if (proofSystemOf(ctx.spec) === "honk") await addProvenExtrema(ctx, rest.columns, members);
      const result: SecureStatsResult = { ...rest, members: members.length, contributors: members };
      return { result };
    }
    const { columns } = kindParams(ctx.spec, "stats");
    const parts = contributions.map((c) => decode(c.member, openFromMember(ctx, c), columns));
    // As with every federated backend: invalid contributions are left out and named with the reason.
    const rejected: FederatedMeta["rejected"] = [];
    for (const c of await ctx.contributions(Phase.Compute)) {
      const why = plainReason(ctx, c);
      if (why) rejected.push({ member: c.member, phase: "compute", reason: why });
    }
    if (parts.length === 0 || parts.length < ctx.spec.members.threshold)
      throw new Error(`stats: ${parts.length} valid contribution(s), below members.threshold ${ctx.spec.members.threshold}`);
    const result: StatsResult = { columns: combine(parts, columns), members: parts.length };
    if (rejected.length) result.rejected = rejected;
    return { result };
  },
};
