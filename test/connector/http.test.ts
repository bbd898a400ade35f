import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keccak256, randomBytes, Wallet, ZeroAddress } from "ethers";
import { CoordinatorNetwork, ManualClock } from "../../chain-connector/src/coordinator/index.js";
import { ConnectorServer } from "../../chain-connector/src/http/server.js";
import { ConnectorClient } from "../../chain-connector/src/http/client.js";
import { KeyringNetwork } from "../../chain-connector/src/http/keyring.js";
import { ConnectorError } from "../../chain-connector/src/connector.js";
import { signRequest } from "../../protocol/src/signing.js";

describe("connector HTTP server and client", () => {
  let dir: string;
  let network: CoordinatorNetwork;
  let server: ConnectorServer;
  const wallet = Wallet.createRandom() as unknown as Wallet;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cm-http-"));
    network = new CoordinatorNetwork({ db: join(dir, "s.sqlite"), blobs: join(dir, "blobs"), clock: new ManualClock(2_000_000_000) });
    server = new ConnectorServer({ network, sseHeartbeatMs: 30 });
    await server.start();
  });
  after(async () => {
    await server.close();
    await network.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("binds to 127.0.0.1 by default and reports its mode to the signed caller", async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const client = await ConnectorClient.connect({ url: server.url, signer: wallet });
    assert.equal(client.mode, "coordinator");
    assert.deepEqual(await client.info(), { mode: "coordinator", address: wallet.address, livenessSeconds: 120, bindingDomain: { taskManager: ZeroAddress, chainId: "0" } });
  });

  test("blobs travel as octet-stream and come back byte for byte", async () => {
    const client = new ConnectorClient({ url: server.url, signer: wallet });
    // Only registered nodes store and read blobs.
    await client.registerNode({ endpoint: "http://127.0.0.1:1/", x25519: "0x" + "22".repeat(32), roles: 1, capacity: 1 });
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    const hash = await client.putBlob(bytes);
    assert.equal(hash, keccak256(bytes));
    const path = `/blobs/${hash}`;
    const res = await fetch(server.url + path, { headers: { ...(await signRequest(wallet, "GET", path, new Uint8Array())) } });
    assert.equal(res.headers.get("content-type"), "application/octet-stream");
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), bytes);
    assert.deepEqual(await client.getBlob(hash), bytes);
  });

  test("errors carry the connector's code; bad bodies and unknown routes are clear 4xx answers", async () => {
    const client = new ConnectorClient({ url: server.url, signer: wallet });
    const stranger = new ConnectorClient({ url: server.url, signer: Wallet.createRandom() });
    await assert.rejects(stranger.updateNode({ endpoint: "x", x25519: "0x" + "11".repeat(32), roles: 1, capacity: 1 }), (e: unknown) => {
      assert.ok(e instanceof ConnectorError);
      assert.equal(e.code, "NotRegistered");
      assert.match(e.message, /^NotRegistered: .* is not registered/);
      return true;
    });
    const body = new TextEncoder().encode("{not json");
    const res = await fetch(server.url + "/nodes/register", { method: "POST", body, headers: { ...(await signRequest(wallet, "POST", "/nodes/register", body)) } });
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { code: "BadInput", message: "request body must be a JSON object" });
    const missing = await fetch(server.url + "/nope", { headers: { ...(await signRequest(wallet, "GET", "/nope", new Uint8Array())) } });
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { code: string }).code, "BadInput");
    await assert.rejects(client.getTask(-1), (e: unknown) => e instanceof ConnectorError);
  });

  test("the event stream is signed, sends heartbeat comments, and stops on abort", async () => {
    const path = "/events";
    const ac = new AbortController();
    const res = await fetch(server.url + path, { headers: { ...(await signRequest(wallet, "GET", path, new Uint8Array())) }, signal: ac.signal });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type")!, /^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = "";
    while (!text.includes(": ping")) text += new TextDecoder().decode((await reader.read()).value as Uint8Array | undefined);
    ac.abort();
    await reader.cancel().catch(() => {});
  });

  test("a body over the limit is refused with a JSON error naming the limit", async () => {
    const s = new ConnectorServer({ network, maxBodyBytes: 1000 });
    await s.start();
    try {
      const client = new ConnectorClient({ url: s.url, signer: wallet });
      await assert.rejects(client.putBlob(randomBytes(2000)), (e: unknown) => e instanceof ConnectorError && e.code === "BadInput" && /exceeds 1000 bytes/.test(e.message));
      assert.equal((await client.putBlob(randomBytes(500))).length, 66);
    } finally {
      await s.close();
    }
  });

  test("a keyring server acts only for the addresses whose keys it holds", async () => {
    const held = Wallet.createRandom();
    const made: string[] = [];
    const keyring = new KeyringNetwork(
      {
        as: (key: string) => {
          made.push(new Wallet(key).address);
          return network.as(new Wallet(key).address);
        },
      },
      [held.privateKey],
    );
    const s = new ConnectorServer({ network: keyring });
    await s.start();
    try {
      const ok = new ConnectorClient({ url: s.url, signer: held });
      assert.equal((await ok.info()).address, held.address);
      const stranger = new ConnectorClient({ url: s.url, signer: Wallet.createRandom() });
      await assert.rejects(stranger.info(), (e: unknown) => e instanceof ConnectorError && e.code === "Unauthorized" && /holds no key for/.test(e.message));
      assert.deepEqual(made, [held.address]);
      assert.throws(() => new KeyringNetwork(keyring, ["0x1234"]), /key #1 is not a 0x-prefixed 32-byte private key/);
    } finally {
      await s.close();
    }
  });
});
