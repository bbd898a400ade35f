import { hexlify, randomBytes, Wallet } from "ethers";
import { signRequest } from "../../protocol/src/signing.js";

export const b32 = () => hexlify(randomBytes(32));

export interface Answer {
  status: number;
  bytes: Uint8Array;
  text: string;
  /** The JSON error code, when the answer is an error body. */
  code?: string;
  message?: string;
}

/**
 * One raw HTTP call: unsigned when `who` is null, else signed by `who`. Raw fetch rather than the
 * typed client, so the test sees exactly what an outside caller sees (status, body bytes).
 */
export async function call(url: string, who: Wallet | null, method: string, path: string, body?: unknown): Promise<Answer> {
  const bytes = body === undefined ? new Uint8Array() : body instanceof Uint8Array ? body : new TextEncoder().encode(JSON.stringify(body));
  const headers: Record<string, string> = who ? { ...(await signRequest(who, method, path, bytes)) } : {};
  if (bytes.length > 0) headers["content-type"] = "application/octet-stream";
  const ac = new AbortController();
  const res = await fetch(url + path, { method, headers, body: bytes.length > 0 ? bytes : undefined, signal: ac.signal });
  let out: Uint8Array;
  if ((res.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
    // An open stream: the first chunk is enough to see it was granted.
    const reader = res.body!.getReader();
    out = ((await reader.read()).value as Uint8Array | undefined) ?? new Uint8Array();
    ac.abort();
    await reader.cancel().catch(() => {});
  } else out = new Uint8Array(await res.arrayBuffer());
  const text = new TextDecoder().decode(out);
  let code: string | undefined;
  let message: string | undefined;
  if (res.status >= 400) {
    try {
      ({ code, message } = JSON.parse(text) as { code: string; message: string });
    } catch {
      /* not JSON */
    }
  }
  return { status: res.status, bytes: out, text, code, message };
}

/** Every spelling of `secret` a response could carry it in: as is, hex, base64. */
export function spellings(secret: Uint8Array): string[] {
  const b = Buffer.from(secret);
  return [b.toString("latin1"), b.toString("hex"), b.toString("base64"), b.toString("base64url")];
}

export function leaks(answer: Answer, secret: Uint8Array): boolean {
  const hay = Buffer.from(answer.bytes).toString("latin1");
  return spellings(secret).some((s) => hay.includes(s) || answer.text.includes(s));
}
