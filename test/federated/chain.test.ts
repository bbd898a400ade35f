import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Wallet } from "ethers";
import { submitFederated, type RunningNode } from "../../node/src/index.js";
import type { KmeansResult } from "../../node/src/runtime/kinds/kmeans/index.js";
import type { RegressionResult } from "../../node/src/runtime/kinds/linreg/index.js";
import type { SecureStatsResult } from "../../node/src/runtime/kinds/stats/index.js";
import type { Table } from "../../node/src/data/table.js";
import { chainNetwork, finalResult, ownerDatasets, preferRamDisk, type ChainNet } from "./network.js";
import { BACKENDS } from "../../node/src/runtime/aggregation/index.js";
import { IRIS_COLS, IRIS_INIT, label, leastSquares, lloyd, logisticFit, relClose, union } from "./reference.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const built = existsSync(join(ROOT, "types/ethers-contracts/index.ts"));

/**
 * Chain mode: a Hardhat node with the three contracts, the ethereum connector behind the signed
 * HTTP server, three owners and a requester; every kind with every backend, concurrently. Joins,
 * setups, contributions, reveals and finalizations are transactions; payloads go through the
 * connector's blob store.
 */
describe(
  "federated kinds in chain mode (hardhat node, ethereum connector), 3 owners + requester",
  { skip: built ? false : "contract bindings not built (npm run build)", concurrency: true },
  () => {
    let net: ChainNet;
    const owners: RunningNode[] = [];
    let R: RunningNode;
    let ws: Wallet[];
    const tables: Record<string, Table[]> = { iris: [], lin: [], log: [] };

    before(async () => {
      preferRamDisk();
      net = await chainNetwork(4);
      ws = net.keys.map((k) => new Wallet(k));
      for (let i = 0; i < 3; i++) {
        const d = await ownerDatasets(
          async (n, b) => {
            const p = join(net.dir, n);
            await writeFile(p, b);
            return p;
          },
          `o${i}`,
          i,
        );
        for (const k of Object.keys(tables)) tables[k].push(d.tables[k]);
        owners.push(await net.node(`o${i}`, net.keys[i], { roles: ["Owner"], datasets: d.datasets }));
      }
      R = await net.node("R", net.keys[3], { roles: ["Requester"] });
    });
    after(async () => {
      await net?.stop();
    });

    const submit = (kind: string, aggregation: "plain" | "secagg" | "paillier", dataset: string, params: Record<string, unknown>, rounds: number) =>
      submitFederated(
        R,
        {
          kind,
          aggregation,
          datasets: ws.slice(0, 3).map((w) => ({ owner: w.address, datasetId: dataset })),
          params,
          rounds,
          members: { min: 3, max: 3, threshold: 2 },
          // Twelve tasks at once queue up behind each node's event stream; chain time runs on, and
          // no keeper moves deadlines here, so the phases get room.
          deadlines: { join: 3600, setup: 3600, compute: 3600, aggregate: 3600 },
        },
        { paillierBits: 1024 },
      );

    for (const aggregation of BACKENDS) {
      test(`kmeans / ${aggregation}: Lloyd's partition of the union`, { timeout: 240_000 }, async (t) => {
        const t0 = Date.now();
        assert.equal(R.connector.mode, "ethereum");
        const { taskId } = await submit("kmeans", aggregation, "iris", { columns: IRIS_COLS, initial: IRIS_INIT, tolerance: 1e-9 }, 30);
        const { result, round } = await finalResult<KmeansResult>(R, taskId, 30);
        t.diagnostic(`${round} round(s), ${((Date.now() - t0) / 1000).toFixed(1)} s (${((Date.now() - t0) / 1000 / round).toFixed(2)} s per round, tests running concurrently)`);
        const rows = union(tables.iris);
        const ref = lloyd(rows, IRIS_INIT, 1e-9);
        assert.equal(round, ref.rounds);
        assert.deepEqual(
          rows.map((x) => label(x, result.centroids)),
          rows.map((x) => label(x, ref.centroids)),
        );
        assert.equal(result.members.length, 3);
      });

      test(`linreg / ${aggregation}: the closed-form least squares`, { timeout: 240_000 }, async (t) => {
        const t0 = Date.now();
        const { taskId } = await submit("linreg", aggregation, "lin", { features: ["x1", "x2", "x3"], target: "y" }, 5);
        const { result, round } = await finalResult<RegressionResult>(R, taskId, 5);
        t.diagnostic(`${round} round(s), ${((Date.now() - t0) / 1000).toFixed(1)} s (${((Date.now() - t0) / 1000 / round).toFixed(2)} s per round, tests running concurrently)`);
        relClose(result.weights, leastSquares(union(tables.lin)), 1e-6, "weights");
      });

      test(`logreg / ${aggregation}: the centralized logistic fit`, { timeout: 240_000 }, async (t) => {
        const t0 = Date.now();
        const { taskId } = await submit("logreg", aggregation, "log", { features: ["x1", "x2", "x3"], target: "y" }, 15);
        const { result, round } = await finalResult<RegressionResult>(R, taskId, 15);
        t.diagnostic(`${round} round(s), ${((Date.now() - t0) / 1000).toFixed(1)} s (${((Date.now() - t0) / 1000 / round).toFixed(2)} s per round, tests running concurrently)`);
        assert.equal(result.converged, true);
        relClose(result.weights, logisticFit(union(tables.log)), 1e-5, "weights");
      });
    }

    for (const aggregation of BACKENDS)
      test(`stats / ${aggregation}: statistics of the union`, { timeout: 240_000 }, async (t) => {
        const t0 = Date.now();
        const { taskId } = await submit("stats", aggregation, "iris", { columns: IRIS_COLS }, 1);
        const { result, round } = await finalResult<SecureStatsResult>(R, taskId, 1);
        t.diagnostic(`${round} round(s), ${((Date.now() - t0) / 1000).toFixed(1)} s (${((Date.now() - t0) / 1000 / round).toFixed(2)} s per round, tests running concurrently)`);
        assert.equal(result.members, 3);
        IRIS_COLS.forEach((c, j) => {
          const xs = union(tables.iris).map((r) => r[j]);
          const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
          assert.equal(result.columns[c].count, 150);
          relClose([result.columns[c].mean], [mean], 1e-6, c);
        });
      });
  },
);
