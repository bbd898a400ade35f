import { canonicalJson } from "../../../../protocol/src/canonical.js";
import { keccakHex } from "../../../../protocol/src/hash.js";
import { addCommitments, type Commitment } from "../../../../protocol/src/pedersen.js";
import { gcd, modPow } from "../../crypto/bigmath.js";
import {
  pack,
  packingLayout,
  paillierAdd,
  paillierEncrypt,
  paillierKeygen,
  paillierPublicKey,
  parsePaillierSecretKey,
  serializePaillierSecretKey,
  unpack,
  type PackingLayout,
  type PaillierPublicKey,
  type PaillierSecretKey,
} from "../../crypto/paillier.js";
import {
  certifyKey,
  keyCertificateProblem,
  parseEqualityProof,
  parseKeyCertificate,
  proveEquality,
  serializeEqualityProof,
  serializeKeyCertificate,
  verifyEquality,
  type EqualityStatement,
} from "../../crypto/paillier-proofs/index.js";
import { NONCE_BYTES, openSealed, openWithKey, sealTo, sealWithKey } from "../../crypto/sealedbox.js";
import { randomBelow } from "../../crypto/bigmath.js";
import { randomBytes } from "../../crypto/random.js";
import { paramField, type TaskSpec } from "../../../../protocol/src/taskspec.js";
import { Phase } from "../../../../protocol/src/phases.js";
import { plainCommitment, type AggregateContext, type MemberContext, type ReceivedContribution, type RoundContext, type Submission } from "../handler.js";
import type { Rejected } from "./secagg.js";
import { VALUE_BITS } from "./vector.js";
import { pool } from "../pool.js";

/**
 * `paillier` backend. The requester holds the task's key and must never see one member's
 * ciphertexts (it could decrypt them), so the ciphertexts travel among the members only:
 *
 *   Compute    each member packs its encoded vector into VALUE_BITS-bit signed slots (headroom for
 *              spec.members.max terms), encrypts to the task key and seals the ciphertexts to every
 *              member's round key (the X25519 key it joined with; one content key, wrapped per
 *              member) — the requester, the connector
 *              and the blob store see boxes. Proven tasks: with a Paillier–Pedersen equality proof
 *              that the ciphertexts hold the values the member's chunk commitments commit to.
 *   Aggregate  each member opens every box addressed to it, checks it (key, count, units, and the
 *              equality proof when proven), multiplies the valid ciphertexts slot-wise and submits
 *              only that sum, the members in it and the members it left out with the reason.
 *   requester  once members.threshold sums are in, it takes the sum the most members submitted (a
 *              tie: the one over more members), decrypts that one only and names the members whose
 *              sums differ. Decrypting one sum only keeps a lying member from making it decrypt two
 *              sums over sets that differ by one member.
 *
 * A member that drops before Compute is simply not in the sums; one that drops in Aggregate is
 * covered by the others' identical sums. The key is certified (`cert`): members refuse to encrypt
 * to a key whose Π^mod / Π^fac certificate is missing or does not verify.
 */
interface PaillierPayload {
  v: 1;
  kind: "vector/paillier";
  /** Fingerprint of the key the ciphertexts are under. */
  key: string;
  c: string[];
  /** Proven tasks: the serialized equality proof over the committed values' ciphertexts. */
  eq?: string;
}

export interface SealedPayload {
  v: 1;
  kind: "vector/paillier-sealed";
  key: string;
  /** The PaillierPayload under a fresh content key (XChaCha20-Poly1305): hex of nonce ‖ ciphertext. */
  body: string;
  /** The content key sealed to each member of the round (itself included). */
  boxes: { to: string; box: string }[];
}

interface SumPayload {
  v: 1;
  kind: "vector/paillier-sum";
  key: string;
  /** Members whose ciphertexts are in the sum, sorted, lower case. */
  members: string[];
  rejected: { member: string; reason: string }[];
  c: string[];
}

/** Requester-side state the submission seeds (the secret key itself stays in the node's own blob store). */
export interface PaillierRequesterState {
  paillierKey?: string;
}

/** What a proven task's committed values look like through this backend (the first `count` values of the vector). */
export interface CommittedShape {
  count: number;
  /** Pedersen bit width of one chunk commitment. */
  bits: number;
}

/** Committed values sit in slots wide enough for up to 2^16 summed chunk commitments (the equality proof's range). */
const MAX_CHUNK_BITS = 16;

const lc = (a: string) => a.toLowerCase();
const text = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The binding of a requester's key certificate: who publishes the key (the spec's requester). */
export function keyBinding(requester: string): Uint8Array {
  return new TextEncoder().encode(`ciphermine/paillier-key/v1 requester=${lc(requester)}`);
}

export function taskPublicKey(spec: TaskSpec): PaillierPublicKey {
  const n = paramField(spec, "paillier")?.n;
  if (!n) throw new Error('params.paillier.n: aggregation "paillier" needs the requester\'s public key; submit the task with submitFederated (it makes one)');
  if (!/^[0-9a-f]+$/.test(n)) throw new Error("params.paillier.n: must be the modulus in lowercase hex");
  return paillierPublicKey(BigInt("0x" + n));
}

/** The blob hash of the key's certificate, checked for shape (members verify the certificate before encrypting). */
export function taskKeyCertificate(spec: TaskSpec): string {
  const cert = (spec.params as { paillier?: { cert?: unknown } }).paillier?.cert;
  if (typeof cert !== "string" || !/^0x[0-9a-f]{64}$/.test(cert))
    throw new Error(
      "params.paillier.cert: the requester's key comes without its well-formedness certificate (Π^mod, Π^fac); members refuse an uncertified key — submit the task with submitFederated or POST /tasks, which certify the key they make",
    );
  return cert;
}

const certified = new Map<string, Promise<void>>();

/**
 * Checks the task key's certificate once per process (members before encrypting or summing);
 * throws naming why the key is refused.
 */
export function checkTaskKey(spec: TaskSpec, blobs: { get(hash: string): Promise<Uint8Array> }): Promise<void> {
  const pk = taskPublicKey(spec);
  const hash = taskKeyCertificate(spec);
  const key = `${pk.fingerprint}/${hash}/${lc(spec.requester)}`;
  let v = certified.get(key);
  if (!v) {
    v = (async () => {
      let why: string | undefined;
      try {
        const bytes = await blobs.get(hash);
        if (keccakHex(bytes) !== hash) throw new Error("the certificate blob does not match its hash");
        why = keyCertificateProblem(pk, parseKeyCertificate(new TextDecoder().decode(bytes)), keyBinding(spec.requester));
      } catch (e) {
        why = text(e);
      }
      if (why) throw new Error(`params.paillier: the requester's key ${pk.fingerprint} is not certified, so this member refuses to encrypt to it: ${why}`);
    })();
    certified.set(key, v);
    // A refusal is not kept: the blob may have been unreachable for a moment; a bad certificate fails again.
    v.catch(() => certified.delete(key));
    if (certified.size > 256) certified.delete(certified.keys().next().value!);
  }
  return v;
}

export function layoutFor(pk: PaillierPublicKey, spec: TaskSpec): PackingLayout {
  return packingLayout(pk, VALUE_BITS, spec.members.max);
}

/** The committed values' layout: wide enough for K·2^(bits−1) with K ≤ 2^16 chunk commitments (equality proofs). */
function committedLayout(pk: PaillierPublicKey, spec: TaskSpec, shape: CommittedShape): PackingLayout {
  return packingLayout(pk, Math.max(VALUE_BITS, shape.bits + MAX_CHUNK_BITS + 1), spec.members.max);
}

/** The vector's segments, each packed from a ciphertext boundary: the committed values, then the rest (the blinding limbs). */
function segments(pk: PaillierPublicKey, spec: TaskSpec, length: number, shape?: CommittedShape): { layout: PackingLayout; from: number; count: number }[] {
  if (!shape) return [{ layout: layoutFor(pk, spec), from: 0, count: length }];
  return [
    { layout: committedLayout(pk, spec, shape), from: 0, count: shape.count },
    { layout: layoutFor(pk, spec), from: shape.count, count: length - shape.count },
  ].filter((s) => s.count > 0);
}

function ciphertextCount(pk: PaillierPublicKey, spec: TaskSpec, length: number, shape?: CommittedShape): number {
  return segments(pk, spec, length, shape).reduce((a, s) => a + Math.ceil(s.count / s.layout.slots), 0);
}

function plaintexts(pk: PaillierPublicKey, spec: TaskSpec, values: readonly bigint[], shape?: CommittedShape): bigint[] {
  const out: bigint[] = [];
  for (const s of segments(pk, spec, values.length, shape))
    for (let i = 0; i < s.count; i += s.layout.slots) out.push(pack(s.layout, values.slice(s.from + i, s.from + Math.min(i + s.layout.slots, s.count))));
  return out;
}

/** The binding of a member's equality proof: the round binding of this task, round and member over a fixed label. */
function equalityBinding(ctx: RoundContext, member: string): string {
  return ctx
    .binding(keccakHex(new TextEncoder().encode("ciphermine/paillier-equality/v1")), member)
    .toString(16)
    .padStart(64, "0");
}

/** The associated data of a box from one member to another in one round of one task. */
export function sealContext(ctx: Pick<RoundContext, "spec" | "taskId" | "round">, from: string, to: string): string {
  return `ciphermine paillier compute nonce=${ctx.spec.nonce} task=${ctx.taskId} round=${ctx.round} from=${lc(from)} to=${lc(to)}`;
}

/** For proven tasks: what the equality proof needs besides the values (the member's chunk commitments and their blinding sum). */
export interface EqualityInput {
  shape: CommittedShape;
  commitments: readonly Commitment[];
  blinding: bigint;
}

/**
 * A member's Compute submission: ciphertexts (with the equality proof when `eq` is given), sealed
 * to every member of the round. Refuses a key whose certificate does not verify.
 */
export async function paillierSubmission(ctx: MemberContext, values: readonly bigint[], eq?: EqualityInput): Promise<Submission> {
  const spec = ctx.spec;
  await checkTaskKey(spec, ctx.blobs);
  const pk = taskPublicKey(spec);
  const plain = plaintexts(pk, spec, values, eq?.shape);
  const payload: PaillierPayload = { v: 1, kind: "vector/paillier", key: pk.fingerprint, c: [] };
  if (eq) {
    // The committed values' randomness is kept for the proof, so these are encrypted here.
    const m = Math.ceil(eq.shape.count / committedLayout(pk, spec, eq.shape).slots);
    const rho = plain.slice(0, m).map(() => randomBelow(pk.n, randomBytes));
    const head = plain.slice(0, m).map((x, j) => paillierEncrypt(pk, x, modPow(rho[j], pk.n, pk.n2)));
    const tail = plain.length > m ? await pool().run("paillierEncrypt", { n: pk.n, plaintexts: plain.slice(m) }) : [];
    payload.c = [...head, ...tail].map((x) => x.toString(16));
    const st = equalityStatement(ctx, ctx.self, pk, eq.shape, head, eq.commitments);
    payload.eq = serializeEqualityProof(proveEquality(st, { values: values.slice(0, eq.shape.count), blinding: eq.blinding, randomness: rho }));
  } else payload.c = (await pool().run("paillierEncrypt", { n: pk.n, plaintexts: plain })).map((x) => x.toString(16));
  const bytes = new TextEncoder().encode(canonicalJson(sealToMembers(ctx, ctx.self, pk.fingerprint, new TextEncoder().encode(canonicalJson(payload)))));
  return { payload: bytes, commitment: plainCommitment(bytes) };
}

/**
 * Seals `inner` once under a fresh content key and that key to every member's round key, so a
 * contribution grows by one small box per member, not by a copy of the ciphertexts.
 */
export function sealToMembers(ctx: Pick<RoundContext, "spec" | "taskId" | "round" | "members">, from: string, key: string, inner: Uint8Array): SealedPayload {
  const content = randomBytes(32);
  const { nonce, ct } = sealWithKey(content, inner, new TextEncoder().encode(sealContext(ctx, from, "*")));
  const boxes = [...ctx.members]
    .sort((a, b) => (lc(a.member) < lc(b.member) ? -1 : 1))
    .map((m) => ({ to: lc(m.member), box: Buffer.from(sealTo(hexKey(m.memberKey), content, sealContext(ctx, from, m.member))).toString("hex") }));
  return { v: 1, kind: "vector/paillier-sealed", key, body: Buffer.from(nonce).toString("hex") + Buffer.from(ct).toString("hex"), boxes };
}

/** What `sealToMembers` sealed, opened by member `self` with its round secret key; throws naming what failed. */
export function openAsMember(ctx: Pick<RoundContext, "spec" | "taskId" | "round">, from: string, self: string, secretKey: Uint8Array, p: SealedPayload): Uint8Array {
  const mine = p.boxes.find((b) => b.to === lc(self));
  if (!mine) throw new Error("no box for this member");
  try {
    const content = openSealed(secretKey, new Uint8Array(Buffer.from(mine.box, "hex")), sealContext(ctx, from, self));
    const body = new Uint8Array(Buffer.from(p.body, "hex"));
    return openWithKey(content, body.subarray(0, NONCE_BYTES), body.subarray(NONCE_BYTES), new TextEncoder().encode(sealContext(ctx, from, "*")));
  } catch {
    throw new Error("its box for this member does not open with this member's round key (sealed to another key, round or sender, or altered)");
  }
}

function hexKey(h: string): Uint8Array {
  const s = h.startsWith("0x") ? h.slice(2) : h;
  if (!/^[0-9a-f]{64}$/i.test(s)) throw new Error(`member key ${h} is not a 32-byte X25519 key`);
  return new Uint8Array(Buffer.from(s, "hex"));
}

function equalityStatement(
  ctx: RoundContext,
  member: string,
  pk: PaillierPublicKey,
  shape: CommittedShape,
  head: readonly bigint[],
  commitments: readonly Commitment[],
): EqualityStatement {
  return {
    publicKey: pk,
    ciphertexts: head,
    layout: committedLayout(pk, ctx.spec, shape),
    commitment: addCommitments(commitments),
    count: shape.count,
    bits: shape.bits,
    commitments: commitments.length,
    binding: equalityBinding(ctx, member),
  };
}

function parseJson<T>(bytes: Uint8Array): T {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch {
    throw new Error("payload is not JSON");
  }
}

/** The requester's (and anyone's) structural check of a Compute contribution: commitment, task key, one box per member. Nothing in it opens. */
export function parseSealed(ctx: RoundContext, c: ReceivedContribution): SealedPayload {
  if (plainCommitment(c.payload) !== c.commitment) throw new Error("payload does not match its on-chain commitment");
  const pk = taskPublicKey(ctx.spec);
  const p = parseJson<SealedPayload>(c.payload);
  if (p?.v !== 1 || p.kind !== "vector/paillier-sealed" || !Array.isArray(p.boxes)) throw new Error("payload is not a sealed Paillier contribution");
  if (p.key !== pk.fingerprint) throw new Error(`ciphertexts are under key ${p.key}, not the task's ${pk.fingerprint}`);
  const want = ctx.members.map((m) => lc(m.member)).sort();
  const have = p.boxes.map((b) => (typeof b?.to === "string" ? b.to : "")).sort();
  if (have.length !== want.length || have.some((x, i) => x !== want[i])) throw new Error("the contribution is not sealed to exactly the round's members");
  if (p.boxes.some((b) => typeof b.box !== "string" || !/^([0-9a-f]{2})+$/.test(b.box)) || typeof p.body !== "string" || !/^([0-9a-f]{2})+$/.test(p.body))
    throw new Error("a box or the body is not hex");
  return p;
}

/** A member opens the box addressed to it and checks the ciphertexts: key, count, each a unit mod n². */
function openContribution(ctx: MemberContext, c: ReceivedContribution, length: number, shape?: CommittedShape): PaillierPayload & { x: bigint[] } {
  const inner = openAsMember(ctx, c.member, ctx.self, ctx.roundKey.secretKey, parseSealed(ctx, c));
  const pk = taskPublicKey(ctx.spec);
  const p = parseJson<PaillierPayload>(inner);
  if (p?.v !== 1 || p.kind !== "vector/paillier" || !Array.isArray(p.c)) throw new Error("the box does not hold a Paillier contribution");
  if (p.key !== pk.fingerprint) throw new Error(`ciphertexts are under key ${p.key}, not the task's ${pk.fingerprint}`);
  const want = ciphertextCount(pk, ctx.spec, length, shape);
  if (p.c.length !== want) throw new Error(`${p.c.length} ciphertexts, the task's vector needs ${want}`);
  const x = p.c.map((h, i) => {
    if (typeof h !== "string" || !/^[0-9a-f]+$/.test(h)) throw new Error(`ciphertext ${i} is not hex`);
    const v = BigInt("0x" + h);
    if (v <= 0n || v >= pk.n2 || gcd(v, pk.n) !== 1n) throw new Error(`ciphertext ${i} is not a ciphertext of the task's key`);
    return v;
  });
  return { ...p, x };
}

/** A Compute contribution as a member sees it in the Aggregate phase; proven tasks add the member's chunk commitments. */
export interface SumEntry {
  c: ReceivedContribution;
  commitments?: readonly Commitment[];
}

/**
 * A member's Aggregate submission: the homomorphic sum of the valid contributions, the members in
 * it and the ones left out with the reason. `rejected` are members already left out upstream
 * (proofs that did not check).
 */
export async function paillierReveal(ctx: MemberContext, length: number, entries: readonly SumEntry[], rejected: readonly Rejected[], shape?: CommittedShape): Promise<Submission> {
  const spec = ctx.spec;
  await checkTaskKey(spec, ctx.blobs);
  const pk = taskPublicKey(spec);
  const out: { member: string; reason: string }[] = rejected.map((r) => ({ member: lc(r.member), reason: r.reason }));
  const parts: { member: string; x: bigint[] }[] = [];
  for (const e of entries) {
    const member = lc(e.c.member);
    try {
      const p = openContribution(ctx, e.c, length, shape);
      if (shape) {
        if (!e.commitments?.length) throw new Error("no chunk commitments to check its ciphertexts against");
        const m = Math.ceil(shape.count / committedLayout(pk, spec, shape).slots);
        const st = equalityStatement(ctx, member, pk, shape, p.x.slice(0, m), e.commitments);
        let ok = false;
        try {
          ok = typeof p.eq === "string" && verifyEquality(st, parseEqualityProof(p.eq));
        } catch {
          ok = false;
        }
        if (!ok)
          throw new Error(
            "its ciphertexts do not provably encrypt the values its Pedersen commitments commit to (the Paillier–Pedersen equality proof is missing or does not verify)",
          );
      }
      parts.push({ member, x: p.x });
    } catch (err) {
      if (!out.some((r) => r.member === member)) out.push({ member, reason: text(err) });
    }
  }
  parts.sort((a, b) => (a.member < b.member ? -1 : 1));
  out.sort((a, b) => (a.member < b.member ? -1 : a.member > b.member ? 1 : 0));
  if (parts.length < spec.members.threshold)
    throw new Error(
      `paillier: ${parts.length} valid contribution(s), below members.threshold ${spec.members.threshold}; this member sends no sum (it would reveal too few members' values)`,
    );
  const acc = parts[0].x.slice();
  for (const p of parts.slice(1)) for (let i = 0; i < acc.length; i++) acc[i] = paillierAdd(pk, acc[i], p.x[i]);
  const payload: SumPayload = { v: 1, kind: "vector/paillier-sum", key: pk.fingerprint, members: parts.map((p) => p.member), rejected: out, c: acc.map((x) => x.toString(16)) };
  const bytes = new TextEncoder().encode(canonicalJson(payload));
  return { payload: bytes, commitment: plainCommitment(bytes) };
}

export interface PaillierAggregate {
  sum: bigint[];
  members: string[];
  rejected: Rejected[];
}

/**
 * The requester: the sum most members submitted (ties: over more members, then the smaller
 * hash), decrypted alone; members whose sums differ, or whose submissions do not parse, are named.
 */
export async function paillierAggregate(ctx: AggregateContext, length: number, shape?: CommittedShape): Promise<PaillierAggregate> {
  const spec = ctx.spec;
  const pk = taskPublicKey(spec);
  const want = ciphertextCount(pk, spec, length, shape);
  const joined = new Set(ctx.members.map((m) => lc(m.member)));
  // Members report in lower case; results name members as they joined (as the other backends do).
  const spelled = new Map(ctx.members.map((m) => [lc(m.member), m.member]));
  const rejected: Rejected[] = [];
  const groups = new Map<string, { p: SumPayload; by: string[] }>();
  for (const c of await ctx.contributions(Phase.Aggregate)) {
    try {
      if (plainCommitment(c.payload) !== c.commitment) throw new Error("payload does not match its on-chain commitment");
      const p = parseJson<SumPayload>(c.payload);
      if (p?.v !== 1 || p.kind !== "vector/paillier-sum" || !Array.isArray(p.c) || !Array.isArray(p.members) || !Array.isArray(p.rejected)) throw new Error("not a Paillier sum");
      if (p.key !== pk.fingerprint) throw new Error(`sum under key ${p.key}, not the task's`);
      if (p.c.length !== want || p.c.some((h) => typeof h !== "string" || !/^[0-9a-f]+$/.test(h))) throw new Error(`the sum must be ${want} hex ciphertexts`);
      if (p.members.some((m) => typeof m !== "string" || !joined.has(m)) || new Set(p.members).size !== p.members.length)
        throw new Error("the sum names members that did not join the round");
      if (p.members.length < spec.members.threshold) throw new Error(`the sum is over ${p.members.length} member(s), below members.threshold ${spec.members.threshold}`);
      const key = keccakHex(new TextEncoder().encode(canonicalJson({ members: [...p.members].sort(), c: p.c })));
      const g = groups.get(key) ?? { p, by: [] };
      g.by.push(lc(c.member));
      groups.set(key, g);
    } catch (e) {
      rejected.push({ member: c.member, phase: "reveal", reason: text(e) });
    }
  }
  const ranked = [...groups.entries()].sort(([ka, a], [kb, b]) => b.by.length - a.by.length || b.p.members.length - a.p.members.length || (ka < kb ? -1 : 1));
  if (!ranked.length) throw new Error(`paillier: no member submitted a valid sum; ${rejected.map((r) => `${r.member}: ${r.reason}`).join("; ") || "none arrived"}`);
  const [, best] = ranked[0];
  for (const [, g] of ranked.slice(1))
    for (const m of g.by)
      rejected.push({
        member: m,
        phase: "reveal",
        reason: `submitted a sum over other members or other ciphertexts than the ${best.by.length} member(s) agreeing on the one decrypted`,
      });
  for (const r of best.p.rejected)
    if (typeof r?.member === "string" && typeof r.reason === "string" && !rejected.some((x) => lc(x.member) === lc(r.member) && x.phase === "compute"))
      rejected.push({ member: spelled.get(lc(r.member)) ?? r.member, phase: "compute", reason: r.reason });
  const sk = await requesterSecretKey(ctx);
  const acc = best.p.c.map((h) => BigInt("0x" + h));
  const plain = await pool().run("paillierDecrypt", { p: sk.p, q: sk.q, ciphertexts: acc });
  const terms = best.p.members.length;
  const sum: bigint[] = [];
  let j = 0;
  for (const s of segments(pk, spec, length, shape))
    for (let i = 0; i < s.count; i += s.layout.slots) sum.push(...unpack(s.layout, plain[j++], Math.min(s.layout.slots, s.count - i), terms));
  return { sum, members: [...best.p.members].sort(), rejected };
}

/** The requester's secret key for the task, from its own blob store (named by the seeded state). */
export async function requesterSecretKey(ctx: AggregateContext): Promise<PaillierSecretKey> {
  const hash = ctx.state.get<PaillierRequesterState>()?.paillierKey;
  if (!hash) throw new Error("paillier: this requester node holds no secret key for the task (was it submitted with submitFederated on this node?)");
  const sk = parsePaillierSecretKey(new TextDecoder().decode(await ctx.local.get(hash)));
  if (sk.publicKey.n !== taskPublicKey(ctx.spec).n) throw new Error("paillier: the requester's stored key is not the one named in params.paillier");
  return sk;
}

/**
 * A fresh task key (Blum primes) with its certificate for `requester`: the modulus and the
 * certificate's bytes are public (the certificate goes to the connector's blob store, named by
 * params.paillier.cert), the secret stays in the requester node.
 */
export function newRequesterKey(bits: number, requester: string): { sk: PaillierSecretKey; n: string; secret: Uint8Array; cert: Uint8Array } {
  const sk = paillierKeygen(bits, { blum: true });
  return { sk, n: sk.publicKey.n.toString(16), secret: new TextEncoder().encode(serializePaillierSecretKey(sk)), cert: certificateFor(sk, requester) };
}

export function certificateFor(sk: PaillierSecretKey, requester: string): Uint8Array {
  return new TextEncoder().encode(serializeKeyCertificate(certifyKey(sk, keyBinding(requester))));
}
