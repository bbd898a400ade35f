import { DatabaseSync } from "node:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { MAX_CLOCK_SKEW_MS, type NonceCheck } from "./signing.js";

/**
 * A nonce memory in SQLite (a NonceCheck), so a request captured before a restart is still refused
 * after it. A nonce is kept until its request's timestamp window passes (timestamp +
 * MAX_CLOCK_SKEW_MS); past it the timestamp check alone refuses the request. Needs only an open
 * DatabaseSync (it makes its own table), so the node's store and the connector's state both use it.
 */
export function sqliteNonceMemory(db: DatabaseSync, now: () => number = Date.now): NonceCheck {
  db.exec(`CREATE TABLE IF NOT EXISTS nonces(address TEXT NOT NULL, nonce TEXT NOT NULL, expires INTEGER NOT NULL, PRIMARY KEY(address, nonce));
           CREATE INDEX IF NOT EXISTS nonces_expires ON nonces(expires);`);
  const insert = db.prepare(`INSERT INTO nonces(address, nonce, expires) VALUES(?, ?, ?) ON CONFLICT DO NOTHING`);
  const prune = db.prepare(`DELETE FROM nonces WHERE expires < ?`);
  let pruned = Number.NEGATIVE_INFINITY;
  return (address, nonce, timestampMs) => {
    const t = now();
    if (t - pruned > 10_000) {
      prune.run(t);
      pruned = t;
    }
    return insert.run(address.toLowerCase(), nonce, Math.floor(timestampMs) + MAX_CLOCK_SKEW_MS).changes === 0;
  };
}

/** sqliteNonceMemory over a file of its own (the connector's auth state). */
export class SqliteNonceStore {
  private readonly db: DatabaseSync;
  readonly seen: NonceCheck;

  constructor(path: string, now: () => number = Date.now) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new DatabaseSync(path);
    // WAL + NORMAL: a committed nonce survives a crash or kill of the process (what a restart is);
    // only a power loss may drop the last ones, and FULL would cost an fsync on every request.
    this.db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;`);
    this.seen = sqliteNonceMemory(this.db, now);
  }

  /** Nonces still held (tests, monitoring). */
  size(): number {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM nonces`).get() as { n: number }).n;
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}
