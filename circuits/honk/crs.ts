/**
 * Barretenberg's reference string (CRS) made from a snarkjs powers-of-tau file, so neither `bb` nor
 * bb.js ever downloads Aztec's.
 *
 *   npx tsx circuits/honk/crs.ts --ptau <file.ptau> [--out <dir>]      (or CM_PTAU=<file>)
 *
 * bb reads two files from its CRS directory (`bb … -c <dir>`; bb.js: `srsInitSrs`):
 * - `bn254_g1.dat`: [τ^i]G1 for i = 0, 1, …, each 64 bytes, big-endian affine (x, y);
 * - `bn254_g2.dat`: [τ]G2, 128 bytes, big-endian (x.c0, x.c1, y.c0, y.c1).
 * A .ptau holds the same points (section 2: the G1 powers, section 3: the G2 powers) as
 * little-endian Montgomery-form coordinates. UltraHonk needs only these powers (no phase 2), so
 * any phase-1 ceremony file works; its 2^k powers allow circuits of up to 2^(k+1) gates here
 * (snarkjs keeps 2·2^k − 1 G1 powers).
 *
 * The Solidity verifier that bb writes carries Aztec's [τ]G2 as a constant: circuits/honk/build.ts
 * replaces it by this file's (`g2Solidity`).
 */
import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { bn254 } from "@noble/curves/bn254.js";
import { ROOT } from "../sources.js";

/** BN254 base field. */
const Fp = bn254.fields.Fp;
const Q = Fp.ORDER;
const N8 = 32;

/** Where the CRS goes unless told otherwise (git-ignored). */
export const DEFAULT_CRS_DIR = join(ROOT, ".data", "bb-crs");

/** 2^-256 mod Q: a ptau stores coordinates in Montgomery form. */
const R_INV = Fp.inv((1n << 256n) % Q);

function readLE(buf: Buffer, off: number): bigint {
  let x = 0n;
  for (let i = N8 - 1; i >= 0; i--) x = (x << 8n) | BigInt(buf[off + i]);
  return x;
}
function writeBE(out: Buffer, off: number, x: bigint): void {
  for (let i = N8 - 1; i >= 0; i--) {
    out[off + i] = Number(x & 0xffn);
    x >>= 8n;
  }
}
/** A coordinate of the ptau (little-endian Montgomery form) as a plain field element. */
const fromMont = (buf: Buffer, off: number): bigint => (readLE(buf, off) * R_INV) % Q;

interface Section {
  pos: number;
  size: number;
}

function sections(fd: number, path: string): Map<number, Section> {
  const head = Buffer.alloc(12);
  readSync(fd, head, 0, 12, 0);
  if (head.toString("latin1", 0, 4) !== "ptau") throw new Error(`${path} is not a .ptau file (bad magic); pass a snarkjs powers-of-tau file with --ptau`);
  const n = head.readUInt32LE(8);
  const out = new Map<number, Section>();
  let pos = 12;
  for (let s = 0; s < n; s++) {
    const sh = Buffer.alloc(12);
    readSync(fd, sh, 0, 12, pos);
    const type = sh.readUInt32LE(0);
    const size = Number(sh.readBigUInt64LE(4));
    out.set(type, { pos: pos + 12, size });
    pos += 12 + size;
  }
  return out;
}

function readSection(fd: number, s: Section, bytes = s.size): Buffer {
  const b = Buffer.alloc(bytes);
  readSync(fd, b, 0, bytes, s.pos);
  return b;
}

export interface PtauCrs {
  /** bn254_g1.dat contents. */
  g1: Buffer;
  /** bn254_g2.dat contents. */
  g2: Buffer;
  points: number;
  power: number;
}

/** Reads the G1 powers and [τ]G2 of a .ptau into bb's formats. */
export function crsFromPtau(ptauPath: string): PtauCrs {
  const fd = openSync(ptauPath, "r");
  try {
    const secs = sections(fd, ptauPath);
    const header = secs.get(1);
    const g1s = secs.get(2);
    const g2s = secs.get(3);
    if (!header || !g1s || !g2s) throw new Error(`${ptauPath} lacks the header or the tau sections (1, 2, 3); is it a complete powers-of-tau file?`);
    const h = readSection(fd, header);
    const n8 = h.readUInt32LE(0);
    if (n8 !== N8 || readLE(h, 4) !== Q) throw new Error(`${ptauPath} is not over BN254 (bn128); bb needs a BN254 powers of tau`);
    const power = h.readUInt32LE(4 + n8);
    const points = g1s.size / (2 * N8);
    if (!Number.isInteger(points) || points < 2) throw new Error(`${ptauPath}: section 2 has an odd size`);
    const raw = readSection(fd, g1s);
    const g1 = Buffer.alloc(points * 64);
    for (let i = 0; i < points; i++) {
      writeBE(g1, i * 64, fromMont(raw, i * 64));
      writeBE(g1, i * 64 + 32, fromMont(raw, i * 64 + 32));
    }
    // Sanity: the first power is the generator (1, 2); anything else means a misread file.
    if (fromMont(raw, 0) !== 1n || fromMont(raw, 32) !== 2n) throw new Error(`${ptauPath}: the first G1 power is not the BN254 generator; the file is corrupt`);
    // Section 3: [τ^i]G2, each 4 coordinates (x.c0, x.c1, y.c0, y.c1); we need i = 1.
    const g2raw = readSection(fd, g2s, 2 * 4 * N8);
    const g2 = Buffer.alloc(128);
    for (let k = 0; k < 4; k++) writeBE(g2, k * 32, fromMont(g2raw, 4 * N8 + k * N8));
    return { g1, g2, points, power };
  } finally {
    closeSync(fd);
  }
}

function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

export interface CrsInfo {
  dir: string;
  points: number;
  ptauSha256: string;
}

/**
 * Makes sure `dir` holds the CRS of `ptauPath` (recorded in `source.json`); rewrites it when the
 * ptau changed. Files are written beside and renamed, so a crash leaves no half-written CRS.
 */
export function ensureCrs(ptauPath: string, dir = DEFAULT_CRS_DIR): CrsInfo {
  if (!existsSync(ptauPath)) throw new Error(`powers of tau "${ptauPath}" does not exist; pass --ptau <file> or set CM_PTAU`);
  const abs = resolve(dir);
  const ptauSha256 = sha256File(ptauPath);
  const marker = join(abs, "source.json");
  if (existsSync(marker) && existsSync(join(abs, "bn254_g1.dat")) && existsSync(join(abs, "bn254_g2.dat"))) {
    const m = JSON.parse(readFileSync(marker, "utf8")) as { ptauSha256: string; points: number };
    if (m.ptauSha256 === ptauSha256 && statSync(join(abs, "bn254_g1.dat")).size === m.points * 64) return { dir: abs, points: m.points, ptauSha256 };
  }
  const crs = crsFromPtau(ptauPath);
  mkdirSync(abs, { recursive: true });
  for (const [name, data] of [
    ["bn254_g1.dat", crs.g1],
    ["bn254_g2.dat", crs.g2],
  ] as const) {
    writeFileSync(join(abs, `${name}.tmp`), data);
    renameSync(join(abs, `${name}.tmp`), join(abs, name));
  }
  writeFileSync(marker, JSON.stringify({ ptauSha256, power: crs.power, points: crs.points }, null, 2) + "\n");
  return { dir: abs, points: crs.points, ptauSha256 };
}

/** Points a circuit of `gates` gates needs: bb rounds up to the next power of two, plus one. */
export function crsPointsFor(gates: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(gates, 2))) + 1;
}

/**
 * Writes the first `points` G1 powers and [τ]G2 of the CRS in `fromDir` into `outDir` (the
 * committed prover CRS, circuits/noir/build/crs); returns the files' paths.
 */
export function writeProverCrs(fromDir: string, outDir: string, points: number): { g1: string; g2: string } {
  const { g1, g2, points: have } = loadCrs(fromDir);
  if (have < points) throw new Error(`the CRS has ${have} G1 points, the circuits need ${points}: use a larger powers of tau`);
  mkdirSync(outDir, { recursive: true });
  const out = { g1: join(outDir, "bn254_g1.dat"), g2: join(outDir, "bn254_g2.dat") };
  for (const [path, data] of [
    [out.g1, g1.subarray(0, points * 64)],
    [out.g2, g2],
  ] as const) {
    writeFileSync(`${path}.tmp`, data);
    renameSync(`${path}.tmp`, path);
  }
  return out;
}

/** Reads an existing CRS directory, with a message naming the fix when it is missing. */
export function loadCrs(dir = DEFAULT_CRS_DIR): { g1: Buffer; g2: Buffer; points: number } {
  const g1p = join(dir, "bn254_g1.dat");
  const g2p = join(dir, "bn254_g2.dat");
  if (!existsSync(g1p) || !existsSync(g2p)) {
    throw new Error(`no bb CRS in ${dir}; make it from a powers of tau: npx tsx circuits/honk/crs.ts --ptau <file.ptau> (or set CM_PTAU)`);
  }
  const g1 = readFileSync(g1p);
  const g2 = readFileSync(g2p);
  if (g1.length % 64 !== 0 || g2.length !== 128) throw new Error(`the CRS in ${dir} is damaged; delete it and run circuits/honk/crs.ts again`);
  return { g1, g2, points: g1.length / 64 };
}

/** [τ]G2 of the CRS as the Solidity verifier's G2 constant lines (x.c1, x.c0, y.c1, y.c0 order of the EVM pairing). */
export function g2Coordinates(g2: Buffer): { x0: string; x1: string; y0: string; y1: string } {
  const hex = (k: number) => "0x" + g2.subarray(k * 32, k * 32 + 32).toString("hex");
  return { x0: hex(0), x1: hex(1), y0: hex(2), y1: hex(3) };
}

function main(argv: string[]): void {
  let ptau = process.env.CM_PTAU;
  let out = DEFAULT_CRS_DIR;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--ptau") ptau = argv[++i];
    else if (argv[i] === "--out") out = argv[++i];
    else throw new Error(`crs: unknown argument "${argv[i]}"; use --ptau <file> [--out <dir>]`);
  }
  if (!ptau) throw new Error("crs: no powers of tau given; pass --ptau <file.ptau> or set CM_PTAU");
  const t0 = performance.now();
  const info = ensureCrs(ptau, out);
  console.log(`bb CRS: ${info.points} G1 points in ${info.dir} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}
// rmSync is kept for callers that want to drop a stale CRS explicitly.
export const removeCrs = (dir = DEFAULT_CRS_DIR): void => rmSync(dir, { recursive: true, force: true });
