import type { RoundRecord as ChainRound, ConnectorErrorCode, TaskRecord } from "../../../chain-connector/src/connector.js";
import type { DatasetRow, InboxRow, InboxStatus, ResultRow, RoundState, RoundStatus, Side, TaskDecision, TaskRow } from "../store/store.js";
import type { Aggregation, SubmissionName, VerificationLevel } from "../../../protocol/src/phases.js";
import type { TaskSpec } from "../../../protocol/src/taskspec.js";
import { columnsOf, type DatasetPolicy } from "../runtime/dataset-policy.js";
import { DEFAULT_DP_DELTA, privacyOf, taskRho } from "../privacy/mechanism.js";
import { epsilonOf } from "../privacy/accountant.js";
import type { AuditEntry, AuditPrivacy } from "../audit/log.js";

/** Why the owner's approval cannot be given now (runtime.ts ApprovalError). */
export type ApprovalErrorCode = "NotInInbox" | "AlreadyDecided" | "JoinEnded" | "PolicyDeclines";

/**
 * Codes of the node API's error bodies: a connector's refusal passed through, the approval flow's,
 * and the API's own.
 */
export type NodeApiErrorCode = ConnectorErrorCode | ApprovalErrorCode | "UnknownDataset" | "NoResult" | "NoRuntime" | "NotFound" | "TooDeep" | "NotBuilt" | "Internal";

/**
 * What the node API may show. Every response is built here by naming each field, never by
 * spreading a store row: a field added to a row (a key, a mask, a share) stays private until
 * someone decides to add it to a view.
 */

export interface DatasetView {
  name: string;
  version: number;
  format: string;
  /** The file's path on the node (the caller is the operator). */
  path: string;
  schema: { columns: string[]; idColumn?: string; schemaHash: string };
  rows: number;
  columns: number;
  root: string;
  fileHash: string;
  committed: boolean;
  txHash: string;
  createdAt: number;
}

/** The salt seed's location is left out: it is the secret behind the commitment's salts. */
export function datasetView(d: DatasetRow): DatasetView {
  return {
    name: d.name,
    version: d.version,
    format: d.format,
    path: d.path,
    schema: { columns: [...d.schema.columns], ...(d.schema.idColumn === undefined ? {} : { idColumn: d.schema.idColumn }), schemaHash: d.schema.schemaHash },
    rows: d.rows,
    columns: d.columns,
    root: d.root,
    fileHash: d.fileHash,
    committed: d.committed,
    txHash: d.txHash,
    createdAt: d.createdAt,
  };
}

export interface TaskView {
  taskId: number;
  requester: string;
  kind: string;
  /** The public spec (the connector serves it to every party); null when the node could not read it. */
  spec: TaskSpec | null;
  specHash: string;
  mine: boolean;
  decision: TaskDecision;
  reason: string;
  datasets: string[];
  createdAt: number;
}

export function taskView(t: TaskRow): TaskView {
  return {
    taskId: t.taskId,
    requester: t.requester,
    kind: t.kind,
    spec: t.spec,
    specHash: t.specHash,
    mine: t.mine,
    decision: t.decision,
    reason: t.reason,
    datasets: [...t.datasets],
    createdAt: t.createdAt,
  };
}

export interface ChainTaskView {
  taskId: number;
  requester: string;
  kind: string;
  specHash: string;
  rounds: number;
  currentRound: number;
  closed: boolean;
}

export function chainTaskView(t: TaskRecord): ChainTaskView {
  return { taskId: t.taskId, requester: t.requester, kind: t.kind, specHash: t.specHash, rounds: t.rounds, currentRound: t.currentRound, closed: t.closed };
}

/** A round as this node sees it: progress and the hashes it submitted; the kind's state (keys, masks, shares) is never shown. */
export interface RoundView {
  taskId: number;
  round: number;
  side: Side;
  phase: number;
  status: RoundStatus;
  active: number;
  submissions: Partial<Record<SubmissionName, { blobHash: string; commitment: string; proven: boolean; sent: boolean }>>;
  resultHash?: string;
  error?: string;
  updatedAt: number;
}

export function roundView(r: RoundState): RoundView {
  const submissions: RoundView["submissions"] = {};
  for (const [name, s] of Object.entries(r.submissions))
    submissions[name as SubmissionName] = { blobHash: s.blobHash, commitment: s.commitment, proven: s.proof !== undefined, sent: s.sent !== false };
  return {
    taskId: r.taskId,
    round: r.round,
    side: r.side,
    phase: r.phase,
    status: r.status,
    active: r.active,
    submissions,
    ...(r.resultHash === undefined ? {} : { resultHash: r.resultHash }),
    ...(r.error === undefined ? {} : { error: r.error }),
    updatedAt: r.updatedAt,
  };
}

export function chainRoundView(r: ChainRound) {
  return {
    taskId: r.taskId,
    round: r.round,
    phase: r.phase,
    deadline: r.deadline,
    joined: r.joined,
    active: r.active,
    submitted: r.submitted,
    resultHash: r.resultHash,
    members: [...r.members],
  };
}

/** A result, for the node's operator only (the API checks the caller). */
export interface ResultView {
  taskId: number;
  round: number;
  kind: string;
  result: unknown;
  resultHash: string;
  recordHash: string;
  contributors: string[];
  done: boolean;
  createdAt: number;
}

export function resultView(r: ResultRow): ResultView {
  return {
    taskId: r.taskId,
    round: r.round,
    kind: r.kind,
    result: r.result,
    resultHash: r.resultHash,
    recordHash: r.recordHash,
    contributors: [...r.contributors],
    done: r.done,
    createdAt: r.createdAt,
  };
}

/**
 * An audit entry as the operator sees it: every field of the entry (they are public by design:
 * hashes, sizes, reasons, privacy parameters), named one by one so that the hash the verifier
 * recomputes covers exactly what is shown.
 */
export function auditView(e: AuditEntry): AuditEntry {
  return {
    seq: e.seq,
    time: e.time,
    action: e.action,
    taskId: e.taskId,
    round: e.round,
    datasets: [...e.datasets],
    reason: e.reason,
    ...(e.phase === undefined ? {} : { phase: e.phase }),
    ...(e.blobHash === undefined ? {} : { blobHash: e.blobHash }),
    ...(e.commitment === undefined ? {} : { commitment: e.commitment }),
    ...(e.bytes === undefined ? {} : { bytes: e.bytes }),
    ...(e.privacy === undefined ? {} : { privacy: auditPrivacyView(e.privacy) }),
    anchor: { event: e.anchor.event, cursor: e.anchor.cursor, txHash: e.anchor.txHash },
    prev: e.prev,
    hash: e.hash,
  };
}

function auditPrivacyView(p: AuditPrivacy): AuditPrivacy {
  return {
    mechanism: p.mechanism,
    rho: p.rho,
    rhoTask: p.rhoTask,
    epsilon: p.epsilon,
    delta: p.delta,
    threshold: p.threshold,
    bounds: { ...p.bounds },
    ...(p.sigma === undefined ? {} : { sigma: [...p.sigma] }),
  };
}

/** A dataset's policy as set (every field the operator gave; absent fields do not restrict). */
export interface DatasetPolicyView {
  dataset: string;
  policy: DatasetPolicy;
  /** null: the dataset has no policy of its own (only the node-wide one applies). */
  updatedAt: number | null;
}

export function datasetPolicyView(dataset: string, p: { policy: DatasetPolicy; updatedAt: number } | undefined): DatasetPolicyView {
  return { dataset, policy: p ? (JSON.parse(JSON.stringify(p.policy)) as DatasetPolicy) : {}, updatedAt: p?.updatedAt ?? null };
}

/** A task in the owner's inbox: what it asks of which dataset, and where its approval stands. */
export interface InboxView {
  taskId: number;
  status: InboxStatus;
  /** The datasets (name@version) whose policy asks for approval. */
  datasets: string[];
  reason: string;
  decidedBy: string | null;
  createdAt: number;
  decidedAt: number | null;
  requester: string;
  kind: string;
  specHash: string;
  rounds: number;
  aggregation: Aggregation;
  verification: VerificationLevel;
  members: { min: number; max: number; threshold: number };
  /** The columns of this node's data the task reads (null: the kind names none this node can read). */
  columns: string[] | null;
  /** The privacy loss the task asks for (whole task), null without params.privacy. */
  privacy: { rho: number; epsilon: number; delta: number } | null;
}

export function inboxView(i: InboxRow, task: TaskRow, self: string): InboxView {
  const spec = task.spec;
  if (!spec) throw new Error(`task ${task.taskId} is in the inbox without a readable spec`);
  const p = privacyOf(spec);
  const rho = p ? taskRho(p) : 0;
  const delta = p?.delta ?? DEFAULT_DP_DELTA;
  return {
    taskId: i.taskId,
    status: i.status,
    datasets: [...i.datasets],
    reason: i.reason,
    decidedBy: i.decidedBy ?? null,
    createdAt: i.createdAt,
    decidedAt: i.decidedAt ?? null,
    requester: task.requester,
    kind: task.kind,
    specHash: task.specHash,
    rounds: spec.rounds,
    aggregation: spec.aggregation,
    verification: spec.verification,
    members: { min: spec.members.min, max: spec.members.max, threshold: spec.members.threshold },
    columns: columnsOf(spec, self) ?? null,
    privacy: p ? { rho, epsilon: epsilonOf(rho, delta), delta } : null,
  };
}
