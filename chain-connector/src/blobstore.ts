import { mkdir, readFile, rename, writeFile, access } from "node:fs/promises";
import { join } from "node:path";
import { AwsClient } from "aws4fetch";
import { ConnectorError } from "./connector.js";
import { keccakHex } from "../../protocol/src/hash.js";

/** Content-addressed storage: a blob's name is keccak256 of its bytes, the value put on-chain. */
export interface BlobStore {
  /**
   * Stores the bytes and returns their name. `knownHash` is blobHash(bytes) computed by the
   * caller itself (the connector server's signature check, the node's own store): it spares
   * hashing the payload again. Never pass a hash someone else sent.
   */
  put(bytes: Uint8Array, knownHash?: string): Promise<string>;
  get(hash: string): Promise<Uint8Array>;
  has(hash: string): Promise<boolean>;
}

/** keccak256: the same function as a request signature's body hash (protocol/src/signing.ts bodyHash). */
export function blobHash(bytes: Uint8Array): string {
  return keccakHex(bytes);
}

const HASH = /^0x[0-9a-f]{64}$/;

function checkHash(hash: string): string {
  const h = hash.toLowerCase();
  if (!HASH.test(h)) throw new ConnectorError("BadInput", `blob hash ${hash} must be 0x followed by 64 hex digits`);
  return h;
}

export interface LocalBlobStoreOptions {
  /**
   * Hash every blob read back and refuse one that does not match its name (default false: each
   * file was written whole under a name checked on the way in, and every reader that matters, the
   * node's ConnectorClient, checks the bytes it receives against the name itself).
   */
  verifyReads?: boolean;
}

/** A local directory; writes go to a temporary name first so a crash never leaves a torn blob. */
export class LocalBlobStore implements BlobStore {
  private readonly verifyReads: boolean;

  constructor(
    private readonly dir: string,
    opts: LocalBlobStoreOptions = {},
  ) {
    this.verifyReads = opts.verifyReads ?? false;
  }

  private path(hash: string): string {
    const h = checkHash(hash);
    return join(this.dir, h.slice(2, 4), h.slice(2));
  }

  async put(bytes: Uint8Array, knownHash?: string): Promise<string> {
    const hash = knownHash?.toLowerCase() ?? blobHash(bytes);
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
    if (this.verifyReads && blobHash(bytes) !== hash.toLowerCase()) throw new ConnectorError("BlobHashMismatch", `blob ${hash} is corrupt on disk`);
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

export interface S3Options {
  /** Endpoint of the S3-compatible service, e.g. https://s3.eu-west-1.amazonaws.com or http://127.0.0.1:9000. */
  endpoint: string;
  bucket: string;
  /** Key prefix inside the bucket ("" for none). */
  prefix?: string;
  region?: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * Blobs in an S3-compatible bucket (path-style addressing, SigV4 through aws4fetch). Objects are
 * named by their keccak256, so a put is idempotent and a get is checked against its name: a bucket
 * that returns other bytes is caught, not trusted.
 */
export class S3BlobStore implements BlobStore {
  private readonly client: AwsClient;
  private readonly base: string;

  constructor(private readonly opts: S3Options) {
    if (!opts.bucket) throw new Error("S3 blob store: bucket is required (s3://<bucket>/<prefix>?endpoint=…)");
    if (!opts.accessKeyId || !opts.secretAccessKey)
      throw new Error("S3 blob store: credentials are required: set CM_S3_ACCESS_KEY_ID and CM_S3_SECRET_ACCESS_KEY (or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)");
    this.client = new AwsClient({ accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey, service: "s3", region: opts.region ?? "us-east-1" });
    const prefix = (opts.prefix ?? "").replace(/^\/+|\/+$/g, "");
    this.base = `${opts.endpoint.replace(/\/+$/, "")}/${encodeURIComponent(opts.bucket)}/${prefix ? `${prefix}/` : ""}`;
  }

  private url(hash: string): string {
    return this.base + checkHash(hash);
  }

  private async call(method: string, hash: string, body?: Uint8Array): Promise<Response> {
    try {
      return await this.client.fetch(this.url(hash), { method, body });
    } catch (e) {
      if (e instanceof ConnectorError) throw e;
      throw new ConnectorError("Unavailable", `S3 endpoint ${this.opts.endpoint} did not answer ${method}: ${(e as Error).message}`);
    }
  }

  async put(bytes: Uint8Array, knownHash?: string): Promise<string> {
    const hash = knownHash?.toLowerCase() ?? blobHash(bytes);
    if (await this.has(hash)) return hash;
    const res = await this.call("PUT", hash, bytes);
    if (!res.ok) throw new ConnectorError("Unavailable", `S3 PUT of blob ${hash} failed: HTTP ${res.status} ${await res.text()}`);
    return hash;
  }

  async get(hash: string): Promise<Uint8Array> {
    const res = await this.call("GET", hash);
    if (res.status === 404) throw new ConnectorError("BlobMissing", `blob ${hash} is not in bucket ${this.opts.bucket}; put it first`);
    if (!res.ok) throw new ConnectorError("Unavailable", `S3 GET of blob ${hash} failed: HTTP ${res.status}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (blobHash(bytes) !== hash.toLowerCase()) throw new ConnectorError("BlobHashMismatch", `bucket ${this.opts.bucket} returned other bytes for blob ${hash}`);
    return bytes;
  }

  async has(hash: string): Promise<boolean> {
    const res = await this.call("HEAD", hash);
    if (res.status === 404) return false;
    if (!res.ok) throw new ConnectorError("Unavailable", `S3 HEAD of blob ${hash} failed: HTTP ${res.status}`);
    return true;
  }
}

/**
 * Parses `s3://bucket/prefix?endpoint=<url>&region=<r>`; credentials come from the environment so
 * they never appear in a command line or a config file that gets shared.
 */
export function s3OptionsFromUrl(spec: string, env: NodeJS.ProcessEnv = process.env): S3Options {
  let u: URL;
  try {
    u = new URL(spec);
  } catch {
    throw new Error(`blob store "${spec}" is not a URL: use s3://<bucket>/<prefix>?endpoint=<url>`);
  }
  const endpoint = u.searchParams.get("endpoint") ?? env.CM_S3_ENDPOINT;
  if (!endpoint) throw new Error(`blob store "${spec}": add ?endpoint=<url of the S3-compatible service> (or set CM_S3_ENDPOINT)`);
  return {
    endpoint,
    bucket: u.hostname,
    prefix: decodeURIComponent(u.pathname),
    region: u.searchParams.get("region") ?? env.CM_S3_REGION ?? env.AWS_REGION ?? "us-east-1",
    accessKeyId: env.CM_S3_ACCESS_KEY_ID ?? env.AWS_ACCESS_KEY_ID ?? "",
    secretAccessKey: env.CM_S3_SECRET_ACCESS_KEY ?? env.AWS_SECRET_ACCESS_KEY ?? "",
  };
}

/**
 * A blob store from configuration: a directory path (the default, LocalBlobStore) or an
 * `s3://bucket/prefix?endpoint=…` URL for an S3-compatible bucket (credentials from the environment;
 * a bucket is another party, so its reads are always checked).
 */
export function openBlobStore(spec: string | BlobStore, opts: LocalBlobStoreOptions = {}): BlobStore {
  if (typeof spec !== "string") return spec;
  return spec.startsWith("s3://") ? new S3BlobStore(s3OptionsFromUrl(spec)) : new LocalBlobStore(spec, opts);
}
