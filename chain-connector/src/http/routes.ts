import type { BindingDomain, ConnectorErrorCode, ConnectorMode } from "../connector.js";

/**
 * The wire contract shared by the server and the typed client. Every request is signed over
 * method, path (with its query string) and body; see protocol signing.ts.
 */
export const ROUTES = {
  info: "/info",
  nodes: "/nodes",
  node: (address: string) => `/nodes/${address}`,
  register: "/nodes/register",
  update: "/nodes/update",
  leave: "/nodes/leave",
  heartbeat: "/heartbeat",
  datasets: "/datasets",
  tasks: "/tasks",
  task: (id: number) => `/tasks/${id}`,
  spec: (id: number) => `/tasks/${id}/spec`,
  rounds: (id: number) => `/tasks/${id}/rounds`,
  round: (id: number, r: number) => `/tasks/${id}/rounds/${r}`,
  join: (id: number, r: number) => `/tasks/${id}/rounds/${r}/join`,
  submit: (id: number, r: number) => `/tasks/${id}/rounds/${r}/submit`,
  contributions: (id: number, r: number, phase: number) => `/tasks/${id}/rounds/${r}/contributions/${phase}`,
  advance: (id: number, r: number) => `/tasks/${id}/rounds/${r}/advance`,
  finalize: (id: number, r: number) => `/tasks/${id}/rounds/${r}/finalize`,
  close: (id: number) => `/tasks/${id}/close`,
  report: (id: number, r: number) => `/tasks/${id}/rounds/${r}/report`,
  challenge: (id: number, r: number) => `/tasks/${id}/rounds/${r}/challenge`,
  blobs: "/blobs",
  blob: (hash: string) => `/blobs/${hash}`,
  events: "/events",
} as const;

/** What GET /info answers. */
export interface ServerInfo {
  mode: ConnectorMode;
  /** The authenticated caller's address. */
  address: string;
  /** Seconds within which a heartbeat or a participation keeps a node `active`. */
  livenessSeconds: number;
  /** What proofs submitted here are bound to (protocol roundBinding). */
  bindingDomain: BindingDomain;
}

/** Error body of every non-2xx answer. */
export interface ErrorBody {
  code: ConnectorErrorCode;
  message: string;
}

const STATUS: Partial<Record<ConnectorErrorCode, number>> = {
  Unauthorized: 401,
  BadInput: 400,
  InvalidProof: 400,
  BadBinding: 400,
  BlobHashMismatch: 400,
  NotRegistered: 403,
  Forbidden: 403,
  QuotaExceeded: 429,
  MissingRole: 403,
  NotRequester: 403,
  NotMember: 403,
  UnknownTask: 404,
  UnknownRound: 404,
  BlobMissing: 404,
  NoVerifier: 422,
  Unavailable: 503,
};

/** 4xx for the caller's mistakes, 409 for state conflicts (wrong phase, deadlines, duplicates). */
export function statusFor(code: ConnectorErrorCode): number {
  return STATUS[code] ?? 409;
}
