/**
 * What the Hardhat scripts share: reading their environment variables (Hardhat 3's `run` passes
 * no extra command-line arguments), the addresses file the deploy script writes, and the signer
 * a script acts as. Not a script itself: `hardhat run` is never pointed at this file.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { getAddress, isAddress, Wallet, type Provider, type Signer } from "ethers";
import { connectorErrorFrom } from "../chain-connector/src/ethereum/errors.js";
import { ConnectorError } from "../chain-connector/src/connector.js";

/** The file deploy.ts writes and the other scripts read (env CM_ADDRESSES / CM_ADDRESSES_OUT). */
export const DEFAULT_ADDRESSES_FILE = "state/addresses.json";

/** What deploy.ts writes: the three contracts, the bound verifier if any, and where the deployment starts. */
export interface AddressesFile {
  nodeRegistry: string;
  dataRegistry: string;
  taskManager: string;
  /** ChunkAudit: on-chain challenges of OffChain (UltraHonk) proof lists. */
  chunkAudit?: string;
  /** The contribution verifiers deployed and bound to their kinds (statsVerifier, kmeansVerifier, linregVerifier, logregVerifier). */
  statsVerifier?: string;
  kmeansVerifier?: string;
  linregVerifier?: string;
  logregVerifier?: string;
  /** Decimal strings, so every value is a string (the connector reads the file as string → string). */
  chainId: string;
  /** First block to read logs from (the connector's --from-block). */
  deployBlock: string;
  deployer: string;
}

export class ScriptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ScriptError";
  }
}

export function env(name: string, fallback?: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v.trim() === "" ? fallback : v.trim();
}

export function requireEnv(name: string, what: string): string {
  const v = env(name);
  if (v === undefined) throw new ScriptError(`${name} is not set: set it to ${what}`);
  return v;
}

export function intEnv(name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env(name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new ScriptError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return Number(raw);
}

/** Reads the deploy script's output, checking that it names the three contracts. */
export function readAddresses(file = env("CM_ADDRESSES", DEFAULT_ADDRESSES_FILE)!): AddressesFile {
  if (!existsSync(file)) throw new ScriptError(`addresses file ${file} does not exist: run the deploy script first, or set CM_ADDRESSES to its output`);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new ScriptError(`addresses file ${file} is not JSON (${(e as Error).message}): write it with the deploy script`);
  }
  for (const k of ["nodeRegistry", "dataRegistry", "taskManager"] as const)
    if (typeof json[k] !== "string" || !isAddress(json[k])) throw new ScriptError(`addresses file ${file}: ${k} must be a contract address; redeploy or fix the file`);
  return json as unknown as AddressesFile;
}

/** Writes a JSON file whole (temporary file, then rename), creating its directory. */
export function writeJsonAtomic(file: string, value: unknown): void {
  mkdirSync(dirname(file) || ".", { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + "\n");
  renameSync(tmp, file);
}

/**
 * The party a script acts as: CM_PRIVATE_KEY (0x hex) on the network's provider, otherwise the
 * network's account number CM_ACCOUNT (default `defaultAccount`; on a Hardhat node, its funded
 * development accounts).
 */
export async function scriptSigner(ethers: { provider: Provider; getSigners(): Promise<Signer[]> }, defaultAccount: number): Promise<Signer> {
  const key = env("CM_PRIVATE_KEY");
  if (key !== undefined) {
    try {
      return new Wallet(key, ethers.provider);
    } catch {
      throw new ScriptError("CM_PRIVATE_KEY must be a 0x-prefixed 32-byte hex private key");
    }
  }
  const i = intEnv("CM_ACCOUNT", defaultAccount, 0, 1000);
  const signers = await ethers.getSigners();
  const s = signers[i];
  if (!s) throw new ScriptError(`CM_ACCOUNT=${i}, but the network has ${signers.length} accounts: pick one below ${signers.length} or set CM_PRIVATE_KEY`);
  return s;
}

export function checksum(a: string): string {
  return getAddress(a);
}

/**
 * Runs a script body. Bad input, contract reverts and connector refusals print as one line naming
 * the problem; anything else prints in full. Either way the exit code is 1.
 */
export async function runScript(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (e) {
    const revert = e instanceof ScriptError || e instanceof ConnectorError ? e : connectorErrorFrom(e);
    if (revert) console.error(`error: ${revert.message}`);
    else console.error(e);
    process.exitCode = 1;
  }
}
