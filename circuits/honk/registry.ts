/**
 * The Noir (UltraHonk) circuits the project builds: circuits/noir/<name>/ (a package of the
 * workspace circuits/noir/Nargo.toml). Parameters must match the package's globals; the build
 * checks the public input count against the compiled ABI.
 */
export interface HonkCircuitDef {
  /** Package name: circuits/noir/<name>/, circuits/noir/build/<name>/. */
  name: string;
  /** Solidity contract name written to contracts/verifiers/honk/<contract>.sol. */
  contract: string;
  /** Rows a proof covers. */
  rows: number;
  /** The circuit width W (slots per row); it proves datasets of 1..W columns. */
  columns: number;
  /** Public inputs in order (parameters marked pub, then the return values). */
  publicInputs: string[];
  params: Record<string, number>;
}

/**
 * One circuit per kind and width W (CHUNK_WIDTHS): chunks of R = 1024 / W rows (protocol/src/honk/
 * chunks.ts), the dataset's real width `columns` a public input after `binding` (ChunkAudit reads
 * root, group and binding at 0, 1, 2). Width 4 keeps the plain names
 * (stats_chunk, StatsChunkHonkVerifier); the others add _w<W> / W<W>.
 */
const BASE = [
  { kind: "stats", contract: "StatsChunk", chunksPerProof: { 4: 4, 16: 2 }, outputs: ["commitment.x", "commitment.y"], extra: { commitBits: 107 } },
  { kind: "minmax", contract: "MinMaxChunk", chunksPerProof: { 4: 2, 16: 2 }, params: ["prev"], outputs: ["extrema"], extra: {} },
  {
    kind: "kmeans",
    contract: "KMeansChunk",
    chunksPerProof: { 4: 1, 16: 1 },
    params: ["centroids_hash"],
    outputs: ["commitment.x", "commitment.y"],
    extra: { clusters: 4, commitBits: 107 },
  },
  { kind: "linreg", contract: "LinRegChunk", chunksPerProof: { 4: 2, 16: 2 }, params: ["weights_hash"], outputs: ["commitment.x", "commitment.y"], extra: { commitBits: 142 } },
  { kind: "logreg", contract: "LogRegChunk", chunksPerProof: { 4: 2, 16: 2 }, params: ["weights_hash"], outputs: ["commitment.x", "commitment.y"], extra: { commitBits: 107 } },
] as const;

export const HONK_WIDTHS = [4, 16] as const;
const SLOTS = 1024;

export const HONK_CIRCUITS: HonkCircuitDef[] = BASE.flatMap((b) =>
  HONK_WIDTHS.map((W) => {
    const chunkRows = SLOTS / W;
    const K = b.chunksPerProof[W];
    return {
      name: W === 4 ? `${b.kind}_chunk` : `${b.kind}_chunk_w${W}`,
      contract: W === 4 ? `${b.contract}HonkVerifier` : `${b.contract}W${W}HonkVerifier`,
      rows: chunkRows * K,
      columns: W,
      publicInputs: ["root", "group", "binding", "columns", ...("params" in b ? b.params : []), ...b.outputs],
      params: { chunkRows, chunksPerProof: K, columns: W, width: W, treeDepth: 16, valueBits: 49, pack: 5, ...b.extra },
    };
  }),
);

export function honkCircuitDef(name: string): HonkCircuitDef {
  const def = HONK_CIRCUITS.find((c) => c.name === name);
  if (!def) throw new Error(`unknown Honk circuit "${name}"; known: ${HONK_CIRCUITS.map((c) => c.name).join(", ")}`);
  return def;
}
