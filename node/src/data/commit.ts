import { commitDataset } from "../../../protocol/src/commitment.js";
import { encodeRows } from "../../../protocol/src/fixedpoint.js";
import { flatten } from "../runtime/jobs.js";
import { pool } from "../runtime/pool.js";
import { hashJson } from "../../../protocol/src/canonical.js";
import type { DatasetCommitment } from "../../../chain-connector/src/connector.js";
import type { Table } from "./table.js";
import { commitChunks, MAX_COLUMNS } from "../../../protocol/src/honk/chunks.js";
import { BN254_FR } from "../../../protocol/src/honk/poseidon2.js";
import { fieldToBytes32 } from "../../../protocol/src/commitment.js";
import { honkShape } from "../zk/honk-contributions.js";

/**
 * How a dataset version is committed: "chunks" (the default), the Poseidon2 tree over salted chunks
 * (protocol/src/honk/chunks.ts) that the UltraHonk circuits open, rows stored in W slots (the
 * circuit width for the column count: 4 or 16) in chunks of 1024 / W rows (chunk size, width and
 * column count are in every leaf, so they are part of what is committed); "rows", the Poseidon
 * Merkle tree over salted rows that the Groth16 circuits of "onchain" tasks open, until on-chain
 * checks move to ChunkAudit. The registry holds one root per version; an "offchain" proven task
 * needs its owners' versions committed by chunks.
 */
export type CommitmentScheme = "rows" | "chunks";

/** Up to this many rows (≈ 0.1 s of hashing) a commitment is cheaper here than a thread hop. */
export const INLINE_ROWS = 256;

/** What a dataset's on-chain schema hash covers: its column names and order. */
export function schemaHash(table: Pick<Table, "columns">): string {
  return hashJson({ v: 1, columns: table.columns });
}

/**
 * The dataset commitment registered on-chain, salted from the secret `seed`: by default the
 * chunked Poseidon2 root (chunkedTable); with scheme "rows" the Poseidon Merkle root over the
 * salted fixed-point rows (protocol commitment.ts). Beyond INLINE_ROWS the hashing runs on a pool
 * thread (10,000 rows take seconds either way), so registering a large dataset does not stall the
 * node. Values out of the fixed-point range are refused here, before anything is registered.
 */
export async function commitTable(table: Table, seed: Uint8Array, scheme: CommitmentScheme = "chunks"): Promise<DatasetCommitment> {
  if (scheme === "chunks") {
    let root: string;
    if (table.rows.length <= INLINE_ROWS) root = fieldToBytes32(chunkedTable(table, seed).tree.root);
    else {
      const rows = flatten(table.rows, table.columns);
      root = (await pool().run("commitChunksRoot", { rows, seed: seed.slice() }, [rows.values.buffer])).root;
    }
    return { root, rows: table.rows.length, columns: table.columns.length, schemaHash: schemaHash(table) };
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

/**
 * A table's chunked commitment (scheme "chunks") in the Honk circuits' chunk size and width for its
 * column count. A table wider than the widest circuit still commits (every dataset is committed
 * this way by default), packed at its own width: no circuit proves it, and admission says so.
 */
export function chunkedTable(table: Table, seed: Uint8Array) {
  const c = table.columns.length;
  const s = honkShape("stats", Math.min(c, MAX_COLUMNS));
  // encodeRows gives field elements (negatives as p − |x|); the chunked commitment packs signed values
  const signed = encodeRows(table.rows, table.columns).map((r) => r.map((x) => (x > BN254_FR >> 1n ? x - BN254_FR : x)));
  return commitChunks(signed, s.chunkRows, c, seed, Math.max(c, s.width));
}
