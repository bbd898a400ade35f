import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Wallet } from "ethers";
import { canonicalJson } from "../../protocol/src/canonical.js";
import { Phase } from "../../protocol/src/phases.js";
import { submitFederated, type RunningNode } from "../../node/src/index.js";
import { kmeansKind, type KmeansResult } from "../../node/src/runtime/kinds/kmeans/index.js";
import { kmeansParams } from "../../protocol/src/tasks/kmeans/index.js";
import { partials, type StatsResult } from "../../node/src/runtime/kinds/stats/index.js";
import { encodeVector } from "../../node/src/runtime/aggregation/vector.js";
import { isSealedBox } from "../../node/src/crypto/sealedbox.js";
import type { Table } from "../../node/src/data/table.js";
import { nodeHarness, wallets, type NodeHarness } from "../node/harness.js";
import { finalResult, ownerDatasets, preferRamDisk } from "./network.js";
import { IRIS_COLS, IRIS_INIT, lloyd, union } from "./reference.js";

/**
 * Sealed results, coordinator mode: the test reads the connector's blob store straight from its
 * directory, as the coordinator's operator could, and looks for each member's values in it.
 */
describe("plain aggregation is sealed to the requester: the coordinator's blob store holds no member's values", () => {
  let h: NodeHarness;
  let ws: Wallet[];
  let R: RunningNode;
  const tables: Record<string, Table[]> = { iris: [] };

  before(async () => {
    preferRamDisk();
    h = await nodeHarness();
    ws = wallets(4);
    for (let i = 0; i < 3; i++) {
      const d = await ownerDatasets((n, b) => h.file(n, b), `o${i}`, i);
      tables.iris.push(d.tables.iris);
      await h.node(`o${i}`, ws[i], { datasets: d.datasets });
    }
    R = await h.node("R", ws[3], { roles: ["Requester"] });
  });
  after(async () => {
    await h?.stop();
  });

  const submit = (kind: string, params: Record<string, unknown>, rounds: number) =>
    submitFederated(R, {
      kind,
      aggregation: "plain",
      datasets: ws.slice(0, 3).map((w) => ({ owner: w.address, datasetId: "iris" })),
      params,
      rounds,
      members: { min: 3, max: 3, threshold: 2 },
    });

  /** Every blob file in the coordinator's store, as its operator reads them. */
  async function storeFiles(): Promise<Map<string, Buffer>> {
    const root = join(h.dir, "coordinator-blobs");
    const out = new Map<string, Buffer>();
    for (const d of await readdir(root)) for (const f of await readdir(join(root, d))) out.set("0x" + f, await readFile(join(root, d, f)));
    return out;
  }

  /** The member contribution blobs of a round, read from disk by their on-chain blob hashes. */
  async function computeBlobs(taskId: number, round: number): Promise<Buffer[]> {
    const files = await storeFiles();
    const recs = h.network.getContributions(taskId, round, Phase.Compute);
    assert.equal(recs.length, 3);
    return recs.map((r) => {
      const b = files.get(r.blobHash.toLowerCase());
      assert.ok(b, `contribution blob ${r.blobHash} is in the store`);
      return b;
    });
  }

  function assertNoneFound(haystacks: Iterable<Buffer>, needles: string[], what: string): void {
    for (const hay of haystacks) for (const n of needles) assert.ok(!hay.includes(Buffer.from(n)), `${what}: "${n}" is readable in the store`);
  }

  test("stats: partial sums (JSON numbers) are in no blob; the requester's statistics are exact", { timeout: 120_000 }, async () => {
    const { taskId } = await submit("stats", { columns: IRIS_COLS }, 1);
    const { result } = await finalResult<StatsResult>(R, taskId, 1);
    const all = union(tables.iris);
    const j = IRIS_COLS.indexOf("sepal_length");
    assert.equal(result.members, 3);
    assert.equal(result.columns.sepal_length.count, all.length);
    assert.equal(
      result.columns.sepal_length.sum,
      tables.iris.reduce((a, t) => a + partials([t], IRIS_COLS).sepal_length.sum, 0),
    );
    assert.ok(Math.abs(result.columns.sepal_length.mean - all.reduce((a, r) => a + r[j], 0) / all.length) < 1e-12);

    const blobs = await computeBlobs(taskId, 1);
    for (const b of blobs) assert.ok(isSealedBox(b), "a contribution blob is a sealed box");
    // What each member would have sent in the clear: its per-column partials, and their long numbers.
    const needles: string[] = [];
    for (const t of tables.iris) {
      const p = partials([t], IRIS_COLS);
      // The search must be able to fail: the unsealed payload contains every needle.
      const clear = Buffer.from(canonicalJson({ v: 1, columns: p }));
      for (const c of IRIS_COLS) {
        const ns = [canonicalJson(p[c]), JSON.stringify(p[c].sum), JSON.stringify(p[c].sumSq)].filter((n) => n.length >= 5);
        for (const n of ns) assert.ok(clear.includes(Buffer.from(n)));
        needles.push(...ns);
      }
    }
    assert.ok(needles.length >= 3 * IRIS_COLS.length);
    assertNoneFound(blobs, needles, "stats contribution");
    assertNoneFound((await storeFiles()).values(), needles, "any blob");
  });

  test("kmeans (vector path): the fixed-point encoded values are in no blob; the requester's centroids are Lloyd's", { timeout: 120_000 }, async () => {
    const params = { columns: IRIS_COLS, initial: IRIS_INIT, tolerance: 1e-9 };
    const { taskId } = await submit("kmeans", params, 30);
    const { result, round } = await finalResult<KmeansResult>(R, taskId, 30);
    const ref = lloyd(union(tables.iris), IRIS_INIT, 1e-9);
    assert.equal(round, ref.rounds);
    result.centroids.forEach((c, k) => c.forEach((v, d) => assert.ok(Math.abs(v - ref.centroids[k][d]) < 1e-6, `centroid ${k}[${d}]`)));

    // Round 1 starts from the public initial centroids: each member's vector is known to the test.
    const p = kmeansKind.parse({ kind: "kmeans", params: kmeansParams.parse(params) } as never);
    const needles: string[] = [];
    for (const t of tables.iris) {
      const enc = encodeVector(await kmeansKind.local(p, undefined, [t]));
      const clear = canonicalJson({ v: 1, kind: "vector/plain", values: enc.map(String) });
      const ns = enc.map((x) => `"${x}"`).filter((n) => n.length >= 8);
      for (const n of ns) assert.ok(clear.includes(n));
      needles.push(...ns);
    }
    assert.ok(needles.length >= 3 * IRIS_COLS.length);
    const blobs = await computeBlobs(taskId, 1);
    for (const b of blobs) assert.ok(isSealedBox(b), "a contribution blob is a sealed box");
    assertNoneFound(blobs, needles, "kmeans contribution");
    assertNoneFound((await storeFiles()).values(), needles, "any blob");
  });
});
