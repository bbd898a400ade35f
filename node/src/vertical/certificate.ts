/**
 * The vertical regression's final certificate (issue 16): after the last iteration one more round
 * at the final weights θ, with masks that cancel, so the label party decrypts the true gradient
 * blocks g_j = Σ_i G_ji θ_i − X_jᵀ y (standardized fixed point) and proves each decryption
 * (crypto/paillier-proofs/decryption.ts) under its certified key. Least squares is convex, so
 * ‖g‖/n ≈ 0 certifies θ as the minimum whatever path the iterations took.
 *
 * The certificate is self-contained (the term ciphertexts, the decrypted values, the proofs), so
 * the requester or any party checks it without the exchange: it rebuilds each block's product from
 * the terms, verifies every proof against that product, decodes the gradient and compares its norm
 * with the tolerance. What it does not show (see README "Final certificate"): that each party's
 * terms were computed from its true rows and θ (no affine-operation proof yet), nor that the
 * released model/j tables un-scale the certified θ.
 */
import { mod } from "../crypto/bigmath.js";
import { paillierPublicKey, type PaillierPublicKey } from "../crypto/paillier.js";
import { keyCertificateProblem, parseDecryptionProof, parseKeyCertificate, verifyDecryption } from "../crypto/paillier-proofs/index.js";
import { GRAD_BITS, slotsPerPlaintext, unpack } from "./encoding.js";
import { bytesHex } from "./seal.js";

/** Default tolerance on ‖∇‖ = ‖Xᵀ(Xθ − y)‖/n in standardized units (at θ = 0 it is the norm of the columns' correlations with y). */
export const VLINREG_CERT_TOLERANCE = 1e-4;

export interface VerticalCertificate {
  v: 1;
  /** Names the round's tables (cterm/<tag>/i->j, cown/<tag>/j). */
  tag: string;
  /** 0x hex of the binding every decryption proof is bound to (the task's; see vlinregCertBinding). */
  binding: string;
  /** Aligned row count n (the gradient is divided by it). */
  rows: number;
  /** The label party's key as published in pk/y, with its certificate. */
  key: { n: string; hs?: string; cert: string };
  blocks: {
    party: string;
    columns: number;
    /** Every factor of the block's product: cown/<tag>/j and cterm/<tag>/i->j for each other feature party i. */
    terms: { table: string; cts: string[] }[];
    /** Per chunk: the decrypted product mod N (0x hex) and its proof of correct decryption. */
    values: string[];
    proofs: string[];
  }[];
}

/** What a party's key certificate is bound to: this protocol and the party that publishes the key. */
export function vlinregKeyBinding(party: string): Uint8Array {
  return new TextEncoder().encode(`ciphermine/vlinreg-key/v1 party=${party}`);
}

/** What the certificate's decryption proofs are bound to: this protocol and the task. */
export function vlinregCertBinding(task: string): Uint8Array {
  return new TextEncoder().encode(`ciphermine/vlinreg-cert/v1 task=${task}`);
}

export interface CertificateCheck {
  /** Binding the verifier expects (its own task's); refused if the certificate carries another. */
  binding: Uint8Array;
  /** pk/y's modulus the verifier already trusts (from the task's pk/y table). */
  n: bigint;
  /** Tolerance on ‖∇‖ (standardized units); VLINREG_CERT_TOLERANCE by default. */
  tolerance?: number;
  /** Feature parties expected, with their column counts. */
  features: { name: string; columns: number }[];
  /** Skip re-verifying the key certificate (the caller checked pk/y already). */
  keyChecked?: boolean;
}

export interface CertifiedGradient {
  /** Per feature party, the gradient of its columns in standardized units: X_jᵀ(Xθ − y)/n. */
  gradient: Record<string, number[]>;
  norm: number;
}

function bigHex(v: unknown, field: string): bigint {
  if (typeof v !== "string" || !/^0x[0-9a-f]+$/i.test(v)) throw new Error(`${field}: expected 0x-prefixed hex`);
  return BigInt(v);
}

/** Verifies a certificate and decodes its gradient; throws with the reason it is refused. */
export function checkVerticalCertificate(cert: VerticalCertificate, check: CertificateCheck): CertifiedGradient {
  const tolerance = check.tolerance ?? VLINREG_CERT_TOLERANCE;
  if (!(tolerance > 0)) throw new Error(`tolerance ${tolerance}: must be > 0`);
  if (cert?.v !== 1) throw new Error(`certificate.v: expected 1, got ${JSON.stringify(cert?.v)}`);
  if (cert.binding !== bytesHex(check.binding)) throw new Error("certificate.binding: bound to another task (or round); it proves nothing here");
  if (!Number.isInteger(cert.rows) || cert.rows < 2) throw new Error(`certificate.rows: ${cert.rows} is not a row count`);
  const n = bigHex(cert.key?.n, "certificate.key.n");
  if (n !== check.n) throw new Error("certificate.key.n: not the label party's published key");
  const pub: PaillierPublicKey = paillierPublicKey(n);
  if (!check.keyChecked) {
    const why = keyCertificateProblem(
      pub,
      parseKeyCertificate(cert.key.cert),
      vlinregKeyBinding("y"),
      cert.key.hs === undefined ? undefined : bigHex(cert.key.hs, "certificate.key.hs"),
    );
    if (why) throw new Error(`certificate.key: the label party's key is not certified: ${why}`);
  }
  const names = check.features.map((f) => f.name);
  if (!Array.isArray(cert.blocks) || cert.blocks.length !== names.length || cert.blocks.some((b, i) => b.party !== names[i])) {
    throw new Error(`certificate.blocks: expected one block per feature party (${names.join(", ")}), in order`);
  }
  const s = slotsPerPlaintext(pub.bits);
  const gradient: Record<string, number[]> = {};
  let sq = 0;
  for (const [bi, block] of cert.blocks.entries()) {
    const f = check.features[bi];
    if (block.columns !== f.columns) throw new Error(`certificate block ${f.name}: ${block.columns} columns, expected ${f.columns}`);
    const chunks = Math.ceil(f.columns / s);
    const want = [`cown/${cert.tag}/${f.name}`, ...names.filter((o) => o !== f.name).map((o) => `cterm/${cert.tag}/${o}->${f.name}`)];
    const got = block.terms.map((t) => t.table);
    if (got.length !== want.length || want.some((w, i) => got[i] !== w)) throw new Error(`certificate block ${f.name}: terms ${got.join(", ")}, expected ${want.join(", ")}`);
    if (block.values.length !== chunks || block.proofs.length !== chunks) throw new Error(`certificate block ${f.name}: expected ${chunks} decrypted value(s) with proofs`);
    const acc = new Array<bigint>(chunks).fill(1n);
    for (const t of block.terms) {
      if (t.cts.length !== chunks) throw new Error(`certificate block ${f.name}: term ${t.table} has ${t.cts.length} ciphertexts, expected ${chunks}`);
      t.cts.forEach((h, c) => {
        const ct = bigHex(h, `certificate block ${f.name}: ${t.table}[${c}]`);
        if (ct <= 0n || ct >= pub.n2) throw new Error(`certificate block ${f.name}: ${t.table}[${c}] is outside [1, N²)`);
        acc[c] = (acc[c] * ct) % pub.n2;
      });
    }
    const g: number[] = [];
    for (let c = 0; c < chunks; c++) {
      const m = bigHex(block.values[c], `certificate block ${f.name}: value ${c}`);
      if (m >= pub.n) throw new Error(`certificate block ${f.name}: value ${c} is outside [0, N)`);
      let ok: boolean;
      try {
        ok = verifyDecryption(pub, acc[c], m, check.binding, parseDecryptionProof(block.proofs[c]));
      } catch (e) {
        throw new Error(`certificate block ${f.name}: proof ${c}: ${(e as Error).message}`, { cause: e });
      }
      if (!ok)
        throw new Error(
          `certificate block ${f.name}: chunk ${c}: the proof of correct decryption does not verify (a wrong decryption, or a proof for other terms or another task)`,
        );
      for (const v of unpack(mod(m, pub.n), Math.min(s, f.columns - c * s), pub.n)) {
        const x = Number(v) / 2 ** GRAD_BITS / cert.rows;
        g.push(x);
        sq += x * x;
      }
    }
    gradient[f.name] = g;
  }
  const norm = Math.sqrt(sq);
  if (!(norm <= tolerance)) {
    throw new Error(
      `the certified gradient's norm ${norm.toExponential(3)} exceeds the tolerance ${tolerance} (standardized units): the model is not the least-squares minimum; run more iterations or check the parties' terms`,
    );
  }
  return { gradient, norm };
}

/** Why a certificate is refused, or undefined when it certifies the model. */
export function verticalCertificateProblem(cert: VerticalCertificate, check: CertificateCheck): string | undefined {
  try {
    checkVerticalCertificate(cert, check);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
