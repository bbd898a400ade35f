import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Wallet } from "ethers";
import { releaseZk } from "../../chain-connector/src/zkverify.js";
import type { Table } from "../../node/src/data/table.js";
import type { RunningNode } from "../../node/src/index.js";
import type { KmeansResult } from "../../node/src/runtime/kinds/kmeans/index.js";
import { squaredLink, type RegressionResult } from "../../node/src/runtime/kinds/linreg/index.js";
import type { SecureStatsResult } from "../../node/src/runtime/kinds/stats/index.js";
import { nodeHarness, wallets, type NodeHarness } from "../node/harness.js";
import { contributionVerifier, finalResult, preferRamDisk } from "./network.js";
import { IRIS_COLS, IRIS_INIT, label, lloyd, relClose, union } from "./reference.js";
import { CHEATERS, REG, gdReference, hardSigmoidLink, plainStats, proofDatasets, submitProven, writeDatasets, type Cheat } from "./proven.js";

/**
 * Groth16-proven contributions (see ./proven.ts), coordinator mode: verification "onchain", the
 * connector playing TaskManager's check of the sampled chunk ("offchain" tasks are UltraHonk:
 * honk.test.ts). The chain mode is proven-chain.test.ts, so the two run in parallel.
 */
describe("proven federated contributions, coordinator mode, 3 owners + requester", () => {
  let h: NodeHarness;
  let ws: Wallet[];
  let R: RunningNode;
  const owners: RunningNode[] = [];
  const tables: Record<string, Table[]> = { iris: [], iris30: [], lin: [], log: [] };

  before(async () => {
    preferRamDisk();
    h = await nodeHarness({ verifier: await contributionVerifier() });
    ws = wallets(4);
    for (let i = 0; i < 3; i++) {
      const t = proofDatasets(i);
      for (const k of Object.keys(tables)) tables[k].push(t[k]);
      // Groth16 ("onchain") opens the row-by-row commitment; "chunks" is the default.
      const datasets = (await writeDatasets((n, b) => h.file(n, b), `o${i}`, t)).map((d) => ({ ...d, commitment: "rows" as const }));
      // Owner 2 proves like the others and cheats only in the tasks the fault tests mark.
      const handlers = i === 2 ? CHEATERS : undefined;
      owners.push(await h.node(`o${i}`, ws[i], { datasets }, handlers ? { handlers, replaceBuiltins: true } : {}));
    }
    R = await h.node("R", ws[3], { roles: ["Requester"] });
  });
  after(async () => {
    await h?.stop();
    await releaseZk();
  });

  const submit = (kind: string, aggregation: string, verification: string, dataset: string, params: Record<string, unknown>, rounds: number, cheat?: Cheat) =>
    submitProven(R, ws, { kind, aggregation, verification, dataset, params, rounds, cheat });

  // Tasks run concurrently; the tests that move the clock past a deadline come after them.
  describe("tasks", { concurrency: true }, () => {
    test("stats / secagg / onchain over two chunks per owner: the union's statistics, 6 chunk proofs checked", { timeout: 900_000 }, async (t) => {
      const t0 = Date.now();
      const { taskId } = await submit("stats", "secagg", "onchain", "iris", { columns: IRIS_COLS }, 1);
      const { result } = await finalResult<SecureStatsResult & { proofs: { chunks: number; circuit: string } }>(R, taskId, 1);
      t.diagnostic(`${((Date.now() - t0) / 1000).toFixed(1)} s`);
      assert.deepEqual(result.proofs, { circuit: "stats_chunk", verification: "onchain", chunks: 6, aggregateOpensCommitments: true });
      const rows = union(tables.iris);
      IRIS_COLS.forEach((c, j) => {
        const want = plainStats(rows, j);
        assert.equal(result.columns[c].count, want.count);
        relClose([result.columns[c].mean, result.columns[c].variance], [want.mean, want.variance], 1e-5, c);
      });
    });

    test("kmeans / plain / onchain, 2 Lloyd rounds: the same partition as plaintext Lloyd", { timeout: 900_000 }, async () => {
      const { taskId } = await submit("kmeans", "plain", "onchain", "iris30", { columns: IRIS_COLS, initial: IRIS_INIT, tolerance: 0 }, 2);
      const { result, round } = await finalResult<KmeansResult>(R, taskId, 2);
      assert.equal(round, 2);
      const rows = union(tables.iris30);
      const ref = lloyd(rows, IRIS_INIT, 0, 2);
      assert.deepEqual(
        rows.map((x) => label(x, result.centroids)),
        rows.map((x) => label(x, ref.centroids)),
      );
      result.centroids.forEach((c, k) => relClose(c, ref.centroids[k], 1e-4, `centroid ${k}`));
    });

    test("linreg / paillier / onchain, 1 round: the plaintext gradient step within 1e-3", { timeout: 900_000 }, async () => {
      const { taskId } = await submit("linreg", "paillier", "onchain", "lin", REG, 1);
      const { result } = await finalResult<RegressionResult>(R, taskId, 1);
      relClose(result.weights, gdReference(union(tables.lin), squaredLink, REG, 1), 1e-3, "weights");
    });

    test("logreg / plain / onchain, 1 round: the hard-sigmoid gradient step within 1e-3", { timeout: 900_000 }, async () => {
      const { taskId } = await submit("logreg", "plain", "onchain", "log", REG, 1);
      const { result } = await finalResult<RegressionResult>(R, taskId, 1);
      relClose(result.weights, gdReference(union(tables.log), hardSigmoidLink, REG, 1), 1e-3, "weights");
    });

    test("a member whose vector is not the one it proved is named and left out (plain); the others' sum is exact", { timeout: 900_000 }, async () => {
      const { taskId } = await submit("stats", "plain", "onchain", "iris30", { columns: IRIS_COLS }, 1, "vector");
      const { result } = await finalResult<SecureStatsResult>(R, taskId, 1);
      assert.deepEqual(
        result.rejected.map((r) => [r.member.toLowerCase(), /not the one proven/.test(r.reason)]),
        [[ws[2].address.toLowerCase(), true]],
      );
      assert.equal(result.columns.sepal_length.count, 60);
      relClose([result.columns.sepal_length.mean], [plainStats(union(tables.iris30.slice(0, 2)), 0).mean], 1e-5, "mean of the honest two");
    });

    test("a corrupt proof of a non-sampled chunk: the requester's off-chain check leaves the member out", { timeout: 900_000 }, async () => {
      const { taskId } = await submit("stats", "secagg", "onchain", "iris", { columns: IRIS_COLS }, 1, "chunk");
      const { result } = await finalResult<SecureStatsResult>(R, taskId, 1);
      assert.deepEqual(
        result.rejected.map((r) => [r.member.toLowerCase(), /does not verify/.test(r.reason)]),
        [[ws[2].address.toLowerCase(), true]],
      );
      assert.deepEqual(result.dropped, [ws[2].address.toLowerCase()], "its masks were removed as for a dropped member");
      assert.equal(result.columns.sepal_length.count, 100);
    });
  });

  test("a corrupt sampled proof is refused at submission (InvalidProof); the round goes on without the member", { timeout: 900_000 }, async () => {
    const { taskId } = await submit("stats", "plain", "onchain", "iris30", { columns: IRIS_COLS }, 1, "sampled");
    const o2 = owners[2];
    await o2.runtime.when(() => o2.store.getRound(taskId, 1, "member")?.status === "failed");
    assert.match(o2.store.getRound(taskId, 1, "member")!.error!, /InvalidProof/);
    for (const o of owners.slice(0, 2)) await o.runtime.when(() => o.store.getRound(taskId, 1, "member")?.status === "submitted");
    // The coordinator's deadline timer advances the round once its clock passes the deadline.
    h.clock.set(h.network.getRound(taskId, 1)!.deadline + 1);
    const { result } = await finalResult<SecureStatsResult>(R, taskId, 1);
    assert.equal(result.columns.sepal_length.count, 60);
  });
});
