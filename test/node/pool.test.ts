import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import { setImmediate as tick } from "node:timers/promises";
import { Wallet } from "ethers";
import { commitDataset, fieldToBytes32 } from "../../protocol/src/commitment.js";
import { chunkedTable } from "../../node/src/data/commit.js";
import { encodeRows } from "../../protocol/src/fixedpoint.js";
import { paillierDecrypt, paillierEncrypt, paillierKeygen } from "../../node/src/crypto/paillier.js";
import { flatten } from "../../node/src/runtime/jobs.js";
import { WorkerPool, closePool, pool } from "../../node/src/runtime/pool.js";
import { proveContributionChunk } from "../../node/src/zk/contributions.js";
import { releaseZk, verifyGroth16 } from "../../chain-connector/src/zkverify.js";
import { NodeApiClient } from "../../node/src/index.js";
import { nodeHarness } from "./harness.js";

/** Counts turns of the event loop until `p` settles: 0 when the work ran on this thread. */
async function turnsWhile<T>(p: Promise<T>): Promise<{ value: T; turns: number }> {
  let settled = false;
  const done = p.finally(() => (settled = true));
  let turns = 0;
  while (!settled) {
    await tick();
    turns++;
  }
  return { value: await done, turns };
}

const rowsOf = (n: number) => Array.from({ length: n }, (_, i) => [i % 7, (i * 3) % 11, i / 4, -i]);
const COLS = ["a", "b", "c", "d"];

describe("worker pool", () => {
  const p = new WorkerPool(2);
  after(() => p.close());

  test("runs named jobs off the main thread, with the same results as inline; errors keep their message", async () => {
    const seed = new Uint8Array(32).fill(7);
    const rows = rowsOf(3000);
    const flat = flatten(rows, COLS);
    const { value, turns } = await turnsWhile(p.run("commitRoot", { rows: flat, seed }, [flat.values.buffer]));
    assert.equal(flat.values.byteLength, 0, "the rows' buffer was transferred, not copied");
    assert.equal(value.root, (await commitDataset(encodeRows(rows, COLS), seed)).root);
    // Hashing 3,000 rows takes about a second of CPU; the event loop kept turning meanwhile.
    assert.ok(turns > 10, `the event loop turned ${turns} times while the commitment ran`);

    // The default (chunked Poseidon2) commitment too: the same root as inline, computed off this thread.
    const flat2 = flatten(rows, COLS);
    const chunks = await turnsWhile(p.run("commitChunksRoot", { rows: flat2, seed }, [flat2.values.buffer]));
    assert.equal(chunks.value.root, fieldToBytes32(chunkedTable({ columns: COLS, rows }, seed).tree.root));
    assert.ok(chunks.turns > 10, `the event loop turned ${chunks.turns} times while the chunked commitment ran`);

    await assert.rejects(p.run("fail", { message: "bad input at row 3" }), /^Error: bad input at row 3$/);
    const bad = flatten([[1e30, 0, 0, 0]], COLS);
    await assert.rejects(p.run("commitRoot", { rows: bad, seed }), /not a fixed-point|out of|range/i);
    await assert.rejects(p.run("nope" as "fail", { message: "" }), /no job named nope/);
  });

  test("bounded: at most `size` jobs run at once, the rest wait", async () => {
    const jobs = [1, 2, 3, 4].map(() => p.run("spin", { ms: 150 }));
    assert.equal(p.busy, 2);
    assert.equal(p.waiting, 2);
    await Promise.all(jobs);
    assert.equal(p.busy + p.waiting, 0);
    assert.throws(() => new WorkerPool(-1), /must be an integer ≥ 0/);
    const inline = new WorkerPool(0);
    const { turns } = await turnsWhile(inline.run("spin", { ms: 50 }));
    assert.ok(turns <= 1, "size 0 runs on the calling thread");
  });

  test("Paillier batches: encrypt and decrypt on the pool agree with the inline functions", async () => {
    const sk = paillierKeygen(1024);
    const ms = [0n, 1n, 123456789n];
    const cs = await p.run("paillierEncrypt", { n: sk.publicKey.n, plaintexts: ms });
    assert.deepEqual(
      cs.map((c) => paillierDecrypt(sk, c)),
      ms,
    );
    assert.deepEqual(await p.run("paillierDecrypt", { p: sk.p, q: sk.q, ciphertexts: ms.map((m) => paillierEncrypt(sk.publicKey, m)) }), ms);
  });
});

describe("a node stays responsive while it proves", () => {
  test("the API answers while a contribution chunk is being proven on the pool", { timeout: 180_000 }, async () => {
    const h = await nodeHarness();
    try {
      const n = await h.node("p1", Wallet.createRandom() as unknown as Wallet);
      const rows = encodeRows(
        rowsOf(32).map((r) => r.map((v) => Math.abs(v) % 50)),
        COLS,
      );
      const tree = await commitDataset(rows, new Uint8Array(32).fill(1));
      let proven = false;
      const proof = proveContributionChunk({ kind: "stats", tree, rows, chunkIndex: 0, binding: 5n }).finally(() => (proven = true));
      // Let the job reach its thread, then ask the node for its health twice: both answers come
      // back while the proof (seconds of CPU) is still running.
      while (pool().busy === 0 && !proven) await tick();
      const api = new NodeApiClient(n.url);
      for (let i = 0; i < 2; i++) {
        const health = await api.request<{ name: string }>("GET", "/health");
        assert.equal(health.name, "p1");
        assert.equal(proven, false, "the proof was still running when the API answered");
      }
      const c = await proof;
      assert.ok(await verifyGroth16(c.circuit, { ...c.proof, publicSignals: c.publicSignals }), "the proof made on the pool verifies");
    } finally {
      await h.stop();
      await closePool();
      // verifyGroth16 started snarkjs' threads on this (main) thread: they would keep the process alive.
      await releaseZk();
    }
  });
});
