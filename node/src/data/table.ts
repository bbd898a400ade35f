import { DataError } from "./csv.js";

/** A validated numeric table: what every connector returns and every task kind reads. */
export interface Table {
  columns: string[];
  rows: number[][];
  /** Values of the id column, when the dataset names one (never part of `rows`). */
  ids?: string[];
}

export interface RawRecord {
  /** Where the record starts in the file (1-based), named in errors. */
  line: number;
  values: unknown[];
}

export interface TableOptions {
  /** File name or dataset name, the prefix of every error. */
  source: string;
  header: string[];
  records: RawRecord[];
  /** Columns to keep, in this order (default: every column but the id column). */
  columns?: string[];
  idColumn?: string;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "string") return `"${v.length > 40 ? v.slice(0, 40) + "…" : v}"`;
  if (typeof v === "object") return Array.isArray(v) ? "an array" : "an object";
  return `${String(v)} (${typeof v})`;
}

function toNumber(v: unknown, where: string): number {
  if (typeof v === "number") {
    if (Number.isFinite(v)) return v;
    throw new DataError(`${where}: ${v} is not a finite number; replace it with a number or remove the row`);
  }
  if (typeof v === "string") {
    const s = v.trim();
    if (s === "") throw new DataError(`${where}: empty value; fill it in or remove the row`);
    if (NUMBER.test(s)) {
      const n = Number(s);
      if (Number.isFinite(n)) return n;
    }
    throw new DataError(`${where}: ${describeValue(v)} is not a number; write a decimal number, or leave the column out with \`columns\``);
  }
  if (v === null || v === undefined) throw new DataError(`${where}: empty value (${v === null ? "null" : "missing"}); fill it in or remove the row`);
  throw new DataError(`${where}: ${describeValue(v)} has the wrong type; write the value as a number`);
}

/**
 * Checks a parsed file against the dataset's schema and turns it into numbers: every record has
 * one value per header column (a ragged line is named), the kept columns parse as finite numbers
 * (the row, line and column of the first bad value are named with the fix), ids are unique.
 */
export function buildTable(opts: TableOptions): Table {
  const { source, header, records } = opts;
  const seen = new Set<string>();
  header.forEach((h, i) => {
    if (h.trim() === "") throw new DataError(`${source}: column #${i + 1} of the header has no name; name every column`);
    if (seen.has(h)) throw new DataError(`${source}: column "${h}" appears twice in the header; give each column its own name`);
    seen.add(h);
  });
  const indexOf = (name: string, field: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new DataError(`${source}: ${field} "${name}" is not a column of the file (it has ${header.join(", ")}); fix ${field}`);
    return i;
  };
  const idIndex = opts.idColumn === undefined ? -1 : indexOf(opts.idColumn, "idColumn");
  const columns = opts.columns ?? header.filter((_, i) => i !== idIndex);
  if (columns.length === 0) throw new DataError(`${source}: no numeric columns are left; list them in \`columns\``);
  if (opts.idColumn !== undefined && columns.includes(opts.idColumn))
    throw new DataError(`${source}: idColumn "${opts.idColumn}" is also listed in columns; leave it out of columns`);
  if (new Set(columns).size !== columns.length) throw new DataError(`${source}: columns lists a column twice; list each once`);
  const keep = columns.map((c) => indexOf(c, "columns"));
  if (records.length === 0) throw new DataError(`${source}: the file has a header but no data rows; add at least one row`);
  const rows: number[][] = [];
  const ids: string[] = [];
  const idSeen = new Map<string, number>();
  records.forEach((rec, r) => {
    if (rec.values.length !== header.length)
      throw new DataError(
        `${source}: line ${rec.line} has ${rec.values.length} fields, the header has ${header.length}; every row needs one value per column`,
      );
    rows.push(keep.map((k, j) => toNumber(rec.values[k], `${source}: row ${r + 1} (line ${rec.line}), column "${columns[j]}"`)));
    if (idIndex >= 0) {
      const raw = rec.values[idIndex];
      const id = typeof raw === "string" ? raw.trim() : typeof raw === "number" ? String(raw) : "";
      if (id === "") throw new DataError(`${source}: row ${r + 1} (line ${rec.line}), column "${opts.idColumn}": empty id; give every row an id`);
      const prev = idSeen.get(id);
      if (prev !== undefined) throw new DataError(`${source}: row ${r + 1} (line ${rec.line}): id "${id}" repeats row ${prev}; ids must be unique`);
      idSeen.set(id, r + 1);
      ids.push(id);
    }
  });
  return idIndex >= 0 ? { columns, rows, ids } : { columns, rows };
}
