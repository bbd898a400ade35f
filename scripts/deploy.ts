/**
 * Deploys NodeRegistry, DataRegistry and TaskManager and, for each federated kind whose
 * contribution circuit is built (stats, kmeans, linreg, logreg), its generated Groth16 verifier
 * bound to the kind; then writes the addresses for the connector and the other scripts.
 *
 *   CM_RPC_URL=http://127.0.0.1:8545 npx hardhat run scripts/deploy.ts --network localhost
 *   npm run deploy                         (the same, on --network localhost)
 *
 * Environment:
 *   CM_RPC_URL        chain JSON-RPC URL for --network localhost (default http://127.0.0.1:8545)
 *   CM_ADDRESSES_OUT  where to write the addresses JSON (default state/addresses.json)
 *   CM_VERIFIER       "auto" (default: bind the verifiers whose circuits are built), "required"
 *                     (fail unless all four are built) or "none"
 *   CM_PRIVATE_KEY    deployer key (0x hex); otherwise the network's account CM_ACCOUNT (default 0).
 *                     The deployer owns TaskManager: only it may bind verifiers later.
 */
import { NonceManager } from "ethers";
import { network } from "hardhat";
import { deployContracts, deployContributionVerifiers, deployHonkVerifiers, type HonkVerifierBinding, type VerifierBinding } from "../chain-connector/src/ethereum/deploy.js";
import { DEFAULT_ADDRESSES_FILE, env, runScript, scriptSigner, ScriptError, writeJsonAtomic, type AddressesFile } from "./env.js";

await runScript(async () => {
  const out = env("CM_ADDRESSES_OUT", DEFAULT_ADDRESSES_FILE)!;
  const mode = env("CM_VERIFIER", "auto")!;
  if (!["auto", "required", "none"].includes(mode)) throw new ScriptError(`CM_VERIFIER must be auto, required or none, got "${mode}"`);
  const { ethers, networkName } = await network.create();
  const deployer = await scriptSigner(ethers, 0);
  const deployerAddress = await deployer.getAddress();
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const deployBlock = await ethers.provider.getBlockNumber();

  // One nonce counter for every deployment transaction of this signer.
  const signer = new NonceManager(deployer);
  let verifiers: VerifierBinding[] = [];
  if (mode !== "none") {
    try {
      verifiers = await deployContributionVerifiers(signer, { require: mode === "required" });
    } catch (e) {
      if (mode === "required" && /not built/.test((e as Error).message)) throw new ScriptError(`CM_VERIFIER=required: ${(e as Error).message}`);
      throw e;
    }
  }
  const addresses = await deployContracts(signer, verifiers);
  // UltraHonk verifiers per kind and width, bound in ChunkAudit so OffChain rounds can be challenged on-chain.
  const honk: HonkVerifierBinding[] = mode === "none" ? [] : await deployHonkVerifiers(signer, addresses.chunkAudit!);
  const file: AddressesFile = {
    ...addresses,
    ...Object.fromEntries(verifiers.map((v) => [`${v.kind}Verifier`, v.address])),
    chainId: chainId.toString(),
    deployBlock: String(deployBlock),
    deployer: deployerAddress,
  };
  writeJsonAtomic(out, file);
  console.log(`network ${networkName} (chain ${chainId}), deployer ${deployerAddress}`);
  console.log(`NodeRegistry     ${addresses.nodeRegistry}`);
  console.log(`DataRegistry     ${addresses.dataRegistry}`);
  console.log(`TaskManager      ${addresses.taskManager}`);
  console.log(`ChunkAudit       ${addresses.chunkAudit}`);
  for (const h of honk) console.log(`UltraHonk verifier of kind ${h.kind.padEnd(7)} width ${String(h.width).padEnd(2)} ${h.address}`);
  for (const v of verifiers) console.log(`verifier of kind ${v.kind.padEnd(7)} ${v.address}`);
  if (verifiers.length === 0)
    console.log(`no verifier bound (${mode === "none" ? "CM_VERIFIER=none" : "no contribution circuit is built"}): on-chain verified tasks will be refused`);
  console.log(`addresses written to ${out} (start the connector with --addresses ${out} --from-block ${deployBlock})`);
});
