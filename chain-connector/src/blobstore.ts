import { mkdir, readFile, rename, writeFile, access } from "node:fs/promises";
import { join } from "node:path";
import { keccak256 } from "ethers";
import { ConnectorError } from "./connector.js";

/** Content-addressed storage: a blob's name is keccak256 of its bytes, the value put on-chain. */
export interface BlobStore {
  put(bytes: Uint8Array): Promise<string>;
  get(hash: string): Promise<Uint8Array>;
  has(hash: string): Promise<boolean>;
}

export function blobHash(bytes: Uint8Array): string {
  return keccak256(bytes);
}

const HASH = /^0x[0-9a-f]{64}$/;

function checkHash(hash: string): string {
  const h = hash.toLowerCase();
  if (!HASH.test(h)) throw new ConnectorError("BadInput", `blob hash ${hash} must be 0x followed by 64 hex digits`);
  return h;
}

/** A local directory; writes go to a temporary name first so a crash never leaves a torn blob. */
export class LocalBlobStore implements BlobStore {
  constructor(private readonly dir: string) {}

  private path(hash: string): string {
    const h = checkHash(hash);
    return join(this.dir, h.slice(2, 4), h.slice(2));
  }

  async put(bytes: Uint8Array): Promise<string> {
    const hash = blobHash(bytes);
    const p = this.path(hash);
    if (await this.has(hash)) return hash;
    await mkdir(join(p, ".."), { recursive: true });
    const tmp = `${p}.${process.pid}.${crypto.randomUUID()}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, p);
    return hash;
  }

  async get(hash: string): Promise<Uint8Array> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.path(hash));
    } catch {
      throw new ConnectorError("BlobMissing", `blob ${hash} is not in the store; put it first`);
    }
    if (blobHash(bytes) !== hash.toLowerCase()) throw new ConnectorError("BlobHashMismatch", `blob ${hash} is corrupt on disk`);
    return new Uint8Array(bytes);
  }

  async has(hash: string): Promise<boolean> {
    try {
      await access(this.path(hash));
      return true;
    } catch {
      return false;
    }
  }
}
