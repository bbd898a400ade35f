import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { SecAggParty, SecAggServer, encodeMessage, decodeMessage, type SecAggParams, type ShareSetMsg } from "../../node/src/crypto/secagg/index.js";
import { P } from "../../node/src/crypto/secagg/field.js";
import { addresses, plainSum, randomInputs, runRound, wire } from "./helpers.js";

const params = (n: number, t: number, len = 4, round = 1): SecAggParams => ({ taskId: 7, round, threshold: t, vectorLength: len });

describe("secure aggregation gives the exact sum of the survivors", () => {
  test("no drop-outs: 5 parties, t = 3", () => {
    const addrs = addresses(5);
    const inputs = randomInputs(addrs, 4);
    const r = runRound(params(5, 3), inputs);
    assert.deepEqual(r.sum, plainSum(inputs, addrs, 4));
    assert.deepEqual(r.survivors, [...addrs].sort());
  });

  test("small values wrap correctly and masked inputs look nothing like the inputs", () => {
    const addrs = addresses(3);
    const inputs = new Map(addrs.map((a, i) => [a, [BigInt(i + 1), P - 1n, 0n]]));
    const parties = addrs.map((a) => new SecAggParty(params(3, 2, 3), a));
    const server = new SecAggServer(params(3, 2, 3));
    parties.forEach((p) => server.addKeys(p.advertise()));
    const roster = server.closeKeys();
    parties.forEach((p) => server.addShares(p.shareKeys(roster)));
    const set = server.closeShares();
    const masked = parties.map((p) => p.maskedInput(set, inputs.get(p.address)!));
    for (const m of masked)
      assert.ok(
        m.y.every((v) => BigInt(v) > 1000n),
        "a masked value should be a uniform field element",
      );
    masked.forEach((m) => server.addMasked(m));
    const req = server.closeMasked();
    parties.forEach((p) => server.addUnmask(p.unmask(req)));
    assert.deepEqual(server.finalize().sum, [6n, P - 3n, 0n]);
  });

  test("parties that drop before setup or before sharing keys are simply absent", () => {
    const addrs = addresses(6);
    const inputs = randomInputs(addrs, 4);
    const r = runRound(params(6, 4), inputs, { beforeKeys: [addrs[0]], beforeShares: [addrs[3]] });
    const alive = addrs.filter((a) => a !== addrs[0] && a !== addrs[3]);
    assert.deepEqual(r.sum, plainSum(inputs, alive, 4));
    assert.deepEqual(r.survivors, alive.sort());
  });

  test("parties that drop after sharing keys but before masked input: their pairwise masks are rebuilt from their key shares", () => {
    const addrs = addresses(7);
    const inputs = randomInputs(addrs, 5);
    const gone = [addrs[1], addrs[5]];
    const r = runRound(params(7, 4, 5), inputs, { beforeMasked: gone });
    const alive = addrs.filter((a) => !gone.includes(a));
    assert.deepEqual(r.req.dropped.sort(), [...gone].sort());
    assert.deepEqual(r.sum, plainSum(inputs, alive, 5));
  });

  test("parties that drop after masked input but before unmasking are still in the sum", () => {
    const addrs = addresses(7);
    const inputs = randomInputs(addrs, 3);
    const r = runRound(params(7, 4, 3), inputs, { beforeUnmask: [addrs[2], addrs[4], addrs[6]] });
    assert.deepEqual(r.sum, plainSum(inputs, addrs, 3));
  });

  test("drop-outs in every phase together, down to exactly t", () => {
    const addrs = addresses(9);
    const inputs = randomInputs(addrs, 6);
    const drops = { beforeKeys: [addrs[0]], beforeShares: [addrs[1]], beforeMasked: [addrs[2], addrs[3]], beforeUnmask: [addrs[4]] };
    const r = runRound(params(9, 4, 6), inputs, drops);
    const inSum = addrs.slice(4);
    assert.deepEqual(r.sum, plainSum(inputs, inSum, 6));
    assert.deepEqual(r.survivors, [...inSum].sort());
  });
});

describe("below the threshold the round fails with a clear error", () => {
  const addrs = addresses(5);
  const inputs = randomInputs(addrs, 2);
  const cases: [string, object, RegExp][] = [
    ["setup", { beforeKeys: addrs.slice(0, 3) }, /failed at setup: 2 parties remain, below the threshold 3/],
    ["share distribution", { beforeShares: addrs.slice(0, 3) }, /failed at share distribution: 2 parties remain/],
    ["masked input", { beforeMasked: addrs.slice(0, 3) }, /failed at masked input: 2 parties remain/],
    ["unmasking", { beforeUnmask: addrs.slice(0, 3) }, /failed at unmasking: 2 parties remain/],
  ];
  for (const [phase, drops, re] of cases) {
    test(phase, () => assert.throws(() => runRound(params(5, 3, 2), inputs, drops), re));
  }
});

describe("attacks are refused", () => {
  function toMasked(n: number, t: number) {
    const addrs = addresses(n);
    const parties = addrs.map((a) => new SecAggParty(params(n, t), a));
    const server = new SecAggServer(params(n, t));
    parties.forEach((p) => server.addKeys(p.advertise()));
    const roster = server.closeKeys();
    parties.forEach((p) => server.addShares(p.shareKeys(roster)));
    return { addrs, parties, server, roster, set: server.closeShares() };
  }

  test("an unmask request naming one party both survivor and dropped is refused", () => {
    const { parties, set } = toMasked(4, 3);
    parties.forEach((p) => p.maskedInput(set, [1n, 2n, 3n, 4n]));
    const all = set.messages.map((m) => m.from);
    const victim = all.find((a) => a !== parties[0].address)!;
    assert.throws(
      () => parties[0].unmask({ kind: "secagg/unmask-request", taskId: 7, round: 1, survivors: all, dropped: [victim] }),
      /asks for both the self-mask share and the mask-key share/,
    );
  });

  test("claiming a live party dropped after its b-share was revealed (or the reverse) is refused", () => {
    const { parties, set } = toMasked(5, 3);
    parties.forEach((p) => p.maskedInput(set, [1n, 2n, 3n, 4n]));
    const all = set.messages.map((m) => m.from);
    const me = parties[0];
    const victim = all.find((a) => a !== me.address)!;
    const first = me.unmask({ kind: "secagg/unmask-request", taskId: 7, round: 1, survivors: all, dropped: [] });
    assert.equal(first.bShares.length, 5);
    assert.throws(
      () => me.unmask({ kind: "secagg/unmask-request", taskId: 7, round: 1, survivors: all.filter((a) => a !== victim), dropped: [victim] }),
      /self-mask share of .* was already revealed; revealing its mask-key share too is refused/,
    );
    const other = parties[1];
    const victim2 = all.find((a) => a !== other.address)!;
    other.unmask({ kind: "secagg/unmask-request", taskId: 7, round: 1, survivors: all.filter((a) => a !== victim2), dropped: [victim2] });
    assert.throws(
      () => other.unmask({ kind: "secagg/unmask-request", taskId: 7, round: 1, survivors: all, dropped: [] }),
      /mask-key share of .* was already revealed; revealing its self-mask share too is refused/,
    );
  });

  test("a tampered share ciphertext is rejected by the AEAD", () => {
    const { parties, set } = toMasked(3, 2);
    const victim = parties[1].address;
    const tampered: ShareSetMsg = structuredClone(set);
    const sh = tampered.messages.find((m) => m.from === parties[0].address)!.shares.find((s) => s.to === victim)!;
    const last = sh.ct.slice(-2);
    sh.ct = sh.ct.slice(0, -2) + (last === "00" ? "01" : "00");
    assert.throws(() => parties[1].maskedInput(tampered, [1n, 2n, 3n, 4n]), /failed authentication/);
  });

  test("a share moved to another round, sender or receiver does not open (associated data)", () => {
    const { parties, set } = toMasked(3, 2);
    const [a, b, c] = parties;
    // c receives a's share meant for b, relabelled as addressed to c.
    const swapped: ShareSetMsg = structuredClone(set);
    const fromA = swapped.messages.find((m) => m.from === a.address)!;
    const forB = fromA.shares.find((s) => s.to === b.address)!;
    const forC = fromA.shares.find((s) => s.to === c.address)!;
    forC.ct = forB.ct;
    forC.nonce = forB.nonce;
    assert.throws(() => c.maskedInput(swapped, [0n, 0n, 0n, 0n]), /from .* to .* failed authentication/);
    // The same keys and ciphertexts replayed as round 2.
    const replay = new SecAggParty(params(3, 2, 4, 2), b.address, { ...b.exportState(), params: params(3, 2, 4, 2) });
    const set2: ShareSetMsg = { ...structuredClone(set), round: 2, messages: set.messages.map((m) => ({ ...m, round: 2 })) };
    assert.throws(() => replay.maskedInput(set2, [0n, 0n, 0n, 0n]), /failed authentication/);
  });

  test("phases cannot be replayed or skipped; foreign rounds and bad inputs are refused", () => {
    const { parties, set, roster } = toMasked(3, 2);
    assert.throws(() => parties[0].shareKeys(roster), /is in phase "shares", not "keys"/);
    assert.throws(() => parties[0].maskedInput(set, [1n, 2n]), /expected a vector of 4 field elements/);
    assert.throws(() => parties[0].maskedInput(set, [1n, 2n, 3n, P]), /not a field element/);
    assert.throws(() => parties[0].maskedInput({ ...set, round: 9 }, [1n, 2n, 3n, 4n]), /belongs to task 7 round 9/);
    const fresh = new SecAggParty(params(3, 2), addresses(1)[0]);
    assert.throws(() => fresh.shareKeys(roster), /is not in it/);
    const forged = structuredClone(roster);
    const p2 = new SecAggParty(params(3, 2), roster.parties[0].address);
    assert.throws(() => p2.shareKeys(forged), /not the ones it published/);
    assert.throws(() => new SecAggParty({ taskId: 1, round: 1, threshold: 1, vectorLength: 1 }, fresh.address), /threshold 1 must be an integer ≥ 2/);
  });
});

test("messages cross the channel as bytes, and a party resumes from its exported state", () => {
  const addrs = addresses(4);
  const inputs = randomInputs(addrs, 4);
  const ps = params(4, 3);
  let parties = addrs.map((a) => new SecAggParty(ps, a));
  const server = new SecAggServer(ps);
  parties.forEach((p) => server.addKeys(wire(p.advertise())));
  const roster = wire(server.closeKeys());
  parties.forEach((p) => server.addShares(wire(p.shareKeys(roster))));
  // Every party restarts between phases.
  parties = parties.map((p) => SecAggParty.restore(JSON.parse(JSON.stringify(p.exportState())) as ReturnType<typeof p.exportState>));
  const set = wire(server.closeShares());
  parties.forEach((p) => server.addMasked(wire(p.maskedInput(set, inputs.get(p.address)!))));
  parties = parties.map((p) => SecAggParty.restore(JSON.parse(JSON.stringify(p.exportState())) as ReturnType<typeof p.exportState>));
  const req = wire(server.closeMasked());
  parties.forEach((p) => server.addUnmask(wire(p.unmask(req))));
  assert.deepEqual(server.finalize().sum, plainSum(inputs, addrs, 4));
  assert.throws(() => decodeMessage(new TextEncoder().encode("{")), /not JSON/);
  assert.throws(() => decodeMessage(encodeMessage({ kind: "secagg/nope" } as never)), /unknown kind/);
});
