import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  freshRn,
  freshRnCrt,
  generatePaillierKeyPair,
  pack,
  paillierEncryptor,
  packingLayout,
  paillierAdd,
  paillierAddPlain,
  paillierDecrypt,
  paillierEncrypt,
  paillierKeygen,
  paillierMulPlain,
  type PaillierSecretKey,
  parsePaillierCiphertext,
  parsePaillierPublicKey,
  parsePaillierSecretKey,
  RandomnessPool,
  serializePaillierCiphertext,
  serializePaillierPublicKey,
  serializePaillierSecretKey,
  unpack,
} from "../../node/src/crypto/paillier.js";
import { modPow } from "../../node/src/crypto/bigmath.js";
import { encryptAll } from "../../node/src/crypto/paillier-workers.js";
import { randomInt } from "../../node/src/crypto/random.js";

describe("paillier (own, g = n+1, CRT)", () => {
  let sk: PaillierSecretKey;
  let other: PaillierSecretKey;
  before(() => {
    sk = paillierKeygen(1024); // 2048 is the default; 1024 keeps the test quick, the code path is the same
    other = paillierKeygen(1024);
  });

  test("modPow agrees with plain square-and-multiply", () => {
    const m = 0xfffffffffffffffffffffffffffffffbn * 0xffffffffffffffc5n;
    for (let i = 0; i < 20; i++) {
      const b = BigInt(randomInt(2, 2 ** 31)) * 7919n;
      const e = BigInt(randomInt(0, 2 ** 31)) * 104729n;
      let r = 1n,
        bb = b % m,
        ee = e;
      while (ee > 0n) {
        if (ee & 1n) r = (r * bb) % m;
        bb = (bb * bb) % m;
        ee >>= 1n;
      }
      assert.equal(modPow(b, e, m), r);
    }
  });

  test("decrypt(encrypt(m)) = m for signed m; CRT and pooled randomness agree", () => {
    const pk = sk.publicKey;
    const pool = new RandomnessPool(pk, sk);
    pool.fill(3);
    assert.equal(pool.size, 3);
    assert.equal(freshRnCrt(sk) !== freshRn(pk), true);
    for (const m of [0n, 1n, -1n, 123456789012345678901234567890n, -(pk.n / 2n - 1n), pk.n / 2n - 1n]) {
      assert.equal(paillierDecrypt(sk, paillierEncrypt(pk, m)), m);
      assert.equal(paillierDecrypt(sk, paillierEncrypt(pk, m, freshRnCrt(sk))), m);
      assert.equal(paillierDecrypt(sk, paillierEncrypt(pk, m, pool.take())), m);
    }
    assert.throws(() => paillierEncrypt(pk, pk.n), /\|plaintext\| must be < n\/2/);
  });

  test("homomorphic identities", () => {
    const pk = sk.publicKey;
    const a = 987654321n,
      b = -123456789n;
    const ca = paillierEncrypt(pk, a),
      cb = paillierEncrypt(pk, b);
    assert.equal(paillierDecrypt(sk, paillierAdd(pk, ca, cb)), a + b);
    assert.equal(paillierDecrypt(sk, paillierAddPlain(pk, ca, 5n)), a + 5n);
    assert.equal(paillierDecrypt(sk, paillierMulPlain(pk, ca, 7n)), 7n * a);
    assert.equal(paillierDecrypt(sk, paillierMulPlain(pk, ca, -3n)), -3n * a);
  });

  test("packing: k packed ciphertexts sum slot-wise, signed", () => {
    const pk = sk.publicKey;
    const layout = packingLayout(pk, 32, 16);
    assert.equal(layout.slotBits, 37);
    const count = layout.slots;
    const rows = Array.from({ length: 16 }, () => Array.from({ length: count }, () => BigInt(randomInt(-(2 ** 31), 2 ** 31 - 1))));
    let acc = paillierEncrypt(pk, pack(layout, rows[0]));
    for (const r of rows.slice(1)) acc = paillierAdd(pk, acc, paillierEncrypt(pk, pack(layout, r)));
    const got = unpack(layout, paillierDecrypt(sk, acc), count, 16);
    const want = rows[0].map((_, j) => rows.reduce((s, r) => s + r[j], 0n));
    assert.deepEqual(got, want);
    assert.throws(() => pack(layout, [2n ** 31n]), /outside the 32-bit signed range/);
    assert.throws(() => unpack(layout, 0n, 1, 17), /exceed the layout's headroom/);
  });

  test("serialization; wrong key, out-of-range and non-coprime ciphertexts are refused", () => {
    const pk = sk.publicKey;
    const pk2 = parsePaillierPublicKey(serializePaillierPublicKey(pk));
    const sk2 = parsePaillierSecretKey(serializePaillierSecretKey(sk));
    const c = paillierEncrypt(pk2, 42n);
    const bytes = serializePaillierCiphertext(pk, c);
    assert.equal(paillierDecrypt(sk2, parsePaillierCiphertext(pk, bytes)), 42n);
    assert.throws(() => parsePaillierCiphertext(other.publicKey, bytes), /made under another key/);
    assert.throws(() => parsePaillierCiphertext(pk, bytes.subarray(0, 100)), /expected \d+ bytes/);
    assert.throws(() => paillierDecrypt(sk, pk.n2 + 5n), /must be in \(0, n²\)/);
    assert.throws(() => paillierDecrypt(sk, sk.p * 12345n), /not coprime/);
    // A ciphertext of another key with a value that happens to be in range decrypts to garbage or fails:
    const foreign = paillierEncrypt(other.publicKey, 42n) % pk.n2;
    let ok: boolean;
    try {
      ok = paillierDecrypt(sk, foreign) !== 42n;
    } catch {
      ok = true;
    }
    assert.ok(ok);
  });
});

test("key pairs: CRT decryption, homomorphic add and signed scalar multiply, both randomness modes", async () => {
  for (const fastRandomness of [true, false]) {
    const kp = await generatePaillierKeyPair(512, { fastRandomness });
    const n = kp.pub.n;
    const a = kp.encrypt(12345n);
    const b = kp.encrypt(n - 5n);
    assert.equal(kp.decrypt(paillierAdd(kp.pub, a, b)), 12340n);
    assert.equal(kp.decrypt(paillierMulPlain(kp.pub, a, -3n)), n - 37035n);
    assert.notEqual(kp.encrypt(7n), kp.encrypt(7n), "encryption must be randomized");
    assert.throws(() => kp.encrypt(-1n), /plaintext must be in \[0, N\)/);
    assert.throws(() => kp.decrypt(0n), /out of range/);
  }
});

test("encryption split across worker threads decrypts to the same plaintexts", async () => {
  const kp = await generatePaillierKeyPair(512);
  const ms = Array.from({ length: 600 }, (_, i) => BigInt(i) * 1_000_003n);
  const cts = await encryptAll(kp, ms, 2);
  assert.equal(cts.length, ms.length);
  cts.forEach((c, i) => assert.equal(kp.decrypt(c), ms[i]));
  await assert.rejects(encryptAll(kp, ms, 0), /workers 0/);
});

test("public-key encryption (label mode: under a key the encrypting party does not hold), with and without the DJN base, one thread or several", async () => {
  const kp = await generatePaillierKeyPair(512);
  const hs = kp.secret().options.djnBase!;
  for (const enc of [paillierEncryptor(kp.pub, hs), paillierEncryptor(kp.pub)]) {
    const a = enc.encrypt(12345n);
    assert.equal(kp.decrypt(a), 12345n);
    assert.notEqual(enc.encrypt(7n), enc.encrypt(7n), "encryption must be randomized");
    assert.equal(kp.decrypt(paillierAdd(kp.pub, a, enc.encrypt(kp.pub.n - 5n))), 12340n);
    assert.throws(() => enc.encrypt(kp.pub.n), /plaintext must be in \[0, N\)/);
  }
  const ms = Array.from({ length: 600 }, (_, i) => BigInt(i) * 999_983n);
  const cts = await encryptAll(paillierEncryptor(kp.pub, hs), ms, 2);
  cts.forEach((c, i) => assert.equal(kp.decrypt(c), ms[i]));
  assert.throws(() => paillierEncryptor(kp.pub, 1n), /DJN base/);
});
