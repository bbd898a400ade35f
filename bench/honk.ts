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
 * (eth_estimateGas, so it includes the 21,000 base and the calldata).
 */
import { pathToFileURL } from "node:url";
import { JsonRpcProvider, Wallet } from "ethers";
import { startDevChain } from "../chain-connector/src/ethereum/devchain.js";
import { HONK_CIRCUITS } from "../circuits/honk/registry.js";
import { commitChunks } from "../protocol/src/honk/chunks.js";
import { kmeansChunkInputs, linregChunkInputs, logregChunkInputs, minmaxChunkInputs, statsChunkInputs } from "../protocol/src/honk/stats.js";
import { HonkCircuit, solidityArgs, type HonkProof } from "../node/src/zk/honk.js";
import { deployHonkVerifier } from "../test/helpers/honk.js";

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
}

/** Inputs for `proofs` full groups of a random dataset, per circuit. */
function inputsFor(def: (typeof HONK_CIRCUITS)[number], proofs: number): Record<string, unknown>[] {
  const data = Array.from({ length: def.rows * proofs }, (_, i) =>
    Array.from({ length: def.columns }, (_, j) => BigInt(Math.round(((Math.sin(i * 12.9898 + j * 78.233) * 43758.5453) % 1) * 1000 * 65536))),
  );
  const ds = commitChunks(data, def.params.chunkRows, def.columns, new Uint8Array(32).fill(5));
  const K = def.params.chunksPerProof;
  const centroids = [-500n, -150n, 150n, 500n].map((c) => new Array<bigint>(def.columns).fill(c * 65536n));
  const build = {
    stats_chunk: statsChunkInputs,
    minmax_chunk: minmaxChunkInputs,
    kmeans_chunk: (d: typeof ds, g: number, b: bigint, r: bigint, k: number) => kmeansChunkInputs(d, g, centroids, b, r, k),
    linreg_chunk: (d: typeof ds, g: number, b: bigint, r: bigint, k: number) => linregChunkInputs(d, g, [65536n, -32768n, 1000n, 5n * 65536n], b, r, k),
    logreg_chunk: (d: typeof ds, g: number, b: bigint, r: bigint, k: number) => logregChunkInputs(d, g, [256n, -128n, 64n, 0n], b, r, k),
  }[def.name];
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
      let witnessS = 0, witnessCpuS = 0, proveS = 0, bbCpuS = 0;
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
      const ok = await v.verify(...solidityArgs(last!));
      if (ok !== true) throw new Error(`${def.name}: the verifier rejected a bench proof`);
      const verifyGas = Number(await v.verify.estimateGas(...solidityArgs(last!)));
      const { gateCount } = await import("../circuits/honk/build.js");
      out.push({
        kind: def.name === "minmax_chunk" ? "stats-minmax" : def.name.replace(/_chunk$/, ""),
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
      });
    }
  } finally {
    provider.destroy();
    await chain.stop();
  }
  return out;
}

export function formatHonk(rows: readonly HonkBenchRow[]): string {
  const head = "| circuit | rows/proof | gates | witness s (CPU-s) | bb prove s (CPU-s) | rows per CPU-minute | proof bytes | verify gas | deploy gas |";
  const sep = "|---|---|---|---|---|---|---|---|---|";
  const fmt = (n: number) => n.toLocaleString("en-US");
  const body = rows.map(
    (r) =>
      `| ${r.circuit} | ${fmt(r.rowsPerProof)} | ${fmt(r.gates)} | ${r.witnessS.toFixed(2)} (${r.witnessCpuS.toFixed(2)}) | ${r.proveS.toFixed(2)} (${r.bbCpuS.toFixed(2)}) | ${fmt(r.rowsPerCpuMinute)} | ${fmt(r.proofBytes)} | ${fmt(r.verifyGas)} | ${fmt(r.deployGas)} |`,
  );
  return [head, sep, ...body].join("\n");
}

export function honkJsonRows(rows: readonly HonkBenchRow[]): Record<string, unknown>[] {
  return rows.map((r) => ({ bench: "honk", ...r }));
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
  process.exit(0);
}
