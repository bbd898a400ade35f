import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { hexlify, keccak256, randomBytes, toUtf8Bytes, Wallet } from "ethers";
import type { ChainEvent } from "../../protocol/src/events.js";
import { FailReason } from "../../protocol/src/events.js";
import { Phase, Role } from "../../protocol/src/phases.js";
import { parseTaskSpec, specHash, datasetKey, kindKey, type TaskSpecInput } from "../../protocol/src/taskspec.js";
import { signingText, SIGNATURE_HEADERS, signRequest } from "../../protocol/src/signing.js";
import { ConnectorError } from "../../chain-connector/src/connector.js";
import type { ConnectorClient } from "../../chain-connector/src/http/client.js";
import { coordinatorMode, type ModeHarness } from "./modes.js";
import { availableModes } from "./ethereum-mode.js";

const b32 = () => hexlify(randomBytes(32));

async function rejects(p: Promise<unknown>, code: string, what: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ConnectorError, `${what}: expected a ConnectorError, got ${String(e)}`);
    assert.equal(e.code, code, `${what}: ${e.message}`);
    return true;
  });
}

/** Every event of the network, collected from one signed SSE subscription. */
class EventLog {
  readonly seen: ChainEvent[] = [];
  private readonly ac = new AbortController();
  private waiters: (() => void)[] = [];
  private done: Promise<void>;

  constructor(client: ConnectorClient) {
    this.done = (async () => {
      try {
        for await (const ev of client.events(undefined, this.ac.signal)) {
          this.seen.push(ev);
          for (const w of this.waiters.splice(0)) w();
        }
      } catch (e) {
        if (!this.ac.signal.aborted) throw e;
      }
    })();
  }

  mark(): number {
    return this.seen.length;
  }

  /** The first event at or after `from` that matches; waits for it (event-driven, no sleeping). */
  async waitFor(from: number, pred: (e: ChainEvent) => boolean): Promise<ChainEvent> {
    for (;;) {
      const hit = this.seen.slice(from).find(pred);
      if (hit) return hit;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  async stop(): Promise<void> {
    this.ac.abort();
    for (const w of this.waiters.splice(0)) w();
    await this.done;
  }
}

const bodies = (evs: ChainEvent[]) => evs.map(({ cursor: _c, time: _t, txHash: _h, ...body }) => body);

const modes = [coordinatorMode, ...(await availableModes())];
/** Event types each mode emitted over the whole suite: the same scenario must give the same stream. */
const streams = new Map<string, string[]>();

for (const factory of modes) {
  describe(`connector conformance: ${factory.name.replace(/Mode$/, "")} mode`, { timeout: 300_000 }, () => {
    let h: ModeHarness;
    let log: EventLog;
    let c: ConnectorClient[];
    let w: Wallet[];
    // Parties: 0 requester, 1-3 data owners, 4 worker, 5 a node that comes and goes, 6 never registers, 7 keeper.
    const node = (roles: number) => ({ endpoint: `http://127.0.0.1:${9000 + roles}/`, x25519: b32(), roles, capacity: 100 });
    const spec = (over: Partial<TaskSpecInput> = {}) =>
      parseTaskSpec({
        kind: "stats",
        requester: w[0].address,
        datasets: [1, 2, 3].map((i) => ({ owner: w[i].address, datasetId: "iris" })),
        params: { columns: ["sepal_length"] },
        members: { min: 2, max: 3, threshold: 2 },
        rounds: 1,
        deadlines: { join: 600, setup: 600, compute: 600, aggregate: 600 },
        ...over,
      });

    before(async () => {
      h = await factory();
      w = h.wallets;
      c = w.map((x) => h.client(x));
      // Only registered nodes read the event stream: the keeper registers first.
      await c[7].registerNode(node(Role.Worker));
      log = new EventLog(c[7]);
    });

    after(async () => {
      if (log)
        streams.set(
          h.name,
          log.seen.map((e) => e.type),
        );
      await log?.stop();
      await h?.stop();
    });

    test("register, update and leave a node", async () => {
      const m = log.mark();
      await c[0].registerNode(node(Role.Requester));
      for (const i of [1, 2, 3]) await c[i].registerNode(node(Role.Owner));
      await c[4].registerNode(node(Role.Worker));
      const info = node(Role.Owner | Role.Worker);
      await c[5].registerNode(info);
      await rejects(c[5].registerNode(info), "AlreadyRegistered", "second register");

      await rejects(c[6].getNode(w[5].address), "NotRegistered", "an unregistered key reads another node");
      assert.equal(await c[6].getNode(w[6].address), null, "an unregistered key may ask whether it is registered");
      const got = await c[4].getNode(w[5].address);
      assert.ok(got);
      assert.equal(got.address, w[5].address);
      assert.equal(got.endpoint, info.endpoint);
      assert.equal(got.x25519, info.x25519.toLowerCase());
      assert.equal(got.roles, info.roles);
      assert.equal(got.capacity, 100);
      assert.equal(got.active, false, "no heartbeat and no participation yet");

      await c[5].heartbeat();
      assert.equal((await c[0].getNode(w[5].address))!.active, true, "a heartbeat makes a node active");
      const { livenessSeconds } = await c[0].info();
      await h.travel(livenessSeconds + 5);
      assert.equal((await c[0].getNode(w[5].address))!.active, false, "a node silent for longer than the window is inactive");
      await c[5].heartbeat();
      assert.equal((await c[0].getNode(w[5].address))!.active, true);
      await rejects(c[6].heartbeat(), "NotRegistered", "heartbeat of an unregistered node");

      await rejects(c[6].listNodes(), "NotRegistered", "an unregistered key lists nodes");
      const listed = await c[4].listNodes();
      assert.deepEqual(listed.map((n) => n.address).sort(), [0, 1, 2, 3, 4, 5, 7].map((i) => w[i].address).sort());

      await c[5].updateNode({ ...info, endpoint: "http://127.0.0.1:9999/", capacity: 7 });
      const upd = await c[5].getNode(w[5].address);
      assert.equal(upd!.endpoint, "http://127.0.0.1:9999/");
      assert.equal(upd!.capacity, 7);
      await rejects(c[5].updateNode({ ...info, roles: 0 }), "BadInput", "update with no roles");

      await c[5].leaveNode();
      assert.equal(await c[0].getNode(w[5].address), null);
      await rejects(c[5].updateNode(info), "NotRegistered", "update after leave");
      await rejects(c[5].leaveNode(), "NotRegistered", "leave twice");

      await log.waitFor(m, (e) => e.type === "NodeLeft");
      const mine = bodies(log.seen.slice(m)).filter((e) => "node" in e && e.node === w[5].address);
      assert.deepEqual(
        mine.map((e) => e.type),
        ["NodeRegistered", "NodeUpdated", "NodeLeft"],
      );
      assert.deepEqual(mine[1], { type: "NodeUpdated", node: w[5].address, ...info, x25519: info.x25519.toLowerCase(), endpoint: "http://127.0.0.1:9999/", capacity: 7 });
    });

    test("dataset commitments append versions and never overwrite", async () => {
      const m = log.mark();
      const v1 = { root: b32(), rows: 150, columns: 4, schemaHash: b32() };
      const v2 = { root: b32(), rows: 160, columns: 4, schemaHash: v1.schemaHash };
      assert.equal((await c[1].commitDataset("iris", v1)).version, 1);
      assert.equal((await c[1].commitDataset("iris", v2)).version, 2);
      for (const i of [2, 3]) assert.equal((await c[i].commitDataset("iris", { root: b32(), rows: 50, columns: 4, schemaHash: v1.schemaHash })).version, 1);

      const latest = await c[0].getDataset(w[1].address, "iris");
      assert.equal(latest!.version, 2);
      assert.equal(latest!.root, v2.root);
      assert.equal(latest!.datasetId, datasetKey("iris"));
      const first = await c[0].getDataset(w[1].address, "iris", 1);
      assert.equal(first!.root, v1.root);
      assert.equal(first!.rows, 150);
      assert.equal(await c[0].getDataset(w[1].address, "iris", 3), null);
      assert.equal(await c[0].getDataset(w[1].address, "wine"), null);

      await rejects(c[0].commitDataset("iris", v1), "MissingRole", "requester-only node commits");
      await rejects(c[6].commitDataset("iris", v1), "NotRegistered", "unregistered commits");

      const ev = await log.waitFor(m, (e) => e.type === "DatasetCommitted" && e.version === 2);
      assert.deepEqual(bodies([ev])[0], { type: "DatasetCommitted", owner: w[1].address, datasetId: datasetKey("iris"), version: 2, ...v2 });
    });

    test("a two-round task: join, contribute, auto-advance, drop a silent member, finalize, close", async () => {
      const s = spec({ rounds: 2 });
      await rejects(c[1].createTask({ ...s, requester: w[1].address }), "MissingRole", "owner-only node creates a task");
      await rejects(c[6].createTask({ ...s, requester: w[6].address }), "NotRegistered", "unregistered creates a task");
      await rejects(c[0].createTask(spec({ verification: "onchain" })), "NoVerifier", "no verifier for stats");

      let m = log.mark();
      const { taskId } = await c[0].createTask(s);
      const created = await log.waitFor(m, (e) => e.type === "TaskCreated" && e.taskId === taskId);
      assert.deepEqual(bodies([created])[0], {
        type: "TaskCreated",
        taskId,
        requester: w[0].address,
        kind: kindKey("stats"),
        specHash: specHash(s),
        rounds: 2,
      });
      const started = await log.waitFor(m, (e) => e.type === "RoundStarted" && e.taskId === taskId);
      assert.equal(started.type === "RoundStarted" && started.round, 1);
      const task = await c[4].getTask(taskId);
      assert.deepEqual(task, { taskId, requester: w[0].address, kind: kindKey("stats"), specHash: specHash(s), rounds: 2, currentRound: 1, closed: false });
      assert.deepEqual(await c[4].getTaskSpec(taskId), s);
      assert.equal(await c[4].getTask(taskId + 1000), null);

      // Round 1: two owners join, then the join deadline moves the round to Compute.
      await rejects(c[0].joinRound(taskId, 1, b32()), "MissingRole", "requester-only node joins");
      await rejects(c[6].joinRound(taskId, 1, b32()), "NotRegistered", "unregistered joins");
      await rejects(c[1].joinRound(taskId, 9, b32()), "UnknownRound", "join a round that does not exist");
      const key1 = b32();
      await c[1].joinRound(taskId, 1, key1);
      await c[2].joinRound(taskId, 1, b32());
      await rejects(c[1].joinRound(taskId, 1, b32()), "AlreadyJoined", "join twice");
      await rejects(c[1].submit(taskId, 1, b32(), b32()), "WrongPhase", "submit during Join");
      await rejects(c[4].advance(taskId, 1), "DeadlineNotPassed", "advance before the join deadline");
      const joined = await log.waitFor(m, (e) => e.type === "MemberJoined" && e.member === w[1].address && e.taskId === taskId);
      assert.equal(joined.type === "MemberJoined" && joined.memberKey, key1.toLowerCase());
      assert.equal((await c[1].getNode(w[1].address))!.active, true, "joining counts as participation");

      let r = await c[1].getRound(taskId, 1);
      assert.equal(r!.phase, Phase.Join);
      assert.equal(r!.joined, 2);
      assert.deepEqual(r!.members, [w[1].address, w[2].address]);

      m = log.mark();
      await h.passDeadline(r!.deadline);
      const toCompute = await log.waitFor(m, (e) => e.type === "PhaseAdvanced" && e.taskId === taskId && e.round === 1);
      assert.ok(toCompute.type === "PhaseAdvanced");
      assert.equal(toCompute.phase, Phase.Compute);
      assert.equal(toCompute.active, 2);
      await rejects(c[3].joinRound(taskId, 1, b32()), "WrongPhase", "join after Join");

      // Both submit: the round moves to Aggregate at once.
      const blob = await c[1].putBlob(toUtf8Bytes("partial sums of owner 1"));
      assert.equal(blob, keccak256(toUtf8Bytes("partial sums of owner 1")));
      assert.deepEqual(new TextDecoder().decode(await c[1].getBlob(blob)), "partial sums of owner 1");
      await rejects(c[2].getBlob(blob), "Forbidden", "another member reads an unpublished blob");
      await rejects(c[0].getBlob(blob), "Forbidden", "the requester reads a blob before it is submitted");
      await rejects(c[2].getBlob(b32()), "Forbidden", "a missing blob is refused like a hidden one");
      m = log.mark();
      const comm = b32();
      await c[1].submit(taskId, 1, blob, comm);
      await rejects(c[1].submit(taskId, 1, blob, comm), "AlreadySubmitted", "submit twice");
      await rejects(c[3].submit(taskId, 1, blob, comm), "NotMember", "non-member submits");
      r = await c[0].getRound(taskId, 1);
      assert.equal(r!.phase, Phase.Compute);
      assert.equal(r!.submitted, 1);
      await c[2].submit(taskId, 1, b32(), b32());
      const toAgg = await log.waitFor(m, (e) => e.type === "PhaseAdvanced" && e.taskId === taskId && e.round === 1);
      assert.ok(toAgg.type === "PhaseAdvanced" && toAgg.phase === Phase.Aggregate && toAgg.active === 2);
      assert.deepEqual(new TextDecoder().decode(await c[0].getBlob(blob)), "partial sums of owner 1", "the requester reads a submitted contribution");
      await rejects(c[2].getBlob(blob), "Forbidden", "a plain Compute contribution is not for other members");
      await rejects(c[4].getBlob(blob), "Forbidden", "nor for a registered non-member");
      await rejects(c[4].getContributions(taskId, 1, Phase.Compute), "Forbidden", "a non-member lists contributions");
      const contribs = await c[0].getContributions(taskId, 1, Phase.Compute);
      assert.deepEqual(contribs[0], { taskId, round: 1, phase: Phase.Compute, member: w[1].address, blobHash: blob, commitment: comm.toLowerCase() });
      assert.equal(contribs.length, 2);

      // Aggregate never advances by itself on submissions; the requester finalizes.
      await c[1].submit(taskId, 1, b32(), b32());
      await c[2].submit(taskId, 1, b32(), b32());
      assert.equal((await c[0].getRound(taskId, 1))!.phase, Phase.Aggregate);
      await rejects(c[0].startRound(taskId), "RoundNotFinished", "start round 2 while round 1 runs");
      await rejects(c[1].finalizeRound(taskId, 1, b32()), "NotRequester", "member finalizes");
      const result1 = b32();
      m = log.mark();
      await c[0].finalizeRound(taskId, 1, result1);
      const fin = await log.waitFor(m, (e) => e.type === "RoundFinalized" && e.taskId === taskId);
      assert.deepEqual(bodies([fin])[0], { type: "RoundFinalized", taskId, round: 1, resultHash: result1.toLowerCase() });
      assert.equal((await c[0].getRound(taskId, 1))!.phase, Phase.Finalized);
      assert.equal((await c[0].getRound(taskId, 1))!.resultHash, result1.toLowerCase());
      assert.equal((await c[0].getTask(taskId))!.closed, false);

      // Round 2: a full round (max 3) leaves Join at once; one member stays silent and is dropped.
      await rejects(c[1].startRound(taskId), "NotRequester", "member starts a round");
      m = log.mark();
      assert.equal((await c[0].startRound(taskId)).round, 2);
      await log.waitFor(m, (e) => e.type === "RoundStarted" && e.taskId === taskId && e.round === 2);
      for (const i of [1, 2, 3]) await c[i].joinRound(taskId, 2, b32());
      await rejects(c[4].joinRound(taskId, 2, b32()), "WrongPhase", "join a full round");
      const full = await log.waitFor(m, (e) => e.type === "PhaseAdvanced" && e.taskId === taskId && e.round === 2);
      assert.ok(full.type === "PhaseAdvanced" && full.phase === Phase.Compute && full.active === 3);
      await c[1].submit(taskId, 2, b32(), b32());
      await c[2].submit(taskId, 2, b32(), b32());
      await rejects(c[0].advance(taskId, 2), "DeadlineNotPassed", "advance before the compute deadline");
      m = log.mark();
      await h.passDeadline((await c[0].getRound(taskId, 2))!.deadline);
      const dropped = await log.waitFor(m, (e) => e.type === "PhaseAdvanced" && e.taskId === taskId && e.round === 2);
      assert.ok(dropped.type === "PhaseAdvanced" && dropped.phase === Phase.Aggregate);
      assert.equal(dropped.active, 2, "the silent member is dropped");
      await rejects(c[3].submit(taskId, 2, b32(), b32()), "NotMember", "dropped member submits in Aggregate");
      await c[1].submit(taskId, 2, b32(), b32());

      m = log.mark();
      await c[0].finalizeRound(taskId, 2, b32());
      await log.waitFor(m, (e) => e.type === "TaskClosed" && e.taskId === taskId);
      const closed = await c[0].getTask(taskId);
      assert.equal(closed!.closed, true);
      assert.equal(closed!.currentRound, 2);
      await rejects(c[0].startRound(taskId), "NoRoundsLeft", "start a third round of a two-round task");
    });

    test("a converged task closes early with the requester's reason; nothing starts after it", async () => {
      let m = log.mark();
      const { taskId } = await c[0].createTask(spec({ rounds: 5, members: { min: 3, max: 3, threshold: 3 } }));
      await log.waitFor(m, (e) => e.type === "RoundStarted" && e.taskId === taskId);
      await rejects(c[0].closeTask(taskId, "converged"), "RoundNotFinished", "close while round 1 runs");
      for (const i of [1, 2, 3]) await c[i].joinRound(taskId, 1, b32());
      for (const i of [1, 2, 3]) await c[i].submit(taskId, 1, b32(), b32());
      await log.waitFor(m, (e) => e.type === "PhaseAdvanced" && e.taskId === taskId && e.phase === Phase.Aggregate);
      await c[0].finalizeRound(taskId, 1, b32());
      await rejects(c[1].closeTask(taskId, "converged"), "NotRequester", "a member closes the task");
      await rejects(c[0].closeTask(taskId, ""), "BadInput", "close without a reason");
      m = log.mark();
      await c[0].closeTask(taskId, "converged in round 1");
      const closed = await log.waitFor(m, (e) => e.type === "TaskClosed" && e.taskId === taskId);
      assert.deepEqual(bodies([closed])[0], { type: "TaskClosed", taskId, reason: "converged in round 1" });
      const t = await c[4].getTask(taskId);
      assert.equal(t!.closed, true);
      assert.equal(t!.currentRound, 1);
      await rejects(c[0].startRound(taskId), "TaskAlreadyClosed", "start a round of a closed task");
      await rejects(c[0].closeTask(taskId, "again"), "TaskAlreadyClosed", "close twice");
    });

    test("a node reports why it declined or failed: the event names the sender; members only for failures, once per round", async () => {
      let m = log.mark();
      const { taskId } = await c[0].createTask(spec({ rounds: 2, members: { min: 1, max: 3, threshold: 1 } }));
      await log.waitFor(m, (e) => e.type === "RoundStarted" && e.taskId === taskId);
      await c[1].joinRound(taskId, 1, b32());
      m = log.mark();
      await c[2].report(taskId, 1, "declined", "secagg needs setup: true");
      await c[1].report(taskId, 1, "failed", "compute: |value| must stay below 2^59 (étape ✓)");
      const declined = await log.waitFor(m, (e) => e.type === "MemberReported" && e.taskId === taskId && e.status === "declined");
      const failed = await log.waitFor(m, (e) => e.type === "MemberReported" && e.taskId === taskId && e.status === "failed");
      assert.deepEqual(bodies([declined, failed]), [
        { type: "MemberReported", taskId, round: 1, member: w[2].address, status: "declined", reason: "secagg needs setup: true" },
        { type: "MemberReported", taskId, round: 1, member: w[1].address, status: "failed", reason: "compute: |value| must stay below 2^59 (étape ✓)" },
      ]);
      await rejects(c[3].report(taskId, 1, "failed", "I did not join"), "NotMember", "a non-member reports a failure");
      await rejects(c[2].report(taskId, 1, "declined", "again"), "AlreadySubmitted", "a second report in the round");
      await rejects(c[0].report(taskId, 1, "declined", "requester"), "MissingRole", "the requester (no Owner or Worker role) reports");
      await rejects(c[6].report(taskId, 1, "declined", "who am I"), "NotRegistered", "an unregistered key reports");
      await rejects(c[3].report(taskId, 1, "declined", "x".repeat(201)), "BadInput", "a reason over 200 bytes");
      await rejects(c[3].report(taskId, 1, "declined", ""), "BadInput", "an empty reason");
      await rejects(c[3].report(taskId, 2, "declined", "later"), "UnknownRound", "a round that has not started");
      await rejects(c[3].report(taskId + 1000, 1, "declined", "what task"), "UnknownTask", "a task that does not exist");
    });

    test("a round fails below threshold, with too few members, and on aggregate timeout", async () => {
      // Setup phase, threshold 2: one member stays silent in Setup, so the round cannot go on.
      let m = log.mark();
      const { taskId } = await c[0].createTask(spec({ setup: true }));
      await c[1].joinRound(taskId, 1, b32());
      await c[2].joinRound(taskId, 1, b32());
      await h.passDeadline((await c[0].getRound(taskId, 1))!.deadline);
      const setup = await log.waitFor(m, (e) => e.type === "PhaseAdvanced" && e.taskId === taskId);
      assert.ok(setup.type === "PhaseAdvanced" && setup.phase === Phase.Setup && setup.active === 2);
      await c[1].submit(taskId, 1, b32(), b32());
      await h.passDeadline((await c[0].getRound(taskId, 1))!.deadline);
      const failed = await log.waitFor(m, (e) => e.type === "RoundFailed" && e.taskId === taskId);
      assert.deepEqual(bodies([failed])[0], { type: "RoundFailed", taskId, round: 1, phase: Phase.Setup, reason: FailReason.BelowThreshold });
      const r = await c[0].getRound(taskId, 1);
      assert.equal(r!.phase, Phase.Failed);
      await rejects(c[0].advance(taskId, 1), "WrongPhase", "advance a failed round");

      // Only one member joins a round that needs two.
      m = log.mark();
      const t2 = (await c[0].createTask(spec())).taskId;
      await c[1].joinRound(t2, 1, b32());
      await h.passDeadline((await c[0].getRound(t2, 1))!.deadline);
      const few = await log.waitFor(m, (e) => e.type === "RoundFailed" && e.taskId === t2);
      assert.deepEqual(bodies([few])[0], { type: "RoundFailed", taskId: t2, round: 1, phase: Phase.Join, reason: FailReason.TooFewJoined });
      await rejects(c[1].submit(t2, 1, b32(), b32()), "WrongPhase", "submit in a failed round");

      // The requester never finalizes.
      m = log.mark();
      const t3 = (await c[0].createTask(spec({ members: { min: 1, max: 1, threshold: 1 } }))).taskId;
      await c[4].joinRound(t3, 1, b32());
      await c[4].submit(t3, 1, b32(), b32());
      await log.waitFor(m, (e) => e.type === "PhaseAdvanced" && e.taskId === t3 && e.phase === Phase.Aggregate);
      await h.passDeadline((await c[0].getRound(t3, 1))!.deadline);
      const timeout = await log.waitFor(m, (e) => e.type === "RoundFailed" && e.taskId === t3);
      assert.deepEqual(bodies([timeout])[0], { type: "RoundFailed", taskId: t3, round: 1, phase: Phase.Aggregate, reason: FailReason.AggregateTimeout });
      await rejects(c[0].finalizeRound(t3, 1, b32()), "WrongPhase", "finalize a failed round");
    });

    test("events replay identically after a restart, and a live stream resumes without loss", async () => {
      const before = log.seen.slice();
      assert.ok(before.length > 20);
      const cursors = before.map((e) => e.cursor);
      assert.deepEqual([...cursors].sort(), cursors, "cursors are totally ordered as strings");
      assert.equal(new Set(cursors).size, cursors.length);

      await h.restart();
      // The long-lived log stream reconnects by itself from its last cursor.
      const m = log.mark();
      await c[5].registerNode(node(Role.Worker));
      const after = await log.waitFor(m, (e) => e.type === "NodeRegistered" && e.node === w[5].address);
      assert.ok(after.cursor > before.at(-1)!.cursor);
      assert.deepEqual(log.seen.slice(0, before.length), before, "nothing lost or repeated across the restart");

      // A fresh reader from the start and from a middle cursor sees exactly the same events.
      const all: ChainEvent[] = [];
      const ac = new AbortController();
      for await (const ev of h.client(w[4]).events(undefined, ac.signal)) {
        all.push(ev);
        if (ev.cursor === after.cursor) break;
      }
      assert.deepEqual(all, log.seen.slice(0, all.length));
      assert.equal(all.at(-1)!.cursor, after.cursor);
      const mid = Math.floor(before.length / 2);
      const tail: ChainEvent[] = [];
      for await (const ev of h.client(w[4]).events(before[mid].cursor)) {
        tail.push(ev);
        if (ev.cursor === after.cursor) break;
      }
      assert.deepEqual(tail, all.slice(mid + 1));
      await rejects(
        (async () => {
          for await (const _ of h.client(w[4]).events("not-a-cursor")) break;
        })(),
        "BadInput",
        "a malformed cursor",
      );
    });

    test("a spec that names its workers: only they join; another Worker is refused with NotAllowed", async () => {
      const named = spec({
        kind: "skmeans",
        params: { workers: [w[4].address], setup: [b32()], k: 2 },
        members: { min: 1, max: 1, threshold: 1 },
        nonce: `named-${h.name}`,
      });
      const { taskId } = await c[0].createTask(named);
      await rejects(c[7].joinRound(taskId, 1, b32()), "NotAllowed", "a Worker the spec does not name");
      await c[4].joinRound(taskId, 1, b32());
      assert.deepEqual((await c[0].getRound(taskId, 1))!.members, [w[4].address]);
      assert.equal((await c[0].getRound(taskId, 1))!.phase, Phase.Compute, "the named worker filled the round");
      // A spec without a member list stays open to any Worker.
      const m = log.mark();
      const open = await c[0].createTask(spec({ members: { min: 1, max: 1, threshold: 1 }, nonce: `open-${h.name}` }));
      await c[7].joinRound(open.taskId, 1, b32());
      // Its events are part of this mode's stream, which the last test compares across modes.
      await log.waitFor(m, (e) => e.type === "PhaseAdvanced" && e.taskId === open.taskId);
    });

    test("unsigned, wrongly signed, replayed and stale requests are refused", async () => {
      const url = h.url();
      const path = "/nodes";
      const call = (headers: Record<string, string>) => fetch(url + path, { headers });
      const expect401 = async (res: Response, pattern: RegExp) => {
        assert.equal(res.status, 401);
        const body = (await res.json()) as { code: string; message: string };
        assert.equal(body.code, "Unauthorized");
        assert.match(body.message, pattern);
      };

      await expect401(await call({}), /missing header x-cm-address/);
      await expect401(await fetch(url + "/events"), /missing header/);

      const signed = { ...(await signRequest(w[0], "GET", path, new Uint8Array())) };
      const other = Wallet.createRandom();
      const forged = {
        ...signed,
        [SIGNATURE_HEADERS.signature]: await other.signMessage(signingText("GET", path, new Uint8Array(), signed[SIGNATURE_HEADERS.timestamp], signed[SIGNATURE_HEADERS.nonce])),
      };
      await expect401(await call(forged), /was not made by/);
      const elsewhere = { ...(await signRequest(w[0], "GET", "/tasks/1", new Uint8Array())) };
      await expect401(await call(elsewhere), /was not made by/);

      const ok = await call(signed);
      assert.equal(ok.status, 200);
      await expect401(await call(signed), /replayed/);

      const ts = String(Date.now() - 10 * 60_000);
      const nonce = crypto.randomUUID();
      const stale = {
        [SIGNATURE_HEADERS.address]: w[0].address,
        [SIGNATURE_HEADERS.timestamp]: ts,
        [SIGNATURE_HEADERS.nonce]: nonce,
        [SIGNATURE_HEADERS.signature]: await w[0].signMessage(signingText("GET", path, new Uint8Array(), ts, nonce)),
      };
      await expect401(await call(stale), /outside/);

      // Coordinator: a signed but unregistered caller may only register. Ethereum: the server acts only for keys it holds.
      const stranger = h.client(Wallet.createRandom() as unknown as Wallet);
      if (h.name === "ethereum") await rejects(stranger.getNode(w[0].address), "Unauthorized", "a caller the server holds no key for");
      else await rejects(stranger.getNode(w[0].address), "NotRegistered", "an unregistered caller reads a node");
    });
  });
}

if (modes.length > 1)
  test("every mode emitted the same stream of event types for the same scenarios", () => {
    const [first, ...rest] = [...streams.entries()];
    assert.ok(first && rest.length === modes.length - 1, "every mode ran to the end");
    for (const [name, types] of rest) assert.deepEqual(types, first[1], `${name} differs from ${first[0]}`);
  });
