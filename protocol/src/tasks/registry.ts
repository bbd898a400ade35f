import { z } from "zod";
import type { KindFamily, TaskKindDef } from "./kind.js";
import { statsTaskKind } from "./stats/index.js";
import { kmeansTaskKind } from "./kmeans/index.js";
import { linregTaskKind } from "./linreg/index.js";
import { logregTaskKind } from "./logreg/index.js";
import { pcaTaskKind } from "./pca/index.js";
import { skmeansTaskKind } from "./skmeans/index.js";
import { dbskmeansTaskKind } from "./dbskmeans/index.js";
import { sknnTaskKind } from "./sknn/index.js";
import { dbsnncTaskKind } from "./dbsnnc/index.js";
import { vlinregTaskKind } from "./vlinreg/index.js";

/**
 * Every task kind, in one explicit list: adding a kind is its folder plus one line here (and its
 * node-side handlers in node/src/runtime/kinds/registry.ts, which a test checks against this list).
 * Task kinds are declarative: nothing executable ever travels in a spec; nodes map the name to
 * the math they run.
 */
export const TASK_KINDS = [
  statsTaskKind,
  kmeansTaskKind,
  linregTaskKind,
  logregTaskKind,
  pcaTaskKind,
  skmeansTaskKind,
  dbskmeansTaskKind,
  sknnTaskKind,
  dbsnncTaskKind,
  vlinregTaskKind,
] as const;

export type KindName = (typeof TASK_KINDS)[number]["name"];
/** The kinds of one family (e.g. "skmeans" | "dbskmeans" | "sknn" | "dbsnnc" for "outsourced"). */
export type KindNameOf<F extends KindFamily> = Extract<(typeof TASK_KINDS)[number], { family: F }>["name"];
/** The definition of kind `K`, with its params type. */
export type KindDefOf<K extends KindName> = Extract<(typeof TASK_KINDS)[number], { name: K }>;
/** The parsed params of kind `K`. */
export type ParamsOf<K extends KindName> = KindDefOf<K> extends TaskKindDef<K, infer P> ? P : never;
/** Kinds whose Compute contribution has a circuit. */
export type ProvenKindName = Extract<(typeof TASK_KINDS)[number], { proof: object }>["name"];

type AnyKind = TaskKindDef;
const byName = new Map<string, AnyKind>();
for (const k of TASK_KINDS as readonly unknown[] as readonly AnyKind[]) {
  if (byName.has(k.name)) throw new Error(`task kind ${k.name} is listed twice in TASK_KINDS`);
  byName.set(k.name, k);
}
const builtin = new Set(byName.keys());

/**
 * Adds an operator's own kind (a node started with its own handler, as the runtime tests do) at
 * start-up, called explicitly by whoever runs it; the built-in kinds are the list above. Members
 * read nothing of each other's contributions unless the connector is given read rules for it
 * (ConnectorServer's memberReads); its result is not checked.
 */
export function defineTaskKind(name: string, params: z.ZodType, extra: Partial<Omit<AnyKind, "name" | "params">> = {}): void {
  if (byName.has(name)) throw new Error(`task kind ${name} is defined twice`);
  byName.set(name, { name, params, family: "federated", summary: `${name} (an operator's own kind)`, result: z.unknown(), privacy: false, memberReads: () => "none", ...extra });
}

/** Whether `kind` is one of TASK_KINDS (not added with defineTaskKind). */
export function isBuiltinKind(kind: string): boolean {
  return builtin.has(kind);
}

export function knownKinds(): string[] {
  return [...byName.keys()];
}

/** Whether `kind` names a kind of `family` (built in or an operator's own). */
export function isKindOf(kind: unknown, family: KindFamily): boolean {
  return typeof kind === "string" && byName.get(kind)?.family === family;
}

/** A kind's definition, or undefined for a name no kind has. */
export function kindDef(kind: string): TaskKindDef | undefined {
  return byName.get(kind);
}

export function paramsSchemaFor(kind: string): z.ZodType | undefined {
  return byName.get(kind)?.params;
}

/** Kind name → contribution circuit, for every kind with a proof part. */
export function provenKinds(): { kind: ProvenKindName; circuit: string }[] {
  return TASK_KINDS.flatMap((k) => ("proof" in k && k.proof ? [{ kind: k.name, circuit: k.proof.circuit }] : []));
}
