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
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const out: CsvRecord[] = [];
  let fields: string[] = [];
  let field = "";
  let line = 1;
  let recordLine = 1;
  let i = 0;
  // state: start of field, inside unquoted field, inside quotes, just after a closing quote
  let state: "start" | "plain" | "quoted" | "closed" = "start";
  const endRecord = () => {
    fields.push(field);
    out.push({ line: recordLine, fields });
    fields = [];
    field = "";
    state = "start";
  };
  const n = text.length;
  while (i < n) {
    const ch = text[i]!;
    if (state === "quoted") {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        state = "closed";
        i++;
        continue;
      }
      if (ch === "\n") line++;
      field += ch;
      i++;
      continue;
    }
    if (ch === ",") {
      fields.push(field);
      field = "";
      state = "start";
      i++;
      continue;
    }
    if (ch === "\r" || ch === "\n") {
      i += ch === "\r" && text[i + 1] === "\n" ? 2 : 1;
      endRecord();
      line++;
      recordLine = line;
      continue;
    }
    if (state === "closed")
      throw new DataError(`${source}: line ${line}: text after a closing quote; quote the whole field and double any quote inside it ("")`);
    if (ch === '"') {
      if (state === "start") {
        state = "quoted";
        i++;
        continue;
      }
      throw new DataError(`${source}: line ${line}: a quote inside an unquoted field; quote the whole field and double the quote ("")`);
    }
    state = "plain";
    field += ch;
    i++;
  }
  if (state === "quoted") throw new DataError(`${source}: line ${recordLine}: a quoted field is never closed; add the closing quote`);
  // Text after the last line break is a record; a trailing line break is not.
  if (state !== "start" || fields.length > 0 || field !== "") endRecord();
  return out;
}
