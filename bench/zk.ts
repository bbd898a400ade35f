/**
 * zk costs: committing datasets (Poseidon tree, depth 20) and proving / verifying chunk_sum
 * (8 rows × 4 columns per proof) with snarkjs on this machine; then the federated contribution
 * circuits (stats / kmeans / linreg / logreg chunks): constraints per row, proving time measured on
 * a few chunks and extrapolated to 1,000 rows (ceil(1000 / R) proofs), verification gas of each
 * generated verifier on a Hardhat node, and rows proven per CPU-minute.
 * Run: npx tsx bench/zk.ts [proofs per contribution circuit, default 2]
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { commitDataset } from "../protocol/src/commitment.js";
import { encodeRows } from "../protocol/src/fixedpoint.js";
import { releaseZk } from "../chain-connector/src/zkverify.js";
import { proveChunkSum, verifyOffChain } from "../node/src/zk/prover.js";
import { CONTRIBUTION_CIRCUITS, proveContributionChunk, type ChunkContribution, type ContributionKind } from "../node/src/zk/contributions.js";
import { startDevChain } from "../chain-connector/src/ethereum/devchain.js";
import type { ContractFactory, Signer } from "ethers";
import * as typechain from "../types/ethers-contracts/index.js";
import { MANIFEST_PATH, type Manifest } from "../circuits/sources.js";

export interface ZkRow {
  step: string;
  workload: string;
  ms: number;
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const r = await f();
  return [r, performance.now() - t];
}

export async function zkBench(proofs = 3): Promise<ZkRow[]> {
  const out: ZkRow[] = [];
  const seed = new Uint8Array(32).fill(5);
  const table = (n: number) => encodeRows(Array.from({ length: n }, (_, i) => [i, -i / 7, (i % 13) * 0.5, 1e3 - i]));
  await commitDataset(table(8), seed); // build Poseidon once
  for (const n of [1000, 10000]) {
    const rows = table(n);
    const [, ms] = await timed(() => commitDataset(rows, seed));
    out.push({ step: "commitDataset", workload: `${n} rows × 4 columns`, ms });
  }
  const rows = table(100);
  const tree = await commitDataset(rows, seed);
  let last: Awaited<ReturnType<typeof proveChunkSum>> | undefined;
  for (let i = 0; i < proofs; i++) {
    const [p, ms] = await timed(() => proveChunkSum({ tree, rows, chunkIndex: i, binding: 1n + BigInt(i) }));
    out.push({ step: `proveChunkSum #${i + 1}`, workload: "chunk of 8 rows × 4 columns", ms });
    last = p;
  }
  const [ok, vms] = await timed(() => verifyOffChain("chunk_sum", last!.proof));
  if (!ok) throw new Error("bench: proof did not verify");
  out.push({ step: "verifyOffChain", workload: "one chunk_sum proof", ms: vms });
  return out;
}

export function formatZk(rows: ZkRow[]): string {
  const m = JSON.parse(readFileSync(MANIFEST_PATH, "utf8")) as Manifest;
  const c = m.circuits.chunk_sum;
  const head = `chunk_sum: ${c.constraints} constraints (${c.constraintsPerRow} per row), zkey ${(c.files.zkey.bytes / 1e6).toFixed(1)} MB, wasm ${(c.files.wasm.bytes / 1e6).toFixed(1)} MB\n\n| step | workload | ms |\n|---|---|---|`;
  return [head, ...rows.map((r) => `| ${r.step} | ${r.workload} | ${r.ms.toFixed(0)} |`)].join("\n");
}

export interface ContributionRow {
  circuit: string;
  chunkRows: number;
  constraints: number;
  constraintsPerRow: number;
  /** Mean wall time of one proof (full chunks, snarkjs, witness included). */
  msPerProof: number;
  /** Mean process CPU time of one proof (all of snarkjs's threads). */
  cpuMsPerProof: number;
  /** Extrapolated: ceil(1000 / chunkRows) proofs × msPerProof. */
  msPer1000Rows: number;
  rowsPerCpuMinute: number;
  /** verifyProof as a transaction, 21,000 base included. */
  verifyGas: bigint;
  proofs: number;
}

type VerifierContract = { verifyProof: ((...a: unknown[]) => Promise<boolean>) & { estimateGas: (...a: unknown[]) => Promise<bigint> }; waitForDeployment(): Promise<unknown> };
function verifierFactory(contract: string): new (signer: Signer) => ContractFactory {
  const f = (typechain as unknown as Record<string, (new (signer: Signer) => ContractFactory) | undefined>)[`${contract}__factory`];
  if (!f) throw new Error(`bench: types/ethers-contracts has no ${contract}__factory; run npx hardhat build`);
  return f;
}

/**
 * Proves `proofs` full chunks per contribution circuit on a 4-column table (the last column a 0/1
 * label for logreg), measures wall and CPU time, and the gas of verifying one proof on-chain.
 */
export async function contributionBench(proofs = 2, kinds = Object.keys(CONTRIBUTION_CIRCUITS) as ContributionKind[]): Promise<ContributionRow[]> {
  const m = JSON.parse(readFileSync(MANIFEST_PATH, "utf8")) as Manifest;
  const rows = encodeRows(Array.from({ length: 64 * proofs }, (_, i) => [Math.sin(i) * 10, (i % 11) - 5, i / 100, i % 3 === 0 ? 1 : 0]));
  const tree = await commitDataset(rows, new Uint8Array(32).fill(6));
  const params = {
    centroids: encodeRows([
      [0, 0, 0, 0],
      [5, 5, 1, 1],
      [-5, -5, 1, 0],
      [0, 5, 2, 1],
    ]),
    weights: encodeRows([[0.5, -0.25, 1, 0.1]])[0],
  };
  const chain = await startDevChain();
  const out: ContributionRow[] = [];
  try {
    for (const kind of kinds) {
      const circuit = CONTRIBUTION_CIRCUITS[kind];
      const e = m.circuits[circuit];
      if (!e) throw new Error(`bench: ${circuit} is not built; run npx tsx circuits/build.ts --ptau <file>`);
      const R = e.params.chunkRows;
      let wall = 0;
      let cpu = 0;
      let last: ChunkContribution | undefined;
      for (let k = 0; k < proofs; k++) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        last = await proveContributionChunk({ kind, tree, rows, chunkIndex: k, binding: 7n + BigInt(k), params });
        wall += performance.now() - t0;
        const c = process.cpuUsage(c0);
        cpu += (c.user + c.system) / 1000;
      }
      const verifier = (await new (verifierFactory(e.contract))(chain.signer(0)).deploy()) as unknown as VerifierContract;
      await verifier.waitForDeployment();
      const { a, b, c, publicSignals } = last!.proof;
      if (!(await verifier.verifyProof(a, b, c, publicSignals))) throw new Error(`bench: ${circuit} proof rejected on-chain`);
      const verifyGas = await verifier.verifyProof.estimateGas(a, b, c, publicSignals);
      const msPerProof = wall / proofs;
      const cpuMsPerProof = cpu / proofs;
      out.push({
        circuit,
        chunkRows: R,
        constraints: e.constraints,
        constraintsPerRow: e.constraintsPerRow,
        msPerProof,
        cpuMsPerProof,
        msPer1000Rows: Math.ceil(1000 / R) * msPerProof,
        rowsPerCpuMinute: (R * 60_000) / cpuMsPerProof,
        verifyGas,
        proofs,
      });
    }
  } finally {
    await chain.stop();
  }
  return out;
}

export function formatContributions(rows: ContributionRow[]): string {
  const head =
    "| circuit | rows/proof | constraints | per row | s/proof (wall) | CPU-s/proof | s per 1,000 rows (extrapolated) | rows per CPU-minute | verify gas |\n" +
    "|---|---|---|---|---|---|---|---|---|";
  return [
    head,
    ...rows.map(
      (r) =>
        `| ${r.circuit} | ${r.chunkRows} | ${r.constraints} | ${r.constraintsPerRow} | ${(r.msPerProof / 1000).toFixed(1)} | ${(r.cpuMsPerProof / 1000).toFixed(1)} | ` +
        `${(r.msPer1000Rows / 1000).toFixed(0)} | ${r.rowsPerCpuMinute.toFixed(0)} | ${r.verifyGas} |`,
    ),
    "",
    `Measured on ${rows[0]?.proofs ?? 0} full chunks per circuit (snarkjs 0.7.6, WASM witness, this machine's shared cores); ` +
      "per-1,000-row times are extrapolated as ceil(1000 / R) proofs.",
  ].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  // npx tsx bench/zk.ts [proofs per circuit] [kinds, e.g. stats,kmeans: only those, no chunk_sum part]
  const proofs = Number(process.argv[2] ?? 2);
  const kinds = process.argv[3]?.split(",") as ContributionKind[] | undefined;
  if (!kinds) console.log(formatZk(await zkBench()));
  console.log("\n" + formatContributions(await contributionBench(proofs, kinds)));
  await releaseZk();
  process.exit(0);
}
