import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AbiCoder, JsonRpcProvider, Wallet } from "ethers";
import { BUILD_DIR } from "../../circuits/sources.js";
import { SNARK_FIELD as P, roundBinding } from "../../protocol/src/binding.js";
import { commitDataset, type DatasetTree } from "../../protocol/src/commitment.js";
import { decode, encodeRows } from "../../protocol/src/fixedpoint.js";
import { releaseZk } from "../../chain-connector/src/zkverify.js";
import type { Groth16Proof } from "../../chain-connector/src/connector.js";
import { proveChunkSum, toSolidityProofBytes, verifyOffChain, type ChunkSumProof } from "../../node/src/zk/prover.js";
import { startHardhatNode, type HardhatNode } from "../helpers/hardhat.js";
import { ChunkSumVerifier__factory, type ChunkSumVerifier } from "../../types/ethers-contracts/index.js";

// One real proof (a few seconds), checked by snarkjs and by the generated verifier on a Hardhat node.
const raw = Array.from({ length: 13 }, (_, i) => [i + 0.5, -2 * i, 3.25, (i * 7) % 5]);
const rows = encodeRows(raw);
const binding = roundBinding({ taskId: 1, round: 1, member: "0x" + "11".repeat(20), commitment: "0x" + "33".repeat(32) });
let tree: DatasetTree;
let p: ChunkSumProof;
let node: HardhatNode;
let provider: JsonRpcProvider;
let verifier: ChunkSumVerifier;

const withSignal = (proof: Groth16Proof, i: number, v: bigint): Groth16Proof => ({
  ...proof,
  publicSignals: proof.publicSignals.map((s, j) => (j === i ? v.toString() : s)),
});

before(async () => {
  // The TypeChain factory carries the bytecode compiled by `npm run build`; it must embed the
  // current verification key (its IC points are PUSH32 constants), or the test would run an old verifier.
  const vkey = JSON.parse(readFileSync(join(BUILD_DIR, "chunk_sum", "vkey.json"), "utf8")) as { IC: string[][] };
  const ic0 = BigInt(vkey.IC[0][0]).toString(16).padStart(64, "0");
  assert.ok(ChunkSumVerifier__factory.bytecode.includes(ic0), "ChunkSumVerifier bytecode is older than contracts/verifiers: run npm run build");
  tree = await commitDataset(rows, new Uint8Array(32).fill(9));
  [p, node] = await Promise.all([proveChunkSum({ tree, rows, chunkIndex: 1, binding }), startHardhatNode()]);
  provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
  const wallet = new Wallet(node.accounts[0], provider);
  verifier = await new ChunkSumVerifier__factory(wallet).deploy();
  await verifier.waitForDeployment();
});
after(async () => {
  provider?.destroy();
  await node?.stop();
  await releaseZk();
});

test("the proof states the chunk's sums, count, index, binding and root", () => {
  // Chunk 1 = rows 8..12 (5 rows), then 3 padding rows.
  const mine = raw.slice(8);
  assert.deepEqual(
    p.sums.map((s) => decode(s)),
    [0, 1, 2, 3].map((c) => mine.reduce((a, r) => a + r[c], 0)),
  );
  assert.equal(p.count, 5);
  assert.equal(p.chunkIndex, 1);
  assert.equal(p.publicSignals.length, 8);
  assert.equal(p.publicSignals[6], binding.toString());
  assert.equal(p.publicSignals[7], tree.rootField.toString());
  assert.deepEqual(p.proof.publicSignals, p.publicSignals);
});

test("verifies off-chain; any changed public signal or malformed proof does not", async () => {
  assert.equal(await verifyOffChain("chunk_sum", p.proof), true);
  for (const i of [0, 4, 5, 6, 7]) {
    assert.equal(await verifyOffChain("chunk_sum", withSignal(p.proof, i, (BigInt(p.publicSignals[i]) + 1n) % P)), false, `signal ${i}`);
  }
  assert.equal(await verifyOffChain("chunk_sum", { ...p.proof, publicSignals: p.publicSignals.slice(1) }), false);
  assert.equal(await verifyOffChain("chunk_sum", withSignal(p.proof, 0, P)), false);
  assert.equal(await verifyOffChain("chunk_sum", { ...p.proof, a: [p.proof.a[1], p.proof.a[0]] }), false);
  assert.equal(await verifyOffChain("chunk_sum", { ...p.proof, c: ["x", "1"] } as unknown as Groth16Proof), false);
});

test("verifies on-chain with the generated verifier; a tampered signal is rejected", async (t) => {
  const { a, b, c, publicSignals } = p.proof;
  assert.equal(await verifier.verifyProof(a, b, c, publicSignals), true);
  const gas = await verifier.verifyProof.estimateGas(a, b, c, publicSignals);
  t.diagnostic(`ChunkSumVerifier.verifyProof gas (transaction incl. 21,000 base): ${gas}`);
  assert.equal(await verifier.verifyProof(a, b, c, withSignal(p.proof, 6, binding + 1n).publicSignals), false);
  assert.equal(await verifier.verifyProof(a, b, c, withSignal(p.proof, 0, BigInt(publicSignals[0]) + 1n).publicSignals), false);
  // snarkjs' own b coordinate order is the wrong one for the EVM.
  const swapped: Groth16Proof["b"] = [
    [b[0][1], b[0][0]],
    [b[1][1], b[1][0]],
  ];
  assert.equal(await verifier.verifyProof(a, swapped, c, publicSignals), false);
});

test("toSolidityProofBytes is abi.encode(a, b, c) then the signals as words", async () => {
  const bytes = toSolidityProofBytes(p.proof);
  assert.equal(bytes.length, 2 + 2 * 32 * (8 + 8));
  const [a, b, c, s] = AbiCoder.defaultAbiCoder().decode(["uint256[2]", "uint256[2][2]", "uint256[2]", "uint256[8]"], bytes) as unknown as [
    [bigint, bigint],
    [[bigint, bigint], [bigint, bigint]],
    [bigint, bigint],
    bigint[],
  ];
  assert.equal(
    await verifier.verifyProof(
      [a[0], a[1]],
      [
        [b[0][0], b[0][1]],
        [b[1][0], b[1][1]],
      ],
      [c[0], c[1]],
      [...s],
    ),
    true,
  );
  assert.deepEqual([...s].map(String), p.publicSignals);
});
