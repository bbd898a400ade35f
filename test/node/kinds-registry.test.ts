import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { TASK_KINDS, isKindOf, kindDef } from "../../protocol/src/tasks/registry.js";
import { parseTaskSpec } from "../../protocol/src/taskspec.js";
import { vlinregRounds } from "../../protocol/src/tasks/vlinreg/index.js";
import { columnsOf } from "../../node/src/runtime/dataset-policy.js";
import { NODE_KINDS } from "../../node/src/runtime/kinds/registry.js";
import { CONTRIBUTION_CIRCUITS, parseContributionSignals } from "../../protocol/src/contributions.js";
import { CIRCUITS, checkKindCircuits } from "../../circuits/registry.js";
import { membersRead } from "../../chain-connector/src/http/authz.js";
import { Phase } from "../../protocol/src/phases.js";

/** The node-side registry and the protocol's list of kinds describe the same kinds. */
test("NODE_KINDS covers exactly the protocol's TASK_KINDS, once each", () => {
  const node = NODE_KINDS.map((h) => h.kind);
  assert.equal(new Set(node).size, node.length, `a kind has two node handlers: ${node.join(", ")}`);
  assert.deepEqual([...node].sort(), TASK_KINDS.map((k) => k.name).sort());
});

test("each handler implements the backends of its kind's family", () => {
  for (const h of NODE_KINDS) {
    const def = kindDef(h.kind)!;
    if (def.family === "federated")
      assert.deepEqual([...h.aggregations].sort(), ["paillier", "plain", "secagg"], `${h.kind} is federated: it must run on every aggregation backend`);
    else assert.ok(h.aggregations.length > 0, `${h.kind} names no aggregation`);
    if (def.family === "outsourced") assert.equal(h.needsData, false, `${h.kind}: outsourced workers hold no rows`);
  }
});

test("the proof parts name built circuits with the kind's public-input layout; the connector's read rules come from the kinds", () => {
  checkKindCircuits();
  for (const k of TASK_KINDS) {
    if (!("proof" in k) || !k.proof) {
      assert.equal((CONTRIBUTION_CIRCUITS as Record<string, string>)[k.name], undefined);
      continue;
    }
    assert.equal(CONTRIBUTION_CIRCUITS[k.name], k.proof.circuit);
    assert.deepEqual(CIRCUITS.find((c) => c.name === k.proof.circuit)!.publicSignals, [...k.proof.publicInputs]);
  }
  // pca is federated: with secagg its members read each other's Setup and Compute messages, as stats' do.
  for (const kind of ["stats", "pca"]) {
    assert.equal(membersRead({ kind, aggregation: "secagg" }, Phase.Setup), "round");
    assert.equal(membersRead({ kind, aggregation: "plain" }, Phase.Compute), "none");
    // paillier: members sum each other's sealed ciphertexts in Aggregate; the sums are for the requester only.
    assert.equal(membersRead({ kind, aggregation: "paillier" }, Phase.Compute), "round");
    assert.equal(membersRead({ kind, aggregation: "paillier" }, Phase.Aggregate), "none");
  }
  assert.equal(membersRead({ kind: "vlinreg", aggregation: "plain" }, Phase.Compute), "task");
  assert.equal(membersRead({ kind: "sknn", aggregation: "plain" }, Phase.Compute), "none");
});

test("proof public signals are read by each kind's declared layout", () => {
  const s = [11n, 12n, 13n, 14n, 15n, 16n];
  assert.deepEqual(parseContributionSignals("stats", s), { commitment: { x: 11n, y: 12n }, extrema: 13n, chunkIndex: 14, binding: 15n, root: 16n });
  for (const kind of ["kmeans", "linreg", "logreg"] as const)
    assert.deepEqual(parseContributionSignals(kind, s.map(String)), { commitment: { x: 11n, y: 12n }, chunkIndex: 13, paramsHash: 14n, binding: 15n, root: 16n });
  assert.throws(() => parseContributionSignals("stats", s.slice(1)), /a stats proof has 6 public signals, got 5/);
  assert.throws(() => parseContributionSignals("pca" as never, s), /kind pca has no contribution circuit/);
});

// ------------------------------------------------------------------ layout: a kind is a folder plus a registry line

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TASKS = "protocol/src/tasks";
const NODE = "node/src/runtime/kinds";
/** Folders beside the kinds' that hold what a family shares. */
const SHARED = "shared";

test("every kind is one folder on each side, exporting what the registries list; nothing else sits beside them", async () => {
  const names = TASK_KINDS.map((k) => k.name);
  for (const [dir, files] of [
    [TASKS, ["caps.ts", "index.ts", "kind.ts", "privacy.ts", "registry.ts"]],
    [NODE, ["registry.ts"]],
  ] as const) {
    const entries = readdirSync(join(ROOT, dir), { withFileTypes: true });
    const folders = entries.filter((e) => e.isDirectory()).map((e) => e.name);
    assert.deepEqual(folders.filter((f) => f !== SHARED).sort(), [...names].sort(), `${dir}: one folder per kind of TASK_KINDS, and ${SHARED}/`);
    // a kind's code in a flat file beside the registry would not be a folder: only the framework's files are there
    assert.deepEqual(
      entries
        .filter((e) => e.isFile())
        .map((e) => e.name)
        .sort(),
      [...files].sort(),
      `${dir}: no kind code outside the kind folders`,
    );
  }
  for (const def of TASK_KINDS) {
    const proto = (await import(pathToFileURL(join(ROOT, TASKS, def.name, "index.ts")).href)) as Record<string, unknown>;
    assert.ok(Object.values(proto).includes(def), `${TASKS}/${def.name}/index.ts exports the registry's ${def.name} definition`);
    const node = (await import(pathToFileURL(join(ROOT, NODE, def.name, "index.ts")).href)) as Record<string, unknown>;
    const handler = NODE_KINDS.find((h) => h.kind === def.name);
    assert.ok(Object.values(node).includes(handler), `${NODE}/${def.name}/index.ts exports the node registry's ${def.name} handler`);
  }
});

/**
 * Modules outside the kind folders read kinds from the registries, never by name: no `case
 * "kmeans":`, no `kind === "vlinreg"`, no `.includes("sknn")`. The files listed here still do,
 * each for a reason; an entry that no longer matches must go.
 */
const PENDING: Record<string, string> = {
  // The Groth16 JS twins and the commitment sizes of the contribution circuits: replaced with the
  // proof system (issue 11), whose witness builders are dispatched through the registry.
  "protocol/src/contributions.ts": "Groth16 JS twin, issue 11",
  "node/src/zk/contributions.ts": "Groth16 witness builders, issue 11",
  "node/src/zk/honk-contributions.ts": "UltraHonk witness builders, issue 11",
  "node/src/zk/honk-proven.ts": "UltraHonk contribution layout, issue 11",
  "protocol/src/honk/stats.ts": "UltraHonk JS twin of the contribution vectors, issue 11",
};

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) {
      if (e.name !== "node_modules" && e.name !== "build" && e.name !== "dist") out.push(...sources(rel));
    } else if (/\.(ts|tsx|mts)$/.test(e.name) && !e.name.endsWith(".d.ts")) out.push(rel);
  }
  return out;
}

test("no module outside the kind folders switches on a built-in kind's name", () => {
  const names = TASK_KINDS.map((k) => k.name).join("|");
  const q = "[\"'`]";
  const patterns = [
    new RegExp(`\\bcase\\s+${q}(${names})${q}\\s*:`),
    new RegExp(`[!=]==?\\s*${q}(${names})${q}`),
    new RegExp(`${q}(${names})${q}\\s*[!=]==?`),
    new RegExp(`\\.includes\\(\\s*${q}(${names})${q}`),
  ];
  const kindFolder = new RegExp(`^(${TASKS}|${NODE})/(${names})/`);
  const files = ["protocol/src", "chain-connector/src", "node/src", "scripts", "bench", "dash/src", "circuits"].flatMap(sources).filter((f) => !kindFolder.test(f));
  assert.ok(files.length > 100, `scanned ${files.length} files`);
  const found = new Map<string, string[]>();
  for (const f of files) {
    const lines = readFileSync(join(ROOT, f), "utf8").split("\n");
    const hits = lines.flatMap((l, i) => (patterns.some((p) => p.test(l)) ? [`${f}:${i + 1}: ${l.trim()}`] : []));
    if (hits.length) found.set(f, hits);
  }
  const offending = [...found].filter(([f]) => !(f in PENDING)).flatMap(([, h]) => h);
  assert.deepEqual(offending, [], "read the kind from the registry (kindDef(kind).family, its columns/mapNodes/roundsFor/template, NODE_KINDS) instead of naming it");
  const stale = Object.keys(PENDING).filter((f) => !found.has(f));
  assert.deepEqual(stale, [], "these no longer name a kind: remove them from PENDING");
  // the scan itself finds what it looks for
  assert.ok(patterns[0].test('    case "kmeans":') && patterns[1].test('if (spec.kind === "vlinreg")') && patterns[3].test('kinds.includes("sknn")'));
});

test("what the SDK, cm and dataset policies ask of a kind comes from its definition", () => {
  // every kind that reads its members' columns says which, or a dataset policy with allowedColumns refuses it
  for (const k of TASK_KINDS) if (k.family !== "outsourced") assert.ok(Object.hasOwn(k, "columns"), `${k.name} declares the columns it reads`);
  const me = "0x00000000000000000000000000000000000000aa";
  const other = "0x00000000000000000000000000000000000000bb";
  const pca = parseTaskSpec({ kind: "pca", requester: other, datasets: [{ owner: me, datasetId: "d" }], params: { columns: ["a", "b"], k: 1 } });
  assert.deepEqual(columnsOf(pca, me), ["a", "b"]);
  const lin = parseTaskSpec({ kind: "logreg", requester: other, datasets: [{ owner: me, datasetId: "d" }], params: { features: ["a"], target: "y" } });
  assert.deepEqual(columnsOf(lin, me), ["a", "y"]);

  // params naming nodes: outsourced workers and vlinreg's parties, nothing else
  const up = (n: unknown) => (n === "w1" ? other : n);
  assert.deepEqual(kindDef("sknn")!.mapNodes!({ workers: ["w1", me], queries: 2 }, up), { workers: [other, me], queries: 2 });
  assert.deepEqual(kindDef("vlinreg")!.mapNodes!({ label: { owner: "w1", column: "y" }, features: [{ name: "x1", owner: "w1", columns: ["a"] }] }, up), {
    label: { owner: other, column: "y" },
    features: [{ name: "x1", owner: other, columns: ["a"] }],
  });
  assert.equal(Object.hasOwn(kindDef("stats")!, "mapNodes"), false);
  assert.ok(isKindOf("dbskmeans", "outsourced") && !isKindOf("kmeans", "outsourced") && !isKindOf(undefined, "outsourced"));
  assert.equal(kindDef("vlinreg")!.roundsFor!({ iterations: 5 }), vlinregRounds(5, "label"));
  assert.deepEqual(kindDef("vlinreg")!.template!.forOwners!(["o1"]), {}, "one owner cannot be label and feature party");
  assert.equal((kindDef("vlinreg")!.template!.forOwners!(["o1", "o2", "o3"]).features as unknown[]).length, 2);
});
