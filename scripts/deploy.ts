/**
 * Deploys NodeRegistry, DataRegistry and TaskManager, and (when the chunk_sum circuit is built)
 * ChunkSumVerifier bound to task kind "stats", then writes the addresses for the connector and
 * the other scripts.
 *
 *   CM_RPC_URL=http://127.0.0.1:8545 npx hardhat run scripts/deploy.ts --network localhost
 *   npm run deploy                         (the same, on --network localhost)
 *
 * Environment:
 *   CM_RPC_URL        chain JSON-RPC URL for --network localhost (default http://127.0.0.1:8545)
 *   CM_ADDRESSES_OUT  where to write the addresses JSON (default state/addresses.json)
 *   CM_VERIFIER       "auto" (default: deploy ChunkSumVerifier when circuits/build has chunk_sum),
 *                     "chunk_sum" (required: fail when the circuit is not built) or "none"
 *   CM_PRIVATE_KEY    deployer key (0x hex); otherwise the network's account CM_ACCOUNT (default 0).
 *                     The deployer owns TaskManager: only it may bind verifiers later.
 */
import { existsSync, readFileSync } from "node:fs";
import { network } from "hardhat";
import { deployContracts, verifyProofSelector, type VerifierBinding } from "../chain-connector/src/ethereum/deploy.js";
import { ChunkSumVerifier__factory } from "../types/ethers-contracts/index.js";
import { MANIFEST_PATH, type Manifest } from "../circuits/sources.js";
import { DEFAULT_ADDRESSES_FILE, env, runScript, scriptSigner, ScriptError, writeJsonAtomic, type AddressesFile } from "./env.js";

/** The task kind the chunk_sum proofs back: its Compute contributions are column sums over committed rows. */
const STATS_KIND = "stats";

function chunkSumPublicSignals(): number | undefined {
  if (!existsSync(MANIFEST_PATH)) return undefined;
  const m = JSON.parse(readFileSync(MANIFEST_PATH, "utf8")) as Manifest;
  return m.circuits.chunk_sum?.nPublic;
}

await runScript(async () => {
  const out = env("CM_ADDRESSES_OUT", DEFAULT_ADDRESSES_FILE)!;
  const mode = env("CM_VERIFIER", "auto")!;
  if (!["auto", "chunk_sum", "none"].includes(mode)) throw new ScriptError(`CM_VERIFIER must be auto, chunk_sum or none, got "${mode}"`);
  const { ethers, networkName } = await network.create();
  const deployer = await scriptSigner(ethers, 0);
  const deployerAddress = await deployer.getAddress();
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const deployBlock = await ethers.provider.getBlockNumber();

  const verifiers: VerifierBinding[] = [];
  let chunkSumVerifier: string | undefined;
  const nPublic = mode === "none" ? undefined : chunkSumPublicSignals();
  if (mode === "chunk_sum" && nPublic === undefined)
    throw new ScriptError(`CM_VERIFIER=chunk_sum but ${MANIFEST_PATH} lists no chunk_sum circuit: run npm run circuits:build first`);
  if (nPublic !== undefined) {
    // Deployed before the NonceManager in deployContracts takes over the deployer's nonce.
    const v = await new ChunkSumVerifier__factory(deployer).deploy();
    await v.waitForDeployment();
    chunkSumVerifier = await v.getAddress();
    verifiers.push({ kind: STATS_KIND, address: chunkSumVerifier, selector: verifyProofSelector(nPublic) });
  }
  const addresses = await deployContracts(deployer, verifiers);
  const file: AddressesFile = {
    ...addresses,
    ...(chunkSumVerifier ? { chunkSumVerifier } : {}),
    chainId: chainId.toString(),
    deployBlock: String(deployBlock),
    deployer: deployerAddress,
  };
  writeJsonAtomic(out, file);
  console.log(`network ${networkName} (chain ${chainId}), deployer ${deployerAddress}`);
  console.log(`NodeRegistry     ${addresses.nodeRegistry}`);
  console.log(`DataRegistry     ${addresses.dataRegistry}`);
  console.log(`TaskManager      ${addresses.taskManager}`);
  if (chunkSumVerifier) console.log(`ChunkSumVerifier ${chunkSumVerifier} bound to kind "${STATS_KIND}" (${nPublic} public signals)`);
  else console.log(`no verifier bound (${mode === "none" ? "CM_VERIFIER=none" : "chunk_sum is not built"}): on-chain verified tasks will be refused`);
  console.log(`addresses written to ${out} (start the connector with --addresses ${out} --from-block ${deployBlock})`);
});
