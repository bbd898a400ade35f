/**
 * Proof of correct decryption: the key holder shows that ciphertext c decrypts to m under N,
 * without revealing the key or c's randomness.
 *
 * Statement (N, c, m, binding): u = c·(1+N)^−m mod N² is an N-th residue. With g = 1+N every
 * unit of Z_N² is (1+N)^x·ρ^N for one x mod N (when gcd(N, φ(N)) = 1), so u being an N-th
 * residue means x ≡ m. The key holder computes ρ = u^(N⁻¹ mod φ(N)) mod N and proves knowledge of
 * it (nthroot.ts). m is a signed value in (−N/2, N/2), as paillierDecrypt returns it; it is bound
 * reduced mod N, so m and m ± N are the same statement.
 *
 * Transcript: "decryption" domain, N, c, m mod N, binding, then the prover's a.
 */
import { paillierDecrypt, type PaillierPublicKey, type PaillierSecretKey } from "../paillier.js";
import { proveNthRoot, verifyNthRoot, type NthRootProof } from "./nthroot.js";
import { Transcript, type Binding } from "./transcript.js";
import { byteLen, hex, mod, nthRoot, parseHex, parseObject } from "./util.js";

export type DecryptionProof = NthRootProof;

const KIND = "paillier-decryption";

function statement(pk: PaillierPublicKey, c: bigint, m: bigint, binding: Binding): { t: Transcript; u: bigint } {
  if (typeof c !== "bigint" || c <= 0n || c >= pk.n2) throw new Error("decryption proof: ciphertext c must be in (0, N²)");
  if (typeof m !== "bigint") throw new Error("decryption proof: plaintext m must be a bigint");
  const mm = mod(m, pk.n);
  const t = new Transcript("decryption").int("N", pk.n).int("c", c).int("m", mm).binding(binding);
  // (1+N)^−m = 1 − m·N mod N²
  const u = (c * mod(1n - mm * pk.n, pk.n2)) % pk.n2;
  return { t, u };
}

/** Decrypts c (or takes the claimed m) and proves it; refuses a claimed m that is not c's plaintext. */
export function proveDecryption(sk: PaillierSecretKey, c: bigint, binding: Binding, m?: bigint): { m: bigint; proof: DecryptionProof } {
  const pk = sk.publicKey;
  if (typeof c !== "bigint" || c <= 0n || c >= pk.n2) throw new Error("decryption proof: ciphertext c must be in (0, N²)");
  // Decrypting is the check: u = c·(1+N)^−m is an N-th residue exactly when m is c's plaintext.
  const plain = paillierDecrypt(sk, c);
  if (m !== undefined && mod(m, pk.n) !== mod(plain, pk.n)) throw new Error("decryption proof: the claimed plaintext m is not the decryption of c under this key");
  const { t, u } = statement(pk, c, plain, binding);
  return { m: m ?? plain, proof: proveNthRoot(pk, nthRoot(sk, u), t, sk) };
}

/** True when `proof` shows c decrypts to m under pk for this binding; false on any mismatch. */
export function verifyDecryption(pk: PaillierPublicKey, c: bigint, m: bigint, binding: Binding, proof: DecryptionProof): boolean {
  let s: ReturnType<typeof statement>;
  try {
    s = statement(pk, c, m, binding);
  } catch {
    return false;
  }
  return verifyNthRoot(pk, s.u, proof, s.t);
}

export function serializeDecryptionProof(p: DecryptionProof): string {
  return JSON.stringify({ v: 1, proof: KIND, e: hex(p.e), z: hex(p.z) });
}

export function parseDecryptionProof(text: string): DecryptionProof {
  const o = parseObject(text, KIND, "decryption proof");
  return { e: parseHex(o, "e", "decryption proof"), z: parseHex(o, "z", "decryption proof") };
}

/** Raw size in bytes (e and z as big-endian integers; the hex JSON is about twice this). */
export function decryptionProofBytes(pk: PaillierPublicKey): number {
  return 16 + byteLen(pk.n);
}
