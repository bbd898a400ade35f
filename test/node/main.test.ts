import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { once } from "node:events";
import { nodeHarness, wallets, type NodeHarness } from "./harness.js";

const MAIN = join(import.meta.dirname, "../../node/src/main.ts");

function run(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ["--import", "tsx", "--no-warnings", MAIN, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  return { child, out: () => out, err: () => err };
}

describe("node CLI (node/src/main.ts)", () => {
  let h: NodeHarness;
  before(async () => {
    h = await nodeHarness();
  });
  after(async () => {
    await h?.stop();
  });

  test("starts from a config file with env overrides, serves /health, stops on SIGTERM", { timeout: 60_000 }, async () => {
    const [w] = wallets(1);
    await h.file("cli.csv", "a,b\n1,2\n");
    const cfg = await h.file(
      "node.json",
      JSON.stringify({ name: "cli", dataDir: "cli-data", http: { port: 0 }, datasets: [{ name: "cli", path: "cli.csv", format: "csv" }], logLevel: "warn" }),
    );
    const p = run(["--config", cfg], { CM_NODE_PRIVATE_KEY: w.privateKey, CM_NODE_CONNECTOR_URL: h.url, CM_NODE_NAME: "cli-env" });
    while (!/serving (http:\S+)/.test(p.out())) {
      const [chunk] = await Promise.race([once(p.child.stdout, "data"), once(p.child, "exit").then(() => [null])]);
      if (chunk === null) assert.fail(`main exited early: ${p.err()}`);
    }
    const url = /serving (http:\S+)/.exec(p.out())![1];
    const health = (await (await fetch(`${url}/health`)).json()) as { name: string; address: string };
    assert.equal(health.name, "cli-env");
    assert.equal(health.address, w.address);
    assert.equal(h.network.getDataset(w.address, "cli")!.rows, 1);
    p.child.kill("SIGTERM");
    const [code] = (await once(p.child, "exit")) as [number | null];
    assert.equal(code, 0);
  });

  test("a bad config exits 1 and names the fields", { timeout: 60_000 }, async () => {
    const p = run([], { CM_NODE_HTTP_PORT: "x" });
    const [code] = (await once(p.child, "exit")) as [number | null];
    assert.equal(code, 1);
    assert.match(p.err(), /http\.port \(env CM_NODE_HTTP_PORT\): "x" is not an integer/);
  });
});
