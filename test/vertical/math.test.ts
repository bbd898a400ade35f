import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { gcd, modInv, modPow, multiExp, FixedBase } from "../../node/src/crypto/bigmath.js";
import { pack, unpack, encodeStd, encodeTheta, slotsPerPlaintext, standardize, SLOT_BITS } from "../../node/src/vertical/encoding.js";
import { alignIds } from "../../node/src/vertical/align.js";

const rnd = (bits: number) => BigInt("0x" + randomBytes(bits / 8).toString("hex"));
function naivePow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b %= m;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}

test("modPow, multiExp, FixedBase and modInv agree with schoolbook arithmetic", () => {
  const m = rnd(512) | 1n;
  for (let k = 0; k < 10; k++) {
    const b = rnd(512);
    const e = rnd(8 * (1 + 6 * k));
    assert.equal(modPow(b, e, m), naivePow(b, e, m));
  }
  const bases = Array.from({ length: 200 }, () => rnd(512) % m);
  const exps = bases.map((_, i) => (i % 5 === 0 ? 0n : rnd(64) >> BigInt(i % 60)));
  let ref = 1n;
  bases.forEach((b, i) => (ref = (ref * naivePow(b, exps[i], m)) % m));
  assert.equal(multiExp(bases, exps, m), ref);
  assert.throws(
    () =>
      multiExp(
        bases,
        exps.map((e) => -e - 1n),
        m,
      ),
    /non-negative/,
  );
  const fb = new FixedBase(bases[1], m, 256, 5);
  const e = rnd(256);
  assert.equal(fb.pow(e), naivePow(bases[1], e, m));
  // m is a random odd number, not a prime: invert a base that shares no factor with it.
  const unit = bases.find((b) => gcd(b, m) === 1n)!;
  assert.equal((modInv(unit, m) * unit) % m, 1n);
  const shared = (m / 3n) * 3n === m ? 3n : m;
  assert.throws(() => modInv(shared, m), /not invertible/);
});

test("signed values pack into one plaintext and come back, and an overflowing slot is detected", () => {
  const n = rnd(1024) | 1n;
  const s = slotsPerPlaintext(1024);
  assert.equal(s, Math.floor(1022 / SLOT_BITS));
  const vals = [5n, -7n, 0n, (1n << 170n) - 3n, -(1n << 170n)].slice(0, s);
  assert.deepEqual(unpack(pack(vals, n), vals.length, n), vals);
  // Linear: 3·pack(a) − pack(b) = pack(3a − b) mod N.
  const b = vals.map((v, i) => v / 7n + BigInt(i));
  assert.deepEqual(
    unpack((3n * pack(vals, n) - pack(b, n) + 4n * n) % n, vals.length, n),
    vals.map((v, i) => 3n * v - b[i]),
  );
  assert.throws(() => unpack(pack([1n, 2n, 3n], n), 2, n), /more data than the expected slots/);
  assert.throws(() => slotsPerPlaintext(128), /too small/);
});

test("fixed-point encoding refuses non-finite and out-of-range values", () => {
  assert.equal(encodeStd(1, "x"), 1n << 24n);
  assert.equal(encodeTheta(-0.5, "t"), -(1n << 23n));
  assert.throws(() => encodeStd(NaN, "col[3]"), /col\[3\]: NaN is not a finite number/);
  assert.throws(() => encodeStd(200, "col[4]"), /col\[4\]: \|200\| ≥ 2\^7/);
  assert.throws(() => encodeTheta(1e6, "theta"), /diverging learning rate/);
  assert.throws(() => standardize([3, 3, 3], "c"), /constant column/);
  const st = standardize([1, 2, 3, 4], "c");
  assert.equal(st.mean, 2.5);
  assert.ok(Math.abs(st.values.reduce((a, v) => a + v * v, 0) / 4 - 1) < 1e-12);
});

test("alignment: common sorted order; missing, duplicate ids and row-count mismatches are named", () => {
  const a = alignIds({ y: ["b", "a", "c"], x1: ["c", "b", "a"] });
  assert.deepEqual(a.order, ["a", "b", "c"]);
  assert.deepEqual(a.rows.y, [1, 0, 2]);
  assert.deepEqual(a.rows.x1, [2, 1, 0]);
  assert.deepEqual(alignIds({ y: [3, 1, 2], x: ["1", "2", "3"] }).rows.y, [1, 2, 0]);
  assert.throws(() => alignIds({ y: ["a", "b"], x1: ["a", "c"] }), /id "b" of y is missing at x1/);
  assert.throws(() => alignIds({ y: ["a", "b", "a"], x1: ["a", "b", "c"] }), /ids of y: duplicate id "a" \(row 2\)/);
  assert.throws(() => alignIds({ y: ["a", "b"], x1: ["a", "b", "c"] }), /x1 has 3 rows but y has 2/);
  assert.throws(() => alignIds({ y: ["a"] }), /at least 2 parties/);
});

test("sealed tables open for their addressees only, bound to their name; pairwise masks agree and are near-uniform mod N", async () => {
  const { newSealSecret, sealKeyTable, pairSecret, sealTable, openSealedTable, maskMod, readSealed } = await import("../../node/src/vertical/seal.js");
  const { TableStore } = await import("../../node/src/vertical/tables.js");
  const { x25519 } = await import("@noble/curves/ed25519.js");
  const [a, b, c] = [newSealSecret(), newSealSecret(), newSealSecret()];
  const pub = (s: Uint8Array) => x25519.getPublicKey(s);
  assert.equal(sealKeyTable(a).type, "x25519-pk");
  const inner = { type: "masked" as const, key: "y", values: ["0x1234"] };
  const sealed = sealTable("grad/0/x1", inner, "y", [
    { party: "x1", shared: pairSecret(a, pub(b)) },
    { party: "x2", shared: pairSecret(a, pub(c)) },
  ]);
  assert.ok(!JSON.stringify(sealed).includes("1234"));
  assert.deepEqual(openSealedTable("grad/0/x1", sealed, "x1", pairSecret(b, pub(a))).payload, inner);
  assert.deepEqual(openSealedTable("grad/0/x1", sealed, "x2", pairSecret(c, pub(a))).payload, inner);
  assert.throws(() => openSealedTable("grad/0/x1", sealed, "x3", pairSecret(c, pub(a))), /sealed to x1, x2, not to x3/);
  // x2 cannot open x1's entry, a table moved under another name does not open, nor an altered one.
  assert.throws(() => openSealedTable("grad/0/x1", sealed, "x1", pairSecret(c, pub(a))), /does not open for x1/);
  assert.throws(() => openSealedTable("grad/1/x1", sealed, "x1", pairSecret(b, pub(a))), /does not open/);
  const altered = { ...sealed, data: Buffer.from(Buffer.from((sealed as { data: string }).data, "base64").map((x, i) => (i === 3 ? x ^ 1 : x))).toString("base64") };
  assert.throws(() => openSealedTable("grad/0/x1", altered, "x1", pairSecret(b, pub(a))), /does not open/);
  // Reading through a store notes what the reader saw inside.
  const store = new TableStore();
  store.write("grad/0/x1", "y", sealed);
  readSealed(store, "grad/0/x1", "x1", pairSecret(b, pub(a)));
  assert.deepEqual(
    store.transcript.map((d) => [d.reader, d.type, d.to]),
    [["x1", "sealed", ["x1", "x2"]]],
  );
  assert.deepEqual(
    store.events.map((e) => e.kind === "opened" && [e.reader, e.type, e.key]),
    [["x1", "masked", "y"]],
  );
  // Masks: both ends derive the same value; distinct names give unrelated values spread over [0, N).
  const n = rnd(1024) | 1n;
  assert.equal(maskMod(pairSecret(a, pub(b)), "term/0/x1->x2/0", n), maskMod(pairSecret(b, pub(a)), "term/0/x1->x2/0", n));
  const ms = Array.from({ length: 64 }, (_, i) => maskMod(pairSecret(a, pub(b)), `term/${i}/x1->x2/0`, n));
  assert.equal(new Set(ms).size, 64);
  assert.ok(ms.every((m) => m >= 0n && m < n));
  assert.ok(ms.filter((m) => m > n / 2n).length > 16 && ms.filter((m) => m < n / 2n).length > 16);
});
