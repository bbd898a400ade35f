import type { ChainEvent } from "../../protocol/src/events.js";
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Wallet } from "ethers";
import type { Table } from "../../node/src/data/table.js";
import type { RunningNode } from "../../node/src/index.js";
import type { SecureStatsResult } from "../../node/src/runtime/kinds/stats/index.js";
import { closePool } from "../../node/src/runtime/pool.js";
import { nodeHarness, wallets, type NodeHarness } from "../node/harness.js";
import { finalResult, preferRamDisk } from "./network.js";
import { IRIS_COLS, IRIS_INIT, irisTables, label, linregTables, lloyd, logregTables, relClose, union } from "./reference.js";
import { REG, gdReference, hardSigmoidLink, plainStats, writeDatasets } from "./proven.js";
import type { KmeansResult } from "../../node/src/runtime/kinds/kmeans/index.js";
import { squaredLink, type RegressionResult } from "../../node/src/runtime/kinds/linreg/index.js";
import { HONK_CHEATERS, submitHonk } from "./honk.js";

/** UltraHonk-proven stats rounds (see ./honk.ts), coordinator mode: no Groth16 verifier configured, the requester verifies every proof. */
describe("UltraHonk-proven rounds (stats, kmeans, linreg, logreg), coordinator mode, 3 owners + requester", () => {
  let h: NodeHarness;
  let ws: Wallet[];
  let R: RunningNode;
  const tables: Table[] = [];
  const lin: Table[] = [];
  const log: Table[] = [];
  const wide: Table[] = [];
  const WIDE_COLS = [...IRIS_COLS, "sepal_area", "petal_diff"];

  before(async () => {
    preferRamDisk();
    h = await nodeHarness();
    ws = wallets(4);
    for (let i = 0; i < 3; i++) {
      const t = irisTables(3)[i];
      tables.push(t);
      lin.push(linregTables(3)[i]);
      log.push(logregTables(3)[i]);
      wide.push({ columns: WIDE_COLS, rows: t.rows.map((r) => [...r, r[0] * r[1], r[2] - r[3]]) });
      const datasets = await writeDatasets((n, b) => h.file(n, b), `o${i}`, { iris: t, lin: lin[i], log: log[i], wide: wide[i] });
      await h.node(`o${i}`, ws[i], { datasets }, i === 2 ? { handlers: HONK_CHEATERS, replaceBuiltins: true } : {});
    }
    R = await h.node("R", ws[3], { roles: ["Requester"] });
  });
  after(async () => {
    await h?.stop();
    await closePool();
  });

  describe("tasks", { concurrency: true }, () => {
    test("stats / secagg: the union's statistics, one Honk proof per owner verified off-chain", { timeout: 900_000 }, async (t) => {
      const t0 = Date.now();
      const { taskId } = await submitHonk(R, ws, { kind: "stats", aggregation: "secagg", dataset: "iris", params: { columns: IRIS_COLS } });
      const { result } = await finalResult<SecureStatsResult & { proofs: unknown }>(R, taskId, 1);
      t.diagnostic(`${((Date.now() - t0) / 1000).toFixed(1)} s`);
      assert.deepEqual(result.proofs, { circuit: "stats_chunk", verification: "offchain", chunks: 3, aggregateOpensCommitments: true, system: "honk" });
      assert.deepEqual(result.rejected, []);
      const rows = union(tables);
      IRIS_COLS.forEach((c, j) => {
        const want = plainStats(rows, j);
        assert.equal(result.columns[c].count, want.count);
        relClose([result.columns[c].mean, result.columns[c].variance], [want.mean, want.variance], 1e-5, c);
        // Proven by each owner's chained min/max proofs, opened by the requester (fixed point: within 2^-17).
        const xs = rows.map((r) => r[j]);
        assert.ok(Math.abs(result.columns[c].min! - Math.min(...xs)) <= 2 ** -16, `${c} min ${result.columns[c].min}`);
        assert.ok(Math.abs(result.columns[c].max! - Math.max(...xs)) <= 2 ** -16, `${c} max ${result.columns[c].max}`);
      });
    });

    test("stats / plain over 6 columns: the width-16 circuit (stats_chunk_w16), the union's statistics", { timeout: 900_000 }, async () => {
      const { taskId } = await submitHonk(R, ws, { kind: "stats", aggregation: "plain", dataset: "wide", params: { columns: WIDE_COLS } });
      const { result } = await finalResult<SecureStatsResult & { proofs: unknown }>(R, taskId, 1);
      assert.deepEqual(result.proofs, { circuit: "stats_chunk_w16", verification: "offchain", chunks: 3, aggregateOpensCommitments: true, system: "honk" });
      assert.deepEqual(result.rejected, []);
      const rows = union(wide);
      WIDE_COLS.forEach((c, j) => {
        const want = plainStats(rows, j);
        assert.equal(result.columns[c].count, want.count);
        relClose([result.columns[c].mean, result.columns[c].variance], [want.mean, want.variance], 1e-5, c);
        // Proven by each owner's chained min/max proofs, opened by the requester (fixed point: within 2^-17).
        const xs = rows.map((r) => r[j]);
        assert.ok(Math.abs(result.columns[c].min! - Math.min(...xs)) <= 2 ** -16, `${c} min ${result.columns[c].min}`);
        assert.ok(Math.abs(result.columns[c].max! - Math.max(...xs)) <= 2 ** -16, `${c} max ${result.columns[c].max}`);
      });
    });

    test("kmeans / plain, 2 Lloyd rounds (k = 3 of the circuit's 4): the same partition as plaintext Lloyd", { timeout: 900_000 }, async () => {
      const { taskId } = await submitHonk(R, ws, {
        kind: "kmeans",
        aggregation: "plain",
        dataset: "iris",
        params: { columns: IRIS_COLS, initial: IRIS_INIT, tolerance: 0 },
        rounds: 2,
      });
      const { result, round } = await finalResult<KmeansResult & { proofs: unknown }>(R, taskId, 2);
      assert.equal(round, 2);
      assert.deepEqual(result.proofs, { circuit: "kmeans_chunk", verification: "offchain", chunks: 3, aggregateOpensCommitments: true, system: "honk" });
      const rows = union(tables);
      const ref = lloyd(rows, IRIS_INIT, 0, 2);
      assert.deepEqual(
        rows.map((x) => label(x, result.centroids)),
        rows.map((x) => label(x, ref.centroids)),
      );
      result.centroids.forEach((c, k) => relClose(c, ref.centroids[k], 1e-4, `centroid ${k}`));
    });

    test("linreg / secagg, 1 round: the plaintext gradient step within 1e-3", { timeout: 900_000 }, async () => {
      const { taskId } = await submitHonk(R, ws, { kind: "linreg", aggregation: "secagg", dataset: "lin", params: REG });
      const { result } = await finalResult<RegressionResult>(R, taskId, 1);
      relClose(result.weights, gdReference(union(lin), squaredLink, REG, 1), 1e-3, "weights");
    });

    test("logreg / plain, 1 round: the hard-sigmoid gradient step within 1e-3", { timeout: 900_000 }, async () => {
      const { taskId } = await submitHonk(R, ws, { kind: "logreg", aggregation: "plain", dataset: "log", params: REG });
      const { result } = await finalResult<RegressionResult>(R, taskId, 1);
      relClose(result.weights, gdReference(union(log), hardSigmoidLink, REG, 1), 1e-3, "weights");
    });

    test(
      "a fraudulent group proof (its list root recorded as sent) is refused and challenged: the connector excludes the member (MemberExcluded), the others' statistics are exact",
      { timeout: 900_000 },
      async () => {
        const { taskId } = await submitHonk(R, ws, { kind: "stats", aggregation: "plain", dataset: "iris", params: { columns: IRIS_COLS }, cheat: "proof" });
        const { result } = await finalResult<SecureStatsResult>(R, taskId, 1);
        assert.deepEqual(
          result.rejected.map((r) => [r.member.toLowerCase(), /UltraHonk proof does not verify/.test(r.reason)]),
          [[ws[2].address.toLowerCase(), true]],
        );
        // The requester challenged the entry; the connector re-checked it with bb and recorded the exclusion.
        const ac = new AbortController();
        const timer = setTimeout(() => ac.abort(), 60_000);
        let excluded: ChainEvent | undefined;
        try {
          for await (const e of R.connector.events(undefined, ac.signal))
            if (e.type === "MemberExcluded" && e.taskId === taskId) {
              excluded = e;
              break;
            }
        } finally {
          clearTimeout(timer);
        }
        assert.ok(excluded?.type === "MemberExcluded", "a MemberExcluded event for the task");
        assert.deepEqual([excluded.member.toLowerCase(), excluded.round, excluded.reason], [ws[2].address.toLowerCase(), 1, 5]);
        const honest = union(tables.slice(0, 2));
        assert.equal(result.columns.sepal_length.count, honest.length);
        relClose([result.columns.sepal_length.mean], [plainStats(honest, 0).mean], 1e-5, "mean of the honest two");
      },
    );
  });
});
