import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { Wallet } from "ethers";
import { vlinregRounds } from "../../protocol/src/tasks/vlinreg/index.js";
import { specHash, type TaskSpec } from "../../protocol/src/taskspec.js";
import { Vault } from "../../node/src/secrets/vault.js";
import { disposeOutsourcedEngines, outsourcedResult } from "../../node/src/index.js";
import { kmeans, adjustedRandIndex } from "../../node/src/algorithms/index.js";
import { signRequest } from "../../protocol/src/signing.js";
import { NodeApiClient, NodeApiError, type RunningNode } from "../../node/src/index.js";
import { DatasetRegistry } from "../../node/src/data/registry.js";
import { nodeHarness, wallets, type NodeHarness } from "./harness.js";

const status = (code: number, re?: RegExp) => (e: unknown) => e instanceof NodeApiError && e.status === code && (re ? re.test(e.message) : true);

describe("node HTTP API", () => {
  let h: NodeHarness;
  let op: Wallet, admin: Wallet, stranger: Wallet, req: Wallet;
  let N: RunningNode, R: RunningNode;
  let api: NodeApiClient;

  before(async () => {
    h = await nodeHarness();
    [op, admin, stranger, req] = wallets(4);
    N = await h.node("N", op, { admins: [admin.address] });
    R = await h.node("R", req, { roles: ["Requester", "Owner"] });
    api = new NodeApiClient(N.url, op);
  });
  after(async () => {
    await h?.stop();
  });

  test("GET /health names the node, its address and roles", async () => {
    const r = await new NodeApiClient(N.url).health();
    assert.equal(r.ok, true);
    assert.equal(r.name, "N");
    assert.equal(r.address, op.address);
    assert.deepEqual(r.roles, ["Owner"]);
    assert.equal(r.mode, "coordinator");
    assert.ok(N.url.startsWith("http://127.0.0.1:"));
  });

  test("POST /datasets registers, commits on-chain and is idempotent for the same file", async () => {
    const path = await h.file("x.csv", "a,b\n1,2\n3,4\n5,6\n");
    const d = await api.registerDataset({ name: "x", path, format: "csv" });
    assert.equal(d.version, 1);
    assert.equal(d.rows, 3);
    assert.equal(d.columns, 2);
    assert.equal(h.network.getDataset(op.address, "x")!.root, d.root);
    const again = await api.registerDataset({ name: "x", path, format: "csv" });
    assert.equal(again.version, 1);
    await writeFile(path, "a,b\n1,2\n3,4\n5,7\n");
    const v2 = await api.registerDataset({ name: "x", path, format: "csv" });
    assert.equal(v2.version, 2);
    assert.notEqual(v2.root, d.root);
    await assert.rejects(new NodeApiClient(N.url).request("GET", "/datasets"), status(401));
    const list = (await api.datasets()) as { name: string; version: number; saltSeedRef?: string }[];
    assert.deepEqual(
      list.map((x) => `${x.name}@${x.version}`),
      ["x@2", "x@1"],
    );
    assert.equal(list[0].saltSeedRef, undefined, "the salt seed's location is not published");
    // v1's file changed after its commitment: a fresh registry (as after a restart) refuses to compute on it.
    const fresh = new DatasetRegistry(N.store, N.connector, N.config.dataDir);
    await assert.rejects(fresh.table(N.store.getDataset("x", 1)!), /changed after it was committed; restore the file or register it again/);
    assert.deepEqual((await fresh.table(N.store.getDataset("x", 2)!)).rows[2], [5, 7]);
  });

  test("a bad file is refused with its line and leaves nothing registered, here or on-chain", async () => {
    const path = await h.file("bad.csv", "a,b\n1,2\n3\n");
    await assert.rejects(api.registerDataset({ name: "bad", path, format: "csv" }), status(400, /line 3 has 1 fields, the header has 2/));
    await assert.rejects(api.registerDataset({ name: "bad", path: "/no/such/file.csv", format: "csv" }), status(400, /cannot be read \(ENOENT\)/));
    await assert.rejects(api.registerDataset({ name: "bad", path, format: "xls" as "csv" }), status(400, /format: must be csv, npy or jsonl/));
    const big = await h.file("big.csv", "a\n1e12\n");
    await assert.rejects(api.registerDataset({ name: "bad", path: big, format: "csv" }), status(400, /out of range/));
    assert.equal(N.store.getDataset("bad"), undefined);
    assert.equal(h.network.getDataset(op.address, "bad"), null);
  });

  test("mutating routes need the operator's or an admin's signature; replays are refused", async () => {
    const path = await h.file("y.csv", "a\n1\n");
    const body = { name: "y", path, format: "csv" };
    await assert.rejects(new NodeApiClient(N.url).request("POST", "/datasets", body), status(401, /missing header x-cm-address/));
    await assert.rejects(new NodeApiClient(N.url, stranger).registerDataset(body as never), status(403, /neither this node's operator nor in admins/));
    assert.equal((await new NodeApiClient(N.url, admin).registerDataset(body as never)).version, 1);
    // The same signed request sent twice: the second is a replay.
    const bytes = new TextEncoder().encode(JSON.stringify(body));
    const headers = { ...(await signRequest(op, "POST", "/datasets", bytes)), "content-type": "application/json" };
    const first = await fetch(`${N.url}/datasets`, { method: "POST", headers, body: bytes });
    assert.equal(first.status, 201);
    const second = await fetch(`${N.url}/datasets`, { method: "POST", headers, body: bytes });
    assert.equal(second.status, 401);
    assert.match(((await second.json()) as { message: string }).message, /already used/);
    // A body other than the one signed is refused.
    const tampered = new TextEncoder().encode(JSON.stringify({ ...body, name: "z" }));
    const h2 = { ...(await signRequest(op, "POST", "/datasets", bytes)), "content-type": "application/json" };
    assert.equal((await fetch(`${N.url}/datasets`, { method: "POST", headers: h2, body: tampered })).status, 401);
  });

  test("POST /tasks: only with the Requester role, specs checked field by field, then visible in GET /tasks", async () => {
    const spec = { kind: "stats", datasets: [{ owner: op.address, datasetId: "x" }], params: { columns: ["a"] } };
    await assert.rejects(api.submitTask(spec), status(403, /lacks the Requester role/));
    const rapi = new NodeApiClient(R.url, req);
    await assert.rejects(rapi.submitTask({ ...spec, params: {} }), status(400, /params.columns/));
    await assert.rejects(rapi.submitTask({ ...spec, kind: "nope" }), status(400, /unknown kind "nope"/));
    await assert.rejects(rapi.submitTask({ ...spec, requester: op.address }), status(400, /must be this node's address/));
    const { taskId } = await rapi.submitTask(spec);
    assert.ok(taskId >= 1);
    await R.runtime.when(() => R.store.getTask(taskId) !== undefined);
    const t = (await rapi.task(taskId)) as { task: { mine: boolean; kind: string }; chain: { requester: string } };
    assert.equal(t.task.mine, true);
    assert.equal(t.task.kind, "stats");
    assert.equal(t.chain.requester, req.address);
    const list = (await rapi.tasks()) as { taskId: number }[];
    assert.ok(list.some((x) => x.taskId === taskId));
    await assert.rejects(rapi.task(999), status(404));
    await assert.rejects(rapi.request("GET", "/tasks/abc", undefined, true), status(400, /task id must be a non-negative integer/));
    await assert.rejects(rapi.request("GET", "/nowhere"), status(404, /no route/));
  });

  test("POST /tasks with an idempotency key: a retried submission (a new signature) returns the first task", async () => {
    const rapi = new NodeApiClient(R.url, req);
    const spec = { kind: "stats", datasets: [{ owner: op.address, datasetId: "x" }], params: { columns: ["a"] } };
    const first = await rapi.submitTask(spec, { idempotencyKey: "retry-me-1" });
    const again = await rapi.submitTask(spec, { idempotencyKey: "retry-me-1" });
    assert.equal(again.taskId, first.taskId, "the retry names the first task");
    const other = await rapi.submitTask(spec, { idempotencyKey: "retry-me-2" });
    assert.notEqual(other.taskId, first.taskId, "another key is another task");
    await assert.rejects(rapi.submitTask(spec, { idempotencyKey: "bad key!" }), status(400, /idempotencyKey must be/));
  });
});

/** Every file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

describe("POST /tasks prepares every kind inside the requester node", () => {
  let h: NodeHarness;
  let wO: Wallet, wW: Wallet, wR: Wallet, wX: Wallet;
  let O: RunningNode, W: RunningNode, R: RunningNode;
  // Three separated groups of four points: k-means from one point of each converges at once.
  const rows = [0, 1, 2].flatMap((g) => [0, 1, 2, 3].map((i) => [g * 10 + (i % 2) * 0.3, g * 5 + (i >> 1) * 0.2]));

  before(async () => {
    h = await nodeHarness();
    [wO, wW, wR, wX] = wallets(4);
    const pts = await h.file("pts.csv", "x,y\n" + rows.map((r) => r.join(",")).join("\n") + "\n");
    O = await h.node("owner", wO, { roles: ["Owner", "Requester"], datasets: [{ name: "pts", path: pts, format: "csv" }] });
    W = await h.node("worker", wW, { roles: ["Worker"], capacity: 4 });
    R = await h.node("req", wR, { roles: ["Requester"] });
    await h.node("plainowner", wX, { roles: ["Owner"] });
    await W.connector.heartbeat();
  });
  after(async () => {
    await h?.stop();
    disposeOutsourcedEngines();
  });

  test("skmeans: the owner node checks, encrypts and keeps the keys sealed; bad fields are refused before anything is created; the task runs", { timeout: 180_000 }, async () => {
    const api = new NodeApiClient(O.url, wO);
    const base = { kind: "skmeans", datasets: [{ owner: wO.address, datasetId: "pts" }], params: { k: 3, initialIndices: [0, 4, 8], maxIterations: 5, chunks: 2, replicas: 1 } };
    await assert.rejects(api.submitTask({ ...base, rounds: 3 }), status(400, /rounds: an outsourced task's rounds is computed by the data owner's node/));
    await assert.rejects(api.submitTask({ ...base, datasets: [{ owner: wX.address, datasetId: "pts" }] }), status(400, /datasets\.0\.owner: .* is not this node/));
    await assert.rejects(
      api.submitTask({ ...base, params: { ...base.params, setup: ["0x" + "00".repeat(32)] } }),
      status(400, /params\.setup: the encrypted first message is made by the data owner's node/),
    );
    await assert.rejects(api.submitTask({ ...base, params: { ...base.params, k: 13 } }), status(400, /k: 13 clusters need at least 13 rows, the dataset has 12/));
    await assert.rejects(api.submitTask({ ...base, params: { ...base.params, workers: [wX.address] } }), status(400, /is not a registered node with the Worker role/));
    // Only the node holding the data (Owner and Requester) prepares an outsourced task.
    await assert.rejects(
      new NodeApiClient(R.url, wR).submitTask({ ...base, datasets: [{ owner: wR.address, datasetId: "pts" }] }),
      status(400, /roles: the data owner's node submits its own outsourced tasks/),
    );
    assert.equal(await O.connector.getTask(1), null, "a refused submission creates no task");

    const r = (await api.submitTask(base)) as { taskId: number; specHash: string; info: { workers: string[]; setup: string[]; setupBytes: number } };
    assert.equal(r.taskId, 1);
    assert.deepEqual(Object.keys(r).sort(), ["info", "specHash", "taskId", "txHash"].filter((k) => k in r).sort());
    assert.deepEqual(Object.keys(r.info).sort(), ["setup", "setupBytes", "workers"], "the answer holds public facts only");
    assert.deepEqual(r.info.workers, [wW.address], "the manager picked the one active worker");
    assert.equal(r.info.setup.length, 2, "the encrypted dataset travels in 2 chunks");
    for (const b of r.info.setup) assert.ok((await O.connector.getBlob(b)).length > 0, "each setup chunk is on the connector");
    const spec = (await O.connector.getTaskSpec(r.taskId)) as TaskSpec;
    assert.equal(specHash(spec), r.specHash);
    assert.equal(spec.requester, wO.address);
    assert.equal(spec.rounds, 5, "rounds computed from maxIterations");
    assert.deepEqual(spec.members, { min: 1, max: 1, threshold: 1 });
    assert.equal(JSON.stringify(spec).includes("initialIndices"), false, "the spec names sizes and options, never the starting rows");

    // At rest: the requester state is sealed in node.sqlite, the owner's key snapshot sealed in the local blob store.
    const db = new DatabaseSync(join(O.config.dataDir, "node.sqlite"), { readOnly: true });
    const secrets = db.prepare("SELECT key, value FROM secrets").all() as Array<{ key: string; value: string }>;
    db.close();
    const seed = secrets.find((x) => x.key === `requester-seed:${r.specHash.toLowerCase()}`);
    assert.ok(seed, "the requester state is kept under the spec hash");
    for (const x of secrets) assert.ok(Vault.isSealedText(x.value), `secret ${x.key} is sealed`);
    const state = JSON.parse(O.store.secret(seed.key)!) as { snapshot: string; steps: number };
    assert.equal(state.steps, 0);
    const files = await filesUnder(join(O.config.dataDir, "blobs"));
    assert.ok(
      files.some((f) => f.endsWith(state.snapshot.slice(2))),
      "the owner's snapshot is in the node's own blob store",
    );
    for (const f of files) assert.ok(Vault.isSealed(new Uint8Array(await readFile(f))), `${f} is sealed`);
    assert.equal(
      await O.connector.getBlob(state.snapshot).then(
        () => true,
        () => false,
      ),
      false,
      "the owner's keys never reach the connector",
    );

    await O.runtime.when(() => outsourcedResult(O.store, r.taskId) !== undefined);
    const res = outsourcedResult<{ labels: number[]; converged: boolean }>(O.store, r.taskId)!;
    const plain = kmeans(rows, [rows[0], rows[4], rows[8]], { maxIterations: 5 });
    assert.ok(adjustedRandIndex(res.labels, plain.labels) >= 0.99, `same partition: ${res.labels.join(",")}`);
  });

  test("vlinreg: rounds and setup derived from the iterations, a result key made by the node, its secret sealed there", async () => {
    const api = new NodeApiClient(R.url, wR);
    const input = {
      kind: "vlinreg",
      datasets: [
        { owner: wO.address, datasetId: "pts" },
        { owner: wX.address, datasetId: "pts" },
      ],
      params: { idColumn: "id", label: { owner: wO.address, column: "y" }, features: [{ name: "x1", owner: wX.address, columns: ["x"] }], iterations: 7, keyBits: 1024 },
      members: { min: 2, max: 2, threshold: 2 },
    };
    await assert.rejects(api.submitTask({ ...input, rounds: 2 }), status(400, /rounds/));
    const { taskId, specHash: hash } = await api.submitTask(input);
    const spec = (await R.connector.getTaskSpec(taskId)) as TaskSpec;
    assert.equal(spec.rounds, vlinregRounds(7, "label"));
    assert.equal(spec.setup, true);
    const key = (spec.params as { resultKey?: string }).resultKey;
    assert.match(key ?? "", /^0x[0-9a-f]{64}$/);
    const state = JSON.parse(R.store.secret(`requester-seed:${hash.toLowerCase()}`)!) as { resultKey: string };
    const secret = await R.localBlobs.get(state.resultKey);
    assert.equal(secret.length, 32, "the result key's secret is in the requester's own blob store");
    assert.equal(
      await R.connector.getBlob(state.resultKey).then(
        () => true,
        () => false,
      ),
      false,
      "and never on the connector",
    );
    // A resultKey the caller already holds is kept as given: no secret is made.
    const mine = "0x" + "11".repeat(32);
    const other = await api.submitTask({ ...input, params: { ...input.params, resultKey: mine } });
    assert.equal(((await R.connector.getTaskSpec(other.taskId)) as TaskSpec).params.resultKey, mine);
  });
});
