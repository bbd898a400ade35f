import { DatabaseSync } from "node:sqlite";
import type { ChainEvent, ChainEventBody } from "../../../protocol/src/events.js";

export interface StoredEvent {
  cursor: string;
  block: number;
  logIndex: number;
  time: number;
  tx: string;
  body: ChainEventBody;
}

/**
 * The decoded event log of one deployment and the last block read, in one SQLite file. Events
 * and the block cursor are written in the same transaction, so a crash between them cannot lose
 * or repeat an event on restart.
 */
export class EventLog {
  static readonly SCHEMA = 2;
  private readonly db: DatabaseSync;

  constructor(path: string, identity: { chainId: string; nodeRegistry: string; dataRegistry: string; taskManager: string }) {
    this.db = new DatabaseSync(path);
    this.db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);`);
    const schema = this.db.prepare(`SELECT value FROM meta WHERE key = 'schema'`).get() as { value: string } | undefined;
    if (schema?.value !== String(EventLog.SCHEMA)) {
      // The log is a cache of the chain: an older layout is dropped and read again from the chain.
      this.db.exec(`DROP TABLE IF EXISTS events; DELETE FROM meta WHERE key = 'last_block';`);
      this.db.prepare(`INSERT INTO meta(key, value) VALUES('schema', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(String(EventLog.SCHEMA));
    }
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS events(
        cursor TEXT PRIMARY KEY,
        block INTEGER NOT NULL,
        log_index INTEGER NOT NULL,
        time INTEGER NOT NULL,
        tx TEXT NOT NULL,
        type TEXT NOT NULL,
        task_id INTEGER,
        body TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS events_by_task ON events(task_id, type);
      CREATE TABLE IF NOT EXISTS heartbeats(address TEXT PRIMARY KEY, time INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS events_by_blob ON events(
        COALESCE(json_extract(body, '$.blobHash'), json_extract(body, '$.specHash'), json_extract(body, '$.resultHash')));
      -- Idempotency keys of task creation (not a cache of the chain: kept when the log is re-read).
      -- task_id NULL: the transaction was being sent when the connector stopped.
      CREATE TABLE IF NOT EXISTS task_keys(
        requester TEXT NOT NULL, key TEXT NOT NULL, input_hash TEXT NOT NULL, spec_hash TEXT NOT NULL,
        task_id INTEGER, tx TEXT, PRIMARY KEY (requester, key));
    `);
    const want = JSON.stringify(identity);
    const row = this.db.prepare(`SELECT value FROM meta WHERE key = 'identity'`).get() as { value: string } | undefined;
    if (!row) this.db.prepare(`INSERT INTO meta(key, value) VALUES('identity', ?)`).run(want);
    else if (row.value !== want) {
      this.db.close();
      throw new Error(`event database ${path} belongs to another deployment (${row.value}); use a new dbPath for ${want}`);
    }
  }

  /** Last block whose logs are all stored, or -1 before the first poll. */
  lastBlock(): number {
    const row = this.db.prepare(`SELECT value FROM meta WHERE key = 'last_block'`).get() as { value: string } | undefined;
    return row ? Number(row.value) : -1;
  }

  /** Hash of the last block read, to notice a chain that was reset or reorganised under us. */
  lastHash(): string | undefined {
    const row = this.db.prepare(`SELECT value FROM meta WHERE key = 'last_hash'`).get() as { value: string } | undefined;
    return row?.value;
  }

  /** Stores events and advances the block cursor atomically; events already stored are skipped. */
  append(events: readonly StoredEvent[], lastBlock: number, lastHash?: string): void {
    const ins = this.db.prepare(`INSERT OR IGNORE INTO events(cursor, block, log_index, time, tx, type, task_id, body) VALUES(?, ?, ?, ?, ?, ?, ?, ?)`);
    this.db.exec("BEGIN IMMEDIATE");
    try {
      for (const e of events) {
        const taskId = "taskId" in e.body ? e.body.taskId : null;
        ins.run(e.cursor, e.block, e.logIndex, e.time, e.tx, e.body.type, taskId, JSON.stringify(e.body));
      }
      this.db.prepare(`INSERT INTO meta(key, value) VALUES('last_block', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(String(lastBlock));
      if (lastHash) this.db.prepare(`INSERT INTO meta(key, value) VALUES('last_hash', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(lastHash);
      this.db.exec("COMMIT");
    } catch (e) {
      this.db.exec("ROLLBACK");
      throw e;
    }
  }

  /** Up to `limit` events after `cursor` ("" for the start), in chain order. */
  after(cursor: string, limit = 500): ChainEvent[] {
    const rows = this.db.prepare(`SELECT cursor, time, tx, body FROM events WHERE cursor > ? ORDER BY cursor LIMIT ?`).all(cursor, limit) as {
      cursor: string;
      time: number;
      tx: string;
      body: string;
    }[];
    return rows.map((r) => ({ ...(JSON.parse(r.body) as ChainEventBody), cursor: r.cursor, time: r.time, txHash: r.tx }));
  }

  /** Stored events of one type for one task, in chain order. */
  ofTask(taskId: number, type: string): ChainEvent[] {
    const rows = this.db.prepare(`SELECT cursor, time, tx, body FROM events WHERE task_id = ? AND type = ? ORDER BY cursor`).all(taskId, type) as {
      cursor: string;
      time: number;
      tx: string;
      body: string;
    }[];
    return rows.map((r) => ({ ...(JSON.parse(r.body) as ChainEventBody), cursor: r.cursor, time: r.time, txHash: r.tx }));
  }

  /** Stored events that publish `hash` (TaskCreated spec, ContributionSubmitted blob, RoundFinalized result). */
  blobEvents(hash: string): ChainEventBody[] {
    const rows = this.db
      .prepare(`SELECT body FROM events WHERE COALESCE(json_extract(body, '$.blobHash'), json_extract(body, '$.specHash'), json_extract(body, '$.resultHash')) = ? ORDER BY cursor`)
      .all(hash.toLowerCase()) as { body: string }[];
    return rows.map((r) => JSON.parse(r.body) as ChainEventBody);
  }

  /** The stored TaskCreated of `requester` with `specHash`, if any. */
  taskCreated(requester: string, specHash: string): { taskId: number; tx: string } | undefined {
    const rows = this.db.prepare(`SELECT tx, body FROM events WHERE type = 'TaskCreated' AND json_extract(body, '$.specHash') = ? ORDER BY cursor`).all(specHash.toLowerCase()) as {
      tx: string;
      body: string;
    }[];
    for (const r of rows) {
      const e = JSON.parse(r.body) as ChainEventBody;
      if (e.type === "TaskCreated" && e.requester.toLowerCase() === requester.toLowerCase()) return { taskId: e.taskId, tx: r.tx };
    }
    return undefined;
  }

  taskKey(requester: string, key: string): { inputHash: string; specHash: string; taskId: number | null; tx: string | null } | undefined {
    const r = this.db.prepare(`SELECT input_hash, spec_hash, task_id, tx FROM task_keys WHERE requester = ? AND key = ?`).get(requester, key) as
      { input_hash: string; spec_hash: string; task_id: number | null; tx: string | null } | undefined;
    return r && { inputHash: r.input_hash, specHash: r.spec_hash, taskId: r.task_id, tx: r.tx };
  }

  /** Written before the transaction is sent, so a restart knows which TaskCreated to look for. */
  putTaskKey(requester: string, key: string, inputHash: string, specHash: string): void {
    this.db
      .prepare(
        `INSERT INTO task_keys(requester, key, input_hash, spec_hash) VALUES(?, ?, ?, ?)
         ON CONFLICT(requester, key) DO UPDATE SET spec_hash = excluded.spec_hash WHERE task_id IS NULL`,
      )
      .run(requester, key, inputHash, specHash);
  }

  setTaskKeyResult(requester: string, key: string, taskId: number, tx: string): void {
    this.db.prepare(`UPDATE task_keys SET task_id = ?, tx = ? WHERE requester = ? AND key = ?`).run(taskId, tx, requester, key);
  }

  count(): number {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM events`).get() as { n: number }).n;
  }

  recordHeartbeat(address: string, time: number): void {
    this.db.prepare(`INSERT INTO heartbeats(address, time) VALUES(?, ?) ON CONFLICT(address) DO UPDATE SET time = MAX(time, excluded.time)`).run(address, time);
  }

  heartbeat(address: string): number {
    const row = this.db.prepare(`SELECT time FROM heartbeats WHERE address = ?`).get(address) as { time: number } | undefined;
    return row?.time ?? 0;
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}
