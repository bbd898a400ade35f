import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { FailReason } from "../../protocol/src/events.js";
import { Phase } from "../../protocol/src/phases.js";
import { ConnectorError } from "../../chain-connector/src/connector.js";
import * as m from "../../chain-connector/src/coordinator/machine.js";

const REQ = "0x00000000000000000000000000000000000000aa";
const A = "0x00000000000000000000000000000000000000a1";

const task = (over: Partial<m.TaskState> = {}): m.TaskState => ({
  taskId: 7,
  requester: REQ,
  rounds: 2,
  currentRound: 1,
  closed: false,
  minMembers: 2,
  maxMembers: 4,
  threshold: 2,
  deadlines: { join: 10, setup: 20, compute: 30, aggregate: 40 },
  setup: false,
  ...over,
});

const round = (over: Partial<m.RoundState> = {}): m.RoundState => ({ taskId: 7, round: 1, phase: Phase.Join, deadline: 1000, joined: 0, active: 0, ...over });

function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof ConnectorError && e.code === code);
}

describe("coordinator state machine (pure rules)", () => {
  test("a full round leaves Join at once, into Setup or Compute with the phase's deadline", () => {
    assert.equal(m.afterJoin(task(), round({ joined: 3 }), 500), undefined);
    assert.deepEqual(m.afterJoin(task(), round({ joined: 4 }), 500), { to: "phase", phase: Phase.Compute, deadline: 530, active: 4, dropSilent: false });
    assert.deepEqual(m.afterJoin(task({ setup: true }), round({ joined: 4 }), 500), { to: "phase", phase: Phase.Setup, deadline: 520, active: 4, dropSilent: false });
  });

  test("join: only in Join, up to its deadline, once per member, up to max members", () => {
    m.joinOpen(round(), 1000);
    throwsCode(() => m.joinOpen(round(), 1001), "DeadlinePassed");
    throwsCode(() => m.joinOpen(round({ phase: Phase.Compute }), 10), "WrongPhase");
    m.seat(task(), round({ joined: 3 }), A, false);
    throwsCode(() => m.seat(task(), round({ joined: 1 }), A, true), "AlreadyJoined");
    throwsCode(() => m.seat(task(), round({ joined: 4 }), A, false), "RoundFull");
  });

  test("the Join deadline: too few members fail the round, enough move on with all who joined", () => {
    throwsCode(() => m.onDeadline(task(), round({ joined: 1 }), 0, 1000), "DeadlineNotPassed");
    assert.deepEqual(m.onDeadline(task(), round({ joined: 1 }), 0, 1001), { to: "failed", reason: FailReason.TooFewJoined, dropSilent: false });
    assert.deepEqual(m.onDeadline(task(), round({ joined: 2 }), 0, 1001), { to: "phase", phase: Phase.Compute, deadline: 1031, active: 2, dropSilent: false });
  });

  test("Setup and Compute deadlines drop the silent; below the threshold the round fails", () => {
    const setup = round({ phase: Phase.Setup, joined: 4, active: 4 });
    assert.deepEqual(m.onDeadline(task(), setup, 3, 1001), { to: "phase", phase: Phase.Compute, deadline: 1031, active: 3, dropSilent: true });
    const compute = round({ phase: Phase.Compute, joined: 4, active: 3 });
    assert.deepEqual(m.onDeadline(task(), compute, 2, 1001), { to: "phase", phase: Phase.Aggregate, deadline: 1041, active: 2, dropSilent: true });
    assert.deepEqual(m.onDeadline(task(), compute, 1, 1001), { to: "failed", reason: FailReason.BelowThreshold, dropSilent: true, active: 1 });
  });

  test("the Aggregate deadline fails the round; a finished round has no deadline", () => {
    assert.deepEqual(m.onDeadline(task(), round({ phase: Phase.Aggregate, active: 2 }), 2, 1001), { to: "failed", reason: FailReason.AggregateTimeout, dropSilent: false });
    for (const phase of [Phase.Finalized, Phase.Failed]) {
      throwsCode(() => m.onDeadline(task(), round({ phase }), 0, 1001), "WrongPhase");
      assert.equal(m.isOpen(phase), false);
    }
    assert.equal(m.timerAt(round()), 1001);
  });

  test("a submission phase ends early once every active member submitted, never Aggregate", () => {
    const compute = round({ phase: Phase.Compute, active: 3 });
    assert.equal(m.afterSubmit(task(), compute, 2, 10), undefined);
    assert.deepEqual(m.afterSubmit(task(), compute, 3, 10), { to: "phase", phase: Phase.Aggregate, deadline: 50, active: 3, dropSilent: true });
    assert.equal(m.afterSubmit(task(), round({ phase: Phase.Aggregate, active: 3 }), 3, 10), undefined);
  });

  test("submit: a submission phase before its deadline, by an active member, once", () => {
    const r = round({ phase: Phase.Compute });
    m.submission(r, A, { active: true }, false, 1000);
    throwsCode(() => m.submission(round(), A, { active: true }, false, 10), "WrongPhase");
    throwsCode(() => m.submission(r, A, { active: true }, false, 1001), "DeadlinePassed");
    throwsCode(() => m.submission(r, A, undefined, false, 10), "NotMember");
    throwsCode(() => m.submission(r, A, { active: false }, false, 10), "NotMember");
    throwsCode(() => m.submission(r, A, { active: true }, true, 10), "AlreadySubmitted");
  });

  test("finalize: the requester, in Aggregate, in time; the last round closes the task", () => {
    const agg = round({ phase: Phase.Aggregate });
    assert.deepEqual(m.finalize(task(), agg, REQ, 1000), { closesTask: false });
    assert.deepEqual(m.finalize(task(), { ...agg, round: 2 }, REQ, 1000), { closesTask: true });
    throwsCode(() => m.finalize(task(), agg, A, 1000), "NotRequester");
    throwsCode(() => m.finalize(task(), round({ phase: Phase.Compute }), REQ, 1000), "WrongPhase");
    throwsCode(() => m.finalize(task(), agg, REQ, 1001), "DeadlinePassed");
  });

  test("next round and closing: only between rounds, by the requester, while rounds are left and the task is open", () => {
    const done = round({ phase: Phase.Finalized });
    assert.deepEqual(m.startRound(task(), done, REQ, 100), { round: 2, deadline: 110 });
    assert.deepEqual(m.firstRound(task({ currentRound: 0 }), 100), { round: 1, deadline: 110 });
    throwsCode(() => m.startRound(task(), done, A, 100), "NotRequester");
    throwsCode(() => m.startRound(task(), round({ phase: Phase.Aggregate }), REQ, 100), "RoundNotFinished");
    throwsCode(() => m.startRound(task({ currentRound: 2 }), done, REQ, 100), "NoRoundsLeft");
    throwsCode(() => m.startRound(task({ closed: true }), round({ phase: Phase.Failed }), REQ, 100), "TaskAlreadyClosed");
    m.closeTask(task(), done, REQ);
    throwsCode(() => m.closeTask(task(), done, A), "NotRequester");
    throwsCode(() => m.closeTask(task({ closed: true }), done, REQ), "TaskAlreadyClosed");
    throwsCode(() => m.closeTask(task(), round({ phase: Phase.Compute }), REQ), "RoundNotFinished");
  });
});
