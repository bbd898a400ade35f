import { keccak256, Wallet } from "ethers";
import { x25519 } from "@noble/curves/ed25519.js";
import type { DatasetRecord } from "../../../chain-connector/src/connector.js";
import { roundBinding } from "../../../protocol/src/binding.js";
import { Phase } from "../../../protocol/src/phases.js";
import { parseTaskSpec, type TaskSpec, type TaskSpecInput } from "../../../protocol/src/taskspec.js";
import { commitTable } from "../data/commit.js";
import { openSealed } from "../crypto/sealedbox.js";
import type { Table } from "../data/table.js";
import { createLogger, type Logger } from "../log.js";
import type { DatasetRow, MemberKey } from "../store/store.js";
import { certificateFor, newRequesterKey, type PaillierRequesterState } from "./aggregation/paillier.js";
import { parsePaillierSecretKey } from "../crypto/paillier.js";
import type { AggregateContext, BlobAccess, MemberContext, ReceivedContribution, RoundContext, RoundOutcome, Submission, TaskKindHandler } from "./handler.js";

/**
 * Local debug mode: runs a kind's handler over several in-memory datasets in one process, with no
 * connector, chain or network, through the same phases the runtime drives (Setup when the spec has
 * one, Compute, reveals when the kind uses them, the requester's verify and aggregate) and the
 * same backends: plain, secagg (real keys, shares and masks) and paillier (a real key pair). It
 * gives the same results as a networked run on the same data and initial parameters.
 */
export interface LocalOptions {
  /** Paillier modulus size for aggregation "paillier" (default 2048). */
  paillierBits?: number;
  /** A requester key made beforehand (newRequesterKey), instead of a fresh one. */
  paillierKey?: { n: string; secret: Uint8Array };
  /** Members (0-based) that go silent before the given phase in round 1 (to try drop-outs). */
  drop?: { setup?: number[]; compute?: number[]; reveal?: number[] };
  /** Replaces a member's submission (to try wrong contributions). */
  tamper?: (info: { round: number; phase: "setup" | "compute" | "reveal"; member: number }, s: Submission, ctx: MemberContext) => Submission | Promise<Submission>;
  /** The requester's X25519 secret key (what members seal to), instead of a fresh one. */
  requesterX25519?: Uint8Array;
  log?: Logger;
}

export interface LocalRun {
  spec: TaskSpec;
  /** Each round's outcome, in order; the last one is the task's result. */
  rounds: RoundOutcome[];
  result: unknown;
  members: string[];
}

class MemoryBlobs implements BlobAccess {
  private readonly m = new Map<string, Uint8Array>();
  async put(b: Uint8Array): Promise<string> {
    const h = keccak256(b);
    this.m.set(h, b);
    return h;
  }
  async get(h: string): Promise<Uint8Array> {
    const b = this.m.get(h);
    if (!b) throw new Error(`local: no blob ${h}`);
    return b;
  }
}

export async function runLocal(
  handler: TaskKindHandler,
  input: Omit<TaskSpecInput, "requester" | "datasets"> & { datasets?: TaskSpecInput["datasets"] },
  tables: Table[],
  opts: LocalOptions = {},
): Promise<LocalRun> {
  if (tables.length === 0) throw new Error("runLocal: give at least one member dataset");
  const log = opts.log ?? createLogger("local", "silent");
  const wallets = tables.map(() => Wallet.createRandom());
  const requester = Wallet.createRandom().address;
  const requesterX = opts.requesterX25519 ?? x25519.utils.randomSecretKey();
  const requesterPk = x25519.getPublicKey(requesterX);
  const params: Record<string, unknown> = { ...(input.params ?? {}) };
  const local = new MemoryBlobs();
  const blobs = new MemoryBlobs();
  let requesterState: unknown;
  if (input.aggregation === "paillier" && params.paillier === undefined) {
    // As on a network, the key's certificate (bound to this run's requester) is a public blob the members verify before encrypting.
    const made = opts.paillierKey ? undefined : newRequesterKey(opts.paillierBits ?? 2048, requester);
    const k = opts.paillierKey ?? made!;
    const cert = made?.cert ?? certificateFor(parsePaillierSecretKey(new TextDecoder().decode(k.secret)), requester);
    params.paillier = { n: k.n, cert: await blobs.put(cert) };
    requesterState = { paillierKey: await local.put(k.secret) } satisfies PaillierRequesterState;
  }
  const spec = parseTaskSpec({
    ...input,
    params,
    requester,
    setup: input.setup ?? input.aggregation === "secagg",
    datasets: input.datasets ?? wallets.map((w) => ({ owner: w.address, datasetId: "local" })),
  });
  if (!handler.aggregations.includes(spec.aggregation)) throw new Error(`runLocal: kind ${handler.kind} has no ${spec.aggregation} aggregation`);
  const keys = wallets.map(() => {
    const secretKey = x25519.utils.randomSecretKey();
    return { secretKey, publicKey: x25519.getPublicKey(secretKey) };
  });
  const members: MemberKey[] = wallets.map((w, i) => ({ member: w.address, memberKey: "0x" + Buffer.from(keys[i].publicKey).toString("hex") }));
  // Proven tasks: each member's table is committed here as a node would register it, so the
  // same proofs, bindings and checks run as on a network.
  const seeds = tables.map(() => crypto.getRandomValues(new Uint8Array(32)));
  const committed = spec.verification === "none" ? [] : await Promise.all(tables.map((t, i) => commitTable(t, seeds[i])));
  const records = new Map<string, DatasetRecord>(
    committed.map((c, i) => [wallets[i].address.toLowerCase(), { ...c, owner: wallets[i].address, datasetId: "local", version: 1, committedAt: 0 }]),
  );
  const states = tables.map(() => undefined as unknown);
  const reveals = !!handler.reveal && (handler.usesReveal?.(spec) ?? true);
  const rounds: RoundOutcome[] = [];
  let next: unknown;
  for (let round = 1; round <= spec.rounds; round++) {
    const channel = new Map<number, ReceivedContribution[]>();
    const base = (self: string): RoundContext => ({
      taskId: 1,
      round,
      spec,
      params: next,
      self,
      members,
      contributions: async (phase) => [...(channel.get(phase) ?? [])],
      binding: (commitment, member = self) => roundBinding({ taskId: 1, round, member, commitment }),
      dataset: async (owner, root) => {
        const d = records.get(owner.toLowerCase());
        return d && d.root.toLowerCase() === root.toLowerCase() ? d : null;
      },
      blobs,
      local,
      requesterKey: async () => requesterPk,
      openSealed: (box, context) => {
        if (self !== requester) throw new Error("local: only the requester holds the key members seal to");
        return openSealed(requesterX, box, context);
      },
      log: log.child({ round }),
    });
    const alive = new Set(tables.map((_, i) => i));
    const phase = async (p: number, name: "setup" | "compute" | "reveal", make: (ctx: MemberContext) => Promise<Submission>) => {
      for (const i of (round === 1 ? opts.drop?.[name] : undefined) ?? []) alive.delete(i);
      const out: ReceivedContribution[] = [];
      for (const i of [...alive]) {
        let state = states[i];
        const ctx: MemberContext = {
          ...base(wallets[i].address),
          datasets: [
            {
              name: "local",
              version: 1,
              root: committed[i]?.root ?? "0x" + "00".repeat(32),
              table: tables[i],
              row: { name: "local", version: 1, schema: { columns: tables[i].columns } } as DatasetRow,
              saltSeed: async () => seeds[i],
            },
          ],
          roundKey: keys[i],
          state: { get: <T>() => state as T | undefined, set: (v: unknown) => void (state = v) },
        };
        let sub: Submission;
        try {
          sub = await make(ctx);
        } catch (e) {
          // As on the network: a member whose step fails drops out of the round.
          log.warn({ member: i, phase: name, err: (e as Error).message }, "member step failed");
          alive.delete(i);
          continue;
        }
        if (opts.tamper) sub = await opts.tamper({ round, phase: name, member: i }, sub, ctx);
        states[i] = state;
        out.push({ member: wallets[i].address, blobHash: await blobs.put(sub.payload), commitment: sub.commitment, payload: sub.payload });
      }
      channel.set(p, out);
    };
    if (spec.setup && handler.setup) await phase(Phase.Setup, "setup", handler.setup.bind(handler));
    await phase(Phase.Compute, "compute", handler.contribute.bind(handler));
    if (reveals) await phase(Phase.Aggregate, "reveal", handler.reveal!.bind(handler));
    const ctx: AggregateContext = {
      ...base(requester),
      state: { get: <T>() => requesterState as T | undefined, set: (v: unknown) => void (requesterState = v) },
    };
    const valid: ReceivedContribution[] = [];
    for (const c of channel.get(Phase.Compute) ?? []) if (handler.verify ? await handler.verify(ctx, c) : keccak256(c.payload) === c.commitment) valid.push(c);
    const outcome = await handler.aggregate(ctx, valid);
    rounds.push(outcome);
    next = outcome.next;
    if (outcome.done) break;
  }
  return { spec, rounds, result: rounds[rounds.length - 1].result, members: wallets.map((w) => w.address) };
}
