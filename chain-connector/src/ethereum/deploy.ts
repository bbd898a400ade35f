import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ContractFactory, NonceManager, id, type Signer } from "ethers";
import {
  ChunkAudit__factory,
  DataRegistry__factory,
  KMeansChunkVerifier__factory,
  LinRegChunkVerifier__factory,
  LogRegChunkVerifier__factory,
  NodeRegistry__factory,
  StatsChunkVerifier__factory,
  TaskManager__factory,
} from "../../../types/ethers-contracts/index.js";
import { CONTRIBUTION_CIRCUITS, type ContributionKind } from "../../../protocol/src/contributions.js";
import { kindKey, verificationLevel, type TaskSpec } from "../../../protocol/src/taskspec.js";
import { builtContributionCircuits, DEFAULT_BUILD_DIR, loadVerificationKey } from "../vkeys.js";

/** Addresses of one deployment of the three ciphermine contracts. */
export interface ContractAddresses {
  nodeRegistry: string;
  dataRegistry: string;
  taskManager: string;
  /** ChunkAudit bound to taskManager: challenges of OffChain (UltraHonk) proof lists. */
  chunkAudit?: string;
  /** Block of the first deployment transaction: where connectors start reading logs (scripts/deploy.ts writes it as a decimal string). */
  deployBlock?: number | string;
}

/** A Groth16 verifier to bind to a task kind right after deployment. */
export interface VerifierBinding {
  /** Task kind name (hashed with kindKey on-chain). */
  kind: string;
  address: string;
  /** Selector of the verifier's verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[N]). */
  selector: string;
}

/**
 * Deploys NodeRegistry, DataRegistry, TaskManager (owned by `signer`) and its ChunkAudit, and binds the given
 * Groth16 verifiers. Transactions are sent one after another from `signer`, so its nonce stays consistent.
 */
export async function deployContracts(deployer: Signer, verifiers: VerifierBinding[] = []): Promise<ContractAddresses> {
  // Counting nonces locally: a provider may cache the pending count between back-to-back deployments.
  const signer = deployer instanceof NonceManager ? deployer : new NonceManager(deployer);
  const nodes = await new NodeRegistry__factory(signer).deploy();
  await nodes.waitForDeployment();
  const deployBlock = (await nodes.deploymentTransaction()?.wait())?.blockNumber;
  const nodeRegistry = await nodes.getAddress();
  const data = await new DataRegistry__factory(signer).deploy(nodeRegistry);
  await data.waitForDeployment();
  const dataRegistry = await data.getAddress();
  const tm = await new TaskManager__factory(signer).deploy(nodeRegistry, dataRegistry);
  await tm.waitForDeployment();
  const taskManager = await tm.getAddress();
  for (const v of verifiers) await (await tm.setVerifier(kindKey(v.kind), v.address, v.selector)).wait();
  const audit = await new ChunkAudit__factory(signer).deploy(taskManager);
  await audit.waitForDeployment();
  const chunkAudit = await audit.getAddress();
  return { nodeRegistry, dataRegistry, taskManager, chunkAudit, ...(deployBlock === undefined ? {} : { deployBlock }) };
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const HONK_MANIFEST = join(ROOT, "circuits", "noir", "build", "manifest.json");
/** Task kind → bb-generated verifier contract per circuit width (contracts/verifiers/honk). */
const HONK_VERIFIERS: Record<string, Record<4 | 16, { circuit: string; contract: string }>> = {
  stats: { 4: { circuit: "stats_chunk", contract: "StatsChunkHonkVerifier" }, 16: { circuit: "stats_chunk_w16", contract: "StatsChunkW16HonkVerifier" } },
  kmeans: { 4: { circuit: "kmeans_chunk", contract: "KMeansChunkHonkVerifier" }, 16: { circuit: "kmeans_chunk_w16", contract: "KMeansChunkW16HonkVerifier" } },
  linreg: { 4: { circuit: "linreg_chunk", contract: "LinRegChunkHonkVerifier" }, 16: { circuit: "linreg_chunk_w16", contract: "LinRegChunkW16HonkVerifier" } },
  logreg: { 4: { circuit: "logreg_chunk", contract: "LogRegChunkHonkVerifier" }, 16: { circuit: "logreg_chunk_w16", contract: "LogRegChunkW16HonkVerifier" } },
};

interface LinkedArtifact {
  abi: unknown[];
  bytecode: string;
  linkReferences: Record<string, Record<string, { start: number; length: number }[]>>;
}

/**
 * Deploys a bb-generated Honk verifier from the Hardhat artifacts: it links two external libraries
 * (ZKTranscriptLib, RelationsLib) of its own, deployed first and spliced into its bytecode.
 */
export async function deployHonkVerifierContract(signer: Signer, name: string): Promise<string> {
  const dir = join(ROOT, "artifacts", "contracts", "verifiers", "honk", `${name}.sol`);
  const load = (c: string): LinkedArtifact => {
    const f = join(dir, `${c}.json`);
    if (!existsSync(f)) throw new Error(`no artifact ${f}: run npx hardhat build`);
    return JSON.parse(readFileSync(f, "utf8")) as LinkedArtifact;
  };
  const main = load(name);
  let code = main.bytecode.slice(2);
  for (const libs of Object.values(main.linkReferences))
    for (const [lib, refs] of Object.entries(libs)) {
      const a = load(lib);
      const l = await new ContractFactory(a.abi as never, a.bytecode, signer).deploy();
      await l.waitForDeployment();
      const addr = (await l.getAddress()).slice(2).toLowerCase();
      for (const { start, length } of refs) code = code.slice(0, start * 2) + addr + code.slice((start + length) * 2);
    }
  const v = await new ContractFactory(main.abi as never, "0x" + code, signer).deploy();
  await v.waitForDeployment();
  return v.getAddress();
}

/** A Honk verifier bound in ChunkAudit. */
export interface HonkVerifierBinding {
  kind: string;
  width: 4 | 16;
  address: string;
}

/**
 * Deploys the UltraHonk verifier of each kind (or of `kinds`) at both widths and binds it in
 * ChunkAudit (signer must own TaskManager), with its public input count and where its outputs
 * start (from circuits/noir/build/manifest.json), so challenges of OffChain rounds can be judged.
 */
export async function deployHonkVerifiers(deployer: Signer, chunkAudit: string, kinds: string[] = Object.keys(HONK_VERIFIERS)): Promise<HonkVerifierBinding[]> {
  if (!existsSync(HONK_MANIFEST)) throw new Error(`${HONK_MANIFEST} is missing; run npm run circuits:build:honk -- --ptau <file>`);
  const manifest = JSON.parse(readFileSync(HONK_MANIFEST, "utf8")) as { circuits: Record<string, { publicInputs: string[] }> };
  const signer = deployer instanceof NonceManager ? deployer : new NonceManager(deployer);
  const audit = ChunkAudit__factory.connect(chunkAudit, signer);
  const out: HonkVerifierBinding[] = [];
  for (const kind of kinds) {
    const widths = HONK_VERIFIERS[kind];
    if (!widths) throw new Error(`no UltraHonk verifier for kind "${kind}"; use ${Object.keys(HONK_VERIFIERS).join(", ")}`);
    for (const width of [4, 16] as const) {
      const { circuit, contract } = widths[width];
      const pis = manifest.circuits[circuit]?.publicInputs;
      if (!pis) throw new Error(`circuit ${circuit} is not in ${HONK_MANIFEST}; rebuild the Honk circuits`);
      const outputsAt = pis.findIndex((x) => x.startsWith("commitment"));
      const address = await deployHonkVerifierContract(signer, contract);
      await (await audit.setHonkVerifier(kindKey(kind), width, address, pis.length, outputsAt)).wait();
      out.push({ kind, width, address });
    }
  }
  return out;
}

/**
 * The generated verifier contract of each contribution circuit. Which kind uses which circuit is
 * the kind's proof part (protocol/src/tasks registry): a kind reusing a circuit needs nothing here.
 */
const CIRCUIT_VERIFIERS: Record<string, { deploy(s: Signer): Promise<{ waitForDeployment(): Promise<unknown>; getAddress(): Promise<string> }> }> = {
  stats_chunk: { deploy: (s) => new StatsChunkVerifier__factory(s).deploy() },
  kmeans_chunk: { deploy: (s) => new KMeansChunkVerifier__factory(s).deploy() },
  linreg_chunk: { deploy: (s) => new LinRegChunkVerifier__factory(s).deploy() },
  logreg_chunk: { deploy: (s) => new LogRegChunkVerifier__factory(s).deploy() },
};

/**
 * Deploys the generated Groth16 verifier of every federated kind whose contribution circuit is
 * built (all four with `require`), returning the bindings for deployContracts: kind → verifier,
 * with the selector for the circuit's public signal count.
 */
export async function deployContributionVerifiers(deployer: Signer, opts: { buildDir?: string; require?: boolean } = {}): Promise<VerifierBinding[]> {
  const buildDir = opts.buildDir ?? DEFAULT_BUILD_DIR;
  const built = builtContributionCircuits(buildDir);
  const kinds = Object.keys(CONTRIBUTION_CIRCUITS) as ContributionKind[];
  const missing = kinds.filter((k) => !built[k]);
  if (opts.require && missing.length) throw new Error(`contribution circuits not built: ${missing.map((k) => CONTRIBUTION_CIRCUITS[k]).join(", ")}; run npm run circuits:build`);
  const signer = deployer instanceof NonceManager ? deployer : new NonceManager(deployer);
  const out: VerifierBinding[] = [];
  for (const kind of kinds.filter((k) => built[k])) {
    const factory = CIRCUIT_VERIFIERS[CONTRIBUTION_CIRCUITS[kind]];
    if (!factory)
      throw new Error(
        `kind ${kind} is proven by circuit ${CONTRIBUTION_CIRCUITS[kind]}, which has no verifier contract in deploy.ts CIRCUIT_VERIFIERS; generate it (npm run circuits:build) and add it`,
      );
    const v = await factory.deploy(signer);
    await v.waitForDeployment();
    out.push({ kind, address: await v.getAddress(), selector: verifyProofSelector(loadVerificationKey(CONTRIBUTION_CIRCUITS[kind], buildDir).nPublic) });
  }
  return out;
}

/** The selector snarkjs' Solidity verifier exposes for a circuit with `n` public signals. */
export function verifyProofSelector(n: number): string {
  if (!Number.isInteger(n) || n < 3 || n > 64) throw new Error(`public signal count ${n} must be an integer from 3 to 64`);
  return id(`verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[${n}])`).slice(0, 10);
}

/** TaskManager.createTask's arguments for a spec whose blob hash is `specHash`: one mapping for every caller. */
export function createTaskArgs(spec: TaskSpec, specHash: string): [string, string, number, number, number, number, [number, number, number, number], boolean, number] {
  const d = spec.deadlines;
  return [
    specHash,
    kindKey(spec.kind),
    spec.rounds,
    spec.members.min,
    spec.members.max,
    spec.members.threshold,
    [d.join, d.setup, d.compute, d.aggregate],
    spec.setup,
    verificationLevel(spec.verification),
  ];
}
