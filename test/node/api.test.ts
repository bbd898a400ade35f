import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import type { Wallet } from "ethers";
import { signRequest } from "../../protocol/src/signing.js";
import { NodeApiClient, NodeApiError, type RunningNode } from "../../node/src/index.js";
import { DatasetRegistry } from "../../node/src/data/registry.js";
import { nodeHarness, wallets, type NodeHarness } from "./harness.js";

const status = (code: number, re?: RegExp) => (e: unknown) =>
  e instanceof NodeApiError && e.status === code && (re ? re.test(e.message) : true);

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
    assert.equal(list[0]!.saltSeedRef, undefined, "the salt seed's location is not published");
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
