import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { getAddress, isAddress, ZeroAddress, ZeroHash } from "ethers";
import type { ChainEvent, ChainEventBody, MemberReportStatus } from "../../../protocol/src/events.js";
import { FailReason } from "../../../protocol/src/events.js";
import { Phase, Role, Verification } from "../../../protocol/src/phases.js";
import { roundBinding } from "../../../protocol/src/binding.js";
import { checkContributionProof, honkSubmission } from "../proofcheck.js";
import { datasetKey, kindKey, parseTaskSpec, SpecError, specBytes, specHash, verificationLevel, type TaskSpec } from "../../../protocol/src/taskspec.js";
import { hashJson } from "../../../protocol/src/canonical.js";
import type { BlobRef } from "../http/authz.js";
import {
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
  type RoundRecord,
  type TaskRecord,
  type TxReceipt,
} from "../connector.js";
import { openBlobStore, type BlobStore } from "../blobstore.js";
import { SystemClock, type Clock } from "./clock.js";
import { SCHEMA, SCHEMA_VERSION } from "./schema.js";

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
const SUBMISSION = new Set<number>([Phase.Setup, Phase.Compute, Phase.Aggregate]);
const OPEN = new Set<number>([Phase.Join, Phase.Setup, Phase.Compute, Phase.Aggregate]);

export function formatCursor(seq: number): string {
  return String(seq).padStart(CURSOR_DIGITS, "0");
}

function parseCursor(cursor: string | undefined): number {
  if (cursor === undefined || cursor === "") return 0;
  if (!/^\d{1,16}$/.test(cursor)) throw new ConnectorError("BadInput", `cursor "${cursor}" must be a cursor taken from an earlier event`);
  return Number(cursor);
}

const fail = (code: ConstructorParameters<typeof ConnectorError>[0], message: string): never => {
  throw new ConnectorError(code, message);
};

function addr(v: unknown, field: string): string {
  if (typeof v !== "string" || !isAddress(v)) fail("BadInput", `${field} must be a 0x-prefixed 20-byte address`);
  return getAddress(v as string);
}

function b32(v: unknown, field: string): string {
  if (typeof v !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(v)) fail("BadInput", `${field} must be a 0x-prefixed 32-byte hex string`);
  return (v as string).toLowerCase();
}

function uint(v: unknown, field: string, min = 0): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) fail("BadInput", `${field} must be an integer >= ${min}`);
  return v as number;
}

interface TaskRow {
  task_id: number;
  requester: string;
  kind: string;
  kind_name: string;
  spec_hash: string;
  rounds: number;
  current_round: number;
  closed: number;
  min_members: number;
  max_members: number;
  threshold: number;
  d_join: number;
  d_setup: number;
  d_compute: number;
  d_aggregate: number;
  setup: number;
  verification: number;
}

interface RoundRow {
  task_id: number;
  round: number;
  phase: number;
  deadline: number;
  joined: number;
  active: number;
  result_hash: string;
}

interface NodeRow {
  address: string;
  endpoint: string;
  x25519: string;
  roles: number;
  capacity: number;
  registered_at: number;
  last_active: number;
  last_heartbeat: number;
}

/**
 * The chain without a chain: the same registries, tasks, rounds, phases, deadlines, checks,
 * errors and events as the contracts, kept in one SQLite file. Every state change and the events
 * it emits are written in one transaction. Deadlines advance themselves: the network arms a timer
 * for every open round (re-armed from the file on restart), so no party has to poll or call
 * advance().
 */
export class CoordinatorNetwork {
  readonly mode = "coordinator" as const;
  readonly clock: Clock;
  readonly blobs: BlobStore;
  private readonly db: DatabaseSync;
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
    if (opts.db !== ":memory:") mkdirSync(dirname(opts.db), { recursive: true });
    this.db = new DatabaseSync(opts.db);
    this.db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
    this.db.exec(SCHEMA);
    const v = this.meta("schema");
    if (v === undefined) this.setMeta("schema", String(SCHEMA_VERSION));
    else if (Number(v) !== SCHEMA_VERSION) throw new Error(`CoordinatorNetwork: ${opts.db} has schema ${v}, this build reads ${SCHEMA_VERSION}; use a new file`);
    this.blobs = openBlobStore(opts.blobs);
    this.clock = opts.clock ?? new SystemClock();
    this.verifier = opts.verifier;
    this.liveness = opts.livenessSeconds ?? 120;
    this.recordVerifiers();
    for (const r of this.all<RoundRow>(`SELECT * FROM rounds WHERE phase IN (1,2,3,4)`)) this.arm(r.task_id, r.round);
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
    this.db.close();
  }

  // ---------------------------------------------------------------- storage helpers

  private meta(key: string): string | undefined {
    const r = this.db.prepare(`SELECT value FROM meta WHERE key = ?`).get(key) as { value: string } | undefined;
    return r?.value;
  }

  private setMeta(key: string, value: string): void {
    this.db.prepare(`INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(key, value);
  }

  private get<T>(sql: string, ...args: SQLInputValue[]): T | undefined {
    return this.db.prepare(sql).get(...args) as T | undefined;
  }

  private all<T>(sql: string, ...args: SQLInputValue[]): T[] {
    return this.db.prepare(sql).all(...args) as T[];
  }

  private run(sql: string, ...args: SQLInputValue[]): void {
    this.db.prepare(sql).run(...args);
  }

  private open(): void {
    if (this.closed) fail("Unavailable", "the coordinator network is closed");
  }

  /** Runs `fn` as one transaction: its state changes and events are written together or not at all. */
  private tx<T>(fn: () => T): T & TxReceipt {
    this.open();
    this.db.exec("BEGIN IMMEDIATE");
    let result: T;
    try {
      const n = Number(this.meta("txcount") ?? "0") + 1;
      this.setMeta("txcount", String(n));
      this.txId = "0x" + n.toString(16).padStart(64, "0");
      result = fn();
      this.db.exec("COMMIT");
    } catch (e) {
      this.db.exec("ROLLBACK");
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
    this.run(`INSERT INTO events(time, tx, body) VALUES(?, ?, ?)`, this.clock.now(), this.txId, JSON.stringify(body));
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
    const r = this.round(taskId, round);
    const old = this.timers.get(key);
    if (!r || !OPEN.has(r.phase)) {
      old?.cancel();
      this.timers.delete(key);
      return;
    }
    if (old && old.deadline === r.deadline) return;
    old?.cancel();
    const cancel = this.clock.at(r.deadline + 1, () => {
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
    const kinds = this.verifier.kinds();
    const changed = kinds.filter((k) => {
      const row = this.get<{ verifier: string }>(`SELECT verifier FROM verifiers WHERE kind = ?`, kindKey(k));
      return row?.verifier !== (this.verifier!.describe?.(k) ?? k);
    });
    if (changed.length === 0) return;
    this.tx(() => {
      for (const k of changed) {
        const v = this.verifier!.describe?.(k) ?? k;
        this.run(`INSERT INTO verifiers(kind, verifier) VALUES(?, ?) ON CONFLICT(kind) DO UPDATE SET verifier = excluded.verifier`, kindKey(k), v);
        this.emit({ type: "VerifierSet", kind: kindKey(k), verifier: v });
      }
    });
  }

  // ---------------------------------------------------------------- reads

  private node(address: string): NodeRow | undefined {
    return this.get<NodeRow>(`SELECT * FROM nodes WHERE address = ?`, address);
  }

  private task(taskId: number): TaskRow | undefined {
    return this.get<TaskRow>(`SELECT * FROM tasks WHERE task_id = ?`, taskId);
  }

  private round(taskId: number, round: number): RoundRow | undefined {
    return this.get<RoundRow>(`SELECT * FROM rounds WHERE task_id = ? AND round = ?`, taskId, round);
  }

  private nodeRecord(n: NodeRow): NodeRecord {
    const seen = Math.max(n.last_active, n.last_heartbeat);
    return {
      address: n.address,
      endpoint: n.endpoint,
      x25519: n.x25519,
      roles: n.roles,
      capacity: n.capacity,
      registeredAt: n.registered_at,
      lastActive: n.last_active,
      active: seen > 0 && this.clock.now() - seen <= this.liveness,
    };
  }

  getNode(address: string): NodeRecord | null {
    this.open();
    const n = this.node(addr(address, "address"));
    return n ? this.nodeRecord(n) : null;
  }

  listNodes(offset = 0, limit = 100): NodeRecord[] {
    this.open();
    uint(offset, "offset");
    uint(limit, "limit", 1);
    return this.all<NodeRow>(`SELECT * FROM nodes ORDER BY rowid LIMIT ? OFFSET ?`, Math.min(limit, 1000), offset).map((n) => this.nodeRecord(n));
  }

  getDataset(owner: string, name: string, version?: number): DatasetRecord | null {
    this.open();
    const o = addr(owner, "owner");
    if (typeof name !== "string" || name.length === 0) fail("BadInput", "name must be the dataset's name");
    const id = datasetKey(name);
    const row =
      version === undefined
        ? this.get<Record<string, unknown>>(`SELECT * FROM datasets WHERE owner = ? AND dataset_id = ? ORDER BY version DESC LIMIT 1`, o, id)
        : this.get<Record<string, unknown>>(`SELECT * FROM datasets WHERE owner = ? AND dataset_id = ? AND version = ?`, o, id, uint(version, "version", 1));
    if (!row) return null;
    return {
      owner: row.owner as string,
      datasetId: row.dataset_id as string,
      version: row.version as number,
      root: row.root as string,
      rows: row.rows as number,
      columns: row.columns as number,
      schemaHash: row.schema_hash as string,
      committedAt: row.committed_at as number,
    };
  }

  hasRoot(owner: string, root: string): boolean {
    return this.get(`SELECT 1 AS x FROM datasets WHERE owner = ? AND root = ?`, owner, root.toLowerCase()) !== undefined;
  }

  getTask(taskId: number): TaskRecord | null {
    this.open();
    const t = this.task(uint(taskId, "taskId"));
    if (!t) return null;
    return {
      taskId: t.task_id,
      requester: t.requester,
      kind: t.kind,
      specHash: t.spec_hash,
      rounds: t.rounds,
      currentRound: t.current_round,
      closed: t.closed !== 0,
    };
  }

  async getTaskSpec(taskId: number): Promise<TaskSpec | null> {
    this.open();
    const t = this.task(uint(taskId, "taskId"));
    if (!t) return null;
    const bytes = await this.blobs.get(t.spec_hash);
    return JSON.parse(new TextDecoder().decode(bytes)) as TaskSpec;
  }

  getRound(taskId: number, round: number): RoundRecord | null {
    this.open();
    const r = this.round(uint(taskId, "taskId"), uint(round, "round"));
    if (!r) return null;
    const submitted = SUBMISSION.has(r.phase) ? this.submittedCount(r.task_id, r.round, r.phase) : 0;
    const members = this.all<{ member: string }>(`SELECT member FROM members WHERE task_id = ? AND round = ? ORDER BY rowid`, r.task_id, r.round);
    return {
      taskId: r.task_id,
      round: r.round,
      phase: r.phase,
      deadline: r.deadline,
      joined: r.joined,
      active: r.active,
      submitted,
      resultHash: r.result_hash,
      members: members.map((m) => m.member),
    };
  }

  getContributions(taskId: number, round: number, phase: number): ContributionRecord[] {
    this.open();
    return this.all<Record<string, unknown>>(
      `SELECT * FROM contributions WHERE task_id = ? AND round = ? AND phase = ? ORDER BY rowid`,
      uint(taskId, "taskId"),
      uint(round, "round"),
      uint(phase, "phase"),
    ).map((c) => ({
      taskId: c.task_id as number,
      round: c.round as number,
      phase: c.phase as number,
      member: c.member as string,
      blobHash: c.blob_hash as string,
      commitment: c.commitment as string,
    }));
  }

  private submittedCount(taskId: number, round: number, phase: number): number {
    return this.get<{ n: number }>(`SELECT COUNT(*) AS n FROM contributions WHERE task_id = ? AND round = ? AND phase = ?`, taskId, round, phase)!.n;
  }

  // ---------------------------------------------------------------- node registry

  private checkInfo(info: NodeInfo): NodeInfo {
    if (!info || typeof info !== "object") fail("BadInput", "node info must be an object {endpoint, x25519, roles, capacity}");
    if (typeof info.endpoint !== "string" || info.endpoint.length === 0 || info.endpoint.length > 2048) fail("BadInput", "endpoint must be the node's URL (1 to 2048 characters)");
    const x25519 = b32(info.x25519, "x25519");
    const roles = uint(info.roles, "roles", 1);
    if (roles > 7) fail("BadInput", "roles must be a mask of Owner 1, Worker 2, Requester 4");
    const capacity = uint(info.capacity, "capacity");
    if (capacity > 0xffffffff) fail("BadInput", "capacity must fit in 32 bits");
    return { endpoint: info.endpoint, x25519, roles, capacity };
  }

  registerNode(sender: string, info: NodeInfo): TxReceipt {
    return this.tx(() => {
      if (this.node(sender)) fail("AlreadyRegistered", `${sender} is already registered; use updateNode`);
      const i = this.checkInfo(info);
      this.run(
        `INSERT INTO nodes(address, endpoint, x25519, roles, capacity, registered_at) VALUES(?, ?, ?, ?, ?, ?)`,
        sender,
        i.endpoint,
        i.x25519,
        i.roles,
        i.capacity,
        this.clock.now(),
      );
      this.emit({ type: "NodeRegistered", node: sender, ...i });
      return {};
    });
  }

  updateNode(sender: string, info: NodeInfo): TxReceipt {
    return this.tx(() => {
      if (!this.node(sender)) fail("NotRegistered", `${sender} is not registered; call registerNode first`);
      const i = this.checkInfo(info);
      this.run(`UPDATE nodes SET endpoint = ?, x25519 = ?, roles = ?, capacity = ? WHERE address = ?`, i.endpoint, i.x25519, i.roles, i.capacity, sender);
      this.emit({ type: "NodeUpdated", node: sender, ...i });
      return {};
    });
  }

  leaveNode(sender: string): TxReceipt {
    return this.tx(() => {
      if (!this.node(sender)) fail("NotRegistered", `${sender} is not registered`);
      this.run(`DELETE FROM nodes WHERE address = ?`, sender);
      this.emit({ type: "NodeLeft", node: sender });
      return {};
    });
  }

  heartbeat(sender: string): void {
    this.open();
    if (!this.node(sender)) fail("NotRegistered", `${sender} is not registered; register before sending heartbeats`);
    this.run(`UPDATE nodes SET last_heartbeat = ? WHERE address = ?`, this.clock.now(), sender);
  }

  private requireRole(sender: string, mask: number, what: string): NodeRow {
    const n = this.node(sender);
    if (!n) return fail("NotRegistered", `${sender} is not registered; call registerNode first`);
    if ((n.roles & mask) === 0) fail("MissingRole", `${sender} lacks the role to ${what}`);
    return n;
  }

  // ---------------------------------------------------------------- data registry

  commitDataset(sender: string, name: string, c: DatasetCommitment): TxReceipt & { version: number } {
    if (typeof name !== "string" || name.length === 0) fail("BadInput", "name must be the dataset's name");
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
      if (columns > 0xffffffff) fail("BadInput", "columns must fit in 32 bits");
      const last = this.get<{ v: number | null }>(`SELECT MAX(version) AS v FROM datasets WHERE owner = ? AND dataset_id = ?`, sender, datasetId);
      const version = (last?.v ?? 0) + 1;
      this.run(
        `INSERT INTO datasets(owner, dataset_id, version, root, rows, columns, schema_hash, committed_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?)`,
        sender,
        datasetId,
        version,
        root,
        rows,
        columns,
        schemaHash,
        this.clock.now(),
      );
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
    const out: BlobRef[] = [];
    for (const t of this.all<{ task_id: number }>(`SELECT task_id FROM tasks WHERE spec_hash = ?`, h)) out.push({ type: "spec", taskId: t.task_id });
    for (const c of this.all<{ task_id: number; round: number; phase: number; member: string }>(`SELECT task_id, round, phase, member FROM contributions WHERE blob_hash = ?`, h))
      out.push({ type: "contribution", taskId: c.task_id, round: c.round, phase: c.phase, member: c.member });
    for (const r of this.all<{ task_id: number; round: number }>(`SELECT task_id, round FROM rounds WHERE result_hash = ?`, h))
      out.push({ type: "result", taskId: r.task_id, round: r.round });
    return out;
  }

  /** The task an idempotency key already made, or undefined; the same key with other input is refused. */
  private keyed(sender: string, key: string | undefined, inputHash: string): (TxReceipt & { taskId: number }) | undefined {
    if (!key) return undefined;
    const row = this.get<{ input_hash: string; task_id: number; tx: string }>(`SELECT input_hash, task_id, tx FROM task_keys WHERE requester = ? AND key = ?`, sender, key);
    if (!row) return undefined;
    if (row.input_hash !== inputHash) fail("BadInput", `idempotencyKey ${key} already created task ${row.task_id} from another spec; use a new key for a new task`);
    return { taskId: row.task_id, txHash: row.tx };
  }

  async createTask(sender: string, input: TaskSpec, opts: CreateTaskOptions = {}): Promise<TxReceipt & { taskId: number }> {
    this.open();
    const key = checkIdempotencyKey(opts.idempotencyKey);
    // The input, not the parsed spec: a spec without a nonce gets a fresh one on every parse.
    let inputHash = "";
    if (key) {
      try {
        inputHash = hashJson(input);
      } catch {
        fail("BadInput", "the spec must be JSON without non-finite numbers");
      }
      const done = this.keyed(sender, key, inputHash);
      if (done) return done;
    }
    let spec: TaskSpec;
    try {
      spec = parseTaskSpec(input);
    } catch (e) {
      if (e instanceof SpecError) fail("BadInput", e.message);
      throw e;
    }
    if (spec.requester !== sender) fail("BadInput", `spec.requester ${spec.requester} must be the caller ${sender}`);
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
      const taskId = (this.get<{ n: number | null }>(`SELECT MAX(task_id) AS n FROM tasks`)?.n ?? 0) + 1;
      if (key) this.run(`INSERT INTO task_keys(requester, key, input_hash, task_id, tx) VALUES(?, ?, ?, ?, ?)`, sender, key, inputHash, taskId, this.txId);
      const d = spec.deadlines;
      this.run(
        `INSERT INTO tasks(task_id, requester, kind, kind_name, spec_hash, rounds, current_round, min_members, max_members, threshold,
           d_join, d_setup, d_compute, d_aggregate, setup, verification) VALUES(?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        taskId,
        sender,
        kindKey(spec.kind),
        spec.kind,
        hash,
        spec.rounds,
        spec.members.min,
        spec.members.max,
        spec.members.threshold,
        d.join,
        d.setup,
        d.compute,
        d.aggregate,
        spec.setup ? 1 : 0,
        verification,
      );
      this.emit({ type: "TaskCreated", taskId, requester: sender, kind: kindKey(spec.kind), specHash: hash, rounds: spec.rounds });
      this.beginRound(this.task(taskId)!);
      return { taskId };
    });
    return again ?? made;
  }

  private hasVerifier(kind: string): boolean {
    return this.verifier?.kinds().includes(kind) ?? false;
  }

  private beginRound(t: TaskRow): number {
    const round = t.current_round + 1;
    const deadline = this.clock.now() + t.d_join;
    this.run(`UPDATE tasks SET current_round = ? WHERE task_id = ?`, round, t.task_id);
    this.run(`INSERT INTO rounds(task_id, round, phase, deadline, result_hash) VALUES(?, ?, ?, ?, ?)`, t.task_id, round, Phase.Join, deadline, ZeroHash);
    this.emit({ type: "RoundStarted", taskId: t.task_id, round, deadline });
    this.touched.add(`${t.task_id}:${round}`);
    return round;
  }

  startRound(sender: string, taskId: number): TxReceipt & { round: number } {
    uint(taskId, "taskId");
    return this.tx(() => {
      const t = this.task(taskId) ?? fail("UnknownTask", `task ${taskId} does not exist`);
      if (t.requester !== sender) fail("NotRequester", `only the requester ${t.requester} may start rounds of task ${taskId}`);
      const prev = this.round(taskId, t.current_round);
      if (prev && prev.phase !== Phase.Finalized && prev.phase !== Phase.Failed) fail("RoundNotFinished", `round ${prev.round} of task ${taskId} is still running`);
      if (t.current_round >= t.rounds) fail("NoRoundsLeft", `task ${taskId} has run all its ${t.rounds} rounds`);
      if (t.closed) fail("TaskAlreadyClosed", `task ${taskId} is closed`);
      return { round: this.beginRound(t) };
    });
  }

  private loadRound(taskId: number, round: number): { t: TaskRow; r: RoundRow } {
    uint(taskId, "taskId");
    uint(round, "round");
    const t = this.task(taskId) ?? fail("UnknownTask", `task ${taskId} does not exist`);
    const r = this.round(taskId, round) ?? fail("UnknownRound", `task ${taskId} has no round ${round}`);
    return { t, r };
  }

  joinRound(sender: string, taskId: number, round: number, memberKey: string): TxReceipt {
    const key = b32(memberKey, "memberKey");
    return this.tx(() => {
      const { t, r } = this.loadRound(taskId, round);
      if (r.phase !== Phase.Join) fail("WrongPhase", `round ${round} of task ${taskId} is not in Join`);
      const now = this.clock.now();
      if (now > r.deadline) fail("DeadlinePassed", `the join deadline of round ${round} of task ${taskId} has passed`);
      this.requireRole(sender, Role.Owner | Role.Worker, "join rounds (Owner or Worker)");
      if (this.get(`SELECT 1 AS x FROM members WHERE task_id = ? AND round = ? AND member = ?`, taskId, round, sender))
        fail("AlreadyJoined", `${sender} already joined round ${round} of task ${taskId}`);
      if (r.joined >= t.max_members) fail("RoundFull", `round ${round} of task ${taskId} already has ${t.max_members} members`);
      this.run(`INSERT INTO members(task_id, round, member, member_key) VALUES(?, ?, ?, ?)`, taskId, round, sender, key);
      this.run(`UPDATE rounds SET joined = joined + 1 WHERE task_id = ? AND round = ?`, taskId, round);
      this.run(`UPDATE nodes SET last_active = ? WHERE address = ?`, now, sender);
      this.emit({ type: "MemberJoined", taskId, round, member: sender, memberKey: key });
      if (r.joined + 1 === t.max_members) this.leaveJoin(t, this.round(taskId, round)!);
      return {};
    });
  }

  private setPhase(t: TaskRow, r: RoundRow, phase: number, active: number): void {
    const d = phase === Phase.Setup ? t.d_setup : phase === Phase.Compute ? t.d_compute : t.d_aggregate;
    const deadline = this.clock.now() + d;
    this.run(`UPDATE rounds SET phase = ?, deadline = ?, active = ? WHERE task_id = ? AND round = ?`, phase, deadline, active, r.task_id, r.round);
    this.emit({ type: "PhaseAdvanced", taskId: r.task_id, round: r.round, phase, deadline, active });
    this.touched.add(`${r.task_id}:${r.round}`);
  }

  private failRound(r: RoundRow, reason: string): void {
    this.run(`UPDATE rounds SET phase = ? WHERE task_id = ? AND round = ?`, Phase.Failed, r.task_id, r.round);
    this.emit({ type: "RoundFailed", taskId: r.task_id, round: r.round, phase: r.phase, reason });
    this.touched.add(`${r.task_id}:${r.round}`);
  }

  private leaveJoin(t: TaskRow, r: RoundRow): void {
    if (r.joined < t.min_members) this.failRound(r, FailReason.TooFewJoined);
    else this.setPhase(t, r, t.setup ? Phase.Setup : Phase.Compute, r.joined);
  }

  /** Leaves Setup or Compute: members who stayed silent are dropped. */
  private leaveSubmission(t: TaskRow, r: RoundRow): void {
    this.run(
      `UPDATE members SET active = 0 WHERE task_id = ? AND round = ? AND active = 1 AND member NOT IN
         (SELECT member FROM contributions WHERE task_id = ? AND round = ? AND phase = ?)`,
      r.task_id,
      r.round,
      r.task_id,
      r.round,
      r.phase,
    );
    const active = this.submittedCount(r.task_id, r.round, r.phase);
    if (active < t.threshold) {
      this.run(`UPDATE rounds SET active = ? WHERE task_id = ? AND round = ?`, active, r.task_id, r.round);
      this.failRound({ ...r, active }, FailReason.BelowThreshold);
    } else this.setPhase(t, r, r.phase === Phase.Setup ? Phase.Compute : Phase.Aggregate, active);
  }

  private doAdvance(taskId: number, round: number): object {
    const { t, r } = this.loadRound(taskId, round);
    if (!OPEN.has(r.phase)) fail("WrongPhase", `round ${round} of task ${taskId} is over`);
    if (this.clock.now() <= r.deadline) fail("DeadlineNotPassed", `the deadline of round ${round} of task ${taskId} is at ${r.deadline}`);
    if (r.phase === Phase.Join) this.leaveJoin(t, r);
    else if (r.phase === Phase.Aggregate) this.failRound(r, FailReason.AggregateTimeout);
    else this.leaveSubmission(t, r);
    return {};
  }

  advance(_sender: string, taskId: number, round: number): TxReceipt {
    return this.tx(() => this.doAdvance(taskId, round));
  }

  private checkSubmit(sender: string, taskId: number, round: number): { t: TaskRow; r: RoundRow } {
    const { t, r } = this.loadRound(taskId, round);
    if (!SUBMISSION.has(r.phase)) fail("WrongPhase", `round ${round} of task ${taskId} is not in a submission phase`);
    if (this.clock.now() > r.deadline) fail("DeadlinePassed", `the deadline of round ${round} of task ${taskId} has passed`);
    const m = this.get<{ active: number }>(`SELECT active FROM members WHERE task_id = ? AND round = ? AND member = ?`, taskId, round, sender);
    if (!m) fail("NotMember", `${sender} did not join round ${round} of task ${taskId}`);
    if (!m!.active) fail("NotMember", `${sender} was dropped from round ${round} of task ${taskId} after missing a phase`);
    if (this.get(`SELECT 1 AS x FROM contributions WHERE task_id = ? AND round = ? AND phase = ? AND member = ?`, taskId, round, r.phase, sender))
      fail("AlreadySubmitted", `${sender} already submitted in this phase`);
    return { t, r };
  }

  async submit(sender: string, taskId: number, round: number, blobHash: string, commitment: string, proof?: Groth16Proof): Promise<TxReceipt> {
    this.open();
    const blob = b32(blobHash, "blobHash");
    const comm = b32(commitment, "commitment");
    const { t, r } = this.checkSubmit(sender, taskId, round);
    if (t.verification !== Verification.None && r.phase === Phase.Compute && !honkSubmission(await this.getTaskSpec(taskId), proof)) {
      if (!this.hasVerifier(t.kind_name)) fail("NoVerifier", `no verification key is configured for kind ${t.kind_name}`);
      await this.checkProof(t, sender, round, comm, proof);
    }
    return this.tx(() => {
      const { t: t2, r: r2 } = this.checkSubmit(sender, taskId, round);
      if (r2.phase !== r.phase) fail("WrongPhase", `round ${round} of task ${taskId} moved on while the proof was checked`);
      this.run(`INSERT INTO contributions(task_id, round, phase, member, blob_hash, commitment) VALUES(?, ?, ?, ?, ?, ?)`, taskId, round, r2.phase, sender, blob, comm);
      this.run(`UPDATE nodes SET last_active = ? WHERE address = ?`, this.clock.now(), sender);
      this.emit({ type: "ContributionSubmitted", taskId, round, phase: r2.phase, member: sender, blobHash: blob, commitment: comm });
      if (r2.phase !== Phase.Aggregate && this.submittedCount(taskId, round, r2.phase) === r2.active) this.leaveSubmission(t2, r2);
      return {};
    });
  }

  /** chain-connector/src/proofcheck.ts, with this coordinator's binding (no chain: task, round, member, commitment). */
  private async checkProof(t: TaskRow, member: string, round: number, comm: string, proof?: Groth16Proof): Promise<void> {
    await checkContributionProof({
      kind: t.kind_name,
      taskId: t.task_id,
      member,
      commitment: comm,
      binding: roundBinding({ taskId: t.task_id, round, member, commitment: comm }),
      proof,
      hasRoot: (m, root) => this.hasRoot(m, root),
      verifier: this.verifier!,
    });
  }

  finalizeRound(sender: string, taskId: number, round: number, resultHash: string): TxReceipt {
    const result = b32(resultHash, "resultHash");
    return this.tx(() => {
      const { t, r } = this.loadRound(taskId, round);
      if (t.requester !== sender) fail("NotRequester", `only the requester ${t.requester} may finalize task ${taskId}`);
      if (r.phase !== Phase.Aggregate) fail("WrongPhase", `round ${round} of task ${taskId} is not in Aggregate`);
      if (this.clock.now() > r.deadline) fail("DeadlinePassed", `the aggregate deadline of round ${round} of task ${taskId} has passed`);
      this.run(`UPDATE rounds SET phase = ?, result_hash = ? WHERE task_id = ? AND round = ?`, Phase.Finalized, result, taskId, round);
      this.emit({ type: "RoundFinalized", taskId, round, resultHash: result });
      this.touched.add(`${taskId}:${round}`);
      if (round === t.rounds) {
        this.run(`UPDATE tasks SET closed = 1 WHERE task_id = ?`, taskId);
        this.emit({ type: "TaskClosed", taskId, reason: "last-round" });
      }
      return {};
    });
  }

  closeTask(sender: string, taskId: number, reason: string): TxReceipt {
    uint(taskId, "taskId");
    if (typeof reason !== "string" || Buffer.byteLength(reason) < 1 || Buffer.byteLength(reason) > 200) fail("BadInput", "reason must be 1 to 200 bytes");
    return this.tx(() => {
      const t = this.task(taskId) ?? fail("UnknownTask", `task ${taskId} does not exist`);
      if (t.requester !== sender) fail("NotRequester", `only the requester ${t.requester} may close task ${taskId}`);
      if (t.closed) fail("TaskAlreadyClosed", `task ${taskId} is closed`);
      const cur = this.round(taskId, t.current_round);
      if (cur && cur.phase !== Phase.Finalized && cur.phase !== Phase.Failed) fail("RoundNotFinished", `round ${cur.round} of task ${taskId} is still running`);
      this.run(`UPDATE tasks SET closed = 1 WHERE task_id = ?`, taskId);
      this.emit({ type: "TaskClosed", taskId, reason });
      return {};
    });
  }

  report(sender: string, taskId: number, round: number, status: MemberReportStatus, reason: string): TxReceipt {
    checkReport(status, reason);
    return this.tx(() => {
      this.loadRound(taskId, round);
      this.requireRole(sender, Role.Owner | Role.Worker, "report on rounds (Owner or Worker)");
      if (status === "failed" && !this.get(`SELECT 1 AS x FROM members WHERE task_id = ? AND round = ? AND member = ?`, taskId, round, sender))
        fail("NotMember", `${sender} did not join round ${round} of task ${taskId}: only a member reports a failure (a non-member reports "declined")`);
      if (this.get(`SELECT 1 AS x FROM reports WHERE task_id = ? AND round = ? AND member = ?`, taskId, round, sender))
        fail("AlreadySubmitted", `${sender} already reported on round ${round} of task ${taskId}`);
      this.run(`INSERT INTO reports(task_id, round, member) VALUES(?, ?, ?)`, taskId, round, sender);
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
      const rows = this.all<{ seq: number; time: number; tx: string; body: string }>(`SELECT seq, time, tx, body FROM events WHERE seq > ? ORDER BY seq LIMIT 500`, after);
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
  async putBlob(bytes: Uint8Array): Promise<string> {
    return this.network.blobs.put(bytes);
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
