#!/usr/bin/env -S npx tsx
import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import { startConnector, type ConnectorConfig } from "./http/serve.js";
import { provenKinds } from "../../protocol/src/tasks/registry.js";

/**
 * Starts a connector server:
 *   tsx chain-connector/src/main.ts --mode coordinator --db state/coord.sqlite --blobs state/blobs
 *   tsx chain-connector/src/main.ts --mode ethereum --rpc http://127.0.0.1:8545 \
 *       --addresses deployments/localhost.json --keys keys.txt --blobs state/blobs
 * Every option may come from the environment (CM_MODE, CM_HOST, CM_PORT, CM_DB, CM_BLOBS, CM_RPC,
 * CM_ADDRESSES, CM_KEYS, CM_VERIFIERS, CM_CIRCUITS, CM_LIVENESS, CM_AUTH_DB, CM_BLOB_QUOTA,
 * CM_BLOB_QUOTA_WINDOW); flags win. Prints the URL on stdout.
 */

function readKeys(file: string): string[] {
  const text = readFileSync(file, "utf8").trim();
  if (text.startsWith("[")) {
    const keys = JSON.parse(text) as unknown;
    if (!Array.isArray(keys) || !keys.every((k) => typeof k === "string")) throw new Error(`--keys ${file}: a JSON keys file must be an array of hex strings`);
    return keys;
  }
  return text
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*/, "").trim())
    .filter((l) => l.length > 0);
}

function readJson(file: string, flag: string): Record<string, string> {
  try {
    const v = JSON.parse(readFileSync(file, "utf8")) as unknown;
    if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error("must hold a JSON object");
    return v as Record<string, string>;
  } catch (e) {
    throw new Error(`${flag} ${file}: ${(e as Error).message}`, { cause: e });
  }
}

/** Parses flags (and CM_* environment variables) into a ConnectorConfig. */
export function parseArgs(argv: string[]): ConnectorConfig {
  const program = new Command()
    .name("ciphermine-connector")
    .description("Serve a ciphermine chain connector (coordinator or ethereum mode) over signed HTTP")
    .addOption(new Option("--mode <mode>", "coordinator (no chain, SQLite) or ethereum").choices(["coordinator", "ethereum"]).env("CM_MODE").default("coordinator"))
    .addOption(new Option("--host <host>", "interface to bind").env("CM_HOST").default("127.0.0.1"))
    .addOption(new Option("--port <port>", "port (0 picks a free one)").env("CM_PORT").default("8700"))
    .addOption(new Option("--db <file>", "SQLite file: coordinator state, or the ethereum event log").env("CM_DB").default("state/connector.sqlite"))
    .addOption(
      new Option("--blobs <dir or s3 url>", "blob directory, or s3://bucket/prefix?endpoint=<url> (credentials in CM_S3_ACCESS_KEY_ID / CM_S3_SECRET_ACCESS_KEY)")
        .env("CM_BLOBS")
        .default("state/blobs"),
    )
    .addOption(
      new Option(
        "--verifiers <json>",
        `JSON file mapping task kind to circuit name (off-chain proof checks); default: the built contribution circuits of ${provenKinds()
          .map((k) => k.kind)
          .join(", ")}; {} for none`,
      ).env("CM_VERIFIERS"),
    )
    .addOption(new Option("--circuits <dir>", "directory of <circuit>/vkey.json (default circuits/build)").env("CM_CIRCUITS"))
    .addOption(new Option("--rpc <url>", "ethereum: JSON-RPC URL").env("CM_RPC").default("http://127.0.0.1:8545"))
    .addOption(new Option("--addresses <json>", "ethereum: deployed contract addresses (JSON file)").env("CM_ADDRESSES"))
    .addOption(new Option("--keys <file>", "ethereum: private keys this connector acts for (one per line, or a JSON array)").env("CM_KEYS"))
    .addOption(new Option("--from-block <n>", "ethereum: deployment block, where a fresh event log starts reading").env("CM_FROM_BLOCK"))
    .addOption(new Option("--keeper-key <file>", "ethereum: file holding the key that pays for deadline advances (default: first of --keys)").env("CM_KEEPER_KEY"))
    .addOption(new Option("--no-keeper", "ethereum: do not advance expired deadlines from this connector"))
    .addOption(new Option("--liveness <seconds>", "heartbeat window for node liveness").env("CM_LIVENESS").default("120"))
    .addOption(new Option("--auth-db <file>", "SQLite file for request nonces, blob uploads and quota (default: beside --db, <db>.auth.sqlite)").env("CM_AUTH_DB"))
    .addOption(new Option("--blob-quota <bytes>", "bytes of new blobs one party may store per window").env("CM_BLOB_QUOTA").default(String(2 * 1024 ** 3)))
    .addOption(new Option("--blob-quota-window <seconds>", "the blob quota's window").env("CM_BLOB_QUOTA_WINDOW").default("3600"))
    .exitOverride();
  program.parse(argv, { from: "user" });
  const o = program.opts<Record<string, string | boolean | undefined>>();
  const port = Number(o.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, got ${o.port}`);
  const liveness = Number(o.liveness);
  if (!Number.isInteger(liveness) || liveness < 1) throw new Error(`--liveness must be a positive number of seconds, got ${o.liveness}`);
  const mode = o.mode as ConnectorConfig["mode"];
  const quota = Number(o.blobQuota);
  if (!Number.isSafeInteger(quota) || quota < 0) throw new Error(`--blob-quota must be a number of bytes, got ${o.blobQuota}`);
  const window = Number(o.blobQuotaWindow);
  if (!Number.isInteger(window) || window < 1) throw new Error(`--blob-quota-window must be a positive number of seconds, got ${o.blobQuotaWindow}`);
  const cfg: ConnectorConfig = {
    mode,
    host: o.host as string,
    port,
    blobs: o.blobs as string,
    db: o.db as string,
    livenessSeconds: liveness,
    blobQuotaBytes: quota,
    blobQuotaWindowSeconds: window,
  };
  if (o.authDb) cfg.authDb = o.authDb as string;
  if (o.verifiers) cfg.verifiers = readJson(o.verifiers as string, "--verifiers");
  if (o.circuits) cfg.circuitsDir = o.circuits as string;
  if (mode === "ethereum") {
    cfg.rpc = o.rpc as string;
    if (!o.addresses) throw new Error("--addresses <json file> is required in ethereum mode (the deploy script writes it)");
    if (!o.keys) throw new Error("--keys <file> is required in ethereum mode: the connector signs transactions for those parties only");
    cfg.addresses = readJson(o.addresses as string, "--addresses") as unknown as ConnectorConfig["addresses"];
    cfg.keys = readKeys(o.keys as string);
    cfg.keeper = o.keeper !== false;
    if (o.keeperKey) {
      const [k] = readKeys(o.keeperKey as string);
      if (!k) throw new Error(`--keeper-key ${o.keeperKey}: the file holds no key`);
      cfg.keeperKey = k;
    }
    if (o.fromBlock !== undefined) {
      const n = Number(o.fromBlock);
      if (!Number.isInteger(n) || n < 0) throw new Error(`--from-block must be a block number, got ${o.fromBlock}`);
      cfg.fromBlock = n;
    }
  }
  return cfg;
}

async function main(): Promise<void> {
  let cfg: ConnectorConfig;
  try {
    cfg = parseArgs(process.argv.slice(2));
  } catch (e) {
    const err = e as { code?: string; exitCode?: number; message: string };
    if (err.code === "commander.helpDisplayed" || err.code === "commander.version") process.exit(0);
    if (!err.code?.startsWith("commander.")) console.error(`error: ${err.message}`);
    process.exit(2);
  }
  const running = await startConnector(cfg);
  console.log(running.url);
  console.error(`ciphermine connector (${running.mode}) listening on ${running.url}`);
  const stop = async () => {
    await running.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
}

if (import.meta.url === new URL(`file://${process.argv[1]}`).href || process.argv[1]?.endsWith("chain-connector/src/main.ts")) {
  main().catch((e: unknown) => {
    console.error(`error: ${(e as Error).message}`);
    process.exit(1);
  });
}
