import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseCsv, DataError } from "../../node/src/data/csv.js";
import { encodeNpy, parseNpy } from "../../node/src/data/npy.js";
import { loadDataset, tableFromBytes } from "../../node/src/data/load.js";
import { commitTable, schemaHash } from "../../node/src/data/commit.js";
import { commitChunks } from "../../protocol/src/honk/chunks.js";

const enc = (s: string) => new TextEncoder().encode(s);
const csv = (text: string, extra: { columns?: string[]; idColumn?: string } = {}) => tableFromBytes(enc(text), { format: "csv", ...extra }, "t.csv");
const jsonl = (text: string, extra: { columns?: string[]; idColumn?: string } = {}) => tableFromBytes(enc(text), { format: "jsonl", ...extra }, "t.jsonl");

describe("CSV parser (RFC 4180)", () => {
  test("quotes, doubled quotes, separators and line breaks inside quotes, CRLF", () => {
    const recs = parseCsv('a,"b,c","say ""hi"""\r\n"multi\nline",2,\r\n');
    assert.deepEqual(recs, [
      { line: 1, fields: ["a", "b,c", 'say "hi"'] },
      { line: 2, fields: ["multi\nline", "2", ""] },
    ]);
  });
  test("no trailing newline, empty quoted field at the end, BOM", () => {
    assert.deepEqual(parseCsv('\ufeffx,y\n1,""'), [
      { line: 1, fields: ["x", "y"] },
      { line: 2, fields: ["1", ""] },
    ]);
  });
  test("unclosed quote names the line it starts on", () => {
    assert.throws(() => parseCsv('x\n"abc\n'), /line 2, column #1: a quoted field is never closed/);
  });
  test("quote inside an unquoted field and text after a closing quote are refused", () => {
    assert.throws(() => parseCsv('x\nab"c\n'), /line 2, column #1: a quote inside an unquoted field/);
    assert.throws(() => parseCsv('x\n"ab"c\n'), /line 2, column #1: text after a closing quote/);
  });
});

describe("CSV datasets", () => {
  test("good file with an id column and column selection", () => {
    const t = csv('id,a,b,label\nr1,1.5,-2,"x"\nr2," 3e2 ",4,y\n', { columns: ["b", "a"], idColumn: "id" });
    assert.deepEqual(t, {
      columns: ["b", "a"],
      rows: [
        [-2, 1.5],
        [4, 300],
      ],
      ids: ["r1", "r2"],
    });
  });
  test("ragged row names its line number", () => {
    assert.throws(
      () => csv("a,b\n1,2\n3\n"),
      (e: Error) => e instanceof DataError && /line 3 has 1 fields, the header has 2/.test(e.message),
    );
  });
  test("a ragged row after a multi-line quoted field names the line it starts on", () => {
    assert.throws(() => csv('note,b\n"two\nlines",2\n3,4,5\n', { columns: ["b"] }), /line 4 has 3 fields/);
  });
  test("empty value names row, line, column and the fix", () => {
    assert.throws(() => csv("a,b\n1,2\n3,\n"), /row 2 \(line 3\), column #2: empty value; fill it in or remove the row/);
  });
  test("NaN and words are not numbers", () => {
    assert.throws(() => csv("a,b\n1,NaN\n"), /row 1 \(line 2\), column #2: "NaN" is not a number/);
    assert.throws(() => csv("a,b\n1,abc\n"), /column #2: "abc" is not a number; .*leave the column out with `columns`/);
    assert.throws(() => csv("a\n1e999\n"), /"1e999" is not a number/);
  });
  test("header problems", () => {
    assert.throws(() => csv("a,a\n1,2\n"), /column #2 of the header, "a", appears twice/);
    assert.throws(() => csv("a,\n1,2\n"), /column #2 of the header has no name/);
    assert.throws(() => csv("a,b\n"), /header but no data rows/);
    assert.throws(() => csv(""), /the file is empty/);
    assert.throws(() => csv("a,b\n1,2\n", { columns: ["c"] }), /columns "c" is not a column of the file \(its header has 2 columns\)/);
    assert.throws(() => csv("a,b\n1,2\n", { idColumn: "z" }), /idColumn "z" is not a column/);
  });
  test("ids must be present and unique", () => {
    assert.throws(() => csv("id,a\nx,1\nx,2\n", { idColumn: "id" }), /row 2 \(line 3\), column #1 \("id"\): id "x" repeats row 1/);
    assert.throws(() => csv("id,a\n,1\n", { idColumn: "id" }), /empty id/);
  });
});

describe("JSON lines datasets", () => {
  test("good file, blank lines skipped", () => {
    assert.deepEqual(jsonl('{"a":1,"b":2.5}\n\n{"b":-1,"a":3}\n'), {
      columns: ["a", "b"],
      rows: [
        [1, 2.5],
        [3, -1],
      ],
    });
  });
  test("a line with other keys is ragged and named", () => {
    assert.throws(() => jsonl('{"a":1,"b":2}\n{"a":1}\n'), /line 2 has 1 fields, line 1 has 2; missing "b"/);
    assert.throws(() => jsonl('{"a":1}\n{"a":1,"c":2}\n'), /extra "c"/);
  });
  test("wrong types and bad JSON", () => {
    assert.throws(() => jsonl('{"a":1}\n{"a":true}\n'), /row 2 \(line 2\), column #1: true \(boolean\) has the wrong type/);
    assert.throws(() => jsonl('{"a":null}\n'), /column #1: empty value \(null\)/);
    assert.throws(() => jsonl('{"a":1}\n{"a":\n'), /line 2(, column \d+)?: not valid JSON/);
    assert.throws(() => jsonl("[1,2]\n"), /line 1 is not a JSON object/);
  });
  test("numeric strings are parsed like CSV fields", () => {
    assert.deepEqual(jsonl('{"a":"2"}\n').rows, [[2]]);
  });
});

describe("NPY datasets", () => {
  const rows = [
    [1, 2.5, -3],
    [4, 5, 6.25],
  ];
  test("float64, float32 and int32 round trip with column names", () => {
    for (const d of ["<f8", "<f4", "<i4"] as const) {
      const r = d === "<i4" ? rows.map((x) => x.map(Math.trunc)) : rows;
      const t = tableFromBytes(encodeNpy(r, d), { format: "npy", columns: ["x", "y", "z"] }, "t.npy");
      assert.deepEqual(t, { columns: ["x", "y", "z"], rows: r });
    }
  });
  test("header parse: shape, dtype, order", () => {
    const a = parseNpy(encodeNpy(rows));
    assert.deepEqual(a.shape, [2, 3]);
    assert.equal(a.descr, "<f8");
  });
  function withHeader(header: string, data = new Uint8Array(48)): Uint8Array {
    const h = header.padEnd(118, " ") + "\n";
    const out = new Uint8Array(10 + h.length + data.length);
    out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    new DataView(out.buffer).setUint16(8, h.length, true);
    for (let i = 0; i < h.length; i++) out[10 + i] = h.charCodeAt(i);
    out.set(data, 10 + h.length);
    return out;
  }
  test("bad files: magic, big-endian, Fortran order, 1-D, unsupported dtype, truncation", () => {
    assert.throws(() => parseNpy(enc("not numpy at all")), /no \\x93NUMPY magic/);
    assert.throws(() => parseNpy(withHeader("{'descr': '>f8', 'fortran_order': False, 'shape': (2, 3), }")), /big-endian/);
    assert.throws(() => parseNpy(withHeader("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }")), /Fortran order/);
    assert.throws(() => parseNpy(withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (6,), }")), /is not 2-D; reshape/);
    assert.throws(() => parseNpy(withHeader("{'descr': '<c16', 'fortran_order': False, 'shape': (2, 3), }")), /dtype '<c16' is not supported/);
    assert.throws(() => parseNpy(withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (20, 3), }")), /data is truncated/);
  });
  test("NaN in a float array names row and column; column names must match the width", () => {
    assert.throws(
      () =>
        tableFromBytes(
          encodeNpy([
            [1, 2],
            [3, NaN],
          ]),
          { format: "npy", columns: ["a", "b"] },
          "t.npy",
        ),
      /row 2 \(line 2\), column #2 \("b"\): NaN is not a finite number/,
    );
    assert.throws(() => tableFromBytes(encodeNpy(rows), { format: "npy", columns: ["a"] }, "t.npy"), /columns names 1 columns, the array has 3/);
  });
});

describe("loading and committing files", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cm-data-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  test("loadDataset reads the file and hashes it; a missing file names the path", async () => {
    const p = join(dir, "a.csv");
    await writeFile(p, "x,y\n1,2\n3,4\n");
    const { table, fileHash } = await loadDataset({ name: "a", path: p, format: "csv" });
    assert.deepEqual(table.rows, [
      [1, 2],
      [3, 4],
    ]);
    assert.match(fileHash, /^0x[0-9a-f]{64}$/);
    await assert.rejects(loadDataset({ name: "b", path: join(dir, "nope.csv"), format: "csv" }), /file .*nope.csv cannot be read \(ENOENT\)/);
  });
  test("commitment: Poseidon root depends on the seed; schema hash on the columns; out-of-range values refused", async () => {
    const t = {
      columns: ["x", "y"],
      rows: [
        [1, 2],
        [3, 4],
      ],
    };
    const seed = new Uint8Array(32).fill(7);
    const a = await commitTable(t, seed);
    const b = await commitTable(t, seed);
    const c = await commitTable(t, new Uint8Array(32).fill(8));
    assert.equal(a.root, b.root);
    assert.notEqual(a.root, c.root);
    assert.deepEqual([a.rows, a.columns], [2, 2]);
    assert.equal(a.schemaHash, schemaHash(t));
    assert.notEqual(schemaHash({ columns: ["y", "x"] }), a.schemaHash);
    await assert.rejects(commitTable({ columns: ["x"], rows: [[1e12]] }, seed), /out of range/);
  });
  test("commitment by chunks (the default): the Poseidon2 chunk root of the Honk circuits (chunks of 256 rows), another root than by rows; 1..16 columns in the circuits' widths, wider tables at their own", async () => {
    const t = { columns: ["a", "b", "c", "d"], rows: Array.from({ length: 300 }, (_, i) => [i, -i / 4, 1.5, i % 7]) };
    const seed = new Uint8Array(32).fill(7);
    const byChunks = await commitTable(t, seed);
    assert.deepEqual(await commitTable(t, seed, "chunks"), byChunks);
    // signed fixed point (the chunk leaf offsets negatives itself)
    const want = commitChunks(
      t.rows.map((r) => r.map((x) => BigInt(Math.round(x * 65536)))),
      256,
      4,
      seed,
    );
    assert.equal(byChunks.root, "0x" + want.tree.root.toString(16).padStart(64, "0"));
    assert.equal(want.chunks.length, 2);
    assert.deepEqual([byChunks.rows, byChunks.columns, byChunks.schemaHash], [300, 4, schemaHash(t)]);
    assert.notEqual(byChunks.root, (await commitTable(t, seed, "rows")).root);
    // 2 columns in 4 slots; 10 columns in 16 slots and chunks of 64 rows.
    const two = await commitTable({ columns: ["x", "y"], rows: [[1, 2]] }, seed, "chunks");
    assert.equal(
      two.root,
      "0x" +
        commitChunks([[65536n, 131072n]], 256, 2, seed, 4)
          .tree.root.toString(16)
          .padStart(64, "0"),
    );
    const wide = { columns: Array.from({ length: 10 }, (_, j) => `c${j}`), rows: Array.from({ length: 100 }, (_, i) => Array.from({ length: 10 }, (_, j) => i - j)) };
    const w = commitChunks(
      wide.rows.map((r) => r.map((x) => BigInt(x) * 65536n)),
      64,
      10,
      seed,
      16,
    );
    assert.equal((await commitTable(wide, seed, "chunks")).root, "0x" + w.tree.root.toString(16).padStart(64, "0"));
    assert.equal(w.chunks.length, 2);
    const tooWide = { columns: Array.from({ length: 17 }, (_, j) => `c${j}`), rows: [new Array<number>(17).fill(1)] };
    // wider than any circuit: still committed (the default scheme), at its own width; no circuit proves it
    assert.equal(
      (await commitTable(tooWide, seed)).root,
      "0x" +
        commitChunks([new Array<bigint>(17).fill(65536n)], 64, 17, seed, 17)
          .tree.root.toString(16)
          .padStart(64, "0"),
    );
  });
});
