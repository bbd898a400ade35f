/**
 * Crypto primitive costs.
 * CKKS (node-seal 7, WASM, one thread) per operation at n = 8192 (preset 128: moduli 60,40,40,60,
 * scale 2^40) and n = 16384 (preset 192), beside native SEAL's published n = 8192 figures
 * (3.7 GHz desktop). Paillier (2048-bit): paillier-bigint 3.4.3 vs our implementation
 * (g = n+1, CRT decryption, CRT r^n for the key holder, pooled r^n, packing).
 * Run: npx tsx bench/crypto.ts
 */
import { pathToFileURL } from "node:url";
import * as paillierBigint from "paillier-bigint";
import { CkksOwner, CkksWorker, getCkksContext, type CkksPresetName } from "../node/src/crypto/ckks/index.js";
import { freshRn, freshRnCrt, pack, packingLayout, paillierAdd, paillierDecrypt, paillierEncrypt, paillierKeygen, RandomnessPool, unpack } from "../node/src/crypto/paillier.js";
import { randomInt, randomOpen } from "../node/src/crypto/random.js";

export interface CkksOpRow {
  n: number;
  op: string;
  ms: number;
  /** Native SEAL's published figure for the same op at n = 8192, when there is one. */
  nativeMs?: number;
  note?: string;
}

function timeIt(reps: number, f: () => void): number {
  f(); // warm-up
  const t = performance.now();
  for (let i = 0; i < reps; i++) f();
  return (performance.now() - t) / reps;
}

const NATIVE_8192: Record<string, number> = { "encrypt (public key)": 11.1, "multiply + relinearize": 10.1, "multiply plain + rescale": 3.6, "decrypt + decode": 1.7 };

export async function ckksRows(presets: CkksPresetName[] = [128, 192], reps = 8): Promise<CkksOpRow[]> {
  const rows: CkksOpRow[] = [];
  for (const p of presets) {
    let t = performance.now();
    const ctx = await getCkksContext(p);
    const n = ctx.preset.polyModulusDegree;
    const push = (op: string, ms: number, note?: string) => rows.push({ n, op, ms: +ms.toFixed(3), nativeMs: n === 8192 ? NATIVE_8192[op] : undefined, note });
    push("context", performance.now() - t, "once per process");
    t = performance.now();
    const owner = await CkksOwner.generate({ preset: p, rotationSteps: [1] });
    push("keygen secret + public", performance.now() - t);
    t = performance.now();
    const bundle = owner.workerKeys();
    push("keygen relin + 1 Galois key (+ save)", performance.now() - t, `worker key bundle ${(bundle.length / 1e6).toFixed(2)} MB`);
    const worker = await CkksWorker.fromBundle(bundle);
    const x = Array.from({ length: ctx.slots }, () => randomOpen(-1, 1));
    const a = worker.encrypt(x);
    const b = worker.encrypt(x);
    push(
      "encrypt (public key)",
      timeIt(reps, () => worker.encrypt(x).delete()),
    );
    push(
      "encrypt symmetric → bytes",
      timeIt(reps, () => owner.encryptToBytes(x)),
      "seeded, owner side",
    );
    push(
      "add",
      timeIt(reps * 5, () => worker.add(a, b).delete()),
    );
    push(
      "multiply (no relin)",
      timeIt(reps, () => worker.multiply(a, b, { relinearize: false, rescale: false }).delete()),
    );
    push(
      "multiply + relinearize",
      timeIt(reps, () => worker.multiply(a, b, { rescale: false }).delete()),
    );
    push(
      "multiply + relinearize + rescale",
      timeIt(reps, () => worker.multiply(a, b).delete()),
    );
    push(
      "multiply plain + rescale",
      timeIt(reps, () => worker.multiplyPlain(a, x).delete()),
      "includes encoding the plaintext",
    );
    push(
      "rotate by 1",
      timeIt(reps, () => worker.rotate(a, 1).delete()),
    );
    push(
      "decrypt + decode",
      timeIt(reps, () => owner.decrypt(a)),
    );
    const fresh = worker.save(a);
    const prod = worker.multiply(a, b);
    const prodBytes = worker.save(prod);
    const sq = worker.square(a, { relinearize: false });
    worker.dropToLastLevel(sq);
    push("ciphertext bytes, fresh public-key (zstd)", fresh.length / 1024, "KB, not ms");
    push("ciphertext bytes, seeded symmetric (zstd)", owner.encryptToBytes(x).length / 1024, "KB, not ms");
    push("ciphertext bytes, after mul+relin+rescale", prodBytes.length / 1024, "KB, not ms");
    push("ciphertext bytes, size-3 square at last level", worker.save(sq).length / 1024, "KB, not ms");
    for (const c of [a, b, prod, sq]) c.delete();
    worker.dispose();
    owner.dispose();
  }
  return rows;
}

export interface PaillierRow {
  impl: string;
  op: string;
  perSecond: number;
  msEach: number;
  note?: string;
}

export async function paillierRows(bits = 2048, reps = 6): Promise<PaillierRow[]> {
  const rows: PaillierRow[] = [];
  const push = (impl: string, op: string, ms: number, note?: string, valuesPerOp = 1) =>
    rows.push({ impl, op, perSecond: +((1000 / ms) * valuesPerOp).toFixed(2), msEach: +(ms / valuesPerOp).toFixed(4), note });

  let t = performance.now();
  const lib = await paillierBigint.generateRandomKeys(bits);
  push("paillier-bigint", "keygen", performance.now() - t);
  const m = 123456789n;
  const lc = lib.publicKey.encrypt(m);
  push(
    "paillier-bigint",
    "encrypt",
    timeIt(reps, () => lib.publicKey.encrypt(m)),
  );
  push(
    "paillier-bigint",
    "add",
    timeIt(reps * 50, () => lib.publicKey.addition(lc, lc)),
  );
  push(
    "paillier-bigint",
    "decrypt",
    timeIt(reps, () => lib.privateKey.decrypt(lc)),
  );

  t = performance.now();
  const sk = paillierKeygen(bits);
  push("own", "keygen", performance.now() - t, "node:crypto generatePrime");
  const pk = sk.publicKey;
  const c = paillierEncrypt(pk, m);
  push(
    "own",
    "encrypt (public key, r^n mod n²)",
    timeIt(reps, () => paillierEncrypt(pk, m, freshRn(pk))),
  );
  push(
    "own",
    "encrypt (key holder, CRT r^n)",
    timeIt(reps, () => paillierEncrypt(pk, m, freshRnCrt(sk))),
  );
  const pool = new RandomnessPool(pk, sk);
  t = performance.now();
  pool.fill(reps * 20);
  const fillMs = (performance.now() - t) / (reps * 20);
  push("own", "pool fill (per r^n, CRT)", fillMs, "precomputed off the critical path");
  push(
    "own",
    "encrypt (pooled r^n)",
    timeIt(reps * 10, () => paillierEncrypt(pk, m, pool.take())),
  );
  push(
    "own",
    "add",
    timeIt(reps * 50, () => paillierAdd(pk, c, c)),
  );
  push(
    "own",
    "decrypt (CRT)",
    timeIt(reps, () => paillierDecrypt(sk, c)),
  );
  const layout = packingLayout(pk, 32, 1024);
  const vals = Array.from({ length: layout.slots }, () => BigInt(randomInt(-(2 ** 31), 2 ** 31 - 1)));
  const note = `${layout.slots} × 32-bit signed values per ciphertext, headroom for 1024-term sums`;
  push(
    "own packed",
    "encrypt (CRT r^n), values/s",
    timeIt(reps, () => paillierEncrypt(pk, pack(layout, vals), freshRnCrt(sk))),
    note,
    layout.slots,
  );
  const pc = paillierEncrypt(pk, pack(layout, vals));
  push(
    "own packed",
    "add, values/s",
    timeIt(reps * 50, () => paillierAdd(pk, pc, pc)),
    note,
    layout.slots,
  );
  push(
    "own packed",
    "decrypt + unpack, values/s",
    timeIt(reps, () => unpack(layout, paillierDecrypt(sk, pc), layout.slots)),
    note,
    layout.slots,
  );
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.log("CKKS (node-seal 7, WASM) — ms per op; native SEAL published figures at n = 8192 on a 3.7 GHz desktop");
  console.table(await ckksRows());
  console.log("Paillier, 2048-bit");
  console.table(await paillierRows());
  process.exit(0);
}
