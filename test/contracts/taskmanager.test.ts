import { describe, test, before, after, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import { AbiCoder, ZeroAddress, id, keccak256 } from "ethers";
import { startChain, mined, reverts, eventNamed, events, type Chain } from "./fixture.js";
import { verifyProofSelector } from "../../chain-connector/src/ethereum/deploy.js";
import { Phase } from "../../protocol/src/phases.js";
import { roundBinding, outputsCommitment, SNARK_FIELD } from "../../protocol/src/binding.js";

const KIND = id("stats");
const OTHER_KIND = id("kmeans");
const SPEC = id("spec");
const REQ = 1; // requester account
const M = [2, 3, 4, 5, 6]; // owner+worker accounts
const WORKER_ONLY = 7;
const REQ_ONLY = 8;
const OWNER_ONLY = 9;
const STRANGER = 10;

interface TaskOpts {
  rounds?: number;
  min?: number;
  max?: number;
  threshold?: number;
  deadlines?: [number, number, number, number];
  setup?: boolean;
  verification?: number;
  kind?: string;
  from?: number;
}

describe("TaskManager", () => {
  let c: Chain;
  let restore: () => Promise<void>;

  before(async () => {
    c = await startChain();
    await mined(c.nr(REQ).register("http://req", id("k"), 4, 1));
    for (const i of M) await mined(c.nr(i).register(`http://m${i}`, id(`k${i}`), 3, 1));
    await mined(c.nr(WORKER_ONLY).register("http://w", id("kw"), 2, 1));
    await mined(c.nr(REQ_ONLY).register("http://r2", id("kr"), 4, 1));
    await mined(c.nr(OWNER_ONLY).register("http://o", id("ko"), 1, 1));
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

  const addr = (i: number) => c.wallets[i].address;

  async function createTask(o: TaskOpts = {}) {
    const r = await mined(
      c
        .tm(o.from ?? REQ)
        .createTask(
          SPEC,
          o.kind ?? KIND,
          o.rounds ?? 1,
          o.min ?? 2,
          o.max ?? 3,
          o.threshold ?? 2,
          o.deadlines ?? [100, 100, 100, 100],
          o.setup ?? false,
          o.verification ?? 0,
        ),
    );
    return { taskId: Number(eventNamed(c.tm(0).interface, r.logs, "TaskCreated").args.taskId), receipt: r };
  }

  async function join(taskId: number, round: number, members: number[]) {
    for (const i of members) await mined(c.tm(i).joinRound(taskId, round, id(`mk${i}`)));
  }

  async function submitAll(taskId: number, round: number, members: number[], tag = "x") {
    for (const i of members) await mined(c.tm(i).submit(taskId, round, id(`${tag}b${i}`), id(`${tag}c${i}`), "0x"));
  }

  async function round(taskId: number, r = 1) {
    return c.tm(0).getRound(taskId, r);
  }

  // ------------------------------------------------------------------ verifiers

  test("setVerifier: owner only, deployed contract, recognised selector; unset with zero", async () => {
    const code = c.addresses.nodeRegistry; // any deployed contract passes the code check
    await reverts(c.tm(1).setVerifier(KIND, code, verifyProofSelector(4)), "Unauthorized", [addr(1)]);
    await reverts(c.tm(0).setVerifier(KIND, addr(5), verifyProofSelector(4)), "BadInput");
    await reverts(c.tm(0).setVerifier(KIND, code, "0x12345678"), "BadInput");
    const r = await mined(c.tm(0).setVerifier(KIND, code, verifyProofSelector(17)));
    const e = eventNamed(c.tm(0).interface, r.logs, "VerifierSet");
    assert.deepEqual([e.args.kind, e.args.verifier], [KIND, code]);
    const v = await c.tm(0).verifiers(KIND);
    assert.deepEqual([v.verifier, v.selector, v.publicSignals], [code, verifyProofSelector(17), 17n]);
    assert.equal((await c.tm(0).verifiers(OTHER_KIND)).verifier, ZeroAddress);
    const u = await mined(c.tm(0).setVerifier(KIND, ZeroAddress, "0x00000000"));
    assert.equal(eventNamed(c.tm(0).interface, u.logs, "VerifierSet").args.verifier, ZeroAddress);
    assert.equal((await c.tm(0).verifiers(KIND)).verifier, ZeroAddress);
  });

  // ------------------------------------------------------------------ createTask

  test("createTask emits TaskCreated and starts round 1 with the join deadline", async () => {
    const { taskId, receipt } = await createTask({ rounds: 3, deadlines: [40, 50, 60, 70] });
    assert.equal(taskId, 1);
    const now = (await c.provider.getBlock(receipt.blockNumber))!.timestamp;
    const tc = eventNamed(c.tm(0).interface, receipt.logs, "TaskCreated");
    assert.deepEqual([tc.args.taskId, tc.args.requester, tc.args.kind, tc.args.specHash, tc.args.rounds], [1n, addr(REQ), KIND, SPEC, 3n]);
    const rs = eventNamed(c.tm(0).interface, receipt.logs, "RoundStarted");
    assert.deepEqual([rs.args.taskId, rs.args.round, rs.args.deadline], [1n, 1n, BigInt(now + 40)]);
    assert.deepEqual(
      events(c.tm(0).interface, receipt.logs).map((e) => e.name),
      ["TaskCreated", "RoundStarted"],
    );
    const t = await c.tm(0).getTask(taskId);
    assert.equal(t.requester, addr(REQ));
    assert.equal(t.currentRound, 1n);
    assert.equal(t.rounds, 3n);
    assert.equal(t.closed, false);
    assert.deepEqual([t.joinSeconds, t.setupSeconds, t.computeSeconds, t.aggregateSeconds], [40n, 50n, 60n, 70n]);
    const r = await round(taskId);
    assert.equal(Number(r.phase), Phase.Join);
    assert.equal(r.deadline, BigInt(now + 40));
    assert.equal((await createTask()).taskId, 2);
    assert.equal(await c.tm(0).taskCount(), 2n);
  });

  test("createTask checks role and input", async () => {
    await reverts(createTask({ from: STRANGER }), "NotRegistered", [addr(STRANGER)]);
    await reverts(createTask({ from: OWNER_ONLY }), "MissingRole", [addr(OWNER_ONLY), 4]);
    await reverts(createTask({ rounds: 0 }), "BadInput");
    await reverts(createTask({ threshold: 0, min: 1 }), "BadInput");
    await reverts(createTask({ threshold: 3, min: 2 }), "BadInput");
    await reverts(createTask({ min: 4, max: 3 }), "BadInput");
    await reverts(createTask({ deadlines: [1, 1, 0, 1] }), "BadInput");
    await reverts(createTask({ verification: 3 }), "BadInput");
    await reverts(c.tm(0).getTask(1), "UnknownTask", [1]);
  });

  test("OnChain tasks need the verifier the owner bound to their own kind", async () => {
    await reverts(createTask({ verification: 2 }), "NoVerifier", [KIND]);
    await mined(c.tm(0).setVerifier(OTHER_KIND, c.addresses.dataRegistry, verifyProofSelector(5)));
    await reverts(createTask({ verification: 2 }), "NoVerifier", [KIND]);
    assert.equal((await createTask({ verification: 2, kind: OTHER_KIND })).taskId, 1);
    // off-chain verification needs no on-chain verifier
    assert.equal((await createTask({ verification: 1 })).taskId, 2);
  });

  // ------------------------------------------------------------------ join

  test("joinRound: checks, events, lastActive and immediate advance at max", async () => {
    const { taskId } = await createTask({ min: 2, max: 3, threshold: 1 });
    await reverts(c.tm(M[0]).joinRound(99, 1, id("k")), "UnknownTask", [99]);
    await reverts(c.tm(M[0]).joinRound(taskId, 2, id("k")), "UnknownRound", [taskId, 2]);
    await reverts(c.tm(M[0]).joinRound(taskId, 0, id("k")), "UnknownRound", [taskId, 0]);
    await reverts(c.tm(STRANGER).joinRound(taskId, 1, id("k")), "NotRegistered");
    await reverts(c.tm(REQ_ONLY).joinRound(taskId, 1, id("k")), "MissingRole", [addr(REQ_ONLY), 3]);
    const r1 = await mined(c.tm(M[0]).joinRound(taskId, 1, id("mk")));
    const mj = eventNamed(c.tm(0).interface, r1.logs, "MemberJoined");
    assert.deepEqual([mj.args.taskId, mj.args.round, mj.args.member, mj.args.memberKey], [1n, 1n, addr(M[0]), id("mk")]);
    const t1 = (await c.provider.getBlock(r1.blockNumber))!.timestamp;
    assert.equal(await c.tm(0).lastActive(addr(M[0])), BigInt(t1));
    await reverts(c.tm(M[0]).joinRound(taskId, 1, id("mk")), "AlreadyJoined", [addr(M[0])]);
    await mined(c.tm(WORKER_ONLY).joinRound(taskId, 1, id("w")));
    assert.equal(Number((await round(taskId)).phase), Phase.Join);
    const r3 = await mined(c.tm(OWNER_ONLY).joinRound(taskId, 1, id("o")));
    const t3 = (await c.provider.getBlock(r3.blockNumber))!.timestamp;
    const pa = eventNamed(c.tm(0).interface, r3.logs, "PhaseAdvanced");
    assert.deepEqual(
      [pa.args.taskId, pa.args.round, pa.args.phase, pa.args.deadline, pa.args.active],
      [1n, 1n, BigInt(Phase.Compute), BigInt(t3 + 100), 3n],
    );
    const r = await round(taskId);
    assert.deepEqual([Number(r.phase), r.joined, r.active, r.submitted], [Phase.Compute, 3n, 3n, 0n]);
    // The round is full: Join is over, so a fourth member meets WrongPhase.
    await reverts(c.tm(M[1]).joinRound(taskId, 1, id("late")), "WrongPhase", [Phase.Compute]);
    // Members are recorded in MemberJoined events only, in join order.
    const joinedEvents = await c.tm(0).queryFilter(c.tm(0).filters.MemberJoined(taskId));
    assert.deepEqual(joinedEvents.filter((e) => e.args.round === 1n).map((e) => e.args.member), [addr(M[0]), addr(WORKER_ONLY), addr(OWNER_ONLY)]);
    assert.equal(await c.tm(0).isMember(taskId, 1, addr(M[0])), true);
    assert.equal(await c.tm(0).isMember(taskId, 1, addr(M[1])), false);
    assert.equal(await c.tm(0).lastPhaseOf(taskId, 1, addr(M[0])), BigInt(Phase.Join));
  });

  test("joinRound after the deadline reverts DeadlinePassed; advance then leaves Join", async () => {
    const { taskId } = await createTask({ min: 2, max: 5, setup: true, deadlines: [30, 40, 50, 60] });
    await join(taskId, 1, [M[0], M[1]]);
    await reverts(c.tm(M[2]).advance(taskId, 1), "DeadlineNotPassed");
    await c.node.increaseTime(31);
    await reverts(c.tm(M[2]).joinRound(taskId, 1, id("k")), "DeadlinePassed");
    const r = await mined(c.tm(STRANGER).advance(taskId, 1)); // anyone may advance
    const now = (await c.provider.getBlock(r.blockNumber))!.timestamp;
    const pa = eventNamed(c.tm(0).interface, r.logs, "PhaseAdvanced");
    assert.deepEqual([pa.args.phase, pa.args.deadline, pa.args.active], [BigInt(Phase.Setup), BigInt(now + 40), 2n]);
  });

  test("too few joined: the round fails with too-few-joined", async () => {
    const { taskId } = await createTask({ min: 3, max: 5 });
    await join(taskId, 1, [M[0], M[1]]);
    await c.node.increaseTime(101);
    const r = await mined(c.tm(0).advance(taskId, 1));
    const f = eventNamed(c.tm(0).interface, r.logs, "RoundFailed");
    assert.deepEqual([f.args.taskId, f.args.round, f.args.phase, f.args.reason], [1n, 1n, BigInt(Phase.Join), "too-few-joined"]);
    assert.equal(Number((await round(taskId)).phase), Phase.Failed);
    await reverts(c.tm(0).advance(taskId, 1), "WrongPhase", [Phase.Failed]);
  });

  // ------------------------------------------------------------------ submit

  test("a full round: setup, compute (auto-advance), aggregate (no auto-advance), finalize, close", async () => {
    const { taskId } = await createTask({ min: 3, max: 3, threshold: 2, setup: true });
    await reverts(c.tm(M[0]).submit(taskId, 1, id("b"), id("c"), "0x"), "WrongPhase", [Phase.Join]);
    await join(taskId, 1, M.slice(0, 3));
    assert.equal(Number((await round(taskId)).phase), Phase.Setup);
    await reverts(c.tm(M[3]).submit(taskId, 1, id("b"), id("c"), "0x"), "NotMember", [addr(M[3])]);
    const s1 = await mined(c.tm(M[0]).submit(taskId, 1, id("b0"), id("c0"), "0x"));
    const cs = eventNamed(c.tm(0).interface, s1.logs, "ContributionSubmitted");
    assert.deepEqual(
      [cs.args.taskId, cs.args.round, cs.args.phase, cs.args.member, cs.args.blobHash, cs.args.commitment],
      [1n, 1n, BigInt(Phase.Setup), addr(M[0]), id("b0"), id("c0")],
    );
    assert.equal(await c.tm(0).lastActive(addr(M[0])), BigInt((await c.provider.getBlock(s1.blockNumber))!.timestamp));
    await reverts(c.tm(M[0]).submit(taskId, 1, id("b"), id("c"), "0x"), "AlreadySubmitted", [addr(M[0])]);
    assert.equal((await round(taskId)).submitted, 1n);
    await submitAll(taskId, 1, M.slice(1, 3), "s");
    let r = await round(taskId);
    assert.deepEqual([Number(r.phase), r.active, r.submitted], [Phase.Compute, 3n, 0n]);
    await submitAll(taskId, 1, M.slice(0, 3), "c");
    r = await round(taskId);
    assert.deepEqual([Number(r.phase), r.active], [Phase.Aggregate, 3n]);
    // Contributions are recorded in ContributionSubmitted events only.
    const computed = (await c.tm(0).queryFilter(c.tm(0).filters.ContributionSubmitted(taskId))).filter((e) => e.args.round === 1n && Number(e.args.phase) === Phase.Compute);
    const mine = computed.find((e) => e.args.member === addr(M[1]))!;
    assert.deepEqual([mine.args.blobHash, mine.args.commitment], [id(`cb${M[1]}`), id(`cc${M[1]}`)]);
    assert.equal(computed.some((e) => e.args.member === addr(M[4])), false);
    await submitAll(taskId, 1, M.slice(0, 3), "a");
    r = await round(taskId);
    assert.deepEqual([Number(r.phase), r.submitted], [Phase.Aggregate, 3n]);
    await reverts(c.tm(M[0]).finalizeRound(taskId, 1, id("result")), "NotRequester", [addr(REQ)]);
    const f = await mined(c.tm(REQ).finalizeRound(taskId, 1, id("result")));
    const names = events(c.tm(0).interface, f.logs).map((e) => e.name);
    assert.deepEqual(names, ["RoundFinalized", "TaskClosed"]);
    const rf = eventNamed(c.tm(0).interface, f.logs, "RoundFinalized");
    assert.deepEqual([rf.args.taskId, rf.args.round, rf.args.resultHash], [1n, 1n, id("result")]);
    r = await round(taskId);
    assert.deepEqual([Number(r.phase), r.resultHash], [Phase.Finalized, id("result")]);
    assert.equal((await c.tm(0).getTask(taskId)).closed, true);
    await reverts(c.tm(REQ).finalizeRound(taskId, 1, id("again")), "WrongPhase", [Phase.Finalized]);
    await reverts(c.tm(M[0]).submit(taskId, 1, id("b"), id("c"), "0x"), "WrongPhase", [Phase.Finalized]);
    await reverts(c.tm(REQ).startRound(taskId), "NoRoundsLeft", [1]);
  });

  test("silent members are dropped at the deadline and cannot submit later", async () => {
    const { taskId } = await createTask({ min: 3, max: 4, threshold: 2, setup: true });
    await join(taskId, 1, M.slice(0, 4));
    await submitAll(taskId, 1, M.slice(0, 3), "s"); // M[3] is silent in Setup
    assert.equal(Number((await round(taskId)).phase), Phase.Setup);
    await reverts(c.tm(0).advance(taskId, 1), "DeadlineNotPassed");
    await c.node.increaseTime(101);
    await reverts(c.tm(M[3]).submit(taskId, 1, id("b"), id("c"), "0x"), "DeadlinePassed");
    const a = await mined(c.tm(0).advance(taskId, 1));
    const pa = eventNamed(c.tm(0).interface, a.logs, "PhaseAdvanced");
    assert.deepEqual([pa.args.phase, pa.args.active], [BigInt(Phase.Compute), 3n]);
    await reverts(c.tm(M[3]).submit(taskId, 1, id("b"), id("c"), "0x"), "NotMember", [addr(M[3])]);
    // the three survivors complete Compute, which advances at once because all active submitted
    await submitAll(taskId, 1, M.slice(0, 3), "c");
    const r = await round(taskId);
    assert.deepEqual([Number(r.phase), r.active], [Phase.Aggregate, 3n]);
    await reverts(c.tm(M[3]).submit(taskId, 1, id("b"), id("c"), "0x"), "NotMember");
  });

  test("below threshold: the round fails when too few survive a phase", async () => {
    const { taskId } = await createTask({ min: 3, max: 3, threshold: 2 });
    await join(taskId, 1, M.slice(0, 3));
    await submitAll(taskId, 1, M.slice(0, 1), "c");
    await c.node.increaseTime(101);
    const a = await mined(c.tm(0).advance(taskId, 1));
    const f = eventNamed(c.tm(0).interface, a.logs, "RoundFailed");
    assert.deepEqual([f.args.phase, f.args.reason], [BigInt(Phase.Compute), "below-threshold"]);
    const r = await round(taskId);
    assert.deepEqual([Number(r.phase), r.active], [Phase.Failed, 1n]);
  });

  test("aggregate: finalize after the deadline fails; advance fails the round with aggregate-timeout", async () => {
    const { taskId } = await createTask({ min: 2, max: 2, threshold: 2, rounds: 2 });
    await join(taskId, 1, M.slice(0, 2));
    await submitAll(taskId, 1, M.slice(0, 2), "c");
    await reverts(c.tm(REQ).startRound(taskId), "RoundNotFinished", [1]);
    await reverts(c.tm(0).advance(taskId, 1), "DeadlineNotPassed");
    await c.node.increaseTime(101);
    await reverts(c.tm(REQ).finalizeRound(taskId, 1, id("r")), "DeadlinePassed");
    const a = await mined(c.tm(0).advance(taskId, 1));
    const f = eventNamed(c.tm(0).interface, a.logs, "RoundFailed");
    assert.deepEqual([f.args.phase, f.args.reason], [BigInt(Phase.Aggregate), "aggregate-timeout"]);
    // a failed round may be followed by the next one
    await reverts(c.tm(M[0]).startRound(taskId), "NotRequester", [addr(REQ)]);
    const s = await mined(c.tm(REQ).startRound(taskId));
    const rs = eventNamed(c.tm(0).interface, s.logs, "RoundStarted");
    assert.deepEqual([rs.args.taskId, rs.args.round], [1n, 2n]);
    assert.equal((await c.tm(0).getTask(taskId)).currentRound, 2n);
    await reverts(c.tm(REQ).startRound(taskId), "RoundNotFinished", [2]);
    await join(taskId, 2, M.slice(1, 3));
    await submitAll(taskId, 2, M.slice(1, 3), "c2");
    await mined(c.tm(REQ).finalizeRound(taskId, 2, id("r2")));
    assert.equal((await c.tm(0).getTask(taskId)).closed, true);
    await reverts(c.tm(REQ).startRound(taskId), "NoRoundsLeft", [2]);
    await reverts(c.tm(REQ).startRound(77), "UnknownTask", [77]);
  });

  test("startRound after a finalized round; RoundFull is unreachable past max because Join ends", async () => {
    const { taskId } = await createTask({ min: 1, max: 1, threshold: 1, rounds: 3 });
    await join(taskId, 1, [M[0]]);
    await submitAll(taskId, 1, [M[0]], "c");
    await mined(c.tm(REQ).finalizeRound(taskId, 1, id("r1")));
    assert.equal((await c.tm(0).getTask(taskId)).closed, false);
    await mined(c.tm(REQ).startRound(taskId));
    assert.equal(Number((await round(taskId, 2)).phase), Phase.Join);
    // membership is per round
    assert.equal(await c.tm(0).isMember(taskId, 2, addr(M[0])), false);
  });

  test("SNARK_FIELD is the BN254 scalar field order", async () => {
    assert.equal(await c.tm(0).SNARK_FIELD(), SNARK_FIELD);
  });

  test("gas: joinRound and a proof-less submit stay within 120k", async () => {
    const { taskId } = await createTask({ min: 2, max: 3, threshold: 2 });
    const j = await mined(c.tm(M[0]).joinRound(taskId, 1, id("k")));
    await mined(c.tm(M[1]).joinRound(taskId, 1, id("k")));
    await c.node.increaseTime(101);
    await mined(c.tm(0).advance(taskId, 1));
    const s = await mined(c.tm(M[0]).submit(taskId, 1, id("b"), id("c"), "0x"));
    assert.ok(j.gasUsed <= 120_000n, `joinRound used ${j.gasUsed}`);
    assert.ok(s.gasUsed <= 120_000n, `submit used ${s.gasUsed}`);
  });

  // ------------------------------------------------------------------ on-chain proof checks before the verifier

  describe("OnChain verification", () => {
    const N = 5; // 3 outputs + binding + root
    async function proven() {
      // DataRegistry has code but no verifyProof: every check before the verifier call is real,
      // and the verifier call itself fails, which must surface as InvalidProof.
      await mined(c.tm(0).setVerifier(KIND, c.addresses.dataRegistry, verifyProofSelector(N)));
      await mined(c.dr(M[0]).commit(id("ds"), id("root"), 10, 3, id("schema")));
      const { taskId } = await createTask({ min: 1, max: 1, threshold: 1, verification: 2 });
      await join(taskId, 1, [M[0]]);
      return taskId;
    }
    function proofBytes(pub: bigint[]): string {
      const abc = Array.from({ length: 8 }, (_, i) => BigInt(i + 1));
      return AbiCoder.defaultAbiCoder().encode(Array(8 + pub.length).fill("uint256"), [...abc, ...pub]);
    }
    async function signals(taskId: number, blob: string, outputs: bigint[]) {
      const commitment = outputsCommitment(outputs);
      const binding = roundBinding({
        taskManager: c.addresses.taskManager,
        chainId: (await c.provider.getNetwork()).chainId,
        taskId,
        round: 1,
        member: addr(M[0]),
        commitment,
      });
      return { commitment, binding };
    }

    test("length, binding, commitment and root are checked, then the verifier", async () => {
      const taskId = await proven();
      const blob = id("blob");
      const outputs = [1n, 2n, 3n];
      const { commitment, binding } = await signals(taskId, blob, outputs);
      const root = BigInt(id("root"));
      const sub = (proof: string, comm = commitment) => c.tm(M[0]).submit(taskId, 1, blob, comm, proof);
      await reverts(sub("0x"), "InvalidProof");
      await reverts(sub(proofBytes([...outputs, binding, root, 0n])), "InvalidProof");
      await reverts(sub(proofBytes([...outputs, (binding + 1n) % SNARK_FIELD, root])), "BadBinding", ["binding"]);
      // a commitment that is not keccak of the outputs (binding computed for that commitment)
      const other = keccak256(id("other"));
      const b2 = (await signals(taskId, blob, outputs)).binding;
      assert.notEqual(b2, 0n);
      const wrongComm = roundBinding({
        taskManager: c.addresses.taskManager,
        chainId: (await c.provider.getNetwork()).chainId,
        taskId,
        round: 1,
        member: addr(M[0]),
        commitment: other,
      });
      await reverts(sub(proofBytes([...outputs, binding, BigInt(id("unknown root"))])), "BadBinding", ["root"]);
      await reverts(sub(proofBytes([...outputs, wrongComm, root]), other), "BadBinding", ["commitment"]);
      // every binding check passes; the (non-)verifier refuses
      await reverts(sub(proofBytes([...outputs, binding, root])), "InvalidProof");
      // another member cannot reuse this member's proof: the binding names the sender
      assert.equal(Number((await round(taskId)).phase), Phase.Compute);
    });

    test("a verifier removed after task creation makes Compute submissions revert NoVerifier", async () => {
      const taskId = await proven();
      await mined(c.tm(0).setVerifier(KIND, ZeroAddress, "0x00000000"));
      await reverts(c.tm(M[0]).submit(taskId, 1, id("b"), id("c"), "0x"), "NoVerifier", [KIND]);
    });
  });
});
