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
  columns: number;
  /** Public inputs in order (parameters marked pub, then the return values). */
  publicInputs: string[];
  params: Record<string, number>;
}

export const HONK_CIRCUITS: HonkCircuitDef[] = [
  {
    name: "stats_chunk",
    contract: "StatsChunkHonkVerifier",
    rows: 1024,
    columns: 4,
    publicInputs: ["root", "group", "binding", "commitment.x", "commitment.y"],
    params: { chunkRows: 256, chunksPerProof: 4, columns: 4, treeDepth: 16, valueBits: 49, pack: 5, commitBits: 107 },
  },
  {
    name: "minmax_chunk",
    contract: "MinMaxChunkHonkVerifier",
    rows: 512,
    columns: 4,
    publicInputs: ["root", "group", "binding", "extrema"],
    params: { chunkRows: 256, chunksPerProof: 2, columns: 4, treeDepth: 16, valueBits: 49, pack: 5 },
  },
  {
    name: "kmeans_chunk",
    contract: "KMeansChunkHonkVerifier",
    rows: 256,
    columns: 4,
    publicInputs: ["root", "group", "binding", "centroids_hash", "commitment.x", "commitment.y"],
    params: { chunkRows: 256, chunksPerProof: 1, columns: 4, treeDepth: 16, valueBits: 49, pack: 5, clusters: 4, commitBits: 107 },
  },
  {
    name: "linreg_chunk",
    contract: "LinRegChunkHonkVerifier",
    rows: 512,
    columns: 4,
    publicInputs: ["root", "group", "binding", "weights_hash", "commitment.x", "commitment.y"],
    params: { chunkRows: 256, chunksPerProof: 2, columns: 4, treeDepth: 16, valueBits: 49, pack: 5, commitBits: 142 },
  },
  {
    name: "logreg_chunk",
    contract: "LogRegChunkHonkVerifier",
    rows: 512,
    columns: 4,
    publicInputs: ["root", "group", "binding", "weights_hash", "commitment.x", "commitment.y"],
    params: { chunkRows: 256, chunksPerProof: 2, columns: 4, treeDepth: 16, valueBits: 49, pack: 5, commitBits: 107 },
  },
];

export function honkCircuitDef(name: string): HonkCircuitDef {
  const def = HONK_CIRCUITS.find((c) => c.name === name);
  if (!def) throw new Error(`unknown Honk circuit "${name}"; known: ${HONK_CIRCUITS.map((c) => c.name).join(", ")}`);
  return def;
}
