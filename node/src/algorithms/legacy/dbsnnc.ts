/**
 * DBSNNC, legacy variant, as Rory runs it (one pass).
 *
 * Owner → worker: Liu(D), the Manhattan distance matrix DM FDH-OPE-encrypted (key made on DM), and
 * the threshold τ FDH-OPE-encrypted (default: the smallest non-zero distance).
 * Worker: row 0 starts cluster 0; each next row joins the cluster of its nearest earlier row if
 * that (encrypted) distance ≤ Enc(τ), else starts a new cluster — comparisons work on FDH-OPE
 * ciphertexts because the order is preserved. Labels → owner.
 * LEAKAGE to the worker: the order of all n² distances and their coarse histogram (FDH-OPE), the
 * clustering itself, plus Liu's leakage on D. DM is n² doubles; `maxRows` (default 3000) caps it.
 */
import { fdhOpeEncrypt, fdhOpeKeygen } from "../../crypto/fdhope.js";
import { liuEncrypt, liuKeygen, serializeLiuCiphertext } from "../../crypto/liu.js";
import { nncFromDistances } from "../baseline.js";
import { checkMatrix, l1Dist, type Matrix } from "../matrix.js";
import { bytesF64, decodeMessage, encodeMessage, f64Bytes } from "../wire.js";

interface SetupHeader {
  step: "dbsnnc-legacy/setup";
  n: number;
  a: number;
}
interface LabelsHeader {
  step: "dbsnnc-legacy/labels";
  labels: number[];
}

export function dbsnncLegacySetup(X: Matrix, opts: { threshold?: number; maxRows?: number } = {}): Uint8Array {
  checkMatrix("X", X);
  const n = X.length;
  const maxRows = opts.maxRows ?? 3000;
  if (n > maxRows) throw new Error(`X: ${n} rows exceed maxRows ${maxRows}; the legacy distance matrix is n² doubles. Use the ckks variant`);
  const DM = new Float64Array(n * n);
  let tau = opts.threshold ?? Infinity;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const d = l1Dist(X[i], X[j]);
      DM[i * n + j] = d;
      DM[j * n + i] = d;
      if (opts.threshold === undefined && d > 0 && d < tau) tau = d;
    }
  if (tau === Infinity) tau = 0;
  const key = fdhOpeKeygen(DM);
  const liu = liuKeygen();
  const flat = new Float64Array(n * X[0].length);
  X.forEach((r, i) => r.forEach((v, z) => (flat[i * X[0].length + z] = v)));
  return encodeMessage<SetupHeader>({ step: "dbsnnc-legacy/setup", n, a: X[0].length }, [
    serializeLiuCiphertext(liuEncrypt(liu, flat)),
    f64Bytes(fdhOpeEncrypt(key, DM, 1e-8)),
    f64Bytes(fdhOpeEncrypt(key, [tau], 1e-8)),
  ]);
}

export function dbsnncLegacyWorker(setup: Uint8Array): Uint8Array {
  const { header, frames } = decodeMessage<SetupHeader>(setup, "dbsnnc-legacy/setup");
  const DM = bytesF64(frames[1]);
  const tau = bytesF64(frames[2])[0];
  const n = header.n;
  if (DM.length !== n * n) throw new Error("dbsnnc-legacy setup: distance matrix size does not match the header");
  const labels = nncFromDistances(n, (i, j) => DM[i * n + j], tau);
  return encodeMessage<LabelsHeader>({ step: "dbsnnc-legacy/labels", labels }, []);
}

export function dbsnncLegacyLabels(msg: Uint8Array): number[] {
  return decodeMessage<LabelsHeader>(msg, "dbsnnc-legacy/labels").header.labels;
}

export function runDbsnncLegacy(X: Matrix, opts: { threshold?: number; maxRows?: number } = {}): number[] {
  return dbsnncLegacyLabels(dbsnncLegacyWorker(dbsnncLegacySetup(X, opts)));
}
