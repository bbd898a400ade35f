/**
 * Builds every circuit in circuits/registry.ts: compile (circom2, --O2), Groth16 setup against a
 * powers-of-tau file, export the verification key and a Solidity verifier, write a manifest.
 *
 *   npm run circuits:build -- --ptau <file.ptau> [--only <name>]
 *   CM_PTAU=<file.ptau> npm run circuits:build
 *
 * Without a ptau it runs a local phase-1 ceremony at the smallest power that fits (cached in
 * .data/ptau/, git-ignored). That takes from minutes (2^12) to an hour (2^16) on two cores.
 *
 * Phase 2 is ONE contribution with fresh randomness that this process discards on exit. With a
 * single-contributor development ptau that is a development setup only: whoever kept the
 * randomness could forge proofs. We do not make the contribution reproducible (a beacon seeded
 * from public data) because a publicly derivable δ lets anyone forge proofs. Production runs
 * phase 2 as a multi-party ceremony over a public phase-1 file (see circuits/README.md).
 *
 * Outputs are written to a temporary directory and moved into place only when everything
 * succeeded, so a failed build leaves the previous artifacts intact.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import * as snarkjs from "snarkjs";
import { CIRCUITS, checkKindCircuits, type CircuitDef } from "./registry.js";
import {
  BUILD_DIR,
  CIRCOM2_VERSION,
  CIRCOMLIB_VERSION,
  CIRCUITS_DIR,
  MANIFEST_PATH,
  NODE_MODULES,
  ROOT,
  SNARKJS_VERSION,
  VERIFIERS_DIR,
  sha256File,
  sourcesHash,
  type Manifest,
  type ManifestEntry,
} from "./sources.js";

function parseArgs(argv: string[]): { ptau?: string; only?: string } {
  const out: { ptau?: string; only?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--ptau") out.ptau = argv[++i];
    else if (a.startsWith("--ptau=")) out.ptau = a.slice(7);
    else if (a === "--only") out.only = argv[++i];
    else if (a === "--help" || a === "-h") {
      console.log("usage: npm run circuits:build -- [--ptau <file.ptau>] [--only <circuit>]   (or CM_PTAU=<file>)");
      process.exit(0);
    } else throw new Error(`circuits:build: unknown argument "${a}"; use --ptau <file> and --only <circuit>`);
  }
  if (out.ptau === undefined && process.env.CM_PTAU) out.ptau = process.env.CM_PTAU;
  if (out.ptau !== undefined && !out.ptau) throw new Error("circuits:build: --ptau needs a file path");
  return out;
}

/** Reads the power of a .ptau file from its header section (type 1: n8, q, power, ceremonyPower). */
function ptauPower(path: string): number {
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(12);
    readSync(fd, head, 0, 12, 0);
    if (head.toString("latin1", 0, 4) !== "ptau") throw new Error(`${path} is not a .ptau file (bad magic)`);
    const nSections = head.readUInt32LE(8);
    let pos = 12;
    for (let s = 0; s < nSections; s++) {
      const sh = Buffer.alloc(12);
      readSync(fd, sh, 0, 12, pos);
      const type = sh.readUInt32LE(0);
      const size = Number(sh.readBigUInt64LE(4));
      if (type === 1) {
        const body = Buffer.alloc(size);
        readSync(fd, body, 0, size, pos + 12);
        const n8 = body.readUInt32LE(0);
        return body.readUInt32LE(4 + n8);
      }
      pos += 12 + size;
    }
    throw new Error(`${path} has no header section`);
  } finally {
    closeSync(fd);
  }
}

function fmtSecs(t0: number): string {
  return `${((performance.now() - t0) / 1000).toFixed(1)} s`;
}

async function localPtau(power: number): Promise<string> {
  const dir = join(ROOT, ".data", "ptau");
  const final = join(dir, `pot${power}_local.ptau`);
  if (existsSync(final)) return final;
  console.warn(
    `WARNING: no --ptau given; running a local powers-of-tau ceremony at 2^${power}. This is slow ` +
      `(≈3 min at 2^12, ≈1 h at 2^16 on two cores) and for development only. Pass --ptau <file> to skip it.`,
  );
  mkdirSync(dir, { recursive: true });
  const tmp = mkdtempSync(join(dir, ".tmp-"));
  try {
    const curve = await snarkjs.curves.getCurveFromName("bn128");
    const t0 = performance.now();
    await snarkjs.powersOfTau.newAccumulator(curve, power, join(tmp, "0.ptau"));
    await snarkjs.powersOfTau.contribute(join(tmp, "0.ptau"), join(tmp, "1.ptau"), "ciphermine local dev", randomBytes(64).toString("hex"));
    await snarkjs.powersOfTau.beacon(join(tmp, "1.ptau"), join(tmp, "2.ptau"), "ciphermine local beacon", randomBytes(32).toString("hex"), 10);
    await snarkjs.powersOfTau.preparePhase2(join(tmp, "2.ptau"), join(tmp, "final.ptau"));
    renameSync(join(tmp, "final.ptau"), final);
    console.log(`local ptau 2^${power} ready in ${fmtSecs(t0)}: ${relative(ROOT, final)}`);
    return final;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function compile(main: string, outDir: string): void {
  const cli = join(NODE_MODULES, "circom2", "cli.js");
  // circom2's WASI shim maps paths relative to the working directory, so run from the repo root.
  const r = spawnSync(process.execPath, [cli, relative(ROOT, main), "--r1cs", "--wasm", "--sym", "--O2", "-l", "node_modules", "-o", relative(ROOT, outDir)], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (r.status !== 0) {
    throw new Error(`circom2 failed on ${relative(ROOT, main)} (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
}

function verifierSource(template: string, def: CircuitDef): (sol: string) => string {
  return (sol) => {
    if (!/contract Groth16Verifier\b/.test(sol) || !/pragma solidity [^;]+;/.test(sol)) {
      throw new Error(`snarkjs verifier template changed shape (${template}); update circuits/build.ts`);
    }
    return sol
      .replace(/contract Groth16Verifier\b/, `contract ${def.contract}`)
      .replace(/pragma solidity [^;]+;/, "pragma solidity ^0.8.28;")
      .replace(/^(\/\/ SPDX-License-Identifier: [^\n]+\n)/, `$1// Generated by circuits/build.ts for circuits/${def.name}.circom; do not edit.\n`);
  };
}

async function buildOne(
  def: CircuitDef,
  ptau: string | undefined,
  ptauInfo: { path?: string; power?: number },
): Promise<{ entry: ManifestEntry; ptauPath: string; stage: () => void }> {
  const main = join(CIRCUITS_DIR, `${def.name}.circom`);
  const { hash, files: sources } = sourcesHash(main);
  const tmp = mkdtempSync(join(BUILD_DIR, `.tmp-${def.name}-`));
  try {
    let t0 = performance.now();
    compile(main, tmp);
    const r1csPath = join(tmp, `${def.name}.r1cs`);
    const info = await snarkjs.r1cs.info(r1csPath);
    const nPublic = info.nOutputs + info.nPubInputs;
    console.log(
      `${def.name}: compiled in ${fmtSecs(t0)}: ${info.nConstraints} constraints ` +
        `(${(info.nConstraints / def.rows).toFixed(0)} per row over ${def.rows} rows), ${info.nVars} wires, ` +
        `${info.nOutputs} outputs + ${info.nPubInputs} public inputs, ${info.nPrvInputs} private inputs`,
    );
    if (nPublic !== def.publicSignals.length) {
      throw new Error(`${def.name}: the circuit has ${nPublic} public signals but circuits/registry.ts lists ${def.publicSignals.length}; update the registry`);
    }
    const sym = readFileSync(join(tmp, `${def.name}.sym`), "utf8").split("\n");
    def.publicSignals.forEach((name, i) => {
      const line = sym.find((l) => l.startsWith(`${i + 1},`));
      if (!line || !line.endsWith(`,main.${name}`)) {
        throw new Error(`${def.name}: public signal ${i} is "${line?.split(",")[3]}", registry says "main.${name}"`);
      }
    });

    // Groth16's domain must hold constraints + public signals + 1 (snarkjs zkey_new).
    const needed = Math.ceil(Math.log2(info.nConstraints + nPublic + 1));
    let ptauPath = ptau;
    if (!ptauPath) ptauPath = await localPtau(Math.max(needed, 8));
    const power = ptauInfo.path === ptauPath && ptauInfo.power !== undefined ? ptauInfo.power : ptauPower(ptauPath);
    ptauInfo.path = ptauPath;
    ptauInfo.power = power;
    if (power < needed) {
      throw new Error(`${def.name}: needs a ptau of power ≥ ${needed}, ${ptauPath} has ${power}; pass a larger --ptau`);
    }

    t0 = performance.now();
    const zkey0 = join(tmp, `${def.name}_0000.zkey`);
    const zkey = join(tmp, `${def.name}.zkey`);
    await snarkjs.zKey.newZKey(r1csPath, ptauPath, zkey0);
    await snarkjs.zKey.contribute(zkey0, zkey, "ciphermine dev phase 2 (single contributor, development only)", randomBytes(64).toString("hex"));
    rmSync(zkey0);
    const vkey = await snarkjs.zKey.exportVerificationKey(zkey);
    if (vkey.nPublic !== nPublic) throw new Error(`${def.name}: vkey has nPublic ${vkey.nPublic}, circuit has ${nPublic}`);
    writeFileSync(join(tmp, "vkey.json"), JSON.stringify(vkey, null, 1) + "\n");
    const templatePath = join(NODE_MODULES, "snarkjs", "templates", "verifier_groth16.sol.ejs");
    const rawSol = await snarkjs.zKey.exportSolidityVerifier(zkey, { groth16: readFileSync(templatePath, "utf8") });
    const sol = verifierSource(templatePath, def)(rawSol);
    writeFileSync(join(tmp, `${def.contract}.sol`), sol);
    console.log(`${def.name}: groth16 setup in ${fmtSecs(t0)}, zkey ${(statSync(zkey).size / 1e6).toFixed(1)} MB`);

    // Final layout: circuits/build/<name>/{<name>.wasm,<name>.zkey,<name>.r1cs,vkey.json}.
    const stageDir = join(tmp, "out");
    mkdirSync(stageDir);
    renameSync(join(tmp, `${def.name}_js`, `${def.name}.wasm`), join(stageDir, `${def.name}.wasm`));
    renameSync(zkey, join(stageDir, `${def.name}.zkey`));
    // Large circuits' r1cs files are only for constraint-level tests, which compile small
    // wrappers of the same templates instead (test/circuits/*.test.ts); keep them out of git.
    if (def.keepR1cs) renameSync(r1csPath, join(stageDir, `${def.name}.r1cs`));
    renameSync(join(tmp, "vkey.json"), join(stageDir, "vkey.json"));

    const outDir = join(BUILD_DIR, def.name);
    const verifierPath = join(VERIFIERS_DIR, `${def.contract}.sol`);
    const fileInfo = (staged: string, final: string) => ({ path: relative(ROOT, final), sha256: sha256File(staged), bytes: statSync(staged).size });
    const entry: ManifestEntry = {
      contract: def.contract,
      sourcesHash: hash,
      sources,
      constraints: info.nConstraints,
      constraintsPerRow: Math.round(info.nConstraints / def.rows),
      wires: info.nVars,
      privateInputs: info.nPrvInputs,
      publicInputs: info.nPubInputs,
      outputs: info.nOutputs,
      nPublic,
      publicSignals: def.publicSignals,
      params: def.params,
      files: {
        wasm: fileInfo(join(stageDir, `${def.name}.wasm`), join(outDir, `${def.name}.wasm`)),
        zkey: fileInfo(join(stageDir, `${def.name}.zkey`), join(outDir, `${def.name}.zkey`)),
        ...(def.keepR1cs ? { r1cs: fileInfo(join(stageDir, `${def.name}.r1cs`), join(outDir, `${def.name}.r1cs`)) } : {}),
        vkey: fileInfo(join(stageDir, "vkey.json"), join(outDir, "vkey.json")),
        verifier: fileInfo(join(tmp, `${def.contract}.sol`), verifierPath),
      },
    };
    // Moving into place happens after every circuit built, so one failure changes nothing.
    const stage = () => {
      rmSync(outDir, { recursive: true, force: true });
      renameSync(stageDir, outDir);
      mkdirSync(VERIFIERS_DIR, { recursive: true });
      renameSync(join(tmp, `${def.contract}.sol`), verifierPath);
      rmSync(tmp, { recursive: true, force: true });
    };
    return { entry, ptauPath, stage };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  checkKindCircuits();
  if (args.ptau && !existsSync(args.ptau)) throw new Error(`circuits:build: ptau file ${args.ptau} does not exist`);
  const defs = args.only ? CIRCUITS.filter((c) => c.name === args.only) : CIRCUITS;
  if (defs.length === 0) throw new Error(`circuits:build: no circuit named "${args.only}"; known: ${CIRCUITS.map((c) => c.name).join(", ")}`);
  mkdirSync(BUILD_DIR, { recursive: true });

  const ptauInfo: { path?: string; power?: number } = {};
  const built: { name: string; entry: ManifestEntry; stage: () => void }[] = [];
  let ptauPath = "";
  for (const def of defs) {
    const r = await buildOne(def, args.ptau, ptauInfo);
    built.push({ name: def.name, entry: r.entry, stage: r.stage });
    ptauPath = r.ptauPath;
  }
  for (const b of built) b.stage();
  console.log("\n| circuit | rows | constraints | per row | public signals | zkey MB | wasm MB |\n|---|---|---|---|---|---|---|");
  for (const b of built) {
    const e = b.entry;
    console.log(
      `| ${b.name} | ${e.params.chunkRows} | ${e.constraints} | ${e.constraintsPerRow} | ${e.nPublic} | ` +
        `${(e.files.zkey.bytes / 1e6).toFixed(1)} | ${(e.files.wasm.bytes / 1e6).toFixed(1)} |`,
    );
  }

  // Read just before writing, so builds of other circuits (--only) that finished meanwhile are kept.
  const previous: Manifest | undefined = existsSync(MANIFEST_PATH) ? (JSON.parse(readFileSync(MANIFEST_PATH, "utf8")) as Manifest) : undefined;
  const circuits: Record<string, ManifestEntry> = {};
  // Keep entries of circuits not rebuilt this time (--only), drop ones no longer in the registry.
  for (const c of CIRCUITS) {
    const b = built.find((x) => x.name === c.name);
    if (b) circuits[c.name] = b.entry;
    else if (previous?.circuits[c.name]) circuits[c.name] = previous.circuits[c.name];
  }
  const manifest: Manifest = {
    generatedBy: "npm run circuits:build",
    tools: { circom2: CIRCOM2_VERSION, circomlib: CIRCOMLIB_VERSION, snarkjs: SNARKJS_VERSION },
    ptau: { power: ptauInfo.power ?? 0, sha256: sha256File(ptauPath), source: args.ptau ? "given" : "local" },
    setup: "groth16; phase 2: one random contribution, development only (single contributor)",
    circuits,
  };
  writeFileSync(MANIFEST_PATH, JSON.stringify(manifest, null, 2) + "\n");
  console.log(`wrote ${relative(ROOT, MANIFEST_PATH)} (ptau ${basename(ptauPath)}, 2^${manifest.ptau.power})`);
}

export { localPtau, ptauPower };

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().then(
    () => process.exit(0), // snarkjs leaves worker threads running
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
}
