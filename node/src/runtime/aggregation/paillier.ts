import { canonicalJson } from "../../../../protocol/src/canonical.js";
import { gcd } from "../../crypto/bigmath.js";
import {
  pack,
  packingLayout,
  paillierAdd,
  paillierKeygen,
  paillierPublicKey,
  parsePaillierSecretKey,
  serializePaillierSecretKey,
  unpack,
  type PackingLayout,
  type PaillierPublicKey,
  type PaillierSecretKey,
} from "../../crypto/paillier.js";
import { paramField, type TaskSpec } from "../../../../protocol/src/taskspec.js";
import { plainCommitment, type AggregateContext, type ReceivedContribution, type Submission } from "../handler.js";
import { VALUE_BITS } from "./vector.js";
import { pool } from "../pool.js";

/**
 * `paillier` backend: each member packs its encoded vector into as few plaintexts as the key
 * allows (VALUE_BITS-bit signed slots with headroom for spec.members.max terms) and encrypts them
 * to the requester's key; the requester multiplies the ciphertexts of every valid contribution
 * slot by slot and decrypts only the sum. Nobody but the requester can read anything, and the
 * requester reads only the sum. Paillier is malleable and a member could put out-of-range values
 * in its slots: integrity comes from the on-chain commitment (keccak of the payload) and, where a
 * task asks for it, zk proofs; the requester checks that the sum is in range.
 */
interface PaillierPayload {
  v: 1;
  kind: "vector/paillier";
  /** Fingerprint of the key the ciphertexts are under. */
  key: string;
  c: string[];
}

/** Requester-side state the submission seeds (the secret key itself stays in the node's own blob store). */
export interface PaillierRequesterState {
  paillierKey?: string;
}

export function taskPublicKey(spec: TaskSpec): PaillierPublicKey {
  const n = paramField(spec, "paillier")?.n;
  if (!n) throw new Error('params.paillier.n: aggregation "paillier" needs the requester\'s public key; submit the task with submitFederated (it makes one)');
  return paillierPublicKey(BigInt("0x" + n));
}

export function layoutFor(pk: PaillierPublicKey, spec: TaskSpec): PackingLayout {
  return packingLayout(pk, VALUE_BITS, spec.members.max);
}

/** Encrypts the packed vector on a pool thread (≈ 120 ms per ciphertext at 2,048 bits). */
export async function paillierSubmission(spec: TaskSpec, values: readonly bigint[]): Promise<Submission> {
  const pk = taskPublicKey(spec);
  const layout = layoutFor(pk, spec);
  const plaintexts: bigint[] = [];
  for (let i = 0; i < values.length; i += layout.slots) plaintexts.push(pack(layout, values.slice(i, i + layout.slots)));
  const c = (await pool().run("paillierEncrypt", { n: pk.n, plaintexts })).map((x) => x.toString(16));
  const payload: PaillierPayload = { v: 1, kind: "vector/paillier", key: pk.fingerprint, c };
  const bytes = new TextEncoder().encode(canonicalJson(payload));
  return { payload: bytes, commitment: plainCommitment(bytes) };
}

/** Ciphertexts of one contribution, checked: commitment, key, count, each a unit mod n². */
export function parsePaillier(spec: TaskSpec, c: ReceivedContribution, length: number): bigint[] {
  if (plainCommitment(c.payload) !== c.commitment) throw new Error("payload does not match its on-chain commitment");
  const pk = taskPublicKey(spec);
  const layout = layoutFor(pk, spec);
  let p: PaillierPayload;
  try {
    p = JSON.parse(new TextDecoder().decode(c.payload)) as PaillierPayload;
  } catch {
    throw new Error("payload is not JSON");
  }
  if (p?.v !== 1 || p.kind !== "vector/paillier" || !Array.isArray(p.c)) throw new Error("payload is not a Paillier contribution");
  if (p.key !== pk.fingerprint) throw new Error(`ciphertexts are under key ${p.key}, not the task's ${pk.fingerprint}`);
  const want = Math.ceil(length / layout.slots);
  if (p.c.length !== want) throw new Error(`${p.c.length} ciphertexts, the task's vector needs ${want}`);
  return p.c.map((h, i) => {
    if (typeof h !== "string" || !/^[0-9a-f]+$/.test(h)) throw new Error(`ciphertext ${i} is not hex`);
    const x = BigInt("0x" + h);
    if (x <= 0n || x >= pk.n2 || gcd(x, pk.n) !== 1n) throw new Error(`ciphertext ${i} is not a ciphertext of the task's key`);
    return x;
  });
}

/** Σ of the members' ciphertexts, decrypted on a pool thread (the secret primes cross to it by message, never to disk). */
export async function paillierSum(spec: TaskSpec, sk: PaillierSecretKey, parts: readonly bigint[][], length: number): Promise<bigint[]> {
  const pk = sk.publicKey;
  const layout = layoutFor(pk, spec);
  const acc = parts[0].slice();
  for (const p of parts.slice(1)) for (let i = 0; i < acc.length; i++) acc[i] = paillierAdd(pk, acc[i], p[i]);
  const plain = await pool().run("paillierDecrypt", { p: sk.p, q: sk.q, ciphertexts: acc });
  const out: bigint[] = [];
  plain.forEach((m, i) => out.push(...unpack(layout, m, Math.min(layout.slots, length - i * layout.slots), parts.length)));
  return out;
}

/** The requester's secret key for the task, from its own blob store (named by the seeded state). */
export async function requesterSecretKey(ctx: AggregateContext): Promise<PaillierSecretKey> {
  const hash = ctx.state.get<PaillierRequesterState>()?.paillierKey;
  if (!hash) throw new Error("paillier: this requester node holds no secret key for the task (was it submitted with submitFederated on this node?)");
  const sk = parsePaillierSecretKey(new TextDecoder().decode(await ctx.local.get(hash)));
  if (sk.publicKey.n !== taskPublicKey(ctx.spec).n) throw new Error("paillier: the requester's stored key is not the one named in params.paillier");
  return sk;
}

export function newRequesterKey(bits: number): { sk: PaillierSecretKey; n: string; secret: Uint8Array } {
  const sk = paillierKeygen(bits);
  return { sk, n: sk.publicKey.n.toString(16), secret: new TextEncoder().encode(serializePaillierSecretKey(sk)) };
}
