/**
 * A Paillier key's certificate: what a key holder publishes with its modulus so that every party
 * can check the key is well formed before encrypting anything to it — Π^mod (N = p·q, Blum, gcd(N,
 * φ(N)) = 1), Π^fac over the public ring-Pedersen setup (no factor below 2^(bits/2 − 257)) and,
 * when the holder also publishes a fixed randomness base h (DJN), that h is an N-th residue. One
 * binding covers all three: the caller's context (who publishes the key, for which task).
 */
import type { PaillierPublicKey, PaillierSecretKey } from "../paillier.js";
import { parseFacProof, proveFactors, publicRingPedersen, serializeFacProof, verifyFactors, type FacProof } from "./factors.js";
import { parseBaseResidueProof, parseModProof, proveBaseResidue, proveModulus, serializeBaseResidueProof, serializeModProof, verifyBaseResidue, verifyModulus } from "./modulus.js";
import type { BaseResidueProof, ModProof } from "./modulus.js";
import type { Binding } from "./transcript.js";

export interface KeyCertificate {
  mod: ModProof;
  fac: FacProof;
  /** Present when the key holder publishes a fixed randomness base. */
  base?: { h: bigint; proof: BaseResidueProof };
}

/** Smallest modulus a certificate is accepted for: below it Π^fac's bound (√N / 2^257) says nothing. */
export const MIN_CERTIFIED_BITS = 1024;

export function certifyKey(sk: PaillierSecretKey, binding: Binding, base?: bigint): KeyCertificate {
  if (sk.publicKey.bits < MIN_CERTIFIED_BITS)
    throw new Error(`key certificate: a ${sk.publicKey.bits}-bit modulus is too small to certify; use at least ${MIN_CERTIFIED_BITS} bits`);
  const cert: KeyCertificate = { mod: proveModulus(sk, binding), fac: proveFactors(sk, publicRingPedersen(), binding) };
  if (base !== undefined) cert.base = { h: base, proof: proveBaseResidue(sk, base, binding) };
  return cert;
}

/**
 * Why the certificate does not certify `pk` under `binding` (and `base`, when the holder publishes
 * one), or undefined when it does.
 */
export function keyCertificateProblem(pk: PaillierPublicKey, cert: KeyCertificate, binding: Binding, base?: bigint): string | undefined {
  if (pk.bits < MIN_CERTIFIED_BITS) return `the modulus has ${pk.bits} bits, below the ${MIN_CERTIFIED_BITS} a certificate can vouch for`;
  if (!verifyModulus(pk, binding, cert.mod)) return "Π^mod does not verify (N is not a product of two Blum primes coprime to φ(N), or the proof is for another key or context)";
  if (!verifyFactors(pk, publicRingPedersen(), binding, cert.fac)) return "Π^fac does not verify (N may have a small factor, or the proof is for another key or context)";
  if (base !== undefined) {
    if (!cert.base || cert.base.h !== base) return "the randomness base is published without a proof that it is an N-th residue";
    if (!verifyBaseResidue(pk, base, binding, cert.base.proof)) return "the randomness base's N-th residue proof does not verify";
  } else if (cert.base) return "the certificate proves a randomness base the key does not publish";
  return undefined;
}

export function serializeKeyCertificate(c: KeyCertificate): string {
  const o: Record<string, unknown> = { v: 1, kind: "paillier/key-certificate", mod: serializeModProof(c.mod), fac: serializeFacProof(c.fac) };
  if (c.base) o.base = { h: c.base.h.toString(16), proof: serializeBaseResidueProof(c.base.proof) };
  return JSON.stringify(o);
}

export function parseKeyCertificate(text: string): KeyCertificate {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error("key certificate: not JSON");
  }
  if (typeof o !== "object" || o === null || o.v !== 1 || o.kind !== "paillier/key-certificate")
    throw new Error('key certificate: need {"v":1,"kind":"paillier/key-certificate",…}');
  if (typeof o.mod !== "string" || typeof o.fac !== "string") throw new Error('key certificate: fields "mod" and "fac" must hold the serialized Π^mod and Π^fac proofs');
  const cert: KeyCertificate = { mod: parseModProof(o.mod), fac: parseFacProof(o.fac) };
  if (o.base !== undefined) {
    const b = o.base as { h?: unknown; proof?: unknown };
    if (typeof b !== "object" || b === null || typeof b.h !== "string" || !/^[0-9a-f]+$/.test(b.h) || typeof b.proof !== "string")
      throw new Error('key certificate: field "base" must be {h: hex, proof: serialized base-residue proof}');
    cert.base = { h: BigInt("0x" + b.h), proof: parseBaseResidueProof(b.proof) };
  }
  return cert;
}
