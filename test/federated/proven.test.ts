import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Wallet } from "ethers";
import { canonicalJson } from "../../protocol/src/canonical.js";
import { releaseZk } from "../../chain-connector/src/zkverify.js";
import { encodeNpy } from "../../node/src/data/npy.js";
import type { Table } from "../../node/src/data/table.js";
import { submitFederated, type RunningNode } from "../../node/src/index.js";
import type { TaskKindHandler } from "../../node/src/runtime/handler.js";
import { kmeansHandler, type KmeansResult } from "../../node/src/runtime/kinds/kmeans.js";
import { linregHandler, regressionPartial, regressionStep, squaredLink, type Link, type RegressionResult } from "../../node/src/runtime/kinds/linreg.js";
import { statsHandler, type SecureStatsResult } from "../../node/src/runtime/kinds/stats.js";
import { logregHandler } from "../../node/src/runtime/kinds/logreg.js";
import { regressionParams } from "../../protocol/src/tasks/linreg.js";
import { nodeHarness, wallets, type NodeHarness } from "../node/harness.js";
import { chainNetwork, contributionVerifier, finalResult, preferRamDisk, type ChainNet } from "./network.js";
import { IRIS_COLS, IRIS_INIT, REG_COLS, irisTables, label, linregTables, lloyd, logregTables, relClose, union } from "./reference.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const built = existsSync(join(ROOT, "types/ethers-contracts/index.ts"));

/**
 * Proven contributions end to end: every owner proves every chunk of its committed dataset with
 * its kind's contribution circuit (circuits/*_chunk), the sampled chunk is checked at submission
 * (TaskManager for "onchain", the connector for "offchain"), the requester checks every chunk and
 * that the aggregate opens the sum of the Pedersen commitments. Results are compared with the
 * plaintext computation on the union (the circuits read rows in fixed point at 2^-16, so the
 * tolerances allow for that rounding). Datasets are kept small: a proof costs ~15 CPU-seconds.
 */

/** Owner i's datasets: iris (50 rows: two stats chunks of 32), iris30 (its first 30 rows: one chunk), lin and log (one chunk of 64). */
function proofDatasets(i: number): Record<string, Table> {
  const iris = irisTables(3)[i]!;
  return { iris, iris30: { columns: IRIS_COLS, rows: iris.rows.slice(0, 30) }, lin: linregTables(3)[i]!, log: logregTables(3)[i]! };
}

async function writeDatasets(file: (name: string, b: Uint8Array) => Promise<string>, name: string, tables: Record<string, Table>) {
  const out = [];
  for (const [ds, t] of Object.entries(tables)) out.push({ name: ds, path: await file(`${name}-${ds}.npy`, encodeNpy(t.rows)), format: "npy" as const, columns: t.columns });
  return out;
}

function plainStats(rows: number[][], j: number) {
  const xs = rows.map((r) => r[j]!);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { count: xs.length, mean, variance: xs.reduce((a, b) => a + b * b, 0) / xs.length - mean * mean };
}

/** The circuits' logistic link: the hard sigmoid clamp(1/2 + z/4, 0, 1) (circuits/README.md). */
const hardSigmoidLink: Link = (z, y) => [0, Math.min(1, Math.max(0, 0.5 + z / 4)) - y, 0];

/** Plaintext gradient descent on the union, `rounds` steps from zero weights, as the kinds step. */
function gdReference(rows: number[][], link: Link, params: Record<string, unknown>, rounds: number): number[] {
  const p = regressionParams.parse(params);
  let w = [0, 0, 0, 0];
  for (let r = 0; r < rounds; r++) w = regressionStep(p, regressionPartial(p, link, rows, w), w).weights;
  return w;
}

/** Submits a task over the three owners' `dataset` from the requester; `cheat` marks it for owner 2 (see cheating). */
function submitProven(
  R: RunningNode,
  ws: Wallet[],
  t: { kind: string; aggregation: string; verification: string; dataset: string; params: Record<string, unknown>; rounds: number; cheat?: Cheat; deadline?: number },
) {
  return submitFederated(
    R,
    {
      kind: t.kind,
      ...(t.cheat ? { nonce: `cheat:${t.cheat}` } : {}),
      aggregation: t.aggregation as "plain",
      verification: t.verification as "offchain",
      datasets: ws.slice(0, 3).map((w) => ({ owner: w.address, datasetId: t.dataset })),
      params: t.params,
      rounds: t.rounds,
      members: { min: 3, max: 3, threshold: 2 },
      ...(t.deadline ? { deadlines: { join: t.deadline, setup: t.deadline, compute: t.deadline, aggregate: t.deadline } } : {}),
    },
    { paillierBits: 1024 },
  );
}

const CHEATERS = [statsHandler, kmeansHandler, linregHandler, logregHandler].map(cheating);

const REG = { features: REG_COLS.slice(0, 3), target: "y", method: "gd", learningRate: 0.1 };

type Cheat = "vector" | "chunk" | "sampled" | "replay";

/**
 * An owner that proves honestly and then cheats as the task's nonce says ("cheat:<how>"): a vector
 * other than the proven one, a corrupt non-sampled chunk proof, a corrupt sampled proof, or in
 * round 2 its round-1 submission again (proofs bound to round 1).
 */
function cheating(inner: TaskKindHandler): TaskKindHandler {
  const sent = new Map<string, Awaited<ReturnType<TaskKindHandler["contribute"]>>>();
  return {
    ...inner,
    async contribute(ctx) {
      const how = /^cheat:(\w+)$/.exec(ctx.spec.nonce)?.[1] as Cheat | undefined;
      if (how === "replay" && ctx.round > 1) return sent.get(`${ctx.taskId}`)!;
      const s = await inner.contribute(ctx);
      sent.set(`${ctx.taskId}`, s);
      if (!how || how === "replay") return s;
      const env = JSON.parse(new TextDecoder().decode(s.payload)) as { body: string; chunks: { proof: { a: [string, string] } }[] };
      if (how === "vector") {
        // a different first value (the count) than the proven one, in the plain body
        const body = JSON.parse(Buffer.from(env.body, "hex").toString()) as { values: string[] };
        body.values[0] = String(BigInt(body.values[0]!) + 1n);
        env.body = Buffer.from(canonicalJson(body)).toString("hex");
      }
      if (how === "chunk") {
        // corrupt a chunk other than the sampled one (whose proof the connector checks)
        const sampled = env.chunks.findIndex((c) => JSON.stringify(c.proof) === JSON.stringify(s.proof));
        const k = sampled === 0 ? 1 : 0;
        env.chunks[k]!.proof.a = [env.chunks[k]!.proof.a[0], (BigInt(env.chunks[k]!.proof.a[1]) + 1n).toString()];
      }
      const payload = new TextEncoder().encode(canonicalJson(env));
      if (how === "sampled") return { ...s, payload, proof: { ...s.proof!, a: [s.proof!.a[0], (BigInt(s.proof!.a[1]) + 1n).toString()] } };
      return { ...s, payload };
    },
  };
}

describe("proven federated contributions, coordinator mode, 3 owners + requester", () => {
  let h: NodeHarness;
  let ws: Wallet[];
  let R: RunningNode;
  const owners: RunningNode[] = [];
  const tables: Record<string, Table[]> = { iris: [], iris30: [], lin: [], log: [] };

  before(async () => {
    preferRamDisk();
    h = await nodeHarness({ verifier: await contributionVerifier() });
    ws = wallets(4);
    for (let i = 0; i < 3; i++) {
      const t = proofDatasets(i);
      for (const k of Object.keys(tables)) tables[k]!.push(t[k]!);
      const datasets = await writeDatasets((n, b) => h.file(n, b), `o${i}`, t);
      // Owner 2 proves like the others and cheats only in the tasks the fault tests mark.
      const handlers = i === 2 ? CHEATERS : undefined;
      owners.push(await h.node(`o${i}`, ws[i]!, { datasets }, handlers ? { handlers, replaceBuiltins: true } : {}));
    }
    R = await h.node("R", ws[3]!, { roles: ["Requester"] });
  });
  after(async () => {
    await h?.stop();
    await releaseZk();
  });

  const submit = (kind: string, aggregation: string, verification: string, dataset: string, params: Record<string, unknown>, rounds: number, cheat?: Cheat) =>
    submitProven(R, ws, { kind, aggregation, verification, dataset, params, rounds, cheat });

  // Tasks run concurrently; the tests that move the clock past a deadline come after them.
  describe("tasks", { concurrency: true }, () => {
    test("stats / secagg / offchain over two chunks per owner: the union's statistics, 6 chunk proofs checked", { timeout: 900_000 }, async (t) => {
      const t0 = Date.now();
      const { taskId } = await submit("stats", "secagg", "offchain", "iris", { columns: IRIS_COLS }, 1);
      const { result } = await finalResult<SecureStatsResult & { proofs: { chunks: number; circuit: string } }>(R, taskId, 1);
      t.diagnostic(`${((Date.now() - t0) / 1000).toFixed(1)} s`);
      assert.deepEqual(result.proofs, { circuit: "stats_chunk", verification: "offchain", chunks: 6, aggregateOpensCommitments: true });
      const rows = union(tables.iris!);
      IRIS_COLS.forEach((c, j) => {
        const want = plainStats(rows, j);
        assert.equal(result.columns[c]!.count, want.count);
        relClose([result.columns[c]!.mean, result.columns[c]!.variance], [want.mean, want.variance], 1e-5, c);
      });
    });

    test("kmeans / plain / onchain, 2 Lloyd rounds: the same partition as plaintext Lloyd", { timeout: 900_000 }, async () => {
      const { taskId } = await submit("kmeans", "plain", "onchain", "iris30", { columns: IRIS_COLS, initial: IRIS_INIT, tolerance: 0 }, 2);
      const { result, round } = await finalResult<KmeansResult>(R, taskId, 2);
      assert.equal(round, 2);
      const rows = union(tables.iris30!);
      const ref = lloyd(rows, IRIS_INIT, 0, 2);
      assert.deepEqual(rows.map((x) => label(x, result.centroids)), rows.map((x) => label(x, ref.centroids)));
      result.centroids.forEach((c, k) => relClose(c, ref.centroids[k]!, 1e-4, `centroid ${k}`));
    });

    test("linreg / paillier / offchain, 1 round: the plaintext gradient step within 1e-3", { timeout: 900_000 }, async () => {
      const { taskId } = await submit("linreg", "paillier", "offchain", "lin", REG, 1);
      const { result } = await finalResult<RegressionResult>(R, taskId, 1);
      relClose(result.weights, gdReference(union(tables.lin!), squaredLink, REG, 1), 1e-3, "weights");
    });

    test("logreg / plain / onchain, 1 round: the hard-sigmoid gradient step within 1e-3", { timeout: 900_000 }, async () => {
      const { taskId } = await submit("logreg", "plain", "onchain", "log", REG, 1);
      const { result } = await finalResult<RegressionResult>(R, taskId, 1);
      relClose(result.weights, gdReference(union(tables.log!), hardSigmoidLink, REG, 1), 1e-3, "weights");
    });

    test("a member whose vector is not the one it proved is named and left out (plain); the others' sum is exact", { timeout: 900_000 }, async () => {
      const { taskId } = await submit("stats", "plain", "offchain", "iris30", { columns: IRIS_COLS }, 1, "vector");
      const { result } = await finalResult<SecureStatsResult>(R, taskId, 1);
      assert.deepEqual(result.rejected.map((r) => [r.member.toLowerCase(), /not the one proven/.test(r.reason)]), [[ws[2]!.address.toLowerCase(), true]]);
      assert.equal(result.columns.sepal_length!.count, 60);
      relClose([result.columns.sepal_length!.mean], [plainStats(union(tables.iris30!.slice(0, 2)), 0).mean], 1e-5, "mean of the honest two");
    });

    test("a corrupt proof of a non-sampled chunk: the requester's off-chain check leaves the member out", { timeout: 900_000 }, async () => {
      const { taskId } = await submit("stats", "secagg", "offchain", "iris", { columns: IRIS_COLS }, 1, "chunk");
      const { result } = await finalResult<SecureStatsResult>(R, taskId, 1);
      assert.deepEqual(result.rejected.map((r) => [r.member.toLowerCase(), /does not verify/.test(r.reason)]), [[ws[2]!.address.toLowerCase(), true]]);
      assert.deepEqual(result.dropped, [ws[2]!.address.toLowerCase()], "its masks were removed as for a dropped member");
      assert.equal(result.columns.sepal_length!.count, 100);
    });
  });

  test("a corrupt sampled proof is refused at submission (InvalidProof); the round goes on without the member", { timeout: 900_000 }, async () => {
    const { taskId } = await submit("stats", "plain", "onchain", "iris30", { columns: IRIS_COLS }, 1, "sampled");
    const o2 = owners[2]!;
    await o2.runtime.when(() => o2.store.getRound(taskId, 1, "member")?.status === "failed");
    assert.match(o2.store.getRound(taskId, 1, "member")!.error!, /InvalidProof/);
    for (const o of owners.slice(0, 2)) await o.runtime.when(() => o.store.getRound(taskId, 1, "member")?.status === "submitted");
    // The coordinator's deadline timer advances the round once its clock passes the deadline.
    h.clock.set(h.network.getRound(taskId, 1)!.deadline + 1);
    const { result } = await finalResult<SecureStatsResult>(R, taskId, 1);
    assert.equal(result.columns.sepal_length!.count, 60);
  });
});

describe("proven federated contributions, chain mode (hardhat node, verifiers bound in TaskManager), 3 owners + requester", { skip: built ? false : "contract bindings not built (npm run build)" }, () => {
  let net: ChainNet;
  let ws: Wallet[];
  let R: RunningNode;
  const owners: RunningNode[] = [];
  const tables: Record<string, Table[]> = { iris: [], iris30: [], lin: [], log: [] };
  const DEADLINE = 3600;

  before(async () => {
    preferRamDisk();
    net = await chainNetwork(4, { verifiers: true });
    ws = net.keys.map((k) => new Wallet(k));
    for (let i = 0; i < 3; i++) {
      const t = proofDatasets(i);
      for (const k of Object.keys(tables)) tables[k]!.push(t[k]!);
      const datasets = await writeDatasets(async (n, b) => {
        const p = join(net.dir, n);
        await writeFile(p, b);
        return p;
      }, `o${i}`, t);
      owners.push(await net.node(`o${i}`, net.keys[i]!, { roles: ["Owner"], datasets }, i === 2 ? { handlers: CHEATERS, replaceBuiltins: true } : {}));
    }
    R = await net.node("R", net.keys[3]!, { roles: ["Requester"] });
  });
  after(async () => {
    await net?.stop();
    await releaseZk();
  });

  const submit = (kind: string, aggregation: string, verification: string, dataset: string, params: Record<string, unknown>, rounds: number, cheat?: Cheat) =>
    // no keeper moves deadlines here: the tests that need a deadline passed move chain time
    submitProven(R, ws, { kind, aggregation, verification, dataset, params, rounds, cheat, deadline: DEADLINE });

  describe("tasks", { concurrency: true }, () => {
    test("stats / plain / onchain: TaskManager verifies each owner's sampled chunk; the union's statistics", { timeout: 900_000 }, async () => {
      const { taskId } = await submit("stats", "plain", "onchain", "iris30", { columns: IRIS_COLS }, 1);
      const { result } = await finalResult<SecureStatsResult & { proofs: unknown }>(R, taskId, 1);
      assert.deepEqual(result.proofs, { circuit: "stats_chunk", verification: "onchain", chunks: 3, aggregateOpensCommitments: true });
      const rows = union(tables.iris30!);
      IRIS_COLS.forEach((c, j) => relClose([result.columns[c]!.mean, result.columns[c]!.variance], [plainStats(rows, j).mean, plainStats(rows, j).variance], 1e-5, c));
    });

    test("kmeans / paillier / offchain, 1 round: plaintext Lloyd's first step", { timeout: 900_000 }, async () => {
      const { taskId } = await submit("kmeans", "paillier", "offchain", "iris30", { columns: IRIS_COLS, initial: IRIS_INIT, tolerance: 0 }, 1);
      const { result } = await finalResult<KmeansResult>(R, taskId, 1);
      const ref = lloyd(union(tables.iris30!), IRIS_INIT, 0, 1);
      result.centroids.forEach((c, k) => relClose(c, ref.centroids[k]!, 1e-4, `centroid ${k}`));
    });

    test("linreg / secagg / onchain, 1 round: the plaintext gradient step within 1e-3", { timeout: 900_000 }, async () => {
      const { taskId } = await submit("linreg", "secagg", "onchain", "lin", REG, 1);
      const { result } = await finalResult<RegressionResult>(R, taskId, 1);
      relClose(result.weights, gdReference(union(tables.lin!), squaredLink, REG, 1), 1e-3, "weights");
    });

    test("logreg / plain / offchain, 1 round: the hard-sigmoid gradient step within 1e-3", { timeout: 900_000 }, async () => {
      const { taskId } = await submit("logreg", "plain", "offchain", "log", REG, 1);
      const { result } = await finalResult<RegressionResult>(R, taskId, 1);
      relClose(result.weights, gdReference(union(tables.log!), hardSigmoidLink, REG, 1), 1e-3, "weights");
    });
  });

  test("a round-1 proof replayed in round 2 is rejected on-chain (BadBinding); the member drops out of round 2", { timeout: 900_000 }, async () => {
    const { taskId } = await submit("logreg", "plain", "onchain", "log", REG, 2, "replay");
    const o2 = owners[2]!;
    await o2.runtime.when(() => o2.store.getRound(taskId, 2, "member")?.status === "failed");
    assert.match(o2.store.getRound(taskId, 2, "member")!.error!, /BadBinding/);
    // the honest owners prove round 2 first; then the Compute deadline passes
    for (const o of owners.slice(0, 2)) await o.runtime.when(() => o.store.getRound(taskId, 2, "member")?.status === "submitted");
    await net.chain.increaseTime(DEADLINE + 1);
    await R.connector.advance(taskId, 2);
    const { result, round } = await finalResult<RegressionResult>(R, taskId, 2);
    assert.equal(round, 2);
    assert.equal(result.members.length, 2);
  });
});
