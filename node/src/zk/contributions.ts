import type { Groth16Proof } from "../../../chain-connector/src/connector.js";
import type { DatasetTree } from "../../../protocol/src/commitment.js";
import { poseidonHasher } from "../../../protocol/src/commitment.js";
import {
  CONTRIBUTION_CIRCUITS,
  type ContributionKind,
  commitmentBits,
  extremaCommitment,
  gradientContribution,
  gradientVector,
  kmeansContribution,
  kmeansVector,
  paramsHash,
  statsContribution,
  statsVector,
  type StatsContribution,
} from "../../../protocol/src/contributions.js";
import { addBlindings, addCommitments, pedersenCommit, randomBlinding, type Commitment } from "../../../protocol/src/pedersen.js";
import { gradientChunkInput, kmeansChunkInput, statsChunkInput, type ChunkShape } from "./inputs.js";
import { loadCircuit } from "./prover.js";
import { inPoolLanes, pool } from "../runtime/pool.js";

/**
 * Provers for the federated contribution circuits (circuits/{stats,kmeans,linreg,logreg}_chunk).
 * Each proves one chunk of a committed dataset and returns, besides the proof, the Pedersen
 * commitment it outputs, the blinding (keep it secret: reveal only sums of blindings), and the
 * committed vector in plain form (protocol/src/contributions.ts explains the layout and scales).
 * proveAll covers every row of a dataset (ceil(rows / chunkRows) proofs) and sums the chunks.
 *
 * Public signals of all four end with [..., binding, root]; the commitment is (signals[0], signals[1]).
 */
export { CONTRIBUTION_CIRCUITS, type ContributionKind };

export interface ContributionParams {
  /** kmeans: k centroids (field elements, ≤ the circuit's columns each; exactly the circuit's k). */
  centroids?: readonly (readonly bigint[])[];
  /** linreg / logreg: [w_0..w_{C-2}, bias] (field elements at scale 2^16). */
  weights?: readonly bigint[];
}

export interface ChunkContribution {
  kind: ContributionKind;
  circuit: string;
  chunkIndex: number;
  proof: Groth16Proof;
  publicSignals: string[];
  commitment: Commitment;
  /** Secret: the commitment's blinding. */
  blinding: bigint;
  /** The committed vector (signed integers), e.g. [count, sums, sumSq] for stats. */
  vector: bigint[];
  /** stats only: min/max and the blinding of the `extrema` hash output (public signal 2). */
  extrema?: { min: bigint[]; max: bigint[]; blinding: bigint; hash: bigint };
  /** kmeans / linreg / logreg: the public parameters' hash (a public input). */
  paramsHash?: bigint;
}

function shapeOf(circuit: string, buildDir?: string): { shape: ChunkShape; params: Record<string, number>; publicSignals: string[] } {
  const c = loadCircuit(circuit, buildDir);
  return { shape: { chunkRows: c.params.chunkRows, columns: c.params.columns, treeDepth: c.params.treeDepth }, params: c.params, publicSignals: c.publicSignals };
}

const r = (chunkRows: number) => Math.log2(chunkRows);

/**
 * The binding public input of a chunk proof: a value, or a function of the chunk's outputs (the
 * public signals before [binding, root]) for bindings that commit to them (protocol roundBinding
 * over outputsCommitment(outputs)). Outputs are computed before proving, so this costs nothing.
 */
export type ChunkBinding = bigint | ((outputs: bigint[]) => bigint);

/** The named public outputs of a contribution circuit, in the manifest's order (everything before binding and root). */
function chunkOutputs(names: readonly string[], v: { commitment: Commitment; extrema?: bigint; chunkIndex: number; paramsHash?: bigint }): bigint[] {
  return names.slice(0, -2).map((name) => {
    switch (name) {
      case "commitment[0]":
        return v.commitment.x;
      case "commitment[1]":
        return v.commitment.y;
      case "extrema":
        return v.extrema!;
      case "chunkIndex":
        return BigInt(v.chunkIndex);
      case "centroidsHash":
      case "weightsHash":
        return v.paramsHash!;
      default:
        throw new Error(`contribution circuit output "${name}" is unknown to the prover; rebuild or update node/src/zk/contributions.ts`);
    }
  });
}

/** Proves chunk `chunkIndex` of a committed dataset for one contribution kind. */
export async function proveContributionChunk(a: {
  kind: ContributionKind;
  tree: DatasetTree;
  rows: readonly (readonly bigint[])[];
  chunkIndex: number;
  binding: ChunkBinding;
  params?: ContributionParams;
  blinding?: bigint;
  buildDir?: string;
}): Promise<ChunkContribution> {
  const circuit = CONTRIBUTION_CIRCUITS[a.kind];
  if (!circuit) throw new Error(`proveContributionChunk: unknown kind "${a.kind}"; use stats, kmeans, linreg or logreg`);
  const { shape, params, publicSignals: names } = shapeOf(circuit, a.buildDir);
  const H = await poseidonHasher();
  const blinding = a.blinding ?? randomBlinding();
  const first = a.chunkIndex * shape.chunkRows;
  const mine = a.rows.slice(first, first + shape.chunkRows);
  const bits = commitmentBits(a.kind, r(shape.chunkRows));
  if (params.commitmentBits !== undefined && params.commitmentBits !== bits) {
    throw new Error(`${circuit}: the manifest says ${params.commitmentBits} commitment bits, protocol computes ${bits}; rebuild the circuits`);
  }
  let input: (binding: bigint) => Record<string, unknown>;
  let vector: bigint[];
  let extrema: ChunkContribution["extrema"];
  let pHash: bigint | undefined;
  switch (a.kind) {
    case "stats": {
      const extremaBlinding = randomBlinding();
      input = (binding) => statsChunkInput({ tree: a.tree, rows: a.rows, chunkIndex: a.chunkIndex, binding, blinding, extremaBlinding, shape });
      const s: StatsContribution = statsContribution(mine, shape.columns);
      vector = statsVector(s);
      extrema = { min: s.min, max: s.max, blinding: extremaBlinding, hash: extremaCommitment(H, s, extremaBlinding) };
      break;
    }
    case "kmeans": {
      const centroids = a.params?.centroids;
      if (!centroids) throw new Error("kmeans_chunk: params.centroids is required (k rows of field elements)");
      const padded = centroids.map((c) => [...c, ...Array<bigint>(shape.columns - c.length).fill(0n)]);
      const h = paramsHash(H, padded.flat());
      pHash = h;
      input = (binding) =>
        kmeansChunkInput({ tree: a.tree, rows: a.rows, chunkIndex: a.chunkIndex, binding, blinding, centroids: padded, centroidsHash: h, clusters: params.clusters, shape });
      vector = kmeansVector(kmeansContribution(mine, padded, shape.columns));
      break;
    }
    case "linreg":
    case "logreg": {
      const weights = a.params?.weights;
      if (!weights) throw new Error(`${circuit}: params.weights is required ([w_0..w_${shape.columns - 2}, bias] as field elements)`);
      const h = paramsHash(H, [...weights]);
      pHash = h;
      const logistic = a.kind === "logreg";
      input = (binding) => gradientChunkInput({ circuit, logistic, tree: a.tree, rows: a.rows, chunkIndex: a.chunkIndex, binding, blinding, weights, weightsHash: h, shape });
      vector = gradientVector(gradientContribution(mine, weights, logistic, shape.columns));
      break;
    }
  }
  const commitment = pedersenCommit(vector, blinding, bits);
  const outputs = chunkOutputs(names, { commitment, extrema: extrema?.hash, chunkIndex: a.chunkIndex, paramsHash: pHash });
  const binding = typeof a.binding === "function" ? a.binding(outputs) : a.binding;
  // The proof itself (witness and Groth16, seconds of CPU) runs on a pool thread.
  const { proof, publicSignals } = await pool().run("proveCircuit", { name: circuit, input: input(binding), buildDir: a.buildDir });
  if (publicSignals.slice(0, -2).some((x, i) => BigInt(x) !== outputs[i])) {
    throw new Error(`${circuit}: the proven outputs differ from the ones computed in JS (protocol pedersenCommit, paramsHash); circuits and protocol disagree (rebuild?)`);
  }
  return { kind: a.kind, circuit, chunkIndex: a.chunkIndex, proof, publicSignals, commitment, blinding, vector, extrema, paramsHash: pHash };
}

export interface DatasetContribution {
  kind: ContributionKind;
  chunks: ChunkContribution[];
  /** Σ of the chunks' commitments: the member's contribution commitment. */
  commitment: Commitment;
  /** Σ of the chunks' blindings mod l (secret; revealed only inside a sum over members). */
  blinding: bigint;
  /** Σ of the chunks' vectors: the member's plain contribution. */
  vector: bigint[];
  /** Number of commitments summed (pedersen.verifyAggregate counts offsets per commitment). */
  commitments: number;
}

/**
 * Proves every row of a committed dataset: chunks 0 .. ceil(rows / chunkRows) - 1, all bound to
 * `binding`, proven on the worker pool, a few chunks per pool thread at a time (snarkjs uses
 * every core within a proof too).
 */
export async function proveAll(a: {
  kind: ContributionKind;
  tree: DatasetTree;
  rows: readonly (readonly bigint[])[];
  binding: ChunkBinding;
  params?: ContributionParams;
  buildDir?: string;
  onChunk?: (done: number, total: number) => void;
}): Promise<DatasetContribution> {
  const { shape } = shapeOf(CONTRIBUTION_CIRCUITS[a.kind], a.buildDir);
  const total = Math.ceil(a.tree.rows / shape.chunkRows);
  const chunks = await inPoolLanes(total, (k) => proveContributionChunk({ ...a, chunkIndex: k }), a.onChunk);
  const vector = chunks[0].vector.map((_, i) => chunks.reduce((s, c) => s + c.vector[i], 0n));
  return {
    kind: a.kind,
    chunks,
    commitment: addCommitments(chunks.map((c) => c.commitment)),
    blinding: addBlindings(chunks.map((c) => c.blinding)),
    vector,
    commitments: chunks.length,
  };
}
