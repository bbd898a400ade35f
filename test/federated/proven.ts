import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Wallet } from "ethers";
import { x25519 } from "@noble/curves/ed25519.js";
import { openSealed, sealTo } from "../../node/src/crypto/sealedbox.js";
import { sealContext } from "../../node/src/runtime/aggregation/sealed.js";
import { canonicalJson } from "../../protocol/src/canonical.js";
import { encodeNpy } from "../../node/src/data/npy.js";
import type { Table } from "../../node/src/data/table.js";
import { submitFederated, type RunningNode } from "../../node/src/index.js";
import type { TaskKindHandler } from "../../node/src/runtime/handler.js";
import { kmeansHandler } from "../../node/src/runtime/kinds/kmeans/index.js";
import { linregHandler, regressionPartial, regressionStep, type Link } from "../../node/src/runtime/kinds/linreg/index.js";
import { statsHandler } from "../../node/src/runtime/kinds/stats/index.js";
import { logregHandler } from "../../node/src/runtime/kinds/logreg/index.js";
import { regressionParams } from "../../protocol/src/tasks/linreg/index.js";
import { IRIS_COLS, REG_COLS, irisTables, linregTables, logregTables } from "./reference.js";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const built = existsSync(join(ROOT, "types/ethers-contracts/index.ts"));

/**
 * Proven contributions end to end: every owner proves every chunk of its committed dataset with
 * its kind's contribution circuit (circuits/*_chunk), the sampled chunk is checked at submission
 * (TaskManager for "onchain", the connector for "offchain"), the requester checks every chunk and
 * that the aggregate opens the sum of the Pedersen commitments. Results are compared with the
 * plaintext computation on the union (the circuits read rows in fixed point at 2^-16, so the
 * tolerances allow for that rounding). Datasets are kept small: a proof costs ~15 CPU-seconds.
 */

/** Owner i's datasets: iris (50 rows: two stats chunks of 32), iris30 (its first 30 rows: one chunk), lin and log (one chunk of 64). */
export function proofDatasets(i: number): Record<string, Table> {
  const iris = irisTables(3)[i];
  return { iris, iris30: { columns: IRIS_COLS, rows: iris.rows.slice(0, 30) }, lin: linregTables(3)[i], log: logregTables(3)[i] };
}

export async function writeDatasets(file: (name: string, b: Uint8Array) => Promise<string>, name: string, tables: Record<string, Table>) {
  const out = [];
  for (const [ds, t] of Object.entries(tables)) out.push({ name: ds, path: await file(`${name}-${ds}.npy`, encodeNpy(t.rows)), format: "npy" as const, columns: t.columns });
  return out;
}

export function plainStats(rows: number[][], j: number) {
  const xs = rows.map((r) => r[j]);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { count: xs.length, mean, variance: xs.reduce((a, b) => a + b * b, 0) / xs.length - mean * mean };
}

/** The circuits' logistic link: the hard sigmoid clamp(1/2 + z/4, 0, 1) (circuits/README.md). */
export const hardSigmoidLink: Link = (z, y) => [0, Math.min(1, Math.max(0, 0.5 + z / 4)) - y, 0];

/** Plaintext gradient descent on the union, `rounds` steps from zero weights, as the kinds step. */
export function gdReference(rows: number[][], link: Link, params: Record<string, unknown>, rounds: number): number[] {
  const p = regressionParams.parse(params);
  let w = [0, 0, 0, 0];
  for (let r = 0; r < rounds; r++) w = regressionStep(p, regressionPartial(p, link, rows, w), w).weights;
  return w;
}

/** Submits a task over the three owners' `dataset` from the requester; `cheat` marks it for owner 2 (see cheating). */
export function submitProven(
  R: RunningNode,
  ws: Wallet[],
  t: { kind: string; aggregation: string; verification: string; dataset: string; params: Record<string, unknown>; rounds: number; cheat?: Cheat; deadline?: number },
) {
  return submitFederated(
    R,
    {
      kind: t.kind,
      ...(t.cheat ? { nonce: `cheat:${t.cheat}` } : {}),
      aggregation: t.aggregation as "plain",
      verification: t.verification as "offchain",
      datasets: ws.slice(0, 3).map((w) => ({ owner: w.address, datasetId: t.dataset })),
      params: t.params,
      rounds: t.rounds,
      members: { min: 3, max: 3, threshold: 2 },
      ...(t.deadline ? { deadlines: { join: t.deadline, setup: t.deadline, compute: t.deadline, aggregate: t.deadline } } : {}),
    },
    { paillierBits: 1024 },
  );
}

export const CHEATERS = [statsHandler, kmeansHandler, linregHandler, logregHandler].map(cheating);

export const REG = { features: REG_COLS.slice(0, 3), target: "y", method: "gd", learningRate: 0.1 };

export type Cheat = "vector" | "chunk" | "sampled" | "replay";

/**
 * An owner that proves honestly and then cheats as the task's nonce says ("cheat:<how>"): a vector
 * other than the proven one, a corrupt non-sampled chunk proof, a corrupt sampled proof, or in
 * round 2 its round-1 submission again (proofs bound to round 1).
 */
export function cheating(inner: TaskKindHandler): TaskKindHandler {
  const sent = new Map<string, Awaited<ReturnType<TaskKindHandler["contribute"]>>>();
  return {
    ...inner,
    async contribute(ctx) {
      const how = /^cheat:(\w+)$/.exec(ctx.spec.nonce)?.[1] as Cheat | undefined;
      if (how === "replay" && ctx.round > 1) return sent.get(`${ctx.taskId}`)!;
      // Under plain the body is sealed to the requester: the vector cheat seals it to a key of its
      // own first, so it can change the plaintext and seal that to the requester.
      const own = x25519.utils.randomSecretKey();
      const s = await inner.contribute(how === "vector" ? { ...ctx, requesterKey: async () => x25519.getPublicKey(own) } : ctx);
      sent.set(`${ctx.taskId}`, s);
      if (!how || how === "replay") return s;
      const env = JSON.parse(new TextDecoder().decode(s.payload)) as { body: string; chunks: { proof: { a: [string, string] } }[] };
      if (how === "vector") {
        // a different first value (the count) than the proven one, in the plain body
        const context = sealContext(ctx, ctx.self);
        const body = JSON.parse(Buffer.from(openSealed(own, Buffer.from(env.body, "hex"), context)).toString()) as { values: string[] };
        body.values[0] = String(BigInt(body.values[0]) + 1n);
        env.body = Buffer.from(sealTo(await ctx.requesterKey(), new TextEncoder().encode(canonicalJson(body)), context)).toString("hex");
      }
      if (how === "chunk") {
        // corrupt a chunk other than the sampled one (whose proof the connector checks)
        const sampled = env.chunks.findIndex((c) => JSON.stringify(c.proof) === JSON.stringify(s.proof));
        const k = sampled === 0 ? 1 : 0;
        env.chunks[k].proof.a = [env.chunks[k].proof.a[0], (BigInt(env.chunks[k].proof.a[1]) + 1n).toString()];
      }
      const payload = new TextEncoder().encode(canonicalJson(env));
      if (how === "sampled") return { ...s, payload, proof: { ...s.proof!, a: [s.proof!.a[0], (BigInt(s.proof!.a[1]) + 1n).toString()] } };
      return { ...s, payload };
    },
  };
}
