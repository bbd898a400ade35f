/**
 * Seconds from `cm up` to a finalized 3-node task, per connector mode, driven as a user would:
 * `scripts/cm` subprocesses (each pays its own Node + tsx start, about 1-3 s here). Workload:
 * `cm up --detach` (ethereum: Hardhat node + deployment + funding), `cm dataset add` ×3 (one
 * CSV of R rows × 2 columns per owner), `cm task submit --wait` of a 3-member plain k-means
 * (k = 3, converges in 2 rounds and closes early), then `cm down --wipe`.
 *
 *   tsx bench/cli.ts [--quick] [--json]
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const CM = join(dirname(fileURLToPath(import.meta.url)), "..", "scripts", "cm");

export interface CliRow {
  mode: string;
  "rows/owner": number;
  "up s": number;
  "datasets s": number;
  "submit→done s": number;
  rounds: number;
  "up→finalized s": number;
}

function cm(cwd: string, dir: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(CM, ["--dir", dir, ...args], { cwd, timeout: 600_000, maxBuffer: 1 << 24 }, (err, stdout, stderr) =>
      err ? reject(new Error(`cm ${args.join(" ")} failed: ${stderr || stdout}`)) : resolve(stdout),
    ),
  );
}

function csv(owner: number, rows: number): string {
  const centers = [
    [0, 0],
    [10, 10],
    [0, 10],
  ];
  const out = ["x,y"];
  for (let i = 0; i < rows; i++) {
    const c = centers[i % 3];
    out.push(`${c[0] + (((i * 7 + owner) % 11) - 5) / 10},${c[1] + (((i * 5 + owner * 3) % 11) - 5) / 10}`);
  }
  return out.join("\n") + "\n";
}

export async function runCliCase(mode: "coordinator" | "ethereum", rows: number): Promise<CliRow> {
  const work = mkdtempSync(join(tmpdir(), `cm-bench-${mode}-`));
  const dir = join(work, ".cm");
  const t0 = performance.now();
  try {
    await cm(work, dir, ["up", "--mode", mode, "--detach", "--json"]);
    const t1 = performance.now();
    for (const i of [1, 2, 3]) {
      writeFileSync(join(work, `p${i}.csv`), csv(i, rows));
      await cm(work, dir, ["dataset", "add", join(work, `p${i}.csv`), "--node", `owner${i}`, "--name", "pts", "--json"]);
    }
    const t2 = performance.now();
    writeFileSync(
      join(work, "spec.json"),
      JSON.stringify({
        kind: "kmeans",
        datasets: [1, 2, 3].map((i) => ({ node: `owner${i}`, dataset: "pts" })),
        params: {
          columns: ["x", "y"],
          initial: [
            [1, 1],
            [9, 9],
            [1, 9],
          ],
        },
        members: { min: 3, max: 3, threshold: 3 },
        rounds: 20,
      }),
    );
    const out = await cm(work, dir, ["task", "submit", join(work, "spec.json"), "--wait", "--json"]);
    const t3 = performance.now();
    const end = (JSON.parse(out.trim().split("\n").at(-1)!) as { result: { status: string; rounds: number } }).result;
    if (end.status !== "done") throw new Error(`the task ended ${end.status}`);
    return {
      mode,
      "rows/owner": rows,
      "up s": (t1 - t0) / 1000,
      "datasets s": (t2 - t1) / 1000,
      "submit→done s": (t3 - t2) / 1000,
      rounds: end.rounds,
      "up→finalized s": (t3 - t0) / 1000,
    };
  } finally {
    await cm(work, dir, ["down", "--wipe"]).catch(() => {});
    rmSync(work, { recursive: true, force: true });
  }
}

export async function cliBench(quick: boolean): Promise<CliRow[]> {
  const rows = quick ? 30 : 300;
  return [await runCliCase("coordinator", rows), await runCliCase("ethereum", rows)];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rows = await cliBench(process.argv.includes("--quick"));
  if (process.argv.includes("--json")) for (const r of rows) console.log(JSON.stringify({ bench: "cli", ...r }));
  else for (const r of rows) console.log(r);
  process.exit(0);
}
