import { test } from "node:test";
import assert from "node:assert/strict";
import { SNARK_FIELD } from "../../protocol/src/binding.js";
import {
  encode, decode, toField, fromField, encodeRows, decodeRows, FRAC_BITS, MAX_ABS, MAX_REAL, SCALE,
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
  assert.throws(() => encodeRows([[1, 2], [3, NaN]], ["x", "y"]), /column "y", row 1 is NaN/);
  assert.throws(() => encodeRows([[Infinity]]), /column #0, row 0 is Infinity/);
  assert.throws(() => encodeRows([[1, 2], [3]]), /row 1 has 1 values, expected 2/);
  assert.throws(() => encodeRows([[1e10]], ["big"]), /column "big", row 0 = 10000000000 is out of range/);
});

test("encodeRows/decodeRows round-trip a table", () => {
  const rows = [[5.1, 3.5, -1.4, 0.2], [4.9, -3, 1.4, 0.2]];
  assert.deepEqual(decodeRows(encodeRows(rows)), rows.map((r) => r.map((v) => Math.round(v * 65536) / 65536)));
});
