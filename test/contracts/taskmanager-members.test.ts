import { describe, test, before, after, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import { ZeroAddress, id } from "ethers";
import { startChain, mined, reverts, eventNamed, type Chain } from "./fixture.js";

// Issue 15: an outsourced task names its workers; only they may join, and a worker caught lying
// is excluded from the task's later rounds.
const KIND = id("skmeans");
const SPEC = id("spec-with-workers");
const REQ = 1;
const W = [2, 3, 4]; // Worker nodes
const STRANGER_WORKER = 5;
const OTHER_REQ = 6;

describe("TaskManager: restricted joins and exclusions", () => {
  let c: Chain;
  let restore: () => Promise<void>;
  const addr = (i: number) => c.wallets[i].address;

  before(async () => {
    c = await startChain();
    await mined(c.nr(REQ).register("http://req", id("k"), 5, 1));
    await mined(c.nr(OTHER_REQ).register("http://req2", id("k2"), 4, 1));
    for (const i of [...W, STRANGER_WORKER]) await mined(c.nr(i).register(`http://w${i}`, id(`k${i}`), 2, 1));
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

  async function createTask(spec = SPEC, rounds = 2) {
    const r = await mined(c.tm(REQ).createTask(spec, KIND, rounds, 2, 2, 2, [100, 100, 100, 100], false, 0));
    return Number(eventNamed(c.tm(0).interface, r.logs, "TaskCreated").args.taskId);
  }

  test("only the named workers join; a stranger Worker is refused with NotAllowed and cannot fill the round", async () => {
    const r = await mined(c.tm(REQ).restrictMembers(SPEC, [addr(W[0]), addr(W[1])]));
    const ev = eventNamed(c.tm(0).interface, r.logs, "MembersRestricted");
    assert.equal(ev.args.requester, addr(REQ));
    assert.deepEqual([...(ev.args.members as string[])], [addr(W[0]), addr(W[1])]);
    assert.equal(await c.tm(0).isRestricted(addr(REQ), SPEC), true);
    const taskId = await createTask();
    assert.equal(await c.tm(0).mayJoin(taskId, addr(STRANGER_WORKER)), false);
    assert.equal(await c.tm(0).mayJoin(taskId, addr(W[0])), true);
    await reverts(c.tm(STRANGER_WORKER).joinRound(taskId, 1, id("mk")), "NotAllowed", [addr(STRANGER_WORKER)]);
    await mined(c.tm(W[0]).joinRound(taskId, 1, id("mk0")));
    await mined(c.tm(W[1]).joinRound(taskId, 1, id("mk1")));
    assert.equal((await c.tm(0).getRound(taskId, 1)).phase, 3n, "two named workers filled the round: Compute");
  });

  test("the list binds the requester's spec only: another spec, or the same spec hash from another requester, stays open", async () => {
    await mined(c.tm(REQ).restrictMembers(SPEC, [addr(W[0])]));
    const open = await createTask(id("other-spec"));
    await mined(c.tm(STRANGER_WORKER).joinRound(open, 1, id("mk")));
    const r = await mined(c.tm(OTHER_REQ).createTask(SPEC, KIND, 1, 1, 1, 1, [100, 100, 100, 100], false, 0));
    const theirs = Number(eventNamed(c.tm(0).interface, r.logs, "TaskCreated").args.taskId);
    await mined(c.tm(STRANGER_WORKER).joinRound(theirs, 1, id("mk")));
  });

  test("restrictMembers: requester role, once per spec, 1 to 32 non-zero members", async () => {
    await reverts(c.tm(W[0]).restrictMembers(SPEC, [addr(W[0])]), "MissingRole");
    await reverts(c.tm(REQ).restrictMembers(SPEC, []), "BadInput");
    await reverts(c.tm(REQ).restrictMembers(SPEC, Array.from({ length: 33 }, (_, i) => addr(i % 10))), "BadInput");
    await reverts(c.tm(REQ).restrictMembers(SPEC, [addr(W[0]), ZeroAddress]), "BadInput");
    assert.equal(await c.tm(0).isRestricted(addr(REQ), SPEC), false, "a refused call leaves no list");
    await mined(c.tm(REQ).restrictMembers(SPEC, [addr(W[0])]));
    // Widening the list later would let the requester seat a node the spec does not name.
    await reverts(c.tm(REQ).restrictMembers(SPEC, [addr(STRANGER_WORKER)]), "AlreadyRestricted", [SPEC]);
  });

  test("an excluded worker cannot join the task's later rounds; only the requester excludes, once, with a reason", async () => {
    await mined(c.tm(REQ).restrictMembers(SPEC, [addr(W[0]), addr(W[1]), addr(W[2])]));
    const taskId = await createTask();
    await mined(c.tm(W[0]).joinRound(taskId, 1, id("a")));
    await mined(c.tm(W[1]).joinRound(taskId, 1, id("b")));
    for (const i of [W[0], W[1]]) await mined(c.tm(i).submit(taskId, 1, id(`b${i}`), id(`c${i}`), "0x"));
    await mined(c.tm(REQ).finalizeRound(taskId, 1, id("r1")));
    await reverts(c.tm(W[0]).excludeMember(taskId, addr(W[1]), "lied"), "NotRequester", [addr(REQ)]);
    await reverts(c.tm(REQ).excludeMember(taskId, addr(W[1]), ""), "BadInput");
    const r = await mined(c.tm(REQ).excludeMember(taskId, addr(W[1]), "round 1: output hash differs from the owner's re-run"));
    const ev = eventNamed(c.tm(0).interface, r.logs, "MemberExcluded");
    assert.equal(ev.args.member, addr(W[1]));
    assert.equal(ev.args.round, 1n);
    await reverts(c.tm(REQ).excludeMember(taskId, addr(W[1]), "again"), "Excluded", [addr(W[1])]);
    assert.equal(await c.tm(0).mayJoin(taskId, addr(W[1])), false);
    await mined(c.tm(REQ).startRound(taskId));
    await reverts(c.tm(W[1]).joinRound(taskId, 2, id("b2")), "Excluded", [addr(W[1])]);
    await mined(c.tm(W[0]).joinRound(taskId, 2, id("a2")));
    await mined(c.tm(W[2]).joinRound(taskId, 2, id("c2")));
  });
});
