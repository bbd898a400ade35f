import { keccak256, toUtf8Bytes } from "ethers";
import { canonicalJson } from "../../../protocol/src/canonical.js";
import type { ChainEvent } from "../../../protocol/src/events.js";
import type { SubmissionName } from "../../../protocol/src/phases.js";

/**
 * The node's audit trail: an append-only, hash-chained record of what it did with its datasets.
 * Each entry's hash covers its content and the previous entry's hash, so changing, deleting or
 * reordering one entry breaks every hash after it; each entry also names the chain event that
 * caused it, so an operator who rewrites the whole chain of hashes is still caught by the events
 * (verify.ts). Only public facts go in: hashes, sizes, reasons, privacy parameters, never data,
 * keys or results.
 */

/**
 * accepted / declined: the decision on a task (TaskCreated), with the reason;
 * pending / approved: a task waiting for the owner's approval, and the owner allowing it (the
 * owner's denial, and a task not approved in time, are `declined`); anchored to its TaskCreated;
 * joined: this node joined a round (RoundStarted; MemberJoined by this node follows on-chain);
 * released: a submission left the node (PhaseAdvanced; ContributionSubmitted by this node follows).
 */
export type AuditAction = "accepted" | "declined" | "pending" | "approved" | "joined" | "released";
export const AUDIT_ACTIONS: readonly AuditAction[] = ["accepted", "declined", "pending", "approved", "joined", "released"];

/** The chain event an entry was written with (in the same store transaction as its cursor). */
export interface AuditAnchor {
  event: ChainEvent["type"];
  cursor: string;
  txHash: string;
}

/** Differential privacy of one release, from the task's declared parameters. */
export interface AuditPrivacy {
  mechanism: string;
  /** ρ (zCDP) charged to each dataset for this release, and the task's whole ρ. */
  rho: number;
  rhoTask: number;
  epsilon: number;
  delta: number;
  threshold: number;
  bounds: Record<string, [number, number]>;
  /** Releases: the aggregate noise's standard deviation per released coordinate with `threshold` members (real units). */
  sigma?: number[];
}

export interface AuditBody {
  /** Seconds since the epoch, the node's clock. */
  time: number;
  action: AuditAction;
  taskId: number;
  /** 0 for a task decision. */
  round: number;
  /** Datasets concerned (name@version); empty when a task was declined before any matched. */
  datasets: string[];
  reason: string;
  /** released: the phase the submission answered (setup, compute, reveal), its blob and commitment, its size. */
  phase?: SubmissionName;
  blobHash?: string;
  commitment?: string;
  /** Bytes of the released blob; null when the node re-learned the submission from the chain after a crash. */
  bytes?: number | null;
  /** Privacy reserved (accepted) or charged (released), when the task asks for differential privacy. */
  privacy?: AuditPrivacy;
  anchor: AuditAnchor;
}

export interface AuditEntry extends AuditBody {
  /** 1, 2, 3, … without gaps. */
  seq: number;
  /** Hash of the entry before (GENESIS for the first). */
  prev: string;
  hash: string;
}

export const GENESIS = "0x" + "00".repeat(32);

/** keccak256 of the canonical JSON of the entry without its own hash (seq and prev included). */
export function entryHash(e: Omit<AuditEntry, "hash">): string {
  const { hash: _h, ...rest } = e as AuditEntry;
  return keccak256(toUtf8Bytes(canonicalJson(rest)));
}

/** The entry that follows `last` (or starts the log). */
export function chainEntry(last: Pick<AuditEntry, "seq" | "hash"> | undefined, body: AuditBody): AuditEntry {
  const base = { ...body, seq: (last?.seq ?? 0) + 1, prev: last?.hash ?? GENESIS };
  return { ...base, hash: entryHash(base) };
}

export interface ChainFault {
  seq: number;
  reason: string;
}

/**
 * Checks a log read from its start: sequence numbers without gaps, each entry linked to the one
 * before, each hash recomputed. Returns the first bad entry (by its position's expected seq when
 * the stored seq itself is wrong), or undefined when the log is whole.
 */
export function verifyChain(entries: readonly AuditEntry[]): ChainFault | undefined {
  let prev = GENESIS;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    const want = i + 1;
    if (e.seq !== want) return { seq: want, reason: `entry ${want} is missing or out of place (found seq ${e.seq} there)` };
    if (e.prev !== prev) return { seq: want, reason: `entry ${want} does not link to entry ${want - 1} (prev ${e.prev}, expected ${prev})` };
    const h = entryHash(e);
    if (h !== e.hash) return { seq: want, reason: `entry ${want} was altered: its content hashes to ${h}, not the recorded ${e.hash}` };
    prev = e.hash;
  }
  return undefined;
}
