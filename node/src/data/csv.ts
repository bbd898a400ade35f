/** One CSV record with the 1-based line on which it starts (quoted fields may span lines). */
export interface CsvRecord {
  line: number;
  fields: string[];
}

export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DataError";
  }
}

/**
 * RFC 4180 CSV: comma separators, CRLF or LF line ends, fields optionally in double quotes, a
 * doubled quote inside quotes for a literal quote, separators and line breaks allowed inside
 * quotes. A quote inside an unquoted field, or text after a closing quote, is refused rather than
 * guessed at. A final line break does not make an empty record.
 */
export function parseCsv(text: string, source = "csv"): CsvRecord[] {
  const p = new CsvParser(source);
  return [...p.push(text), ...p.end()];
}

/**
 * The CSV parser fed in chunks (a file read as a stream): push() returns the records completed so
 * far. One character is held back between chunks so `""` and CRLF split across chunks read right.
 * Errors name the line, the column number and the problem, never the text around it.
 */
export class CsvParser {
  private buf = "";
  private first = true;
  private fields: string[] = [];
  private field = "";
  private line = 1;
  private recordLine = 1;
  // state: start of field, inside unquoted field, inside quotes, just after a closing quote
  private state: "start" | "plain" | "quoted" | "closed" = "start";

  constructor(private readonly source = "csv") {}

  push(text: string): CsvRecord[] {
    return this.run(text, false);
  }

  end(): CsvRecord[] {
    const out = this.run("", true);
    const source = this.source;
    if (this.state === "quoted")
      throw new DataError(`${source}: line ${this.recordLine}, column #${this.fields.length + 1}: a quoted field is never closed; add the closing quote`);
    // Text after the last line break is a record; a trailing line break is not.
    if (this.state !== "start" || this.fields.length > 0 || this.field !== "") this.endRecord(out);
    return out;
  }

  private endRecord(out: CsvRecord[]): void {
    this.fields.push(this.field);
    out.push({ line: this.recordLine, fields: this.fields });
    this.fields = [];
    this.field = "";
    this.state = "start";
  }

  private run(chunk: string, final: boolean): CsvRecord[] {
    let text = this.buf + chunk;
    if (this.first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      this.first = false;
    }
    const out: CsvRecord[] = [];
    const source = this.source;
    const n = text.length;
    const stop = final ? n : n - 1;
    let i = 0;
    while (i < stop) {
      const ch = text[i];
      if (this.state === "quoted") {
        if (ch === '"') {
          if (text[i + 1] === '"') {
            this.field += '"';
            i += 2;
            continue;
          }
          this.state = "closed";
          i++;
          continue;
        }
        if (ch === "\n") this.line++;
        this.field += ch;
        i++;
        continue;
      }
      if (ch === ",") {
        this.fields.push(this.field);
        this.field = "";
        this.state = "start";
        i++;
        continue;
      }
      if (ch === "\r" || ch === "\n") {
        i += ch === "\r" && text[i + 1] === "\n" ? 2 : 1;
        this.endRecord(out);
        this.line++;
        this.recordLine = this.line;
        continue;
      }
      const col = this.fields.length + 1;
      if (this.state === "closed")
        throw new DataError(`${source}: line ${this.line}, column #${col}: text after a closing quote; quote the whole field and double any quote inside it ("")`);
      if (ch === '"') {
        if (this.state === "start") {
          this.state = "quoted";
          i++;
          continue;
        }
        throw new DataError(`${source}: line ${this.line}, column #${col}: a quote inside an unquoted field; quote the whole field and double the quote ("")`);
      }
      this.state = "plain";
      this.field += ch;
      i++;
    }
    this.buf = text.slice(i);
    return out;
  }
}
