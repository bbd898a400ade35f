import type { TaskSpec } from "../../../../protocol/src/taskspec.js";
import type { Table } from "../../data/table.js";
import type { RoundOutcome, TaskKindHandler } from "../handler.js";
import { admitBackend, aggregateVector, contributeVector, revealVector, setupVector, usesReveal, verifyVector, type Rejected, type VectorAggregate } from "../aggregation/index.js";
import { secaggThreshold } from "../aggregation/secagg.js";

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
  local(p: P, params: unknown, tables: Table[]): number[];
  /** The requester's step; `members` is how many contributions are in the sum. */
  finish(p: P, params: unknown, sum: number[], info: { round: number; rounds: number; members: number }): RoundOutcome;
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
    for (const r of t.rows) out.push(idx.map((j) => r[j]!));
  }
  return out;
}

export function federatedHandler<P>(k: FederatedKind<P>): TaskKindHandler {
  return {
    kind: k.kind,
    aggregations: ["plain", "secagg", "paillier"],
    admit(spec, datasets) {
      // Contributions carry no proofs yet (the contribution circuits are separate work); a member
      // joining a verified task would only fail at submission, so it declines with the reason.
      if (spec.verification !== "none") return `kind ${k.kind} has no contribution proofs on this node yet; use verification: "none"`;
      const why = admitBackend(spec);
      if (why) return why;
      const cols = k.columns(k.parse(spec));
      for (const d of datasets) {
        const missing = cols.filter((c) => !d.row.schema.columns.includes(c));
        if (missing.length) return `dataset ${d.row.name} v${d.row.version} lacks column(s) ${missing.join(", ")}`;
      }
      return undefined;
    },
    usesReveal: usesReveal,
    async setup(ctx) {
      return setupVector(ctx, k.length(k.parse(ctx.spec)));
    },
    async contribute(ctx) {
      const p = k.parse(ctx.spec);
      const v = k.local(p, ctx.params, ctx.datasets.map((d) => d.table));
      if (v.length !== k.length(p)) throw new Error(`${k.kind}: contribution has ${v.length} values, expected ${k.length(p)}`);
      return contributeVector(ctx, v);
    },
    async reveal(ctx) {
      return revealVector(ctx);
    },
    // t shares rebuild every secret; shares beyond t that arrived by then are checked for consistency.
    aggregateWhen(revealed, _active, spec) {
      return revealed >= secaggThreshold(spec);
    },
    verify(ctx, c) {
      return verifyVector(ctx, c, k.length(k.parse(ctx.spec)));
    },
    async aggregate(ctx) {
      const p = k.parse(ctx.spec);
      const agg: VectorAggregate = await aggregateVector(ctx, k.length(p));
      const out = k.finish(p, ctx.params, agg.sum, { round: ctx.round, rounds: ctx.spec.rounds, members: agg.members.length });
      const meta: FederatedMeta = { round: ctx.round, aggregation: ctx.spec.aggregation, members: agg.members, rejected: agg.rejected };
      if (agg.dropped) meta.dropped = agg.dropped;
      if (agg.rejected.length) ctx.log.warn({ rejected: agg.rejected }, "contributions left out of the aggregate");
      return { ...out, result: { ...(out.result as object), ...meta } };
    },
  };
}
