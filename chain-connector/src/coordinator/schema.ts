/**
 * Coordinator state: one SQLite file. Every table mirrors a piece of contract storage; `events`
 * is the append-only log the stream replays (its seq is the cursor).
 */
export const SCHEMA_VERSION = 1;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS nodes (
  address TEXT PRIMARY KEY,
  endpoint TEXT NOT NULL,
  x25519 TEXT NOT NULL,
  roles INTEGER NOT NULL,
  capacity INTEGER NOT NULL,
  registered_at INTEGER NOT NULL,
  last_active INTEGER NOT NULL DEFAULT 0,
  last_heartbeat INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS datasets (
  owner TEXT NOT NULL,
  dataset_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  root TEXT NOT NULL,
  rows INTEGER NOT NULL,
  columns INTEGER NOT NULL,
  schema_hash TEXT NOT NULL,
  committed_at INTEGER NOT NULL,
  PRIMARY KEY (owner, dataset_id, version)
);
CREATE INDEX IF NOT EXISTS datasets_root ON datasets (owner, root);
CREATE TABLE IF NOT EXISTS verifiers (kind TEXT PRIMARY KEY, verifier TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (
  task_id INTEGER PRIMARY KEY,
  requester TEXT NOT NULL,
  kind TEXT NOT NULL,
  kind_name TEXT NOT NULL,
  spec_hash TEXT NOT NULL,
  rounds INTEGER NOT NULL,
  current_round INTEGER NOT NULL,
  closed INTEGER NOT NULL DEFAULT 0,
  min_members INTEGER NOT NULL,
  max_members INTEGER NOT NULL,
  threshold INTEGER NOT NULL,
  d_join INTEGER NOT NULL,
  d_setup INTEGER NOT NULL,
  d_compute INTEGER NOT NULL,
  d_aggregate INTEGER NOT NULL,
  setup INTEGER NOT NULL,
  verification INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rounds (
  task_id INTEGER NOT NULL,
  round INTEGER NOT NULL,
  phase INTEGER NOT NULL,
  deadline INTEGER NOT NULL,
  joined INTEGER NOT NULL DEFAULT 0,
  active INTEGER NOT NULL DEFAULT 0,
  result_hash TEXT NOT NULL,
  PRIMARY KEY (task_id, round)
);
CREATE TABLE IF NOT EXISTS members (
  task_id INTEGER NOT NULL,
  round INTEGER NOT NULL,
  member TEXT NOT NULL,
  member_key TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (task_id, round, member)
);
CREATE TABLE IF NOT EXISTS contributions (
  task_id INTEGER NOT NULL,
  round INTEGER NOT NULL,
  phase INTEGER NOT NULL,
  member TEXT NOT NULL,
  blob_hash TEXT NOT NULL,
  commitment TEXT NOT NULL,
  PRIMARY KEY (task_id, round, phase, member)
);
CREATE INDEX IF NOT EXISTS contributions_by_blob ON contributions (blob_hash);
CREATE INDEX IF NOT EXISTS tasks_by_spec ON tasks (spec_hash);
CREATE INDEX IF NOT EXISTS rounds_by_result ON rounds (result_hash);
-- Idempotency keys of task creation: a retried POST /tasks answers the task the first one made.
CREATE TABLE IF NOT EXISTS task_keys (
  requester TEXT NOT NULL,
  key TEXT NOT NULL,
  input_hash TEXT NOT NULL,
  task_id INTEGER NOT NULL,
  tx TEXT NOT NULL,
  PRIMARY KEY (requester, key)
);
-- The nodes a task's spec names as its only members (the contract's restrictMembers list); a task
-- with no rows here takes any node with the role. Lower-case addresses.
CREATE TABLE IF NOT EXISTS allowed_members (
  task_id INTEGER NOT NULL,
  member TEXT NOT NULL,
  PRIMARY KEY (task_id, member)
);
-- One MemberReported per node and round (the contract's _reported).
CREATE TABLE IF NOT EXISTS reports (
  task_id INTEGER NOT NULL,
  round INTEGER NOT NULL,
  member TEXT NOT NULL,
  PRIMARY KEY (task_id, round, member)
);
-- Members a challenge excluded from a round (ChunkAudit's excludedFrom).
CREATE TABLE IF NOT EXISTS exclusions (
  task_id INTEGER NOT NULL,
  round INTEGER NOT NULL,
  member TEXT NOT NULL,
  PRIMARY KEY (task_id, round, member)
);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  time INTEGER NOT NULL,
  tx TEXT NOT NULL,
  body TEXT NOT NULL
);
`;
