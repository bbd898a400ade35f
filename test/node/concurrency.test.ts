import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { defineTaskKind } from "../../protocol/src/tasks/registry.js";
import { canonicalJson } from "../../protocol/src/canonical.js";
import { ConnectorError } from "../../chain-connector/src/connector.js";
import { NodeApiClient, plainCommitment, type RunningNode, type TaskKindHandler } from "../../node/src/index.js";
import { StreamProgress } from "../../node/src/runtime/progress.js";
import { NodeStore, type RoundState } from "../../node/src/store/store.js";
import type { StatsResult } from "../../node/src/runtime/kinds/stats/index.js";
import { setTimeout as sleep } from "node:timers/promises";
import { nodeHarness, wallets, type NodeHarness } from "./harness.js";

const c = (n: number) => String(n).padStart(8, "0");

describe("stream progress with concurrent lanes", () => {
  test("the watermark stops at the lowest unfinished event; lanes ahead of it are remembered, then forgotten", () => {
    const p = new StreamProgress({ watermark: c(0), done: {} });
    for (const n of [1, 2, 3, 4]) p.dispatch(c(n));
    // Lane B (events 2 and 4) finishes before lane A (event 1, then 3).
    assert.equal(p.finish("B", c(2)), false);
    assert.equal(p.finish("B", c(4)), false);
    assert.deepEqual(p.snapshot(), { watermark: c(0), done: { B: c(4) } });

    // A restart here resumes after event 0, skips B's events and runs A's.
    const r = new StreamProgress(p.snapshot());
    assert.equal(r.resumeAfter, c(0));
    assert.equal(r.finishedBefore("B", c(2)), true);
    assert.equal(r.finishedBefore("B", c(4)), true);
    assert.equal(r.finishedBefore("A", c(1)), false);
    assert.equal(r.finishedBefore("B", c(5)), false);

    assert.equal(p.finish("A", c(1)), true);
    assert.equal(p.watermark, c(2));
    assert.equal(p.finish("A", c(3)), true);
    assert.deepEqual(p.snapshot(), { watermark: c(4), done: {} }, "marks at or before the watermark are dropped");
  });

  test("a repeated or older event is recognised; finishing an unknown event is a bug", () => {
    const p = new StreamProgress({ done: {} });
    p.dispatch(c(5));
    assert.equal(p.seen(c(5)), true);
    assert.equal(p.seen(c(4)), true);
    assert.equal(p.seen(c(6)), false);
    assert.throws(() => p.dispatch(c(5)), /dispatched twice or out of order/);
    assert.throws(() => p.finish("A", c(6)), /never dispatched/);
    // Marks persisted against an older watermark than the one given are ignored.
    assert.deepEqual(new StreamProgress({ watermark: c(9), done: { A: c(7), B: c(12) } }).snapshot(), { watermark: c(9), done: { B: c(12) } });
  });
});

// A kind whose contribution waits until the test opens a gate: a stand-in for a long proof.
defineTaskKind("test-gate", z.object({}));
let gate: { promise: Promise<void>; open(): void; fail(e: Error): void };
const newGate = () => {
  let open!: () => void, fail!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => ((open = res), (fail = rej)));
  gate = { promise, open, fail };
};
let entered = 0;
const gateHandler: TaskKindHandler = {
  kind: "test-gate",
  aggregations: ["plain"],
  async contribute(ctx) {
    entered++;
    await gate.promise;
    const payload = new TextEncoder().encode(canonicalJson({ rows: ctx.datasets[0].table.rows.length }));
    return { payload, commitment: plainCommitment(payload) };
  },
  async aggregate(_ctx, contributions) {
    return { result: { rows: contributions.reduce((a, x) => a + (JSON.parse(new TextDecoder().decode(x.payload)) as { rows: number }).rows, 0) } };
  },
};

describe("runtime: tasks run concurrently, in order within a task", () => {
  let h: NodeHarness;
  before(async () => {
    h = await nodeHarness();
  });
  after(async () => {
    gate?.open();
    await h?.stop();
  });

  test("a task finishes while another task's contribution is still being computed; a restart then neither loses nor repeats an event", { timeout: 120_000 }, async () => {
    const [w, wR] = wallets(2);
    const opts = { handlers: [gateHandler] };
    const cfg = { datasets: [{ name: "d", path: await h.file("g.csv", "x\n1\n2\n3\n"), format: "csv" as const }] };
    let n: RunningNode = await h.node("g1", w, cfg, opts);
    const R = await h.node("gR", wR, { roles: ["Requester"] }, opts);
    const api = new NodeApiClient(R.url, wR);
    const ds = [{ owner: w.address, datasetId: "d" }];
    const one = { min: 1, max: 1, threshold: 1 };
    newGate();
    entered = 0;
    const slow = (await api.submitTask({ kind: "test-gate", datasets: ds, members: one })).taskId;
    // The contribution is under way, so no event of that task completes: poll instead of runtime.when.
    while (entered === 0) await sleep(10);

    // The slow task holds its contribution; a stats task submitted after it runs to the end.
    const fast = (await api.submitTask({ kind: "stats", datasets: ds, params: { columns: ["x"] }, members: one })).taskId;
    await R.runtime.when(() => R.store.getRound(fast, 1, "requester")?.status === "done");
    assert.equal((R.store.getResult(fast, 1)!.result as StatsResult).columns.x.sum, 6);
    assert.equal(n.store.getRound(fast, 1, "member")?.status, "done");
    assert.equal(n.store.getRound(slow, 1, "member")?.status, "joined", "the slow task is still computing");

    // The node dies mid-contribution: the slow task's Compute event is not recorded, the fast task's later events are.
    const stopping = n.stop();
    gate.fail(new ConnectorError("Unavailable", "the process died"));
    await stopping;
    const st = new NodeStore(`${n.config.dataDir}/node.sqlite`);
    const lanes = JSON.parse(st.meta("cursor.lanes")!) as { base: string; done: Record<string, string> };
    assert.equal(lanes.base, st.cursor());
    st.close();
    assert.ok(lanes.done[`task:${fast}`] > lanes.base, "the fast task ran ahead of the watermark, which waits for the slow task");
    assert.equal(lanes.done[`task:${slow}`], undefined);

    newGate();
    gate.open();
    entered = 0;
    const rounds: RoundState[] = [];
    n = await h.node("g1", w, cfg, opts);
    n.runtime.on("round", (r: RoundState) => rounds.push(r));
    await R.runtime.when(() => R.store.getRound(slow, 1, "requester")?.status === "done");
    await n.runtime.when(() => n.store.getRound(slow, 1, "member")?.status === "done");
    assert.deepEqual(R.store.getResult(slow, 1)!.result, { rows: 3 });
    assert.equal(entered, 1, "the slow task's contribution was computed once after the restart");
    assert.deepEqual(
      rounds.filter((r) => r.taskId === fast),
      [],
      "none of the fast task's events, finished before the crash, was handled again",
    );
    assert.equal(n.store.getRound(fast, 1, "member")?.status, "done");
  });
});
