/**
 * What the dashboard knows, folded from the connector's event stream (the same events every node
 * follows): tasks, rounds with their phase history, members and their submissions, nodes. Pure:
 * no I/O, so the same events always give the same picture.
 */
import type { ChainEvent, MemberReportStatus } from "../../protocol/src/events.js";
import { Phase } from "../../protocol/src/phases.js";

export interface PhaseStep {
  phase: number;
  /** When the phase began (event time, seconds). */
  at: number;
  deadline: number;
}

export interface MemberState {
  joinedAt: number;
  /** Phases this member submitted in → blob hash and commitment. */
  submitted: Record<number, { blobHash: string; commitment: string; at: number; txHash?: string; cursor: string }>;
}

export interface RoundState {
  round: number;
  phase: number;
  deadline: number;
  steps: PhaseStep[];
  members: Record<string, MemberState>;
  active?: number;
  resultHash?: string;
  failed?: string;
  /** Submission phases the round went through (Setup only when the task has one). */
  submissionPhases: number[];
  /** Members' own signed accounts of why they are not in the round (MemberReported). */
  reports: Record<string, { status: MemberReportStatus; reason: string }>;
}

export interface TaskState {
  taskId: number;
  requester: string;
  kind: string;
  specHash: string;
  rounds: number;
  createdAt: number;
  round: Record<number, RoundState>;
  current: number;
  closed?: string;
}

export interface NodeState {
  address: string;
  endpoint: string;
  roles: number;
  capacity: number;
  registeredAt: number;
  left?: boolean;
  /** Last join or submission seen in the stream (seconds). */
  lastSeen?: number;
}

export interface DatasetEvent {
  owner: string;
  datasetId: string;
  version: number;
  root: string;
  rows: number;
  at: number;
  txHash?: string;
  cursor: string;
}

export interface Model {
  tasks: Record<number, TaskState>;
  /** Verifier contract (or off-chain key name) per kind hash, as set on-chain. */
  verifiers: Record<string, string>;
  datasets: DatasetEvent[];
  /** The latest events, oldest first (at most RECENT), for the explorer. */
  recent: ChainEvent[];
  nodes: Record<string, NodeState>;
  events: number;
  lastTime: number;
  cursor?: string;
}

export const RECENT = 2000;
export const emptyModel = (): Model => ({ tasks: {}, verifiers: {}, datasets: [], recent: [], nodes: {}, events: 0, lastTime: 0 });

/** Applies one event in place (the caller re-renders after a batch). */
export function apply(m: Model, e: ChainEvent): void {
  m.events++;
  m.recent.push(e);
  if (m.recent.length > RECENT) m.recent.splice(0, m.recent.length - RECENT);
  m.lastTime = Math.max(m.lastTime, e.time);
  m.cursor = e.cursor;
  const seen = (addr: string) => {
    const n = m.nodes[addr];
    if (n) n.lastSeen = Math.max(n.lastSeen ?? 0, e.time);
  };
  switch (e.type) {
    case "NodeRegistered":
    case "NodeUpdated":
      m.nodes[e.node] = { ...(m.nodes[e.node] ?? { registeredAt: e.time }), address: e.node, endpoint: e.endpoint, roles: e.roles, capacity: e.capacity, left: false };
      return;
    case "NodeLeft":
      if (m.nodes[e.node]) m.nodes[e.node].left = true;
      return;
    case "VerifierSet":
      m.verifiers[e.kind] = e.verifier;
      return;
    case "DatasetCommitted":
      m.datasets.push({ owner: e.owner, datasetId: e.datasetId, version: e.version, root: e.root, rows: e.rows, at: e.time, txHash: e.txHash, cursor: e.cursor });
      return;
    case "TaskCreated":
      m.tasks[e.taskId] = { taskId: e.taskId, requester: e.requester, kind: e.kind, specHash: e.specHash, rounds: e.rounds, createdAt: e.time, round: {}, current: 0 };
      return;
    default:
  }
  if (!("taskId" in e)) return;
  const t = m.tasks[e.taskId];
  if (!t) return;
  if (e.type === "TaskClosed") {
    t.closed = e.reason || "last-round";
    return;
  }
  if (e.type === "RoundStarted") {
    t.current = Math.max(t.current, e.round);
    t.round[e.round] = {
      round: e.round,
      phase: Phase.Join,
      deadline: e.deadline,
      steps: [{ phase: Phase.Join, at: e.time, deadline: e.deadline }],
      members: {},
      submissionPhases: [],
      reports: {},
    };
    return;
  }
  const r = t.round[e.round];
  if (!r) return;
  switch (e.type) {
    case "MemberJoined":
      r.members[e.member] = { joinedAt: e.time, submitted: {} };
      seen(e.member);
      break;
    case "PhaseAdvanced":
      r.phase = e.phase;
      r.deadline = e.deadline;
      r.active = e.active;
      r.steps.push({ phase: e.phase, at: e.time, deadline: e.deadline });
      if ((e.phase === Phase.Setup || e.phase === Phase.Compute) && !r.submissionPhases.includes(e.phase)) r.submissionPhases.push(e.phase);
      break;
    case "ContributionSubmitted":
      (r.members[e.member] ??= { joinedAt: e.time, submitted: {} }).submitted[e.phase] = {
        blobHash: e.blobHash,
        commitment: e.commitment,
        at: e.time,
        txHash: e.txHash,
        cursor: e.cursor,
      };
      seen(e.member);
      break;
    case "MemberReported":
      r.reports[e.member] = { status: e.status, reason: e.reason };
      break;
    case "RoundFinalized":
      r.phase = Phase.Finalized;
      r.resultHash = e.resultHash;
      r.steps.push({ phase: Phase.Finalized, at: e.time, deadline: 0 });
      break;
    case "RoundFailed":
      r.phase = Phase.Failed;
      r.failed = `${e.reason} (in phase ${e.phase})`;
      r.steps.push({ phase: Phase.Failed, at: e.time, deadline: 0 });
      break;
    default:
  }
}

export type Cell = "joined" | "submitted" | "proof" | "dropped" | "absent" | "pending" | "declined" | "failed";

/**
 * A member's standing in a round: submitted every submission phase reached so far (with a proof
 * when the contribution is proven), dropped (missed a phase that has since moved on: the
 * connector drops members who did not submit before the phase ended), or still awaited.
 */
export function memberCell(r: RoundState, member: string, proven: boolean): { cell: Cell; why: string } {
  const s = r.members[member];
  const report = r.reports[member];
  // The member's own signed report names the cause; it wins over what the phases alone show.
  if (report) return { cell: report.status === "failed" ? "failed" : "declined", why: `${report.status}: ${report.reason}` };
  if (!s) return { cell: "absent", why: "did not join this round" };
  const phases = r.submissionPhases;
  for (const p of phases) {
    if (s.submitted[p]) continue;
    const moved = r.phase === Phase.Finalized || r.phase === Phase.Failed || r.phase > p;
    if (moved) return { cell: "dropped", why: `no contribution in ${p === Phase.Setup ? "Setup" : "Compute"} before the phase ended` };
    return { cell: "pending", why: `awaited in ${p === Phase.Setup ? "Setup" : "Compute"}` };
  }
  if (phases.length === 0) return { cell: "joined", why: "joined; no submission phase yet" };
  return { cell: proven ? "proof" : "submitted", why: proven ? "submitted with a proof the connector checked" : "submitted" };
}

/** Who the round waits for now, in words ("waiting for 0xab… (Compute)"), or why it does not wait. */
export function waitingFor(t: TaskState, r: RoundState | undefined, threshold: number): string {
  if (!r) return t.closed ? `closed: ${t.closed}` : "waiting for the first round to start";
  if (t.closed) return `closed: ${t.closed}`;
  if (r.phase === Phase.Failed) return `round ${r.round} failed: ${r.failed}`;
  if (r.phase === Phase.Finalized) return r.round >= t.rounds ? "done" : `waiting for the requester to start round ${r.round + 1}`;
  if (r.phase === Phase.Join) return `waiting for members to join (${Object.keys(r.members).length} joined, threshold ${threshold})`;
  if (r.phase === Phase.Aggregate) return `waiting for the requester ${short(t.requester)} to aggregate and finalize`;
  const missing = Object.entries(r.members)
    .filter(([, s]) => !s.submitted[r.phase])
    .map(([a]) => short(a));
  return missing.length ? `waiting for ${missing.join(", ")} to submit in ${r.phase === Phase.Setup ? "Setup" : "Compute"}` : "all submitted; the phase advances";
}

export const short = (a: string) => `${a.slice(0, 6)}…${a.slice(-4)}`;
