import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import { ConnectorError } from "../../../chain-connector/src/connector.js";
import { blobHash, type BlobStore } from "../../../chain-connector/src/blobstore.js";
import { secureDir, Vault, writeSecretFile } from "./vault.js";

const HASH = /^0x[0-9a-f]{64}$/;

/**
 * The node's own blob store (results, secret keys, per-task secrets, prepared submissions): named
 * by keccak256 of the plain bytes like every blob store, but each file holds the bytes sealed by
 * the vault (the hash as associated data), in folders of mode 0700 and files of mode 0600.
 */
export class SealedBlobStore implements BlobStore {
  constructor(
    private readonly dir: string,
    private readonly vault: Vault,
  ) {
    secureDir(dir);
  }

  private path(hash: string): { dir: string; file: string } {
    const h = hash.toLowerCase();
    if (!HASH.test(h)) throw new ConnectorError("BadInput", `blob hash ${hash} must be 0x followed by 64 hex digits`);
    const dir = join(this.dir, h.slice(2, 4));
    return { dir, file: join(dir, h.slice(2)) };
  }

  async put(bytes: Uint8Array, knownHash?: string): Promise<string> {
    const hash = knownHash?.toLowerCase() ?? blobHash(bytes);
    if (await this.has(hash)) return hash;
    const p = this.path(hash);
    secureDir(p.dir);
    writeSecretFile(p.file, this.vault.seal(bytes, `blob:${hash}`));
    return hash;
  }

  async get(hash: string): Promise<Uint8Array> {
    let sealed: Buffer;
    try {
      sealed = await readFile(this.path(hash).file);
    } catch {
      throw new ConnectorError("BlobMissing", `blob ${hash} is not in the store; put it first`);
    }
    const h = hash.toLowerCase();
    if (!Vault.isSealed(sealed) && blobHash(sealed) === h) {
      // Written in plain by an older build: seal it in place.
      writeSecretFile(this.path(h).file, this.vault.seal(sealed, `blob:${h}`));
      return new Uint8Array(sealed);
    }
    // Not hashed again: the seal is authenticated with the name as associated data, so these are
    // the bytes put() named, and a flipped bit on disk fails vault.open.
    return this.vault.open(new Uint8Array(sealed), `blob:${h}`);
  }

  async has(hash: string): Promise<boolean> {
    try {
      await access(this.path(hash).file);
      return true;
    } catch {
      return false;
    }
  }
}
