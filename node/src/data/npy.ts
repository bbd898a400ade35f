import { DataError } from "./csv.js";

export interface NpyArray {
  shape: [number, number];
  /** Row-major values. */
  data: Float64Array;
  descr: string;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

type Reader = (v: DataView, off: number) => number;
const READERS: Record<string, { size: number; read: Reader; int?: boolean }> = {
  f8: { size: 8, read: (v, o) => v.getFloat64(o, true) },
  f4: { size: 4, read: (v, o) => v.getFloat32(o, true) },
  i1: { size: 1, read: (v, o) => v.getInt8(o), int: true },
  u1: { size: 1, read: (v, o) => v.getUint8(o), int: true },
  i2: { size: 2, read: (v, o) => v.getInt16(o, true), int: true },
  u2: { size: 2, read: (v, o) => v.getUint16(o, true), int: true },
  i4: { size: 4, read: (v, o) => v.getInt32(o, true), int: true },
  u4: { size: 4, read: (v, o) => v.getUint32(o, true), int: true },
  i8: { size: 8, read: readI64, int: true },
  u8: { size: 8, read: readU64, int: true },
};

function readI64(v: DataView, o: number): number {
  const x = v.getBigInt64(o, true);
  if (x > BigInt(Number.MAX_SAFE_INTEGER) || x < -BigInt(Number.MAX_SAFE_INTEGER)) return Number.NaN;
  return Number(x);
}
function readU64(v: DataView, o: number): number {
  const x = v.getBigUint64(o, true);
  return x > BigInt(Number.MAX_SAFE_INTEGER) ? Number.NaN : Number(x);
}

/**
 * Reads a NumPy .npy file (format versions 1-3) holding a 2-D, C-order, little-endian array of
 * float64, float32 or (unsigned) integers. Anything else is refused with the numpy call that
 * converts it.
 */
export function parseNpy(bytes: Uint8Array, source = "npy"): NpyArray {
  const fix = "save it with np.save(path, np.ascontiguousarray(a, dtype='<f8'))";
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new DataError(`${source}: not a .npy file (no \\x93NUMPY magic); ${fix}`);
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new DataError(`${source}: truncated header`);
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else throw new DataError(`${source}: .npy format version ${major} is not supported (1, 2 or 3); ${fix}`);
  if (headerStart + headerLen > bytes.length) throw new DataError(`${source}: truncated header`);
  const header = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(bytes.subarray(headerStart, headerStart + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new DataError(`${source}: the header has no descr, fortran_order or shape; ${fix}`);
  if (fortran === "True") throw new DataError(`${source}: array is in Fortran order; ${fix}`);
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  if (shape.length !== 2 || shape.some((d) => !Number.isSafeInteger(d) || d < 0))
    throw new DataError(`${source}: shape (${shapeText.slice(0, 40)}) is not 2-D; reshape to (rows, columns), e.g. a.reshape(-1, 1) for one column`);
  const m = /^([<>|=])([fiu])(\d+)$/.exec(descr);
  const kind = m ? `${m[2]}${m[3]}` : "";
  const reader = READERS[kind];
  if (!m || !reader) throw new DataError(`${source}: dtype '${descr.slice(0, 16)}' is not supported (float64, float32 or integers); ${fix}`);
  if (m[1] === ">" && reader.size > 1) throw new DataError(`${source}: dtype '${descr}' is big-endian; ${fix}`);
  const [rows, cols] = shape as [number, number];
  const count = rows * cols;
  const dataStart = headerStart + headerLen;
  const need = count * reader.size;
  if (bytes.length - dataStart < need) throw new DataError(`${source}: data is truncated: shape (${rows}, ${cols}) needs ${need} bytes, the file has ${bytes.length - dataStart}`);
  const data = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const x = reader.read(view, dataStart + k * reader.size);
    if (reader.int && Number.isNaN(x))
      throw new DataError(`${source}: row ${Math.floor(k / cols) + 1}, column #${(k % cols) + 1}: integer beyond 2^53 cannot be represented; scale the column down`);
    data[k] = x;
  }
  return { shape: [rows, cols], data, descr };
}

/** Writes a 2-D float64 array as .npy version 1 (used by tests and the demo to make files). */
export function encodeNpy(rows: readonly (readonly number[])[], descr: "<f8" | "<f4" | "<i4" = "<f8"): Uint8Array {
  const r = rows.length;
  const c = rows[0]?.length ?? 0;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${r}, ${c}), }`;
  const total = 10 + header.length + 1;
  header += " ".repeat((64 - (total % 64)) % 64) + "\n";
  const size = descr === "<f8" ? 8 : 4;
  const out = new Uint8Array(10 + header.length + r * c * size);
  out.set(MAGIC);
  out[6] = 1;
  out[7] = 0;
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  let o = 10 + header.length;
  for (const row of rows)
    for (const v of row) {
      if (descr === "<f8") view.setFloat64(o, v, true);
      else if (descr === "<f4") view.setFloat32(o, v, true);
      else view.setInt32(o, v, true);
      o += size;
    }
  return out;
}
