/**
 * Runs every benchmark module present in bench/ and prints each table under a title with its
 * workload. A module that fails is reported and the others still run (exit code 1 at the end).
 *
 *   npm run bench                         # everything, full workloads (long: tens of minutes)
 *   npm run bench -- --quick              # smaller workloads, a few minutes in all
 *   npm run bench -- --only gas,rounds    # some modules
 *   npm run bench -- --list               # the module names
 *   npm run bench -- --only honk --json   # one JSON object per line (modules that give rows)
 *
 * A bench file this index has no entry for (or one without an exported function, like
 * federated.ts) runs as a child process; its header comment is printed as the workload.
 *
 * Always ends with process.exit: snarkjs and node-seal leave worker threads behind.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { provenKinds } from "../protocol/src/tasks/registry.js";

const HERE = dirname(fileURLToPath(import.meta.url));

interface Section {
  title: string;
  workload: string;
  /** The table (markdown) and any lines under it. */
  body: string;
  /** Machine-readable rows printed one JSON object per line with --json (each has `bench`). */
  json?: Record<string, unknown>[];
}

interface BenchModule {
  name: string;
  file: string;
  /** What it measures. */
  summary: string;
  run(quick: boolean): Promise<Section[]>;
}

type Row = Record<string, unknown>;

/** A markdown table of plain rows; numbers get thousands separators or three significant decimals. */
export function formatTable(rows: readonly Row[]): string {
  if (rows.length === 0) return "(no rows)";
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown): string => {
    if (v === undefined || v === null) return "–";
    if (typeof v === "number") {
      if (!Number.isFinite(v)) return "–";
      if (Number.isInteger(v)) return v.toLocaleString("en-US");
      const abs = Math.abs(v);
      return abs >= 100 ? v.toLocaleString("en-US", { maximumFractionDigits: 0 }) : abs >= 1 ? v.toFixed(2) : v.toPrecision(3);
    }
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- table cells are strings, booleans or bigints here; numbers and nullish are handled above
    return String(v).replace(/\|/g, "\\|");
  };
  const body = rows.map((r) => cols.map((c) => cell(r[c])));
  const w = cols.map((c, i) => Math.max(c.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(w[i])).join(" | ")} |`;
  return [line(cols), `|${w.map((x) => "-".repeat(x + 2)).join("|")}|`, ...body.map(line)].join("\n");
}

function machineLine(): string {
  const [l1, l5] = loadavg();
  return `(machine: ${cpus().length} CPUs, ${cpus()[0]?.model.trim() ?? "unknown"}; load average ${l1.toFixed(1)} / ${l5.toFixed(1)} over 1 / 5 min after this module)`;
}

/** The opening doc comment of a bench file, as one line (its stated workload). */
function headerWorkload(file: string): string {
  const text = readFileSync(join(HERE, file), "utf8");
  const m = /^\s*\/\*\*([\s\S]*?)\*\//.exec(text);
  if (!m) return `see ${file}`;
  return m[1]
    .split("\n")
    .map((l) => l.replace(/^\s*\* ?/, "").trim())
    .filter((l) => l && !/^Run:/.test(l))
    .join(" ");
}

/** Runs a bench file as `node --import tsx <file>`; resolves to its stdout, or fails with its stderr's tail. */
function runChild(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(HERE, file), ...args], { cwd: join(HERE, ".."), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.on("error", reject);
    child.on("exit", (code, signal) => (code === 0 ? resolve(out.trimEnd()) : reject(new Error(`${file} exited with ${code ?? signal}:\n${err}`))));
  });
}

/** Bench files this index has no entry for: run as child processes, so a new module is never skipped. */
function unknownModules(): BenchModule[] {
  const known = new Set(["index.ts", ...MODULES.map((m) => m.file)]);
  return readdirSync(HERE)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && !f.includes(".tmp.") && !known.has(f))
    .sort()
    .map((file) => ({
      name: file.replace(/\.ts$/, ""),
      file,
      summary: `${file} (run as a child process)`,
      async run() {
        return [{ title: file, workload: headerWorkload(file), body: await runChild(file, []) }];
      },
    }));
}

const load = <T>(file: string) => import(pathToFileURL(join(HERE, file)).href) as Promise<T>;

export const MODULES: BenchModule[] = [
  {
    name: "gas",
    file: "gas.ts",
    summary: "gas per contract function",
    async run(quick) {
      const m = await load<typeof import("./gas.js")>("gas.ts");
      const withProof = quick ? false : undefined;
      const rows = await m.gasReport({ withProof });
      return [
        {
          title: "Gas per contract call",
          workload:
            "Fresh Hardhat node (EDR), solc 0.8.28, optimizer 200 runs; transaction gas incl. the 21,000 base. 4 nodes register, 3 owners commit a dataset, " +
            "one 3-member round with Setup (one member dropped at the deadline) and a finalize" +
            (quick ? "; the on-chain Groth16 submit is skipped (--quick)" : "; plus a submit with a real stats_chunk proof when circuits/build has it"),
          body: m.formatGasTable(rows),
        },
        {
          title: "Gas per member per round (join + submits; the sampled chunk's proof checked on-chain when verification is onchain)",
          workload:
            "from the calls above; offchain verification (UltraHonk) costs the chain nothing extra (the requester checks every proof; the submit records the proof-list root)",
          body: m.formatPerMember(m.perMemberRound(rows)),
        },
      ];
    },
  },
  {
    name: "rounds",
    file: "rounds.ts",
    summary: "round latency and transactions per member per round, both modes",
    async run(quick) {
      const m = await load<typeof import("./rounds.js")>("rounds.ts");
      const opts = quick
        ? { memberCounts: [3, 10], nodeCounts: [3], rounds: 3, rowsPerNode: 100, vlinregRows: 0 }
        : { memberCounts: [3, 10, 50], nodeCounts: [3, 10, 50], rounds: 5, rowsPerNode: 500, vlinregRows: 400 };
      const rows = await m.roundBench({ ...opts, log: (s) => console.error(`  [rounds] ${s}`) });
      return [{ title: "Round latency and transactions per member per round", workload: m.roundWorkload(opts), body: `${m.ROUND_TARGETS}\n\n${m.formatRounds(rows)}` }];
    },
  },
  {
    name: "concurrency",
    file: "concurrency.ts",
    summary: "a normal stats task's latency, idle and while the largest allowed kmeans task runs on the same nodes",
    async run(quick) {
      const m = await load<typeof import("./concurrency.js")>("concurrency.ts");
      const rows = await m.runConcurrency({ rows: quick ? 5000 : 20000, runs: 3 });
      return [
        {
          title: "Stats latency while a large task runs (target: ≤ 2× idle)",
          workload: rows[0].workload,
          body: formatTable(rows.map(({ workload: _w, ...r }) => r)),
        },
      ];
    },
  },
  {
    name: "crypto",
    file: "crypto.ts",
    summary: "CKKS and Paillier primitive costs",
    async run(quick) {
      const m = await load<typeof import("./crypto.js")>("crypto.ts");
      const presets = quick ? ([128] as const) : ([128, 192] as const);
      const ckks = await m.ckksRows([...presets], quick ? 3 : 8);
      const paillier = await m.paillierRows(2048, quick ? 2 : 6);
      return [
        {
          title: "CKKS operations (node-seal 7, WASM, one thread), ms per op",
          workload: `presets ${presets.join(", ")} (n = ${quick ? "8192" : "8192 and 16384"}), ${quick ? 3 : 8} repetitions after a warm-up; nativeMs: native SEAL's published n = 8192 figures (3.7 GHz desktop)`,
          body: formatTable(ckks as unknown as Row[]),
        },
        {
          title: "Paillier, 2048-bit",
          workload: `paillier-bigint 3.4.3 vs our implementation (g = n+1, CRT, pooled r^n, packing), ${quick ? 2 : 6} repetitions`,
          body: formatTable(paillier as unknown as Row[]),
        },
      ];
    },
  },
  {
    name: "algorithms",
    file: "algorithms.ts",
    summary: "encrypted mining seconds per iteration, owner vs worker",
    async run(quick) {
      const m = await load<typeof import("./algorithms.js")>("algorithms.ts");
      const rows = await m.algorithmRows({ big: !quick });
      return [
        {
          title: "Encrypted mining: seconds per iteration (owner and worker in one process)",
          workload:
            "Iris (150 × 4, k = 3), CKKS preset 128 (n = 8192) and the legacy Liu/FDH-OPE variants" +
            (quick
              ? "; the 10,000 × 8 Gaussian blobs are skipped (--quick)"
              : "; Gaussian blobs 10,000 × 8, k = 8 (legacy on a 1,000-row subset, DBSNNC CKKS at 500 rows, extrapolated)"),
          body: formatTable(rows as unknown as Row[]),
        },
      ];
    },
  },
  {
    name: "zk",
    file: "zk.ts",
    summary: "UltraHonk proofs per kind (rows per CPU-minute, proof size, verify gas), a proven stats round; then the Groth16 circuits the runtime still uses",
    async run(quick) {
      const h = await load<typeof import("./honk.js")>("honk.ts");
      const proofs = quick ? 1 : 2;
      const honkRows = await h.honkBench(proofs);
      const [owners, perOwner] = quick ? [3, 2_000] : [3, 10_000];
      const round = await h.honkRoundBench(owners, perOwner);
      const m = await load<typeof import("./zk.js")>("zk.ts");
      const { releaseZk } = await import("../chain-connector/src/zkverify.js");
      try {
        const rows = await m.zkBench(quick ? 1 : 3);
        const sections: Section[] = [
          {
            title: "zk (UltraHonk): proofs per kind with the native bb; verify gas of the generated Solidity verifier, off-chain verify by bb",
            workload: `${proofs} full proof(s) per circuit over a table as wide as the circuit (4 columns for W = 4, 16 for W = 16) (witness by noir_js, bb prove -t evm, CRS from the project's ptau); verify gas by eth_estimateGas on a Hardhat node (21,000 base and calldata included)`,
            body: h.formatHonk(honkRows),
            json: h.honkJsonRows(honkRows, "zk"),
          },
          {
            title: "zk (UltraHonk): one proven stats round, library level (commit, prove every row, verify every proof off-chain, aggregate opens Σ commitments)",
            workload: `${owners} owners × ${perOwner.toLocaleString("en-US")} rows × 4 columns, chunks of 256 rows, 4 chunks per proof, 2 pool threads; no connector or chain (the runtime still proves with Groth16)`,
            body: h.formatHonkRound(round),
            json: [{ bench: "zk", ...round, proofBytes: null, verifyGas: null }],
          },
          {
            title: 'zk (Groth16, "onchain" tasks until ChunkAudit is wired): commitments and chunk_sum proofs (snarkjs, WASM witness)',
            workload: `Poseidon tree (depth 20) over 1,000 and 10,000 rows × 4 columns; ${quick ? 1 : 3} chunk_sum proof(s) of 8 rows × 4 columns over a 100-row dataset; one off-chain verification`,
            body: m.formatZk(rows),
          },
        ];
        // The contribution circuits' bench, when this version of zk.ts has it.
        const more = m as unknown as {
          contributionBench?: (proofs?: number, kinds?: string[]) => Promise<unknown[]>;
          formatContributions?: (rows: never[]) => string;
        };
        if (more.contributionBench && more.formatContributions) {
          const all = provenKinds().map((k) => k.kind);
          const kinds = quick ? all.slice(0, 1) : all;
          const proofs = quick ? 1 : 2;
          const c = await more.contributionBench(proofs, kinds);
          sections.push({
            title: "zk: federated contribution circuits (proving time, rows per CPU-minute, verification gas)",
            workload: `${kinds.join(", ")} chunk circuits over a 4-column table; ${proofs} full chunk proof(s) per circuit, extrapolated to 1,000 rows; verifyProof gas on a Hardhat node`,
            body: more.formatContributions(c as never[]),
          });
        }
        return sections;
      } finally {
        await releaseZk();
      }
    },
  },
  {
    name: "honk",
    file: "honk.ts",
    summary: "UltraHonk (Noir + native bb) chunk proofs: rows per CPU-minute, proof size, verification gas",
    async run(quick) {
      const m = await load<typeof import("./honk.js")>("honk.ts");
      const proofs = quick ? 1 : 2;
      const rows = await m.honkBench(proofs);
      return [
        {
          title: "zk (UltraHonk): chunk proofs with the native bb, verification by the generated Solidity verifier",
          workload: `${proofs} full chunk proof(s) per circuit over a 4-column table (witness by noir_js, proof by bb prove -t evm with the CRS from the project's ptau); verify gas by eth_estimateGas on a Hardhat node`,
          body: m.formatHonk(rows),
          json: m.honkJsonRows(rows),
        },
      ];
    },
  },
  {
    name: "secagg",
    file: "secagg.ts",
    summary: "secure aggregation cost with and without drop-outs",
    async run(quick) {
      const m = await load<typeof import("./secagg.js")>("secagg.ts");
      m.runSecAggCase(3, 16); // warm-up
      const rows = quick ? [m.runSecAggCase(3, 16), m.runSecAggCase(10, 1000), m.runSecAggCase(10, 1000, 0.2)] : m.secaggBench();
      return [
        {
          title: "Secure aggregation (pairwise masks, Shamir-shared mask keys)",
          workload:
            (quick
              ? "3 parties × 16 values; 10 parties × 1,000 values with and without 20 % drop-outs"
              : "3, 10, 50 parties × 16 and 1,000 values; 10 and 50 parties × 1,000 values with 20 % dropping after key sharing") +
            "; threshold ⌊n/2⌋+1; per-party time is the mean over all four phases",
          body: m.formatSecAgg(rows),
        },
      ];
    },
  },
  {
    name: "vertical",
    file: "vertical.ts",
    summary: "vertical linear regression with Paillier",
    async run(quick) {
      const m = await load<typeof import("./vertical.js")>("vertical.ts");
      const max = quick ? 1_000 : 10_000;
      const rows = await m.verticalBench(max, 10, 1);
      return [
        {
          title: "Vertical linear regression (Paillier 2,048-bit)",
          workload: `a label party and two feature parties with 2 columns each, 10 gradient iterations; measured up to ${max.toLocaleString("en-US")} rows, larger sizes extrapolated (said per row)`,
          body: m.formatVertical(rows),
        },
      ];
    },
  },
  {
    name: "paillier-proofs",
    file: "paillier-proofs.ts",
    summary: "Paillier proofs (decryption, Π^mod, Π^fac, equality): prove/verify cost, size, 10-member round overhead",
    async run(quick) {
      const m = await load<typeof import("./paillier-proofs.js")>("paillier-proofs.ts");
      const { rows, round, keygenMs } = m.proofRows({ reps: quick ? 1 : 3, prm: !quick, log: (s) => console.error(`  [paillier-proofs] ${s}`) });
      return [
        {
          title: "Paillier proofs: prove / verify / size",
          workload: `${m.PROOF_WORKLOAD}; Blum keygen ${(keygenMs / 1000).toFixed(1)} s${quick ? "; Π^prm skipped (--quick)" : ""}`,
          body: m.formatProofs(rows),
        },
        { title: "Paillier proofs: overhead on a 10-member federated Paillier round", workload: "estimated from the rows above", body: m.formatRound(round) },
      ];
    },
  },
  {
    name: "privacy",
    file: "privacy.ts",
    summary: "differential privacy: relative error versus ε for stats and k-means; sampler speed",
    async run(quick) {
      const m = await load<typeof import("./privacy.js")>("privacy.ts");
      const trials = quick ? { statsTrials: 10, kmeansTrials: 3 } : { statsTrials: 50, kmeansTrials: 10 };
      const rows = m.privacyBench(trials);
      const speed = m.samplerSpeed(quick ? 5_000 : 20_000);
      return [
        {
          title: "Differential privacy: relative error versus ε (distributed discrete Gaussian)",
          workload:
            `10,000 rows × 4 columns (three Gaussian blobs, bounds [0, 10]) over 3 members, threshold 2; ε for the whole task at δ = 1e-6 (tight zCDP inverse); ` +
            `stats: mean and variance per column, ${trials.statsTrials} trials; k-means: k = 3, 5 rounds (ρ split over them) against 5 plain Lloyd rounds, ${trials.kmeansTrials} trials; errors are means`,
          body: m.formatPrivacy(rows),
        },
        {
          title: "Exact discrete Gaussian sampler (bigint rationals, OS CSPRNG)",
          workload: `${quick ? "5,000" : "20,000"} draws each`,
          body: formatTable(speed),
        },
      ];
    },
  },
  {
    name: "cli",
    file: "cli.ts",
    summary: "seconds from `cm up` to a finalized 3-node task, per connector mode",
    async run(quick) {
      const m = await load<typeof import("./cli.js")>("cli.ts");
      const rows = await m.cliBench(quick);
      return [{ title: "`cm up` to a finalized 3-node task", workload: headerWorkload("cli.ts"), body: formatTable(rows as unknown as Row[]) }];
    },
  },
  {
    name: "overhead",
    file: "overhead.ts",
    summary: "the round runtime's own CPU per round in local mode: stats at 3, 10, 50 members; gd linreg",
    async run(quick) {
      const m = await load<typeof import("./overhead.js")>("overhead.ts");
      const rows = await m.overheadBench(quick);
      return [{ title: "Round runtime overhead (local debug mode)", workload: headerWorkload("overhead.ts"), body: m.formatOverhead(rows), json: rows as unknown as Row[] }];
    },
  },
  {
    name: "federated",
    file: "federated.ts",
    summary: "federated kinds × aggregation backends in local mode: rounds, CPU per round, bytes per member",
    async run() {
      // A script without an exported function: it runs as a child process and its tables are kept as printed.
      return [{ title: "Federated kinds × aggregation backends (local debug mode)", workload: headerWorkload("federated.ts"), body: await runChild("federated.ts", []) }];
    },
  },
];

function parseArgs(argv: string[]): { quick: boolean; only?: string[]; list: boolean; json: boolean } {
  const out: { quick: boolean; only?: string[]; list: boolean; json: boolean } = { quick: false, list: false, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") out.quick = true;
    else if (a === "--list") out.list = true;
    else if (a === "--json") out.json = true;
    else if (a === "--only" || a.startsWith("--only=")) {
      const v = a === "--only" ? argv[++i] : a.slice("--only=".length);
      if (!v) throw new Error("--only needs a comma-separated list of module names (see --list)");
      out.only = v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
    } else throw new Error(`unknown argument "${a}": use --quick, --only <name,...>, --json or --list`);
  }
  return out;
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`bench: ${(e as Error).message}`);
    return 2;
  }
  const present = [...MODULES.filter((m) => existsSync(join(HERE, m.file))), ...unknownModules()];
  if (args.list) {
    for (const m of present) console.log(`${m.name.padEnd(12)} ${m.summary}`);
    return 0;
  }
  if (args.only) {
    const unknown = args.only.filter((n) => !present.some((m) => m.name === n));
    if (unknown.length > 0) {
      console.error(`bench: no module named ${unknown.join(", ")}; present: ${present.map((m) => m.name).join(", ")}`);
      return 2;
    }
  }
  const chosen = args.only ? present.filter((m) => args.only!.includes(m.name)) : present;
  const failed: string[] = [];
  const t0 = performance.now();
  // With --json, stdout carries only the JSON lines.
  const say = args.json ? console.error : console.log;
  say(`ciphermine benchmarks${args.quick ? " (--quick: reduced workloads)" : ""}: ${chosen.map((m) => m.name).join(", ")}`);
  for (const m of chosen) {
    const t = performance.now();
    console.error(`bench: running ${m.name} …`);
    try {
      const sections = await m.run(args.quick);
      if (args.json) {
        // One JSON object per line; modules without machine-readable rows say so on stderr.
        for (const s of sections) {
          if (s.json) for (const r of s.json) console.log(JSON.stringify({ bench: m.name, ...r }));
          else console.error(`bench: ${m.name} "${s.title}" has no --json rows`);
        }
        continue;
      }
      for (const s of sections) {
        console.log(`\n## ${s.title}\n`);
        console.log(`Workload: ${s.workload}\n`);
        console.log(s.body);
      }
      console.log(`\n${machineLine()}`);
      console.log(`(${m.name}: ${((performance.now() - t) / 1000).toFixed(1)} s)`);
    } catch (e) {
      failed.push(m.name);
      say(`\n## ${m.name}: FAILED\n\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  }
  say(`\nbench finished in ${((performance.now() - t0) / 1000).toFixed(0)} s${failed.length ? `; failed: ${failed.join(", ")}` : ""}`);
  return failed.length ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exit(await main());
}
