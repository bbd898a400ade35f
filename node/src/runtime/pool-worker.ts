import * as threads from "node:worker_threads";
import { createRequire } from "node:module";
import { JOBS, type JobName } from "./jobs.js";

/**
 * A pool thread (pool.ts): runs one named job at a time and answers with its result or error.
 *
 * snarkjs reaches its thread pool through the `web-worker` package, which decides once, when it is
 * loaded, whether it is a page's main thread (it can start workers) or one of its own workers (it
 * then expects its own workerData and fails). A pool thread is neither, and should prove with
 * every core like the main thread does: it is presented as a main thread while web-worker loads
 * (from where the ffjavascript copies resolve it, so that they get the very module loaded here).
 */
const require = createRequire(import.meta.url);
const wt = require("node:worker_threads") as { isMainThread: boolean };
const was = wt.isMainThread;
wt.isMainThread = true;
try {
  // snarkjs carries its own ffjavascript; each copy resolves web-worker from where it sits.
  for (const ff of [createRequire(require.resolve("snarkjs")).resolve("ffjavascript"), require.resolve("ffjavascript")]) createRequire(ff)("web-worker");
} finally {
  wt.isMainThread = was;
}

threads.parentPort!.on("message", (msg: { id: number; name: JobName | "close"; args: unknown }) => {
  // Asked to stop: the prover process and any snarkjs threads go first, then this thread ends on its own.
  if (msg.name === "close")
    return void Promise.all([releaseCurve(), import("../zk/prover-process.js").then((m) => m.stopProverProcess())]).finally(() => threads.parentPort!.close());
  // eslint-disable-next-line @typescript-eslint/unbound-method -- the JOBS functions do not use `this`
  const job = JOBS[msg.name] as ((a: unknown) => Promise<unknown>) | undefined;
  (job ? job(msg.args) : Promise.reject(new Error(`no job named ${msg.name}`))).then(
    (result) => threads.parentPort!.postMessage({ id: msg.id, result }),
    (e: unknown) => threads.parentPort!.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) }),
  );
});

async function releaseCurve(): Promise<void> {
  const g = globalThis as { curve_bn128?: { terminate(): Promise<void> } | null };
  const c = g.curve_bn128;
  g.curve_bn128 = null;
  await c?.terminate();
}
