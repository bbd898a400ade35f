import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Wallet } from "ethers";
import { Phase } from "../../protocol/src/phases.js";
import { keccak256, toUtf8Bytes } from "ethers";
import { canonicalJson } from "../../protocol/src/canonical.js";
import { submitFederated, type RunningNode, type TaskKindHandler } from "../../node/src/index.js";
import { statsHandler, type SecureStatsResult } from "../../node/src/runtime/kinds/stats/index.js";
import type { Table } from "../../node/src/data/table.js";
import { chainNetwork, finalResult, ownerDatasets, preferRamDisk, type ChainNet } from "./network.js";
import { IRIS_COLS, union } from "./reference.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const built = existsSync(join(ROOT, "types/ethers-contracts/index.ts"));
const DEADLINE = 600;

/** An owner whose secagg masked vector is one value short (commitment consistent with it). */
const wrongStats: TaskKindHandler = {
  ...statsHandler,
  async contribute(ctx) {
    const s = await statsHandler.contribute(ctx);
    const msg = JSON.parse(new TextDecoder().decode(s.payload)) as { y: string[] };
    msg.y.pop();
    const payload = toUtf8Bytes(canonicalJson(msg));
    return { payload, commitment: keccak256(payload) };
  },
};

/**
 * Secure aggregation faults on a real chain: a sixth owner sends a malformed masked vector; of
 * five honest owners (threshold 3) one goes down after joining (silent in Setup), one after
 * sending its key shares (silent in Compute). The test moves chain time past each deadline and
 * calls advance() as any party may.
 */
describe("secagg faults in chain mode (hardhat node, ethereum connector)", { skip: built ? false : "contract bindings not built (npm run build)" }, () => {
  let net: ChainNet;
  const nodes: RunningNode[] = [];
  let R: RunningNode;
  const tables: Table[] = [];
  let ws: Wallet[];

  before(async () => {
    preferRamDisk();
    net = await chainNetwork(7);
    ws = net.keys.map((k) => new Wallet(k));
    for (let i = 0; i < 5; i++) {
      const d = await ownerDatasets(
        async (n, b) => {
          const p = join(net.dir, n);
          await writeFile(p, b);
          return p;
        },
        `o${i}`,
        i,
        5,
      );
      tables.push(d.tables.iris);
      nodes.push(await net.node(`o${i}`, net.keys[i], { roles: ["Owner"], datasets: d.datasets.filter((x) => x.name === "iris") }));
    }
    R = await net.node("R", net.keys[5], { roles: ["Requester"] });
    const d = await ownerDatasets(
      async (n, b) => {
        const p = join(net.dir, n);
        await writeFile(p, b);
        return p;
      },
      "bad",
      3,
      5,
    );
    await net.node("bad", net.keys[6], { roles: ["Owner"], datasets: d.datasets.filter((x) => x.name === "iris") }, { handlers: [wrongStats], replaceBuiltins: true });
  });
  after(async () => {
    await net?.stop();
  });

  const status = (n: RunningNode, taskId: number) => n.store.getRound(taskId, 1, "member")?.status;
  const passDeadline = async (taskId: number) => {
    await net.chain.increaseTime(DEADLINE + 1);
    await R.connector.advance(taskId, 1);
  };

  test("a malformed masked vector is left out and reported, its masks removed; the others' sum is exact", { timeout: 240_000 }, async () => {
    const { taskId } = await submitFederated(R, {
      kind: "stats",
      aggregation: "secagg",
      datasets: [...ws.slice(0, 3), ws[6]].map((w) => ({ owner: w.address, datasetId: "iris" })),
      params: { columns: IRIS_COLS },
      members: { min: 4, max: 4, threshold: 3 },
      deadlines: { join: DEADLINE, setup: DEADLINE, compute: DEADLINE, aggregate: DEADLINE },
    });
    const { result } = await finalResult<SecureStatsResult>(R, taskId, 1);
    assert.deepEqual(
      result.contributors,
      ws
        .slice(0, 3)
        .map((w) => w.address.toLowerCase())
        .sort(),
    );
    assert.deepEqual(result.dropped, [ws[6].address.toLowerCase()]);
    assert.equal(result.rejected.length, 1);
    assert.equal(result.rejected[0].member.toLowerCase(), ws[6].address.toLowerCase());
    const rows = union(tables.slice(0, 3));
    assert.equal(result.columns.sepal_length.count, rows.length);
    assert.ok(Math.abs(result.columns.sepal_length.sum - rows.reduce((a, r) => a + r[0], 0)) <= 3 * 2 ** -20);
  });

  test("one owner silent in Setup, one in Compute: the three survivors' sum is exact and the round finalizes", { timeout: 240_000 }, async () => {
    const { taskId } = await submitFederated(R, {
      kind: "stats",
      aggregation: "secagg",
      datasets: ws.slice(0, 5).map((w) => ({ owner: w.address, datasetId: "iris" })),
      params: { columns: IRIS_COLS },
      members: { min: 3, max: 6, threshold: 3 },
      deadlines: { join: DEADLINE, setup: DEADLINE, compute: DEADLINE, aggregate: DEADLINE },
    });
    await Promise.all(nodes.map((n) => n.runtime.when(() => status(n, taskId) === "joined")));
    await nodes[3].stop();
    await passDeadline(taskId);
    await Promise.all([0, 1, 2, 4].map((i) => nodes[i].runtime.when(() => status(nodes[i], taskId) === "setup-submitted")));
    await nodes[4].stop();
    await passDeadline(taskId);
    await Promise.all([0, 1, 2].map((i) => nodes[i].runtime.when(() => status(nodes[i], taskId) === "submitted")));
    assert.equal((await R.connector.getRound(taskId, 1))!.phase, Phase.Compute);
    await passDeadline(taskId);
    const { result } = await finalResult<SecureStatsResult>(R, taskId, 1);
    assert.deepEqual(
      result.contributors,
      ws
        .slice(0, 3)
        .map((w) => w.address.toLowerCase())
        .sort(),
    );
    assert.deepEqual(result.dropped, [ws[4].address.toLowerCase()]);
    const rows = union(tables.slice(0, 3));
    IRIS_COLS.forEach((c, j) => {
      const sum = rows.reduce((a, r) => a + r[j], 0);
      assert.equal(result.columns[c].count, rows.length);
      assert.ok(Math.abs(result.columns[c].sum - sum) <= 3 * 2 ** -20, `${c}: ${result.columns[c].sum} vs ${sum}`);
    });
    assert.equal((await R.connector.getRound(taskId, 1))!.phase, Phase.Finalized);
  });

  test("below the threshold the chain fails the round; no result", { timeout: 240_000 }, async () => {
    const { taskId } = await submitFederated(R, {
      kind: "stats",
      aggregation: "secagg",
      datasets: ws.slice(0, 3).map((w) => ({ owner: w.address, datasetId: "iris" })),
      params: { columns: IRIS_COLS },
      members: { min: 3, max: 4, threshold: 3 },
      deadlines: { join: DEADLINE, setup: DEADLINE, compute: DEADLINE, aggregate: DEADLINE },
    });
    await Promise.all([0, 1, 2].map((i) => nodes[i].runtime.when(() => status(nodes[i], taskId) === "joined")));
    await nodes[2].stop();
    await passDeadline(taskId);
    await Promise.all([0, 1].map((i) => nodes[i].runtime.when(() => status(nodes[i], taskId) === "setup-submitted")));
    await passDeadline(taskId);
    await R.runtime.when(() => R.store.getRound(taskId, 1, "requester")?.status === "failed");
    assert.equal((await R.connector.getRound(taskId, 1))!.phase, Phase.Failed);
    assert.equal(R.store.getResult(taskId, 1), undefined);
  });
});
