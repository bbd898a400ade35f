import { checkVerticalCertificate, vlinregCertBinding, type CertifiedGradient, type VerticalCertificate } from "../../../vertical/certificate.js";
import { fetchTable, type BlobReader, type TableRef } from "../../../vertical/runtime-io.js";
import { decodeTable, readCiphertexts } from "../../../vertical/tables.js";
import { LABEL } from "../../../vertical/protocol.js";
import type { RoundContext } from "../../handler.js";

/**
 * The final certificate on the runtime (params.certify): feature parties write cterm/final/i->j
 * and cown/final/j with their models, the label party puts the certificate (vertical/certificate.ts)
 * in its last manifest, and the requester checks it against the published tables before it
 * accepts the model.
 */
export const CERT_TAG = "final";

/** The certificate's proofs are bound to this task (its spec nonce and id). */
export function runCertBinding(ctx: Pick<RoundContext, "taskId" | "spec">): Uint8Array {
  return vlinregCertBinding(`nonce=${ctx.spec.nonce} id=${ctx.taskId}`);
}

/** Tables the requester keeps the references of, to check a certificate against what was published. */
export const certTable = (name: string) => name === `pk/${LABEL}` || name.startsWith(`cterm/${CERT_TAG}/`) || name.startsWith(`cown/${CERT_TAG}/`);

/**
 * The requester's check: pk/y is the published key (its certificate verified again), every term
 * in the certificate is the ciphertexts of the table its writer published, every decryption
 * proof verifies, and ‖∇‖ ≤ tolerance. Throws with the reason it refuses the model.
 */
export async function checkRunCertificate(
  blobs: BlobReader,
  refs: Record<string, TableRef>,
  cert: VerticalCertificate,
  o: { binding: Uint8Array; tolerance: number; features: { name: string; columns: number }[] },
): Promise<CertifiedGradient> {
  const pkRef = refs[`pk/${LABEL}`];
  if (!pkRef) throw new Error(`the requester has no record of table pk/${LABEL}`);
  const pk = decodeTable(pkRef.name, await fetchTable(blobs, pkRef));
  if (pk.type !== "paillier-pk") throw new Error(`table pk/${LABEL}: expected a Paillier public key`);
  const n = BigInt(pk.n);
  if (cert.key?.n !== pk.n || cert.key.hs !== pk.hs || cert.key.cert !== pk.cert) throw new Error(`certificate.key: not the key published as pk/${LABEL}`);
  const n2 = n * n;
  for (const block of cert.blocks ?? []) {
    for (const term of block.terms ?? []) {
      const ref = refs[term.table];
      if (!ref) throw new Error(`certificate block ${block.party}: term ${term.table} was never published`);
      const cts = readCiphertexts(term.table, decodeTable(term.table, await fetchTable(blobs, ref)), LABEL, term.cts.length, n2);
      if (cts.some((c, i) => "0x" + c.toString(16) !== term.cts[i]))
        throw new Error(`certificate block ${block.party}: term ${term.table} differs from the table ${ref.writer} published`);
    }
  }
  return checkVerticalCertificate(cert, { binding: o.binding, n, tolerance: o.tolerance, features: o.features });
}
