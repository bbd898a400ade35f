import { commitDataset } from "../../../protocol/src/commitment.js";
import { encodeRows } from "../../../protocol/src/fixedpoint.js";
import { flatten } from "../runtime/jobs.js";
import { pool } from "../runtime/pool.js";
import { hashJson } from "../../../protocol/src/canonical.js";
import type { DatasetCommitment } from "../../../chain-connector/src/connector.js";
import type { Table } from "./table.js";
import { commitChunks } from "../../../protocol/src/honk/chunks.js";
import { BN254_FR } from "../../../protocol/src/honk/poseidon2.js";
import { fieldToBytes32 } from "../../../protocol/src/commitment.js";
import { honkShape } from "../zk/honk-contributions.js";

/**
 * How a dataset version is committed: "rows", the Poseidon Merkle tree over salted rows that the
 * Groth16 circuits open; "chunks", the Poseidon2 tree over salted chunks (protocol/src/honk/chunks.ts)
 * that the UltraHonk circuits open, rows stored in W slots (the circuit width for the column count:
 * 4 or 16) in chunks of 1024 / W rows (chunk size, width and column count are in every leaf, so
 * they are part of what is committed). The registry holds one root per version; a task
 * with proofSystem "honk" needs its owners' versions committed by chunks.
 */
export type CommitmentScheme = "rows" | "chunks";

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
export async function commitTable(table: Table, seed: Uint8Array, scheme: CommitmentScheme = "rows"): Promise<DatasetCommitment> {
  if (scheme === "chunks") {
    const ds = chunkedTable(table, seed);
    return { root: fieldToBytes32(ds.tree.root), rows: table.rows.length, columns: table.columns.length, schemaHash: schemaHash(table) };
  }
  const tree =
    table.rows.length <= INLINE_ROWS
      ? await commitDataset(encodeRows(table.rows, table.columns), seed)
      : await (async () => {
          const rows = flatten(table.rows, table.columns);
          return pool().run("commitRoot", { rows, seed: seed.slice() }, [rows.values.buffer]);
        })();
  return { root: tree.root, rows: table.rows.length, columns: table.columns.length, schemaHash: schemaHash(table) };
}

/** A table's chunked commitment (scheme "chunks") in the Honk circuits' chunk size and width for its column count. */
export function chunkedTable(table: Table, seed: Uint8Array) {
  // honkShape refuses more columns than the widest circuit, naming the limit.
  const s = honkShape("stats", table.columns.length);
  // encodeRows gives field elements (negatives as p − |x|); the chunked commitment packs signed values
  const signed = encodeRows(table.rows, table.columns).map((r) => r.map((x) => (x > BN254_FR >> 1n ? x - BN254_FR : x)));
  return commitChunks(signed, s.chunkRows, s.columns, seed, s.width);
}
