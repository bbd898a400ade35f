/**
 * Where the runtime stands in the event stream when tasks run concurrently.
 *
 * Events are handled in stream order within a task (a lane) and in any order across tasks, so
 * one cursor cannot say what is done: task A may have finished event 9 while task B still works
 * on event 5. Progress therefore has two parts, persisted together:
 *
 * - `watermark`: every event at or before it is finished (the stream resumes after it);
 * - `done`: per lane, the last finished event of that lane when it lies after the watermark.
 *
 * After a restart the stream resumes after the watermark, and an event is skipped when its lane's
 * `done` cursor is at or after it: nothing is handled twice and nothing is lost. Lane entries at
 * or before the watermark carry no information and are dropped, so `done` holds only tasks that
 * ran ahead of a slower one. Cursors are opaque but totally ordered and zero-padded (protocol
 * events.ts), so they compare as strings.
 */
export interface ProgressSnapshot {
  watermark?: string;
  done: Record<string, string>;
}

export class StreamProgress {
  private mark: string | undefined;
  private readonly done = new Map<string, string>();
  /** Events dispatched and not yet finished, in stream order. */
  private readonly pending: { cursor: string; finished: boolean }[] = [];
  private readonly byCursor = new Map<string, { cursor: string; finished: boolean }>();
  private last: string | undefined;

  constructor(snapshot: ProgressSnapshot = { done: {} }) {
    this.mark = snapshot.watermark;
    for (const [lane, c] of Object.entries(snapshot.done)) if (this.mark === undefined || c > this.mark) this.done.set(lane, c);
    this.last = this.mark;
  }

  /** Every event at or before this is finished. */
  get watermark(): string | undefined {
    return this.mark;
  }

  /** Where to reopen the stream: after the last event dispatched in this process (or the watermark). */
  get resumeAfter(): string | undefined {
    return this.last;
  }

  /** Whether the event was already received in this process (a reopened stream repeats nothing). */
  seen(cursor: string): boolean {
    return this.last !== undefined && cursor <= this.last;
  }

  /** Whether a lane already finished this event before a restart. */
  finishedBefore(lane: string, cursor: string): boolean {
    const d = this.done.get(lane);
    return d !== undefined && cursor <= d;
  }

  /** Records that an event was received; it stays pending until finish(). */
  dispatch(cursor: string): void {
    if (this.seen(cursor)) throw new Error(`progress: event ${cursor} dispatched twice or out of order (last ${this.last})`);
    const p = { cursor, finished: false };
    this.pending.push(p);
    this.byCursor.set(cursor, p);
    this.last = cursor;
  }

  /** Marks an event finished; returns true when the watermark moved. */
  finish(lane: string | undefined, cursor: string): boolean {
    const p = this.byCursor.get(cursor);
    if (!p) throw new Error(`progress: event ${cursor} finished but never dispatched`);
    p.finished = true;
    this.byCursor.delete(cursor);
    if (lane !== undefined) {
      const d = this.done.get(lane);
      if (d === undefined || cursor > d) this.done.set(lane, cursor);
    }
    let moved = false;
    while (this.pending.length > 0 && this.pending[0].finished) {
      this.mark = this.pending.shift()!.cursor;
      moved = true;
    }
    if (moved) for (const [l, c] of this.done) if (c <= this.mark!) this.done.delete(l);
    return moved;
  }

  snapshot(): ProgressSnapshot {
    return { watermark: this.mark, done: Object.fromEntries(this.done) };
  }
}
