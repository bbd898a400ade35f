import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { JsonRpcProvider, Wallet } from "ethers";
import { commitChunks, toField, type ChunkedDataset } from "../../protocol/src/honk/chunks.js";
import { commit } from "../../protocol/src/honk/pedersen.js";
import { circuitVector, groupRows, logisticParts, logregChunkInputs, logregVector, weightsHash } from "../../protocol/src/honk/stats.js";
import { HonkCircuit, solidityArgs, verifyWithContract, type HonkProof } from "../../node/src/zk/honk.js";
import { startHardhatNode, type HardhatNode } from "../helpers/hardhat.js";
import { deployHonkVerifier } from "../helpers/honk.js";
import type { LogRegChunkHonkVerifier } from "../../types/ethers-contracts/index.js";

// logreg_chunk (2 chunks of 256 rows, 3 features + a 0/1 label): rows fall in all three regions
// of the hard sigmoid; the proven commitment equals the twin's; a wrong region or quotient hint
// has no proof.
const S = 65536n;
const rows = Array.from({ length: 300 }, (_, i) => {
  const x = [BigInt((i % 21) - 10) * S, BigInt((i * 3) % 7) * S - S, BigInt(i % 2) * S];
  return [...x, ((i * 5) % 3 === 0 ? 1n : 0n) * S];
});
const weights = [S / 2n, -S / 4n, S, -S / 8n];
let ds: ChunkedDataset;
let circuit: HonkCircuit;
let proof: HonkProof;
let node: HardhatNode;
let provider: JsonRpcProvider;
let verifier: LogRegChunkHonkVerifier;

before(async () => {
  ds = commitChunks(rows, 256, 4, new Uint8Array(32).fill(6));
  circuit = new HonkCircuit("logreg_chunk");
  const [p, n] = await Promise.all([circuit.prove(logregChunkInputs(ds, 0, weights, 8n, 9n)), startHardhatNode()]);
  proof = p.proof;
  node = n;
  provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
  verifier = (await deployHonkVerifier(new Wallet(node.accounts[0], provider), "LogRegChunkHonkVerifier")) as unknown as LogRegChunkHonkVerifier;
});
after(async () => {
  provider?.destroy();
  await node?.stop();
});

test("rows in every clamp region; the proof carries the twin's commitment and verifies in the EVM", async () => {
  const us = rows.map((r) => logisticParts(r, weights).u);
  assert.ok(us.some((u) => u < 0n) && us.some((u) => u > S) && us.some((u) => u >= 0n && u <= S), "all three regions");
  const c = commit(logregVector(groupRows(ds, 0, 2), weights), 9n);
  const inputs = logregChunkInputs(ds, 0, weights, 8n, 9n);
  assert.deepEqual(proof.publicInputs, [ds.tree.root, 0n, 8n, 4n, BigInt(inputs.weights_hash as string), c.x, c.y]);
  assert.equal(await verifier.verify(...solidityArgs(proof)), true);
  console.log(`logreg_chunk: verify gas ${await verifier.verify.estimateGas(...solidityArgs(proof))}`);
  const swapped: HonkProof = { ...proof, publicInputs: proof.publicInputs.map((x, i) => (i === 5 ? x + 1n : x)) };
  assert.equal(await verifyWithContract(verifier, swapped), false);
});

test("wrong region and quotient hints have no proof", async () => {
  const good = logregChunkInputs(ds, 0, weights, 8n, 9n);
  const region = (key: "below" | "above", i: number, v: string) => {
    const a = (good[key] as string[][]).map((r) => r.slice());
    a[0][i] = v;
    return { ...good, [key]: a };
  };
  const iLow = rows.findIndex((r) => logisticParts(r, weights).u < 0n);
  const iHigh = rows.findIndex((r) => logisticParts(r, weights).u > S);
  const iMid = rows.findIndex((r) => {
    const u = logisticParts(r, weights).u;
    return u > 0n && u < S;
  });
  await assert.rejects(circuit.witness(region("below", iLow, "0")), /assert_max_bit_size|bit size/i, "a clamped-low row treated as in range");
  await assert.rejects(circuit.witness(region("above", iMid, "1")), /assert_max_bit_size|bit size|below and above/i, "an in-range row clamped high");
  await assert.rejects(circuit.witness(region("below", iHigh, "1")), /assert_max_bit_size|bit size|below and above/i, "a high row clamped low");
  const q = (good.quotients as string[][]).map((r) => r.slice());
  q[0][iMid] = toField(logisticParts(rows[iMid], weights).q + 1n).toString();
  await assert.rejects(circuit.witness({ ...good, quotients: q }), /assert_max_bit_size|bit size/i, "quotient rounded up");
});

test("2 columns (one feature, the label) in logreg_chunk: the target is the last real column, slots 2 and 3 unused", async () => {
  const two = rows.map((r) => [r[0], r[3]]);
  const w2 = [S / 2n, -S / 8n];
  const d = commitChunks(two, 256, 2, new Uint8Array(32).fill(6), 4);
  const p = await circuit.prove(logregChunkInputs(d, 0, w2, 8n, 9n));
  const v = logregVector(groupRows(d, 0, 2), w2);
  const c = commit(circuitVector("logreg", v, 2, 4), 9n);
  assert.deepEqual(p.proof.publicInputs, [d.tree.root, 0n, 8n, 2n, weightsHash(w2, 4), c.x, c.y]);
});
