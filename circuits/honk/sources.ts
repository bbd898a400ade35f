import { createHash } from "node:crypto";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { hashSources, pkgVersion, ROOT } from "../sources.js";

export const NOIR_DIR = join(ROOT, "circuits", "noir");
export const HONK_BUILD_DIR = join(NOIR_DIR, "build");
export const HONK_MANIFEST_PATH = join(HONK_BUILD_DIR, "manifest.json");
export const HONK_VERIFIERS_DIR = join(ROOT, "contracts", "verifiers", "honk");
/**
 * The prover's reference string, committed with the circuits: the first powers of the given ptau
 * that the largest circuit needs (a build output like the verification keys, so a fresh clone
 * proves without the ptau; the ptau itself is never committed).
 */
export const HONK_CRS_DIR = join(HONK_BUILD_DIR, "crs");

export function honkTools(): { noir_wasm: string; bb: string } {
  return { noir_wasm: pkgVersion("@noir-lang/noir_wasm"), bb: pkgVersion("@aztec/bb.js") };
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...listFiles(p));
    else if (e.endsWith(".nr") || e === "Nargo.toml") out.push(p);
  }
  return out;
}

/** sha256 over the tool versions and every source of a package and of the shared library. */
export function honkSourcesHash(pkg: string): { hash: string; files: string[] } {
  const t = honkTools();
  const files = [join(NOIR_DIR, "Nargo.toml"), ...listFiles(join(NOIR_DIR, "lib")), ...listFiles(join(NOIR_DIR, pkg))];
  return hashSources(`noir_wasm@${t.noir_wasm}\nbb.js@${t.bb}\n`, files);
}

export const sha256Hex = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

export interface HonkFile {
  path: string;
  sha256: string;
}

export interface HonkManifestEntry {
  contract: string;
  sourcesHash: string;
  sources: string[];
  gates: number;
  gatesPerRow: number;
  rows: number;
  publicInputs: string[];
  params: Record<string, number>;
  files: Record<"program" | "vk" | "verifier", HonkFile>;
}

export interface HonkManifest {
  generatedBy: string;
  tools: { noir_wasm: string; bb: string };
  ptau: { sha256: string; points: number };
  /** The committed CRS (HONK_CRS_DIR): G1 points kept and the files' hashes. */
  crs?: { points: number; g1: HonkFile; g2: HonkFile };
  circuits: Record<string, HonkManifestEntry>;
}
