import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { JsonRpcProvider, Wallet } from "ethers";
import { commitChunks, toField, type ChunkedDataset } from "../../protocol/src/honk/chunks.js";
import { BN254_FR, poseidon2Hash } from "../../protocol/src/honk/poseidon2.js";
import { GRADIENT_COMMIT_BITS, commit, verifyAggregate } from "../../protocol/src/honk/pedersen.js";
import { circuitVector, circuitWeights, groupRows, linregChunkInputs, linregVector, weightsHash } from "../../protocol/src/honk/stats.js";
import { HonkCircuit, solidityArgs, verifyWithContract, type HonkProof } from "../../node/src/zk/honk.js";
import { startHardhatNode, type HardhatNode } from "../helpers/hardhat.js";
import { deployHonkVerifier } from "../helpers/honk.js";
import type { LinRegChunkHonkVerifier } from "../../types/ethers-contracts/index.js";

// linreg_chunk (2 chunks of 256 rows, 3 features + target): the proven commitment equals the
// twin's (negative weights, residuals and a partial group included); a wrong quotient hint and
// weights other than the hashed ones have no proof.
const S = 65536n;
const rows = Array.from({ length: 400 }, (_, i) => {
  const x = [BigInt((i % 17) - 8) * S + 3n, BigInt((i * 7) % 23) * S - 5n, -BigInt(i % 5) * S];
  return [...x, 2n * x[0] - x[1] + 7n * S + BigInt(i % 11)];
});
const weights = [2n * S - 1000n, -S + 17n, 3n, 6n * S + 12345n];
const binding = 5n;
const blinding = 77n;
let ds: ChunkedDataset;
let circuit: HonkCircuit;
let proof: HonkProof;
let node: HardhatNode;
let provider: JsonRpcProvider;
let verifier: LinRegChunkHonkVerifier;

before(async () => {
  ds = commitChunks(rows, 256, 4, new Uint8Array(32).fill(4));
  circuit = new HonkCircuit("linreg_chunk");
  const [p, n] = await Promise.all([circuit.prove(linregChunkInputs(ds, 0, weights, binding, blinding)), startHardhatNode()]);
  proof = p.proof;
  node = n;
  provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
  verifier = (await deployHonkVerifier(new Wallet(node.accounts[0], provider), "LinRegChunkHonkVerifier")) as unknown as LinRegChunkHonkVerifier;
});
after(async () => {
  provider?.destroy();
  await node?.stop();
});

test("a right witness proves the twin's gradient commitment; the EVM verifier accepts it and nothing else", async () => {
  const v = linregVector(groupRows(ds, 0, 2), weights);
  assert.equal(v[0], 400n);
  assert.ok(
    v.some((x) => x < 0n),
    "some negative gradient entries",
  );
  const c = commit(v, blinding, GRADIENT_COMMIT_BITS);
  const inputs = linregChunkInputs(ds, 0, weights, binding, blinding);
  assert.deepEqual(proof.publicInputs, [ds.tree.root, 0n, binding, 4n, BigInt(inputs.weights_hash as string), c.x, c.y]);
  assert.ok(verifyAggregate([c], v, blinding, GRADIENT_COMMIT_BITS));
  assert.equal(await verifier.verify(...solidityArgs(proof)), true);
  console.log(`linreg_chunk: verify gas ${await verifier.verify.estimateGas(...solidityArgs(proof))}`);
  const swapped: HonkProof = { ...proof, publicInputs: proof.publicInputs.map((x, i) => (i === 4 ? x + 1n : x)) };
  assert.equal(await verifyWithContract(verifier, swapped), false, "other weights");
});

test("a wrong quotient hint and other weights have no proof", async () => {
  const good = linregChunkInputs(ds, 0, weights, binding, blinding);
  const q = (good.quotients as string[][]).map((r) => r.slice());
  const q0 = BigInt(q[0][9]) < BN254_FR / 2n ? BigInt(q[0][9]) : BigInt(q[0][9]) - BN254_FR;
  q[0][9] = toField(q0 + 1n).toString();
  await assert.rejects(circuit.witness({ ...good, quotients: q }), /assert_max_bit_size|bit size/i, "prediction rounded up");
  const w = (good.weights as string[]).slice();
  w[0] = toField(weights[0] + 1n).toString();
  await assert.rejects(circuit.witness({ ...good, weights: w }), /weights_hash/, "weights that are not the public ones");
});

test("7 columns (6 features, target last) in linreg_chunk_w16; a weight past the features has no proof", async () => {
  const seven = rows.map((r, i) => [r[0], r[1], r[2], BigInt((i % 9) - 4) * S, BigInt((i % 5) - 2) * S, BigInt(i % 3) * S, r[3]]);
  const w7 = [weights[0], weights[1], weights[2], 5n * S, -3n * S, S / 2n, weights[3]];
  const d = commitChunks(seven, 64, 7, new Uint8Array(32).fill(4), 16);
  const w16 = new HonkCircuit("linreg_chunk_w16");
  const inputs = linregChunkInputs(d, 1, w7, binding, blinding, 2);
  const p = await w16.prove(inputs);
  const v = linregVector(groupRows(d, 1, 2), w7);
  assert.equal(v.length, 8);
  const c = commit(circuitVector("linreg", v, 7, 16), blinding, GRADIENT_COMMIT_BITS);
  assert.deepEqual(p.proof.publicInputs, [d.tree.root, 1n, binding, 7n, weightsHash(w7, 16), c.x, c.y]);
  // A nonzero weight on the target's slot (6) or past it, hashed consistently: refused.
  const cw = circuitWeights(w7, 16);
  cw[6] = 1n;
  const ws = { ...inputs, weights: cw.map((x) => toField(x).toString()), weights_hash: poseidon2Hash(cw.map(toField)).toString() };
  await assert.rejects(w16.witness(ws), /weight past the features must be 0/);
});
