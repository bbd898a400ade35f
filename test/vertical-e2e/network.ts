import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Wallet } from "ethers";
import { parseTaskSpec, type TaskSpec } from "../../protocol/src/taskspec.js";
import { vlinregRoundsFor } from "../../protocol/src/tasks/vlinreg/index.js";
import type { RunningNode, TaskKindHandler } from "../../node/src/index.js";
import type { NodeHarness } from "../node/harness.js";
import { wallets } from "../node/harness.js";
import { makeVlinregHandler, submitVlinreg as submitTask } from "../../node/src/runtime/kinds/vlinreg/index.js";
import type { TranscriptRecorder } from "../../node/src/vertical/runtime-io.js";
import { rng } from "../vertical/data.js";
import { fingerprints, transcriptLeaks } from "../vertical/leaks.js";

/** A party's data as its node holds it: numeric ids and named columns, rows in the party's own order. */
export interface PartyData {
  ids: number[];
  columns: Record<string, number[]>;
}

export function csv(d: PartyData): string {
  const names = Object.keys(d.columns);
  return ["id," + names.join(","), ...d.ids.map((id, r) => [id, ...names.map((c) => String(d.columns[c][r]))].join(","))].join("\n") + "\n";
}

/** Rows in a seeded random order (ids stay attached), so alignment has work to do. */
export function shuffle(d: PartyData, seed: number): PartyData {
  const r = rng(seed);
  const idx = d.ids.map((_, i) => i);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return { ids: idx.map((i) => d.ids[i]), columns: Object.fromEntries(Object.entries(d.columns).map(([c, v]) => [c, idx.map((i) => v[i])])) };
}

export function cars() {
  const path = join(dirname(createRequire(import.meta.url).resolve("vega-datasets")), "..", "data", "cars.json");
  const all = JSON.parse(readFileSync(path, "utf8")) as Record<string, number | string | null>[];
  const cols = ["Cylinders", "Displacement", "Horsepower", "Weight_in_lbs"];
  const keep = all.map((r, i) => ({ r, id: i })).filter(({ r }) => [...cols, "Miles_per_Gallon"].every((c) => typeof r[c] === "number"));
  return { cols, ids: keep.map((k) => k.id), X: cols.map((c) => keep.map((k) => k.r[c] as number)), y: keep.map((k) => k.r.Miles_per_Gallon as number) };
}

// ml-regression ships no types; only its multivariate least squares is used.
const { MultivariateLinearRegression } = createRequire(import.meta.url)("ml-regression") as {
  MultivariateLinearRegression: new (x: number[][], y: number[][]) => { weights: number[][] };
};

export function ols(cols: number[][], y: number[]): { coef: number[]; intercept: number } {
  const x = y.map((_, r) => cols.map((c) => c[r]));
  const w = new MultivariateLinearRegression(
    x,
    y.map((v) => [v]),
  ).weights.map((row) => row[0]);
  return { coef: w.slice(0, cols.length), intercept: w[cols.length] };
}

export interface Party {
  name: string;
  wallet: Wallet;
  data: PartyData;
  /** Label party: its label column; feature party: its columns are data.columns. */
  label?: string;
}

/** The vlinreg spec input for these parties (each holds dataset `ds`), with the rounds its iterations need. */
export function vlinregInput(
  parties: Party[],
  o: {
    iterations?: number;
    maxIterations?: number;
    tolerance?: number;
    keyHolder?: "label" | "features";
    keyBits?: number;
    learningRate?: number;
    momentum?: number;
    ds?: string;
    certify?: number;
  },
) {
  const label = parties.find((p) => p.label)!;
  const feats = parties.filter((p) => !p.label);
  return {
    datasets: parties.map((p) => ({ owner: p.wallet.address, datasetId: o.ds ?? "vdata" })),
    params: {
      idColumn: "id",
      label: { owner: label.wallet.address, column: label.label },
      features: feats.map((f) => ({ name: f.name, owner: f.wallet.address, columns: Object.keys(f.data.columns) })),
      ...(o.iterations === undefined ? {} : { iterations: o.iterations }),
      ...(o.maxIterations === undefined ? {} : { maxIterations: o.maxIterations }),
      ...(o.tolerance === undefined ? {} : { tolerance: o.tolerance }),
      ...(o.keyHolder === undefined ? {} : { keyHolder: o.keyHolder }),
      keyBits: o.keyBits ?? 1024,
      ...(o.learningRate === undefined ? {} : { learningRate: o.learningRate }),
      ...(o.momentum === undefined ? {} : { momentum: o.momentum }),
      ...(o.certify === undefined ? {} : { certify: o.certify }),
    },
    setup: true,
    rounds: vlinregRoundsFor({ iterations: o.iterations, maxIterations: o.maxIterations, keyHolder: o.keyHolder }),
    // max = number of parties: the join phase closes as soon as all are in; no clock needed.
    members: { min: parties.length, max: parties.length, threshold: parties.length },
  };
}

export function vlinregSpec(requester: string, parties: Party[], o: Parameters<typeof vlinregInput>[1]): TaskSpec {
  return parseTaskSpec({ ...vlinregInput(parties, o), kind: "vlinreg", requester });
}

/** Submits from the requester's node, the model sealed to a result key only that node holds. */
export async function submitVlinreg(R: RunningNode, parties: Party[], o: Parameters<typeof vlinregInput>[1]): Promise<{ taskId: number; spec: TaskSpec }> {
  const { taskId, spec } = await submitTask(R, vlinregInput(parties, o));
  return { taskId, spec };
}

/** The transcript check of test/vertical/leaks.ts over the runtime's recorded deliveries and events of the given nodes. */
export function leaks(rec: TranscriptRecorder, rows: number, byParty: Record<string, number[][]>, nodes: Set<string>): string[] {
  const mine = (node: string) => nodes.has(node.toLowerCase());
  return transcriptLeaks({
    rows,
    prints: fingerprints(byParty),
    deliveries: rec.deliveries.filter((d) => mine(d.node)),
    events: rec.events.filter((e) => mine(e.node)),
    payload: (d) => new TextDecoder().decode(rec.bytes(d.hash)),
  });
}

export function readBy(rec: TranscriptRecorder, party: string, nodes: Set<string>): string[] {
  return [...new Set(rec.deliveries.filter((x) => x.reader === party && nodes.has(x.node.toLowerCase())).map((x) => x.table.replace(/\/\d+\//, "/t/")))].sort();
}

/** What readBy gives in each mode with feature parties x1, x2. */
export const READS = {
  label: {
    x1: ["enc-x/x2", "enc-y/y", "grad/t/x1", "ids/x1", "ids/x2", "ids/y", "pk/y", "xk/x2", "xk/y"],
    x2: ["enc-x/x1", "enc-y/y", "grad/t/x2", "ids/x1", "ids/x2", "ids/y", "pk/y", "xk/x1", "xk/y"],
    y: ["ids/x1", "ids/x2", "ids/y", "lterm/t/x1", "lterm/t/x2", "model/x1", "model/x2", "term/t/x1->x2", "term/t/x2->x1", "xk/x1", "xk/x2"],
  },
  features: {
    x1: ["enc-x/x2", "grad/t/x1", "ids/x1", "ids/x2", "ids/y", "pk/x2"],
    x2: ["enc-x/x1", "grad/t/x2", "ids/x1", "ids/x2", "ids/y", "pk/x1"],
    y: ["enc-x/x1", "enc-x/x2", "ids/x1", "ids/x2", "ids/y", "model/x1", "model/x2", "pk/x1", "pk/x2", "term/t/x1->x2", "term/t/x2->x1"],
  },
};

/** Handlers of a node that runs vlinreg alone, recording its transcript. */
export const vlinregHandlers = (recorder: TranscriptRecorder) => ({ replaceBuiltins: true, handlers: [makeVlinregHandler({ recorder })] as TaskKindHandler[] });

export interface PartyDef {
  name: string;
  data: PartyData;
  label?: string;
}

/**
 * One node per party over the harness, each with its own dataset `vdata`; `run` keeps the names of
 * several networks in one harness apart. `labelRequests` makes the label party the requester too;
 * `wrap` replaces a party's handler (a cheating or crashing party).
 */
export async function partyNodes(
  h: NodeHarness,
  recorder: TranscriptRecorder,
  run: number,
  defs: PartyDef[],
  o: { labelRequests?: boolean; wrap?: Record<string, (h: TaskKindHandler) => TaskKindHandler> } = {},
): Promise<{ ps: Party[]; nodes: RunningNode[] }> {
  const ws = wallets(defs.length);
  const ps: Party[] = defs.map((d, i) => ({ ...d, wallet: ws[i] }));
  const nodes: RunningNode[] = [];
  for (const p of ps) {
    const path = await h.file(`r${run}-${p.name}.csv`, csv(p.data));
    const roles: ("Owner" | "Requester")[] = p.label && o.labelRequests ? ["Owner", "Requester"] : ["Owner"];
    const hs = vlinregHandlers(recorder);
    const wrap = o.wrap?.[p.name];
    if (wrap) hs.handlers = hs.handlers.map(wrap);
    nodes.push(await h.node(`r${run}-${p.name}`, p.wallet, { roles, datasets: [{ name: "vdata", path, format: "csv" }] }, hs));
  }
  return { ps, nodes };
}
