import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { x25519 } from "@noble/curves/ed25519.js";
import { Wallet } from "ethers";
import type { NodeConfig } from "./config.js";

export interface X25519Keys {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
  /** 0x-prefixed public key: the node's on-chain x25519 field and its member key in rounds. */
  publicHex: string;
}

const hex = (b: Uint8Array) => "0x" + Buffer.from(b).toString("hex");

/**
 * The node's X25519 key, generated on first start and kept in its file (mode 0600). A key made
 * once and reused keeps the registered public key valid across restarts.
 */
export function loadOrCreateX25519(file: string): X25519Keys {
  let secretKey: Uint8Array;
  try {
    const text = readFileSync(file, "utf8").trim();
    if (!/^(0x)?[0-9a-fA-F]{64}$/.test(text)) throw new Error(`x25519KeyFile ${file} does not hold a 32-byte hex key; delete it to make a new one`);
    secretKey = new Uint8Array(Buffer.from(text.replace(/^0x/, ""), "hex"));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    secretKey = x25519.utils.randomSecretKey();
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, hex(secretKey) + "\n", { mode: 0o600 });
    renameSync(tmp, file);
  }
  const publicKey = x25519.getPublicKey(secretKey);
  return { secretKey, publicKey, publicHex: hex(publicKey) };
}

/** The operator's signing key from privateKey or an encrypted keystore (password from the environment). */
export async function loadWallet(config: Pick<NodeConfig, "privateKey" | "keystore">, env: NodeJS.ProcessEnv = process.env): Promise<Wallet> {
  if (config.privateKey) return new Wallet(config.privateKey);
  if (!config.keystore) throw new Error("config: set privateKey or keystore so the node can sign");
  let json: string;
  try {
    json = readFileSync(config.keystore, "utf8");
  } catch (e) {
    throw new Error(`keystore (env CM_NODE_KEYSTORE): ${config.keystore} cannot be read (${(e as NodeJS.ErrnoException).code}); check the path`);
  }
  const password = env.CM_NODE_KEYSTORE_PASSWORD;
  if (password === undefined) throw new Error("keystore: set CM_NODE_KEYSTORE_PASSWORD to the keystore's password");
  try {
    const w = await Wallet.fromEncryptedJson(json, password);
    return new Wallet(w.privateKey);
  } catch (e) {
    throw new Error(`keystore ${config.keystore} cannot be decrypted (${(e as Error).message}); check CM_NODE_KEYSTORE_PASSWORD`);
  }
}
