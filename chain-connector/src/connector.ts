import type { ChainEvent, MemberReportStatus } from "../../protocol/src/events.js";
import type { TaskSpec } from "../../protocol/src/taskspec.js";

export interface CreateTaskOptions {
  /** 1 to 128 characters of [A-Za-z0-9_.:-]; the typed client makes one per call (a UUID). */
  idempotencyKey?: string;
}

/** Checks an idempotency key's form; undefined when none was given. */
export function checkIdempotencyKey(key: unknown): string | undefined {
  if (key === undefined || key === "") return undefined;
  if (typeof key !== "string" || !/^[A-Za-z0-9_.:-]{1,128}$/.test(key))
    throw new ConnectorError("BadInput", "idempotencyKey must be 1 to 128 characters of letters, digits, _ . : or - (a UUID, for example)");
  return key;
}

/** What a node registers about itself. */
export interface NodeInfo {
  endpoint: string;
  /** X25519 public key, 0x-prefixed 32 bytes. */
  x25519: string;
  /** Role bit mask (see protocol Role). */
  roles: number;
  /** Rows per second (or any unit the operator picks) the node offers; the manager balances on it. */
  capacity: number;
}

export interface NodeRecord extends NodeInfo {
  address: string;
  registeredAt: number;
  /** Last time the node joined or submitted in a round (liveness from participation). */
  lastActive: number;
  active: boolean;
}

export interface DatasetCommitment {
  /** Poseidon root (or hash-chain head) of the salted fixed-point rows, as a 0x bytes32. */
  root: string;
  rows: number;
  columns: number;
  schemaHash: string;
}

export interface DatasetRecord extends DatasetCommitment {
  owner: string;
  /** keccak256 of the dataset name (datasetKey). */
  datasetId: string;
  version: number;
  committedAt: number;
}

export interface TaskRecord {
  taskId: number;
  requester: string;
  /** kindKey(spec.kind) */
  kind: string;
  specHash: string;
  rounds: number;
  /** Rounds started so far. */
  currentRound: number;
  closed: boolean;
}

export interface RoundRecord {
  taskId: number;
  round: number;
  phase: number;
  /** Unix seconds at which the current phase may be advanced by anyone. */
  deadline: number;
  /** Members who joined. */
  joined: number;
  /** Members still in the round (submitted in every submission phase so far). */
  active: number;
  /** Members who submitted in the current phase. */
  submitted: number;
  resultHash: string;
  members: string[];
}

export interface ContributionRecord {
  taskId: number;
  round: number;
  phase: number;
  member: string;
  blobHash: string;
  commitment: string;
}

/**
 * A Groth16 proof in the layout snarkjs' Solidity verifier takes: a, b, c and the public signals,
 * all as decimal strings. The public signals end with [binding, datasetRoot] (see protocol binding.ts).
 */
export interface Groth16Proof {
  a: [string, string];
  b: [[string, string], [string, string]];
  c: [string, string];
  publicSignals: string[];
}

export interface TxReceipt {
  /** Ethereum transaction hash, or the coordinator's commit id. */
  txHash: string;
  gasUsed?: number;
}

/**
 * The chain as one party sees it. The ethereum and coordinator implementations behave the same:
 * the same checks, the same errors (ConnectorError codes), the same events. Every method acts as
 * the connector's own party (its signer).
 */
export interface BindingDomain {
  taskManager: string;
  /** Decimal string. */
  chainId: string;
}

/** The two implementations: a chain through ethers, or the coordinator's SQLite standing in for one. */
export type ConnectorMode = "ethereum" | "coordinator";

export interface Connector {
  readonly mode: ConnectorMode;
  /** The address this connector acts for. */
  address(): Promise<string>;
  /**
   * What proofs are bound to besides task, round, member and outputs (protocol roundBinding):
   * the TaskManager address and chain id; the coordinator uses the zero address and chain 0.
   */
  bindingDomain(): Promise<BindingDomain>;

  registerNode(info: NodeInfo): Promise<TxReceipt>;
  updateNode(info: NodeInfo): Promise<TxReceipt>;
  leaveNode(): Promise<TxReceipt>;
  getNode(address: string): Promise<NodeRecord | null>;
  listNodes(offset?: number, limit?: number): Promise<NodeRecord[]>;
  /** Off-chain signed liveness ping kept by the connector (no transaction). */
  heartbeat(): Promise<void>;

  commitDataset(name: string, c: DatasetCommitment): Promise<TxReceipt & { version: number }>;
  getDataset(owner: string, name: string, version?: number): Promise<DatasetRecord | null>;

  /**
   * Stores the spec blob, writes its hash on-chain and starts round 1. With an idempotency key, a
   * second call by the same requester with the same key and the same input returns the first
   * call's task instead of creating another (a retried request never makes a duplicate).
   */
  createTask(spec: TaskSpec, opts?: CreateTaskOptions): Promise<TxReceipt & { taskId: number }>;
  getTask(taskId: number): Promise<TaskRecord | null>;
  getTaskSpec(taskId: number): Promise<TaskSpec | null>;
  /** Starts the next round of a task (requester only; the previous round must be finalized). */
  startRound(taskId: number): Promise<TxReceipt & { round: number }>;
  getRound(taskId: number, round: number): Promise<RoundRecord | null>;

  joinRound(taskId: number, round: number, memberKey: string): Promise<TxReceipt>;
  /** Submits in the round's current phase (Setup, Compute or Aggregate). */
  submit(taskId: number, round: number, blobHash: string, commitment: string, proof?: Groth16Proof): Promise<TxReceipt>;
  getContributions(taskId: number, round: number, phase: number): Promise<ContributionRecord[]>;
  /** Moves a round past an expired deadline; anyone may call it. */
  advance(taskId: number, round: number): Promise<TxReceipt>;
  /** Records the result hash of a round in Aggregate (requester only). */
  finalizeRound(taskId: number, round: number, resultHash: string): Promise<TxReceipt>;
  /** Ends a task before its last round, between rounds (requester only); emits TaskClosed with the reason. */
  closeTask(taskId: number, reason: string): Promise<TxReceipt>;
  /**
   * Says why this node is not in a round, for the requester: "declined" (any Owner or Worker node;
   * its admission or policy refused the task) or "failed" (a member of the round whose computation
   * failed). One report per node and round; the reason is 1 to 200 UTF-8 bytes. Emits
   * MemberReported with the sender as `member`.
   */
  report(taskId: number, round: number, status: MemberReportStatus, reason: string): Promise<TxReceipt>;
  /**
   * Shows that entry `index` of `member`'s proof list (its Compute commitment in an "offchain"
   * round) fails: bad proof, wrong binding, root not committed, or group ≠ index. Anyone may; the
   * entry is re-checked (ethereum: ChunkAudit.challengeTask; coordinator: bb) and the member is
   * excluded from the round (MemberExcluded). A valid entry is refused (BadInput).
   */
  challenge(taskId: number, round: number, member: string, entry: ProofListChallenge): Promise<TxReceipt>;

  /**
   * Content-addressed blobs (keccak256 of the bytes); the hash is what goes on-chain.
   * `knownHash` is blobHash(bytes) as the caller computed it itself (never one it was sent): it
   * spares hashing the payload again on the way (over HTTP it becomes the signed body hash, which
   * the server checks against the bytes it received).
   */
  putBlob(bytes: Uint8Array, knownHash?: string): Promise<string>;
  getBlob(hash: string): Promise<Uint8Array>;

  /**
   * Events after `cursor` (all events when omitted), then live ones, in order, until the signal
   * aborts. A connector restarted mid-stream resumes from its persisted cursor and loses none.
   */
  events(cursor?: string, signal?: AbortSignal): AsyncIterable<ChainEvent>;

  close(): Promise<void>;
}

/** Checks a report's status and reason (both modes refuse the same inputs before anything else). */
/** One entry of a member's proof list with its Merkle path (protocol/src/honk/prooflist.ts). */
export interface ProofListChallenge {
  index: number;
  /** 0x-prefixed 32-byte words. */
  publicInputs: string[];
  /** 0x-prefixed proof bytes. */
  proof: string;
  /** Sibling hashes from the leaf up. */
  path: string[];
}

const WORD = /^0x[0-9a-fA-F]{64}$/;

/** Checks a challenge's shape; throws BadInput naming the field. */
export function checkChallenge(member: unknown, e: unknown): asserts e is ProofListChallenge {
  const c = e as Partial<ProofListChallenge> | null;
  if (typeof member !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(member)) throw new ConnectorError("BadInput", "member must be a 0x-prefixed 20-byte address");
  if (!c || typeof c !== "object") throw new ConnectorError("BadInput", "entry must be {index, publicInputs, proof, path}");
  if (!Number.isInteger(c.index) || c.index! < 0 || c.index! >= 2 ** 20) throw new ConnectorError("BadInput", "entry.index must be an integer from 0 to 2^20 − 1");
  if (!Array.isArray(c.publicInputs) || c.publicInputs.length < 1 || c.publicInputs.length > 64 || !c.publicInputs.every((x) => typeof x === "string" && WORD.test(x)))
    throw new ConnectorError("BadInput", "entry.publicInputs must be 1 to 64 0x-prefixed 32-byte words");
  if (typeof c.proof !== "string" || !/^0x([0-9a-fA-F]{2}){1,65536}$/.test(c.proof))
    throw new ConnectorError("BadInput", "entry.proof must be 0x-prefixed hex bytes (at most 64 KiB)");
  if (!Array.isArray(c.path) || c.path.length > 20 || !c.path.every((x) => typeof x === "string" && WORD.test(x)))
    throw new ConnectorError("BadInput", "entry.path must be at most 20 0x-prefixed 32-byte words");
}

export function checkReport(status: unknown, reason: unknown): void {
  if (status !== "declined" && status !== "failed") throw new ConnectorError("BadInput", `status must be "declined" or "failed", got ${JSON.stringify(status)}`);
  if (typeof reason !== "string" || Buffer.byteLength(reason) < 1 || Buffer.byteLength(reason) > 200)
    throw new ConnectorError("BadInput", "reason must be 1 to 200 bytes (protocol boundReason cuts a longer one)");
}

/** Error codes shared by both modes, named after the Solidity custom errors. */
export type ConnectorErrorCode =
  | "NotRegistered"
  | "AlreadyRegistered"
  | "BadInput"
  | "UnknownTask"
  | "UnknownRound"
  | "WrongPhase"
  | "DeadlinePassed"
  | "DeadlineNotPassed"
  | "NotMember"
  | "AlreadyJoined"
  | "RoundFull"
  | "NotAllowed"
  | "Excluded"
  | "AlreadyRestricted"
  | "AlreadySubmitted"
  | "NotRequester"
  | "MissingRole"
  | "RoundNotFinished"
  | "NoRoundsLeft"
  | "TaskAlreadyClosed"
  | "InvalidProof"
  | "BadBinding"
  | "NoVerifier"
  | "Unauthorized"
  | "Forbidden"
  | "QuotaExceeded"
  | "BlobMissing"
  | "BlobHashMismatch"
  | "Unavailable";

/** Codes that say the other side did not answer (down, overloaded, restarting); every other code is a refusal a retry repeats. */
const RETRYABLE_CODES: ReadonlySet<ConnectorErrorCode> = new Set(["Unavailable"]);

export class ConnectorError extends Error {
  constructor(
    readonly code: ConnectorErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = "ConnectorError";
  }

  /** Whether the same call may succeed later. */
  get retryable(): boolean {
    return RETRYABLE_CODES.has(this.code);
  }
}

/**
 * System (libuv) and undici codes of a connection that was refused, dropped or timed out: Node's
 * http and fetch (ethers' JsonRpcProvider, the HTTP clients) put them on the error or its cause.
 */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

/** The network failure code on `e` or one of its causes, or undefined when the failure is not the network's. */
export function networkErrorCode(e: unknown): string | undefined {
  for (let x = e, depth = 0; x && typeof x === "object" && depth < 5; x = (x as { cause?: unknown }).cause, depth++) {
    const code = (x as { code?: unknown }).code;
    if (typeof code === "string" && NETWORK_CODES.has(code)) return code;
  }
  return undefined;
}

/** Whether a failure is transient: a ConnectorError with a retryable code, or a connection that failed at the transport. */
export function isRetryable(e: unknown): boolean {
  return e instanceof ConnectorError ? e.retryable : networkErrorCode(e) !== undefined;
}
