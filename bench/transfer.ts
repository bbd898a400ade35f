/**
 * Blob transfer cost: how often a payload is hashed and how fast it moves, as a node's runtime
 * sends a contribution and a member reads one.
 *
 * Workload: one coordinator connector (SQLite, LocalBlobStore directory) behind its signed HTTP
 * server on loopback, one registered node with a SealedBlobStore for its own results (the
 * runtime's `results`). An upload is what the runtime does per submission: put the payload in
 * its own store, then POST /blobs through ConnectorClient (the request signed over the body's
 * hash). A download is GET /blobs/:hash through ConnectorClient (the client checks the bytes
 * against their name). Random payloads of 1 MB and 10 MB, fresh per repetition (a blob already
 * stored is not rewritten); MB/s is payload MB over the median wall time of the repetitions.
 * Hashes are keccak256 calls over the payload's bytes, client and server together (one process).
 *
 * Run: npx tsx bench/transfer.ts [--reps 5] [--json]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { Wallet } from "ethers";
import { CoordinatorNetwork, ManualClock } from "../chain-connector/src/coordinator/index.js";
import { ConnectorServer } from "../chain-connector/src/http/server.js";
import { ConnectorClient } from "../chain-connector/src/http/client.js";
import { SealedBlobStore } from "../node/src/secrets/blobs.js";
import { Vault } from "../node/src/secrets/vault.js";
import * as hashing from "../protocol/src/hash.js";

export interface TransferRow {
  bench: "transfer";
  mb: number;
  uploadHashes: number;
  downloadHashes: number;
  uploadMBps: number;
  downloadMBps: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function transferBench(reps = 5, sizesMb = [1, 10]): Promise<TransferRow[]> {
  const dir = await mkdtemp(join(tmpdir(), "cm-transfer-"));
  const network = new CoordinatorNetwork({ db: join(dir, "c.sqlite"), blobs: join(dir, "blobs"), clock: new ManualClock(2_000_000_000) });
  const server = new ConnectorServer({ network, maxBodyBytes: 64 * 1024 * 1024 });
  await server.start();
  const rows: TransferRow[] = [];
  let counting = 0;
  let hashes = 0;
  hashing.observeHashes((len) => {
    if (len === counting) hashes++;
  });
  try {
    const client = new ConnectorClient({ url: server.url, signer: Wallet.createRandom() });
    await client.registerNode({ endpoint: "http://127.0.0.1:1/", x25519: "0x" + "22".repeat(32), roles: 1, capacity: 1 });
    const results = new SealedBlobStore(join(dir, "node-blobs"), Vault.ephemeral());
    for (const mb of sizesMb) {
      counting = mb * 1024 * 1024;
      const up: number[] = [];
      const down: number[] = [];
      const upHashes: number[] = [];
      const downHashes: number[] = [];
      for (let i = 0; i < reps; i++) {
        const payload = new Uint8Array(randomBytes(counting));
        hashes = 0;
        let t = performance.now();
        const hash = await results.put(payload);
        await client.putBlob(payload, hash);
        up.push(performance.now() - t);
        upHashes.push(hashes);
        hashes = 0;
        t = performance.now();
        await client.getBlob(hash);
        down.push(performance.now() - t);
        downHashes.push(hashes);
      }
      rows.push({
        bench: "transfer",
        mb,
        uploadHashes: median(upHashes),
        downloadHashes: median(downHashes),
        uploadMBps: Number((mb / (median(up) / 1000)).toFixed(1)),
        downloadMBps: Number((mb / (median(down) / 1000)).toFixed(1)),
      });
    }
  } finally {
    hashing.observeHashes(undefined);
    await server.close();
    await network.close();
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const at = args.indexOf("--reps");
  const rows = await transferBench(at >= 0 ? Number(args[at + 1]) : 5);
  if (args.includes("--json")) for (const r of rows) console.log(JSON.stringify(r));
  else {
    console.log("| payload | hashes per upload | hashes per download | upload MB/s | download MB/s |");
    console.log("|---|---|---|---|---|");
    for (const r of rows) console.log(`| ${r.mb} MB | ${r.uploadHashes} | ${r.downloadHashes} | ${r.uploadMBps} | ${r.downloadMBps} |`);
  }
}
