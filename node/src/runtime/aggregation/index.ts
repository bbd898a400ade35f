import { AGGREGATIONS, Phase, type Aggregation } from "../../../../protocol/src/phases.js";
import type { TaskSpec } from "../../../../protocol/src/taskspec.js";
import type { AggregateContext, MemberContext, ReceivedContribution, RoundContext, Submission } from "../handler.js";
import {
  paillierAggregate,
  paillierReveal,
  paillierSubmission,
  parseSealed,
  taskKeyCertificate,
  taskPublicKey,
  type CommittedShape,
  type EqualityInput,
  type SumEntry,
} from "./paillier.js";
import { parsePlain, plainAck, plainSubmission } from "./plain.js";
import { secaggAggregate, secaggLooksValid, secaggMasked, secaggReveal, secaggSetup, type Rejected } from "./secagg.js";
import { VECTOR_FIXED } from "../../../../protocol/src/fixedpoint.js";
import { addInto, checkSumRange, decodeVector, encodeVector, VALUE_BITS } from "./vector.js";

/**
 * Backend glue: a federated kind hands over a real vector per member and gets back the sum over
 * the members whose contributions were valid. The backend is spec.aggregation.
 *
 * Invalid contributions (payload not matching its on-chain commitment, not decoding, wrong length,
 * values out of range, ciphertexts not of the task's key) are left out and listed in the result's
 * `rejected` with the reason; the round's result is the exact aggregate of the others. With
 * paillier the members check the ciphertexts (sealed to them) and report what they left out with
 * their sums (./paillier.ts). With secagg, members apply the same checks, so a member with an invalid masked input is treated as
 * dropped (its mask key is rebuilt, its input is not in the sum). When fewer than
 * spec.members.threshold valid contributions remain, aggregation throws: the requester does not
 * finalize, and the round fails at its aggregate deadline.
 */
export type Backend = Aggregation;
export const BACKENDS: readonly Backend[] = AGGREGATIONS;
export type { Rejected };

export function backendOf(spec: TaskSpec): Backend {
  return spec.aggregation;
}

/** Why a member should not join a task with this backend (a spec the backend cannot run), or undefined. */
export function admitBackend(spec: TaskSpec): string | undefined {
  const b = backendOf(spec);
  if (b === "secagg") {
    if (!spec.setup) return 'aggregation "secagg" needs setup: true (key shares travel in the Setup phase)';
    if (spec.members.threshold < 2) return 'aggregation "secagg" needs members.threshold ≥ 2 (Shamir threshold; 2t > n recommended)';
  } else if (spec.setup) return `the task has a Setup phase, kind ${spec.kind} has no setup step here for aggregation "${b}"; set setup: false`;
  if (b === "paillier") {
    try {
      taskPublicKey(spec);
      taskKeyCertificate(spec);
    } catch (e) {
      return (e as Error).message;
    }
  }
  return undefined;
}

/** secagg: unmask shares; paillier: the members' homomorphic sums (the requester never sees one member's ciphertexts). */
export function usesReveal(spec: TaskSpec): boolean {
  return backendOf(spec) !== "plain";
}

export async function setupVector(ctx: MemberContext, length: number): Promise<Submission> {
  if (backendOf(ctx.spec) === "secagg") return secaggSetup(ctx, length);
  // Other backends need no setup; a spec that asks for the phase anyway gets an acknowledgement.
  return plainAck();
}

export async function contributeVector(ctx: MemberContext, values: readonly number[]): Promise<Submission> {
  return contributeIntegers(ctx, encodeVector(values, `${ctx.spec.kind} contribution`));
}

/**
 * A vector of signed integers (|v| < 2^(VALUE_BITS−1)), summed exactly as they are. `eq` (proven
 * tasks): the member's chunk commitments, for the paillier backend's equality proof.
 */
export async function contributeIntegers(ctx: MemberContext, enc: readonly bigint[], eq?: EqualityInput): Promise<Submission> {
  enc.forEach((x, i) => {
    if (!VECTOR_FIXED.fits(x)) throw new RangeError(`${ctx.spec.kind} contribution[${i}] does not fit ${VALUE_BITS} signed bits; rescale the columns`);
  });
  switch (backendOf(ctx.spec)) {
    case "plain":
      return plainSubmission(ctx, enc);
    case "paillier":
      return paillierSubmission(ctx, enc, eq);
    case "secagg":
      return secaggMasked(ctx, enc);
  }
}

/**
 * The member's Aggregate-phase step. paillier: `entries` are the round's Compute contributions as
 * the member checked them (proven: with their chunk commitments), `rejected` those left out already.
 */
export async function revealVector(ctx: MemberContext, length: number, paillier?: { entries: SumEntry[]; rejected: Rejected[]; shape?: CommittedShape }): Promise<Submission> {
  if (backendOf(ctx.spec) === "paillier") {
    const p: { entries: SumEntry[]; rejected: Rejected[]; shape?: CommittedShape } = paillier ?? {
      entries: (await ctx.contributions(Phase.Compute)).map((c) => ({ c })),
      rejected: [],
    };
    return paillierReveal(ctx, length, p.entries, p.rejected, p.shape);
  }
  if (backendOf(ctx.spec) !== "secagg") throw new Error(`aggregation ${ctx.spec.aggregation} has no reveal step`);
  return secaggReveal(ctx);
}

/** The requester's first check of a Compute contribution (the runtime leaves out what fails). */
export function verifyVector(ctx: RoundContext, c: ReceivedContribution, length: number): boolean {
  try {
    switch (backendOf(ctx.spec)) {
      case "plain":
        parsePlain(ctx, c, length);
        return true;
      case "paillier":
        // Structure only: the ciphertexts are sealed to the members, who check them before summing.
        parseSealed(ctx, c);
        return true;
      case "secagg":
        return secaggLooksValid(ctx, c, length);
    }
  } catch {
    return false;
  }
}

export interface VectorAggregate {
  /** Σ of the valid contributions, decoded to reals. */
  sum: number[];
  /** The same sum as the exact integers the members sent. */
  raw: bigint[];
  /** Members whose contributions are in the sum, sorted. */
  members: string[];
  rejected: Rejected[];
  /** Secagg: members of U2 that sent no valid masked input, whose masks were removed. */
  dropped?: string[];
}

const text = (e: unknown) => (e instanceof Error ? e.message : String(e));

export async function aggregateVector(ctx: AggregateContext, length: number, shape?: CommittedShape): Promise<VectorAggregate> {
  const spec = ctx.spec;
  const need = spec.members.threshold;
  if (backendOf(spec) === "secagg") {
    const r = await secaggAggregate(ctx, length);
    checkSumRange(r.sum, r.survivors.length);
    return { sum: decodeVector(r.sum), raw: r.sum, members: r.survivors, rejected: r.rejected, dropped: r.dropped };
  }
  if (backendOf(spec) === "paillier") {
    const r = await paillierAggregate(ctx, length, shape);
    checkSumRange(r.sum, r.members.length);
    return { sum: decodeVector(r.sum), raw: r.sum, members: r.members, rejected: r.rejected };
  }
  const all = await ctx.contributions(Phase.Compute);
  const rejected: Rejected[] = [];
  const parts: { member: string; v: bigint[] }[] = [];
  for (const c of all) {
    try {
      parts.push({ member: c.member, v: parsePlain(ctx, c, length) });
    } catch (e) {
      rejected.push({ member: c.member, phase: "compute", reason: text(e) });
    }
  }
  if (parts.length < need || parts.length === 0)
    throw new Error(`${parts.length} valid contribution(s), below members.threshold ${need}; rejected: ${rejected.map((r) => `${r.member}: ${r.reason}`).join("; ") || "none"}`);
  const sum = new Array<bigint>(length).fill(0n);
  for (const p of parts) addInto(sum, p.v);
  checkSumRange(sum, parts.length);
  return { sum: decodeVector(sum), raw: sum, members: parts.map((p) => p.member.toLowerCase()).sort(), rejected };
}
