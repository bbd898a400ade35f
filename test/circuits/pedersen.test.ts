import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { babyjubjub } from "@noble/curves/misc.js";
import { SNARK_FIELD as P } from "../../protocol/src/binding.js";
import { addBlindings, addCommitments, generator, generatorsCircom, pedersenCommit, randomBlinding, SUBGROUP_ORDER, verifyAggregate } from "../../protocol/src/pedersen.js";
import { CIRCUITS_DIR } from "../../circuits/sources.js";

// The JS twin of circuits/lib/pedersen.circom; the circuit side is checked in contrib_templates.test.ts.
describe("pedersen (Baby Jubjub)", () => {
  test("generators are distinct subgroup points, and circuits/lib/pedersen_generators.circom lists them", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const g = generator(i);
      const p = babyjubjub.Point.fromAffine(g);
      p.assertValidity();
      assert.ok(p.isTorsionFree() && !p.is0());
      seen.add(`${g.x},${g.y}`);
    }
    assert.equal(seen.size, 8);
    assert.equal(readFileSync(join(CIRCUITS_DIR, "lib", "pedersen_generators.circom"), "utf8"), generatorsCircom(), "regenerate circuits/lib/pedersen_generators.circom");
  });

  test("Σ commitments opens to the plain sum (negatives included) with Σ blindings", () => {
    const bits = 60;
    const members = [
      [5n, P - 7n, 1000n],
      [P - 123456789n, 3n, 0n],
      [1n << 50n, P - (1n << 50n), 42n],
    ];
    const rs = members.map(() => randomBlinding());
    const cs = members.map((v, i) => pedersenCommit(v, rs[i], bits));
    const agg = [0, 1, 2].map((j) => members.reduce((a, v) => a + (v[j] > P / 2n ? v[j] - P : v[j]), 0n));
    assert.equal(verifyAggregate(cs, agg, addBlindings(rs), bits), true);
    // A wrong aggregate, a wrong blinding sum or a missing member is detected.
    assert.equal(verifyAggregate(cs, [agg[0] + 1n, agg[1], agg[2]], addBlindings(rs), bits), false);
    assert.equal(verifyAggregate(cs, agg, (addBlindings(rs) + 1n) % SUBGROUP_ORDER, bits), false);
    assert.equal(verifyAggregate(cs.slice(1), agg, addBlindings(rs), bits), false);
    // Field-element form of the aggregate works too.
    assert.equal(
      verifyAggregate(
        cs,
        agg.map((x) => (x < 0n ? P + x : x)),
        addBlindings(rs),
        bits,
      ),
      true,
    );
  });

  test("hiding: the same values under fresh blindings give unrelated points; addCommitments is the group sum", () => {
    const a = pedersenCommit([1n, 2n], randomBlinding(), 16);
    const b = pedersenCommit([1n, 2n], randomBlinding(), 16);
    assert.notDeepEqual(a, b);
    const s = addCommitments([pedersenCommit([1n], 10n, 16), pedersenCommit([2n], 20n, 16)]);
    // Two offsets of 2^15 make the one offset of 17 bits, 2^16.
    assert.deepEqual(s, pedersenCommit([3n], 30n, 17));
  });

  test("bad input is refused with the field named", () => {
    assert.throws(() => pedersenCommit([1n << 20n], 1n, 16), /value #0 .* does not fit 16 signed bits/);
    assert.throws(() => pedersenCommit([1n], SUBGROUP_ORDER, 16), /blinding must be in \[0, l\)/);
    assert.throws(() => addCommitments([{ x: 1n, y: 2n }]), /commitment #0 .* is not a Baby Jubjub point/);
    assert.throws(() => generator(32), /generator index 32/);
  });
});
