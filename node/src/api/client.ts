import type { Signer } from "ethers";
import { signRequest } from "../../../protocol/src/signing.js";
import type { RoleName } from "../../../protocol/src/phases.js";
import type { ConnectorMode } from "../../../chain-connector/src/connector.js";
import type { TaskSpecInput } from "../../../protocol/src/taskspec.js";
import type { DatasetConfig } from "../config.js";
import type { AuditEntry } from "../audit/log.js";
import type { AuditVerdict } from "../audit/verify.js";
import type { ChainTaskView, DatasetPolicyView, InboxView, NodeApiErrorCode, RoundView, TaskView } from "./views.js";
import type { DatasetPolicy } from "../runtime/dataset-policy.js";

export class NodeApiError extends Error {
  constructor(
    readonly status: number,
    /** "Error": the answer had no JSON error body (a proxy's, say). */
    readonly code: NodeApiErrorCode | "Error",
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = "NodeApiError";
  }
}

/** A typed client of a node's HTTP API; requests that need it are signed with `signer`. */
export class NodeApiClient {
  constructor(
    readonly url: string,
    private readonly signer?: Signer,
  ) {}

  async request<T>(method: string, path: string, body?: unknown, sign = false): Promise<T> {
    const bytes = body === undefined ? new Uint8Array(0) : new TextEncoder().encode(JSON.stringify(body));
    const headers: Record<string, string> = {};
    if (sign) {
      if (!this.signer) throw new Error(`NodeApiClient: ${method} ${path} must be signed; pass a signer`);
      Object.assign(headers, await signRequest(this.signer, method, new URL(path, this.url).pathname + new URL(path, this.url).search, bytes));
    }
    if (bytes.length > 0) headers["content-type"] = "application/json";
    const res = await fetch(new URL(path, this.url), { method, headers, body: bytes.length > 0 ? bytes : undefined });
    const json = (await res.json().catch(() => ({}))) as { code?: NodeApiErrorCode; message?: string };
    if (!res.ok) throw new NodeApiError(res.status, json.code ?? "Error", json.message ?? `HTTP ${res.status}`);
    return json as T;
  }

  health() {
    return this.request<{ ok: boolean; name: string; address: string; roles: RoleName[]; mode: ConnectorMode; cursor: string | null }>("GET", "/health");
  }
  datasets() {
    return this.request<unknown[]>("GET", "/datasets", undefined, true);
  }
  /** With `policy`, the dataset's policy is set once it is committed (checked before anything is). */
  registerDataset(d: Omit<DatasetConfig, "policy"> & { policy?: unknown }) {
    return this.request<{ name: string; version: number; root: string; rows: number; columns: number; policy: DatasetPolicy }>("POST", "/datasets", d, true);
  }
  datasetPolicy(name: string) {
    return this.request<DatasetPolicyView>("GET", `/datasets/${encodeURIComponent(name)}/policy`, undefined, true);
  }
  /** Replaces the dataset's policy ({} lifts every per-dataset restriction). */
  setDatasetPolicy(name: string, policy: unknown) {
    return this.request<DatasetPolicyView>("PUT", `/datasets/${encodeURIComponent(name)}/policy`, policy, true);
  }
  /** Tasks waiting for approval (all: decided ones too). */
  inbox(opts: { all?: boolean } = {}) {
    return this.request<InboxView[]>("GET", `/inbox${opts.all ? "?all=1" : ""}`, undefined, true);
  }
  inboxTask(taskId: number) {
    return this.request<InboxView>("GET", `/inbox/${taskId}`, undefined, true);
  }
  allow(taskId: number) {
    return this.request<InboxView & { joined: boolean; joinError?: string }>("POST", `/inbox/${taskId}/allow`, undefined, true);
  }
  deny(taskId: number, reason: string) {
    return this.request<InboxView>("POST", `/inbox/${taskId}/deny`, { reason }, true);
  }
  tasks() {
    return this.request<TaskView[]>("GET", "/tasks", undefined, true);
  }
  /**
   * Any kind's input: the node runs the kind's requester-side preparation (an outsourced kind's
   * options in params, vlinreg without rounds…). `info` holds public facts the preparation made
   * (an outsourced task's workers and setup chunks). With an idempotency key, a retried
   * submission returns the first one's task instead of creating another.
   */
  submitTask(spec: (Omit<TaskSpecInput, "requester"> & { requester?: string }) | Record<string, unknown>, opts: { idempotencyKey?: string } = {}) {
    const q = opts.idempotencyKey ? `?idempotencyKey=${encodeURIComponent(opts.idempotencyKey)}` : "";
    return this.request<{ taskId: number; specHash: string; txHash?: string; info?: Record<string, unknown> }>("POST", `/tasks${q}`, spec, true);
  }
  task(id: number) {
    return this.request<{ task: TaskView | null; chain: ChainTaskView | null; rounds: RoundView[] }>("GET", `/tasks/${id}`, undefined, true);
  }
  /** One page of the audit trail, oldest first; `next` is the `after` of the following page (null at the end). */
  audit(opts: { after?: number; limit?: number; taskId?: number } = {}) {
    const q = new URLSearchParams();
    if (opts.after !== undefined) q.set("after", String(opts.after));
    if (opts.limit !== undefined) q.set("limit", String(opts.limit));
    if (opts.taskId !== undefined) q.set("taskId", String(opts.taskId));
    const qs = q.toString();
    return this.request<{ entries: AuditEntry[]; next: number | null }>("GET", `/audit${qs ? `?${qs}` : ""}`, undefined, true);
  }
  /** The node's verdict on its whole audit trail (hash chain and chain events). */
  auditVerify() {
    return this.request<AuditVerdict>("GET", "/audit/verify", undefined, true);
  }
  result<T = unknown>(taskId: number, round: number) {
    return this.request<{ taskId: number; round: number; result: T; resultHash: string; recordHash: string; contributors: string[] }>(
      "GET",
      `/results/${taskId}/${round}`,
      undefined,
      true,
    );
  }
}
