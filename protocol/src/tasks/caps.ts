import { z } from "zod";

/**
 * Every bound a task spec is checked against, in one place. A spec is public input from any
 * requester and each of these numbers multiplies the work (or memory) of every node that joins,
 * so each is capped well above what a real task needs and well below what stalls a node.
 * Errors name the cap: "params.k must be at most 64 (cap MAX_CLUSTERS); lower k".
 */
export const CAPS = {
  /** Columns a federated task reads (stats columns, kmeans columns, regression features). */
  MAX_COLUMNS: 256,
  /** Columns of a PCA task: a member's contribution has d(d+1)/2 + d + 1 values (2,145 at 64). */
  MAX_PCA_COLUMNS: 64,
  /** Clusters (kmeans initial centroids, skmeans k). */
  MAX_CLUSTERS: 64,
  /** Query rows of an sknn task. */
  MAX_QUERIES: 10_000,
  /** Iterations inside one outsourced task (skmeans maxIterations). */
  MAX_ITERATIONS: 1_000,
  /** Gradient iterations of a vertical task. */
  MAX_VERTICAL_ITERATIONS: 2_000,
  /** Workers named by an outsourced task. */
  MAX_WORKERS: 16,
  /** Chunks of an outsourced owner's message. */
  MAX_CHUNKS: 256,
  /** Feature parties of a vertical task. */
  MAX_PARTIES: 16,
  /** Rounds of one task. */
  MAX_ROUNDS: 10_000,
  /** Members of one round. */
  MAX_MEMBERS: 1_000,
  /** Dataset references of one task. */
  MAX_DATASETS: 256,
  /** Characters of a name (column, dataset, party, target) and of the spec nonce. */
  MAX_NAME_CHARS: 128,
  /** Hex digits of a Paillier modulus (8192 bits). */
  MAX_MODULUS_HEX: 2_048,
  /** Bytes of a whole spec in canonical JSON. */
  MAX_SPEC_BYTES: 256 * 1024,
  /** Nesting depth of a spec (objects and arrays). */
  MAX_DEPTH: 32,
} as const;

/** "params.k must be at most 64 (cap MAX_CLUSTERS); lower k" */
export function capMessage(field: string, cap: keyof typeof CAPS, fix: string): string {
  return `${field} must be at most ${CAPS[cap]} (cap ${cap}); ${fix}`;
}

/**
 * Nesting depth of a JSON value, without recursion (a body nested 20,000 deep must be measured,
 * not overflow the stack). Stops counting once `limit` is passed.
 */
export function jsonDepth(value: unknown, limit = Number.MAX_SAFE_INTEGER): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (d > max) max = d;
    if (max > limit) return max;
    for (const x of Object.values(v)) if (x !== null && typeof x === "object") stack.push([x, d + 1]);
  }
  return max;
}

/** A name (column, target, party): 1 to MAX_NAME_CHARS characters. */
export function nameString(what: string) {
  return z.string().min(1, `${what} must not be empty`).max(CAPS.MAX_NAME_CHARS, `${what} must be at most ${CAPS.MAX_NAME_CHARS} characters (cap MAX_NAME_CHARS); shorten it`);
}

/** A list of distinct column names, at least one, at most MAX_COLUMNS. */
export function columnList(field: string) {
  return z
    .array(nameString(`each of ${field}`))
    .min(1, `${field} must name at least one column`)
    .max(CAPS.MAX_COLUMNS, capMessage(field, "MAX_COLUMNS", "use fewer columns"))
    .superRefine((cols, ctx) => {
      const seen = new Set<string>();
      for (const [i, c] of cols.entries()) {
        if (seen.has(c)) ctx.addIssue({ code: "custom", path: [i], message: `${field} names column "${c}" twice; list each column once` });
        seen.add(c);
      }
    });
}
