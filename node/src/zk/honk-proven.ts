import { canonicalJson } from "../../../protocol/src/canonical.js";
import { outputsCommitment } from "../../../protocol/src/binding.js";
import { bytes32ToField } from "../../../protocol/src/commitment.js";
import { keccakHex } from "../../../protocol/src/hash.js";
import { proofListTree, type ProofListEntry } from "../../../protocol/src/honk/prooflist.js";
import type { Commitment } from "../../../protocol/src/honk/pedersen.js";
import { verifyHonk } from "../../../chain-connector/src/honkverify.js";
import { chunkedTable } from "../data/commit.js";
import { contributionMemo, type MemberContext, type ReceivedContribution, type RoundContext, type Submission } from "../runtime/handler.js";
import { honkParamsHash, honkShape, proveHonkAll, type HonkKind, type HonkParams, type HonkShape } from "./honk-contributions.js";
import { checkHonkExtrema, proveHonkExtrema, type CheckedExtrema, type HonkExtremaEntry } from "./honk-extrema.js";

/**
 * UltraHonk-proven federated contributions (every "offchain" proven task). A member proves every group
 * of chunks of its dataset version committed by chunks (data/commit.ts scheme "chunks") with the
 * kind's Honk circuit, sends through the aggregation backend the Σ of its group vectors followed by
 * the Σ of its Grumpkin blindings (four 64-bit limbs, not reduced: verifyAggregate reduces), and
 * wraps the backend's payload with every group proof:
 *
 *   { v: 1, kind: "fed/honk", circuit, body: hex(backend payload), groups: [{ proof: hex, publicInputs: [bytes32…] }] }
 *
 * The on-chain commitment is the Merkle root of the proof list (protocol/src/honk/prooflist.ts, the
 * tree ChunkAudit opens), so what was recorded fixes every proof. Each proof's binding is
 * roundBinding(task, round, member, outputsCommitment(its outputs)): not replayable in another
 * round nor by another member. Every proof is verified off-chain (verifyHonk) by the requester —
 * and with secagg by every member, so all agree on who is in: groups 0..G−1 in order, G covering
 * every row the registered version has, under that version's root, with this round's parameter
 * hash. There is no predictable sample: nothing about a submission is checked by the connector
 * beyond what it records. stats also carries its chained min/max proofs and their opening sealed to
 * the requester (envelope field `extrema`, honk-extrema.ts).
 */
export const HONK_ENVELOPE = "fed/honk";

const LIMB = 64n;
export const HONK_BLINDING_LIMBS = 4;

export function honkBlindingLimbs(r: bigint): bigint[] {
  return Array.from({ length: HONK_BLINDING_LIMBS }, (_, i) => (r >> (LIMB * BigInt(i))) & ((1n << LIMB) - 1n));
}

/** Σ of limbs → the blinding sum (not reduced; verifyAggregate reduces mod the Grumpkin order). */
export function honkBlindingFromLimbs(limbs: readonly bigint[]): bigint {
  return limbs.reduce((a, x, i) => a + (x << (LIMB * BigInt(i))), 0n);
}

/** Length of a Honk-proven vector through the backend: the circuit's committed values and the blinding limbs. */
export function honkVectorLength(kind: HonkKind, s: HonkShape): number {
  const C = s.columns;
  const values = kind === "stats" ? 1 + 2 * C : kind === "kmeans" ? s.clusters * (1 + C) : 1 + C;
  return values + HONK_BLINDING_LIMBS;
}

export interface HonkGroupEntry {
  proof: string;
  publicInputs: string[];
}

interface HonkEnvelope {
  v: 1;
  kind: typeof HONK_ENVELOPE;
  circuit: string;
  body: string;
  groups: HonkGroupEntry[];
  /** stats: the chained min/max proofs and the opening sealed to the requester (honk-extrema.ts). */
  extrema?: HonkExtremaEntry;
}

const word = (x: bigint) => "0x" + x.toString(16).padStart(64, "0");

export function proofListEntries(groups: readonly HonkGroupEntry[]): ProofListEntry[] {
  return groups.map((g) => ({ proof: new Uint8Array(Buffer.from(g.proof, "hex")), publicInputs: g.publicInputs }));
}

/** Why a member cannot make a Honk contribution with its datasets (undefined: it can). */
export function admitHonk(kind: HonkKind, datasets: { row: { name: string; version: number; schema: { columns: string[] } } }[], want: string[]): string | undefined {
  try {
    honkShape(kind, want.length);
  } catch (e) {
    return `verification "offchain" needs the ${kind} UltraHonk circuit for ${want.length} columns: ${(e as Error).message}`;
  }
  if (datasets.length !== 1) return `a proven contribution covers one committed dataset; this node holds ${datasets.length} of the task's datasets`;
  const have = datasets[0].row.schema.columns;
  if (have.length !== want.length || have.some((c, i) => c !== want[i]))
    return `proofs cover the committed rows as they are: dataset ${datasets[0].row.name} v${datasets[0].row.version} must have exactly the columns ${want.join(", ")} in this order (it has ${have.join(", ")}); register a dataset with those columns`;
  return undefined;
}

/** A member's Honk-proven contribution: proves every group, sends the vector and blinding limbs through `send`, wraps the payload. */
export async function contributeHonk(ctx: MemberContext, kind: HonkKind, params: HonkParams, send: (values: bigint[]) => Promise<Submission>): Promise<Submission> {
  const d = ctx.datasets[0];
  const ds = chunkedTable(d.table, await d.saltSeed());
  if (bytes32ToField(d.root) !== ds.tree.root)
    throw new Error(
      `dataset ${d.name} v${d.version} is not committed by chunks (its rows do not hash to the registered root under the chunked scheme); UltraHonk proofs need a version registered with commitment: "chunks" (the default)`,
    );
  const started = Date.now();
  const [c, extrema] = await Promise.all([
    proveHonkAll({ kind, ds, params, binding: (outputs) => ctx.binding(outputsCommitment(outputs), ctx.self) }),
    kind === "stats" ? proveHonkExtrema(ctx, ds) : undefined,
  ]);
  const s = honkShape(kind, ds.C);
  ctx.log.info({ circuit: s.circuit, groups: c.groups.length, rows: d.table.rows.length, ms: Date.now() - started }, "contribution proven (UltraHonk)");
  const inner = await send([...c.vector, ...honkBlindingLimbs(c.blinding!)]);
  const groups = c.groups.map((g) => ({ proof: Buffer.from(g.proof).toString("hex"), publicInputs: g.publicInputs.map(word) }));
  const env: HonkEnvelope = { v: 1, kind: HONK_ENVELOPE, circuit: s.circuit, body: Buffer.from(inner.payload).toString("hex"), groups, ...(extrema ? { extrema } : {}) };
  return { payload: new TextEncoder().encode(canonicalJson(env)), commitment: proofListTree(proofListEntries(groups)).root };
}

export interface OpenedHonk {
  inner: ReceivedContribution;
  commitments: Commitment[];
  groups: number;
  /** stats: the checked min/max chain (the requester opens it with openHonkExtrema). */
  extrema?: CheckedExtrema;
}

const verified = contributionMemo<OpenedHonk>();

/** Checks a Honk-proven Compute contribution (see the module doc); throws the reason. Kept per task, round, member and blob. */
export function openHonk(ctx: RoundContext, kind: HonkKind, params: HonkParams, c: ReceivedContribution): Promise<OpenedHonk> {
  return verified(ctx, c, () => open(ctx, kind, params, c));
}

async function open(ctx: RoundContext, kind: HonkKind, params: HonkParams, c: ReceivedContribution): Promise<OpenedHonk> {
  let s = honkShape(kind);
  let env: HonkEnvelope;
  try {
    env = JSON.parse(new TextDecoder().decode(c.payload)) as HonkEnvelope;
  } catch {
    throw new Error("payload is not JSON");
  }
  const hex = (x: unknown) => typeof x === "string" && /^([0-9a-f]{2})+$/.test(x);
  if (env?.v !== 1 || env.kind !== HONK_ENVELOPE || !Array.isArray(env.groups) || typeof env.body !== "string" || !/^([0-9a-f]{2})*$/.test(env.body))
    throw new Error(`payload is not a Honk-proven contribution (${HONK_ENVELOPE} envelope)`);
  // Every width's circuit of a kind has the same public inputs; the dataset (below) fixes which one.
  const n = s.publicInputs.length;
  const parsed = env.groups.map((g, k) => {
    if (!hex(g?.proof) || !Array.isArray(g.publicInputs) || g.publicInputs.length !== n || !g.publicInputs.every((x) => typeof x === "string" && /^0x[0-9a-f]{64}$/.test(x)))
      throw new Error(`group ${k}: a proof is hex bytes with ${n} public inputs as 0x-prefixed 32-byte words`);
    return g.publicInputs.map((x) => BigInt(x));
  });
  if (parsed.length === 0) throw new Error("no group proofs");
  const tree = proofListTree(proofListEntries(env.groups));
  if (tree.root !== c.commitment.toLowerCase()) throw new Error("the recorded commitment is not the Merkle root of the proof list sent");
  // A failing entry is also shown to the connector (ChunkAudit on-chain), so the exclusion is on
  // record, not only in the result's `rejected`; only the requester does it, once per member and round.
  const refuse = async (k: number, why: string): Promise<never> => {
    if (ctx.challenge && ctx.self.toLowerCase() === ctx.spec.requester.toLowerCase()) {
      try {
        await ctx.challenge(c.member, { index: k, publicInputs: env.groups[k].publicInputs, proof: "0x" + env.groups[k].proof, path: tree.path(k) });
        ctx.log.warn({ member: c.member, group: k }, "failing group proof challenged: member excluded on record");
      } catch (e) {
        ctx.log.warn({ member: c.member, group: k, err: (e as Error).message }, "challenge of a failing group proof refused");
      }
    }
    throw new Error(why);
  };
  const idx = (name: string) => s.publicInputs.indexOf(name);
  const root = "0x" + parsed[0][idx("root")].toString(16).padStart(64, "0");
  const dataset = await ctx.dataset(c.member, root);
  if (!dataset) throw new Error(`the proofs' root ${root} is not a committed version of a dataset this task references for ${c.member}`);
  s = honkShape(kind, dataset.columns);
  if (env.circuit !== s.circuit) throw new Error(`proofs are for circuit ${env.circuit}; the kind proves ${dataset.columns} columns with ${s.circuit}`);
  const expected = Math.ceil(Math.ceil(dataset.rows / s.chunkRows) / s.chunksPerProof);
  if (parsed.length !== expected)
    throw new Error(
      `${parsed.length} group proofs; the dataset has ${dataset.rows} rows, so ${expected} groups of ${s.chunksPerProof} chunks of ${s.chunkRows} rows must be proven`,
    );
  const want = honkParamsHash(kind, params, s.width);
  const ph = s.publicInputs.find((x) => x.endsWith("_hash"));
  const outAt = s.publicInputs.findIndex((x) => x.startsWith("commitment"));
  const commitments: Commitment[] = [];
  for (const [k, pi] of parsed.entries()) {
    if (pi[idx("group")] !== BigInt(k)) await refuse(k, `group ${k}: proves group ${pi[idx("group")]}; groups must be 0..${expected - 1} in order`);
    if (pi[idx("root")] !== parsed[0][idx("root")]) throw new Error(`group ${k}: proves rows under another root`);
    if (pi[idx("columns")] !== BigInt(dataset.columns)) throw new Error(`group ${k}: proves ${pi[idx("columns")]} columns; the dataset has ${dataset.columns}`);
    if (ph && pi[idx(ph)] !== want) throw new Error(`group ${k}: proves against other ${kind === "kmeans" ? "centroids" : "weights"} than this round's`);
    const outputs = pi.slice(outAt);
    if (pi[idx("binding")] !== ctx.binding(outputsCommitment(outputs), c.member)) await refuse(k, `group ${k}: the proof is bound to another task, round or member`);
    if (!(await verifyHonk(s.circuit, { proof: new Uint8Array(Buffer.from(env.groups[k].proof, "hex")), publicInputs: pi }, { expectedInputs: n })))
      await refuse(k, `group ${k}: the UltraHonk proof does not verify against the ${s.circuit} verification key`);
    commitments.push({ x: outputs[0], y: outputs[1] });
  }
  const extrema = kind === "stats" ? await checkHonkExtrema(ctx, c.member, env.extrema, { root: parsed[0][idx("root")], columns: dataset.columns, rows: dataset.rows }) : undefined;
  const body = new Uint8Array(Buffer.from(env.body, "hex"));
  return { inner: { member: c.member, blobHash: c.blobHash, commitment: keccakHex(body), payload: body }, commitments, groups: parsed.length, ...(extrema ? { extrema } : {}) };
}
