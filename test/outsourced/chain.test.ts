import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { BUILTIN_HANDLERS, startNode, submitOutsourced, disposeOutsourcedEngines, type RunningNode, type StartNodeOptions } from "../../node/src/index.js";
import { createLogger } from "../../node/src/log.js";
import { adjustedRandIndex, decodeMessage, kmeans } from "../../node/src/algorithms/index.js";
import type { DevChain } from "../../chain-connector/src/ethereum/devchain.js";
import type { ConnectorServer } from "../../chain-connector/src/http/server.js";
import { assertOutputsOnChain, assertWorkerCannotDecrypt, cheatingSkmeans, finalResult, iris, irisCsv, roundTimer, wrongCiphertext } from "./helpers.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const built = existsSync(join(ROOT, "types/ethers-contracts/index.ts"));

describe("outsourced mining in chain mode (hardhat node, the three contracts, ethereum connector)", { skip: built ? false : "contract bindings not built (npm run build)" }, () => {
  let dir: string;
  let chain: DevChain;
  let server: ConnectorServer;
  let network: { close(): Promise<void> };
  let O: RunningNode, W: RunningNode, C: RunningNode;
  let taskManager: string;

  before(async () => {
    const { startDevChain } = await import("../../chain-connector/src/ethereum/devchain.js");
    const eth = await import("../../chain-connector/src/ethereum/index.js");
    const { KeyringNetwork } = await import("../../chain-connector/src/http/keyring.js");
    const { ConnectorServer } = await import("../../chain-connector/src/http/server.js");
    dir = await mkdtemp(join(tmpdir(), "cm-outsourced-eth-"));
    chain = await startDevChain();
    const addresses = await eth.deployContracts(chain.signer(19));
    taskManager = addresses.taskManager;
    const keys = [chain.accounts[1], chain.accounts[2], chain.accounts[3]];
    // Polling every 200 ms keeps rounds quick; no keeper: rounds move on submissions, not deadlines.
    const eNet = new eth.EthereumNetwork({ rpcUrl: chain.url, addresses, blobs: join(dir, "blobs"), dbPath: join(dir, "events.sqlite"), pollMs: 200 });
    network = eNet;
    server = new ConnectorServer({ network: new KeyringNetwork(eNet, keys) });
    await server.start();
    const csv = join(dir, "iris.csv");
    await writeFile(csv, irisCsv(iris));
    const node = (name: string, key: string, extra: Record<string, unknown>, opts: StartNodeOptions = {}) =>
      startNode(
        { name, dataDir: join(dir, name), privateKey: key, connectorUrl: server.url, http: { port: 0 }, heartbeatSeconds: 0, logLevel: "silent", ...extra },
        { logger: createLogger(name, (process.env.CM_TEST_LOG as "info") ?? "silent"), ...opts },
      );
    O = await node("owner", keys[0], { roles: ["Owner", "Requester"], datasets: [{ name: "iris", path: csv, format: "csv" }] });
    W = await node("worker", keys[1], { roles: ["Worker"], capacity: 4 });
    await W.connector.heartbeat();
    // Registered but never active (no heartbeat): the manager does not pick it; tasks name it.
    C = await node(
      "cheater",
      keys[2],
      { roles: ["Worker"], capacity: 4 },
      { handlers: [cheatingSkmeans(wrongCiphertext), ...BUILTIN_HANDLERS.filter((h) => h.kind !== "skmeans")], replaceBuiltins: true },
    );
  });
  after(async () => {
    await O?.stop();
    await W?.stop();
    await C?.stop();
    await server?.close();
    await network?.close();
    await chain?.stop();
    disposeOutsourcedEngines();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test(
    "skmeans/ckks on Iris: the manager picks the worker from the on-chain registry; same partition as plaintext; every iteration's output hash on-chain; the worker cannot decrypt",
    { timeout: 180_000 },
    async (t) => {
      assert.equal(O.connector.mode, "ethereum");
      let taskId: number | undefined;
      const timer = roundTimer(O, () => taskId);
      const sub = await submitOutsourced(O, {
        kind: "skmeans",
        dataset: "iris",
        k: 3,
        maxIterations: 20,
        initialIndices: [0, 50, 100],
        centroidUpdate: "owner",
        chunks: 2,
        replicas: 1,
      });
      taskId = sub.taskId;
      assert.deepEqual(sub.workers, [W.address]);
      const res = await finalResult<{ labels: number[]; centroids: number[][]; iterations: number }>(O, W, sub.taskId);
      const { rounds, first, later } = timer.stop();
      t.diagnostic(`chain mode skmeans/ckks (owner update) Iris: ${rounds} rounds; submission to round 1 result ${first.toFixed(2)} s, then ${later.toFixed(2)} s per iteration`);
      const plain = kmeans(iris, [iris[0], iris[50], iris[100]], { maxIterations: 20 });
      assert.ok(adjustedRandIndex(res.labels, plain.labels) >= 0.99);
      assert.equal(res.iterations, plain.iterations);
      res.centroids.forEach((c, j) => c.forEach((v, z) => assert.ok(Math.abs(v - plain.centroids[j][z]) < 1e-4)));
      // ContributionSubmitted per round: through the connector, and straight from the contract's logs.
      await assertOutputsOnChain(O, W, sub.taskId, rounds);
      const { TaskManager__factory } = await import("../../types/ethers-contracts/index.js");
      const tm = TaskManager__factory.connect(taskManager, chain.provider);
      const logs = await tm.queryFilter(tm.filters.ContributionSubmitted(sub.taskId), 0);
      assert.deepEqual(
        logs.map((l) => Number(l.args.round)),
        Array.from({ length: rounds }, (_, i) => i + 1),
      );
      for (const l of logs) {
        assert.equal(l.args.member, W.address);
        assert.equal(l.args.blobHash, W.store.getRound(sub.taskId, Number(l.args.round), "member")!.submissions.compute!.blobHash);
      }
      await assertWorkerCannotDecrypt(O, W, sub.taskId, "skmeans-ckks/owner-state", (s) => decodeMessage(s, "skmeans-ckks/setup").frames[0]);
    },
  );

  test(
    "a replica that returns a wrong ciphertext is caught in ethereum mode: the differing commitments are on-chain, the owner names it, the member list is on-chain",
    { timeout: 180_000 },
    async () => {
      const sub = await submitOutsourced(O, {
        kind: "skmeans",
        dataset: "iris",
        k: 3,
        maxIterations: 2,
        tolerance: 0,
        initialIndices: [0, 50, 100],
        workers: [W.address, C.address],
      });
      const res = await finalResult<{ labels: number[]; replication: { cheaters: { member: string; round: number }[]; honest: string[] } }>(O, W, sub.taskId);
      assert.deepEqual(res.labels, kmeans(iris, [iris[0], iris[50], iris[100]], { tolerance: 0, maxIterations: 2 }).labels, "the result is the honest one");
      assert.deepEqual(
        res.replication.cheaters.map((c) => [c.member, c.round]),
        [[C.address, 1]],
      );
      const { TaskManager__factory } = await import("../../types/ethers-contracts/index.js");
      const tm = TaskManager__factory.connect(taskManager, chain.provider);
      const round1 = (await tm.queryFilter(tm.filters.ContributionSubmitted(sub.taskId), 0)).filter((l) => Number(l.args.round) === 1);
      assert.equal(round1.length, 2);
      assert.notEqual(round1[0].args.commitment, round1[1].args.commitment, "the replicas' output digests differ on-chain");
      assert.equal(await tm.isRestricted(O.address, sub.specHash), true, "the connector fixed the member list before createTask");
      assert.equal(await tm.mayJoin(sub.taskId, W.address), true);
      assert.equal(await tm.mayJoin(sub.taskId, O.address), false, "a node the spec does not name may not join");
    },
  );
});
