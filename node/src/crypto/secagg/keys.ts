import { agree as x25519Agree, boxKey, openWithKey, sealWithKey, x25519PublicKey } from "../sealedbox.js";
import { canonicalJson } from "../../../../protocol/src/canonical.js";
import { elementToBytes } from "./field.js";
import type { RoundId } from "./messages.js";

/**
 * Domain separation: every derived key names its purpose, task, round and the pair it belongs to
 * (the HKDF info of the one key schedule, crypto/sealedbox.ts, under this salt).
 */
const SALT = new TextEncoder().encode("ciphermine/secagg/v1");

function derive(ikm: Uint8Array, info: string): Uint8Array {
  return boxKey(ikm, info, SALT);
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
  return x25519PublicKey(secret);
}

function agree(secret: Uint8Array, peerPublic: Uint8Array, peer: string): Uint8Array {
  try {
    return x25519Agree(secret, peerPublic);
  } catch (e) {
    throw new Error(`key agreement with ${peer} failed (${(e as Error).message}); its published key is invalid`, { cause: e });
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
  return sealWithKey(shareKey(id, cSecret, peerCPk, from, to), plain, shareAad(id, from, to));
}

export function openShare(id: RoundId, cSecret: Uint8Array, peerCPk: Uint8Array, from: string, to: string, nonce: Uint8Array, ct: Uint8Array): Uint8Array {
  try {
    return openWithKey(shareKey(id, cSecret, peerCPk, to, from), nonce, ct, shareAad(id, from, to));
  } catch {
    throw new Error(`share from ${from} to ${to} failed authentication (tampered, misaddressed or from another round); refusing it`);
  }
}
