import { sealTo } from "../../crypto/sealedbox.js";
import { contributionMemoSync, plainCommitment, type ReceivedContribution, type RoundContext, type Submission } from "../handler.js";

/**
 * Member data meant only for the requester, sealed to the requester's registered X25519 key
 * (crypto/sealedbox.ts) before it reaches the connector's shared blob store: the coordinator and
 * the blob-store operator hold the bytes, not the values. The on-chain commitment is keccak256 of
 * the sealed bytes (the blob's hash), so the commitment and blob checks are unchanged.
 */

/** The associated data that ties a box to one member's submission in one phase of one round of one task. */
export function sealContext(ctx: Pick<RoundContext, "taskId" | "round" | "spec">, member: string, phase = "compute"): string {
  return `ciphermine ${phase} nonce=${ctx.spec.nonce} task=${ctx.taskId} round=${ctx.round} member=${member.toLowerCase()}`;
}

/** This member's submission of `plain`, sealed to the requester. */
export async function sealForRequester(ctx: RoundContext, plain: Uint8Array, phase = "compute"): Promise<Submission> {
  const box = sealTo(await ctx.requesterKey(), plain, sealContext(ctx, ctx.self, phase));
  return { payload: box, commitment: plainCommitment(box) };
}

/**
 * Opened contributions, one memo per phase (the phase is in the box's context): the requester's
 * check (verify) and its aggregate read the same box, which is hashed and opened once.
 */
const opened = new Map<string, ReturnType<typeof contributionMemoSync<Uint8Array>>>();

/** The requester's view of a sealed contribution: checked against its commitment, then opened; throws naming what is wrong. */
export function openFromMember(ctx: RoundContext, c: ReceivedContribution, phase = "compute"): Uint8Array {
  let memo = opened.get(phase);
  if (!memo) opened.set(phase, (memo = contributionMemoSync<Uint8Array>()));
  return memo(ctx, c, () => openNow(ctx, c, phase));
}

function openNow(ctx: RoundContext, c: ReceivedContribution, phase: string): Uint8Array {
  if (plainCommitment(c.payload) !== c.commitment) throw new Error("payload does not match its on-chain commitment");
  try {
    return ctx.openSealed(c.payload, sealContext(ctx, c.member, phase));
  } catch (e) {
    throw new Error(
      `payload does not open with the requester's key as this member's ${phase} contribution (sealed to another key, for another task, round or member, or altered): ${(e as Error).message}`,
      { cause: e },
    );
  }
}
