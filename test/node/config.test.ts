import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Wallet, encryptKeystoreJson } from "ethers";
import { ConfigError, FIELDS, loadConfig, parseConfig, renderConfigTable } from "../../node/src/config.js";
import { loadOrCreateX25519, loadWallet } from "../../node/src/keys.js";

const KEY = "0x" + "11".repeat(32);

describe("node config", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cm-config-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("defaults and resolved paths", () => {
    const c = parseConfig({ name: "n1", dataDir: "data", privateKey: KEY, datasets: [{ name: "d", path: "x.csv", format: "csv" }] }, "/base");
    assert.equal(c.http.host, "127.0.0.1");
    assert.equal(c.http.port, 8800);
    assert.deepEqual(c.roles, ["Owner"]);
    assert.equal(c.dataDir, "/base/data");
    assert.equal(c.x25519KeyFile, "/base/data/x25519.key");
    assert.equal(c.datasets[0].path, "/base/x.csv");
    assert.deepEqual(c.policy, { allowedKinds: ["*"], allowedRequesters: ["*"], dpEpsilonBudget: 1, dpDelta: 1e-6, maxTaskCost: 2e9 });
    assert.equal(c.logLevel, "info");
  });

  test("file plus environment, the environment winning; relative paths from the file's directory", async () => {
    const file = join(dir, "node.json");
    await writeFile(file, JSON.stringify({ name: "from-file", dataDir: "d", privateKey: KEY, http: { port: 9000 }, roles: ["Owner"] }));
    const c = loadConfig({
      file,
      env: {
        CM_NODE_NAME: "from-env",
        CM_NODE_HTTP_PORT: "9100",
        CM_NODE_ROLES: "Owner, Requester",
        CM_NODE_POLICY_ALLOWED_KINDS: "stats",
        CM_NODE_POLICY_DP_EPSILON_BUDGET: "2.5",
        CM_NODE_POLICY_MAX_TASK_COST: "1e6",
        CM_NODE_DATASETS: JSON.stringify([{ name: "iris", path: "iris.csv", format: "csv" }]),
        CM_NODE_CONNECTOR_URL: "http://127.0.0.1:8700",
      },
    });
    assert.equal(c.name, "from-env");
    assert.equal(c.http.port, 9100);
    assert.equal(c.http.host, "127.0.0.1");
    assert.deepEqual(c.roles, ["Owner", "Requester"]);
    assert.deepEqual(c.policy.allowedKinds, ["stats"]);
    assert.equal(c.policy.dpEpsilonBudget, 2.5);
    assert.equal(c.policy.maxTaskCost, 1e6);
    assert.equal(c.dataDir, join(dir, "d"));
    assert.equal(c.datasets[0].path, join(dir, "iris.csv"));
    assert.equal(c.connectorUrl, "http://127.0.0.1:8700");
  });

  test("every problem is listed with its field, env var and fix", () => {
    let err: ConfigError | undefined;
    try {
      parseConfig({ dataDir: "d", http: { port: 70000 }, roles: ["Boss"], logLevel: "loud", admins: ["0x12"] });
    } catch (e) {
      err = e as ConfigError;
    }
    assert.ok(err instanceof ConfigError);
    const m = err.message;
    assert.match(m, /name \(env CM_NODE_NAME\): is required/);
    assert.match(m, /http\.port \(env CM_NODE_HTTP_PORT\): must be a port from 0 to 65535/);
    assert.match(m, /roles\.0 \(env CM_NODE_ROLES\): must be Owner, Worker or Requester/);
    assert.match(m, /logLevel \(env CM_NODE_LOG_LEVEL\): must be one of/);
    assert.match(m, /admins\.0 \(env CM_NODE_ADMINS\): must be a 0x-prefixed 20-byte Ethereum address/);
    assert.match(m, /privateKey \(env CM_NODE_PRIVATE_KEY\): is required: set privateKey \(or keystore\)/);
  });

  test("dataset entries: format, npy columns, duplicate names", () => {
    assert.throws(
      () => parseConfig({ name: "n", dataDir: "d", privateKey: KEY, datasets: [{ name: "a", path: "a.xls", format: "xls" }] }),
      /datasets\.0\.format \(env CM_NODE_DATASETS\): must be csv, npy or jsonl/,
    );
    assert.throws(
      () => parseConfig({ name: "n", dataDir: "d", privateKey: KEY, datasets: [{ name: "a", path: "a.npy", format: "npy" }] }),
      /datasets\.0\.columns .*is required for npy files/,
    );
    assert.throws(
      () =>
        parseConfig({
          name: "n",
          dataDir: "d",
          privateKey: KEY,
          datasets: [
            { name: "a", path: "a.csv", format: "csv" },
            { name: "a", path: "b.csv", format: "csv" },
          ],
        }),
      /datasets\.1\.name .*"a" is listed twice/,
    );
  });

  test("bad environment values and files name the variable or file", async () => {
    assert.throws(() => loadConfig({ env: { CM_NODE_HTTP_PORT: "eighty" } }), /http\.port \(env CM_NODE_HTTP_PORT\): "eighty" is not an integer/);
    assert.throws(() => loadConfig({ env: { CM_NODE_DATASETS: "[{" } }), /datasets \(env CM_NODE_DATASETS\): not valid JSON/);
    assert.throws(() => loadConfig({ file: join(dir, "missing.json"), env: {} }), /missing\.json cannot be read \(ENOENT\): check --config/);
    const bad = join(dir, "bad.json");
    await writeFile(bad, "{ nope");
    assert.throws(() => loadConfig({ file: bad, env: {} }), /bad\.json is not valid JSON/);
    assert.throws(() => parseConfig({ name: "n", dataDir: "d", privateKey: KEY, keystore: "k.json" }), /keystore .*conflicts with privateKey/);
  });

  test("the README table lists every field with its env var", () => {
    const t = renderConfigTable();
    assert.match(t, /^\| field \| env var \| default \| meaning \|/);
    for (const f of FIELDS) assert.ok(t.includes(`| \`${f.key}\` | \`${f.env}\` |`), f.key);
    assert.match(t, /`http\.host` \| `CM_NODE_HTTP_HOST` \| `127\.0\.0\.1`/);
  });

  test("x25519 key: made once with mode 0600, then reused", async () => {
    const file = join(dir, "keys", "x25519.key");
    const a = loadOrCreateX25519(file);
    const b = loadOrCreateX25519(file);
    assert.equal(a.publicHex, b.publicHex);
    assert.match(a.publicHex, /^0x[0-9a-f]{64}$/);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    await writeFile(file, "garbage");
    assert.throws(() => loadOrCreateX25519(file), /does not hold a 32-byte hex key/);
    assert.ok((await readFile(file, "utf8")) === "garbage");
  });

  test("wallet from a private key or an encrypted keystore", async () => {
    const w = await loadWallet({ privateKey: KEY });
    assert.equal(w.address, new Wallet(KEY).address);
    const ks = join(dir, "ks.json");
    const acct = new Wallet(KEY);
    await writeFile(ks, await encryptKeystoreJson({ address: acct.address, privateKey: KEY }, "pw", { scrypt: { N: 1024 } }));
    assert.equal((await loadWallet({ keystore: ks }, { CM_NODE_KEYSTORE_PASSWORD: "pw" })).address, w.address);
    await assert.rejects(loadWallet({ keystore: ks }, {}), /set CM_NODE_KEYSTORE_PASSWORD/);
    await assert.rejects(loadWallet({ keystore: ks }, { CM_NODE_KEYSTORE_PASSWORD: "wrong" }), /cannot be decrypted/);
  });
});
