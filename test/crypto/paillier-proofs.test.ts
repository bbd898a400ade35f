/**
 * Transcript, proof of correct decryption, Π^mod and the base-residue proof. Keys are 1024-bit
 * (key size is not the subject here; the bench runs 2048), made once per file.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { generatePrimeSync } from "node:crypto";
import { modPow } from "../../node/src/crypto/bigmath.js";
import { isBlumKey, paillierEncrypt, paillierKeygen, paillierPublicKey, type PaillierSecretKey } from "../../node/src/crypto/paillier.js";
import {
  MOD_ROUNDS,
  Transcript,
  parseBaseResidueProof,
  parseDecryptionProof,
  parseModProof,
  proveBaseResidue,
  proveDecryption,
  proveModulus,
  serializeBaseResidueProof,
  serializeDecryptionProof,
  serializeModProof,
  verifyBaseResidue,
  verifyDecryption,
  verifyModulus,
  type ModProof,
} from "../../node/src/crypto/paillier-proofs/index.js";
import { crt, jacobi } from "../../node/src/crypto/paillier-proofs/util.js";

const BINDING = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
const OTHER_BINDING = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f91";

let sk: PaillierSecretKey;
let other: PaillierSecretKey;
before(() => {
  sk = paillierKeygen(1024, { blum: true });
  other = paillierKeygen(1024, { blum: true });
});

describe("Fiat–Shamir transcript", () => {
  test("same statement, same challenge; any changed value, label or binding changes it", () => {
    const make = (f: (t: Transcript) => Transcript) => f(new Transcript("t")).challengeBits("e", 128);
    const base = make((t) => t.int("N", 77n).ints("c", [1n, 2n]).binding("00ff"));
    assert.equal(
      make((t) => t.int("N", 77n).ints("c", [1n, 2n]).binding("00ff")),
      base,
    );
    assert.notEqual(
      make((t) => t.int("N", 78n).ints("c", [1n, 2n]).binding("00ff")),
      base,
    );
    assert.notEqual(
      make((t) => t.int("N", 77n).ints("c", [1n, 3n]).binding("00ff")),
      base,
    );
    assert.notEqual(
      make((t) => t.int("N", 77n).ints("c", [1n, 2n]).binding("00fe")),
      base,
    );
    assert.notEqual(
      make((t) => t.int("M", 77n).ints("c", [1n, 2n]).binding("00ff")),
      base,
    );
    // length prefixes: [12, 3] and [1, 23] absorb differently even as concatenated digits
    assert.notEqual(
      make((t) => t.ints("c", [0x12n, 0x3n])),
      make((t) => t.ints("c", [0x1n, 0x23n])),
    );
    assert.notEqual(
      make((t) => t.int("x", -5n)),
      make((t) => t.int("x", 5n)),
    );
    assert.notEqual(new Transcript("a").challengeBits("e", 64), new Transcript("b").challengeBits("e", 64));
  });

  test("challenges land in range, are spread, and follow each other", () => {
    const t = new Transcript("range");
    const seen = new Set<bigint>();
    for (let i = 0; i < 200; i++) {
      const x = t.challengeBelow(`x${i}`, 37n);
      assert.ok(x >= 0n && x < 37n);
      seen.add(x);
    }
    assert.ok(seen.size > 25, `only ${seen.size} of 37 values in 200 draws`);
    const n = 3n * 5n * 7n * 11n;
    for (let i = 0; i < 50; i++) {
      const y = t.challengeUnit(`y${i}`, n);
      assert.ok(y > 0n && y < n && y % 3n !== 0n && y % 5n !== 0n && y % 7n !== 0n && y % 11n !== 0n);
    }
  });

  test("an empty or malformed binding is refused with the field named", () => {
    assert.throws(() => new Transcript("x").binding(""), /binding: empty/);
    assert.throws(() => new Transcript("x").binding("abc"), /binding: .*not non-empty hex/);
    assert.throws(() => new Transcript("x").binding(new Uint8Array(0)), /binding: empty/);
    assert.doesNotThrow(() => new Transcript("x").binding("0xabcd").binding(Uint8Array.of(1)));
  });
});

describe("proof of correct decryption", () => {
  test("a right proof verifies, for positive, negative and zero plaintexts, and survives serialization", () => {
    const pk = sk.publicKey;
    for (const m of [123456789n, -987654321n, 0n, pk.n / 2n - 1n]) {
      const c = paillierEncrypt(pk, m);
      const { m: got, proof } = proveDecryption(sk, c, BINDING);
      assert.equal(got, m);
      assert.ok(verifyDecryption(pk, c, m, BINDING, proof));
      const back = parseDecryptionProof(serializeDecryptionProof(proof));
      assert.deepEqual(back, proof);
      assert.ok(verifyDecryption(pk, c, m, BINDING, back));
    }
  });

  test("changed m, c, N, binding, z or e: each rejected", () => {
    const pk = sk.publicKey;
    const m = 4242n;
    const c = paillierEncrypt(pk, m);
    const { proof } = proveDecryption(sk, c, BINDING);
    assert.ok(verifyDecryption(pk, c, m, BINDING, proof));
    assert.equal(verifyDecryption(pk, c, m + 1n, BINDING, proof), false, "m");
    assert.equal(verifyDecryption(pk, c, m + pk.n + 1n, BINDING, proof), false, "m + N + 1");
    assert.equal(verifyDecryption(pk, paillierEncrypt(pk, m), m, BINDING, proof), false, "another encryption of the same m");
    assert.equal(verifyDecryption(pk, (c * (1n + pk.n)) % pk.n2, m, BINDING, proof), false, "c of m + 1");
    assert.equal(verifyDecryption(other.publicKey, c % other.publicKey.n2, m, BINDING, proof), false, "N");
    assert.equal(verifyDecryption(pk, c, m, OTHER_BINDING, proof), false, "binding");
    assert.equal(verifyDecryption(pk, c, m, BINDING, { ...proof, z: (proof.z * 2n) % pk.n }), false, "z");
    assert.equal(verifyDecryption(pk, c, m, BINDING, { ...proof, z: proof.z + pk.n }), false, "z out of range");
    assert.equal(verifyDecryption(pk, c, m, BINDING, { ...proof, e: proof.e ^ 1n }), false, "e");
    assert.equal(verifyDecryption(pk, c, m, BINDING, { ...proof, e: proof.e + (1n << 128n) }), false, "e out of range");
    assert.equal(verifyDecryption(pk, 0n, m, BINDING, proof), false, "c = 0");
  });

  test("a forged 'a' is caught: the proof for m cannot be reused with a shifted commitment", () => {
    // The compact proof carries (e, z); an attacker who shifts a (a' = a·(1+N)) must produce a
    // matching z, which the recomputed a = z^N·u^−e pins. Try every cheap shift of z.
    const pk = sk.publicKey;
    const c = paillierEncrypt(pk, 7n);
    const { proof } = proveDecryption(sk, c, BINDING);
    for (const k of [2n, 3n, pk.n - 1n]) assert.equal(verifyDecryption(pk, c, 8n, BINDING, { ...proof, z: (proof.z * k) % pk.n }), false);
  });

  test("the key holder refuses to prove a plaintext that is not the decryption", () => {
    const c = paillierEncrypt(sk.publicKey, 5n);
    assert.throws(() => proveDecryption(sk, c, BINDING, 6n), /not the decryption of c/);
  });

  test("parse errors name the field", () => {
    assert.throws(() => parseDecryptionProof("{}"), /need \{"v":1,"proof":"paillier-decryption"/);
    assert.throws(() => parseDecryptionProof('{"v":1,"proof":"paillier-decryption","e":"zz","z":"01"}'), /field "e"/);
    assert.throws(() => parseDecryptionProof("nope"), /not JSON/);
  });
});

/** A Π^mod prover that does its best for a modulus with any number of Blum prime factors. */
function cheatModulus(primes: bigint[], binding: string): ModProof {
  const n = primes.reduce((a, b) => a * b, 1n);
  const phi = primes.reduce((a, p) => a * (p - 1n), 1n);
  let w = 2n;
  while (jacobi(w, n) !== -1) w++;
  const t = new Transcript("pi-mod").int("N", n).int("w", w).binding(binding);
  const ys = Array.from({ length: MOD_ROUNDS }, (_, i) => t.challengeUnit(`y${i}`, n));
  const square = (y: bigint, p: bigint) => modPow(y % p, (p - 1n) / 2n, p) === 1n;
  let inv: bigint;
  try {
    inv = (() => {
      let [r0, r1, s0, s1] = [n % phi, phi, 1n, 0n];
      while (r1 !== 0n) {
        const q = r0 / r1;
        [r0, r1, s0, s1] = [r1, r0 - q * r1, s1, s0 - q * s1];
      }
      if (r0 !== 1n) throw new Error("gcd");
      return ((s0 % phi) + phi) % phi;
    })();
  } catch {
    inv = 1n;
  }
  const rounds = ys.map((y) => {
    for (const a of [false, true])
      for (const b of [false, true]) {
        let yy = a ? n - y : y;
        if (b) yy = (yy * w) % n;
        if (!primes.every((p) => square(yy, p))) continue;
        let x = 0n,
          m = 1n;
        for (const p of primes) {
          const r = modPow(yy % p, ((p + 1n) / 4n) ** 2n % (p - 1n), p);
          x = m === 1n ? r : crt(x, r, m, p, modInvSimple(m % p, p));
          m *= p;
        }
        return { x, a, b, z: modPow(y, inv, n) };
      }
    return { x: 1n, a: false, b: false, z: modPow(y, inv, n) };
  });
  return { w, rounds };
}

function modInvSimple(a: bigint, m: bigint): bigint {
  return modPow(a, m - 2n, m); // m prime
}

describe("Π^mod (Paillier–Blum modulus)", () => {
  let proof: ModProof;
  before(() => {
    proof = proveModulus(sk, BINDING);
  });

  test("keygen with { blum: true } gives Blum primes; a right proof verifies and survives serialization", () => {
    assert.ok(isBlumKey(sk));
    assert.equal(proof.rounds.length, MOD_ROUNDS);
    assert.ok(verifyModulus(sk.publicKey, BINDING, proof));
    const text = serializeModProof(proof);
    assert.ok(verifyModulus(sk.publicKey, BINDING, parseModProof(text)));
  });

  test("another N, another binding, a changed w, x, z or bit: each rejected", () => {
    const pk = sk.publicKey;
    assert.equal(verifyModulus(other.publicKey, BINDING, proof), false, "N");
    assert.equal(verifyModulus(pk, OTHER_BINDING, proof), false, "binding");
    let w = proof.w + 1n;
    while (jacobi(w, pk.n) !== -1) w++;
    assert.equal(verifyModulus(pk, BINDING, { ...proof, w }), false, "w");
    const at = (i: number, f: (r: ModProof["rounds"][number]) => ModProof["rounds"][number]) => ({ ...proof, rounds: proof.rounds.map((r, j) => (j === i ? f(r) : r)) });
    assert.equal(
      verifyModulus(
        pk,
        BINDING,
        at(17, (r) => ({ ...r, x: (r.x * 2n) % pk.n })),
      ),
      false,
      "x",
    );
    assert.equal(
      verifyModulus(
        pk,
        BINDING,
        at(3, (r) => ({ ...r, z: (r.z * 3n) % pk.n })),
      ),
      false,
      "z",
    );
    assert.equal(
      verifyModulus(
        pk,
        BINDING,
        at(79, (r) => ({ ...r, a: !r.a })),
      ),
      false,
      "a",
    );
    assert.equal(
      verifyModulus(
        pk,
        BINDING,
        at(0, (r) => ({ ...r, b: !r.b })),
      ),
      false,
      "b",
    );
    assert.equal(verifyModulus(pk, BINDING, { ...proof, rounds: proof.rounds.slice(1) }), false, "a round short");
  });

  test("a prime, a three-prime modulus and a non-Blum key are refused", () => {
    const p = sk.p;
    assert.equal(verifyModulus(paillierPublicKey(p), BINDING, cheatModulus([p], BINDING)), false, "prime");
    const blum = () => generatePrimeSync(256, { bigint: true, add: 4n, rem: 3n });
    const three = [blum(), blum(), blum()];
    const n3 = three.reduce((a, b) => a * b, 1n);
    assert.equal(verifyModulus(paillierPublicKey(n3), BINDING, cheatModulus(three, BINDING)), false, "three Blum primes");
    // the cheater itself is right for a two-prime Blum modulus (so the refusals above are not its bug)
    const two = [blum(), blum()];
    assert.ok(verifyModulus(paillierPublicKey(two[0] * two[1]), BINDING, cheatModulus(two, BINDING)));
    let plain = paillierKeygen(512);
    while (plain.p % 4n === 3n && plain.q % 4n === 3n) plain = paillierKeygen(512);
    assert.throws(() => proveModulus(plain, BINDING), /not Blum primes/);
  });

  test("parse errors name the field", () => {
    assert.throws(() => parseModProof('{"v":1,"proof":"paillier-blum-modulus","w":"05","rounds":[]}'), /field "rounds" must hold 80/);
  });
});

describe("fixed randomness base is an N-th residue", () => {
  test("the DJN base (−x²)^N verifies; another h, N or binding, or a non-residue, is rejected", () => {
    const pk = sk.publicKey;
    const x = 123456789123456789n;
    const h = modPow(pk.n - ((x * x) % pk.n), pk.n, pk.n2);
    const proof = proveBaseResidue(sk, h, BINDING);
    assert.ok(verifyBaseResidue(pk, h, BINDING, proof));
    assert.ok(verifyBaseResidue(pk, h, BINDING, parseBaseResidueProof(serializeBaseResidueProof(proof))));
    assert.equal(verifyBaseResidue(pk, (h * h) % pk.n2, BINDING, proof), false, "h");
    assert.equal(verifyBaseResidue(pk, h, OTHER_BINDING, proof), false, "binding");
    assert.equal(verifyBaseResidue(other.publicKey, h % other.publicKey.n2, BINDING, proof), false, "N");
    assert.equal(verifyBaseResidue(pk, h, BINDING, { ...proof, z: (proof.z + 1n) % pk.n }), false, "z");
    // (1+N)·h decrypts to 1, not 0: not an N-th residue, and the key holder will not prove it
    assert.throws(() => proveBaseResidue(sk, (h * (1n + pk.n)) % pk.n2, BINDING), /not an N-th residue/);
  });
});
