import { describe, test, after, before } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { getAddress } from "ethers";
import { checkProvenContribution, connect, type Ciphermine } from "../../node/src/sdk/index.js";
import { parseTaskSpec } from "../../protocol/src/taskspec.js";
import { Phase } from "../../protocol/src/phases.js";

// `cm result verify` on a proven task (stats, plain, offchain UltraHonk proofs over datasets
// committed by chunks, the defaults) in coordinator mode: every
// contributor's proofs are fetched from the connector and re-checked; then the SDK's check on a
// tampered copy of a fetched envelope, and on the envelope claimed by another member, fails.
const CM = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "scripts", "cm");

function cmIn(work: string, dir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(CM, ["--dir", dir, ...args], { cwd: work, timeout: 300_000, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 99) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function jsonLines(s: string): Array<Record<string, unknown>> {
  return s
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

// Four columns: the width the UltraHonk circuits prove.
function csv(owner: number): string {
  const rows = ["x,y,z,w"];
  for (let i = 0; i < 20; i++) rows.push(`${(i % 7) + owner},${((i * 3) % 5) - owner / 2},${i % 4},${owner * 10 - i}`);
  return rows.join("\n") + "\n";
}

interface Check {
  what: string;
  ok: boolean;
  detail: string;
}

describe("cm result verify on a proven task (coordinator)", { timeout: 900_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), "cm-verify-"));
  const dir = join(work, ".cm");
  const cm = (...args: string[]) => cmIn(work, dir, args);
  let sdk: Ciphermine | undefined;

  before(async () => {
    const r = await cm("up", "--mode", "coordinator", "--nodes", "2", "--workers", "0", "--detach", "--json");
    assert.equal(r.code, 0, `cm up failed: ${r.stderr}${r.stdout}`);
  });

  after(async () => {
    await sdk?.close();
    const r = await cm("down", "--wipe", "--json");
    assert.equal(r.code, 0, r.stderr);
    rmSync(work, { recursive: true, force: true });
  });

  test("submit --wait shows proofs and awaited members; verify re-checks every proof; a tampered envelope or another member's claim fails", async () => {
    for (const i of [1, 2]) {
      const file = join(work, `part${i}.csv`);
      writeFileSync(file, csv(i));
      const r = await cm("dataset", "add", file, "--node", `owner${i}`, "--name", "pts", "--json");
      assert.equal(r.code, 0, r.stderr);
    }
    const specFile = join(work, "stats.json");
    writeFileSync(
      specFile,
      JSON.stringify({
        kind: "stats",
        datasets: [1, 2].map((i) => ({ node: `owner${i}`, dataset: "pts" })),
        params: { columns: ["x", "y", "z", "w"] },
        aggregation: "plain",
        verification: "offchain",
        members: { min: 2, max: 2, threshold: 2 },
        rounds: 1,
      }),
    );
    const r = await cm("task", "submit", specFile, "--wait", "--timeout", "300", "--json");
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const lines = jsonLines(r.stdout);
    const taskId = lines[0].taskId as number;
    assert.equal((lines.at(-1)!.result as { status: string }).status, "done");
    // Progress: one JSON object per change, the last one the finalized round with its proofs.
    const progress = lines.filter((l) => "progress" in l).map((l) => l.progress as { phase: string; awaited: string[]; proven?: number; checked?: number });
    assert.ok(progress.length >= 1, r.stdout);
    const last = progress.at(-1)!;
    assert.equal(last.phase, "Finalized");
    assert.deepEqual(last.awaited, []);
    assert.equal(last.proven, 2);
    assert.equal(last.checked, 2, "one group of chunks per owner, its proof checked by the requester");
    for (let k = 1; k < progress.length; k++) assert.notDeepEqual(progress[k], progress[k - 1], "a progress line only when something changed");

    const text = await cm("task", "watch", String(taskId), "--timeout", "60");
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /round 1\/1 Finalized; proofs: 2\/2 contributions proven, 2 chunk proofs checked by the requester/);

    const v = await cm("result", "verify", String(taskId), "--json");
    assert.equal(v.code, 0, v.stdout + v.stderr);
    const rep = JSON.parse(v.stdout) as { ok: boolean; checks: Check[] };
    assert.equal(rep.ok, true);
    for (const o of ["owner1", "owner2"])
      for (const what of ["dataset root", "round binding", "proofs"]) {
        const c = rep.checks.find((x) => x.what === `round 1 ${o} ${what}`);
        assert.ok(c?.ok, `${o} ${what}: ${JSON.stringify(c)}`);
      }
    assert.ok(rep.checks.find((x) => x.what === "round 1 aggregate opening")?.ok);
    assert.match(rep.checks.find((x) => x.what === "round 1 owner1 proofs")!.detail, /1 stats_chunk UltraHonk proof\(s\) verify/);

    // The SDK's check on what the connector holds, then on tampered copies.
    sdk = await connect({ profile: join(dir, "profile.json") });
    const c = sdk.connector;
    const spec = parseTaskSpec(await c.getTaskSpec(taskId));
    const domain = await c.bindingDomain();
    const owner1 = getAddress(sdk.profile!.nodes.owner1.address);
    const owner2 = getAddress(sdk.profile!.nodes.owner2.address);
    const rec = (await c.getContributions(taskId, 1, Phase.Compute)).find((x) => getAddress(x.member) === owner1)!;
    const payload = await c.getBlob(rec.blobHash);
    const dataset = async (owner: string, root: string) => {
      const d = spec.datasets.find((x) => x.owner.toLowerCase() === owner.toLowerCase());
      const got = d ? await c.getDataset(d.owner, d.datasetId) : null;
      return got && got.root.toLowerCase() === root.toLowerCase() ? got : null;
    };
    const base = { spec, taskId, round: 1, roundParams: undefined, domain, member: owner1, commitment: rec.commitment, payload, dataset };
    const good = await checkProvenContribution(base, "o1");
    assert.deepEqual(
      good.checks.map((x) => x.ok),
      [true, true, true],
      JSON.stringify(good.checks),
    );

    // One byte of the proof changed: root and binding (public inputs) still hold, the UltraHonk proof does not.
    const env = JSON.parse(new TextDecoder().decode(payload)) as { groups: Array<{ proof: string }> };
    const p = Buffer.from(env.groups[0].proof, "hex");
    p[p.length - 40] ^= 1;
    env.groups[0].proof = p.toString("hex");
    const bad = await checkProvenContribution({ ...base, payload: new TextEncoder().encode(JSON.stringify(env)) }, "o1");
    assert.deepEqual(
      bad.checks.map((x) => [x.what, x.ok]),
      [
        ["o1 dataset root", true],
        ["o1 round binding", true],
        ["o1 proofs", false],
      ],
    );
    assert.match(bad.checks[2].detail, /does not verify|proof/i);

    // owner1's envelope claimed by owner2: not owner2's committed root, bound to another member.
    const stolen = await checkProvenContribution({ ...base, member: owner2 }, "o2");
    assert.deepEqual(
      stolen.checks.map((x) => x.ok),
      [false, false, false],
      JSON.stringify(stolen.checks),
    );
    assert.match(stolen.checks[0].detail, /not a committed version/);
    assert.match(stolen.checks[1].detail, /bound to another task, round or member/);
  });
});
