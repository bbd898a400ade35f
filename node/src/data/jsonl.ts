import { DataError } from "./csv.js";
import type { RawRecord } from "./table.js";

/**
 * JSON lines: one JSON object per line, the same keys on every line (the first line's keys, in
 * its order, are the header). Blank lines are skipped.
 */
export function parseJsonl(text: string, source = "jsonl"): { header: string[]; records: RawRecord[] } {
  const p = new JsonlParser(source);
  const records = [...p.push(text), ...p.end()];
  if (!p.header) throw new DataError(`${source}: the file has no records; write one JSON object per line`);
  return { header: p.header, records };
}

/** ", column N" of a JSON syntax error, from V8's message (whose quote of the text itself is not passed on). */
function syntaxColumn(raw: string, message: string): string {
  const pos = /position (\d+)/.exec(message)?.[1];
  if (pos !== undefined) return `, column ${Number(pos) + 1}`;
  if (/end of JSON input/.test(message)) return `, column ${raw.length + 1}`;
  const token = /Unexpected token '(.)'/u.exec(message)?.[1];
  const at = token === undefined ? -1 : raw.indexOf(token);
  return at < 0 ? "" : `, column ${at + 1}`;
}

const key = (k: string) => JSON.stringify(k.length > 40 ? k.slice(0, 40) + "…" : k);

/**
 * The JSON-lines parser fed in chunks (a file read as a stream). Errors name the line, the column
 * and the problem; JSON.parse's own message is not passed on, as it quotes the surrounding text.
 */
export class JsonlParser {
  header?: string[];
  private headerSet = new Set<string>();
  private headerLine = 0;
  private buf = "";
  private line = 0;

  constructor(private readonly source = "jsonl") {}

  push(text: string): RawRecord[] {
    const buf = this.buf + text;
    const out: RawRecord[] = [];
    let start = 0;
    let nl: number;
    while ((nl = buf.indexOf("\n", start)) >= 0) {
      this.one(buf.slice(start, nl).replace(/\r$/, ""), out);
      start = nl + 1;
    }
    this.buf = buf.slice(start);
    return out;
  }

  end(): RawRecord[] {
    const out: RawRecord[] = [];
    if (this.buf !== "") this.one(this.buf.replace(/\r$/, ""), out);
    this.buf = "";
    return out;
  }

  private one(raw: string, out: RawRecord[]): void {
    const line = ++this.line;
    const source = this.source;
    if (raw.trim() === "") return;
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch (e) {
      throw new DataError(`${source}: line ${line}${syntaxColumn(raw, (e as Error).message)}: not valid JSON; write one JSON object per line`);
    }
    if (obj === null || typeof obj !== "object" || Array.isArray(obj))
      throw new DataError(`${source}: line ${line} is not a JSON object; write each record as {"column": value, ...}`);
    const keys = Object.keys(obj);
    if (!this.header) {
      this.header = keys;
      this.headerSet = new Set(keys);
      this.headerLine = line;
    } else {
      const header = this.header;
      const missing = header.filter((k) => !(k in obj));
      const extra = keys.filter((k) => !this.headerSet.has(k));
      if (missing.length || extra.length)
        throw new DataError(
          `${source}: line ${line} has ${keys.length} fields, line ${this.headerLine} has ${header.length}` +
            (missing.length ? `; missing ${missing.slice(0, 5).map(key).join(", ")}` : "") +
            `${extra.length ? `; extra ${extra.slice(0, 5).map(key).join(", ")}` : ""}; every line needs the same keys`,
        );
    }
    const o = obj as Record<string, unknown>;
    out.push({ line, values: this.header.map((k) => o[k]) });
  }
}
