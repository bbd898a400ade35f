import { test } from "node:test";
import assert from "node:assert/strict";
import { SNARK_FIELD } from "../../protocol/src/binding.js";
import {
  encode,
  decode,
  toField,
  fromField,
  encodeRows,
  decodeRows,
  FRAC_BITS,
  MAX_ABS,
  MAX_REAL,
  SCALE,
  CIRCUIT_FIXED,
  VECTOR_FIXED,
  VLINREG_FEATURE_FIXED,
  VLINREG_THETA_FIXED,
  VLINREG_LABEL_FIXED,
  fixedPoint,
} from "../../protocol/src/fixedpoint.js";

test("values round-trip at 2^-16 resolution, negatives as p - |x|", () => {
  for (const v of [0, 1, -1, 0.5, -0.25, 3.14159, -2.71828, 1e6, -123456.789, 4294967295.99]) {
    const f = encode(v);
    assert.ok(f >= 0n && f < SNARK_FIELD);
    assert.ok(Math.abs(decode(f) - v) <= 2 ** -17, `${v} → ${decode(f)}`);
  }
  assert.equal(encode(1), SCALE);
  assert.equal(encode(-1), SNARK_FIELD - SCALE);
  assert.equal(encode(-0), 0n);
  assert.equal(decode(SNARK_FIELD - 1n), -(2 ** -FRAC_BITS));
});

test("sums of encodings decode to the sum, products at scale 2^32", () => {
  const xs = [1.5, -2.25, 10, -0.125];
  const s = xs.map((x) => encode(x)).reduce((a, b) => (a + b) % SNARK_FIELD, 0n);
  assert.equal(decode(s), 9.125);
  const prod = (encode(-1.5) * encode(2)) % SNARK_FIELD;
  assert.equal(decode(prod, 2 * FRAC_BITS), -3);
});

test("range checks: |scaled| < 2^48 is enforced with the bound in the message", () => {
  assert.equal(toField(MAX_ABS - 1n), MAX_ABS - 1n);
  assert.equal(toField(-(MAX_ABS - 1n)), SNARK_FIELD - MAX_ABS + 1n);
  assert.throws(() => toField(MAX_ABS, { column: "age", row: 3 }), /column "age", row 3 .*2\^48/);
  assert.throws(() => toField(-MAX_ABS), /2\^48/);
  assert.throws(() => encode(MAX_REAL), /out of range/);
  assert.throws(() => encode(-MAX_REAL - 1), /out of range/);
  assert.throws(() => fromField(SNARK_FIELD), /not a field element/);
  assert.throws(() => fromField(-1n), /not a field element/);
});

test("NaN, Infinity and ragged rows name the column and row", () => {
  assert.throws(
    () =>
      encodeRows(
        [
          [1, 2],
          [3, NaN],
        ],
        ["x", "y"],
      ),
    /column "y", row 1 is NaN/,
  );
  assert.throws(() => encodeRows([[Infinity]]), /column #0, row 0 is Infinity/);
  assert.throws(() => encodeRows([[1, 2], [3]]), /row 1 has 1 values, expected 2/);
  assert.throws(() => encodeRows([[1e10]], ["big"]), /column "big", row 0 = 10000000000 is out of range/);
});

test("encodeRows/decodeRows round-trip a table", () => {
  const rows = [
    [5.1, 3.5, -1.4, 0.2],
    [4.9, -3, 1.4, 0.2],
  ];
  assert.deepEqual(
    decodeRows(encodeRows(rows)),
    rows.map((r) => r.map((v) => Math.round(v * 65536) / 65536)),
  );
});

test("one factory, named instances: the circuits' 49-bit values, the 80-bit Paillier vector slots, vertical regression's three scales", () => {
  assert.deepEqual([CIRCUIT_FIXED.fracBits, CIRCUIT_FIXED.valueBits, CIRCUIT_FIXED.maxReal], [16, 49, 2 ** 32]);
  assert.equal(CIRCUIT_FIXED.limit, MAX_ABS);
  assert.deepEqual([VECTOR_FIXED.fracBits, VECTOR_FIXED.valueBits, VECTOR_FIXED.maxReal], [20, 80, 2 ** 59]);
  assert.deepEqual(
    [VLINREG_FEATURE_FIXED, VLINREG_THETA_FIXED, VLINREG_LABEL_FIXED].map((f) => [f.fracBits, f.valueBits]),
    [
      [24, 32],
      [24, 41],
      [48, 56],
    ],
  );
  // Round-half-up at the scale; the integer bound is exclusive even when the real is just below it.
  assert.equal(VECTOR_FIXED.encode(1.5 / 2 ** 20), 2n);
  assert.equal(VECTOR_FIXED.tryEncode(-(2 ** 59)), "out-of-range");
  assert.equal(CIRCUIT_FIXED.tryEncode(2 ** 32 - 2 ** -20), "out-of-range");
  assert.equal(CIRCUIT_FIXED.tryEncode(NaN), "not-finite");
  assert.throws(() => VLINREG_THETA_FIXED.encode(2 ** 16, "theta[a]"), /theta\[a\] = 65536 is out of range: \|value\| must stay below 2\^16 \(vlinreg coefficient fixed point\)/);
  assert.throws(() => VECTOR_FIXED.encode(Infinity, "sum[2]"), /sum\[2\] is Infinity; only finite numbers encode/);
  // decode splits whole and fraction: an integer above 2^53 keeps its fraction bits' worth of rounding only once.
  const big = (1n << 70n) + 3n;
  assert.equal(VECTOR_FIXED.decode(big), 2 ** 50);
  assert.equal(VECTOR_FIXED.decode(-big, 0), -(2 ** 70));
  assert.ok(VECTOR_FIXED.fits(VECTOR_FIXED.limit * 3n - 1n, 3) && !VECTOR_FIXED.fits(VECTOR_FIXED.limit * 3n, 3));
  assert.throws(() => fixedPoint({ name: "bad", fracBits: 10, valueBits: 11 }), /fixed point bad/);
});
