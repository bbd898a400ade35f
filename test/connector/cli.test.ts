import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { hexlify, JsonRpcProvider, randomBytes, Wallet } from "ethers";
import { ConnectorClient } from "../../chain-connector/src/http/client.js";
import { parseArgs } from "../../chain-connector/src/main.js";
import { Phase, Role } from "../../protocol/src/phases.js";
import { parseTaskSpec } from "../../protocol/src/taskspec.js";
import { availableModes } from "./ethereum-mode.js";

const b32 = () => hexlify(randomBytes(32));

/** Runs `tsx chain-connector/src/main.ts ...` and resolves with the URL it prints. */
async function startCli(args: string[], env: Record<string, string> = {}): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ["--import", "tsx", "chain-connector/src/main.ts", ...args], {
    cwd: process.cwd(),
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`connector exited with ${code}: ${err}`)));
  });
  return { url, child };
}

async function stopCli(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const done = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  child.kill("SIGTERM");
  return done;
}

describe("connector CLI", () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const f of cleanup.reverse()) await f();
  });

  test("flags and CM_* variables make the configuration; bad values are named", () => {
    const cfg = parseArgs(["--mode", "coordinator", "--port", "0", "--db", "/tmp/x.sqlite", "--blobs", "/tmp/b"]);
    assert.deepEqual(cfg, {
      mode: "coordinator",
      host: "127.0.0.1",
      port: 0,
      blobs: "/tmp/b",
      db: "/tmp/x.sqlite",
      livenessSeconds: 120,
      blobQuotaBytes: 2 * 1024 ** 3,
      blobQuotaWindowSeconds: 3600,
    });
    assert.equal(parseArgs(["--blob-quota", "1000", "--blob-quota-window", "60"]).blobQuotaBytes, 1000);
    assert.throws(() => parseArgs(["--blob-quota", "lots"]), /--blob-quota must be a number of bytes/);
    process.env.CM_PORT = "9123";
    try {
      assert.equal(parseArgs([]).port, 9123);
      assert.equal(parseArgs(["--port", "9124"]).port, 9124, "flags win over the environment");
    } finally {
      delete process.env.CM_PORT;
    }
    assert.throws(() => parseArgs(["--port", "70000"]), /--port must be 0..65535/);
    assert.throws(() => parseArgs(["--mode", "ethereum"]), /--addresses <json file> is required in ethereum mode/);
  });

  test("coordinator mode: prints its URL, serves signed clients, stops on SIGTERM", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cm-cli-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const { url, child } = await startCli(["--port", "0", "--db", join(dir, "s.sqlite"), "--blobs", join(dir, "blobs")], { CM_MODE: "coordinator" });
    cleanup.push(() => stopCli(child));
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const client = await ConnectorClient.connect({ url, signer: Wallet.createRandom() });
    assert.equal(client.mode, "coordinator");
    await client.registerNode({ endpoint: "http://n/", x25519: b32(), roles: Role.Owner, capacity: 1 });
    assert.equal(await stopCli(child), 0);
  });

  test("ethereum mode: acts for the keys it holds, and its keeper advances an expired deadline", { timeout: 180_000 }, async (t) => {
    if ((await availableModes()).length === 0) {
      t.skip("chain-connector/src/ethereum or the contract bindings are not built");
      return;
    }
    const { startHardhatNode } = await import("../helpers/hardhat.js");
    const { deployContracts } = await import("../../chain-connector/src/ethereum/index.js");
    const chain = await startHardhatNode();
    cleanup.push(() => chain.stop());
    const rpc = new JsonRpcProvider(chain.url, undefined, { staticNetwork: true });
    cleanup.push(async () => rpc.destroy());
    const addresses = await deployContracts(new Wallet(chain.accounts[19], rpc));
    const dir = await mkdtemp(join(tmpdir(), "cm-cli-eth-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    // Key 0 is the keeper (first in the file); 1 requests, 2 owns data.
    await writeFile(join(dir, "keys.txt"), `# parties\n${chain.accounts.slice(0, 3).join("\n")}\n`);
    await writeFile(join(dir, "addresses.json"), JSON.stringify(addresses));
    const { url, child } = await startCli([
      "--mode",
      "ethereum",
      "--port",
      "0",
      "--rpc",
      chain.url,
      "--addresses",
      join(dir, "addresses.json"),
      "--keys",
      join(dir, "keys.txt"),
      "--db",
      join(dir, "events.sqlite"),
      "--blobs",
      join(dir, "blobs"),
    ]);
    cleanup.push(() => stopCli(child));
    const [req, own] = [new Wallet(chain.accounts[1]), new Wallet(chain.accounts[2])];
    const r = await ConnectorClient.connect({ url, signer: req });
    const o = new ConnectorClient({ url, signer: own, mode: "ethereum" });
    assert.equal(r.mode, "ethereum");
    await assert.rejects(new ConnectorClient({ url, signer: new Wallet(chain.accounts[5]) }).info(), /Unauthorized: this connector holds no key/);

    await r.registerNode({ endpoint: "http://r/", x25519: b32(), roles: Role.Requester, capacity: 1 });
    await o.registerNode({ endpoint: "http://o/", x25519: b32(), roles: Role.Owner, capacity: 1 });
    const spec = parseTaskSpec({
      kind: "stats",
      requester: req.address,
      datasets: [{ owner: own.address, datasetId: "d" }],
      params: { columns: ["a"] },
      members: { min: 1, max: 2, threshold: 1 },
      deadlines: { join: 2, setup: 60, compute: 60, aggregate: 60 },
    });
    const { taskId } = await r.createTask(spec);
    await o.joinRound(taskId, 1, b32());
    // Nobody calls advance: the CLI's keeper does once the chain passes the join deadline.
    for await (const ev of r.events()) {
      if (ev.type === "PhaseAdvanced" && ev.taskId === taskId) {
        assert.equal(ev.phase, Phase.Compute);
        assert.equal(ev.active, 1);
        break;
      }
    }
    assert.equal((await r.getRound(taskId, 1))!.phase, Phase.Compute);
    assert.equal(await stopCli(child), 0);
  });
});
