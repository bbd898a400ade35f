import { commitDataset } from "../../../protocol/src/commitment.js";
import { encodeRows } from "../../../protocol/src/fixedpoint.js";
import { flatten } from "../runtime/jobs.js";
import { pool } from "../runtime/pool.js";
import { hashJson } from "../../../protocol/src/canonical.js";
import type { DatasetCommitment } from "../../../chain-connector/src/connector.js";
import type { Table } from "./table.js";

/** Up to this many rows (≈ 0.1 s of hashing) a commitment is cheaper here than a thread hop. */
export const INLINE_ROWS = 256;

/** What a dataset's on-chain schema hash covers: its column names and order. */
export function schemaHash(table: Pick<Table, "columns">): string {
  return hashJson({ v: 1, columns: table.columns });
}

/**
 * The dataset commitment registered on-chain: the Poseidon Merkle root over the salted
 * fixed-point rows (protocol commitment.ts), whose salts come from the secret `seed`. Values out
 * of the fixed-point range are refused here, before anything is registered. The hashing (≈0.35 ms
 * per row) runs on a pool thread, so registering a large dataset does not stall the node.
 */
export async function commitTable(table: Table, seed: Uint8Array): Promise<DatasetCommitment> {
  const tree =
    table.rows.length <= INLINE_ROWS
      ? await commitDataset(encodeRows(table.rows, table.columns), seed)
      : await (async () => {
          const rows = flatten(table.rows, table.columns);
          return pool().run("commitRoot", { rows, seed: seed.slice() }, [rows.values.buffer]);
        })();
  return { root: tree.root, rows: table.rows.length, columns: table.columns.length, schemaHash: schemaHash(table) };
}
