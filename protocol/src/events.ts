/**
 * Events every connector streams to nodes, in both modes, with the same names and fields as the
 * Solidity events (addresses checksummed, bytes32 lowercase hex, integers as numbers, except
 * values that may exceed 2^53, which are decimal strings).
 */
export interface EventMeta {
  /**
   * Opaque, totally ordered position in the stream. Resuming from a cursor yields exactly the
   * events after it. Ethereum: zero-padded "block:logIndex"; coordinator: zero-padded sequence.
   */
  cursor: string;
  /** Seconds since the epoch of the block (or coordinator commit) that emitted the event. */
  time: number;
  txHash?: string;
}

export type ChainEventBody =
  | { type: "NodeRegistered"; node: string; endpoint: string; x25519: string; roles: number; capacity: number }
  | { type: "NodeUpdated"; node: string; endpoint: string; x25519: string; roles: number; capacity: number }
  | { type: "NodeLeft"; node: string }
  | {
      type: "DatasetCommitted";
      owner: string;
      datasetId: string;
      version: number;
      root: string;
      rows: number;
      columns: number;
      schemaHash: string;
    }
  | { type: "VerifierSet"; kind: string; verifier: string }
  | {
      type: "TaskCreated";
      taskId: number;
      requester: string;
      kind: string;
      specHash: string;
      rounds: number;
    }
  | { type: "RoundStarted"; taskId: number; round: number; deadline: number }
  | { type: "MemberJoined"; taskId: number; round: number; member: string; memberKey: string }
  | { type: "PhaseAdvanced"; taskId: number; round: number; phase: number; deadline: number; active: number }
  | {
      type: "ContributionSubmitted";
      taskId: number;
      round: number;
      phase: number;
      member: string;
      blobHash: string;
      commitment: string;
    }
  | { type: "RoundFinalized"; taskId: number; round: number; resultHash: string }
  | { type: "RoundFailed"; taskId: number; round: number; phase: number; reason: string }
  /** reason: "last-round", or the requester's reason for closing early (e.g. "converged"). */
  | { type: "TaskClosed"; taskId: number; reason: string }
  /**
   * A node's own account of why it is not in a round: "declined" (its admission or policy refused
   * the task) or "failed" (it joined and its computation failed). `member` is the authenticated
   * sender (the transaction's, or the signed request's), never a field the node fills in.
   */
  | { type: "MemberReported"; taskId: number; round: number; member: string; status: MemberReportStatus; reason: string }
  /**
   * A challenge showed that entry `index` of `member`'s proof list (its Compute commitment in an
   * "offchain" round) fails; the requester leaves the member out of the round's aggregate. reason:
   * 1 public inputs malformed, 2 group is not the index, 3 wrong binding, 4 root not committed,
   * 5 proof rejected, 7 no circuit width for its columns (ChunkAudit's codes).
   */
  | { type: "MemberExcluded"; taskId: number; round: number; member: string; index: number; reason: number };

export type MemberReportStatus = "declined" | "failed";
/** On-chain encoding of MemberReported.status. */
export const REPORT_STATUS: Record<MemberReportStatus, number> = { declined: 1, failed: 2 };
/** Longest reason a report carries, in UTF-8 bytes (the contract's bound). */
export const MAX_REPORT_REASON_BYTES = 200;

/** A reason cut to MAX_REPORT_REASON_BYTES at a character boundary (… marks a cut). */
export function boundReason(reason: string): string {
  const s = reason.trim() || "(no reason given)";
  if (Buffer.byteLength(s) <= MAX_REPORT_REASON_BYTES) return s;
  let out = "";
  for (const ch of s) {
    if (Buffer.byteLength(out + ch) > MAX_REPORT_REASON_BYTES - 3) break;
    out += ch;
  }
  return out + "…";
}

export type ChainEvent = ChainEventBody & EventMeta;
export type ChainEventType = ChainEventBody["type"];

/** Reasons a round fails, the same strings in both modes. */
export const FailReason = {
  TooFewJoined: "too-few-joined",
  BelowThreshold: "below-threshold",
  AggregateTimeout: "aggregate-timeout",
  Cancelled: "cancelled",
} as const;
