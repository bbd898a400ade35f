import type { Signer } from "ethers";
import type { ChainEvent, MemberReportStatus } from "../../../protocol/src/events.js";
import { signRequest } from "../../../protocol/src/signing.js";
import type { TaskSpec } from "../../../protocol/src/taskspec.js";
import {
  ConnectorError,
  type Connector,
  type ConnectorErrorCode,
  type ConnectorMode,
  type ContributionRecord,
  type DatasetCommitment,
  type DatasetRecord,
  type BindingDomain,
  type CreateTaskOptions,
  type Groth16Proof,
  type NodeInfo,
  type NodeRecord,
  type RoundRecord,
  type TaskRecord,
  type ProofListChallenge,
  type TxReceipt,
} from "../connector.js";
import { ROUTES, type ServerInfo } from "./routes.js";
import { blobHash } from "../blobstore.js";

export interface ConnectorClientOptions {
  /** Base URL of a ConnectorServer, e.g. http://127.0.0.1:8700 */
  url: string;
  /** Signs every request (an ethers Wallet holding the node's key). */
  signer: Signer;
  /** The server's mode; ConnectorClient.connect() asks the server instead. */
  mode?: ConnectorMode;
  /** First wait before reconnecting a dropped event stream (default 250 ms, doubling to 5 s). */
  reconnectMs?: number;
  /** Treat the stream as dropped after this long without a byte (default 60 s; the server pings every 15 s). */
  stallMs?: number;
  fetch?: typeof fetch;
}

const EMPTY = new Uint8Array(0);
const enc = new TextEncoder();

/**
 * A Connector over HTTP: every call is signed with the node's key, errors come back as
 * ConnectorError with the server's code, and the event stream reconnects from the last cursor
 * it delivered when the connection drops, so no event is lost or repeated.
 */
export class ConnectorClient implements Connector {
  readonly mode: ConnectorMode;
  private readonly base: string;
  private readonly basePath: string;
  private readonly fetch: typeof fetch;
  private readonly signer: Signer;
  private closed = new AbortController();

  constructor(private readonly opts: ConnectorClientOptions) {
    if (!opts.url) throw new Error("ConnectorClient: opts.url must be the connector's base URL");
    if (!opts.signer) throw new Error("ConnectorClient: opts.signer must be an ethers Signer (e.g. a Wallet)");
    const u = new URL(opts.url);
    this.base = u.origin;
    this.basePath = u.pathname.replace(/\/+$/, "");
    this.signer = opts.signer;
    this.mode = opts.mode ?? "coordinator";
    this.fetch = opts.fetch ?? globalThis.fetch;
  }

  /** Makes a client and learns the server's mode from it (this also checks that the key is accepted). */
  static async connect(opts: Omit<ConnectorClientOptions, "mode">): Promise<ConnectorClient> {
    const probe = new ConnectorClient({ ...opts, mode: "coordinator" });
    const info = await probe.info();
    return new ConnectorClient({ ...opts, mode: info.mode });
  }

  async info(): Promise<ServerInfo> {
    return this.json<ServerInfo>("GET", ROUTES.info);
  }

  private async request(method: string, route: string, body?: Uint8Array, signal?: AbortSignal, idempotent = method === "GET", bodyHash?: string): Promise<Response> {
    const path = this.basePath + route;
    const bytes = body ?? EMPTY;
    let res: Response | undefined;
    for (let attempt = 1; !res; attempt++) {
      // Signed afresh each attempt: a retry is a new request with its own nonce.
      const headers: Record<string, string> = { ...(await signRequest(this.signer, method, path, bytes, bodyHash)) };
      if (bytes.length > 0) headers["content-type"] = "application/octet-stream";
      try {
        res = await this.fetch(this.base + path, { method, headers, body: bytes.length > 0 ? bytes : undefined, signal });
      } catch (e) {
        if (signal?.aborted) throw e;
        // A kept-alive socket the server closed (it restarted) fails the next request before the
        // server reads it: retry once. Reads, and writes carrying an idempotency key, are always safe to retry.
        if (attempt < 2 && (idempotent || staleSocket(e))) continue;
        throw new ConnectorError("Unavailable", `connector at ${this.base} unreachable: ${(e as Error).message} (${String((e as { cause?: Error | string }).cause ?? "")})`);
      }
    }
    if (!res.ok) {
      let code: ConnectorErrorCode = "Unavailable";
      let message = `HTTP ${res.status} from ${method} ${path}`;
      try {
        const b = (await res.json()) as { code?: ConnectorErrorCode; message?: string };
        if (b.code) code = b.code;
        if (b.message) message = b.message;
      } catch {
        /* not a JSON error body: keep the HTTP status text */
      }
      throw new ConnectorError(code, message);
    }
    return res;
  }

  private async json<T>(method: string, route: string, body?: unknown, idempotent?: boolean): Promise<T> {
    const bytes = body === undefined ? undefined : enc.encode(JSON.stringify(body));
    const res = await this.request(method, route, bytes, undefined, idempotent);
    return (await res.json()) as T;
  }

  async address(): Promise<string> {
    return this.signer.getAddress();
  }

  async bindingDomain(): Promise<BindingDomain> {
    return (await this.info()).bindingDomain;
  }

  registerNode(info: NodeInfo): Promise<TxReceipt> {
    return this.json("POST", ROUTES.register, info);
  }
  updateNode(info: NodeInfo): Promise<TxReceipt> {
    return this.json("POST", ROUTES.update, info);
  }
  leaveNode(): Promise<TxReceipt> {
    return this.json("POST", ROUTES.leave, {});
  }
  getNode(address: string): Promise<NodeRecord | null> {
    return this.json("GET", ROUTES.node(encodeURIComponent(address)));
  }
  listNodes(offset?: number, limit?: number): Promise<NodeRecord[]> {
    const q = new URLSearchParams();
    if (offset !== undefined) q.set("offset", String(offset));
    if (limit !== undefined) q.set("limit", String(limit));
    const s = q.toString();
    return this.json("GET", ROUTES.nodes + (s ? `?${s}` : ""));
  }
  async heartbeat(): Promise<void> {
    await this.json("POST", ROUTES.heartbeat, {});
  }

  commitDataset(name: string, c: DatasetCommitment): Promise<TxReceipt & { version: number }> {
    return this.json("POST", ROUTES.datasets, { name, commitment: c });
  }
  getDataset(owner: string, name: string, version?: number): Promise<DatasetRecord | null> {
    const q = new URLSearchParams({ owner, name });
    if (version !== undefined) q.set("version", String(version));
    return this.json("GET", `${ROUTES.datasets}?${q.toString()}`);
  }

  /**
   * One idempotency key per call (the caller's, or a fresh UUID), in the signed path: the retry of
   * a request whose answer was lost returns the task the first attempt made.
   */
  createTask(spec: TaskSpec, opts: CreateTaskOptions = {}): Promise<TxReceipt & { taskId: number }> {
    const key = opts.idempotencyKey ?? crypto.randomUUID();
    return this.json("POST", `${ROUTES.tasks}?idempotencyKey=${encodeURIComponent(key)}`, spec, true);
  }
  getTask(taskId: number): Promise<TaskRecord | null> {
    return this.json("GET", ROUTES.task(taskId));
  }
  getTaskSpec(taskId: number): Promise<TaskSpec | null> {
    return this.json("GET", ROUTES.spec(taskId));
  }
  startRound(taskId: number): Promise<TxReceipt & { round: number }> {
    return this.json("POST", ROUTES.rounds(taskId), {});
  }
  getRound(taskId: number, round: number): Promise<RoundRecord | null> {
    return this.json("GET", ROUTES.round(taskId, round));
  }
  joinRound(taskId: number, round: number, memberKey: string): Promise<TxReceipt> {
    return this.json("POST", ROUTES.join(taskId, round), { memberKey });
  }
  submit(taskId: number, round: number, blobHash: string, commitment: string, proof?: Groth16Proof): Promise<TxReceipt> {
    return this.json("POST", ROUTES.submit(taskId, round), { blobHash, commitment, proof });
  }
  getContributions(taskId: number, round: number, phase: number): Promise<ContributionRecord[]> {
    return this.json("GET", ROUTES.contributions(taskId, round, phase));
  }
  advance(taskId: number, round: number): Promise<TxReceipt> {
    return this.json("POST", ROUTES.advance(taskId, round), {});
  }
  finalizeRound(taskId: number, round: number, resultHash: string): Promise<TxReceipt> {
    return this.json("POST", ROUTES.finalize(taskId, round), { resultHash });
  }
  closeTask(taskId: number, reason: string): Promise<TxReceipt> {
    return this.json("POST", ROUTES.close(taskId), { reason });
  }
  report(taskId: number, round: number, status: MemberReportStatus, reason: string): Promise<TxReceipt> {
    return this.json("POST", ROUTES.report(taskId, round), { status, reason });
  }
  challenge(taskId: number, round: number, member: string, entry: ProofListChallenge): Promise<TxReceipt> {
    return this.json("POST", ROUTES.challenge(taskId, round), { member, entry });
  }

  /** The body hash signed is the blob's name: hashed once here (or not at all given `knownHash`), once by the server. */
  async putBlob(bytes: Uint8Array, knownHash?: string): Promise<string> {
    const hash = knownHash?.toLowerCase() ?? blobHash(bytes);
    const res = await this.request("POST", ROUTES.blobs, bytes, undefined, false, hash);
    const stored = ((await res.json()) as { hash: string }).hash;
    if (stored.toLowerCase() !== hash) throw new ConnectorError("BlobHashMismatch", `the connector stored blob ${hash} as ${stored}`);
    return stored;
  }
  /** Checks the bytes against their name: a connector cannot substitute a blob unnoticed. */
  async getBlob(hash: string): Promise<Uint8Array> {
    const res = await this.request("GET", ROUTES.blob(hash));
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (blobHash(bytes) !== hash.toLowerCase()) throw new ConnectorError("BlobHashMismatch", `the connector answered ${hash} with other bytes`);
    return bytes;
  }

  /**
   * Server-Sent Events from the connector. A dropped connection (server restart, network error,
   * stall) is reopened from the last delivered cursor with a freshly signed request; errors the
   * server answers with (bad cursor, refused signature) end the stream by throwing.
   */
  async *events(cursor?: string, signal?: AbortSignal): AsyncGenerator<ChainEvent> {
    const ac = new AbortController();
    const stop = () => ac.abort();
    signal?.addEventListener("abort", stop, { once: true });
    this.closed.signal.addEventListener("abort", stop, { once: true });
    let last = cursor;
    let wait = this.opts.reconnectMs ?? 250;
    try {
      while (!ac.signal.aborted) {
        const attempt = new AbortController();
        const onStop = () => attempt.abort();
        ac.signal.addEventListener("abort", onStop, { once: true });
        let stall: NodeJS.Timeout | undefined;
        const feed = () => {
          clearTimeout(stall);
          stall = setTimeout(() => attempt.abort(), this.opts.stallMs ?? 60_000);
        };
        try {
          const route = ROUTES.events + (last ? `?cursor=${encodeURIComponent(last)}` : "");
          feed();
          const res = await this.request("GET", route, undefined, attempt.signal);
          wait = this.opts.reconnectMs ?? 250;
          for await (const msg of parseSse(res.body!, feed)) {
            if (msg.event === "error") {
              const b = JSON.parse(msg.data) as { code: ConnectorErrorCode; message: string };
              throw new ConnectorError(b.code, b.message);
            }
            const ev = JSON.parse(msg.data) as ChainEvent;
            last = ev.cursor;
            yield ev;
            if (ac.signal.aborted) return;
          }
        } catch (e) {
          if (ac.signal.aborted) return;
          // The server's own refusals are final; transport failures are retried below.
          if (e instanceof ConnectorError && !e.retryable) throw e;
        } finally {
          clearTimeout(stall);
          ac.signal.removeEventListener("abort", onStop);
          attempt.abort();
        }
        if (ac.signal.aborted) return;
        await new Promise<void>((resolve) => {
          const t = setTimeout(done, wait);
          function done() {
            clearTimeout(t);
            ac.signal.removeEventListener("abort", done);
            resolve();
          }
          ac.signal.addEventListener("abort", done, { once: true });
        });
        wait = Math.min(wait * 2, 5_000);
      }
    } finally {
      signal?.removeEventListener("abort", stop);
      this.closed.signal.removeEventListener("abort", stop);
    }
  }

  /** Ends this client's open event streams. */
  async close(): Promise<void> {
    this.closed.abort();
    this.closed = new AbortController();
  }
}

function staleSocket(e: unknown): boolean {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code === "UND_ERR_SOCKET" || cause?.code === "ECONNRESET";
}

interface SseMessage {
  event: string;
  data: string;
  id?: string;
}

/** Splits a text/event-stream body into messages; comment lines (pings) only feed the stall timer. */
async function* parseSse(body: ReadableStream<Uint8Array>, onBytes: () => void): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buf = "";
  let event = "message";
  let data: string[] = [];
  let id: string | undefined;
  const reader = body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      onBytes();
      buf += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buf.search(/\r\n|\r|\n/)) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(buf[nl] === "\r" && buf[nl + 1] === "\n" ? nl + 2 : nl + 1);
        if (line === "") {
          if (data.length > 0) yield { event, data: data.join("\n"), id };
          event = "message";
          data = [];
          id = undefined;
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "data") data.push(value);
        else if (field === "event") event = value;
        else if (field === "id") id = value;
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}
