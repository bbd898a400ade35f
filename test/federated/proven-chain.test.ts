import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Wallet } from "ethers";
import { releaseZk } from "../../chain-connector/src/zkverify.js";
import type { Table } from "../../node/src/data/table.js";
import type { RunningNode } from "../../node/src/index.js";
import type { KmeansResult } from "../../node/src/runtime/kinds/kmeans/index.js";
import { squaredLink, type RegressionResult } from "../../node/src/runtime/kinds/linreg/index.js";
import type { SecureStatsResult } from "../../node/src/runtime/kinds/stats/index.js";
import { chainNetwork, finalResult, preferRamDisk, type ChainNet } from "./network.js";
import { IRIS_COLS, IRIS_INIT, lloyd, relClose, union } from "./reference.js";
import { CHEATERS, REG, built, gdReference, hardSigmoidLink, plainStats, proofDatasets, submitProven, writeDatasets, type Cheat } from "./proven.js";

/** Proven contributions (see ./proven.ts), chain mode. The coordinator mode is proven.test.ts, so the two run in parallel. */
describe(
  "proven federated contributions, chain mode (hardhat node, verifiers bound in TaskManager), 3 owners + requester",
  { skip: built ? false : "contract bindings not built (npm run build)" },
  () => {
    let net: ChainNet;
    let ws: Wallet[];
    let R: RunningNode;
    const owners: RunningNode[] = [];
    const tables: Record<string, Table[]> = { iris: [], iris30: [], lin: [], log: [] };
    const DEADLINE = 3600;

    before(async () => {
      preferRamDisk();
      net = await chainNetwork(4, { verifiers: true });
      ws = net.keys.map((k) => new Wallet(k));
      for (let i = 0; i < 3; i++) {
        const t = proofDatasets(i);
        for (const k of Object.keys(tables)) tables[k].push(t[k]);
        const datasets = await writeDatasets(
          async (n, b) => {
            const p = join(net.dir, n);
            await writeFile(p, b);
            return p;
          },
          `o${i}`,
          t,
        ).then((ds) => ds.map((d) => ({ ...d, commitment: "rows" as const }))); // Groth16 ("onchain") opens the row-by-row commitment
        owners.push(await net.node(`o${i}`, net.keys[i], { roles: ["Owner"], datasets }, i === 2 ? { handlers: CHEATERS, replaceBuiltins: true } : {}));
      }
      R = await net.node("R", net.keys[3], { roles: ["Requester"] });
    });
    after(async () => {
      await net?.stop();
      await releaseZk();
    });

    const submit = (kind: string, aggregation: string, verification: string, dataset: string, params: Record<string, unknown>, rounds: number, cheat?: Cheat) =>
      // no keeper moves deadlines here: the tests that need a deadline passed move chain time
      submitProven(R, ws, { kind, aggregation, verification, dataset, params, rounds, cheat, deadline: DEADLINE });

    describe("tasks", { concurrency: true }, () => {
      test("stats / plain / onchain: TaskManager verifies each owner's sampled chunk; the union's statistics", { timeout: 900_000 }, async () => {
        const { taskId } = await submit("stats", "plain", "onchain", "iris30", { columns: IRIS_COLS }, 1);
        const { result } = await finalResult<SecureStatsResult & { proofs: unknown }>(R, taskId, 1);
        assert.deepEqual(result.proofs, { circuit: "stats_chunk", verification: "onchain", chunks: 3, aggregateOpensCommitments: true });
        const rows = union(tables.iris30);
        IRIS_COLS.forEach((c, j) => relClose([result.columns[c].mean, result.columns[c].variance], [plainStats(rows, j).mean, plainStats(rows, j).variance], 1e-5, c));
      });

      test("kmeans / paillier / onchain, 1 round: plaintext Lloyd's first step", { timeout: 900_000 }, async () => {
        const { taskId } = await submit("kmeans", "paillier", "onchain", "iris30", { columns: IRIS_COLS, initial: IRIS_INIT, tolerance: 0 }, 1);
        const { result } = await finalResult<KmeansResult>(R, taskId, 1);
        const ref = lloyd(union(tables.iris30), IRIS_INIT, 0, 1);
        result.centroids.forEach((c, k) => relClose(c, ref.centroids[k], 1e-4, `centroid ${k}`));
      });

      test("linreg / secagg / onchain, 1 round: the plaintext gradient step within 1e-3", { timeout: 900_000 }, async () => {
        const { taskId } = await submit("linreg", "secagg", "onchain", "lin", REG, 1);
        const { result } = await finalResult<RegressionResult>(R, taskId, 1);
        relClose(result.weights, gdReference(union(tables.lin), squaredLink, REG, 1), 1e-3, "weights");
      });

      test("logreg / plain / onchain, 1 round: the hard-sigmoid gradient step within 1e-3", { timeout: 900_000 }, async () => {
        const { taskId } = await submit("logreg", "plain", "onchain", "log", REG, 1);
        const { result } = await finalResult<RegressionResult>(R, taskId, 1);
        relClose(result.weights, gdReference(union(tables.log), hardSigmoidLink, REG, 1), 1e-3, "weights");
      });
    });

    test("a round-1 proof replayed in round 2 is rejected on-chain (BadBinding); the member drops out of round 2", { timeout: 900_000 }, async () => {
      const { taskId } = await submit("logreg", "plain", "onchain", "log", REG, 2, "replay");
      const o2 = owners[2];
      await o2.runtime.when(() => o2.store.getRound(taskId, 2, "member")?.status === "failed");
      assert.match(o2.store.getRound(taskId, 2, "member")!.error!, /BadBinding/);
      // the honest owners prove round 2 first; then the Compute deadline passes
      for (const o of owners.slice(0, 2)) await o.runtime.when(() => o.store.getRound(taskId, 2, "member")?.status === "submitted");
      await net.chain.increaseTime(DEADLINE + 1);
      await R.connector.advance(taskId, 2);
      const { result, round } = await finalResult<RegressionResult>(R, taskId, 2);
      assert.equal(round, 2);
      assert.equal(result.members.length, 2);
    });
  },
);
