/**
 * The Hardhat scripts run through the real Hardhat CLI (`hardhat run … --network localhost`)
 * against a development chain started here, and their effects are read back on-chain.
 */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Wallet } from "ethers";
import { x25519 } from "@noble/curves/ed25519.js";
import { startDevChain, type DevChain } from "../../chain-connector/src/ethereum/devchain.js";
import { DataRegistry__factory, NodeRegistry__factory, TaskManager__factory } from "../../types/ethers-contracts/index.js";
import { datasetKey, kindKey } from "../../protocol/src/taskspec.js";
import { Role } from "../../protocol/src/phases.js";
import { LocalBlobStore } from "../../chain-connector/src/blobstore.js";
import { builtContributionCircuits, loadVerificationKey } from "../../chain-connector/src/vkeys.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CLI = join(dirname(createRequire(import.meta.url).resolve("hardhat/package.json")), "dist", "src", "cli.js");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function hardhatRun(script: string, env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, "run", "--no-compile", `scripts/${script}`, "--network", "localhost"], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("hardhat scripts against a dev chain", { timeout: 600_000 }, () => {
  let chain: DevChain;
  let dir: string;
  let base: Record<string, string>;
  let addressesFile: string;

  before(async () => {
    chain = await startDevChain();
    dir = mkdtempSync(join(tmpdir(), "cm-scripts-"));
    addressesFile = join(dir, "addresses.json");
    base = { CM_RPC_URL: chain.url, CM_ADDRESSES: addressesFile };
  });

  after(async () => {
    await chain?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("deploy.ts deploys the three contracts, binds each federated kind's contribution verifier when built, and writes the addresses", async () => {
    const r = await hardhatRun("deploy.ts", { ...base, CM_ADDRESSES_OUT: addressesFile });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const a = JSON.parse(readFileSync(addressesFile, "utf8")) as Record<string, string>;
    for (const k of ["nodeRegistry", "dataRegistry", "taskManager"]) assert.notEqual(await chain.provider.getCode(a[k]), "0x", `${k} has no code`);
    assert.equal(a.chainId, "31337");
    const tm = TaskManager__factory.connect(a.taskManager, chain.provider);
    assert.equal(await tm.nodes(), a.nodeRegistry);
    assert.equal(await tm.data(), a.dataRegistry);
    assert.equal(await tm.owner(), new Wallet(chain.accounts[0]).address);
    const built = builtContributionCircuits();
    for (const kind of ["stats", "kmeans", "linreg", "logreg"]) {
      const bound = await tm.verifiers(kindKey(kind));
      if (built[kind]) {
        assert.equal(bound.verifier, a[`${kind}Verifier`]);
        assert.notEqual(await chain.provider.getCode(bound.verifier), "0x");
        assert.equal(Number(bound.publicSignals), loadVerificationKey(built[kind]).nPublic);
      } else {
        assert.equal(bound.verifier, "0x0000000000000000000000000000000000000000");
      }
    }
  });

  test("deploy.ts with CM_VERIFIER=none binds no verifier", async () => {
    const out = join(dir, "bare.json");
    const r = await hardhatRun("deploy.ts", { ...base, CM_ADDRESSES_OUT: out, CM_VERIFIER: "none" });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const a = JSON.parse(readFileSync(out, "utf8")) as Record<string, string>;
    assert.equal(a.statsVerifier, undefined);
    const bound = await TaskManager__factory.connect(a.taskManager, chain.provider).verifiers(kindKey("stats"));
    assert.equal(bound.verifier, "0x0000000000000000000000000000000000000000");
  });

  test("register-node.ts registers the signer with its roles and X25519 key, then updates it", async () => {
    const keyFile = join(dir, "owner.x25519");
    const env = { ...base, CM_ACCOUNT: "1", CM_ROLES: "Owner,Worker", CM_ENDPOINT: "http://10.1.2.3:8080", CM_CAPACITY: "250", CM_X25519_KEY_FILE: keyFile };
    const r = await hardhatRun("register-node.ts", env);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const a = JSON.parse(readFileSync(addressesFile, "utf8")) as Record<string, string>;
    const nr = NodeRegistry__factory.connect(a.nodeRegistry, chain.provider);
    const me = new Wallet(chain.accounts[1]).address;
    const n = await nr.getNode(me);
    assert.equal(n.endpoint, "http://10.1.2.3:8080");
    assert.equal(Number(n.roles), Role.Owner | Role.Worker);
    assert.equal(Number(n.capacity), 250);
    const secret = Buffer.from(readFileSync(keyFile, "utf8").trim().slice(2), "hex");
    assert.equal(n.x25519.toLowerCase(), "0x" + Buffer.from(x25519.getPublicKey(secret)).toString("hex"));

    const again = await hardhatRun("register-node.ts", { ...env, CM_ENDPOINT: "http://10.1.2.4:8080" });
    assert.equal(again.code, 0, again.stderr + again.stdout);
    assert.match(again.stdout, /updated/);
    assert.equal((await nr.getNode(me)).endpoint, "http://10.1.2.4:8080");
    assert.equal((await nr.getNode(me)).x25519, n.x25519, "the key file is reused, so the key stays");
  });

  test("register-node.ts refuses an unknown role before sending anything", async () => {
    const r = await hardhatRun("register-node.ts", { ...base, CM_ACCOUNT: "2", CM_ROLES: "Owner,Miner", CM_X25519_KEY_FILE: join(dir, "x2") });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /CM_ROLES: "Miner" is not a role/);
    const a = JSON.parse(readFileSync(addressesFile, "utf8")) as Record<string, string>;
    assert.equal(await NodeRegistry__factory.connect(a.nodeRegistry, chain.provider).isRegistered(new Wallet(chain.accounts[2]).address), false);
  });

  test("register-dataset.ts, submit-task.ts and watch.ts: a dataset committed, a task created, its failed round followed", async () => {
    const a = JSON.parse(readFileSync(addressesFile, "utf8")) as Record<string, string>;
    const csv = join(dir, "survey.csv");
    writeFileSync(csv, "age,income\n30,1000\n40,2000\n50,1500\n");
    const ds = await hardhatRun("register-dataset.ts", { ...base, CM_ACCOUNT: "1", CM_DATASET_PATH: csv, CM_SALT_SEED_FILE: join(dir, "survey.seed") });
    assert.equal(ds.code, 0, ds.stderr + ds.stdout);
    const owner = new Wallet(chain.accounts[1]).address;
    const d = await DataRegistry__factory.connect(a.dataRegistry, chain.provider).getDataset(owner, datasetKey("survey"), 1);
    assert.equal(Number(d.rows), 3);
    assert.equal(Number(d.columns), 2);
    assert.equal(readFileSync(join(dir, "survey.seed")).length, 32);

    const req = await hardhatRun("register-node.ts", { ...base, CM_ACCOUNT: "3", CM_ROLES: "Requester", CM_X25519_KEY_FILE: join(dir, "x3") });
    assert.equal(req.code, 0, req.stderr + req.stdout);
    const spec = join(dir, "task.json");
    writeFileSync(
      spec,
      JSON.stringify({
        kind: "stats",
        datasets: [{ owner, datasetId: "survey" }],
        params: { columns: ["age"] },
        members: { min: 2, max: 2, threshold: 1 },
        deadlines: { join: 5, setup: 5, compute: 5, aggregate: 5 },
      }),
    );
    const taskOut = join(dir, "task-out.json");
    const blobs = join(dir, "blobs");
    const sub = await hardhatRun("submit-task.ts", { ...base, CM_ACCOUNT: "3", CM_TASK_SPEC: spec, CM_BLOBS: blobs, CM_TASK_OUT: taskOut });
    assert.equal(sub.code, 0, sub.stderr + sub.stdout);
    const { taskId, specHash } = JSON.parse(readFileSync(taskOut, "utf8")) as { taskId: number; specHash: string };
    const tm = TaskManager__factory.connect(a.taskManager, chain.signer(0));
    const t = await tm.getTask(taskId);
    assert.equal(t.requester, new Wallet(chain.accounts[3]).address);
    assert.equal(t.specHash.toLowerCase(), specHash);
    const stored = JSON.parse(new TextDecoder().decode(await new LocalBlobStore(blobs).get(specHash))) as { requester: string; kind: string };
    assert.equal(stored.kind, "stats", "the spec blob is in the blob directory, under its hash");
    assert.equal(stored.requester, t.requester, "a spec without requester gets the signer's address");

    // Nobody joins: past the Join deadline the round fails, and watch stops there with exit 1.
    await chain.increaseTime(10);
    await (await tm.advance(taskId, 1)).wait();
    const w = await hardhatRun("watch.ts", { ...base, CM_TASK_ID: String(taskId), CM_WATCH_TIMEOUT: "120", CM_POLL_MS: "100" });
    assert.equal(w.code, 1, w.stderr + w.stdout);
    const lines = w.stdout.split("\n");
    const order = ["TaskCreated", "RoundStarted", "RoundFailed"].map((k) => lines.findIndex((l) => l.includes(k)));
    assert.ok(
      order.every((i, j) => i >= 0 && (j === 0 || i > order[j - 1])),
      w.stdout,
    );
    assert.match(w.stdout, /too-few-joined/);

    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ kind: "stats", datasets: [], params: {} }));
    const refused = await hardhatRun("submit-task.ts", { ...base, CM_ACCOUNT: "3", CM_TASK_SPEC: bad, CM_BLOBS: blobs });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /datasets: datasets must reference at least one committed dataset/);
    assert.match(refused.stderr, /params\.columns/);
    assert.equal(Number(await tm.taskCount()), taskId, "no task was created");
  });
});
