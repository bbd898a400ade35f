/**
 * The node's one binary framing: a head, then length-prefixed frames (u32 little-endian length ‖
 * bytes)*, ending exactly at the last frame. Two users:
 * - owner ⇄ worker messages (`encodeMessage`): "CMM1" | u32 header length | JSON header |
 *   u32 frame count | frames. Headers carry only sizes and step names, never data.
 * - CKKS key bundles (crypto/ckks/session.ts): magic, preset, fingerprint and scale as the head,
 *   and a fixed number of frames.
 */
const MAGIC = [0x43, 0x4d, 0x4d, 0x31];

/** head ‖ (u32 LE length ‖ frame)*. */
export function writeFrames(head: ArrayLike<number>, frames: readonly Uint8Array[]): Uint8Array {
  let len = head.length;
  for (const f of frames) len += 4 + f.length;
  const out = new Uint8Array(len);
  out.set(head, 0);
  const dv = new DataView(out.buffer);
  let at = head.length;
  for (const f of frames) {
    dv.setUint32(at, f.length, true);
    out.set(f, at + 4);
    at += 4 + f.length;
  }
  return out;
}

/** `count` length-prefixed frames from offset `at`, which must end exactly at the end of `bytes`; errors name `what`. */
export function readFrames(bytes: Uint8Array, at: number, count: number, what: string): Uint8Array[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 4 > bytes.length) throw new Error(`${what}: truncated frames`);
    const n = dv.getUint32(at, true);
    if (at + 4 + n > bytes.length) throw new Error(`${what}: truncated frames`);
    frames.push(bytes.subarray(at + 4, at + 4 + n));
    at += 4 + n;
  }
  if (at !== bytes.length) throw new Error(`${what}: trailing bytes`);
  return frames;
}

export interface Message<H> {
  header: H;
  frames: Uint8Array[];
}

export function encodeMessage<H extends { step: string }>(header: H, frames: readonly Uint8Array[]): Uint8Array {
  const hb = new TextEncoder().encode(JSON.stringify(header));
  const head = new Uint8Array(4 + 4 + hb.length + 4);
  const dv = new DataView(head.buffer);
  head.set(MAGIC, 0);
  dv.setUint32(4, hb.length, true);
  head.set(hb, 8);
  dv.setUint32(8 + hb.length, frames.length, true);
  return writeFrames(head, frames);
}

export function decodeMessage<H extends { step: string }>(bytes: Uint8Array, expectStep: string): Message<H> {
  if (!(bytes instanceof Uint8Array) || bytes.length < 12 || MAGIC.some((m, i) => bytes[i] !== m)) {
    throw new Error(`message: bad magic; expected a "${expectStep}" message`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hl = dv.getUint32(4, true);
  if (8 + hl + 4 > bytes.length) throw new Error("message: truncated header");
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + hl))) as H;
  if (header.step !== expectStep) throw new Error(`message: got step "${header.step}", expected "${expectStep}"`);
  const count = dv.getUint32(8 + hl, true);
  return { header, frames: readFrames(bytes, 8 + hl + 4, count, "message") };
}

export function f64Bytes(v: ArrayLike<number>): Uint8Array {
  const a = Float64Array.from(v);
  return new Uint8Array(a.buffer);
}

export function bytesF64(b: Uint8Array): Float64Array {
  if (b.length % 8 !== 0) throw new Error("message: float frame length is not a multiple of 8");
  return new Float64Array(b.slice().buffer);
}
