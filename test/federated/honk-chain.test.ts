import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { id, Wallet } from "ethers";
import type { Table } from "../../node/src/data/table.js";
import type { RunningNode } from "../../node/src/index.js";
import type { SecureStatsResult } from "../../node/src/runtime/kinds/stats/index.js";
import { closePool } from "../../node/src/runtime/pool.js";
import { Phase } from "../../protocol/src/phases.js";
import { ChunkAudit__factory } from "../../types/ethers-contracts/index.js";
import { chainNetwork, finalResult, preferRamDisk, type ChainNet } from "./network.js";
import { IRIS_COLS, irisTables, relClose, union } from "./reference.js";
import { built, plainStats, writeDatasets } from "./proven.js";
import { HONK_CHEATERS, submitHonk } from "./honk.js";

const SUBMITTED = id("ContributionSubmitted(uint256,uint32,uint8,address,bytes32,bytes32)");
const EXCLUDED = id("TaskMemberExcluded(uint256,uint32,address,uint32,uint8)");

/**
 * UltraHonk-proven stats rounds (see ./honk.ts), chain mode (hardhat node, no verifier bound):
 * TaskManager records each member's proof-list root as its commitment; the requester verifies every
 * proof off-chain. The honest path costs the member one submit transaction.
 */
describe("UltraHonk-proven stats, chain mode, 3 owners + requester", { skip: built ? false : "contract bindings not built (npm run build)" }, () => {
  let net: ChainNet;
  let ws: Wallet[];
  let R: RunningNode;
  const tables: Table[] = [];

  before(async () => {
    preferRamDisk();
    net = await chainNetwork(4, { honk: ["stats"] });
    ws = net.keys.map((k) => new Wallet(k));
    for (let i = 0; i < 3; i++) {
      const t = irisTables(3)[i];
      tables.push(t);
      const datasets = await writeDatasets(
        async (n, b) => {
          const p = join(net.dir, n);
          await writeFile(p, b);
          return p;
        },
        `o${i}`,
        { iris: t },
      );
      await net.node(`o${i}`, net.keys[i], { roles: ["Owner"], datasets }, i === 2 ? { handlers: HONK_CHEATERS, replaceBuiltins: true } : {});
    }
    R = await net.node("R", net.keys[3], { roles: ["Requester"] });
  });
  after(async () => {
    await net?.stop();
    await closePool();
  });

  describe("tasks", { concurrency: true }, () => {
    test("stats / plain: the union's statistics; each member's Compute submission (the proof-list root) costs ≤ 350k gas", { timeout: 900_000 }, async (t) => {
      const { taskId } = await submitHonk(R, ws, { kind: "stats", aggregation: "plain", dataset: "iris", params: { columns: IRIS_COLS }, deadline: 3600 });
      const { result } = await finalResult<SecureStatsResult & { proofs: unknown }>(R, taskId, 1);
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
      const logs = await net.chain.provider.getLogs({ fromBlock: 0, topics: [SUBMITTED, "0x" + taskId.toString(16).padStart(64, "0")] });
      const compute = logs.filter((l) => Number(BigInt("0x" + l.data.slice(2 + 64, 2 + 128))) === Phase.Compute);
      assert.equal(compute.length, 3, "three Compute submissions");
      for (const l of compute) {
        const gas = (await net.chain.provider.getTransactionReceipt(l.transactionHash))!.gasUsed;
        t.diagnostic(`member ${l.topics[2].slice(26)}: Compute submit ${gas} gas`);
        assert.ok(gas <= 350_000n, `${gas} gas`);
      }
    });

    test(
      "a fraudulent group proof (its list root recorded as sent) is refused off-chain and challenged on-chain: ChunkAudit excludes the member, the others' statistics are exact",
      { timeout: 900_000 },
      async (t) => {
        const { taskId } = await submitHonk(R, ws, { kind: "stats", aggregation: "plain", dataset: "iris", params: { columns: IRIS_COLS }, cheat: "proof", deadline: 3600 });
        const { result } = await finalResult<SecureStatsResult>(R, taskId, 1);
        assert.deepEqual(
          result.rejected.map((r) => [r.member.toLowerCase(), /UltraHonk proof does not verify/.test(r.reason)]),
          [[ws[2].address.toLowerCase(), true]],
        );
        // The requester's challenge: ChunkAudit re-verified the entry and excluded the member (reason 5: proof rejected).
        const ex = await net.chain.provider.getLogs({ address: net.addresses.chunkAudit, fromBlock: 0, topics: [EXCLUDED, "0x" + taskId.toString(16).padStart(64, "0")] });
        assert.equal(ex.length, 1, "one TaskMemberExcluded");
        const ev = ChunkAudit__factory.createInterface().parseLog(ex[0])!;
        assert.deepEqual([String(ev.args.member).toLowerCase(), ev.args.round, ev.args.reason], [ws[2].address.toLowerCase(), 1n, 5n]);
        const audit = ChunkAudit__factory.connect(net.addresses.chunkAudit!, net.chain.provider);
        assert.equal(await audit.excludedFrom(taskId, 1, ws[2].address), true);
        assert.equal(await audit.excludedFrom(taskId, 1, ws[0].address), false);
        t.diagnostic(`challengeTask (caught): ${(await net.chain.provider.getTransactionReceipt(ex[0].transactionHash))!.gasUsed} gas`);
        const honest = union(tables.slice(0, 2));
        assert.equal(result.columns.sepal_length.count, honest.length);
        relClose([result.columns.sepal_length.mean], [plainStats(honest, 0).mean], 1e-5, "mean of the honest two");
      },
    );
  });
});
