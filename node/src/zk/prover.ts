import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { AbiCoder } from "ethers";
import * as snarkjs from "snarkjs";
import type { Groth16Proof } from "../../../chain-connector/src/connector.js";
import { DEFAULT_BUILD_DIR, fromSnarkjsProof, verifyGroth16, zkCurve } from "../../../chain-connector/src/zkverify.js";
import type { DatasetTree } from "../../../protocol/src/commitment.js";
import { chunkSumInput, type ChunkSumParams } from "./inputs.js";

/**
 * Groth16 proving for nodes, over the artifacts of circuits/build (npm run circuits:build).
 * Proving chunk_sum (≈10k constraints) takes a few seconds of CPU per chunk with snarkjs.
 */

interface ManifestCircuit {
  nPublic: number;
  publicSignals: string[];
  params: Record<string, number>;
}

export interface CircuitArtifacts {
  name: string;
  wasm: string;
  zkey: string;
  nPublic: number;
  publicSignals: string[];
  params: Record<string, number>;
}

export function loadCircuit(name: string, buildDir: string = DEFAULT_BUILD_DIR): CircuitArtifacts {
  const manifestPath = join(buildDir, "manifest.json");
  if (!existsSync(manifestPath)) throw new Error(`prover: ${manifestPath} is missing; run npm run circuits:build -- --ptau <file>`);
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { circuits: Record<string, ManifestCircuit> };
  const entry = manifest.circuits[name];
  if (!entry) throw new Error(`prover: circuit "${name}" is not in ${manifestPath}; known: ${Object.keys(manifest.circuits).join(", ")}`);
  const wasm = join(buildDir, name, `${name}.wasm`);
  const zkey = join(buildDir, name, `${name}.zkey`);
  for (const f of [wasm, zkey]) if (!existsSync(f)) throw new Error(`prover: ${f} is missing; run npm run circuits:build -- --ptau <file>`);
  return { name, wasm, zkey, nPublic: entry.nPublic, publicSignals: entry.publicSignals, params: entry.params };
}

/** Proves any built circuit on a witness input; returns the proof in the Solidity layout. */
export async function proveCircuit(name: string, input: Record<string, unknown>, buildDir?: string): Promise<{ proof: Groth16Proof; publicSignals: string[] }> {
  const c = loadCircuit(name, buildDir);
  let out: { proof: snarkjs.SnarkjsProof; publicSignals: string[] };
  await zkCurve();
  try {
    out = await snarkjs.groth16.fullProve(input, c.wasm, c.zkey);
  } catch (e) {
    // The witness calculator fails on the first violated constraint ("Assert Failed … line N").
    throw new Error(`prover: ${name}: the input does not satisfy the circuit (${e instanceof Error ? e.message.split("\n")[0] : String(e)})`, { cause: e });
  }
  return { proof: fromSnarkjsProof(out.proof, out.publicSignals), publicSignals: out.publicSignals };
}

export interface ChunkSumProof {
  proof: Groth16Proof;
  publicSignals: string[];
  /** Field elements; decode sums with fixedpoint.decode. */
  sums: bigint[];
  count: number;
  chunkIndex: number;
}

/**
 * Proves the column sums and row count of chunk `chunkIndex` of a committed dataset, bound to
 * `binding` (protocol roundBinding). publicSignals = [sums..., count, chunkIndex, binding, root].
 */
export async function proveChunkSum(args: {
  tree: DatasetTree;
  rows: readonly (readonly bigint[])[];
  chunkIndex: number;
  binding: bigint;
  buildDir?: string;
}): Promise<ChunkSumProof> {
  const c = loadCircuit("chunk_sum", args.buildDir);
  const params: ChunkSumParams = { chunkRows: c.params.chunkRows, columns: c.params.columns, treeDepth: c.params.treeDepth };
  const input = chunkSumInput(args.tree, args.rows, args.chunkIndex, args.binding, params);
  const { proof, publicSignals } = await proveCircuit("chunk_sum", input, args.buildDir);
  const C = params.columns;
  return {
    proof,
    publicSignals,
    sums: publicSignals.slice(0, C).map(BigInt),
    count: Number(publicSignals[C]),
    chunkIndex: Number(publicSignals[C + 1]),
  };
}

/** Off-chain verification with the circuit's verification key. */
export function verifyOffChain(circuit: string, proof: Groth16Proof, buildDir?: string): Promise<boolean> {
  return verifyGroth16(circuit, proof, buildDir);
}

/**
 * Proof bytes for contracts: abi.encode(uint[2] a, uint[2][2] b, uint[2] c) followed by the
 * public signals as 32-byte words (all static, so a plain concatenation of words). `b` is already
 * in the EVM's coordinate order (see zkverify.toSnarkjsProof).
 */
export function toSolidityProofBytes(proof: Groth16Proof): string {
  const n = proof.publicSignals.length;
  return AbiCoder.defaultAbiCoder().encode(["uint256[2]", "uint256[2][2]", "uint256[2]", `uint256[${n}]`], [proof.a, proof.b, proof.c, proof.publicSignals]);
}
