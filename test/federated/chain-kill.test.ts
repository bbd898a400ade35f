import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { NonceManager, Wallet } from "ethers";
import { Phase } from "../../protocol/src/phases.js";
import { startNode, submitFederated, type RunningNode } from "../../node/src/index.js";
import type { SecureStatsResult } from "../../node/src/runtime/kinds/stats/index.js";
import type { Table } from "../../node/src/data/table.js";
import { createLogger } from "../../node/src/log.js";
import { finalResult, ownerDatasets, preferRamDisk } from "./network.js";
import { IRIS_COLS, union } from "./reference.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const built = existsSync(join(ROOT, "types/ethers-contracts/index.ts"));
const DEADLINE = 600;

/** A child process running a TypeScript entry point; resolves once its stdout matches `ready`. */
async function spawnTs(entry: string, args: string[], ready: RegExp): Promise<{ child: ChildProcess; out: () => string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "--no-warnings", join(ROOT, entry), ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (!ready.test(out)) return;
      child.stdout.off("data", check);
      child.off("exit", exit);
      resolve();
    };
    const exit = (code: number | null) => reject(new Error(`${entry} exited with ${code} before it was ready:\n${err.slice(-2000)}`));
    child.stdout.on("data", check);
    child.once("exit", exit);
  });
  return { child, out: () => out };
}

async function kill9(p: { child: ChildProcess }): Promise<void> {
  if (p.child.exitCode !== null) return;
  const gone = new Promise((r) => p.child.once("exit", r));
  p.child.kill("SIGKILL");
  await gone;
}

/**
 * Ethereum mode (a Hardhat node, the ethereum connector) with real processes killed by SIGKILL:
 * the connector and three owner nodes run as child processes (their CLIs), the requester in this
 * process. Secure aggregation (setup, shares, reveals) over the three owners' iris parts.
 */
describe("kill -9 mid-round in ethereum mode (secagg)", { skip: built ? false : "contract bindings not built (npm run build)" }, () => {
  let chain: import("../../chain-connector/src/ethereum/devchain.js").DevChain;
  let dir: string;
  let connectorArgs: string[];
  let connector: { child: ChildProcess };
  let url: string;
  const owners: { child: ChildProcess }[] = [];
  const ownerConfigs: string[] = [];
  const tables: Table[] = [];
  let keys: string[];
  let R: RunningNode;

  const startConnectorProcess = async () => {
    const p = await spawnTs("chain-connector/src/main.ts", connectorArgs, /^http:\/\/\S+$/m);
    url = p.out().match(/^(http:\/\/\S+)$/m)![1]!;
    return p;
  };

  before(async () => {
    preferRamDisk();
    const { startDevChain, freePort } = await import("../../chain-connector/src/ethereum/devchain.js");
    const eth = await import("../../chain-connector/src/ethereum/index.js");
    dir = await mkdtemp(join(tmpdir(), "cm-chain-kill-"));
    chain = await startDevChain();
    const addresses = await eth.deployContracts(new NonceManager(chain.signer(19)));
    keys = chain.accounts.slice(1, 5);
    await writeFile(join(dir, "addresses.json"), JSON.stringify(addresses));
    await writeFile(join(dir, "keys.txt"), keys.join("\n"));
    // A fixed port: a restarted connector must be where the nodes look for it.
    const port = await freePort();
    connectorArgs = [
      "--mode",
      "ethereum",
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
      "--port",
      String(port),
      "--no-keeper",
      "--verifiers",
      join(dir, "none.json"),
    ];
    await writeFile(join(dir, "none.json"), "{}");
    connector = await startConnectorProcess();
    for (let i = 0; i < 3; i++) {
      const d = await ownerDatasets(
        async (n, b) => {
          const p = join(dir, n);
          await writeFile(p, b);
          return p;
        },
        `o${i}`,
        i,
        3,
      );
      tables.push(d.tables.iris);
      const cfg = join(dir, `o${i}.json`);
      await writeFile(
        cfg,
        JSON.stringify({
          name: `o${i}`,
          dataDir: join(dir, `o${i}`),
          privateKey: keys[i],
          connectorUrl: url,
          http: { port: 0 },
          heartbeatSeconds: 0,
          logLevel: "warn",
          datasets: d.datasets.filter((x) => x.name === "iris"),
        }),
      );
      ownerConfigs.push(cfg);
      owners.push(await spawnTs("node/src/main.ts", ["--config", cfg], /serving http/));
    }
    R = await startNode(
      { name: "R", dataDir: join(dir, "R"), privateKey: keys[3], connectorUrl: url, http: { port: 0 }, heartbeatSeconds: 0, logLevel: "silent", roles: ["Requester"] },
      { logger: createLogger("R", (process.env.CM_TEST_LOG as "info") ?? "silent") },
    );
  });
  after(async () => {
    await R?.stop();
    for (const o of owners) await kill9(o);
    if (connector) await kill9(connector);
    await chain?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const passDeadline = async (taskId: number) => {
    await chain.increaseTime(DEADLINE + 1);
    await R.connector.advance(taskId, 1);
  };
  const ownerAddr = (i: number) => new Wallet(keys[i]).address;

  /** Polls the chain (through the requester's connector) until `pred` holds; rounds move on other processes. */
  const until = async (what: string, pred: () => Promise<boolean>, ms = 180_000) => {
    const end = Date.now() + ms;
    for (;;) {
      try {
        if (await pred()) return;
      } catch {
        // The connector may be down for a moment (restarting): ask again.
      }
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await sleep(200);
    }
  };

  /** The sum is that of every owner's rows, and each member made exactly one submission per phase. */
  async function checkRound(taskId: number) {
    const { result } = await finalResult<SecureStatsResult>(R, taskId, 1);
    assert.deepEqual(result.contributors, [0, 1, 2].map((i) => ownerAddr(i).toLowerCase()).sort());
    const rows = union(tables);
    IRIS_COLS.forEach((c, j) => {
      const sum = rows.reduce((a, r) => a + r[j], 0);
      assert.equal(result.columns[c].count, rows.length);
      assert.ok(Math.abs(result.columns[c].sum - sum) <= 3 * 2 ** -20, `${c}: ${result.columns[c].sum} vs ${sum}`);
    });
    for (const phase of [Phase.Setup, Phase.Compute, Phase.Aggregate]) {
      const subs = (await R.connector.getContributions(taskId, 1, phase)).map((c) => c.member).sort();
      assert.deepEqual(subs, [0, 1, 2].map(ownerAddr).sort(), `phase ${phase}: one submission per member`);
    }
    assert.equal((await R.connector.getRound(taskId, 1))!.phase, Phase.Finalized);
  }

  const submit = () =>
    submitFederated(R, {
      kind: "stats",
      aggregation: "secagg",
      datasets: [0, 1, 2].map((i) => ({ owner: ownerAddr(i), datasetId: "iris" })),
      params: { columns: IRIS_COLS },
      // max 4 of 3 owners: the Join phase waits for its deadline, which the test passes.
      members: { min: 3, max: 4, threshold: 3 },
      deadlines: { join: DEADLINE, setup: DEADLINE, compute: DEADLINE, aggregate: DEADLINE },
    });

  test("an owner killed with SIGKILL right after its Setup submission is restarted; the round finishes with the exact sum", { timeout: 600_000 }, async () => {
    const { taskId } = await submit();
    await until("three members", async () => (await R.connector.getRound(taskId, 1))!.joined === 3);
    await passDeadline(taskId);
    // Owner 2 dies the moment its key shares are on-chain, before it computes or records anything more.
    await until("owner 2's setup", async () => (await R.connector.getContributions(taskId, 1, Phase.Setup)).some((c) => c.member === ownerAddr(2)));
    await kill9(owners[2]);
    assert.notEqual((await R.connector.getRound(taskId, 1))!.phase, Phase.Finalized, "killed mid-round");
    owners[2] = await spawnTs("node/src/main.ts", ["--config", ownerConfigs[2]], /serving http/);
    await checkRound(taskId);
  });

  test("the connector killed with SIGKILL mid-round is restarted on its event log; nodes reconnect and the round finishes with the exact sum", { timeout: 600_000 }, async () => {
    const { taskId } = await submit();
    await until("three members", async () => (await R.connector.getRound(taskId, 1))!.joined === 3);
    await kill9(connector);
    connector = await startConnectorProcess();
    assert.equal((await R.connector.getRound(taskId, 1))!.phase, Phase.Join, "killed mid-round");
    await passDeadline(taskId);
    await checkRound(taskId);
  });
});
