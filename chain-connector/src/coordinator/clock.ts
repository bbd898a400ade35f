/**
 * Time in whole seconds since the epoch, with timers that fire once the clock reaches a moment.
 * The coordinator takes one of these so tests can move time instead of sleeping.
 */
export interface Clock {
  now(): number;
  /** Calls `fn` once `now() >= at`. Returns a function that cancels the timer. */
  at(at: number, fn: () => void): () => void;
}

// setTimeout overflows above 2^31-1 ms (about 24.8 days); longer waits are chained.
const MAX_DELAY_MS = 2 ** 31 - 1;

/** The machine's clock. */
export class SystemClock implements Clock {
  now(): number {
    return Math.floor(Date.now() / 1000);
  }

  at(at: number, fn: () => void): () => void {
    let handle: NodeJS.Timeout | undefined;
    let cancelled = false;
    // Unref'd: pending deadlines alone do not keep a process alive (a server's socket does).
    const arm = () => {
      if (cancelled) return;
      const ms = at * 1000 - Date.now();
      handle = ms <= 0 ? setTimeout(() => !cancelled && fn(), 0) : setTimeout(arm, Math.min(ms, MAX_DELAY_MS));
      handle.unref();
    };
    arm();
    return () => {
      cancelled = true;
      if (handle) clearTimeout(handle);
    };
  }
}

/** A clock that moves only when told; due timers fire, in order, as it moves. */
export class ManualClock implements Clock {
  private t: number;
  private timers = new Set<{ at: number; fn: () => void }>();

  constructor(start = Math.floor(Date.now() / 1000)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  at(at: number, fn: () => void): () => void {
    const timer = { at, fn };
    if (at <= this.t) {
      // Never call back synchronously from inside the caller's own code path.
      queueMicrotask(() => this.timers.has(timer) && this.fire(timer));
    }
    this.timers.add(timer);
    return () => {
      this.timers.delete(timer);
    };
  }

  /** Moves the clock forward by `seconds` and fires the timers that became due. */
  advance(seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`ManualClock.advance: seconds must be >= 0, got ${seconds}`);
    this.set(this.t + seconds);
  }

  set(t: number): void {
    if (t < this.t) throw new Error(`ManualClock.set: time only moves forward (now ${this.t}, asked ${t})`);
    this.t = Math.floor(t);
    for (;;) {
      const due = [...this.timers].filter((x) => x.at <= this.t).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.fire(due);
    }
  }

  private fire(timer: { at: number; fn: () => void }): void {
    this.timers.delete(timer);
    timer.fn();
  }
}
