import { commitDataset } from "../../../protocol/src/commitment.js";
import { encodeRows } from "../../../protocol/src/fixedpoint.js";
import { hashJson } from "../../../protocol/src/canonical.js";
import type { DatasetCommitment } from "../../../chain-connector/src/connector.js";
import type { Table } from "./table.js";

/** What a dataset's on-chain schema hash covers: its column names and order. */
export function schemaHash(table: Pick<Table, "columns">): string {
  return hashJson({ v: 1, columns: table.columns });
}

/**
 * The dataset commitment registered on-chain: the Poseidon Merkle root over the salted
 * fixed-point rows (protocol commitment.ts), whose salts come from the secret `seed`. Values out
 * of the fixed-point range are refused here, before anything is registered.
 */
export async function commitTable(table: Table, seed: Uint8Array): Promise<DatasetCommitment> {
  const encoded = encodeRows(table.rows, table.columns);
  const tree = await commitDataset(encoded, seed);
  return { root: tree.root, rows: table.rows.length, columns: table.columns.length, schemaHash: schemaHash(table) };
}
