import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { id } from "ethers";
import { startChain, mined, reverts, eventNamed, type Chain } from "./fixture.js";
import { verifyProofSelector } from "../../chain-connector/src/ethereum/deploy.js";
import { encodeProof } from "../../chain-connector/src/ethereum/network.js";
import { releaseZk } from "../../chain-connector/src/zkverify.js";
import type { Groth16Proof } from "../../chain-connector/src/connector.js";
import { outputsCommitment, roundBinding } from "../../protocol/src/binding.js";
import { commitDataset, fieldToBytes32, type DatasetTree } from "../../protocol/src/commitment.js";
import { encodeRows } from "../../protocol/src/fixedpoint.js";
import { Phase } from "../../protocol/src/phases.js";
import { kindKey } from "../../protocol/src/taskspec.js";
import { proveContributionChunk } from "../../node/src/zk/contributions.js";
import { loadCircuit } from "../../node/src/zk/prover.js";
import { StatsChunkVerifier__factory } from "../../types/ethers-contracts/index.js";

// A real stats_chunk Groth16 proof (circuits/build) of a member's contribution, checked by
// TaskManager through the snarkjs-generated StatsChunkVerifier bound to the "stats" kind, as
// scripts/deploy.ts binds it.
const REQ = 1;
const OWNER = 2;
const THIEF = 3;
const KIND = kindKey("stats");
const rows = encodeRows(Array.from({ length: 13 }, (_, i) => [i + 0.5, -2 * i, 3.25, (i * 7) % 5]));

describe("TaskManager with a real Groth16 verifier", () => {
  let c: Chain;
  let tree: DatasetTree;
  let taskId: number;
  let proof: Groth16Proof;
  let commitment: string;
  const blob = id("contribution blob");

  before(async () => {
    [c, tree] = await Promise.all([startChain(), commitDataset(rows, new Uint8Array(32).fill(7))]);
    const v = await new StatsChunkVerifier__factory(c.wallets[0]).deploy();
    await v.waitForDeployment();
    const circuit = loadCircuit("stats_chunk");
    await mined(c.tm(0).setVerifier(KIND, await v.getAddress(), verifyProofSelector(circuit.nPublic)));
    await mined(c.nr(REQ).register("http://req", id("k"), 4, 1));
    await mined(c.nr(OWNER).register("http://owner", id("k2"), 3, 1));
    await mined(c.nr(THIEF).register("http://thief", id("k3"), 3, 1));
    await mined(c.dr(OWNER).commit(id("iris"), fieldToBytes32(tree.rootField), rows.length, 4, id("schema")));
    await mined(c.dr(THIEF).commit(id("iris"), fieldToBytes32(tree.rootField), rows.length, 4, id("schema")));
    const r = await mined(c.tm(REQ).createTask(id("spec"), KIND, 1, 2, 2, 1, [100, 100, 100, 100], false, 2));
    taskId = Number(eventNamed(c.tm(0).interface, r.logs, "TaskCreated").args.taskId);
    await mined(c.tm(OWNER).joinRound(taskId, 1, id("m1")));
    await mined(c.tm(THIEF).joinRound(taskId, 1, id("m2")));

    // The outputs (Pedersen commitment, extrema hash, chunk index) are computed before proving;
    // the binding over their commitment is a public input of the one proof made.
    const chainId = (await c.provider.getNetwork()).chainId;
    const chunk = await proveContributionChunk({
      kind: "stats",
      tree,
      rows,
      chunkIndex: 0,
      binding: (outputs) =>
        roundBinding({ taskManager: c.addresses.taskManager, chainId, taskId, round: 1, member: c.wallets[OWNER].address, commitment: outputsCommitment(outputs) }),
    });
    proof = chunk.proof;
    commitment = outputsCommitment(chunk.publicSignals.slice(0, -2));
  });

  after(async () => {
    await c?.stop();
    await releaseZk();
  });

  test("another member cannot submit the proof; a tampered proof is refused; the owner's proof is accepted", async (t) => {
    assert.equal(Number((await c.tm(0).getRound(taskId, 1)).phase), Phase.Compute);
    const bytes = encodeProof(proof);
    await reverts(c.tm(THIEF).submit(taskId, 1, blob, commitment, bytes), "BadBinding", ["binding"]);
    const tampered = encodeProof({ ...proof, a: [proof.a[0], (BigInt(proof.a[1]) + 1n).toString()] });
    await reverts(c.tm(OWNER).submit(taskId, 1, blob, commitment, tampered), "InvalidProof");
    // the binding names the outputs' commitment: the proof does not go with another commitment
    await reverts(c.tm(OWNER).submit(taskId, 1, blob, id("other outputs"), bytes), "BadBinding", ["binding"]);
    const r = await mined(c.tm(OWNER).submit(taskId, 1, blob, commitment, bytes));
    t.diagnostic(`submit with an on-chain stats_chunk proof (6 public signals): ${r.gasUsed} gas`);
    const e = eventNamed(c.tm(0).interface, r.logs, "ContributionSubmitted");
    assert.deepEqual([e.args.member, e.args.blobHash, e.args.commitment], [c.wallets[OWNER].address, blob, commitment]);
    assert.equal(Number(await c.tm(0).lastPhaseOf(taskId, 1, c.wallets[OWNER].address)), Phase.Compute);
    await reverts(c.tm(OWNER).submit(taskId, 1, blob, commitment, bytes), "AlreadySubmitted");
  });

  test("the proof replayed in another task is refused (BadBinding)", async () => {
    const r = await mined(c.tm(REQ).createTask(id("spec2"), KIND, 1, 1, 1, 1, [100, 100, 100, 100], false, 2));
    const other = Number(eventNamed(c.tm(0).interface, r.logs, "TaskCreated").args.taskId);
    await mined(c.tm(OWNER).joinRound(other, 1, id("m3")));
    assert.equal(Number((await c.tm(0).getRound(other, 1)).phase), Phase.Compute);
    await reverts(c.tm(OWNER).submit(other, 1, blob, commitment, encodeProof(proof)), "BadBinding", ["binding"]);
  });
});
