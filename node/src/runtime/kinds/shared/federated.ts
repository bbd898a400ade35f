import { proofSystemOf, type TaskSpec } from "../../../../../protocol/src/taskspec.js";
import type { Table } from "../../../data/table.js";
import { Phase } from "../../../../../protocol/src/phases.js";
import type { KindState, ReceivedContribution, RoundContext, RoundOutcome, TaskKindHandler } from "../../handler.js";
import {
  admitBackend,
  aggregateVector,
  backendOf,
  contributeIntegers,
  contributeVector,
  revealVector,
  setupVector,
  usesReveal,
  verifyVector,
  type Rejected,
  type VectorAggregate,
} from "../../aggregation/index.js";
import { parsePlain } from "../../aggregation/plain.js";
import type { CommittedShape, SumEntry } from "../../aggregation/paillier.js";
import { MAX_GENERATORS } from "../../../../../protocol/src/pedersen.js";
import { secaggThreshold } from "../../aggregation/secagg.js";
import { addNoise, planNoise, privacyOf, privacyReport, roundRho, type NoisePlan, type Part, type PrivacyReport } from "../../../privacy/mechanism.js";
import type { PrivacyParam } from "../../../../../protocol/src/tasks/privacy.js";
import { encodeVector } from "../../aggregation/vector.js";
import { BLINDING_LIMBS, provenSystem, type ProvenKind } from "./proven.js";

/**
 * A federated kind over horizontal partitions is three pure functions: the length of its
 * contribution vector, a member's vector from its rows and the round's public parameters, and
 * the requester's step from the summed vector to the round's result and the next parameters.
 * federatedHandler turns them into a TaskKindHandler that runs on any aggregation backend; the
 * local debug mode (runtime/local.ts) runs the same handler in one process.
 */
export interface FederatedKind<P> {
  kind: string;
  parse(spec: TaskSpec): P;
  /** Columns every member dataset must have. */
  columns(p: P): string[];
  length(p: P): number;
  /** The member's real vector; `params` is the round's public parameters (undefined in round 1). */
  local(p: P, params: unknown, tables: Table[]): number[] | Promise<number[]>;
  /** The requester's step; `members` is how many contributions are in the sum. */
  finish(p: P, params: unknown, sum: number[], info: { round: number; rounds: number; members: number; proven?: boolean; state?: KindState }): RoundOutcome;
  /** The kind's contribution circuit: what verification "offchain" / "onchain" runs (./proven.ts). */
  proven?: ProvenKind<P>;
  /**
   * Differential privacy (params.privacy): the member's vector with every value clipped to the
   * declared bounds (replaces `local`; coordinates the kind does not release are 0), and how far
   * one row can move it (privacy/mechanism.ts). `finish` sees the noisy sum.
   */
  dp?: {
    local(p: P, params: unknown, tables: Table[], privacy: PrivacyParam): number[];
    parts(p: P, privacy: PrivacyParam): Part[];
  };
}

/** The noise plan of a DP task's round: every member and the requester derive the same one from the spec. */
export function noisePlanOf<P>(k: FederatedKind<P>, spec: TaskSpec, p: P): NoisePlan | undefined {
  const privacy = privacyOf(spec);
  if (!privacy) return undefined;
  if (!k.dp) throw new Error(`kind ${k.kind} has no differential-privacy mechanism; drop params.privacy`);
  return planNoise(k.dp.parts(p, privacy), k.length(p), roundRho(spec), spec.members.threshold);
}

/** A member's DP contribution as integers: clipped, encoded at the vector scale, then noised (pure but for the CSPRNG). */
export function noisyVector<P>(k: FederatedKind<P>, spec: TaskSpec, p: P, params: unknown, tables: Table[]): bigint[] {
  const plan = noisePlanOf(k, spec, p)!;
  const v = k.dp!.local(p, params, tables, privacyOf(spec)!);
  if (v.length !== k.length(p)) throw new Error(`${k.kind}: contribution has ${v.length} values, expected ${k.length(p)}`);
  return addNoise(encodeVector(v, `${k.kind} contribution`), plan);
}

/** What every federated result carries besides the kind's own fields. */
export interface FederatedMeta {
  round: number;
  aggregation: string;
  /** Members whose contributions are in the aggregate. */
  members: string[];
  rejected: Rejected[];
  /** secagg: members dropped after Setup whose masks were removed. */
  dropped?: string[];
  /** Proven tasks: the circuit, the chunk proofs checked off-chain, and the aggregate's opening check. */
  proofs?: { circuit: string; verification: string; chunks: number; aggregateOpensCommitments: true; system?: "honk" };
  /** Differential-privacy tasks: the mechanism, its noise and the privacy loss. */
  privacy?: PrivacyReport;
}

/** Rows of the named columns from each table, in column order. */
export function selectRows(tables: readonly Table[], columns: readonly string[], kind: string): number[][] {
  const out: number[][] = [];
  for (const t of tables) {
    const idx = columns.map((c) => {
      const j = t.columns.indexOf(c);
      if (j < 0) throw new Error(`${kind}: column "${c}" is not in the dataset (it has ${t.columns.join(", ")})`);
      return j;
    });
    for (const r of t.rows) out.push(idx.map((j) => r[j]));
  }
  return out;
}

export function federatedHandler<P>(k: FederatedKind<P>): TaskKindHandler {
  const provenOf = (spec: TaskSpec) => (spec.verification === "none" ? undefined : k.proven);
  const lengthOf = (spec: TaskSpec, p: P) => {
    const pk = provenOf(spec);
    return pk ? provenSystem(spec, pk, p).length : k.length(p);
  };
  /**
   * Proven Groth16 tasks under paillier: the committed values the members' equality proofs cover
   * (one Pedersen commitment holds at most MAX_GENERATORS − 1 values; a longer vector goes
   * without, and a cheater there fails the round instead of being named).
   */
  const committedOf = (spec: TaskSpec, p: P): CommittedShape | undefined => {
    const pk = provenOf(spec);
    if (!pk || backendOf(spec) !== "paillier") return undefined;
    const sys = provenSystem(spec, pk, p);
    const count = sys.length - BLINDING_LIMBS;
    return sys.system === "groth16" && count <= MAX_GENERATORS - 1 ? { count, bits: sys.shape.bits } : undefined;
  };
  /**
   * What backends see of a proven task: Compute contributions opened (every proof checked, the
   * envelope removed); invalid ones are left out with the reason, as if never sent. Members
   * (secagg reveal) and the requester apply the same checks, so they agree on who is in.
   */
  const view = <C extends RoundContext>(ctx: C, p: P, rejected: Rejected[] = []): C => {
    const pk = provenOf(ctx.spec);
    if (!pk) return ctx;
    const sys = provenSystem(ctx.spec, pk, p);
    const length = sys.length;
    return {
      ...ctx,
      contributions: async (phase: number) => {
        const all = await ctx.contributions(phase);
        if (phase !== Phase.Compute) return all;
        const out: ReceivedContribution[] = [];
        for (const c of all) {
          try {
            const o = await sys.open(ctx, c);
            // plain shows each vector: a member whose vector is not the one it proved is named here
            if (backendOf(ctx.spec) === "plain" && !sys.opens(o.commitments, parsePlain(ctx, o.inner, length)))
              throw new Error("the vector sent is not the one proven: it does not open the member's chunk commitments");
            out.push(o.inner);
          } catch (e) {
            if (!rejected.some((r) => r.member === c.member)) rejected.push({ member: c.member, phase: "compute", reason: (e as Error).message });
          }
        }
        return out;
      },
    };
  };
  return {
    kind: k.kind,
    ...(k.proven ? { proven: { pk: k.proven, params: (spec: TaskSpec) => k.parse(spec) } } : {}),
    aggregations: ["plain", "secagg", "paillier"],
    admit(spec, datasets) {
      const why = admitBackend(spec);
      if (why) return why;
      const p = k.parse(spec);
      if (privacyOf(spec)) {
        if (spec.verification !== "none")
          return 'params.privacy cannot be combined with proofs yet: the circuits do not enforce the clipping nor prove the noise; use verification: "none"';
        if (!k.dp) return `kind ${k.kind} has no differential-privacy mechanism; drop params.privacy`;
      }
      if (spec.verification !== "none") {
        if (!k.proven) return `kind ${k.kind} has no contribution circuit; use verification: "none"`;
        if (proofSystemOf(spec) === "honk" && !k.proven.honk) return `kind ${k.kind} has no UltraHonk contribution circuit; use verification: "none"`;
        return provenSystem(spec, k.proven, p).admit(spec, datasets);
      }
      const cols = k.columns(p);
      for (const d of datasets) {
        const missing = cols.filter((c) => !d.row.schema.columns.includes(c));
        if (missing.length) return `dataset ${d.row.name} v${d.row.version} lacks column(s) ${missing.join(", ")}`;
      }
      return undefined;
    },
    usesReveal: usesReveal,
    async setup(ctx) {
      return setupVector(ctx, lengthOf(ctx.spec, k.parse(ctx.spec)));
    },
    async contribute(ctx) {
      const p = k.parse(ctx.spec);
      const pk = provenOf(ctx.spec);
      if (pk) {
        const sys = provenSystem(ctx.spec, pk, p);
        const why = sys.admit(ctx.spec, ctx.datasets);
        if (why) throw new Error(why);
        const shape = committedOf(ctx.spec, p);
        return sys.contribute(ctx, (v, committed) => contributeIntegers(ctx, v, shape && committed ? { shape, ...committed } : undefined));
      }
      if (privacyOf(ctx.spec))
        return contributeIntegers(
          ctx,
          noisyVector(
            k,
            ctx.spec,
            p,
            ctx.params,
            ctx.datasets.map((d) => d.table),
          ),
        );
      const v = await k.local(
        p,
        ctx.params,
        ctx.datasets.map((d) => d.table),
      );
      if (v.length !== k.length(p)) throw new Error(`${k.kind}: contribution has ${v.length} values, expected ${k.length(p)}`);
      return contributeVector(ctx, v);
    },
    async reveal(ctx) {
      const p = k.parse(ctx.spec);
      const length = lengthOf(ctx.spec, p);
      if (backendOf(ctx.spec) !== "paillier") return revealVector(view(ctx, p), length);
      const pk = provenOf(ctx.spec);
      if (!pk) return revealVector(ctx, length);
      // Proven: every member checks the chunk proofs and keeps each member's commitments for its equality proof.
      const sys = provenSystem(ctx.spec, pk, p);
      const entries: SumEntry[] = [];
      const rejected: Rejected[] = [];
      for (const c of await ctx.contributions(Phase.Compute)) {
        try {
          const o = await sys.open(ctx, c);
          entries.push({ c: o.inner, commitments: o.commitments });
        } catch (e) {
          rejected.push({ member: c.member, phase: "compute", reason: (e as Error).message });
        }
      }
      return revealVector(ctx, length, { entries, rejected, shape: committedOf(ctx.spec, p) });
    },
    // t shares rebuild every secret; shares beyond t that arrived by then are checked for consistency.
    aggregateWhen(revealed, _active, spec) {
      return revealed >= secaggThreshold(spec);
    },
    noiseSigma(spec) {
      return noisePlanOf(k, spec, k.parse(spec))?.sigma;
    },
    async verify(ctx, c) {
      const p = k.parse(ctx.spec);
      const pk = provenOf(ctx.spec);
      if (!pk) return verifyVector(ctx, c, k.length(p));
      const [inner] = await view(ctx, p)
        .contributions(Phase.Compute)
        .then((all) => all.filter((x) => x.member === c.member));
      return !!inner && verifyVector(ctx, inner, lengthOf(ctx.spec, p));
    },
    async aggregate(ctx) {
      const p = k.parse(ctx.spec);
      const pk = provenOf(ctx.spec);
      const rejected: Rejected[] = [];
      const agg: VectorAggregate = await aggregateVector(view(ctx, p, rejected), lengthOf(ctx.spec, p), committedOf(ctx.spec, p));
      let sum = agg.sum;
      let proofs: FederatedMeta["proofs"];
      if (pk) {
        const sys = provenSystem(ctx.spec, pk, p);
        const shape = sys.shape;
        const members = new Set(agg.members.map((m) => m.toLowerCase()));
        const opened = await Promise.all((await ctx.contributions(Phase.Compute)).filter((c) => members.has(c.member.toLowerCase())).map((c) => sys.open(ctx, c)));
        const commitments = opened.flatMap((o) => o.commitments);
        if (!sys.opens(commitments, agg.raw))
          throw new Error(
            `the aggregate does not open the sum of the members' proven commitments: a member sent a vector other than the one it proved (${ctx.spec.aggregation} shows only the sum${committedOf(ctx.spec, p) ? ", and the members' equality proofs did not name it: a member summed dishonestly" : ", so the round cannot name it"})`,
          );
        sum = pk.toKind(p, agg.raw, shape);
        proofs = { circuit: shape.name, verification: ctx.spec.verification, chunks: commitments.length, aggregateOpensCommitments: true };
        if (sys.system === "honk") proofs.system = "honk";
      }
      const out = k.finish(p, ctx.params, sum, { round: ctx.round, rounds: ctx.spec.rounds, members: agg.members.length, proven: !!pk, state: ctx.state });
      const all = [...rejected, ...agg.rejected.filter((r) => !rejected.some((x) => x.member === r.member))];
      const meta: FederatedMeta = { round: ctx.round, aggregation: ctx.spec.aggregation, members: agg.members, rejected: all };
      if (agg.dropped) meta.dropped = agg.dropped;
      if (proofs) meta.proofs = proofs;
      const plan = noisePlanOf(k, ctx.spec, p);
      if (plan) meta.privacy = privacyReport(ctx.spec, plan);
      if (all.length) ctx.log.warn({ rejected: all }, "contributions left out of the aggregate");
      return { ...out, result: { ...(out.result as object), ...meta } };
    },
  };
}
