import { fromBytes, toBytes } from "../crypto/bigmath.js";

/**
 * Write-once tables, the unit of exchange between vertical parties (as in fiu-cloud: every table is
 * written once by exactly one party, many may read it). The runtime maps a table to a blob in the
 * content-addressed store and its name to a round output; here they live in memory. The transcript
 * records every delivery (which party read which table) so tests can check what each party saw.
 */
export type TablePayload =
  | { type: "ids"; ids: string[] }
  /**
   * A Paillier public key; `hs` is its Damgård–Jurik–Nielsen randomness base, for others' fast
   * encryption under it; `cert` its certificate (crypto/paillier-proofs/certificate.ts), which
   * readers verify before using the key.
   */
  | { type: "paillier-pk"; n: string; hs?: string; cert?: string }
  /** A party's X25519 public key (0x + hex) for tables sealed to it and for pairwise masks. */
  | { type: "x25519-pk"; key: string }
  /** Paillier ciphertexts under `key`'s public key, fixed width, big-endian, concatenated. */
  | { type: "ciphertexts"; key: string; width: number; count: number; data: string }
  /** Decrypted plaintexts (mod N of `key`'s Paillier key, 0x + hex) that carry a mask only the reader can remove. */
  | { type: "masked"; key: string; values: string[] }
  /**
   * Another table's payload readable only by the parties in `to` (node/src/vertical/seal.ts): `data` is the
   * inner payload under a one-time content key, which each addressee unwraps from its entry.
   */
  | { type: "sealed"; from: string; to: { party: string; nonce: string; key: string }[]; nonce: string; data: string }
  /** A feature party's final coefficients divided by its columns' standard deviations (the model is the task's output). */
  | { type: "model"; columns: string[]; coefOverSd: number[]; offset: number }
  /**
   * conv/t/j: whether feature party j's coefficients moved by less than the task's tolerance in
   * iteration t (one bit per iteration); stop/y: the label party saw every party settle.
   */
  | { type: "progress"; settled: boolean };

const TYPES: TablePayload["type"][] = ["ids", "paillier-pk", "x25519-pk", "ciphertexts", "masked", "sealed", "model", "progress"];

export interface Delivery {
  table: string;
  writer: string;
  reader: string;
  type: TablePayload["type"];
  /** For ciphertext tables: whose key encrypts them. */
  key?: string;
  /** For sealed tables: the parties it is addressed to. */
  to?: string[];
  bytes: number;
}

/**
 * What a party did with a table beyond reading it, reported by the protocol so the transcript shows
 * it: opening a sealed table (with the inner payload it saw) and decrypting Paillier ciphertexts
 * (the tables whose product it decrypted).
 */
export type ProtocolEvent =
  | { kind: "opened"; table: string; reader: string; type: TablePayload["type"]; key?: string; bytes: Uint8Array }
  | { kind: "decrypted"; reader: string; key: string; tables: string[]; count: number };

/** The transcript fields of a read of `t`. */
export function deliveryFields(t: TablePayload): Pick<Delivery, "type" | "key" | "to"> {
  return {
    type: t.type,
    key: t.type === "ciphertexts" || t.type === "masked" ? t.key : undefined,
    to: t.type === "sealed" ? t.to.map((x) => x.party) : undefined,
  };
}

export function encodeTable(t: TablePayload): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(t));
}

export function decodeTable(name: string, bytes: Uint8Array): TablePayload {
  let t: TablePayload;
  try {
    t = JSON.parse(new TextDecoder().decode(bytes)) as TablePayload;
  } catch {
    throw new Error(`table ${name}: payload is not JSON`);
  }
  if (!t || typeof t !== "object" || !TYPES.includes(t.type)) {
    throw new Error(`table ${name}: unknown payload type ${JSON.stringify((t as { type?: unknown })?.type)}`);
  }
  return t;
}

export function ciphertextTable(key: string, cts: readonly bigint[], n2: bigint): TablePayload {
  const width = Math.ceil(n2.toString(16).length / 2);
  const buf = new Uint8Array(width * cts.length);
  cts.forEach((c, i) => buf.set(toBytes(c, width), i * width));
  return { type: "ciphertexts", key, width, count: cts.length, data: Buffer.from(buf).toString("base64") };
}

export function readCiphertexts(name: string, t: TablePayload, key: string, count: number, n2: bigint): bigint[] {
  if (t.type !== "ciphertexts") throw new Error(`table ${name}: expected ciphertexts, got ${t.type}`);
  if (t.key !== key) throw new Error(`table ${name}: ciphertexts are under ${t.key}'s key, expected ${key}'s`);
  if (t.count !== count) throw new Error(`table ${name}: ${t.count} ciphertexts, expected ${count}`);
  const buf = Buffer.from(t.data, "base64");
  if (buf.length !== t.width * t.count) throw new Error(`table ${name}: data length ${buf.length} ≠ width ${t.width} × count ${t.count}`);
  const out = new Array<bigint>(count);
  for (let i = 0; i < count; i++) {
    const c = fromBytes(buf.subarray(i * t.width, (i + 1) * t.width));
    if (c <= 0n || c >= n2) throw new Error(`table ${name}: ciphertext ${i} is outside [1, N²)`);
    out[i] = c;
  }
  return out;
}

/** What parties need from the exchange: the runtime implements it over the blob store and round outputs. */
export interface TableIO {
  write(name: string, writer: string, payload: TablePayload): void;
  read(name: string, reader: string): TablePayload;
  /** Records what the reader did with a table (tests check it); optional. */
  note?(e: ProtocolEvent): void;
}

export class TableStore implements TableIO {
  private readonly tables = new Map<string, { writer: string; payload: Uint8Array; parsed: TablePayload }>();
  readonly transcript: Delivery[] = [];
  readonly events: ProtocolEvent[] = [];

  write(name: string, writer: string, payload: TablePayload): void {
    const prev = this.tables.get(name);
    if (prev) throw new Error(`table ${name}: already written by ${prev.writer}; tables are write-once`);
    const bytes = encodeTable(payload);
    this.tables.set(name, { writer, payload: bytes, parsed: decodeTable(name, bytes) });
  }

  read(name: string, reader: string): TablePayload {
    const t = this.tables.get(name);
    if (!t) throw new Error(`table ${name}: not written yet; ${reader} must wait for its writer`);
    this.transcript.push({ table: name, writer: t.writer, reader, ...deliveryFields(t.parsed), bytes: t.payload.length });
    return t.parsed;
  }

  note(e: ProtocolEvent): void {
    this.events.push(e);
  }

  /** Raw bytes of a table (for inspection by tests and for the runtime's blob store). */
  bytes(name: string): Uint8Array | undefined {
    return this.tables.get(name)?.payload;
  }

  names(): string[] {
    return [...this.tables.keys()];
  }
}
