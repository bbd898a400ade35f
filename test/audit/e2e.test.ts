import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import type { Wallet } from "ethers";
import { submitFederated, type RunningNode } from "../../node/src/index.js";
import { NodeApiClient } from "../../node/src/api/client.js";
import { chainEntry, type AuditBody, type AuditEntry } from "../../node/src/audit/log.js";
import { Phase } from "../../protocol/src/phases.js";
import type { PrivacyReport } from "../../node/src/privacy/mechanism.js";
import type { NodeHarness } from "../node/harness.js";
import { finalResult, ownersAndRequester } from "../federated/network.js";
import { IRIS_COLS } from "../federated/reference.js";

/**
 * The audit trail end to end in coordinator mode (real HTTP, signed requests): three owners run a
 * differentially private stats task with secure aggregation, then decline a task over their
 * privacy budget. Each owner's log holds the decision, the join and the three releases (setup,
 * compute, reveal) with the blob hashes and commitments the chain shows, and verifies against the
 * connector's events through GET /audit/verify. Then each owner's operator tampers with its own
 * SQLite file, each a different way, and verify names the entry.
 */
describe("audit trail end to end, coordinator mode, 3 owners + requester", () => {
  let h: NodeHarness;
  let owners: RunningNode[];
  let R: RunningNode;
  let ws: Wallet[];
  let taskId: number;
  let declinedTask: number;
  let resultSigma: number[];
  const api = (i: number) => new NodeApiClient(owners[i].url, ws[i]);

  before(async () => {
    ({ h, ws, owners, R } = await ownersAndRequester({ policy: { dpRhoBudget: 1 } }));
    const bounds = Object.fromEntries(IRIS_COLS.map((c) => [c, [0, 8]]));
    const submit = (rho: number) =>
      submitFederated(R, {
        kind: "stats",
        aggregation: "secagg",
        datasets: ws.slice(0, 3).map((w) => ({ owner: w.address, datasetId: "iris" })),
        params: { columns: IRIS_COLS, privacy: { rho, bounds } },
        members: { min: 3, max: 3, threshold: 2 },
      });
    ({ taskId } = await submit(0.8));
    resultSigma = (await finalResult<{ privacy: PrivacyReport }>(R, taskId, 1)).result.privacy.sigma;
    for (const o of owners) await o.runtime.when(() => o.store.getRound(taskId, 1, "member")?.status === "done");
    declinedTask = (await submit(0.5)).taskId;
    for (const o of owners) await o.runtime.when(() => o.store.getTask(declinedTask) !== undefined);
  });
  after(async () => {
    await h?.stop();
  });

  test("each owner logged its decision, join and releases, matching the chain, and its log verifies", { timeout: 120_000 }, async () => {
    const contributions = new Map<number, Awaited<ReturnType<typeof h.network.getContributions>>>();
    for (const ph of [Phase.Setup, Phase.Compute, Phase.Aggregate]) contributions.set(ph, h.network.getContributions(taskId, 1, ph));
    for (let i = 0; i < 3; i++) {
      const { entries, next } = await api(i).audit();
      assert.equal(next, null);
      assert.deepEqual(
        entries.map((e) => [e.action, e.taskId, e.round, e.phase ?? null]),
        [
          ["accepted", taskId, 0, null],
          ["joined", taskId, 1, null],
          ["released", taskId, 1, "setup"],
          ["released", taskId, 1, "compute"],
          ["released", taskId, 1, "reveal"],
          ["declined", declinedTask, 0, null],
        ],
        `o${i}`,
      );
      const [accepted, , , compute, , declined] = entries as [AuditEntry, AuditEntry, AuditEntry, AuditEntry, AuditEntry, AuditEntry];
      assert.deepEqual(accepted.datasets, ["iris@1"]);
      assert.equal(accepted.privacy?.rho, 0.8, "the whole task's ρ reserved on joining");
      assert.equal(compute.privacy?.rho, 0.8, "one round: the release charges the task's ρ");
      assert.equal(compute.privacy?.threshold, 2);
      assert.equal(compute.privacy?.delta, 1e-6);
      assert.deepEqual(compute.privacy?.bounds, Object.fromEntries(IRIS_COLS.map((c) => [c, [0, 8]])));
      // the noise scale each member calibrated to: the one the requester's privacy report states
      assert.deepEqual(compute.privacy?.sigma, resultSigma);
      assert.equal(accepted.privacy?.sigma, undefined);
      assert.match(declined.reason, /^dataset iris has ρ 0\.2 .* of its privacy budget left/);
      assert.deepEqual(declined.datasets, ["iris"]);
      for (const [k, ph] of [
        ["setup", Phase.Setup],
        ["compute", Phase.Compute],
        ["reveal", Phase.Aggregate],
      ] as const) {
        const e = entries.find((x) => x.phase === k)!;
        const c = contributions.get(ph)!.find((x) => x.member === ws[i].address)!;
        assert.equal(e.blobHash, c.blobHash, `o${i} ${k}`);
        assert.equal(e.commitment, c.commitment, `o${i} ${k}`);
        assert.equal(e.bytes, (await R.connector.getBlob(c.blobHash)).length, `o${i} ${k}: the released size`);
        assert.equal(e.anchor.event, "PhaseAdvanced");
        assert.match(e.anchor.txHash, /^0x[0-9a-f]+$/);
      }
      // paging walks the same entries
      const p1 = await api(i).audit({ limit: 4 });
      assert.equal(p1.next, 4);
      const p2 = await api(i).audit({ after: p1.next, limit: 4 });
      assert.deepEqual([...p1.entries, ...p2.entries], entries);
      assert.deepEqual(
        (await api(i).audit({ taskId: declinedTask })).entries.map((e) => e.seq),
        [6],
      );

      const v = await api(i).auditVerify();
      assert.deepEqual({ ok: v.ok, entries: v.entries, bad: v.bad }, { ok: true, entries: 6, bad: undefined }, `o${i}: ${JSON.stringify(v)}`);
      assert.ok(v.eventsRead > 10);
    }
    // The requester released no data: nothing to audit.
    assert.deepEqual((await new NodeApiClient(R.url, ws[3]).audit()).entries, []);
  });

  /** The operator's own edits to its node's SQLite file, triggers dropped first. */
  function tamper(i: number, edit: (entries: AuditEntry[]) => AuditEntry[]) {
    const db = new DatabaseSync(owners[i].store.file);
    try {
      db.exec("PRAGMA busy_timeout = 5000; DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;");
      const rows = db.prepare(`SELECT entry FROM audit_log ORDER BY seq`).all() as { entry: string }[];
      const after = edit(rows.map((r) => JSON.parse(r.entry) as AuditEntry));
      db.exec("BEGIN; DELETE FROM audit_log;");
      const ins = db.prepare(`INSERT INTO audit_log(seq, task_id, round, action, entry, hash) VALUES(?, ?, ?, ?, ?, ?)`);
      after.forEach((e, k) => ins.run(k + 1, e.taskId, e.round, e.action, JSON.stringify(e), e.hash));
      db.exec("COMMIT");
    } finally {
      db.close();
    }
  }
  const bodyOf = ({ seq: _s, prev: _p, hash: _h, ...b }: AuditEntry): AuditBody => b;
  /** The whole chain rebuilt from edited bodies: every hash and link consistent again. */
  const rehash = (bodies: AuditBody[]) => bodies.reduce<AuditEntry[]>((out, b) => [...out, chainEntry(out.at(-1), b)], []);

  test("tampering is caught: an edited size, a rehashed forged blob hash, a dropped release", { timeout: 120_000 }, async () => {
    // o0 shrinks what it says it released: the hash of entry 4 no longer matches.
    tamper(0, (es) => es.map((e) => (e.seq === 4 ? { ...e, bytes: 10 } : e)));
    let v = await api(0).auditVerify();
    assert.equal(v.ok, false);
    assert.equal(v.bad?.seq, 4, JSON.stringify(v));
    assert.match(v.bad.reason, /entry 4 was altered/);

    // o1 forges the blob of its compute release and rebuilds the whole hash chain: the chain's ContributionSubmitted disagrees.
    tamper(1, (es) => rehash(es.map((e) => (e.seq === 4 ? { ...bodyOf(e), blobHash: "0x" + "11".repeat(32) } : bodyOf(e)))));
    v = await api(1).auditVerify();
    assert.equal(v.ok, false);
    assert.equal(v.bad?.seq, 4, JSON.stringify(v));
    assert.match(v.bad.reason, /ContributionSubmitted has blob 0x[0-9a-f]{64} and commitment/);

    // o2 drops its compute release and rebuilds the chain: the chain shows a submission the log lacks.
    tamper(2, (es) => rehash(es.filter((e) => e.seq !== 4).map(bodyOf)));
    v = await api(2).auditVerify();
    assert.equal(v.ok, false);
    assert.equal(v.bad?.seq, 6, JSON.stringify(v));
    assert.match(v.bad.reason, /submitted blob 0x[0-9a-f]{64} in round 1 of task \d+ .* the log has no entry for it/);

    // o0 moves an anchor to another event: the event at that cursor is not what the entry says.
    tamper(0, (es) => rehash(es.map((e) => (e.seq === 2 ? { ...bodyOf(e), anchor: { ...e.anchor, cursor: es[0].anchor.cursor } } : bodyOf(e)))));
    v = await api(0).auditVerify();
    assert.equal(v.bad?.seq, 2, JSON.stringify(v));
    assert.match(v.bad.reason, /the event at cursor \d+ is TaskCreated, the entry says RoundStarted/);
  });
});
