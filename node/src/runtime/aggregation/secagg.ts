import { Phase, type SubmissionName } from "../../../../protocol/src/phases.js";
import type { TaskSpec } from "../../../../protocol/src/taskspec.js";
import {
  P,
  SecAggParty,
  SecAggServer,
  decodeMessage,
  encodeMessage,
  mod,
  toHex,
  type MaskedMsg,
  type PartyState,
  type SecAggParams,
  type SharesMsg,
  type UnmaskMsg,
  type UnmaskRequestMsg,
} from "../../crypto/secagg/index.js";
import { canonicalJson } from "../../../../protocol/src/canonical.js";
import { plainCommitment, type AggregateContext, type MemberContext, type ReceivedContribution, type RoundContext, type Submission } from "../handler.js";
import type { MemberKey } from "../../store/store.js";

/**
 * `secagg` backend: the secure aggregation of node/src/crypto/secagg mapped onto round phases.
 *
 *   Join       memberKey = a fresh X25519 key of the member for this round (ctx.roundKey, never the
 *              node's long-term key): the share-encryption key (cPk) of the protocol. The join is
 *              signed with the member's Ethereum key, which authenticates cPk as in Bonawitz et al.
 *              Every member that joined is in the roster U1 (sorted by address; Shamir point i+1).
 *   Setup      a fresh per-round mask key sPk and the Shamir shares of b and of the mask secret,
 *              each sealed to its holder's cPk. Valid setups form U2.
 *   Compute    the masked input y = x + PRG(b) ± pairwise masks with U2.
 *   Aggregate  each member reveals b-shares of the survivors (valid masked inputs: U3) and mask-key
 *              shares of U2 members that sent none or an invalid one; the requester reconstructs and
 *              gets the exact sum of U3's inputs.
 * Members and the requester derive U2, U3 and the unmask request from the same public submissions
 * with the same checks, so they agree without another message. The threshold t is
 * spec.members.threshold (at least 2; 2t > n keeps two disjoint groups from unmasking one party).
 * Both keys are fresh every round: the mask key, whose shares are revealed for dropped members,
 * and the share-encryption key, so no long-term key can open a round's shares.
 */
interface SetupPayload {
  v: 1;
  kind: "fed/secagg-setup";
  sPk: string;
  shares: SharesMsg;
}

interface SecaggState {
  secagg: PartyState;
}

/** Stands in for the mask key of a member that joined but sent no setup; never used for masks (the member is not in U2). */
const ABSENT_KEY = "0x09" + "00".repeat(31);

export interface Rejected {
  member: string;
  phase: SubmissionName;
  reason: string;
}

export function secaggThreshold(spec: TaskSpec): number {
  return spec.members.threshold;
}

function params(ctx: RoundContext, length: number): SecAggParams {
  return { taskId: ctx.taskId, round: ctx.round, threshold: secaggThreshold(ctx.spec), vectorLength: length };
}

const lc = (a: string) => a.toLowerCase();
const text = (e: unknown) => (e instanceof Error ? e.message : String(e));
const byMember = (a: ReceivedContribution, b: ReceivedContribution) => (lc(a.member) < lc(b.member) ? -1 : 1);

function parseJson(c: ReceivedContribution): unknown {
  if (plainCommitment(c.payload) !== c.commitment) throw new Error("payload does not match its on-chain commitment");
  try {
    return JSON.parse(new TextDecoder().decode(c.payload));
  } catch {
    throw new Error("payload is not JSON");
  }
}

function parseSetup(c: ReceivedContribution, p: SecAggParams): SetupPayload {
  const s = parseJson(c) as SetupPayload;
  if (s?.v !== 1 || s.kind !== "fed/secagg-setup" || typeof s.sPk !== "string" || !/^0x[0-9a-f]{64}$/.test(s.sPk) || typeof s.shares !== "object")
    throw new Error("not a secagg setup payload");
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion -- shares.from comes off the wire unchecked; String() keeps a non-string from throwing a TypeError
  if (lc(String(s.shares.from)) !== lc(c.member)) throw new Error("shares claim another sender");
  if (s.shares.taskId !== p.taskId || s.shares.round !== p.round) throw new Error("shares belong to another round");
  return s;
}

/** The public view after Setup: a server fed with U1's keys and U2's shares (same on every node). */
function setupView(members: MemberKey[], setups: ReceivedContribution[], p: SecAggParams) {
  const rejected: Rejected[] = [];
  const server = new SecAggServer(p);
  const valid = new Map<string, SetupPayload>();
  for (const c of [...setups].sort(byMember)) {
    try {
      valid.set(lc(c.member), parseSetup(c, p));
    } catch (e) {
      rejected.push({ member: c.member, phase: "setup", reason: text(e) });
    }
  }
  for (const m of members) {
    const sPk = valid.get(lc(m.member))?.sPk ?? ABSENT_KEY;
    server.addKeys({ kind: "secagg/keys", taskId: p.taskId, round: p.round, from: lc(m.member), cPk: lc(m.memberKey), sPk });
  }
  const roster = server.closeKeys();
  for (const [member, s] of valid) {
    try {
      server.addShares({ ...s.shares, kind: "secagg/shares", from: member });
    } catch (e) {
      rejected.push({ member, phase: "setup", reason: text(e) });
    }
  }
  const shareSet = server.closeShares();
  return { server, roster, shareSet, rejected };
}

function parseMasked(c: ReceivedContribution, p: SecAggParams): MaskedMsg {
  const m = decodeMessage(new TextEncoder().encode(JSON.stringify(parseJson(c)))) as MaskedMsg;
  if (m.kind !== "secagg/masked") throw new Error(`expected a masked input, got ${String(m.kind)}`);
  if (lc(m.from) !== lc(c.member)) throw new Error("masked input claims another sender");
  if (m.taskId !== p.taskId || m.round !== p.round) throw new Error("masked input belongs to another round");
  return m;
}

/** After Compute: the unmask request every member and the requester derive from the valid masked inputs. */
function maskedView(view: ReturnType<typeof setupView>, masked: ReceivedContribution[], p: SecAggParams) {
  for (const c of [...masked].sort(byMember)) {
    try {
      view.server.addMasked(parseMasked(c, p));
    } catch (e) {
      view.rejected.push({ member: c.member, phase: "compute", reason: text(e) });
    }
  }
  return view.server.closeMasked();
}

function submission(msg: unknown): Submission {
  const bytes = new TextEncoder().encode(canonicalJson(msg));
  return { payload: bytes, commitment: plainCommitment(bytes) };
}

export async function secaggSetup(ctx: MemberContext, length: number): Promise<Submission> {
  const p = params(ctx, length);
  const me = lc(ctx.self);
  // The share-encryption key is the round key the member joined with (its memberKey).
  const fresh = new SecAggParty(p, me).exportState();
  const party = SecAggParty.restore({ ...fresh, cSecret: toHex(ctx.roundKey.secretKey) });
  const mine = party.advertise();
  const joined = ctx.members.find((m) => lc(m.member) === me);
  if (!joined || lc(joined.memberKey) !== mine.cPk) throw new Error("secagg setup: this node's round key is not the member key it joined with");
  const parties = ctx.members
    .map((m) => ({ address: lc(m.member), cPk: lc(m.memberKey), sPk: lc(m.member) === me ? mine.sPk : ABSENT_KEY }))
    .sort((a, b) => (a.address < b.address ? -1 : 1));
  const shares = party.shareKeys({ kind: "secagg/roster", taskId: p.taskId, round: p.round, threshold: p.threshold, vectorLength: length, parties });
  ctx.state.set({ secagg: party.exportState() } satisfies SecaggState);
  return submission({ v: 1, kind: "fed/secagg-setup", sPk: mine.sPk, shares } satisfies SetupPayload);
}

function restore(ctx: MemberContext): PartyState {
  const st = ctx.state.get<SecaggState>()?.secagg;
  if (!st || st.params.round !== ctx.round || st.params.taskId !== ctx.taskId)
    throw new Error("secagg: this member has no setup state for the round (it sent no setup); it cannot take part");
  return st;
}

export async function secaggMasked(ctx: MemberContext, values: readonly bigint[]): Promise<Submission> {
  const st = restore(ctx);
  const p = st.params;
  if (values.length !== p.vectorLength) throw new Error(`secagg: contribution has ${values.length} values, setup was for ${p.vectorLength}`);
  const view = setupView(ctx.members, await ctx.contributions(Phase.Setup), p);
  // The roster as every node sees it after Setup: now with every U2 member's mask key.
  const party = SecAggParty.restore({ ...st, roster: view.roster });
  const msg = party.maskedInput(view.shareSet, values.map(mod));
  ctx.state.set({ secagg: party.exportState() } satisfies SecaggState);
  return submission(msg);
}

export async function secaggReveal(ctx: MemberContext): Promise<Submission> {
  const st = restore(ctx);
  const p = st.params;
  const view = setupView(ctx.members, await ctx.contributions(Phase.Setup), p);
  const request = maskedView(view, await ctx.contributions(Phase.Compute), p);
  const party = SecAggParty.restore(st);
  const msg = party.unmask(request);
  ctx.state.set({ secagg: party.exportState() } satisfies SecaggState);
  return submission(msg);
}

/** Structure check of a masked input (the requester's verify; the rest is checked in aggregate). */
export function secaggLooksValid(ctx: RoundContext, c: ReceivedContribution, length: number): boolean {
  try {
    const m = parseMasked(c, params(ctx, length));
    return Array.isArray(m.y) && m.y.length === length;
  } catch {
    return false;
  }
}

export interface SecaggSum {
  sum: bigint[];
  survivors: string[];
  dropped: string[];
  rejected: Rejected[];
}

/** Requester: rebuild the protocol's server from the round's public submissions and unmask. */
export async function secaggAggregate(ctx: AggregateContext, length: number): Promise<SecaggSum> {
  const p = params(ctx, length);
  const view = setupView(ctx.members, await ctx.contributions(Phase.Setup), p);
  const request: UnmaskRequestMsg = maskedView(view, await ctx.contributions(Phase.Compute), p);
  for (const c of (await ctx.contributions(Phase.Aggregate)).sort(byMember)) {
    try {
      const m = decodeMessage(new TextEncoder().encode(JSON.stringify(parseJson(c)))) as UnmaskMsg;
      if (m.kind !== "secagg/unmask" || lc(m.from) !== lc(c.member)) throw new Error("not this member's unmask message");
      view.server.addUnmask(m);
    } catch (e) {
      view.rejected.push({ member: c.member, phase: "reveal", reason: text(e) });
    }
  }
  const { sum, survivors } = view.server.finalize();
  const half = P / 2n;
  return { sum: sum.map((x) => (x > half ? x - P : x)), survivors, dropped: request.dropped, rejected: view.rejected };
}

export { encodeMessage };
