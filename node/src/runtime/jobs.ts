import type { DatasetTree } from "../../../protocol/src/commitment.js";
import type { Groth16Proof } from "../../../chain-connector/src/connector.js";

/**
 * The CPU-heavy pure functions the worker pool (pool.ts) runs off the event loop, by name. Each
 * takes and returns structured-clonable data only (numbers, bigints, strings, typed arrays whose
 * buffers are transferred), never a closure, a key object or a handle. Each loads what it needs
 * on first use, so a thread that only hashes never loads the prover.
 */

async function tree(a: { rows: FlatRows; seed: Uint8Array }): Promise<DatasetTree> {
  const [{ commitDataset }, { encodeRows }] = await Promise.all([import("../../../protocol/src/commitment.js"), import("../../../protocol/src/fixedpoint.js")]);
  return commitDataset(encodeRows(unflatten(a.rows), a.rows.columns), a.seed);
}

/** Rows of a table, flattened row-major into one transferable buffer. */
export interface FlatRows {
  values: Float64Array<ArrayBuffer>;
  columns: string[];
}

export function flatten(rows: readonly (readonly number[])[], columns: readonly string[]): FlatRows {
  const w = columns.length;
  const values = new Float64Array(rows.length * w);
  rows.forEach((row, r) => {
    if (row.length !== w) throw new RangeError(`row ${r} has ${row.length} values, expected ${w}; every row needs one value per column`);
    values.set(row, r * w);
  });
  return { values, columns: [...columns] };
}

function unflatten(f: FlatRows): number[][] {
  const w = f.columns.length;
  const out: number[][] = [];
  for (let i = 0; i < f.values.length; i += w) out.push(Array.from(f.values.subarray(i, i + w)));
  return out;
}

const honkCircuits = new Map<string, import("../zk/honk.js").HonkCircuit>();

export const JOBS = {
  /** The Poseidon Merkle tree of a dataset's fixed-point rows (protocol commitment.ts). */
  commitTree: tree,
  /** Only the root of that tree (what registration commits on-chain): no tree crosses threads. */
  async commitRoot(a: { rows: FlatRows; seed: Uint8Array }): Promise<{ root: string; rows: number }> {
    const t = await tree(a);
    return { root: t.root, rows: t.rows };
  },
  /** The chunked Poseidon2 root of a dataset (data/commit.ts chunkedTable, the default commitment). */
  async commitChunksRoot(a: { rows: FlatRows; seed: Uint8Array }): Promise<{ root: string }> {
    const [{ chunkedTable }, { fieldToBytes32 }] = await Promise.all([import("../data/commit.js"), import("../../../protocol/src/commitment.js")]);
    return { root: fieldToBytes32(chunkedTable({ columns: a.rows.columns, rows: unflatten(a.rows) }, a.seed).tree.root) };
  },
  /** A Groth16 proof of one circuit on a witness input (node/src/zk/prover.ts). */
  async proveCircuit(a: { name: string; input: Record<string, unknown>; buildDir?: string }): Promise<{ proof: Groth16Proof; publicSignals: string[] }> {
    // In its own process, not on this thread: see prover-process.ts.
    const { proveInProcess } = await import("../zk/prover-process.js");
    return proveInProcess(a.name, a.input, a.buildDir);
  },
  /**
   * An UltraHonk proof of a Noir circuit (node/src/zk/honk.ts): the witness here, `bb prove` in a
   * child process. The compiled circuit is loaded once per thread.
   */
  async proveHonk(a: {
    circuit: string;
    inputs: Record<string, unknown>;
    buildDir?: string;
  }): Promise<{ proof: Uint8Array; publicInputs: bigint[]; bbCpuSeconds: number; witnessMs: number }> {
    const { HonkCircuit } = await import("../zk/honk.js");
    const key = `${a.buildDir ?? ""}\0${a.circuit}`;
    let c = honkCircuits.get(key);
    if (!c) honkCircuits.set(key, (c = new HonkCircuit(a.circuit, a.buildDir)));
    const r = await c.prove(a.inputs as never);
    return { proof: r.proof.proof, publicInputs: r.proof.publicInputs, bbCpuSeconds: r.timings.bbCpuSeconds, witnessMs: r.timings.witnessMs };
  },
  /** Paillier encryptions under the public key n (each ≈ 120 ms at 2,048 bits). */
  async paillierEncrypt(a: { n: bigint; plaintexts: bigint[] }): Promise<bigint[]> {
    const { paillierEncrypt, paillierPublicKey } = await import("../crypto/paillier.js");
    const pk = paillierPublicKey(a.n);
    return a.plaintexts.map((m) => paillierEncrypt(pk, m));
  },
  /** Paillier decryptions with the secret primes (CRT). */
  async paillierDecrypt(a: { p: bigint; q: bigint; ciphertexts: bigint[] }): Promise<bigint[]> {
    const { paillierDecrypt, paillierSecretKey } = await import("../crypto/paillier.js");
    const sk = paillierSecretKey(a.p, a.q);
    return a.ciphertexts.map((c) => paillierDecrypt(sk, c));
  },
  /** A member's k-means partial sums (kinds/kmeans/index.ts kmeansPartial): rows × k distance terms. */
  async kmeansPartial(a: { rows: FlatRows; centroids: number[][] }): Promise<number[]> {
    const { kmeansPartial } = await import("./kinds/kmeans/index.js");
    return kmeansPartial(unflatten(a.rows), a.centroids);
  },
  /** Test aid: holds a thread for `ms` (a busy loop). */
  async spin(a: { ms: number }): Promise<{ spun: number }> {
    const end = Date.now() + a.ms;
    let spun = 0;
    while (Date.now() < end) spun++;
    return { spun };
  },
  /** Test aid: fails with the given message. */
  async fail(a: { message: string }): Promise<never> {
    throw new Error(a.message);
  },
} as const;

export type Jobs = typeof JOBS;
export type JobName = keyof Jobs;
export type JobArgs<N extends JobName> = Parameters<Jobs[N]>[0];
export type JobResult<N extends JobName> = Awaited<ReturnType<Jobs[N]>>;
