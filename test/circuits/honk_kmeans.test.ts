import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { JsonRpcProvider, Wallet } from "ethers";
import { commitChunks, type ChunkedDataset } from "../../protocol/src/honk/chunks.js";
import { commit } from "../../protocol/src/honk/pedersen.js";
import { centroidsHash, circuitVector, groupRows, kmeansChunkInputs, kmeansVector, nearest, type CircuitInputs } from "../../protocol/src/honk/stats.js";
import { HonkCircuit, solidityArgs, verifyWithContract, type HonkProof } from "../../node/src/zk/honk.js";
import { startHardhatNode, type HardhatNode } from "../helpers/hardhat.js";
import { deployHonkVerifier } from "../helpers/honk.js";
import type { KMeansChunkHonkVerifier } from "../../types/ethers-contracts/index.js";

// kmeans_chunk (one chunk of 256 rows × 4 columns, k = 4): the proven commitment equals the
// twin's; a row sent to a centroid that is not nearest, a two-hot row and other centroids have no proof.
const C = 4;
const S = 65536n;
const rows = Array.from({ length: 200 }, (_, i) => Array.from({ length: C }, (_, j) => (BigInt((i * 13 + j * 7) % 40) - 20n) * S + BigInt(i % 3)));
const centroids = [
  [-10n, -10n, -10n, -10n],
  [10n, 10n, 10n, 10n],
  [-10n, 10n, -10n, 10n],
  [10n, -10n, 10n, -10n],
].map((c) => c.map((x) => x * S));
const binding = 99n;
const blinding = 123n;
let ds: ChunkedDataset;
let circuit: HonkCircuit;
let proof: HonkProof;
let node: HardhatNode;
let provider: JsonRpcProvider;
let verifier: KMeansChunkHonkVerifier;

before(async () => {
  ds = commitChunks(rows, 256, C, new Uint8Array(32).fill(2));
  circuit = new HonkCircuit("kmeans_chunk");
  const [p, n] = await Promise.all([circuit.prove(kmeansChunkInputs(ds, 0, centroids, binding, blinding)), startHardhatNode()]);
  proof = p.proof;
  node = n;
  provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
  verifier = (await deployHonkVerifier(new Wallet(node.accounts[0], provider), "KMeansChunkHonkVerifier")) as unknown as KMeansChunkHonkVerifier;
});
after(async () => {
  provider?.destroy();
  await node?.stop();
});

test("a right witness proves the twin's commitment; the EVM verifier accepts it and nothing else", async () => {
  const v = kmeansVector(groupRows(ds, 0, 1), centroids, C);
  assert.equal(
    v.slice(0, 4).reduce((a, b) => a + b),
    200n,
  );
  assert.ok(
    v.slice(0, 4).every((c) => c > 0n),
    "every cluster gets rows",
  );
  const c = commit(v, blinding);
  const inputs = kmeansChunkInputs(ds, 0, centroids, binding, blinding);
  assert.deepEqual(proof.publicInputs, [ds.tree.root, 0n, binding, BigInt(C), BigInt(inputs.centroids_hash as string), c.x, c.y]);
  assert.equal(await verifier.verify(...solidityArgs(proof)), true);
  console.log(`kmeans_chunk: verify gas ${await verifier.verify.estimateGas(...solidityArgs(proof))}`);
  const swapped: HonkProof = { ...proof, publicInputs: proof.publicInputs.map((x, i) => (i === 4 ? x + 1n : x)) };
  assert.equal(await verifyWithContract(verifier, swapped), false, "other centroids");
});

test("wrong assignments and centroids have no proof", async () => {
  const good = kmeansChunkInputs(ds, 0, centroids, binding, blinding);
  const onehot = (good.onehot as string[][][]).map((c) => c.map((r) => r.slice()));
  const j = nearest(rows[5], centroids);
  onehot[0][5] = onehot[0][5].map((_, t) => (t === (j + 1) % 4 ? "1" : "0"));
  await assert.rejects(circuit.witness({ ...good, onehot }), /assert_max_bit_size|bit size/i, "a row sent to a centroid that is not nearest");
  const twoHot = (good.onehot as string[][][]).map((c) => c.map((r) => r.slice()));
  twoHot[0][6] = ["1", "1", "0", "0"];
  await assert.rejects(circuit.witness({ ...good, onehot: twoHot }), /exactly one centroid/, "two-hot row");
  const other: CircuitInputs = { ...good, centroids: (good.centroids as string[][]).map((r, i) => (i === 0 ? r.map(() => "0") : r)) };
  await assert.rejects(circuit.witness(other), /centroids_hash/, "centroids that are not the public ones");
});

test("9 columns in kmeans_chunk_w16: the twin's commitment over the padded layout; a centroid with a value in an unused column has no proof", async () => {
  const nine = rows.map((r, i) => [...r, ...Array.from({ length: 5 }, (_, j) => BigInt(((i * 13 + j * 7) % 41) - 20) * S)]);
  const cents = centroids.map((c, k) => [...c, ...Array.from({ length: 5 }, (_, j) => BigInt((k - 2) * 5 + j) * S)]);
  const d = commitChunks(nine, 64, 9, new Uint8Array(32).fill(2), 16);
  const w16 = new HonkCircuit("kmeans_chunk_w16");
  const inputs = kmeansChunkInputs(d, 2, cents, binding, blinding);
  const p = await w16.prove(inputs);
  const v = kmeansVector(groupRows(d, 2, 1), cents, 9);
  const c = commit(circuitVector("kmeans", v, 9, 16), blinding);
  assert.deepEqual(p.proof.publicInputs, [d.tree.root, 2n, binding, 9n, centroidsHash(cents, 16), c.x, c.y]);
  const bad = (inputs.centroids as string[][]).map((r) => r.slice());
  bad[1][12] = "1";
  await assert.rejects(w16.witness({ ...inputs, centroids: bad }), /unused column/, "a centroid coordinate past the columns");
});
