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
  | { type: "TaskClosed"; taskId: number; reason: string };

export type ChainEvent = ChainEventBody & EventMeta;
export type ChainEventType = ChainEventBody["type"];

/** Reasons a round fails, the same strings in both modes. */
export const FailReason = {
  TooFewJoined: "too-few-joined",
  BelowThreshold: "below-threshold",
  AggregateTimeout: "aggregate-timeout",
  Cancelled: "cancelled",
} as const;
