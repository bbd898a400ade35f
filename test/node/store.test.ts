import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { NodeStore, type DatasetRow } from "../../node/src/store/store.js";
import { MIGRATIONS } from "../../node/src/store/migrations.js";
import { parseTaskSpec } from "../../protocol/src/taskspec.js";

const ds = (name: string, version: number, committed = true): DatasetRow => ({
  name,
  version,
  path: `/data/${name}.csv`,
  format: "csv",
  schema: { columns: ["a", "b"], schemaHash: "0x" + "ab".repeat(32) },
  rows: 10,
  columns: 2,
  root: "0x" + "01".repeat(32),
  saltSeedRef: `salts/${name}.seed`,
  fileHash: "0x" + "02".repeat(32),
  committed,
  txHash: "0x" + "03".repeat(32),
  createdAt: 1,
});

describe("node store", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cm-store-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("migrations run once and the state survives reopening", () => {
    const file = join(dir, "a.sqlite");
    const s = new NodeStore(file);
    assert.equal(s.schemaVersion(), MIGRATIONS.length);
    s.tx(() => {
      s.insertDataset(ds("iris", 1));
      s.insertDataset(ds("iris", 2));
      s.insertDataset(ds("iris", 3, false));
      s.setCursor("0000000000000042");
    });
    s.close();
    const t = new NodeStore(file);
    assert.equal(t.schemaVersion(), MIGRATIONS.length);
    assert.equal(t.cursor(), "0000000000000042");
    assert.equal(t.getDataset("iris")!.version, 2, "latest committed version");
    assert.equal(t.getDataset("iris", 3)!.committed, false);
    assert.deepEqual(t.getDataset("iris", 1), ds("iris", 1));
    assert.deepEqual(
      t.listDatasets().map((d) => d.version),
      [3, 2, 1],
    );
    t.close();
  });

  test("a failing transaction leaves nothing behind", () => {
    const s = new NodeStore(join(dir, "b.sqlite"));
    assert.throws(() =>
      s.tx(() => {
        s.insertDataset(ds("x", 1));
        s.setCursor("0000000000000007");
        s.insertDataset(ds("x", 1)); // primary key clash
      }),
    );
    assert.equal(s.getDataset("x"), undefined);
    assert.equal(s.cursor(), undefined);
    s.close();
  });

  test("tasks, round states, members, results and the privacy ledger", () => {
    const s = new NodeStore(join(dir, "c.sqlite"));
    const owner = "0x" + "11".repeat(20);
    const spec = parseTaskSpec({ kind: "stats", requester: owner, datasets: [{ owner, datasetId: "iris" }], params: { columns: ["petal"] }, nonce: "n1" });
    s.putTask({ taskId: 1, requester: "0xR", kind: "stats", spec, specHash: "0xh", mine: false, decision: "accept", reason: "", datasets: ["iris@1"], createdAt: 5 });
    s.putTask({ taskId: 1, requester: "0xR", kind: "stats", spec, specHash: "0xh", mine: false, decision: "decline", reason: "no", datasets: [], createdAt: 5 });
    assert.equal(s.getTask(1)!.decision, "decline");
    assert.deepEqual(s.getTask(1)!.spec, spec);
    s.putRound({ taskId: 1, round: 1, side: "member", phase: 1, status: "joined", active: 0, submissions: {} });
    s.putRound({ taskId: 1, round: 1, side: "member", phase: 3, status: "submitted", active: 3, submissions: { compute: { blobHash: "0xb", commitment: "0xc" } } });
    s.putRound({ taskId: 1, round: 1, side: "requester", phase: 3, status: "open", active: 3, submissions: {} });
    const m = s.getRound(1, 1, "member")!;
    assert.equal(m.status, "submitted");
    assert.deepEqual(m.submissions.compute, { blobHash: "0xb", commitment: "0xc" });
    assert.equal(s.listRounds(1).length, 2);
    s.addMember(1, 1, "0xA", "0xka");
    s.addMember(1, 1, "0xB", "0xkb");
    s.addMember(1, 1, "0xA", "0xka");
    assert.deepEqual(s.members(1, 1), [
      { member: "0xA", memberKey: "0xka" },
      { member: "0xB", memberKey: "0xkb" },
    ]);
    s.putResult({
      taskId: 1,
      round: 1,
      kind: "stats",
      resultHash: "0xr",
      recordHash: "0xq",
      result: { mean: 2 },
      contributors: ["0xA"],
      next: { c: [1] },
      done: false,
      createdAt: 9,
    });
    const r = s.getResult(1, 1)!;
    assert.deepEqual([r.result, r.next, r.done], [{ mean: 2 }, { c: [1] }, false]);
    assert.equal(s.getResult(1, 2), undefined);
    // The privacy ledger: a reservation per task, one charge per release, each counted once.
    s.reserveRho("iris", 1, 0.25);
    s.reserveRho("iris", 1, 0.25);
    s.chargeRho("iris", 2, 1, 0.5);
    s.chargeRho("iris", 2, 1, 0.5);
    assert.deepEqual(s.rhoLedger("iris"), { released: 0.5, committed: 0.75, releases: 1 });
    s.close();
  });

  test("an older database is migrated in place; kind state round-trips", () => {
    const file = join(dir, "old.sqlite");
    const db = new DatabaseSync(file);
    db.exec(`CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES('schema', '1');`);
    db.exec(MIGRATIONS[0]);
    db.exec(`INSERT INTO rounds(task_id, round, side, phase, status, updated_at) VALUES(1, 1, 'member', 1, 'joined', 0)`);
    db.close();
    const s = new NodeStore(file);
    assert.equal(s.schemaVersion(), MIGRATIONS.length);
    const r = s.getRound(1, 1, "member")!;
    assert.equal(r.status, "joined");
    assert.equal(r.kindState, undefined);
    s.putRound({ ...r, kindState: { keys: [1, 2] } });
    assert.deepEqual(s.getRound(1, 1, "member")!.kindState, { keys: [1, 2] });
    s.close();
  });

  test("a database from a newer build is refused with the fix", () => {
    const file = join(dir, "d.sqlite");
    const db = new DatabaseSync(file);
    db.exec(`CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES('schema', '99');`);
    db.close();
    assert.throws(() => new NodeStore(file), /schema 99, this build knows \d+; run a newer build or use a new dataDir/);
  });
});
