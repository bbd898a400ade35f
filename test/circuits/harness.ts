/**
 * circom_tester-like checks for circuits: witnesses from the compiled WASM calculator, and an R1CS
 * checker that evaluates every constraint A·w × B·w = C·w (mod p) on a given witness, so a witness
 * tampered after calculation shows whether the constraints (not just the calculator's asserts)
 * reject it.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import * as snarkjs from "snarkjs";
import { SNARK_FIELD as P } from "../../protocol/src/binding.js";
import { CIRCUITS_DIR, NODE_MODULES, ROOT, sourcesHash } from "../../circuits/sources.js";

export type Witness = bigint[];
type LC = [number, bigint][];

export interface R1cs {
  nVars: number;
  nOutputs: number;
  nPubInputs: number;
  constraints: [LC, LC, LC][];
  /** For each wire, the constraints it appears in. */
  uses: number[][];
}

export async function loadR1cs(path: string): Promise<R1cs> {
  const j = (await snarkjs.r1cs.exportJson(path)) as unknown as {
    nVars: number;
    nOutputs: number;
    nPubInputs: number;
    constraints: Record<string, string>[][];
  };
  const conv = (m: Record<string, string>): LC => Object.entries(m).map(([k, v]) => [Number(k), BigInt(v)]);
  const constraints = j.constraints.map((c) => [conv(c[0]), conv(c[1]), conv(c[2])] as [LC, LC, LC]);
  const uses: number[][] = Array.from({ length: j.nVars }, () => []);
  constraints.forEach((c, i) => {
    const seen = new Set<number>();
    for (const lc of c)
      for (const [k] of lc)
        if (!seen.has(k)) {
          seen.add(k);
          uses[k].push(i);
        }
  });
  return { nVars: j.nVars, nOutputs: j.nOutputs, nPubInputs: j.nPubInputs, constraints, uses };
}

const evalLc = (lc: LC, w: Witness) => lc.reduce((s, [k, v]) => s + v * w[k], 0n) % P;

function holds(c: [LC, LC, LC], w: Witness): boolean {
  return (evalLc(c[0], w) * evalLc(c[1], w) - evalLc(c[2], w)) % P === 0n;
}

/** Index of the first violated constraint, or -1 when the witness satisfies the R1CS. */
export function firstViolation(r1cs: R1cs, w: Witness, only?: number[]): number {
  if (w.length !== r1cs.nVars) throw new Error(`witness has ${w.length} wires, r1cs ${r1cs.nVars}`);
  if (w[0] !== 1n) return -2;
  for (const i of only ?? r1cs.constraints.keys()) if (!holds(r1cs.constraints[i], w)) return i;
  return -1;
}

/**
 * Wires whose value can change alone without violating any constraint: each is a free variable a
 * cheating prover could set at will (the under-constrained bug). Wire 0 is the constant 1.
 */
export function freeWires(r1cs: R1cs, w: Witness): number[] {
  const free: number[] = [];
  for (let k = 1; k < r1cs.nVars; k++) {
    const t = w.slice();
    t[k] = (t[k] + 1n) % P;
    if (r1cs.uses[k].every((i) => holds(r1cs.constraints[i], t))) free.push(k);
  }
  return free;
}

/** Runs the circuit's witness calculator (throws on a failed assert / === constraint). */
export async function calcWitness(wasm: string, input: Record<string, unknown>): Promise<Witness> {
  const mem: { type: "mem"; data?: Uint8Array } = { type: "mem" };
  await snarkjs.wtns.calculate(input, wasm, mem);
  return snarkjs.wtns.exportJson(mem);
}

/** The line of the first failing assert, for checking that the intended constraint caught an input. */
export async function rejection(wasm: string, input: Record<string, unknown>): Promise<string> {
  try {
    await calcWitness(wasm, input);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  throw new Error("the witness calculator accepted an input that should be rejected");
}

export interface Compiled {
  wasm: string;
  r1cs: string;
  sym: string;
}

/**
 * Compiles a test wrapper circuit (main source text; `include "lib/…"` resolves in circuits/, then
 * node_modules) into a cache under the OS temp dir keyed by its sources, so reruns are instant.
 */
export function compileWrapper(name: string, source: string): Compiled {
  const base = join(tmpdir(), "ciphermine-circuits");
  mkdirSync(base, { recursive: true });
  // circom names outputs after the file stem, so the wrapper lives at src-<hash>/<name>.circom
  // (a stable path, so the sources hash, and with it the cache key, is stable too).
  const srcDir = join(base, `src-${sha(name + "\n" + source).slice(0, 16)}`);
  mkdirSync(srcDir, { recursive: true });
  const src = join(srcDir, `${name}.circom`);
  writeFileSync(src, source);
  const dir = join(base, `${name}-${sourcesHash(src, [CIRCUITS_DIR, NODE_MODULES]).hash.slice(0, 16)}`);
  const tmp = mkdtempSync(join(base, ".tmp-"));
  try {
    const out: Compiled = { wasm: join(dir, `${name}_js`, `${name}.wasm`), r1cs: join(dir, `${name}.r1cs`), sym: join(dir, `${name}.sym`) };
    if (existsSync(out.wasm) && existsSync(out.r1cs)) return out;
    const r = spawnSync(
      process.execPath,
      [join(NODE_MODULES, "circom2", "cli.js"), relative(ROOT, src), "--r1cs", "--wasm", "--sym", "--O2", "-l", "circuits", "-l", "node_modules", "-o", relative(ROOT, tmp)],
      { cwd: ROOT, encoding: "utf8" },
    );
    if (r.status !== 0) throw new Error(`circom2 failed on wrapper ${name}:\n${r.stdout}\n${r.stderr}`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    return out;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export function sha(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}

/** Wire index → signal name (main.…) from a .sym file; wires the optimizer removed are absent. */
export function wireNames(symPath: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of readFileSync(symPath, "utf8").split("\n")) {
    const [, wire, , name] = line.split(",");
    if (name !== undefined && Number(wire) >= 0 && !names.has(Number(wire))) names.set(Number(wire), name);
  }
  return names;
}

/**
 * The free wires of a witness that are not circomlib IsZero's `inv` hint: inv is free exactly when
 * its input is 0, and then its output is 1 whatever inv is, so it is harmless. Anything else that
 * can change alone is an under-constrained signal.
 */
export function harmfulFreeWires(r1cs: R1cs, w: Witness, symPath: string): string[] {
  const names = wireNames(symPath);
  return freeWires(r1cs, w)
    .map((k) => names.get(k) ?? `wire ${k}`)
    .filter((n) => !/\.inv$/.test(n));
}
