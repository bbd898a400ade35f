import { test } from "node:test";
import assert from "node:assert/strict";
import { x25519 } from "@noble/curves/ed25519.js";
import { agree, boxKey, isSealedBox, openSealed, openWithKey, SEALED_OVERHEAD, sealTo, sealWithKey } from "../../node/src/crypto/sealedbox.js";

const enc = new TextEncoder();
const keys = () => {
  const secretKey = x25519.utils.randomSecretKey();
  return { secretKey, publicKey: x25519.getPublicKey(secretKey) };
};
const CTX = "ciphermine compute nonce=1 task=7 round=2 member=0xabc";

test("a box opens with the recipient's secret key and the same context, and hides the plaintext", () => {
  const r = keys();
  const plain = enc.encode('{"values":["123456789","-42"]}');
  const box = sealTo(r.publicKey, plain, CTX);
  assert.equal(box.length, plain.length + SEALED_OVERHEAD);
  assert.ok(isSealedBox(box));
  assert.deepEqual(openSealed(r.secretKey, box, CTX), plain);
  assert.ok(!Buffer.from(box).includes(Buffer.from("123456789")));
  // fresh ephemeral key and nonce each time: the same plaintext never gives the same box
  assert.notDeepEqual(sealTo(r.publicKey, plain, CTX), box);
  assert.deepEqual(openSealed(r.secretKey, sealTo(r.publicKey, new Uint8Array(0), CTX), CTX), new Uint8Array(0));
});

test("the wrong key, another context, or any altered byte each fail to open", () => {
  const r = keys();
  const box = sealTo(r.publicKey, enc.encode("secret partial sums"), CTX);
  assert.throws(() => openSealed(keys().secretKey, box, CTX), /does not open with this key and context/);
  assert.throws(() => openSealed(r.secretKey, box, CTX.replace("member=0xabc", "member=0xabd")), /does not open/);
  assert.throws(() => openSealed(r.secretKey, box, CTX.replace("round=2", "round=3")), /does not open/);
  // header (epk, nonce), ciphertext and tag: flipping one bit anywhere after the version byte fails
  for (const at of [1, 20, 33, 50, 57, box.length - 17, box.length - 1]) {
    const bad = Uint8Array.from(box);
    bad[at] ^= 0x01;
    assert.throws(() => openSealed(r.secretKey, bad, CTX), /does not open/, `byte ${at}`);
  }
  assert.throws(() => openSealed(r.secretKey, box.subarray(0, box.length - 1), CTX), /does not open/);
  const v2 = Uint8Array.from(box);
  v2[0] = 2;
  assert.throws(() => openSealed(r.secretKey, v2, CTX), /not a sealed box/);
  assert.throws(() => openSealed(r.secretKey, box.subarray(0, SEALED_OVERHEAD - 1), CTX), /not a sealed box/);
});

test("bad keys are refused with a clear error; a low-order recipient key is refused before sealing", () => {
  assert.throws(() => sealTo(new Uint8Array(31), enc.encode("x"), CTX), /recipient's public key must be 32 bytes/);
  assert.throws(() => openSealed(new Uint8Array(16), sealTo(keys().publicKey, enc.encode("x"), CTX), CTX), /secret key must be 32 bytes/);
  assert.throws(() => sealTo(new Uint8Array(32), enc.encode("x"), CTX));
});

test("pairwise boxes (secagg shares, vertical tables): both ends derive one key per label; another label, pair or ad does not open", () => {
  const a = keys();
  const b = keys();
  const c = keys();
  const kab = boxKey(agree(a.secretKey, b.publicKey), "ciphermine test share 1");
  assert.deepEqual(boxKey(agree(b.secretKey, a.publicKey), "ciphermine test share 1"), kab);
  const ad = enc.encode("task 7 round 2 a->b");
  const { nonce, ct } = sealWithKey(kab, enc.encode("share"), ad);
  assert.equal(nonce.length, 24);
  assert.deepEqual(openWithKey(kab, nonce, ct, ad), enc.encode("share"));
  assert.throws(() => openWithKey(boxKey(agree(b.secretKey, a.publicKey), "ciphermine test share 2"), nonce, ct, ad));
  assert.throws(() => openWithKey(boxKey(agree(c.secretKey, a.publicKey), "ciphermine test share 1"), nonce, ct, ad));
  assert.throws(() => openWithKey(kab, nonce, ct, enc.encode("task 7 round 3 a->b")));
  assert.throws(() => agree(a.secretKey, new Uint8Array(32)), "a low-order peer key is refused");
});
