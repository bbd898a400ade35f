import { createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from "node:crypto";
import { x25519 } from "@noble/curves/ed25519.js";
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { randomBytes } from "@noble/hashes/utils.js";

/**
 * The one X25519 + HKDF-SHA256 + XChaCha20-Poly1305 construction of the node. Every use agrees a
 * key with X25519, derives it with HKDF-SHA256 under its own label (the HKDF info; the salt where
 * a use binds the public keys), and encrypts with XChaCha20-Poly1305 under a random 24-byte nonce
 * and associated data naming what the box is for. The uses, each with its label:
 *
 * - requester results (`sealTo`/`openSealed`): an anonymous sealed box to one public key;
 * - secure-aggregation shares (crypto/secagg/keys.ts): between two members' round keys;
 * - vertical regression tables and vlinreg (vertical/seal.ts): a content key wrapped for each
 *   addressee under the writer's pairwise key with it.
 *
 * The anonymous sealed box is the ECIES/HPKE-Base shape (RFC 9180 §5.1 mode_base, with
 * XChaCha20-Poly1305 in place of its AEAD list, as libsodium's crypto_box_seal pairs X25519 with XChaCha):
 *
 *   epk = X25519(esk, G) for a fresh esk;  dh = X25519(esk, rpk)
 *   key = HKDF-SHA256(ikm = dh, salt = epk ‖ rpk, info = DOMAIN)
 *   box = VERSION ‖ epk ‖ nonce(24) ‖ XChaCha20-Poly1305(key, nonce, ad = DOMAIN ‖ 0 ‖ context)
 *
 * Both public keys are in the key schedule (a box re-addressed to another key, or with its epk
 * swapped, does not open), and `context` (e.g. task/round/member) is the associated data, so a box
 * made for one contribution cannot be replayed as another's. The ephemeral key makes every box's
 * key fresh; the random nonce costs 24 bytes and keeps the AEAD safe even if esk were reused.
 */

const enc = new TextEncoder();

// X25519 runs in node:crypto (OpenSSL): the same RFC 7748 function as @noble/curves' x25519
// (clamped scalar, the public key's top bit ignored), about 15 times faster per agreement, and
// every round makes several (each sealed contribution, each secagg pair). Raw 32-byte keys enter
// through their fixed DER prefixes (RFC 8410).
const PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b656e032100", "hex");

function privateKeyObject(secret: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, key32(secret, "the secret key")]), format: "der", type: "pkcs8" });
}

/** The X25519 public key of a 32-byte secret key. */
export function x25519PublicKey(secret: Uint8Array): Uint8Array {
  const der = createPublicKey(privateKeyObject(secret)).export({ format: "der", type: "spki" });
  return new Uint8Array(der.subarray(SPKI_PREFIX.length));
}

/** X25519 shared secret with a peer; a low-order public key (all-zero secret) is refused. */
export function agree(secret: Uint8Array, peerPublic: Uint8Array): Uint8Array {
  const publicKey = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, key32(peerPublic, "the peer's public key")]), format: "der", type: "spki" });
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey: privateKeyObject(secret), publicKey });
  } catch (e) {
    // OpenSSL refuses exactly the all-zero result, as RFC 7748 §6.1 asks.
    throw new Error("X25519: the peer's public key is of low order (no shared secret)", { cause: e });
  }
  return new Uint8Array(shared);
}

/** The key schedule of every box: HKDF-SHA256(ikm = shared, salt, info = label), 32 bytes. */
export function boxKey(shared: Uint8Array, label: string | Uint8Array, salt?: Uint8Array): Uint8Array {
  return hkdf(sha256, shared, salt, typeof label === "string" ? enc.encode(label) : label, 32);
}

export const NONCE_BYTES = 24;

/** XChaCha20-Poly1305 under `key` with a fresh random nonce; `ad` binds what the box is for. */
export function sealWithKey(key: Uint8Array, plain: Uint8Array, ad?: Uint8Array): { nonce: Uint8Array; ct: Uint8Array } {
  const nonce = randomBytes(NONCE_BYTES);
  return { nonce, ct: xchacha20poly1305(key, nonce, ad).encrypt(plain) };
}

/** Opens what `sealWithKey` made; throws (the AEAD's error) on a wrong key, nonce, ad or altered bytes. */
export function openWithKey(key: Uint8Array, nonce: Uint8Array, ct: Uint8Array, ad?: Uint8Array): Uint8Array {
  return xchacha20poly1305(key, nonce, ad).decrypt(ct);
}

const VERSION = 1;
const DOMAIN = enc.encode("ciphermine sealedbox v1");
const HEADER = 1 + 32 + NONCE_BYTES;
/** Bytes a box adds to its plaintext: version, ephemeral key, nonce, Poly1305 tag. */
export const SEALED_OVERHEAD = HEADER + 16;

function ad(context: string): Uint8Array {
  const c = enc.encode(context);
  const out = new Uint8Array(DOMAIN.length + 1 + c.length);
  out.set(DOMAIN, 0);
  out.set(c, DOMAIN.length + 1);
  return out;
}

function anonymousKey(dh: Uint8Array, epk: Uint8Array, rpk: Uint8Array): Uint8Array {
  const salt = new Uint8Array(64);
  salt.set(epk, 0);
  salt.set(rpk, 32);
  return boxKey(dh, DOMAIN, salt);
}

function key32(k: Uint8Array, what: string): Uint8Array {
  if (!(k instanceof Uint8Array) || k.length !== 32) throw new Error(`sealed box: ${what} must be 32 bytes (an X25519 key)`);
  return k;
}

/** Seals `plain` to `recipient` (X25519 public key) under `context`. */
export function sealTo(recipient: Uint8Array, plain: Uint8Array, context: string): Uint8Array {
  const rpk = key32(recipient, "the recipient's public key");
  const esk = x25519.utils.randomSecretKey();
  const epk = x25519PublicKey(esk);
  // x25519 throws on a low-order recipient key (all-zero shared secret): nothing is sealed to it.
  const { nonce, ct } = sealWithKey(anonymousKey(agree(esk, rpk), epk, rpk), plain, ad(context));
  const out = new Uint8Array(HEADER + ct.length);
  out[0] = VERSION;
  out.set(epk, 1);
  out.set(nonce, 33);
  out.set(ct, HEADER);
  return out;
}

/** Whether `bytes` has the shape of a sealed box (it may still not open). */
export function isSealedBox(bytes: Uint8Array): boolean {
  return bytes.length >= SEALED_OVERHEAD && bytes[0] === VERSION;
}

/**
 * Opens a box sealed to the public key of `secretKey` under `context`. Throws one message for
 * every failure (wrong key, wrong context, altered bytes): the AEAD cannot tell them apart.
 * `publicKey`, when the caller holds it, must be the secret key's (it saves deriving it again).
 */
export function openSealed(secretKey: Uint8Array, box: Uint8Array, context: string, publicKey?: Uint8Array): Uint8Array {
  const sk = key32(secretKey, "the secret key");
  if (!isSealedBox(box)) throw new Error(`sealed box: not a sealed box (expected version ${VERSION} and at least ${SEALED_OVERHEAD} bytes, got ${box.length})`);
  const epk = box.subarray(1, 33);
  try {
    const key = anonymousKey(agree(sk, epk), epk, publicKey ?? x25519PublicKey(sk));
    return openWithKey(key, box.slice(33, HEADER), box.subarray(HEADER), ad(context));
  } catch {
    throw new Error("sealed box: does not open with this key and context (sealed to another key, for another context, or altered)");
  }
}
