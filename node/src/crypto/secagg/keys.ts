import { x25519 } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { canonicalJson } from "../../../../protocol/src/canonical.js";
import { elementToBytes } from "./field.js";
import type { RoundId } from "./messages.js";

/** Domain separation: every derived key names its purpose, task, round and the pair it belongs to. */
const SALT = new TextEncoder().encode("ciphermine/secagg/v1");

function derive(ikm: Uint8Array, info: string): Uint8Array {
  return hkdf(sha256, ikm, SALT, new TextEncoder().encode(info), 32);
}

function pairLabel(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/**
 * A mask secret key is a field element, so it can be Shamir-shared as is; its 32-byte big-endian
 * form is the X25519 scalar (X25519 clamps it).
 */
export function maskKeyBytes(sk: bigint): Uint8Array {
  return elementToBytes(sk);
}

export function publicKey(secret: Uint8Array): Uint8Array {
  return x25519.getPublicKey(secret);
}

function agree(secret: Uint8Array, peerPublic: Uint8Array, peer: string): Uint8Array {
  try {
    return x25519.getSharedSecret(secret, peerPublic);
  } catch (e) {
    throw new Error(`key agreement with ${peer} failed (${(e as Error).message}); its published key is invalid`);
  }
}

export function pairMaskSeed(id: RoundId, sSecret: Uint8Array, peerSPk: Uint8Array, me: string, peer: string): Uint8Array {
  return derive(agree(sSecret, peerSPk, peer), `pairmask|${id.taskId}|${id.round}|${pairLabel(me, peer)}`);
}

export function selfMaskSeed(id: RoundId, b: bigint, owner: string): Uint8Array {
  return derive(elementToBytes(b), `selfmask|${id.taskId}|${id.round}|${owner}`);
}

function shareKey(id: RoundId, cSecret: Uint8Array, peerCPk: Uint8Array, me: string, peer: string): Uint8Array {
  return derive(agree(cSecret, peerCPk, peer), `sharekey|${id.taskId}|${id.round}|${pairLabel(me, peer)}`);
}

/** Associated data: a share ciphertext only opens for its own task, round, sender and receiver. */
function shareAad(id: RoundId, from: string, to: string): Uint8Array {
  return new TextEncoder().encode(canonicalJson({ kind: "secagg/share", taskId: id.taskId, round: id.round, from, to }));
}

export function sealShare(id: RoundId, cSecret: Uint8Array, peerCPk: Uint8Array, from: string, to: string, plain: Uint8Array) {
  const nonce = randomBytes(24);
  const ct = xchacha20poly1305(shareKey(id, cSecret, peerCPk, from, to), nonce, shareAad(id, from, to)).encrypt(plain);
  return { nonce, ct };
}

export function openShare(id: RoundId, cSecret: Uint8Array, peerCPk: Uint8Array, from: string, to: string, nonce: Uint8Array, ct: Uint8Array): Uint8Array {
  try {
    return xchacha20poly1305(shareKey(id, cSecret, peerCPk, to, from), nonce, shareAad(id, from, to)).decrypt(ct);
  } catch {
    throw new Error(`share from ${from} to ${to} failed authentication (tampered, misaddressed or from another round); refusing it`);
  }
}
