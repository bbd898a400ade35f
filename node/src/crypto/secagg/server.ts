import { x25519 } from "@noble/curves/ed25519.js";
import { addVec, subVec, checkVector, prgElements } from "./field.js";
import { Interpolator } from "./shamir.js";
import { maskKeyBytes, pairMaskSeed, selfMaskSeed } from "./keys.js";
import { checkParams, type SecAggParams } from "./party.js";
import {
  type KeysMsg,
  type RosterMsg,
  type SharesMsg,
  type ShareSetMsg,
  type MaskedMsg,
  type UnmaskRequestMsg,
  type UnmaskMsg,
  normAddress,
  hexBytes,
  parseElem,
  checkRound,
  toHex,
} from "./messages.js";

type Stage = "keys" | "shares" | "masked" | "unmask" | "done";

export interface SecAggResult {
  /** Σ of the survivors' inputs, mod p. */
  sum: bigint[];
  /** U3: the parties whose inputs are in the sum. */
  survivors: string[];
}

/**
 * The aggregator: collects each phase's messages until the runtime closes the phase (deadline or
 * all present), then publishes what the parties need next. It holds no secret; anyone reading the
 * broadcast channel can run it and get the same sum.
 */
export class SecAggServer {
  readonly params: SecAggParams;
  private stage: Stage = "keys";
  private keys = new Map<string, KeysMsg>();
  private roster?: RosterMsg;
  private shares = new Map<string, SharesMsg>();
  private u2: string[] = [];
  private masked = new Map<string, bigint[]>();
  private request?: UnmaskRequestMsg;
  private unmasks = new Map<string, UnmaskMsg>();

  constructor(params: SecAggParams) {
    checkParams(params);
    this.params = { ...params };
  }

  private expect(stage: Stage, what: string): void {
    if (this.stage !== stage) throw new Error(`${what}: the round is in stage "${this.stage}", not "${stage}"`);
  }

  private fail(stage: string, have: number): never {
    throw new Error(`secagg round ${this.params.taskId}/${this.params.round} failed at ${stage}: ${have} parties remain, below the threshold ${this.params.threshold}`);
  }

  addKeys(m: KeysMsg): void {
    this.expect("keys", "addKeys");
    checkRound(m, this.params, "keys message");
    const from = normAddress(m.from, "keys.from");
    if (this.keys.has(from)) throw new Error(`keys message: ${from} already published keys this round`);
    const cPk = hexBytes(m.cPk, 32, "keys.cPk");
    const sPk = hexBytes(m.sPk, 32, "keys.sPk");
    if (toHex(cPk) === toHex(sPk)) throw new Error(`keys message from ${from}: the two public keys must differ`);
    this.keys.set(from, { ...m, from, cPk: toHex(cPk), sPk: toHex(sPk) });
  }

  /** Close setup: U1 = keys received. */
  closeKeys(): RosterMsg {
    this.expect("keys", "closeKeys");
    if (this.keys.size < this.params.threshold) this.fail("setup", this.keys.size);
    const parties = [...this.keys.values()].sort((a, b) => (a.from < b.from ? -1 : 1)).map((k) => ({ address: k.from, cPk: k.cPk, sPk: k.sPk }));
    this.roster = {
      kind: "secagg/roster",
      taskId: this.params.taskId,
      round: this.params.round,
      threshold: this.params.threshold,
      vectorLength: this.params.vectorLength,
      parties,
    };
    this.stage = "shares";
    return this.roster;
  }

  addShares(m: SharesMsg): void {
    this.expect("shares", "addShares");
    checkRound(m, this.params, "shares message");
    const from = normAddress(m.from, "shares.from");
    const others = this.roster!.parties.map((p) => p.address).filter((a) => a !== from);
    if (others.length === this.roster!.parties.length) throw new Error(`shares message: ${from} is not in the roster`);
    if (this.shares.has(from)) throw new Error(`shares message: ${from} already sent its shares`);
    const to = m.shares.map((s, i) => normAddress(s.to, `shares.shares[${i}].to`));
    if (to.length !== others.length || [...to].sort().some((a, i) => a !== others[i])) {
      throw new Error(`shares message from ${from}: must hold exactly one share for every other roster member`);
    }
    this.shares.set(from, { ...m, from });
  }

  /** Close share distribution: U2 = parties whose shares arrived; their messages go to everyone. */
  closeShares(): ShareSetMsg {
    this.expect("shares", "closeShares");
    if (this.shares.size < this.params.threshold) this.fail("share distribution", this.shares.size);
    this.u2 = [...this.shares.keys()].sort();
    this.stage = "masked";
    return { kind: "secagg/share-set", taskId: this.params.taskId, round: this.params.round, messages: this.u2.map((a) => this.shares.get(a)!) };
  }

  addMasked(m: MaskedMsg): void {
    this.expect("masked", "addMasked");
    checkRound(m, this.params, "masked message");
    const from = normAddress(m.from, "masked.from");
    if (!this.u2.includes(from)) throw new Error(`masked message: ${from} did not share keys this round; its input cannot be unmasked`);
    if (this.masked.has(from)) throw new Error(`masked message: ${from} already sent its masked input`);
    if (!Array.isArray(m.y)) throw new Error("masked message: y must be an array of hex field elements");
    const y = m.y.map((v, i) => parseElem(v, `masked.y[${i}]`));
    checkVector(y, this.params.vectorLength, `masked input of ${from}`);
    this.masked.set(from, y);
  }

  /** Close masked input: U3 = senders; everyone else in U2 is dropped and has its mask key rebuilt. */
  closeMasked(): UnmaskRequestMsg {
    this.expect("masked", "closeMasked");
    if (this.masked.size < this.params.threshold) this.fail("masked input", this.masked.size);
    const survivors = [...this.masked.keys()].sort();
    this.request = {
      kind: "secagg/unmask-request",
      taskId: this.params.taskId,
      round: this.params.round,
      survivors,
      dropped: this.u2.filter((a) => !this.masked.has(a)),
    };
    this.stage = "unmask";
    return this.request;
  }

  addUnmask(m: UnmaskMsg): void {
    this.expect("unmask", "addUnmask");
    checkRound(m, this.params, "unmask message");
    const from = normAddress(m.from, "unmask.from");
    if (!this.request!.survivors.includes(from)) throw new Error(`unmask message: ${from} is not a survivor`);
    if (this.unmasks.has(from)) throw new Error(`unmask message: ${from} already answered`);
    const ofB = m.bShares.map((s) => normAddress(s.of, "unmask.bShares.of")).sort();
    const ofSk = m.skShares.map((s) => normAddress(s.of, "unmask.skShares.of")).sort();
    if (ofB.join() !== this.request!.survivors.join() || ofSk.join() !== [...this.request!.dropped].sort().join()) {
      throw new Error(`unmask message from ${from}: must hold one b-share per survivor and one key share per dropped party`);
    }
    this.unmasks.set(from, m);
  }

  /** Close unmasking (U4 = responders, at least t) and compute the exact sum of U3's inputs. */
  finalize(): SecAggResult {
    this.expect("unmask", "finalize");
    if (this.unmasks.size < this.params.threshold) this.fail("unmasking", this.unmasks.size);
    const roster = this.roster!;
    const point = new Map(roster.parties.map((p, i) => [p.address, i + 1]));
    const responders = [...this.unmasks.keys()].sort();
    const interp = new Interpolator(
      responders.map((a) => point.get(a)!),
      this.params.threshold,
    );
    const gather = (of: string, kind: "bShares" | "skShares") => {
      const m = new Map<number, bigint>();
      for (const r of responders) {
        const s = this.unmasks.get(r)![kind].find((x) => x.of.toLowerCase() === of)!;
        m.set(point.get(r)!, parseElem(s.share, `unmask ${kind} of ${of} from ${r}`));
      }
      return m;
    };
    const { survivors, dropped } = this.request!;
    const L = this.params.vectorLength;
    const sum = new Array<bigint>(L).fill(0n);
    for (const a of survivors) {
      const y = this.masked.get(a)!;
      addVec(sum, y);
    }
    for (const a of survivors) {
      const b = interp.reconstruct(gather(a, "bShares"), `self-mask seed of ${a}`);
      subVec(sum, prgElements(selfMaskSeed(this.params, b, a), L));
    }
    const sPk = new Map(roster.parties.map((p) => [p.address, p.sPk]));
    for (const d of dropped) {
      const sk = maskKeyBytes(interp.reconstruct(gather(d, "skShares"), `mask key of ${d}`));
      if (toHex(x25519.getPublicKey(sk)) !== sPk.get(d)) throw new Error(`reconstructed mask key of ${d} does not match its published key; a share is wrong`);
      for (const a of survivors) {
        const mask = prgElements(pairMaskSeed(this.params, sk, hexBytes(sPk.get(a)!, 32, "sPk"), d, a), L);
        // a added the mask if a < d and subtracted it otherwise; undo that.
        if (a < d) subVec(sum, mask);
        else addVec(sum, mask);
      }
    }
    this.stage = "done";
    return { sum, survivors: [...survivors] };
  }
}
