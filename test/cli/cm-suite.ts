import { describe, test, after, before } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { encryptKeystoreJsonSync, Wallet } from "ethers";
import { vlinregRounds } from "../../protocol/src/tasks/vlinreg/index.js";
import { connect } from "../../node/src/sdk/index.js";

// `cm` driven as a user would: a subprocess per verb, in coordinator mode, against what `cm up`
// started (a detached supervisor with the connector, owner1..owner3 and the requester).
const CM = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "scripts", "cm");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cmIn(work: string, dir: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(CM, ["--dir", dir, ...args], { cwd: work, timeout: 300_000, maxBuffer: 1 << 24, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
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

/** Running, not a zombie waiting for a parent (the detached supervisor is reparented). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

// Three well-separated clusters, spread over three owners; k-means from nearby starts converges
// in a few rounds of the 20 allowed, so the task must close early.
const CENTERS = [
  [0, 0],
  [10, 10],
  [0, 10],
];
function csv(owner: number): string {
  const rows = ["x,y"];
  for (let i = 0; i < 30; i++) {
    const c = CENTERS[i % 3];
    const jitter = (k: number) => (((i * 7 + owner * 13 + k * 5) % 11) - 5) / 10;
    rows.push(`${c[0] + jitter(0)},${c[1] + jitter(1)}`);
  }
  return rows.join("\n") + "\n";
}

/**
 * The suite for one mode: cm-coordinator.test.ts and cm-ethereum.test.ts each run one, so that the
 * test runner runs the two modes' files side by side. CM_TEST_MODES (default "coordinator,ethereum")
 * leaves a mode out.
 */
export function cmSuite(mode: "coordinator" | "ethereum"): void {
  if (!(process.env.CM_TEST_MODES ?? "coordinator,ethereum").split(",").some((m) => m.trim() === mode)) return;
  describe(`cm in ${mode} mode`, { timeout: 900_000 }, () => {
    const work = mkdtempSync(join(tmpdir(), `cm-cli-${mode}-`));
    const dir = join(work, ".cm");
    const cm = (...args: string[]) => cmIn(work, dir, args);
    let pid = 0;

    before(async () => {
      // Two workers: an outsourced task left to the manager runs on two replicas (the default).
      const r = await cm("up", "--mode", mode, "--workers", "2", "--detach", "--json");
      assert.equal(r.code, 0, `cm up failed: ${r.stderr}${r.stdout}`);
      const out = jsonLines(r.stdout).at(-1)!;
      pid = out.pid as number;
      assert.ok(pid > 0 && alive(pid));
      assert.deepEqual(Object.keys(out.nodes as object).sort(), ["owner1", "owner2", "owner3", "requester", "worker1", "worker2"]);
    });

    after(async () => {
      const r = await cm("down", "--wipe", "--json");
      assert.equal(r.code, 0, r.stderr);
      assert.equal(alive(pid), false, "cm down left the supervisor running");
      rmSync(work, { recursive: true, force: true });
    });

    test("status reports every service up", async () => {
      const r = await cm("status", "--json");
      assert.equal(r.code, 0, r.stderr);
      const s = JSON.parse(r.stdout) as { ok: boolean; services: Array<{ name: string; ok: boolean }> };
      assert.equal(s.ok, true);
      assert.equal(s.services.length, 7);
    });

    test("dataset add x3, k-means submit --wait converges early and closes, result has centroids, verify passes", async () => {
      for (const i of [1, 2, 3]) {
        const file = join(work, `part${i}.csv`);
        writeFileSync(file, csv(i));
        const r = await cm("dataset", "add", file, "--node", `owner${i}`, "--name", "pts", "--json");
        assert.equal(r.code, 0, r.stderr);
        const d = JSON.parse(r.stdout) as { name: string; rows: number };
        assert.equal(d.name, "pts");
        assert.equal(d.rows, 30);
      }
      const ls = await cm("dataset", "ls", "--json");
      assert.equal((JSON.parse(ls.stdout) as Array<{ datasets: unknown[] }>).filter((n) => n.datasets.length === 1).length, 3);

      const spec = join(work, "kmeans.json");
      writeFileSync(
        spec,
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
      const r = await cm("task", "submit", spec, "--wait", "--timeout", "240", "--json");
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const lines = jsonLines(r.stdout);
      const taskId = lines[0].taskId as number;
      assert.ok(Number.isInteger(taskId), "the task id comes first");
      const end = lines.at(-1)!.result as { status: string; reason: string; rounds: number; closed: boolean };
      assert.equal(end.status, "done");
      assert.match(end.reason, /converged/);
      assert.ok(end.rounds < 20, `converged in round ${end.rounds}`);
      assert.equal(end.closed, true, "a converged task must be closed on-chain");

      const got = await cm("result", "get", String(taskId), "--json");
      assert.equal(got.code, 0, got.stderr);
      const res = JSON.parse(got.stdout) as { round: number; result: { centroids: number[][] } };
      assert.equal(res.round, end.rounds);
      const cents = res.result.centroids;
      assert.equal(cents.length, 3);
      CENTERS.forEach((c, i) => assert.ok(Math.hypot(cents[i][0] - c[0], cents[i][1] - c[1]) < 0.5, `centroid ${i} ${cents[i].join(",")} near ${c.join(",")}`));

      const v = await cm("result", "verify", String(taskId), "--json");
      assert.equal(v.code, 0, v.stdout + v.stderr);
      assert.equal((JSON.parse(v.stdout) as { ok: boolean }).ok, true);

      // Each owner's audit trail records its releases for the task and verifies against the chain's events.
      const trail = await cm("audit", "ls", "--node", "owner1", "--task", String(taskId), "--json");
      assert.equal(trail.code, 0, trail.stderr);
      const entries = JSON.parse(trail.stdout) as Array<{ action: string; phase?: string; round: number; blobHash?: string }>;
      assert.equal(entries[0]?.action, "accepted");
      assert.equal(entries.filter((e) => e.action === "released" && e.phase === "compute").length, end.rounds, "one compute release per round");
      assert.equal((await cm("audit", "ls", "--node", "owner1", "--task", String(taskId))).stdout.includes("released"), true);
      const av = await cm("audit", "verify", "--node", "owner1", "--json");
      assert.equal(av.code, 0, av.stdout + av.stderr);
      assert.equal((JSON.parse(av.stdout) as { ok: boolean; entries: number }).ok, true);

      const watch = await cm("task", "watch", String(taskId), "--timeout", "60", "--json");
      assert.equal(watch.code, 0, "watch of a finished task ends at once");

      const show = JSON.parse((await cm("task", "show", String(taskId), "--json")).stdout) as {
        task: { closed: boolean };
        rounds: Array<{ phase: string; members: string[]; awaited: string[] }>;
        nodes: Array<{ node: string; decision: string }>;
      };
      assert.equal(show.task.closed, true);
      assert.equal(show.rounds.length, end.rounds);
      for (const r of show.rounds) {
        assert.equal(r.phase, "Finalized");
        assert.deepEqual([...r.members].sort(), ["owner1", "owner2", "owner3"], "members are named by the profile");
        assert.deepEqual(r.awaited, []);
      }
      assert.deepEqual(
        show.nodes
          .filter((n) => n.decision === "accept")
          .map((n) => n.node)
          .sort(),
        ["owner1", "owner2", "owner3"],
      );
      const tasks = JSON.parse((await cm("task", "ls", "--json")).stdout) as Array<{ taskId: number; closed: boolean }>;
      assert.ok(tasks.some((t) => t.taskId === taskId && t.closed));
      const logs = await cm("task", "logs", String(taskId), "--node", "requester", "--json");
      assert.ok(
        jsonLines(logs.stdout).some((l) => l.msg === "task closed early"),
        "the requester logged the early close",
      );
      const doctor = await cm("doctor", "--json");
      assert.equal(doctor.code, 0, doctor.stdout);

      // A hand-written profile for a network cm did not start: URLs and an encrypted keystore.
      const local = JSON.parse(readFileSync(join(dir, "profile.json"), "utf8")) as { connectorUrl: string; nodes: Record<string, { url: string; address: string }> };
      const key = readFileSync(join(dir, "keys", "requester.key"), "utf8").trim();
      writeFileSync(join(work, "req.json"), encryptKeystoreJsonSync({ address: new Wallet(key).address, privateKey: key }, "pw", { scrypt: { N: 1024 } }));
      const remote = join(work, "remote.json");
      writeFileSync(
        remote,
        JSON.stringify({
          connectorUrl: local.connectorUrl,
          requester: "req",
          nodes: { req: { url: local.nodes.requester.url, address: local.nodes.requester.address, roles: ["Requester"], keystore: "req.json", passwordEnv: "REQ_PW" } },
        }),
      );
      const noPw = await cm("--profile", remote, "result", "get", String(taskId));
      assert.equal(noPw.code, 1);
      assert.match(noPw.stderr, /needs its password in the environment variable REQ_PW/);
      const viaRemote = await cmIn(work, dir, ["--profile", remote, "result", "get", String(taskId), "--json"], { REQ_PW: "pw" });
      assert.equal(viaRemote.code, 0, viaRemote.stderr);
      assert.deepEqual((JSON.parse(viaRemote.stdout) as { result: { centroids: number[][] } }).result.centroids, cents);
    });

    test("skmeans from cm: the template, submitted through owner1 (its requester), which encrypts and keeps the keys; the worker node computes; result and verify", async () => {
      const tpl = await cm("task", "new", "skmeans");
      assert.equal(tpl.code, 0, tpl.stderr);
      const spec = JSON.parse(tpl.stdout) as { datasets: Array<{ node: string; dataset: string }>; params: Record<string, unknown> };
      assert.equal(spec.datasets.length, 1);
      assert.equal(spec.params.setup, undefined, "the owner node makes the setup");
      spec.datasets[0].dataset = "pts";
      const file = join(work, "skm.json");
      writeFileSync(file, JSON.stringify(spec));
      const r = await cm("task", "submit", file, "--wait", "--timeout", "240", "--json");
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const lines = jsonLines(r.stdout);
      const taskId = lines[0].taskId as number;
      const end = lines.at(-1)!.result as { status: string; reason: string; rounds: number; closed: boolean };
      assert.equal(end.status, "done");
      assert.match(end.reason, /converged/);
      assert.equal(end.closed, true);
      const got = await cm("result", "get", String(taskId), "--json");
      assert.equal(got.code, 0, got.stderr);
      const res = JSON.parse(got.stdout) as { result: { centroids: number[][]; labels: number[]; variant: string; worker: string } };
      assert.equal(res.result.variant, "ckks");
      assert.equal(res.result.labels.length, 30);
      res.result.centroids.forEach((c, i) => assert.ok(Math.hypot(c[0] - CENTERS[i][0], c[1] - CENTERS[i][1]) < 0.5, `centroid ${i} ${c.join(",")} near ${CENTERS[i].join(",")}`));
      const v = await cm("result", "verify", String(taskId), "--json");
      assert.equal(v.code, 0, v.stdout + v.stderr);
      // On-chain: owner1 is the requester, worker1 and worker2 the named replicas, and the spec carries only the setup's blob hashes.
      const sdk = await connect({ profile: join(dir, "profile.json") });
      try {
        const on = (await sdk.connector.getTaskSpec(taskId))!;
        assert.equal(on.requester, sdk.profile!.nodes.owner1.address);
        const both = [sdk.profile!.nodes.worker1.address, sdk.profile!.nodes.worker2.address];
        assert.deepEqual(new Set(on.params.workers as string[]), new Set(both));
        assert.ok(both.includes(res.result.worker));
        assert.ok((on.params.setup as string[]).every((h) => /^0x[0-9a-f]{64}$/.test(h)));
      } finally {
        await sdk.close();
      }
    });

    test("owners that decline are named with their reason when the round fails; exit 1", async () => {
      const spec = join(work, "nocol.json");
      writeFileSync(
        spec,
        JSON.stringify({
          kind: "stats",
          datasets: [1, 2, 3].map((i) => ({ node: `owner${i}`, dataset: "pts" })),
          params: { columns: ["x", "zz"] },
          members: { min: 3, max: 3, threshold: 3 },
          deadlines: { join: 3, setup: 30, compute: 30, aggregate: 30 },
        }),
      );
      const r = await cm("task", "submit", spec, "--wait", "--timeout", "120", "--json");
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const lines = jsonLines(r.stdout);
      const end = lines.at(-1)!.result as { reason: string; reports: Array<{ name?: string; status: string; reason: string }> };
      // The reports are listed in the order they arrived, which the three owners do not fix.
      assert.match(end.reason, /^round 1 failed in Join: too-few-joined \(/);
      for (const i of [1, 2, 3]) assert.match(end.reason, new RegExp(`owner${i} declined: [^;]*zz`));
      assert.deepEqual(end.reports.map((x) => `${x.name} ${x.status}`).sort(), ["owner1 declined", "owner2 declined", "owner3 declined"]);
      // A requester that does not operate the owners (a profile with its own node only) sees the
      // same signed reasons, from the connector's events, under the owners' addresses.
      const local = JSON.parse(readFileSync(join(dir, "profile.json"), "utf8")) as { connectorUrl: string; nodes: Record<string, { url: string; address: string }> };
      const remote = join(work, "req-only.json");
      writeFileSync(
        remote,
        JSON.stringify({
          connectorUrl: local.connectorUrl,
          requester: "req",
          nodes: { req: { url: local.nodes.requester.url, address: local.nodes.requester.address, roles: ["Requester"], keyFile: join(dir, "keys", "requester.key") } },
        }),
      );
      const show = await cm("--profile", remote, "task", "show", String(lines[0].taskId), "--json");
      assert.equal(show.code, 0, show.stderr);
      const seen = (JSON.parse(show.stdout) as { reports: Array<{ member: string; status: string; reason: string }> }).reports;
      assert.deepEqual(seen.map((x) => x.member).sort(), [1, 2, 3].map((i) => local.nodes[`owner${i}`].address).sort());
      for (const x of seen) {
        assert.equal(x.status, "declined");
        assert.match(x.reason, /zz/);
      }
    });

    test("a numeric divergence is reported with its cause (the members' range error), not only below-threshold", async () => {
      // Gradient descent with an absurd step: the weights blow up within a few rounds and the
      // members' fixed-point encoding refuses the contribution; each member reports it, signed.
      for (const i of [1, 2, 3]) {
        const rows = ["hp,weight,mpg"];
        for (let k = 0; k < 20; k++) {
          const hp = 50 + ((k * 37 + i * 11) % 180);
          const w = 1600 + ((k * 613 + i * 97) % 3400);
          rows.push(`${hp},${w},${(45 - 0.05 * hp - 0.005 * w).toFixed(2)}`);
        }
        const file = join(work, `cars${i}.csv`);
        writeFileSync(file, rows.join("\n") + "\n");
        assert.equal((await cm("dataset", "add", file, "--node", `owner${i}`, "--name", "cars")).code, 0);
      }
      const spec = join(work, "gd.json");
      writeFileSync(
        spec,
        JSON.stringify({
          kind: "linreg",
          datasets: [1, 2, 3].map((i) => ({ node: `owner${i}`, dataset: "cars" })),
          // gd standardizes internally, so a sane rate converges on these raw columns: an absurd one diverges.
          params: { features: ["hp", "weight"], target: "mpg", method: "gd", learningRate: 1000 },
          members: { min: 3, max: 3, threshold: 3 },
          rounds: 30,
          deadlines: { join: 20, setup: 20, compute: 8, aggregate: 20 },
        }),
      );
      const r = await cm("task", "submit", spec, "--wait", "--timeout", "240");
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(
        r.stdout,
        /FAILED: round \d+ failed in Compute: below-threshold \(owner\d failed: compute: linreg contribution\[\d+\] = [-\d.e+]+ is out of range: \|value\| must stay below 2\^59; rescale the columns/,
      );
    });

    test("vlinreg from cm: parties named by node, rounds and setup derived from iterations, result from the requester", async () => {
      const ids = Array.from({ length: 40 }, (_, i) => i);
      const a = ids.map((i) => ((i * 37) % 40) / 40);
      const b = ids.map((i) => ((i * 13 + 7) % 40) / 40);
      const parts: Record<string, string> = {
        owner1: "id,y\n" + ids.map((i) => `${i},${(2 * a[i] - b[i] + 0.5).toFixed(5)}`).join("\n"),
        owner2: "id,a\n" + ids.map((i) => `${i},${a[i]}`).join("\n"),
        owner3: "id,b\n" + ids.map((i) => `${i},${b[i]}`).join("\n"),
      };
      for (const [node, text] of Object.entries(parts)) {
        const file = join(work, `v-${node}.csv`);
        writeFileSync(file, text + "\n");
        assert.equal((await cm("dataset", "add", file, "--node", node, "--name", "v")).code, 0);
      }
      const spec = join(work, "vl.json");
      writeFileSync(
        spec,
        JSON.stringify({
          kind: "vlinreg",
          datasets: ["owner1", "owner2", "owner3"].map((node) => ({ node, dataset: "v" })),
          params: {
            idColumn: "id",
            label: { owner: "owner1", column: "y" },
            features: [
              { name: "x1", owner: "owner2", columns: ["a"] },
              { name: "x2", owner: "owner3", columns: ["b"] },
            ],
            iterations: 5,
            keyBits: 1024,
          },
          members: { min: 3, max: 3, threshold: 3 },
        }),
      );
      const r = await cm("task", "submit", spec, "--wait", "--timeout", "300", "--json");
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const lines = jsonLines(r.stdout);
      const end = lines.at(-1)!.result as { status: string; rounds: number; closed: boolean };
      assert.equal(end.rounds, vlinregRounds(5, "label"), "rounds computed from the iterations");
      assert.equal(end.closed, true);
      const got = JSON.parse((await cm("result", "get", String(lines[0].taskId), "--json")).stdout) as { result: { coefficients: Record<string, number> } };
      // The requester node made the task's result key (its secret stays there): the model was sealed to it.
      const sdk = await connect({ profile: join(dir, "profile.json") });
      try {
        const on = (await sdk.connector.getTaskSpec(lines[0].taskId as number))!;
        assert.match(String(on.params.resultKey), /^0x[0-9a-f]{64}$/);
        assert.equal(on.setup, true);
      } finally {
        await sdk.close();
      }
      // Five iterations are not converged: the signs of the true coefficients (2, -1) must show.
      assert.ok(got.result.coefficients.a > 0 && got.result.coefficients.b < 0, JSON.stringify(got.result));
    });

    // One mode is enough: the verbs talk to the owner's node API, which is the same in both.
    if (mode === "coordinator")
      test("inbox verbs: a dataset added with a policy needing approval; ls, show, allow (the task finishes), deny with a reason; exit codes", async () => {
        const policy = join(work, "appr-policy.json");
        writeFileSync(policy, JSON.stringify({ approval: "required", allowedColumns: ["x", "y"] }));
        for (const i of [1, 2, 3]) {
          const file = join(work, `appr${i}.csv`);
          writeFileSync(file, csv(i));
          const r = await cm("dataset", "add", file, "--node", `owner${i}`, "--name", "appr", ...(i === 1 ? ["--policy", policy] : []), "--json");
          assert.equal(r.code, 0, r.stderr);
          if (i === 1) assert.deepEqual((JSON.parse(r.stdout) as { policy: unknown }).policy, { approval: "required", allowedColumns: ["x", "y"] });
        }
        const shown = await cm("dataset", "policy", "appr", "--node", "owner1");
        assert.equal(shown.code, 0, shown.stderr);
        assert.match(shown.stdout, /approval\s+"required"/);
        const bad = join(work, "bad-policy.json");
        writeFileSync(bad, JSON.stringify({ minOwners: 0 }));
        const refused = await cm("dataset", "policy", "appr", "--node", "owner1", "--set", bad);
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, /minOwners: must be >= 1/);

        const spec = join(work, "appr.json");
        const submit = async () => {
          writeFileSync(
            spec,
            JSON.stringify({
              kind: "stats",
              datasets: [1, 2, 3].map((i) => ({ node: `owner${i}`, dataset: "appr" })),
              params: { columns: ["x"] },
              members: { min: 3, max: 3, threshold: 3 },
              deadlines: { join: 120, setup: 30, compute: 60, aggregate: 60 },
            }),
          );
          const r = await cm("task", "submit", spec, "--json");
          assert.equal(r.code, 0, r.stderr);
          const id = jsonLines(r.stdout)[0].taskId as number;
          for (let i = 0; i < 60; i++) {
            const ls = await cm("inbox", "ls", "--node", "owner1", "--json");
            assert.equal(ls.code, 0, ls.stderr);
            const tasks = (JSON.parse(ls.stdout) as Array<{ node: string; tasks: Array<{ taskId: number; status: string }> }>)[0].tasks;
            if (tasks.some((t) => t.taskId === id && t.status === "pending")) return id;
            await new Promise((r) => setTimeout(r, 500));
          }
          assert.fail(`task ${id} never reached owner1's inbox`);
        };

        const first = await submit();
        const show = await cm("inbox", "show", String(first), "--node", "owner1");
        assert.equal(show.code, 0, show.stderr);
        assert.match(show.stdout, /columns\s+x\n/);
        assert.match(show.stdout, /privacy\s+none: exact aggregates/);
        const allow = await cm("inbox", "allow", String(first), "--node", "owner1", "--json");
        assert.equal(allow.code, 0, allow.stderr);
        assert.equal((JSON.parse(allow.stdout) as { joined: boolean; status: string }).joined, true);
        const watch = await cm("task", "watch", String(first), "--timeout", "180");
        assert.equal(watch.code, 0, watch.stdout + watch.stderr);

        const second = await submit();
        const noReason = await cm("inbox", "deny", String(second), "--node", "owner1");
        assert.equal(noReason.code, 2, "deny without --reason is a usage error");
        const deny = await cm("inbox", "deny", String(second), "--node", "owner1", "--reason", "not for this study", "--json");
        assert.equal(deny.code, 0, deny.stderr);
        const after = JSON.parse((await cm("inbox", "show", String(second), "--node", "owner1", "--json")).stdout) as { status: string; reason: string };
        assert.equal(after.status, "denied");
        assert.match(after.reason, /^denied by the owner \(0x[0-9a-fA-F]{40}\): not for this study$/);
        const again = await cm("inbox", "allow", String(second), "--node", "owner1");
        assert.equal(again.code, 1);
        assert.match(again.stderr, /AlreadyDecided: task \d+ was already denied/);
        const all = await cm("inbox", "ls", "--all", "--json");
        assert.equal(all.code, 0, all.stderr);
        assert.equal((JSON.parse(all.stdout) as Array<{ node: string; tasks: unknown[] }>).find((n) => n.node === "owner1")!.tasks.length, 2);
      });

    test("a bad spec is refused with the field named, before any transaction", async () => {
      const spec = join(work, "bad.json");
      writeFileSync(spec, JSON.stringify({ kind: "kmeans", datasets: [{ node: "owner1", dataset: "pts" }], params: { columns: ["x", "y"] } }));
      const r = await cm("task", "submit", spec);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /params\.initial/);
      const unknown = join(work, "bad2.json");
      writeFileSync(unknown, JSON.stringify({ kind: "kmeans", datasets: [{ node: "owner9", dataset: "pts" }], params: {} }));
      const r2 = await cm("task", "submit", unknown);
      assert.equal(r2.code, 1);
      assert.match(r2.stderr, /datasets\.0\.node: "owner9" is not a node of the profile/);
      const groth = join(work, "groth16.json");
      writeFileSync(
        groth,
        JSON.stringify({ kind: "stats", datasets: [{ node: "owner1", dataset: "pts" }], params: { columns: ["x", "y"] }, verification: "offchain", proofSystem: "groth16" }),
      );
      const r3 = await cm("task", "submit", groth);
      assert.equal(r3.code, 1);
      assert.match(r3.stderr, /proofSystem: only "honk" is accepted/);
      const badScheme = await cm("dataset", "add", spec, "--node", "owner1", "--commitment", "merkle");
      assert.equal(badScheme.code, 2, "an unknown commitment scheme is a usage error");
      assert.match(badScheme.stderr, /--commitment must be "chunks" or "rows"/);
      const missing = await cm("task", "submit", join(work, "nope.json"));
      assert.equal(missing.code, 2, "an unreadable spec file is a usage error");
      const noArg = await cm("task", "submit");
      assert.equal(noArg.code, 2);
    });
  });
}
