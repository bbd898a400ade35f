import { AbiCoder } from "ethers";
import { ConnectorError, type Groth16Proof } from "../connector.js";

function fail(message: string): never {
  throw new ConnectorError("InvalidProof", message);
}

/**
 * The bytes TaskManager.submit takes as `proof`: the snarkjs verifier's calldata after its
 * selector (a, b, c, then the N public signals as static arrays).
 */
export function encodeProof(p: Groth16Proof): string {
  const bad = () => fail("proof must be {a: [2], b: [[2],[2]], c: [2], publicSignals: [N]} of integers");
  if (!p || !Array.isArray(p.a) || !Array.isArray(p.b) || !Array.isArray(p.c) || !Array.isArray(p.publicSignals)) bad();
  if (p.a.length !== 2 || p.c.length !== 2 || p.b.length !== 2 || p.b.some((r) => !Array.isArray(r) || r.length !== 2)) bad();
  const n = p.publicSignals.length;
  if (n < 3) fail("publicSignals must be [outputs..., binding, root] with at least one output");
  try {
    return AbiCoder.defaultAbiCoder().encode(
      ["uint256[2]", "uint256[2][2]", "uint256[2]", `uint256[${n}]`],
      [p.a.map(BigInt), p.b.map((r) => r.map(BigInt)), p.c.map(BigInt), p.publicSignals.map(BigInt)],
    );
  } catch {
    return bad();
  }
}
