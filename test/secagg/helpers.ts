import { Wallet } from "ethers";
import { SecAggParty, SecAggServer, decodeMessage, encodeMessage, type SecAggMsg, type SecAggParams } from "../../node/src/crypto/secagg/index.js";
import { P, randomElements } from "../../node/src/crypto/secagg/field.js";

export function addresses(n: number): string[] {
  return Array.from({ length: n }, () => Wallet.createRandom().address.toLowerCase());
}

/** Every message crosses the channel as bytes, as it would on the chain. */
export function wire<T extends SecAggMsg>(m: T): T {
  return decodeMessage(encodeMessage(m)) as T;
}

export interface Drops {
  beforeKeys?: string[];
  beforeShares?: string[];
  beforeMasked?: string[];
  beforeUnmask?: string[];
}

export function runRound(params: SecAggParams, inputs: Map<string, bigint[]>, drops: Drops = {}) {
  const parties = new Map([...inputs.keys()].map((a) => [a, new SecAggParty(params, a)]));
  const server = new SecAggServer(params);
  const alive = (a: string, list?: string[]) => !(list ?? []).includes(a);
  for (const [a, p] of parties) if (alive(a, drops.beforeKeys)) server.addKeys(wire(p.advertise()));
  const roster = wire(server.closeKeys());
  const inRoster = roster.parties.map((p) => p.address);
  for (const a of inRoster) if (alive(a, drops.beforeShares)) server.addShares(wire(parties.get(a)!.shareKeys(roster)));
  const shareSet = wire(server.closeShares());
  const u2 = shareSet.messages.map((m) => m.from);
  for (const a of u2) if (alive(a, drops.beforeMasked)) server.addMasked(wire(parties.get(a)!.maskedInput(shareSet, inputs.get(a)!)));
  const req = wire(server.closeMasked());
  for (const a of req.survivors) if (alive(a, drops.beforeUnmask)) server.addUnmask(wire(parties.get(a)!.unmask(req)));
  return { ...server.finalize(), parties, server, req };
}

export function plainSum(inputs: Map<string, bigint[]>, who: string[], len: number): bigint[] {
  const s = new Array<bigint>(len).fill(0n);
  for (const a of who) inputs.get(a)!.forEach((v, i) => (s[i] = (s[i] + v) % P));
  return s;
}

export function randomInputs(addrs: string[], len: number): Map<string, bigint[]> {
  return new Map(addrs.map((a) => [a, randomElements(len)]));
}
