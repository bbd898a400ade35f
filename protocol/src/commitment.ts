import { buildPoseidon } from "circomlibjs";
import { hmac } from "@noble/hashes/hmac.js";
import { sha512 } from "@noble/hashes/sha2.js";
import { SNARK_FIELD } from "./binding.js";
import { MAX_ABS, MAX_ABS_BITS } from "./fixedpoint.js";

/**
 * Dataset commitment: a binary Poseidon Merkle tree of fixed depth over salted fixed-point rows.
 *
 * - Leaf of row i: the row is cut into blocks of LEAF_BLOCK = 4 values, the last block padded with
 *   zeros, and chained: h = Poseidon(salt_i, v_0..v_3), h = Poseidon(h, v_4..v_7), …; the last h is
 *   the leaf. A row of ≤ 4 columns is one Poseidon(salt, v_0, v_1, v_2, v_3). Padding makes the
 *   leaf depend only on the padded width, so one circuit of width W = 4k proves any dataset of
 *   W-3 … W columns (its padded columns sum to 0), instead of one circuit per column count; 4 is
 *   the width of the first circuit (chunk_sum) and keeps each hash small (Poseidon(5)).
 * - salt_i = HMAC-SHA512(seed, "ciphermine/row-salt/v1" ‖ i as u64 big-endian) mod p: 512 bits
 *   reduced into the field (negligible bias), so the owner regenerates every salt from one secret
 *   seed, and a leaf reveals nothing about its row.
 * - The tree always has depth TREE_DEPTH (2^20 leaf slots); slots after the last row hold 0, and an
 *   inner node is Poseidon(left, right). A fixed depth means one circuit serves every dataset size,
 *   and the all-zero subtrees are precomputed, so committing costs O(rows), not O(2^20).
 * - Chunks: a chunk of R = 2^r rows (R a power of two) is the subtree at level r with index k
 *   (rows k·R … k·R+R-1). A chunk proof recomputes the R leaves, their subtree, and the path of
 *   TREE_DEPTH - r siblings up to the root. Any power-of-two R works with the same root; the last
 *   chunk may be partly empty (its empty slots are 0 leaves, which the circuit's row mask models).
 * - A 0 leaf can never be a row (that would need a Poseidon preimage of 0), so the prover cannot
 *   hide or invent rows: the row count is fixed by the root.
 */
export const TREE_DEPTH = 20;
export const MAX_ROWS = 1 << TREE_DEPTH;
/** Values per Poseidon call in a leaf (plus the salt or chain value). */
export const LEAF_BLOCK = 4;
const SALT_DOMAIN = new TextEncoder().encode("ciphermine/row-salt/v1");

export type Hasher = (inputs: bigint[]) => bigint;

let hasherPromise: Promise<Hasher> | undefined;

/** circomlib-compatible Poseidon (circomlibjs's WASM implementation, built once per process). */
export function poseidonHasher(): Promise<Hasher> {
  hasherPromise ??= buildPoseidon().then((p) => (inputs: bigint[]) => p.F.toObject(p(inputs)));
  return hasherPromise;
}

/** Roots of all-zero subtrees: zeros[k] is the root of a zero subtree of height k. */
const zerosCache = new WeakMap<Hasher, bigint[]>();
export function zeroHashes(H: Hasher): bigint[] {
  let z = zerosCache.get(H);
  if (!z) {
    z = [0n];
    for (let k = 1; k <= TREE_DEPTH; k++) z.push(H([z[k - 1], z[k - 1]]));
    zerosCache.set(H, z);
  }
  return z;
}

/** Salt of row `index`, derived from the dataset's secret seed (≥ 16 bytes). */
export function rowSalt(seed: Uint8Array, index: number): bigint {
  checkSeed(seed);
  if (!Number.isInteger(index) || index < 0 || index >= MAX_ROWS) {
    throw new RangeError(`commitment: row index ${index} must be an integer in [0, ${MAX_ROWS})`);
  }
  const msg = new Uint8Array(SALT_DOMAIN.length + 8);
  msg.set(SALT_DOMAIN);
  new DataView(msg.buffer).setBigUint64(SALT_DOMAIN.length, BigInt(index));
  const mac = hmac(sha512, seed, msg);
  return BigInt("0x" + Buffer.from(mac).toString("hex")) % SNARK_FIELD;
}

function checkSeed(seed: Uint8Array): void {
  if (!(seed instanceof Uint8Array) || seed.length < 16) {
    throw new TypeError("commitment: seed must be a Uint8Array of at least 16 secret bytes (keep it: salts are derived from it)");
  }
}

/** Width a row of `columns` values is hashed at (the next multiple of LEAF_BLOCK). */
export function paddedWidth(columns: number): number {
  return Math.ceil(columns / LEAF_BLOCK) * LEAF_BLOCK;
}

/** Leaf of one row: zero-padded blocks of 4, chained (see the module comment). */
export function hashRow(H: Hasher, salt: bigint, row: readonly bigint[]): bigint {
  if (row.length === 0) throw new RangeError("commitment: a row needs at least one column");
  let h = salt;
  for (let i = 0; i < row.length; i += LEAF_BLOCK) {
    const block = row.slice(i, i + LEAF_BLOCK);
    while (block.length < LEAF_BLOCK) block.push(0n);
    h = H([h, ...block]);
  }
  return h;
}

export interface DatasetTree {
  /** Merkle root as a 0x-prefixed bytes32 (a field element), what DataRegistry stores. */
  root: string;
  rootField: bigint;
  leaves: bigint[];
  salts: bigint[];
  depth: number;
  rows: number;
  columns: number;
  /** layers[k][j]: node j at height k over the filled part (layers[0] = leaves); missing nodes are zero subtrees. */
  layers: bigint[][];
  /** zeros[k]: root of an all-empty subtree of height k (the padding). */
  zeros: bigint[];
}

/** Field element → 0x bytes32. */
export function fieldToBytes32(x: bigint): string {
  if (x < 0n || x >= SNARK_FIELD) throw new RangeError(`commitment: ${x} is not a field element`);
  return "0x" + x.toString(16).padStart(64, "0");
}

/** 0x bytes32 → field element (refuses values ≥ p, which no root can be). */
export function bytes32ToField(hex: string): bigint {
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) throw new TypeError(`commitment: root "${hex}" must be a 0x-prefixed 32-byte hex string`);
  const x = BigInt(hex);
  if (x >= SNARK_FIELD) throw new RangeError(`commitment: root ${hex} is not below the BN254 field order`);
  return x;
}

function checkRows(rows: readonly (readonly bigint[])[]): number {
  if (rows.length === 0) throw new RangeError("commitment: the dataset has no rows; commit at least one row");
  if (rows.length > MAX_ROWS) throw new RangeError(`commitment: ${rows.length} rows exceed the tree capacity of ${MAX_ROWS}; split the dataset`);
  const columns = rows[0].length;
  if (columns === 0) throw new RangeError("commitment: rows need at least one column");
  const neg = SNARK_FIELD - MAX_ABS;
  rows.forEach((row, r) => {
    if (row.length !== columns) throw new RangeError(`commitment: row ${r} has ${row.length} values, expected ${columns}`);
    row.forEach((v, c) => {
      if (typeof v !== "bigint" || v < 0n || v >= SNARK_FIELD || (v >= MAX_ABS && v <= neg)) {
        throw new RangeError(`commitment: row ${r}, column #${c} = ${String(v)} is not a fixed-point field element (|x| < 2^${MAX_ABS_BITS}); encode it with fixedpoint.encode`);
      }
    });
  });
  return columns;
}

/** Builds the tree with a given hasher (synchronous; see commitDataset). */
export function commitDatasetWith(H: Hasher, rows: readonly (readonly bigint[])[], seed: Uint8Array): DatasetTree {
  checkSeed(seed);
  const columns = checkRows(rows);
  const zeros = zeroHashes(H);
  const salts = rows.map((_, i) => rowSalt(seed, i));
  const leaves = rows.map((row, i) => hashRow(H, salts[i], row));
  const layers: bigint[][] = [leaves];
  for (let k = 1; k <= TREE_DEPTH; k++) {
    const below = layers[k - 1];
    const level: bigint[] = [];
    for (let j = 0; j < below.length; j += 2) level.push(H([below[j], j + 1 < below.length ? below[j + 1] : zeros[k - 1]]));
    layers.push(level);
  }
  const rootField = layers[TREE_DEPTH][0];
  return { root: fieldToBytes32(rootField), rootField, leaves, salts, depth: TREE_DEPTH, rows: rows.length, columns, layers, zeros };
}

/**
 * Commits a dataset of fixed-point rows (fixedpoint.encodeRows) under a secret seed.
 * Cost: one Poseidon per row per 4 columns plus one per inner node (≈0.35 ms per row of 4 here).
 */
export async function commitDataset(rows: readonly (readonly bigint[])[], seed: Uint8Array): Promise<DatasetTree> {
  return commitDatasetWith(await poseidonHasher(), rows, seed);
}

export interface ChunkWitness {
  chunkIndex: number;
  chunkRows: number;
  /** Rows of the dataset in this chunk (fewer than chunkRows for a partial last chunk). */
  firstRow: number;
  count: number;
  /** Root of the chunk's subtree (height log2 chunkRows). */
  subtreeRoot: bigint;
  /** Siblings from the subtree's level up to the root (TREE_DEPTH - log2 chunkRows of them). */
  siblings: bigint[];
  /** Bit k = 1 when the node at that level is a right child (the bits of chunkIndex, LSB first). */
  pathIndices: number[];
}

function log2Exact(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1 || (n & (n - 1)) !== 0 || n > MAX_ROWS) {
    throw new RangeError(`commitment: ${what} ${n} must be a power of two between 1 and ${MAX_ROWS}`);
  }
  return Math.log2(n);
}

/** The Merkle path a prover needs for chunk `chunkIndex` of `chunkRows` rows (a power of two). */
export function chunkPath(tree: DatasetTree, chunkIndex: number, chunkRows: number): ChunkWitness {
  const r = log2Exact(chunkRows, "chunkRows");
  const chunks = Math.ceil(tree.rows / chunkRows);
  if (!Number.isInteger(chunkIndex) || chunkIndex < 0 || chunkIndex >= chunks) {
    throw new RangeError(`commitment: chunk ${chunkIndex} does not exist; the dataset has ${chunks} chunks of ${chunkRows} rows`);
  }
  const node = (k: number, j: number) => tree.layers[k][j] ?? tree.zeros[k];
  const siblings: bigint[] = [];
  const pathIndices: number[] = [];
  let j = chunkIndex;
  for (let k = r; k < tree.depth; k++) {
    siblings.push(node(k, j ^ 1));
    pathIndices.push(j & 1);
    j >>= 1;
  }
  const firstRow = chunkIndex * chunkRows;
  return {
    chunkIndex,
    chunkRows,
    firstRow,
    count: Math.min(chunkRows, tree.rows - firstRow),
    subtreeRoot: node(r, chunkIndex),
    siblings,
    pathIndices,
  };
}

/** Path of one row (a chunk of one). */
export function merklePath(tree: DatasetTree, index: number): ChunkWitness {
  return chunkPath(tree, index, 1);
}

/** Recomputes a root from a subtree root at height `level`, its index and its siblings. */
export function rootFromPath(H: Hasher, node: bigint, pathIndices: readonly number[], siblings: readonly bigint[]): bigint {
  let h = node;
  siblings.forEach((s, k) => {
    h = pathIndices[k] ? H([s, h]) : H([h, s]);
  });
  return h;
}
