import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { findBbBinary } from "@aztec/bb.js/platform";

/**
 * Off-chain UltraHonk verification with bb.js's native `bb` (`bb verify -t evm`), for the connector
 * and the requester: no EVM needed, about a tenth of a second per proof.
 *
 * Why a patched copy of bb: our proofs come from a CRS made from the project's powers of tau
 * (circuits/honk/crs.ts), and bb's verifier does not read [τ]G2 from the CRS directory: it carries
 * Aztec's ceremony's [τ]G2 as a 128-byte constant (big-endian x.c0, x.c1, y.c0, y.c1, the layout
 * of bn254_g2.dat), so every one of our proofs fails its pairing. The copy made here replaces that
 * constant with the committed CRS's bn254_g2.dat, the same substitution the build makes in the
 * Solidity verifiers. The constant must occur exactly once in the binary, otherwise this refuses
 * (a new bb version: check and update AZTEC_G2). The copy lives in the OS temp directory, keyed by
 * the hashes of bb and of the G2, written atomically (a temp file renamed), so concurrent
 * processes agree on it and nothing in the tree changes (CM_HONK_VERIFIER_DIR moves it elsewhere).
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const HONK_BUILD_DIR = join(ROOT, "circuits", "noir", "build");
/** The committed CRS (its bn254_g2.dat is the one the proofs need); CM_BB_CRS overrides, as for the prover. */
export const HONK_CRS_DIR = process.env.CM_BB_CRS ?? join(HONK_BUILD_DIR, "crs");

/** BN254 scalar field: every public input is below it. */
const FR = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
/** Aztec's [τ]G2 as bb 5.0.0 embeds it: x.c0, x.c1, y.c0, y.c1, big-endian. */
const AZTEC_G2 = Buffer.from(
  "0118c4d5b837bcc2bc89b5b398b5974e9f5944073b32078b7e231fec938883b0" +
    "260e01b251f6f1c7e7ff4e580791dee8ea51d87a358e038b4efe30fac09383c1" +
    "22febda3c0c0632a56475b4214e5615e11e6dd3f96e6cea2854a87d4dacc5e55" +
    "04fc6369f7110fe3d25156c1bb9a72859cf2a04641f99ba4ee413c80da6a5fe4",
  "hex",
);
/** Far above any of our proofs (≈ 8.4–8.8 KB); refuses absurd inputs before a process starts. */
const MAX_PROOF_BYTES = 64 * 1024;

export interface HonkProofData {
  /** Proof bytes as bb writes them (and the Solidity verifier takes them). */
  proof: Uint8Array;
  /** Public inputs in the circuit's order, as field elements. */
  publicInputs: readonly bigint[];
}

const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

const verifiers = new Map<string, string>();

/** The path of a bb whose embedded [τ]G2 is the one in `crsDir`/bn254_g2.dat (made once per bb and G2). */
export function honkVerifierBinary(crsDir: string = HONK_CRS_DIR): string {
  const g2Path = join(crsDir, "bn254_g2.dat");
  if (!existsSync(g2Path)) throw new Error(`honk verify: no ${g2Path}; rebuild the circuits (npm run circuits:build:honk -- --ptau <file>) or set CM_BB_CRS`);
  const g2 = readFileSync(g2Path);
  if (g2.length !== 128) throw new Error(`honk verify: ${g2Path} has ${g2.length} bytes; a bn254_g2.dat holds one G2 point in 128 bytes`);
  const bb = findBbBinary();
  if (!bb) throw new Error(`honk verify: no native bb for ${process.platform}-${process.arch} in @aztec/bb.js (linux and macos, x64 and arm64 have one)`);
  const key = `${bb}\0${g2.toString("hex")}`;
  const known = verifiers.get(key);
  if (known && existsSync(known)) return known;
  const original = readFileSync(bb);
  // CM_HONK_VERIFIER_DIR: where the copy goes when the temp directory does not allow executables (noexec).
  const dir = join(process.env.CM_HONK_VERIFIER_DIR ?? join(tmpdir(), "ciphermine-bb"), `${sha256(original).slice(0, 16)}-${sha256(g2).slice(0, 16)}`);
  const path = join(dir, "bb");
  if (!existsSync(path)) {
    const at = original.indexOf(AZTEC_G2);
    if (at < 0 || original.indexOf(AZTEC_G2, at + 1) >= 0) {
      throw new Error(`honk verify: ${bb} does not embed Aztec's [τ]G2 exactly once (bb version changed?); update AZTEC_G2 in chain-connector/src/honkverify.ts`);
    }
    g2.copy(original, at);
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, `bb.${process.pid}.${randomBytes(4).toString("hex")}`);
    writeFileSync(tmp, original);
    chmodSync(tmp, 0o755);
    renameSync(tmp, path);
  }
  verifiers.set(key, path);
  return path;
}

function run(bin: string, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn(bin, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.on("error", rej);
    child.on("close", (code) => res({ code: code ?? -1, stderr }));
  });
}

/** The verification key of a built circuit (circuits/noir/build/<name>/vk), or an error naming the fix. */
export function honkVkPath(circuit: string, buildDir: string = HONK_BUILD_DIR): string {
  if (!/^[a-z0-9_]+$/.test(circuit)) throw new Error(`honk verify: "${circuit}" is not a circuit name (lowercase letters, digits, _)`);
  const vk = join(buildDir, circuit, "vk");
  if (!existsSync(vk)) throw new Error(`honk verify: no verification key for circuit "${circuit}" at ${vk}; run npm run circuits:build:honk -- --ptau <file>`);
  return vk;
}

/**
 * True when `p` verifies under circuit `circuit`'s verification key. Malformed proofs (empty or
 * oversized bytes, public inputs that are not field elements, or a count other than `expectedInputs`
 * when given) return false without running bb; a missing circuit or bb throws (a configuration error).
 */
export async function verifyHonk(circuit: string, p: HonkProofData, opts: { buildDir?: string; crsDir?: string; expectedInputs?: number } = {}): Promise<boolean> {
  const vk = honkVkPath(circuit, opts.buildDir);
  const bin = honkVerifierBinary(opts.crsDir);
  if (!(p?.proof instanceof Uint8Array) || p.proof.length === 0 || p.proof.length > MAX_PROOF_BYTES) return false;
  if (!Array.isArray(p.publicInputs) || p.publicInputs.length === 0) return false;
  if (opts.expectedInputs !== undefined && p.publicInputs.length !== opts.expectedInputs) return false;
  if (!p.publicInputs.every((x) => typeof x === "bigint" && x >= 0n && x < FR)) return false;
  const dir = mkdtempSync(join(tmpdir(), "cm-honk-verify-"));
  try {
    writeFileSync(join(dir, "proof"), p.proof);
    writeFileSync(join(dir, "public_inputs"), Buffer.concat(p.publicInputs.map((x: bigint) => Buffer.from(x.toString(16).padStart(64, "0"), "hex"))));
    const r = await run(bin, ["verify", "-p", join(dir, "proof"), "-i", join(dir, "public_inputs"), "-k", vk, "-t", "evm", "-c", opts.crsDir ?? HONK_CRS_DIR]);
    // bb exits 1 on a failed verification and also on unreadable input: both are a rejection.
    return r.code === 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Task kind → its width-4 Honk circuit (the width-16 one adds `_w16`), as ChunkAudit's per-kind verifiers. */
const KIND_CIRCUITS: Record<string, string> = { stats: "stats_chunk", kmeans: "kmeans_chunk", linreg: "linreg_chunk", logreg: "logreg_chunk" };

/**
 * ChunkAudit._checkTaskEntry off-chain: 0 when entry `index` of a member's proof list is valid,
 * else its exclusion reason (1 malformed, 2 group ≠ index, 3 wrong binding, 4 root not committed,
 * 5 proof rejected, 7 no circuit width for its columns). `binding` is the round binding over the
 * entry's outputs; `hasRoot` whether the member committed the dataset root. Throws for a kind
 * without a Honk circuit (nothing can be judged).
 */
export async function checkHonkEntry(
  kind: string,
  index: number,
  publicInputs: readonly string[],
  proof: Uint8Array,
  o: { binding: (outputs: bigint[]) => bigint; hasRoot: (root: string) => boolean; buildDir?: string },
): Promise<number> {
  const base = KIND_CIRCUITS[kind];
  if (!base) throw new Error(`kind ${kind} has no UltraHonk circuit; proof lists of ${Object.keys(KIND_CIRCUITS).join(", ")} can be challenged`);
  if (publicInputs.length < 5) return 1;
  const pi = publicInputs.map((x) => BigInt(x));
  const columns = pi[3];
  if (columns === 0n || columns > 16n) return 7;
  const circuit = columns <= 4n ? base : `${base}_w16`;
  const manifest = JSON.parse(readFileSync(join(o.buildDir ?? HONK_BUILD_DIR, "manifest.json"), "utf8")) as { circuits: Record<string, { publicInputs: string[] }> };
  const names = manifest.circuits[circuit]?.publicInputs;
  if (!names) throw new Error(`circuit ${circuit} is not in the Honk manifest; rebuild the circuits`);
  if (pi.length !== names.length) return 1;
  if (pi[1] !== BigInt(index)) return 2;
  if (pi[2] !== o.binding(pi.slice(names.findIndex((x) => x.startsWith("commitment"))))) return 3;
  if (!o.hasRoot(publicInputs[0].toLowerCase())) return 4;
  return (await verifyHonk(circuit, { proof, publicInputs: pi }, { buildDir: o.buildDir })) ? 0 : 5;
}
