import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonRpcProvider, Wallet, id } from "ethers";
import { startHardhatNode, type HardhatNode } from "../helpers/hardhat.js";
import { deployContracts, type ContractAddresses } from "../../chain-connector/src/ethereum/deploy.js";
import { EthereumNetwork, connectEthereum, type EthereumConnector } from "../../chain-connector/src/ethereum/network.js";
import { ConnectorError, type ConnectorErrorCode } from "../../chain-connector/src/connector.js";
import { NodeRegistry__factory } from "../../types/ethers-contracts/index.js";
import type { ChainEvent } from "../../protocol/src/events.js";
import { Phase, Role } from "../../protocol/src/phases.js";
import { datasetKey, kindKey, parseTaskSpec, specHash, type TaskSpecInput } from "../../protocol/src/taskspec.js";

async function rejectsWith(p: Promise<unknown>, code: ConnectorErrorCode): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ConnectorError, `expected ConnectorError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

/** Reads events from a fresh stream until `stop` matches (or `count` are read). */
async function collect(net: EthereumNetwork, cursor: string | undefined, stop: (e: ChainEvent, all: ChainEvent[]) => boolean) {
  const ac = new AbortController();
  const out: ChainEvent[] = [];
  const guard = setTimeout(() => ac.abort(), 30_000);
  try {
    for await (const e of net.events(cursor, ac.signal)) {
      out.push(e);
      if (stop(e, out)) break;
    }
  } finally {
    clearTimeout(guard);
  }
  return out;
}

describe("EthereumConnector on a hardhat node", () => {
  let node: HardhatNode;
  let dir: string;
  let addresses: ContractAddresses;
  let net: EthereumNetwork;
  let req: EthereumConnector;
  let a: EthereumConnector;
  let b: EthereumConnector;
  let c: EthereumConnector;
  const open = () =>
    new EthereumNetwork({
      rpcUrl: node.url,
      addresses,
      blobs: join(dir, "blobs"),
      dbPath: join(dir, "events.sqlite"),
      pollMs: 100,
    });

  before(async () => {
    node = await startHardhatNode();
    dir = await mkdtemp(join(tmpdir(), "cm-eth-"));
    const provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
    addresses = await deployContracts(new Wallet(node.accounts[0], provider));
    provider.destroy();
    net = open();
    [req, a, b, c] = [1, 2, 3, 4].map((i) => net.as(node.accounts[i]));
  });

  after(async () => {
    await net?.close();
    await node?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const info = (i: number, roles: number) => ({ endpoint: `http://127.0.0.1:${9000 + i}`, x25519: id(`x${i}`), roles, capacity: 10 + i });

  test("register, update, read nodes; bad input and reverts map to ConnectorError codes", async () => {
    await rejectsWith(a.registerNode({ ...info(2, 3), endpoint: "" }), "BadInput");
    await rejectsWith(a.registerNode({ ...info(2, 3), roles: 8 }), "BadInput");
    await rejectsWith(a.registerNode({ ...info(2, 3), x25519: "0x12" }), "BadInput");
    const r = await req.registerNode(info(1, Role.Requester));
    assert.match(r.txHash, /^0x[0-9a-f]{64}$/);
    assert.ok(r.gasUsed! > 21_000);
    for (const [i, conn] of [a, b, c].entries()) await conn.registerNode(info(i + 2, Role.Owner | Role.Worker));
    await rejectsWith(a.registerNode(info(2, 3)), "AlreadyRegistered");
    await rejectsWith(net.as(node.accounts[9]).updateNode(info(9, 1)), "NotRegistered");
    await a.updateNode({ ...info(2, 3), capacity: 99 });
    const n = await req.getNode(await a.address());
    assert.ok(n);
    assert.equal(n.address, await a.address());
    assert.equal(n.capacity, 99);
    assert.equal(n.roles, 3);
    assert.equal(n.x25519, id("x2"));
    assert.equal(n.lastActive, 0);
    assert.equal(n.active, false);
    assert.equal(await req.getNode(new Wallet(node.accounts[9]).address), null);
    const list = await req.listNodes(0, 10);
    assert.deepEqual(
      list.map((x) => x.address),
      await Promise.all([req, a, b, c].map((x) => x.address())),
    );
    assert.equal((await req.listNodes(1, 2)).length, 2);
    await rejectsWith(req.listNodes(-1, 2), "BadInput");
    await a.heartbeat();
    assert.equal((await req.getNode(await a.address()))!.active, true);
    await rejectsWith(net.as(node.accounts[9]).heartbeat(), "NotRegistered");
  });

  test("datasets: versions append; concurrent commits from one wallet get distinct nonces", async () => {
    const commit = (root: string) => a.commitDataset("iris", { root, rows: 150, columns: 4, schemaHash: id("schema") });
    const v1 = await commit(id("root-1"));
    assert.equal(v1.version, 1);
    const more = await Promise.all([commit(id("root-2")), commit(id("root-3")), commit(id("root-4"))]);
    assert.deepEqual(more.map((m) => m.version).sort(), [2, 3, 4]);
    const latest = await req.getDataset(await a.address(), "iris");
    assert.equal(latest!.version, 4);
    const first = await req.getDataset(await a.address(), "iris", 1);
    assert.equal(first!.root, id("root-1"));
    assert.equal(first!.datasetId, datasetKey("iris"));
    assert.equal(first!.rows, 150);
    assert.equal(await req.getDataset(await a.address(), "iris", 9), null);
    assert.equal(await req.getDataset(await b.address(), "iris"), null);
    await rejectsWith(req.commitDataset("x", { root: id("r"), rows: 1, columns: 1, schemaHash: id("s") }), "MissingRole");
    await rejectsWith(a.commitDataset("x", { root: id("r"), rows: 0, columns: 1, schemaHash: id("s") }), "BadInput");
    await b.commitDataset("iris", { root: id("root-b"), rows: 10, columns: 4, schemaHash: id("schema") });
    // A call that reverts at gas estimation, sent between others, burns no nonce.
    const mixed = await Promise.allSettled([commit(id("root-5")), a.joinRound(77, 1, id("k")), commit(id("root-6"))]);
    assert.equal(mixed[0].status, "fulfilled");
    assert.equal(mixed[1].status, "rejected");
    assert.equal((mixed[1].reason as ConnectorError).code, "UnknownTask");
    assert.equal(mixed[2].status, "fulfilled");
    assert.equal((await commit(id("root-7"))).version, 7);
  });

  let taskId = 0;
  let spec: ReturnType<typeof parseTaskSpec>;

  test("createTask stores the spec blob and starts round 1; errors come back as codes", async () => {
    const input: TaskSpecInput = {
      kind: "stats",
      requester: await req.address(),
      datasets: [
        { owner: await a.address(), datasetId: "iris" },
        { owner: await b.address(), datasetId: "iris" },
      ],
      params: { columns: ["sepal_length"] },
      members: { min: 2, max: 3, threshold: 2 },
      setup: true,
      deadlines: { join: 60, setup: 60, compute: 60, aggregate: 60 },
      nonce: "ethereum-test",
    };
    spec = parseTaskSpec(input);
    await rejectsWith(req.createTask({ ...spec, kind: "nope" }), "BadInput");
    await rejectsWith(a.createTask({ ...spec, requester: await a.address() }), "MissingRole");
    await rejectsWith(req.createTask({ ...spec, requester: await a.address() }), "BadInput");
    await rejectsWith(req.createTask({ ...spec, verification: "onchain" }), "NoVerifier");
    const r = await req.createTask(spec);
    taskId = r.taskId;
    assert.equal(taskId, 1);
    const t = await req.getTask(taskId);
    assert.deepEqual(t, {
      taskId,
      requester: await req.address(),
      kind: kindKey("stats"),
      specHash: specHash(spec),
      rounds: 1,
      currentRound: 1,
      closed: false,
    });
    assert.deepEqual(await a.getTaskSpec(taskId), JSON.parse(JSON.stringify(spec)));
    assert.equal(await a.getTask(99), null);
    assert.equal(await a.getTaskSpec(99), null);
    const r1 = await a.getRound(taskId, 1);
    assert.equal(r1!.phase, Phase.Join);
    assert.equal(await a.getRound(taskId, 2), null);
    await rejectsWith(a.joinRound(99, 1, id("k")), "UnknownTask");
    await rejectsWith(a.joinRound(taskId, 5, id("k")), "UnknownRound");
    await rejectsWith(req.joinRound(taskId, 1, id("k")), "MissingRole");
    await rejectsWith(a.startRound(taskId), "NotRequester");
    await rejectsWith(req.startRound(taskId), "RoundNotFinished");
  });

  test("a round: join (auto-advance at max), setup with a silent member dropped at the deadline, compute, finalize", async () => {
    await a.joinRound(taskId, 1, id("ka"));
    await rejectsWith(a.joinRound(taskId, 1, id("ka")), "AlreadyJoined");
    await b.joinRound(taskId, 1, id("kb"));
    await c.joinRound(taskId, 1, id("kc"));
    let r = await req.getRound(taskId, 1);
    assert.equal(r!.phase, Phase.Setup);
    assert.deepEqual(r!.members, await Promise.all([a, b, c].map((x) => x.address())));
    assert.equal(r!.active, 3);
    await a.submit(taskId, 1, id("sa"), id("ca"));
    await rejectsWith(a.submit(taskId, 1, id("sa"), id("ca")), "AlreadySubmitted");
    await b.submit(taskId, 1, id("sb"), id("cb"));
    await rejectsWith(req.advance(taskId, 1), "DeadlineNotPassed");
    await node.increaseTime(61);
    await rejectsWith(c.submit(taskId, 1, id("sc"), id("cc")), "DeadlinePassed");
    await req.advance(taskId, 1);
    r = await req.getRound(taskId, 1);
    assert.deepEqual([r!.phase, r!.active, r!.submitted], [Phase.Compute, 2, 0]);
    await rejectsWith(c.submit(taskId, 1, id("sc"), id("cc")), "NotMember");
    await b.submit(taskId, 1, id("pb"), id("qb"));
    assert.equal((await req.getRound(taskId, 1))!.submitted, 1);
    await a.submit(taskId, 1, id("pa"), id("qa"));
    r = await req.getRound(taskId, 1);
    assert.equal(r!.phase, Phase.Aggregate);
    const contributions = await req.getContributions(taskId, 1, Phase.Compute);
    assert.deepEqual(
      contributions.map((x) => [x.member, x.blobHash, x.commitment]),
      [
        [await b.address(), id("pb"), id("qb")],
        [await a.address(), id("pa"), id("qa")],
      ],
    );
    assert.equal((await req.getContributions(taskId, 1, Phase.Setup)).length, 2);
    await rejectsWith(a.finalizeRound(taskId, 1, id("result")), "NotRequester");
    await req.finalizeRound(taskId, 1, id("result"));
    r = await req.getRound(taskId, 1);
    assert.deepEqual([r!.phase, r!.resultHash, r!.submitted], [Phase.Finalized, id("result"), 0]);
    assert.equal((await req.getTask(taskId))!.closed, true);
    await rejectsWith(req.startRound(taskId), "NoRoundsLeft");
    assert.ok((await req.getNode(await a.address()))!.lastActive > 0);
  });

  let stream: ChainEvent[] = [];

  test("events stream in chain order with decoded fields, block times and cursors", async () => {
    stream = await collect(net, undefined, (e) => e.type === "TaskClosed");
    const types = stream.map((e) => e.type);
    assert.deepEqual(types.slice(0, 5), ["NodeRegistered", "NodeRegistered", "NodeRegistered", "NodeRegistered", "NodeUpdated"]);
    assert.deepEqual(types.slice(-8), [
      "ContributionSubmitted",
      "ContributionSubmitted",
      "PhaseAdvanced",
      "ContributionSubmitted",
      "ContributionSubmitted",
      "PhaseAdvanced",
      "RoundFinalized",
      "TaskClosed",
    ]);
    for (let i = 1; i < stream.length; i++) assert.ok(stream[i - 1].cursor < stream[i].cursor, "cursors increase");
    for (let i = 1; i < stream.length; i++) assert.ok(stream[i - 1].time <= stream[i].time, "times do not go back");
    const created = stream.find((e) => e.type === "TaskCreated");
    assert.deepEqual(created && { ...created, cursor: undefined, time: undefined, txHash: undefined }, {
      type: "TaskCreated",
      taskId,
      requester: await req.address(),
      kind: kindKey("stats"),
      specHash: specHash(spec),
      rounds: 1,
      cursor: undefined,
      time: undefined,
      txHash: undefined,
    });
    const drop = stream.filter((e) => e.type === "PhaseAdvanced");
    assert.deepEqual(
      drop.map((e) => (e.type === "PhaseAdvanced" ? [e.phase, e.active] : [])),
      [
        [Phase.Setup, 3],
        [Phase.Compute, 2],
        [Phase.Aggregate, 2],
      ],
    );
    const ds = stream.filter((e) => e.type === "DatasetCommitted");
    assert.equal(ds.length, 8);
    const mj = stream.find((e) => e.type === "MemberJoined");
    assert.ok(mj && mj.type === "MemberJoined" && mj.memberKey === id("ka") && mj.member === (await a.address()));
  });

  test("reopening on the same database replays every event once, then picks up events made while closed", async () => {
    await net.close();
    await rejectsWith(a.getTask(1), "Unavailable");
    // a transaction while no connector runs
    const provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
    const outside = new Wallet(node.accounts[6], provider);
    await (await NodeRegistry__factory.connect(addresses.nodeRegistry, outside).register("http://outside", id("o"), 1, 1)).wait();
    provider.destroy();

    net = open();
    [req, a, b, c] = [1, 2, 3, 4].map((i) => net.as(node.accounts[i]));
    await net.sync();
    const replay = await collect(net, undefined, (_e, all) => all.length === stream.length + 1);
    assert.deepEqual(replay.slice(0, stream.length), stream);
    const last = replay.at(-1)!;
    assert.equal(last.type, "NodeRegistered");
    assert.ok(last.type === "NodeRegistered" && last.node === outside.address && last.endpoint === "http://outside");
    // resuming from a cursor yields exactly the events after it
    const mid = stream[10].cursor;
    const tail = await collect(net, mid, (_e, all) => all.length === replay.length - 11);
    assert.deepEqual(tail, replay.slice(11));
    // and nothing is stored twice: a second sync adds no events
    await net.sync();
    const again = await collect(net, stream.at(-1)!.cursor, () => true);
    assert.deepEqual(again, [last]);
    await rejectsWith(
      collect(net, "not-a-cursor", () => true),
      "BadInput",
    );
  });

  test("a live subscriber sees new events after the replay", async () => {
    const ac = new AbortController();
    const seen: ChainEvent[] = [];
    const from = stream.at(-1)!.cursor;
    const reading = (async () => {
      for await (const e of net.events(from, ac.signal)) {
        seen.push(e);
        if (e.type === "NodeLeft") ac.abort();
      }
    })();
    await c.leaveNode();
    await reading;
    assert.deepEqual(
      seen.map((e) => e.type),
      ["NodeRegistered", "NodeLeft"],
    );
    assert.equal(await req.getNode(await c.address()), null);
  });

  test("with confirmations: 2 the newest block's events wait for one more block", async () => {
    const slow = new EthereumNetwork({
      rpcUrl: node.url,
      addresses,
      blobs: join(dir, "blobs"),
      dbPath: join(dir, "events-2conf.sqlite"),
      pollMs: 100,
      confirmations: 2,
    });
    try {
      const r = await net.as(node.accounts[7]).registerNode(info(7, Role.Worker));
      await slow.sync();
      const all = await collect(slow, undefined, (e) => e.txHash === r.txHash || e.type === "NodeLeft");
      assert.equal(all.at(-1)!.type, "NodeLeft", "the last confirmed event is the one before the newest block");
      await node.increaseTime(1); // mines one empty block
      await slow.sync();
      const next = await collect(slow, all.at(-1)!.cursor, () => true);
      assert.equal(next[0].txHash, r.txHash);
    } finally {
      await slow.close();
    }
  });

  test("an unreachable node gives Unavailable after retries, not a hang or a raw error", async () => {
    const errors: unknown[] = [];
    const dead = new EthereumNetwork({
      rpcUrl: "http://127.0.0.1:1",
      addresses,
      blobs: join(dir, "blobs"),
      dbPath: join(dir, "events-dead.sqlite"),
      pollMs: 100,
      onError: (e) => errors.push(e),
    });
    try {
      await rejectsWith(dead.as(node.accounts[1]).getTask(1), "Unavailable");
      await rejectsWith(dead.as(node.accounts[1]).joinRound(1, 1, id("k")), "Unavailable");
    } finally {
      await dead.close();
    }
  });

  test("connectEthereum: one party with its own network, closed with the connector", async () => {
    const solo = connectEthereum({
      rpcUrl: node.url,
      addresses,
      blobs: join(dir, "blobs"),
      dbPath: join(dir, "events-solo.sqlite"),
      privateKey: node.accounts[2],
    });
    assert.equal(solo.mode, "ethereum");
    assert.equal(await solo.address(), await a.address());
    assert.equal((await solo.getTask(1))!.taskId, 1);
    const first = await collect((solo as unknown as { network: EthereumNetwork }).network, undefined, () => true);
    assert.equal(first[0].type, "NodeRegistered");
    await solo.close();
    await rejectsWith(solo.getTask(1), "Unavailable");
  });

  test("a chain that no longer holds the stored blocks (reset) is reported, not silently followed", async () => {
    const errors: unknown[] = [];
    const watcher = new EthereumNetwork({
      rpcUrl: node.url,
      addresses,
      blobs: join(dir, "blobs"),
      dbPath: join(dir, "events-reset.sqlite"),
      pollMs: 100,
      onError: (e) => errors.push(e),
    });
    const provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
    try {
      const snap = (await provider.send("evm_snapshot", [])) as string;
      await net.as(node.accounts[11]).registerNode(info(11, Role.Worker));
      await watcher.sync();
      assert.equal(await provider.send("evm_revert", [snap]), true);
      await net.as(node.accounts[12]).registerNode(info(12, Role.Worker)); // another block at that height
      await rejectsWith(watcher.sync(), "Unavailable");
      assert.match((errors.at(-1) as Error).message, /reset or reorganised/);
    } finally {
      provider.destroy();
      await watcher.close();
    }
  });
});
