import { keccakHex } from "../../../protocol/src/hash.js";
import type { Connector, DatasetRecord, Groth16Proof, ProofListChallenge } from "../../../chain-connector/src/connector.js";
import type { TaskSpec } from "../../../protocol/src/taskspec.js";
import type { ProvenKind } from "./kinds/shared/proven.js";
import type { Table } from "../data/table.js";
import type { Logger } from "../log.js";
import type { DatasetRegistry } from "../data/registry.js";
import type { DatasetRow, MemberKey, NodeStore } from "../store/store.js";

/**
 * How a task kind plugs into the round runtime. The runtime does all I/O (events, joins, blobs,
 * submissions, persistence, restarts); a handler holds only the kind's math: what a member
 * contributes from its data, and how the requester combines contributions into a result and the
 * next round's public parameters.
 */

/** A dataset of this node that the task references, at the version the task uses. */
export interface MemberDataset {
  name: string;
  version: number;
  /** On-chain commitment root of this version. */
  root: string;
  table: Table;
  row: DatasetRow;
  /** Secret seed of the row salts (for proofs over the commitment). */
  saltSeed(): Promise<Uint8Array>;
}

export interface RoundContext {
  taskId: number;
  round: number;
  spec: TaskSpec;
  /**
   * Public parameters of this round: what the requester's aggregate() returned as `next` for the
   * previous round (published in the round record blob). Undefined in round 1.
   */
  params: unknown;
  /** This node's address. */
  self: string;
  /** Members that joined this round, with the per-round X25519 keys they joined with, in join order. */
  members: MemberKey[];
  /** Contributions of every member in a submission phase of this round, payloads fetched. */
  contributions(phase: number): Promise<ReceivedContribution[]>;
  /**
   * The public input that binds a proof to a member's submission in this round (protocol
   * roundBinding over the connector's task manager and chain id, this task, round and member —
   * this node unless `member` is given, as the requester checking others' proofs does).
   * `commitment` is outputsCommitment of the proof's outputs.
   */
  binding(commitment: string, member?: string): bigint;
  /**
   * The committed version of a dataset this task references for `owner` whose root is `root`
   * (spec.datasets; a reference without a version accepts any committed version), or null.
   */
  dataset(owner: string, root: string): Promise<DatasetRecord | null>;
  /**
   * Challenges a failing entry of `member`'s proof list on the connector (ethereum: ChunkAudit
   * on-chain), which excludes the member from the round (MemberExcluded). Absent where nothing
   * can be challenged (the local runner).
   */
  challenge?(member: string, entry: ProofListChallenge): Promise<void>;
  /** The connector's public blob store (content-addressed, keccak256): what other parties may read. */
  blobs: BlobAccess;
  /** This node's own blob store: bytes put here never leave the node (e.g. an owner's secret key). */
  local: BlobAccess;
  /**
   * The requester's registered X25519 public key (its node record on the connector): what a member
   * seals data meant only for the requester to (crypto/sealedbox.ts).
   */
  requesterKey(): Promise<Uint8Array>;
  /** Opens a box sealed to this node's registered X25519 key under `context` (the requester reading what members sealed to it). */
  openSealed(box: Uint8Array, context: string): Uint8Array;
  log: Logger;
}

export interface BlobAccess {
  put(bytes: Uint8Array): Promise<string>;
  get(hash: string): Promise<Uint8Array>;
}

/**
 * JSON state a kind keeps between phases and rounds. get() returns this round's state, else the
 * previous round's (requester side: else the seed given with seedRequesterState at submission).
 */
export interface KindState {
  get<T = unknown>(): T | undefined;
  set(value: unknown): void;
}

export interface MemberContext extends RoundContext {
  datasets: MemberDataset[];
  /**
   * This member's fresh X25519 key pair for this round (never the node's long-term key): its
   * public key is the member key the node joined with, authenticated by the signed join.
   */
  roundKey: { secretKey: Uint8Array; publicKey: Uint8Array };
  /**
   * JSON state the kind keeps for this member between phases and rounds (e.g. per-round secure
   * aggregation keys, or keys made in round 1 and used later). get() returns this round's state,
   * else the previous round's. What set() stores is written together with the prepared
   * submission, before it is sent: a restart re-sends the same bytes and never makes new keys.
   */
  state: KindState;
}

export interface AggregateContext extends RoundContext {
  /**
   * The requester's own state for the task (e.g. an outsourced task's owner keys, by local blob
   * hash). What set() stores is written together with the round's result, before finalizing: a
   * restart that finds the result does not aggregate again, one that does not starts from the
   * state the previous round left.
   */
  state: KindState;
}

/** What a member submits in a phase: the payload goes to the blob store, its hash and the commitment on-chain. */
export interface Submission {
  payload: Uint8Array;
  /** bytes32 commitment recorded on-chain (plain kinds: keccak256 of the payload). */
  commitment: string;
  proof?: Groth16Proof;
}

export interface ReceivedContribution {
  member: string;
  blobHash: string;
  commitment: string;
  payload: Uint8Array;
}

export interface RoundOutcome {
  /** The round's result (JSON-serialisable), kept by the requester only. */
  result: unknown;
  /** Public parameters of the next round (e.g. k-means centroids); published for the members. */
  next?: unknown;
  /** End the task after this round even if the spec allows more rounds (e.g. converged). */
  done?: boolean;
}

/**
 * What a requester-side prepare() may use: the requester node itself. Everything prepare() makes
 * runs inside that node (POST /tasks), never in the submitting user's process.
 */
export interface PrepareContext {
  /** The requester node's address (the spec's requester). */
  self: string;
  /** The node's role mask (protocol phases.ts Role). */
  roles: number;
  store: NodeStore;
  datasets: DatasetRegistry;
  connector: Connector;
  /** The node's own blob store, sealed at rest by the vault: where prepare() keeps secret keys. */
  local: BlobAccess;
  log: Logger;
  /**
   * Bytes only an in-process caller can give (never from the HTTP body), e.g. an outsourced
   * owner's dataset encrypted beforehand. Kinds that take none ignore it.
   */
  extra?: Record<string, unknown>;
}

/** What prepare() turns a submission into. Nothing of it has left the node yet. */
export interface PreparedTask {
  /** The spec to create, parsed (every field checked). */
  spec: TaskSpec;
  /**
   * The requester state aggregate() starts from (JSON; secrets in it are local blob hashes, or
   * values the store seals). Kept sealed under the spec hash before the task exists.
   */
  state?: unknown;
  /** Public blobs the spec names (e.g. an outsourced owner's first message), put on the connector before the task is created. */
  blobs?: Uint8Array[];
  /** Public facts for the caller (sizes, chosen workers); JSON. */
  info?: Record<string, unknown>;
  /** Frees what prepare() holds in memory when the task is not created after all. */
  abort?(): void;
}

export interface TaskKindHandler {
  /** The protocol kind name (protocol/src/tasks). */
  readonly kind: string;
  /** spec.aggregation values this handler implements. */
  readonly aggregations: readonly string[];
  /** Whether a member must hold a dataset the spec references (default true: data owners). */
  readonly needsData?: boolean;
  /**
   * The kind's contribution circuit on the node (proven federated kinds, kinds/shared/proven.ts)
   * and its params from a spec: what re-checks a proven contribution outside a round (the SDK's
   * proof check).
   */
  readonly proven?: { readonly pk: ProvenKind<unknown>; params(spec: TaskSpec): unknown };
  /** Extra admission checks before joining (self: this node's address); returns the reason to decline, or undefined. */
  admit?(spec: TaskSpec, datasets: { row: DatasetRow }[], self: string): string | undefined;
  /** Member submission in the Setup phase (spec.setup = true), e.g. key shares. */
  setup?(ctx: MemberContext): Promise<Submission>;
  /** Member submission in the Compute phase. */
  contribute(ctx: MemberContext): Promise<Submission>;
  /**
   * Member submission in the Aggregate phase (e.g. unmasking shares for dropped members). When a
   * kind has reveal(), the requester aggregates once every active member revealed.
   */
  reveal?(ctx: MemberContext): Promise<Submission>;
  /**
   * With reveal(): whether the requester may aggregate once `revealed` of the `active` members
   * revealed (default: all of them). A threshold scheme may answer true earlier.
   */
  aggregateWhen?(revealed: number, active: number, spec: TaskSpec): boolean;
  /**
   * Under params.privacy: the standard deviation of the aggregate's noise per released
   * coordinate with `members.threshold` members (real units), recorded in the audit trail.
   */
  noiseSigma?(spec: TaskSpec): number[] | undefined;
  /**
   * With reveal(): whether this task has a reveal step at all (default true). A kind whose
   * reveal depends on the spec (secure aggregation only for spec.aggregation = "secagg") says no
   * for the others, and the requester aggregates as soon as the Aggregate phase opens.
   */
  usesReveal?(spec: TaskSpec): boolean;
  /**
   * Whether members read `params` (the previous round's `next`) in this task (default true). A
   * kind whose rounds are independent says no, and the runtime does not fetch the round record.
   */
  usesParams?(spec: TaskSpec): boolean;
  /** Checks a received contribution against its commitment (default: keccak256(payload) === commitment). */
  verify?(ctx: AggregateContext, c: ReceivedContribution): boolean | Promise<boolean>;
  /**
   * Requester side, at submission (POST /tasks on the requester node): turns the submitted input
   * (a spec without its requester-made parts) into the spec to create, with the secrets the kind
   * needs kept in the node (keys, an owner's encrypted setup, derived fields such as a round
   * count). Absent: the input is parsed as a spec with this node as its requester. Every check
   * runs before anything is written or sent.
   */
  prepare?(input: Record<string, unknown>, ctx: PrepareContext): Promise<PreparedTask>;
  /** Combines the Compute contributions of the round into its result. */
  aggregate(ctx: AggregateContext, contributions: ReceivedContribution[]): Promise<RoundOutcome>;
}

/**
 * A per-process memo of checks on received contributions, keyed by task (spec nonce), round,
 * member, blob and commitment: members and the requester open the same contributions several
 * times in a round. Bounded (the oldest entry goes past 4,096).
 */
export function contributionMemo<T>(): (ctx: RoundContext, c: ReceivedContribution, check: () => Promise<T>) => Promise<T> {
  return contributionMemoSync<Promise<T>>();
}

/** The same memo for a check that returns at once; one that throws is not kept (it runs again next time). */
export function contributionMemoSync<T>(): (ctx: RoundContext, c: ReceivedContribution, check: () => T) => T {
  const kept = new Map<string, T>();
  return (ctx, c, check) => {
    const key = `${ctx.spec.nonce}/${ctx.taskId}/${ctx.round}/${c.member.toLowerCase()}/${c.blobHash}/${c.commitment}`;
    let v = kept.get(key);
    if (v === undefined) {
      v = check();
      kept.set(key, v);
      if (kept.size > 4096) kept.delete(kept.keys().next().value!);
    }
    return v;
  };
}

export function plainCommitment(payload: Uint8Array): string {
  return keccakHex(payload);
}

/** Kind name → handler: the built-in kinds (runtime/kinds/registry.ts NODE_KINDS) and an operator's own. */
export class HandlerRegistry {
  private readonly handlers = new Map<string, TaskKindHandler>();

  constructor(handlers: Iterable<TaskKindHandler> = []) {
    for (const h of handlers) this.register(h);
  }

  register(h: TaskKindHandler): this {
    if (!h.kind) throw new Error("handler registry: a handler needs a kind name");
    if (this.handlers.has(h.kind)) throw new Error(`handler registry: kind ${h.kind} has a handler already`);
    this.handlers.set(h.kind, h);
    return this;
  }

  get(kind: string): TaskKindHandler | undefined {
    return this.handlers.get(kind);
  }

  kinds(): string[] {
    return [...this.handlers.keys()];
  }
}
