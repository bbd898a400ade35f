import { NonceManager, id, type Signer } from "ethers";
import {
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
 * Deploys NodeRegistry, DataRegistry and TaskManager (owned by `signer`) and binds the given
 * verifiers. Transactions are sent one after another from `signer`, so its nonce stays consistent.
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
  return { nodeRegistry, dataRegistry, taskManager, ...(deployBlock === undefined ? {} : { deployBlock }) };
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
