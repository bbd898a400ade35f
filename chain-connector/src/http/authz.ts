import type { TaskSpec } from "../../../protocol/src/taskspec.js";
import { kindDef } from "../../../protocol/src/tasks/registry.js";
import type { ReadScope } from "../../../protocol/src/tasks/kind.js";
import { ConnectorError, type Connector } from "../connector.js";
import type { ConnectorState } from "./state.js";

/**
 * Who may call what, for both modes: the server asks this module before it hands a request to
 * the network, so coordinator and ethereum share one policy. The networks keep their own checks
 * (requester-only finalize, member-only submit, roles); this adds what a chain cannot express:
 * who may read.
 */

/** Where a blob is published, as the chain (or the coordinator's tables) records it. */
export type BlobRef =
  { type: "spec"; taskId: number } | { type: "contribution"; taskId: number; round: number; phase: number; member: string } | { type: "result"; taskId: number; round: number };

/** Implemented by each network: every place a blob hash is published. */
export interface BlobIndex {
  blobRefs(hash: string): Promise<BlobRef[]>;
}

/** The authorization table, as the README shows it: one line per route. */
export const ROUTE_POLICY: readonly { route: string; who: string }[] = [
  { route: "GET /info", who: "any signed caller (mode, the caller's own address, liveness window, binding domain: deployment constants a node needs before it registers)" },
  { route: "POST /nodes/register", who: "any signed caller (the one thing an unregistered key may do)" },
  { route: "GET /nodes/:address", who: "registered nodes; any signed caller for its own address (a node checks whether it is registered)" },
  { route: "GET /nodes", who: "registered nodes" },
  { route: "POST /nodes/update, /nodes/leave, /heartbeat", who: "the registered node itself" },
  { route: "POST /datasets", who: "registered nodes with the Owner role (network check)" },
  { route: "GET /datasets", who: "registered nodes" },
  { route: "POST /tasks", who: "registered nodes with the Requester role; spec.requester must be the caller; idempotent per `idempotencyKey`" },
  { route: "GET /tasks/:id, GET /tasks/:id/spec", who: "registered nodes (a node reads a spec to decide whether to join)" },
  { route: "POST /tasks/:id/rounds", who: "the task's requester (network check)" },
  { route: "GET /tasks/:id/rounds/:round", who: "registered nodes (phase, deadline, members: public chain state; the result itself is a blob, below)" },
  { route: "POST /tasks/:id/rounds/:round/join", who: "registered Owner or Worker nodes (network check)" },
  { route: "POST /tasks/:id/rounds/:round/submit", who: "members still active in the round (network check)" },
  { route: "GET /tasks/:id/rounds/:round/contributions/:phase", who: "the task's requester and the round's members" },
  { route: "POST /tasks/:id/rounds/:round/advance", who: "registered nodes, once the deadline has passed (network check)" },
  { route: "POST /tasks/:id/rounds/:round/finalize", who: "the task's requester (network check)" },
  { route: "POST /tasks/:id/close", who: "the task's requester, between rounds (network check)" },
  {
    route: "POST /tasks/:id/rounds/:round/report",
    who: 'registered Owner or Worker nodes, as themselves: "declined" by any of them, "failed" by the round\'s members only; one report per node and round (network check)',
  },
  {
    route: "POST /tasks/:id/rounds/:round/challenge",
    who: "registered nodes (on-chain, ChunkAudit.challengeTask takes any account); refused unless the entry is in the member's recorded proof list and fails (network check)",
  },
  { route: "POST /blobs", who: "registered nodes, within the per-party quota (--blob-quota bytes per --blob-quota-window seconds)" },
  {
    route: "GET /blobs/:hash",
    who:
      "its uploader; a spec: registered nodes; a contribution: its author, the task's requester, and the round's members only where the protocol needs it " +
      "(secagg Setup and Compute messages and paillier Compute boxes: the round's members; vlinreg manifests: any member of the task); a round result: the requester and the next round's members; " +
      "a blob named by one of these and uploaded by its author: as that blob (a spec's chunks: the requester and the task's members)",
  },
  { route: "GET /events", who: "registered nodes" },
];

/**
 * Whether the members of a round read each other's contributions of `phase`, and whose rounds
 * count: the kind's own rule from the protocol registry (TaskKindDef.memberReads; federated
 * kinds with secagg: Setup and Compute of the same round; with paillier: Compute of the same round; vlinreg: every round's; outsourced:
 * nothing), or for an operator's own kind the rule given in `extra`.
 */
export function membersRead(spec: Pick<TaskSpec, "kind" | "aggregation">, phase: number, extra: MemberReads = {}): ReadScope {
  const own = extra[spec.kind];
  if (own) return own[phase] ?? "none";
  return kindDef(spec.kind)?.memberReads(spec, phase) ?? "none";
}

export type { ReadScope };

/**
 * Read rules for kinds this module does not know (an operator's own handlers): kind → phase →
 * scope; phases left out are for the author and the requester only.
 */
export type MemberReads = Record<string, Partial<Record<number, ReadScope>>>;

export interface AuthorizerOptions {
  /** Member read rules of extra kinds (see MemberReads). */
  memberReads?: MemberReads;
  /** Bytes of new blobs one party may store per window (default 2 GiB). */
  blobQuotaBytes?: number;
  /** The quota window in seconds (default 3600). */
  blobQuotaWindowSeconds?: number;
  /** How long a positive "is registered" answer is reused, in ms (default 5000). */
  registeredTtlMs?: number;
  now?: () => number;
}

export const DEFAULT_BLOB_QUOTA_BYTES = 2 * 1024 ** 3;
export const DEFAULT_BLOB_QUOTA_WINDOW_SECONDS = 3600;

const HASH_IN_TEXT = /0x[0-9a-fA-F]{64}/g;
/** A blob larger than this names no other blob (manifests and specs are small; ciphertexts are not scanned). */
export const MAX_SCAN_BYTES = 16 * 1024 * 1024;

const forbidden = (message: string): never => {
  throw new ConnectorError("Forbidden", message);
};

export class Authorizer {
  readonly quotaBytes: number;
  readonly quotaWindowSeconds: number;
  private readonly now: () => number;
  private readonly ttl: number;
  private readonly registeredAt = new Map<string, number>();
  private readonly specs = new Map<number, TaskSpec>();
  private readonly requesters = new Map<number, string>();
  private readonly membership = new Set<string>();

  constructor(
    private readonly state: ConnectorState,
    private readonly index: BlobIndex | undefined,
    opts: AuthorizerOptions = {},
  ) {
    this.quotaBytes = opts.blobQuotaBytes ?? DEFAULT_BLOB_QUOTA_BYTES;
    this.quotaWindowSeconds = opts.blobQuotaWindowSeconds ?? DEFAULT_BLOB_QUOTA_WINDOW_SECONDS;
    if (!(this.quotaBytes >= 0)) throw new Error("blobQuotaBytes must be a number of bytes ≥ 0");
    if (!(this.quotaWindowSeconds > 0)) throw new Error("blobQuotaWindowSeconds must be > 0");
    this.now = opts.now ?? Date.now;
    this.ttl = opts.registeredTtlMs ?? 5000;
    this.memberReads = opts.memberReads ?? {};
  }

  private readonly memberReads: MemberReads;

  /** Refuses callers that are not registered nodes (NotRegistered, 403). */
  async registered(c: Connector, caller: string): Promise<void> {
    const at = this.registeredAt.get(caller);
    if (at !== undefined && this.now() - at < this.ttl) return;
    const n = await c.getNode(caller);
    if (!n) {
      this.registeredAt.delete(caller);
      throw new ConnectorError("NotRegistered", `${caller} is not registered; an unregistered key may only register (POST /nodes/register)`);
    }
    this.registeredAt.set(caller, this.now());
  }

  /** A node that leaves loses its access at once (not after the cache expires). */
  forget(caller: string): void {
    this.registeredAt.delete(caller);
  }

  private async requester(c: Connector, taskId: number): Promise<string> {
    let r = this.requesters.get(taskId);
    if (!r) {
      const t = await c.getTask(taskId);
      if (!t) throw new ConnectorError("UnknownTask", `task ${taskId} does not exist`);
      r = t.requester;
      if (this.requesters.size > 100_000) this.requesters.clear();
      this.requesters.set(taskId, r);
    }
    return r;
  }

  private async spec(c: Connector, taskId: number): Promise<TaskSpec> {
    let s = this.specs.get(taskId);
    if (!s) {
      s = (await c.getTaskSpec(taskId)) ?? forbidden(`task ${taskId} has no spec`);
      if (this.specs.size > 10_000) this.specs.clear();
      this.specs.set(taskId, s);
    }
    return s;
  }

  private async memberOf(c: Connector, taskId: number, round: number, caller: string): Promise<boolean> {
    const key = `${taskId}:${round}:${caller}`;
    if (this.membership.has(key)) return true;
    const r = await c.getRound(taskId, round);
    if (!r || !r.members.includes(caller)) return false;
    // Membership never ends once recorded; the cache only saves reads, so dropping it is safe.
    if (this.membership.size > 100_000) this.membership.clear();
    this.membership.add(key);
    return true;
  }

  /** Member of any round of the task: the given round first, then the newest, then the rest. */
  private async memberOfTask(c: Connector, taskId: number, caller: string, hint?: number): Promise<boolean> {
    const t = await c.getTask(taskId);
    if (!t) return false;
    const order = [...new Set([hint, t.currentRound].filter((x): x is number => x !== undefined && x >= 1))];
    for (let r = t.currentRound; r >= 1; r--) if (!order.includes(r)) order.push(r);
    for (const r of order) if (await this.memberOf(c, taskId, r, caller)) return true;
    return false;
  }

  /** GET contributions: the requester and the round's members. */
  async listContributions(c: Connector, caller: string, taskId: number, round: number): Promise<void> {
    await this.registered(c, caller);
    if ((await this.requester(c, taskId)) === caller) return;
    if (await this.memberOf(c, taskId, round, caller)) return;
    forbidden(`only the requester and the members of round ${round} of task ${taskId} may list its contributions`);
  }

  private async allows(c: Connector, caller: string, ref: BlobRef, named: boolean): Promise<boolean> {
    const requester = await this.requester(c, ref.taskId);
    if (caller === requester) return true;
    switch (ref.type) {
      case "spec":
        // A spec is for every registered node; what it names (an outsourced owner's data chunks) is for the task's members.
        return !named || this.memberOfTask(c, ref.taskId, caller);
      case "contribution": {
        if (caller === ref.member) return true;
        const scope = membersRead(await this.spec(c, ref.taskId), ref.phase, this.memberReads);
        if (scope === "round") return this.memberOf(c, ref.taskId, ref.round, caller);
        if (scope === "task") return this.memberOfTask(c, ref.taskId, caller, ref.round);
        return false;
      }
      case "result":
        // The next round's public parameters are the `next` of this record.
        return this.memberOf(c, ref.taskId, ref.round + 1, caller);
    }
  }

  /** GET /blobs/:hash. Refusals do not tell whether the blob exists. */
  async readBlob(c: Connector, caller: string, hash: string): Promise<void> {
    await this.registered(c, caller);
    const h = hash.toLowerCase();
    if (this.state.hasUploaded(caller, h)) return;
    const refs = async (x: string) => (this.index ? this.index.blobRefs(x) : []);
    for (const ref of await refs(h)) if (await this.allows(c, caller, ref, false)) return;
    for (const parent of this.state.parents(h)) for (const ref of await refs(parent)) if (await this.allows(c, caller, ref, true)) return;
    forbidden(
      `you may not read blob ${hash}: a blob is for its uploader, and once published for the task's requester and the members the protocol has read it (see the README's authorization table)`,
    );
  }

  /** POST /blobs: registered, and within the quota. Call recordUpload after the store took the bytes. */
  async writeBlob(c: Connector, caller: string, hash: string, bytes: number): Promise<void> {
    await this.registered(c, caller);
    if (this.state.hasUploaded(caller, hash)) return;
    const used = this.state.uploadedSince(caller, this.now() - this.quotaWindowSeconds * 1000);
    if (used + bytes > this.quotaBytes)
      throw new ConnectorError(
        "QuotaExceeded",
        `blob quota exceeded: ${caller} stored ${used} bytes in the last ${this.quotaWindowSeconds} s and this blob adds ${bytes}; ` +
          `the quota is ${this.quotaBytes} bytes per ${this.quotaWindowSeconds} s per party (connector option --blob-quota); wait or ask the operator to raise it`,
      );
  }

  recordUpload(caller: string, hash: string, bytes: number): void {
    this.state.recordUpload(caller, hash, bytes, this.now());
  }

  /**
   * Before a blob is published (spec, contribution, result), records the blobs it names that its
   * author uploaded, so they can be read as the published blob is. Only the author's own uploads
   * count: naming somebody else's blob grants nothing.
   */
  recordNamed(author: string, parent: string, bytes: Uint8Array): void {
    if (bytes.length > MAX_SCAN_BYTES) return;
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
    const found = new Set<string>();
    for (const m of text.matchAll(HASH_IN_TEXT)) {
      const h = m[0].toLowerCase();
      if (h !== parent.toLowerCase() && this.state.hasUploaded(author, h)) found.add(h);
    }
    if (found.size > 0) this.state.recordNamed(parent, [...found]);
  }
}
