/**
 * Schema migrations, applied in order, each in one transaction; meta.schema holds how many ran.
 * Append new steps; never edit a released one.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE datasets(
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    path TEXT NOT NULL,
    format TEXT NOT NULL,
    schema TEXT NOT NULL,
    rows INTEGER NOT NULL,
    columns INTEGER NOT NULL,
    root TEXT NOT NULL,
    salt_seed_ref TEXT NOT NULL,
    file_hash TEXT NOT NULL,
    committed INTEGER NOT NULL DEFAULT 0,
    tx_hash TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    PRIMARY KEY(name, version)
  );
  CREATE TABLE tasks(
    task_id INTEGER PRIMARY KEY,
    requester TEXT NOT NULL,
    kind TEXT NOT NULL,
    spec TEXT NOT NULL,
    spec_hash TEXT NOT NULL,
    mine INTEGER NOT NULL,
    decision TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    datasets TEXT NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL
  );
  CREATE TABLE rounds(
    task_id INTEGER NOT NULL,
    round INTEGER NOT NULL,
    side TEXT NOT NULL CHECK (side IN ('member', 'requester')),
    phase INTEGER NOT NULL,
    status TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 0,
    submissions TEXT NOT NULL DEFAULT '{}',
    result_hash TEXT,
    error TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY(task_id, round, side)
  );
  CREATE TABLE results(
    task_id INTEGER NOT NULL,
    round INTEGER NOT NULL,
    kind TEXT NOT NULL,
    result_hash TEXT NOT NULL,
    record_hash TEXT NOT NULL,
    result TEXT NOT NULL,
    contributors TEXT NOT NULL,
    next TEXT,
    done INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    PRIMARY KEY(task_id, round)
  );
  CREATE TABLE members(
    task_id INTEGER NOT NULL,
    round INTEGER NOT NULL,
    member TEXT NOT NULL,
    member_key TEXT NOT NULL,
    PRIMARY KEY(task_id, round, member)
  );
  CREATE TABLE dp_spend(
    dataset TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    epsilon REAL NOT NULL,
    PRIMARY KEY(dataset, task_id)
  );
  `,
  // 2: state a task kind keeps between phases and rounds (e.g. secure-aggregation keys).
  `ALTER TABLE rounds ADD COLUMN kind_state TEXT;`,
  // 3: differential privacy spent per dataset in zCDP ρ: round 0 holds what a task reserved when the
  // node joined (all its rounds), rounds ≥ 1 what each release actually charged.
  `CREATE TABLE dp_ledger(
    dataset TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    round INTEGER NOT NULL,
    rho REAL NOT NULL,
    PRIMARY KEY(dataset, task_id, round)
  );`,
  // 4: secrets sealed by the vault (requester seeds, per-round keys). The API's nonces table is made by store/nonces.ts.
  `CREATE TABLE secrets(key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  // 5: the audit trail (audit/log.ts): append-only, hash-chained; the triggers refuse edits, so
  // rewriting it means dropping them first, which the hash chain and the chain's events then expose.
  // A store upgraded mid-life keeps where its trail begins (audit.since): what the node did
  // before has no entries, and verify does not ask for them.
  `CREATE TABLE audit_log(
    seq INTEGER PRIMARY KEY,
    task_id INTEGER NOT NULL,
    round INTEGER NOT NULL,
    action TEXT NOT NULL,
    entry TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  CREATE INDEX audit_log_task ON audit_log(task_id);
  CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
  CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
  INSERT INTO meta(key, value) SELECT 'audit.since', value FROM meta WHERE key = 'cursor';`,
  // 6: per-dataset policies (by name, so a new version keeps its dataset's policy) and the
  // owner's approval inbox (runtime/runtime.ts approve/deny/expire).
  `CREATE TABLE dataset_policies(
    name TEXT PRIMARY KEY,
    policy TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE inbox(
    task_id INTEGER PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('pending', 'allowed', 'denied', 'expired')),
    datasets TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    decided_by TEXT,
    anchor TEXT NOT NULL,
    join_anchor TEXT,
    created_at INTEGER NOT NULL,
    decided_at INTEGER
  );`,
];
