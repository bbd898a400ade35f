import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root (circuits/ is one level down). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const CIRCUITS_DIR = join(ROOT, "circuits");
export const BUILD_DIR = join(CIRCUITS_DIR, "build");
export const VERIFIERS_DIR = join(ROOT, "contracts", "verifiers");
export const NODE_MODULES = join(ROOT, "node_modules");

// Read from disk: snarkjs's "exports" map hides its package.json from require.
export const pkgVersion = (name: string): string => (JSON.parse(readFileSync(join(NODE_MODULES, name, "package.json"), "utf8")) as { version: string }).version;
export const CIRCOMLIB_VERSION = pkgVersion("circomlib");
export const CIRCOM2_VERSION = pkgVersion("circom2");
export const SNARKJS_VERSION = pkgVersion("snarkjs");

/** Every .circom file a main source includes, transitively (resolved like circom: own dir, then -l node_modules). */
export function circuitSources(main: string, libDirs: string[] = [NODE_MODULES]): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/^\s*include\s+"([^"]+)"\s*;/gm)) {
      const found = [dirname(file), ...libDirs].map((d) => resolve(d, m[1])).find((f) => existsSync(f));
      if (!found) throw new Error(`${relative(ROOT, file)} includes "${m[1]}", which is neither next to it nor under ${libDirs.map((d) => relative(ROOT, d)).join(", ")}`);
      visit(found);
    }
  };
  visit(resolve(main));
  return [...seen].sort();
}

/**
 * sha256 over the circom, circomlib and snarkjs versions and every source file (path relative to
 * the repository + contents). A change to any of them makes the built artifacts stale.
 */
export function sourcesHash(main: string, libDirs?: string[]): { hash: string; files: string[] } {
  return hashSources(`circom2@${CIRCOM2_VERSION}\ncircomlib@${CIRCOMLIB_VERSION}\nsnarkjs@${SNARKJS_VERSION}\n`, circuitSources(main, libDirs));
}

/** sha256 over a header naming the tools, then each file's path (relative to the repository) and contents. */
export function hashSources(header: string, files: string[]): { hash: string; files: string[] } {
  const h = createHash("sha256");
  h.update(header);
  const rel = files.map((f) => relative(ROOT, f));
  for (let i = 0; i < files.length; i++) {
    h.update(`${rel[i]}\n`);
    h.update(readFileSync(files[i]));
    h.update("\n");
  }
  return { hash: h.digest("hex"), files: rel };
}

export function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

export interface FileEntry {
  path: string;
  sha256: string;
  bytes: number;
}

export interface ManifestEntry {
  contract: string;
  sourcesHash: string;
  sources: string[];
  constraints: number;
  constraintsPerRow: number;
  wires: number;
  privateInputs: number;
  publicInputs: number;
  outputs: number;
  /** outputs + public inputs = length of publicSignals = vkey.IC.length - 1. */
  nPublic: number;
  publicSignals: string[];
  params: Record<string, number>;
  /** r1cs only for circuits whose registry entry sets keepR1cs. */
  files: Record<"wasm" | "zkey" | "vkey" | "verifier", FileEntry> & { r1cs?: FileEntry };
}

export interface Manifest {
  generatedBy: string;
  tools: { circom2: string; circomlib: string; snarkjs: string };
  ptau: { power: number; sha256: string; source: "given" | "local" };
  setup: string;
  circuits: Record<string, ManifestEntry>;
}

export const MANIFEST_PATH = join(BUILD_DIR, "manifest.json");
