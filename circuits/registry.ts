import { kindDef, provenKinds } from "../protocol/src/tasks/registry.js";

/**
 * The circuits the project builds. Parameters here must match the `component main` line of each
 * source (build.ts checks the public signal count against the compiled circuit).
 */
export interface CircuitDef {
  /** File stem: circuits/<name>.circom, circuits/build/<name>/. */
  name: string;
  /** Solidity contract name written to contracts/verifiers/<contract>.sol. */
  contract: string;
  /** Rows a proof covers (for "constraints per row"). */
  rows: number;
  /** Free-form parameters recorded in the manifest for provers. */
  params: Record<string, number>;
  /** Names of the public signals, in order: outputs first, then public inputs. */
  publicSignals: string[];
  /** Commit the r1cs (only small circuits: the big ones' constraint tests compile wrappers). */
  keepR1cs?: boolean;
}

/** A kind circuit's public signals: the layout its kind declares (protocol/src/tasks, TaskKindDef.proof). */
function kindSignals(circuit: string): string[] {
  const k = provenKinds().find((x) => x.circuit === circuit);
  if (!k) throw new Error(`circuits/registry: no task kind names circuit ${circuit}`);
  return [...kindDef(k.kind)!.proof!.publicInputs];
}

export const CIRCUITS: CircuitDef[] = [
  {
    name: "chunk_sum",
    contract: "ChunkSumVerifier",
    rows: 8,
    params: { chunkRows: 8, columns: 4, treeDepth: 20, valueBits: 49 },
    publicSignals: ["sums[0]", "sums[1]", "sums[2]", "sums[3]", "count", "chunkIndex", "binding", "root"],
    keepR1cs: true,
  },
  // Federated contributions: Pedersen commitment (x, y) to the chunk's additive statistics; R is
  // the largest power of two whose proof fits 2^16 constraints (circuits/README.md).
  {
    name: "stats_chunk",
    contract: "StatsChunkVerifier",
    rows: 32,
    params: { chunkRows: 32, columns: 4, treeDepth: 20, valueBits: 49, commitmentBits: 103 },
    publicSignals: kindSignals("stats_chunk"),
  },
  {
    name: "kmeans_chunk",
    contract: "KMeansChunkVerifier",
    rows: 32,
    params: { chunkRows: 32, columns: 4, treeDepth: 20, valueBits: 49, clusters: 4, commitmentBits: 55 },
    publicSignals: kindSignals("kmeans_chunk"),
  },
  {
    name: "linreg_chunk",
    contract: "LinRegChunkVerifier",
    rows: 64,
    params: { chunkRows: 64, columns: 4, treeDepth: 20, valueBits: 49, logistic: 0, commitmentBits: 140 },
    publicSignals: kindSignals("linreg_chunk"),
  },
  {
    name: "logreg_chunk",
    contract: "LogRegChunkVerifier",
    rows: 64,
    params: { chunkRows: 64, columns: 4, treeDepth: 20, valueBits: 49, logistic: 1, commitmentBits: 106 },
    publicSignals: kindSignals("logreg_chunk"),
  },
];

/** Every kind with a proof part names a circuit defined here (the build refuses to run otherwise). */
export function checkKindCircuits(): void {
  const missing = provenKinds().filter((k) => !CIRCUITS.some((c) => c.name === k.circuit));
  if (missing.length)
    throw new Error(
      `circuits:build: task kinds name circuits that circuits/registry.ts does not define: ${missing.map((k) => `${k.kind} → ${k.circuit}`).join(", ")}; add a CircuitDef or drop the kind's proof part`,
    );
}

export function circuitDef(name: string): CircuitDef {
  const def = CIRCUITS.find((c) => c.name === name);
  if (!def) throw new Error(`unknown circuit "${name}"; known: ${CIRCUITS.map((c) => c.name).join(", ")}`);
  return def;
}
