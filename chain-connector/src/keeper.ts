import type { ChainEvent } from "../../protocol/src/events.js";
import { Phase } from "../../protocol/src/phases.js";
import { ConnectorError, type Connector } from "./connector.js";

export interface KeeperOptions {
  /** Acts for the keeper's own address (it pays for the advance() transactions). */
  connector: Connector;
  /** The chain's current time in seconds (the latest block's timestamp). */
  chainNow: () => Promise<number>;
  /** Follow events after this cursor (default: from the first event, so rounds opened before start are kept too). */
  cursor?: string;
  /** Wait before retrying when the chain's clock lags the estimate or the call failed (default 1000 ms). */
  retryMs?: number;
  /** Unexpected failures (default: console.error). */
  onError?: (e: unknown) => void;
}

interface Pending {
  taskId: number;
  round: number;
  deadline: number;
  timer?: NodeJS.Timeout;
}

const OPEN = new Set<number>([Phase.Join, Phase.Setup, Phase.Compute, Phase.Aggregate]);

/**
 * Ethereum mode's deadline driver. Contracts cannot wake themselves up, so the keeper follows the
 * event stream, keeps a timer at each open round's phase deadline (from RoundStarted and
 * PhaseAdvanced), and calls advance() once the chain's time passes it. No party polls; races with
 * other callers (WrongPhase, DeadlineNotPassed) are expected and absorbed.
 */
export class Keeper {
  private readonly pending = new Map<string, Pending>();
  private readonly ac = new AbortController();
  /** chain time − wall time, in seconds: deadlines are chain timestamps, timers run on the wall clock. */
  private offset = 0;
  private running?: Promise<void>;
  private lastCursor?: string;

  constructor(private readonly opts: KeeperOptions) {}

  /** Starts following the stream; resolves once the chain clock is read and the stream is opening. */
  async start(): Promise<void> {
    if (this.running) return;
    await this.measure();
    this.lastCursor = this.opts.cursor;
    this.running = this.follow();
  }

  /** The cursor of the last event handled (persist it to resume after a restart). */
  cursor(): string | undefined {
    return this.lastCursor;
  }

  /** Rounds with a deadline being watched. */
  watched(): { taskId: number; round: number; deadline: number }[] {
    return [...this.pending.values()].map(({ taskId, round, deadline }) => ({ taskId, round, deadline }));
  }

  /**
   * Re-reads the chain's clock and re-arms every timer. Call it when the chain's time jumped
   * (evm_increaseTime on a development chain): deadlines that passed are acted on at once.
   */
  async recheck(): Promise<void> {
    await this.measure();
    for (const p of this.pending.values()) this.arm(p);
  }

  async stop(): Promise<void> {
    this.ac.abort();
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    await this.running?.catch(() => {});
  }

  /**
   * Chain time runs ahead of the wall clock only when someone moved it (evm_increaseTime); a latest
   * block older than now just means an idle chain (automine mines only on transactions), whose next
   * block will carry the current time. So the offset is never negative.
   */
  private async measure(): Promise<void> {
    this.offset = Math.max(0, (await this.opts.chainNow()) - Date.now() / 1000);
  }

  private async follow(): Promise<void> {
    try {
      for await (const ev of this.opts.connector.events(this.lastCursor, this.ac.signal)) {
        this.handle(ev);
        this.lastCursor = ev.cursor;
      }
    } catch (e) {
      if (!this.ac.signal.aborted) (this.opts.onError ?? console.error)(e);
    }
  }

  private handle(ev: ChainEvent): void {
    this.offset = Math.max(this.offset, ev.time - Date.now() / 1000);
    switch (ev.type) {
      case "RoundStarted":
        this.watch(ev.taskId, ev.round, ev.deadline);
        break;
      case "PhaseAdvanced":
        this.watch(ev.taskId, ev.round, ev.deadline);
        break;
      case "RoundFinalized":
      case "RoundFailed":
        this.unwatch(ev.taskId, ev.round);
        break;
      default:
        break;
    }
  }

  private watch(taskId: number, round: number, deadline: number): void {
    const key = `${taskId}:${round}`;
    const old = this.pending.get(key);
    if (old) clearTimeout(old.timer);
    const p: Pending = { taskId, round, deadline };
    this.pending.set(key, p);
    this.arm(p);
  }

  private unwatch(taskId: number, round: number): void {
    const key = `${taskId}:${round}`;
    clearTimeout(this.pending.get(key)?.timer);
    this.pending.delete(key);
  }

  private arm(p: Pending, minDelayMs = 0): void {
    clearTimeout(p.timer);
    if (this.ac.signal.aborted) return;
    // advance() needs block.timestamp > deadline: aim one second past it.
    const ms = Math.max(minDelayMs, (p.deadline + 1 - this.offset) * 1000 - Date.now());
    p.timer = setTimeout(() => void this.fire(p), Math.min(ms, 2 ** 31 - 1));
  }

  private async fire(p: Pending): Promise<void> {
    if (this.pending.get(`${p.taskId}:${p.round}`) !== p || this.ac.signal.aborted) return;
    const retry = this.opts.retryMs ?? 1000;
    try {
      // A view call first: during replay of old events most rounds have long moved on.
      const r = await this.opts.connector.getRound(p.taskId, p.round);
      if (!r || !OPEN.has(r.phase) || r.deadline !== p.deadline) {
        if (r && OPEN.has(r.phase) && r.deadline !== p.deadline && this.pending.get(`${p.taskId}:${p.round}`) === p) {
          p.deadline = r.deadline;
          this.arm(p);
        }
        return;
      }
      await this.opts.connector.advance(p.taskId, p.round);
    } catch (e) {
      if (this.ac.signal.aborted) return;
      if (e instanceof ConnectorError && e.code === "WrongPhase") return;
      if (e instanceof ConnectorError && e.code === "DeadlineNotPassed") {
        // The chain's next block is not yet past the deadline (clocks a second apart): try again shortly.
        this.arm(p, retry);
        return;
      }
      (this.opts.onError ?? console.error)(e);
      if (this.pending.get(`${p.taskId}:${p.round}`) === p) this.arm(p, retry * 5);
    }
  }
}
