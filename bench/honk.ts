/**
 * UltraHonk proving throughput of the Noir circuits (circuits/noir): rows per CPU-minute, proof
 * size, verification gas.
 *
 *   npx tsx bench/honk.ts [--proofs N] [--json]          (or npm run bench -- --only honk [--json])
 *
 * Per proof: the witness (noir_js in this process; its CPU time is this process's CPU time over
 * the call) and `bb prove` (the native binary; its CPU time is the child's user + system time,
 * every thread). rowsPerCpuMinute = rows per proof / (witness CPU-s + bb CPU-s) · 60, over full
 * chunks. Verification gas: `verify` of the generated Solidity verifier on a fresh Hardhat node
 * (eth_estimateGas, so it includes the 21,000 base and the calldata); off-chain verification: the
 * wall time of chain-connector/src/honkverify.ts (native bb) on the last proof.
 *
 * honkRoundBench: one proven stats round at the library level (no connector, no chain): each owner
 * commits its rows by chunks (Poseidon2), proves every stats group and its min/max chain on the
 * worker pool, and the requester verifies every proof off-chain, checks each chain against its
 * opening and that the summed vector and blindings open the sum of all commitments. CPU = this process (all threads) + every child (bb), from /proc/self/stat.
 */
import { pathToFileURL } from "node:url";
import { JsonRpcProvider, Wallet } from "ethers";
import { startDevChain } from "../chain-connector/src/ethereum/devchain.js";
import { HONK_CIRCUITS } from "../circuits/honk/registry.js";
import { commitChunks } from "../protocol/src/honk/chunks.js";
import { extremaChain, extremaChainError, kmeansChunkInputs, linregChunkInputs, logregChunkInputs, minmaxChunkInputs, statsChunkInputs } from "../protocol/src/honk/stats.js";
import { HonkCircuit, solidityArgs, type HonkProof } from "../node/src/zk/honk.js";
import { deployHonkVerifier } from "../test/helpers/honk.js";
import { readFileSync } from "node:fs";
import { verifyHonk } from "../chain-connector/src/honkverify.js";
import { configurePool, closePool } from "../node/src/runtime/pool.js";
import { opensHonk, proveHonkAll } from "../node/src/zk/honk-contributions.js";

export interface HonkBenchRow {
  kind: string;
  circuit: string;
  rowsPerProof: number;
  gates: number;
  proofs: number;
  witnessS: number;
  witnessCpuS: number;
  proveS: number;
  bbCpuS: number;
  rowsPerCpuMinute: number;
  proofBytes: number;
  verifyGas: number;
  deployGas: number;
  /** Off-chain verification (native bb, patched [τ]G2), wall ms. */
  verifyMs: number;
}

/** Inputs for `proofs` full groups of a random dataset, per circuit. */
function inputsFor(def: (typeof HONK_CIRCUITS)[number], proofs: number): Record<string, unknown>[] {
  const data = Array.from({ length: def.rows * proofs }, (_, i) =>
    Array.from({ length: def.columns }, (_, j) => BigInt(Math.round(((Math.sin(i * 12.9898 + j * 78.233) * 43758.5453) % 1) * 1000 * 65536))),
  );
  const ds = commitChunks(data, def.params.chunkRows, def.columns, new Uint8Array(32).fill(5));
  const K = def.params.chunksPerProof;
  const centroids = [-500n, -150n, 150n, 500n].map((c) => new Array<bigint>(def.columns).fill(c * 65536n));
  // Every column used (C = W): the full width of the circuit.
  const lin = Array.from({ length: def.columns }, (_, j) => [65536n, -32768n, 1000n][j % 3]);
  const log = Array.from({ length: def.columns }, (_, j) => [256n, -128n, 64n][j % 3]);
  lin[def.columns - 1] = 5n * 65536n;
  log[def.columns - 1] = 0n;
  const build = {
    stats: statsChunkInputs,
    // Chained: group g folds into group g − 1's link (blindings 1000 + g, as the other kinds').
    minmax: (d: typeof ds, g: number, b: bigint, r: bigint, k: number) =>
      minmaxChunkInputs(
        d,
        g,
        b,
        r,
        k,
        g === 0
          ? undefined
          : extremaChain(
              d,
              k,
              Array.from({ length: g }, (_, i) => 1000n + BigInt(i)),
            )[g - 1],
      ),
    kmeans: (d: typeof ds, g: number, b: bigint, r: bigint, k: number) => kmeansChunkInputs(d, g, centroids, b, r, k),
    linreg: (d: typeof ds, g: number, b: bigint, r: bigint, k: number) => linregChunkInputs(d, g, lin, b, r, k),
    logreg: (d: typeof ds, g: number, b: bigint, r: bigint, k: number) => logregChunkInputs(d, g, log, b, r, k),
  }[def.name.replace(/_chunk(_w\d+)?$/, "")];
  if (!build) throw new Error(`bench/honk: no input builder for ${def.name}`);
  return Array.from({ length: proofs }, (_, g) => build(ds, g, 77n + BigInt(g), 1000n + BigInt(g), K));
}

export async function honkBench(proofs = 2): Promise<HonkBenchRow[]> {
  const chain = await startDevChain();
  const provider = new JsonRpcProvider(chain.url, undefined, { staticNetwork: true });
  const out: HonkBenchRow[] = [];
  try {
    const wallet = new Wallet(chain.accounts[0], provider);
    for (const def of HONK_CIRCUITS) {
      const circuit = new HonkCircuit(def.name);
      const inputs = inputsFor(def, proofs);
      // Warm-up: the first noir_js call instantiates the ACVM (≈1 s), not part of a steady state.
      await circuit.witness(inputs[0] as never);
      let witnessS = 0,
        witnessCpuS = 0,
        proveS = 0,
        bbCpuS = 0;
      let last: HonkProof | undefined;
      for (const inp of inputs) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const { witness } = await circuit.witness(inp as never);
        const c1 = process.cpuUsage(c0);
        const t1 = performance.now();
        const { proof, cpuSeconds } = await circuit.proveWitness(witness);
        witnessS += (t1 - t0) / 1000;
        witnessCpuS += (c1.user + c1.system) / 1e6;
        proveS += (performance.now() - t1) / 1000;
        bbCpuS += cpuSeconds;
        last = proof;
      }
      const v = await deployHonkVerifier(wallet, def.contract);
      const ok: unknown = await v.verify(...solidityArgs(last!));
      if (ok !== true) throw new Error(`${def.name}: the verifier rejected a bench proof`);
      const verifyGas = Number(await v.verify.estimateGas(...solidityArgs(last!)));
      const tv = performance.now();
      if (!(await verifyHonk(def.name, last!))) throw new Error(`${def.name}: off-chain verification rejected a bench proof`);
      const verifyMs = performance.now() - tv;
      const { gateCount } = await import("../circuits/honk/build.js");
      out.push({
        kind: def.name.startsWith("minmax_chunk") ? "stats-minmax" : def.name.replace(/_chunk(_w\d+)?$/, ""),
        circuit: def.name,
        rowsPerProof: def.rows,
        gates: gateCount(circuit.programPath),
        proofs,
        witnessS: witnessS / proofs,
        witnessCpuS: witnessCpuS / proofs,
        proveS: proveS / proofs,
        bbCpuS: bbCpuS / proofs,
        rowsPerCpuMinute: Math.round((def.rows * proofs * 60) / (witnessCpuS + bbCpuS)),
        proofBytes: last!.proof.length,
        verifyGas,
        deployGas: Number(v.deployGas),
        verifyMs,
      });
    }
  } finally {
    provider.destroy();
    await chain.stop();
  }
  return out;
}

export function formatHonk(rows: readonly HonkBenchRow[]): string {
  const head =
    "| kind | circuit | rows/proof | gates | witness s (CPU-s) | bb prove s (CPU-s) | rows per CPU-minute | proof bytes | verify gas | verify off-chain ms | deploy gas |";
  const sep = "|---|---|---|---|---|---|---|---|---|---|---|";
  const fmt = (n: number) => n.toLocaleString("en-US");
  const body = rows.map(
    (r) =>
      `| ${r.kind} | ${r.circuit} | ${fmt(r.rowsPerProof)} | ${fmt(r.gates)} | ${r.witnessS.toFixed(2)} (${r.witnessCpuS.toFixed(2)}) | ${r.proveS.toFixed(2)} (${r.bbCpuS.toFixed(2)}) | ${fmt(r.rowsPerCpuMinute)} | ${fmt(r.proofBytes)} | ${fmt(r.verifyGas)} | ${r.verifyMs.toFixed(0)} | ${fmt(r.deployGas)} |`,
  );
  return [head, sep, ...body].join("\n");
}

export function honkJsonRows(rows: readonly HonkBenchRow[], bench = "honk"): Record<string, unknown>[] {
  return rows.map((r) => ({ bench, ...r }));
}

/** CPU seconds of this process (every thread) and of its waited-for children, from /proc/self/stat (Linux). */
function cpuWithChildren(): number {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14–17 of proc(5) (utime, stime, cutime, cstime) are 11–14 after the command name.
    return f.slice(11, 15).reduce((s, x) => s + Number(x), 0) / 100;
  } catch {
    return NaN;
  }
}

export interface HonkRoundRow {
  kind: string;
  owners: number;
  rowsPerOwner: number;
  columns: number;
  proofs: number;
  commitS: number;
  proveS: number;
  verifyS: number;
  wallS: number;
  cpuS: number;
  rowsPerCpuMinute: number;
}

/** One proven stats round over `owners` datasets of `rows` × 4 (see the module doc). */
export async function honkRoundBench(owners = 3, rows = 10_000, threads = 2): Promise<HonkRoundRow> {
  configurePool(threads);
  const cpu0 = cpuWithChildren();
  const t0 = performance.now();
  try {
    const datasets = Array.from({ length: owners }, (_, o) =>
      commitChunks(
        Array.from({ length: rows }, (_, i) => Array.from({ length: 4 }, (_, j) => BigInt(Math.round(Math.sin(o * 7.1 + i * 12.9898 + j * 78.233) * 1000 * 65536)))),
        256,
        4,
        new Uint8Array(32).fill(o + 1),
      ),
    );
    const t1 = performance.now();
    // Each owner proves its stats groups and its min/max chain, as a proven stats round does.
    const [contributions, chains] = await Promise.all([
      Promise.all(datasets.map((ds, o) => proveHonkAll({ kind: "stats", ds, binding: BigInt(o + 1) }))),
      Promise.all(datasets.map((ds, o) => proveHonkAll({ kind: "minmax", ds, binding: BigInt(o + 1) }))),
    ]);
    const t2 = performance.now();
    const groups = contributions.flatMap((c) => c.groups);
    const ok = await Promise.all([...groups.map((g) => verifyHonk("stats_chunk", g)), ...chains.flatMap((c) => c.groups.map((g) => verifyHonk("minmax_chunk", g)))]);
    if (ok.some((x) => !x)) throw new Error("honk round: an honest proof did not verify");
    for (const c of chains) {
      const links = c.groups.map((g) => ({ group: g.publicInputs[1], prev: g.publicInputs[4], extrema: g.outputs[0] }));
      const why = extremaChainError(links, c.extrema!, 4);
      if (why) throw new Error(`honk round: ${why}`);
    }
    const sum = contributions[0].vector.map((_, i) => contributions.reduce((s, c) => s + c.vector[i], 0n));
    const blinding = contributions.reduce((s, c) => s + c.blinding!, 0n);
    if (
      !opensHonk(
        "stats",
        4,
        groups.map((g) => ({ x: g.outputs[0], y: g.outputs[1] })),
        sum,
        blinding,
      )
    )
      throw new Error("honk round: the aggregate does not open the commitments");
    const t3 = performance.now();
    const cpuS = cpuWithChildren() - cpu0;
    return {
      kind: "stats-round",
      owners,
      rowsPerOwner: rows,
      columns: 4,
      proofs: groups.length + chains.reduce((n, c) => n + c.groups.length, 0),
      commitS: (t1 - t0) / 1000,
      proveS: (t2 - t1) / 1000,
      verifyS: (t3 - t2) / 1000,
      wallS: (t3 - t0) / 1000,
      cpuS,
      rowsPerCpuMinute: Math.round((owners * rows * 60) / cpuS),
    };
  } finally {
    await closePool();
  }
}

export function formatHonkRound(r: HonkRoundRow): string {
  return [
    "| owners × rows × columns | proofs | commit s | prove s | verify + aggregate check s | wall s | CPU-s | rows per CPU-minute |",
    "|---|---|---|---|---|---|---|---|",
    `| ${r.owners} × ${r.rowsPerOwner.toLocaleString("en-US")} × ${r.columns} | ${r.proofs} | ${r.commitS.toFixed(1)} | ${r.proveS.toFixed(1)} | ${r.verifyS.toFixed(1)} | ${r.wallS.toFixed(1)} | ${r.cpuS.toFixed(1)} | ${r.rowsPerCpuMinute.toLocaleString("en-US")} |`,
  ].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const argv = process.argv.slice(2);
  const json = argv.includes("--json");
  const i = argv.indexOf("--proofs");
  const proofs = i >= 0 ? Number(argv[i + 1]) : 2;
  if (!Number.isInteger(proofs) || proofs < 1) throw new Error("--proofs needs a positive integer");
  const rows = await honkBench(proofs);
  if (json) for (const r of honkJsonRows(rows)) console.log(JSON.stringify(r));
  else console.log(formatHonk(rows));
  if (argv.includes("--round")) {
    const round = await honkRoundBench();
    if (json) console.log(JSON.stringify({ bench: "honk", ...round }));
    else console.log(formatHonkRound(round));
  }
  process.exit(0);
}
