import { DatabaseSync } from "node:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { MAX_CLOCK_SKEW_MS, type NonceMemory } from "./signing.js";

/**
 * nonceMemory() kept in SQLite, so a request captured before a restart is still refused after it.
 * A nonce is kept until the ±MAX_CLOCK_SKEW_MS window of the request that used it has passed
 * (2 × the skew after it was seen: its timestamp may have been up to one skew ahead of our clock).
 */
export class SqliteNonceStore {
  private readonly db: DatabaseSync;
  private inserts = 0;
  /** The same function nonceMemory() returns: true when (address, nonce) was seen before. */
  readonly seen: NonceMemory;

  constructor(
    path: string,
    private readonly now: () => number = Date.now,
  ) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new DatabaseSync(path);
    // WAL + NORMAL: a committed nonce survives a crash or kill of the process (what a restart is);
    // only a power loss may drop the last ones, and FULL would cost an fsync on every request.
    this.db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;
      CREATE TABLE IF NOT EXISTS nonces (address TEXT NOT NULL, nonce TEXT NOT NULL, seen_ms INTEGER NOT NULL, PRIMARY KEY (address, nonce));
      CREATE INDEX IF NOT EXISTS nonces_by_time ON nonces (seen_ms);`);
    const insert = this.db.prepare(`INSERT OR IGNORE INTO nonces(address, nonce, seen_ms) VALUES(?, ?, ?)`);
    const prune = this.db.prepare(`DELETE FROM nonces WHERE seen_ms < ?`);
    this.seen = (address, nonce) => {
      const t = this.now();
      if (++this.inserts % 1000 === 0) prune.run(t - 2 * MAX_CLOCK_SKEW_MS);
      return insert.run(address.toLowerCase(), nonce, t).changes === 0;
    };
  }

  /** Nonces still held (tests, monitoring). */
  size(): number {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM nonces`).get() as { n: number }).n;
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}
