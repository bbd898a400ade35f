import { canonicalJson } from "../../../protocol/src/canonical.js";
import { outputsCommitment } from "../../../protocol/src/binding.js";
import { extremaChainError, type ExtremaLink } from "../../../protocol/src/honk/stats.js";
import type { ChunkedDataset } from "../../../protocol/src/honk/chunks.js";
import { verifyHonk } from "../../../chain-connector/src/honkverify.js";
import { sealTo } from "../crypto/sealedbox.js";
import { sealContext } from "../runtime/aggregation/sealed.js";
import type { MemberContext, RoundContext } from "../runtime/handler.js";
import { honkShape, proveHonkAll } from "./honk-contributions.js";

/**
 * Proven per-column min and max of a Honk stats contribution. min/max do not add, so they travel
 * beside the aggregation backend: the member proves its dataset with the chained minmax circuit
 * (each group folds its rows into the previous group's extrema hash, so the last output commits to
 * the extrema of every row; circuits/README.md) and sends the proofs in its envelope with one
 * opening (mins, maxs, blinding) sealed to the requester. Anyone holding the blob checks the
 * proofs and the chain; only the requester opens the box and checks it against the last output.
 * The blob's hash is recorded on-chain, so the proofs and the box are fixed with the submission.
 */
export interface HonkExtremaEntry {
  groups: { proof: string; publicInputs: string[] }[];
  /** hex of the opening sealed to the requester (sealContext phase EXTREMA_PHASE). */
  sealed: string;
}

export const EXTREMA_PHASE = "extrema";

const word = (x: bigint) => "0x" + x.toString(16).padStart(64, "0");

/** Member side: proves the chain over every group of `ds` and seals the opening of its last link to the requester. */
export async function proveHonkExtrema(ctx: MemberContext, ds: ChunkedDataset): Promise<HonkExtremaEntry> {
  const c = await proveHonkAll({ kind: "minmax", ds, binding: (outputs) => ctx.binding(outputsCommitment(outputs), ctx.self) });
  const last = c.extrema!;
  const opening = { mins: last.mins.map(String), maxs: last.maxs.map(String), blinding: last.blinding.toString() };
  const box = sealTo(await ctx.requesterKey(), new TextEncoder().encode(canonicalJson(opening)), sealContext(ctx, ctx.self, EXTREMA_PHASE));
  return {
    groups: c.groups.map((g) => ({ proof: Buffer.from(g.proof).toString("hex"), publicInputs: g.publicInputs.map(word) })),
    sealed: Buffer.from(box).toString("hex"),
  };
}

/** What a checked extrema entry proves: the last chained output and the box only the requester opens. */
export interface CheckedExtrema {
  last: bigint;
  sealed: Uint8Array;
  width: number;
}

/**
 * Everyone's side: the minmax proofs of a member's dataset (`root`, `columns`, `rows` rows) are
 * groups 0..G−1 chained from 0, each bound to this task, round and member and verifying. Throws the reason.
 */
export async function checkHonkExtrema(
  ctx: RoundContext,
  member: string,
  e: HonkExtremaEntry | undefined,
  dataset: { root: bigint; columns: number; rows: number },
): Promise<CheckedExtrema> {
  if (!e || !Array.isArray(e.groups) || typeof e.sealed !== "string" || !/^([0-9a-f]{2})+$/.test(e.sealed))
    throw new Error("a proven stats contribution carries its min/max proofs and the sealed opening (envelope field extrema)");
  const s = honkShape("minmax", dataset.columns);
  const n = s.publicInputs.length;
  const at = (name: string) => s.publicInputs.indexOf(name);
  const expected = Math.ceil(Math.ceil(dataset.rows / s.chunkRows) / s.chunksPerProof);
  if (e.groups.length !== expected)
    throw new Error(
      `${e.groups.length} min/max proofs; the dataset has ${dataset.rows} rows, so ${expected} groups of ${s.chunksPerProof} chunks of ${s.chunkRows} rows must be proven`,
    );
  const links: { group: bigint; prev: bigint; extrema: bigint }[] = [];
  for (const [k, g] of e.groups.entries()) {
    if (
      typeof g?.proof !== "string" ||
      !/^([0-9a-f]{2})+$/.test(g.proof) ||
      !Array.isArray(g.publicInputs) ||
      g.publicInputs.length !== n ||
      !g.publicInputs.every((x) => typeof x === "string" && /^0x[0-9a-f]{64}$/.test(x))
    )
      throw new Error(`min/max group ${k}: a proof is hex bytes with ${n} public inputs as 0x-prefixed 32-byte words`);
    const pi = g.publicInputs.map((x) => BigInt(x));
    if (pi[at("root")] !== dataset.root) throw new Error(`min/max group ${k}: proves rows under another root than the stats proofs`);
    if (pi[at("columns")] !== BigInt(dataset.columns)) throw new Error(`min/max group ${k}: proves ${pi[at("columns")]} columns; the dataset has ${dataset.columns}`);
    const extrema = pi[at("extrema")];
    if (pi[at("binding")] !== ctx.binding(outputsCommitment([extrema]), member)) throw new Error(`min/max group ${k}: the proof is bound to another task, round or member`);
    links.push({ group: pi[at("group")], prev: pi[at("prev")], extrema });
  }
  // The chain before the proofs (cheap first); the opening is checked by the requester (openHonkExtrema).
  const why = chainShape(links);
  if (why) throw new Error(why);
  for (const [k, g] of e.groups.entries())
    if (!(await verifyHonk(s.circuit, { proof: new Uint8Array(Buffer.from(g.proof, "hex")), publicInputs: g.publicInputs.map((x) => BigInt(x)) }, { expectedInputs: n })))
      throw new Error(`min/max group ${k}: the UltraHonk proof does not verify against the ${s.circuit} verification key`);
  return { last: links[links.length - 1].extrema, sealed: new Uint8Array(Buffer.from(e.sealed, "hex")), width: s.width };
}

/** The chain's order and links alone (extremaChainError without an opening). */
function chainShape(links: { group: bigint; prev: bigint; extrema: bigint }[]): string | undefined {
  for (const [g, l] of links.entries()) {
    if (l.group !== BigInt(g)) return `min/max proof ${g} proves group ${l.group}; groups must be 0..${links.length - 1} in order`;
    if (l.prev !== (g === 0 ? 0n : links[g - 1].extrema)) return `min/max group ${g}: its prev is not ${g === 0 ? "0" : `group ${g - 1}'s extrema hash`} (the chain is broken)`;
  }
  return undefined;
}

/**
 * Requester side: opens a member's sealed extrema and checks them against its last proven output.
 * Returns the member's per-column min and max (signed fixed point); throws naming what is wrong.
 */
export function openHonkExtrema(ctx: RoundContext, member: string, x: CheckedExtrema, columns: number): { mins: bigint[]; maxs: bigint[] } {
  let o: ExtremaLink;
  try {
    const j = JSON.parse(new TextDecoder().decode(ctx.openSealed(x.sealed, sealContext(ctx, member, EXTREMA_PHASE)))) as { mins: string[]; maxs: string[]; blinding: string };
    o = { mins: j.mins.map((v) => BigInt(v)), maxs: j.maxs.map((v) => BigInt(v)), blinding: BigInt(j.blinding) };
  } catch (e) {
    throw new Error(`${member}: the sealed min/max opening does not open with the requester's key as this member's (${(e as Error).message})`, { cause: e });
  }
  if (o.mins.length !== columns || o.maxs.length !== columns) throw new Error(`${member}: the min/max opening must hold ${columns} mins and ${columns} maxs`);
  const why = extremaChainError([{ group: 0n, prev: 0n, extrema: x.last }], o, x.width);
  if (why) throw new Error(`${member}: ${why}`);
  return { mins: o.mins, maxs: o.maxs };
}
