import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Groth16Proof } from "../../../chain-connector/src/connector.js";

/**
 * Groth16 proving in a child process of the calling thread. snarkjs proving inside a worker thread
 * corrupted the native heap now and then (measured: 4 of 10 processes died under load with
 * "free(): invalid pointer" or a segfault, in teardown or mid-proof; 0 of 8 when the same proofs
 * ran on a process's main thread), killing the whole node. A pool thread therefore hands its proofs
 * to one long-lived child, where snarkjs runs on a main thread with its own threads. The child
 * ends with its parent (it exits when the IPC channel closes).
 */
interface Pending {
  resolve(v: { proof: Groth16Proof; publicSignals: string[] }): void;
  reject(e: Error): void;
}

const fromTs = import.meta.url.endsWith(".ts");
const ENTRY = fileURLToPath(new URL(fromTs ? "./prover-child.ts" : "./prover-child.js", import.meta.url));

let child: ChildProcess | undefined;
let nextId = 1;
const pending = new Map<number, Pending>();

function start(): ChildProcess {
  const execArgv = [...process.execArgv];
  if (fromTs && !execArgv.some((a) => a.includes("tsx"))) execArgv.push("--import", import.meta.resolve("tsx"));
  const c = fork(ENTRY, [], { execArgv, serialization: "advanced", stdio: ["ignore", "inherit", "inherit", "ipc"] });
  c.on("message", (m: { id: number; result?: { proof: Groth16Proof; publicSignals: string[] }; error?: string }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.error !== undefined || !m.result) p.reject(new Error(m.error ?? "prover process: no result"));
    else p.resolve(m.result);
    if (pending.size === 0) idle(c);
  });
  c.on("exit", (code, signal) => {
    if (child === c) child = undefined;
    for (const [id, p] of pending) {
      pending.delete(id);
      p.reject(new Error(`prover process exited (${signal ?? `code ${String(code)}`})`));
    }
  });
  return c;
}

// An idle child does not keep its parent alive; a proof in flight does.
function idle(c: ChildProcess): void {
  c.unref();
  c.channel?.unref();
}

/** Proves `name` on `input` in the prover process (started on first use). */
export function proveInProcess(name: string, input: Record<string, unknown>, buildDir?: string): Promise<{ proof: Groth16Proof; publicSignals: string[] }> {
  child ??= start();
  const c = child;
  c.ref();
  c.channel?.ref();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    c.send({ id, name, input, buildDir });
  });
}

/** Stops the prover process, if any (its pending proofs fail). */
export async function stopProverProcess(): Promise<void> {
  const c = child;
  child = undefined;
  if (!c || c.exitCode !== null) return;
  const exited = new Promise<void>((r) => c.once("exit", () => r()));
  c.kill();
  await exited;
}
