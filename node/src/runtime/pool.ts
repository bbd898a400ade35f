import { availableParallelism } from "node:os";
import { Worker, type Transferable } from "node:worker_threads";
import type { JobArgs, JobName, JobResult } from "./jobs.js";

/**
 * A small pool of worker threads for the node's CPU-heavy steps (proving, dataset commitments,
 * Paillier batches): the event loop stays free to serve other tasks' events and API requests
 * while they run. Jobs are named pure functions (jobs.ts) taking and returning structured-clonable
 * data; typed-array buffers listed in `transfer` move instead of being copied.
 *
 * The pool is bounded (`size` threads, default cores − 1 and at least 1); extra jobs wait in a
 * queue. Size 0 runs jobs inline on the calling thread (for debugging). Idle threads do not keep
 * the process alive. Threads run the TypeScript sources through tsx's loader when this module is
 * itself loaded from TypeScript (under `node --import tsx` or `tsx`), or the compiled .js.
 */
export function defaultPoolSize(): number {
  return Math.max(1, availableParallelism() - 1);
}

interface Pending {
  id: number;
  name: JobName;
  args: unknown;
  transfer: Transferable[];
  resolve(v: unknown): void;
  reject(e: Error): void;
}

interface Slot {
  worker: Worker;
  job?: Pending;
}

const fromTs = import.meta.url.endsWith(".ts");
const ENTRY = new URL(fromTs ? "./pool-worker.ts" : "./pool-worker.js", import.meta.url);

function workerExecArgv(): string[] {
  const argv = [...process.execArgv];
  if (!fromTs) return argv;
  // `tsx script.ts` and `node --import tsx` both pass a loader in execArgv; add it when absent.
  if (!argv.some((a) => /tsx/.test(a))) argv.push("--import", import.meta.resolve("tsx"));
  return argv;
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(readonly size: number = defaultPoolSize()) {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`worker pool size ${size}: must be an integer ≥ 0 (0 runs jobs inline)`);
  }

  /** Jobs running now. */
  get busy(): number {
    return this.slots.filter((s) => s.job).length;
  }

  /** Jobs waiting for a thread. */
  get waiting(): number {
    return this.queue.length;
  }

  run<N extends JobName>(name: N, args: JobArgs<N>, transfer: Transferable[] = []): Promise<JobResult<N>> {
    if (this.closed) return Promise.reject(new Error("worker pool: closed"));
    if (this.size === 0) return import("./jobs.js").then(({ JOBS }) => (JOBS[name] as (a: unknown) => Promise<JobResult<N>>)(args));
    return new Promise<JobResult<N>>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, name, args, transfer, resolve: resolve, reject });
      this.pump();
    });
  }

  /**
   * Stops every thread; running and queued jobs fail. An idle thread is asked to stop (it releases
   * snarkjs' WASM threads first) and terminated only if it has not within two seconds.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new Error("worker pool: closed"));
    await Promise.all(
      this.slots.splice(0).map(async (s) => {
        if (s.job) {
          s.job.reject(new Error("worker pool: closed"));
          await s.worker.terminate();
          return;
        }
        const exited = new Promise<boolean>((r) => s.worker.once("exit", () => r(true)));
        s.worker.ref();
        s.worker.postMessage({ id: 0, name: "close" });
        const timer = setTimeout(() => void s.worker.terminate(), 2000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.job);
      if (!slot) {
        if (this.slots.length >= this.size) return;
        slot = this.spawn();
      }
      const job = this.queue.shift()!;
      slot.job = job;
      slot.worker.ref();
      slot.worker.postMessage({ id: job.id, name: job.name, args: job.args }, job.transfer);
    }
  }

  private spawn(): Slot {
    const worker = new Worker(ENTRY, { execArgv: workerExecArgv() });
    const slot: Slot = { worker };
    worker.unref();
    worker.on("message", (msg: { id: number; result?: unknown; error?: string }) => {
      const job = slot.job;
      if (!job || job.id !== msg.id) return;
      slot.job = undefined;
      worker.unref();
      if (msg.error !== undefined) job.reject(new Error(msg.error));
      else job.resolve(msg.result);
      this.pump();
    });
    const lost = (why: string) => {
      const i = this.slots.indexOf(slot);
      if (i < 0) return;
      this.slots.splice(i, 1);
      slot.job?.reject(new Error(`worker pool: the thread running ${slot.job.name} ${why}`));
      slot.job = undefined;
      if (!this.closed) this.pump();
    };
    worker.on("error", (e) => lost(`failed: ${e.message}`));
    worker.on("exit", (code) => lost(`exited with code ${code}`));
    this.slots.push(slot);
    return slot;
  }
}

let shared: WorkerPool | undefined;
let sharedSize: number | undefined;

/**
 * Sets the size of the process-wide pool (a node's `workerThreads`). Several nodes in one process
 * share it; the largest size asked for wins. Takes effect for threads started afterwards.
 */
export function configurePool(size: number): void {
  if (!Number.isInteger(size) || size < 0) throw new RangeError(`workerThreads ${size}: must be an integer ≥ 0`);
  if (sharedSize !== undefined && sharedSize >= size) return;
  sharedSize = size;
  if (shared && shared.size !== size) {
    const old = shared;
    shared = new WorkerPool(size);
    // Running jobs finish on the old threads, which then go: nothing waits on an idle thread.
    void waitIdle(old).then(() => old.close());
  }
}

async function waitIdle(p: WorkerPool): Promise<void> {
  while (p.busy > 0 || p.waiting > 0) await new Promise((r) => setTimeout(r, 50).unref());
}

/** The process-wide pool (created on first use). */
export function pool(): WorkerPool {
  if (!shared) {
    shared = new WorkerPool(sharedSize ?? defaultPoolSize());
    // Threads stay warm while the process lives. When it is about to exit on its own, they are
    // stopped first: a process leaving with live WASM threads (snarkjs' inside a pool thread) can
    // abort in native teardown ("free(): invalid pointer").
    process.once("beforeExit", () => void closePool());
  }
  return shared;
}

/**
 * fn(0) … fn(total − 1), results in order, with a few calls in flight per thread of the process
 * pool: enough to keep every thread busy, few enough that waiting calls (each holding its input,
 * e.g. a proof's witness) stay bounded in memory. `onDone` counts finished calls.
 */
export async function inPoolLanes<T>(total: number, fn: (i: number) => Promise<T>, onDone?: (done: number, total: number) => void): Promise<T[]> {
  const out = new Array<T>(total);
  let next = 0;
  let done = 0;
  const lane = async () => {
    while (next < total) {
      const i = next++;
      out[i] = await fn(i);
      onDone?.(++done, total);
    }
  };
  await Promise.all(Array.from({ length: Math.min(total, Math.max(2, 2 * pool().size)) }, lane));
  return out;
}

/** Stops the process-wide pool's threads (a later pool() starts a new pool). Call before process.exit. */
export async function closePool(): Promise<void> {
  const p = shared;
  shared = undefined;
  await p?.close();
}
