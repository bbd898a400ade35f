import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Wallet } from "ethers";
import { nodeHarness, wallets, type NodeHarness } from "../node/harness.js";
import { submitOutsourced, disposeOutsourcedEngines, assertHoldsNoSecret, WorkerManager, type RunningNode } from "../../node/src/index.js";
import { adjustedRandIndex, decodeMessage, encodeMessage, kmeans, knn, nnc, SkmeansCkksOwner } from "../../node/src/algorithms/index.js";
import { assertOutputsOnChain, assertWorkerCannotDecrypt, finalResult, iris, irisCsv, irisLabels, roundTimer } from "./helpers.js";

interface KmRes {
  labels: number[];
  centroids: number[][];
  iterations: number;
  converged: boolean;
  worker: string;
  variant: string;
}

describe("outsourced mining over the round runtime (coordinator over HTTP)", () => {
  let h: NodeHarness;
  let wO: Wallet, wW: Wallet, wV: Wallet;
  let O: RunningNode, W: RunningNode, V: RunningNode;
  let ownerConfig: Parameters<NodeHarness["node"]>[2];
  const train = iris.filter((_, i) => i % 2 === 0);
  const trainLabels = irisLabels.filter((_, i) => i % 2 === 0);
  // Each query row is one ciphertext each way: 15 rows keep the test light.
  const query = iris.filter((_, i) => i % 10 === 1);

  before(async () => {
    h = await nodeHarness();
    [wO, wW, wV] = wallets(3);
    const all = await h.file("iris.csv", irisCsv(iris));
    const tr = await h.file("iris-train.csv", irisCsv(train, trainLabels));
    ownerConfig = {
      roles: ["Owner", "Requester"],
      datasets: [
        { name: "iris", path: all, format: "csv" },
        { name: "iris-train", path: tr, format: "csv" },
      ],
    };
    O = await h.node("owner", wO, ownerConfig);
    W = await h.node("worker", wW, { roles: ["Worker"], capacity: 10 });
    V = await h.node("worker2", wV, { roles: ["Worker"], capacity: 10 });
    // Liveness: the manager only picks workers the registry reports active.
    await W.connector.heartbeat();
    await V.connector.heartbeat();
  });
  after(async () => {
    await h?.stop();
    disposeOutsourcedEngines();
  });

  test("the manager picks active Worker nodes, never the owner: round-robin alternates, two-choices balances load", async () => {
    const m = new WorkerManager(O.connector);
    const rr = [await m.pick({ exclude: [O.address] }), await m.pick({ exclude: [O.address] }), await m.pick({ exclude: [O.address] })].flat();
    assert.deepEqual(new Set(rr.slice(0, 2)), new Set([W.address, V.address]));
    assert.equal(rr[2], rr[0]);
    const m2 = new WorkerManager(O.connector);
    const picks = [];
    for (let i = 0; i < 6; i++) picks.push(...(await m2.pick({ strategy: "two-choices", exclude: [O.address] })));
    // Two distinct choices among two nodes of equal capacity always take the less loaded one.
    const a = picks.filter((p) => p === W.address).length;
    assert.equal(a, 3, `balanced: ${a} vs ${6 - a}`);
    await assert.rejects(m.pick({ count: 3, exclude: [O.address] }), /registry has 2 active Worker node\(s\) besides the owner, the task needs 3/);
  });

  test("skmeans/ckks on Iris: same partition as plaintext k-means from the same centroids; outputs on record; the worker cannot decrypt", { timeout: 120_000 }, async (t) => {
    let taskId: number | undefined;
    const timer = roundTimer(O, () => taskId);
    const sub = await submitOutsourced(O, {
      kind: "skmeans",
      variant: "ckks",
      dataset: "iris",
      k: 3,
      maxIterations: 20,
      initialIndices: [0, 50, 100],
      chunks: 3,
      workers: [W.address],
    });
    taskId = sub.taskId;
    assert.equal(sub.setup.length, 3, "the encrypted dataset travels in 3 chunks");
    const res = await finalResult<KmRes>(O, W, sub.taskId);
    const { rounds, first, later } = timer.stop();
    t.diagnostic(
      `skmeans/ckks (worker update) Iris: ${rounds} rounds; submission to round 1 result ${first.toFixed(2)} s (setup ${(sub.setupBytes / 1e6).toFixed(1)} MB), then ${later.toFixed(2)} s per iteration over the runtime`,
    );

    const plain = kmeans(iris, [iris[0], iris[50], iris[100]], { maxIterations: 20 });
    assert.ok(adjustedRandIndex(res.labels, plain.labels) >= 0.99, "same partition");
    assert.equal(res.iterations, plain.iterations);
    assert.equal(res.worker, W.address);
    res.centroids.forEach((c, j) => c.forEach((v, z) => assert.ok(Math.abs(v - plain.centroids[j][z]) < 1e-4, `centroid ${j}.${z}`)));
    assert.equal(rounds, res.iterations, "one round per iteration");
    await assertOutputsOnChain(O, W, sub.taskId, rounds);
    // Only the named worker joined; the other worker declined with the reason.
    assert.match(V.store.getTask(sub.taskId)!.reason, /names worker\(s\) .* not this node/);
    assert.equal(O.store.getTask(sub.taskId)!.decision, "decline", "the owner is requester, not member");
    await assertWorkerCannotDecrypt(O, W, sub.taskId, "skmeans-ckks/owner-state", (s) => decodeMessage(s, "skmeans-ckks/setup").frames[0]);
  });

  test("sknn/ckks: labels equal plaintext 1-NN; the manager picked two replicas (the default), which agreed", { timeout: 60_000 }, async () => {
    const sub = await submitOutsourced(O, { kind: "sknn", variant: "ckks", dataset: "iris-train", labelColumn: "species", query });
    assert.deepEqual(new Set(sub.workers), new Set([W.address, V.address]), "two registered workers were picked");
    const worker = [W, V].find((n) => n.address === sub.workers[0])!;
    const res = await finalResult<{ labels: number[]; replication: { arbitrated: boolean; honest: string[] } }>(O, worker, sub.taskId);
    assert.deepEqual(res.labels, knn(train, trainLabels, query, 1));
    assert.equal(res.replication.arbitrated, false);
    assert.deepEqual(new Set(res.replication.honest), new Set(sub.workers));
    await assertOutputsOnChain(O, worker, sub.taskId, 1, 2);
    await assertWorkerCannotDecrypt(O, worker, sub.taskId, "sknn-ckks/owner-state", (s) => {
      const train = decodeMessage(s, "outsourced/sknn-setup").frames[0];
      return decodeMessage(train, "sknn-ckks/train").frames[0];
    });
  });

  test("legacy variants run through the runtime: skmeans/legacy (Liu + UDM) and sknn/legacy (two rounds, as Rory)", { timeout: 60_000 }, async () => {
    const km = await submitOutsourced(O, { kind: "skmeans", variant: "legacy", dataset: "iris", k: 3, maxIterations: 10, initialIndices: [0, 50, 100], workers: [W.address] });
    const res = await finalResult<KmRes>(O, W, km.taskId);
    const plain = kmeans(iris, [iris[0], iris[50], iris[100]], { maxIterations: 10, metric: "manhattan" });
    assert.equal(res.variant, "legacy");
    assert.ok(adjustedRandIndex(res.labels, plain.labels) >= 0.9, `legacy partition close to L1 k-means (ARI ${adjustedRandIndex(res.labels, plain.labels)})`);
    assert.equal(res.centroids.length, 3);
    await assertOutputsOnChain(O, W, km.taskId, O.store.listRounds(km.taskId).filter((r) => r.side === "requester").length);

    const nn = await submitOutsourced(O, { kind: "sknn", variant: "legacy", dataset: "iris-train", labelColumn: "species", query, workers: [W.address] });
    const r2 = await finalResult<{ labels: number[]; rounds: number }>(O, W, nn.taskId);
    assert.equal(r2.rounds, 2);
    const want = knn(train, trainLabels, query, 1, "manhattan");
    const agree = r2.labels.filter((l, i) => l === want[i]).length / want.length;
    assert.ok(agree >= 0.97, `legacy 1-NN agrees with plaintext L1 1-NN (${agree})`);
    await assertOutputsOnChain(O, W, nn.taskId, 2);
  });

  test(
    "the owner node stopped after round 1 and restarted, every engine gone as in a new process: the owner restores from its local snapshot, the worker resumes from the setup and the last reply",
    { timeout: 90_000 },
    async () => {
      let taskId: number | undefined;
      let stopping: Promise<void> | undefined;
      const owner = O;
      const onResult = (row: { taskId: number; round: number }) => {
        if (row.taskId === taskId && row.round === 1 && !stopping) {
          disposeOutsourcedEngines();
          stopping = owner.stop();
        }
      };
      owner.runtime.on("result", onResult);
      const sub = await submitOutsourced(O, {
        kind: "skmeans",
        dataset: "iris",
        k: 3,
        maxIterations: 20,
        initialIndices: [0, 50, 100],
        centroidUpdate: "owner",
        workers: [W.address],
      });
      taskId = sub.taskId;
      await owner.runtime.when(() => stopping !== undefined);
      await stopping;
      owner.runtime.off("result", onResult);
      O = await h.node("owner", wO, ownerConfig);
      const res = await finalResult<KmRes>(O, W, sub.taskId);
      const plain = kmeans(iris, [iris[0], iris[50], iris[100]], { maxIterations: 20 });
      assert.ok(adjustedRandIndex(res.labels, plain.labels) >= 0.99);
      assert.equal(res.iterations, plain.iterations);
      await assertOutputsOnChain(O, W, sub.taskId, res.iterations);
    },
  );

  test("the other kinds and variants: dbsnnc (ckks, legacy, plain), dbskmeans/legacy, skmeans/plain", { timeout: 90_000 }, async (t) => {
    const few = await h.file("few.csv", irisCsv(iris.filter((_, i) => i % 5 === 0)));
    await O.datasets.register({ name: "few", path: few, format: "csv" });
    const X = iris.filter((_, i) => i % 5 === 0);
    const run = async (req: Parameters<typeof submitOutsourced>[1]) =>
      finalResult<{ labels: number[] }>(O, W, (await submitOutsourced(O, { ...req, workers: [W.address] })).taskId);
    const nncWant = nnc(X, { metric: "euclidean2" });
    assert.deepEqual((await run({ kind: "dbsnnc", variant: "ckks", dataset: "few" })).labels, nncWant);
    assert.deepEqual((await run({ kind: "dbsnnc", variant: "plain", dataset: "few" })).labels, nncWant);
    const legacy = (await run({ kind: "dbsnnc", variant: "legacy", dataset: "few" })).labels;
    // FDH-OPE is randomised and jitters near-ties, so legacy DBSNNC is checked for shape, not equality.
    assert.equal(legacy.length, X.length);
    legacy.reduce((top, l) => (assert.ok(l <= top + 1, "one-pass labels only grow by one"), Math.max(top, l)), -1);
    t.diagnostic(`legacy dbsnnc vs plaintext L1 NNC on 30 rows: ARI ${adjustedRandIndex(legacy, nnc(X, { metric: "manhattan" })).toFixed(2)}`);
    const C0 = [X[0], X[10], X[20]];
    // Fresh FDH-OPE keys each run make legacy DBSKMeans a random partition near L1 k-means: on
    // these 30 rows 15 of 300 runs fell below ARI 0.5 (runDbskmeansLegacy, measured 2026-12-04),
    // the median is 1. A single run would fail CI one time in twenty; the best of up to three
    // (stopping at the first that agrees) fails about once in 8,000.
    const l1 = kmeans(X, C0, { metric: "manhattan", maxIterations: 10 }).labels;
    const aris: number[] = [];
    while (aris.length < 3 && !aris.some((a) => a >= 0.5))
      aris.push(adjustedRandIndex((await run({ kind: "dbskmeans", variant: "legacy", dataset: "few", k: 3, initialIndices: [0, 10, 20] })).labels, l1));
    assert.ok(Math.max(...aris) >= 0.5, `legacy DBSKMeans is approximate (ARIs ${aris.map((a) => a.toFixed(2)).join(", ")})`);
    const pl = (await run({ kind: "skmeans", variant: "plain", dataset: "few", k: 3, initialIndices: [0, 10, 20] })).labels;
    assert.deepEqual(pl, kmeans(X, C0, { maxIterations: 10 }).labels);
  });

  test("bad input gets a clear error at submission, before any blob is put or task created", { timeout: 60_000 }, async () => {
    const blobDir = join(h.dir, "coordinator-blobs");
    const count = async () => (await readdir(blobDir, { recursive: true }).catch(() => [])).length;
    const blobsBefore = await count();
    let nextId = 1;
    while (await O.connector.getTask(nextId)) nextId++;
    const base = { kind: "skmeans" as const, dataset: "iris", workers: [W.address] };
    await assert.rejects(
      submitOutsourced(O, {
        ...base,
        k: 3,
        initialCentroids: [
          [1, 2, 3],
          [4, 5, 6],
          [7, 8, 9],
        ],
      }),
      /initialCentroids: row 0 has 3 attributes, expected 4/,
    );
    await assert.rejects(submitOutsourced(O, { ...base, k: 151 }), /k: 151 clusters need at least 151 rows, the dataset has 150; lower k/);
    await assert.rejects(
      submitOutsourced(O, {
        ...base,
        k: 2,
        initialCentroids: [
          [1, 2, 3, NaN],
          [4, 5, 6, 7],
        ],
      }),
      /initialCentroids: row 0, attribute 3 is not a finite number/,
    );
    await assert.rejects(
      submitOutsourced(O, { kind: "sknn", dataset: "iris-train", labelColumn: "species", query: [[1, 2, 3, NaN]], workers: [W.address] }),
      /query: row 0, attribute 3 is not a finite number/,
    );
    await assert.rejects(
      submitOutsourced(O, { kind: "sknn", dataset: "iris-train", labelColumn: "species", query: [[1, 2, 3]], workers: [W.address] }),
      /query: row 0 has 3 attributes, expected 4/,
    );
    await assert.rejects(submitOutsourced(O, { ...base, k: 3, securityLevel: 100 as 128 }), /securityLevel: must be 128, 192 or 256, got 100/);
    await assert.rejects(submitOutsourced(O, { ...base, dataset: "nope", k: 3 }), /dataset: "nope" is not registered on this node/);
    await assert.rejects(submitOutsourced(O, { ...base, k: 3, workers: ["0x12"] }), /params\.workers\.0: must be a 0x-prefixed 20-byte Ethereum address/);
    await assert.rejects(submitOutsourced(O, { ...base, k: 3, workers: [O.address] }), /workers: the data owner cannot be its own task's worker/);
    await assert.rejects(submitOutsourced(O, { ...base, k: 3, workers: [wallets(1)[0].address] }), /is not a registered node with the Worker role/);

    // A ciphertext from another key: an encrypted dataset prepared earlier, with one ciphertext swapped for one under another key.
    const C0 = [iris[0], iris[50], iris[100]];
    const a = await SkmeansCkksOwner.start(iris, C0, { centroidUpdate: "owner" });
    const b = await SkmeansCkksOwner.start(iris, C0, { centroidUpdate: "owner" });
    const ma = decodeMessage<{ step: string }>(a.setup, "skmeans-ckks/setup");
    const mb = decodeMessage<{ step: string }>(b.setup, "skmeans-ckks/setup");
    const mixed = encodeMessage(ma.header, [ma.frames[0], mb.frames[1], ...ma.frames.slice(2)]);
    await assert.rejects(
      submitOutsourced(O, { ...base, prepared: { setup: mixed, ownerState: a.owner.snapshot() } }),
      /prepared\.setup: ciphertext 1: ckks ciphertext: encrypted under another key/,
    );
    await assert.rejects(submitOutsourced(O, { ...base, prepared: { setup: b.setup, ownerState: a.owner.snapshot() } }), /prepared\.setup: its worker keys are under another key/);
    // The inspection used on workers does fail on a holder that can decrypt.
    assert.throws(() => assertHoldsNoSecret(a.owner), /could decrypt|can decrypt/);
    a.owner.dispose();
    b.owner.dispose();

    assert.equal(await count(), blobsBefore, "no blob was put");
    assert.equal(await O.connector.getTask(nextId), null, "no task was created");
  });
});
