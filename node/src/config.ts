import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { z } from "zod";
import { getAddress, isAddress } from "ethers";
import { datasetPolicySchema } from "./runtime/dataset-policy.js";
import { LOG_LEVELS } from "./log.js";

/**
 * Node configuration: a JSON file and CM_NODE_* environment variables, the environment winning.
 * One table (FIELDS) drives the environment mapping and the README documentation, so the two
 * cannot drift apart.
 */

type EnvKind = "string" | "int" | "number" | "list" | "json";

export interface FieldDoc {
  /** Dotted path in the config file. */
  key: string;
  env: string;
  kind: EnvKind;
  /** Shown in the documentation; "" when the field is required or has no default. */
  default: string;
  meaning: string;
}

export const FIELDS: readonly FieldDoc[] = [
  { key: "name", env: "CM_NODE_NAME", kind: "string", default: "", meaning: "Node id shown in logs and /health (letters, digits, `.`, `_`, `-`). Required." },
  { key: "dataDir", env: "CM_NODE_DATA_DIR", kind: "string", default: "", meaning: "Directory for the node's SQLite state, blobs, salts and keys (created if missing). Required." },
  { key: "http.host", env: "CM_NODE_HTTP_HOST", kind: "string", default: "127.0.0.1", meaning: "Interface the HTTP API binds to." },
  { key: "http.port", env: "CM_NODE_HTTP_PORT", kind: "int", default: "8800", meaning: "HTTP API port; 0 picks a free one." },
  { key: "http.publicUrl", env: "CM_NODE_HTTP_PUBLIC_URL", kind: "string", default: "the bound address", meaning: "URL registered on-chain as the node's endpoint." },
  { key: "connectorUrl", env: "CM_NODE_CONNECTOR_URL", kind: "string", default: "", meaning: "Base URL of the chain connector (coordinator or ethereum mode). Required." },
  {
    key: "chainRpcUrl",
    env: "CM_NODE_CHAIN_RPC_URL",
    kind: "string",
    default: "",
    meaning:
      "JSON-RPC URL of the chain (ethereum mode), read only by the dashboard's explorer (blocks, transactions, reverts decoded with the project's ABIs); without it the explorer shows the connector's events only.",
  },
  {
    key: "privateKey",
    env: "CM_NODE_PRIVATE_KEY",
    kind: "string",
    default: "",
    meaning: "The operator's Ethereum key (0x + 64 hex); it signs every request. Set this or `keystore`.",
  },
  {
    key: "keystore",
    env: "CM_NODE_KEYSTORE",
    kind: "string",
    default: "",
    meaning: "Path of an encrypted JSON keystore (password in CM_NODE_KEYSTORE_PASSWORD). Set this or `privateKey`.",
  },
  { key: "roles", env: "CM_NODE_ROLES", kind: "list", default: "Owner", meaning: "Roles the node registers with: Owner, Worker, Requester (comma-separated in the env var)." },
  { key: "capacity", env: "CM_NODE_CAPACITY", kind: "int", default: "1000", meaning: "Rows per second the node offers; managers balance work on it." },
  {
    key: "x25519KeyFile",
    env: "CM_NODE_X25519_KEY_FILE",
    kind: "string",
    default: "<dataDir>/x25519.key",
    meaning:
      "X25519 secret key file (sealed by the node's data key, mode 0600), generated on first start; its public key is registered on-chain, and members seal what only the requester may read (plain contributions, outsourced outputs, models) to it. Secure aggregation never uses it: it makes a fresh key pair per round.",
  },
  {
    key: "vaultKeyFile",
    env: "CM_NODE_VAULT_KEY_FILE",
    kind: "string",
    default: "<dataDir>/vault.key",
    meaning:
      "Data key (32 random bytes, mode 0600, made on first start) that seals the node's secrets at rest when no `keystore` is set; with a keystore the key is derived from its password instead.",
  },
  {
    key: "maxDatasetBytes",
    env: "CM_NODE_MAX_DATASET_BYTES",
    kind: "int",
    default: "1073741824",
    meaning: "Largest dataset file the node reads (bytes); larger files, and anything but a regular file, are refused.",
  },
  {
    key: "datasets",
    env: "CM_NODE_DATASETS",
    kind: "json",
    default: "[]",
    meaning:
      "Datasets registered at start: `[{name, path, format: csv|npy|jsonl, columns?, idColumn?, policy?}]` (JSON in the env var); a `policy` given here is set at every start, replacing one set through the API since.",
  },
  {
    key: "policy.allowedKinds",
    env: "CM_NODE_POLICY_ALLOWED_KINDS",
    kind: "list",
    default: "*",
    meaning: "Task kinds this node joins; `*` means every kind it has a handler for.",
  },
  {
    key: "policy.allowedRequesters",
    env: "CM_NODE_POLICY_ALLOWED_REQUESTERS",
    kind: "list",
    default: "*",
    meaning: "Requester addresses whose tasks this node joins; `*` means anyone.",
  },
  {
    key: "policy.dpEpsilonBudget",
    env: "CM_NODE_POLICY_DP_EPSILON_BUDGET",
    kind: "number",
    default: "1",
    meaning:
      "Differential-privacy budget of each dataset over all tasks with `params.privacy`, as ε at δ = `policy.dpDelta`; the node accounts in zCDP ρ (the largest ρ whose (ε, δ) equivalent fits).",
  },
  { key: "policy.dpDelta", env: "CM_NODE_POLICY_DP_DELTA", kind: "number", default: "1e-6", meaning: "The δ of the dataset budget and of the (ε, δ) figures the node reports." },
  {
    key: "policy.dpRhoBudget",
    env: "CM_NODE_POLICY_DP_RHO_BUDGET",
    kind: "number",
    default: "",
    meaning: "The budget directly as zCDP ρ per dataset; overrides `policy.dpEpsilonBudget` when set.",
  },
  {
    key: "policy.maxTaskCost",
    env: "CM_NODE_POLICY_MAX_TASK_COST",
    kind: "number",
    default: "2e9",
    meaning:
      "Largest estimated cost of a task this node joins, in row-operations (rows × columns × k × rounds for kmeans, rows × features² × rounds for regressions; formulas in node/src/runtime/policy.ts); a task above it is declined with the estimate.",
  },
  { key: "admins", env: "CM_NODE_ADMINS", kind: "list", default: "[]", meaning: "Addresses besides the operator's own key allowed to call the mutating API routes." },
  {
    key: "workerThreads",
    env: "CM_NODE_WORKER_THREADS",
    kind: "int",
    default: "cores − 1, at least 1",
    meaning:
      "Threads for CPU-heavy steps (proofs, dataset commitments, Paillier) so they never stall the event loop; shared by the nodes of one process; 0 runs them on the main thread.",
  },
  { key: "heartbeatSeconds", env: "CM_NODE_HEARTBEAT_SECONDS", kind: "int", default: "30", meaning: "Interval of liveness pings to the connector; 0 turns them off." },
  { key: "logLevel", env: "CM_NODE_LOG_LEVEL", kind: "string", default: "info", meaning: `Log level: ${LOG_LEVELS.join(", ")}.` },
];

const address = z
  .string()
  .refine((s) => isAddress(s), { error: "must be a 0x-prefixed 20-byte Ethereum address" })
  .transform((s) => getAddress(s));

const star = <T extends z.ZodType>(item: T) => z.union([z.tuple([z.literal("*")]), z.array(item)]);

export const DATASET_NAME = /^[A-Za-z0-9._-]{1,64}$/;

export const datasetConfigSchema = z.object({
  name: z.string().regex(DATASET_NAME, "must be 1-64 letters, digits, `.`, `_` or `-`"),
  path: z.string().min(1, "must be the path of the data file"),
  format: z.enum(["csv", "npy", "jsonl"], { error: "must be csv, npy or jsonl" }),
  /** Column names: required for NPY (which has none); for CSV/JSONL a subset to keep. */
  columns: z.array(z.string().min(1)).min(1).optional(),
  /** A column holding record ids: kept aside, never part of the numeric rows. */
  idColumn: z.string().min(1).optional(),
  /** The dataset's policy (runtime/dataset-policy.ts); given here, it is set at every start. */
  policy: datasetPolicySchema.optional(),
  /**
   * How its versions are committed (data/commit.ts): "chunks" (default) for every proven task but
   * "onchain" ones, "rows" for "onchain" tasks (Groth16) until on-chain checks move to ChunkAudit.
   */
  commitment: z.enum(["rows", "chunks"], { error: 'must be "rows" or "chunks"' }).optional(),
});
export type DatasetConfig = z.infer<typeof datasetConfigSchema>;

export const nodeConfigSchema = z
  .object({
    name: z.string({ error: "is required" }).regex(/^[A-Za-z0-9._-]{1,64}$/, "must be 1-64 letters, digits, `.`, `_` or `-`"),
    dataDir: z.string({ error: "is required" }).min(1, "must name a directory"),
    http: z
      .object({
        host: z.string().min(1).default("127.0.0.1"),
        port: z.number({ error: "must be a number" }).int().min(0).max(65535, "must be a port from 0 to 65535").default(8800),
        publicUrl: z.url({ error: "must be a URL such as http://10.0.0.5:8800" }).optional(),
      })
      .default({ host: "127.0.0.1", port: 8800 }),
    connectorUrl: z.url({ error: "must be the connector's URL, e.g. http://127.0.0.1:8700" }).optional(),
    chainRpcUrl: z.url({ error: "must be the chain's JSON-RPC URL, e.g. http://127.0.0.1:8545" }).optional(),
    privateKey: z
      .string()
      .regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x followed by 64 hex digits")
      .optional(),
    keystore: z.string().min(1).optional(),
    roles: z
      .array(z.enum(["Owner", "Worker", "Requester"], { error: "must be Owner, Worker or Requester" }))
      .min(1, "must name at least one role")
      .default(["Owner"]),
    capacity: z.number().int().min(0).default(1000),
    x25519KeyFile: z.string().min(1).optional(),
    vaultKeyFile: z.string().min(1).optional(),
    maxDatasetBytes: z
      .number()
      .int()
      .min(1, "must be a positive number of bytes")
      .default(1 << 30),
    datasets: z.array(datasetConfigSchema).default([]),
    policy: z
      .object({
        allowedKinds: star(z.string().min(1)).default(["*"]),
        allowedRequesters: star(address).default(["*"]),
        dpEpsilonBudget: z.number().min(0, "must be >= 0").default(1),
        dpDelta: z.number().gt(0, "must lie in (0, 1)").lt(1, "must lie in (0, 1)").default(1e-6),
        dpRhoBudget: z.number().min(0, "must be >= 0").optional(),
        maxTaskCost: z.number({ error: "must be a number of row-operations such as 2e9" }).positive("must be > 0").default(2e9),
      })
      .default({ allowedKinds: ["*"], allowedRequesters: ["*"], dpEpsilonBudget: 1, dpDelta: 1e-6, maxTaskCost: 2e9 }),
    admins: z.array(address).default([]),
    workerThreads: z.number({ error: "must be a number of threads" }).int("must be a whole number").min(0, "must be >= 0").optional(),
    heartbeatSeconds: z.number().int().min(0).default(30),
    logLevel: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(", ")}` }).default("info"),
  })
  .superRefine((c, ctx) => {
    const names = new Set<string>();
    c.datasets.forEach((d, i) => {
      if (names.has(d.name)) ctx.addIssue({ code: "custom", path: ["datasets", i, "name"], message: `"${d.name}" is listed twice: give each dataset its own name` });
      names.add(d.name);
      if (d.format === "npy" && !d.columns) ctx.addIssue({ code: "custom", path: ["datasets", i, "columns"], message: "is required for npy files (they carry no column names)" });
    });
  });

export type NodeConfigInput = z.input<typeof nodeConfigSchema>;
/** A parsed config: paths are absolute, x25519KeyFile and vaultKeyFile are filled in. */
export type NodeConfig = z.output<typeof nodeConfigSchema> & { x25519KeyFile: string; vaultKeyFile: string };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid node config:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

const byKey = new Map(FIELDS.map((f) => [f.key, f]));

function describe(path: readonly PropertyKey[]): string {
  const key = path.map(String).join(".");
  // Nested paths (datasets.0.name) share the env var of their top-level field.
  const f = byKey.get(key) ?? byKey.get(path.slice(0, 2).map(String).join(".")) ?? byKey.get(String(path[0]));
  return f ? `${key || "(config)"} (env ${f.env})` : key || "(config)";
}

/**
 * Validates a config object. Relative paths are taken from `baseDir` (the config file's
 * directory, or the working directory).
 */
export function parseConfig(input: unknown, baseDir = process.cwd()): NodeConfig {
  const r = nodeConfigSchema.safeParse(input);
  const problems = r.success ? [] : r.error.issues.map((i) => `${describe(i.path)}: ${i.message}`);
  // Checked on the raw input so they are reported even when other fields are wrong.
  const o = (input ?? {}) as Record<string, unknown>;
  if (!o.privateKey && !o.keystore) problems.push(`${describe(["privateKey"])}: is required: set privateKey (or keystore) so the node can sign`);
  if (o.privateKey && o.keystore) problems.push(`${describe(["keystore"])}: conflicts with privateKey: set only one of them`);
  if (!r.success || problems.length > 0) throw new ConfigError(problems);
  const c = r.data;
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const dataDir = abs(c.dataDir);
  return {
    ...c,
    dataDir,
    keystore: c.keystore ? abs(c.keystore) : undefined,
    x25519KeyFile: c.x25519KeyFile ? abs(c.x25519KeyFile) : join(dataDir, "x25519.key"),
    vaultKeyFile: c.vaultKeyFile ? abs(c.vaultKeyFile) : join(dataDir, "vault.key"),
    datasets: c.datasets.map((d) => ({ ...d, path: abs(d.path) })),
  };
}

function parseEnvValue(f: FieldDoc, raw: string): unknown {
  switch (f.kind) {
    case "string":
      return raw;
    case "int":
    case "number": {
      const n = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(n) || (f.kind === "int" && !Number.isInteger(n)))
        throw new ConfigError([`${f.key} (env ${f.env}): "${raw}" is not ${f.kind === "int" ? "an integer" : "a number"}`]);
      return n;
    }
    case "list":
      return raw
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
    case "json":
      try {
        return JSON.parse(raw);
      } catch (e) {
        throw new ConfigError([`${f.key} (env ${f.env}): not valid JSON (${(e as Error).message}); write it as a JSON array`]);
      }
  }
}

function setPath(obj: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split(".");
  let o = obj;
  for (const p of parts.slice(0, -1)) {
    const next = o[p];
    if (next === null || typeof next !== "object" || Array.isArray(next)) o[p] = {};
    o = o[p] as Record<string, unknown>;
  }
  o[parts[parts.length - 1]] = value;
}

/**
 * Reads the config file (when given), lays the CM_NODE_* variables over it and validates the
 * result. Every problem is reported at once, each naming its field, env var and fix.
 */
export function loadConfig(opts: { file?: string; env?: NodeJS.ProcessEnv } = {}): NodeConfig {
  const env = opts.env ?? process.env;
  let raw: Record<string, unknown> = {};
  let baseDir = process.cwd();
  if (opts.file) {
    const file = resolve(opts.file);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw new ConfigError([`config file ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): check --config`]);
    }
    try {
      raw = JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      throw new ConfigError([`config file ${file} is not valid JSON: ${(e as Error).message}`]);
    }
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new ConfigError([`config file ${file} must hold a JSON object`]);
    baseDir = dirname(file);
  }
  for (const f of FIELDS) {
    const v = env[f.env];
    if (v !== undefined && v !== "") setPath(raw, f.key, parseEnvValue(f, v));
  }
  return parseConfig(raw, baseDir);
}

/** The README table of every setting. */
export function renderConfigTable(): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  const lines = ["| field | env var | default | meaning |", "|---|---|---|---|"];
  for (const f of FIELDS) lines.push(`| \`${f.key}\` | \`${f.env}\` | ${f.default ? `\`${esc(f.default)}\`` : "—"} | ${esc(f.meaning)} |`);
  lines.push("", "`CM_NODE_KEYSTORE_PASSWORD` holds the keystore's password; it is read only from the environment.");
  return lines.join("\n");
}
