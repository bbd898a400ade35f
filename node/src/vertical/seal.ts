import { x25519 } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { agree, boxKey, openWithKey, sealWithKey } from "../crypto/sealedbox.js";
import { bitLength, fromBytes } from "../crypto/bigmath.js";
import { decodeTable, encodeTable, type TableIO, type TablePayload } from "./tables.js";

/**
 * Point-to-point confidentiality between vertical parties, and the pairwise masks of the
 * label-key mode. Every party makes an X25519 key pair per task and publishes its public key (xk/P).
 *
 * Sealed tables (the one box construction, crypto/sealedbox.ts): the inner payload is encrypted
 * once with XChaCha20-Poly1305 under a fresh content key (the table name as associated data, so a
 * sealed table cannot be passed off under another name), and the content key is wrapped for each
 * addressee under HKDF-SHA256 of the writer's and the addressee's X25519 shared secret (the label
 * "ciphermine vlinreg seal", the table name and direction in the HKDF info). Anyone can fetch the
 * table; only an addressee can open it.
 *
 * Masks: x_i and x_j derive the same pseudo-random value from their shared secret (HKDF with the
 * mask's name as info), taken 128 bits longer than the Paillier modulus N and reduced mod N, so it
 * is within 2^-128 of uniform mod N: a value plus such a mask, mod N, says nothing about the value
 * to anyone without the shared secret.
 */

const enc = new TextEncoder();

const hex = (b: Uint8Array) => "0x" + Buffer.from(b).toString("hex");

function unhex(s: string, field: string, bytes?: number): Uint8Array {
  if (typeof s !== "string" || !/^0x([0-9a-fA-F]{2})*$/.test(s)) throw new Error(`${field}: expected 0x-prefixed hex bytes`);
  const b = Uint8Array.from(Buffer.from(s.slice(2), "hex"));
  if (bytes !== undefined && b.length !== bytes) throw new Error(`${field}: expected ${bytes} bytes, got ${b.length}`);
  return b;
}

export function newSealSecret(): Uint8Array {
  return x25519.utils.randomSecretKey();
}

export function sealSecretHex(secret: Uint8Array): string {
  return hex(secret);
}

export function sealSecretFromHex(s: string): Uint8Array {
  return unhex(s, "X25519 secret key", 32);
}

/** xk/P: the party's X25519 public key. */
export function sealKeyTable(secret: Uint8Array): TablePayload {
  return { type: "x25519-pk", key: hex(x25519.getPublicKey(secret)) };
}

export function readSealKey(store: TableIO, party: string, reader: string): Uint8Array {
  const t = store.read(`xk/${party}`, reader);
  if (t.type !== "x25519-pk") throw new Error(`table xk/${party}: expected an X25519 public key, got ${t.type}`);
  return unhex(t.key, `table xk/${party}`, 32);
}

/** The X25519 secret both ends of a pair derive (x25519 refuses low-order public keys); one per pair and task. */
export function pairSecret(secret: Uint8Array, peerKey: Uint8Array): Uint8Array {
  return agree(secret, peerKey);
}

function wrapKey(shared: Uint8Array, name: string, from: string, to: string): Uint8Array {
  return boxKey(shared, `ciphermine vlinreg seal ${name} ${from}->${to}`);
}

/** A sealed table `name` holding `inner`, readable by the parties in `to` (each with the writer's pairSecret with it). */
export function sealTable(name: string, inner: TablePayload, from: string, to: { party: string; shared: Uint8Array }[]): TablePayload {
  if (to.length === 0) throw new Error(`table ${name}: a sealed table needs at least one addressee`);
  const content = randomBytes(32);
  const { nonce, ct: data } = sealWithKey(content, encodeTable(inner), enc.encode(name));
  return {
    type: "sealed",
    from,
    to: to.map(({ party, shared }) => {
      const wrapped = sealWithKey(wrapKey(shared, name, from, party), content);
      return { party, nonce: hex(wrapped.nonce), key: hex(wrapped.ct) };
    }),
    nonce: hex(nonce),
    data: Buffer.from(data).toString("base64"),
  };
}

/** Opens sealed table `name` as `reader`, with its pairSecret with the writer (whose key is xk/writer). */
export function openSealedTable(name: string, t: TablePayload, reader: string, shared: Uint8Array): { payload: TablePayload; bytes: Uint8Array } {
  if (t.type !== "sealed") throw new Error(`table ${name}: expected a sealed table, got ${t.type}`);
  const entry = t.to.find((x) => x.party === reader);
  if (!entry) throw new Error(`table ${name}: sealed to ${t.to.map((x) => x.party).join(", ")}, not to ${reader}`);
  let bytes: Uint8Array;
  try {
    const content = openWithKey(wrapKey(shared, name, t.from, reader), unhex(entry.nonce, `table ${name} nonce`, 24), unhex(entry.key, `table ${name} key`));
    bytes = openWithKey(content, unhex(t.nonce, `table ${name} nonce`, 24), Uint8Array.from(Buffer.from(t.data, "base64")), enc.encode(name));
  } catch (e) {
    if (e instanceof Error && /expected/.test(e.message)) throw e;
    throw new Error(`table ${name}: does not open for ${reader} with ${t.from}'s published key (sealed under other keys, or altered)`, { cause: e });
  }
  return { payload: decodeTable(name, bytes), bytes };
}

/** Reads and opens a sealed table, and notes what the reader saw inside. */
export function readSealed(store: TableIO, name: string, reader: string, shared: Uint8Array): TablePayload {
  const { payload, bytes } = openSealedTable(name, store.read(name, reader), reader, shared);
  store.note?.({ kind: "opened", table: name, reader, type: payload.type, key: payload.type === "ciphertexts" || payload.type === "masked" ? payload.key : undefined, bytes });
  return payload;
}

/** A value within 2^-128 of uniform in [0, n), determined by `seed` and the mask's name. */
export function maskMod(seed: Uint8Array, info: string, n: bigint): bigint {
  const len = Math.ceil(bitLength(n) / 8) + 16;
  if (len > 255 * 32) throw new Error(`maskMod: modulus of ${bitLength(n)} bits is too large for one HKDF output`);
  return fromBytes(hkdf(sha256, seed, undefined, enc.encode(`ciphermine vlinreg mask ${info}`), len)) % n;
}

/** Fresh secret seed of a party's own masks. */
export function newMaskSeed(): Uint8Array {
  return randomBytes(32);
}

export { hex as bytesHex, unhex as hexBytes };
