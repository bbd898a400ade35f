import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { SNARK_FIELD as P } from "../../protocol/src/binding.js";
import { poseidonHasher, type Hasher } from "../../protocol/src/commitment.js";
import { floorDivPow2, hardSigmoid, paramsHash } from "../../protocol/src/contributions.js";
import { pedersenCommit, randomBlinding } from "../../protocol/src/pedersen.js";
import { releaseZk } from "../../chain-connector/src/zkverify.js";
import { calcWitness, compileWrapper, firstViolation, freeWires, harmfulFreeWires, loadR1cs, rejection, type Compiled, type R1cs } from "./harness.js";

// The templates of the federated contribution circuits, each in a small wrapper, against their JS
// twins (protocol/src/{pedersen,contributions}.ts); wrong witnesses must fail a constraint.
let H: Hasher;
before(async () => {
  H = await poseidonHasher();
});
after(releaseZk);

type T = { c: Compiled; r: R1cs };
async function setup(name: string, source: string): Promise<T> {
  const c = compileWrapper(name, `pragma circom 2.1.0;\n${source}\n`);
  return { c, r: await loadR1cs(c.r1cs) };
}
const f = (x: bigint) => (((x % P) + P) % P).toString();

async function sound(t: T, input: Record<string, unknown>, expectFree: number[] = []): Promise<bigint[]> {
  const w = await calcWitness(t.c.wasm, input);
  assert.equal(firstViolation(t.r, w), -1, "the right witness must satisfy every constraint");
  assert.deepEqual(freeWires(t.r, w), expectFree, "no wire may be free (under-constrained)");
  return w;
}
function tampered(t: T, w: bigint[], k: number): void {
  const bad = w.slice();
  bad[k] = (bad[k] + 1n) % P;
  assert.ok(firstViolation(t.r, bad) >= 0, `tampered wire ${k} must violate a constraint`);
}

describe("PedersenCommit(3, 60) equals protocol pedersenCommit", () => {
  let t: T;
  before(async () => {
    t = await setup("t_pedersen", `include "lib/pedersen.circom";\ncomponent main = PedersenCommit(3, 60);`);
  });
  test("signed values, random blinding; outputs cannot be tampered", async () => {
    for (const values of [
      [0n, 1n, P - 1n],
      [(1n << 59n) - 1n, P - (1n << 59n), 12345n],
    ]) {
      const r = randomBlinding();
      const w = await sound(t, { values: values.map(f), blinding: r.toString() });
      const js = pedersenCommit(values, r, 60);
      assert.deepEqual([w[1], w[2]], [js.x, js.y]);
      tampered(t, w, 1);
      tampered(t, w, 2);
    }
  });
  test("values outside 60 signed bits are rejected", async () => {
    assert.match(await rejection(t.c.wasm, { values: [f(1n << 59n), "0", "0"], blinding: "1" }), /Assert Failed.*Num2Bits/s);
    assert.match(await rejection(t.c.wasm, { values: ["0", f(-(1n << 59n) - 1n), "0"], blinding: "1" }), /Assert Failed.*Num2Bits/s);
  });
});

describe("MaskedMinMax(4, 10)", () => {
  let t: T;
  before(async () => {
    t = await setup("t_minmax", `include "lib/min_max.circom";\ncomponent main = MaskedMinMax(4, 10);`);
  });
  const values = [7n, -3n, 100n, 0n];
  const input = (mask: number[], min: bigint, max: bigint, vs = values) => ({ values: vs.map(f), mask: mask.map(String), min: f(min), max: f(max) });
  test("the real min and max pass; padding entries take no part", async () => {
    await sound(t, input([1, 1, 1, 1], -3n, 100n));
    // Padding values (wires 3, 4 here) are ignored by design: the caller (CommittedChunk) pins them to 0.
    await sound(t, input([1, 1, 0, 0], -3n, 7n, [7n, -3n, 0n, 0n]), [3, 4]);
    await sound(t, input([1, 0, 0, 0], 7n, 7n, [7n, 0n, 0n, 0n]), [2, 3, 4]);
  });
  test("a min below every value or above one, and a wrong max, are rejected", async () => {
    assert.match(await rejection(t.c.wasm, input([1, 1, 1, 1], -4n, 100n)), /Assert Failed.*MaskedMinMax/s, "min not attained");
    assert.match(await rejection(t.c.wasm, input([1, 1, 1, 1], -2n, 100n)), /Assert Failed.*Num2Bits/s, "min above a value");
    assert.match(await rejection(t.c.wasm, input([1, 1, 1, 1], -3n, 101n)), /Assert Failed.*MaskedMinMax/s, "max not attained");
    assert.match(await rejection(t.c.wasm, input([1, 1, 1, 1], -3n, 7n)), /Assert Failed.*Num2Bits/s, "max below a value");
    // The padding's zero may not serve as the min of [7]: min 0 is attained only by a padding slot.
    assert.match(await rejection(t.c.wasm, input([1, 0, 0, 0], 0n, 7n, [7n, 0n, 0n, 0n])), /Assert Failed.*MaskedMinMax/s);
    // No real entry: nothing can be the min.
    assert.match(await rejection(t.c.wasm, input([0, 0, 0, 0], 0n, 0n, [0n, 0n, 0n, 0n])), /Assert Failed.*MaskedMinMax/s);
  });
});

describe("NearestCentroid(3, 2, 20)", () => {
  let t: T;
  before(async () => {
    t = await setup("t_nearest", `include "lib/nearest.circom";\ncomponent main = NearestCentroid(3, 2, 20);`);
  });
  const centroids = [
    [0n, 0n],
    [10n, 10n],
    [-10n, 5n],
  ];
  const input = (x: bigint[], assign: number[], active = 1) => ({
    x: x.map(f),
    centroids: centroids.map((c) => c.map(f)),
    active: String(active),
    assign: assign.map(String),
  });
  test("the nearest centroid passes, ties may go to either; padding is all zero", async () => {
    await sound(t, input([9n, 8n], [0, 1, 0]));
    await sound(t, input([-7n, 4n], [0, 0, 1]));
    await sound(t, input([5n, 5n], [1, 0, 0])); // tie between 0 and 1
    await sound(t, input([5n, 5n], [0, 1, 0]));
    await sound(t, input([0n, 0n], [0, 0, 0], 0));
  });
  test("a non-nearest centroid, two ones, no one, or a non-boolean are rejected", async () => {
    assert.match(await rejection(t.c.wasm, input([9n, 8n], [1, 0, 0])), /Assert Failed.*Num2Bits/s);
    assert.match(await rejection(t.c.wasm, input([9n, 8n], [0, 0, 1])), /Assert Failed.*Num2Bits/s);
    assert.match(await rejection(t.c.wasm, input([9n, 8n], [0, 1, 1])), /Assert Failed.*NearestCentroid/s);
    assert.match(await rejection(t.c.wasm, input([9n, 8n], [0, 0, 0])), /Assert Failed.*NearestCentroid/s);
    assert.match(await rejection(t.c.wasm, { ...input([9n, 8n], [0, 0, 0]), assign: ["0", f(2n), f(-1n)] }), /Assert Failed.*NearestCentroid/s);
    assert.match(await rejection(t.c.wasm, input([0n, 0n], [1, 0, 0], 0)), /Assert Failed.*NearestCentroid/s, "padding assigned");
  });
});

describe("FloorDivPow2(4)", () => {
  let t: T;
  before(async () => {
    t = await setup("t_floordiv", `include "lib/floor_div.circom";\ncomponent main = FloorDivPow2(4);`);
  });
  test("floor division of signed values equals the JS twin", async () => {
    for (const x of [-37n, -32n, -1n, 0n, 15n, 16n, 1000n]) {
      const { q, rem } = floorDivPow2(x, 4);
      assert.equal(q * 16n + rem, x);
      assert.ok(rem >= 0n && rem < 16n);
      await sound(t, { in: f(x), q: f(q), rem: rem.toString() });
    }
  });
  test("a wrong rounding is rejected: remainder off by one, or out of [0, 16)", async () => {
    const { q, rem } = floorDivPow2(-37n, 4); // -3, 11
    assert.match(await rejection(t.c.wasm, { in: f(-37n), q: f(q), rem: (rem + 1n).toString() }), /Assert Failed.*FloorDivPow2/s);
    // Rounding toward zero (q = -2, rem = -5) or up (q = -3 + 1, rem = 11 - 16).
    assert.match(await rejection(t.c.wasm, { in: f(-37n), q: f(-2n), rem: f(-5n) }), /Assert Failed.*Num2Bits/s);
    assert.match(await rejection(t.c.wasm, { in: f(-37n), q: f(q - 1n), rem: (rem + 16n).toString() }), /Assert Failed.*Num2Bits/s);
  });
});

describe("HardSigmoid(16, 40)", () => {
  let t: T;
  before(async () => {
    t = await setup("t_sigmoid", `include "lib/hard_sigmoid.circom";\ncomponent main = HardSigmoid(16, 40);`);
  });
  test("clamp(u, 0, 2^16) on both sides of each bend", async () => {
    for (const u of [-(1n << 39n), -65536n, -1n, 0n, 1n, 32768n, 65535n, 65536n, 65537n, 1n << 20n, (1n << 39n) - 1n]) {
      const w = await calcWitness(t.c.wasm, { u: f(u) });
      assert.equal(firstViolation(t.r, w), -1);
      assert.deepEqual(harmfulFreeWires(t.r, w, t.c.sym), [], `u = ${u}`);
      assert.equal(w[1], hardSigmoid(u), `u = ${u}`);
      tampered(t, w, 1);
    }
  });
  test("|u| ≥ 2^39 is rejected (that bound is what makes a quotient unique)", async () => {
    assert.match(await rejection(t.c.wasm, { u: f(1n << 39n) }), /Assert Failed.*Num2Bits/s);
    assert.match(await rejection(t.c.wasm, { u: f(-(1n << 39n) - 1n) }), /Assert Failed.*Num2Bits/s);
  });
});

test("ParamsHash(6) equals protocol paramsHash", async () => {
  const t = await setup("t_params", `include "lib/params_hash.circom";\ncomponent main = ParamsHash(6);`);
  const params = [1n, P - 2n, 3n, 4n, 5n, 6n];
  const w = await sound(t, { params: params.map(f) });
  assert.equal(w[1], paramsHash(H, params));
  tampered(t, w, 1);
});
