import { DataError } from "./csv.js";
import type { RawRecord } from "./table.js";

/**
 * JSON lines: one JSON object per line, the same keys on every line (the first line's keys, in
 * its order, are the header). Blank lines are skipped.
 */
export function parseJsonl(text: string, source = "jsonl"): { header: string[]; records: RawRecord[] } {
  let header: string[] | undefined;
  let headerSet = new Set<string>();
  let headerLine = 0;
  const records: RawRecord[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === "") return;
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch (e) {
      throw new DataError(`${source}: line ${line} is not valid JSON (${(e as Error).message}); write one JSON object per line`);
    }
    if (obj === null || typeof obj !== "object" || Array.isArray(obj))
      throw new DataError(`${source}: line ${line} is not a JSON object; write each record as {"column": value, ...}`);
    const keys = Object.keys(obj);
    if (!header) {
      header = keys;
      headerSet = new Set(keys);
      headerLine = line;
    } else {
      const missing = header.filter((k) => !(k in (obj as object)));
      const extra = keys.filter((k) => !headerSet.has(k));
      if (missing.length || extra.length)
        throw new DataError(
          `${source}: line ${line} has ${keys.length} fields, line ${headerLine} has ${header.length}` +
            `${missing.length ? `; missing ${missing.map((k) => `"${k}"`).join(", ")}` : ""}` +
            `${extra.length ? `; extra ${extra.map((k) => `"${k}"`).join(", ")}` : ""}; every line needs the same keys`,
        );
    }
    const o = obj as Record<string, unknown>;
    records.push({ line, values: header.map((k) => o[k]) });
  });
  if (!header) throw new DataError(`${source}: the file has no records; write one JSON object per line`);
  return { header, records };
}
