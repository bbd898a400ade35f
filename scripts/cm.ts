/**
 * `cm`: run a ciphermine network and its tasks from the shell. A thin layer over the SDK
 * (node/src/sdk). Every verb takes --json; exit codes: 0 done, 1 failed, 2 timeout or usage.
 *
 *   scripts/cm up --detach                       # coordinator, owner1..owner3 and requester; profile in .cm/
 *   scripts/cm dataset add part1.csv --node owner1 --name penguins
 *   scripts/cm task new kmeans > spec.json
 *   scripts/cm task submit spec.json --wait
 *   scripts/cm result get 1
 *   scripts/cm audit verify --node owner1
 *   scripts/cm dataset policy penguins --node owner1 --set policy.json
 *   scripts/cm inbox ls; scripts/cm inbox allow 3 --node owner1
 *   scripts/cm down
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import { Command, CommanderError, Option } from "commander";
import { z } from "zod";
import {
  connect,
  loadProfile,
  defaultProfilePath,
  type Ciphermine,
  type LoadedProfile,
  type WaitResult,
  type TaskProgress,
  ConnectorError,
  describeEvent,
  NodeApiError,
  SpecError,
  ProfileError,
} from "../node/src/sdk/index.js";
import { nodeNameOf } from "../node/src/sdk/profile.js";
import { VLINREG_DEFAULT_MAX_ITERATIONS, VLINREG_DEFAULT_TOLERANCE } from "../protocol/src/tasks/vlinreg.js";
import type { ChainEvent } from "../protocol/src/events.js";
import type { AuditEntry } from "../node/src/audit/log.js";
import { phaseName, maskToRoles } from "../protocol/src/phases.js";
import { kindDef, knownKinds, provenKinds } from "../protocol/src/tasks/registry.js";

class Exit extends Error {
  constructor(
    readonly code: 0 | 1 | 2,
    message: string,
  ) {
    super(message);
  }
}
const usage = (m: string) => new Exit(2, m);

interface Global {
  json?: boolean;
  profile?: string;
  dir?: string;
}

let JSON_OUT = false;
function print(obj: unknown, text?: string): void {
  if (JSON_OUT) process.stdout.write(JSON.stringify(obj) + "\n");
  else if (text !== undefined) process.stdout.write(text + (text.endsWith("\n") ? "" : "\n"));
}
function note(text: string): void {
  if (!JSON_OUT) process.stderr.write(text + "\n");
}

function profilePath(g: Global): string {
  return g.profile ? resolve(g.profile) : defaultProfilePath(g.dir);
}
function profileOf(g: Global): LoadedProfile {
  return loadProfile(profilePath(g));
}
async function sdk(g: Global): Promise<Ciphermine> {
  return connect({ profile: profileOf(g) });
}
/** Runs a verb's work with an SDK connection that is closed however the work ends. */
async function withSdk(g: Global, work: (cm: Ciphermine) => Promise<void>): Promise<void> {
  const cm = await sdk(g);
  try {
    await work(cm);
  } finally {
    await cm.close();
  }
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A recycled pid is not ours (the supervisor runs scripts/cm.ts), and a zombie is gone.
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("cm.ts") && !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function short(a: string): string {
  return `${a.slice(0, 8)}…`;
}

function who(p: LoadedProfile | undefined, a: string): string {
  return (p && nodeNameOf(p, a)) ?? short(a);
}

function describe(p: LoadedProfile | undefined, e: ChainEvent): string {
  return describeEvent(e, (a) => who(p, a));
}

function seconds(v: string | undefined, flag: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw usage(`${flag} must be a positive number of seconds, got "${v}"`);
  return n;
}

/** One line for a progress snapshot: round, phase, who is awaited, proofs. */
function progressLine(x: TaskProgress): string {
  const proofs =
    x.proven === undefined
      ? ""
      : `; proofs: ${x.proven}/${x.members.length} contributions proven${x.checked !== undefined ? `, ${x.checked} chunk proofs checked by the requester` : ""}`;
  return `round ${x.round}/${x.rounds} ${x.phase}${x.awaited.length ? `; awaiting ${x.awaited.join(", ")}` : ""}${proofs}`;
}

async function follow(cm: Ciphermine, id: number, since: string | undefined, timeoutS: number): Promise<WaitResult> {
  const p = cm.profile;
  const h = cm.tasks.get(id, since);
  const stamp = () => new Date().toISOString().slice(11, 19);
  // Besides the events: the current phase's awaited members and the proofs, one line per change.
  let last = "";
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const x = await h.progress();
      const line = progressLine(x);
      if (line !== last) {
        last = line;
        if (JSON_OUT) print({ progress: x });
        else process.stdout.write(`  ${stamp()}  ${line}\n`);
      }
    } catch {
      /* a missed snapshot is retried at the next tick */
    } finally {
      busy = false;
    }
  };
  const poll = setInterval(() => void tick(), 1500);
  let r: WaitResult;
  try {
    r = await h.wait({
      timeoutMs: timeoutS * 1000,
      onEvent: (e) => {
        if (JSON_OUT) print({ event: e });
        else process.stdout.write(`  ${new Date(e.time * 1000).toISOString().slice(11, 19)}  ${describe(p, e)}\n`);
      },
    });
  } finally {
    clearInterval(poll);
  }
  while (busy) await sleep(50);
  await tick(); // the final state (the last round's proofs checked)
  print({ result: r }, `${r.status === "done" ? "done" : r.status === "failed" ? "FAILED" : "TIMEOUT"}: ${r.reason}${r.closed ? " (closed on-chain)" : ""}`);
  return r;
}

function exitFor(r: WaitResult): 0 | 1 | 2 {
  return r.status === "done" ? 0 : r.status === "failed" ? 1 : 2;
}

// ------------------------------------------------------------------ spec templates

/** A placeholder for a JSON-schema node: its default, else a value of the right shape. */
function placeholder(s: Record<string, unknown>, key: string): unknown {
  if ("default" in s) return s.default;
  if (Array.isArray(s.enum)) return s.enum[0];
  if ("const" in s) return s.const;
  const anyOf = (s.anyOf ?? s.oneOf) as Record<string, unknown>[] | undefined;
  if (anyOf?.length) return placeholder(anyOf[0], key);
  switch (s.type) {
    case "string":
      return `<${key}>`;
    case "number":
    case "integer":
      return typeof s.minimum === "number" ? s.minimum : 0;
    case "boolean":
      return false;
    case "array": {
      const item = (s.items ?? {}) as Record<string, unknown>;
      return [placeholder(item, key.replace(/s$/, ""))];
    }
    case "object": {
      const props = (s.properties ?? {}) as Record<string, Record<string, unknown>>;
      const req = new Set((s.required ?? []) as string[]);
      return Object.fromEntries(
        Object.entries(props)
          .filter(([k, v]) => req.has(k) || "default" in v)
          .map(([k, v]) => [k, placeholder(v, k)]),
      );
    }
    default:
      return null;
  }
}

/**
 * Outsourced kinds: what the data owner's node takes (it encrypts the data, computes the round
 * count and the setup itself; the manager picks `replicas` workers, default 2, when `workers` is left out).
 */
const OUTSOURCED_TEMPLATES: Record<string, Record<string, unknown>> = {
  skmeans: { variant: "ckks", columns: ["x", "y"], k: 3, initialIndices: [0, 1, 2], maxIterations: 10 },
  dbskmeans: { variant: "ckks", columns: ["x", "y"], k: 3, initialIndices: [0, 1, 2], maxIterations: 10 },
  sknn: { variant: "ckks", columns: ["x", "y"], labelColumn: "label", query: [[0, 0]] },
  dbsnnc: { variant: "ckks", columns: ["x", "y"], threshold: 1 },
};

export function specTemplate(kind: string, owners: string[]): Record<string, unknown> {
  const def = kindDef(kind);
  if (!def) throw usage(`unknown kind "${kind}": use one of ${knownKinds().join(", ")}`);
  const schema = def.params;
  const outsourced = OUTSOURCED_TEMPLATES[kind];
  // Submitted to the owner's node (the task's requester): one dataset, the owner's own.
  if (outsourced)
    return { kind, datasets: [{ node: owners[0] ?? "owner1", dataset: "<dataset>" }], params: { ...outsourced }, deadlines: { join: 30, setup: 30, compute: 300, aggregate: 300 } };
  const js = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  const params = { ...(placeholder(js, "params") as Record<string, unknown>) };
  for (const [k, v] of Object.entries(def.template?.params ?? {})) if (k in params) params[k] = v;
  if (kind === "vlinreg" && owners.length >= 2) {
    params.label = { owner: owners[0], column: "y" };
    params.features = owners.slice(1).map((o, i) => ({ name: `x${i + 1}`, owner: o, columns: [`<column of ${o}>`] }));
    params.idColumn = "id";
    // Stops at the tolerance; maxIterations caps the run and sets the rounds.
    params.maxIterations = VLINREG_DEFAULT_MAX_ITERATIONS;
    params.tolerance = VLINREG_DEFAULT_TOLERANCE;
  }
  return {
    kind,
    datasets: owners.map((node) => ({ node, dataset: "<dataset>" })),
    params,
    aggregation: "plain",
    members: { min: owners.length, max: owners.length, threshold: owners.length },
    // vlinreg: rounds and setup are derived from params.maxIterations when left out.
    ...(kind === "vlinreg" ? {} : { rounds: def.template?.rounds ?? 1 }),
    deadlines: { join: 30, setup: 30, compute: 120, aggregate: 60 },
  };
}

// ------------------------------------------------------------------ program

const program = new Command()
  .name("cm")
  .description("Run a ciphermine network and its tasks. Exit codes: 0 done, 1 failed, 2 timeout or usage.")
  .option("--json", "machine-readable output (JSON, one document or one line per event)")
  .option("--profile <file>", "profile file (default .cm/profile.json, or CM_PROFILE)")
  .option("--dir <dir>", "folder of the profile and of what `cm up` starts (default .cm)")
  .showHelpAfterError()
  .exitOverride();

const g = (): Global => program.opts<Global>();

program
  .command("up")
  .description(
    "start a connector (coordinator, or ethereum with a Hardhat node and the contracts), N owner nodes owner1…ownerN, M worker nodes worker1…workerM and a requester node; writes <dir>/profile.json",
  )
  .addOption(new Option("--mode <mode>", "coordinator or ethereum").choices(["coordinator", "ethereum"]).default("coordinator"))
  .option("--nodes <n>", "number of owner nodes", "3")
  .option("--workers <n>", "number of worker nodes (outsourced kinds compute there)", "1")
  .option("--detach", "start in the background and return once everything answers")
  .option("--timeout <s>", "with --detach: give up after this many seconds", "240")
  .option("--dashboard", "with --detach: open the requester's dashboard once up (its URL is printed either way)")
  .addOption(new Option("--serve").hideHelp())
  .action(async (o: { mode: "coordinator" | "ethereum"; nodes: string; workers: string; detach?: boolean; serve?: boolean; timeout: string; dashboard?: boolean }) => {
    const n = Number(o.nodes);
    if (!Number.isInteger(n) || n < 1 || n > 50) throw usage(`--nodes must be an integer from 1 to 50, got "${o.nodes}"`);
    const w = Number(o.workers);
    if (!Number.isInteger(w) || w < 0 || w > 10) throw usage(`--workers must be an integer from 0 to 10, got "${o.workers}"`);
    const dir = resolve(g().dir ?? ".cm");
    const file = join(dir, "profile.json");
    if (existsSync(file)) {
      const p = loadProfile(file);
      if (alive(p.pid)) {
        print({ ok: true, already: true, pid: p.pid, profile: file }, `already up (pid ${p.pid}); profile ${file}`);
        return;
      }
    }
    if (o.serve || !o.detach) {
      const t0 = Date.now();
      const { serveUp } = await import("./cm-up.js");
      await serveUp({ dir, mode: o.mode, nodes: n, workers: w }, (line) => process.stderr.write(`+${((Date.now() - t0) / 1000).toFixed(1)}s  ${line}\n`));
      return;
    }
    const log = join(dir, "up.log");
    rmSync(file, { force: true });
    const { mkdirSync } = await import("node:fs");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const fd = openSync(log, "a");
    const args = [...process.execArgv, process.argv[1], "--dir", dir, "up", "--mode", o.mode, "--nodes", String(n), "--workers", String(w), "--serve"];
    const child = spawn(process.execPath, args, { detached: true, stdio: ["ignore", fd, fd], cwd: process.cwd() });
    closeSync(fd);
    // Asserted, not annotated: the exit handler sets it, so the loop below must not narrow it to null.
    let exited = null as number | null;
    child.once("exit", (c) => (exited = c ?? 1));
    child.unref();
    const until = Date.now() + seconds(o.timeout, "--timeout", 240) * 1000;
    const t0 = Date.now();
    for (;;) {
      if (exited !== null) throw new Exit(1, `cm up failed (exit ${exited}); its log ${log}:\n${readFileSync(log, "utf8").split("\n").slice(-20).join("\n")}`);
      if (existsSync(file)) {
        const p = loadProfile(file);
        if (p.pid === child.pid) {
          const secs = (Date.now() - t0) / 1000;
          const dash = dashboardOf(p);
          print(
            { ok: true, pid: p.pid, profile: file, mode: p.mode, connectorUrl: p.connectorUrl, nodes: p.nodes, seconds: secs, dashboard: dash.url },
            `up in ${secs.toFixed(1)} s (pid ${p.pid}, ${p.mode} mode)\n  connector ${p.connectorUrl}\n` +
              Object.entries(p.nodes)
                .map(([k, v]) => `  ${k.padEnd(10)} ${v.url}  ${v.address}`)
                .join("\n") +
              `\n  dashboard ${dash.url} (unlock with ${dash.key ?? "the profile's signer"})\n  profile ${file}; log ${log}`,
          );
          if (o.dashboard) openUrl(dash.url);
          return;
        }
      }
      if (Date.now() > until) {
        try {
          process.kill(child.pid!, "SIGTERM");
        } catch {
          /* already gone */
        }
        throw new Exit(2, `cm up did not become ready within ${o.timeout} s; see ${log}`);
      }
      await sleep(200);
    }
  });

program
  .command("down")
  .description("stop what `cm up` started")
  .option("--wipe", "also delete the folder (keys, datasets' commitments, node state)")
  .action(async (o: { wipe?: boolean }) => {
    const file = profilePath(g());
    const dir = dirname(file);
    let pid: number | undefined;
    if (existsSync(file)) pid = loadProfile(file).pid;
    let stopped = false;
    if (alive(pid)) {
      process.kill(pid!, "SIGTERM");
      for (let i = 0; i < 150 && alive(pid); i++) await sleep(200);
      if (alive(pid)) process.kill(pid!, "SIGKILL");
      stopped = true;
    }
    if (o.wipe && existsSync(dir)) {
      if (!existsSync(join(dir, "profile.json")) && !existsSync(join(dir, "keys")))
        throw new Exit(1, `${dir} does not look like a cm folder (no profile.json or keys/); not deleting it`);
      rmSync(dir, { recursive: true, force: true });
    }
    print(
      { ok: true, stopped, pid: pid ?? null, wiped: !!o.wipe },
      stopped ? `stopped (pid ${pid})${o.wipe ? `; ${dir} deleted` : ""}` : `nothing running${o.wipe ? `; ${dir} deleted` : ""}`,
    );
  });

/** A node's dashboard URL and the key file that unlocks it. The key never goes on a command line or into the URL: the page asks for it and keeps it in memory. */
function dashboardOf(p: LoadedProfile, node?: string): { name: string; url: string; key?: string; keystore: boolean } {
  const name = node ?? p.requester ?? Object.keys(p.nodes)[0];
  const n = name === undefined ? undefined : p.nodes[name];
  if (!n || name === undefined) throw usage(`no node named "${name}" in ${p.path}; nodes: ${Object.keys(p.nodes).join(", ")}`);
  const file = n.keyFile ?? n.keystore;
  return { name, url: `${n.url.replace(/\/+$/, "")}/dash/`, key: file ? resolve(dirname(p.path), file) : undefined, keystore: !!n.keystore };
}

/** Opens a URL in the desktop's browser when there is one; false when none could be started. */
function openUrl(url: string): boolean {
  try {
    spawn(process.platform === "darwin" ? "open" : "xdg-open", [url], { detached: true, stdio: "ignore" })
      .on("error", () => {})
      .unref();
    return true;
  } catch {
    return false;
  }
}

program
  .command("dash")
  .description("the dashboard's URL on a node (default the requester), and which key unlocks it; --open starts the desktop's browser")
  .option("--node <name>", "the profile's node whose dashboard to open (default the profile's requester)")
  .option("--open", "open it with xdg-open (or open on macOS) when there is one")
  .action(async (o: { node?: string; open?: boolean }) => {
    const p = profileOf(g());
    const { name, url, key, keystore } = dashboardOf(p, o.node);
    const opened = o.open ? openUrl(url) : false;
    print(
      { ok: true, node: name, url, key: key ?? null, opened },
      `${url}\n  unlock with ${name}'s ${keystore ? "keystore" : "key"}${key ? `: ${key}` : " (the profile's signer)"}`,
    );
  });

program
  .command("status")
  .description("is the supervisor, the connector and each node up?")
  .action(async () => {
    const p = profileOf(g());
    const rows: Array<{ name: string; url: string; ok: boolean; detail: string }> = [];
    const running = p.pid === undefined ? null : alive(p.pid);
    let cm: Ciphermine | undefined;
    try {
      cm = await connect({ profile: p });
      const info = await cm.connector.info();
      rows.push({ name: "connector", url: p.connectorUrl, ok: true, detail: `${info.mode} mode` });
    } catch (e) {
      rows.push({ name: "connector", url: p.connectorUrl, ok: false, detail: (e as Error).message });
    }
    const { NodeApiClient } = await import("../node/src/api/client.js");
    for (const [name, n] of Object.entries(p.nodes)) {
      try {
        const h = await new NodeApiClient(n.url).health();
        rows.push({ name, url: n.url, ok: h.ok, detail: `${h.roles.join(",")} ${short(h.address)}` });
      } catch (e) {
        rows.push({ name, url: n.url, ok: false, detail: (e as Error).message });
      }
    }
    await cm?.close();
    const ok = rows.every((r) => r.ok);
    print(
      { ok, pid: p.pid ?? null, supervisor: running, mode: p.mode ?? null, services: rows },
      [
        `profile ${p.path}${p.pid ? `; supervisor pid ${p.pid} ${running ? "running" : "NOT running"}` : ""}`,
        ...rows.map((r) => `  ${r.ok ? "up  " : "DOWN"} ${r.name.padEnd(10)} ${r.url}  ${r.detail}`),
      ].join("\n"),
    );
    if (!ok) throw new Exit(1, "");
  });

program
  .command("doctor")
  .description("check verifiers bound, circuits current, keys registered, clock skew")
  .action(async () => {
    const p = profileOf(g());
    const checks: Array<{ what: string; ok: boolean; detail: string }> = [];
    const cm = await connect({ profile: p });
    try {
      const res = await fetch(new URL("/info", p.connectorUrl));
      const date = res.headers.get("date");
      const skew = date ? Math.round((Date.now() - Date.parse(date)) / 1000) : NaN;
      checks.push({
        what: "clock skew",
        ok: Math.abs(skew) < 30,
        detail: Number.isNaN(skew) ? "the connector sent no Date header" : `${skew} s vs the connector (signed requests allow ±60 s)`,
      });
      for (const [name, n] of Object.entries(p.nodes)) {
        const rec = await cm.connector.getNode(n.address);
        checks.push({
          what: `key of ${name} registered`,
          ok: !!rec && rec.endpoint === n.url,
          detail: rec
            ? `${maskToRoles(rec.roles).join(",")} at ${rec.endpoint}${rec.endpoint !== n.url ? ` (profile says ${n.url})` : ""}`
            : `${n.address} is not registered: start the node, it registers itself`,
        });
      }
      try {
        const { MANIFEST_PATH, CIRCUITS_DIR, sourcesHash } = await import("../circuits/sources.js");
        const { CIRCUITS } = await import("../circuits/registry.js");
        const manifest = JSON.parse(readFileSync(MANIFEST_PATH, "utf8")) as { circuits: Record<string, { sourcesHash: string }> };
        const stale = CIRCUITS.filter((d) => manifest.circuits[d.name]?.sourcesHash !== sourcesHash(join(CIRCUITS_DIR, `${d.name}.circom`)).hash).map((d) => d.name);
        checks.push({
          what: "circuits current",
          ok: stale.length === 0,
          detail: stale.length ? `stale: ${stale.join(", ")}; run npm run circuits:build -- --ptau <file>` : `${CIRCUITS.length} circuits built from the current sources`,
        });
      } catch (e) {
        checks.push({ what: "circuits current", ok: false, detail: `cannot read the circuits manifest: ${(e as Error).message}` });
      }
      if (p.mode === "ethereum" && p.rpc && p.addresses?.taskManager) {
        const { JsonRpcProvider } = await import("ethers");
        const { TaskManager__factory } = await import("../types/ethers-contracts/index.js");
        const { kindKey } = await import("../protocol/src/taskspec.js");
        const provider = new JsonRpcProvider(p.rpc, undefined, { staticNetwork: true });
        try {
          const tm = TaskManager__factory.connect(p.addresses.taskManager, provider);
          for (const { kind } of provenKinds()) {
            const v = (await tm.verifiers(kindKey(kind))) as unknown as { verifier: string };
            const bound = v.verifier !== "0x0000000000000000000000000000000000000000";
            checks.push({ what: `verifier for ${kind}`, ok: bound, detail: bound ? v.verifier : 'none bound: verification "onchain" tasks of this kind are refused' });
          }
        } finally {
          provider.destroy();
        }
      } else {
        const info = await cm.connector.info();
        checks.push({ what: "verifiers", ok: true, detail: `${info.mode} mode: the connector checks proofs off-chain with circuits/build vkeys` });
      }
    } finally {
      await cm.close();
    }
    const ok = checks.every((c) => c.ok);
    print({ ok, checks }, checks.map((c) => `  ${c.ok ? "ok  " : "FAIL"} ${c.what}: ${c.detail}`).join("\n"));
    if (!ok) throw new Exit(1, "");
  });

const dataset = program.command("dataset").description("datasets on the profile's nodes");
dataset
  .command("add <file>")
  .description("register (commit) a CSV, NPY or JSON-lines file as a dataset of a node")
  .requiredOption("--node <name>", "the node that holds the data (e.g. owner1)")
  .option("--name <id>", "dataset name (default: the file name without extension)")
  .option("--columns <a,b>", "columns to keep, in this order")
  .option("--policy <file.json>", "the dataset's policy (allowed kinds, requesters, columns, minimum owners and rows, privacy loss, proofs, approval); see the README")
  .action(async (file: string, o: { node: string; name?: string; columns?: string; policy?: string }) => {
    const path = resolve(file);
    if (!existsSync(path)) throw usage(`${file} does not exist`);
    const name = o.name ?? basename(path, extname(path));
    const policy = o.policy === undefined ? undefined : policyFile(o.policy);
    await withSdk(g(), async (cm) => {
      const columns = o.columns
        ?.split(",")
        .map((c) => c.trim())
        .filter(Boolean);
      const d = await cm.datasets.add(o.node, { path, name, ...(columns ? { columns } : {}), ...(policy !== undefined ? { policy } : {}) });
      print(
        { node: o.node, ...d },
        `dataset ${d.name} v${d.version} on ${o.node}: ${d.rows} rows × ${d.columns} columns, root ${d.root}` +
          (policy !== undefined ? `\npolicy: ${JSON.stringify(d.policy)}` : ""),
      );
    });
  });
dataset
  .command("policy <name>")
  .description("show a dataset's policy on a node, or replace it with --set (a JSON file; {} lifts every per-dataset rule)")
  .requiredOption("--node <name>", "the node that holds the dataset (e.g. owner1)")
  .option("--set <file.json>", "the new policy")
  .action(async (name: string, o: { node: string; set?: string }) => {
    const policy = o.set === undefined ? undefined : policyFile(o.set);
    await withSdk(g(), async (cm) => {
      const v = policy === undefined ? await cm.datasets.policy(o.node, name) : await cm.datasets.setPolicy(o.node, name, policy);
      const fields = Object.entries(v.policy as Record<string, unknown>);
      print(
        { node: o.node, ...v },
        `dataset ${name} on ${o.node}: ${fields.length ? "" : "no policy of its own (the node-wide policy applies)"}` +
          fields.map(([k, x]) => `\n  ${k.padEnd(18)} ${JSON.stringify(x)}`).join(""),
      );
    });
  });
dataset
  .command("ls")
  .description("datasets of every node in the profile")
  .option("--node <name>", "only this node")
  .action(async (o: { node?: string }) => {
    await withSdk(g(), async (cm) => {
      const all = await cm.datasets.list(o.node);
      const lines = all.flatMap(({ node, datasets }) =>
        (datasets as Array<{ name: string; version: number; rows: number; columns: string[] | number }>).map(
          (d) => `  ${node.padEnd(10)} ${d.name.padEnd(16)} v${d.version}  ${d.rows} rows  ${Array.isArray(d.columns) ? d.columns.join(",") : d.columns}`,
        ),
      );
      print(all, lines.length ? lines.join("\n") : "no datasets");
    });
  });

const task = program.command("task").description("tasks: templates, submission, progress");
task
  .command("new <kind>")
  .description("print a spec template for a task kind (from its schema and defaults)")
  .action(async (kind: string) => {
    let owners = ["owner1", "owner2", "owner3"];
    try {
      owners = Object.entries(profileOf(g()).nodes)
        .filter(([, n]) => n.roles.includes("Owner"))
        .map(([k]) => k);
    } catch {
      /* no profile: the default names */
    }
    const t = specTemplate(kind, owners);
    process.stdout.write(JSON.stringify(t, null, 2) + "\n");
  });
task
  .command("submit <spec>")
  .description("submit a spec (JSON file) through the requester node (an outsourced kind: its data owner's node, the task's requester); prints the task id first")
  .option("--wait", "follow the task to its end")
  .option("--timeout <s>", "with --wait: give up after this many seconds (exit 2)", "600")
  .action(async (file: string, o: { wait?: boolean; timeout: string }) => {
    let spec: unknown;
    try {
      spec = JSON.parse(readFileSync(file, "utf8"));
    } catch (e) {
      throw usage(`${file}: ${(e as Error).message}`);
    }
    const timeout = seconds(o.timeout, "--timeout", 600);
    await withSdk(g(), async (cm) => {
      const h = await cm.tasks.create(spec as never);
      print({ taskId: h.id }, `task ${h.id}`);
      if (!o.wait) return;
      const r = await follow(cm, h.id, h.since, timeout);
      if (exitFor(r) !== 0) throw new Exit(exitFor(r), "");
    });
  });
task
  .command("watch <id>")
  .description("follow a task to its end (rounds, phases, members)")
  .option("--timeout <s>", "give up after this many seconds (exit 2)", "600")
  .action(async (id: string, o: { timeout: string }) => {
    await withSdk(g(), async (cm) => {
      const r = await follow(cm, taskId(id), undefined, seconds(o.timeout, "--timeout", 600));
      if (exitFor(r) !== 0) throw new Exit(exitFor(r), "");
    });
  });
task
  .command("ls")
  .description("tasks the requester node knows")
  .action(async () => {
    await withSdk(g(), async (cm) => {
      const tasks = await cm.tasks.list();
      const rows = [];
      for (const t of tasks) {
        const c = await cm.connector.getTask(t.taskId);
        rows.push({ taskId: t.taskId, kind: t.kind, mine: t.mine, rounds: c?.rounds, currentRound: c?.currentRound, closed: c?.closed });
      }
      print(
        rows,
        rows.length
          ? rows.map((r) => `  ${String(r.taskId).padStart(4)}  ${r.kind.padEnd(10)} round ${r.currentRound}/${r.rounds}${r.closed ? "  closed" : ""}`).join("\n")
          : "no tasks",
      );
    });
  });
task
  .command("show <id>")
  .description("a task's rounds: phase, members, who is awaited, failure and decline reasons")
  .action(async (id: string) => {
    const tid = taskId(id);
    await withSdk(g(), async (cm) => {
      const p = cm.profile!;
      const t = await cm.connector.getTask(tid);
      if (!t) throw new Exit(1, `task ${tid} does not exist`);
      const spec = await cm.connector.getTaskSpec(tid);
      const rounds = [];
      for (let r = 1; r <= t.currentRound; r++) {
        const rr = await cm.connector.getRound(tid, r);
        if (!rr) continue;
        const awaited = await cm.tasks.get(tid).awaited(rr);
        rounds.push({
          round: r,
          phase: phaseName(rr.phase),
          deadline: rr.deadline,
          joined: rr.joined,
          active: rr.active,
          members: rr.members.map((m) => who(p, m)),
          awaited,
          resultHash: rr.resultHash,
        });
      }
      // What the nodes reported (declined, failed), signed by each: from the connector's events,
      // so it names nodes this profile does not operate too.
      const reports = await cm.tasks.get(tid).reports();
      // The profile's own nodes' views add the requester's errors (a failed aggregate) and
      // whether each node took part.
      const views: Array<{ node: string; decision?: string; reason?: string; errors: string[] }> = [];
      for (const name of Object.keys(p.nodes)) {
        try {
          // The node API answers its operator only: ask as that node (the profile holds its key).
          const v = await (await cm.node(name)).task(tid);
          const tk = v.task as { decision?: string; reason?: string } | null;
          const errors = (v.rounds as Array<{ round: number; side: string; error?: string }>).filter((x) => x.error).map((x) => `round ${x.round} (${x.side}): ${x.error}`);
          views.push({ node: name, decision: tk?.decision, reason: tk?.reason, errors });
        } catch {
          /* the node does not know the task */
        }
      }
      const out = { task: t, kind: spec?.kind, aggregation: spec?.aggregation, rounds, reports, nodes: views };
      print(
        out,
        [
          `task ${tid}: ${spec?.kind ?? "?"} (${spec?.aggregation ?? "?"}), round ${t.currentRound}/${t.rounds}${t.closed ? ", closed" : ""}`,
          ...rounds.map((r) => `  round ${r.round}: ${r.phase}; members ${r.members.join(", ") || "-"}${r.awaited.length ? `; awaiting ${r.awaited.join(", ")}` : ""}`),
          ...reports.map((x) => `  round ${x.round}: ${x.text}`),
          ...views.map((v) => `  ${v.node.padEnd(10)} ${v.decision ?? ""}${v.reason ? `: ${v.reason}` : ""}${v.errors.length ? `; ${v.errors.join("; ")}` : ""}`),
        ].join("\n"),
      );
    });
  });
task
  .command("logs <id>")
  .description("log lines about a task from the nodes `cm up` started")
  .option("--node <name>", "only this node")
  .action(async (id: string, o: { node?: string }) => {
    const tid = taskId(id);
    const p = profileOf(g());
    const dir = join(dirname(p.path), "logs");
    if (!existsSync(dir)) throw new Exit(1, `no logs in ${dir}: logs exist only for nodes \`cm up\` started`);
    const files = readdirSync(dir).filter((f) => f.endsWith(".log") && (!o.node || f === `${o.node}.log`));
    const lines: string[] = [];
    for (const f of files) for (const l of readFileSync(join(dir, f), "utf8").split("\n")) if (l.includes(`"taskId":${tid},`) || l.includes(`"taskId":${tid}}`)) lines.push(l);
    lines.sort((a, b) => ((JSON.parse(a) as { time: string }).time < (JSON.parse(b) as { time: string }).time ? -1 : 1));
    if (JSON_OUT) for (const l of lines) process.stdout.write(l + "\n");
    else
      for (const l of lines) {
        const j = JSON.parse(l) as { time: string; node: string; level: number; msg: string } & Record<string, unknown>;
        const { time, node, level, msg, pid: _p, hostname: _h, name: _n, ...rest } = j;
        process.stdout.write(`${time.slice(11, 19)} ${node.padEnd(10)} ${level >= 50 ? "ERROR" : level >= 40 ? "WARN " : "     "} ${msg} ${JSON.stringify(rest)}\n`);
      }
  });

const result = program.command("result").description("results of finalized rounds");
result
  .command("get <id>")
  .description("a round's result from the requester node (default: the last finalized round)")
  .option("--round <r>", "round number")
  .option("--out <file>", "write the result JSON to this file")
  .action(async (id: string, o: { round?: string; out?: string }) => {
    await withSdk(g(), async (cm) => {
      const round = o.round === undefined ? undefined : Number(o.round);
      if (round !== undefined && (!Number.isInteger(round) || round < 1)) throw usage(`--round must be a round number (1, 2, …), got "${o.round}"`);
      const r = await cm.tasks.get(taskId(id)).result(round);
      const doc = { taskId: r.taskId, round: r.round, result: r.result, resultHash: r.resultHash, recordHash: r.recordHash, contributors: r.contributors };
      if (o.out) {
        writeFileSync(o.out, JSON.stringify(doc, null, 2) + "\n");
        note(`round ${r.round} of task ${r.taskId} written to ${o.out}`);
        print({ ok: true, out: resolve(o.out), round: r.round });
      } else process.stdout.write(JSON.stringify(doc, null, JSON_OUT ? 0 : 2) + "\n");
    });
  });
result
  .command("verify <id>")
  .description(
    "re-check a task's finalized rounds: on-chain record hashes vs the result bytes, spec hash, contributors; a proven task's proofs (dataset root, round binding, every Groth16 proof)",
  )
  .action(async (id: string) => {
    await withSdk(g(), async (cm) => {
      const v = await cm.tasks.get(taskId(id)).verify();
      print(v, [...v.checks.map((c) => `  ${c.ok ? "ok  " : "FAIL"} ${c.what}: ${c.detail}`), ...v.notChecked.map((n) => `  not checked here: ${n}`)].join("\n"));
      if (!v.ok) throw new Exit(1, "");
    });
  });

const audit = program.command("audit").description("a node's audit trail: what it did with its datasets, anchored to the chain's events");
audit
  .command("ls")
  .description("the node's audit entries, oldest first")
  .requiredOption("--node <name>", "the node whose trail to read (e.g. owner1)")
  .option("--task <id>", "only this task")
  .action(async (o: { node: string; task?: string }) => {
    await withSdk(g(), async (cm) => {
      const client = await cm.node(o.node);
      const filter = o.task === undefined ? {} : { taskId: taskId(o.task) };
      const entries: AuditEntry[] = [];
      for (let after = 0; ;) {
        const page = await client.audit({ ...filter, after, limit: 1000 });
        entries.push(...page.entries);
        if (page.next === null) break;
        after = page.next;
      }
      const line = (e: AuditEntry) =>
        `  ${String(e.seq).padStart(4)} ${new Date(e.time * 1000).toISOString().slice(0, 19)} task ${e.taskId} r${e.round} ${e.action.padEnd(8)} ${e.datasets.join(",") || "-"}` +
        (e.action === "released" ? ` ${e.phase} ${e.bytes ?? "?"} B blob ${short(e.blobHash ?? "")}${e.privacy ? ` ρ ${e.privacy.rho}` : ""}` : "") +
        (e.reason ? ` (${e.reason})` : "") +
        `  [${e.anchor.event} tx ${short(e.anchor.txHash)}]`;
      print(entries, entries.length ? entries.map(line).join("\n") : `no audit entries on ${o.node}`);
    });
  });
audit
  .command("verify")
  .description("check the node's trail: its hash chain, and every entry against the chain's events (exit 1 names the first bad entry)")
  .requiredOption("--node <name>", "the node whose trail to check (e.g. owner1)")
  .action(async (o: { node: string }) => {
    await withSdk(g(), async (cm) => {
      const v = await (await cm.node(o.node)).auditVerify();
      print(
        v,
        v.ok ? `ok: ${v.entries} entries, hash chain whole, every entry matches the chain's events (${v.eventsRead} read)` : `FAIL at entry ${v.bad!.seq}: ${v.bad!.reason}`,
      );
      if (!v.ok) throw new Exit(1, "");
    });
  });

const inbox = program.command("inbox").description('tasks waiting for an owner\'s approval (dataset policies with approval: "required")');
type Inboxed = Awaited<ReturnType<Ciphermine["inbox"]["show"]>>;
const inboxLine = (node: string, t: Inboxed) =>
  `  ${node.padEnd(10)} task ${String(t.taskId).padEnd(5)} ${t.status.padEnd(8)} ${t.kind.padEnd(8)} from ${short(t.requester)}  ${t.datasets.join(",")}` +
  `  columns ${t.columns?.join(",") ?? "?"}${t.privacy ? `  ρ ${t.privacy.rho}` : "  no DP"}${t.reason ? `  (${t.reason})` : ""}`;
inbox
  .command("ls")
  .description("tasks waiting in the owners' inboxes")
  .option("--node <name>", "only this node (default: every owner node of the profile)")
  .option("--all", "decided tasks too (allowed, denied, expired)")
  .action(async (o: { node?: string; all?: boolean }) => {
    await withSdk(g(), async (cm) => {
      const all = await cm.inbox.list(o.node, { all: o.all === true });
      const lines = all.flatMap(({ node, tasks }) => tasks.map((t) => inboxLine(node, t)));
      print(all, lines.length ? lines.join("\n") : "no task waits for approval");
    });
  });
inbox
  .command("show <task>")
  .description("what a waiting task asks of the node's data")
  .requiredOption("--node <name>", "the owner node (e.g. owner1)")
  .action(async (id: string, o: { node: string }) => {
    await withSdk(g(), async (cm) => {
      const t = await cm.inbox.show(o.node, taskId(id));
      print(
        t,
        [
          `task ${t.taskId} on ${o.node}: ${t.status}${t.reason ? ` (${t.reason})` : ""}`,
          `  kind         ${t.kind}, ${t.rounds} round(s), aggregation ${t.aggregation}, verification ${t.verification}`,
          `  requester    ${t.requester}`,
          `  spec hash    ${t.specHash}`,
          `  datasets     ${t.datasets.join(", ")}`,
          `  columns      ${t.columns?.join(", ") ?? "(not known for this kind)"}`,
          `  members      min ${t.members.min}, max ${t.members.max}, threshold ${t.members.threshold}`,
          `  privacy      ${t.privacy ? `ρ ${t.privacy.rho} (ε ${Number(t.privacy.epsilon.toPrecision(4))} at δ ${t.privacy.delta})` : "none: exact aggregates"}`,
        ].join("\n"),
      );
    });
  });
inbox
  .command("allow <task>")
  .description("allow a waiting task: the node checks its policy again and joins (only while round 1 is in Join)")
  .requiredOption("--node <name>", "the owner node (e.g. owner1)")
  .action(async (id: string, o: { node: string }) => {
    await withSdk(g(), async (cm) => {
      const t = await cm.inbox.allow(o.node, taskId(id));
      print(t, `task ${t.taskId} allowed on ${o.node}; ${t.joined ? "joined round 1" : t.joinError ? `could not join: ${t.joinError}` : "joins when round 1 starts"}`);
      if (t.joinError) throw new Exit(1, "");
    });
  });
inbox
  .command("deny <task>")
  .description("deny a waiting task; the reason goes to the task's record and the audit trail")
  .requiredOption("--node <name>", "the owner node (e.g. owner1)")
  .requiredOption("--reason <text>", "why (kept with the decision)")
  .action(async (id: string, o: { node: string; reason: string }) => {
    await withSdk(g(), async (cm) => {
      const t = await cm.inbox.deny(o.node, taskId(id), o.reason);
      print(t, `task ${t.taskId} denied on ${o.node}: ${t.reason}`);
    });
  });

/** A policy file's JSON (the node checks the fields). */
function policyFile(file: string): unknown {
  const path = resolve(file);
  if (!existsSync(path)) throw usage(`${file} does not exist`);
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw usage(`${file} is not JSON: ${(e as Error).message}`);
  }
}

function taskId(s: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw usage(`task id must be a positive integer, got "${s}"`);
  return n;
}

async function main(): Promise<number> {
  JSON_OUT = process.argv.includes("--json");
  try {
    await program.parseAsync(process.argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.exitCode === 0 ? 0 : 2;
    const [code, msg] =
      e instanceof Exit
        ? [e.code, e.message]
        : e instanceof SpecError || e instanceof ProfileError
          ? [1 as const, e.message]
          : e instanceof NodeApiError
            ? [1 as const, e.message]
            : e instanceof ConnectorError
              ? [1 as const, e.message]
              : [1 as const, (e as Error).stack ?? String(e)];
    if (msg) {
      if (JSON_OUT) process.stdout.write(JSON.stringify({ error: msg, exit: code }) + "\n");
      process.stderr.write(`error: ${msg}\n`);
    }
    return code;
  }
}

process.exit(await main());
