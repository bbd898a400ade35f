/**
 * The browser's side of the signed APIs: the same request signing as every node
 * (protocol/src/signing.ts), the node's own API client (node/src/api/client.ts, same origin), and
 * the connector reached through the node's pass-through (/dash/connector/<path>): the browser signs
 * the connector's own path, so the connector checks the very signature it would check from a node.
 */
import { Wallet, type Signer } from "ethers";
import { signRequest } from "../../protocol/src/signing.js";
import { NodeApiClient } from "../../node/src/api/client.js";
import type { ChainEvent } from "../../protocol/src/events.js";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export interface Session {
  address: string;
  signer: Signer;
  node: NodeApiClient;
  connector<T>(path: string): Promise<T>;
  /** A connector read as raw bytes (a blob). */
  connectorBytes(path: string): Promise<Uint8Array>;
  /** A signed GET of this node's dashboard routes (/dash/api/…). */
  dash<T>(path: string): Promise<T>;
  events(onEvent: (e: ChainEvent) => void, signal: AbortSignal, onState?: (s: "live" | "reconnecting") => void): Promise<void>;
}

/** A key pasted (0x + 64 hex) or a keystore file unlocked here; either way it stays in this page's memory only. */
export async function unlock(input: { privateKey?: string; keystore?: string; password?: string }): Promise<Wallet> {
  if (input.keystore) return (await Wallet.fromEncryptedJson(input.keystore, input.password ?? "")) as unknown as Wallet;
  const k = (input.privateKey ?? "").trim();
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(k)) throw new Error("the key must be 64 hex digits (0x optional): the node's operator key or an admin's");
  return new Wallet(k.startsWith("0x") ? k : `0x${k}`);
}

async function connectorFetch(signer: Signer, path: string, signal?: AbortSignal): Promise<Response> {
  const headers: Record<string, string> = { ...(await signRequest(signer, "GET", path, new Uint8Array(0))) };
  const res = await fetch(`/dash/connector${path}`, { headers, signal });
  if (!res.ok) {
    const b = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
    throw new ApiError(res.status, b.code ?? "Error", b.message ?? `HTTP ${res.status} from the connector ${path}`);
  }
  return res;
}

export async function session(signer: Signer): Promise<Session> {
  const address = await signer.getAddress();
  const node = new NodeApiClient(location.origin, signer);
  return {
    address,
    signer,
    node,
    async connector<T>(path: string) {
      return (await (await connectorFetch(signer, path)).json()) as T;
    },
    async connectorBytes(path: string) {
      return new Uint8Array(await (await connectorFetch(signer, path)).arrayBuffer());
    },
    async dash<T>(path: string) {
      const full = `/dash/api${path}`;
      const res = await fetch(full, { headers: { ...(await signRequest(signer, "GET", full, new Uint8Array(0))) } });
      const b = (await res.json()) as T & { code?: string; message?: string };
      if (!res.ok) throw new ApiError(res.status, b.code ?? "Error", b.message ?? `HTTP ${res.status} from ${full}`);
      return b;
    },
    async events(onEvent, signal, onState) {
      let last: string | undefined;
      let wait = 250;
      while (!signal.aborted) {
        try {
          const res = await connectorFetch(signer, "/events" + (last ? `?cursor=${encodeURIComponent(last)}` : ""), signal);
          onState?.("live");
          wait = 250;
          const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
          let buf = "";
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buf += value;
            let i: number;
            while ((i = buf.indexOf("\n\n")) >= 0) {
              const block = buf.slice(0, i);
              buf = buf.slice(i + 2);
              let event = "message";
              const data: string[] = [];
              for (const line of block.split("\n")) {
                if (line.startsWith("event:")) event = line.slice(6).trim();
                else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
              }
              if (data.length === 0) continue;
              const body = JSON.parse(data.join("\n")) as unknown;
              if (event === "error") {
                const b = body as { code: string; message: string };
                throw new ApiError(403, b.code, b.message);
              }
              const e = body as ChainEvent;
              last = e.cursor;
              onEvent(e);
            }
          }
        } catch (e) {
          if (signal.aborted) return;
          if (e instanceof ApiError && e.status < 500) throw e;
        }
        onState?.("reconnecting");
        await new Promise((r) => setTimeout(r, wait));
        wait = Math.min(wait * 2, 5000);
      }
    },
  };
}
