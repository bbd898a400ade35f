/**
 * Commits a dataset file in DataRegistry for the signer (a registered node with the Owner role):
 * reads and checks the whole file the way a node does, computes the chunked Poseidon2 root over its
 * salted fixed-point rows (the default commitment, node/src/data/commit.ts), and appends it as a new
 * version.
 *
 *   CM_ACCOUNT=1 CM_DATASET_PATH=data/survey.csv \
 *     npx hardhat run scripts/register-dataset.ts --network localhost
 *   npm run register-dataset
 *
 * The chunk salts come from a secret seed written to CM_SALT_SEED_FILE before anything is sent:
 * proofs over the committed rows need it, and it must never leave the owner. A node that registers
 * the same file itself makes its own seed and commits another version; this script is for owners
 * who commit outside a node (or ahead of starting it).
 *
 * Environment:
 *   CM_RPC_URL          chain JSON-RPC URL for --network localhost (default http://127.0.0.1:8545)
 *   CM_ADDRESSES        the deploy script's output (default state/addresses.json)
 *   CM_CONNECTOR_URL    commit through this connector (signed HTTP) instead of DataRegistry directly
 *                       (the way to commit with a coordinator)
 *   CM_PRIVATE_KEY      the owner's key (0x hex); otherwise the network's account CM_ACCOUNT (default 1)
 *   CM_DATASET_PATH     the file (required)
 *   CM_DATASET_NAME     the dataset's name, which task specs reference (default: the file name without extension)
 *   CM_DATASET_FORMAT   csv, npy or jsonl (default: from the extension)
 *   CM_DATASET_COLUMNS  comma-separated columns to keep, in order (default: every numeric column; required for npy)
 *   CM_DATASET_ID_COLUMN a column of row identifiers, kept out of the numeric rows
 *   CM_SALT_SEED_FILE   where the 32-byte salt seed goes (default state/salts/<address>-<name>.seed);
 *                       an existing file is reused, so the same file gives the same root
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname, extname } from "node:path";
import { network } from "hardhat";
import { DataRegistry__factory, NodeRegistry__factory } from "../types/ethers-contracts/index.js";
import { datasetKey } from "../protocol/src/taskspec.js";
import { decodeLog } from "../chain-connector/src/ethereum/decode.js";
import { commitDatasetTable, connect, readDatasetFile, type DatasetCommits } from "../node/src/sdk/index.js";
import type { DatasetConfig } from "../node/src/config.js";
import { env, readAddresses, requireEnv, runScript, scriptSigner, ScriptError } from "./env.js";

const FORMATS = ["csv", "npy", "jsonl"] as const;

function readOrCreateSeed(file: string): Uint8Array {
  if (existsSync(file)) {
    const b = readFileSync(file);
    if (b.length !== 32) throw new ScriptError(`CM_SALT_SEED_FILE ${file} holds ${b.length} bytes, not a 32-byte seed: move it away or name another file`);
    return new Uint8Array(b);
  }
  const seed = randomBytes(32);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(`${file}.tmp`, seed, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
  return new Uint8Array(seed);
}

await runScript(async () => {
  const path = requireEnv("CM_DATASET_PATH", "the dataset file to commit (csv, npy or jsonl)");
  const ext = extname(path).slice(1).toLowerCase();
  const format = env("CM_DATASET_FORMAT", ext)! as DatasetConfig["format"];
  if (!FORMATS.includes(format)) throw new ScriptError(`CM_DATASET_FORMAT must be one of ${FORMATS.join(", ")} (the extension "${ext}" does not say)`);
  const name = env("CM_DATASET_NAME", basename(path, extname(path)))!;
  const columns = env("CM_DATASET_COLUMNS")
    ?.split(",")
    .map((c) => c.trim())
    .filter(Boolean);
  const idColumn = env("CM_DATASET_ID_COLUMN");
  if (format === "npy" && !columns) throw new ScriptError("CM_DATASET_COLUMNS is required for npy files: they carry no column names");

  // The whole file is checked before any key is touched or any transaction sent.
  const { table, fileHash } = await readDatasetFile({ name, path, format, columns, idColumn });

  const { ethers } = await network.create();
  const signer = await scriptSigner(ethers, 1);
  const me = await signer.getAddress();
  const connectorUrl = env("CM_CONNECTOR_URL");
  const client = connectorUrl ? (await connect({ connectorUrl, signer })).connector : undefined;
  const addresses = client ? undefined : readAddresses();
  const roles = client ? ((await client.getNode(me))?.roles ?? 0) : Number(await NodeRegistry__factory.connect(addresses!.nodeRegistry, signer).rolesOf(me));
  if (roles === 0) throw new ScriptError(`${me} is not a registered node: run scripts/register-node.ts with CM_ROLES=Owner first`);
  if ((roles & 1) === 0) throw new ScriptError(`${me} lacks the Owner role: re-run scripts/register-node.ts with CM_ROLES including Owner`);

  const seedFile = env("CM_SALT_SEED_FILE", `state/salts/${me}-${name}.seed`)!;
  const seed = readOrCreateSeed(seedFile);
  // Straight to DataRegistry: the same operation through a thin adapter over the binding.
  const target: DatasetCommits = client ?? {
    commitDataset: async (n, x) => {
      const data = DataRegistry__factory.connect(addresses!.dataRegistry, signer);
      const receipt = await (await data.commit(datasetKey(n), x.root, x.rows, x.columns, x.schemaHash)).wait();
      const ev = receipt!.logs.map((l) => decodeLog(l)).find((e) => e?.type === "DatasetCommitted");
      return { version: ev?.type === "DatasetCommitted" ? ev.version : Number(await data.latestVersion(me, datasetKey(n))), txHash: receipt!.hash };
    },
  };
  const { version, txHash, commitment: c } = await commitDatasetTable(target, name, table, seed);
  await client?.close();
  console.log(`dataset "${name}" v${version} committed by ${me} (tx ${txHash})`);
  console.log(`  file     ${path} (${format}, keccak256 ${fileHash})`);
  console.log(`  rows     ${c.rows} × ${c.columns} columns: ${table.columns.join(", ")}`);
  console.log(`  root     ${c.root}`);
  console.log(`  schema   ${c.schemaHash}`);
  console.log(`  salt seed in ${seedFile} (keep it secret; proofs over these rows need it)`);
});
