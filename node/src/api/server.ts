import express, { type NextFunction, type Request, type Response } from "express";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { isAbsolute, resolve } from "node:path";
import { getAddress } from "ethers";
import { z, ZodError } from "zod";
import { checkIdempotencyKey, ConnectorError, type Connector } from "../../../chain-connector/src/connector.js";
import { statusFor } from "../../../chain-connector/src/http/routes.js";
import { Role, maskToRoles } from "../../../protocol/src/phases.js";
import { AuthError, verifyRequest, type NonceCheck } from "../../../protocol/src/signing.js";
import { JsonDepthError, parseJsonBounded } from "../../../protocol/src/json.js";
import { parseTaskSpec, SpecError, specHash, type TaskSpec } from "../../../protocol/src/taskspec.js";
import { hashJson } from "../../../protocol/src/canonical.js";
import { keepPrepared, prepareTask } from "../runtime/prepare.js";
import type { BlobAccess, HandlerRegistry } from "../runtime/handler.js";
import { ConfigError, datasetConfigSchema } from "../config.js";
import { DataError } from "../data/csv.js";
import type { DatasetRegistry } from "../data/registry.js";
import type { Logger } from "../log.js";
import type { NodeStore } from "../store/store.js";
import { sqliteNonceMemory } from "../../../protocol/src/nonces.js";
import { auditView, chainTaskView, datasetPolicyView, datasetView, inboxView, resultView, roundView, taskView, type NodeApiErrorCode } from "./views.js";
import { datasetPolicySchema } from "../runtime/dataset-policy.js";
import { ApprovalError, type Runtime } from "../runtime/runtime.js";
import { verifyAudit } from "../audit/verify.js";
import { mountDashboard } from "./dashboard.js";
import { privacyBudget, type BudgetPolicy } from "../runtime/policy.js";

export interface ApiOptions {
  name: string;
  /** The operator's address (the node's key). */
  self: string;
  roles: number;
  /** Addresses besides `self` allowed on the mutating routes. */
  admins: readonly string[];
  store: NodeStore;
  datasets: DatasetRegistry;
  connector: Connector;
  /** Relative dataset paths in POST /datasets are taken from here. */
  baseDir: string;
  log: Logger;
  /** The node's own blob store (sealed by the vault), where POST /tasks keeps what a kind's prepare() makes secret. */
  local: BlobAccess;
  /** The node's kind handlers: POST /tasks runs the kind's requester-side prepare() (runtime/prepare.ts). */
  handlers?: HandlerRegistry;
  /** Largest request body (default 1 MiB: the API takes specs and file paths, never data). */
  maxBodyBytes?: number;
  /** Where used nonces are kept (default: the store's SQLite file, so replays stay refused after a restart). */
  nonces?: NonceCheck;
  /** The round runtime, which allows (and joins) or denies the tasks in the inbox; without it the inbox is read-only. */
  approvals?: Pick<Runtime, "approve" | "deny">;
  /** The connector's URL, for the dashboard's pass-through (api/dashboard.ts). */
  connectorUrl?: string;
  /** The node's privacy budget policy, for the dashboard's budget figures (GET /dash/api/privacy/:dataset). */
  budgetPolicy?: BudgetPolicy;
  /** The chain's JSON-RPC URL (ethereum mode), for the dashboard explorer's blocks. */
  chainRpcUrl?: string;
}

const denyBody = z.object({
  reason: z.string({ error: "is required: say why the task is denied" }).trim().min(1, "must not be empty: say why the task is denied").max(500, "must be at most 500 characters"),
});

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: NodeApiErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function errorOf(e: unknown): { status: number; code: NodeApiErrorCode; message: string } {
  if (e instanceof HttpError || e instanceof ApprovalError) return { status: e.status, code: e.code, message: e.message };
  if (e instanceof AuthError) return { status: 401, code: "Unauthorized", message: e.message };
  if (e instanceof ConnectorError) return { status: statusFor(e.code), code: e.code, message: e.message };
  if (e instanceof SpecError || e instanceof DataError || e instanceof ConfigError) return { status: 400, code: "BadInput", message: e.message };
  if (e instanceof ZodError) return { status: 400, code: "BadInput", message: e.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ") };
  if (e instanceof JsonDepthError) return { status: 400, code: "TooDeep", message: e.message };
  if (e instanceof RangeError) return { status: 400, code: "BadInput", message: e.message };
  // The message of an unexpected error may carry anything (paths, values): it goes to the log only.
  return { status: 500, code: "Internal", message: "internal error; the node's log has the details" };
}

/** A request value as text: strings and numbers as they are, anything else (object, array) as JSON so an error can show it. */
const text = (v: unknown): string => (typeof v === "string" ? v : typeof v === "number" ? String(v) : v === undefined || v === null ? "" : JSON.stringify(v));

const int = (v: unknown, field: string): number => {
  const s = text(v);
  if (!/^\d{1,15}$/.test(s)) throw new HttpError(400, "BadInput", `${field} must be a non-negative integer, got "${s}"`);
  return Number(s);
};

/**
 * The node's HTTP API. GET /health is public; every other route takes only requests signed
 * (protocol signing.ts: EIP-191 over method, path, body hash, timestamp, nonce) by the node's own
 * key or an address in `admins`: the node's endpoint is public on-chain, and its datasets, tasks,
 * rounds and results concern its operator alone (no other party needs them: rounds run through
 * the connector). Responses are public views (views.ts), never store rows. Nonces are kept in
 * SQLite until their window passes, so a captured request stays refused after a restart.
 */
export function buildApi(o: ApiOptions): express.Express {
  const app = express();
  app.disable("x-powered-by");
  const allowed = new Set([o.self, ...o.admins].map((a) => getAddress(a)));
  const persisted = o.nonces ?? sqliteNonceMemory(o.store.db);
  // Only callers that may use the API leave nonces behind: anyone else is refused without a write.
  const seen: NonceCheck = (address, nonce, ts) => allowed.has(getAddress(address)) && persisted(address, nonce, ts);
  const raw = express.raw({ type: () => true, limit: o.maxBodyBytes ?? 1 << 20 });

  /** Checks the signature over the exact body bytes and the caller (operator or admin), then parses the body as JSON. */
  const signed = (req: Request, response: Response, next: NextFunction) => {
    try {
      const body = Buffer.isBuffer(req.body) ? new Uint8Array(req.body) : new Uint8Array(0);
      const who = verifyRequest(req.headers, req.method, req.originalUrl, body, seen);
      if (!allowed.has(who)) throw new HttpError(403, "Forbidden", `${who} is neither this node's operator nor in admins; sign with the operator key or add the address to admins`);
      response.locals.caller = who;
      if (body.length > 0) {
        let text: string;
        try {
          text = new TextDecoder("utf-8", { fatal: true }).decode(body);
        } catch {
          throw new HttpError(400, "BadInput", "the body must be UTF-8 JSON");
        }
        try {
          req.body = parseJsonBounded(text);
        } catch (e) {
          if (e instanceof JsonDepthError) throw e;
          throw new HttpError(400, "BadInput", "the body must be JSON");
        }
      } else req.body = {};
      next();
    } catch (e) {
      next(e);
    }
  };

  app.get("/health", (_req, res) => {
    res.json({
      ok: true,
      name: o.name,
      address: o.self,
      roles: maskToRoles(o.roles),
      mode: o.connector.mode,
      cursor: o.store.cursor() ?? null,
    });
  });

  app.get("/datasets", raw, signed, (_req, res) => {
    res.json(o.store.listDatasets().map(datasetView));
  });

  app.post("/datasets", raw, signed, async (req, res) => {
    if ((o.roles & Role.Owner) === 0) throw new HttpError(403, "MissingRole", "this node lacks the Owner role; add Owner to roles to register datasets");
    // The policy is checked with the rest before anything is committed, and set only once the dataset is.
    const { policy, ...spec } = datasetConfigSchema.parse(req.body);
    const path = isAbsolute(spec.path) ? spec.path : resolve(o.baseDir, spec.path);
    const row = await o.datasets.register({ ...spec, path });
    if (policy) o.store.setDatasetPolicy(row.name, policy);
    o.log.info({ dataset: row.name, version: row.version, rows: row.rows, root: row.root, policy: policy !== undefined || undefined }, "dataset registered");
    res.status(201).json({ ...datasetView(row), policy: datasetPolicyView(row.name, o.store.datasetPolicy(row.name)).policy });
  });

  const knownDataset = (name: string) => {
    if (!o.store.listDatasets().some((d) => d.name === name)) throw new HttpError(404, "UnknownDataset", `no dataset named ${name} on this node (GET /datasets lists them)`);
  };

  app.get("/datasets/:name/policy", raw, signed, (req, res) => {
    const name = String(req.params.name);
    knownDataset(name);
    res.json(datasetPolicyView(name, o.store.datasetPolicy(name)));
  });

  // Replaces the dataset's policy (every version); {} lifts every per-dataset restriction. Tasks already accepted keep running.
  app.put("/datasets/:name/policy", raw, signed, (req, res) => {
    const name = String(req.params.name);
    knownDataset(name);
    const policy = datasetPolicySchema.parse(req.body);
    o.store.setDatasetPolicy(name, policy);
    o.log.info({ dataset: name, by: res.locals.caller }, "dataset policy set");
    res.json(datasetPolicyView(name, o.store.datasetPolicy(name)));
  });

  const inboxEntry = (taskId: number) => {
    const i = o.store.getInbox(taskId);
    const t = o.store.getTask(taskId);
    if (!i || !t) throw new HttpError(404, "NotInInbox", `task ${taskId} is not in this node's inbox (GET /inbox lists the tasks waiting)`);
    return inboxView(i, t, o.self);
  };

  // Tasks waiting for the owner's approval (?all=1: decided ones too), newest first.
  app.get("/inbox", raw, signed, (req, res) => {
    const all = req.query.all === "1" || req.query.all === "true";
    const limit = req.query.limit === undefined ? 100 : Math.max(1, Math.min(int(req.query.limit, "limit"), 1000));
    res.json(o.store.listInbox(all, limit).map((i) => inboxEntry(i.taskId)));
  });

  app.get("/inbox/:taskId", raw, signed, (req, res) => {
    res.json(inboxEntry(int(req.params.taskId, "taskId")));
  });

  const approvals = () => {
    if (!o.approvals) throw new HttpError(503, "NoRuntime", "this node's round runtime is not running, so it cannot decide on tasks");
    return o.approvals;
  };

  app.post("/inbox/:taskId/allow", raw, signed, async (req, res) => {
    const taskId = int(req.params.taskId, "taskId");
    const r = await approvals().approve(taskId, String(res.locals.caller));
    res.json({ ...inboxEntry(taskId), joined: r.joined, ...(r.error ? { joinError: r.error } : {}) });
  });

  app.post("/inbox/:taskId/deny", raw, signed, (req, res) => {
    const taskId = int(req.params.taskId, "taskId");
    const { reason } = denyBody.parse(req.body);
    approvals().deny(taskId, String(res.locals.caller), reason);
    res.json(inboxEntry(taskId));
  });

  app.get("/tasks", raw, signed, (req, res) => {
    const limit = req.query.limit === undefined ? 100 : Math.min(int(req.query.limit, "limit"), 1000);
    const offset = req.query.offset === undefined ? 0 : int(req.query.offset, "offset");
    res.json(o.store.listTasks(limit, offset).map(taskView));
  });

  app.post("/tasks", raw, signed, async (req, res) => {
    if ((o.roles & Role.Requester) === 0) throw new HttpError(403, "MissingRole", "this node lacks the Requester role; add Requester to roles to submit tasks");
    const body = req.body as Record<string, unknown>;
    if (body === null || typeof body !== "object" || Array.isArray(body)) throw new HttpError(400, "BadInput", "the body must be a task spec object");
    const idempotencyKey = checkIdempotencyKey(req.query.idempotencyKey);
    // A retry under the same key sends the spec prepared the first time (same nonce, same keys,
    // same encrypted setup), so the connector recognises it and answers with the first request's task.
    const memo = idempotencyKey === undefined ? undefined : `idempotency:${String(res.locals.caller).toLowerCase()}:${idempotencyKey}`;
    const prior = memo === undefined ? undefined : (JSON.parse(o.store.meta(memo) ?? "null") as { body: string; spec: unknown } | null);
    if (prior && prior.body !== hashJson(body))
      throw new HttpError(400, "BadInput", `idempotencyKey ${idempotencyKey} was already used for another spec; use a new key for a new task`);
    let spec: TaskSpec;
    let info: Record<string, unknown> | undefined;
    if (prior) spec = parseTaskSpec(prior.spec);
    else {
      // The kind's requester-side preparation runs here, in this node: keys, an outsourced owner's
      // encrypted setup, derived fields. Its secrets stay in the node, sealed by the vault.
      const node = { address: o.self, roles: o.roles, store: o.store, datasets: o.datasets, connector: o.connector, local: o.local, handlers: o.handlers, log: o.log };
      const prepared = await prepareTask(node, body);
      await keepPrepared(node, prepared);
      spec = prepared.spec;
      info = prepared.info;
      if (memo !== undefined) o.store.setMeta(memo, JSON.stringify({ body: hashJson(body), spec }));
    }
    const r = await o.connector.createTask(spec, { idempotencyKey });
    o.log.info({ taskId: r.taskId, kind: spec.kind }, "task submitted");
    res.status(201).json({ taskId: r.taskId, specHash: specHash(spec), txHash: r.txHash, ...(info ? { info } : {}) });
  });

  app.get("/tasks/:id", raw, signed, async (req, res) => {
    const id = int(req.params.id, "task id");
    const local = o.store.getTask(id);
    const chain = await o.connector.getTask(id);
    if (!local && !chain) throw new HttpError(404, "UnknownTask", `task ${id} does not exist`);
    res.json({ task: local ? taskView(local) : null, chain: chain ? chainTaskView(chain) : null, rounds: o.store.listRounds(id).map(roundView) });
  });

  app.get("/results/:taskId/:round", raw, signed, (req, res) => {
    const taskId = int(req.params.taskId, "taskId");
    const round = int(req.params.round, "round");
    const r = o.store.getResult(taskId, round);
    if (!r) throw new HttpError(404, "NoResult", `no result for round ${round} of task ${taskId} on this node (only the requester holds results)`);
    res.json(resultView(r));
  });

  // The audit trail (audit/log.ts), oldest first; ?after=<seq> pages on, ?taskId= narrows to one task.
  app.get("/audit", raw, signed, (req, res) => {
    const limit = req.query.limit === undefined ? 100 : Math.max(1, Math.min(int(req.query.limit, "limit"), 1000));
    const after = req.query.after === undefined ? 0 : int(req.query.after, "after");
    const taskId = req.query.taskId === undefined ? undefined : int(req.query.taskId, "taskId");
    const entries = o.store.auditEntries({ afterSeq: after, limit, taskId }).map(auditView);
    res.json({ entries, next: entries.length === limit ? entries[entries.length - 1].seq : null });
  });

  // Checks the whole log: its hash chain, and every entry against the connector's events.
  app.get("/audit/verify", raw, signed, async (_req, res) => {
    const v = await verifyAudit({ entries: o.store.auditEntries(), connector: o.connector, self: o.self, upTo: o.store.cursor(), since: o.store.meta("audit.since") });
    res.json(v);
  });

  const budgetPolicy = o.budgetPolicy;
  mountDashboard(app, {
    allowed,
    connectorUrl: o.connectorUrl,
    nonces: persisted,
    chainRpcUrl: o.chainRpcUrl,
    privacy: (name) => (budgetPolicy && o.store.listDatasets().some((d) => d.name === name) ? privacyBudget(o.store, budgetPolicy, name) : undefined),
  });

  app.use((req, _res, next) => next(new HttpError(404, "NotFound", `no route ${req.method} ${req.path}`)));
  app.use((e: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const err = errorOf(e);
    if (err.status >= 500) o.log.error({ err: e instanceof Error ? e.message : String(e) }, "request failed");
    res.status(err.status).json({ code: err.code, message: err.message });
  });
  return app;
}

/** Listens on host:port (0 = a free port); resolves to the server and its base URL. */
export async function listen(app: express.Express, host: string, port: number): Promise<{ server: Server; url: string }> {
  const server = await new Promise<Server>((resolveP, reject) => {
    const s = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolveP(s)));
    s.once("error", reject);
  });
  const a = server.address() as AddressInfo;
  const h = a.family === "IPv6" ? `[${a.address}]` : a.address;
  return { server, url: `http://${h}:${a.port}` };
}

export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections?.();
  await new Promise<void>((r) => server.close(() => r()));
}
