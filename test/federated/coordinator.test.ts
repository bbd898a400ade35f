import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import type { Wallet } from "ethers";
import { NodeApiClient, submitFederated, type RunningNode } from "../../node/src/index.js";
import type { KmeansResult } from "../../node/src/runtime/kinds/kmeans/index.js";
import type { RegressionResult } from "../../node/src/runtime/kinds/linreg/index.js";
import type { SecureStatsResult, StatsResult } from "../../node/src/runtime/kinds/stats/index.js";
import { BACKENDS } from "../../node/src/runtime/aggregation/index.js";
import type { NodeHarness } from "../node/harness.js";
import { finalResult, ownersAndRequester } from "./network.js";
import { IRIS_COLS, IRIS_INIT, label, leastSquares, lloyd, logisticFit, relClose, union } from "./reference.js";
import type { Table } from "../../node/src/data/table.js";

/**
 * Three data owners and a requester over the coordinator (real HTTP, signed requests): every
 * federated kind with every aggregation backend, against the plaintext computation on the union.
 */
describe("federated kinds × backends, coordinator mode, 3 owners + requester", { concurrency: true }, () => {
  let h: NodeHarness;
  let R: RunningNode;
  let ws: Wallet[];
  let tables: Record<string, Table[]>;

  before(async () => {
    ({ h, ws, R, tables } = await ownersAndRequester());
  });
  after(async () => {
    await h?.stop();
  });

  const submit = (kind: string, aggregation: string, dataset: string, params: Record<string, unknown>, rounds: number) =>
    submitFederated(
      R,
      {
        kind,
        aggregation: aggregation as "plain",
        datasets: ws.slice(0, 3).map((w) => ({ owner: w.address, datasetId: dataset })),
        params,
        rounds,
        // max = 3: the join phase closes as soon as the three owners are in; no clock needed.
        members: { min: 3, max: 3, threshold: 2 },
      },
      { paillierBits: 1024 },
    );

  for (const aggregation of BACKENDS) {
    test(`kmeans / ${aggregation}: Lloyd rounds give Lloyd's partition of the union`, { timeout: 120_000 }, async (t) => {
      const t0 = Date.now();
      const { taskId } = await submit("kmeans", aggregation, "iris", { columns: IRIS_COLS, initial: IRIS_INIT, tolerance: 1e-9 }, 30);
      const { result, round } = await finalResult<KmeansResult>(R, taskId, 30);
      t.diagnostic(`${round} round(s), ${((Date.now() - t0) / 1000).toFixed(1)} s (${((Date.now() - t0) / 1000 / round).toFixed(2)} s per round, tests running concurrently)`);
      const rows = union(tables.iris);
      const ref = lloyd(rows, IRIS_INIT, 1e-9);
      assert.equal(result.converged, true);
      assert.equal(round, ref.rounds);
      assert.deepEqual(
        rows.map((x) => label(x, result.centroids)),
        rows.map((x) => label(x, ref.centroids)),
      );
      result.centroids.forEach((c, k) => relClose(c, ref.centroids[k], 1e-5, `centroid ${k}`));
      assert.deepEqual(
        result.members,
        ws
          .slice(0, 3)
          .map((w) => w.address.toLowerCase())
          .sort(),
      );
      assert.deepEqual(result.rejected, []);
    });

    test(`linreg / ${aggregation}: Newton rounds give the closed-form least squares`, { timeout: 120_000 }, async (t) => {
      const t0 = Date.now();
      const { taskId } = await submit("linreg", aggregation, "lin", { features: ["x1", "x2", "x3"], target: "y" }, 5);
      const { result, round } = await finalResult<RegressionResult>(R, taskId, 5);
      t.diagnostic(`${round} round(s), ${((Date.now() - t0) / 1000).toFixed(1)} s (${((Date.now() - t0) / 1000 / round).toFixed(2)} s per round, tests running concurrently)`);
      assert.equal(round, 2);
      relClose(result.weights, leastSquares(union(tables.lin)), 1e-6, "weights");
    });

    test(`logreg / ${aggregation}: IRLS rounds give the centralized logistic fit`, { timeout: 120_000 }, async (t) => {
      const t0 = Date.now();
      const { taskId } = await submit("logreg", aggregation, "log", { features: ["x1", "x2", "x3"], target: "y" }, 15);
      const { result, round } = await finalResult<RegressionResult>(R, taskId, 15);
      t.diagnostic(`${round} round(s), ${((Date.now() - t0) / 1000).toFixed(1)} s (${((Date.now() - t0) / 1000 / round).toFixed(2)} s per round, tests running concurrently)`);
      assert.equal(result.converged, true);
      relClose(result.weights, logisticFit(union(tables.log)), 1e-5, "weights");
    });

    test(`stats / ${aggregation}: statistics of the union`, { timeout: 120_000 }, async (t) => {
      const t0 = Date.now();
      const { taskId } = await submit("stats", aggregation, "iris", { columns: IRIS_COLS }, 1);
      const { result, round } = await finalResult<StatsResult | SecureStatsResult>(R, taskId, 1);
      t.diagnostic(`${round} round(s), ${((Date.now() - t0) / 1000).toFixed(1)} s (${((Date.now() - t0) / 1000 / round).toFixed(2)} s per round, tests running concurrently)`);
      assert.equal(result.members, 3);
      IRIS_COLS.forEach((c, j) => {
        const xs = union(tables.iris).map((r) => r[j]);
        const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
        const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length;
        assert.equal(result.columns[c].count, 150);
        relClose([result.columns[c].mean, result.columns[c].variance], [mean, variance], 1e-6, c);
      });
    });
  }

  test("through the node's HTTP API: the requester node makes a 2048-bit Paillier key itself and keeps the secret half", { timeout: 120_000 }, async (t) => {
    const t0 = Date.now();
    const api = new NodeApiClient(R.url, ws[3]);
    const { taskId } = await api.submitTask({
      kind: "linreg",
      aggregation: "paillier",
      datasets: ws.slice(0, 3).map((w) => ({ owner: w.address, datasetId: "lin" })),
      params: { features: ["x1", "x2", "x3"], target: "y" },
      members: { min: 3, max: 3, threshold: 2 },
    });
    const { result, round } = await finalResult<RegressionResult>(R, taskId, 1);
    t.diagnostic(`${round} round(s), ${((Date.now() - t0) / 1000).toFixed(1)} s (${((Date.now() - t0) / 1000 / round).toFixed(2)} s per round, tests running concurrently)`);
    relClose(result.weights, leastSquares(union(tables.lin)), 1e-6, "weights");
    const spec = (await R.connector.getTaskSpec(taskId))!;
    assert.ok(BigInt("0x" + (spec.params.paillier as { n: string }).n) >= 1n << 2047n, "the spec names a 2048-bit modulus");
    const res = await api.result<RegressionResult>(taskId, 1);
    assert.deepEqual(res.result.weights, result.weights);
  });
});
