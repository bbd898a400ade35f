/**
 * Paillier–Pedersen plaintext equality. 1024-bit Paillier key (key size is not the subject; the
 * bench runs 2048), made once per file. Pedersen commitments are the protocol's own.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { packingLayout, paillierDecrypt, paillierKeygen, unpack, type PaillierSecretKey } from "../../node/src/crypto/paillier.js";
import { addBlindings, addCommitments, pedersenCommit, randomBlinding } from "../../protocol/src/pedersen.js";
import {
  encryptPacked,
  equalityChallengeSplit,
  parseEqualityProof,
  proveEquality,
  serializeEqualityProof,
  verifyEquality,
  type EqualityProof,
  type EqualityStatement,
} from "../../node/src/crypto/paillier-proofs/index.js";

const BINDING = "0badc0ffee0ddf00d0";
let sk: PaillierSecretKey;
let other: PaillierSecretKey;
before(() => {
  sk = paillierKeygen(1024, { blum: true });
  other = paillierKeygen(1024, { blum: true });
});

function randomSignedBelow(bits: number): bigint {
  const lim = 1n << BigInt(bits - 1);
  const b = crypto.getRandomValues(new Uint8Array(Math.ceil(bits / 8) + 1));
  return (BigInt("0x" + Buffer.from(b).toString("hex")) % (2n * lim)) - lim;
}

describe("Paillier–Pedersen plaintext equality", () => {
  // 20 values of a 49-bit circuit commitment (one chunk), packed in 80-bit slots: two ciphertexts.
  let s: EqualityStatement;
  let values: bigint[];
  let blinding: bigint;
  let randomness: bigint[];
  let proof: EqualityProof;
  before(() => {
    const pk = sk.publicKey;
    const bits = 49;
    values = Array.from({ length: 20 }, (_, i) => (i === 0 ? -(1n << 48n) : i === 1 ? (1n << 48n) - 1n : i === 2 ? 0n : randomSignedBelow(bits)));
    blinding = randomBlinding();
    const layout = packingLayout(pk, 80, 10);
    const enc = encryptPacked(pk, layout, values);
    randomness = enc.randomness;
    s = { publicKey: pk, ciphertexts: enc.ciphertexts, layout, commitment: pedersenCommit(values, blinding, bits), count: values.length, bits, binding: BINDING };
    proof = proveEquality(s, { values, blinding, randomness });
  });

  test("a right proof verifies (negative, zero and extreme values; two ciphertexts) and survives serialization", () => {
    assert.equal(s.ciphertexts.length, 2);
    // the ciphertexts are what the aggregation backend sends: pack() slots, signed values back
    const layout = s.layout as ReturnType<typeof packingLayout>;
    const back0 = s.ciphertexts.flatMap((c, j) => unpack(layout, paillierDecrypt(sk, c), Math.min(layout.slots, values.length - j * layout.slots)));
    assert.deepEqual(back0, values);
    assert.equal(proof.reps.length, 1, "49-bit values: one repetition with a 128-bit challenge");
    assert.ok(verifyEquality(s, proof));
    const back = parseEqualityProof(serializeEqualityProof(proof));
    assert.deepEqual(back, proof);
    assert.ok(verifyEquality(s, back));
  });

  test("wrong x in C: a ciphertext of other values is rejected", () => {
    const wrong = values.slice();
    wrong[13] += 1n;
    const enc = encryptPacked(s.publicKey, s.layout as ReturnType<typeof packingLayout>, wrong);
    const bad = { ...s, ciphertexts: enc.ciphertexts };
    // the prover knows an opening of P and ρ for C, but C holds other values
    assert.equal(verifyEquality(bad, proveEquality(bad, { values, blinding, randomness: enc.randomness })), false, "proof made over the wrong C");
    assert.equal(verifyEquality({ ...s, ciphertexts: [s.ciphertexts[0], enc.ciphertexts[1]] }, proof), false, "the right proof against a swapped C");
  });

  test("wrong x in P: a commitment to other values is rejected", () => {
    const wrong = values.slice();
    wrong[3] -= 5n;
    const r = randomBlinding();
    const bad = { ...s, commitment: pedersenCommit(wrong, r, s.bits) };
    assert.equal(verifyEquality(bad, proveEquality(bad, { values: wrong, blinding: r, randomness })), false, "proof made over the wrong P");
    assert.equal(verifyEquality(bad, proof), false, "the right proof against another P");
    assert.throws(() => proveEquality(bad, { values, blinding, randomness }), /do not open the commitment/);
  });

  test("tampered responses, challenge, binding, key, shape: each rejected", () => {
    const r0 = proof.reps[0];
    const tamper = (f: Partial<EqualityProof["reps"][number]>): EqualityProof => ({ reps: [{ ...r0, ...f }] });
    const z = r0.z.slice();
    z[7] += 1n;
    assert.equal(verifyEquality(s, tamper({ z })), false, "z");
    const zBig = r0.z.slice();
    zBig[0] += 1n << 300n;
    assert.equal(verifyEquality(s, tamper({ z: zBig })), false, "z out of range");
    assert.equal(verifyEquality(s, tamper({ zb: r0.zb ^ 1n })), false, "zb");
    assert.equal(verifyEquality(s, tamper({ nu: [r0.nu[0], (r0.nu[1] * 2n) % s.publicKey.n] })), false, "nu");
    assert.equal(verifyEquality(s, tamper({ e: r0.e ^ 4n })), false, "e");
    assert.equal(verifyEquality(s, tamper({ z: r0.z.slice(1) })), false, "a response short");
    assert.equal(verifyEquality({ ...s, binding: "0badc0ffee0ddf00e0" }, proof), false, "binding");
    assert.equal(verifyEquality({ ...s, publicKey: other.publicKey, ciphertexts: s.ciphertexts.map((c) => c % other.publicKey.n2) }, proof), false, "N");
    assert.equal(verifyEquality({ ...s, commitments: 2 }, proof), false, "number of summed commitments");
    assert.equal(verifyEquality({ ...s, ciphertexts: [...s.ciphertexts].reverse() }, proof), false, "ciphertext order");
    assert.equal(verifyEquality({ ...s, count: 19 }, proof), false, "count");
  });

  test("wide values (3 summed 134-bit chunk commitments): the challenge is split, and it still catches a wrong C", () => {
    const pk = sk.publicKey;
    const bits = 134;
    const chunks = [0, 1, 2].map(() => Array.from({ length: 5 }, () => randomSignedBelow(bits)));
    const sum = chunks[0].map((_, i) => chunks.reduce((a, c) => a + c[i], 0n));
    const bl = chunks.map(() => randomBlinding());
    const commitment = addCommitments(chunks.map((c, i) => pedersenCommit(c, bl[i], bits)));
    const layout = packingLayout(pk, 137, 10);
    const enc = encryptPacked(pk, layout, sum);
    const st: EqualityStatement = { publicKey: pk, ciphertexts: enc.ciphertexts, layout, commitment, count: 5, bits, commitments: 3, binding: BINDING };
    const pr = proveEquality(st, { values: sum, blinding: addBlindings(bl), randomness: enc.randomness });
    const split = equalityChallengeSplit(136);
    assert.deepEqual(split, { k: 72, reps: 2 });
    assert.equal(pr.reps.length, 2);
    assert.ok(verifyEquality(st, pr));
    assert.equal(verifyEquality(st, { reps: [pr.reps[0]] }), false, "one repetition dropped");
    assert.equal(verifyEquality(st, { reps: [pr.reps[0], { ...pr.reps[1], e: pr.reps[1].e ^ 1n }] }), false, "second challenge");
    const wrong = sum.slice();
    wrong[4] += 1n << 100n;
    const encW = encryptPacked(pk, layout, wrong);
    const bad = { ...st, ciphertexts: encW.ciphertexts };
    assert.equal(verifyEquality(bad, proveEquality(bad, { values: sum, blinding: addBlindings(bl), randomness: encW.randomness })), false);
  });

  test("statements that cannot be proven are refused with the field named", () => {
    assert.throws(() => proveEquality({ ...s, layout: packingLayout(s.publicKey, 40, 10) }, { values, blinding, randomness }), /layout.valueBits = 40 cannot hold/);
    assert.throws(() => proveEquality({ ...s, count: 40 }, { values, blinding, randomness }), /count must be an integer in \[1, 31\]/);
    assert.throws(() => equalityChallengeSplit(210), /leave no room for a challenge/);
    assert.throws(() => parseEqualityProof('{"v":1,"proof":"paillier-pedersen-equality","reps":[]}'), /field "reps"/);
  });
});
