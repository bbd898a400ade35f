import { x25519 } from "@noble/curves/ed25519.js";
import { addVec, subVec, checkVector, prgElements, randomElement, elementToBytes, bytesToElement } from "./field.js";
import { split } from "./shamir.js";
import { maskKeyBytes, publicKey, pairMaskSeed, selfMaskSeed, sealShare, openShare } from "./keys.js";
import {
  type KeysMsg,
  type RosterMsg,
  type SharesMsg,
  type ShareSetMsg,
  type MaskedMsg,
  type UnmaskRequestMsg,
  type UnmaskMsg,
  type RoundId,
  normAddress,
  hexBytes,
  toHex,
  elemHex,
  checkRound,
} from "./messages.js";

export interface SecAggParams extends RoundId {
  /** Minimum number of parties that must remain at every step; 2t > n keeps two disjoint groups from unmasking one party twice. */
  threshold: number;
  vectorLength: number;
}

type Phase = "keys" | "shares" | "masked" | "done";

/** Everything a party must persist between phases to resume after a restart (all secrets: store encrypted). */
export interface PartyState {
  params: SecAggParams;
  address: string;
  phase: Phase;
  cSecret: string;
  sSecret: string;
  b: string;
  roster?: RosterMsg;
  shareSet?: string[];
  held?: Record<string, { b: string; sk: string }>;
  revealed?: Record<string, "b" | "sk">;
}

export function checkParams(p: SecAggParams): void {
  if (!Number.isInteger(p.taskId) || p.taskId < 0) throw new Error(`secagg params: taskId ${p.taskId} must be a non-negative integer`);
  if (!Number.isInteger(p.round) || p.round < 0) throw new Error(`secagg params: round ${p.round} must be a non-negative integer`);
  if (!Number.isInteger(p.threshold) || p.threshold < 2) throw new Error(`secagg params: threshold ${p.threshold} must be an integer ≥ 2`);
  if (!Number.isInteger(p.vectorLength) || p.vectorLength < 1) throw new Error(`secagg params: vectorLength ${p.vectorLength} must be a positive integer`);
}

/**
 * One party's side of the protocol of Bonawitz et al. (CCS 2017) with consistent broadcast:
 * advertise keys → share keys → masked input → unmask. Each method is one phase; it checks that
 * the phases come in order so a replayed or reordered message cannot make the party leak.
 */
export class SecAggParty {
  readonly params: SecAggParams;
  readonly address: string;
  private phase: Phase = "keys";
  private readonly cSecret: Uint8Array;
  private readonly sSecret: bigint;
  private readonly b: bigint;
  private roster?: RosterMsg;
  private shareSet?: string[];
  private held = new Map<string, { b: bigint; sk: bigint }>();
  /** Which secret of each peer this party has already given out: never both. */
  private revealed = new Map<string, "b" | "sk">();

  constructor(params: SecAggParams, address: string, state?: PartyState) {
    checkParams(params);
    this.params = { taskId: params.taskId, round: params.round, threshold: params.threshold, vectorLength: params.vectorLength };
    this.address = normAddress(address, "party address");
    if (state) {
      this.phase = state.phase;
      this.cSecret = hexBytes(state.cSecret, 32, "state.cSecret");
      this.sSecret = BigInt(state.sSecret);
      this.b = BigInt(state.b);
      this.roster = state.roster;
      this.shareSet = state.shareSet;
      for (const [k, v] of Object.entries(state.held ?? {})) this.held.set(k, { b: BigInt(v.b), sk: BigInt(v.sk) });
      for (const [k, v] of Object.entries(state.revealed ?? {})) this.revealed.set(k, v);
    } else {
      // Fresh keys every round: a revealed mask key (of a party that dropped) is useless in any other round.
      this.cSecret = x25519.utils.randomSecretKey();
      this.sSecret = randomElement();
      this.b = randomElement();
    }
  }

  static restore(state: PartyState): SecAggParty {
    return new SecAggParty(state.params, state.address, state);
  }

  exportState(): PartyState {
    const held: Record<string, { b: string; sk: string }> = {};
    for (const [k, v] of this.held) held[k] = { b: elemHex(v.b), sk: elemHex(v.sk) };
    return {
      params: { ...this.params },
      address: this.address,
      phase: this.phase,
      cSecret: toHex(this.cSecret),
      sSecret: elemHex(this.sSecret),
      b: elemHex(this.b),
      roster: this.roster,
      shareSet: this.shareSet,
      held,
      revealed: Object.fromEntries(this.revealed),
    };
  }

  private expect(phase: Phase, step: string): void {
    if (this.phase !== phase) throw new Error(`${step}: party ${this.address} is in phase "${this.phase}", not "${phase}"; phases must run in order once`);
  }

  /** Setup: publish the two per-round public keys. */
  advertise(): KeysMsg {
    return {
      kind: "secagg/keys",
      taskId: this.params.taskId,
      round: this.params.round,
      from: this.address,
      cPk: toHex(publicKey(this.cSecret)),
      sPk: toHex(publicKey(maskKeyBytes(this.sSecret))),
    };
  }

  /** Share distribution: Shamir-share b and the mask secret key among U1, each share sealed to its holder. */
  shareKeys(roster: RosterMsg): SharesMsg {
    this.expect("keys", "shareKeys");
    checkRound(roster, this.params, "roster");
    if (roster.threshold !== this.params.threshold || roster.vectorLength !== this.params.vectorLength) {
      throw new Error(`roster: threshold/vectorLength ${roster.threshold}/${roster.vectorLength} differ from this round's ${this.params.threshold}/${this.params.vectorLength}`);
    }
    const addrs = roster.parties.map((p, i) => normAddress(p.address, `roster.parties[${i}].address`));
    for (let i = 1; i < addrs.length; i++) if (addrs[i - 1] >= addrs[i]) throw new Error("roster: parties must be sorted by address without duplicates");
    const me = addrs.indexOf(this.address);
    if (me < 0) throw new Error(`roster: ${this.address} is not in it; this party's keys were not accepted this round`);
    const mine = this.advertise();
    if (roster.parties[me].cPk !== mine.cPk || roster.parties[me].sPk !== mine.sPk) {
      throw new Error("roster: the keys listed for this party are not the ones it published; refusing (possible substitution)");
    }
    if (addrs.length < this.params.threshold) throw new Error(`roster: ${addrs.length} parties is below the threshold ${this.params.threshold}; the round fails`);
    const xs = addrs.map((_, i) => i + 1);
    const bShares = split(this.b, xs, this.params.threshold);
    const skShares = split(this.sSecret, xs, this.params.threshold);
    const shares = roster.parties.flatMap((p, i) => {
      if (i === me) {
        this.held.set(this.address, { b: bShares[i].y, sk: skShares[i].y });
        return [];
      }
      const plain = new Uint8Array(64);
      plain.set(elementToBytes(bShares[i].y), 0);
      plain.set(elementToBytes(skShares[i].y), 32);
      const { nonce, ct } = sealShare(this.params, this.cSecret, hexBytes(p.cPk, 32, "roster cPk"), this.address, addrs[i], plain);
      return [{ to: addrs[i], nonce: toHex(nonce), ct: toHex(ct) }];
    });
    this.roster = { ...roster, parties: roster.parties.map((p, i) => ({ ...p, address: addrs[i] })) };
    this.phase = "shares";
    return { kind: "secagg/shares", taskId: this.params.taskId, round: this.params.round, from: this.address, shares };
  }

  /**
   * Masked input: open the shares addressed to this party (any tampering aborts) and send
   * x + PRG(b) + Σ_{j∈U2, me<j} PRG(s_ij) − Σ_{j∈U2, j<me} PRG(s_ij), all mod p.
   */
  maskedInput(shareSet: ShareSetMsg, input: readonly bigint[]): MaskedMsg {
    this.expect("shares", "maskedInput");
    checkRound(shareSet, this.params, "share set");
    checkVector(input, this.params.vectorLength, "maskedInput: input");
    const roster = this.roster!;
    const byAddr = new Map(roster.parties.map((p) => [p.address, p]));
    const u2: string[] = [];
    for (const [k, m] of shareSet.messages.entries()) {
      checkRound(m, this.params, `share set message ${k}`);
      const from = normAddress(m.from, `share set message ${k}.from`);
      if (!byAddr.has(from)) throw new Error(`share set: ${from} is not in the roster`);
      if (u2.includes(from)) throw new Error(`share set: ${from} appears twice`);
      u2.push(from);
      if (from === this.address) continue;
      const mine = m.shares.filter((s) => s.to.toLowerCase() === this.address);
      if (mine.length !== 1) throw new Error(`share set: ${from} sent ${mine.length} shares to ${this.address}, expected exactly 1`);
      const plain = openShare(
        this.params,
        this.cSecret,
        hexBytes(byAddr.get(from)!.cPk, 32, "cPk"),
        from,
        this.address,
        hexBytes(mine[0].nonce, 24, "share nonce"),
        hexBytes(mine[0].ct, undefined, "share ct"),
      );
      if (plain.length !== 64) throw new Error(`share from ${from}: plaintext has ${plain.length} bytes, expected 64`);
      this.held.set(from, { b: bytesToElement(plain.subarray(0, 32), `share from ${from}`), sk: bytesToElement(plain.subarray(32), `share from ${from}`) });
    }
    if (!u2.includes(this.address)) throw new Error(`share set: ${this.address}'s own shares are missing; it is dropped from this round`);
    if (u2.length < this.params.threshold) throw new Error(`share set: ${u2.length} parties shared keys, below the threshold ${this.params.threshold}; the round fails`);
    // Shares from parties outside U2 must not be kept: they play no part in this round.
    for (const k of [...this.held.keys()]) if (!u2.includes(k)) this.held.delete(k);
    u2.sort();
    const y = [...input];
    addVec(y, prgElements(selfMaskSeed(this.params, this.b, this.address), this.params.vectorLength));
    const sk = maskKeyBytes(this.sSecret);
    for (const peer of u2) {
      if (peer === this.address) continue;
      const mask = prgElements(pairMaskSeed(this.params, sk, hexBytes(byAddr.get(peer)!.sPk, 32, "sPk"), this.address, peer), this.params.vectorLength);
      if (this.address < peer) addVec(y, mask);
      else subVec(y, mask);
    }
    this.shareSet = u2;
    this.phase = "masked";
    return { kind: "secagg/masked", taskId: this.params.taskId, round: this.params.round, from: this.address, y: y.map(elemHex) };
  }

  /**
   * Unmasking: reveal b-shares of survivors and mask-key shares of dropped parties. A peer whose
   * b-share was given out never gets its mask-key share given out, and vice versa, across every
   * request this party ever answers: with both, the server could strip a live party's masks.
   */
  unmask(req: UnmaskRequestMsg): UnmaskMsg {
    if (this.phase !== "masked" && this.phase !== "done") this.expect("masked", "unmask");
    checkRound(req, this.params, "unmask request");
    const survivors = req.survivors.map((a, i) => normAddress(a, `unmask request survivors[${i}]`));
    const dropped = req.dropped.map((a, i) => normAddress(a, `unmask request dropped[${i}]`));
    const u2 = new Set(this.shareSet);
    for (const a of survivors) {
      if (dropped.includes(a)) throw new Error(`unmask request asks for both the self-mask share and the mask-key share of ${a}; refused`);
    }
    if (new Set(survivors).size !== survivors.length || new Set(dropped).size !== dropped.length) throw new Error("unmask request: an address is listed twice; refused");
    for (const a of [...survivors, ...dropped]) if (!u2.has(a)) throw new Error(`unmask request: ${a} did not share keys this round; refused`);
    if (survivors.length + dropped.length !== u2.size) throw new Error("unmask request: survivors and dropped must together be exactly the parties that shared keys; refused");
    if (!survivors.includes(this.address)) throw new Error(`unmask request: ${this.address} is listed as dropped but is answering; refused`);
    if (survivors.length < this.params.threshold) throw new Error(`unmask request: ${survivors.length} survivors is below the threshold ${this.params.threshold}; the round fails`);
    for (const a of survivors) {
      if (this.revealed.get(a) === "sk") throw new Error(`unmask request: the mask-key share of ${a} was already revealed; revealing its self-mask share too is refused`);
    }
    for (const a of dropped) {
      if (this.revealed.get(a) === "b") throw new Error(`unmask request: the self-mask share of ${a} was already revealed; revealing its mask-key share too is refused`);
    }
    for (const a of survivors) this.revealed.set(a, "b");
    for (const a of dropped) this.revealed.set(a, "sk");
    this.phase = "done";
    return {
      kind: "secagg/unmask",
      taskId: this.params.taskId,
      round: this.params.round,
      from: this.address,
      bShares: survivors.map((a) => ({ of: a, share: elemHex(this.held.get(a)!.b) })),
      skShares: dropped.map((a) => ({ of: a, share: elemHex(this.held.get(a)!.sk) })),
    };
  }
}
