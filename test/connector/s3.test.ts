import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AwsClient } from "aws4fetch";
import { Wallet, keccak256, toUtf8Bytes } from "ethers";
// s3rver: an S3-compatible server in Node, run for real on loopback. It checks the access key id
// but not SigV4 signatures, so the signing itself is exercised here only as far as s3rver parses it.
import S3rver from "s3rver";
import { S3BlobStore, openBlobStore, s3OptionsFromUrl } from "../../chain-connector/src/blobstore.js";
import { CoordinatorNetwork } from "../../chain-connector/src/coordinator/index.js";
import { ConnectorError } from "../../chain-connector/src/connector.js";
import { freePort } from "../../chain-connector/src/ethereum/devchain.js";
import { parseTaskSpec } from "../../protocol/src/index.js";
import { Role } from "../../protocol/src/phases.js";

let dir: string;
let server: { run(): Promise<unknown>; close(): Promise<unknown> };
let endpoint: string;
const creds = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "cm-s3-"));
  const port = await freePort();
  server = new S3rver({ port, address: "127.0.0.1", silent: true, directory: dir, configureBuckets: [{ name: "cm-blobs" }] });
  await server.run();
  endpoint = `http://127.0.0.1:${port}`;
});

after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

test("blobs round-trip through an S3-compatible bucket under their keccak256 name", async () => {
  const store = new S3BlobStore({ endpoint, bucket: "cm-blobs", prefix: "round-1", ...creds });
  const bytes = new TextEncoder().encode("masked vector");
  const hash = await store.put(bytes);
  assert.equal(hash, keccak256(bytes));
  assert.equal(await store.has(hash), true);
  assert.deepEqual(await store.get(hash), bytes);
  assert.equal(await store.put(bytes), hash, "a second put of the same bytes is idempotent");
  const absent = keccak256(toUtf8Bytes("never stored"));
  assert.equal(await store.has(absent), false);
  await assert.rejects(store.get(absent), (e: unknown) => e instanceof ConnectorError && e.code === "BlobMissing");
  await assert.rejects(store.get("0x12"), /must be 0x followed by 64 hex digits/);
});

test("a bucket that returns other bytes than the name promises is caught", async () => {
  const store = new S3BlobStore({ endpoint, bucket: "cm-blobs", ...creds });
  const name = keccak256(toUtf8Bytes("the real payload"));
  const raw = new AwsClient({ ...creds, service: "s3", region: "us-east-1" });
  const res = await raw.fetch(`${endpoint}/cm-blobs/${name}`, { method: "PUT", body: "a forged payload" });
  assert.equal(res.ok, true);
  await assert.rejects(store.get(name), (e: unknown) => e instanceof ConnectorError && e.code === "BlobHashMismatch");
});

test("refused credentials are an error, never an empty answer", async () => {
  const store = new S3BlobStore({ endpoint, bucket: "cm-blobs", accessKeyId: "NOBODY", secretAccessKey: "S3RVER" });
  await assert.rejects(store.put(new Uint8Array([1, 2, 3])), /HTTP 403/);
});

test("configuration: s3:// URLs name bucket, prefix and endpoint; credentials come from the environment", () => {
  const o = s3OptionsFromUrl(`s3://cm-blobs/a/b?endpoint=${endpoint}&region=eu-west-1`, { CM_S3_ACCESS_KEY_ID: "k", CM_S3_SECRET_ACCESS_KEY: "s" });
  assert.deepEqual(o, { endpoint, bucket: "cm-blobs", prefix: "/a/b", region: "eu-west-1", accessKeyId: "k", secretAccessKey: "s" });
  assert.throws(() => s3OptionsFromUrl("s3://cm-blobs/x", {}), /add \?endpoint=/);
  assert.throws(() => openBlobStore(`s3://cm-blobs?endpoint=${endpoint}`), process.env.CM_S3_ACCESS_KEY_ID || process.env.AWS_ACCESS_KEY_ID ? /$^/ : /credentials are required/);
});

test("the coordinator keeps task specs in the bucket when configured with an s3:// blob store", async () => {
  const env = { ...process.env };
  process.env.CM_S3_ACCESS_KEY_ID = creds.accessKeyId;
  process.env.CM_S3_SECRET_ACCESS_KEY = creds.secretAccessKey;
  const network = new CoordinatorNetwork({ db: ":memory:", blobs: `s3://cm-blobs/coordinator?endpoint=${endpoint}` });
  try {
    const requester = Wallet.createRandom();
    const me = network.as(requester.address);
    await me.registerNode({ endpoint: "http://127.0.0.1:1", x25519: "0x" + "11".repeat(32), roles: Role.Requester, capacity: 1 });
    const spec = parseTaskSpec({
      kind: "stats",
      requester: requester.address,
      datasets: [{ owner: Wallet.createRandom().address, datasetId: "d" }],
      params: { columns: ["a"] },
    });
    const { taskId } = await me.createTask(spec);
    const task = await me.getTask(taskId);
    const store = new S3BlobStore({ endpoint, bucket: "cm-blobs", prefix: "coordinator", ...creds });
    assert.equal(await store.has(task!.specHash), true, "the spec blob is in the bucket");
    assert.deepEqual(await me.getTaskSpec(taskId), spec);
  } finally {
    await network.close();
    process.env = env;
  }
});
