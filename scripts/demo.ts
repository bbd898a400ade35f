/**
 * The demo: a local chain (or the coordinator), the connector, three data-owner nodes and a
 * requester node, and two real `stats` tasks run through every phase: one in plain aggregation,
 * then one with secure aggregation where every owner proves every row it contributes (UltraHonk
 * proofs over its dataset committed by chunks, verification "offchain": every proof checked by the
 * requester, the aggregate against the Pedersen commitments). Each phase is printed as the event
 * arrives, then the results beside the plaintext computation and each round's latency.
 *
 *   scripts/npmw run demo                       # both modes, chain first
 *   scripts/npmw run demo -- --mode coordinator # one mode
 *   scripts/npmw run demo -- --no-proofs        # only the plain task
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { NonceManager, Wallet } from "ethers";
import type { ConnectorMode } from "../chain-connector/src/connector.js";
import { startConnector, type RunningConnector } from "../chain-connector/src/http/serve.js";
import { deployContracts, deployContributionVerifiers } from "../chain-connector/src/ethereum/deploy.js";
import { releaseZk } from "../chain-connector/src/zkverify.js";
import { parseTaskSpec, type TaskSpecInput } from "../protocol/src/taskspec.js";
import { startDevChain, type DevChain } from "../chain-connector/src/ethereum/devchain.js";
import type { ChainEvent } from "../protocol/src/events.js";
import { phaseName } from "../protocol/src/phases.js";
import { startNode, type RunningNode } from "../node/src/index.js";

interface StatsColumn {
  count: number;
  sum: number;
  mean: number;
  variance: number;
  min: number;
  max: number;
}

// Four columns: the width the UltraHonk contribution circuits prove.
const COLUMNS = ["age", "income", "score", "tenure"];

/** Rows of one owner: a deterministic, owner-specific spread so the union differs from each part. */
function ownerRows(owner: number, n: number): number[][] {
  return Array.from({ length: n }, (_, i) => [
    20 + ((i * 7 + owner * 13) % 50),
    1000 + ((i * 37 + owner * 101) % 900) + owner * 50,
    Math.round(((i * 0.37 + owner) % 10) * 100) / 100,
    (i * 3 + owner * 5) % 30,
  ]);
}

function plainStats(rows: number[][]): Record<string, StatsColumn> {
  const out: Record<string, StatsColumn> = {};
  COLUMNS.forEach((c, j) => {
    const xs = rows.map((r) => r[j]);
    const count = xs.length;
    const sum = xs.reduce((a, b) => a + b, 0);
    const mean = sum / count;
    out[c] = {
      count,
      sum,
      mean,
      variance: xs.reduce((a, x) => a + (x - mean) ** 2, 0) / count,
      min: Math.min(...xs),
      max: Math.max(...xs),
    };
  });
  return out;
}

function stamp(t0: number): string {
  return `+${String(Date.now() - t0).padStart(5)} ms`;
}

function describe(e: ChainEvent): string | null {
  switch (e.type) {
    case "TaskCreated":
      return `TaskCreated      task ${e.taskId} by ${e.requester.slice(0, 10)}… (${e.rounds} round)`;
    case "RoundStarted":
      return `RoundStarted     task ${e.taskId} round ${e.round}: phase Join`;
    case "MemberJoined":
      return `MemberJoined     task ${e.taskId}: ${e.member.slice(0, 10)}…`;
    case "PhaseAdvanced":
      return `PhaseAdvanced    task ${e.taskId}: phase ${phaseName(e.phase)} (${e.active} active members)`;
    case "ContributionSubmitted":
      return `Contribution     task ${e.taskId}: ${phaseName(e.phase)} from ${e.member.slice(0, 10)}… blob ${e.blobHash.slice(0, 12)}…`;
    case "RoundFinalized":
      return `RoundFinalized   task ${e.taskId}: result ${e.resultHash.slice(0, 12)}…`;
    case "RoundFailed":
      return `RoundFailed      task ${e.taskId} in ${phaseName(e.phase)}: ${e.reason}`;
    case "TaskClosed":
      return `TaskClosed       task ${e.taskId}`;
    default:
      return null;
  }
}

async function runMode(mode: ConnectorMode, rowsPerOwner: number, proofs: boolean): Promise<{ mode: ConnectorMode; latencyMs: number; provenMs?: number }> {
  const dir = await mkdtemp(join(tmpdir(), `cm-demo-${mode}-`));
  const stops: (() => Promise<void>)[] = [];
  const t0 = Date.now();
  console.log(`\n=== ${mode} mode ===`);
  try {
    let chain: DevChain | undefined;
    const owners = [0, 1, 2].map(() => Wallet.createRandom());
    const requester = Wallet.createRandom();
    let connector: RunningConnector;
    if (mode === "ethereum") {
      chain = await startDevChain();
      stops.push(() => chain!.stop());
      console.log(`${stamp(t0)}  hardhat node on ${chain.url}`);
      const deployer = new NonceManager(chain.signer(0));
      const addresses = await deployContracts(deployer, await deployContributionVerifiers(deployer));
      console.log(`${stamp(t0)}  contracts deployed: TaskManager ${addresses.taskManager}, contribution verifiers bound to stats, kmeans, linreg, logreg`);
      await chain.fund([...owners, requester].map((w) => w.address));
      connector = await startConnector({
        mode,
        rpc: chain.url,
        addresses: { ...addresses },
        keys: [...owners, requester].map((w) => w.privateKey),
        blobs: join(dir, "connector-blobs"),
        db: join(dir, "connector.sqlite"),
      });
    } else {
      connector = await startConnector({ mode, db: join(dir, "coordinator.sqlite"), blobs: join(dir, "connector-blobs") });
    }
    stops.push(() => connector.close());
    console.log(`${stamp(t0)}  connector (${mode}) on ${connector.url}`);

    const all: number[][] = [];
    const nodes: RunningNode[] = [];
    for (const [i, w] of owners.entries()) {
      const rows = ownerRows(i, rowsPerOwner);
      all.push(...rows);
      const file = join(dir, `owner${i}.csv`);
      await writeFile(file, [COLUMNS.join(","), ...rows.map((r) => r.join(","))].join("\n") + "\n");
      const node = await startNode({
        name: `owner${i}`,
        dataDir: join(dir, `owner${i}`),
        privateKey: w.privateKey,
        connectorUrl: connector.url,
        roles: ["Owner"],
        http: { port: 0 },
        datasets: [{ name: "survey", path: file, format: "csv" }],
        logLevel: "warn",
      });
      stops.push(() => node.stop());
      nodes.push(node);
      console.log(`${stamp(t0)}  node owner${i} on ${node.url}: dataset "survey" (${rows.length} rows) committed`);
    }
    const req = await startNode({
      name: "requester",
      dataDir: join(dir, "requester"),
      privateKey: requester.privateKey,
      connectorUrl: connector.url,
      roles: ["Requester"],
      http: { port: 0 },
      logLevel: "warn",
    });
    stops.push(() => req.stop());
    console.log(`${stamp(t0)}  node requester on ${req.url}`);

    // Follow the stream from here on; a round's clock starts at its RoundStarted event.
    const abort = new AbortController();
    const started = new Map<number, number>();
    const finished = new Map<number, (v: number | Error) => void>();
    void (async () => {
      for await (const e of req.connector.events(undefined, abort.signal)) {
        const line = describe(e);
        if (line) console.log(`${stamp(t0)}  ${line}`);
        if (e.type === "RoundStarted") started.set(e.taskId, Date.now());
        if (e.type === "RoundFinalized") finished.get(e.taskId)?.(Date.now() - started.get(e.taskId)!);
        if (e.type === "RoundFailed") finished.get(e.taskId)?.(new Error(`round failed: ${e.reason}`));
      }
    })().catch(() => {});
    const run = async (input: Omit<TaskSpecInput, "requester" | "datasets" | "members">) => {
      const spec = parseTaskSpec({
        ...input,
        requester: requester.address,
        datasets: owners.map((w) => ({ owner: w.address, datasetId: "survey" })),
        members: { min: 3, max: 3, threshold: input.aggregation === "secagg" ? 2 : 3 },
        // secagg's key shares travel in a Setup phase
        setup: input.aggregation === "secagg",
      });
      let resolve!: (v: number | Error) => void;
      const done = new Promise<number | Error>((r) => (resolve = r));
      const { taskId } = await req.connector.createTask(spec);
      finished.set(taskId, resolve);
      const latency = await done;
      if (latency instanceof Error) throw latency;
      return { taskId, latencyMs: latency, result: await waitForResult(req, taskId) };
    };

    const plain = await run({ kind: "stats", params: { columns: COLUMNS }, deadlines: { join: 60, setup: 60, compute: 120, aggregate: 60 } });
    const want = plainStats(all);
    compare(`task ${plain.taskId} (plain aggregation, ${all.length} rows over 3 owners)`, plain.result, want, ["count", "mean", "variance", "min", "max"], 1e-6);
    console.log(`\n${mode}: round finalized; latency ${plain.latencyMs} ms (RoundStarted → RoundFinalized)\n`);

    let provenMs: number | undefined;
    if (proofs) {
      console.log(`${stamp(t0)}  next: secure aggregation with every row proven (UltraHonk stats proofs over each owner's chunks, verified off-chain by the requester)`);
      const proven = await run({
        kind: "stats",
        aggregation: "secagg",
        verification: "offchain",
        params: { columns: COLUMNS },
        deadlines: { join: 600, setup: 600, compute: 1800, aggregate: 600 },
      });
      const meta = req.store.getResult(proven.taskId, 1)!.result as { proofs: { chunks: number; verification: string } };
      // Rows are proven in fixed point (2^-16), so the comparison allows for that rounding.
      compare(
        `task ${proven.taskId} (secagg, ${meta.proofs.chunks} proven commitments checked, verification ${meta.proofs.verification}, aggregate opens the Pedersen commitments)`,
        proven.result,
        want,
        ["count", "mean", "variance"],
        1e-4,
      );
      console.log(`\n${mode}: proven round finalized; latency ${proven.latencyMs} ms (proving included)`);
      provenMs = proven.latencyMs;
    }
    abort.abort();
    return { mode, latencyMs: plain.latencyMs, provenMs };
  } finally {
    for (const stop of stops.reverse()) await stop().catch((e: unknown) => console.error(`shutdown: ${String(e)}`));
    await rm(dir, { recursive: true, force: true });
  }
}

async function waitForResult(req: RunningNode, taskId: number): Promise<Record<string, StatsColumn>> {
  // The requester stores the result before it sends finalizeRound, so it is there once finalized.
  const row = req.store.getResult(taskId, 1);
  if (!row) throw new Error(`the requester has no stored result for task ${taskId} round 1`);
  return (row.result as { columns: Record<string, StatsColumn> }).columns;
}

function compare(title: string, got: Record<string, StatsColumn>, want: Record<string, StatsColumn>, stats: (keyof StatsColumn)[], rel: number): void {
  console.log(`\nresult of ${title} vs plaintext on the union:`);
  console.log("column   stat       federated          plaintext");
  for (const c of COLUMNS)
    for (const k of stats) {
      const g = got[c]?.[k];
      console.log(`${c.padEnd(8)} ${k.padEnd(10)} ${String(g).padEnd(18)} ${want[c][k]}`);
      if (g === undefined || Math.abs(g - want[c][k]) > rel * Math.max(1, Math.abs(want[c][k])))
        throw new Error(`result ${c}.${k} = ${g} differs from the plaintext ${want[c][k]}`);
    }
}

const program = new Command()
  .name("demo")
  .description("Runs federated stats tasks (plain, then secure aggregation with every row proven) through every phase on a local chain and/or the coordinator")
  .option("--mode <mode>", "ethereum, coordinator or both", "both")
  .option("--rows <n>", "rows per data owner", "40")
  .option("--no-proofs", "skip the proven secure-aggregation task")
  .parse();
const opts = program.opts<{ mode: string; rows: string; proofs: boolean }>();
const modes: ConnectorMode[] = opts.mode === "both" ? ["ethereum", "coordinator"] : opts.mode === "ethereum" || opts.mode === "coordinator" ? [opts.mode] : [];
if (modes.length === 0) {
  console.error(`--mode must be ethereum, coordinator or both, got "${opts.mode}"`);
  process.exit(2);
}
const rows = Number(opts.rows);
if (!Number.isInteger(rows) || rows < 1) {
  console.error(`--rows must be a positive integer, got "${opts.rows}"`);
  process.exit(2);
}
try {
  const summary = [];
  for (const m of modes) summary.push(await runMode(m, rows, opts.proofs));
  await releaseZk();
  console.log("\nsummary");
  for (const s of summary)
    console.log(
      `  ${s.mode.padEnd(12)} plain round ${s.latencyMs} ms` + (s.provenMs === undefined ? "" : `; secagg round with every row proven ${(s.provenMs / 1000).toFixed(1)} s`),
    );
  process.exit(0);
} catch (e) {
  console.error(`demo failed: ${e instanceof Error ? e.stack : String(e)}`);
  process.exit(1);
}
