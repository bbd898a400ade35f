/** JSON ⇄ bytes for the plaintext baseline messages (no framing needed: nothing is secret there). */
export const jsonBytes = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));
export function bytesJson<T>(b: Uint8Array, what: string): T {
  try {
    return JSON.parse(new TextDecoder().decode(b)) as T;
  } catch {
    throw new Error(`${what}: not a JSON message`);
  }
}
