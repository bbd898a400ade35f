import express, { type NextFunction, type Request, type Response } from "express";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { AuthError, MAX_CLOCK_SKEW_MS, SIGNATURE_HEADERS, verifySignedRequest } from "../../../protocol/src/signing.js";
import { parseTaskSpec, specBytes, specHash } from "../../../protocol/src/taskspec.js";
import { CAPS } from "../../../protocol/src/tasks/caps.js";
import { checkJsonDepth } from "../../../protocol/src/json.js";
import { ConnectorError, type Connector } from "../connector.js";
import { Authorizer, MAX_SCAN_BYTES, type BlobRef, type MemberReads } from "./authz.js";
import { ConnectorState } from "./state.js";
import { ROUTES, statusFor, type ErrorBody, type ServerInfo } from "./routes.js";

/** Anything that hands out a Connector acting for an authenticated address. */
export interface NetworkLike {
  as(address: string): Connector;
  /** Where a blob is published (spec, contribution, result); without it only uploaders read blobs. */
  blobRefs?(hash: string): Promise<BlobRef[]>;
}

/** Deepest JSON body the server parses (objects and arrays). */
export const MAX_BODY_DEPTH = CAPS.MAX_DEPTH;

export interface ConnectorServerOptions {
  network: NetworkLike;
  /** Interface to bind; 127.0.0.1 unless the operator opens it up on purpose. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** SSE comment interval that keeps proxies and the client's stall detection happy (default 15 s). */
  sseHeartbeatMs?: number;
  /** The network's liveness window, reported by GET /info (default 120; the network computes `active`). */
  livenessSeconds?: number;
  /** Largest request body (default 64 MiB: CKKS ciphertexts and key material travel as blobs). */
  maxBodyBytes?: number;
  /** Called with unexpected (non-ConnectorError) failures. */
  onError?: (e: unknown) => void;
  /**
   * The server's own SQLite file (nonces, blob uploads and quota, named blobs), or an open
   * ConnectorState. Default ":memory:", which forgets nonces on restart: give a file in production
   * (startConnector puts it next to the connector's database).
   */
  state?: string | ConnectorState;
  /** Bytes of new blobs one party may store per window (default 2 GiB). */
  blobQuotaBytes?: number;
  /** Window of the blob quota in seconds (default 3600). */
  blobQuotaWindowSeconds?: number;
  /** Which contributions members read of kinds the connector does not know (custom handlers); see authz.ts. */
  memberReads?: MemberReads;
}

function errorBody(e: unknown): { status: number; body: ErrorBody } {
  if (e instanceof AuthError) return { status: 401, body: { code: "Unauthorized", message: e.message } };
  if (e instanceof ConnectorError) {
    const prefix = `${e.code}: `;
    const message = e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
    return { status: statusFor(e.code), body: { code: e.code, message } };
  }
  return { status: 500, body: { code: "Unavailable", message: e instanceof Error ? e.message : String(e) } };
}

/** A request value as text: strings and numbers as they are, anything else (object, array) as JSON so an error can show it. */
const text = (v: unknown): string => (typeof v === "string" ? v : typeof v === "number" ? String(v) : v === undefined || v === null ? "" : JSON.stringify(v));

const int = (v: unknown, field: string): number => {
  const s = text(v);
  if (!/^\d{1,15}$/.test(s)) throw new ConnectorError("BadInput", `${field} must be a non-negative integer, got "${s}"`);
  return Number(s);
};

const optInt = (v: unknown, field: string): number | undefined => (v === undefined || v === "" ? undefined : int(v, field));

const EMPTY = new Uint8Array(0);

/**
 * Serves a network (coordinator or ethereum) over HTTP. Every route, the event stream included,
 * takes only requests signed by the caller's key (method, path with query, body, timestamp, nonce);
 * the handler then acts as that address. Signed heartbeats go to the network, which keeps them
 * off-chain and reports liveness in the node records' `active`.
 */
export class ConnectorServer {
  readonly app: express.Express;
  private server?: Server;
  readonly state: ConnectorState;
  readonly authz: Authorizer;
  private readonly ownState: boolean;
  private readonly streams = new Set<{ abort: () => void }>();
  private readonly liveness: number;

  constructor(private readonly opts: ConnectorServerOptions) {
    if (!opts.network || typeof opts.network.as !== "function")
      throw new Error("ConnectorServer: opts.network must have .as(address) (a CoordinatorNetwork or a keyring over EthereumNetwork)");
    this.liveness = opts.livenessSeconds ?? 120;
    this.ownState = !(opts.state instanceof ConnectorState);
    this.state = opts.state instanceof ConnectorState ? opts.state : new ConnectorState(opts.state ?? ":memory:");
    const net = opts.network;
    this.authz = new Authorizer(this.state, net.blobRefs ? { blobRefs: (h) => net.blobRefs!(h) } : undefined, {
      blobQuotaBytes: opts.blobQuotaBytes,
      blobQuotaWindowSeconds: opts.blobQuotaWindowSeconds,
      memberReads: opts.memberReads,
    });
    this.app = this.build();
  }

  /** Starts listening; resolves to the base URL. */
  async start(): Promise<string> {
    const host = this.opts.host ?? "127.0.0.1";
    await new Promise<void>((resolve, reject) => {
      const s = this.app.listen(this.opts.port ?? 0, host, (err?: Error) => (err ? reject(err) : resolve()));
      s.once("error", reject);
      this.server = s;
    });
    return this.url;
  }

  get url(): string {
    if (!this.server) throw new Error("ConnectorServer: not started");
    const a = this.server.address() as AddressInfo;
    const host = a.family === "IPv6" ? `[${a.address}]` : a.address;
    return `http://${host}:${a.port}`;
  }

  /** Stops accepting, ends open event streams, and waits for the socket to close. */
  async close(): Promise<void> {
    for (const s of this.streams) s.abort();
    const s = this.server;
    this.server = undefined;
    if (s)
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      });
    if (this.ownState) this.state.close();
  }

  private connectorFor(req: Request): Connector {
    return (req as Request & { connector: Connector }).connector;
  }

  private callerOf(req: Request): string {
    return (req as Request & { caller: string }).caller;
  }

  private build(): express.Express {
    const app = express();
    app.disable("x-powered-by");
    app.set("etag", false);
    // Refuse requests that cannot be signed correctly before buffering a possibly large body.
    app.use((req: Request, res: Response, next: NextFunction) => {
      for (const h of Object.values(SIGNATURE_HEADERS)) {
        if (typeof req.headers[h] !== "string" || req.headers[h] === "") {
          res.status(401).json({ code: "Unauthorized", message: `missing header ${h}: sign the request with the node's key` } satisfies ErrorBody);
          return;
        }
      }
      const ts = Number(req.headers[SIGNATURE_HEADERS.timestamp]);
      if (!Number.isFinite(ts) || Math.abs(Date.now() - ts) > MAX_CLOCK_SKEW_MS) {
        res.status(401).json({
          code: "Unauthorized",
          message: `${SIGNATURE_HEADERS.timestamp} is outside ±${MAX_CLOCK_SKEW_MS / 1000}s of the server clock: check the clock`,
        } satisfies ErrorBody);
        return;
      }
      next();
    });
    app.use(express.raw({ type: () => true, limit: this.opts.maxBodyBytes ?? 64 * 1024 * 1024 }));

    // Authentication: nothing below runs for an unsigned, forged, stale or replayed request.
    app.use((req: Request, res: Response, next: NextFunction) => {
      try {
        const body = Buffer.isBuffer(req.body) ? new Uint8Array(req.body) : EMPTY;
        const { address, bodyHash } = verifySignedRequest(req.headers, req.method, req.originalUrl, body, this.state.nonces.seen);
        (req as Request & { connector: Connector }).connector = this.opts.network.as(address);
        (req as Request & { caller: string }).caller = address;
        (req as Request & { bodyBytes: Uint8Array }).bodyBytes = body;
        // Hashed by this server from the bytes it received: POST /blobs names the blob by it.
        (req as Request & { bodyHash: string }).bodyHash = bodyHash;
        next();
      } catch (e) {
        const { status, body } = errorBody(e instanceof ConnectorError ? e : e instanceof AuthError ? e : new AuthError(String(e)));
        res.status(status).json(body);
      }
    });

    const json = (req: Request): Record<string, unknown> => {
      const bytes = (req as Request & { bodyBytes: Uint8Array }).bodyBytes;
      if (bytes.length === 0) return {};
      const text = new TextDecoder().decode(bytes);
      // Counted on the text before parsing: a body nested 20,000 deep gets a 400, not a stack overflow in a later step.
      try {
        checkJsonDepth(text, MAX_BODY_DEPTH);
      } catch {
        throw new ConnectorError("BadInput", `request body nests deeper than ${MAX_BODY_DEPTH} levels (the nesting limit); flatten it`);
      }
      try {
        const v: unknown = JSON.parse(text);
        if (v === null || typeof v !== "object") throw new Error("not an object");
        return v as Record<string, unknown>;
      } catch {
        throw new ConnectorError("BadInput", "request body must be a JSON object");
      }
    };

    const bodyOf = (req: Request) => (req as Request & { bodyBytes: Uint8Array }).bodyBytes;
    const authz = this.authz;
    /** A handler that runs once the caller passed `allow` (default: registered nodes only). */
    type Allow = (c: Connector, caller: string, req: Request) => Promise<void>;
    const registered: Allow = (c, caller) => authz.registered(c, caller);
    const anySigned: Allow = async () => {};
    const route =
      (fn: (c: Connector, req: Request) => Promise<unknown>, allow: Allow = registered) =>
      async (req: Request, res: Response): Promise<void> => {
        try {
          const c = this.connectorFor(req);
          await allow(c, this.callerOf(req), req);
          const out = await fn(c, req);
          res.json(out ?? null);
        } catch (e) {
          const { status, body } = errorBody(e);
          if (status >= 500) this.opts.onError?.(e);
          res.status(status).json(body);
        }
      };
    /** Records the blobs a blob about to be published names (its author's own uploads), see Authorizer.recordNamed. */
    const noteNamed = async (c: Connector, caller: string, hash: unknown) => {
      if (typeof hash !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(hash)) return;
      const size = this.state.uploadedBytes(caller, hash);
      if (size === undefined || size > MAX_SCAN_BYTES) return;
      try {
        authz.recordNamed(caller, hash, await c.getBlob(hash));
      } catch {
        /* a missing blob names nothing; the submit itself reports what is wrong */
      }
    };

    app.get(
      ROUTES.info,
      route(async (c): Promise<ServerInfo> => ({ mode: c.mode, address: await c.address(), livenessSeconds: this.liveness, bindingDomain: await c.bindingDomain() }), anySigned),
    );

    // ---------------------------------------------------------------- nodes
    app.post(
      ROUTES.register,
      route((c, req) => c.registerNode(json(req) as never), anySigned),
    );
    // The networks refuse these for unregistered senders with NotRegistered themselves.
    app.post(
      ROUTES.update,
      route((c, req) => c.updateNode(json(req) as never), anySigned),
    );
    app.post(
      ROUTES.leave,
      route(async (c, req) => {
        const r = await c.leaveNode();
        authz.forget(this.callerOf(req));
        return r;
      }, anySigned),
    );
    app.get(
      ROUTES.nodes,
      route(async (c, req) => c.listNodes(optInt(req.query.offset, "offset"), optInt(req.query.limit, "limit"))),
    );
    app.get(
      "/nodes/:address",
      route(
        (c, req) => c.getNode(String(req.params.address)),
        // A node asks whether it is registered before it registers.
        async (c, caller, req) => {
          if (String(req.params.address).toLowerCase() !== caller.toLowerCase()) await authz.registered(c, caller);
        },
      ),
    );
    app.post(
      ROUTES.heartbeat,
      route(async (c) => {
        await c.heartbeat();
        return { ok: true };
      }, anySigned),
    );

    // ---------------------------------------------------------------- datasets
    app.post(
      ROUTES.datasets,
      route((c, req) => {
        const b = json(req);
        return c.commitDataset(b.name as string, b.commitment as never);
      }),
    );
    app.get(
      ROUTES.datasets,
      route((c, req) => c.getDataset(text(req.query.owner), text(req.query.name), optInt(req.query.version, "version"))),
    );

    // ---------------------------------------------------------------- tasks and rounds
    app.post(
      ROUTES.tasks,
      route(async (c, req) => {
        const input = json(req);
        const key = typeof req.query.idempotencyKey === "string" ? req.query.idempotencyKey : undefined;
        const caller = this.callerOf(req);
        // What the spec names (an outsourced owner's chunks) becomes readable by the task's members:
        // recorded before the task exists, so no member can ask first.
        let hash = "";
        try {
          const spec = parseTaskSpec(input);
          if (spec.requester === caller) authz.recordNamed(caller, (hash = specHash(spec)), specBytes(spec));
        } catch {
          /* createTask reports a bad spec */
        }
        const made = await c.createTask(input as never, { idempotencyKey: key });
        // A spec sent without a nonce got another one when the network parsed it: record under the real hash.
        const t = await c.getTask(made.taskId);
        if (t && t.requester === caller && t.specHash !== hash) authz.recordNamed(caller, t.specHash, await c.getBlob(t.specHash));
        return made;
      }),
    );
    app.get(
      "/tasks/:id",
      route((c, req) => c.getTask(int(req.params.id, "taskId"))),
    );
    app.get(
      "/tasks/:id/spec",
      route((c, req) => c.getTaskSpec(int(req.params.id, "taskId"))),
    );
    app.post(
      "/tasks/:id/rounds",
      route((c, req) => c.startRound(int(req.params.id, "taskId"))),
    );
    app.get(
      "/tasks/:id/rounds/:round",
      route((c, req) => c.getRound(int(req.params.id, "taskId"), int(req.params.round, "round"))),
    );
    app.post(
      "/tasks/:id/rounds/:round/join",
      route((c, req) => c.joinRound(int(req.params.id, "taskId"), int(req.params.round, "round"), json(req).memberKey as string)),
    );
    app.post(
      "/tasks/:id/rounds/:round/submit",
      route(async (c, req) => {
        const b = json(req);
        await noteNamed(c, this.callerOf(req), b.blobHash);
        return c.submit(int(req.params.id, "taskId"), int(req.params.round, "round"), b.blobHash as string, b.commitment as string, (b.proof ?? undefined) as never);
      }),
    );
    app.get(
      "/tasks/:id/rounds/:round/contributions/:phase",
      route(
        (c, req) => c.getContributions(int(req.params.id, "taskId"), int(req.params.round, "round"), int(req.params.phase, "phase")),
        (c, caller, req) => authz.listContributions(c, caller, int(req.params.id, "taskId"), int(req.params.round, "round")),
      ),
    );
    app.post(
      "/tasks/:id/rounds/:round/advance",
      route((c, req) => c.advance(int(req.params.id, "taskId"), int(req.params.round, "round"))),
    );
    app.post(
      "/tasks/:id/rounds/:round/finalize",
      route(async (c, req) => {
        const resultHash = json(req).resultHash;
        const taskId = int(req.params.id, "taskId");
        const t = await c.getTask(taskId);
        // Only the requester's finalize counts (the network refuses anyone else's).
        if (t?.requester === this.callerOf(req)) await noteNamed(c, this.callerOf(req), resultHash);
        return c.finalizeRound(taskId, int(req.params.round, "round"), resultHash as string);
      }),
    );
    app.post(
      "/tasks/:id/rounds/:round/report",
      route((c, req) => {
        const b = json(req);
        return c.report(int(req.params.id, "taskId"), int(req.params.round, "round"), b.status as never, b.reason as string);
      }),
    );
    app.post(
      "/tasks/:id/rounds/:round/challenge",
      route((c, req) => {
        const b = json(req);
        return c.challenge(int(req.params.id, "taskId"), int(req.params.round, "round"), b.member as string, b.entry as never);
      }),
    );
    app.post(
      "/tasks/:id/close",
      route((c, req) => c.closeTask(int(req.params.id, "taskId"), json(req).reason as string)),
    );

    // ---------------------------------------------------------------- blobs
    app.post(
      ROUTES.blobs,
      route(async (c, req) => {
        const bytes = bodyOf(req);
        const caller = this.callerOf(req);
        const hash = (req as Request & { bodyHash: string }).bodyHash;
        await authz.writeBlob(c, caller, hash, bytes.length);
        const stored = await c.putBlob(bytes, hash);
        authz.recordUpload(caller, stored, bytes.length);
        return { hash: stored };
      }, anySigned),
    );
    app.get("/blobs/:hash", async (req: Request, res: Response) => {
      try {
        const c = this.connectorFor(req);
        const hash = String(req.params.hash);
        if (!/^0x[0-9a-fA-F]{64}$/.test(hash)) throw new ConnectorError("BadInput", `blob hash ${hash} must be 0x followed by 64 hex digits`);
        await authz.readBlob(c, this.callerOf(req), hash);
        const bytes = await c.getBlob(hash);
        res.type("application/octet-stream").send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      } catch (e) {
        const { status, body } = errorBody(e);
        if (status >= 500) this.opts.onError?.(e);
        res.status(status).json(body);
      }
    });

    // ---------------------------------------------------------------- events (Server-Sent Events)
    app.get(ROUTES.events, async (req: Request, res: Response) => {
      try {
        await authz.registered(this.connectorFor(req), this.callerOf(req));
      } catch (e) {
        const { status, body } = errorBody(e);
        res.status(status).json(body);
        return;
      }
      void this.stream(req, res);
    });

    app.use((req: Request, res: Response) => {
      res.status(404).json({ code: "BadInput", message: `no route ${req.method} ${req.path}` } satisfies ErrorBody);
    });
    // Body parser failures (too large, aborted upload) as JSON, like every other error.
    app.use((err: { status?: number; type?: string; message?: string }, _req: Request, res: Response, _next: NextFunction) => {
      const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
      const message =
        err.type === "entity.too.large"
          ? `request body exceeds ${this.opts.maxBodyBytes ?? 64 * 1024 * 1024} bytes: split the payload or raise maxBodyBytes`
          : (err.message ?? "request failed");
      if (status >= 500) this.opts.onError?.(err);
      res.status(status).json({ code: status >= 500 ? "Unavailable" : "BadInput", message } satisfies ErrorBody);
    });
    return app;
  }

  private async stream(req: Request, res: Response): Promise<void> {
    const c = this.connectorFor(req);
    const cursor = typeof req.query.cursor === "string" && req.query.cursor !== "" ? req.query.cursor : undefined;
    const ac = new AbortController();
    const handle = { abort: () => ac.abort() };
    this.streams.add(handle);
    res.on("close", () => ac.abort());
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.write(": stream open\n\n");
    const ping = setInterval(() => res.write(": ping\n\n"), this.opts.sseHeartbeatMs ?? 15_000);
    const write = async (chunk: string) => {
      if (!res.write(chunk) && !ac.signal.aborted)
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off("drain", done);
            ac.signal.removeEventListener("abort", done);
            resolve();
          };
          res.on("drain", done);
          ac.signal.addEventListener("abort", done);
        });
    };
    try {
      for await (const ev of c.events(cursor, ac.signal)) {
        if (ac.signal.aborted) break;
        await write(`id: ${ev.cursor}\ndata: ${JSON.stringify(ev)}\n\n`);
      }
    } catch (e) {
      if (!ac.signal.aborted) {
        const { body } = errorBody(e);
        res.write(`event: error\ndata: ${JSON.stringify(body)}\n\n`);
      }
    } finally {
      clearInterval(ping);
      this.streams.delete(handle);
      res.end();
    }
  }
}
