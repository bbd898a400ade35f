/**
 * Π^fac (no small factors) over both ring-Pedersen setups, and Π^prm. Paillier keys are 1024-bit
 * and the verifier's own ring-Pedersen modulus 512-bit (key size is not the subject; the bench
 * runs 2048), made once per file.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { generatePrimeSync } from "node:crypto";
import { bitLength } from "../../node/src/crypto/bigmath.js";
import { paillierKeygen, paillierSecretKey, type PaillierSecretKey } from "../../node/src/crypto/paillier.js";
import {
  FAC_EPS,
  FAC_L,
  parseFacProof,
  parsePrmProof,
  proveFactors,
  provePrm,
  publicRingPedersen,
  ringPedersenKeygen,
  serializeFacProof,
  serializePrmProof,
  verifyFactors,
  verifyPrm,
  type FacProof,
  type RingPedersenSecret,
} from "../../node/src/crypto/paillier-proofs/index.js";

const BINDING = "5e7f00000000000000000000000000000000000000000000000000000000aa01";
const OTHER_BINDING = "5e7f00000000000000000000000000000000000000000000000000000000aa02";
let sk: PaillierSecretKey;
let other: PaillierSecretKey;
let own: RingPedersenSecret;
before(() => {
  sk = paillierKeygen(1024, { blum: true });
  other = paillierKeygen(1024, { blum: true });
  own = ringPedersenKeygen(512);
});

describe("ring-Pedersen setups", () => {
  test("the public setup is RSA-2048 with two distinct hashed squares, the same every time", () => {
    const a = publicRingPedersen();
    assert.equal(bitLength(a.n), 2048);
    assert.equal(a.n % 10n ** 6n, 720357n);
    assert.notEqual(a.s, a.t);
    assert.deepEqual(publicRingPedersen(), a);
  });

  test("Π^prm: a verifier's own setup proves s ∈ ⟨t⟩; tampered or wrong setups are rejected", () => {
    const proof = provePrm(own, BINDING);
    assert.ok(verifyPrm(own.params, BINDING, proof));
    assert.ok(verifyPrm(own.params, BINDING, parsePrmProof(serializePrmProof(proof))));
    assert.equal(verifyPrm(own.params, OTHER_BINDING, proof), false, "binding");
    assert.equal(verifyPrm({ ...own.params, s: (own.params.s * own.params.t) % own.params.n }, BINDING, proof), false, "s");
    const z = proof.z.slice();
    z[40] = z[40] + 1n;
    assert.equal(verifyPrm(own.params, BINDING, { ...proof, z }), false, "z");
    const a = proof.a.slice();
    a[0] = (a[0] * own.params.t) % own.params.n;
    assert.equal(verifyPrm(own.params, BINDING, { ...proof, a }), false, "a");
    // −t is a non-square mod the safe primes, so it is outside ⟨t⟩: the prover's λ cannot help
    const bad: RingPedersenSecret = { ...own, params: { ...own.params, s: own.params.n - own.params.t } };
    assert.equal(verifyPrm(bad.params, BINDING, provePrm(bad, BINDING)), false, "s ∉ ⟨t⟩");
  });
});

describe("Π^fac (no small factors)", () => {
  let proof: FacProof;
  before(() => {
    proof = proveFactors(sk, publicRingPedersen(), BINDING);
  });

  test("a right proof verifies under the public setup and a verifier's own, and survives serialization", () => {
    assert.ok(verifyFactors(sk.publicKey, publicRingPedersen(), BINDING, proof));
    assert.ok(verifyFactors(sk.publicKey, publicRingPedersen(), BINDING, parseFacProof(serializeFacProof(proof))));
    const mine = proveFactors(sk, own.params, BINDING);
    assert.ok(verifyFactors(sk.publicKey, own.params, BINDING, mine));
    assert.equal(verifyFactors(sk.publicKey, publicRingPedersen(), BINDING, mine), false, "made for another setup");
  });

  test("another N, binding or setup, and every tampered field: each rejected", () => {
    const aux = publicRingPedersen();
    assert.equal(verifyFactors(other.publicKey, aux, BINDING, proof), false, "N");
    assert.equal(verifyFactors(sk.publicKey, aux, OTHER_BINDING, proof), false, "binding");
    assert.equal(verifyFactors(sk.publicKey, { ...aux, s: aux.t, t: aux.s }, BINDING, proof), false, "s, t swapped");
    for (const f of ["P", "Q", "A", "B", "T", "sigma", "z1", "z2", "w1", "w2", "v"] as const) {
      assert.equal(verifyFactors(sk.publicKey, aux, BINDING, { ...proof, [f]: proof[f] + 1n }), false, f);
    }
  });

  test("a modulus with a 64-bit factor is rejected (the honest prover's answer falls outside the range)", () => {
    let lopsided: PaillierSecretKey | undefined;
    while (!lopsided) {
      try {
        lopsided = paillierSecretKey(generatePrimeSync(64, { bigint: true }), generatePrimeSync(960, { bigint: true }));
      } catch {
        // gcd(N, φ) ≠ 1: draw again
      }
    }
    const p = proveFactors(lopsided, publicRingPedersen(), BINDING);
    const bound = 1n << BigInt(FAC_L + FAC_EPS + 1 + 512);
    assert.ok(p.z2 > bound || -p.z2 > bound, "z2 of the 960-bit factor is out of range");
    assert.equal(verifyFactors(lopsided.publicKey, publicRingPedersen(), BINDING, p), false);
  });
});
