import { EventEmitter } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { toUtf8Bytes } from "ethers";
import { ConnectorError, isRetryable, type Connector, type ContributionRecord, type DatasetRecord, type Groth16Proof } from "../../../chain-connector/src/connector.js";
import type { BlobStore } from "../../../chain-connector/src/blobstore.js";
import { boundReason, type ChainEvent, type MemberReportStatus } from "../../../protocol/src/events.js";
import { Phase, type SubmissionName } from "../../../protocol/src/phases.js";
import { canonicalJson } from "../../../protocol/src/canonical.js";
import { roundBinding } from "../../../protocol/src/binding.js";
import { parseTaskSpec, specHash, type TaskSpec } from "../../../protocol/src/taskspec.js";
import { kindDef } from "../../../protocol/src/tasks/registry.js";
import type { NodeConfig } from "../config.js";
import type { DatasetRegistry } from "../data/registry.js";
import { roundKey, type X25519Keys } from "../keys.js";
import { openSealed } from "../crypto/sealedbox.js";
import type { Logger } from "../log.js";
import type { InboxRow, MemberRoundStatus, NodeStore, ResultRow, RoundState, RoundStatus, Side, StoredSubmission, TaskRow } from "../store/store.js";
import {
  plainCommitment,
  type AggregateContext,
  type HandlerRegistry,
  type MemberContext,
  type RoundContext,
  type ReceivedContribution,
  type Submission,
  type TaskKindHandler,
} from "./handler.js";
import { decide, privacyBudget } from "./policy.js";
import { roundRho } from "../privacy/mechanism.js";
import { StreamProgress, type ProgressSnapshot } from "./progress.js";
import { anchorOf, auditPrivacy } from "../audit/record.js";
import type { AuditAnchor } from "../audit/log.js";
import type { ApprovalErrorCode } from "../api/views.js";

/** An approval the owner cannot give now (unknown task, already decided, Join over); status is the HTTP status the API answers with. */
export class ApprovalError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApprovalErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The reason a task waiting for approval is declined with when its first Join phase ends. */
export const NOT_APPROVED = "not approved in time";

export interface RuntimeOptions {
  connector: Connector;
  store: NodeStore;
  /** Where members read their tables and salt seeds (a node's DatasetRegistry; runLocal's tables in memory). */
  datasets: Pick<DatasetRegistry, "table" | "saltSeed">;
  handlers: HandlerRegistry;
  /** This node's address (the connector's signer). */
  self: string;
  /** Role mask the node registered with. */
  roles: number;
  policy: NodeConfig["policy"];
  /** The node's own blob store: results stay here, only their hashes leave the node. */
  results: BlobStore;
  log: Logger;
  /** Wait before reopening the event stream after a failure (default 500 ms). */
  retryMs?: number;
  /**
   * Task manager address and chain id that proofs are bound to (protocol roundBinding). The
   * coordinator uses the zero address and chain 0, the default; ethereum mode needs the deployment's.
   */
  bindingDomain?: { taskManager: string; chainId: bigint | number | string };
  /** The node's registered X25519 key pair: as a requester it opens what members sealed to it (crypto/sealedbox.ts). */
  x25519?: { secretKey: Uint8Array; publicKey: Uint8Array };
}

/** A change to the store made together with the cursor of the event that caused it. */
type Commit = () => void;

/**
 * The round's result record the requester publishes (its hash is the round's on-chain resultHash);
 * not the connector's RoundRecord, which is the round's on-chain state.
 */
export interface RoundResultRecord {
  v: 1;
  taskId: number;
  round: number;
  kind: string;
  /** keccak256 of the result bytes, kept by the requester. */
  resultHash: string;
  contributors: string[];
  /** Public parameters of the next round (see RoundOutcome.next); null when none. */
  next: unknown;
}

const SEED = "requester-seed:";

/**
 * Gives the requester side of a task its first state (AggregateContext.state in round 1), before
 * the task is created: the spec hash names the task until the chain gives it an id. Used by
 * kinds whose requester prepares secrets at submission (an outsourced task's owner keys).
 */
export function seedRequesterState(store: NodeStore, specHash: string, value: unknown): void {
  store.putSecret(SEED + specHash.toLowerCase(), JSON.stringify(value));
}

function requesterSeed(store: NodeStore, specHash: string): unknown {
  const v = store.secret(SEED + specHash.toLowerCase());
  return v === undefined ? undefined : JSON.parse(v);
}

/** Whether members reveal in the Aggregate phase of this task (the requester then waits for reveals). */
function revealsIn(handler: TaskKindHandler, spec: TaskSpec): boolean {
  return !!handler.reveal && (handler.usesReveal?.(spec) ?? true);
}

const MEMBER_LIVE: ReadonlySet<RoundStatus> = new Set<MemberRoundStatus>(["joined", "setup-submitted", "submitted", "revealed"]);

/** A connector that did not answer, by the error's class and code (anything thrown that is not an Error counts too). */
function transient(e: unknown): boolean {
  return !(e instanceof Error) || isRetryable(e);
}

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Meta key of the per-task progress (see progress.ts). */
const LANES = "cursor.lanes";

/** The lane an event runs in: its task; events of no task change nothing here. */
function laneOf(ev: ChainEvent): string | undefined {
  return "taskId" in ev ? `task:${ev.taskId}` : undefined;
}

/**
 * Blobs this runtime fetched, by hash. Content-addressed bytes never go stale, so a manifest or
 * round record read in one phase is not fetched again in the next; bounded by total bytes,
 * oldest out first.
 */
class BlobCache {
  private readonly m = new Map<string, Uint8Array>();
  private bytes = 0;
  constructor(private readonly max: number) {}
  get(hash: string): Uint8Array | undefined {
    return this.m.get(hash.toLowerCase());
  }
  set(hash: string, b: Uint8Array): void {
    const k = hash.toLowerCase();
    if (this.m.has(k) || b.length > this.max / 4) return;
    this.m.set(k, b);
    this.bytes += b.length;
    for (const [old, v] of this.m) {
      if (this.bytes <= this.max) break;
      this.m.delete(old);
      this.bytes -= v.length;
    }
  }
}

/** A submission phase's contributions as its ContributionSubmitted events delivered them. */
interface SeenPhase {
  list: ContributionRecord[];
}

const phaseKey = (taskId: number, round: number, phase: number) => `${taskId}/${round}/${phase}`;

/** A task row's dataset reference, "name@version", as its parts. */
function datasetRef(ref: string): { name: string; version: number } {
  const at = ref.lastIndexOf("@");
  return { name: ref.slice(0, at), version: Number(ref.slice(at + 1)) };
}

/**
 * The round runtime: follows the connector's event stream from the persisted cursor and drives
 * this node's part of every round (join, setup, compute, reveal as a member; aggregate,
 * finalize and next round as a requester). Each task's events are handled in order in a lane of
 * their own, and lanes run concurrently, so one task's long step never holds up another. After
 * each event that changes state, that change and the stream progress (progress.ts: a watermark
 * plus each task's last finished event) are written in one transaction, so a restarted node
 * neither loses nor repeats an event of any task (events that change nothing only move the
 * progress, written with the next change; see finish); every connector call is idempotent on replay anyway
 * (AlreadyJoined, AlreadySubmitted and a finalized round count as done). Nothing waits on a
 * timer: phases move on events.
 */
export class Runtime extends EventEmitter {
  private ac = new AbortController();
  private running?: Promise<void>;
  private readonly specs = new Map<number, TaskSpec>();
  private readonly blobCache = new BlobCache(16 << 20);
  /**
   * Contributions of the submission phases this runtime saw open (PhaseAdvanced) since it started:
   * every ContributionSubmitted of such a phase comes later in the stream, so the list is complete
   * when the next phase opens, and no getContributions request is needed. Phases opened before a
   * restart are not here and are asked of the connector.
   */
  private readonly seen = new Map<string, SeenPhase>();
  /** Approved tasks whose join is under way outside their lane (see handle). */
  private readonly approving = new Map<number, Promise<unknown>>();
  /** Rounds whose RoundStarted this runtime handled since it started (task/round). */
  private readonly live = new Set<string>();

  constructor(private readonly o: RuntimeOptions) {
    super();
  }

  start(): void {
    if (this.running) return;
    this.ac = new AbortController();
    this.running = this.run();
  }

  async stop(): Promise<void> {
    this.ac.abort();
    await this.running;
    this.running = undefined;
  }

  /** Resolves once `pred()` holds, checked now and after every handled event. */
  when(pred: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        let ok: boolean;
        try {
          ok = pred();
        } catch (e) {
          this.off("handled", check);
          reject(e);
          return;
        }
        if (ok) {
          this.off("handled", check);
          resolve();
        }
      };
      this.on("handled", check);
      check();
    });
  }

  private async run(): Promise<void> {
    const { connector, log } = this.o;
    const signal = this.ac.signal;
    const progress = new StreamProgress(this.loadProgress());
    const lanes = this.lanes;
    while (!signal.aborted) {
      try {
        for await (const ev of connector.events(progress.resumeAfter, signal)) {
          // A reopened stream starts after the last event received here; anything older is a repeat.
          if (progress.seen(ev.cursor)) continue;
          progress.dispatch(ev.cursor);
          const lane = laneOf(ev);
          if (lane === undefined || progress.finishedBefore(lane, ev.cursor)) {
            this.finish(progress, lane, ev);
            continue;
          }
          const l = lanes.get(lane);
          if (l) l.queue.push(ev);
          else {
            const fresh = { queue: [ev], done: Promise.resolve() };
            lanes.set(lane, fresh);
            fresh.done = this.drain(lane, fresh.queue, progress);
          }
          if (signal.aborted) break;
        }
      } catch (e) {
        if (signal.aborted) break;
        log.warn({ err: errText(e) }, "event stream failed; resuming after the last event received");
        this.emit("stream-error", e);
        await sleep(this.o.retryMs ?? 500, undefined, { signal }).catch(() => {});
      }
    }
    await Promise.all([...lanes.values()].map((l) => l.done));
    lanes.clear();
    this.flushProgress();
  }

  /**
   * Handles one task's events in stream order while other tasks' lanes run beside it, so a long
   * step of one task (a proof, a large aggregate) does not hold up another. A transient connector
   * failure retries the same event (after retryMs), keeping the task's order.
   */
  private async drain(lane: string, queue: ChainEvent[], progress: StreamProgress): Promise<void> {
    const { log } = this.o;
    const signal = this.ac.signal;
    for (;;) {
      // An empty queue ends the lane at once, in this tick: an event the stream delivers later
      // starts a new lane instead of joining a queue nobody drains.
      if (queue.length === 0 || signal.aborted) {
        this.endLane(lane, queue);
        return;
      }
      const ev = queue[0];
      let commit: Commit | undefined;
      try {
        commit = await this.handle(ev);
      } catch (e) {
        if (signal.aborted) return;
        if (transient(e)) {
          log.warn({ err: errText(e), event: ev.type, cursor: ev.cursor }, "event handling failed on the connector; retrying");
          this.emit("stream-error", e);
          await sleep(this.o.retryMs ?? 500, undefined, { signal }).catch(() => {});
          continue;
        }
        // A bug or a malformed event must not block its task forever: log it and move on.
        log.error({ err: errText(e), event: ev.type, cursor: ev.cursor }, "event handling failed; skipped");
        this.emit("handler-error", e, ev);
      }
      queue.shift();
      this.finish(progress, lane, ev, commit);
    }
  }

  private readonly lanes = new Map<string, { queue: ChainEvent[]; done: Promise<void> }>();

  private endLane(lane: string, queue: ChainEvent[]): void {
    if (this.lanes.get(lane)?.queue === queue) this.lanes.delete(lane);
  }

  /**
   * Writes an event's state change together with the stream progress it makes, in one
   * transaction. An event that changed nothing (most of a round's events for most nodes: other
   * members' contributions, events of tasks this node is not in) only moves the progress: that is
   * written once per burst of such events, with the next change or at stop. Losing it in a crash
   * only replays events that change nothing.
   */
  private finish(progress: StreamProgress, lane: string | undefined, ev: ChainEvent, commit?: Commit): void {
    if (commit) {
      this.o.store.tx(() => {
        commit();
        progress.finish(lane, ev.cursor);
        this.writeProgress(progress);
      });
    } else {
      progress.finish(lane, ev.cursor);
      this.progressDirty = progress;
      this.progressFlush ??= setImmediate(() => this.flushProgress());
    }
    this.emit("handled", ev);
  }

  /** Progress made by events that changed nothing, not written yet (see finish). */
  private progressDirty?: StreamProgress;
  private progressFlush?: NodeJS.Immediate;

  private flushProgress(): void {
    if (this.progressFlush) clearImmediate(this.progressFlush);
    this.progressFlush = undefined;
    const progress = this.progressDirty;
    // A store closed under a running runtime (a caller that skipped stop) has nothing to keep this in.
    if (progress && this.o.store.db.isOpen) this.o.store.tx(() => this.writeProgress(progress));
  }

  private writeProgress(progress: StreamProgress): void {
    const { store } = this.o;
    this.progressDirty = undefined;
    const snap = progress.snapshot();
    if (snap.watermark !== undefined) store.setCursor(snap.watermark);
    store.setMeta(LANES, JSON.stringify({ base: snap.watermark ?? null, done: snap.done }));
  }

  /** Persisted progress; lane marks recorded against another cursor (the cursor was reset) are dropped. */
  private loadProgress(): ProgressSnapshot {
    const watermark = this.o.store.cursor();
    const raw = this.o.store.meta(LANES);
    if (!raw) return { watermark, done: {} };
    try {
      const saved = JSON.parse(raw) as { base: string | null; done: Record<string, string> };
      return { watermark, done: (saved.base ?? undefined) === watermark ? saved.done : {} };
    } catch {
      return { watermark, done: {} };
    }
  }

  /** Handles one event; transient connector failures throw (the event is retried), others are recorded. */
  private async handle(ev: ChainEvent): Promise<Commit | undefined> {
    // An approval joining outside the lane: the task's later events (its Compute phase may open
    // as soon as the join lands) wait until the join is recorded, as they would behind onRoundStarted.
    const approving = "taskId" in ev ? this.approving.get(ev.taskId) : undefined;
    if (approving) await approving;
    this.observe(ev);
    switch (ev.type) {
      case "TaskCreated":
        return this.onTaskCreated(ev);
      case "RoundStarted":
        return this.onRoundStarted(ev.taskId, ev.round, ev);
      case "MemberJoined": {
        if (!this.o.store.getTask(ev.taskId)) return undefined;
        return () => this.o.store.addMember(ev.taskId, ev.round, ev.member, ev.memberKey);
      }
      case "PhaseAdvanced":
        return this.onPhase(ev.taskId, ev.round, ev.phase, ev.active, ev);
      case "ContributionSubmitted":
        return this.onContribution(ev.taskId, ev.round, ev.phase);
      case "RoundFinalized":
        return this.onFinalized(ev.taskId, ev.round, ev.resultHash);
      case "RoundFailed":
        return this.onFailed(ev.taskId, ev.round, ev.reason);
      default:
        return undefined;
    }
  }

  /** Round state taken from the stream itself, so the handlers need not ask the connector for it. */
  private observe(ev: ChainEvent): void {
    switch (ev.type) {
      case "RoundStarted":
        this.live.add(`${ev.taskId}/${ev.round}`);
        break;
      case "PhaseAdvanced": {
        const k = phaseKey(ev.taskId, ev.round, ev.phase);
        if (!this.seen.has(k)) this.seen.set(k, { list: [] });
        break;
      }
      case "ContributionSubmitted": {
        const p = this.seen.get(phaseKey(ev.taskId, ev.round, ev.phase));
        // A retried event (stream reopened from the persisted cursor) is not counted twice.
        if (p && !p.list.some((c) => c.member === ev.member)) p.list.push({ member: ev.member, blobHash: ev.blobHash, commitment: ev.commitment } as ContributionRecord);
        break;
      }
      case "RoundFinalized":
      case "RoundFailed":
        this.live.delete(`${ev.taskId}/${ev.round}`);
        this.roundKeys.delete(`${ev.taskId}/${ev.round}`);
        for (const ph of [Phase.Setup, Phase.Compute, Phase.Aggregate]) this.seen.delete(phaseKey(ev.taskId, ev.round, ph));
        break;
    }
  }

  private async contributionList(taskId: number, round: number, phase: number): Promise<ContributionRecord[]> {
    return this.seen.get(phaseKey(taskId, round, phase))?.list.slice() ?? (await this.o.connector.getContributions(taskId, round, phase));
  }

  private async blob(hash: string): Promise<Uint8Array> {
    const hit = this.blobCache.get(hash);
    if (hit) return hit;
    const b = await this.o.connector.getBlob(hash);
    this.blobCache.set(hash, b);
    return b;
  }

  // ---------------------------------------------------------------- helpers

  private spec(task: TaskRow): TaskSpec {
    let s = this.specs.get(task.taskId);
    if (!s) {
      if (!task.spec) throw new Error(`task ${task.taskId} has no readable spec`);
      s = task.spec;
      this.specs.set(task.taskId, s);
    }
    return s;
  }

  private handler(kind: string): TaskKindHandler {
    const h = this.o.handlers.get(kind);
    if (!h) throw new Error(`no handler for kind ${kind}`);
    return h;
  }

  private state(taskId: number, round: number, side: Side, phase: number): Omit<RoundState, "updatedAt"> {
    return this.o.store.getRound(taskId, round, side) ?? { taskId, round, side, phase, status: side === "member" ? "new" : "open", active: 0, submissions: {} };
  }

  private put(s: Omit<RoundState, "updatedAt">): Commit {
    return () => {
      const full = this.o.store.putRound(s);
      this.emit("round", full);
    };
  }

  private async fetchContributions(taskId: number, round: number, phase: number): Promise<ReceivedContribution[]> {
    const list = await this.contributionList(taskId, round, phase);
    return Promise.all(list.map(async (c) => ({ member: c.member, blobHash: c.blobHash, commitment: c.commitment, payload: await this.blob(c.blobHash) })));
  }

  /** Public parameters of a round: the `next` of the previous round's published record. */
  private async roundParams(task: TaskRow, round: number): Promise<unknown> {
    const taskId = task.taskId;
    if (round <= 1) return undefined;
    if (this.o.handlers.get(task.kind)?.usesParams?.(this.spec(task)) === false) return undefined;
    // The requester published the record itself; a member saw its hash in RoundFinalized.
    const own = task.mine ? this.o.store.getResult(taskId, round - 1) : undefined;
    if (own) return own.next ?? undefined;
    const mine = this.o.store.getRound(taskId, round - 1, "member");
    let hash = mine?.phase === Phase.Finalized ? mine.resultHash : undefined;
    if (!hash) {
      const prev = await this.o.connector.getRound(taskId, round - 1);
      if (!prev || prev.phase !== Phase.Finalized) throw new Error(`round ${round - 1} of task ${taskId} was not finalized; round ${round} has no parameters`);
      hash = prev.resultHash;
    }
    const record = JSON.parse(new TextDecoder().decode(await this.blob(hash))) as RoundResultRecord;
    return record.next ?? undefined;
  }

  private async referencedDataset(spec: TaskSpec, owner: string, root: string): Promise<DatasetRecord | null> {
    const c = this.o.connector;
    for (const ref of spec.datasets) {
      if (ref.owner.toLowerCase() !== owner.toLowerCase()) continue;
      if (ref.version !== undefined) {
        const d = await c.getDataset(ref.owner, ref.datasetId, ref.version);
        if (d && d.root.toLowerCase() === root.toLowerCase()) return d;
        continue;
      }
      const latest = await c.getDataset(ref.owner, ref.datasetId);
      for (let v = latest?.version ?? 0; v >= 1; v--) {
        const d = v === latest!.version ? latest : await c.getDataset(ref.owner, ref.datasetId, v);
        if (d && d.root.toLowerCase() === root.toLowerCase()) return d;
      }
    }
    return null;
  }

  private async baseContext(task: TaskRow, round: number): Promise<RoundContext> {
    return {
      taskId: task.taskId,
      round,
      spec: this.spec(task),
      params: await this.roundParams(task, round),
      self: this.o.self,
      members: this.o.store.members(task.taskId, round),
      contributions: (phase) => this.fetchContributions(task.taskId, round, phase),
      binding: (commitment, member = this.o.self) => roundBinding({ ...this.o.bindingDomain, taskId: task.taskId, round, member, commitment }),
      dataset: (owner, root) => this.referencedDataset(this.spec(task), owner, root),
      challenge: async (member, entry) => {
        await this.o.connector.challenge(task.taskId, round, member, entry);
      },
      blobs: { put: (b) => this.o.connector.putBlob(b), get: (h) => this.blob(h) },
      local: { put: (b) => this.o.results.put(b), get: (h) => this.o.results.get(h) },
      requesterKey: () => this.requesterKey(this.spec(task).requester),
      openSealed: (box, context) => {
        if (!this.o.x25519) throw new Error("this node runs without its X25519 key, so it cannot open what was sealed to it");
        return openSealed(this.o.x25519.secretKey, box, context, this.o.x25519.publicKey);
      },
      log: this.o.log.child({ taskId: task.taskId, round }),
    };
  }

  private readonly requesterKeys = new Map<string, Uint8Array>();

  /** A requester's registered X25519 key, read once per runtime (it changes only if its key file is replaced). */
  private async requesterKey(requester: string): Promise<Uint8Array> {
    const a = requester.toLowerCase();
    const known = this.requesterKeys.get(a);
    if (known) return known;
    const rec = await this.o.connector.getNode(requester);
    if (!rec || !/^0x[0-9a-fA-F]{64}$/.test(rec.x25519))
      throw new Error(`requester ${requester} has no registered X25519 key on the connector; it must register its node before members can seal to it`);
    const key = new Uint8Array(Buffer.from(rec.x25519.slice(2), "hex"));
    this.requesterKeys.set(a, key);
    return key;
  }

  private async memberContext(task: TaskRow, round: number): Promise<Omit<MemberContext, "state">> {
    const base = await this.baseContext(task, round);
    const datasets = await Promise.all(
      task.datasets.map(async (ref) => {
        const { name, version } = datasetRef(ref);
        const row = this.o.store.getDataset(name, version);
        if (!row) throw new Error(`dataset ${ref} is no longer registered on this node`);
        return { name: row.name, version: row.version, root: row.root, row, table: await this.o.datasets.table(row), saltSeed: () => this.o.datasets.saltSeed(row) };
      }),
    );
    const key = this.roundKey(task.taskId, round);
    return { ...base, datasets, roundKey: { secretKey: key.secretKey, publicKey: key.publicKey } };
  }

  /** Live rounds' keys (keys.ts roundKey), read from the store and derived once per round instead of at every step. */
  private readonly roundKeys = new Map<string, X25519Keys>();

  private roundKey(taskId: number, round: number): X25519Keys {
    const k = `${taskId}/${round}`;
    let key = this.roundKeys.get(k);
    if (!key) {
      key = roundKey(this.o.store, taskId, round);
      this.roundKeys.set(k, key);
      // Dropped at the round's end (observe); a round whose end this runtime never sees goes here.
      if (this.roundKeys.size > 1024) this.roundKeys.delete(this.roundKeys.keys().next().value!);
    }
    return key;
  }

  // ---------------------------------------------------------------- events

  private async onTaskCreated(ev: Extract<ChainEvent, { type: "TaskCreated" }>): Promise<Commit> {
    const { store, self, log } = this.o;
    const mine = ev.requester === self;
    let spec: TaskSpec | undefined;
    let reason = "";
    try {
      const raw = await this.o.connector.getTaskSpec(ev.taskId);
      if (!raw) reason = "the connector has no spec for the task";
      else if (specHash(raw) !== ev.specHash) reason = "the spec does not match its on-chain hash";
      else spec = parseTaskSpec(raw);
    } catch (e) {
      if (transient(e)) throw e;
      reason = `the spec cannot be read: ${errText(e)}`;
    }
    const ownerRows = spec ? await this.ownerRows(spec) : undefined;
    const decideNow = (): ReturnType<typeof decide> =>
      spec ? decide({ spec, self, roles: this.o.roles, policy: this.o.policy, handlers: this.o.handlers, store, ownerRows }) : { accept: false, reason, datasets: [], rho: 0 };
    const first = decideNow();
    return () => {
      // Tasks are created concurrently in their own lanes: a privacy budget is checked again and
      // reserved inside this commit, which runs synchronously in the store transaction.
      let d = first;
      if (first.accept && first.rho > 0) {
        try {
          d = decideNow();
        } catch (e) {
          d = { accept: false, reason: `policy check failed: ${errText(e)}`, datasets: [], rho: 0 };
        }
      }
      // A dataset's policy asks for the owner: the task waits in the inbox, nothing is reserved yet.
      const waits = d.accept && d.approval !== undefined && d.approval.length > 0;
      if (waits) d = { ...d, reason: `awaiting the owner's approval (policy of ${d.approval!.join(", ")})` };
      log.info({ taskId: ev.taskId, kind: spec?.kind, accept: d.accept, pending: waits || undefined, reason: d.reason || undefined, mine }, "task seen");
      const row: TaskRow = {
        taskId: ev.taskId,
        requester: ev.requester,
        kind: spec?.kind ?? ev.kind,
        spec: spec ?? null,
        specHash: ev.specHash,
        mine,
        decision: waits ? "pending" : d.accept ? "accept" : "decline",
        reason: d.reason,
        datasets: d.datasets.map((x) => `${x.name}@${x.version}`),
        createdAt: ev.time,
      };
      store.putTask(row);
      if (waits) {
        store.putInbox({ taskId: ev.taskId, status: "pending", datasets: d.approval!, reason: "", anchor: anchorOf(ev), createdAt: Math.floor(Date.now() / 1000) });
        store.appendAudit({ time: Math.floor(Date.now() / 1000), action: "pending", taskId: ev.taskId, round: 0, datasets: row.datasets, reason: d.reason, anchor: anchorOf(ev) });
        this.emit("task", row);
        return;
      }
      if (d.accept && d.rho > 0) for (const x of d.datasets) store.reserveRho(x.name, ev.taskId, d.rho);
      // Audited: every decision to take part, and a refusal of a task that names this node's data.
      const named = spec?.datasets.filter((r) => r.owner === self).map((r) => (r.version ? `${r.datasetId}@${r.version}` : r.datasetId)) ?? [];
      if (d.accept || named.length > 0)
        store.appendAudit({
          time: Math.floor(Date.now() / 1000),
          action: d.accept ? "accepted" : "declined",
          taskId: ev.taskId,
          round: 0,
          datasets: d.accept ? row.datasets : named,
          reason: d.reason,
          privacy: d.accept && spec && d.rho > 0 ? auditPrivacy(spec, d.rho) : undefined,
          anchor: anchorOf(ev),
        });
      this.emit("task", row);
    };
  }

  private async onRoundStarted(taskId: number, round: number, ev: ChainEvent): Promise<Commit | undefined> {
    const task = this.o.store.getTask(taskId);
    if (!task || !task.spec) return undefined;
    const commits: Commit[] = [];
    if (task.mine) commits.push(this.put({ ...this.state(taskId, round, "requester", Phase.Join), phase: Phase.Join }));
    // A refusal of a task that names this node's data is told to the requester once, on-chain
    // (or through the coordinator), signed by this node: it cannot ask this node itself.
    if (task.decision === "decline" && round === 1 && this.spec(task).datasets.some((r) => r.owner === this.o.self)) await this.report(taskId, round, "declined", task.reason);
    if (task.decision === "pending" && round === 1)
      commits.push(() => {
        // Kept so that an approval joins under this event; one that came in meanwhile joins now.
        const inbox = this.o.store.getInbox(taskId);
        if (!inbox || inbox.joinAnchor) return;
        this.o.store.putInbox({ ...inbox, joinAnchor: anchorOf(ev) });
        if (inbox.status === "allowed") this.joinApproved(taskId, anchorOf(ev));
      });
    if (task.decision === "accept") commits.push(...(await this.join(task, round, anchorOf(ev))));
    return () => commits.forEach((c) => c());
  }

  /** Joins a round as a member (status new → joined, or missed with the connector's reason); the commits record it. */
  private async join(task: TaskRow, round: number, anchor: AuditAnchor): Promise<Commit[]> {
    const taskId = task.taskId;
    const commits: Commit[] = [];
    const s = this.state(taskId, round, "member", Phase.Join);
    if (s.status !== "new") return commits;
    try {
      await this.o.connector.joinRound(taskId, round, this.roundKey(taskId, round).publicHex);
      this.o.log.info({ taskId, round }, "joined round");
      s.status = "joined";
    } catch (e) {
      if (e instanceof ConnectorError && e.code === "AlreadyJoined") s.status = "joined";
      else if (transient(e)) throw e;
      else {
        s.status = "missed";
        s.error = `join: ${errText(e)}`;
        this.o.log.warn({ taskId, round, err: s.error }, "could not join");
      }
    }
    commits.push(this.put(s));
    if (s.status === "joined")
      commits.push(() => this.o.store.appendAudit({ time: Math.floor(Date.now() / 1000), action: "joined", taskId, round, datasets: task.datasets, reason: "", anchor }));
    return commits;
  }

  /**
   * Joins round 1 of a task allowed while its RoundStarted was being handled. Registered in
   * `approving` before it yields, so the task's next events wait for the join (see handle).
   */
  private joinApproved(taskId: number, anchor: AuditAnchor): void {
    const task = this.o.store.getTask(taskId);
    if (!task || task.decision !== "accept") return;
    const p = (async () => {
      try {
        const commits = await this.join(task, 1, anchor);
        this.o.store.tx(() => commits.forEach((c) => c()));
      } catch (e) {
        this.o.log.warn({ taskId, err: errText(e) }, "could not join an approved task");
      }
    })();
    this.approving.set(taskId, p);
    void p.finally(() => {
      if (this.approving.get(taskId) === p) this.approving.delete(taskId);
    });
  }

  /** Rows behind each other owner the spec references (their committed row counts), read only when a policy here asks for them. */
  private async ownerRows(spec: TaskSpec): Promise<Map<string, number> | undefined> {
    const { store, self, connector } = this.o;
    const needed = spec.datasets.some((r) => r.owner === self && store.datasetPolicy(r.datasetId)?.policy.minRowsPerOwner !== undefined);
    if (!needed) return undefined;
    const rows = new Map<string, number>();
    for (const ref of spec.datasets) {
      if (ref.owner === self) continue;
      const d = await connector.getDataset(ref.owner, ref.datasetId, ref.version);
      rows.set(ref.owner, (rows.get(ref.owner) ?? 0) + (d?.rows ?? 0));
    }
    return rows;
  }

  // ---------------------------------------------------------------- approvals

  private pendingInbox(taskId: number): { task: TaskRow; inbox: InboxRow } {
    const task = this.o.store.getTask(taskId);
    const inbox = this.o.store.getInbox(taskId);
    if (!task || !inbox) throw new ApprovalError(404, "NotInInbox", `task ${taskId} is not in this node's inbox (GET /inbox lists the tasks waiting)`);
    if (inbox.status !== "pending") throw new ApprovalError(409, "AlreadyDecided", `task ${taskId} was already ${inbox.status}${inbox.reason ? ` (${inbox.reason})` : ""}`);
    return { task, inbox };
  }

  /** Leaves the inbox declined: the task row, the inbox row and an audit entry, together. */
  private declinePending(task: TaskRow, inbox: InboxRow, status: "denied" | "expired", reason: string, by?: string): void {
    const { store } = this.o;
    const t = Math.floor(Date.now() / 1000);
    store.putInbox({ ...inbox, status, reason, ...(by ? { decidedBy: by } : {}), decidedAt: t });
    store.putTask({ ...task, decision: "decline", reason });
    store.appendAudit({ time: t, action: "declined", taskId: task.taskId, round: 0, datasets: task.datasets, reason, anchor: inbox.anchor });
    this.o.log.info({ taskId: task.taskId, reason }, "task declined");
    this.emit("task", store.getTask(task.taskId));
  }

  /**
   * The owner allows a task waiting in the inbox. Only while round 1 is in Join: the policy is
   * checked again (it, or the budget left, may have changed while the task waited), the task's
   * privacy is reserved, and the node joins through the runtime's join path. Returns the inbox row
   * and whether the join went through.
   */
  async approve(taskId: number, by: string): Promise<{ inbox: InboxRow; joined: boolean; error?: string }> {
    const { store, connector } = this.o;
    this.pendingInbox(taskId);
    const r = await connector.getRound(taskId, 1);
    if (!r || r.phase !== Phase.Join) throw new ApprovalError(409, "JoinEnded", `task ${taskId} is past its Join phase; it is declined as "${NOT_APPROVED}"`);
    const spec = parseTaskSpec(this.o.store.getTask(taskId)!.spec);
    const ownerRows = await this.ownerRows(spec);
    const declined = store.tx(() => {
      const { task, inbox } = this.pendingInbox(taskId);
      const d = decide({ spec, self: this.o.self, roles: this.o.roles, policy: this.o.policy, handlers: this.o.handlers, store, ownerRows });
      if (!d.accept) {
        this.declinePending(task, inbox, "denied", `approved by ${by}, but the policy now declines it: ${d.reason}`, by);
        return d.reason;
      }
      const t = Math.floor(Date.now() / 1000);
      const reason = `approved by ${by}`;
      store.putTask({ ...task, decision: "accept", reason, datasets: d.datasets.map((x) => `${x.name}@${x.version}`) });
      if (d.rho > 0) for (const x of d.datasets) store.reserveRho(x.name, taskId, d.rho);
      store.putInbox({ ...inbox, status: "allowed", reason, decidedBy: by, decidedAt: t });
      store.appendAudit({
        time: t,
        action: "approved",
        taskId,
        round: 0,
        datasets: task.datasets,
        reason,
        privacy: d.rho > 0 ? auditPrivacy(spec, d.rho) : undefined,
        anchor: inbox.anchor,
      });
      return undefined;
    });
    if (declined !== undefined) throw new ApprovalError(409, "PolicyDeclines", `task ${taskId} no longer passes this node's policy, so it is declined: ${declined}`);
    this.o.log.info({ taskId, by }, "task approved");
    const task = store.getTask(taskId)!;
    this.emit("task", task);
    const inbox = store.getInbox(taskId)!;
    // Round 1 not seen yet: onRoundStarted joins (the task is accepted now).
    if (!inbox.joinAnchor) return { inbox, joined: false };
    const joining = (async () => {
      try {
        const commits = await this.join(task, 1, inbox.joinAnchor!);
        store.tx(() => commits.forEach((c) => c()));
        return undefined;
      } catch (e) {
        // The connector did not answer: the approval stands, the join did not happen.
        this.o.log.warn({ taskId, err: errText(e) }, "could not join an approved task");
        return `join: ${errText(e)}`;
      }
    })();
    this.approving.set(taskId, joining);
    const failed = await joining.finally(() => {
      if (this.approving.get(taskId) === joining) this.approving.delete(taskId);
    });
    if (failed) return { inbox, joined: false, error: failed };
    const m = store.getRound(taskId, 1, "member");
    return { inbox, joined: m?.status === "joined", ...(m?.error ? { error: m.error } : {}) };
  }

  /** The owner denies a task waiting in the inbox, with a reason (kept in the task, the inbox and the audit trail). */
  deny(taskId: number, by: string, reason: string): InboxRow {
    this.o.store.tx(() => {
      const { task, inbox } = this.pendingInbox(taskId);
      this.declinePending(task, inbox, "denied", `denied by the owner (${by}): ${reason}`, by);
    });
    return this.o.store.getInbox(taskId)!;
  }

  /** Round 1's Join is over (or the round failed) and the task still waits: declined as not approved in time. */
  private expire(taskId: number): Commit {
    return () => {
      const task = this.o.store.getTask(taskId);
      const inbox = this.o.store.getInbox(taskId);
      if (task?.decision === "pending" && inbox?.status === "pending") this.declinePending(task, inbox, "expired", NOT_APPROVED);
    };
  }

  /**
   * Computes and submits this member's part for the round's current phase. The prepared
   * submission (payload kept in the node's blob store) and the kind's state are written before
   * sending, so a restart re-sends exactly the same bytes instead of computing new ones.
   */
  private async memberSubmit(
    task: TaskRow,
    round: number,
    phase: number,
    name: SubmissionName,
    make: (ctx: MemberContext) => Promise<Submission>,
  ): Promise<StoredSubmission & { bytes?: number }> {
    const { connector, store } = this.o;
    const taskId = task.taskId;
    // Replaying old events: the round moved on while this node was away, perhaps after this node
    // submitted and crashed before recording it. That is the submission the chain has.
    const sentBefore = async (): Promise<StoredSubmission | undefined> => {
      const mine = (await connector.getContributions(taskId, round, phase)).find((c) => c.member === this.o.self);
      return mine && { blobHash: mine.blobHash, commitment: mine.commitment, sent: true };
    };
    // A round this runtime followed from its start is in the phase the stream says: ask the
    // connector only for rounds that began before a restart, before computing anything.
    if (!this.live.has(`${taskId}/${round}`)) {
      const r = await connector.getRound(taskId, round);
      if (!r || r.phase !== phase) {
        const mine = await sentBefore();
        if (mine) return mine;
        throw new ConnectorError("WrongPhase", `round ${round} of task ${taskId} is no longer in phase ${phase}`);
      }
    }
    let prepared = store.getRound(taskId, round, "member")?.submissions[name];
    let payload: Uint8Array | undefined;
    if (!prepared) {
      const cur = store.getRound(taskId, round, "member")!;
      let state = cur.kindState ?? (round > 1 ? store.getRound(taskId, round - 1, "member")?.kindState : undefined);
      const ctx: MemberContext = {
        ...(await this.memberContext(task, round)),
        state: { get: <T>() => state as T | undefined, set: (v: unknown) => void (state = v) },
      };
      const sub = await make(ctx);
      payload = sub.payload;
      const blobHash = await this.o.results.put(sub.payload);
      prepared = { blobHash, commitment: sub.commitment, proof: sub.proof, sent: false };
      const next = { ...cur, kindState: state, submissions: { ...cur.submissions, [name]: prepared } };
      // A DP contribution is a release: charged with the prepared bytes, so a restart re-sends the
      // same noise and is never charged twice.
      const rho = name === "compute" ? roundRho(this.spec(task)) : 0;
      store.tx(() => {
        store.putRound(next);
        if (rho > 0) for (const ref of task.datasets) store.chargeRho(datasetRef(ref).name, taskId, round, rho);
      });
      if (rho > 0)
        for (const ref of task.datasets) {
          const b = privacyBudget(store, this.o.policy, datasetRef(ref).name);
          this.o.log.info({ taskId, round, dataset: b.dataset, rho, released: b.released, left: b.left, delta: b.delta }, "differential-privacy release charged");
        }
    }
    // Just made: the bytes are at hand (read back, they would be hashed once more).
    payload ??= await this.o.results.get(prepared.blobHash);
    // The node's store named these bytes: the upload signs that name rather than hashing again.
    await connector.putBlob(payload, prepared.blobHash);
    this.blobCache.set(prepared.blobHash, payload);
    try {
      await connector.submit(taskId, round, prepared.blobHash, prepared.commitment, prepared.proof as Groth16Proof | undefined);
    } catch (e) {
      if (e instanceof ConnectorError && e.code === "AlreadySubmitted") return { ...prepared, sent: true, bytes: payload.length };
      if (e instanceof ConnectorError && e.code === "WrongPhase") {
        const mine = await sentBefore();
        if (mine) return mine;
      }
      throw e;
    }
    return { ...prepared, sent: true, bytes: payload.length };
  }

  private async onPhase(taskId: number, round: number, phase: number, active: number, ev: ChainEvent): Promise<Commit | undefined> {
    const task = this.o.store.getTask(taskId);
    if (!task || !task.spec) return undefined;
    const handler = this.o.handlers.get(task.kind);
    const commits: Commit[] = [];
    if (task.decision === "pending" && round === 1 && phase !== Phase.Join) commits.push(this.expire(taskId));
    const m = this.o.store.getRound(taskId, round, "member");
    if (m && MEMBER_LIVE.has(m.status) && handler) {
      let s = { ...m, phase, active };
      const step: { name: SubmissionName; status: MemberRoundStatus; make: (ctx: MemberContext) => Promise<Submission> } | undefined =
        phase === Phase.Setup && handler.setup && s.status === "joined"
          ? { name: "setup", status: "setup-submitted", make: handler.setup.bind(handler) }
          : phase === Phase.Compute && (s.status === "joined" || s.status === "setup-submitted")
            ? { name: "compute", status: "submitted", make: handler.contribute.bind(handler) }
            : phase === Phase.Aggregate && handler.reveal && revealsIn(handler, this.spec(task)) && s.status === "submitted"
              ? { name: "reveal", status: "revealed", make: handler.reveal.bind(handler) }
              : undefined;
      if (step) {
        try {
          const { bytes, ...sub } = await this.memberSubmit(task, round, phase, step.name, step.make);
          // memberSubmit recorded the prepared submission and the kind's state: build on that.
          s = { ...this.o.store.getRound(taskId, round, "member")!, phase, active };
          s.submissions = { ...s.submissions, [step.name]: sub };
          s.status = step.status;
          this.o.log.info({ taskId, round, phase: step.name, blobHash: sub.blobHash }, "submitted");
          const rho = step.name === "compute" ? roundRho(this.spec(task)) : 0;
          const release = {
            time: Math.floor(Date.now() / 1000),
            action: "released" as const,
            taskId,
            round,
            datasets: task.datasets,
            reason: "",
            phase: step.name,
            blobHash: sub.blobHash,
            commitment: sub.commitment,
            bytes: bytes ?? null,
            privacy: rho > 0 ? auditPrivacy(this.spec(task), rho, () => handler.noiseSigma?.(this.spec(task))) : undefined,
            anchor: anchorOf(ev),
          };
          commits.push(() => void this.o.store.appendAudit(release));
        } catch (e) {
          if (transient(e)) throw e;
          const dropped = e instanceof ConnectorError && (e.code === "NotMember" || e.code === "WrongPhase" || e.code === "DeadlinePassed");
          s.status = dropped ? "missed" : "failed";
          s.error = `${step.name}: ${errText(e)}`;
          this.o.log.warn({ taskId, round, err: s.error }, "submission failed");
          if (!dropped) await this.report(taskId, round, "failed", s.error);
        }
      }
      commits.push(this.put(s));
    }
    if (task.mine) {
      const s = { ...this.state(taskId, round, "requester", phase), phase, active };
      commits.push(this.put(s));
      if (phase === Phase.Aggregate && handler && !revealsIn(handler, this.spec(task))) {
        this.o.store.tx(() => commits.splice(0).forEach((c) => c()));
        return this.aggregate(task, round);
      }
    }
    return () => commits.forEach((c) => c());
  }

  private async onContribution(taskId: number, round: number, phase: number): Promise<Commit | undefined> {
    if (phase !== Phase.Aggregate) return undefined;
    const task = this.o.store.getTask(taskId);
    if (!task?.mine || !task.spec) return undefined;
    const handler = this.o.handlers.get(task.kind);
    const s = this.o.store.getRound(taskId, round, "requester");
    if (!handler || !revealsIn(handler, this.spec(task)) || !s || s.status !== "open") return undefined;
    const reveals = await this.contributionList(taskId, round, Phase.Aggregate);
    const ready = handler.aggregateWhen ? handler.aggregateWhen(reveals.length, s.active, this.spec(task)) : reveals.length >= s.active;
    if (!ready) return undefined;
    return this.aggregate(task, round);
  }

  /** Requester: combine the round's contributions, keep the result, finalize the round on-chain. */
  private async aggregate(task: TaskRow, round: number): Promise<Commit | undefined> {
    const { connector, store, log } = this.o;
    const taskId = task.taskId;
    const s = this.state(taskId, round, "requester", Phase.Aggregate);
    if (s.status !== "open") return undefined;
    let result = store.getResult(taskId, round);
    try {
      if (!result) {
        const handler = this.handler(task.kind);
        let state = s.kindState ?? (round > 1 ? store.getRound(taskId, round - 1, "requester")?.kindState : undefined) ?? requesterSeed(store, task.specHash);
        const ctx: AggregateContext = {
          ...(await this.baseContext(task, round)),
          state: { get: <T>() => state as T | undefined, set: (v: unknown) => void (state = v) },
        };
        const all = await ctx.contributions(Phase.Compute);
        const valid: ReceivedContribution[] = [];
        for (const c of all) {
          const ok = handler.verify ? await handler.verify(ctx, c) : plainCommitment(c.payload) === c.commitment;
          if (ok) valid.push(c);
          else log.warn({ taskId, round, member: c.member }, "contribution does not match its commitment; left out");
        }
        const outcome = await handler.aggregate(ctx, valid);
        // The kind's declared result shape (protocol/src/tasks): a handler that drifted from it fails the round here, not a reader later.
        const shape = kindDef(task.kind)?.result.safeParse(outcome.result);
        if (shape && !shape.success)
          throw new Error(
            `${task.kind}: the round's result does not match the kind's result schema: ${shape.error.issues.map((i) => `${i.path.join(".") || "(result)"}: ${i.message}`).join("; ")}`,
          );
        const resultHash = await this.o.results.put(toUtf8Bytes(canonicalJson(outcome.result)));
        const record: RoundResultRecord = {
          v: 1,
          taskId,
          round,
          kind: task.kind,
          resultHash,
          contributors: valid.map((c) => c.member),
          next: outcome.next ?? null,
        };
        const recordHash = await connector.putBlob(toUtf8Bytes(canonicalJson(record)));
        const row: ResultRow = {
          taskId,
          round,
          kind: task.kind,
          resultHash,
          recordHash,
          result: outcome.result,
          contributors: record.contributors,
          next: outcome.next,
          done: outcome.done === true,
          createdAt: Math.floor(Date.now() / 1000),
        };
        // Kept before finalizing: a restart in between finalizes the same record instead of recomputing.
        s.kindState = state;
        store.tx(() => {
          store.putResult(row);
          store.putRound(s);
        });
        result = row;
        this.emit("result", row);
      }
      try {
        await connector.finalizeRound(taskId, round, result.recordHash);
      } catch (e) {
        if (!(e instanceof ConnectorError && e.code === "WrongPhase")) throw e;
        const r = await connector.getRound(taskId, round);
        if (!(r?.phase === Phase.Finalized && r.resultHash === result.recordHash)) throw e;
      }
      log.info({ taskId, round, recordHash: result.recordHash, members: result.contributors.length }, "round finalized");
      s.status = "finalized";
      s.resultHash = result.recordHash;
    } catch (e) {
      if (transient(e)) throw e;
      s.status = "failed";
      s.error = `aggregate: ${errText(e)}`;
      log.error({ taskId, round, err: s.error }, "aggregation failed");
    }
    return this.put(s);
  }

  private async onFinalized(taskId: number, round: number, resultHash: string): Promise<Commit | undefined> {
    const { store, connector } = this.o;
    const task = store.getTask(taskId);
    if (!task || !task.spec) return undefined;
    const commits: Commit[] = [];
    const m = store.getRound(taskId, round, "member");
    if (m) commits.push(this.put({ ...m, phase: Phase.Finalized, status: MEMBER_LIVE.has(m.status) ? "done" : m.status, resultHash }));
    if (task.mine) {
      const s = { ...this.state(taskId, round, "requester", Phase.Finalized), phase: Phase.Finalized, resultHash };
      if (s.status === "open") s.status = "finalized";
      const spec = this.spec(task);
      const result = store.getResult(taskId, round);
      if (round < spec.rounds && result && !result.done && s.status !== "done") {
        try {
          await connector.startRound(taskId);
          this.o.log.info({ taskId, round: round + 1 }, "started next round");
        } catch (e) {
          if (transient(e)) throw e;
          const t = await connector.getTask(taskId);
          if (!(t && t.currentRound > round)) {
            s.error = `next round: ${errText(e)}`;
            this.o.log.warn({ taskId, round, err: s.error }, "could not start the next round");
          }
        }
      }
      // A kind that finished before its last round (k-means converged) closes the task, so
      // whoever follows it sees it end instead of waiting for rounds that never start.
      if (round < spec.rounds && result?.done && s.status !== "done") await this.closeEarly(taskId, result);
      s.status = "done";
      commits.push(this.put(s));
    }
    return () => commits.forEach((c) => c());
  }

  /**
   * Tells the requester why this node is not (or no longer) in a round. Best effort: a report
   * that cannot be sent is logged, never retried by replaying the event (that would redo the step).
   */
  private async report(taskId: number, round: number, status: MemberReportStatus, reason: string): Promise<void> {
    const text = boundReason(reason);
    try {
      await this.o.connector.report(taskId, round, status, text);
      this.o.log.info({ taskId, round, status, reason: text }, "reported to the requester");
    } catch (e) {
      if (!(e instanceof ConnectorError && e.code === "AlreadySubmitted")) this.o.log.warn({ taskId, round, status, err: errText(e) }, "could not report to the requester");
    }
  }

  private async closeEarly(taskId: number, result: { result: unknown; round: number }): Promise<void> {
    const converged = (result.result as { converged?: unknown } | null)?.converged === true;
    const reason = `${converged ? "converged" : "done"} in round ${result.round}`;
    try {
      await this.o.connector.closeTask(taskId, reason);
      this.o.log.info({ taskId, round: result.round, reason }, "task closed early");
    } catch (e) {
      if (transient(e)) throw e;
      if (!(e instanceof ConnectorError && e.code === "TaskAlreadyClosed")) this.o.log.warn({ taskId, err: errText(e) }, "could not close the task");
    }
  }

  private onFailed(taskId: number, round: number, reason: string): Commit | undefined {
    const { store } = this.o;
    const task = store.getTask(taskId);
    if (!task) return undefined;
    const commits: Commit[] = [];
    if (task.decision === "pending" && round === 1) commits.push(this.expire(taskId));
    const m = store.getRound(taskId, round, "member");
    if (m) commits.push(this.put({ ...m, phase: Phase.Failed, status: "failed", error: m.error ?? `round failed: ${reason}` }));
    if (task.mine) commits.push(this.put({ ...this.state(taskId, round, "requester", Phase.Failed), phase: Phase.Failed, status: "failed", error: `round failed: ${reason}` }));
    return () => commits.forEach((c) => c());
  }
}
