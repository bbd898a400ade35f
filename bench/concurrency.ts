/**
 * Latency of a normal task while a large one runs on the same nodes (issue 9, bounded work).
 *
 * Workload: coordinator mode over HTTP, three owner nodes and a requester node in one process
 * (startNode, real stores and datasets, the process-wide worker pool at its default size). Each
 * owner holds `rows` rows × 4 columns. A normal task is a federated `stats` over the 4 columns
 * (plain aggregation, members 3/3/3); its latency is POST /tasks → the requester's round done.
 * It is measured `runs` times on idle nodes, then the same while the largest k-means task the
 * nodes' default policy admits runs on the same nodes: rows × 4 columns × k × rounds at the
 * policy.maxTaskCost bound (2e9 row-operations per node), k = 100, tolerance 0 so it never
 * converges early. Target: the stats latency under load at most 2× idle.
 *
 * Run: npx tsx bench/concurrency.ts [--quick] [--rows 20000] [--runs 3] [--json]
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Wallet } from "ethers";
import { CoordinatorNetwork } from "../chain-connector/src/coordinator/index.js";
import { ConnectorServer } from "../chain-connector/src/http/server.js";
import { NodeApiClient, startNode, type RunningNode } from "../node/src/index.js";
import { DEFAULT_MAX_TASK_COST } from "../node/src/runtime/policy.js";
import { closePool, defaultPoolSize } from "../node/src/runtime/pool.js";
import { createLogger } from "../node/src/log.js";

export interface ConcurrencyRow {
  workload: string;
  condition: "idle" | "during largest allowed kmeans";
  runs: number;
  medianMs: number;
  maxMs: number;
  /** median / idle median. */
  ratio: number;
  /** k-means rounds finished while the stats runs were measured (0 when idle). */
  kmeansRounds: number;
  /** Event-loop delay of the process while measuring (99th percentile and max): what blocks the main thread. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

const COLS = ["a", "b", "c", "d"];

/** Deterministic rows (a small LCG): four columns in [0, 10). */
function csv(rows: number, seed: number): string {
  let x = seed >>> 0 || 1;
  const r = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 10;
  const lines = [COLS.join(",")];
  for (let i = 0; i < rows; i++) lines.push([r(), r(), r(), r()].map((v) => v.toFixed(3)).join(","));
  return lines.join("\n");
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function runConcurrency(o: { rows: number; runs: number; k?: number }): Promise<ConcurrencyRow[]> {
  const k = o.k ?? 100;
  const kmeansRounds = Math.floor(DEFAULT_MAX_TASK_COST / (o.rows * COLS.length * k));
  if (kmeansRounds < 1) throw new Error(`--rows ${o.rows}: even one k-means round of k = ${k} exceeds the policy bound; use fewer rows`);
  // Stores fsync every transaction: on a RAM disk (when there is one) the bench measures CPU, not the disk.
  const dir = await mkdtemp(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "cm-bench-conc-"));
  const network = new CoordinatorNetwork({ db: join(dir, "coordinator.sqlite"), blobs: join(dir, "blobs") });
  const server = new ConnectorServer({ network });
  await server.start();
  const nodes: RunningNode[] = [];
  const log = (name: string) => createLogger(name, (process.env.CM_BENCH_LOG as "info") ?? "silent");
  try {
    const owners = Array.from({ length: 3 }, () => Wallet.createRandom());
    const wR = Wallet.createRandom();
    for (const [i, w] of owners.entries()) {
      const path = join(dir, `o${i}.csv`);
      await writeFile(path, csv(o.rows, i + 1));
      nodes.push(
        await startNode(
          {
            name: `o${i}`,
            dataDir: join(dir, `o${i}`),
            privateKey: w.privateKey,
            connectorUrl: server.url,
            http: { port: 0 },
            heartbeatSeconds: 0,
            logLevel: "silent",
            datasets: [{ name: "d", path, format: "csv" }],
          },
          { logger: log(`o${i}`) },
        ),
      );
    }
    const R = await startNode(
      { name: "R", dataDir: join(dir, "R"), privateKey: wR.privateKey, connectorUrl: server.url, http: { port: 0 }, heartbeatSeconds: 0, logLevel: "silent", roles: ["Requester"] },
      { logger: log("R") },
    );
    nodes.push(R);
    const api = new NodeApiClient(R.url, wR);
    const datasets = owners.map((w) => ({ owner: w.address, datasetId: "d" }));
    const members = { min: 3, max: 3, threshold: 3 };
    const done = (taskId: number, round = 1) => R.store.getRound(taskId, round, "requester")?.status === "done";

    const statsOnce = async () => {
      const t0 = performance.now();
      const { taskId } = await api.submitTask({ kind: "stats", datasets, params: { columns: COLS }, members });
      await R.runtime.when(() => done(taskId) || R.store.getRound(taskId, 1, "requester")?.status === "failed");
      if (!done(taskId)) throw new Error(`stats task ${taskId} failed: ${R.store.getRound(taskId, 1, "requester")?.error}`);
      return performance.now() - t0;
    };
    await statsOnce(); // warm-up: first connections, pool threads, JIT
    const idle: number[] = [];
    const idleLoop = monitorEventLoopDelay({ resolution: 10 });
    idleLoop.enable();
    for (let i = 0; i < o.runs; i++) idle.push(await statsOnce());
    idleLoop.disable();

    const initial = Array.from({ length: k }, (_, i) => COLS.map((_, j) => ((i * 7 + j * 3) % 97) / 9.7));
    const { taskId: km } = await api.submitTask({ kind: "kmeans", datasets, params: { columns: COLS, initial, tolerance: 0 }, members, rounds: kmeansRounds });
    for (const n of nodes.slice(0, 3)) {
      await n.runtime.when(() => n.store.getTask(km) !== undefined);
      const t = n.store.getTask(km)!;
      if (t.decision !== "accept") throw new Error(`${n.config.name} declined the k-means task: ${t.reason}`);
    }
    // Measure once the k-means rounds are under way.
    await R.runtime.when(() => done(km, 1));
    const roundsDone = () => {
      let r = 0;
      while (done(km, r + 1)) r++;
      return r;
    };
    const before = roundsDone();
    const busy: number[] = [];
    const busyLoop = monitorEventLoopDelay({ resolution: 10 });
    busyLoop.enable();
    for (let i = 0; i < o.runs; i++) busy.push(await statsOnce());
    busyLoop.disable();
    const after = roundsDone();
    if (after >= kmeansRounds) throw new Error(`the k-means task ended (${after} rounds) before the measurement did; use more rows`);

    const workload = `stats over 3 owners × ${o.rows.toLocaleString("en-US")} rows × 4 columns; kmeans k = ${k}, ${kmeansRounds} rounds (${DEFAULT_MAX_TASK_COST.toExponential(0)} row-ops per node); pool ${defaultPoolSize()} thread(s)`;
    const mi = median(idle);
    return [
      {
        workload,
        condition: "idle",
        runs: o.runs,
        medianMs: mi,
        maxMs: Math.max(...idle),
        ratio: 1,
        kmeansRounds: 0,
        loopDelayP99Ms: idleLoop.percentile(99) / 1e6,
        loopDelayMaxMs: idleLoop.max / 1e6,
      },
      {
        workload,
        condition: "during largest allowed kmeans",
        runs: o.runs,
        medianMs: median(busy),
        maxMs: Math.max(...busy),
        ratio: median(busy) / mi,
        kmeansRounds: after - before,
        loopDelayP99Ms: busyLoop.percentile(99) / 1e6,
        loopDelayMaxMs: busyLoop.max / 1e6,
      },
    ];
  } finally {
    for (const n of nodes.reverse()) await n.stop().catch(() => {});
    await server.close();
    await network.close();
    await rm(dir, { recursive: true, force: true });
    // Callers end with process.exit: stop the pool's threads cleanly first.
    await closePool();
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const val = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const quick = args.includes("--quick");
  const rows = Number(val("--rows") ?? (quick ? 5000 : 20000));
  const runs = Number(val("--runs") ?? 3);
  const out = await runConcurrency({ rows, runs });
  if (args.includes("--json")) for (const r of out) console.log(JSON.stringify(r));
  else {
    const { formatTable } = await import("./index.js");
    console.log(`Workload: ${out[0].workload}\n`);
    console.log(formatTable(out.map(({ workload: _w, ...r }) => r)));
    const [l1] = loadavg();
    console.log(`\n(machine: ${availableParallelism()} CPUs, load average ${l1.toFixed(1)}) target: ratio ≤ 2`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
