import { verifyGroth16 } from "../zkverify.js";
import type { KindVerifier } from "./network.js";

/**
 * The coordinator's verifier: the operator maps each task kind to the circuit whose verification
 * key (circuits/build/<circuit>/vkey.json) checks that kind's Compute proofs. Kept out of the
 * coordinator's index so snarkjs loads only when verification is configured.
 */
export function zkKindVerifier(circuits: Record<string, string>, buildDir?: string): KindVerifier {
  for (const [kind, circuit] of Object.entries(circuits))
    if (!/^[a-z0-9_]+$/.test(circuit)) throw new Error(`verifiers.${kind}: "${circuit}" is not a circuit name (lowercase letters, digits, _)`);
  return {
    kinds: () => Object.keys(circuits),
    describe: (kind) => circuits[kind] ?? "",
    verify: (kind, proof) => {
      const circuit = circuits[kind];
      if (!circuit) return Promise.resolve(false);
      return verifyGroth16(circuit, proof, buildDir);
    },
  };
}
