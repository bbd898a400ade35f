import { chmodSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { x25519 } from "@noble/curves/ed25519.js";
import { Wallet } from "ethers";
import type { NodeConfig } from "./config.js";
import { x25519PublicKey } from "./crypto/sealedbox.js";
import { Vault, writeSecretFile } from "./secrets/vault.js";
import type { NodeStore } from "./store/store.js";

export interface X25519Keys {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
  /** 0x-prefixed public key: the node's on-chain x25519 field and its member key in rounds. */
  publicHex: string;
}

const hex = (b: Uint8Array) => "0x" + Buffer.from(b).toString("hex");

/**
 * The node's long-term X25519 key (registered on-chain), generated on first start and kept in its
 * file, mode 0600. With a vault (a node) the file holds the key sealed by the node's data key, and
 * a plain hex file (made by scripts/register-node.ts or an older build) is sealed in place; without
 * one (scripts) it is plain hex. As a requester the node opens with it what members sealed to it
 * (crypto/sealedbox.ts); secure aggregation never uses it and makes a fresh key pair per round
 * (store roundKey).
 */
export function loadOrCreateX25519(file: string, vault?: Vault): X25519Keys {
  const label = "x25519.key";
  let secretKey: Uint8Array | undefined;
  let raw: Buffer | undefined;
  try {
    raw = readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  if (raw) {
    if (Vault.isSealed(raw)) {
      if (!vault) throw new Error(`x25519KeyFile ${file} is sealed by a node's data key; only that node can read it`);
      secretKey = vault.open(new Uint8Array(raw), label);
    } else {
      const text = raw.toString("utf8").trim();
      if (!/^(0x)?[0-9a-fA-F]{64}$/.test(text)) throw new Error(`x25519KeyFile ${file} does not hold a 32-byte hex key; delete it to make a new one`);
      secretKey = new Uint8Array(Buffer.from(text.replace(/^0x/, ""), "hex"));
      if (vault) writeSecretFile(file, vault.seal(secretKey, label));
    }
    chmodSync(file, 0o600);
  } else {
    secretKey = x25519.utils.randomSecretKey();
    mkdirSync(dirname(file), { recursive: true });
    writeSecretFile(file, vault ? vault.seal(secretKey, label) : hex(secretKey) + "\n");
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
    throw new Error(`keystore (env CM_NODE_KEYSTORE): ${config.keystore} cannot be read (${(e as NodeJS.ErrnoException).code}); check the path`, { cause: e });
  }
  const password = env.CM_NODE_KEYSTORE_PASSWORD;
  if (password === undefined) throw new Error("keystore: set CM_NODE_KEYSTORE_PASSWORD to the keystore's password");
  try {
    const w = await Wallet.fromEncryptedJson(json, password);
    return new Wallet(w.privateKey);
  } catch (e) {
    throw new Error(`keystore ${config.keystore} cannot be decrypted (${(e as Error).message}); check CM_NODE_KEYSTORE_PASSWORD`, { cause: e });
  }
}

/**
 * This member's X25519 key pair for one round, made fresh at its first use and kept sealed in the
 * store before the join that publishes it, so a restart re-joins and computes with the same key.
 * Its public key is the member key passed to joinRound, a call authenticated by the member's
 * Ethereum key (the chain transaction, or the signed connector request), as Bonawitz et al.
 * authenticate round keys with a long-term signing key. Shares sealed to it open with it only: a
 * leaked round key exposes one round, and the long-term key opens nothing of any round.
 */
export function roundKey(store: Pick<NodeStore, "putSecretOnce">, taskId: number, round: number): X25519Keys {
  const hexKey = store.putSecretOnce(`roundkey:${taskId}:${round}`, hex(x25519.utils.randomSecretKey()));
  const secretKey = new Uint8Array(Buffer.from(hexKey.slice(2), "hex"));
  const publicKey = x25519PublicKey(secretKey);
  return { secretKey, publicKey, publicHex: hex(publicKey) };
}
