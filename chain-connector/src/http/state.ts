import { DatabaseSync } from "node:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { SqliteNonceStore } from "../../../protocol/src/nonces.js";

/**
 * What the HTTP layer of a connector remembers besides the chain, in one SQLite file next to the
 * connector's state: the nonces of recent requests (replay refused across restarts), who uploaded
 * which blob and how many bytes (authorship and the per-party quota), and which blobs a published
 * blob names (the outsourced owner's chunks in its spec, a member's tables in its manifest).
 */
export class ConnectorState {
  readonly nonces: SqliteNonceStore;
  private readonly db: DatabaseSync;

  constructor(readonly path: string) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.nonces = new SqliteNonceStore(path);
    this.db = new DatabaseSync(path);
    this.db.exec(`PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000;
      CREATE TABLE IF NOT EXISTS uploads (hash TEXT NOT NULL, party TEXT NOT NULL, bytes INTEGER NOT NULL, time_ms INTEGER NOT NULL, PRIMARY KEY (hash, party));
      CREATE INDEX IF NOT EXISTS uploads_by_party ON uploads (party, time_ms);
      CREATE TABLE IF NOT EXISTS named (child TEXT NOT NULL, parent TEXT NOT NULL, PRIMARY KEY (child, parent));`);
  }

  /** Bytes `party` uploaded since `sinceMs` (first uploads only: a re-upload of the same blob is free). */
  uploadedSince(party: string, sinceMs: number): number {
    const r = this.db.prepare(`SELECT COALESCE(SUM(bytes), 0) AS n FROM uploads WHERE party = ? AND time_ms >= ?`).get(party.toLowerCase(), sinceMs) as { n: number };
    return r.n;
  }

  /** Size of a blob `party` uploaded, or undefined when it did not upload it. */
  uploadedBytes(party: string, hash: string): number | undefined {
    const r = this.db.prepare(`SELECT bytes FROM uploads WHERE hash = ? AND party = ?`).get(hash.toLowerCase(), party.toLowerCase()) as { bytes: number } | undefined;
    return r?.bytes;
  }

  hasUploaded(party: string, hash: string): boolean {
    return this.db.prepare(`SELECT 1 AS x FROM uploads WHERE hash = ? AND party = ?`).get(hash.toLowerCase(), party.toLowerCase()) !== undefined;
  }

  recordUpload(party: string, hash: string, bytes: number, nowMs = Date.now()): void {
    this.db.prepare(`INSERT OR IGNORE INTO uploads(hash, party, bytes, time_ms) VALUES(?, ?, ?, ?)`).run(hash.toLowerCase(), party.toLowerCase(), bytes, nowMs);
  }

  /** Records that `parent` names each of `children` (its author uploaded them). */
  recordNamed(parent: string, children: readonly string[]): void {
    const ins = this.db.prepare(`INSERT OR IGNORE INTO named(child, parent) VALUES(?, ?)`);
    this.db.exec("BEGIN");
    try {
      for (const c of children) ins.run(c.toLowerCase(), parent.toLowerCase());
      this.db.exec("COMMIT");
    } catch (e) {
      this.db.exec("ROLLBACK");
      throw e;
    }
  }

  /** Blobs that name `child`. */
  parents(child: string): string[] {
    return (this.db.prepare(`SELECT parent FROM named WHERE child = ?`).all(child.toLowerCase()) as { parent: string }[]).map((r) => r.parent);
  }

  close(): void {
    this.nonces.close();
    if (this.db.isOpen) this.db.close();
  }
}
