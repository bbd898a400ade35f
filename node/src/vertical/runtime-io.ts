import { decodeTable, deliveryFields, encodeTable, type Delivery, type ProtocolEvent, type TableIO, type TablePayload } from "./tables.js";
import { LABEL } from "./protocol.js";

/**
 * The vertical protocol's tables over the round runtime: a table is one blob in the connector's
 * content-addressed store, written by exactly one party; a party's submission in a phase is a
 * manifest naming the tables it wrote in that phase (its hash goes on-chain). Readers learn the
 * tables from earlier phases' manifests and from the requester's round record, and refuse a table
 * name that shows up twice (write-once is checked where tables are read, not trusted).
 */

/** Where a table lives: its writer, blob hash, and the protocol step that wrote it. */
export interface TableRef {
  name: string;
  writer: string;
  hash: string;
  step: number;
}

/** One read of a table by a party during a runtime run. */
export interface RuntimeDelivery extends Delivery {
  hash: string;
  step: number;
  /** Which node read it (the party's node, or the requester). */
  node: string;
}

/** What a party did with a table during a runtime run (opened a sealed one, decrypted ciphertexts). */
export type RuntimeEvent = ProtocolEvent & { step: number; node: string };

/**
 * Records every table delivery of a runtime run (who read which table, under whose key), with the
 * bytes delivered, and what the parties report doing with them (opening sealed tables, with the
 * inner bytes; decrypting), so tests can check what each party ever received. Shared by the nodes
 * of one process.
 */
export class TranscriptRecorder {
  readonly deliveries: RuntimeDelivery[] = [];
  readonly events: RuntimeEvent[] = [];
  private readonly bytesByHash = new Map<string, Uint8Array>();

  record(d: RuntimeDelivery, bytes: Uint8Array): void {
    this.deliveries.push(d);
    this.bytesByHash.set(d.hash, bytes);
  }

  event(e: RuntimeEvent): void {
    this.events.push(e);
  }

  bytes(hash: string): Uint8Array | undefined {
    return this.bytesByHash.get(hash);
  }
}

/** The only party that may write a table of this name (the naming scheme of node/src/vertical/protocol.ts). */
export function writerOf(name: string): string {
  let m = /^(ids|xk|pk|enc-x|model)\/([A-Za-z0-9_-]+)$/.exec(name);
  if (m) return m[2];
  if (name === `enc-y/${LABEL}`) return LABEL;
  m = /^term\/\d+\/([A-Za-z0-9_-]+)->([A-Za-z0-9_-]+)$/.exec(name);
  if (m) return m[1];
  m = /^lterm\/\d+\/([A-Za-z0-9_-]+)$/.exec(name);
  if (m) return m[1];
  m = /^cterm\/[A-Za-z0-9_-]+\/([A-Za-z0-9_-]+)->([A-Za-z0-9_-]+)$/.exec(name);
  if (m) return m[1];
  m = /^cown\/[A-Za-z0-9_-]+\/([A-Za-z0-9_-]+)$/.exec(name);
  if (m) return m[1];
  if (/^grad\/\d+\/[A-Za-z0-9_-]+$/.test(name)) return LABEL;
  m = /^conv\/\d+\/([A-Za-z0-9_-]+)$/.exec(name);
  if (m) return m[1];
  if (name === `stop/${LABEL}`) return LABEL;
  throw new Error(
    `table name ${JSON.stringify(name)} is not one of the protocol's tables (ids/P, xk/P, pk/P, enc-y/y, enc-x/j, term/t/i->j, lterm/t/j, grad/t/j, conv/t/j, stop/y, model/j, cterm/tag/i->j, cown/tag/j)`,
  );
}

/**
 * Adds tables to an index, refusing a second write: a name already present (other than the
 * very same entry seen again), or written by a party other than the one its name allows.
 */
export function mergeTables(index: Record<string, TableRef>, refs: readonly TableRef[], from: string): void {
  for (const r of refs) {
    const w = writerOf(r.name);
    if (w !== r.writer) throw new Error(`table ${r.name}: written by ${r.writer} (${from}), but only ${w} may write it`);
    const prev = index[r.name];
    if (prev) {
      if (prev.hash === r.hash && prev.writer === r.writer && prev.step === r.step) continue;
      throw new Error(`table ${r.name}: already written by ${prev.writer} at step ${prev.step}; a second write (${from}, step ${r.step}) is refused: tables are write-once`);
    }
    index[r.name] = { ...r };
  }
}

/** Content-addressed, so cached bytes never go stale; shared by the nodes of a process. */
const cache = new Map<string, Uint8Array>();

export interface BlobReader {
  /**
   * The bytes named `hash`, already checked against it: the runtime's reader is the connector
   * client, which refuses bytes that do not match their name, so tables are not hashed twice.
   */
  get(hash: string): Promise<Uint8Array>;
}
export interface BlobWriter {
  put(bytes: Uint8Array): Promise<string>;
}

export async function fetchTable(blobs: BlobReader, ref: TableRef): Promise<Uint8Array> {
  const hit = cache.get(ref.hash);
  if (hit) return hit;
  const bytes = await blobs.get(ref.hash);
  if (cache.size > 4096) cache.clear();
  cache.set(ref.hash, bytes);
  return bytes;
}

/**
 * TableIO for one party's step: reads come from the tables known so far (fetched before the step
 * runs, since the protocol's reads are synchronous), writes are kept until flush() puts them in the
 * blob store. A party writes only under its own name; a name already known or written is refused.
 */
export class RuntimeTableIO implements TableIO {
  private readonly pending = new Map<string, Uint8Array>();
  private constructor(
    private readonly party: string,
    private readonly node: string,
    private readonly step: number,
    private readonly index: Record<string, TableRef>,
    private readonly bytes: Map<string, Uint8Array>,
    private readonly recorder?: TranscriptRecorder,
  ) {}

  /** Fetches the bytes of the given tables (default: every table in the index). */
  static async open(o: {
    party: string;
    node: string;
    step: number;
    index: Record<string, TableRef>;
    blobs: BlobReader;
    recorder?: TranscriptRecorder;
    names?: string[];
  }): Promise<RuntimeTableIO> {
    const bytes = new Map<string, Uint8Array>();
    for (const name of o.names ?? Object.keys(o.index)) {
      const ref = o.index[name];
      if (ref) bytes.set(name, await fetchTable(o.blobs, ref));
    }
    return new RuntimeTableIO(o.party, o.node, o.step, o.index, bytes, o.recorder);
  }

  write(name: string, writer: string, payload: TablePayload): void {
    if (writer !== this.party) throw new Error(`table ${name}: ${this.party} cannot write as ${writer}`);
    const w = writerOf(name);
    if (w !== writer) throw new Error(`table ${name}: only ${w} may write it, not ${writer}`);
    const prev = this.index[name];
    if (prev) throw new Error(`table ${name}: already written by ${prev.writer} at step ${prev.step}; tables are write-once`);
    if (this.pending.has(name)) throw new Error(`table ${name}: already written by ${writer} in this step; tables are write-once`);
    this.pending.set(name, encodeTable(payload));
  }

  read(name: string, reader: string): TablePayload {
    if (reader !== this.party) throw new Error(`table ${name}: read for ${reader} through ${this.party}'s store`);
    const ref = this.index[name];
    const bytes = ref && this.bytes.get(name);
    if (!ref || !bytes) throw new Error(`table ${name}: not available to ${reader} at step ${this.step}; its writer has not published it`);
    const t = decodeTable(name, bytes);
    this.recorder?.record({ table: name, writer: ref.writer, reader, ...deliveryFields(t), bytes: bytes.length, hash: ref.hash, step: this.step, node: this.node }, bytes);
    return t;
  }

  note(e: ProtocolEvent): void {
    this.recorder?.event({ ...e, step: this.step, node: this.node });
  }

  /** Names written in this step, not yet flushed. */
  written(): string[] {
    return [...this.pending.keys()];
  }

  /** Puts every written table in the blob store; returns their references for the manifest. */
  async flush(blobs: BlobWriter): Promise<TableRef[]> {
    const out: TableRef[] = [];
    for (const [name, bytes] of this.pending) {
      const hash = await blobs.put(bytes);
      cache.set(hash, bytes);
      out.push({ name, writer: this.party, hash, step: this.step });
    }
    return out;
  }
}
