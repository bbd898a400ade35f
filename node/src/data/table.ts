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
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- objects returned above; TypeScript does not narrow unknown by the typeof test
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
  const b = new TableBuilder(opts);
  for (const rec of opts.records) b.add(rec);
  return b.finish();
}

/**
 * buildTable record by record, for files parsed as a stream. Errors name the line, the column and
 * the problem, and quote at most the offending cell, never the rest of the file.
 */
export class TableBuilder {
  private readonly source: string;
  private readonly header: string[];
  private readonly idIndex: number;
  private readonly columns: string[];
  private readonly keep: number[];
  private readonly rows: number[][] = [];
  private readonly ids: string[] = [];
  private readonly idSeen = new Map<string, number>();
  private readonly idColumn?: string;
  /** How errors name a kept column: by number, and by name only when the caller listed it (a header name is the file's content). */
  private readonly labels: string[];

  constructor(opts: Omit<TableOptions, "records">) {
    const { source, header } = opts;
    this.source = source;
    this.header = header;
    this.idColumn = opts.idColumn;
    const seen = new Set<string>();
    header.forEach((h, i) => {
      if (h.trim() === "") throw new DataError(`${source}: column #${i + 1} of the header has no name; name every column`);
      if (seen.has(h)) throw new DataError(`${source}: column #${i + 1} of the header, ${describeValue(h)}, appears twice; give each column its own name`);
      seen.add(h);
    });
    const indexOf = (name: string, field: string): number => {
      const i = header.indexOf(name);
      if (i < 0) throw new DataError(`${source}: ${field} "${name}" is not a column of the file (its header has ${header.length} columns); fix ${field}`);
      return i;
    };
    this.idIndex = opts.idColumn === undefined ? -1 : indexOf(opts.idColumn, "idColumn");
    this.columns = opts.columns ?? header.filter((_, i) => i !== this.idIndex);
    if (this.columns.length === 0) throw new DataError(`${source}: no numeric columns are left; list them in \`columns\``);
    if (opts.idColumn !== undefined && this.columns.includes(opts.idColumn))
      throw new DataError(`${source}: idColumn "${opts.idColumn}" is also listed in columns; leave it out of columns`);
    if (new Set(this.columns).size !== this.columns.length) throw new DataError(`${source}: columns lists a column twice; list each once`);
    this.keep = this.columns.map((c) => indexOf(c, "columns"));
    this.labels = this.keep.map((k, j) => `column #${k + 1}${opts.columns ? ` ("${this.columns[j]}")` : ""}`);
  }

  add(rec: RawRecord): void {
    const { source, header } = this;
    const r = this.rows.length;
    if (rec.values.length !== header.length)
      throw new DataError(`${source}: line ${rec.line} has ${rec.values.length} fields, the header has ${header.length}; every row needs one value per column`);
    this.rows.push(this.keep.map((k, j) => toNumber(rec.values[k], `${source}: row ${r + 1} (line ${rec.line}), ${this.labels[j]}`)));
    if (this.idIndex >= 0) {
      const raw = rec.values[this.idIndex];
      const id = typeof raw === "string" ? raw.trim() : typeof raw === "number" ? String(raw) : "";
      if (id === "") throw new DataError(`${source}: row ${r + 1} (line ${rec.line}), column #${this.idIndex + 1} ("${this.idColumn}"): empty id; give every row an id`);
      const prev = this.idSeen.get(id);
      if (prev !== undefined)
        throw new DataError(
          `${source}: row ${r + 1} (line ${rec.line}), column #${this.idIndex + 1} ("${this.idColumn}"): id ${describeValue(id)} repeats row ${prev}; ids must be unique`,
        );
      this.idSeen.set(id, r + 1);
      this.ids.push(id);
    }
  }

  finish(): Table {
    if (this.rows.length === 0) throw new DataError(`${this.source}: the file has a header but no data rows; add at least one row`);
    return this.idIndex >= 0 ? { columns: this.columns, rows: this.rows, ids: this.ids } : { columns: this.columns, rows: this.rows };
  }
}
