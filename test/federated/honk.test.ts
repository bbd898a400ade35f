import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Wallet } from "ethers";
import type { Table } from "../../node/src/data/table.js";
import type { RunningNode } from "../../node/src/index.js";
import type { SecureStatsResult } from "../../node/src/runtime/kinds/stats.js";
import { closePool } from "../../node/src/runtime/pool.js";
import { nodeHarness, wallets, type NodeHarness } from "../node/harness.js";
import { finalResult, preferRamDisk } from "./network.js";
import { IRIS_COLS, irisTables, relClose, union } from "./reference.js";
import { plainStats, writeDatasets } from "./proven.js";
import { HONK_CHEATERS, submitHonk } from "./honk.js";

/** UltraHonk-proven stats rounds (see ./honk.ts), coordinator mode: no Groth16 verifier configured, the requester verifies every proof. */
describe("UltraHonk-proven stats, coordinator mode, 3 owners + requester", () => {
  let h: NodeHarness;
  let ws: Wallet[];
  let R: RunningNode;
  const tables: Table[] = [];

  before(async () => {
    preferRamDisk();
    h = await nodeHarness();
    ws = wallets(4);
    for (let i = 0; i < 3; i++) {
      const t = irisTables(3)[i]!;
      tables.push(t);
      const datasets = (await writeDatasets((n, b) => h.file(n, b), `o${i}`, { iris: t })).map((d) => ({ ...d, commitment: "chunks" as const }));
      await h.node(`o${i}`, ws[i]!, { datasets }, i === 2 ? { handlers: HONK_CHEATERS, replaceBuiltins: true } : {});
    }
    R = await h.node("R", ws[3]!, { roles: ["Requester"] });
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
        assert.equal(result.columns[c]!.count, want.count);
        relClose([result.columns[c]!.mean, result.columns[c]!.variance], [want.mean, want.variance], 1e-5, c);
      });
    });

    test("a fraudulent group proof (its list root recorded as sent) is refused off-chain: the member is left out, the others' statistics are exact", { timeout: 900_000 }, async () => {
      const { taskId } = await submitHonk(R, ws, { kind: "stats", aggregation: "plain", dataset: "iris", params: { columns: IRIS_COLS }, cheat: "proof" });
      const { result } = await finalResult<SecureStatsResult>(R, taskId, 1);
      assert.deepEqual(result.rejected.map((r) => [r.member.toLowerCase(), /UltraHonk proof does not verify/.test(r.reason)]), [[ws[2]!.address.toLowerCase(), true]]);
      const honest = union(tables.slice(0, 2));
      assert.equal(result.columns.sepal_length!.count, honest.length);
      relClose([result.columns.sepal_length!.mean], [plainStats(honest, 0).mean], 1e-5, "mean of the honest two");
    });
  });
});
