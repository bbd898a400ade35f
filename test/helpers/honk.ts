import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ContractFactory, NonceManager, type Contract, type Signer } from "ethers";
import { ROOT } from "../../circuits/sources.js";

interface Artifact {
  contractName: string;
  abi: unknown[];
  bytecode: string;
  linkReferences: Record<string, Record<string, { start: number; length: number }[]>>;
}

/**
 * Deploys a generated Honk verifier (contracts/verifiers/honk/<name>.sol) from the Hardhat
 * artifacts: bb's verifier links two external libraries (ZKTranscriptLib, RelationsLib), which are
 * deployed first and spliced into the bytecode. Returns the verifier and the deployment gas.
 */
export async function deployHonkVerifier(wallet: Signer, name: string): Promise<Contract & { deployGas: bigint }> {
  // Three deployments in a row: the provider's cached nonce would repeat one.
  const signer = new NonceManager(wallet);
  const dir = join(ROOT, "artifacts", "contracts", "verifiers", "honk", `${name}.sol`);
  const load = (c: string): Artifact => JSON.parse(readFileSync(join(dir, `${c}.json`), "utf8")) as Artifact;
  if (!readdirSync(dir).includes(`${name}.json`)) throw new Error(`no artifact for ${name}: run npx hardhat build`);
  const main = load(name);
  let code = main.bytecode.slice(2);
  let deployGas = 0n;
  for (const libs of Object.values(main.linkReferences)) {
    for (const [lib, refs] of Object.entries(libs)) {
      const a = load(lib);
      const f = new ContractFactory(a.abi as never, a.bytecode, signer);
      const c = await f.deploy();
      const r = await c.deploymentTransaction()!.wait();
      deployGas += r!.gasUsed;
      const addr = (await c.getAddress()).slice(2).toLowerCase();
      for (const { start, length } of refs) code = code.slice(0, start * 2) + addr + code.slice((start + length) * 2);
    }
  }
  const f = new ContractFactory(main.abi as never, "0x" + code, signer);
  const v = await f.deploy();
  const r = await v.deploymentTransaction()!.wait();
  deployGas += r!.gasUsed;
  return Object.assign(v as Contract, { deployGas });
}
