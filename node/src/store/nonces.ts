import type { DatabaseSync } from "node:sqlite";
import { MAX_CLOCK_SKEW_MS, type NonceCheck } from "../../../protocol/src/signing.js";

/**
 * A nonce memory in SQLite (protocol NonceCheck): a signed request's nonce is kept until its
 * timestamp's window passes (timestamp + MAX_CLOCK_SKEW_MS), so a request captured before a
 * restart is refused after it; past the window the timestamp check refuses it. Needs only a
 * DatabaseSync (it makes its own table), so any SQLite-backed verifier can use it.
 */
export function sqliteNonceMemory(db: DatabaseSync, now: () => number = Date.now): NonceCheck {
  db.exec(`CREATE TABLE IF NOT EXISTS nonces(address TEXT NOT NULL, nonce TEXT NOT NULL, expires INTEGER NOT NULL, PRIMARY KEY(address, nonce));
           CREATE INDEX IF NOT EXISTS nonces_expires ON nonces(expires);`);
  const insert = db.prepare(`INSERT INTO nonces(address, nonce, expires) VALUES(?, ?, ?) ON CONFLICT DO NOTHING`);
  const prune = db.prepare(`DELETE FROM nonces WHERE expires < ?`);
  let pruned = 0;
  return (address, nonce, timestampMs) => {
    const t = now();
    if (t - pruned > 10_000) {
      prune.run(t);
      pruned = t;
    }
    return insert.run(address.toLowerCase(), nonce, Math.floor(timestampMs) + MAX_CLOCK_SKEW_MS).changes === 0;
  };
}
