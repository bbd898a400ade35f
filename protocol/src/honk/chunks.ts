import { hmac } from "@noble/hashes/hmac.js";
import { sha512 } from "@noble/hashes/sha2.js";
import { MAX_ABS } from "../fixedpoint.js";
import { BN254_FR, poseidon2Hash } from "./poseidon2.js";

/**
 * The chunked dataset commitment of the Honk circuits (twin of circuits/noir/lib/src/chunk.nr).
 *
 * A dataset of C columns is stored in W slots per row, W = chunkWidth(C) the smallest compiled
 * circuit width (CHUNK_WIDTHS) that holds C; slots C … W−1 are zero. Rows are cut into chunks of
 * R = CHUNK_SLOTS / W rows (the last one padded with zero rows); a chunk's leaf is
 *
 *   leaf = H(salt, R, W, C, count, packed_0, …, packed_{P−1}),   P = W·ceil(R / 5),
 *
 * where the chunk's values x (fixed point, |x| < 2^48, zero in padding rows and unused slots) are
 * offset to u = x + 2^48 < 2^49 and packed column by column, 5 to a field element: column j's R
 * values fill ceil(R/5) elements, packed = Σ_t u_t·2^(49t). H is the Poseidon2 sponge
 * (poseidon2.ts). One salt per chunk (HMAC-SHA512 of the owner's seed and the chunk index) hides
 * the chunk; R, W, C and count in the leaf fix the chunk's shape and rows. The root is a binary
 * tree of depth CHUNK_TREE_DEPTH over chunk leaves, empty slots 0, nodes H(left, right). A proof
 * covers K = 2^J consecutive chunks, a group: the subtree at height J with index `group`, and the
 * DEPTH − J siblings above it (`groupPath`). Slots past the last chunk are empty (leaf 0); in a
 * group they are chunks of count 0.
 */
export const CHUNK_TREE_DEPTH = 16;
/** Value slots per chunk (R·W): every width class has chunks of the same size in values. */
export const CHUNK_SLOTS = 1024;
/** The compiled circuit widths (circuits/honk/registry.ts builds one circuit per kind and width). */
export const CHUNK_WIDTHS: readonly number[] = [4, 16];
export const MAX_COLUMNS = CHUNK_WIDTHS[CHUNK_WIDTHS.length - 1];

/** The circuit width (slots per row) a dataset of C columns is committed and proven in. */
export function chunkWidth(C: number): number {
  const W = CHUNK_WIDTHS.find((w) => w >= C);
  if (!Number.isInteger(C) || C < 1 || W === undefined)
    throw new Error(`a dataset committed by chunks has 1..${MAX_COLUMNS} columns (it has ${C}); select at most ${MAX_COLUMNS} columns or commit it by rows`);
  return W;
}

/** Rows per chunk at width W. */
export const chunkRowsFor = (W: number): number => CHUNK_SLOTS / W;
export const PACK = 5;
export const VALUE_BITS = 49n;
const OFFSET = 1n << 48n;
const SALT_DOMAIN = new TextEncoder().encode("ciphermine/honk/chunk-salt/v1");

/** Field element of a signed fixed-point integer (negatives as p − |x|). */
export const toField = (x: bigint): bigint => (x < 0n ? BN254_FR + x : x);

/** salt_k = HMAC-SHA512(seed, domain ‖ u64 k) mod p. */
export function chunkSalt(seed: Uint8Array, chunkIndex: number): bigint {
  const msg = new Uint8Array(SALT_DOMAIN.length + 8);
  msg.set(SALT_DOMAIN);
  new DataView(msg.buffer).setBigUint64(SALT_DOMAIN.length, BigInt(chunkIndex));
  const d = hmac(sha512, seed, msg);
  return BigInt("0x" + Buffer.from(d).toString("hex")) % BN254_FR;
}

/** The leaf of a chunk; `rows` are its real rows (≤ R), each of exactly C signed values, stored in W ≥ C slots. */
export function chunkLeaf(rows: readonly (readonly bigint[])[], R: number, C: number, salt: bigint, W = C): bigint {
  if (rows.length > R) throw new Error(`chunkLeaf: ${rows.length} rows exceed the chunk size ${R}`);
  if (!(C >= 1 && C <= W)) throw new Error(`chunkLeaf: ${C} columns do not fit ${W} slots`);
  rows.forEach((row, i) => {
    if (row.length !== C) throw new Error(`chunkLeaf: row ${i} has ${row.length} values, expected ${C}`);
  });
  const packed: bigint[] = [];
  for (let j = 0; j < W; j++) {
    let acc = 0n;
    let shift = 0n;
    for (let i = 0; i < R; i++) {
      const x = j < C && i < rows.length ? rows[i][j] : 0n;
      if (x >= MAX_ABS || x <= -MAX_ABS) throw new Error(`chunkLeaf: row ${i} column ${j} = ${x} is outside ±2^48 (fixed point)`);
      acc += (x + OFFSET) << shift;
      shift += VALUE_BITS;
      if (i % PACK === PACK - 1 || i === R - 1) {
        packed.push(acc);
        acc = 0n;
        shift = 0n;
      }
    }
  }
  return poseidon2Hash([salt, BigInt(R), BigInt(W), BigInt(C), BigInt(rows.length), ...packed]);
}

let zeros: bigint[] | undefined;
/** zeros[l] = root of an empty subtree of height l. */
function zeroHashes(): bigint[] {
  if (!zeros) {
    zeros = [0n];
    for (let l = 0; l < CHUNK_TREE_DEPTH; l++) zeros.push(poseidon2Hash([zeros[l], zeros[l]]));
  }
  return zeros;
}

export interface ChunkTree {
  root: bigint;
  leaves: bigint[];
  /** levels[l] = the non-empty nodes at height l (levels[0] = leaves). */
  levels: bigint[][];
}

export function chunkTree(leaves: readonly bigint[]): ChunkTree {
  if (leaves.length === 0) throw new Error("chunkTree: a dataset has at least one chunk");
  if (leaves.length > 2 ** CHUNK_TREE_DEPTH) throw new Error(`chunkTree: at most 2^${CHUNK_TREE_DEPTH} chunks`);
  const z = zeroHashes();
  const levels: bigint[][] = [leaves.slice()];
  for (let l = 0; l < CHUNK_TREE_DEPTH; l++) {
    const cur = levels[l];
    const next: bigint[] = [];
    for (let i = 0; i < cur.length; i += 2) next.push(poseidon2Hash([cur[i], i + 1 < cur.length ? cur[i + 1] : z[l]]));
    levels.push(next);
  }
  return { root: levels[CHUNK_TREE_DEPTH][0], leaves: leaves.slice(), levels };
}

/** Siblings of chunk k from the leaf up. */
export function chunkPath(tree: ChunkTree, k: number): bigint[] {
  if (k < 0 || k >= tree.leaves.length) throw new Error(`chunkPath: chunk ${k} does not exist (${tree.leaves.length} chunks)`);
  const z = zeroHashes();
  const path: bigint[] = [];
  let idx = k;
  for (let l = 0; l < CHUNK_TREE_DEPTH; l++) {
    const sib = idx ^ 1;
    path.push(sib < tree.levels[l].length ? tree.levels[l][sib] : z[l]);
    idx >>= 1;
  }
  return path;
}

/** Siblings of the subtree at height J (K = 2^J chunks) with index `group`, from height J up. */
export function groupPath(tree: ChunkTree, group: number, J: number): bigint[] {
  return chunkPath(tree, group * 2 ** J).slice(J);
}

export interface ChunkedDataset {
  R: number;
  /** The dataset's columns. */
  C: number;
  /** Slots per row (the circuit width); columns C … W−1 are zero. */
  W: number;
  chunks: bigint[][][];
  salts: bigint[];
  tree: ChunkTree;
}

/** Commits a dataset of signed fixed-point rows of C columns, stored in W slots per row, by chunks of R rows. */
export function commitChunks(rows: readonly (readonly bigint[])[], R: number, C: number, seed: Uint8Array, W = C): ChunkedDataset {
  if (!Number.isInteger(R) || R < 1) throw new Error("commitChunks: R must be a positive integer");
  if (rows.length === 0) throw new Error("commitChunks: the dataset has no rows");
  const chunks: bigint[][][] = [];
  for (let i = 0; i < rows.length; i += R) chunks.push(rows.slice(i, i + R).map((r) => r.slice()));
  const salts = chunks.map((_, k) => chunkSalt(seed, k));
  const tree = chunkTree(chunks.map((c, k) => chunkLeaf(c, R, C, salts[k], W)));
  return { R, C, W, chunks, salts, tree };
}
