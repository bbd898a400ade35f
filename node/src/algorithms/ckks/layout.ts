/**
 * How rows sit in CKKS slots. Row i of block b occupies slots [(i − b·R)·A, (i − b·R)·A + a), with
 * A = next power of two ≥ a (so rotations by multiples of A move whole rows) and R = slots/A rows
 * per ciphertext. Padding slots are 0 on both sides of every difference, so they add 0 to sums.
 */
import type { CkksEvaluator, CkksOwner } from "../../crypto/ckks/index.js";
import type { Ciphertext } from "node-seal";
import { nextPow2, type Matrix } from "../matrix.js";

export interface RowLayout {
  readonly n: number;
  readonly a: number;
  readonly stride: number;
  readonly rowsPerCt: number;
  readonly blocks: number;
  readonly slots: number;
}

export function rowLayout(n: number, a: number, slots: number, duplicate = false): RowLayout {
  const stride = nextPow2(a);
  const rowsPerCt = Math.floor(slots / stride / (duplicate ? 2 : 1));
  if (rowsPerCt < 1) throw new Error(`ckks layout: ${a} attributes do not fit in ${slots} slots; use a larger preset`);
  return { n, a, stride, rowsPerCt, blocks: Math.ceil(n / rowsPerCt), slots };
}

export function rowsInBlock(l: RowLayout, b: number): number {
  return Math.min(l.rowsPerCt, l.n - b * l.rowsPerCt);
}

/** Block b's rows packed into slots; with `duplicate`, the rows are written twice, back to back (cyclic rotations then wrap inside the block). */
export function packBlock(X: Matrix, l: RowLayout, b: number, duplicate = false): Float64Array {
  const out = new Float64Array(l.slots);
  const rows = rowsInBlock(l, b);
  for (let r = 0; r < rows; r++) {
    const row = X[b * l.rowsPerCt + r];
    for (let z = 0; z < l.a; z++) {
      out[r * l.stride + z] = row[z];
      if (duplicate) out[(rows + r) * l.stride + z] = row[z];
    }
  }
  return out;
}

/** One row repeated in every row position of the slot vector. */
export function replicateRow(row: readonly number[], l: RowLayout): Float64Array {
  const out = new Float64Array(l.slots);
  for (let r = 0; r < l.slots / l.stride; r++) for (let z = 0; z < l.a; z++) out[r * l.stride + z] = row[z];
  return out;
}

/** Decrypts a slot-wise squared-difference ciphertext and sums each row's slots. */
export function rowSums(owner: CkksOwner, bytes: Uint8Array, l: RowLayout, rows: number): Float64Array {
  const v = owner.decryptBytes(bytes, rows * l.stride);
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let z = 0; z < l.a; z++) s += v[r * l.stride + z];
    out[r] = s;
  }
  return out;
}

/**
 * (x − y)² slot-wise, for decryption only: neither relinearised (−14 ms) nor rescaled (rescaling a
 * size-3 ciphertext costs precision: ~2e-6 instead of ~1e-8), then dropped exactly to the lowest
 * level that still holds scale² · 2^20 (per-slot squares up to ~2^13, with margin).
 */
export function squaredDiffBytes(ev: CkksEvaluator, x: Ciphertext, y: Ciphertext): Uint8Array {
  const d = ev.sub(x, y);
  try {
    const sq = ev.square(d, { relinearize: false, rescale: false });
    try {
      ev.dropToFit(sq, Math.log2(sq.scale()) + 20);
      return ev.save(sq);
    } finally {
      sq.delete();
    }
  } finally {
    d.delete();
  }
}

export function layoutHeader(l: RowLayout): RowLayout {
  return { n: l.n, a: l.a, stride: l.stride, rowsPerCt: l.rowsPerCt, blocks: l.blocks, slots: l.slots };
}

export function checkLayout(l: RowLayout, slots: number, what: string): void {
  const ok =
    Number.isInteger(l.n) &&
    l.n > 0 &&
    Number.isInteger(l.a) &&
    l.a > 0 &&
    l.slots === slots &&
    l.stride >= l.a &&
    l.rowsPerCt * l.stride <= slots &&
    l.blocks === Math.ceil(l.n / l.rowsPerCt);
  if (!ok) throw new Error(`${what}: layout in the message does not match the keys (slots ${slots})`);
}
