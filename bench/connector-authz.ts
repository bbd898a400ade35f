/**
 * What the connector's request checks cost: ms per signed request over loopback HTTP, coordinator
 * mode, one client at a time. Workload: 300 requests per row after 20 warm-up ones; a task with
 * two members that each submitted a 1 KiB contribution. Rows: GET /info (signature and nonce only)
 * with the nonces in memory and in the SQLite file (WAL, synchronous = NORMAL, what startConnector uses);
 * GET /blobs/:hash by its uploader and by the requester (authorization looks up where the blob is
 * published and who the requester is).
 * Run: npx tsx bench/connector-authz.ts [--json]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hexlify, randomBytes, Wallet } from "ethers";
import { CoordinatorNetwork, ManualClock } from "../chain-connector/src/coordinator/index.js";
import { ConnectorServer } from "../chain-connector/src/http/server.js";
import { ConnectorClient } from "../chain-connector/src/http/client.js";
import { Role } from "../protocol/src/phases.js";
import { parseTaskSpec } from "../protocol/src/taskspec.js";

const N = 300;
const b32 = () => hexlify(randomBytes(32));

async function time(fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 20; i++) await fn();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await fn();
  return (performance.now() - t0) / N;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "cm-bench-authz-"));
  const rows: { request: string; state: string; msPerRequest: number }[] = [];
  try {
    const clock = new ManualClock(1_900_000_000);
    const network = new CoordinatorNetwork({ db: join(dir, "c.sqlite"), blobs: join(dir, "blobs"), clock });
    for (const state of [":memory:", join(dir, "c.auth.sqlite")]) {
      const server = new ConnectorServer({ network, state });
      const url = await server.start();
      const [R, A, B] = Array.from({ length: 3 }, () => Wallet.createRandom() as unknown as Wallet);
      const c = (w: Wallet) => new ConnectorClient({ url, signer: w, mode: "coordinator" });
      await c(R).registerNode({ endpoint: "http://127.0.0.1:1/", x25519: b32(), roles: Role.Requester, capacity: 1 });
      for (const w of [A, B]) await c(w).registerNode({ endpoint: "http://127.0.0.1:1/", x25519: b32(), roles: Role.Owner, capacity: 1 });
      const spec = parseTaskSpec({
        kind: "stats",
        requester: R.address,
        datasets: [{ owner: A.address, datasetId: "d" }],
        params: { columns: ["x"] },
        members: { min: 2, max: 2, threshold: 2 },
      });
      const { taskId } = await c(R).createTask(spec);
      for (const w of [A, B]) await c(w).joinRound(taskId, 1, b32());
      let hash = "";
      for (const w of [A, B]) {
        hash = await c(w).putBlob(randomBytes(1024));
        await c(w).submit(taskId, 1, hash, b32());
      }
      const label = state === ":memory:" ? "memory" : "sqlite file";
      rows.push({ request: "GET /info", state: label, msPerRequest: await time(() => c(R).info()) });
      rows.push({ request: "GET /blobs/:hash (uploader)", state: label, msPerRequest: await time(() => c(B).getBlob(hash)) });
      rows.push({ request: "GET /blobs/:hash (requester)", state: label, msPerRequest: await time(() => c(R).getBlob(hash)) });
      await server.close();
    }
    await network.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  if (process.argv.includes("--json")) for (const r of rows) console.log(JSON.stringify({ bench: "connector-authz", ...r, msPerRequest: +r.msPerRequest.toFixed(3) }));
  else {
    console.log(`connector request checks, ${N} sequential signed requests per row, coordinator mode, loopback`);
    console.log("| request | nonce store | ms per request |\n|---|---|---|");
    for (const r of rows) console.log(`| ${r.request} | ${r.state} | ${r.msPerRequest.toFixed(2)} |`);
  }
}

await main();
