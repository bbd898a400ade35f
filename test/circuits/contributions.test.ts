import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { SNARK_FIELD as P } from "../../protocol/src/binding.js";
import { commitDataset, poseidonHasher, type DatasetTree, type Hasher } from "../../protocol/src/commitment.js";
import { encode, encodeRows } from "../../protocol/src/fixedpoint.js";
import {
  commitmentBits,
  extremaCommitment,
  gradientContribution,
  gradientVector,
  kmeansContribution,
  kmeansVector,
  paramsHash,
  statsContribution,
  statsVector,
} from "../../protocol/src/contributions.js";
import { addBlindings, pedersenCommit, randomBlinding, verifyAggregate, type Commitment } from "../../protocol/src/pedersen.js";
import { releaseZk } from "../../chain-connector/src/zkverify.js";
import { gradientChunkInput, kmeansChunkInput, statsChunkInput, type ChunkShape } from "../../node/src/zk/inputs.js";
import { calcWitness, compileWrapper, firstViolation, harmfulFreeWires, loadR1cs, rejection, type Compiled, type R1cs } from "./harness.js";

// The contribution circuits' templates at 4 rows per chunk (the built circuits use 32 or 64; same
// templates, same tree depth 20), witnessed from the node's input builders and checked against
// their R1CS: right witnesses pass and equal the JS twins, wrong ones fail a constraint.
const r = 2;
const SHAPE: ChunkShape = { chunkRows: 1 << r, columns: 4, treeDepth: 20 };
type T = { c: Compiled; r: R1cs };
type Input = Record<string, unknown> & { values: string[][]; mask: string[]; siblings: string[] };

let H: Hasher;
const seed = new Uint8Array(32).fill(3);
const raw = [
  [1.5, -2, 3, 0.25],
  [-0.5, 4, 1, 1],
  [2, 2, -3, 0],
  [0, -1.25, 5, 1],
  [3, 0.5, 0, 0],
  [-2, 1, 1, 1],
  [1, 1, 1, 1],
];
const rows = encodeRows(raw);
let tree: DatasetTree;
const binding = 987654321n;

async function setup(name: string, main: string, file: string): Promise<T> {
  const c = compileWrapper(name, `pragma circom 2.1.0;\ninclude "lib/${file}.circom";\ncomponent main = ${main};\n`);
  return { c, r: await loadR1cs(c.r1cs) };
}
const f = (x: bigint) => (((x % P) + P) % P).toString();
const chunkRows = (k: number) => rows.slice(k * SHAPE.chunkRows, (k + 1) * SHAPE.chunkRows);

async function right(t: T, input: Record<string, unknown>): Promise<bigint[]> {
  const w = await calcWitness(t.c.wasm, input);
  assert.equal(firstViolation(t.r, w), -1, "the right witness must satisfy every constraint");
  return w;
}
function outputTampered(t: T, w: bigint[], k: number): void {
  const bad = w.slice();
  bad[k] = (bad[k] + 1n) % P;
  assert.ok(firstViolation(t.r, bad) >= 0, `a tampered output (wire ${k}) must violate a constraint`);
}
/** Rejections shared by every contribution circuit: the committed-rows checks. */
async function committedRowsChecks(t: T, full: Input, partial: Input): Promise<void> {
  assert.match(await rejection(t.c.wasm, { ...full, mask: ["1", "0", "1", "1"] }), /Assert Failed.*PrefixMask/s, "non-prefix mask");
  const padded = structuredClone(partial);
  padded.values[3][0] = "5";
  assert.match(await rejection(t.c.wasm, padded), /Assert Failed.*CommittedChunk/s, "padding row with a value");
  const dropped = { ...partial, mask: ["1", "1", "0", "0"] };
  assert.match(await rejection(t.c.wasm, dropped), /Assert Failed.*CommittedChunk/s, "a real row hidden as padding");
  const path = structuredClone(full);
  path.siblings[0] = f(BigInt(path.siblings[0]) + 1n);
  assert.match(await rejection(t.c.wasm, path), /Assert Failed.*CommittedChunk/s, "wrong Merkle path");
  const value = structuredClone(full);
  value.values[1][2] = f(BigInt(value.values[1][2]) + 1n);
  assert.match(await rejection(t.c.wasm, value), /Assert Failed.*CommittedChunk/s, "a row that is not the committed one");
}

before(async () => {
  H = await poseidonHasher();
  tree = await commitDataset(rows, seed);
});
after(releaseZk);

describe("stats_chunk template (StatsChunk, 4 rows)", () => {
  let t: T;
  const blind = [randomBlinding(), randomBlinding()];
  const eb = 55555n;
  const input = (k: number) => statsChunkInput({ tree, rows, chunkIndex: k, binding, blinding: blind[k], extremaBlinding: eb, shape: SHAPE }) as Input;
  before(async () => {
    t = await setup("t_stats_chunk", `StatsChunk(${r}, 4, 20, 49)`, "stats_chunk");
  });

  test("outputs equal the JS twin (full chunk and 3 rows + padding); no signal is free; outputs cannot be tampered", async () => {
    for (const k of [0, 1]) {
      const w = await right(t, input(k));
      const s = statsContribution(chunkRows(k));
      const c = pedersenCommit(statsVector(s), blind[k], commitmentBits("stats", r));
      assert.deepEqual([w[1], w[2]], [c.x, c.y], "commitment");
      assert.equal(w[3], extremaCommitment(H, s, eb), "extrema");
      assert.equal(w[4], BigInt(k), "chunkIndex");
      for (const o of [1, 2, 3, 4]) outputTampered(t, w, o);
      if (k === 1) assert.deepEqual(harmfulFreeWires(t.r, w, t.c.sym), []);
    }
  });

  test("the chunks' commitments add up to the whole dataset's count, sums and sums of squares", () => {
    const cs: Commitment[] = [0, 1].map((k) => pedersenCommit(statsVector(statsContribution(chunkRows(k))), blind[k], commitmentBits("stats", r)));
    const all = statsVector(statsContribution(rows));
    assert.equal(all[0], 7n);
    assert.equal(verifyAggregate(cs, all, addBlindings(blind), commitmentBits("stats", r)), true);
    assert.equal(verifyAggregate(cs, [all[0], all[1] + 1n, ...all.slice(2)], addBlindings(blind), commitmentBits("stats", r)), false);
  });

  test("a wrong min or max is rejected", async () => {
    const good = input(0);
    const min = good.min as string[];
    const max = good.max as string[];
    assert.equal(BigInt(min[0]), encode(-0.5));
    const lower = [f(BigInt(min[0]) - 1n), ...min.slice(1)];
    assert.match(await rejection(t.c.wasm, { ...good, min: lower }), /Assert Failed.*MaskedMinMax/s, "min not attained");
    assert.match(await rejection(t.c.wasm, { ...good, min: [good.values[0][0], ...min.slice(1)] }), /Assert Failed.*Num2Bits/s, "min above a value");
    assert.match(await rejection(t.c.wasm, { ...good, max: [...max.slice(0, 3), f(BigInt(max[3]) + 1n)] }), /Assert Failed.*MaskedMinMax/s, "max not attained");
    // Column 1 of chunk 1 is [0.5, 1, 1] + a padding 0: that 0 may not be its min.
    const p = input(1);
    const pm = p.min as string[];
    assert.match(await rejection(t.c.wasm, { ...p, min: [pm[0], "0", ...pm.slice(2)] }), /Assert Failed.*MaskedMinMax/s, "padding 0 as min");
  });

  test("committed-rows checks: mask, padding, hidden rows, path, values", async () => {
    await committedRowsChecks(t, input(0), input(1));
  });
});

describe("kmeans_chunk template (KMeansChunk, 4 rows, k = 3)", () => {
  let t: T;
  const centroids = encodeRows([
    [0, 0, 0, 0],
    [2, 2, 2, 1],
    [-1, 2, 1, 1],
  ]);
  const blind = [randomBlinding(), randomBlinding()];
  const input = (k: number) =>
    kmeansChunkInput({ tree, rows, chunkIndex: k, binding, blinding: blind[k], centroids, centroidsHash: paramsHash(H, centroids.flat()), clusters: 3, shape: SHAPE }) as Input;
  before(async () => {
    t = await setup("t_kmeans_chunk", `KMeansChunk(${r}, 4, 20, 49, 3)`, "kmeans_chunk");
  });

  test("outputs equal the JS twin; the chunks add up to the dataset's cluster counts and sums", async () => {
    const cs: Commitment[] = [];
    for (const k of [0, 1]) {
      const w = await right(t, input(k));
      const c = pedersenCommit(kmeansVector(kmeansContribution(chunkRows(k), centroids)), blind[k], commitmentBits("kmeans", r));
      assert.deepEqual([w[1], w[2]], [c.x, c.y]);
      assert.equal(w[3], BigInt(k));
      for (const o of [1, 2, 3]) outputTampered(t, w, o);
      if (k === 0) assert.deepEqual(harmfulFreeWires(t.r, w, t.c.sym), []);
      cs.push(c);
    }
    const all = kmeansContribution(rows, centroids);
    assert.ok(new Set(all.assign).size === 3, "the data uses every cluster");
    assert.equal(verifyAggregate(cs, kmeansVector(all), addBlindings(blind), commitmentBits("kmeans", r)), true);
  });

  test("a row assigned to a non-nearest centroid, or centroids that do not match the public hash, are rejected", async () => {
    const good = input(0);
    const assign = good.assign as string[][];
    const j = assign[0].indexOf("1");
    const wrong = assign.map((a, i) => (i === 0 ? a.map((_, x) => (x === (j + 1) % 3 ? "1" : "0")) : a));
    assert.match(await rejection(t.c.wasm, { ...good, assign: wrong }), /Assert Failed.*Num2Bits/s);
    const moved = (good.centroids as string[][]).map((c, i) => (i === 0 ? [f(1n), ...c.slice(1)] : c));
    assert.match(await rejection(t.c.wasm, { ...good, centroids: moved }), /Assert Failed.*KMeansChunk/s);
    await committedRowsChecks(t, good, input(1));
  });
});

for (const logistic of [false, true]) {
  const name = logistic ? "logreg" : "linreg";
  describe(`${name}_chunk template (GradientChunk, 4 rows)`, () => {
    let t: T;
    // Large enough weights that some logistic rows saturate at 0 or 1.
    const weights = encodeRows([[1.5, -2, 0.75, 0.5]])[0];
    const data = encodeRows(raw.map((x) => [x[0], x[1], x[2], logistic ? (x[0] + x[1] > 0 ? 1 : 0) : x[0] - x[2]]));
    let dtree: DatasetTree;
    const blind = [randomBlinding(), randomBlinding()];
    const input = (k: number) =>
      gradientChunkInput({
        circuit: `${name}_chunk`,
        logistic,
        tree: dtree,
        rows: data,
        chunkIndex: k,
        binding,
        blinding: blind[k],
        weights,
        weightsHash: paramsHash(H, weights),
        shape: SHAPE,
      }) as Input;
    before(async () => {
      dtree = await commitDataset(data, seed);
      t = await setup(`t_${name}_chunk`, `GradientChunk(${r}, 4, 20, 49, ${logistic ? 1 : 0})`, "gradient_chunk");
    });

    test("outputs equal the JS twin; the chunks add up to the dataset's gradient", async () => {
      const cs: Commitment[] = [];
      for (const k of [0, 1]) {
        const w = await right(t, input(k));
        const g = gradientContribution(data.slice(k * 4, k * 4 + 4), weights, logistic);
        const c = pedersenCommit(gradientVector(g), blind[k], commitmentBits(name, r));
        assert.deepEqual([w[1], w[2]], [c.x, c.y]);
        assert.equal(w[3], BigInt(k));
        for (const o of [1, 2, 3]) outputTampered(t, w, o);
        if (k === 1) assert.deepEqual(harmfulFreeWires(t.r, w, t.c.sym), []);
        cs.push(c);
      }
      const all = gradientContribution(data, weights, logistic);
      if (logistic) {
        const preds = all.predictions;
        assert.ok(preds.includes(0n) || preds.includes(65536n), "some row saturates the hard sigmoid");
        assert.ok(
          preds.some((p) => p > 0n && p < 65536n),
          "some row is on the linear part",
        );
      }
      assert.equal(verifyAggregate(cs, gradientVector(all), addBlindings(blind), commitmentBits(name, r)), true);
      const wrong = gradientVector(all);
      wrong[1] += 1n;
      assert.equal(verifyAggregate(cs, wrong, addBlindings(blind), commitmentBits(name, r)), false, "a wrong gradient does not open");
    });

    test("a wrong rounding (remainder off by one, or shifted by the scale) and weights not matching the hash are rejected", async () => {
      const good = input(0);
      const q = good.quotient as string[];
      const rem = good.remainder as string[];
      const shift = BigInt(logistic ? 18 : 16);
      assert.match(await rejection(t.c.wasm, { ...good, remainder: [f(BigInt(rem[0]) + 1n), ...rem.slice(1)] }), /Assert Failed.*FloorDivPow2/s);
      assert.match(
        await rejection(t.c.wasm, { ...good, quotient: [f(BigInt(q[0]) - 1n), ...q.slice(1)], remainder: [f(BigInt(rem[0]) + (1n << shift)), ...rem.slice(1)] }),
        /Assert Failed.*Num2Bits/s,
      );
      assert.match(
        await rejection(t.c.wasm, { ...good, quotient: [f(BigInt(q[0]) + 1n), ...q.slice(1)], remainder: [f(BigInt(rem[0]) - (1n << shift)), ...rem.slice(1)] }),
        /Assert Failed.*Num2Bits/s,
      );
      const w2 = (good.weights as string[]).map((w, i) => (i === 0 ? f(BigInt(w) + 1n) : w));
      assert.match(await rejection(t.c.wasm, { ...good, weights: w2 }), /Assert Failed.*GradientChunk/s);
      await committedRowsChecks(t, good, input(1));
    });
  });
}
