import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { findBbBinary } from "@aztec/bb.js/platform";
import { Noir, type CompiledCircuit, type InputMap } from "@noir-lang/noir_js";

/**
 * UltraHonk proving of the Noir circuits in circuits/noir/build/ (circuits/README.md).
 *
 * - Witness: noir_js executes the compiled circuit (ACVM in WASM) and returns the compressed
 *   witness and the circuit's return values.
 * - Proof: bb.js's native `bb` binary (`bb prove -t evm`, keccak transcript, zero knowledge) with
 *   the CRS made from the project's powers of tau (`-c <dir>`), so nothing downloads. bb.js's WASM
 *   backend is not a fallback here: its `srsInitSrs` accepts only Aztec's own reference string
 *   (it compares [τ]G1 with Aztec's), so it cannot prove against a ceremony of our choosing;
 *   platforms without a native binary (bb.js ships linux and macos, x64 and arm64) get a clear
 *   error instead.
 * - Verification: bb's own `verify` carries Aztec's [τ]G2, so proofs from our CRS fail its
 *   pairing as shipped; off-chain, chain-connector/src/honkverify.ts runs a copy of bb with that
 *   constant replaced by our [τ]G2; on-chain, the Solidity verifier (with our [τ]G2), also callable
 *   as a view on any EVM (`verifyWithContract`).
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const HONK_BUILD_DIR = join(ROOT, "circuits", "noir", "build");
/** The committed prover CRS (circuits/honk/build.ts writes it from the given ptau); CM_BB_CRS overrides. */
export const DEFAULT_BB_CRS_DIR = process.env.CM_BB_CRS ?? join(HONK_BUILD_DIR, "crs");

export interface HonkProof {
  /** The proof bytes as bb writes them (and as the Solidity verifier takes them). */
  proof: Uint8Array;
  /** Public inputs in the circuit's order (pub parameters, then return values), as field elements. */
  publicInputs: bigint[];
}

export interface HonkTimings {
  witnessMs: number;
  proveMs: number;
  /** CPU seconds of the bb process (user + system), every thread. */
  bbCpuSeconds: number;
}

let backendLogged = false;

/** Path of the native bb, or an error naming the platforms that have one. */
export function nativeBb(): string {
  const path = findBbBinary();
  if (!path) {
    throw new Error(
      `no native bb for ${process.platform}-${process.arch} in @aztec/bb.js; UltraHonk proving needs linux or macos on x64 or arm64 ` +
        "(bb.js's WASM backend accepts only Aztec's CRS, not the project's powers of tau)",
    );
  }
  return path;
}

interface RunResult {
  stdout: string;
  stderr: string;
  cpuSeconds: number;
}

/** Runs bb under sh so that `times` reports the CPU time of bb itself (node cannot read a child's rusage). */
function runBb(args: string[]): Promise<RunResult> {
  const bb = nativeBb();
  return new Promise((res, rej) => {
    const child = spawn("sh", ["-c", '"$0" "$@"; rc=$?; times >&2; exit $rc', bb, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", rej);
    child.on("close", (code) => {
      const lines = stderr.trimEnd().split("\n");
      const m = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s\s*$/.exec(lines[lines.length - 1] ?? "");
      const cpuSeconds = m ? Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]) : NaN;
      if (code !== 0) rej(new Error(`bb ${args[0]} failed (exit ${code}): ${stderr.slice(-2000)}`));
      else res({ stdout, stderr, cpuSeconds });
    });
  });
}

const fieldHex = (x: bigint): string => "0x" + x.toString(16).padStart(64, "0");

/** A compiled circuit of circuits/noir/build/<name>/ with its verification key. */
export class HonkCircuit {
  readonly name: string;
  readonly programPath: string;
  readonly vkPath: string;
  readonly program: CompiledCircuit;
  private noir: Noir;

  constructor(
    name: string,
    buildDir = HONK_BUILD_DIR,
    private readonly crsDir = DEFAULT_BB_CRS_DIR,
  ) {
    this.name = name;
    this.programPath = join(buildDir, name, `${name}.json`);
    this.vkPath = join(buildDir, name, "vk");
    if (!existsSync(this.programPath) || !existsSync(this.vkPath)) {
      throw new Error(`circuit ${name} is not built (${this.programPath}); run npm run circuits:build:honk -- --ptau <file>`);
    }
    if (!existsSync(join(crsDir, "bn254_g1.dat"))) {
      throw new Error(`no bb CRS in ${crsDir}; rebuild the circuits with npm run circuits:build:honk -- --ptau <file> (or set CM_BB_CRS to a CRS directory)`);
    }
    this.program = JSON.parse(readFileSync(this.programPath, "utf8")) as CompiledCircuit;
    this.noir = new Noir(this.program);
  }

  /** Executes the circuit: throws when the inputs violate a constraint. */
  async witness(inputs: InputMap): Promise<{ witness: Uint8Array; returnValue: unknown }> {
    const { witness, returnValue } = await this.noir.execute(inputs);
    return { witness, returnValue };
  }

  /** Proves a witness from `witness()` with the native bb. */
  async proveWitness(witness: Uint8Array): Promise<{ proof: HonkProof; cpuSeconds: number }> {
    const bb = nativeBb();
    if (!backendLogged) {
      backendLogged = true;
      // stderr: stdout may carry machine-readable output (bench --json).
      console.error(`UltraHonk prover: native bb (${bb})`);
    }
    const dir = mkdtempSync(join(tmpdir(), "cm-honk-"));
    try {
      writeFileSync(join(dir, "witness.gz"), witness);
      const r = await runBb(["prove", "-b", this.programPath, "-w", join(dir, "witness.gz"), "-k", this.vkPath, "-o", dir, "-t", "evm", "-c", this.crsDir]);
      const proof = new Uint8Array(readFileSync(join(dir, "proof")));
      const pis = readFileSync(join(dir, "public_inputs"));
      const publicInputs = Array.from({ length: pis.length / 32 }, (_, i) => BigInt("0x" + pis.subarray(i * 32, i * 32 + 32).toString("hex")));
      return { proof: { proof, publicInputs }, cpuSeconds: r.cpuSeconds };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async prove(inputs: InputMap): Promise<{ proof: HonkProof; returnValue: unknown; timings: HonkTimings }> {
    const t0 = performance.now();
    const { witness, returnValue } = await this.witness(inputs);
    const t1 = performance.now();
    const { proof, cpuSeconds } = await this.proveWitness(witness);
    return { proof, returnValue, timings: { witnessMs: t1 - t0, proveMs: performance.now() - t1, bbCpuSeconds: cpuSeconds } };
  }
}

/** The arguments of the Solidity verifier's `verify(bytes, bytes32[])`. */
export function solidityArgs(p: HonkProof): [Uint8Array, string[]] {
  return [p.proof, p.publicInputs.map(fieldHex)];
}

/** Verifies with a deployed Honk verifier (a view call: no transaction, no gas paid); false on any rejection. */
export async function verifyWithContract(verifier: { verify: (proof: Uint8Array, pis: string[]) => Promise<boolean> }, p: HonkProof): Promise<boolean> {
  try {
    return await verifier.verify(...solidityArgs(p));
  } catch {
    return false;
  }
}
