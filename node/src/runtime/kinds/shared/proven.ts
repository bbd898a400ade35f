import { canonicalJson } from "../../../../../protocol/src/canonical.js";
import { outputsCommitment } from "../../../../../protocol/src/binding.js";
import { bytes32ToField, commitDataset, fieldToBytes32, poseidonHasher, type DatasetTree } from "../../../../../protocol/src/commitment.js";
import { commitmentBits, paramsHash, parseContributionSignals } from "../../../../../protocol/src/contributions.js";
import { FRAC_BITS, encodeRows } from "../../../../../protocol/src/fixedpoint.js";
import { keccakHex } from "../../../../../protocol/src/hash.js";
import { SNARK_FIELD } from "../../../../../protocol/src/binding.js";
import { SUBGROUP_ORDER, verifyAggregate, type Commitment } from "../../../../../protocol/src/pedersen.js";
import { proofSystemOf, type TaskSpec } from "../../../../../protocol/src/taskspec.js";
import type { Groth16Proof } from "../../../../../chain-connector/src/connector.js";
import { verifyGroth16 } from "../../../../../chain-connector/src/zkverify.js";
import { CONTRIBUTION_CIRCUITS, proveAll, type ContributionKind, type ContributionParams } from "../../../zk/contributions.js";
import { loadCircuit } from "../../../zk/prover.js";
import { real } from "../../aggregation/vector.js";
import { flatten } from "../../jobs.js";
import { INLINE_ROWS } from "../../../data/commit.js";
import { pool } from "../../pool.js";
import { honkShape, opensHonk, type HonkKind, type HonkParams } from "../../../zk/honk-contributions.js";
import { admitHonk, contributeHonk, honkBlindingFromLimbs, honkVectorLength, HONK_BLINDING_LIMBS, openHonk } from "../../../zk/honk-proven.js";
import { contributionMemo, type MemberContext, type MemberDataset, type ReceivedContribution, type RoundContext, type Submission } from "../../handler.js";

/**
 * Proven federated contributions (spec.verification "offchain" or "onchain"). A member proves
 * every chunk of its committed dataset with the kind's contribution circuit (circuits/*_chunk) and
 * sends, through the task's aggregation backend, the proven integer vector followed by the sum of
 * its Pedersen blindings (four 64-bit limbs). The Compute payload is an envelope around the
 * backend's payload with every chunk proof:
 *
 *   { v: 1, kind: "fed/proven", circuit, body: hex(backend payload), chunks: [{ signals, proof }] }
 *
 * Each proof's binding is roundBinding(task, round, member, outputsCommitment(its outputs)), so it
 * cannot be replayed in another round or taken by another member. One chunk, sampled by
 * sampledChunk(task, round, member), also goes with the submission: its outputs' keccak is the
 * on-chain commitment and its proof is checked by TaskManager ("onchain") or by the connector
 * ("offchain") before the contribution is recorded. The requester — and with secagg or paillier every member,
 * so that all agree on who is in — checks every other chunk off-chain: ceil(rows / R) chunks in
 * order under the member's registered root (every row covered), the round's public parameters,
 * the bindings and the Groth16 proofs. After summing, the requester checks that the aggregate and
 * the summed blindings open Σ of all chunk commitments: a member that sent a vector other than the
 * one it proved is named (plain; paillier through the members' checks of its equality proof) or
 * fails the round (secagg: only sums are visible).
 */

/** How a federated kind's spec and vectors map onto its contribution circuit. */
export interface ProvenKind<P> {
  circuit: ContributionKind;
  /** The columns a member's dataset must have, in this order: the row layout the circuit reads. */
  layout(p: P): string[];
  /** Why this spec cannot be proven with the circuit (undefined: it can). */
  check(p: P, shape: CircuitShape): string | undefined;
  /** The circuit's public parameters for a round (field elements). */
  params(p: P, round: unknown, shape: CircuitShape): ContributionParams;
  /** How many values a member's proven vector commits to (before the blinding limbs), for the circuit's shape. */
  values(shape: CircuitShape): number;
  /** Σ of proven vectors (signed integers at the circuit's scales) → the kind's vector for finish(). */
  toKind(p: P, sum: readonly bigint[], shape: CircuitShape): number[];
  /**
   * The kind's UltraHonk circuit (every "offchain" task) and its round parameters; its vector has
   * the same layout as the Groth16 circuit's, so toKind applies to both. Absent: not provable off-chain.
   */
  honk?: { kind: Exclude<HonkKind, "minmax">; params(p: P, round: unknown, shape: CircuitShape): HonkParams };
}

export interface CircuitShape {
  name: string;
  chunkRows: number;
  columns: number;
  clusters: number;
  nPublic: number;
  bits: number;
}

export function circuitShape(kind: ContributionKind): CircuitShape {
  const name = CONTRIBUTION_CIRCUITS[kind];
  const c = loadCircuit(name);
  const chunkRows = c.params.chunkRows;
  return { name, chunkRows, columns: c.params.columns, clusters: c.params.clusters ?? 0, nPublic: c.nPublic, bits: commitmentBits(kind, Math.log2(chunkRows)) };
}

export { real };

export const FX = FRAC_BITS;

/** Why a member cannot prove its contribution to this spec (undefined: it can). */
export function admitProven<P>(pk: ProvenKind<P>, p: P, spec: TaskSpec, datasets: { row: { name: string; version: number; schema: { columns: string[] } } }[]): string | undefined {
  let shape: CircuitShape;
  try {
    shape = circuitShape(pk.circuit);
  } catch (e) {
    return `verification "${spec.verification}" needs the ${CONTRIBUTION_CIRCUITS[pk.circuit]} circuit: ${(e as Error).message}`;
  }
  const why = pk.check(p, shape);
  if (why) return why;
  if (datasets.length !== 1) return `a proven contribution covers one committed dataset; this node holds ${datasets.length} of the task's datasets`;
  const want = pk.layout(p);
  const have = datasets[0].row.schema.columns;
  if (have.length !== want.length || have.some((c, i) => c !== want[i]))
    return `proofs cover the committed rows as they are: dataset ${datasets[0].row.name} v${datasets[0].row.version} must have exactly the columns ${want.join(", ")} in this order (it has ${have.join(", ")}); register a dataset with those columns`;
  return undefined;
}

/** Sampled chunk of a member's contribution: the one whose proof goes with the submission. */
export function sampledChunk(taskId: number, round: number, member: string, chunks: number): number {
  return Number(BigInt(keccakHex(new TextEncoder().encode(`cm/sample/${taskId}/${round}/${member.toLowerCase()}`))) % BigInt(chunks));
}

const LIMB = 64n;
const LIMBS = 4;
export const BLINDING_LIMBS = LIMBS;

export function blindingLimbs(r: bigint): bigint[] {
  return Array.from({ length: LIMBS }, (_, i) => (r >> (LIMB * BigInt(i))) & ((1n << LIMB) - 1n));
}

export function blindingFromLimbs(limbs: readonly bigint[]): bigint {
  return limbs.reduce((a, x, i) => a + (x << (LIMB * BigInt(i))), 0n) % SUBGROUP_ORDER;
}

interface ChunkEntry {
  signals: string[];
  proof: Groth16Proof;
}

interface Envelope {
  v: 1;
  kind: "fed/proven";
  circuit: string;
  body: string;
  chunks: ChunkEntry[];
}

const trees = new Map<string, Promise<DatasetTree>>();

/** The Merkle tree of a committed dataset (kept per root: Poseidon over every row is the slow part). */
async function datasetTree(d: MemberDataset): Promise<{ tree: DatasetTree; rows: bigint[][] }> {
  const rows = encodeRows(d.table.rows, d.table.columns);
  let t = trees.get(d.root);
  if (!t) {
    t = (async () => {
      if (rows.length <= INLINE_ROWS) return commitDataset(rows, await d.saltSeed());
      const flat = flatten(d.table.rows, d.table.columns);
      return pool().run("commitTree", { rows: flat, seed: await d.saltSeed() }, [flat.values.buffer]);
    })();
    trees.set(d.root, t);
    t.catch(() => trees.delete(d.root));
  }
  const tree = await t;
  if (tree.root.toLowerCase() !== d.root.toLowerCase())
    throw new Error(
      `dataset ${d.name} v${d.version}: its rows do not hash to the committed root ${d.root} by rows; either it is committed by chunks (the default: verification "onchain" needs a version registered with commitment "rows") or the file changed after it was committed (commit a new version)`,
    );
  return { tree, rows };
}

/**
 * A member's proven contribution: proves every chunk, hands the vector with the blinding limbs to
 * `send` (the aggregation backend), and wraps the backend's payload with the proofs.
 */
export async function contributeProven<P>(ctx: MemberContext, pk: ProvenKind<P>, p: P, send: ProvenSend): Promise<Submission> {
  const shape = circuitShape(pk.circuit);
  const { tree, rows } = await datasetTree(ctx.datasets[0]);
  const started = Date.now();
  const dc = await proveAll({
    kind: pk.circuit,
    tree,
    rows,
    binding: (outputs) => ctx.binding(outputsCommitment(outputs)),
    params: pk.params(p, ctx.params, shape),
  });
  ctx.log.info({ circuit: shape.name, chunks: dc.chunks.length, rows: rows.length, ms: Date.now() - started }, "contribution proven");
  const inner = await send([...dc.vector, ...blindingLimbs(dc.blinding)], { commitments: dc.chunks.map((c) => c.commitment), blinding: dc.blinding });
  const env: Envelope = {
    v: 1,
    kind: "fed/proven",
    circuit: shape.name,
    body: Buffer.from(inner.payload).toString("hex"),
    chunks: dc.chunks.map((c) => ({ signals: c.publicSignals, proof: c.proof })),
  };
  const j = sampledChunk(ctx.taskId, ctx.round, ctx.self, dc.chunks.length);
  const sampled = dc.chunks[j];
  return {
    payload: new TextEncoder().encode(canonicalJson(env)),
    commitment: outputsCommitment(sampled.publicSignals.slice(0, -2)),
    proof: sampled.proof,
  };
}

/**
 * Hands the proven vector (values, then blinding limbs) to the aggregation backend; Groth16 also
 * passes the chunk commitments and their blinding sum (the paillier backend's equality proof).
 */
export type ProvenSend = (values: bigint[], committed?: { commitments: Commitment[]; blinding: bigint }) => Promise<Submission>;

/** A Compute contribution whose proofs all checked: the backend's contribution and the chunk commitments. */
export interface OpenedContribution {
  inner: ReceivedContribution;
  commitments: Commitment[];
}

const verified = contributionMemo<OpenedContribution>();

/**
 * Checks a proven Compute contribution (see the module doc); throws the reason when it fails.
 * Results are kept per task, round, member and blob: members and the requester open the same
 * contributions several times in a round.
 */
export function openProven<P>(ctx: RoundContext, pk: ProvenKind<P>, p: P, c: ReceivedContribution): Promise<OpenedContribution> {
  return verified(ctx, c, () => open(ctx, pk, p, c));
}

async function open<P>(ctx: RoundContext, pk: ProvenKind<P>, p: P, c: ReceivedContribution): Promise<OpenedContribution> {
  const shape = circuitShape(pk.circuit);
  let env: Envelope;
  try {
    env = JSON.parse(new TextDecoder().decode(c.payload)) as Envelope;
  } catch {
    throw new Error("payload is not JSON");
  }
  if (env?.v !== 1 || env.kind !== "fed/proven" || !Array.isArray(env.chunks) || typeof env.body !== "string" || !/^([0-9a-f]{2})*$/.test(env.body))
    throw new Error("payload is not a proven contribution (fed/proven envelope)");
  if (env.circuit !== shape.name) throw new Error(`proofs are for circuit ${env.circuit}, the task's kind uses ${shape.name}`);
  const first = env.chunks[0];
  if (!first || !Array.isArray(first.signals) || first.signals.length !== shape.nPublic) throw new Error("no chunk proofs, or the first has the wrong number of public signals");
  const root = fieldToBytes32(BigInt(first.signals[shape.nPublic - 1]));
  const dataset = await ctx.dataset(c.member, root);
  if (!dataset) throw new Error(`the proofs' root ${root} is not a committed version of a dataset this task references for ${c.member}`);
  const expected = Math.ceil(dataset.rows / shape.chunkRows);
  if (env.chunks.length !== expected)
    throw new Error(`${env.chunks.length} chunk proofs; the dataset has ${dataset.rows} rows, so ${expected} chunks of ${shape.chunkRows} must be proven`);
  const H = await poseidonHasher();
  const cp = pk.params(p, ctx.params, shape);
  const want = cp.centroids ? paramsHash(H, cp.centroids.flat()) : cp.weights ? paramsHash(H, [...cp.weights]) : undefined;
  const sampled = sampledChunk(ctx.taskId, ctx.round, c.member, expected);
  const commitments: Commitment[] = [];
  for (const [k, ch] of env.chunks.entries()) {
    if (!Array.isArray(ch?.signals) || ch.signals.length !== shape.nPublic || !ch.signals.every((x) => typeof x === "string" && /^\d{1,78}$/.test(x)))
      throw new Error(`chunk ${k}: public signals must be ${shape.nPublic} decimal field elements`);
    const s = parseContributionSignals(pk.circuit, ch.signals);
    if (s.chunkIndex !== k) throw new Error(`chunk ${k}: proves chunk ${s.chunkIndex}; chunks must be 0..${expected - 1} in order`);
    if (s.root !== bytes32ToField(dataset.root)) throw new Error(`chunk ${k}: proves rows under another root`);
    if (want !== undefined && s.paramsHash !== want) throw new Error(`chunk ${k}: proves against other ${cp.centroids ? "centroids" : "weights"} than this round's`);
    const outputs = ch.signals.slice(0, -2);
    if (s.binding !== ctx.binding(outputsCommitment(outputs), c.member)) throw new Error(`chunk ${k}: the proof is bound to another task, round or member`);
    if (k === sampled && outputsCommitment(outputs) !== c.commitment.toLowerCase()) throw new Error(`chunk ${k} (the sampled chunk) does not match the recorded commitment`);
    if (!(await verifyGroth16(shape.name, { ...ch.proof, publicSignals: ch.signals })))
      throw new Error(`chunk ${k}: the Groth16 proof does not verify against the ${shape.name} verification key`);
    commitments.push(s.commitment);
  }
  const body = new Uint8Array(Buffer.from(env.body, "hex"));
  return { inner: { member: c.member, blobHash: c.blobHash, commitment: keccakHex(body), payload: body }, commitments };
}

/** Splits a summed proven vector into the circuit's part and the blinding sum. */
export function splitProven(sum: readonly bigint[]): { vector: bigint[]; blinding: bigint } {
  return { vector: sum.slice(0, sum.length - LIMBS), blinding: blindingFromLimbs(sum.slice(sum.length - LIMBS)) };
}

/** Whether Σ commitments opens to the summed vector and blinding (see pedersen.verifyAggregate). */
export function opensCommitments(commitments: readonly Commitment[], sum: readonly bigint[], shape: CircuitShape): boolean {
  const { vector, blinding } = splitProven(sum);
  return verifyAggregate(commitments, vector, blinding, shape.bits);
}

/** Length of a proven vector through the backend: the circuit's committed values and the blinding limbs. */
export function provenLength<P>(shape: CircuitShape, pk: ProvenKind<P>): number {
  return pk.values(shape) + LIMBS;
}

/**
 * The proof system a proven task uses (protocol proofSystemOf: UltraHonk for "offchain", Groth16
 * for "onchain" until on-chain checks move to ChunkAudit), behind
 * one interface so the federated handler does not depend on either: the vector length through the
 * backend, admission, the member's proven contribution, the opening of a received one, and the
 * check that an aggregate opens the sum of the members' commitments.
 */
export interface ProvenSystem {
  system: "groth16" | "honk";
  shape: CircuitShape;
  length: number;
  admit(spec: TaskSpec, datasets: Parameters<typeof admitProven>[3]): string | undefined;
  contribute(ctx: MemberContext, send: ProvenSend): Promise<Submission>;
  open(ctx: RoundContext, c: ReceivedContribution): Promise<OpenedContribution>;
  opens(commitments: readonly Commitment[], sum: readonly bigint[]): boolean;
}

export function provenSystem<P>(spec: TaskSpec, pk: ProvenKind<P>, p: P): ProvenSystem {
  if (proofSystemOf(spec) === "honk") {
    const hk = pk.honk;
    if (!hk) throw new Error(`kind ${pk.circuit} has no UltraHonk contribution circuit; use verification: "none"`);
    const columns = pk.layout(p).length;
    const hs = honkShape(hk.kind, columns);
    const shape: CircuitShape = { name: hs.circuit, chunkRows: hs.chunkRows, columns: hs.columns, clusters: hs.clusters, nPublic: hs.publicInputs.length, bits: hs.commitBits };
    const length = honkVectorLength(hk.kind, hs);
    return {
      system: "honk",
      shape,
      length,
      admit: (s, datasets) =>
        s.verification !== "offchain"
          ? `UltraHonk proofs are verified off-chain here: set verification: "offchain"`
          : (pk.check(p, shape) ?? admitHonk(hk.kind, datasets, pk.layout(p))),
      contribute: (ctx, send) => contributeHonk(ctx, hk.kind, hk.params(p, ctx.params, shape), send),
      open: (ctx, c) => openHonk(ctx, hk.kind, hk.params(p, ctx.params, shape), c),
      opens: (commitments, sum) =>
        opensHonk(hk.kind, columns, commitments, sum.slice(0, length - HONK_BLINDING_LIMBS), honkBlindingFromLimbs(sum.slice(length - HONK_BLINDING_LIMBS))),
    };
  }
  const shape = circuitShape(pk.circuit);
  return {
    system: "groth16",
    shape,
    length: provenLength(shape, pk),
    admit: (s, datasets) => admitProven(pk, p, s, datasets),
    contribute: (ctx, send) => contributeProven(ctx, pk, p, send),
    open: (ctx, c) => openProven(ctx, pk, p, c),
    opens: (commitments, sum) => opensCommitments(commitments, sum, shape),
  };
}

/** A field element of the Groth16 params (negatives as p − |x|, BN254 like the Honk circuits) as the signed integer the Honk twins take. */
export function signedParam(x: bigint): bigint {
  return x > SNARK_FIELD >> 1n ? x - SNARK_FIELD : x;
}
