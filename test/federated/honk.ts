import { canonicalJson } from "../../protocol/src/canonical.js";
import { proofListTree } from "../../protocol/src/honk/prooflist.js";
import type { RunningNode } from "../../node/src/index.js";
import { submitFederated } from "../../node/src/index.js";
import type { TaskKindHandler } from "../../node/src/runtime/handler.js";
import { statsHandler } from "../../node/src/runtime/kinds/stats/index.js";
import { kmeansHandler } from "../../node/src/runtime/kinds/kmeans/index.js";
import { linregHandler } from "../../node/src/runtime/kinds/linreg/index.js";
import { logregHandler } from "../../node/src/runtime/kinds/logreg/index.js";
import { proofListEntries, type HonkGroupEntry } from "../../node/src/zk/honk-proven.js";
import type { Wallet } from "ethers";

/**
 * UltraHonk-proven rounds (verification "offchain") end to end: owners commit their datasets by
 * chunks, prove every group with the kind's Honk circuit and commit the root of their proof list;
 * the requester verifies every proof off-chain and that the aggregate opens Σ of the commitments.
 * Iris is 50 rows per owner: one chunk of 256, one group (one proof) per owner and round.
 */

/** Submits a Honk-proven task over the three owners' `dataset`; `cheat` marks it for owner 2. */
export function submitHonk(
  R: RunningNode,
  ws: Wallet[],
  t: { kind: string; aggregation: string; dataset: string; params: Record<string, unknown>; rounds?: number; cheat?: "proof"; deadline?: number },
) {
  return submitFederated(
    R,
    {
      kind: t.kind,
      ...(t.cheat ? { nonce: `cheat:${t.cheat}` } : {}),
      aggregation: t.aggregation as "plain",
      // UltraHonk without a proofSystem field (the only proof system); datasets commit by chunks by default
      verification: "offchain",
      datasets: ws.slice(0, 3).map((w) => ({ owner: w.address, datasetId: t.dataset })),
      params: t.params,
      rounds: t.rounds ?? 1,
      members: { min: 3, max: 3, threshold: 2 },
      ...(t.deadline ? { deadlines: { join: t.deadline, setup: t.deadline, compute: t.deadline, aggregate: t.deadline } } : {}),
    },
    { paillierBits: 1024 },
  );
}

/**
 * An owner that proves honestly and then, in tasks whose nonce is "cheat:proof", changes one byte
 * of its first group proof and commits the root of that altered list: the recorded commitment
 * matches what it sent, so only verifying the proof can catch it.
 */
export function honkCheater(inner: TaskKindHandler): TaskKindHandler {
  return {
    ...inner,
    async contribute(ctx) {
      const s = await inner.contribute(ctx);
      if (ctx.spec.nonce !== "cheat:proof") return s;
      const env = JSON.parse(new TextDecoder().decode(s.payload)) as { groups: HonkGroupEntry[] };
      const p = Buffer.from(env.groups[0].proof, "hex");
      p[p.length - 40] ^= 1;
      env.groups[0].proof = p.toString("hex");
      return { ...s, payload: new TextEncoder().encode(canonicalJson(env)), commitment: proofListTree(proofListEntries(env.groups)).root };
    },
  };
}

/** Owner 2 runs every federated kind, and cheats only in the tasks marked for it. */
export const HONK_CHEATERS = [statsHandler, kmeansHandler, linregHandler, logregHandler].map(honkCheater);
