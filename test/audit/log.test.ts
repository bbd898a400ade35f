import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { chainEntry, entryHash, GENESIS, verifyChain, type AuditBody, type AuditEntry } from "../../node/src/audit/log.js";
import { NodeStore } from "../../node/src/store/store.js";

const body = (i: number): AuditBody => ({
  time: 1_700_000_000 + i,
  action: i % 3 === 0 ? "released" : i % 3 === 1 ? "accepted" : "joined",
  taskId: 1 + (i >> 2),
  round: i % 3 === 1 ? 0 : 1,
  datasets: ["iris@1"],
  reason: "",
  ...(i % 3 === 0 ? { phase: "compute", blobHash: "0x" + "ab".repeat(32), commitment: "0x" + "cd".repeat(32), bytes: 100 + i } : {}),
  anchor: { event: "PhaseAdvanced", cursor: String(i).padStart(12, "0"), txHash: "0x" + i.toString(16).padStart(64, "0") },
});

function log(n: number): AuditEntry[] {
  const out: AuditEntry[] = [];
  for (let i = 1; i <= n; i++) out.push(chainEntry(out.at(-1), body(i)));
  return out;
}

describe("audit log: hash chain", () => {
  test("a log built by chainEntry verifies; entries link and number from 1", () => {
    const l = log(8);
    assert.equal(verifyChain(l), undefined);
    assert.equal(l[0].prev, GENESIS);
    l.forEach((e, i) => {
      assert.equal(e.seq, i + 1);
      if (i > 0) assert.equal(e.prev, l[i - 1].hash);
    });
    assert.equal(verifyChain([]), undefined);
  });

  test("changing a reason, a size or a blob hash is detected at that entry", () => {
    for (const [field, value] of [
      ["reason", "policy says no"],
      ["bytes", 1],
      ["blobHash", "0x" + "ee".repeat(32)],
      ["round", 7],
      ["anchor", { event: "PhaseAdvanced", cursor: "000000000099", txHash: "0x00" }],
    ] as const) {
      const l = log(9);
      l[5] = { ...l[5], [field]: value };
      const f = verifyChain(l);
      assert.equal(f?.seq, 6, `${field}: ${JSON.stringify(f)}`);
      assert.match(f.reason, /altered/);
    }
  });

  test("an entry rehashed after editing breaks the link of the next one", () => {
    const l = log(6);
    const { hash: _h, ...rest } = { ...l[2], reason: "rewritten" };
    l[2] = { ...rest, hash: entryHash(rest) };
    assert.deepEqual(verifyChain(l)?.seq, 4);
    assert.match(verifyChain(l)!.reason, /does not link/);
  });

  test("a deleted or reordered entry is detected where it happened", () => {
    const l = log(6);
    assert.equal(verifyChain([...l.slice(0, 3), ...l.slice(4)])?.seq, 4, "deleted entry 4");
    assert.equal(verifyChain(l.slice(1))?.seq, 1, "deleted entry 1");
    const swapped = [...l];
    [swapped[2], swapped[3]] = [swapped[3], swapped[2]];
    assert.equal(verifyChain(swapped)?.seq, 3, "entries 3 and 4 swapped");
    // renumbered after a deletion: the link to the entry before still fails
    const renumbered = [...l.slice(0, 2), ...l.slice(3).map((e) => ({ ...e, seq: e.seq - 1 }))];
    assert.equal(verifyChain(renumbered)?.seq, 3);
  });

  test("the store appends in order and refuses UPDATE and DELETE", () => {
    const s = new NodeStore(":memory:");
    try {
      for (let i = 1; i <= 4; i++) s.appendAudit(body(i));
      const all = s.auditEntries();
      assert.equal(all.length, 4);
      assert.equal(verifyChain(all), undefined);
      assert.deepEqual(
        s.auditEntries({ afterSeq: 2, limit: 1 }).map((e) => e.seq),
        [3],
      );
      assert.deepEqual(
        s.auditEntries({ taskId: 2 }).map((e) => e.seq),
        [4],
      );
      assert.throws(() => s.db.exec(`UPDATE audit_log SET entry = '{}' WHERE seq = 2`), /append-only/);
      assert.throws(() => s.db.exec(`DELETE FROM audit_log WHERE seq = 4`), /append-only/);
      assert.equal(verifyChain(s.auditEntries()), undefined);
    } finally {
      s.close();
    }
  });
});

describe("audit log: a store upgraded from a build without it", () => {
  test("the migration records where the trail begins (the cursor at the time); a new store has no such mark", async () => {
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    // eslint-disable-next-line @typescript-eslint/unbound-method -- node:path's functions do not use `this`
    const { join } = await import("node:path");
    const { MIGRATIONS } = await import("../../node/src/store/migrations.js");
    const dir = mkdtempSync(join(tmpdir(), "cm-audit-"));
    try {
      const fresh = new NodeStore(join(dir, "fresh.sqlite"));
      assert.equal(fresh.meta("audit.since"), undefined);
      fresh.close();
      // An older store: every migration before the audit one, and a cursor.
      const file = join(dir, "old.sqlite");
      const { DatabaseSync } = await import("node:sqlite");
      const db = new DatabaseSync(file);
      db.exec(`CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
      const at = MIGRATIONS.findIndex((m) => m.includes("CREATE TABLE audit_log"));
      for (let v = 0; v < at; v++) db.exec(MIGRATIONS[v]);
      db.exec(`INSERT INTO meta VALUES('schema', '${at}'), ('cursor', '000000000042')`);
      db.close();
      const old = new NodeStore(file);
      assert.equal(old.meta("audit.since"), "000000000042");
      assert.deepEqual(old.auditEntries(), []);
      old.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
