import { canonicalJson } from "../../../../protocol/src/canonical.js";
import { P } from "./field.js";

/**
 * Wire messages of one secure-aggregation round. Every message is public on the round's broadcast
 * channel (the chain or the coordinator), except that share ciphertexts can only be opened by their
 * receiver. Byte form: UTF-8 canonical JSON; field elements and keys as 0x-hex strings.
 */
export interface RoundId {
  taskId: number;
  round: number;
}

export interface KeysMsg extends RoundId {
  kind: "secagg/keys";
  from: string;
  /** X25519 public key for share encryption (hex, 32 bytes). */
  cPk: string;
  /** X25519 public key for pairwise masks (hex, 32 bytes). */
  sPk: string;
}

/** U1: the parties whose keys were accepted before the setup deadline, sorted by address. */
export interface RosterMsg extends RoundId {
  kind: "secagg/roster";
  threshold: number;
  vectorLength: number;
  parties: { address: string; cPk: string; sPk: string }[];
}

export interface EncryptedShare {
  to: string;
  /** 24-byte XChaCha20 nonce, hex. */
  nonce: string;
  /** AEAD ciphertext of (b share ‖ mask-key share), hex. */
  ct: string;
}

export interface SharesMsg extends RoundId {
  kind: "secagg/shares";
  from: string;
  shares: EncryptedShare[];
}

/** U2: the share messages accepted before the share deadline, in roster order. */
export interface ShareSetMsg extends RoundId {
  kind: "secagg/share-set";
  messages: SharesMsg[];
}

export interface MaskedMsg extends RoundId {
  kind: "secagg/masked";
  from: string;
  y: string[];
}

/** U3 split: whose self-masks and whose mask keys are to be reconstructed. */
export interface UnmaskRequestMsg extends RoundId {
  kind: "secagg/unmask-request";
  survivors: string[];
  dropped: string[];
}

export interface UnmaskMsg extends RoundId {
  kind: "secagg/unmask";
  from: string;
  /** Shares of b_j for every survivor j (hex field elements). */
  bShares: { of: string; share: string }[];
  /** Shares of the mask secret key of every dropped j. */
  skShares: { of: string; share: string }[];
}

export type SecAggMsg = KeysMsg | RosterMsg | SharesMsg | ShareSetMsg | MaskedMsg | UnmaskRequestMsg | UnmaskMsg;

const ADDRESS = /^0x[0-9a-f]{40}$/;

export function normAddress(a: unknown, field: string): string {
  if (typeof a !== "string" || !ADDRESS.test(a.toLowerCase())) {
    throw new Error(`${field}: ${JSON.stringify(a)} is not a 0x-prefixed 20-byte hex address`);
  }
  return a.toLowerCase();
}

export function hexBytes(s: unknown, len: number | undefined, field: string): Uint8Array {
  if (typeof s !== "string" || !/^0x([0-9a-f]{2})*$/i.test(s)) throw new Error(`${field}: expected 0x-prefixed hex bytes`);
  const b = Uint8Array.from(Buffer.from(s.slice(2), "hex"));
  if (len !== undefined && b.length !== len) throw new Error(`${field}: expected ${len} bytes, got ${b.length}`);
  return b;
}

export function toHex(b: Uint8Array): string {
  return "0x" + Buffer.from(b).toString("hex");
}

export function elemHex(v: bigint): string {
  return "0x" + v.toString(16);
}

export function parseElem(s: unknown, field: string): bigint {
  if (typeof s !== "string" || !/^0x[0-9a-f]+$/i.test(s)) throw new Error(`${field}: expected a 0x-hex field element`);
  const v = BigInt(s);
  if (v >= P) throw new Error(`${field}: value is not below the field modulus`);
  return v;
}

export function encodeMessage(m: SecAggMsg): Uint8Array {
  return new TextEncoder().encode(canonicalJson(m));
}

const KINDS = new Set(["secagg/keys", "secagg/roster", "secagg/shares", "secagg/share-set", "secagg/masked", "secagg/unmask-request", "secagg/unmask"]);

/** Parses bytes from the channel; structure only, the party and server check meaning. */
export function decodeMessage(bytes: Uint8Array): SecAggMsg {
  let m: unknown;
  try {
    m = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new Error("secagg message: payload is not JSON; expected the canonical JSON of a secagg message");
  }
  if (m === null || typeof m !== "object") throw new Error("secagg message: payload must be a JSON object");
  const o = m as Record<string, unknown>;
  if (typeof o.kind !== "string" || !KINDS.has(o.kind)) {
    throw new Error(`secagg message: unknown kind ${JSON.stringify(o.kind)}; expected one of ${[...KINDS].join(", ")}`);
  }
  if (!Number.isInteger(o.taskId) || !Number.isInteger(o.round)) throw new Error("secagg message: taskId and round must be integers");
  return o as unknown as SecAggMsg;
}

export function checkRound(m: RoundId, id: RoundId, what: string): void {
  if (m.taskId !== id.taskId || m.round !== id.round) {
    throw new Error(`${what}: belongs to task ${m.taskId} round ${m.round}, not task ${id.taskId} round ${id.round}`);
  }
}
