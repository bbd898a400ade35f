/**
 * The browser's re-check of one UltraHonk-proven contribution (the envelope of
 * node/src/zk/honk-proven.ts), step by step as the requester's node checks it: the blob is the one
 * recorded, its proof list is the recorded commitment, every group proof opens the member's
 * registered dataset root under this round's binding, and every proof verifies against the kind's
 * committed verification key. The proof check itself is passed in (`verify`: bb.js' WASM in the
 * worker), so the steps before it are plain functions of their inputs.
 */
import { outputsCommitment, roundBinding } from "../../protocol/src/binding.js";
import { keccakHex } from "../../protocol/src/hash.js";
import { proofListTree } from "../../protocol/src/honk/prooflist.js";

export interface HonkInfo {
  kind: string;
  circuit: string;
  publicInputs: string[];
  chunkRows: number;
  chunksPerProof: number;
  vk: string;
  crs: { g1: string; g2: string };
}

export interface RecheckInput {
  blob: Uint8Array;
  /** What the chain (or the coordinator) recorded for the submission. */
  blobHash: string;
  commitment: string;
  member: string;
  taskId: number;
  round: number;
  bindingDomain: { taskManager: string; chainId: string };
  /** The member's registered versions of the dataset the task names (root and rows, from DatasetCommitted). */
  datasets: { root: string; rows: number; version: number }[];
  honk: HonkInfo;
}

export interface RecheckResult {
  ok: boolean;
  /** Every check that passed, in order; on a failure the last entry is what failed. */
  steps: string[];
  groups: number;
  error?: string;
}

export type ProofCheck = (proof: Uint8Array, publicInputs: Uint8Array[]) => boolean;

export const hexBytes = (h: string): Uint8Array<ArrayBuffer> => {
  const s = h.startsWith("0x") ? h.slice(2) : h;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
};

class Fail extends Error {}

export function recheckHonk(x: RecheckInput, verify: ProofCheck): RecheckResult {
  const steps: string[] = [];
  let groups = 0;
  const check = (ok: boolean, what: string, why: string) => {
    if (!ok) throw new Fail(`${what}: ${why}`);
    steps.push(what);
  };
  try {
    check(keccakHex(x.blob).toLowerCase() === x.blobHash.toLowerCase(), "blob hash", `the blob served does not hash to the recorded ${x.blobHash}`);
    let env: { v?: number; kind?: string; circuit?: string; groups?: { proof?: unknown; publicInputs?: unknown }[] };
    try {
      env = JSON.parse(new TextDecoder().decode(x.blob)) as typeof env;
    } catch {
      throw new Fail("envelope: the contribution is not JSON (not an UltraHonk-proven contribution)");
    }
    const n = x.honk.publicInputs.length;
    check(env?.v === 1 && env.kind === "fed/honk" && Array.isArray(env.groups) && env.groups.length > 0, "envelope", "not a fed/honk envelope with group proofs");
    check(env.circuit === x.honk.circuit, `circuit ${x.honk.circuit}`, `the proofs are for ${env.circuit}; the task's kind ${x.honk.kind} uses ${x.honk.circuit}`);
    const list = env.groups!.map((g, k) => {
      if (typeof g.proof !== "string" || !/^([0-9a-f]{2})+$/.test(g.proof) || !Array.isArray(g.publicInputs) || g.publicInputs.length !== n)
        throw new Fail(`group ${k}: a proof is hex bytes with ${n} public inputs`);
      const pis = g.publicInputs as unknown[];
      if (!pis.every((p) => typeof p === "string" && /^0x[0-9a-f]{64}$/.test(p))) throw new Fail(`group ${k}: public inputs are 0x-prefixed 32-byte words`);
      return { proof: hexBytes(g.proof), publicInputs: pis as string[] };
    });
    groups = list.length;
    check(proofListTree(list).root === x.commitment.toLowerCase(), "commitment", "the recorded commitment is not the Merkle root of the proof list");
    const at = (name: string) => x.honk.publicInputs.indexOf(name);
    const root = list[0].publicInputs[at("root")];
    const ds = x.datasets.find((d) => d.root.toLowerCase() === root);
    check(!!ds, "dataset root", `the proofs' root ${root} is not a registered version of the member's dataset`);
    const expected = Math.ceil(Math.ceil(ds!.rows / x.honk.chunkRows) / x.honk.chunksPerProof);
    check(list.length === expected, `${expected} group(s) cover ${ds!.rows} rows`, `${list.length} group proofs for ${ds!.rows} rows`);
    const outAt = x.honk.publicInputs.findIndex((p) => p.startsWith("commitment"));
    list.forEach((g, k) => {
      if (BigInt(g.publicInputs[at("group")]) !== BigInt(k)) throw new Fail(`group ${k}: proves group ${BigInt(g.publicInputs[at("group")])}`);
      if (g.publicInputs[at("root")] !== root) throw new Fail(`group ${k}: proves rows under another root`);
      const binding = roundBinding({ ...x.bindingDomain, taskId: x.taskId, round: x.round, member: x.member, commitment: outputsCommitment(g.publicInputs.slice(outAt)) });
      if (BigInt(g.publicInputs[at("binding")]) !== binding) throw new Fail(`group ${k}: binding: the proof is bound to another task, round or member`);
    });
    steps.push("groups, root and round binding");
    list.forEach((g, k) => {
      let ok: boolean;
      let why = "";
      try {
        ok = verify(g.proof, g.publicInputs.map(hexBytes));
      } catch (e) {
        // bb refuses some malformed proofs (a point off the curve) by throwing rather than answering false.
        ok = false;
        why = ` (${e instanceof Error ? e.message : String(e)})`;
      }
      if (!ok) throw new Fail(`group ${k}: the UltraHonk proof does not verify against the ${x.honk.circuit} verification key${why}`);
    });
    steps.push(`UltraHonk proof${list.length > 1 ? "s" : ""} verified`);
    return { ok: true, steps, groups };
  } catch (e) {
    return { ok: false, steps, groups, error: e instanceof Error ? e.message : String(e) };
  }
}
