import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Contract, id, type ContractTransactionResponse } from "ethers";
import { startChain, mined, eventNamed, type Chain } from "./fixture.js";
import { commitChunks, type ChunkedDataset } from "../../protocol/src/honk/chunks.js";
import { statsChunkInputs } from "../../protocol/src/honk/stats.js";
import { chunkAuditBinding, proofListTree } from "../../protocol/src/honk/prooflist.js";
import { HonkCircuit, solidityArgs, type HonkProof } from "../../node/src/zk/honk.js";
import { deployHonkVerifier } from "../helpers/honk.js";
import { proveHonkGroup } from "../../node/src/zk/honk-contributions.js";
import { closePool } from "../../node/src/runtime/pool.js";
import { outputsCommitment, roundBinding } from "../../protocol/src/binding.js";
import { kindKey } from "../../protocol/src/taskspec.js";
import { deployHonkVerifiers } from "../../chain-connector/src/ethereum/deploy.js";
import { ChunkAudit__factory, type ChunkAudit } from "../../types/ethers-contracts/index.js";

// ChunkAudit with the real StatsChunkHonkVerifier and real stats_chunk proofs: a member commits
// only the Merkle root of its proof list (the honest path); a failing entry is caught by a
// challenge (member excluded, each reason named) or by the random audit drawn after close (a
// failing answer, or none in time, excludes); a valid entry cannot be challenged. Gas per step
// is printed for contracts/README.md.
const A = 1;
const B = 2;
const rows = Array.from({ length: 1100 }, (_, i) => Array.from({ length: 4 }, (_, j) => BigInt(((i * 31 + j * 7) % 61) - 30) * 65536n));
const hex = (x: bigint) => "0x" + x.toString(16).padStart(64, "0");

interface Entry {
  proof: Uint8Array;
  pis: string[];
}
const entry = (p: HonkProof): Entry => ({ proof: p.proof, pis: solidityArgs(p)[1] });
const tree = (list: Entry[]) => proofListTree(list.map((e) => ({ proof: e.proof, publicInputs: e.pis })));

describe("ChunkAudit: challenges and the random audit with real Honk proofs", () => {
  let c: Chain;
  let audit: (i: number) => ChunkAudit;
  let verifier: string;
  let ds: ChunkedDataset;
  let circuit: HonkCircuit;
  const gas: Record<string, bigint> = {};
  const key = (label: string) => id(`round ${label}`);

  async function reverts(p: Promise<unknown>, name: string): Promise<void> {
    await assert.rejects(p, (e: unknown) => {
      const data = (e as { data?: string }).data ?? (e as { info?: { error?: { data?: string } } }).info?.error?.data;
      const parsed = data ? ChunkAudit__factory.createInterface().parseError(data) : null;
      assert.equal(parsed?.name, name, `expected ${name}, got ${(e as Error).message}`);
      return true;
    });
  }
  async function prove(k: string, member: number, group: number): Promise<Entry> {
    const binding = await audit(0).bindingOf(k, c.wallets[member].address);
    assert.equal(binding, chunkAuditBinding(k, c.wallets[member].address), "protocol twin of bindingOf");
    return entry((await circuit.prove(statsChunkInputs(ds, group, binding, 1000n + BigInt(group)))).proof);
  }
  async function run(label: string, tx: Promise<ContractTransactionResponse>) {
    const r = await mined(tx);
    gas[label] = r.gasUsed;
    return r;
  }
  async function openRound(k: string): Promise<void> {
    await mined(audit(0).open(k, verifier, 6));
  }
  const forged = (e: Entry, bindingOf: string): Entry => {
    const proof = e.proof.slice();
    proof[300] ^= 1;
    return { proof, pis: [e.pis[0], e.pis[1], bindingOf, ...e.pis.slice(3)] };
  };

  before(async () => {
    ds = commitChunks(rows, 256, 4, new Uint8Array(32).fill(9));
    circuit = new HonkCircuit("stats_chunk");
    c = await startChain();
    const v = await deployHonkVerifier(c.wallets[0], "StatsChunkHonkVerifier");
    verifier = await v.getAddress();
    // deployContracts deploys ChunkAudit bound to its TaskManager.
    const addr = c.addresses.chunkAudit!;
    audit = (i) => ChunkAudit__factory.connect(addr, c.wallets[i]);
    for (const m of [A, B]) {
      await mined(c.nr(m).register(`http://m${m}`, id(`k${m}`), 1, 1));
      await mined(c.dr(m).commit(id("data"), hex(ds.tree.root), rows.length, 4, id("schema")));
    }
  });
  after(async () => {
    console.log("ChunkAudit gas:", Object.entries(gas).map(([k, v]) => `${k} ${v.toLocaleString("en-US")}`).join(", "));
    await c?.stop();
    await closePool();
  });

  test("challengeTask: TaskManager records an OffChain member's proof-list root; a failing entry excludes it from the round, a valid one stands", async () => {
    const REQ = 3;
    const [a, b] = [c.wallets[A].address, c.wallets[B].address];
    await reverts(audit(REQ).setHonkVerifier(kindKey("stats"), 4, verifier, 6, 4), "Unauthorized");
    await reverts(audit(0).setHonkVerifier(kindKey("stats"), 8, verifier, 6, 4), "BadInput");
    // As the deploy script binds them: both widths, public input count and outputs' offset from the manifest.
    const bound = await deployHonkVerifiers(c.wallets[0], c.addresses.chunkAudit!, ["stats"]);
    assert.deepEqual(
      bound.map((x) => [x.kind, x.width]),
      [
        ["stats", 4],
        ["stats", 16],
      ],
    );
    const w4 = await audit(0).honkVerifiers(kindKey("stats"), 4);
    assert.deepEqual([w4.verifier, w4.inputs, w4.outputsAt], [bound[0].address, 6n, 4n]);
    // An honest width-16 proof verifies within VERIFY_GAS, as the width-4 one does (answerAudit's gas above).
    const ds16 = commitChunks(
      rows.slice(0, 100).map((r) => [...r, r[0], r[1]]),
      64,
      6,
      new Uint8Array(32).fill(3),
      16,
    );
    const p16 = await proveHonkGroup({ kind: "stats", ds: ds16, group: 0, binding: 1n });
    const v16 = new Contract(bound[1].address, ["function verify(bytes, bytes32[]) view returns (bool)"], c.provider);
    const g16 = await v16.verify.estimateGas(p16.proof, p16.publicInputs.map(hex));
    gas["verify, stats_chunk_w16 (honest)"] = g16;
    assert.ok(g16 < (await audit(0).VERIFY_GAS()), `${g16} gas`);
    await mined(c.nr(REQ).register("http://req", id("kreq"), 4, 1));
    const created = await mined(c.tm(REQ).createTask(id("spec"), kindKey("stats"), 1, 2, 2, 2, [100, 100, 100, 100], false, 1));
    const taskId = eventNamed(c.tm(0).interface, created.logs, "TaskCreated").args.taskId as bigint;
    for (const m of [A, B]) await mined(c.tm(m).joinRound(taskId, 1, id(`mk${m}`)));
    const { chainId } = await c.provider.getNetwork();
    // As the runtime binds them (ctx.binding): roundBinding over each group's own outputs.
    const proveFor = async (member: string, group: number): Promise<Entry> => {
      const binding = (outputs: bigint[]) => roundBinding({ taskManager: c.addresses.taskManager, chainId, taskId: Number(taskId), round: 1, member, commitment: outputsCommitment(outputs) });
      const p = await proveHonkGroup({ kind: "stats", ds, group, binding });
      return { proof: p.proof, pis: p.publicInputs.map(hex) };
    };
    const honest = [await proveFor(a, 0), await proveFor(a, 1)];
    const bOwn = await proveFor(b, 1);
    const flipped = bOwn.proof.slice();
    flipped[300] ^= 1;
    // B's list: A's group 0 (valid, bound to A) and its own group 1 with a tampered proof.
    const cheat = [honest[0], { proof: flipped, pis: bOwn.pis }];
    const ta = tree(honest);
    const tb = tree(cheat);
    await reverts(audit(REQ).challengeTask(taskId, 1, a, 0, honest[0].pis, honest[0].proof, ta.path(0)), "NotCommitted");
    await run("submit Compute with the proof-list root (OffChain)", c.tm(A).submit(taskId, 1, id("blobA"), ta.root, "0x"));
    await mined(c.tm(B).submit(taskId, 1, id("blobB"), tb.root, "0x"));
    assert.equal(await c.tm(0).proofsRootOf(taskId, 1, a), ta.root);
    await reverts(audit(REQ).challengeTask(taskId, 1, a, 0, honest[0].pis, honest[0].proof, ta.path(0)), "ChunkValid");
    await reverts(audit(REQ).challengeTask(taskId, 1, a, 1, honest[1].pis, honest[1].proof, ta.path(1)), "ChunkValid");
    // Starving the verifier cannot make an honest proof fail: too little gas is refused, nobody is excluded.
    await reverts(audit(REQ).challengeTask.staticCall(taskId, 1, a, 1, honest[1].pis, honest[1].proof, ta.path(1), { gasLimit: 3_000_000 }), "OutOfGas");
    await reverts(audit(REQ).challengeTask(taskId, 1, a, 1, honest[0].pis, honest[0].proof, ta.path(1)), "NotInList");
    // Index 2 with a one-hash path would alias leaf 0 and fail the group check: refused, not an exclusion.
    await reverts(audit(REQ).challengeTask(taskId, 1, a, 2, honest[0].pis, honest[0].proof, ta.path(0)), "NotInList");
    const snap = await c.snapshot();
    let r = await mined(audit(REQ).challengeTask(taskId, 1, b, 0, cheat[0].pis, cheat[0].proof, tb.path(0)));
    assert.deepEqual([...eventNamed(audit(0).interface, r.logs, "TaskMemberExcluded").args], [taskId, 1n, b, 0n, 3n]);
    await snap();
    r = await run("challengeTask (caught: proof rejected)", audit(REQ).challengeTask(taskId, 1, b, 1, cheat[1].pis, cheat[1].proof, tb.path(1)));
    assert.deepEqual([...eventNamed(audit(0).interface, r.logs, "TaskMemberExcluded").args], [taskId, 1n, b, 1n, 5n]);
    assert.equal(await audit(0).excludedFrom(taskId, 1, b), true);
    assert.equal(await audit(0).excludedFrom(taskId, 1, a), false);
    await reverts(audit(REQ).challengeTask(taskId, 1, b, 1, cheat[1].pis, cheat[1].proof, tb.path(1)), "AlreadyExcluded");
  });

  test("challenge: a valid entry stands; a failing one excludes its member (proof rejected, wrong binding)", async () => {
    const k = key("challenge");
    await openRound(k);
    const honest = [await prove(k, A, 0), await prove(k, A, 1)];
    const bBinding = hex(await audit(0).bindingOf(k, c.wallets[B].address));
    const cheat = [honest[0], forged(honest[1], bBinding)];
    const ta = tree(honest);
    const tb = tree(cheat);
    await run("commitProofs", audit(A).commitProofs(k, ta.root, 2));
    await mined(audit(B).commitProofs(k, tb.root, 2));
    await reverts(audit(B).commitProofs(k, tb.root, 2), "AlreadyCommitted");
    await reverts(audit(3).challenge(k, c.wallets[A].address, 0, honest[0].pis, honest[0].proof, ta.path(0)), "ChunkValid");
    await reverts(audit(3).challenge(k, c.wallets[A].address, 1, honest[0].pis, honest[0].proof, ta.path(1)), "NotInList");
    const snap = await c.snapshot();
    // B's entry 0 is A's proof: valid, but bound to A.
    let r = await mined(audit(3).challenge(k, c.wallets[B].address, 0, cheat[0].pis, cheat[0].proof, tb.path(0)));
    assert.deepEqual([...eventNamed(audit(0).interface, r.logs, "MemberExcluded").args].slice(1), [c.wallets[B].address, 0n, 3n]);
    await snap();
    r = await run("challenge (caught)", audit(3).challenge(k, c.wallets[B].address, 1, cheat[1].pis, cheat[1].proof, tb.path(1)));
    assert.deepEqual([...eventNamed(audit(0).interface, r.logs, "MemberExcluded").args].slice(1), [c.wallets[B].address, 1n, 5n]);
    assert.equal((await audit(0).entryOf(k, c.wallets[B].address)).excluded, true);
    assert.equal((await audit(0).entryOf(k, c.wallets[A].address)).excluded, false);
    await reverts(audit(3).challenge(k, c.wallets[B].address, 1, cheat[1].pis, cheat[1].proof, tb.path(1)), "AlreadyExcluded");
  });

  test("audit: drawn after close from the next block's hash; an honest answer passes, a failing one or none excludes", async () => {
    // One member per round, so the draw must pick it; its one entry is the audited one.
    const kA = key("audit honest");
    const kB = key("audit cheat");
    const kC = key("audit silent");
    for (const k of [kA, kB, kC]) await openRound(k);
    const honest = await prove(kA, A, 0);
    const bad = forged(honest, hex(await audit(0).bindingOf(kB, c.wallets[B].address)));
    await mined(audit(A).commitProofs(kA, tree([honest]).root, 1));
    await mined(audit(B).commitProofs(kB, tree([bad]).root, 1));
    await mined(audit(B).commitProofs(kC, tree([bad]).root, 1));
    await reverts(audit(3).close(kA), "NotCoordinator");
    await reverts(audit(3).drawAudit(kA), "RoundStillOpen");
    for (const k of [kA, kB, kC]) await run("close", audit(0).close(k));
    await reverts(audit(B).commitProofs(kA, tree([bad]).root, 1), "RoundClosedAlready");
    await c.provider.send("hardhat_mine", ["0x2"]);
    for (const k of [kA, kB, kC]) {
      const r = await run("drawAudit", audit(3).drawAudit(k));
      assert.equal(eventNamed(audit(0).interface, r.logs, "AuditDrawn").args.index, 0n);
    }
    let r = await run("answerAudit (passes)", audit(3).answerAudit(kA, honest.pis, honest.proof, []));
    assert.equal(eventNamed(audit(0).interface, r.logs, "AuditPassed").args.member, c.wallets[A].address);
    await reverts(audit(3).answerAudit(kA, honest.pis, honest.proof, []), "AuditDone");
    r = await mined(audit(3).answerAudit(kB, bad.pis, bad.proof, []));
    assert.equal(eventNamed(audit(0).interface, r.logs, "MemberExcluded").args.reason, 5n);
    await reverts(audit(3).expireAudit(kC), "AuditWindowOpen");
    await c.provider.send("hardhat_mine", ["0xc9"]); // AUDIT_WINDOW + 1 blocks
    await reverts(audit(3).answerAudit(kC, bad.pis, bad.proof, []), "AuditWindowClosed");
    r = await run("expireAudit", audit(3).expireAudit(kC));
    assert.equal(eventNamed(audit(0).interface, r.logs, "MemberExcluded").args.reason, 6n);
  });
});
