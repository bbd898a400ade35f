import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { assertNoSecretKey, CKKS_PRESETS, CkksEvaluator, CkksOwner, CkksWorker, getCkksContext } from "../../node/src/crypto/ckks/index.js";
import { randomOpen } from "../../node/src/crypto/random.js";

const rand = (n: number, lo = -1, hi = 1) => Array.from({ length: n }, () => randomOpen(lo, hi));
const maxErr = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe("ckks preset 128", () => {
  let owner: CkksOwner;
  let worker: CkksWorker;
  let other: CkksOwner;
  before(async () => {
    owner = await CkksOwner.generate({ preset: 128, rotationSteps: [1, 4, ...CkksEvaluator.rotateSumSteps(4, 1024)] });
    worker = await CkksWorker.fromBundle(owner.workerKeys());
    other = await CkksOwner.generate({ preset: 128 });
  });
  after(() => {
    owner.dispose();
    worker.dispose();
    other.dispose();
  });

  test("decrypt(encrypt(x)) within 1e-6, via bytes both ways", () => {
    const x = rand(4096, -1000, 1000);
    const a = owner.decryptBytes(owner.encryptToBytes(x));
    assert.ok(maxErr(a, x) < 1e-6, `symmetric err ${maxErr(a, x)}`);
    const ct = worker.encrypt(x);
    const b = owner.decryptBytes(worker.save(ct));
    ct.delete();
    assert.ok(maxErr(b, x) < 1e-6, `public err ${maxErr(b, x)}`);
  });

  test("worker add/sub/multiply/square/plain multiply/rotate match plaintext", () => {
    const x = rand(4096);
    const y = rand(4096);
    const cx = worker.load(owner.encryptToBytes(x));
    const cy = worker.load(owner.encryptToBytes(y));
    const sum = worker.add(cx, cy);
    const diff = worker.sub(cx, cy);
    const prod = worker.multiply(cx, cy);
    const sq = worker.square(diff, { relinearize: false });
    const pm = worker.multiplyPlain(cx, y);
    const rot = worker.rotate(cx, 1);
    const mixed = worker.add(prod, cx); // different levels: aligned by mod switching
    const dec = (c: typeof cx) => owner.decryptBytes(worker.save(c));
    // Bounds are ~5–10× the worst errors seen over many runs (rescaling an unrelinearised
    // product is the noisiest path: ~2e-6).
    const check = (name: string, c: typeof cx, want: number[], tol: number) => {
      const e = maxErr(dec(c), want);
      assert.ok(e < tol, `${name}: max error ${e} ≥ ${tol}`);
    };
    check(
      "add",
      sum,
      x.map((v, i) => v + y[i]),
      1e-6,
    );
    check(
      "sub",
      diff,
      x.map((v, i) => v - y[i]),
      1e-6,
    );
    check(
      "multiply",
      prod,
      x.map((v, i) => v * y[i]),
      1e-6,
    );
    check(
      "square (no relin)",
      sq,
      x.map((v, i) => (v - y[i]) ** 2),
      2e-5,
    );
    check(
      "multiply plain",
      pm,
      x.map((v, i) => v * y[i]),
      1e-6,
    );
    check(
      "rotate",
      rot,
      x.map((_, i) => x[(i + 1) % 4096]),
      5e-6,
    );
    check(
      "mixed levels",
      mixed,
      x.map((v, i) => v * y[i] + v),
      5e-6,
    );
    for (const c of [cx, cy, sum, diff, prod, sq, pm, rot, mixed]) c.delete();
  });

  test("rotateSum replicates per-residue sums", () => {
    const x = rand(4096);
    const c = worker.load(owner.encryptToBytes(x));
    const s = worker.rotateSum(c, 4, 1024);
    const d = owner.decryptBytes(worker.save(s));
    const expect = [0, 1, 2, 3].map((r) => x.filter((_, i) => i % 4 === r).reduce((p, q) => p + q, 0));
    assert.ok(
      maxErr(
        d,
        Array.from({ length: 4096 }, (_, i) => expect[i % 4]),
      ) < 1e-4,
    );
    c.delete();
    s.delete();
  });

  test("ciphertext from another key is refused, not decrypted to noise", () => {
    const foreign = other.encryptToBytes([1, 2, 3]);
    assert.throws(() => worker.load(foreign), /encrypted under another key/);
    assert.throws(() => owner.decryptBytes(foreign), /encrypted under another key/);
  });

  test("tampered or truncated ciphertext bytes give an error", () => {
    const good = owner.encryptToBytes([1, 2, 3]);
    assert.throws(() => worker.load(good.subarray(0, 10)), /bad magic|ckks/);
    const cut = good.slice(0, good.length - 1000);
    assert.throws(() => worker.load(cut), /ckks load ciphertext/);
    const bad = good.slice();
    bad[0] = 0;
    assert.throws(() => worker.load(bad), /bad magic/);
  });

  test("worker holds no secret key; owner does", () => {
    worker.assertNoSecretKey();
    assert.throws(() => assertNoSecretKey(owner), /secret key/);
    const bundle = owner.workerKeys();
    const secret = owner.exportSecret();
    // The secret key bytes (after the public key section) must not appear inside the worker bundle.
    const probe = Buffer.from(secret.subarray(secret.length - 4000, secret.length - 3936));
    assert.equal(Buffer.from(bundle).indexOf(probe), -1);
  });

  test("rotation without a Galois key for that step is a clear error", () => {
    const c = worker.load(owner.encryptToBytes([1]));
    assert.throws(() => worker.rotate(c, 3), /no Galois key for step 3/);
    c.delete();
  });

  test("owner secret export/import round trips", async () => {
    const again = await CkksOwner.importSecret(owner.exportSecret());
    assert.equal(again.fingerprintHex, owner.fingerprintHex);
    const v = again.decryptBytes(owner.encryptToBytes([0.5, -2]), 2);
    assert.ok(maxErr(v, [0.5, -2]) < 1e-6);
    again.dispose();
  });

  test("bad input: too many values, NaN", () => {
    assert.throws(() => owner.encryptToBytes(new Array(5000).fill(0)), /exceed the 4096 slots/);
    assert.throws(() => owner.encryptToBytes([1, NaN]), /index 1 is not finite/);
  });
});

describe("ckks presets 192 and 256", () => {
  test("SEAL accepts each preset at its security level, and it round trips", async () => {
    for (const p of [192, 256] as const) {
      const ctx = await getCkksContext(p);
      assert.equal(ctx.slots, CKKS_PRESETS[p].polyModulusDegree / 2);
      assert.ok(ctx.context.parametersSet());
      const o = await CkksOwner.generate({ preset: p });
      const w = await CkksWorker.fromBundle(o.workerKeys());
      const x = rand(16, -3, 3);
      const c = w.load(o.encryptToBytes(x));
      const sq = w.multiply(c, c);
      const d = o.decryptBytes(w.save(sq), 16);
      assert.ok(
        maxErr(
          d,
          x.map((v) => v * v),
        ) < 1e-4,
        `preset ${p} err ${maxErr(
          d,
          x.map((v) => v * v),
        )}`,
      );
      c.delete();
      sq.delete();
      o.dispose();
      w.dispose();
    }
  });

  test("preset 256 with Pyfhel's 2^60 scale: one multiply still decrypts", async () => {
    const o = await CkksOwner.generate({ preset: 256, scaleBits: 60 });
    const w = await CkksWorker.fromBundle(o.workerKeys());
    assert.equal(w.ctx.scale, 2 ** 60);
    const x = rand(8, -3, 3);
    const c = w.load(o.encryptToBytes(x));
    const sq = w.multiply(c, c);
    assert.ok(
      maxErr(
        o.decryptBytes(w.save(sq), 8),
        x.map((v) => v * v),
      ) < 1e-4,
    );
    // the next level's scale is 2^70, so it cannot be added to a fresh 2^60 ciphertext
    assert.throws(() => w.add(sq, c), /operand scales differ/);
    c.delete();
    sq.delete();
    o.dispose();
    w.dispose();
  });
});
