import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { chmodSync, existsSync } from "node:fs";
import { dirname } from "node:path";
import { secureDir, secureFile, Vault } from "../secrets/vault.js";
import { MIGRATIONS } from "./migrations.js";
import { chainEntry, type AuditAnchor, type AuditBody, type AuditEntry } from "../audit/log.js";
import type { DatasetPolicy } from "../runtime/dataset-policy.js";
import type { SubmissionName } from "../../../protocol/src/phases.js";
import type { TaskSpec } from "../../../protocol/src/taskspec.js";

export interface DatasetRow {
  name: string;
  /** The version the chain assigned (DataRegistry), the one task specs reference. */
  version: number;
  path: string;
  format: "csv" | "npy" | "jsonl";
  schema: { columns: string[]; idColumn?: string; schemaHash: string };
  rows: number;
  columns: number;
  root: string;
  /** File (relative to the data directory) holding the secret seed of the row salts. */
  saltSeedRef: string;
  fileHash: string;
  committed: boolean;
  txHash: string;
  createdAt: number;
}

/** pending: every check passed, and a dataset's policy waits for the owner's approval (the inbox). */
export type TaskDecision = "accept" | "decline" | "pending";

export type InboxStatus = "pending" | "allowed" | "denied" | "expired";

/** A task waiting for (or decided by) the owner's approval. */
export interface InboxRow {
  taskId: number;
  status: InboxStatus;
  /** The datasets (name@version) whose policy asks for approval. */
  datasets: string[];
  /** The owner's reason (deny), or why the task left the inbox. */
  reason: string;
  decidedBy?: string;
  /** The TaskCreated event the decision entries of the audit trail are anchored to. */
  anchor: AuditAnchor;
  /** The RoundStarted of round 1, once seen: an approval joins under it. */
  joinAnchor?: AuditAnchor;
  createdAt: number;
  decidedAt?: number;
}

export interface TaskRow {
  taskId: number;
  requester: string;
  kind: string;
  /** The parsed spec; null when the node could not read it (the task is declined). */
  spec: TaskSpec | null;
  specHash: string;
  /** This node created the task (it is the requester). */
  mine: boolean;
  /** Whether this node takes part as a member, and why not. */
  decision: TaskDecision;
  reason: string;
  /** Datasets (name@version) this node computes on. */
  datasets: string[];
  createdAt: number;
}

export type Side = "member" | "requester";

/** A member's progress in a round: new → joined → setup-submitted → submitted → revealed → done; or missed (dropped) or failed. */
export type MemberRoundStatus = "new" | "joined" | "setup-submitted" | "submitted" | "revealed" | "missed" | "failed" | "done";
/** The requester's side of a round: open until it finalizes (or fails); done once the next round is started or the task closed. */
export type RequesterRoundStatus = "open" | "finalized" | "failed" | "done";
export type RoundStatus = MemberRoundStatus | RequesterRoundStatus;

/** A member's submission in one phase as this node keeps it (blob hash, commitment, whether the connector took it). */
export interface StoredSubmission {
  blobHash: string;
  commitment: string;
  /** Groth16 proof sent with it, if any. */
  proof?: unknown;
  /** False while prepared but not yet accepted by the connector (a restart re-sends the same bytes). */
  sent?: boolean;
}

export interface RoundState {
  taskId: number;
  round: number;
  side: Side;
  /** Last phase this node saw for the round. */
  phase: number;
  /** MemberRoundStatus on the member side, RequesterRoundStatus on the requester's. */
  status: RoundStatus;
  /** Members still active when the round entered its current phase. */
  active: number;
  /** What this node submitted, by submission name. */
  submissions: Partial<Record<SubmissionName, StoredSubmission>>;
  resultHash?: string;
  error?: string;
  /** What the task kind's handler keeps between phases and rounds (JSON). */
  kindState?: unknown;
  updatedAt: number;
}

export interface ResultRow {
  taskId: number;
  round: number;
  kind: string;
  /** keccak256 of the result bytes (kept in the node's own blob store). */
  resultHash: string;
  /** Hash finalized on-chain: the public round record that commits to the result. */
  recordHash: string;
  result: unknown;
  contributors: string[];
  /** Public parameters of the next round (published in the round record), if any. */
  next?: unknown;
  /** The kind ended the task early (converged): no further round is started. */
  done: boolean;
  createdAt: number;
}

export interface MemberKey {
  member: string;
  memberKey: string;
}

const now = () => Math.floor(Date.now() / 1000);
const roundLabel = (taskId: number, round: number, side: string) => `rounds.kind_state:${taskId}:${round}:${side}`;
const resultLabel = (taskId: number, round: number) => `results.result:${taskId}:${round}`;

/**
 * The node's own state in one SQLite file: datasets it registered, the event cursor, its view of
 * every round it takes part in, and results. Multi-row changes go through tx(), so a crash never
 * leaves a half-written change.
 *
 * Secret columns (a round's kind state, results, the `secrets` table) are sealed by the vault
 * with the row's identity as associated data; the file, its -wal and -shm are mode 0600 in a
 * 0700 folder, and secure_delete zeroes freed pages.
 */
export class NodeStore {
  readonly db: DatabaseSync;
  private depth = 0;
  readonly vault: Vault;

  /** Without a vault (in-memory stores, tests) secrets are sealed under a key that dies with the process. */
  constructor(
    readonly file: string,
    vault?: Vault,
  ) {
    this.vault = vault ?? Vault.ephemeral();
    if (file !== ":memory:") {
      secureDir(dirname(file));
      // SQLite gives its -wal and -shm files the database file's mode.
      secureFile(file);
    }
    this.db = new DatabaseSync(file);
    this.db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA secure_delete = ON;");
    this.migrate();
    this.sealLegacy();
    this.secureFiles();
  }

  /** Sets 0600 on the database's -wal and -shm files (SQLite makes them with the main file's mode; this holds whatever made them). */
  secureFiles(): void {
    if (this.file === ":memory:") return;
    for (const f of [this.file, `${this.file}-wal`, `${this.file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
  }

  /** Seals what an older build stored in plain (once), then rewrites the WAL so no plain copy stays. */
  private sealLegacy(): void {
    if (this.meta("sealed") === "1") return;
    this.tx(() => {
      for (const r of this.all<{ task_id: number; round: number; side: string; kind_state: string }>(
        `SELECT task_id, round, side, kind_state FROM rounds WHERE kind_state IS NOT NULL`,
      ))
        if (!Vault.isSealedText(r.kind_state))
          this.run(
            `UPDATE rounds SET kind_state = ? WHERE task_id = ? AND round = ? AND side = ?`,
            this.vault.sealText(r.kind_state, roundLabel(r.task_id, r.round, r.side)),
            r.task_id,
            r.round,
            r.side,
          );
      for (const r of this.all<{ task_id: number; round: number; result: string }>(`SELECT task_id, round, result FROM results`))
        if (!Vault.isSealedText(r.result))
          this.run(`UPDATE results SET result = ? WHERE task_id = ? AND round = ?`, this.vault.sealText(r.result, resultLabel(r.task_id, r.round)), r.task_id, r.round);
      for (const r of this.all<{ key: string; value: string }>(`SELECT key, value FROM meta WHERE key LIKE 'requester-seed:%'`)) {
        this.putSecret(r.key, r.value);
        this.run(`DELETE FROM meta WHERE key = ?`, r.key);
      }
      this.setMeta("sealed", "1");
    });
    if (this.file !== ":memory:") this.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  /** Schema version after migrations. */
  schemaVersion(): number {
    return Number(this.meta("schema") ?? "0");
  }

  private migrate(): void {
    this.db.exec(`CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    const have = this.schemaVersion();
    if (have > MIGRATIONS.length) throw new Error(`node store: the database has schema ${have}, this build knows ${MIGRATIONS.length}; run a newer build or use a new dataDir`);
    for (let v = have; v < MIGRATIONS.length; v++)
      this.tx(() => {
        this.db.exec(MIGRATIONS[v]);
        this.setMeta("schema", String(v + 1));
      });
  }

  /** Runs fn in one transaction (nested calls join the outer one). */
  tx<T>(fn: () => T): T {
    if (this.depth > 0) return fn();
    this.db.exec("BEGIN IMMEDIATE");
    this.depth++;
    try {
      const r = fn();
      this.db.exec("COMMIT");
      return r;
    } catch (e) {
      this.db.exec("ROLLBACK");
      throw e;
    } finally {
      this.depth--;
    }
  }

  private readonly statements = new Map<string, StatementSync>();

  /** Prepared once per SQL text: the runtime writes after every event, and the texts here are literals (a few variants at most). */
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

  meta(key: string): string | undefined {
    return this.get<{ value: string }>(`SELECT value FROM meta WHERE key = ?`, key)?.value;
  }
  setMeta(key: string, value: string): void {
    this.run(`INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value);
  }

  // ------------------------------------------------------------------ event cursor

  cursor(): string | undefined {
    return this.meta("cursor");
  }
  setCursor(cursor: string): void {
    this.setMeta("cursor", cursor);
  }

  // ------------------------------------------------------------------ datasets

  insertDataset(d: DatasetRow): void {
    this.run(
      `INSERT INTO datasets(name, version, path, format, schema, rows, columns, root, salt_seed_ref, file_hash, committed, tx_hash, created_at)
       VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      d.name,
      d.version,
      d.path,
      d.format,
      JSON.stringify(d.schema),
      d.rows,
      d.columns,
      d.root,
      d.saltSeedRef,
      d.fileHash,
      d.committed ? 1 : 0,
      d.txHash,
      d.createdAt,
    );
  }

  private datasetRow(r: Record<string, unknown>): DatasetRow {
    return {
      name: r.name as string,
      version: r.version as number,
      path: r.path as string,
      format: r.format as DatasetRow["format"],
      schema: JSON.parse(r.schema as string) as DatasetRow["schema"],
      rows: r.rows as number,
      columns: r.columns as number,
      root: r.root as string,
      saltSeedRef: r.salt_seed_ref as string,
      fileHash: r.file_hash as string,
      committed: r.committed === 1,
      txHash: r.tx_hash as string,
      createdAt: r.created_at as number,
    };
  }

  /** Every version of every dataset, newest version first within a name. */
  listDatasets(): DatasetRow[] {
    return this.all<Record<string, unknown>>(`SELECT * FROM datasets ORDER BY name, version DESC`).map((r) => this.datasetRow(r));
  }

  /** A given version, or the newest committed one. */
  getDataset(name: string, version?: number): DatasetRow | undefined {
    const r =
      version === undefined
        ? this.get<Record<string, unknown>>(`SELECT * FROM datasets WHERE name = ? AND committed = 1 ORDER BY version DESC LIMIT 1`, name)
        : this.get<Record<string, unknown>>(`SELECT * FROM datasets WHERE name = ? AND version = ?`, name, version);
    return r ? this.datasetRow(r) : undefined;
  }

  // ------------------------------------------------------------------ dataset policies

  /** Sets (replaces) a dataset's policy; it holds for every version of the dataset. */
  setDatasetPolicy(name: string, policy: DatasetPolicy): void {
    this.run(
      `INSERT INTO dataset_policies(name, policy, updated_at) VALUES(?, ?, ?) ON CONFLICT(name) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at`,
      name,
      JSON.stringify(policy),
      now(),
    );
  }

  datasetPolicy(name: string): { policy: DatasetPolicy; updatedAt: number } | undefined {
    const r = this.get<{ policy: string; updated_at: number }>(`SELECT policy, updated_at FROM dataset_policies WHERE name = ?`, name);
    return r && { policy: JSON.parse(r.policy) as DatasetPolicy, updatedAt: r.updated_at };
  }

  // ------------------------------------------------------------------ approval inbox

  putInbox(i: InboxRow): void {
    this.run(
      `INSERT INTO inbox(task_id, status, datasets, reason, decided_by, anchor, join_anchor, created_at, decided_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(task_id) DO UPDATE SET status = excluded.status, reason = excluded.reason, decided_by = excluded.decided_by,
         join_anchor = excluded.join_anchor, decided_at = excluded.decided_at`,
      i.taskId,
      i.status,
      JSON.stringify(i.datasets),
      i.reason,
      i.decidedBy ?? null,
      JSON.stringify(i.anchor),
      i.joinAnchor === undefined ? null : JSON.stringify(i.joinAnchor),
      i.createdAt,
      i.decidedAt ?? null,
    );
  }

  private inboxRow(r: Record<string, unknown>): InboxRow {
    return {
      taskId: r.task_id as number,
      status: r.status as InboxStatus,
      datasets: JSON.parse(r.datasets as string) as string[],
      reason: r.reason as string,
      ...(r.decided_by === null ? {} : { decidedBy: r.decided_by as string }),
      anchor: JSON.parse(r.anchor as string) as AuditAnchor,
      ...(r.join_anchor === null ? {} : { joinAnchor: JSON.parse(r.join_anchor as string) as AuditAnchor }),
      createdAt: r.created_at as number,
      ...(r.decided_at === null ? {} : { decidedAt: r.decided_at as number }),
    };
  }

  getInbox(taskId: number): InboxRow | undefined {
    const r = this.get<Record<string, unknown>>(`SELECT * FROM inbox WHERE task_id = ?`, taskId);
    return r ? this.inboxRow(r) : undefined;
  }

  /** Newest first; only pending ones unless `all`. */
  listInbox(all = false, limit = 100): InboxRow[] {
    return this.all<Record<string, unknown>>(`SELECT * FROM inbox ${all ? "" : "WHERE status = 'pending'"} ORDER BY task_id DESC LIMIT ?`, limit).map((r) => this.inboxRow(r));
  }

  // ------------------------------------------------------------------ tasks

  putTask(t: TaskRow): void {
    this.run(
      `INSERT INTO tasks(task_id, requester, kind, spec, spec_hash, mine, decision, reason, datasets, created_at)
       VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(task_id) DO UPDATE SET decision = excluded.decision, reason = excluded.reason, datasets = excluded.datasets`,
      t.taskId,
      t.requester,
      t.kind,
      JSON.stringify(t.spec),
      t.specHash,
      t.mine ? 1 : 0,
      t.decision,
      t.reason,
      JSON.stringify(t.datasets),
      t.createdAt,
    );
  }

  /**
   * Parsed specs by task: the runtime reads its task row at every event, and a spec naming many
   * datasets costs more to parse than the rest of the event. A spec is written once (putTask never
   * updates it), and the text is compared before the parsed object is reused. Callers only read it.
   */
  private readonly specs = new Map<number, { text: string; spec: TaskSpec | null }>();

  private parsedSpec(taskId: number, text: string): TaskSpec | null {
    const hit = this.specs.get(taskId);
    if (hit && hit.text === text) return hit.spec;
    const spec = JSON.parse(text) as TaskSpec | null;
    this.specs.set(taskId, { text, spec });
    if (this.specs.size > 1024) this.specs.delete(this.specs.keys().next().value!);
    return spec;
  }

  private taskRow(r: Record<string, unknown>): TaskRow {
    return {
      taskId: r.task_id as number,
      requester: r.requester as string,
      kind: r.kind as string,
      spec: this.parsedSpec(r.task_id as number, r.spec as string),
      specHash: r.spec_hash as string,
      mine: r.mine === 1,
      decision: r.decision as TaskDecision,
      reason: r.reason as string,
      datasets: JSON.parse(r.datasets as string) as string[],
      createdAt: r.created_at as number,
    };
  }

  getTask(taskId: number): TaskRow | undefined {
    const r = this.get<Record<string, unknown>>(`SELECT * FROM tasks WHERE task_id = ?`, taskId);
    return r ? this.taskRow(r) : undefined;
  }

  listTasks(limit = 100, offset = 0): TaskRow[] {
    return this.all<Record<string, unknown>>(`SELECT * FROM tasks ORDER BY task_id DESC LIMIT ? OFFSET ?`, limit, offset).map((r) => this.taskRow(r));
  }

  // ------------------------------------------------------------------ rounds

  putRound(s: Omit<RoundState, "updatedAt">): RoundState {
    const full = { ...s, updatedAt: now() };
    this.run(
      `INSERT INTO rounds(task_id, round, side, phase, status, active, submissions, result_hash, error, kind_state, updated_at)
       VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(task_id, round, side) DO UPDATE SET phase = excluded.phase, status = excluded.status, active = excluded.active,
         submissions = excluded.submissions, result_hash = excluded.result_hash, error = excluded.error,
         kind_state = excluded.kind_state, updated_at = excluded.updated_at`,
      full.taskId,
      full.round,
      full.side,
      full.phase,
      full.status,
      full.active,
      JSON.stringify(full.submissions),
      full.resultHash ?? null,
      full.error ?? null,
      full.kindState === undefined ? null : this.vault.sealText(JSON.stringify(full.kindState), roundLabel(full.taskId, full.round, full.side)),
      full.updatedAt,
    );
    return full;
  }

  private roundRow(r: Record<string, unknown>): RoundState {
    return {
      taskId: r.task_id as number,
      round: r.round as number,
      side: r.side as Side,
      phase: r.phase as number,
      status: r.status as RoundStatus,
      active: r.active as number,
      submissions: JSON.parse(r.submissions as string) as RoundState["submissions"],
      resultHash: (r.result_hash as string | null) ?? undefined,
      error: (r.error as string | null) ?? undefined,
      kindState:
        r.kind_state === null || r.kind_state === undefined
          ? undefined
          : JSON.parse(this.vault.openText(r.kind_state as string, roundLabel(r.task_id as number, r.round as number, r.side as string))),
      updatedAt: r.updated_at as number,
    };
  }

  getRound(taskId: number, round: number, side: Side): RoundState | undefined {
    const r = this.get<Record<string, unknown>>(`SELECT * FROM rounds WHERE task_id = ? AND round = ? AND side = ?`, taskId, round, side);
    return r ? this.roundRow(r) : undefined;
  }

  listRounds(taskId: number): RoundState[] {
    return this.all<Record<string, unknown>>(`SELECT * FROM rounds WHERE task_id = ? ORDER BY round, side`, taskId).map((r) => this.roundRow(r));
  }

  // ------------------------------------------------------------------ results

  putResult(r: ResultRow): void {
    this.run(
      `INSERT INTO results(task_id, round, kind, result_hash, record_hash, result, contributors, next, done, created_at)
       VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(task_id, round) DO UPDATE SET result_hash = excluded.result_hash, record_hash = excluded.record_hash,
         result = excluded.result, contributors = excluded.contributors, next = excluded.next, done = excluded.done`,
      r.taskId,
      r.round,
      r.kind,
      r.resultHash,
      r.recordHash,
      this.vault.sealText(JSON.stringify(r.result), resultLabel(r.taskId, r.round)),
      JSON.stringify(r.contributors),
      r.next === undefined ? null : JSON.stringify(r.next),
      r.done ? 1 : 0,
      r.createdAt,
    );
  }

  getResult(taskId: number, round: number): ResultRow | undefined {
    const r = this.get<Record<string, unknown>>(`SELECT * FROM results WHERE task_id = ? AND round = ?`, taskId, round);
    if (!r) return undefined;
    return {
      taskId: r.task_id as number,
      round: r.round as number,
      kind: r.kind as string,
      resultHash: r.result_hash as string,
      recordHash: r.record_hash as string,
      result: JSON.parse(this.vault.openText(r.result as string, resultLabel(r.task_id as number, r.round as number))),
      contributors: JSON.parse(r.contributors as string) as string[],
      next: r.next === null ? undefined : JSON.parse(r.next as string),
      done: r.done === 1,
      createdAt: r.created_at as number,
    };
  }

  // ------------------------------------------------------------------ round members (from MemberJoined)

  addMember(taskId: number, round: number, member: string, memberKey: string): void {
    this.run(`INSERT INTO members(task_id, round, member, member_key) VALUES(?, ?, ?, ?) ON CONFLICT DO NOTHING`, taskId, round, member, memberKey);
  }

  members(taskId: number, round: number): MemberKey[] {
    return this.all<{ member: string; member_key: string }>(`SELECT member, member_key FROM members WHERE task_id = ? AND round = ? ORDER BY rowid`, taskId, round).map((m) => ({
      member: m.member,
      memberKey: m.member_key,
    }));
  }

  // ------------------------------------------------------------------ secrets

  /** Keeps a secret string under `key`, sealed by the vault. */
  putSecret(key: string, value: string): void {
    this.run(`INSERT INTO secrets(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, this.vault.sealText(value, `secrets:${key}`));
  }

  secret(key: string): string | undefined {
    const v = this.get<{ value: string }>(`SELECT value FROM secrets WHERE key = ?`, key)?.value;
    return v === undefined ? undefined : this.vault.openText(v, `secrets:${key}`);
  }

  /** Keeps the secret only if none is stored under `key` yet; returns the one stored. */
  putSecretOnce(key: string, value: string): string {
    return this.tx(() => {
      const have = this.secret(key);
      if (have !== undefined) return have;
      this.putSecret(key, value);
      return value;
    });
  }

  // ------------------------------------------------------------------ differential privacy budget

  /** Holds a task's whole ρ (all its rounds) against a dataset's budget from the moment the node joins. */
  reserveRho(dataset: string, taskId: number, rho: number): void {
    this.run(`INSERT INTO dp_ledger(dataset, task_id, round, rho) VALUES(?, ?, 0, ?) ON CONFLICT DO NOTHING`, dataset, taskId, rho);
  }

  /** Charges one release (a round's contribution); idempotent per (dataset, task, round). */
  chargeRho(dataset: string, taskId: number, round: number, rho: number): void {
    if (round < 1) throw new RangeError(`chargeRho: round must be ≥ 1, got ${round}`);
    this.run(`INSERT INTO dp_ledger(dataset, task_id, round, rho) VALUES(?, ?, ?, ?) ON CONFLICT DO NOTHING`, dataset, taskId, round, rho);
  }

  /**
   * A dataset's privacy ledger: ρ released so far, and ρ committed (per task the larger of its
   * reservation and its releases), which is what new tasks are checked against.
   */
  rhoLedger(dataset: string): { released: number; committed: number; releases: number } {
    const rows = this.all<{ reserved: number; released: number; n: number }>(
      `SELECT SUM(CASE WHEN round = 0 THEN rho ELSE 0 END) AS reserved, SUM(CASE WHEN round > 0 THEN rho ELSE 0 END) AS released,
              SUM(CASE WHEN round > 0 THEN 1 ELSE 0 END) AS n
         FROM dp_ledger WHERE dataset = ? GROUP BY task_id`,
      dataset,
    );
    return {
      released: rows.reduce((s, r) => s + r.released, 0),
      committed: rows.reduce((s, r) => s + Math.max(r.reserved, r.released), 0),
      releases: rows.reduce((s, r) => s + r.n, 0),
    };
  }

  // ------------------------------------------------------------------ audit trail

  /** Appends an entry chained to the last one; call inside the transaction of the change it records. */
  appendAudit(body: AuditBody): AuditEntry {
    return this.tx(() => {
      const last = this.get<{ entry: string }>(`SELECT entry FROM audit_log ORDER BY seq DESC LIMIT 1`);
      const e = chainEntry(last ? (JSON.parse(last.entry) as AuditEntry) : undefined, body);
      this.run(`INSERT INTO audit_log(seq, task_id, round, action, entry, hash) VALUES(?, ?, ?, ?, ?, ?)`, e.seq, e.taskId, e.round, e.action, JSON.stringify(e), e.hash);
      return e;
    });
  }

  /** Entries in order from `afterSeq` (exclusive), optionally of one task. */
  auditEntries(opts: { afterSeq?: number; limit?: number; taskId?: number } = {}): AuditEntry[] {
    const limit = opts.limit ?? -1;
    const rows =
      opts.taskId === undefined
        ? this.all<{ entry: string }>(`SELECT entry FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?`, opts.afterSeq ?? 0, limit)
        : this.all<{ entry: string }>(`SELECT entry FROM audit_log WHERE seq > ? AND task_id = ? ORDER BY seq LIMIT ?`, opts.afterSeq ?? 0, opts.taskId, limit);
    return rows.map((r) => JSON.parse(r.entry) as AuditEntry);
  }
}
