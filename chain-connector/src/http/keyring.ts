import { Wallet } from "ethers";
import { ConnectorError, type Connector } from "../connector.js";
import type { NetworkLike } from "./server.js";
import type { BlobRef } from "./authz.js";

/** A network that makes a Connector from a private key (EthereumNetwork). */
export interface KeyedNetwork {
  as(privateKey: string): Connector;
  blobRefs?(hash: string): Promise<BlobRef[]>;
}

/**
 * Ethereum mode: the server signs transactions for the parties it holds keys for, and only for
 * them. A correctly signed request from any other address is refused, since the server could not
 * act for it on-chain.
 */
export class KeyringNetwork implements NetworkLike {
  private readonly keys = new Map<string, string>();
  private readonly connectors = new Map<string, Connector>();

  constructor(
    private readonly inner: KeyedNetwork,
    privateKeys: readonly string[],
  ) {
    for (const [i, k] of privateKeys.entries()) {
      let w: Wallet;
      try {
        w = new Wallet(k);
      } catch {
        throw new Error(`KeyringNetwork: key #${i + 1} is not a 0x-prefixed 32-byte private key`);
      }
      this.keys.set(w.address, w.privateKey);
    }
  }

  addresses(): string[] {
    return [...this.keys.keys()];
  }

  blobRefs(hash: string): Promise<BlobRef[]> {
    return this.inner.blobRefs ? this.inner.blobRefs(hash) : Promise.resolve([]);
  }

  as(address: string): Connector {
    const known = this.connectors.get(address);
    if (known) return known;
    const key = this.keys.get(address);
    if (!key) throw new ConnectorError("Unauthorized", `this connector holds no key for ${address}; start it with that key in --keys, or run your own connector`);
    const c = this.inner.as(key);
    this.connectors.set(address, c);
    return c;
  }
}
