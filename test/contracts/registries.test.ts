import { describe, test, before, after, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import { ZeroHash, id } from "ethers";
import { startChain, mined, reverts, eventNamed, type Chain } from "./fixture.js";

const KEY = id("x25519-key");
const SCHEMA = id("schema");

describe("NodeRegistry and DataRegistry", () => {
  let c: Chain;
  let restore: () => Promise<void>;
  before(async () => {
    c = await startChain();
  });
  after(async () => {
    await c?.stop();
  });
  beforeEach(async () => {
    restore = await c.snapshot();
  });
  afterEach(async () => {
    await restore();
  });

  test("register stores the record and emits NodeRegistered", async () => {
    const r = await mined(c.nr(1).register("http://a:1", KEY, 3, 50));
    const e = eventNamed(c.nr(0).interface, r.logs, "NodeRegistered");
    assert.equal(e.args.node, c.wallets[1].address);
    assert.equal(e.args.endpoint, "http://a:1");
    assert.equal(e.args.x25519, KEY);
    assert.equal(e.args.roles, 3n);
    assert.equal(e.args.capacity, 50n);
    const n = await c.nr(0).getNode(c.wallets[1].address);
    assert.equal(n.endpoint, "http://a:1");
    assert.equal(n.roles, 3n);
    assert.equal(n.capacity, 50n);
    assert.equal(Number(n.registeredAt), (await c.provider.getBlock(r.blockNumber))!.timestamp);
    assert.equal(await c.nr(0).isRegistered(c.wallets[1].address), true);
    assert.equal(await c.nr(0).isRegistered(c.wallets[2].address), false);
    assert.equal(await c.nr(0).rolesOf(c.wallets[1].address), 3n);
    assert.equal(await c.nr(0).rolesOf(c.wallets[2].address), 0n);
    assert.equal(await c.nr(0).nodeCount(), 1n);
  });

  test("register refuses bad input and double registration", async () => {
    await reverts(c.nr(1).register("", KEY, 1, 1), "BadInput");
    await reverts(c.nr(1).register("x".repeat(2049), KEY, 1, 1), "BadInput");
    await reverts(c.nr(1).register("http://a", KEY, 0, 1), "BadInput");
    await reverts(c.nr(1).register("http://a", KEY, 8, 1), "BadInput");
    await mined(c.nr(1).register("http://a", KEY, 7, 1));
    await reverts(c.nr(1).register("http://a", KEY, 7, 1), "AlreadyRegistered", [c.wallets[1].address]);
  });

  test("update replaces the record; only registered nodes may update", async () => {
    await reverts(c.nr(1).update("http://b", KEY, 1, 1), "NotRegistered", [c.wallets[1].address]);
    await mined(c.nr(1).register("http://a", KEY, 1, 1));
    await reverts(c.nr(1).update("", KEY, 1, 1), "BadInput");
    await reverts(c.nr(1).update("http://b", KEY, 9, 1), "BadInput");
    const r = await mined(c.nr(1).update("http://b", id("k2"), 6, 9));
    const e = eventNamed(c.nr(0).interface, r.logs, "NodeUpdated");
    assert.deepEqual([e.args.node, e.args.endpoint, e.args.x25519, e.args.roles, e.args.capacity], [c.wallets[1].address, "http://b", id("k2"), 6n, 9n]);
    const n = await c.nr(0).getNode(c.wallets[1].address);
    assert.equal(n.endpoint, "http://b");
    assert.equal(n.roles, 6n);
  });

  test("leave removes the node, keeps the list dense, and allows registering again", async () => {
    for (const i of [1, 2, 3]) await mined(c.nr(i).register(`http://n${i}`, KEY, 1, i));
    await reverts(c.nr(4).leave(), "NotRegistered");
    const r = await mined(c.nr(1).leave());
    assert.equal(eventNamed(c.nr(0).interface, r.logs, "NodeLeft").args.node, c.wallets[1].address);
    assert.equal(await c.nr(0).nodeCount(), 2n);
    assert.equal(await c.nr(0).isRegistered(c.wallets[1].address), false);
    assert.equal((await c.nr(0).getNode(c.wallets[1].address)).registeredAt, 0n);
    const [addrs, recs] = await c.nr(0).listNodes(0, 10);
    assert.deepEqual([...addrs].sort(), [c.wallets[2].address, c.wallets[3].address].sort());
    assert.deepEqual(recs.map((x) => x.endpoint).sort(), ["http://n2", "http://n3"]);
    // the moved node can still leave (its index was updated by swap-and-pop)
    await mined(c.nr(3).leave());
    const [after1] = await c.nr(0).listNodes(0, 10);
    assert.deepEqual([...after1], [c.wallets[2].address]);
    await mined(c.nr(1).register("http://again", KEY, 2, 1));
    assert.equal(await c.nr(0).nodeCount(), 2n);
  });

  test("listNodes paginates and tolerates offsets past the end", async () => {
    for (const i of [1, 2, 3, 4, 5]) await mined(c.nr(i).register(`http://n${i}`, KEY, 1, i));
    const [p1] = await c.nr(0).listNodes(0, 2);
    const [p2] = await c.nr(0).listNodes(2, 2);
    const [p3] = await c.nr(0).listNodes(4, 2);
    const [p4] = await c.nr(0).listNodes(9, 2);
    assert.deepEqual([...p1, ...p2, ...p3], [1, 2, 3, 4, 5].map((i) => c.wallets[i].address));
    assert.equal(p4.length, 0);
  });

  test("commit appends versions, never overwrites, and records roots", async () => {
    await mined(c.nr(1).register("http://a", KEY, 1, 1));
    const ds = id("iris");
    const r1 = await mined(c.dr(1).commit(ds, id("root1"), 150, 4, SCHEMA));
    const e = eventNamed(c.dr(0).interface, r1.logs, "DatasetCommitted");
    assert.deepEqual(
      [e.args.owner, e.args.datasetId, e.args.version, e.args.root, e.args.rows, e.args.columns, e.args.schemaHash],
      [c.wallets[1].address, ds, 1n, id("root1"), 150n, 4n, SCHEMA],
    );
    const r2 = await mined(c.dr(1).commit(ds, id("root2"), 151, 4, SCHEMA));
    assert.equal(eventNamed(c.dr(0).interface, r2.logs, "DatasetCommitted").args.version, 2n);
    assert.equal(await c.dr(0).latestVersion(c.wallets[1].address, ds), 2n);
    const v1 = await c.dr(0).getDataset(c.wallets[1].address, ds, 1);
    assert.equal(v1.root, id("root1"));
    assert.equal(v1.rows, 150n);
    assert.equal(Number(v1.committedAt), (await c.provider.getBlock(r1.blockNumber))!.timestamp);
    assert.equal((await c.dr(0).getDataset(c.wallets[1].address, ds, 2)).root, id("root2"));
    assert.equal((await c.dr(0).getDataset(c.wallets[1].address, ds, 3)).root, ZeroHash);
    assert.equal((await c.dr(0).getDataset(c.wallets[1].address, ds, 0)).root, ZeroHash);
    assert.equal(await c.dr(0).latestVersion(c.wallets[2].address, ds), 0n);
    assert.equal(await c.dr(0).hasRoot(c.wallets[1].address, id("root1")), true);
    assert.equal(await c.dr(0).hasRoot(c.wallets[1].address, id("root2")), true);
    assert.equal(await c.dr(0).hasRoot(c.wallets[2].address, id("root1")), false);
  });

  test("commit refuses unregistered nodes, missing Owner role and bad input", async () => {
    const ds = id("d");
    await reverts(c.dr(1).commit(ds, id("r"), 1, 1, SCHEMA), "NotRegistered", [c.wallets[1].address]);
    await mined(c.nr(1).register("http://w", KEY, 2 | 4, 1));
    await reverts(c.dr(1).commit(ds, id("r"), 1, 1, SCHEMA), "MissingRole", [c.wallets[1].address, 1]);
    await mined(c.nr(2).register("http://o", KEY, 1, 1));
    await reverts(c.dr(2).commit(ds, ZeroHash, 1, 1, SCHEMA), "BadInput");
    await reverts(c.dr(2).commit(ds, id("r"), 0, 1, SCHEMA), "BadInput");
    await reverts(c.dr(2).commit(ds, id("r"), 1, 0, SCHEMA), "BadInput");
    assert.equal(await c.dr(0).latestVersion(c.wallets[2].address, ds), 0n);
  });
});
