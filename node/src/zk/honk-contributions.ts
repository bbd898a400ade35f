import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chunkWidth, type ChunkedDataset } from "../../../protocol/src/honk/chunks.js";
import { addCommitments, commit, GRUMPKIN_ORDER, verifyAggregate, type Commitment } from "../../../protocol/src/honk/pedersen.js";
import {
  centroidsHash,
  circuitVector,
  extrema,
  extremaChain,
  extremaCommitment,
  groupRows,
  kmeansChunkInputs,
  kmeansVector,
  linregChunkInputs,
  linregVector,
  logregChunkInputs,
  logregVector,
  minmaxChunkInputs,
  statsChunkInputs,
  statsVector,
  weightsHash,
  type CircuitInputs,
  type ExtremaLink,
} from "../../../protocol/src/honk/stats.js";
import { inPoolLanes, pool } from "../runtime/pool.js";
import { HONK_BUILD_DIR } from "./honk.js";

/**
 * UltraHonk contributions of the federated kinds over a chunked dataset commitment
 * (protocol/src/honk/chunks.ts): every group of chunks proven on the worker pool (the witness in a
 * pool thread, `bb prove` a child process of it), the outputs computed first by the JS twins
 * (protocol/src/honk/stats.ts) so a binding may commit to them, and the proven outputs checked
 * against the twins afterwards. A dataset of C columns is proven by the kind's circuit of width
 * W = chunkWidth(C) (honkShape(kind, C)); vectors here are compact (C columns), padded to the
 * circuit's layout only where commitments are made or opened.
 *
 * stats, kmeans, linreg and logreg output a Grumpkin Pedersen commitment to their vector (signed
 * values offset into non-negative scalars, so negatives add correctly); a member's contribution
 * commits to the sum of its groups' vectors with the sum of their blindings, and an aggregate over
 * members is checked against the sum of every group commitment (`opensHonk`). minmax outputs a
 * hiding hash of the running extrema, chained from group to group (min/max do not add), so the
 * last group's output commits to the member's extrema over every row.
 */
export type HonkKind = "stats" | "minmax" | "kmeans" | "linreg" | "logreg";

/** The width-4 circuit of each kind; honkCircuit(kind, C) names the one for C columns. */
export const HONK_KIND_CIRCUITS: Record<HonkKind, string> = {
  stats: "stats_chunk",
  minmax: "minmax_chunk",
  kmeans: "kmeans_chunk",
  linreg: "linreg_chunk",
  logreg: "logreg_chunk",
};

/** The circuit that proves `kind` over a dataset of `columns` columns (circuits/honk/registry.ts names). */
export function honkCircuit(kind: HonkKind, columns: number): string {
  const base = HONK_KIND_CIRCUITS[kind];
  if (!base) throw new Error(`honk: unknown kind "${kind}"; use ${Object.keys(HONK_KIND_CIRCUITS).join(", ")}`);
  const W = chunkWidth(columns);
  return W === 4 ? base : `${base}_w${W}`;
}

export interface HonkShape {
  circuit: string;
  chunkRows: number;
  chunksPerProof: number;
  /** The dataset's columns C (the circuit's `columns` public input). */
  columns: number;
  /** The circuit width W ≥ C (slots per row). */
  width: number;
  clusters: number;
  /** Offset bits of the Pedersen commitment (0 for minmax). */
  commitBits: number;
  publicInputs: string[];
}

const shapes = new Map<string, HonkShape>();

/** The shape of a kind's circuit for a dataset of `columns` columns, from circuits/noir/build/manifest.json. */
export function honkShape(kind: HonkKind, columns = 4, buildDir = HONK_BUILD_DIR): HonkShape {
  const circuit = honkCircuit(kind, columns);
  const key = `${buildDir}\0${circuit}\0${columns}`;
  const known = shapes.get(key);
  if (known) return known;
  const path = join(buildDir, "manifest.json");
  if (!existsSync(path)) throw new Error(`honk: ${path} is missing; run npm run circuits:build:honk -- --ptau <file>`);
  const m = JSON.parse(readFileSync(path, "utf8")) as { circuits: Record<string, { publicInputs: string[]; params: Record<string, number> }> };
  const e = m.circuits[circuit];
  if (!e) throw new Error(`honk: circuit ${circuit} is not in ${path}; rebuild the circuits`);
  const s: HonkShape = {
    circuit,
    chunkRows: e.params.chunkRows,
    chunksPerProof: e.params.chunksPerProof,
    columns,
    width: e.params.width ?? e.params.columns,
    clusters: e.params.clusters ?? 0,
    commitBits: e.params.commitBits ?? 0,
    publicInputs: e.publicInputs,
  };
  shapes.set(key, s);
  return s;
}

export interface HonkParams {
  /** kmeans: exactly the circuit's number of centroids, each of `columns` signed fixed-point values. */
  centroids?: readonly (readonly bigint[])[];
  /** linreg / logreg: [w_0..w_{C−2}, bias], signed at scale 2^16. */
  weights?: readonly bigint[];
}

/** A public value bound into every proof: a constant, or a function of the group's outputs (computed before proving). */
export type HonkBinding = bigint | ((outputs: bigint[]) => bigint);

export interface HonkGroupProof {
  kind: HonkKind;
  circuit: string;
  group: number;
  proof: Uint8Array;
  /** [root, group, binding, (params hash), outputs…] as the circuit orders them. */
  publicInputs: bigint[];
  /** The outputs (the commitment x, y; minmax: the extrema hash). */
  outputs: bigint[];
  /** Secret: the Pedersen (or extrema hash) blinding. */
  blinding: bigint;
  /** Secret: the committed vector (signed); minmax: [mins…, maxs…]. */
  vector: bigint[];
  bbCpuSeconds: number;
}

/** A uniformly random blinding in [1, Grumpkin order). */
export function randomHonkBlinding(): bigint {
  for (;;) {
    const b = crypto.getRandomValues(new Uint8Array(32));
    b[0] &= 0x3f;
    const r = BigInt("0x" + Buffer.from(b).toString("hex"));
    if (r > 0n && r < GRUMPKIN_ORDER) return r;
  }
}

/** Number of proofs (groups of chunksPerProof chunks) that cover every row of `ds`. */
export function honkGroups(kind: HonkKind, ds: ChunkedDataset, buildDir?: string): number {
  const s = honkShape(kind, ds.C, buildDir);
  if (ds.R !== s.chunkRows || ds.W !== s.width)
    throw new Error(
      `${s.circuit}: the dataset is committed in chunks of ${ds.R} rows × ${ds.W} slots; the circuit proves chunks of ${s.chunkRows} × ${s.width} (${ds.C} columns are committed in chunks of ${s.chunkRows} rows × ${s.width} slots)`,
    );
  return Math.ceil(ds.chunks.length / s.chunksPerProof);
}

/** The circuit inputs (given the binding), the twin's vector and outputs of one group. */
function plan(
  kind: HonkKind,
  ds: ChunkedDataset,
  group: number,
  s: HonkShape,
  blinding: bigint,
  params: HonkParams,
  prev?: ExtremaLink,
): { inputs: (binding: bigint) => CircuitInputs; vector: bigint[]; outputs: bigint[] } {
  const K = s.chunksPerProof;
  const rows = groupRows(ds, group, K);
  const pt = (c: Commitment) => [c.x, c.y];
  const committed = (vector: bigint[]) => pt(commit(circuitVector(kind, vector, ds.C, ds.W, s.clusters), blinding, s.commitBits));
  switch (kind) {
    case "stats": {
      const vector = statsVector(rows, ds.C);
      return { inputs: (b) => statsChunkInputs(ds, group, b, blinding, K), vector, outputs: committed(vector) };
    }
    case "minmax": {
      // The running extrema: this group's folded into the previous link's (extremaChain).
      const { mins, maxs } = extrema(prev ? [...rows, prev.mins, prev.maxs] : rows, ds.C);
      return { inputs: (b) => minmaxChunkInputs(ds, group, b, blinding, K, prev), vector: [...mins, ...maxs], outputs: [extremaCommitment(mins, maxs, blinding, ds.W)] };
    }
    case "kmeans": {
      const c = params.centroids;
      if (!c || c.length !== s.clusters || c.some((r) => r.length !== ds.C))
        throw new Error(`${s.circuit}: params.centroids must be ${s.clusters} centroids of ${ds.C} values each`);
      const vector = kmeansVector(rows, c, ds.C);
      return { inputs: (b) => kmeansChunkInputs(ds, group, c, b, blinding, K), vector, outputs: committed(vector) };
    }
    case "linreg":
    case "logreg": {
      const w = params.weights;
      if (ds.C < 2) throw new Error(`${s.circuit}: a regression needs at least 2 columns (features, then the target); the dataset has ${ds.C}`);
      if (!w || w.length !== ds.C) throw new Error(`${s.circuit}: params.weights must be ${ds.C - 1} weights and the bias (${ds.C} values)`);
      const vector = kind === "linreg" ? linregVector(rows, w) : logregVector(rows, w);
      const inputs = kind === "linreg" ? (b: bigint) => linregChunkInputs(ds, group, w, b, blinding, K) : (b: bigint) => logregChunkInputs(ds, group, w, b, blinding, K);
      return { inputs, vector, outputs: committed(vector) };
    }
  }
}

/** The public parameter hash of a round (kmeans: the centroids', gradients: the weights', in the circuit's width W), or undefined. */
export function honkParamsHash(kind: HonkKind, params: HonkParams, W: number): bigint | undefined {
  if (kind === "kmeans") return centroidsHash(params.centroids ?? [], W);
  if (kind === "linreg" || kind === "logreg") return weightsHash(params.weights ?? [], W);
  return undefined;
}

/** Proves group `group` of a chunked dataset for one kind, on the worker pool. */
export async function proveHonkGroup(a: {
  kind: HonkKind;
  ds: ChunkedDataset;
  group: number;
  binding: HonkBinding;
  params?: HonkParams;
  blinding?: bigint;
  /** minmax: the previous group's link (extremaChain), required exactly when group > 0. */
  prev?: ExtremaLink;
  buildDir?: string;
}): Promise<HonkGroupProof> {
  const s = honkShape(a.kind, a.ds.C, a.buildDir);
  const groups = honkGroups(a.kind, a.ds, a.buildDir);
  if (!Number.isInteger(a.group) || a.group < 0 || a.group >= groups) throw new Error(`${s.circuit}: group ${a.group} does not exist (${groups} groups)`);
  const blinding = a.blinding ?? randomHonkBlinding();
  const p = plan(a.kind, a.ds, a.group, s, blinding, a.params ?? {}, a.prev);
  const binding = typeof a.binding === "function" ? a.binding(p.outputs) : a.binding;
  const r = await pool().run("proveHonk", { circuit: s.circuit, inputs: p.inputs(binding), buildDir: a.buildDir });
  const n = p.outputs.length;
  const proven = r.publicInputs.slice(-n);
  if (r.publicInputs.length !== s.publicInputs.length || proven.some((x, i) => x !== p.outputs[i]))
    throw new Error(`${s.circuit}: the proven outputs differ from the JS twin's (protocol/src/honk); circuits and protocol disagree (rebuild?)`);
  return {
    kind: a.kind,
    circuit: s.circuit,
    group: a.group,
    proof: r.proof,
    publicInputs: r.publicInputs,
    outputs: proven,
    blinding,
    vector: p.vector,
    bbCpuSeconds: r.bbCpuSeconds,
  };
}

export interface HonkContribution {
  kind: HonkKind;
  groups: HonkGroupProof[];
  /** Σ of the group vectors: the member's plain contribution (minmax: the column-wise extrema over every row). */
  vector: bigint[];
  /** Σ of the group commitments and blindings (mod the Grumpkin order); absent for minmax. */
  commitment?: Commitment;
  blinding?: bigint;
  /** minmax: the last link of the chain, the one opening the member sends (its hash is the last group's output). */
  extrema?: ExtremaLink;
}

/**
 * Proves every row of a chunked dataset: groups 0 … honkGroups − 1, each bound by `binding`,
 * a few in flight per pool thread so a thread never waits on its next witness input.
 */
export async function proveHonkAll(a: {
  kind: HonkKind;
  ds: ChunkedDataset;
  binding: HonkBinding;
  params?: HonkParams;
  buildDir?: string;
  onGroup?: (done: number, total: number) => void;
}): Promise<HonkContribution> {
  const total = honkGroups(a.kind, a.ds, a.buildDir);
  if (a.kind === "minmax") {
    // Every link is known before proving (the twin folds the groups in order), so the groups still prove in parallel.
    const s = honkShape(a.kind, a.ds.C, a.buildDir);
    const links = extremaChain(
      a.ds,
      s.chunksPerProof,
      Array.from({ length: total }, () => randomHonkBlinding()),
    );
    const groups = await inPoolLanes(total, (g) => proveHonkGroup({ ...a, group: g, blinding: links[g].blinding, prev: links[g - 1] }), a.onGroup);
    const last = links[total - 1];
    return { kind: a.kind, groups, vector: [...last.mins, ...last.maxs], extrema: last };
  }
  const groups = await inPoolLanes(total, (g) => proveHonkGroup({ ...a, group: g }), a.onGroup);
  const vector = groups[0].vector.map((_, i) => groups.reduce((s, g) => s + g.vector[i], 0n));
  const commitment = addCommitments(groups.map((g) => ({ x: g.outputs[0], y: g.outputs[1] })));
  const blinding = groups.reduce((s, g) => (s + g.blinding) % GRUMPKIN_ORDER, 0n);
  return { kind: a.kind, groups, vector, commitment, blinding };
}

/**
 * Whether the summed (compact, C-column) vector and blinding open the sum of the given group
 * commitments (of every member): the requester's check that an aggregate is the sum of what was
 * proven. The unused columns of the circuit's layout open to 0.
 */
export function opensHonk(
  kind: Exclude<HonkKind, "minmax">,
  columns: number,
  commitments: readonly Commitment[],
  vector: readonly bigint[],
  blinding: bigint,
  buildDir?: string,
): boolean {
  const s = honkShape(kind, columns, buildDir);
  return verifyAggregate(commitments, circuitVector(kind, vector, columns, s.width, s.clusters), blinding, s.commitBits);
}
