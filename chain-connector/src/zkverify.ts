import * as snarkjs from "snarkjs";
import type { SnarkjsProof } from "snarkjs";
import { loadVerificationKey } from "./vkeys.js";
import { SNARK_FIELD } from "../../protocol/src/binding.js";
import type { Groth16Proof } from "./connector.js";

/**
 * Off-chain Groth16 verification against the verification keys in circuits/build/<name>/vkey.json,
 * so the connector (and a requester's node) can check proofs where on-chain verification would
 * cost too much gas.
 */
export { DEFAULT_BUILD_DIR, loadVerificationKey } from "./vkeys.js";

/**
 * Groth16Proof (Solidity layout: b's coordinates swapped) → snarkjs' proof object. snarkjs keeps
 * G2 points as [[x0, x1], [y0, y1]] while the EVM pairing precompile wants [[x1, x0], [y1, y0]].
 */
export function toSnarkjsProof(p: Groth16Proof): SnarkjsProof {
  return {
    pi_a: [p.a[0], p.a[1], "1"],
    pi_b: [
      [p.b[0][1], p.b[0][0]],
      [p.b[1][1], p.b[1][0]],
      ["1", "0"],
    ],
    pi_c: [p.c[0], p.c[1], "1"],
    protocol: "groth16",
    curve: "bn128",
  };
}

/** snarkjs' proof + public signals → Groth16Proof in the Solidity verifier's layout. */
export function fromSnarkjsProof(proof: SnarkjsProof, publicSignals: string[]): Groth16Proof {
  return {
    a: [proof.pi_a[0], proof.pi_a[1]],
    b: [
      [proof.pi_b[0][1], proof.pi_b[0][0]],
      [proof.pi_b[1][1], proof.pi_b[1][0]],
    ],
    c: [proof.pi_c[0], proof.pi_c[1]],
    publicSignals: [...publicSignals],
  };
}

function isFieldDecimal(s: unknown): boolean {
  return typeof s === "string" && /^[0-9]{1,78}$/.test(s) && BigInt(s) < SNARK_FIELD;
}

/**
 * True when the proof verifies for its public signals under the circuit's key. Malformed proofs
 * (wrong shape, non-decimal or out-of-field numbers, wrong signal count) return false.
 */
export async function verifyGroth16(circuit: string, proof: Groth16Proof, buildDir?: string): Promise<boolean> {
  const vkey = loadVerificationKey(circuit, buildDir);
  const flat = [proof?.a, proof?.b?.[0], proof?.b?.[1], proof?.c].flat();
  if (flat.length !== 8 || !flat.every((x) => typeof x === "string" && /^[0-9]{1,78}$/.test(x))) return false;
  if (!Array.isArray(proof.publicSignals) || proof.publicSignals.length !== vkey.nPublic) return false;
  if (!proof.publicSignals.every(isFieldDecimal)) return false;
  await zkCurve();
  try {
    return await snarkjs.groth16.verify(vkey, proof.publicSignals, toSnarkjsProof(proof));
  } catch {
    return false;
  }
}

let building: Promise<unknown> | undefined;

/**
 * Builds snarkjs' BN254 curve (WASM engine and worker threads) once. snarkjs builds it lazily on
 * each prove or verify and caches it globally only when the build ends, so two calls at once build
 * two and the first one's workers leak (they keep the process alive). Every entry point that makes
 * snarkjs touch the curve awaits this first.
 */
export async function zkCurve(): Promise<void> {
  const g = globalThis as { curve_bn128?: unknown };
  if (g.curve_bn128) return;
  building ??= snarkjs.curves.getCurveFromName("bn128").finally(() => (building = undefined));
  await building;
}

/** Stops snarkjs' worker threads (they keep a process alive); call before exiting. */
export async function releaseZk(): Promise<void> {
  await building?.catch(() => {});
  const g = globalThis as { curve_bn128?: { terminate(): Promise<void> } | null };
  if (g.curve_bn128) {
    const c = g.curve_bn128;
    g.curve_bn128 = null;
    await c.terminate();
  }
}
