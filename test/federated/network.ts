import assert from "node:assert/strict";
import { accessSync, constants } from "node:fs";
import { encodeNpy } from "../../node/src/data/npy.js";
import type { Table } from "../../node/src/data/table.js";
import type { RunningNode } from "../../node/src/index.js";
import { irisTables, linregTables, logregTables } from "./reference.js";

/** Owner i's datasets for every federated kind: iris, linear and logistic data (NPY files). */
export async function ownerDatasets(file: (name: string, b: Uint8Array) => Promise<string>, name: string, i: number, parts = 3) {
  const tables: Record<string, Table> = { iris: irisTables(parts)[i]!, lin: linregTables(parts)[i]!, log: logregTables(parts)[i]! };
  const datasets = [];
  for (const [ds, t] of Object.entries(tables)) datasets.push({ name: ds, path: await file(`${name}-${ds}.npy`, encodeNpy(t.rows)), format: "npy" as const, columns: t.columns });
  return { datasets, tables };
}

/** Resolves with the task's final round (done, or the last allowed) once the requester recorded it; rejects if a round failed. */
export async function finalResult<T>(R: RunningNode, taskId: number, rounds: number): Promise<{ result: T; round: number }> {
  let final = 0;
  let failed: string | undefined;
  await R.runtime.when(() => {
    for (let r = 1; r <= rounds; r++) {
      const s = R.store.getRound(taskId, r, "requester");
      if (!s) return false;
      if (s.status === "failed") {
        failed = `round ${r}: ${s.error}`;
        return true;
      }
      const res = R.store.getResult(taskId, r);
      if (s.status === "done" && res && (res.done || r === rounds)) {
        final = r;
        return true;
      }
    }
    return false;
  });
  assert.equal(failed, undefined, failed);
  return { result: R.store.getResult(taskId, final)!.result as T, round: final };
}

/**
 * Node stores and the coordinator fsync every transaction (synchronous = FULL). On a RAM disk
 * that costs nothing, so these many-round tests put their directories there when there is one.
 */
export function preferRamDisk(): void {
  try {
    accessSync("/dev/shm", constants.W_OK);
    process.env.TMPDIR = "/dev/shm";
  } catch {
    // No RAM disk: the OS temp directory works too, only slower.
  }
}
