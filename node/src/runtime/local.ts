import { Wallet, ZeroHash } from "ethers";
import { x25519 } from "@noble/curves/ed25519.js";
import { blobHash, type BlobStore } from "../../../chain-connector/src/blobstore.js";
import { CoordinatorNetwork, kindVerifier, ManualClock, type KindVerifier } from "../../../chain-connector/src/coordinator/index.js";
import { builtContributionCircuits } from "../../../chain-connector/src/vkeys.js";
import type { ChainEvent } from "../../../protocol/src/events.js";
import { FailReason } from "../../../protocol/src/events.js";
import { Role, type SubmissionName } from "../../../protocol/src/phases.js";
import { parseTaskSpec, specHash, type TaskSpec, type TaskSpecInput } from "../../../protocol/src/taskspec.js";
import { commitTable, schemaHash } from "../data/commit.js";
import type { Table } from "../data/table.js";
import { createLogger, type Logger } from "../log.js";
import { NodeStore, type DatasetRow, type RoundState } from "../store/store.js";
import { certificateFor, newRequesterKey, type PaillierRequesterState } from "./aggregation/paillier.js";
import { parsePaillierSecretKey } from "../crypto/paillier.js";
import { HandlerRegistry, type MemberContext, type RoundOutcome, type Submission, type TaskKindHandler } from "./handler.js";
import { Runtime, seedRequesterState } from "./runtime.js";

/**
 * Local debug mode: runs a kind over several in-memory datasets in one process, with no chain,
 * HTTP or files: one real Runtime per member and one for the requester, over a coordinator
 * network in SQLite :memory: whose clock moves to the next deadline whenever every party is idle
 * (so drop-outs cost no waiting). The same phases, backends (plain, secagg with real keys, shares
 * and masks, paillier with a real key pair), proofs and checks run as on a network; it gives the
 * same results as a networked run on the same data and initial parameters.
 */
export interface LocalOptions {
  /** Paillier modulus size for aggregation "paillier" (default 2048). */
  paillierBits?: number;
  /** A requester key made beforehand (newRequesterKey), instead of a fresh one. */
  paillierKey?: { n: string; secret: Uint8Array };
  /** Members (0-based) that go silent from the given phase on in round 1 (to try drop-outs). */
  drop?: { setup?: number[]; compute?: number[]; reveal?: number[] };
  /** Replaces a member's submission (to try wrong contributions). */
  tamper?: (info: { round: number; phase: SubmissionName; member: number }, s: Submission, ctx: MemberContext) => Submission | Promise<Submission>;
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

class MemoryBlobStore implements BlobStore {
  private readonly m = new Map<string, Uint8Array>();
  async put(b: Uint8Array): Promise<string> {
    const h = blobHash(b);
    this.m.set(h, b);
    return h;
  }
  async get(h: string): Promise<Uint8Array> {
    const b = this.m.get(h.toLowerCase());
    if (!b) throw new Error(`local: no blob ${h}`);
    return b;
  }
  async has(h: string): Promise<boolean> {
    return this.m.has(h.toLowerCase());
  }
}

/** Every built contribution circuit, by kind (snarkjs loads on the first check only). */
function contributionVerifier(): KindVerifier {
  const circuits = builtContributionCircuits();
  return kindVerifier(circuits, async (kind, proof) => (await import("../../../chain-connector/src/zkverify.js")).verifyGroth16(circuits[kind], proof));
}

const POLICY = { allowedKinds: ["*"], allowedRequesters: ["*"], dpEpsilonBudget: 0, dpDelta: 1e-6, dpRhoBudget: Number.MAX_VALUE, maxTaskCost: Number.MAX_VALUE };
const STEPS = ["setup", "compute", "reveal"] as const;
const hex = (b: Uint8Array) => "0x" + Buffer.from(b).toString("hex");

/** Member `i`'s view of the kind: its steps go silent (drop) or are replaced (tamper) as the options say. */
function memberHandler(handler: TaskKindHandler, i: number, opts: LocalOptions): TaskKindHandler {
  if (!opts.drop && !opts.tamper) return handler;
  const wrapped = Object.create(handler) as TaskKindHandler;
  const steps = { setup: handler.setup?.bind(handler), compute: handler.contribute.bind(handler), reveal: handler.reveal?.bind(handler) };
  for (const name of STEPS) {
    const step = steps[name];
    if (!step) continue;
    const run = async (ctx: MemberContext): Promise<Submission> => {
      // Silent from this phase on: the runtime records the step as failed and submits nothing, so
      // the coordinator drops the member at the phase's deadline, as on a network.
      if (ctx.round === 1 && opts.drop?.[name]?.includes(i)) throw new Error(`local: member ${i} is silent from ${name} on in round 1 (drop)`);
      const s = await step(ctx);
      return opts.tamper ? opts.tamper({ round: ctx.round, phase: name, member: i }, s, ctx) : s;
    };
    if (name === "setup") wrapped.setup = run;
    else if (name === "compute") wrapped.contribute = run;
    else wrapped.reveal = run;
  }
  return wrapped;
}

export async function runLocal(
  handler: TaskKindHandler,
  input: Omit<TaskSpecInput, "requester" | "datasets"> & { datasets?: TaskSpecInput["datasets"] },
  tables: Table[],
  opts: LocalOptions = {},
): Promise<LocalRun> {
  if (tables.length === 0) throw new Error("runLocal: give at least one member dataset");
  const log = opts.log ?? createLogger("local", "silent");
  // Plain random keys: Wallet.createRandom derives an HD wallet from a mnemonic (PBKDF2), ~30 ms each.
  const wallets = tables.map(() => new Wallet(hex(crypto.getRandomValues(new Uint8Array(32)))));
  const requester = new Wallet(hex(crypto.getRandomValues(new Uint8Array(32)))).address;
  const requesterX = opts.requesterX25519 ?? x25519.utils.randomSecretKey();
  const requesterPk = x25519.getPublicKey(requesterX);
  const params: Record<string, unknown> = { ...(input.params ?? {}) };
  const requesterBlobs = new MemoryBlobStore();
  const publicBlobs = new MemoryBlobStore();
  let seed: PaillierRequesterState | undefined;
  if (input.aggregation === "paillier" && params.paillier === undefined) {
    // As on a network, the key's certificate (bound to this run's requester) is a public blob the members verify before encrypting.
    const made = opts.paillierKey ? undefined : newRequesterKey(opts.paillierBits ?? 2048, requester);
    const k = opts.paillierKey ?? made!;
    const cert = made?.cert ?? certificateFor(parsePaillierSecretKey(new TextDecoder().decode(k.secret)), requester);
    params.paillier = { n: k.n, cert: await publicBlobs.put(cert) };
    seed = { paillierKey: await requesterBlobs.put(k.secret) };
  }
  const spec = parseTaskSpec({
    ...input,
    params,
    requester,
    setup: input.setup ?? input.aggregation === "secagg",
    datasets: input.datasets ?? wallets.map((w) => ({ owner: w.address, datasetId: "local" })),
  });
  if (!handler.aggregations.includes(spec.aggregation)) throw new Error(`runLocal: kind ${handler.kind} has no ${spec.aggregation} aggregation`);

  const clock = new ManualClock();
  // Proven tasks: the coordinator checks each member's sampled proof, as a connector with verifiers configured does.
  const proven = spec.verification !== "none";
  const verifier = proven ? contributionVerifier() : undefined;
  const network = new CoordinatorNetwork({ db: ":memory:", blobs: publicBlobs, clock, verifier });
  const runtimes: Runtime[] = [];
  const abort = new AbortController();
  const requesterStore = new NodeStore(":memory:");
  const stores = [requesterStore];
  try {
    if (seed) seedRequesterState(requesterStore, specHash(spec), seed);
    await network.as(requester).registerNode({ endpoint: "local://requester", x25519: hex(requesterPk), roles: Role.Requester, capacity: 1 });
    for (const [i, w] of wallets.entries()) {
      const connector = network.as(w.address);
      const table = tables[i];
      const saltSeed = crypto.getRandomValues(new Uint8Array(32));
      await connector.registerNode({ endpoint: `local://member-${i}`, x25519: hex(x25519.getPublicKey(x25519.utils.randomSecretKey())), roles: Role.Owner, capacity: 1 });
      // Proven tasks: each member's table is committed as a node would register it, so the same
      // proofs, bindings and checks run as on a network.
      const c = proven ? await commitTable(table, saltSeed, spec.verification === "onchain" ? "rows" : "chunks") : undefined;
      const version = c ? (await connector.commitDataset("local", c)).version : 1;
      const store = new NodeStore(":memory:");
      stores.push(store);
      const row: DatasetRow = {
        name: "local",
        version,
        path: "",
        format: "csv",
        schema: { columns: table.columns, schemaHash: c?.schemaHash ?? schemaHash(table) },
        rows: table.rows.length,
        columns: table.columns.length,
        root: c?.root ?? ZeroHash,
        saltSeedRef: "",
        fileHash: ZeroHash,
        committed: true,
        txHash: ZeroHash,
        createdAt: 0,
      };
      store.tx(() => store.insertDataset(row));
      runtimes.push(
        new Runtime({
          connector,
          store,
          datasets: { table: async () => table, saltSeed: async () => saltSeed },
          handlers: new HandlerRegistry([memberHandler(handler, i, opts)]),
          self: w.address,
          roles: Role.Owner,
          policy: POLICY,
          results: new MemoryBlobStore(),
          log: log.child({ member: i }),
        }),
      );
    }
    const req = new Runtime({
      connector: network.as(requester),
      store: requesterStore,
      datasets: { table: () => Promise.reject(new Error("local: the requester holds no data")), saltSeed: () => Promise.reject(new Error("local: the requester holds no data")) },
      handlers: new HandlerRegistry([handler]),
      self: requester,
      roles: Role.Requester,
      policy: POLICY,
      results: requesterBlobs,
      log: log.child({ requester: true }),
      x25519: { secretKey: requesterX, publicKey: requesterPk },
    });
    runtimes.push(req);

    const rounds: RoundOutcome[] = [];
    req.on("result", (r: { round: number; result: unknown; next?: unknown; done: boolean }) => {
      rounds[r.round - 1] = { result: r.result, ...(r.next !== undefined ? { next: r.next } : {}), ...(r.done ? { done: true } : {}) };
    });
    const finished = new Promise<void>((resolve, reject) => {
      req.on("round", (s: RoundState) => {
        if (s.side === "requester" && s.status === "failed" && s.error) reject(new Error(`runLocal: round ${s.round}: ${s.error}`));
      });
      // A bug in a step would otherwise only show as a round that times out.
      for (const r of runtimes) r.on("handler-error", (e: unknown) => reject(e instanceof Error ? e : new Error(String(e))));
      // The task ends when it closes (its last round, or done early) or a round fails.
      void (async () => {
        for await (const ev of network.events(undefined, abort.signal)) {
          if (ev.type === "TaskClosed") {
            resolve();
            return;
          }
          if (ev.type === "RoundFailed") {
            reject(failure(ev, spec, network));
            return;
          }
        }
      })().catch(reject);
    });
    for (const r of runtimes) r.start();
    stepWhenIdle(runtimes, network, clock, abort.signal);
    await network.as(requester).createTask(spec);
    finished.catch(() => {});
    await finished;
    return { spec, rounds, result: rounds[rounds.length - 1]?.result, members: wallets.map((w) => w.address) };
  } finally {
    abort.abort();
    await Promise.all(runtimes.map((r) => r.stop()));
    await network.close();
    for (const s of stores) s.close();
  }
}

function failure(ev: Extract<ChainEvent, { type: "RoundFailed" }>, spec: TaskSpec, network: CoordinatorNetwork): Error {
  const r = network.getRound(ev.taskId, ev.round);
  const why =
    ev.reason === FailReason.BelowThreshold
      ? `${r?.active ?? "too few"} members left, below the threshold ${spec.members.threshold}`
      : ev.reason === FailReason.TooFewJoined
        ? `${r?.joined ?? 0} members joined, fewer than ${spec.members.min}`
        : ev.reason;
  return new Error(`runLocal: round ${ev.round} failed: ${why}`);
}

/**
 * The fast clock: once every runtime has handled every event and nothing new arrives, the round
 * waits only for a deadline (a silent member), so the clock jumps past it.
 */
function stepWhenIdle(runtimes: Runtime[], network: CoordinatorNetwork, clock: ManualClock, signal: AbortSignal): void {
  let last = "";
  const handled = new Map<Runtime, string>();
  let timer: NodeJS.Timeout | undefined;
  let idleSince = "";
  function check(): void {
    timer = undefined;
    if (signal.aborted || last === "") return;
    if (!runtimes.every((r) => handled.get(r) === last)) return;
    // Idle twice in a row at the same event: nothing is in flight.
    if (idleSince !== last) {
      idleSince = last;
      timer = setTimeout(check, 5);
      return;
    }
    const next = nextDeadline(network);
    if (next !== undefined && next >= clock.now()) clock.set(next + 1);
  }
  const soon = () => {
    timer ??= setTimeout(check, 0);
  };
  void (async () => {
    for await (const ev of network.events(undefined, signal)) {
      last = ev.cursor;
      soon();
    }
  })().catch(() => {});
  for (const r of runtimes)
    r.on("handled", (ev: ChainEvent) => {
      handled.set(r, ev.cursor);
      soon();
    });
  signal.addEventListener("abort", () => timer && clearTimeout(timer), { once: true });
}

/** The deadline of the one task's current round, while the round is open. */
function nextDeadline(network: CoordinatorNetwork): number | undefined {
  const t = network.getTask(1);
  if (!t || t.closed) return undefined;
  const r = network.getRound(1, t.currentRound);
  return r && r.phase >= 1 && r.phase <= 4 ? r.deadline : undefined;
}
