import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import type { Wallet } from "ethers";
import { nodeHarness, wallets, type NodeHarness } from "../node/harness.js";
import { BUILTIN_HANDLERS, submitOutsourced, disposeOutsourcedEngines, type RunningNode } from "../../node/src/index.js";
import { kmeans } from "../../node/src/algorithms/index.js";
import { Phase } from "../../protocol/src/phases.js";
import { blobs } from "../algorithms/helpers.js";
import { cheatingSkmeans, finalResult, iris, irisCsv, roundTimer, skipRows, stale, wrongCiphertext } from "./helpers.js";

interface Res {
  labels: number[];
  worker: string;
  replication: { replicas: number; outputs: number; arbitrated: boolean; honest: string[]; cheaters: { member: string; round: number; reason: string }[] };
}

describe("replicated outsourced evaluation over the round runtime (coordinator over HTTP): a cheating replica is caught and named", { timeout: 600_000 }, () => {
  let h: NodeHarness;
  let O: RunningNode, W: RunningNode, V: RunningNode;
  const cheaters: Record<string, RunningNode> = {};
  const few = iris.filter((_, i) => i % 3 === 0); // 50 rows: one ciphertext block
  const { X: two } = blobs(600, 5, 3); // 600 rows × stride 8: two blocks at 4096 slots
  const init = [0, 17, 34];

  before(async () => {
    h = await nodeHarness();
    const ws: Wallet[] = wallets(6);
    O = await h.node("owner", ws[0], {
      roles: ["Owner", "Requester"],
      datasets: [
        { name: "few", path: await h.file("few.csv", irisCsv(few)), format: "csv" },
        { name: "two", path: await h.file("two.csv", ["a,b,c,d,e", ...two.map((r) => r.join(","))].join("\n")), format: "csv" },
      ],
    });
    W = await h.node("honest", ws[1], { roles: ["Worker"], capacity: 10 });
    V = await h.node("honest2", ws[2], { roles: ["Worker"], capacity: 10 });
    for (const [i, [name, t]] of (
      [
        ["wrong", wrongCiphertext],
        ["stale", stale],
        ["skip", skipRows],
      ] as const
    ).entries())
      cheaters[name] = await h.node(
        name,
        ws[3 + i],
        { roles: ["Worker"], capacity: 10 },
        { handlers: [cheatingSkmeans(t), ...BUILTIN_HANDLERS.filter((x) => x.kind !== "skmeans")], replaceBuiltins: true },
      );
  });
  after(async () => {
    await h?.stop();
    disposeOutsourcedEngines();
  });

  async function run(dataset: string, X: number[][], workers: RunningNode[], onId?: (id: number) => void) {
    const sub = await submitOutsourced(O, {
      kind: "skmeans",
      variant: "ckks",
      dataset,
      k: 3,
      maxIterations: 3,
      tolerance: 0,
      initialIndices: init,
      workers: workers.map((w) => w.address),
    });
    onId?.(sub.taskId);
    const res = await finalResult<Res>(O, workers[0], sub.taskId);
    const base = kmeans(
      X,
      init.map((i) => X[i]),
      { tolerance: 0, maxIterations: 3 },
    );
    assert.deepEqual(res.labels, base.labels, "the result is the honest one");
    return { res, taskId: sub.taskId };
  }

  test("two honest replicas: equal commitments on-chain every round, no re-run, nobody named", async (t) => {
    let id: number | undefined;
    const timer = roundTimer(O, () => id);
    const { res, taskId } = await run("few", few, [W, V], (x) => (id = x));
    const { rounds, first, later } = timer.stop();
    t.diagnostic(`2 replicas, skmeans/ckks, 50 Iris rows: ${rounds} rounds; submission to round 1 result ${first.toFixed(2)} s, then ${later.toFixed(2)} s per round`);
    assert.deepEqual(res.replication.cheaters, []);
    assert.equal(res.replication.arbitrated, false);
    for (let round = 1; ; round++) {
      const cs = await O.connector.getContributions(taskId, round, Phase.Compute);
      if (cs.length === 0) break;
      assert.equal(cs.length, 2);
      assert.equal(cs[0].commitment, cs[1].commitment, `round ${round}: both replicas committed the same output digest`);
      assert.notEqual(cs[0].blobHash, cs[1].blobHash, "each output is sealed separately");
    }
  });

  for (const [name, what, dataset] of [
    ["wrong", "a wrong ciphertext (two centroids' distances swapped)", "few"],
    ["stale", "a stale output (the previous round's distances, relabelled)", "few"],
    ["skip", "skipped rows (block 0's distances reused for block 1)", "two"],
  ] as const) {
    test(`${what}: caught, named in the result, later outputs not counted`, async () => {
      const X = dataset === "few" ? few : two;
      const { res } = await run(dataset, X, [W, cheaters[name]]);
      const c = cheaters[name].address;
      assert.ok(res.replication.cheaters.length >= 1, "a cheater is named");
      assert.ok(
        res.replication.cheaters.every((x) => x.member === c),
        `only ${name} is named: ${JSON.stringify(res.replication.cheaters)}`,
      );
      assert.equal(res.replication.cheaters.length, 1, "named once: its later outputs are left out");
      assert.match(res.replication.cheaters[0].reason, /differs from the owner's re-run/);
      assert.equal(res.replication.cheaters[0].round, name === "stale" ? 2 : 1);
      assert.notEqual(res.worker, c);
    });
  }
});
