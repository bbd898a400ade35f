import { FailReason } from "../../../protocol/src/events.js";
import { Phase } from "../../../protocol/src/phases.js";
import { ConnectorError, type ConnectorErrorCode, type RoundRecord } from "../connector.js";

/**
 * The round state machine of the coordinator, as TaskManager.sol has it: which phase follows
 * which, when a deadline lets a round move, who may join or submit, and when drop-outs fail a
 * round. Pure: it reads the states it is given and the time it is told, and says what happens;
 * the network (network.ts) writes the outcome and its events.
 */

/** The rules a task fixed at creation, and how far it has run. */
export interface TaskState {
  taskId: number;
  requester: string;
  rounds: number;
  /** Rounds started so far. */
  currentRound: number;
  closed: boolean;
  minMembers: number;
  maxMembers: number;
  threshold: number;
  /** Seconds each phase lasts. */
  deadlines: { join: number; setup: number; compute: number; aggregate: number };
  /** Whether rounds run a Setup phase before Compute. */
  setup: boolean;
}

/** The part of a round record the transition rules read and write. */
export type RoundState = Pick<RoundRecord, "taskId" | "round" | "phase" | "deadline" | "joined" | "active">;

/** What a round does next: enter a phase, or fail. Members silent in the phase left are dropped when `dropSilent`. */
export type Transition =
  { to: "phase"; phase: number; deadline: number; active: number; dropSilent: boolean } | { to: "failed"; reason: string; dropSilent: boolean; active?: number };

const SUBMISSION = new Set<number>([Phase.Setup, Phase.Compute, Phase.Aggregate]);
const OPEN = new Set<number>([Phase.Join, Phase.Setup, Phase.Compute, Phase.Aggregate]);

const fail = (code: ConnectorErrorCode, message: string): never => {
  throw new ConnectorError(code, message);
};

/** Phases that take contributions. */
export const isSubmission = (phase: number): boolean => SUBMISSION.has(phase);

/** Phases with a deadline still to come (the round is not over). */
export const isOpen = (phase: number): boolean => OPEN.has(phase);

const finished = (r: RoundState | undefined): boolean => !r || r.phase === Phase.Finalized || r.phase === Phase.Failed;

/** The deadline of `phase` entered at `now`. */
export function phaseDeadline(t: TaskState, phase: number, now: number): number {
  const d = phase === Phase.Join ? t.deadlines.join : phase === Phase.Setup ? t.deadlines.setup : phase === Phase.Compute ? t.deadlines.compute : t.deadlines.aggregate;
  return now + d;
}

/** When a round's deadline timer fires: the first second at which advance is allowed. */
export const timerAt = (r: RoundState): number => r.deadline + 1;

/** Starting the next round (requester only, the previous one finished, rounds left, task open). */
export function startRound(t: TaskState, prev: RoundState | undefined, sender: string, now: number): { round: number; deadline: number } {
  if (t.requester !== sender) fail("NotRequester", `only the requester ${t.requester} may start rounds of task ${t.taskId}`);
  if (!finished(prev)) fail("RoundNotFinished", `round ${prev!.round} of task ${t.taskId} is still running`);
  if (t.currentRound >= t.rounds) fail("NoRoundsLeft", `task ${t.taskId} has run all its ${t.rounds} rounds`);
  if (t.closed) fail("TaskAlreadyClosed", `task ${t.taskId} is closed`);
  return firstRound(t, now);
}

/** The round a task starts (at creation, or after the previous one) and its join deadline. */
export function firstRound(t: TaskState, now: number): { round: number; deadline: number } {
  return { round: t.currentRound + 1, deadline: phaseDeadline(t, Phase.Join, now) };
}

/** The round is taking members. The sender's role is checked after this, its seat by `seat`. */
export function joinOpen(r: RoundState, now: number): void {
  if (r.phase !== Phase.Join) fail("WrongPhase", `round ${r.round} of task ${r.taskId} is not in Join`);
  if (now > r.deadline) fail("DeadlinePassed", `the join deadline of round ${r.round} of task ${r.taskId} has passed`);
}

/** The sender may take a seat: not joined yet, and the round not full. */
export function seat(t: TaskState, r: RoundState, sender: string, alreadyJoined: boolean): void {
  if (alreadyJoined) fail("AlreadyJoined", `${sender} already joined round ${r.round} of task ${r.taskId}`);
  if (r.joined >= t.maxMembers) fail("RoundFull", `round ${r.round} of task ${r.taskId} already has ${t.maxMembers} members`);
}

/** After a join: a full round leaves Join at once (`r` counts the new member). */
export function afterJoin(t: TaskState, r: RoundState, now: number): Transition | undefined {
  return r.joined === t.maxMembers ? leaveJoin(t, r, now) : undefined;
}

function leaveJoin(t: TaskState, r: RoundState, now: number): Transition {
  if (r.joined < t.minMembers) return { to: "failed", reason: FailReason.TooFewJoined, dropSilent: false };
  const phase = t.setup ? Phase.Setup : Phase.Compute;
  return { to: "phase", phase, deadline: phaseDeadline(t, phase, now), active: r.joined, dropSilent: false };
}

/** Leaving Setup or Compute with `submitted` contributions: the silent are dropped; too few left fails the round. */
function leaveSubmission(t: TaskState, r: RoundState, submitted: number, now: number): Transition {
  if (submitted < t.threshold) return { to: "failed", reason: FailReason.BelowThreshold, dropSilent: true, active: submitted };
  const phase = r.phase === Phase.Setup ? Phase.Compute : Phase.Aggregate;
  return { to: "phase", phase, deadline: phaseDeadline(t, phase, now), active: submitted, dropSilent: true };
}

/** advance(): a round past its deadline moves on; `submitted` counts the current phase's contributions. */
export function onDeadline(t: TaskState, r: RoundState, submitted: number, now: number): Transition {
  if (!isOpen(r.phase)) fail("WrongPhase", `round ${r.round} of task ${r.taskId} is over`);
  if (now <= r.deadline) fail("DeadlineNotPassed", `the deadline of round ${r.round} of task ${r.taskId} is at ${r.deadline}`);
  if (r.phase === Phase.Join) return leaveJoin(t, r, now);
  if (r.phase === Phase.Aggregate) return { to: "failed", reason: FailReason.AggregateTimeout, dropSilent: false };
  return leaveSubmission(t, r, submitted, now);
}

/** The sender may submit in the round's current phase. */
export function submission(r: RoundState, sender: string, member: { active: boolean } | undefined, alreadySubmitted: boolean, now: number): void {
  if (!isSubmission(r.phase)) fail("WrongPhase", `round ${r.round} of task ${r.taskId} is not in a submission phase`);
  if (now > r.deadline) fail("DeadlinePassed", `the deadline of round ${r.round} of task ${r.taskId} has passed`);
  if (!member) fail("NotMember", `${sender} did not join round ${r.round} of task ${r.taskId}`);
  if (!member!.active) fail("NotMember", `${sender} was dropped from round ${r.round} of task ${r.taskId} after missing a phase`);
  if (alreadySubmitted) fail("AlreadySubmitted", `${sender} already submitted in this phase`);
}

/** After a contribution: Setup and Compute end once every active member submitted; Aggregate waits for the requester. */
export function afterSubmit(t: TaskState, r: RoundState, submitted: number, now: number): Transition | undefined {
  if (r.phase === Phase.Aggregate || submitted !== r.active) return undefined;
  return leaveSubmission(t, r, submitted, now);
}

/** finalizeRound: the requester, in Aggregate, before its deadline. Returns whether the task closes with it (its last round). */
export function finalize(t: TaskState, r: RoundState, sender: string, now: number): { closesTask: boolean } {
  if (t.requester !== sender) fail("NotRequester", `only the requester ${t.requester} may finalize task ${t.taskId}`);
  if (r.phase !== Phase.Aggregate) fail("WrongPhase", `round ${r.round} of task ${t.taskId} is not in Aggregate`);
  if (now > r.deadline) fail("DeadlinePassed", `the aggregate deadline of round ${r.round} of task ${t.taskId} has passed`);
  return { closesTask: r.round === t.rounds };
}

/** closeTask: the requester, between rounds, once. */
export function closeTask(t: TaskState, current: RoundState | undefined, sender: string): void {
  if (t.requester !== sender) fail("NotRequester", `only the requester ${t.requester} may close task ${t.taskId}`);
  if (t.closed) fail("TaskAlreadyClosed", `task ${t.taskId} is closed`);
  if (!finished(current)) fail("RoundNotFinished", `round ${current!.round} of task ${t.taskId} is still running`);
}
