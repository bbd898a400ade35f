import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { ContributionRecord, DatasetRecord, NodeInfo } from "../connector.js";
import type { BlobRef } from "../http/authz.js";
import type { RoundState, TaskState } from "./machine.js";
import { SCHEMA, SCHEMA_VERSION } from "./schema.js";

/** A registered node as stored; whether it counts as active is the network's call (clock, liveness). */
export interface StoredNode extends NodeInfo {
  address: string;
  registeredAt: number;
  lastActive: number;
  lastHeartbeat: number;
}

/** A task as stored: the rules the state machine reads, plus what only the network needs. */
export interface StoredTask extends TaskState {
  /** kindKey(spec.kind) */
  kind: string;
  /** spec.kind */
  kindName: string;
  specHash: string;
  verification: number;
}

export interface StoredEvent {
  seq: number;
  time: number;
  tx: string;
  body: string;
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

const taskOf = (t: TaskRow): StoredTask => ({
  taskId: t.task_id,
  requester: t.requester,
  kind: t.kind,
  kindName: t.kind_name,
  specHash: t.spec_hash,
  rounds: t.rounds,
  currentRound: t.current_round,
  closed: t.closed !== 0,
  minMembers: t.min_members,
  maxMembers: t.max_members,
  threshold: t.threshold,
  deadlines: { join: t.d_join, setup: t.d_setup, compute: t.d_compute, aggregate: t.d_aggregate },
  setup: t.setup !== 0,
  verification: t.verification,
});

const roundOf = (r: RoundRow): RoundState & { resultHash: string } => ({
  taskId: r.task_id,
  round: r.round,
  phase: r.phase,
  deadline: r.deadline,
  joined: r.joined,
  active: r.active,
  resultHash: r.result_hash,
});

const nodeOf = (n: NodeRow): StoredNode => ({
  address: n.address,
  endpoint: n.endpoint,
  x25519: n.x25519,
  roles: n.roles,
  capacity: n.capacity,
  registeredAt: n.registered_at,
  lastActive: n.last_active,
  lastHeartbeat: n.last_heartbeat,
});

/**
 * The coordinator's SQLite file: its statements and the mapping of rows to records, nothing
 * else. What may change and when is the state machine's (machine.ts); transactions, events and
 * timers are the network's (network.ts).
 */
export class CoordinatorStore {
  private readonly db: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();

  constructor(path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new DatabaseSync(path);
    this.db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
    this.db.exec(SCHEMA);
    const v = this.meta("schema");
    if (v === undefined) this.setMeta("schema", String(SCHEMA_VERSION));
    else if (Number(v) !== SCHEMA_VERSION) throw new Error(`CoordinatorNetwork: ${path} has schema ${v}, this build reads ${SCHEMA_VERSION}; use a new file`);
  }

  close(): void {
    this.db.close();
  }

  /** Prepared once per SQL text: every statement here is a literal, so the cache stays small. */
  private statement(sql: string): StatementSync {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  private get<T>(sql: string, ...args: SQLInputValue[]): T | undefined {
    return this.statement(sql).get(...args) as T | undefined;
  }

  private all<T>(sql: string, ...args: SQLInputValue[]): T[] {
    return this.statement(sql).all(...args) as T[];
  }

  private run(sql: string, ...args: SQLInputValue[]): void {
    this.statement(sql).run(...args);
  }

  // ---------------------------------------------------------------- transactions

  begin(): void {
    this.db.exec("BEGIN IMMEDIATE");
  }

  commit(): void {
    this.db.exec("COMMIT");
  }

  rollback(): void {
    this.db.exec("ROLLBACK");
  }

  private meta(key: string): string | undefined {
    return this.get<{ value: string }>(`SELECT value FROM meta WHERE key = ?`, key)?.value;
  }

  private setMeta(key: string, value: string): void {
    this.run(`INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value);
  }

  /** Counts one more transaction (inside it) and returns its id, the coordinator's "tx hash". */
  nextTxId(): string {
    const n = Number(this.meta("txcount") ?? "0") + 1;
    this.setMeta("txcount", String(n));
    return "0x" + n.toString(16).padStart(64, "0");
  }

  // ---------------------------------------------------------------- events

  appendEvent(time: number, tx: string, body: string): void {
    this.run(`INSERT INTO events(time, tx, body) VALUES(?, ?, ?)`, time, tx, body);
  }

  eventsAfter(seq: number, limit: number): StoredEvent[] {
    return this.all<StoredEvent>(`SELECT seq, time, tx, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?`, seq, limit);
  }

  // ---------------------------------------------------------------- verifiers

  verifier(kind: string): string | undefined {
    return this.get<{ verifier: string }>(`SELECT verifier FROM verifiers WHERE kind = ?`, kind)?.verifier;
  }

  setVerifier(kind: string, verifier: string): void {
    this.run(`INSERT INTO verifiers(kind, verifier) VALUES(?, ?) ON CONFLICT(kind) DO UPDATE SET verifier = excluded.verifier`, kind, verifier);
  }

  // ---------------------------------------------------------------- nodes

  node(address: string): StoredNode | undefined {
    const n = this.get<NodeRow>(`SELECT * FROM nodes WHERE address = ?`, address);
    return n && nodeOf(n);
  }

  nodes(offset: number, limit: number): StoredNode[] {
    return this.all<NodeRow>(`SELECT * FROM nodes ORDER BY rowid LIMIT ? OFFSET ?`, limit, offset).map(nodeOf);
  }

  insertNode(address: string, i: NodeInfo, now: number): void {
    this.run(`INSERT INTO nodes(address, endpoint, x25519, roles, capacity, registered_at) VALUES(?, ?, ?, ?, ?, ?)`, address, i.endpoint, i.x25519, i.roles, i.capacity, now);
  }

  updateNode(address: string, i: NodeInfo): void {
    this.run(`UPDATE nodes SET endpoint = ?, x25519 = ?, roles = ?, capacity = ? WHERE address = ?`, i.endpoint, i.x25519, i.roles, i.capacity, address);
  }

  deleteNode(address: string): void {
    this.run(`DELETE FROM nodes WHERE address = ?`, address);
  }

  setHeartbeat(address: string, now: number): void {
    this.run(`UPDATE nodes SET last_heartbeat = ? WHERE address = ?`, now, address);
  }

  setLastActive(address: string, now: number): void {
    this.run(`UPDATE nodes SET last_active = ? WHERE address = ?`, now, address);
  }

  // ---------------------------------------------------------------- datasets

  dataset(owner: string, datasetId: string, version?: number): DatasetRecord | undefined {
    const row =
      version === undefined
        ? this.get<Record<string, unknown>>(`SELECT * FROM datasets WHERE owner = ? AND dataset_id = ? ORDER BY version DESC LIMIT 1`, owner, datasetId)
        : this.get<Record<string, unknown>>(`SELECT * FROM datasets WHERE owner = ? AND dataset_id = ? AND version = ?`, owner, datasetId, version);
    if (!row) return undefined;
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

  latestDatasetVersion(owner: string, datasetId: string): number {
    return this.get<{ v: number | null }>(`SELECT MAX(version) AS v FROM datasets WHERE owner = ? AND dataset_id = ?`, owner, datasetId)?.v ?? 0;
  }

  insertDataset(d: DatasetRecord): void {
    this.run(
      `INSERT INTO datasets(owner, dataset_id, version, root, rows, columns, schema_hash, committed_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?)`,
      d.owner,
      d.datasetId,
      d.version,
      d.root,
      d.rows,
      d.columns,
      d.schemaHash,
      d.committedAt,
    );
  }

  hasRoot(owner: string, root: string): boolean {
    return this.get(`SELECT 1 AS x FROM datasets WHERE owner = ? AND root = ?`, owner, root.toLowerCase()) !== undefined;
  }

  // ---------------------------------------------------------------- tasks

  task(taskId: number): StoredTask | undefined {
    const t = this.get<TaskRow>(`SELECT * FROM tasks WHERE task_id = ?`, taskId);
    return t && taskOf(t);
  }

  lastTaskId(): number {
    return this.get<{ n: number | null }>(`SELECT MAX(task_id) AS n FROM tasks`)?.n ?? 0;
  }

  insertTask(t: StoredTask): void {
    const d = t.deadlines;
    this.run(
      `INSERT INTO tasks(task_id, requester, kind, kind_name, spec_hash, rounds, current_round, min_members, max_members, threshold,
         d_join, d_setup, d_compute, d_aggregate, setup, verification) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      t.taskId,
      t.requester,
      t.kind,
      t.kindName,
      t.specHash,
      t.rounds,
      t.currentRound,
      t.minMembers,
      t.maxMembers,
      t.threshold,
      d.join,
      d.setup,
      d.compute,
      d.aggregate,
      t.setup ? 1 : 0,
      t.verification,
    );
  }

  setCurrentRound(taskId: number, round: number): void {
    this.run(`UPDATE tasks SET current_round = ? WHERE task_id = ?`, round, taskId);
  }

  closeTask(taskId: number): void {
    this.run(`UPDATE tasks SET closed = 1 WHERE task_id = ?`, taskId);
  }

  /** The task an idempotency key made, if any. */
  taskKey(requester: string, key: string): { inputHash: string; taskId: number; tx: string } | undefined {
    const r = this.get<{ input_hash: string; task_id: number; tx: string }>(`SELECT input_hash, task_id, tx FROM task_keys WHERE requester = ? AND key = ?`, requester, key);
    return r && { inputHash: r.input_hash, taskId: r.task_id, tx: r.tx };
  }

  insertTaskKey(requester: string, key: string, inputHash: string, taskId: number, tx: string): void {
    this.run(`INSERT INTO task_keys(requester, key, input_hash, task_id, tx) VALUES(?, ?, ?, ?, ?)`, requester, key, inputHash, taskId, tx);
  }

  // ---------------------------------------------------------------- rounds

  round(taskId: number, round: number): (RoundState & { resultHash: string }) | undefined {
    const r = this.get<RoundRow>(`SELECT * FROM rounds WHERE task_id = ? AND round = ?`, taskId, round);
    return r && roundOf(r);
  }

  /** Rounds whose phase has a deadline to watch (Join to Aggregate). */
  openRounds(): RoundState[] {
    return this.all<RoundRow>(`SELECT * FROM rounds WHERE phase IN (1,2,3,4)`).map(roundOf);
  }

  insertRound(taskId: number, round: number, phase: number, deadline: number, resultHash: string): void {
    this.run(`INSERT INTO rounds(task_id, round, phase, deadline, result_hash) VALUES(?, ?, ?, ?, ?)`, taskId, round, phase, deadline, resultHash);
  }

  setPhase(taskId: number, round: number, phase: number, deadline: number, active: number): void {
    this.run(`UPDATE rounds SET phase = ?, deadline = ?, active = ? WHERE task_id = ? AND round = ?`, phase, deadline, active, taskId, round);
  }

  setPhaseOnly(taskId: number, round: number, phase: number): void {
    this.run(`UPDATE rounds SET phase = ? WHERE task_id = ? AND round = ?`, phase, taskId, round);
  }

  setActive(taskId: number, round: number, active: number): void {
    this.run(`UPDATE rounds SET active = ? WHERE task_id = ? AND round = ?`, active, taskId, round);
  }

  setResult(taskId: number, round: number, phase: number, resultHash: string): void {
    this.run(`UPDATE rounds SET phase = ?, result_hash = ? WHERE task_id = ? AND round = ?`, phase, resultHash, taskId, round);
  }

  // ---------------------------------------------------------------- members

  members(taskId: number, round: number): string[] {
    return this.all<{ member: string }>(`SELECT member FROM members WHERE task_id = ? AND round = ? ORDER BY rowid`, taskId, round).map((m) => m.member);
  }

  /** A member's seat in a round, or undefined when it never joined. */
  member(taskId: number, round: number, member: string): { active: boolean } | undefined {
    const m = this.get<{ active: number }>(`SELECT active FROM members WHERE task_id = ? AND round = ? AND member = ?`, taskId, round, member);
    return m && { active: m.active !== 0 };
  }

  /** Fixes the task's member list (TaskManager.restrictMembers). */
  insertAllowed(taskId: number, members: readonly string[]): void {
    for (const m of members) this.run(`INSERT OR IGNORE INTO allowed_members(task_id, member) VALUES(?, ?)`, taskId, m.toLowerCase());
  }

  /** Whether the task's member list (if it has one) names `member`. */
  allowed(taskId: number, member: string): boolean {
    const r = this.get<{ listed: number; named: number }>(
      `SELECT COUNT(*) AS listed, COALESCE(SUM(member = ?), 0) AS named FROM allowed_members WHERE task_id = ?`,
      member.toLowerCase(),
      taskId,
    );
    return !r || r.listed === 0 || r.named > 0;
  }

  /** Seats a member and counts it in the round's joined. */
  insertMember(taskId: number, round: number, member: string, memberKey: string): void {
    this.run(`INSERT INTO members(task_id, round, member, member_key) VALUES(?, ?, ?, ?)`, taskId, round, member, memberKey);
    this.run(`UPDATE rounds SET joined = joined + 1 WHERE task_id = ? AND round = ?`, taskId, round);
  }

  /** Marks the active members who did not submit in `phase` as dropped. */
  dropSilent(taskId: number, round: number, phase: number): void {
    this.run(
      `UPDATE members SET active = 0 WHERE task_id = ? AND round = ? AND active = 1 AND member NOT IN
         (SELECT member FROM contributions WHERE task_id = ? AND round = ? AND phase = ?)`,
      taskId,
      round,
      taskId,
      round,
      phase,
    );
  }

  // ---------------------------------------------------------------- contributions and reports

  contributions(taskId: number, round: number, phase: number): ContributionRecord[] {
    return this.all<Record<string, unknown>>(`SELECT * FROM contributions WHERE task_id = ? AND round = ? AND phase = ? ORDER BY rowid`, taskId, round, phase).map((c) => ({
      taskId: c.task_id as number,
      round: c.round as number,
      phase: c.phase as number,
      member: c.member as string,
      blobHash: c.blob_hash as string,
      commitment: c.commitment as string,
    }));
  }

  submittedCount(taskId: number, round: number, phase: number): number {
    return this.get<{ n: number }>(`SELECT COUNT(*) AS n FROM contributions WHERE task_id = ? AND round = ? AND phase = ?`, taskId, round, phase)!.n;
  }

  hasSubmitted(taskId: number, round: number, phase: number, member: string): boolean {
    return this.get(`SELECT 1 AS x FROM contributions WHERE task_id = ? AND round = ? AND phase = ? AND member = ?`, taskId, round, phase, member) !== undefined;
  }

  insertContribution(c: ContributionRecord): void {
    this.run(
      `INSERT INTO contributions(task_id, round, phase, member, blob_hash, commitment) VALUES(?, ?, ?, ?, ?, ?)`,
      c.taskId,
      c.round,
      c.phase,
      c.member,
      c.blobHash,
      c.commitment,
    );
  }

  hasReported(taskId: number, round: number, member: string): boolean {
    return this.get(`SELECT 1 AS x FROM reports WHERE task_id = ? AND round = ? AND member = ?`, taskId, round, member) !== undefined;
  }

  insertReport(taskId: number, round: number, member: string): void {
    this.run(`INSERT INTO reports(task_id, round, member) VALUES(?, ?, ?)`, taskId, round, member);
  }

  isExcluded(taskId: number, round: number, member: string): boolean {
    return this.get(`SELECT 1 AS x FROM exclusions WHERE task_id = ? AND round = ? AND member = ?`, taskId, round, member) !== undefined;
  }

  insertExclusion(taskId: number, round: number, member: string): void {
    this.run(`INSERT INTO exclusions(task_id, round, member) VALUES(?, ?, ?)`, taskId, round, member);
  }

  /** Every place a blob is published: a task's spec, a contribution, a round's result. */
  blobRefs(hash: string): BlobRef[] {
    const out: BlobRef[] = [];
    for (const t of this.all<{ task_id: number }>(`SELECT task_id FROM tasks WHERE spec_hash = ?`, hash)) out.push({ type: "spec", taskId: t.task_id });
    for (const c of this.all<{ task_id: number; round: number; phase: number; member: string }>(
      `SELECT task_id, round, phase, member FROM contributions WHERE blob_hash = ?`,
      hash,
    ))
      out.push({ type: "contribution", taskId: c.task_id, round: c.round, phase: c.phase, member: c.member });
    for (const r of this.all<{ task_id: number; round: number }>(`SELECT task_id, round FROM rounds WHERE result_hash = ?`, hash))
      out.push({ type: "result", taskId: r.task_id, round: r.round });
    return out;
  }
}
