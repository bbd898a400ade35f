import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { keccak256 } from "ethers";
import type { DatasetConfig } from "../config.js";
import { DataError, parseCsv } from "./csv.js";
import { parseJsonl } from "./jsonl.js";
import { parseNpy } from "./npy.js";
import { buildTable, type RawRecord, type Table } from "./table.js";

export { DataError } from "./csv.js";
export type { Table } from "./table.js";

export interface LoadedFile {
  table: Table;
  /** keccak256 of the file's bytes: a changed file is noticed before it is computed on. */
  fileHash: string;
}

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
        header: head!.fields.map((h) => h.trim()),
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
      if (header.length !== cols)
        throw new DataError(`${source}: columns names ${header.length} columns, the array has ${cols}; name every column of the array`);
      const records: RawRecord[] = [];
      for (let r = 0; r < rows; r++) records.push({ line: r + 1, values: Array.from(a.data.subarray(r * cols, (r + 1) * cols)) });
      const t = buildTable({ source, header, records, idColumn: spec.idColumn });
      return t;
    }
    default:
      throw new DataError(`${source}: format "${(spec as { format: string }).format}" is not csv, npy or jsonl`);
  }
}

/** Reads and validates a dataset file; throws a DataError naming the first problem and its fix. */
export async function loadDataset(spec: DatasetConfig): Promise<LoadedFile> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(spec.path));
  } catch (e) {
    throw new DataError(`dataset "${spec.name}": file ${spec.path} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check path`);
  }
  const table = tableFromBytes(bytes, spec, `${spec.name} (${basename(spec.path)})`);
  return { table, fileHash: keccak256(bytes) };
}
