import { z } from "zod";
import { defineTaskKind } from "./registry.js";

const owner = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be the party's node address (0x + 40 hex digits)");
const partyName = z.string().regex(/^[A-Za-z0-9_-]+$/, "use letters, digits, _ or -").refine((s) => s !== "y", { message: `"y" is the label party's name` });

/**
 * Vertical (feature-partitioned) linear regression, the fiu-cloud family (node/src/vertical):
 * the label party `y` and feature parties x_1..x_k, each a node holding its columns and a shared
 * id column; rows are aligned by id. Every exchanged table is written once by one party.
 */
export const vlinregParams = z
  .object({
    /** Column holding the row ids in every party's dataset (a numeric column, or the dataset's declared id column). */
    idColumn: z.string().min(1, "params.idColumn must name the shared id column"),
    label: z.object({ owner, column: z.string().min(1, "params.label.column must name the label column") }),
    features: z
      .array(z.object({ name: partyName, owner, columns: z.array(z.string().min(1)).min(1, "a feature party needs at least one column") }))
      .min(1, "params.features must name at least one feature party"),
    /** Gradient iterations (two submission phases each). */
    iterations: z.number().int().min(1).max(2000).default(50),
    /** Paillier modulus bits of each feature party's key. */
    keyBits: z.number().int().min(512).max(4096).default(2048),
    /** Step size α in (0, 2]; default 1/k. */
    learningRate: z.number().gt(0).max(2).optional(),
    /** Heavy-ball momentum in [0, 1); default 0.8 (0 with one feature party). */
    momentum: z.number().min(0).lt(1).optional(),
    /**
     * The requester's X25519 public key (0x + 64 hex digits): the label party seals the model to
     * it, so only the requester can read it. Without it the model travels in the label party's
     * last manifest in plaintext.
     */
    resultKey: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "params.resultKey must be an X25519 public key: 0x + 64 hex digits").optional(),
  })
  .superRefine((p, ctx) => {
    const owners = [p.label.owner, ...p.features.map((f) => f.owner)].map((o) => o.toLowerCase());
    if (new Set(owners).size !== owners.length) ctx.addIssue({ code: "custom", path: ["features"], message: "every party needs its own node: owners must be distinct" });
    const names = p.features.map((f) => f.name);
    if (new Set(names).size !== names.length) ctx.addIssue({ code: "custom", path: ["features"], message: "feature party names must be unique" });
    const cols = p.features.flatMap((f) => f.columns);
    if (new Set(cols).size !== cols.length) ctx.addIssue({ code: "custom", path: ["features"], message: "column names must be unique across feature parties" });
  });
export type VlinregParams = z.infer<typeof vlinregParams>;

/**
 * Submission steps of a run: ids, keys + encrypted rows, cross terms, then per iteration a relay
 * (y) and an update (features), then y's finish. Rounds have Setup, Compute and Aggregate: three steps each.
 */
export function vlinregSteps(iterations: number): number {
  return 2 * iterations + 4;
}

export function vlinregRounds(iterations: number): number {
  return Math.ceil(vlinregSteps(iterations) / 3);
}

defineTaskKind("vlinreg", vlinregParams);
