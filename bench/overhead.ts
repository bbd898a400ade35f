/**
 * The round runtime's own cost per round, in the local debug mode (runLocal: one real Runtime per
 * member and one for the requester over an in-memory coordinator, one process). The kinds' math
 * is tiny here, so CPU per round is almost all runtime: the event stream, the node stores'
 * writes, sealing and opening the contributions, the coordinator's state machine.
 *
 * Workload: kind stats (3 columns, 20 rows per member, plain aggregation, no proofs) with 3, 10
 * and 50 members (min = max = threshold), 40 rounds per task (10 at 50 members); and gd linreg
 * (3 features, 50 rows per member, plain, 3 members, 100 rounds: every round reads the previous
 * round's record). One untimed warm-up task first. CPU ms per round counts every party (all
 * members, the requester and the coordinator share the process); wall ms per round is on this
 * shared machine and moves with its load.
 *
 * Run: npx tsx bench/overhead.ts [--quick] [--json]
 */
import { cpus, loadavg } from "node:os";
import { pathToFileURL } from "node:url";
import { runLocal } from "../node/src/runtime/local.js";
import { statsHandler } from "../node/src/runtime/kinds/stats/index.js";
import { linregHandler } from "../node/src/runtime/kinds/linreg/index.js";
import type { TaskKindHandler } from "../node/src/runtime/handler.js";
import type { Table } from "../node/src/data/table.js";

export interface OverheadRow {
  case: string;
  members: number;
  rounds: number;
  cpuMsPerRound: number;
  wallMsPerRound: number;
}

let seed = 11;
const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;

const statsTables = (n: number): Table[] =>
  Array.from({ length: n }, () => ({ columns: ["a", "b", "c"], rows: Array.from({ length: 20 }, () => [rand(), rand() * 10, rand() - 0.5]) }));
const regTables = (n: number): Table[] =>
  Array.from({ length: n }, () => ({
    columns: ["x1", "x2", "x3", "y"],
    rows: Array.from({ length: 50 }, () => {
      const x = [rand(), rand(), rand()];
      return [...x, 0.5 + x[0] - 2 * x[1] + 0.5 * x[2] + 0.1 * rand()];
    }),
  }));

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function measure(name: string, handler: TaskKindHandler, tables: Table[], input: { kind: string; params: Record<string, unknown> }, rounds: number): Promise<OverheadRow> {
  const n = tables.length;
  const spec = { ...input, aggregation: "plain" as const, rounds, members: { min: n, max: n, threshold: n } };
  const c0 = cpu();
  const t0 = performance.now();
  const run = await runLocal(handler, spec, tables);
  const r = run.rounds.length;
  if (r !== rounds) throw new Error(`${name}: ${r} rounds ran, ${rounds} expected`);
  return { case: name, members: n, rounds: r, cpuMsPerRound: (cpu() - c0) / r, wallMsPerRound: (performance.now() - t0) / r };
}

export async function overheadBench(quick = false): Promise<OverheadRow[]> {
  const stats = { kind: "stats", params: { columns: ["a", "b", "c"] } };
  const linreg = { kind: "linreg", params: { features: ["x1", "x2", "x3"], target: "y", method: "gd", learningRate: 0.01, tolerance: 0 } };
  // Warm-up: JIT and module loading are not charged to the first row.
  await runLocal(statsHandler, { ...stats, aggregation: "plain", rounds: 3, members: { min: 3, max: 3, threshold: 3 } }, statsTables(3));
  const rows: OverheadRow[] = [];
  for (const n of quick ? [3, 10] : [3, 10, 50]) rows.push(await measure("stats plain", statsHandler, statsTables(n), stats, n >= 50 ? 10 : quick ? 10 : 40));
  rows.push(await measure("linreg gd plain", linregHandler, regTables(3), linreg, quick ? 20 : 100));
  return rows;
}

export function formatOverhead(rows: readonly OverheadRow[]): string {
  const head = "| case | members | rounds | CPU ms / round | wall ms / round |\n|---|---|---|---|---|";
  return [head, ...rows.map((r) => `| ${r.case} | ${r.members} | ${r.rounds} | ${r.cpuMsPerRound.toFixed(1)} | ${r.wallMsPerRound.toFixed(1)} |`)].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const quick = process.argv.includes("--quick");
  const rows = await overheadBench(quick);
  if (process.argv.includes("--json")) for (const r of rows) console.log(JSON.stringify({ bench: "overhead", ...r }));
  else {
    const [l1, l5] = loadavg();
    console.log(`Round runtime overhead, local mode (${cpus().length} CPUs, load average ${l1.toFixed(1)} / ${l5.toFixed(1)})\n`);
    console.log(formatOverhead(rows));
  }
  process.exit(0);
}
