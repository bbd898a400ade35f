import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { BaseContract, ContractFactory, Signer } from "ethers";
import { BUILD_DIR } from "../../circuits/sources.js";
import { SNARK_FIELD as P, roundBinding } from "../../protocol/src/binding.js";
import { commitDataset, poseidonHasher, type DatasetTree } from "../../protocol/src/commitment.js";
import { encodeRows } from "../../protocol/src/fixedpoint.js";
import { commitmentBits, extremaCommitment, statsContribution, statsVector } from "../../protocol/src/contributions.js";
import { verifyAggregate } from "../../protocol/src/pedersen.js";
import { releaseZk } from "../../chain-connector/src/zkverify.js";
import { startDevChain, type DevChain } from "../../chain-connector/src/ethereum/devchain.js";
import type { Groth16Proof } from "../../chain-connector/src/connector.js";
import { proveAll, proveContributionChunk, type ChunkContribution, type ContributionKind, type DatasetContribution } from "../../node/src/zk/contributions.js";
import { verifyOffChain } from "../../node/src/zk/prover.js";
import * as typechain from "../../types/ethers-contracts/index.js";

// One real proof per contribution circuit (≈15-20 CPU-s each at 2^16 constraints), checked by
// snarkjs and by its generated Solidity verifier on a Hardhat node.
type Verifier = BaseContract & {
  verifyProof: ((a: Groth16Proof["a"], b: Groth16Proof["b"], c: Groth16Proof["c"], s: string[]) => Promise<boolean>) & {
    estimateGas: (a: Groth16Proof["a"], b: Groth16Proof["b"], c: Groth16Proof["c"], s: string[]) => Promise<bigint>;
  };
};
type Factory = { new (signer: Signer): ContractFactory; bytecode: string };
const CONTRACT: Record<ContributionKind, string> = {
  stats: "StatsChunkVerifier",
  kmeans: "KMeansChunkVerifier",
  linreg: "LinRegChunkVerifier",
  logreg: "LogRegChunkVerifier",
};
function factory(kind: ContributionKind): Factory {
  const f = (typechain as unknown as Record<string, Factory | undefined>)[`${CONTRACT[kind]}__factory`];
  assert.ok(f, `types/ethers-contracts has no ${CONTRACT[kind]}__factory: run npx hardhat build`);
  return f;
}
const CIRCUIT: Record<ContributionKind, string> = { stats: "stats_chunk", kmeans: "kmeans_chunk", linreg: "linreg_chunk", logreg: "logreg_chunk" };

const raw = Array.from({ length: 40 }, (_, i) => [Math.sin(i) * 3, (i % 7) - 3, i / 10, (i * 13) % 5 > 2 ? 1 : 0]);
const rows = encodeRows(raw);
const binding = roundBinding({ taskId: 4, round: 2, member: "0x" + "44".repeat(20), commitment: "0x" + "66".repeat(32) });
const params = {
  centroids: encodeRows([
    [0, 0, 0, 0],
    [2, 2, 2, 1],
    [-2, -2, 1, 0],
    [0, 3, 3, 1],
  ]),
  weights: encodeRows([[0.5, -0.25, 1, 0.1]])[0],
};
let tree: DatasetTree;
let chain: DevChain;

const withSignal = (proof: Groth16Proof, i: number, v: bigint): Groth16Proof => ({ ...proof, publicSignals: proof.publicSignals.map((s, j) => (j === i ? v.toString() : s)) });

before(async () => {
  tree = await commitDataset(rows, new Uint8Array(32).fill(8));
  chain = await startDevChain();
});
after(async () => {
  await chain?.stop();
  await releaseZk();
});

for (const kind of ["stats", "kmeans", "linreg", "logreg"] as const) {
  describe(`${CIRCUIT[kind]}: a real proof`, () => {
    let p: ChunkContribution;
    let all: DatasetContribution | undefined;
    let verifier: Verifier;
    before(async () => {
      const vkey = JSON.parse(readFileSync(join(BUILD_DIR, CIRCUIT[kind], "vkey.json"), "utf8")) as { IC: string[][] };
      // The IC points are PUSH constants (PUSH31 when the top byte is 0): compare minimal even-length hex.
      const hex = (x: string) =>
        BigInt(x)
          .toString(16)
          .replace(/^(.(..)*)$/, "0$1");
      assert.ok(
        vkey.IC.flat().every((x) => factory(kind).bytecode.includes(hex(x))),
        `${CIRCUIT[kind]} verifier bytecode is older than contracts/verifiers: run npx hardhat build`,
      );
      // Chunk 1: rows 32..39 of 40 and padding (stats/kmeans, 32 rows per chunk), or chunk 0 (64 rows per chunk).
      if (kind === "stats") {
        // proveAll: every row of the 40-row dataset, ceil(40 / 32) = 2 proofs whose commitments
        // add up to the whole dataset's count, sums and sums of squares.
        all = await proveAll({ kind, tree, rows, binding });
        p = all.chunks[1];
      } else {
        p = await proveContributionChunk({ kind, tree, rows, chunkIndex: kind === "kmeans" ? 1 : 0, binding, params });
      }
      const deployed = await new (factory(kind))(chain.signer(0)).deploy();
      await deployed.waitForDeployment();
      verifier = deployed as unknown as Verifier;
    });

    test("signals: commitment (x, y), …, binding, root last; the commitment opens to the JS twin", async () => {
      const s = p.publicSignals;
      assert.equal(s.at(-1), tree.rootField.toString());
      assert.equal(s.at(-2), binding.toString());
      assert.deepEqual([BigInt(s[0]), BigInt(s[1])], [p.commitment.x, p.commitment.y]);
      const bits = commitmentBits(kind, Math.log2(kind === "stats" || kind === "kmeans" ? 32 : 64));
      assert.equal(verifyAggregate([p.commitment], p.vector, p.blinding, bits), true);
      if (kind === "stats") {
        const st = statsContribution(rows.slice(32));
        assert.equal(p.vector[0], 8n);
        assert.equal(BigInt(s[2]), extremaCommitment(await poseidonHasher(), st, p.extrema!.blinding));
        assert.equal(s[3], "1");
        assert.deepEqual(
          all!.chunks.map((c) => Number(c.publicSignals[3])),
          [0, 1],
          "every chunk proven once",
        );
        assert.deepEqual(all!.vector, statsVector(statsContribution(rows)));
        assert.equal(
          verifyAggregate(
            all!.chunks.map((c) => c.commitment),
            statsVector(statsContribution(rows)),
            all!.blinding,
            bits,
          ),
          true,
        );
      } else {
        assert.equal(BigInt(s[3]), p.paramsHash);
      }
    });

    test("verifies off-chain and on-chain; a changed signal does not", async (t) => {
      assert.equal(await verifyOffChain(CIRCUIT[kind], p.proof), true);
      assert.equal(await verifyOffChain(CIRCUIT[kind], withSignal(p.proof, 0, (p.commitment.x + 1n) % P)), false);
      const { a, b, c, publicSignals } = p.proof;
      assert.equal(await verifier.verifyProof(a, b, c, publicSignals), true);
      const gas = await verifier.verifyProof.estimateGas(a, b, c, publicSignals);
      t.diagnostic(`${CIRCUIT[kind]} verifyProof gas (transaction incl. 21,000 base): ${gas}`);
      for (const i of [1, publicSignals.length - 3, publicSignals.length - 2, publicSignals.length - 1]) {
        assert.equal(await verifier.verifyProof(a, b, c, withSignal(p.proof, i, (BigInt(publicSignals[i]) + 1n) % P).publicSignals), false, `signal ${i}`);
      }
    });
  });
}
