/**
 * zk costs: committing datasets (Poseidon tree, depth 20) and proving / verifying chunk_sum
 * (8 rows × 4 columns per proof) with snarkjs on this machine. Gas of on-chain verification is
 * measured by test/circuits/proof.test.ts (it needs a Hardhat node).
 * Run: npx tsx bench/zk.ts
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { commitDataset } from "../protocol/src/commitment.js";
import { encodeRows } from "../protocol/src/fixedpoint.js";
import { releaseZk } from "../chain-connector/src/zkverify.js";
import { proveChunkSum, verifyOffChain } from "../node/src/zk/prover.js";
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
  let last;
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

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.log(formatZk(await zkBench()));
  await releaseZk();
}
