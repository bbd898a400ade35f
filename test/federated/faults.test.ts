import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { keccak256, toUtf8Bytes, type Wallet } from "ethers";
import { canonicalJson } from "../../protocol/src/canonical.js";
import { Phase } from "../../protocol/src/phases.js";
import { submitFederated, type RunningNode, type TaskKindHandler } from "../../node/src/index.js";
import { linregHandler, type RegressionResult } from "../../node/src/runtime/kinds/linreg/index.js";
import type { SecureStatsResult } from "../../node/src/runtime/kinds/stats/index.js";
import type { Table } from "../../node/src/data/table.js";
import { nodeHarness, wallets, type NodeHarness } from "../node/harness.js";
import { finalResult, ownerDatasets, preferRamDisk } from "./network.js";
import { IRIS_COLS, leastSquares, relClose, union } from "./reference.js";

/**
 * A member whose linreg contribution is wrong: under plain aggregation its on-chain commitment
 * does not match the payload; under secagg its masked vector is one value short.
 */
const wrongLinreg: TaskKindHandler = {
  ...linregHandler,
  async contribute(ctx) {
    const s = await linregHandler.contribute(ctx);
    if (ctx.spec.aggregation === "plain") return { payload: s.payload, commitment: keccak256(toUtf8Bytes("not this payload")) };
    const msg = JSON.parse(new TextDecoder().decode(s.payload)) as { y: string[] };
    msg.y.pop();
    const payload = toUtf8Bytes(canonicalJson(msg));
    return { payload, commitment: keccak256(payload) };
  },
};

const status = (n: RunningNode, taskId: number) => n.store.getRound(taskId, 1, "member")?.status;
const lc = (w: Wallet) => w.address.toLowerCase();

describe("faults: wrong contributions and drop-outs (coordinator mode)", () => {
  let h: NodeHarness;
  let ws: Wallet[];
  const nodes: RunningNode[] = [];
  let R: RunningNode;
  const tables: Record<string, Table>[] = [];
  const configs: Awaited<ReturnType<typeof ownerDatasets>>["datasets"][] = [];

  before(async () => {
    preferRamDisk();
    h = await nodeHarness();
    ws = wallets(7);
    // Five honest owners (the data split in five), a sixth that misbehaves, and the requester.
    for (let i = 0; i < 5; i++) {
      const d = await ownerDatasets((n, b) => h.file(n, b), `o${i}`, i, 5);
      tables.push(d.tables);
      configs.push(d.datasets);
      nodes.push(await h.node(`o${i}`, ws[i], { datasets: d.datasets }));
    }
    const d = await ownerDatasets((n, b) => h.file(n, b), "bad", 3, 5);
    await h.node("bad", ws[5], { datasets: d.datasets }, { handlers: [wrongLinreg], replaceBuiltins: true });
    R = await h.node("R", ws[6], { roles: ["Requester"] });
  });
  after(async () => {
    await h?.stop();
  });

  const honest3 = () => [0, 1, 2].map((i) => lc(ws[i])).sort();

  for (const aggregation of ["plain", "secagg"] as const) {
    test(`linreg / ${aggregation}: a wrong contribution is left out and reported; the result is that of the others`, { timeout: 120_000 }, async () => {
      const owners = [ws[0], ws[1], ws[2], ws[5]];
      const { taskId } = await submitFederated(R, {
        kind: "linreg",
        aggregation,
        datasets: owners.map((w) => ({ owner: w.address, datasetId: "lin" })),
        params: { features: ["x1", "x2", "x3"], target: "y" },
        rounds: 1,
        members: { min: 4, max: 4, threshold: 3 },
      });
      const { result } = await finalResult<RegressionResult>(R, taskId, 1);
      assert.deepEqual(result.members, honest3());
      assert.equal(result.rejected.length, 1, JSON.stringify(result.rejected));
      assert.equal(result.rejected[0].member.toLowerCase(), lc(ws[5]));
      assert.equal(result.rejected[0].phase, "compute");
      assert.match(result.rejected[0].reason, aggregation === "plain" ? /does not match its on-chain commitment/ : /expected a vector of \d+ field elements/);
      if (aggregation === "secagg") assert.deepEqual(result.dropped, [lc(ws[5])], "its masks were removed as a dropped member's");
      relClose(result.weights, leastSquares(union([0, 1, 2].map((i) => tables[i].lin))), 1e-6, "weights");
      // The round record names only the valid contributors.
      const record = JSON.parse(new TextDecoder().decode(await R.connector.getBlob(R.store.getResult(taskId, 1)!.recordHash))) as { contributors: string[] };
      assert.deepEqual(record.contributors.map((a) => a.toLowerCase()).sort(), honest3());
    });
  }

  test("secagg: an owner restarted between Setup and Compute resumes from its persisted key state; the sum is exact", { timeout: 120_000 }, async () => {
    const { taskId } = await submitFederated(R, {
      kind: "stats",
      aggregation: "secagg",
      datasets: ws.slice(0, 4).map((w) => ({ owner: w.address, datasetId: "iris" })),
      params: { columns: IRIS_COLS },
      members: { min: 3, max: 5, threshold: 2 },
    });
    const four = nodes.slice(0, 4);
    await Promise.all(four.map((n) => n.runtime.when(() => status(n, taskId) === "joined")));
    // o3 stays silent in Setup, so the Setup phase lasts until its deadline.
    await nodes[3].stop();
    h.clock.set(h.network.getRound(taskId, 1)!.deadline + 1);
    await Promise.all([0, 1, 2].map((i) => nodes[i].runtime.when(() => status(nodes[i], taskId) === "setup-submitted")));
    await nodes[1].stop();
    h.clock.set(h.network.getRound(taskId, 1)!.deadline + 1);
    await Promise.all([0, 2].map((i) => nodes[i].runtime.when(() => status(nodes[i], taskId) === "submitted")));
    nodes[1] = await h.node("o1", ws[1], { datasets: configs[1] });
    const { result } = await finalResult<SecureStatsResult>(R, taskId, 1);
    assert.deepEqual(result.contributors, honest3());
    assert.deepEqual(result.dropped, []);
    assert.equal(result.columns.petal_width.count, union([0, 1, 2].map((i) => tables[i].iris)).length);
    const xs = union([0, 1, 2].map((i) => tables[i].iris)).map((r) => r[3]);
    assert.ok(Math.abs(result.columns.petal_width.sum - xs.reduce((a, b) => a + b, 0)) <= 3 * 2 ** -20);
    nodes[3] = await h.node("o3", ws[3], { datasets: configs[3] });
  });

  test("secagg: one owner drops before Setup, one during Compute; the sum of the three survivors is exact", { timeout: 120_000 }, async () => {
    const { taskId } = await submitFederated(R, {
      kind: "stats",
      aggregation: "secagg",
      datasets: ws.slice(0, 5).map((w) => ({ owner: w.address, datasetId: "iris" })),
      params: { columns: IRIS_COLS },
      // max 6 > 5 owners: the join phase ends at its deadline, which the test moves.
      members: { min: 3, max: 6, threshold: 3 },
    });
    await Promise.all(nodes.map((n) => n.runtime.when(() => status(n, taskId) === "joined")));
    await nodes[3].stop();
    h.clock.set(h.network.getRound(taskId, 1)!.deadline + 1);
    await Promise.all([0, 1, 2, 4].map((i) => nodes[i].runtime.when(() => status(nodes[i], taskId) === "setup-submitted")));
    // o4 has sent its key shares and goes down before its masked input.
    await nodes[4].stop();
    h.clock.set(h.network.getRound(taskId, 1)!.deadline + 1);
    await Promise.all([0, 1, 2].map((i) => nodes[i].runtime.when(() => status(nodes[i], taskId) === "submitted")));
    assert.equal(h.network.getRound(taskId, 1)!.phase, Phase.Compute, "the round waits for o4 until the deadline");
    h.clock.set(h.network.getRound(taskId, 1)!.deadline + 1);
    const { result } = await finalResult<SecureStatsResult>(R, taskId, 1);
    assert.deepEqual(result.contributors, honest3());
    assert.deepEqual(result.dropped, [lc(ws[4])]);
    assert.equal(result.members, 3);
    const rows = union([0, 1, 2].map((i) => tables[i].iris));
    IRIS_COLS.forEach((c, j) => {
      const xs = rows.map((r) => r[j]);
      const sum = xs.reduce((a, b) => a + b, 0);
      const mean = sum / xs.length;
      assert.equal(result.columns[c].count, xs.length);
      // The only error is the 2^-20 rounding of each member's sums.
      assert.ok(Math.abs(result.columns[c].sum - sum) <= 3 * 2 ** -20, `${c}: ${result.columns[c].sum} vs ${sum}`);
      relClose([result.columns[c].variance], [xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length], 1e-6, c);
    });
  });

  test("secagg: below the threshold the round fails cleanly, with no result", { timeout: 120_000 }, async () => {
    const { taskId } = await submitFederated(R, {
      kind: "stats",
      aggregation: "secagg",
      datasets: ws.slice(0, 3).map((w) => ({ owner: w.address, datasetId: "iris" })),
      params: { columns: IRIS_COLS },
      members: { min: 3, max: 4, threshold: 3 },
    });
    await Promise.all([0, 1, 2].map((i) => nodes[i].runtime.when(() => status(nodes[i], taskId) === "joined")));
    await nodes[2].stop();
    h.clock.set(h.network.getRound(taskId, 1)!.deadline + 1);
    await Promise.all([0, 1].map((i) => nodes[i].runtime.when(() => status(nodes[i], taskId) === "setup-submitted")));
    h.clock.set(h.network.getRound(taskId, 1)!.deadline + 1);
    await R.runtime.when(() => R.store.getRound(taskId, 1, "requester")?.status === "failed");
    assert.match(R.store.getRound(taskId, 1, "requester")!.error!, /below-threshold/i);
    assert.equal(h.network.getRound(taskId, 1)!.phase, Phase.Failed);
    assert.equal(R.store.getResult(taskId, 1), undefined);
    for (const i of [0, 1]) await nodes[i].runtime.when(() => status(nodes[i], taskId) === "failed");
  });
});
