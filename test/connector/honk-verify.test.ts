import { before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { commitChunks } from "../../protocol/src/honk/chunks.js";
import { BN254_FR } from "../../protocol/src/honk/poseidon2.js";
import { statsChunkInputs } from "../../protocol/src/honk/stats.js";
import { HonkCircuit, type HonkProof } from "../../node/src/zk/honk.js";
import { honkVerifierBinary, verifyHonk } from "../../chain-connector/src/honkverify.js";

// Off-chain UltraHonk verification with the native bb whose [τ]G2 is the project's: one real
// stats_chunk proof (300 rows, one group) verifies; the same proof with any public input, a proof
// byte, or the circuit changed does not; malformed inputs are refused before bb runs.
const rows = Array.from({ length: 300 }, (_, i) => Array.from({ length: 4 }, (_, j) => BigInt(i * 3 - j * 100) * 65536n - BigInt(j)));
let proof: HonkProof;

before(async () => {
  const ds = commitChunks(rows, 256, 4, new Uint8Array(32).fill(3));
  proof = (await new HonkCircuit("stats_chunk").prove(statsChunkInputs(ds, 0, 0xabcdefn, 12345n))).proof;
});

test("a right proof verifies off-chain, with the patched bb made once", async () => {
  assert.equal(await verifyHonk("stats_chunk", proof, { expectedInputs: 6 }), true);
  const bin = honkVerifierBinary();
  assert.ok(existsSync(bin));
  assert.equal(honkVerifierBinary(), bin);
});

test("any changed public input is rejected (root, group, binding, columns, commitment)", async () => {
  for (const i of [0, 1, 2, 3, 4, 5]) {
    const publicInputs = proof.publicInputs.slice();
    publicInputs[i] = (publicInputs[i] + 1n) % BN254_FR;
    assert.equal(await verifyHonk("stats_chunk", { proof: proof.proof, publicInputs }), false, `public input ${i}`);
  }
});

test("a changed proof byte, or another circuit's key, is rejected", async () => {
  const bytes = proof.proof.slice();
  bytes[200] ^= 1;
  assert.equal(await verifyHonk("stats_chunk", { proof: bytes, publicInputs: proof.publicInputs }), false);
  assert.equal(await verifyHonk("linreg_chunk", proof), false);
});

test("malformed proofs are refused before bb runs; an unknown circuit throws with the fix", async () => {
  assert.equal(await verifyHonk("stats_chunk", { proof: new Uint8Array(0), publicInputs: proof.publicInputs }), false);
  assert.equal(await verifyHonk("stats_chunk", proof, { expectedInputs: 7 }), false);
  assert.equal(await verifyHonk("stats_chunk", { proof: proof.proof, publicInputs: [...proof.publicInputs.slice(0, 5), BN254_FR] }), false);
  assert.equal(await verifyHonk("stats_chunk", { proof: proof.proof, publicInputs: [] }), false);
  await assert.rejects(verifyHonk("no_such", proof), /no verification key for circuit "no_such".*circuits:build:honk/);
  await assert.rejects(verifyHonk("../x", proof), /not a circuit name/);
});
