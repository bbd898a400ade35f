/**
 * Paillier proofs (node/src/crypto/paillier-proofs): prove / verify CPU time and proof size for
 * each proof at a 2048-bit Blum modulus (key generation aside), and the overhead they add to a
 * 10-member federated Paillier round as the backend runs it (runtime/aggregation/paillier.ts):
 * each member proves its packed ciphertexts hold the vector its Pedersen commitment holds, seals
 * them to the 10 members, checks every member's proofs before summing (the requester never sees
 * one member's ciphertexts) and verifies the task key's certificate once per task; the requester
 * decrypts the one sum.
 * Run: npx tsx bench/paillier-proofs.ts [--quick] [--json]
 */
import { pathToFileURL } from "node:url";
import { packingLayout, paillierDecrypt, paillierEncrypt, paillierKeygen, type PaillierSecretKey } from "../node/src/crypto/paillier.js";
import { modPow } from "../node/src/crypto/bigmath.js";
import { pedersenCommit, randomBlinding } from "../protocol/src/pedersen.js";
import {
  decryptionProofBytes,
  encryptPacked,
  equalityChallengeSplit,
  equalityProofBytes,
  facProofBytes,
  modProofBytes,
  proveBaseResidue,
  proveDecryption,
  proveEquality,
  proveFactors,
  proveModulus,
  provePrm,
  publicRingPedersen,
  ringPedersenKeygen,
  serializeBaseResidueProof,
  serializeDecryptionProof,
  serializeEqualityProof,
  serializeFacProof,
  serializeModProof,
  serializePrmProof,
  verifyBaseResidue,
  verifyDecryption,
  verifyEquality,
  verifyFactors,
  verifyModulus,
  verifyPrm,
  type EqualityStatement,
} from "../node/src/crypto/paillier-proofs/index.js";

const BINDING = "c1f3e5d7b9a1c3e5d7b9a1c3e5d7b9a1c3e5d7b9a1c3e5d7b9a1c3e5d7b9a1c3";

export interface ProofRow {
  proof: string;
  workload: string;
  proveMs: number;
  verifyMs: number;
  /** Raw big-endian integers. */
  bytes: number;
  /** As serialized (hex JSON). */
  jsonBytes: number;
}

export interface RoundRow {
  vector: number;
  equalityProofs: number;
  memberProveMs: number;
  memberEncryptMs: number;
  memberBytes: number;
  /** Each member checks all 10 members' equality proofs before summing. */
  memberVerifyMs: number;
  /** Each member verifies the key certificate (Π^mod + Π^fac) once per task. */
  certVerifyMs: number;
  /** The requester decrypts the one agreed sum. */
  requesterDecryptMs: number;
}

/** CPU milliseconds (user + system), so other load on a shared machine does not inflate them. */
function cpu<T>(f: () => T): [T, number] {
  const c = process.cpuUsage();
  const r = f();
  const d = process.cpuUsage(c);
  return [r, (d.user + d.system) / 1000];
}

function mean<T>(reps: number, f: () => T): [T, number] {
  let last!: T;
  let total = 0;
  for (let i = 0; i < reps; i++) {
    const [r, ms] = cpu(f);
    last = r;
    total += ms;
  }
  return [last, total / reps];
}

function randomSigned(bits: number): bigint {
  const lim = 1n << BigInt(bits - 1);
  const b = crypto.getRandomValues(new Uint8Array(Math.ceil(bits / 8) + 1));
  return (BigInt("0x" + Buffer.from(b).toString("hex")) % (2n * lim)) - lim;
}

function equalityCase(sk: PaillierSecretKey, count: number, bits: number, valueBits: number) {
  const pk = sk.publicKey;
  const values = Array.from({ length: count }, () => randomSigned(bits));
  const blinding = randomBlinding();
  const layout = packingLayout(pk, valueBits, 10);
  const enc = encryptPacked(pk, layout, values);
  const s: EqualityStatement = { publicKey: pk, ciphertexts: enc.ciphertexts, layout, commitment: pedersenCommit(values, blinding, bits), count, bits, binding: BINDING };
  return { s, w: { values, blinding, randomness: enc.randomness } };
}

export function proofRows(opts: { bits?: number; reps?: number; prm?: boolean; log?: (s: string) => void } = {}): { rows: ProofRow[]; round: RoundRow[]; keygenMs: number } {
  const bits = opts.bits ?? 2048;
  const reps = opts.reps ?? 3;
  const log = opts.log ?? (() => {});
  const [sk, keygenMs] = cpu(() => paillierKeygen(bits, { blum: true }));
  const pk = sk.publicKey;
  const rows: ProofRow[] = [];
  // warm-up (JIT, generator tables, the public ring-Pedersen setup)
  proveDecryption(sk, paillierEncrypt(pk, 1n), BINDING);
  publicRingPedersen();
  equalityCase(sk, 1, 49, 80);

  log("decryption");
  const c = paillierEncrypt(pk, -123456789n);
  const [dec, decP] = mean(reps, () => proveDecryption(sk, c, BINDING));
  const [okD, decV] = mean(reps, () => verifyDecryption(pk, c, dec.m, BINDING, dec.proof));
  if (!okD) throw new Error("bench: decryption proof did not verify");
  rows.push({
    proof: "decryption",
    workload: "one ciphertext",
    proveMs: decP,
    verifyMs: decV,
    bytes: decryptionProofBytes(pk),
    jsonBytes: serializeDecryptionProof(dec.proof).length,
  });

  log("base residue");
  const h = modPow(pk.n - 4n, pk.n, pk.n2);
  const [br, brP] = mean(reps, () => proveBaseResidue(sk, h, BINDING));
  const [okB, brV] = mean(reps, () => verifyBaseResidue(pk, h, BINDING, br));
  if (!okB) throw new Error("bench: base-residue proof did not verify");
  rows.push({
    proof: "base residue (DJN h)",
    workload: "h = (−x²)^N",
    proveMs: brP,
    verifyMs: brV,
    bytes: decryptionProofBytes(pk),
    jsonBytes: serializeBaseResidueProof(br).length,
  });

  log("Π^mod");
  const r1 = Math.max(1, Math.min(reps, 2));
  const [mp, modP] = mean(r1, () => proveModulus(sk, BINDING));
  const [okM, modV] = mean(r1, () => verifyModulus(pk, BINDING, mp));
  if (!okM) throw new Error("bench: Π^mod did not verify");
  rows.push({ proof: "Π^mod", workload: "80 rounds", proveMs: modP, verifyMs: modV, bytes: modProofBytes(pk), jsonBytes: serializeModProof(mp).length });

  log("Π^fac");
  const aux = publicRingPedersen();
  const [fp, facP] = mean(r1, () => proveFactors(sk, aux, BINDING));
  const [okF, facV] = mean(r1, () => verifyFactors(pk, aux, BINDING, fp));
  if (!okF) throw new Error("bench: Π^fac did not verify");
  rows.push({ proof: "Π^fac", workload: "public setup (RSA-2048)", proveMs: facP, verifyMs: facV, bytes: facProofBytes(fp), jsonBytes: serializeFacProof(fp).length });

  if (opts.prm) {
    log("Π^prm (2048-bit safe-prime setup; keygen not timed)");
    const own = ringPedersenKeygen(2048);
    const [pp, prmP] = mean(1, () => provePrm(own, BINDING));
    const [okP, prmV] = mean(1, () => verifyPrm(own.params, BINDING, pp));
    if (!okP) throw new Error("bench: Π^prm did not verify");
    rows.push({
      proof: "Π^prm",
      workload: "verifier's own setup, 80 rounds",
      proveMs: prmP,
      verifyMs: prmV,
      bytes: Math.ceil(serializePrmProof(pp).length / 2),
      jsonBytes: serializePrmProof(pp).length,
    });
    const [fo, facOP] = mean(1, () => proveFactors(sk, own.params, BINDING));
    const [okO, facOV] = mean(1, () => verifyFactors(pk, own.params, BINDING, fo));
    if (!okO) throw new Error("bench: Π^fac (own setup) did not verify");
    rows.push({ proof: "Π^fac", workload: "verifier's own setup", proveMs: facOP, verifyMs: facOV, bytes: facProofBytes(fo), jsonBytes: serializeFacProof(fo).length });
  }

  const eqCases: [string, number, number, number][] = [
    ["1 value, 49-bit (1 ciphertext)", 1, 49, 80],
    ["24 values, 49-bit (1 ciphertext)", 24, 49, 80],
    ["14 values, 134-bit (1 ciphertext, split challenge)", 14, 134, 136],
  ];
  for (const [label, count, b, vb] of eqCases) {
    log(`equality: ${label}`);
    const { s, w } = equalityCase(sk, count, b, vb);
    const [pr, eP] = mean(reps, () => proveEquality(s, w));
    const [okE, eV] = mean(reps, () => verifyEquality(s, pr));
    if (!okE) throw new Error(`bench: equality proof (${label}) did not verify`);
    const split = equalityChallengeSplit(b);
    rows.push({
      proof: "equality",
      workload: `${label}; ${split.reps} × ${split.k}-bit challenge`,
      proveMs: eP,
      verifyMs: eV,
      bytes: equalityProofBytes(s),
      jsonBytes: serializeEqualityProof(pr).length,
    });
  }

  // A 10-member round: each member's vector in 24-value groups (one 80-bit-slot ciphertext and
  // one commitment each, the 2048-bit layout); every member checks the 10 members' proofs.
  const certV = rows.filter((r) => r.workload === "80 rounds" || r.workload === "public setup (RSA-2048)").reduce((a, r) => a + r.verifyMs, 0);
  const [, decMs] = mean(reps, () => paillierDecrypt(sk, c));
  const round: RoundRow[] = [];
  const eq24 = rows.find((r) => r.workload.startsWith("24 values"))!;
  const eq1 = rows.find((r) => r.workload.startsWith("1 value"))!;
  const slots = packingLayout(pk, 80, 10).slots;
  const [, encMs] = mean(reps, () => paillierEncrypt(pk, 1n));
  for (const L of [22, 100]) {
    const groups = Math.ceil(L / slots);
    const full = Math.floor(L / slots);
    const partial = groups - full;
    // a partial group costs about a full one (the ciphertext dominates): count it as such, between the 1- and 24-value rows
    const prove = full * eq24.proveMs + partial * (eq1.proveMs + (eq24.proveMs - eq1.proveMs) * ((L % slots) / slots));
    const verify = full * eq24.verifyMs + partial * (eq1.verifyMs + (eq24.verifyMs - eq1.verifyMs) * ((L % slots) / slots));
    round.push({
      vector: L,
      equalityProofs: groups,
      memberProveMs: prove,
      memberEncryptMs: groups * encMs,
      memberBytes: groups * eq24.bytes,
      memberVerifyMs: 10 * verify,
      certVerifyMs: certV,
      requesterDecryptMs: groups * decMs,
    });
  }
  return { rows, round, keygenMs };
}

export function formatProofs(rows: ProofRow[]): string {
  const head = "| proof | workload | prove ms | verify ms | bytes (raw) | bytes (JSON) |\n|---|---|---:|---:|---:|---:|";
  return [
    head,
    ...rows.map(
      (r) => `| ${r.proof} | ${r.workload} | ${r.proveMs.toFixed(1)} | ${r.verifyMs.toFixed(1)} | ${r.bytes.toLocaleString("en-US")} | ${r.jsonBytes.toLocaleString("en-US")} |`,
    ),
  ].join("\n");
}

export function formatRound(rows: RoundRow[]): string {
  const head =
    "| vector length | equality proofs per member | member: prove ms (encrypt ms without proofs) | member: proof bytes | member: verify 10 members' proofs ms | member: verify key certificate ms (once per task) | requester: decrypt the sum ms |\n|---:|---:|---:|---:|---:|---:|---:|";
  return [
    head,
    ...rows.map(
      (r) =>
        `| ${r.vector} | ${r.equalityProofs} | ${r.memberProveMs.toFixed(0)} (${r.memberEncryptMs.toFixed(0)}) | ${r.memberBytes.toLocaleString("en-US")} | ${r.memberVerifyMs.toFixed(0)} | ${r.certVerifyMs.toFixed(0)} | ${r.requesterDecryptMs.toFixed(0)} |`,
    ),
  ].join("\n");
}

export const PROOF_WORKLOAD =
  "2048-bit Blum modulus (keygen aside), CPU time per proof (mean of the repetitions), one thread; bytes: raw integers and the hex JSON sent. Round estimate: 10 members, vectors of 22 (linreg, 5 weights) and 100 values in 80-bit slots (24 per ciphertext, one equality proof per ciphertext), from the rows above: every member checks every member's proofs (the requester sees only sums), the key certificate is Π^mod + Π^fac (public setup)";

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes("--quick");
  const json = args.includes("--json");
  const { rows, round, keygenMs } = proofRows({ reps: quick ? 1 : 3, prm: !quick, log: (s) => console.error(`  [paillier-proofs] ${s}`) });
  if (json) {
    for (const r of rows) console.log(JSON.stringify({ bench: "paillier-proofs", ...r }));
    for (const r of round) console.log(JSON.stringify({ bench: "paillier-proofs/round", members: 10, ...r }));
    return;
  }
  console.log(`Workload: ${PROOF_WORKLOAD}; Blum keygen took ${(keygenMs / 1000).toFixed(1)} s\n`);
  console.log(formatProofs(rows));
  console.log("\n10-member federated Paillier round, per-round overhead:\n");
  console.log(formatRound(round));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await main();
  process.exit(0);
}
