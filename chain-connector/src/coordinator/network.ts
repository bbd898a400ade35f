import { ZeroAddress, ZeroHash, concat, getBytes, keccak256 } from "ethers";
import type { ChainEvent, ChainEventBody, MemberReportStatus } from "../../../protocol/src/events.js";
import { Phase, Role, Verification } from "../../../protocol/src/phases.js";
import { outputsCommitment, roundBinding } from "../../../protocol/src/binding.js";
import { proofListLeaf } from "../../../protocol/src/honk/prooflist.js";
import { checkHonkEntry } from "../honkverify.js";
import { checkContributionProof, honkSubmission } from "../proofcheck.js";
import { allowedMembers, datasetKey, kindKey, specBytes, specHash, verificationLevel, type TaskSpec } from "../../../protocol/src/taskspec.js";
import type { BlobRef } from "../http/authz.js";
import {
  checkChallenge,
  checkIdempotencyKey,
  checkReport,
  ConnectorError,
  type CreateTaskOptions,
  type Connector,
  type ContributionRecord,
  type DatasetCommitment,
  type DatasetRecord,
  type BindingDomain,
  type Groth16Proof,
  type NodeInfo,
  type NodeRecord,
  type ProofListChallenge,
  type RoundRecord,
  type TaskRecord,
  type TxReceipt,
} from "../connector.js";
import { openBlobStore, type BlobStore } from "../blobstore.js";
import { addr, b32, checkCloseReason, checkDatasetName, checkNodeInfo, checkTaskSpec, fail, specInputHash, U32, uint } from "../validate.js";
import { SystemClock, type Clock } from "./clock.js";
import * as machine from "./machine.js";
import type { Transition } from "./machine.js";
import { CoordinatorStore, type StoredNode, type StoredTask } from "./store.js";

/**
 * Off-chain Groth16 verification for the coordinator. The operator fixes, per task kind, which
 * verification key applies (kind → circuit); callers cannot choose it.
 */
export interface KindVerifier {
  /** Kinds that have a verification key configured. */
  kinds(): string[];
  /** Checks a proof against the kind's key. */
  verify(kind: string, proof: Groth16Proof): Promise<boolean>;
  /** Names the key a kind uses (shown in VerifierSet events), e.g. the circuit name. */
  describe?(kind: string): string;
}

/** Builds a KindVerifier from a list of kinds and one verification function. */
export function kindVerifier(kinds: Record<string, string>, verify: (kind: string, proof: Groth16Proof) => Promise<boolean>): KindVerifier {
  return { kinds: () => Object.keys(kinds), verify, describe: (k) => kinds[k] ?? "" };
}

export interface CoordinatorOptions {
  /** SQLite file holding all state (created when missing); ":memory:" for a throwaway network. */
  db: string;
  /** Blob store, or a directory (LocalBlobStore) or s3:// URL (S3BlobStore): see openBlobStore. */
  blobs: BlobStore | string;
  /** Defaults to the system clock; tests pass a ManualClock. */
  clock?: Clock;
  /** Off-chain proof verification; without it, tasks asking for verification are refused (NoVerifier). */
  verifier?: KindVerifier;
  /** A node counts as active when it heartbeated or took part within this many seconds (default 120). */
  livenessSeconds?: number;
}

const CURSOR_DIGITS = 16;

export function formatCursor(seq: number): string {
  return String(seq).padStart(CURSOR_DIGITS, "0");
}

function parseCursor(cursor: string | undefined): number {
  if (cursor === undefined || cursor === "") return 0;
  if (!/^\d{1,16}$/.test(cursor)) throw new ConnectorError("BadInput", `cursor "${cursor}" must be a cursor taken from an earlier event`);
  return Number(cursor);
}

/**
 * The chain without a chain: the same registries, tasks, rounds, phases, deadlines, checks,
 * errors and events as the contracts, kept in one SQLite file (store.ts) and moved by the same
 * rules (machine.ts). Every state change and the events it emits are written in one transaction.
 * Deadlines advance themselves: the network arms a timer for every open round (re-armed from the
 * file on restart), so no party has to poll or call advance().
 */
export class CoordinatorNetwork {
  readonly mode = "coordinator" as const;
  readonly clock: Clock;
  readonly blobs: BlobStore;
  private readonly store: CoordinatorStore;
  private readonly verifier?: KindVerifier;
  private readonly liveness: number;
  private readonly timers = new Map<string, { deadline: number; cancel: () => void }>();
  private waiters = new Set<() => void>();
  private closed = false;
  private txId = "";
  private touched = new Set<string>();

  constructor(opts: CoordinatorOptions) {
    if (!opts.db) throw new Error("CoordinatorNetwork: opts.db must name a SQLite file (or :memory:)");
    if (!opts.blobs) throw new Error("CoordinatorNetwork: opts.blobs must be a BlobStore or a directory");
    this.store = new CoordinatorStore(opts.db);
    this.blobs = openBlobStore(opts.blobs);
    this.clock = opts.clock ?? new SystemClock();
    this.verifier = opts.verifier;
    this.liveness = opts.livenessSeconds ?? 120;
    this.recordVerifiers();
    for (const r of this.store.openRounds()) this.arm(r.taskId, r.round);
  }

  /** A Connector acting for `address` (already authenticated by the caller, e.g. the HTTP server). */
  as(address: string): Connector {
    return new CoordinatorConnector(this, addr(address, "address"));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    this.wake();
    this.store.close();
  }

  // ---------------------------------------------------------------- transactions and events

  private open(): void {
    if (this.closed) fail("Unavailable", "the coordinator network is closed");
  }

  /** Runs `fn` as one transaction: its state changes and events are written together or not at all. */
  private tx<T>(fn: () => T): T & TxReceipt {
    this.open();
    this.store.begin();
    let result: T;
    try {
      this.txId = this.store.nextTxId();
      result = fn();
      this.store.commit();
    } catch (e) {
      this.store.rollback();
      this.touched.clear();
      throw e;
    }
    const touched = [...this.touched];
    this.touched.clear();
    for (const k of touched) {
      const [t, r] = k.split(":").map(Number);
      this.arm(t, r);
    }
    this.wake();
    return { ...(result as object), txHash: this.txId } as T & TxReceipt;
  }

  private emit(body: ChainEventBody): void {
    this.store.appendEvent(this.clock.now(), this.txId, JSON.stringify(body));
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = new Set();
    for (const f of w) f();
  }

  // ---------------------------------------------------------------- deadlines

  /** Keeps one timer per open round, at the first second after its deadline. */
  private arm(taskId: number, round: number): void {
    const key = `${taskId}:${round}`;
    const r = this.store.round(taskId, round);
    const old = this.timers.get(key);
    if (!r || !machine.isOpen(r.phase)) {
      old?.cancel();
      this.timers.delete(key);
      return;
    }
    if (old && old.deadline === r.deadline) return;
    old?.cancel();
    const cancel = this.clock.at(machine.timerAt(r), () => {
      this.timers.delete(key);
      if (this.closed) return;
      try {
        this.tx(() => this.doAdvance(taskId, round));
      } catch (e) {
        // A member's call may have moved the round first; anything else would be a bug worth seeing.
        if (!(e instanceof ConnectorError && (e.code === "WrongPhase" || e.code === "DeadlineNotPassed"))) console.error(e);
        this.arm(taskId, round);
      }
    });
    this.timers.set(key, { deadline: r.deadline, cancel });
  }

  private recordVerifiers(): void {
    if (!this.verifier) return;
    const describe = (k: string) => this.verifier!.describe?.(k) ?? k;
    const changed = this.verifier.kinds().filter((k) => this.store.verifier(kindKey(k)) !== describe(k));
    if (changed.length === 0) return;
    this.tx(() => {
      for (const k of changed) {
        const v = describe(k);
        this.store.setVerifier(kindKey(k), v);
        this.emit({ type: "VerifierSet", kind: kindKey(k), verifier: v });
      }
    });
  }

  // ---------------------------------------------------------------- reads

  private nodeRecord(n: StoredNode): NodeRecord {
    const seen = Math.max(n.lastActive, n.lastHeartbeat);
    return {
      address: n.address,
      endpoint: n.endpoint,
      x25519: n.x25519,
      roles: n.roles,
      capacity: n.capacity,
      registeredAt: n.registeredAt,
      lastActive: n.lastActive,
      active: seen > 0 && this.clock.now() - seen <= this.liveness,
    };
  }

  getNode(address: string): NodeRecord | null {
    this.open();
    const n = this.store.node(addr(address, "address"));
    return n ? this.nodeRecord(n) : null;
  }

  listNodes(offset = 0, limit = 100): NodeRecord[] {
    this.open();
    uint(offset, "offset");
    uint(limit, "limit", 1);
    return this.store.nodes(offset, Math.min(limit, 1000)).map((n) => this.nodeRecord(n));
  }

  getDataset(owner: string, name: string, version?: number): DatasetRecord | null {
    this.open();
    const o = addr(owner, "owner");
    const id = datasetKey(checkDatasetName(name));
    return this.store.dataset(o, id, version === undefined ? undefined : uint(version, "version", 1)) ?? null;
  }

  hasRoot(owner: string, root: string): boolean {
    return this.store.hasRoot(owner, root);
  }

  getTask(taskId: number): TaskRecord | null {
    this.open();
    const t = this.store.task(uint(taskId, "taskId"));
    if (!t) return null;
    return {
      taskId: t.taskId,
      requester: t.requester,
      kind: t.kind,
      specHash: t.specHash,
      rounds: t.rounds,
      currentRound: t.currentRound,
      closed: t.closed,
    };
  }

  async getTaskSpec(taskId: number): Promise<TaskSpec | null> {
    this.open();
    const t = this.store.task(uint(taskId, "taskId"));
    if (!t) return null;
    const bytes = await this.blobs.get(t.specHash);
    return JSON.parse(new TextDecoder().decode(bytes)) as TaskSpec;
  }

  getRound(taskId: number, round: number): RoundRecord | null {
    this.open();
    const r = this.store.round(uint(taskId, "taskId"), uint(round, "round"));
    if (!r) return null;
    return {
      taskId: r.taskId,
      round: r.round,
      phase: r.phase,
      deadline: r.deadline,
      joined: r.joined,
      active: r.active,
      submitted: machine.isSubmission(r.phase) ? this.store.submittedCount(r.taskId, r.round, r.phase) : 0,
      resultHash: r.resultHash,
      members: this.store.members(r.taskId, r.round),
    };
  }

  getContributions(taskId: number, round: number, phase: number): ContributionRecord[] {
    this.open();
    return this.store.contributions(uint(taskId, "taskId"), uint(round, "round"), uint(phase, "phase"));
  }

  // ---------------------------------------------------------------- node registry

  registerNode(sender: string, info: NodeInfo): TxReceipt {
    return this.tx(() => {
      if (this.store.node(sender)) fail("AlreadyRegistered", `${sender} is already registered; use updateNode`);
      const i = checkNodeInfo(info);
      this.store.insertNode(sender, i, this.clock.now());
      this.emit({ type: "NodeRegistered", node: sender, ...i });
      return {};
    });
  }

  updateNode(sender: string, info: NodeInfo): TxReceipt {
    return this.tx(() => {
      if (!this.store.node(sender)) fail("NotRegistered", `${sender} is not registered; call registerNode first`);
      const i = checkNodeInfo(info);
      this.store.updateNode(sender, i);
      this.emit({ type: "NodeUpdated", node: sender, ...i });
      return {};
    });
  }

  leaveNode(sender: string): TxReceipt {
    return this.tx(() => {
      if (!this.store.node(sender)) fail("NotRegistered", `${sender} is not registered`);
      this.store.deleteNode(sender);
      this.emit({ type: "NodeLeft", node: sender });
      return {};
    });
  }

  heartbeat(sender: string): void {
    this.open();
    if (!this.store.node(sender)) fail("NotRegistered", `${sender} is not registered; register before sending heartbeats`);
    this.store.setHeartbeat(sender, this.clock.now());
  }

  private requireRole(sender: string, mask: number, what: string): StoredNode {
    const n = this.store.node(sender);
    if (!n) return fail("NotRegistered", `${sender} is not registered; call registerNode first`);
    if ((n.roles & mask) === 0) fail("MissingRole", `${sender} lacks the role to ${what}`);
    return n;
  }

  // ---------------------------------------------------------------- data registry

  commitDataset(sender: string, name: string, c: DatasetCommitment): TxReceipt & { version: number } {
    checkDatasetName(name);
    if (!c || typeof c !== "object") fail("BadInput", "commitment must be an object {root, rows, columns, schemaHash}");
    const root = b32(c.root, "root");
    const rows = uint(c.rows, "rows");
    const columns = uint(c.columns, "columns");
    const schemaHash = b32(c.schemaHash, "schemaHash");
    const datasetId = datasetKey(name);
    return this.tx(() => {
      // Same order as DataRegistry.commit: role first, then the values.
      this.requireRole(sender, Role.Owner, "commit datasets (Owner)");
      if (root === ZeroHash) fail("BadInput", "root must not be zero");
      if (rows === 0) fail("BadInput", "rows must be at least 1");
      if (columns === 0) fail("BadInput", "columns must be at least 1");
      if (columns > U32) fail("BadInput", "columns must fit in 32 bits");
      const version = this.store.latestDatasetVersion(sender, datasetId) + 1;
      this.store.insertDataset({ owner: sender, datasetId, version, root, rows, columns, schemaHash, committedAt: this.clock.now() });
      this.emit({ type: "DatasetCommitted", owner: sender, datasetId, version, root, rows, columns, schemaHash });
      return { version };
    });
  }

  // ---------------------------------------------------------------- task manager

  /** Every place a blob is published: a task's spec, a contribution, a round's result. */
  async blobRefs(hash: string): Promise<BlobRef[]> {
    this.open();
    const h = hash.toLowerCase();
    if (!/^0x[0-9a-f]{64}$/.test(h) || h === ZeroHash) return [];
    return this.store.blobRefs(h);
  }

  /** The task an idempotency key already made, or undefined; the same key with other input is refused. */
  private keyed(sender: string, key: string | undefined, inputHash: string): (TxReceipt & { taskId: number }) | undefined {
    if (!key) return undefined;
    const row = this.store.taskKey(sender, key);
    if (!row) return undefined;
    if (row.inputHash !== inputHash) fail("BadInput", `idempotencyKey ${key} already created task ${row.taskId} from another spec; use a new key for a new task`);
    return { taskId: row.taskId, txHash: row.tx };
  }

  async createTask(sender: string, input: TaskSpec, opts: CreateTaskOptions = {}): Promise<TxReceipt & { taskId: number }> {
    this.open();
    const key = checkIdempotencyKey(opts.idempotencyKey);
    const inputHash = key ? specInputHash(input) : "";
    if (key) {
      const done = this.keyed(sender, key, inputHash);
      if (done) return done;
    }
    const spec = checkTaskSpec(input, sender);
    const verification = verificationLevel(spec.verification);
    const check = () => {
      this.requireRole(sender, Role.Requester, "create tasks (Requester)");
      if (verification === Verification.OnChain && !this.hasVerifier(spec.kind))
        fail("NoVerifier", `no verification key is configured for kind ${spec.kind}; ask for verification "none" or "offchain"`);
    };
    check();
    // The spec blob goes first: a crash after it leaves an unreferenced blob, never a task without its spec.
    const hash = await this.blobs.put(specBytes(spec));
    if (hash !== specHash(spec)) throw new Error("spec blob hash differs from specHash: canonical encoding changed");
    let again: (TxReceipt & { taskId: number }) | undefined;
    const made = this.tx(() => {
      // A concurrent retry may have made the task while this one stored the blob.
      again = this.keyed(sender, key, inputHash);
      if (again) return { taskId: again.taskId };
      check();
      const taskId = this.store.lastTaskId() + 1;
      if (key) this.store.insertTaskKey(sender, key, inputHash, taskId, this.txId);
      const t: StoredTask = {
        taskId,
        requester: sender,
        kind: kindKey(spec.kind),
        kindName: spec.kind,
        specHash: hash,
        rounds: spec.rounds,
        currentRound: 0,
        closed: false,
        minMembers: spec.members.min,
        maxMembers: spec.members.max,
        threshold: spec.members.threshold,
        deadlines: { ...spec.deadlines },
        setup: spec.setup,
        verification,
      };
      this.store.insertTask(t);
      const allowed = allowedMembers(spec);
      if (allowed) this.store.insertAllowed(taskId, allowed);
      this.emit({ type: "TaskCreated", taskId, requester: sender, kind: t.kind, specHash: hash, rounds: spec.rounds });
      this.beginRound(t, machine.firstRound(t, this.clock.now()));
      return { taskId };
    });
    return again ?? made;
  }

  private hasVerifier(kind: string): boolean {
    return this.verifier?.kinds().includes(kind) ?? false;
  }

  private beginRound(t: StoredTask, next: { round: number; deadline: number }): number {
    const { round, deadline } = next;
    this.store.setCurrentRound(t.taskId, round);
    this.store.insertRound(t.taskId, round, Phase.Join, deadline, ZeroHash);
    this.emit({ type: "RoundStarted", taskId: t.taskId, round, deadline });
    this.touched.add(`${t.taskId}:${round}`);
    return round;
  }

  startRound(sender: string, taskId: number): TxReceipt & { round: number } {
    uint(taskId, "taskId");
    return this.tx(() => {
      const t = this.store.task(taskId) ?? fail("UnknownTask", `task ${taskId} does not exist`);
      const next = machine.startRound(t, this.store.round(taskId, t.currentRound), sender, this.clock.now());
      return { round: this.beginRound(t, next) };
    });
  }

  private loadRound(taskId: number, round: number): { t: StoredTask; r: machine.RoundState } {
    uint(taskId, "taskId");
    uint(round, "round");
    const t = this.store.task(taskId) ?? fail("UnknownTask", `task ${taskId} does not exist`);
    const r = this.store.round(taskId, round) ?? fail("UnknownRound", `task ${taskId} has no round ${round}`);
    return { t, r };
  }

  /** Writes a transition of the state machine and its event. */
  private apply(r: machine.RoundState, next: Transition | undefined): void {
    if (!next) return;
    if (next.dropSilent) this.store.dropSilent(r.taskId, r.round, r.phase);
    if (next.to === "phase") {
      this.store.setPhase(r.taskId, r.round, next.phase, next.deadline, next.active);
      this.emit({ type: "PhaseAdvanced", taskId: r.taskId, round: r.round, phase: next.phase, deadline: next.deadline, active: next.active });
    } else {
      if (next.active !== undefined) this.store.setActive(r.taskId, r.round, next.active);
      this.store.setPhaseOnly(r.taskId, r.round, Phase.Failed);
      this.emit({ type: "RoundFailed", taskId: r.taskId, round: r.round, phase: r.phase, reason: next.reason });
    }
    this.touched.add(`${r.taskId}:${r.round}`);
  }

  joinRound(sender: string, taskId: number, round: number, memberKey: string): TxReceipt {
    const key = b32(memberKey, "memberKey");
    return this.tx(() => {
      const { t, r } = this.loadRound(taskId, round);
      const now = this.clock.now();
      machine.joinOpen(r, now);
      this.requireRole(sender, Role.Owner | Role.Worker, "join rounds (Owner or Worker)");
      if (!this.store.allowed(taskId, sender)) fail("NotAllowed", `${sender} is not among the nodes the spec of task ${taskId} names; only they may join`);
      machine.seat(t, r, sender, this.store.member(taskId, round, sender) !== undefined);
      this.store.insertMember(taskId, round, sender, key);
      this.store.setLastActive(sender, now);
      this.emit({ type: "MemberJoined", taskId, round, member: sender, memberKey: key });
      const joined = { ...r, joined: r.joined + 1 };
      this.apply(joined, machine.afterJoin(t, joined, now));
      return {};
    });
  }

  private doAdvance(taskId: number, round: number): object {
    const { t, r } = this.loadRound(taskId, round);
    const submitted = machine.isSubmission(r.phase) ? this.store.submittedCount(taskId, round, r.phase) : 0;
    this.apply(r, machine.onDeadline(t, r, submitted, this.clock.now()));
    return {};
  }

  advance(_sender: string, taskId: number, round: number): TxReceipt {
    return this.tx(() => this.doAdvance(taskId, round));
  }

  private checkSubmit(sender: string, taskId: number, round: number): { t: StoredTask; r: machine.RoundState } {
    const { t, r } = this.loadRound(taskId, round);
    machine.submission(r, sender, this.store.member(taskId, round, sender), this.store.hasSubmitted(taskId, round, r.phase, sender), this.clock.now());
    return { t, r };
  }

  async submit(sender: string, taskId: number, round: number, blobHash: string, commitment: string, proof?: Groth16Proof): Promise<TxReceipt> {
    this.open();
    const blob = b32(blobHash, "blobHash");
    const comm = b32(commitment, "commitment");
    const { t, r } = this.checkSubmit(sender, taskId, round);
    if (t.verification !== Verification.None && r.phase === Phase.Compute && !honkSubmission(await this.getTaskSpec(taskId), proof)) {
      if (!this.hasVerifier(t.kindName)) fail("NoVerifier", `no verification key is configured for kind ${t.kindName}`);
      await this.checkProof(t, sender, round, comm, proof);
    }
    return this.tx(() => {
      const { t: t2, r: r2 } = this.checkSubmit(sender, taskId, round);
      if (r2.phase !== r.phase) fail("WrongPhase", `round ${round} of task ${taskId} moved on while the proof was checked`);
      this.store.insertContribution({ taskId, round, phase: r2.phase, member: sender, blobHash: blob, commitment: comm });
      this.store.setLastActive(sender, this.clock.now());
      this.emit({ type: "ContributionSubmitted", taskId, round, phase: r2.phase, member: sender, blobHash: blob, commitment: comm });
      this.apply(r2, machine.afterSubmit(t2, r2, this.store.submittedCount(taskId, round, r2.phase), this.clock.now()));
      return {};
    });
  }

  /** chain-connector/src/proofcheck.ts, with this coordinator's binding (no chain: task, round, member, commitment). */
  private async checkProof(t: StoredTask, member: string, round: number, comm: string, proof?: Groth16Proof): Promise<void> {
    await checkContributionProof({
      kind: t.kindName,
      taskId: t.taskId,
      member,
      commitment: comm,
      binding: roundBinding({ taskId: t.taskId, round, member, commitment: comm }),
      proof,
      hasRoot: (m, root) => this.hasRoot(m, root),
      verifier: this.verifier!,
    });
  }

  finalizeRound(sender: string, taskId: number, round: number, resultHash: string): TxReceipt {
    const result = b32(resultHash, "resultHash");
    return this.tx(() => {
      const { t, r } = this.loadRound(taskId, round);
      const { closesTask } = machine.finalize(t, r, sender, this.clock.now());
      this.store.setResult(taskId, round, Phase.Finalized, result);
      this.emit({ type: "RoundFinalized", taskId, round, resultHash: result });
      this.touched.add(`${taskId}:${round}`);
      if (closesTask) {
        this.store.closeTask(taskId);
        this.emit({ type: "TaskClosed", taskId, reason: "last-round" });
      }
      return {};
    });
  }

  closeTask(sender: string, taskId: number, reason: string): TxReceipt {
    uint(taskId, "taskId");
    checkCloseReason(reason);
    return this.tx(() => {
      const t = this.store.task(taskId) ?? fail("UnknownTask", `task ${taskId} does not exist`);
      machine.closeTask(t, this.store.round(taskId, t.currentRound), sender);
      this.store.closeTask(taskId);
      this.emit({ type: "TaskClosed", taskId, reason });
      return {};
    });
  }

  /**
   * ChunkAudit.challengeTask off-chain: the entry must lead to the member's recorded proof-list
   * root (its Compute commitment); bb re-checks it and a failing entry excludes the member.
   */
  async challenge(sender: string, taskId: number, round: number, member: string, entry: ProofListChallenge): Promise<TxReceipt> {
    checkChallenge(member, entry);
    const m = addr(member, "member");
    const { t } = this.loadRound(taskId, round);
    this.requireRole(sender, Role.Owner | Role.Worker | Role.Requester, "challenge proof lists (any registered node)");
    const root = this.store.contributions(taskId, round, Phase.Compute).find((c) => c.member === m)?.commitment;
    if (t.verification !== Verification.OffChain || !root)
      fail("BadInput", `${m} recorded no proof-list root in round ${round} of task ${taskId} (not an "offchain" Compute submission)`);
    if (this.store.isExcluded(taskId, round, m)) fail("BadInput", `${m} is already excluded from round ${round} of task ${taskId}`);
    if (entry.index >> entry.path.length !== 0) fail("BadInput", `entry ${entry.index} and its path do not lead to the member's recorded proof-list root`);
    let node = proofListLeaf({ proof: getBytes(entry.proof), publicInputs: entry.publicInputs });
    entry.path.forEach((sib, d) => (node = keccak256(concat((entry.index >> d) & 1 ? [sib, node] : [node, sib]))));
    if (node !== root.toLowerCase()) fail("BadInput", `entry ${entry.index} and its path do not lead to the member's recorded proof-list root`);
    const reason = await checkHonkEntry(t.kindName, entry.index, entry.publicInputs, getBytes(entry.proof), {
      binding: (outputs) => roundBinding({ taskId, round, member: m, commitment: outputsCommitment(outputs) }),
      hasRoot: (r) => this.store.hasRoot(m, r),
    });
    if (reason === 0) fail("BadInput", `entry ${entry.index} of the member's proof list verifies: nothing to challenge`);
    return this.tx(() => {
      if (this.store.isExcluded(taskId, round, m)) fail("BadInput", `${m} is already excluded from round ${round} of task ${taskId}`);
      this.store.insertExclusion(taskId, round, m);
      this.emit({ type: "MemberExcluded", taskId, round, member: m, index: entry.index, reason });
      return {};
    });
  }

  report(sender: string, taskId: number, round: number, status: MemberReportStatus, reason: string): TxReceipt {
    checkReport(status, reason);
    return this.tx(() => {
      this.loadRound(taskId, round);
      this.requireRole(sender, Role.Owner | Role.Worker, "report on rounds (Owner or Worker)");
      if (status === "failed" && !this.store.member(taskId, round, sender))
        fail("NotMember", `${sender} did not join round ${round} of task ${taskId}: only a member reports a failure (a non-member reports "declined")`);
      if (this.store.hasReported(taskId, round, sender)) fail("AlreadySubmitted", `${sender} already reported on round ${round} of task ${taskId}`);
      this.store.insertReport(taskId, round, sender);
      this.emit({ type: "MemberReported", taskId, round, member: sender, status, reason });
      return {};
    });
  }

  // ---------------------------------------------------------------- events

  /** Events after `cursor`, then live ones, until the signal aborts or the network closes. */
  async *events(cursor?: string, signal?: AbortSignal): AsyncGenerator<ChainEvent> {
    let after = parseCursor(cursor);
    this.open();
    while (!this.closed && !signal?.aborted) {
      const rows = this.store.eventsAfter(after, 500);
      if (rows.length > 0) {
        for (const row of rows) {
          after = row.seq;
          yield { ...(JSON.parse(row.body) as ChainEventBody), cursor: formatCursor(row.seq), time: row.time, txHash: row.tx };
          if (this.closed || signal?.aborted) return;
        }
        continue;
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          signal?.removeEventListener("abort", done);
          this.waiters.delete(done);
          resolve();
        };
        this.waiters.add(done);
        signal?.addEventListener("abort", done, { once: true });
      });
    }
  }
}

/** One party's view of a CoordinatorNetwork. */
export class CoordinatorConnector implements Connector {
  readonly mode = "coordinator" as const;

  constructor(
    readonly network: CoordinatorNetwork,
    private readonly sender: string,
  ) {}

  async bindingDomain(): Promise<BindingDomain> {
    return { taskManager: ZeroAddress, chainId: "0" };
  }

  async address(): Promise<string> {
    return this.sender;
  }
  async registerNode(info: NodeInfo): Promise<TxReceipt> {
    return this.network.registerNode(this.sender, info);
  }
  async updateNode(info: NodeInfo): Promise<TxReceipt> {
    return this.network.updateNode(this.sender, info);
  }
  async leaveNode(): Promise<TxReceipt> {
    return this.network.leaveNode(this.sender);
  }
  async getNode(address: string): Promise<NodeRecord | null> {
    return this.network.getNode(address);
  }
  async listNodes(offset?: number, limit?: number): Promise<NodeRecord[]> {
    return this.network.listNodes(offset, limit);
  }
  async heartbeat(): Promise<void> {
    this.network.heartbeat(this.sender);
  }
  async commitDataset(name: string, c: DatasetCommitment): Promise<TxReceipt & { version: number }> {
    return this.network.commitDataset(this.sender, name, c);
  }
  async getDataset(owner: string, name: string, version?: number): Promise<DatasetRecord | null> {
    return this.network.getDataset(owner, name, version);
  }
  async createTask(spec: TaskSpec, opts?: CreateTaskOptions): Promise<TxReceipt & { taskId: number }> {
    return this.network.createTask(this.sender, spec, opts);
  }
  async getTask(taskId: number): Promise<TaskRecord | null> {
    return this.network.getTask(taskId);
  }
  async getTaskSpec(taskId: number): Promise<TaskSpec | null> {
    return this.network.getTaskSpec(taskId);
  }
  async startRound(taskId: number): Promise<TxReceipt & { round: number }> {
    return this.network.startRound(this.sender, taskId);
  }
  async getRound(taskId: number, round: number): Promise<RoundRecord | null> {
    return this.network.getRound(taskId, round);
  }
  async joinRound(taskId: number, round: number, memberKey: string): Promise<TxReceipt> {
    return this.network.joinRound(this.sender, taskId, round, memberKey);
  }
  async submit(taskId: number, round: number, blobHash: string, commitment: string, proof?: Groth16Proof): Promise<TxReceipt> {
    return this.network.submit(this.sender, taskId, round, blobHash, commitment, proof);
  }
  async getContributions(taskId: number, round: number, phase: number): Promise<ContributionRecord[]> {
    return this.network.getContributions(taskId, round, phase);
  }
  async advance(taskId: number, round: number): Promise<TxReceipt> {
    return this.network.advance(this.sender, taskId, round);
  }
  async finalizeRound(taskId: number, round: number, resultHash: string): Promise<TxReceipt> {
    return this.network.finalizeRound(this.sender, taskId, round, resultHash);
  }
  async closeTask(taskId: number, reason: string): Promise<TxReceipt> {
    return this.network.closeTask(this.sender, taskId, reason);
  }
  async report(taskId: number, round: number, status: MemberReportStatus, reason: string): Promise<TxReceipt> {
    return this.network.report(this.sender, taskId, round, status, reason);
  }
  async challenge(taskId: number, round: number, member: string, entry: ProofListChallenge): Promise<TxReceipt> {
    return this.network.challenge(this.sender, taskId, round, member, entry);
  }
  async putBlob(bytes: Uint8Array, knownHash?: string): Promise<string> {
    return this.network.blobs.put(bytes, knownHash);
  }
  async getBlob(hash: string): Promise<Uint8Array> {
    return this.network.blobs.get(hash);
  }
  events(cursor?: string, signal?: AbortSignal): AsyncIterable<ChainEvent> {
    return this.network.events(cursor, signal);
  }
  /** The network outlives its parties: closing one view closes nothing. */
  async close(): Promise<void> {}
}
