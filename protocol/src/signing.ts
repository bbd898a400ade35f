import { getAddress, verifyMessage, type Signer } from "ethers";
import { keccakHex } from "./hash.js";

/**
 * Every request between parties is signed with the sender's Ethereum key (EIP-191 personal
 * message). The signed text binds the method, path, body hash, a timestamp and a nonce, so a
 * captured request cannot be replayed elsewhere or later.
 */
export const SIGNATURE_HEADERS = {
  address: "x-cm-address",
  timestamp: "x-cm-timestamp",
  nonce: "x-cm-nonce",
  signature: "x-cm-signature",
} as const;

/** How far a request's timestamp may be from the verifier's clock. */
export const MAX_CLOCK_SKEW_MS = 60_000;

export interface SignedHeaders {
  [SIGNATURE_HEADERS.address]: string;
  [SIGNATURE_HEADERS.timestamp]: string;
  [SIGNATURE_HEADERS.nonce]: string;
  [SIGNATURE_HEADERS.signature]: string;
}

/**
 * The body hash a signature covers: keccak256, the very function that names a blob
 * (chain-connector's blobHash), so a blob upload is hashed once per side and its signed body hash
 * is its name.
 */
export const bodyHash = keccakHex;

export function signingText(method: string, path: string, body: Uint8Array, timestamp: string, nonce: string): string {
  return signingTextOfHash(method, path, bodyHash(body), timestamp, nonce);
}

/** signingText for a body whose hash is already known. */
export function signingTextOfHash(method: string, path: string, hash: string, timestamp: string, nonce: string): string {
  return ["ciphermine/v1", method.toUpperCase(), path, hash.toLowerCase(), timestamp, nonce].join("\n");
}

/**
 * Signs a request. `knownHash` is bodyHash(body) when the caller already computed it (a blob
 * upload names its bytes by that hash): it spares hashing the body again. A wrong one only makes
 * the verifier refuse the request, since the verifier hashes the body it received.
 */
export async function signRequest(signer: Signer, method: string, path: string, body: Uint8Array, knownHash?: string): Promise<SignedHeaders> {
  const timestamp = String(Date.now());
  const nonce = crypto.randomUUID();
  const signature = await signer.signMessage(signingTextOfHash(method, path, knownHash ?? bodyHash(body), timestamp, nonce));
  return {
    [SIGNATURE_HEADERS.address]: await signer.getAddress(),
    [SIGNATURE_HEADERS.timestamp]: timestamp,
    [SIGNATURE_HEADERS.nonce]: nonce,
    [SIGNATURE_HEADERS.signature]: signature,
  };
}

export class AuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AuthError";
  }
}

/**
 * Records a request's nonce and reports whether it was already used. `timestampMs` is the
 * request's signed timestamp: a memory must keep the nonce until timestampMs + MAX_CLOCK_SKEW_MS,
 * after which the timestamp check alone refuses the request. nonceMemory() keeps them in RAM; a
 * verifier that restarts needs a persistent one (the node's is node/src/store/nonces.ts), or a
 * captured request is accepted again for up to the window after a restart.
 */
export type NonceCheck = (address: string, nonce: string, timestampMs: number) => boolean;

/**
 * Checks a signed request and returns the signer's address. `seenNonce` records the nonce and
 * reports whether it was already used inside the skew window (the caller keeps that memory).
 */
export function verifyRequest(
  headers: Record<string, string | string[] | undefined>,
  method: string,
  path: string,
  body: Uint8Array,
  seenNonce: NonceCheck,
  now = Date.now(),
): string {
  return verifySignedRequest(headers, method, path, body, seenNonce, now).address;
}

/**
 * verifyRequest that also returns the body hash it computed from the bytes it received: a
 * server that stores the body as a blob uses it as the blob's name instead of hashing again.
 */
export function verifySignedRequest(
  headers: Record<string, string | string[] | undefined>,
  method: string,
  path: string,
  body: Uint8Array,
  seenNonce: NonceCheck,
  now = Date.now(),
): { address: string; bodyHash: string } {
  const h = (k: string) => {
    const v = headers[k];
    if (typeof v !== "string" || v.length === 0) throw new AuthError(`missing header ${k}: sign the request with the node's key`);
    return v;
  };
  const claimed = h(SIGNATURE_HEADERS.address);
  const timestamp = h(SIGNATURE_HEADERS.timestamp);
  const nonce = h(SIGNATURE_HEADERS.nonce);
  const signature = h(SIGNATURE_HEADERS.signature);
  const ts = Number(timestamp);
  if (!Number.isFinite(ts) || Math.abs(now - ts) > MAX_CLOCK_SKEW_MS)
    throw new AuthError(`${SIGNATURE_HEADERS.timestamp} is outside ±${MAX_CLOCK_SKEW_MS / 1000}s of the server clock: check the clock`);
  let recovered: string;
  const hash = bodyHash(body);
  try {
    recovered = verifyMessage(signingTextOfHash(method, path, hash, timestamp, nonce), signature);
  } catch {
    throw new AuthError(`${SIGNATURE_HEADERS.signature} is not a valid signature`);
  }
  if (getAddress(recovered) !== getAddress(claimed)) throw new AuthError(`${SIGNATURE_HEADERS.signature} was not made by ${claimed}`);
  if (seenNonce(getAddress(recovered), nonce, ts)) throw new AuthError(`${SIGNATURE_HEADERS.nonce} was already used: replayed request refused`);
  return { address: getAddress(recovered), bodyHash: hash };
}

/** A nonce memory in RAM that forgets entries older than the skew window; protocol/src/nonces.ts keeps one in SQLite. */
export function nonceMemory(): NonceCheck {
  const seen = new Map<string, number>();
  return (address, nonce) => {
    const now = Date.now();
    if (seen.size > 10_000) for (const [k, t] of seen) if (now - t > 2 * MAX_CLOCK_SKEW_MS) seen.delete(k);
    const key = `${address}:${nonce}`;
    if (seen.has(key)) return true;
    seen.set(key, now);
    return false;
  };
}
