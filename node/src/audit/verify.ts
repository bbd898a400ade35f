import type { Connector } from "../../../chain-connector/src/connector.js";
import type { ChainEvent } from "../../../protocol/src/events.js";
import { Phase } from "../../../protocol/src/phases.js";
import { verifyChain, type AuditEntry, type ChainFault } from "./log.js";

/** Phase a released submission answered, by the name the runtime gives it. */
const PHASE_OF: Record<string, number> = { setup: Phase.Setup, compute: Phase.Compute, reveal: Phase.Aggregate };

export interface AuditVerdict {
  ok: boolean;
  entries: number;
  /** The first entry that fails, and why; absent when ok. */
  bad?: ChainFault;
  /** Events checked against (the stream read up to the last anchored cursor). */
  eventsRead: number;
}

/**
 * Reads the connector's event stream from its start until every anchored cursor is behind it (or
 * the stream has been quiet for `idleMs`: an anchor past the head names an event that does not
 * exist). Cursors are zero-padded and compare as strings (protocol events.ts).
 */
async function eventsUpTo(connector: Connector, last: string, idleMs: number): Promise<ChainEvent[]> {
  const ac = new AbortController();
  const out: ChainEvent[] = [];
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => ac.abort(), idleMs);
  };
  arm();
  try {
    for await (const ev of connector.events(undefined, ac.signal)) {
      out.push(ev);
      if (ev.cursor >= last) break;
      arm();
    }
  } catch (e) {
    if (!ac.signal.aborted) throw e;
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  return out;
}

/**
 * Checks a node's audit log: the hash chain (log.ts), then each entry against the chain's events.
 * The anchor must be an event at that cursor, of that type and transaction, about that task and
 * round; a join must be matched by this node's MemberJoined, a release by this node's
 * ContributionSubmitted with the same blob hash and commitment in that phase. Finally, every join
 * and submission of this node that the chain shows, up to `upTo` (the node's finished-events
 * watermark), must be in the log: an operator who drops entries (and rehashes the rest) is caught
 * by the events it cannot rewrite.
 */
export async function verifyAudit(args: {
  entries: readonly AuditEntry[];
  connector: Connector;
  self: string;
  upTo?: string;
  /** The trail began after this cursor (a store upgraded from a build without it): earlier events need no entry. */
  since?: string;
  idleMs?: number;
}): Promise<AuditVerdict> {
  const { entries, connector } = args;
  const self = args.self.toLowerCase();
  const fault = verifyChain(entries);
  if (fault) return { ok: false, entries: entries.length, bad: fault, eventsRead: 0 };
  const last = [...entries.map((e) => e.anchor.cursor), args.upTo ?? ""].reduce((a, b) => (b > a ? b : a), "");
  const events = last === "" ? [] : await eventsUpTo(connector, last, args.idleMs ?? 2000);
  const at = new Map(events.map((e) => [e.cursor, e]));
  const joins = new Map<string, ChainEvent>();
  const subs = new Map<string, Extract<ChainEvent, { type: "ContributionSubmitted" }>>();
  for (const e of events) {
    if (e.type === "MemberJoined" && e.member.toLowerCase() === self) joins.set(`${e.taskId}/${e.round}`, e);
    if (e.type === "ContributionSubmitted" && e.member.toLowerCase() === self) subs.set(`${e.taskId}/${e.round}/${e.phase}`, e);
  }
  const bad = (seq: number, reason: string): AuditVerdict => ({ ok: false, entries: entries.length, bad: { seq, reason }, eventsRead: events.length });
  const logged = new Set<string>();
  for (const e of entries) {
    const ev = at.get(e.anchor.cursor);
    if (!ev) return bad(e.seq, `entry ${e.seq}: no chain event at cursor ${e.anchor.cursor}`);
    if (ev.type !== e.anchor.event) return bad(e.seq, `entry ${e.seq}: the event at cursor ${e.anchor.cursor} is ${ev.type}, the entry says ${e.anchor.event}`);
    if ((ev.txHash ?? "").toLowerCase() !== e.anchor.txHash)
      return bad(e.seq, `entry ${e.seq}: the event at cursor ${e.anchor.cursor} has transaction ${ev.txHash}, the entry says ${e.anchor.txHash}`);
    const evTask = "taskId" in ev ? ev.taskId : undefined;
    const evRound = "round" in ev ? ev.round : 0;
    if (evTask !== e.taskId || evRound !== e.round)
      return bad(e.seq, `entry ${e.seq}: the event at cursor ${e.anchor.cursor} is about task ${evTask} round ${evRound}, the entry says task ${e.taskId} round ${e.round}`);
    const expected =
      e.action === "accepted" || e.action === "declined" || e.action === "pending" || e.action === "approved"
        ? "TaskCreated"
        : e.action === "joined"
          ? "RoundStarted"
          : e.action === "released"
            ? "PhaseAdvanced"
            : undefined;
    if (ev.type !== expected) return bad(e.seq, `entry ${e.seq}: a ${e.action} entry cannot be anchored to ${ev.type}`);
    if (e.action === "joined") {
      if (!joins.has(`${e.taskId}/${e.round}`)) return bad(e.seq, `entry ${e.seq}: the chain shows no MemberJoined of ${args.self} in round ${e.round} of task ${e.taskId}`);
      logged.add(`j${e.taskId}/${e.round}`);
    }
    if (e.action === "released") {
      const phase = PHASE_OF[e.phase ?? ""];
      if (phase === undefined || (ev.type === "PhaseAdvanced" && ev.phase !== phase))
        return bad(e.seq, `entry ${e.seq}: phase ${e.phase} does not match the anchoring PhaseAdvanced`);
      const c = subs.get(`${e.taskId}/${e.round}/${phase}`);
      if (!c) return bad(e.seq, `entry ${e.seq}: the chain shows no ContributionSubmitted of ${args.self} in ${e.phase} of round ${e.round} of task ${e.taskId}`);
      if (c.blobHash.toLowerCase() !== (e.blobHash ?? "").toLowerCase() || c.commitment.toLowerCase() !== (e.commitment ?? "").toLowerCase())
        return bad(
          e.seq,
          `entry ${e.seq}: the chain's ContributionSubmitted has blob ${c.blobHash} and commitment ${c.commitment}, the entry says ${e.blobHash} and ${e.commitment}`,
        );
      logged.add(`s${e.taskId}/${e.round}/${phase}`);
    }
  }
  // What the chain shows this node did, up to what the node has finished, must all be logged.
  if (args.upTo !== undefined) {
    const next = entries.length + 1;
    for (const e of events) {
      if (e.cursor > args.upTo) break;
      if (args.since !== undefined && e.cursor <= args.since) continue;
      if (e.type === "MemberJoined" && e.member.toLowerCase() === self && !logged.has(`j${e.taskId}/${e.round}`))
        return bad(next, `the chain shows ${args.self} joined round ${e.round} of task ${e.taskId} (cursor ${e.cursor}), the log has no entry for it`);
      if (e.type === "ContributionSubmitted" && e.member.toLowerCase() === self && !logged.has(`s${e.taskId}/${e.round}/${e.phase}`))
        return bad(next, `the chain shows ${args.self} submitted blob ${e.blobHash} in round ${e.round} of task ${e.taskId} (cursor ${e.cursor}), the log has no entry for it`);
    }
  }
  return { ok: true, entries: entries.length, eventsRead: events.length };
}
