/**
 * Vertical linear regression cost at 2,048-bit Paillier, in both key modes: "label" (the default:
 * y holds the one key, the feature parties encrypt under its public key, y decrypts the masked
 * sums) and "features" (every feature party holds its own key). Workload: synthetic rows, a label
 * party and two feature parties with two columns each (4 features), 10 gradient iterations.
 * Setup (key generation, encrypting the rows, the one-off encrypted Gram/label terms) grows with
 * the rows; an iteration does not (O(k²) ciphertext operations and one decryption per party and
 * chunk — by the party itself in features mode, all by y in label mode).
 * "critical path" assumes each party runs on its own machine (parties' steps of one phase in
 * parallel); "all parties in one process" is the sum over parties and steps. Rows not measured are extrapolated from the largest
 * measured size (setup scaled linearly in rows, iteration time unchanged) and say so.
 * Times are CPU seconds of the step (robust to other load on a shared machine); with worker threads
 * (workers > 1) they are wall-clock seconds instead, which other load does inflate.
 * Each feature party encrypts its rows on `workers` threads (argument 2; default 1).
 * Run: npx tsx bench/vertical.ts [maxMeasuredRows=10000] [workers=1] [keyHolder=label,features]
 */
import { pathToFileURL } from "node:url";
import { runVertical, type KeyHolder, type VerticalInput, type VerticalResult } from "../node/src/vertical/index.js";
import { generatePaillierKeyPair, type PaillierKeyPair } from "../node/src/crypto/paillier.js";

export interface VerticalRow {
  keyHolder: KeyHolder;
  rows: number;
  keyBits: number;
  features: number;
  iterations: number;
  keygenS: number;
  encryptS: number;
  crossS: number;
  iterationS: number;
  criticalPathS: number;
  cpuS: number;
  note: string;
}

function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function workload(n: number): VerticalInput {
  const r = rng(n);
  const ids = Array.from({ length: n }, (_, i) => `r${i}`);
  const cols = Array.from({ length: 4 }, () => ids.map(() => r() * 10));
  const y = ids.map((_, i) => 31 * cols[0][i] - 5.5 * cols[1][i] + 2 * cols[2][i] + cols[3][i] + r());
  return {
    label: { ids, y },
    features: [
      { name: "x1", ids, columns: { a: cols[0], b: cols[1] } },
      { name: "x2", ids, columns: { c: cols[2], d: cols[3] } },
    ],
  };
}

function summarize(res: VerticalResult, iterations: number, wall: boolean) {
  // CPU time, not wall time: other processes on a shared machine do not inflate it. With one
  // thread per party it equals the wall time on an idle core.
  const sum = (pred: (s: string) => boolean, party?: string) =>
    res.timings.filter((t) => pred(t.step) && (!party || t.party === party)).reduce((a, t) => a + (wall ? t.ms : t.cpuMs), 0) / 1000;
  const parties = [...new Set(res.timings.map((t) => t.party))];
  const maxOver = (step: string) => Math.max(...parties.map((p) => sum((s) => s === step, p)));
  const iterCpu = sum((s) => s.startsWith("iter:")) / iterations;
  const iterPath = (maxOver("iter:term") + maxOver("iter:relay") + maxOver("iter:update")) / iterations;
  return {
    keygen: maxOver("keygen"),
    encrypt: maxOver("encrypt"),
    cross: maxOver("cross"),
    iterCpu,
    iterPath,
    setupPath: maxOver("align") + maxOver("keygen") + maxOver("encrypt") + maxOver("cross"),
    cpu: sum(() => true),
  };
}

export async function verticalBench(maxMeasured = 10_000, iterations = 10, workers = 1, modes: KeyHolder[] = ["label", "features"]): Promise<VerticalRow[]> {
  const keyBits = 2048;
  const rows: VerticalRow[] = [];
  for (const keyHolder of modes) {
    // Label mode: y's one key; features mode: one per feature party, made in parallel on their machines.
    const keys: Record<string, PaillierKeyPair> = {};
    const keygen: number[] = [];
    for (const name of keyHolder === "label" ? ["y"] : ["x1", "x2"]) {
      const c = process.cpuUsage();
      keys[name] = await generatePaillierKeyPair(keyBits);
      const d = process.cpuUsage(c);
      keygen.push((d.user + d.system) / 1e6);
    }
    const keygenS = Math.max(...keygen);
    let last: { n: number; s: ReturnType<typeof summarize> } | undefined;
    for (const n of [1_000, 10_000, 100_000]) {
      if (n <= maxMeasured) {
        const res = await runVertical(workload(n), { keys, iterations, workers, keyHolder });
        const s = summarize(res, iterations, workers > 1);
        last = { n, s };
        rows.push({
          keyHolder,
          rows: n,
          keyBits,
          features: 4,
          iterations,
          keygenS,
          encryptS: s.encrypt,
          crossS: s.cross,
          iterationS: s.iterPath,
          criticalPathS: keygenS + s.setupPath + iterations * s.iterPath,
          cpuS: keygen.reduce((a, b) => a + b, 0) + s.cpu,
          note: `measured${workers > 1 ? `, ${workers} encryption threads per party, wall-clock s` : ", CPU s"}; one iteration, all parties: ${s.iterCpu.toFixed(3)} s`,
        });
      } else if (last) {
        const f = n / last.n;
        const s = last.s;
        rows.push({
          keyHolder,
          rows: n,
          keyBits,
          features: 4,
          iterations,
          keygenS,
          encryptS: s.encrypt * f,
          crossS: s.cross * f,
          iterationS: s.iterPath,
          criticalPathS: keygenS + s.setupPath * f + iterations * s.iterPath,
          cpuS: keygen.reduce((a, b) => a + b, 0) + (s.cpu - iterations * s.iterCpu) * f + iterations * s.iterCpu,
          note: `extrapolated ×${f} from ${last.n.toLocaleString("en")} measured rows (setup linear in rows; iteration independent of rows)`,
        });
      }
    }
  }
  return rows;
}

export function formatVertical(rows: VerticalRow[]): string {
  const head =
    "| key holder | rows | key bits | features | keygen s (per key) | encrypt rows s (max party) | Gram/label terms s (max party) | s per iteration | total s, 10 it., critical path | total s, all parties in one process | note |\n|---|---|---|---|---|---|---|---|---|---|---|";
  return [
    head,
    ...rows.map(
      (r) =>
        `| ${r.keyHolder} | ${r.rows.toLocaleString("en")} | ${r.keyBits} | ${r.features} | ${r.keygenS.toFixed(1)} | ${r.encryptS.toFixed(1)} | ${r.crossS.toFixed(1)} | ${r.iterationS.toFixed(3)} | ${r.criticalPathS.toFixed(1)} | ${r.cpuS.toFixed(1)} | ${r.note} |`,
    ),
  ].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const max = Number(process.argv[2] ?? 10_000);
  const modes = (process.argv[4] ?? "label,features").split(",") as KeyHolder[];
  for (const m of modes) if (m !== "label" && m !== "features") throw new Error(`keyHolder ${String(m)}: use label, features or both (comma-separated)`);
  console.log(formatVertical(await verticalBench(max, 10, Number(process.argv[3] ?? 1), modes)));
}
