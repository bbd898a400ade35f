/**
 * Gas per contract function on a fresh Hardhat node (EDR, cancun, optimizer 200 runs).
 * Workload: 4 nodes register (1 requester, 3 data owners); each owner commits a dataset; a task with
 * a Setup phase and 3 members runs one round in which one member stays silent in Setup and is
 * dropped at the deadline; the requester finalizes. When circuits/build holds stats_chunk, a second
 * task verified on-chain takes one submission with a real Groth16 proof of a 32-row chunk.
 * Run: npm run gas   (or: npx tsx bench/gas.ts)
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { JsonRpcProvider, NonceManager, Wallet, id, type ContractTransactionResponse } from "ethers";
import { startHardhatNode } from "../test/helpers/hardhat.js";
import { deployContracts, deployContributionVerifiers } from "../chain-connector/src/ethereum/deploy.js";
import { encodeProof } from "../chain-connector/src/ethereum/proof.js";
import { DEFAULT_BUILD_DIR, releaseZk } from "../chain-connector/src/zkverify.js";
import { DataRegistry__factory, NodeRegistry__factory, TaskManager__factory } from "../types/ethers-contracts/index.js";
import { outputsCommitment, roundBinding } from "../protocol/src/binding.js";
import { commitDataset, fieldToBytes32 } from "../protocol/src/commitment.js";
import { encodeRows } from "../protocol/src/fixedpoint.js";
import { kindKey } from "../protocol/src/taskspec.js";
import { statsTaskKind } from "../protocol/src/tasks/stats/index.js";

export interface GasRow {
  contract: string;
  function: string;
  /** What the measured call did. */
  case: string;
  /** Transaction gas, including the 21,000 base. */
  gas: number;
}

export interface GasReportOptions {
  /** Also measure a submit with a real stats_chunk proof (needs circuits/build; proving takes seconds). */
  withProof?: boolean;
}

export async function gasReport(opts: GasReportOptions = {}): Promise<GasRow[]> {
  const withProof = opts.withProof ?? existsSync(join(DEFAULT_BUILD_DIR, "stats_chunk", "stats_chunk.zkey"));
  const node = await startHardhatNode();
  const provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
  const rows: GasRow[] = [];
  try {
    const signers = node.accounts.slice(0, 6).map((k) => new NonceManager(new Wallet(k, provider)));
    const addresses = await deployContracts(signers[0]);
    const nr = (i: number) => NodeRegistry__factory.connect(addresses.nodeRegistry, signers[i]);
    const dr = (i: number) => DataRegistry__factory.connect(addresses.dataRegistry, signers[i]);
    const tm = (i: number) => TaskManager__factory.connect(addresses.taskManager, signers[i]);
    const measure = async (contract: string, fn: string, what: string, p: Promise<ContractTransactionResponse>) => {
      const r = await (await p).wait();
      rows.push({ contract, function: fn, case: what, gas: Number(r!.gasUsed) });
      return r!;
    };
    const REQ = 1;
    const M = [2, 3, 4];

    await measure("NodeRegistry", "register", "requester, 22-byte endpoint", nr(REQ).register("http://10.0.0.1:8080", id("x1"), 4, 100));
    for (const i of M)
      await nr(i)
        .register(`http://10.0.0.${i}:8080`, id(`x${i}`), 3, 100)
        .then((t) => t.wait());
    await measure("NodeRegistry", "update", "same endpoint length", nr(M[0]).update("http://10.0.0.9:8080", id("x9"), 3, 50));
    await measure("DataRegistry", "commit", "first version", dr(M[0]).commit(id("iris"), id("root1"), 150, 4, id("schema")));
    await measure("DataRegistry", "commit", "second version", dr(M[0]).commit(id("iris"), id("root2"), 150, 4, id("schema")));
    for (const i of M.slice(1))
      await dr(i)
        .commit(id("iris"), id(`root${i}`), 150, 4, id("schema"))
        .then((t) => t.wait());

    await measure("TaskManager", "createTask", "starts round 1", tm(REQ).createTask(id("spec"), kindKey("stats"), 1, 3, 3, 2, [60, 60, 60, 60], true, 0));
    const taskId = 1;
    await measure("TaskManager", "joinRound", "first member", tm(M[0]).joinRound(taskId, 1, id("k2")));
    await measure("TaskManager", "joinRound", "second member", tm(M[1]).joinRound(taskId, 1, id("k3")));
    await measure("TaskManager", "joinRound", "last member (max reached: advances to Setup)", tm(M[2]).joinRound(taskId, 1, id("k4")));
    await measure("TaskManager", "submit", "Setup, no proof", tm(M[0]).submit(taskId, 1, id("s2"), id("c2"), "0x"));
    await tm(M[1])
      .submit(taskId, 1, id("s3"), id("c3"), "0x")
      .then((t) => t.wait());
    await node.increaseTime(61);
    await measure("TaskManager", "advance", "Setup deadline passed: 1 silent member dropped", tm(REQ).advance(taskId, 1));
    await measure("TaskManager", "submit", "Compute, no proof", tm(M[0]).submit(taskId, 1, id("p2"), id("q2"), "0x"));
    await measure("TaskManager", "submit", "Compute, last active member (advances to Aggregate)", tm(M[1]).submit(taskId, 1, id("p3"), id("q3"), "0x"));
    await measure("TaskManager", "submit", "Aggregate, no proof", tm(M[0]).submit(taskId, 1, id("a2"), id("b2"), "0x"));
    await measure("TaskManager", "finalizeRound", "last round (also closes the task)", tm(REQ).finalizeRound(taskId, 1, id("result")));

    await tm(REQ)
      .createTask(id("spec2"), kindKey("stats"), 2, 2, 5, 1, [60, 60, 60, 60], false, 0)
      .then((t) => t.wait());
    await tm(M[0])
      .joinRound(2, 1, id("k"))
      .then((t) => t.wait());
    await tm(M[1])
      .joinRound(2, 1, id("k"))
      .then((t) => t.wait());
    await measure("TaskManager", "report", "declined by a non-member, 39-byte reason", tm(M[2]).report(2, 1, 1, "policy: kind stats not allowed for iris"));
    await measure("TaskManager", "report", "failed by a member, 200-byte reason (the cap)", tm(M[0]).report(2, 1, 2, "compute: " + "x".repeat(191)));
    await node.increaseTime(61);
    await measure("TaskManager", "advance", "Join deadline passed: to Compute", tm(REQ).advance(2, 1));
    await node.increaseTime(61);
    await measure("TaskManager", "advance", "Compute deadline passed: below threshold, fails", tm(REQ).advance(2, 1));

    // An "offchain" (UltraHonk) task: the Compute commitment, the member's proof-list root, is kept for ChunkAudit.
    await tm(REQ)
      .createTask(id("spec-offchain"), kindKey("stats"), 1, 2, 2, 2, [60, 60, 60, 60], false, 1)
      .then((t) => t.wait());
    const offchain = Number(await tm(REQ).taskCount());
    for (const m of [M[0], M[1]])
      await tm(m)
        .joinRound(offchain, 1, id("k"))
        .then((t) => t.wait());
    await measure("TaskManager", "submit", "Compute, offchain task (stores the proof-list root for ChunkAudit)", tm(M[0]).submit(offchain, 1, id("h1"), id("root1"), "0x"));
    await measure("TaskManager", "startRound", "after a failed round", tm(REQ).startRound(2));
    await node.increaseTime(61);
    await tm(REQ)
      .advance(2, 2)
      .then((t) => t.wait());
    await measure("TaskManager", "closeTask", "between rounds, 9-byte reason (early close, e.g. converged)", tm(REQ).closeTask(2, "converged"));
    // Outsourced kinds (issue 15): the spec's workers only, and a worker caught lying excluded.
    await measure(
      "TaskManager",
      "restrictMembers",
      "2 members, before createTask",
      tm(REQ).restrictMembers(id("spec-outsourced"), [await signers[M[0]].getAddress(), await signers[M[1]].getAddress()]),
    );
    await tm(REQ)
      .createTask(id("spec-outsourced"), kindKey("skmeans"), 2, 2, 2, 2, [60, 60, 60, 60], false, 0)
      .then((t) => t.wait());
    const restricted = Number(await tm(REQ).taskCount());
    await measure("TaskManager", "joinRound", "restricted task, first member", tm(M[0]).joinRound(restricted, 1, id("k")));
    await measure(
      "TaskManager",
      "excludeMember",
      "55-byte reason",
      tm(REQ).excludeMember(restricted, await signers[M[1]].getAddress(), "round 1: output hash differs from the owner's re-run"),
    );
    await measure("NodeRegistry", "leave", "swap-and-pop", nr(M[2]).leave());

    if (withProof) await measureProof(signers, addresses, measure);
  } finally {
    provider.destroy();
    await node.stop();
    if (withProof) await releaseZk();
  }
  return rows;
}

async function measureProof(
  signers: NonceManager[],
  addresses: Awaited<ReturnType<typeof deployContracts>>,
  measure: (contract: string, fn: string, what: string, p: Promise<ContractTransactionResponse>) => Promise<unknown>,
): Promise<void> {
  const { proveContributionChunk } = await import("../node/src/zk/contributions.js");
  const owner = signers[5];
  const ownerAddress = await owner.getAddress();
  const tm = (s: NonceManager) => TaskManager__factory.connect(addresses.taskManager, s);
  const [binding] = await deployContributionVerifiers(signers[0], { require: false }).then((b) => b.filter((x) => x.kind === statsTaskKind.name));
  const kind = kindKey("stats");
  await measure("TaskManager", "setVerifier", "stats_chunk, N=6 (selector search)", tm(signers[0]).setVerifier(kind, binding.address, binding.selector));
  const data = encodeRows(Array.from({ length: 32 }, (_, i) => [i, i * 2, 3, i % 5]));
  const tree = await commitDataset(data, new Uint8Array(32).fill(3));
  await NodeRegistry__factory.connect(addresses.nodeRegistry, owner)
    .register("http://10.0.0.6:8080", id("x6"), 3, 1)
    .then((t) => t.wait());
  await DataRegistry__factory.connect(addresses.dataRegistry, owner)
    .commit(id("d"), fieldToBytes32(tree.rootField), 32, 4, id("schema"))
    .then((t) => t.wait());
  const r = await (await tm(signers[1]).createTask(id("spec3"), kind, 1, 1, 1, 1, [600, 600, 600, 600], false, 2)).wait();
  const taskId = Number(TaskManager__factory.createInterface().parseLog(r!.logs[0])!.args.taskId);
  await tm(owner)
    .joinRound(taskId, 1, id("k"))
    .then((t) => t.wait());
  const chainId = (await owner.provider!.getNetwork()).chainId;
  const chunk = await proveContributionChunk({
    kind: "stats",
    tree,
    rows: data,
    chunkIndex: 0,
    binding: (outputs) => roundBinding({ taskManager: addresses.taskManager, chainId, taskId, round: 1, member: ownerAddress, commitment: outputsCommitment(outputs) }),
  });
  await measure(
    "TaskManager",
    "submit",
    "Compute with a stats_chunk Groth16 proof (6 public signals), last member",
    tm(owner).submit(taskId, 1, id("blob"), outputsCommitment(chunk.publicSignals.slice(0, -2)), encodeProof(chunk.proof)),
  );
}

/**
 * What one member pays per round: a join and a Compute submit (a Setup or reveal submit more with
 * secagg), with the submit carrying the sampled chunk's proof when the task is verified on-chain.
 */
export function perMemberRound(rows: readonly GasRow[]): { verification: string; aggregation: string; gas: number }[] {
  const pick = (fn: string, re: RegExp) => rows.find((r) => r.function === fn && re.test(r.case))?.gas;
  const join = pick("joinRound", /first member/);
  const submit = pick("submit", /^Compute, no proof/);
  const proven = pick("submit", /Groth16 proof/);
  const honk = pick("submit", /^Compute, offchain task/);
  if (join === undefined || submit === undefined) return [];
  const out = [
    { verification: "none", aggregation: "plain, paillier", gas: join + submit },
    { verification: "none", aggregation: "secagg (+ Setup and reveal submits)", gas: join + 3 * submit },
  ];
  if (honk !== undefined) {
    out.push({ verification: "offchain (UltraHonk, challengeable)", aggregation: "plain, paillier", gas: join + honk });
    out.push({ verification: "offchain (UltraHonk, challengeable)", aggregation: "secagg (+ Setup and reveal submits)", gas: join + honk + 2 * submit });
  }
  if (proven !== undefined) {
    out.push({ verification: "onchain", aggregation: "plain, paillier", gas: join + proven });
    out.push({ verification: "onchain", aggregation: "secagg (+ Setup and reveal submits)", gas: join + proven + 2 * submit });
  }
  return out;
}

export function formatPerMember(rows: ReturnType<typeof perMemberRound>): string {
  const lines = ["| verification | aggregation | gas per member per round | target ≤ 350,000 |", "|---|---|---:|---|"];
  for (const r of rows) lines.push(`| ${r.verification} | ${r.aggregation} | ${r.gas.toLocaleString("en-US")} | ${r.gas <= 350_000 ? "met" : "missed"} |`);
  return lines.join("\n");
}

export function formatGasTable(rows: readonly GasRow[]): string {
  const head = ["contract", "function", "case", "gas"];
  const body = rows.map((r) => [r.contract, r.function, r.case, r.gas.toLocaleString("en-US")]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 3 ? c.padStart(w[i]) : c.padEnd(w[i]))).join(" | ")} |`;
  return [line(head), `|${w.map((x, i) => (i === 3 ? "-".repeat(x + 1) + ":" : "-".repeat(x + 2))).join("|")}|`, ...body.map(line)].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const rows = await gasReport();
  console.log("Gas per call (Hardhat node, solc 0.8.28, optimizer 200 runs; transaction gas incl. 21,000 base)\n");
  console.log(formatGasTable(rows));
  console.log("\nGas per member per round\n");
  console.log(formatPerMember(perMemberRound(rows)));
  process.exit(0);
}
