import { Worker } from "node:worker_threads";
import type { PaillierEncryptor, PaillierKeyPair } from "./paillier.js";

/**
 * Encrypts many plaintexts under a key the caller holds (CRT) or only knows the public half of,
 * split across worker threads: encrypting every row once is the protocol's dominant cost and is
 * embarrassingly parallel. Each thread rebuilds the fixed-base tables (0.7–3 s at 2,048 bits), so
 * small batches stay on this thread.
 */
export async function encryptAll(kp: PaillierKeyPair | PaillierEncryptor, plaintexts: readonly bigint[], workers = 1): Promise<bigint[]> {
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers ${workers}: must be a positive integer`);
  kp.prepare(Math.ceil(plaintexts.length / workers));
  if (workers === 1 || plaintexts.length < 512) return plaintexts.map((m) => kp.encrypt(m));
  // Run from TypeScript sources (tsx) or from compiled JavaScript alike.
  const entry = new URL(import.meta.url.endsWith(".ts") ? "./paillier-encrypt-worker.ts" : "./paillier-encrypt-worker.js", import.meta.url);
  const per = Math.ceil(plaintexts.length / workers);
  const key = "secret" in kp ? { key: kp.secret() } : { pub: kp.spec() };
  const parts = await Promise.all(
    Array.from(
      { length: workers },
      (_, w) =>
        new Promise<bigint[]>((resolve, reject) => {
          const worker = new Worker(entry);
          worker.once("message", (out: bigint[]) => {
            resolve(out);
            void worker.terminate();
          });
          worker.once("error", reject);
          worker.postMessage({ ...key, plaintexts: plaintexts.slice(w * per, (w + 1) * per) });
        }),
    ),
  );
  return parts.flat();
}
