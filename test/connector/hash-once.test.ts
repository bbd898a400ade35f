import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keccak256, randomBytes, Wallet } from "ethers";
import { CoordinatorNetwork, ManualClock } from "../../chain-connector/src/coordinator/index.js";
import { ConnectorServer } from "../../chain-connector/src/http/server.js";
import { ConnectorClient } from "../../chain-connector/src/http/client.js";
import { ConnectorError } from "../../chain-connector/src/connector.js";
import { LocalBlobStore } from "../../chain-connector/src/blobstore.js";
import { observeHashes } from "../../protocol/src/hash.js";

/** How often a payload of `size` bytes is hashed while `run` runs (client and server share this process). */
async function hashesOf(size: number, run: () => Promise<unknown>): Promise<number> {
  let n = 0;
  observeHashes((len) => {
    if (len === size) n++;
  });
  try {
    await run();
  } finally {
    observeHashes(undefined);
  }
  return n;
}

describe("each payload is hashed once per side of a transfer", () => {
  let dir: string;
  let network: CoordinatorNetwork;
  let server: ConnectorServer;
  let client: ConnectorClient;
  const wallet = Wallet.createRandom() as unknown as Wallet;
  const SIZE = 1024 * 1024 + 3;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cm-hash-once-"));
    network = new CoordinatorNetwork({ db: join(dir, "s.sqlite"), blobs: join(dir, "blobs"), clock: new ManualClock(2_000_000_000) });
    server = new ConnectorServer({ network });
    await server.start();
    client = new ConnectorClient({ url: server.url, signer: wallet });
    await client.registerNode({ endpoint: "http://127.0.0.1:1/", x25519: "0x" + "22".repeat(32), roles: 1, capacity: 1 });
  });
  after(async () => {
    await server.close();
    await network.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("an upload: once by the client (its signature's body hash is the blob's name), once by the server; a download: once, by the client", async () => {
    const bytes = randomBytes(SIZE);
    let hash = "";
    assert.equal(await hashesOf(SIZE, async () => (hash = await client.putBlob(bytes))), 2);
    assert.equal(hash, keccak256(bytes));
    assert.equal(await hashesOf(SIZE, () => client.getBlob(hash)), 1);
    assert.deepEqual(await client.getBlob(hash), bytes);
  });

  test("an upload whose name the caller already knows is hashed by the server only", async () => {
    const bytes = randomBytes(SIZE);
    assert.equal(await hashesOf(SIZE, () => client.putBlob(bytes, keccak256(bytes))), 1);
    assert.deepEqual(await client.getBlob(keccak256(bytes)), bytes);
  });

  test("a wrong known hash is refused by the server's own hash, and nothing is stored under it", async () => {
    const bytes = randomBytes(1000);
    const wrong = keccak256(randomBytes(8));
    await assert.rejects(client.putBlob(bytes, wrong), (e: unknown) => e instanceof ConnectorError && e.code === "Unauthorized");
    assert.equal(await network.blobs.has(wrong), false);
    assert.equal(await network.blobs.has(keccak256(bytes)), false);
  });

  test("a blob altered in the connector's directory is caught by the downloading client", async () => {
    const bytes = randomBytes(2000);
    const hash = await client.putBlob(bytes);
    const sub = join(dir, "blobs", hash.slice(2, 4));
    const file = (await readdir(sub)).find((f) => f === hash.slice(2))!;
    await writeFile(join(sub, file), randomBytes(2000));
    await assert.rejects(client.getBlob(hash), (e: unknown) => e instanceof ConnectorError && e.code === "BlobHashMismatch");
  });
});

describe("LocalBlobStore reads", () => {
  test("hashes what it reads only when configured to, and then refuses altered bytes", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cm-local-blobs-"));
    try {
      const bytes = randomBytes(4096);
      const plain = new LocalBlobStore(dir);
      const hash = await plain.put(bytes);
      assert.equal(await hashesOf(4096, () => plain.get(hash)), 0);
      const checked = new LocalBlobStore(dir, { verifyReads: true });
      assert.equal(await hashesOf(4096, () => checked.get(hash)), 1);
      await writeFile(join(dir, hash.slice(2, 4), hash.slice(2)), randomBytes(4096));
      await assert.rejects(checked.get(hash), (e: unknown) => e instanceof ConnectorError && e.code === "BlobHashMismatch");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
