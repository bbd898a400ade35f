import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { getAddress, Wallet } from "ethers";
import { z } from "zod";

/**
 * A profile tells the SDK and `cm` where a network is and which keys act in it. `cm up` writes one
 * for what it started; for a remote network, write it by hand: URLs, and for each key a key file
 * (0x hex, mode 0600) or an encrypted JSON keystore whose password is in an environment variable.
 */
const keySource = {
  /** File holding a 0x-prefixed private key; relative paths resolve from the profile's folder. */
  keyFile: z.string().min(1).optional(),
  /** Encrypted JSON keystore (ethers / geth format); relative paths resolve from the profile's folder. */
  keystore: z.string().min(1).optional(),
  /** Environment variable holding the keystore's password (default CM_KEYSTORE_PASSWORD). */
  passwordEnv: z.string().min(1).optional(),
};

export const profileNodeSchema = z.object({
  url: z.url("nodes.<name>.url must be the node API's base URL, e.g. http://127.0.0.1:8800"),
  address: z.string().refine((a) => /^0x[0-9a-fA-F]{40}$/.test(a), "nodes.<name>.address must be the node operator's 0x address"),
  roles: z.array(z.enum(["Owner", "Worker", "Requester"])).default([]),
  ...keySource,
});

export const profileSchema = z.object({
  version: z.literal(1).default(1),
  mode: z.enum(["coordinator", "ethereum"]).optional(),
  connectorUrl: z.url("connectorUrl must be the connector's base URL, e.g. http://127.0.0.1:8700"),
  /** The node tasks are submitted through and results are read from (default "requester"). */
  requester: z.string().min(1).default("requester"),
  nodes: z.record(z.string().regex(/^[A-Za-z0-9._-]+$/, "node names are letters, digits, '.', '_' and '-'"), profileNodeSchema).default({}),
  /** The key the SDK signs with when a node entry has none (it must be in the node's `admins`). */
  signer: z.object(keySource).optional(),
  /** Written by `cm up`: the supervising process, the chain's RPC URL and deployed addresses. */
  pid: z.number().int().optional(),
  rpc: z.string().optional(),
  addresses: z.record(z.string(), z.string()).optional(),
  startedAt: z.number().optional(),
});
export type Profile = z.output<typeof profileSchema>;
export type ProfileNode = z.output<typeof profileNodeSchema>;
type KeySource = { keyFile?: string; keystore?: string; passwordEnv?: string };

export class ProfileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProfileError";
  }
}

/** Default profile path: `.cm/profile.json` under the working directory, or CM_PROFILE. */
export function defaultProfilePath(dir?: string): string {
  if (dir) return resolve(dir, "profile.json");
  return resolve(process.env.CM_PROFILE ?? join(".cm", "profile.json"));
}

export interface LoadedProfile extends Profile {
  /** Absolute path of the profile file; key paths resolve from its folder. */
  path: string;
}

export function loadProfile(path: string): LoadedProfile {
  const file = resolve(path);
  if (!existsSync(file)) throw new ProfileError(`profile ${file} does not exist: run \`cm up\` (it writes one) or pass --profile <file>`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new ProfileError(`profile ${file} is not JSON (${(e as Error).message})`);
  }
  const r = profileSchema.safeParse(json);
  if (!r.success) throw new ProfileError(`profile ${file}: ${r.error.issues.map((i) => `${i.path.join(".") || "(profile)"}: ${i.message}`).join("; ")}`);
  return { ...r.data, path: file };
}

/** Writes the profile whole (temporary file, then rename), readable by its owner only. */
export function saveProfile(path: string, p: Profile): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(p, null, 2) + "\n", { mode: 0o600 });
  renameSync(tmp, path);
}

/** Writes a private key file with mode 0600 (never group or world readable). */
export function writeKeyFile(path: string, privateKey: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, privateKey + "\n", { mode: 0o600 });
  chmodSync(path, 0o600);
}

function keyPath(profile: LoadedProfile, p: string): string {
  return isAbsolute(p) ? p : resolve(dirname(profile.path), p);
}

async function walletFrom(profile: LoadedProfile, src: KeySource, what: string): Promise<Wallet> {
  if (src.keyFile) {
    const file = keyPath(profile, src.keyFile);
    let text: string;
    try {
      text = readFileSync(file, "utf8").trim();
    } catch (e) {
      throw new ProfileError(`${what}: key file ${file} cannot be read (${(e as Error).message})`);
    }
    try {
      return new Wallet(text);
    } catch {
      throw new ProfileError(`${what}: key file ${file} must hold one 0x-prefixed 32-byte hex private key`);
    }
  }
  if (src.keystore) {
    const file = keyPath(profile, src.keystore);
    const env = src.passwordEnv ?? "CM_KEYSTORE_PASSWORD";
    const password = process.env[env];
    if (password === undefined) throw new ProfileError(`${what}: keystore ${file} needs its password in the environment variable ${env}`);
    const w = await Wallet.fromEncryptedJson(readFileSync(file, "utf8"), password);
    return new Wallet(w.privateKey);
  }
  throw new ProfileError(`${what} has no key: give it keyFile or keystore in the profile`);
}

/** The wallet that signs for `nodeName` (its own key, else the profile's signer, which must be one of its admins). */
export async function nodeWallet(profile: LoadedProfile, nodeName: string): Promise<Wallet> {
  const n = profile.nodes[nodeName];
  if (!n) throw new ProfileError(`no node "${nodeName}" in profile ${profile.path}: use one of ${Object.keys(profile.nodes).join(", ") || "(none)"}`);
  if (n.keyFile || n.keystore) return walletFrom(profile, n, `nodes.${nodeName}`);
  if (profile.signer) return walletFrom(profile, profile.signer, "signer");
  throw new ProfileError(`nodes.${nodeName} has no keyFile or keystore, and the profile has no signer: add one`);
}

/** The requester's wallet: the profile's signer, else the requester node's key. */
export async function requesterWallet(profile: LoadedProfile): Promise<Wallet> {
  if (profile.signer) return walletFrom(profile, profile.signer, "signer");
  return nodeWallet(profile, profile.requester);
}

/** The profile's node name for an address, if any. */
export function nodeNameOf(profile: Profile, address: string): string | undefined {
  const a = getAddress(address);
  return Object.entries(profile.nodes).find(([, n]) => getAddress(n.address) === a)?.[0];
}
