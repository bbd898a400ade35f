import { createReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { constants } from "node:fs";
import { basename } from "node:path";
import { keccak256 } from "ethers";
import { keccak_256 } from "@noble/hashes/sha3.js";
import type { DatasetConfig } from "../config.js";
import { CsvParser, DataError, parseCsv } from "./csv.js";
import { JsonlParser, parseJsonl } from "./jsonl.js";
import { parseNpy } from "./npy.js";
import { buildTable, TableBuilder, type RawRecord, type Table } from "./table.js";

export { DataError } from "./csv.js";
export type { Table } from "./table.js";

export interface LoadedFile {
  table: Table;
  /** keccak256 of the file's bytes: a changed file is noticed before it is computed on. */
  fileHash: string;
}

/** Default of config maxDatasetBytes. */
export const DEFAULT_MAX_DATASET_BYTES = 1 << 30;

/** Parses file bytes in the dataset's format and checks them (no I/O). */
export function tableFromBytes(bytes: Uint8Array, spec: Omit<DatasetConfig, "path" | "name">, source: string): Table {
  switch (spec.format) {
    case "csv": {
      const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
      const recs = parseCsv(text, source);
      if (recs.length === 0) throw new DataError(`${source}: the file is empty; the first line must be the header`);
      const [head, ...rest] = recs;
      return buildTable({
        source,
        header: head.fields.map((h) => h.trim()),
        records: rest.map((r) => ({ line: r.line, values: r.fields })),
        columns: spec.columns,
        idColumn: spec.idColumn,
      });
    }
    case "jsonl": {
      const { header, records } = parseJsonl(new TextDecoder().decode(bytes), source);
      return buildTable({ source, header, records, columns: spec.columns, idColumn: spec.idColumn });
    }
    case "npy": {
      const a = parseNpy(bytes, source);
      const [rows, cols] = a.shape;
      const header = spec.columns;
      if (!header) throw new DataError(`${source}: npy files carry no column names; list them in \`columns\``);
      if (header.length !== cols) throw new DataError(`${source}: columns names ${header.length} columns, the array has ${cols}; name every column of the array`);
      const records: RawRecord[] = [];
      for (let r = 0; r < rows; r++) records.push({ line: r + 1, values: Array.from(a.data.subarray(r * cols, (r + 1) * cols)) });
      // NPY column names come from the config, not the file, so errors may name them.
      const t = buildTable({ source, header, records, columns: header.filter((c) => c !== spec.idColumn), idColumn: spec.idColumn });
      return t;
    }
    default:
      throw new DataError(`${source}: format "${(spec as { format: string }).format}" is not csv, npy or jsonl`);
  }
}

/**
 * Reads and validates a dataset file; throws a DataError naming the first problem and its fix.
 * Only regular files of at most `maxBytes` are read (a device such as /dev/zero, a FIFO or a
 * folder is refused before reading); CSV and JSON lines are parsed as a stream, so memory holds
 * the numeric table, not the file's text.
 */
export async function loadDataset(spec: DatasetConfig, maxBytes = DEFAULT_MAX_DATASET_BYTES): Promise<LoadedFile> {
  const cannot = (e: unknown) =>
    new DataError(`dataset "${spec.name}": file ${spec.path} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check path`);
  const notRegular = `dataset "${spec.name}": ${spec.path} is not a regular file (a device, FIFO, socket or folder); name a data file`;
  const tooBig = (size: number) =>
    new DataError(`dataset "${spec.name}": ${spec.path} has ${size} bytes, more than maxDatasetBytes (${maxBytes}); raise maxDatasetBytes or split the file`);
  // stat before open: opening a FIFO for reading would wait for a writer.
  let st;
  try {
    st = await stat(spec.path);
  } catch (e) {
    throw cannot(e);
  }
  if (!st.isFile()) throw new DataError(notRegular);
  if (st.size > maxBytes) throw tooBig(st.size);
  let fh;
  try {
    fh = await open(spec.path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw cannot(e);
  }
  const source = `${spec.name} (${basename(spec.path)})`;
  try {
    // The path may have been swapped between stat and open: check what was opened.
    const fst = await fh.stat();
    if (!fst.isFile()) throw new DataError(notRegular);
    if (spec.format === "npy") {
      if (fst.size > maxBytes) throw tooBig(fst.size);
      const bytes = new Uint8Array(await fh.readFile());
      if (bytes.length > maxBytes) throw tooBig(bytes.length);
      return { table: tableFromBytes(bytes, spec, source), fileHash: keccak256(bytes) };
    }
    const hash = keccak_256.create();
    const decoder = new TextDecoder("utf-8");
    let total = 0;
    let builder: TableBuilder | undefined;
    let csv: CsvParser | undefined;
    let jsonl: JsonlParser | undefined;
    if (spec.format === "csv") csv = new CsvParser(source);
    else if (spec.format === "jsonl") jsonl = new JsonlParser(source);
    else throw new DataError(`${source}: format "${(spec as { format: string }).format}" is not csv, npy or jsonl`);
    const feed = (text: string, end: boolean) => {
      if (csv) {
        const recs = [...csv.push(text), ...(end ? csv.end() : [])];
        for (const r of recs) {
          if (!builder) builder = new TableBuilder({ source, header: r.fields.map((h) => h.trim()), columns: spec.columns, idColumn: spec.idColumn });
          else builder.add({ line: r.line, values: r.fields });
        }
      } else {
        const recs = [...jsonl!.push(text), ...(end ? jsonl!.end() : [])];
        for (const r of recs) {
          builder ??= new TableBuilder({ source, header: jsonl!.header!, columns: spec.columns, idColumn: spec.idColumn });
          builder.add(r);
        }
      }
    };
    for await (const chunk of createReadStream("", { fd: fh.fd, autoClose: false, highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) throw tooBig(total);
      hash.update(chunk);
      feed(decoder.decode(chunk, { stream: true }), false);
    }
    feed(decoder.decode(), true);
    if (!builder)
      throw new DataError(csv ? `${source}: the file is empty; the first line must be the header` : `${source}: the file has no records; write one JSON object per line`);
    return { table: builder.finish(), fileHash: "0x" + Buffer.from(hash.digest()).toString("hex") };
  } finally {
    await fh.close();
  }
}
