import { bigToBytes, bytesToBig } from "./bigmath.js";

/**
 * Write-once tables, the unit of exchange between vertical parties (as in fiu-cloud: every table is
 * written once by exactly one party, many may read it). The runtime maps a table to a blob in the
 * content-addressed store and its name to a round output; here they live in memory. The transcript
 * records every delivery (which party read which table) so tests can check what each party saw.
 */
export type TablePayload =
  | { type: "ids"; ids: string[] }
  | { type: "paillier-pk"; n: string }
  /** Paillier ciphertexts under `key`'s public key, fixed width, big-endian, concatenated. */
  | { type: "ciphertexts"; key: string; width: number; count: number; data: string }
  /** A feature party's final coefficients divided by its columns' standard deviations (the model is the task's output). */
  | { type: "model"; columns: string[]; coefOverSd: number[]; offset: number };

export interface Delivery {
  table: string;
  writer: string;
  reader: string;
  type: TablePayload["type"];
  /** For ciphertext tables: whose key encrypts them. */
  key?: string;
  bytes: number;
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
  if (!t || typeof t !== "object" || !["ids", "paillier-pk", "ciphertexts", "model"].includes(t.type)) {
    throw new Error(`table ${name}: unknown payload type ${JSON.stringify((t as { type?: unknown })?.type)}`);
  }
  return t;
}

export function ciphertextTable(key: string, cts: readonly bigint[], n2: bigint): TablePayload {
  const width = Math.ceil(n2.toString(16).length / 2);
  const buf = new Uint8Array(width * cts.length);
  cts.forEach((c, i) => buf.set(bigToBytes(c, width), i * width));
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
    const c = bytesToBig(buf.subarray(i * t.width, (i + 1) * t.width));
    if (c <= 0n || c >= n2) throw new Error(`table ${name}: ciphertext ${i} is outside [1, N²)`);
    out[i] = c;
  }
  return out;
}

/** What parties need from the exchange: the runtime implements it over the blob store and round outputs. */
export interface TableIO {
  write(name: string, writer: string, payload: TablePayload): void;
  read(name: string, reader: string): TablePayload;
}

export class TableStore implements TableIO {
  private readonly tables = new Map<string, { writer: string; payload: Uint8Array; parsed: TablePayload }>();
  readonly transcript: Delivery[] = [];

  write(name: string, writer: string, payload: TablePayload): void {
    const prev = this.tables.get(name);
    if (prev) throw new Error(`table ${name}: already written by ${prev.writer}; tables are write-once`);
    const bytes = encodeTable(payload);
    this.tables.set(name, { writer, payload: bytes, parsed: decodeTable(name, bytes) });
  }

  read(name: string, reader: string): TablePayload {
    const t = this.tables.get(name);
    if (!t) throw new Error(`table ${name}: not written yet; ${reader} must wait for its writer`);
    this.transcript.push({ table: name, writer: t.writer, reader, type: t.parsed.type, key: t.parsed.type === "ciphertexts" ? t.parsed.key : undefined, bytes: t.payload.length });
    return t.parsed;
  }

  /** Raw bytes of a table (for inspection by tests and for the runtime's blob store). */
  bytes(name: string): Uint8Array | undefined {
    return this.tables.get(name)?.payload;
  }

  names(): string[] {
    return [...this.tables.keys()];
  }
}
