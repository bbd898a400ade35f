import express, { type Express, type NextFunction, type Request, type Response } from "express";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Readable } from "node:stream";
import { getAddress } from "ethers";
import { AuthError, SIGNATURE_HEADERS, verifyRequest, type NonceCheck } from "../../../protocol/src/signing.js";
import { HONK_CRS_DIR, honkVkPath } from "../../../chain-connector/src/honkverify.js";
import { HONK_KIND_CIRCUITS, honkShape, type HonkKind } from "../zk/honk-contributions.js";
import { ChainExplorer } from "./chain-explorer.js";

/** Where `npm run build` puts the dashboard bundle (scripts/build-dash.ts); git-ignored like the other build outputs. */
export const DASH_DIST = resolve(import.meta.dirname, "../../../dash/dist");

export interface DashboardOptions {
  /** The operator and admins: the only callers the connector pass-through forwards for. */
  allowed: ReadonlySet<string>;
  /** The connector this node follows; without it the pass-through answers 503. */
  connectorUrl?: string;
  dist?: string;
  /** The node's nonce memory: the dashboard's own routes (/dash/api/*) refuse replays like every signed route. */
  nonces: NonceCheck;
  /** A dataset's privacy budget figures (runtime/policy.ts privacyBudget); undefined for a name the node does not hold. */
  privacy?: (dataset: string) => unknown;
  /** The chain's JSON-RPC URL (ethereum mode): the explorer's blocks, transactions and decoded reverts. */
  chainRpcUrl?: string;
}

/** What the browser needs to re-verify a kind's UltraHonk proofs: the committed verification key and the CRS points the verifier reads. */
export interface HonkVerifierView {
  kind: string;
  circuit: string;
  publicInputs: string[];
  chunkRows: number;
  chunksPerProof: number;
  /** circuits/noir/build/<circuit>/vk, hex. */
  vk: string;
  /** The committed CRS's first G1 point (the generator) and its [τ]G2 (bn254_g1.dat / bn254_g2.dat layout), hex. */
  crs: { g1: string; g2: string };
}

function honkVerifierView(kind: string): HonkVerifierView {
  if (!Object.hasOwn(HONK_KIND_CIRCUITS, kind))
    throw new DashError(404, "UnknownKind", `no UltraHonk circuit for kind "${kind}"; proven kinds are ${Object.keys(HONK_KIND_CIRCUITS).join(", ")}`);
  const s = honkShape(kind as HonkKind);
  const g1 = readFileSync(join(HONK_CRS_DIR, "bn254_g1.dat")).subarray(0, 64);
  const g2 = readFileSync(join(HONK_CRS_DIR, "bn254_g2.dat"));
  return {
    kind,
    circuit: s.circuit,
    publicInputs: [...s.publicInputs],
    chunkRows: s.chunkRows,
    chunksPerProof: s.chunksPerProof,
    vk: readFileSync(honkVkPath(s.circuit)).toString("hex"),
    crs: { g1: g1.toString("hex"), g2: g2.toString("hex") },
  };
}

class DashError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const FORWARDED = [...Object.values(SIGNATURE_HEADERS), "accept", "last-event-id"];

/**
 * The dashboard: static files under /dash/ (public: the bundle holds code only; every datum it
 * shows comes through the signed APIs), and GET /dash/connector/<path>, a pass-through to the
 * connector for the browser, which cannot call the connector's origin itself (no CORS there).
 * The browser signs the connector's own path (/tasks/1, /events?cursor=…) exactly as a node does;
 * this node checks that the signature is its operator's or an admin's before forwarding (so the
 * endpoint is no open relay), and the connector checks it again, nonce included.
 */
export function mountDashboard(app: Express, o: DashboardOptions): void {
  const dist = o.dist ?? DASH_DIST;
  // Express matches "/dash/" here too (non-strict routing): only the bare path is sent on, so the bundle's relative URLs resolve.
  app.get("/dash", (req, res, next) => (req.path === "/dash" && !req.originalUrl.startsWith("/dash/") ? res.redirect(301, "/dash/") : next()));

  app.get(/^\/dash\/connector(\/.*)$/, async (req: Request, res: Response, next: NextFunction) => {
    try {
      const path = req.originalUrl.slice("/dash/connector".length);
      // The nonce is the connector's to record: here only who signed matters.
      const who = verifyRequest(req.headers, "GET", path, new Uint8Array(0), () => false);
      if (!o.allowed.has(getAddress(who))) {
        res.status(403).json({ code: "Forbidden", message: `${who} is neither this node's operator nor in admins; the dashboard's connector pass-through forwards for them only` });
        return;
      }
      if (!o.connectorUrl) {
        res.status(503).json({ code: "Unavailable", message: "this node was started without a connector URL" });
        return;
      }
      const headers: Record<string, string> = {};
      for (const h of FORWARDED) if (typeof req.headers[h] === "string") headers[h] = req.headers[h];
      const ac = new AbortController();
      res.on("close", () => ac.abort());
      const up = await fetch(o.connectorUrl.replace(/\/+$/, "") + path, { headers, signal: ac.signal });
      res.status(up.status);
      for (const h of ["content-type", "cache-control"]) {
        const v = up.headers.get(h);
        if (v) res.setHeader(h, v);
      }
      if (up.headers.get("content-type")?.startsWith("text/event-stream")) res.flushHeaders();
      if (!up.body) {
        res.end();
        return;
      }
      Readable.fromWeb(up.body as never)
        .on("error", () => res.end())
        .pipe(res);
    } catch (e) {
      if (e instanceof AuthError) {
        res.status(401).json({ code: "Unauthorized", message: e.message });
        return;
      }
      if ((e as Error).name === "AbortError") return;
      next(e);
    }
  });

  /** The dashboard's own reads: signed by the operator or an admin, nonce recorded, like the node's other routes. */
  const signedGet = (handler: (req: Request) => unknown) => async (req: Request, res: Response, next: NextFunction) => {
    try {
      const who = verifyRequest(req.headers, "GET", req.originalUrl, new Uint8Array(0), (a, n, ts) => o.allowed.has(getAddress(a)) && o.nonces(a, n, ts));
      if (!o.allowed.has(getAddress(who)))
        throw new DashError(403, "Forbidden", `${who} is neither this node's operator nor in admins; sign with the operator key or add the address to admins`);
      const out = await handler(req);
      res.json(out);
    } catch (e) {
      if (e instanceof AuthError) res.status(401).json({ code: "Unauthorized", message: e.message });
      else if (e instanceof DashError) res.status(e.status).json({ code: e.code, message: e.message });
      else next(e);
    }
  };
  app.get(
    "/dash/api/honk/:kind",
    signedGet((req) => honkVerifierView(String(req.params.kind))),
  );
  let explorer: ChainExplorer | undefined;
  const queryInt = (req: Request, k: string, max: number) => {
    const v = req.query[k];
    if (v === undefined) return undefined;
    if (typeof v !== "string" || !/^\d{1,13}$/.test(v) || Number(v) > max) throw new DashError(400, "BadInput", `${k} must be an integer from 0 to ${max}`);
    return Number(v);
  };
  app.get(
    "/dash/api/chain/blocks",
    signedGet(async (req) => {
      if (!o.chainRpcUrl)
        throw new DashError(404, "NoChain", "this node has no chainRpcUrl (coordinator mode has no blocks; in ethereum mode set chainRpcUrl to the chain's JSON-RPC URL)");
      const count = queryInt(req, "count", 50) ?? 10;
      const before = queryInt(req, "before", 1e12);
      explorer ??= new ChainExplorer(o.chainRpcUrl);
      return explorer.blocks(count, before);
    }),
  );
  // The privacy budget burn-down's totals; the releases themselves are the audit trail's (GET /audit).
  app.get(
    "/dash/api/privacy/:dataset",
    signedGet((req) => {
      const name = String(req.params.dataset);
      const v = o.privacy?.(name);
      if (v === undefined) throw new DashError(404, "UnknownDataset", `no dataset named ${name} on this node (GET /datasets lists them)`);
      return v;
    }),
  );

  app.use("/dash", (req: Request, res: Response, next: NextFunction) => {
    if (!existsSync(join(dist, "index.html"))) {
      res.status(503).json({ code: "NotBuilt", message: "the dashboard bundle is missing: run `scripts/npmw run build`" });
      return;
    }
    next();
  });
  app.use("/dash", express.static(dist, { index: "index.html", fallthrough: true, dotfiles: "deny" }));
}
