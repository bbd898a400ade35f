import { test } from "node:test";
import assert from "node:assert/strict";
import type { ChainEvent } from "../../protocol/src/events.js";
import { Phase } from "../../protocol/src/phases.js";
import { apply, emptyModel, memberCell, waitingFor } from "../../dash/src/model.js";

const A = "0x000000000000000000000000000000000000000A";
const B = "0x000000000000000000000000000000000000000B";
const C = "0x000000000000000000000000000000000000000C";
const REQ = "0x00000000000000000000000000000000000000Fe";
let n = 0;
const ev = (e: Record<string, unknown>) => ({ cursor: String(++n).padStart(8, "0"), time: 1000 + n, ...e }) as unknown as ChainEvent;

test("the dashboard's model: members submitted, dropped, awaited or reporting why, and what the round waits for", () => {
  const m = emptyModel();
  const h = "0x" + "11".repeat(32);
  for (const e of [
    ev({ type: "TaskCreated", taskId: 7, requester: REQ, kind: h, specHash: h, rounds: 2 }),
    ev({ type: "RoundStarted", taskId: 7, round: 1, deadline: 2000 }),
    ev({ type: "MemberJoined", taskId: 7, round: 1, member: A, memberKey: "0x" }),
    ev({ type: "MemberJoined", taskId: 7, round: 1, member: B, memberKey: "0x" }),
    ev({ type: "MemberReported", taskId: 7, round: 1, member: C, status: "declined", reason: "policy: kind kmeans not allowed" }),
  ])
    apply(m, e);
  const t = m.tasks[7];
  assert.match(waitingFor(t, t.round[1], 2), /waiting for members to join \(2 joined, threshold 2\)/);
  apply(m, ev({ type: "PhaseAdvanced", taskId: 7, round: 1, phase: Phase.Compute, deadline: 3000, active: 2 }));
  apply(m, ev({ type: "ContributionSubmitted", taskId: 7, round: 1, phase: Phase.Compute, member: A, blobHash: h, commitment: h }));
  const r = t.round[1];
  assert.equal(memberCell(r, A, false).cell, "submitted");
  assert.equal(memberCell(r, A, true).cell, "proof");
  assert.deepEqual(memberCell(r, B, false), { cell: "pending", why: "awaited in Compute" });
  assert.equal(waitingFor(t, r, 2), "waiting for 0x0000…000B to submit in Compute");
  assert.deepEqual(memberCell(r, C, false), { cell: "declined", why: "declined: policy: kind kmeans not allowed" });
  // The phase moved on without B: dropped, and why.
  apply(m, ev({ type: "PhaseAdvanced", taskId: 7, round: 1, phase: Phase.Aggregate, deadline: 4000, active: 1 }));
  assert.deepEqual(memberCell(r, B, false), { cell: "dropped", why: "no contribution in Compute before the phase ended" });
  apply(m, ev({ type: "MemberReported", taskId: 7, round: 1, member: B, status: "failed", reason: "compute: value out of range" }));
  assert.deepEqual(memberCell(r, B, false), { cell: "failed", why: "failed: compute: value out of range" });
  assert.match(waitingFor(t, r, 2), /requester 0x0000…00Fe to aggregate/);
  apply(m, ev({ type: "RoundFinalized", taskId: 7, round: 1, resultHash: h }));
  assert.equal(waitingFor(t, r, 2), "waiting for the requester to start round 2");
  assert.deepEqual(
    r.steps.map((s) => s.phase),
    [Phase.Join, Phase.Compute, Phase.Aggregate, Phase.Finalized],
  );
  apply(m, ev({ type: "TaskClosed", taskId: 7, reason: "converged" }));
  assert.equal(waitingFor(t, r, 2), "closed: converged");
  assert.equal(m.recent.length, m.events);
  assert.equal(m.tasks[7].round[1].members[A].submitted[Phase.Compute].cursor, "00000007");
});
