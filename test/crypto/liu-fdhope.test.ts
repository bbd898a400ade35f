import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  liuAbs,
  liuAdd,
  liuDecrypt,
  liuDecryptProduct,
  liuEncrypt,
  liuKeygen,
  liuMul,
  liuScale,
  liuSub,
  parseLiuCiphertext,
  parseLiuKey,
  serializeLiuCiphertext,
  serializeLiuKey,
  validateLiuKey,
} from "../../node/src/crypto/liu.js";
import { fdhOpeEncrypt, fdhOpeKeygen, parseFdhOpeKey, serializeFdhOpeKey } from "../../node/src/crypto/fdhope.js";
import { randomOpen } from "../../node/src/crypto/random.js";

const close = (a: number, b: number, tol: number) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

describe("liu", () => {
  for (const level of [128, 192, 256] as const) {
    test(`round trip and homomorphisms at security ${level}`, () => {
      const key = liuKeygen({ securityLevel: level });
      assert.equal(key.m, { 128: 3, 192: 4, 256: 6 }[level]);
      const a = Array.from({ length: 200 }, () => randomOpen(-50, 50));
      const b = Array.from({ length: 200 }, () => randomOpen(-50, 50));
      const ea = liuEncrypt(key, a);
      const eb = liuEncrypt(key, b);
      const da = liuDecrypt(key, ea);
      for (let i = 0; i < a.length; i++) close(da[i], a[i], 1e-9);
      const sum = liuDecrypt(key, liuAdd(ea, eb));
      const diff = liuDecrypt(key, liuSub(ea, eb));
      const sc = liuDecrypt(key, liuScale(ea, -2.5));
      const prod = liuDecryptProduct(key, liuMul(ea, eb));
      for (let i = 0; i < a.length; i++) {
        close(sum[i], a[i] + b[i], 1e-9);
        close(diff[i], a[i] - b[i], 1e-9);
        close(sc[i], -2.5 * a[i], 1e-9);
        close(prod[i], a[i] * b[i], 1e-7);
      }
    });
  }

  test("abs decrypts to |a−b| approximately (the leak Rory's SKNN relies on)", () => {
    const key = liuKeygen();
    const a = Array.from({ length: 100 }, () => randomOpen(0.5, 8));
    const b = Array.from({ length: 100 }, () => randomOpen(0.5, 8));
    const d = liuDecrypt(key, liuAbs(liuSub(liuEncrypt(key, a), liuEncrypt(key, b))));
    for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > 0.01) assert.ok(Math.abs(d[i] - Math.abs(a[i] - b[i])) < 1e-2);
  });

  test("encryption is randomised", () => {
    const key = liuKeygen();
    const x = liuEncrypt(key, [1, 1]);
    assert.notEqual(x.data[0], x.data[3]);
  });

  test("invalid keys are rejected with the failing condition", () => {
    assert.throws(() => validateLiuKey({ m: 3, k: [0, 1, 1], s: [1, 1, 1], t: [1, 1, 1] }), /k_1 must be non-zero/);
    assert.throws(() => validateLiuKey({ m: 3, k: [1, 1, 1], s: [1, 1, 1], t: [2, -2, 1] }), /t_i must be non-zero/);
    assert.throws(() => validateLiuKey({ m: 3, k: [1, 1, 1], s: [1, 1, -2], t: [1, 1, 1] }), /k_m \+ s_m \+ t_m/);
    assert.throws(() => validateLiuKey({ m: 2, k: [1, 1], s: [1, 1], t: [1, 1] }), /m must be/);
  });

  test("serialization round trips; wrong m and garbage are refused", () => {
    const key = liuKeygen({ securityLevel: 192 });
    const k2 = parseLiuKey(serializeLiuKey(key));
    const c = liuEncrypt(key, [3.25, -7]);
    const c2 = parseLiuCiphertext(serializeLiuCiphertext(c));
    assert.deepEqual(
      Array.from(liuDecrypt(k2, c2)).map((x) => Math.round(x * 1e6) / 1e6),
      [3.25, -7],
    );
    assert.throws(() => liuDecrypt(liuKeygen({ securityLevel: 128 }), c), /wrong key/);
    assert.throws(() => parseLiuCiphertext(new Uint8Array([1, 2, 3])), /bad magic/);
    assert.throws(() => parseLiuCiphertext(serializeLiuCiphertext(c).subarray(0, 20)), /truncated/);
    assert.throws(() => liuEncrypt(key, [NaN]), /index 0 is not finite/);
  });
});

describe("fdh-ope", () => {
  test("order preserving on |x| with sign, randomised", () => {
    const data = Array.from({ length: 500 }, () => randomOpen(-10, 10));
    const key = fdhOpeKeygen(data);
    const c = fdhOpeEncrypt(key, data, 1e-8);
    const idx = data.map((_, i) => i).sort((i, j) => data[i] - data[j]);
    for (let i = 1; i < idx.length; i++) {
      if (data[idx[i]] - data[idx[i - 1]] > 1e-6) assert.ok(c[idx[i]] > c[idx[i - 1]], "order kept");
    }
    for (let i = 0; i < data.length; i++) assert.equal(Math.sign(c[i]), Math.sign(data[i]));
    const again = fdhOpeEncrypt(key, [data[0]]);
    assert.notEqual(again[0], fdhOpeEncrypt(key, [data[0]])[0]);
  });

  test("key shape, serialization and bad input", () => {
    const key = fdhOpeKeygen([0, 1, 2, 3, 4.4]);
    const mb = key.messageBounds;
    assert.equal(mb[0], 0);
    assert.equal(mb[mb.length - 1], Math.round(4.4) + 2 + 1);
    assert.ok(mb.length - 1 >= 3 && mb.length - 1 <= 8);
    assert.equal(key.cipherBounds[0], 0);
    assert.deepEqual(parseFdhOpeKey(serializeFdhOpeKey(key)), key);
    assert.throws(() => fdhOpeEncrypt(key, [100]), /outside the key's message range/);
    assert.throws(() => fdhOpeKeygen([]), /empty/);
    assert.throws(() => fdhOpeKeygen([1, NaN]), /index 1 is not finite/);
  });
});
