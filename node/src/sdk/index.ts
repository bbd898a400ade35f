/**
 * The ciphermine SDK: one object over a network's connector and nodes, for scripts, the `cm` CLI
 * and the Hardhat scripts alike.
 *
 *   const cm = await connect({ profile: ".cm/profile.json" });
 *   const task = await cm.tasks.create({ kind: "kmeans", datasets: [{ node: "owner1", dataset: "penguins" }], params: {…} });
 *   const end = await task.wait();            // TaskClosed, last round finalized, or failed (with the reason)
 *   const { result } = await task.result();   // signed GET to the requester node's /results
 *   const report = await task.verify();       // on-chain hashes vs result bytes, spec hash, contributors
 *
 * Tasks of every kind are submitted through the requester node's API (POST /tasks), so the
 * requester-side state of every kind (Paillier keys, vlinreg's result key, an outsourced owner's
 * CKKS/Liu keys and encrypted setup) is made and kept in that node, never in the caller's process.
 * An outsourced kind's requester is the data owner itself: its spec goes to the node that holds
 * the dataset.
 */
import { resolve } from "node:path";
import { getAddress, isAddress, toUtf8Bytes, type Signer } from "ethers";
import { ConnectorClient } from "../../../chain-connector/src/http/client.js";
import { blobHash } from "../../../chain-connector/src/blobstore.js";
import type { NodeRecord, RoundRecord, TaskRecord } from "../../../chain-connector/src/connector.js";
import { canonicalJson } from "../../../protocol/src/canonical.js";
import type { ChainEvent, MemberReportStatus } from "../../../protocol/src/events.js";
import { Phase, phaseName, type PhaseName } from "../../../protocol/src/phases.js";
import { SpecError, specHash } from "../../../protocol/src/taskspec.js";
import { isKindOf, kindDef } from "../../../protocol/src/tasks/registry.js";
import { randomUUID } from "node:crypto";
import { NodeApiClient, NodeApiError } from "../api/client.js";
import type { InboxView } from "../api/views.js";
import type { RoundStatus, Side } from "../store/store.js";
import { loadProfile, nodeNameOf, nodeWallet, requesterWallet, type LoadedProfile } from "./profile.js";
import type { ProvenInput } from "./proofs.js";
import { parseTaskSpec, type TaskSpec } from "../../../protocol/src/taskspec.js";
import type { DatasetRecord } from "../../../chain-connector/src/connector.js";

export { loadProfile, saveProfile, defaultProfilePath, writeKeyFile, ProfileError, type Profile, type LoadedProfile, type ProfileNode } from "./profile.js";
export { ConnectorError, isRetryable } from "../../../chain-connector/src/connector.js";
export { commitDatasetTable, describeEvent, ensureNode, readDatasetFile, readSpecFile, type DatasetCommits, type NodeRecords } from "./ops.js";
export { NodeApiError } from "../api/client.js";
export { SpecError } from "../../../protocol/src/taskspec.js";
export type { ProvenInput } from "./proofs.js";

// The proof checks load the circuits' runtime (snarkjs, the proven kinds, bb.js): every `cm` verb is
// its own process, and only the ones that meet a proven task pay for that, on first use.
const proofs = () => import("./proofs.js");

/** The kind's contribution circuit for a proven spec (sdk/proofs.ts provenKindOf); undefined when the spec is not proven. */
export async function provenKindOf(spec: TaskSpec): Promise<ReturnType<Awaited<ReturnType<typeof proofs>>["provenKindOf"]>> {
  return spec.verification === "none" ? undefined : (await proofs()).provenKindOf(spec);
}

/** Re-checks a proven Compute contribution from what the connector publishes (sdk/proofs.ts). */
export async function checkProvenContribution(a: ProvenInput, label: string): ReturnType<Awaited<ReturnType<typeof proofs>>["checkProvenContribution"]> {
  return (await proofs()).checkProvenContribution(a, label);
}

export type ConnectOptions = { profile: string | LoadedProfile } | { connectorUrl: string; signer: Signer; requesterUrl?: string };

/** A dataset reference in a spec: by owner address, or by the profile's node name. */
export type DatasetInput = { owner: string; datasetId: string; version?: number } | { node: string; dataset: string; version?: number };
export type SpecInput = Record<string, unknown> & { kind: string; datasets: DatasetInput[] };

/** How wait() ended: done (closed or its last round finalized), failed (a round failed), timeout. */
export type WaitStatus = "done" | "failed" | "timeout";

export interface WaitResult {
  taskId: number;
  /** done: closed or its last round finalized; failed: a round failed (reason says why); timeout. */
  status: WaitStatus;
  reason: string;
  /** Last round that was finalized (0 if none). */
  rounds: number;
  /** Whether the task is closed on-chain. */
  closed: boolean;
  /** What nodes reported about the task (declined, failed), from the connector's events. */
  reports: MemberReport[];
}

/** A node's signed account of why it is not in a round (a MemberReported event). */
export interface MemberReport {
  round: number;
  /** The authenticated sender: the transaction's (ethereum) or the signed request's (coordinator). */
  member: string;
  /** The profile's name of the node, when it has one. */
  name?: string;
  status: MemberReportStatus;
  reason: string;
  /** One line for people: `owner2 declined: secagg needs setup: true`. */
  text: string;
}

export interface VerifyCheck {
  what: string;
  ok: boolean;
  detail: string;
}

export interface VerifyReport {
  taskId: number;
  ok: boolean;
  checks: VerifyCheck[];
  /** What is not re-checked here, and why. */
  notChecked: string[];
}

/** Where a task stands: its current round's phase, who is awaited in it, and its proofs so far. */
export interface TaskProgress {
  taskId: number;
  round: number;
  rounds: number;
  /** The current round's phase, "-" before the first round. */
  phase: PhaseName | `Unknown(${number})` | "-";
  closed: boolean;
  /** Members of the round, named by the profile when it can. */
  members: string[];
  /** Members that have not submitted in the current submission phase (Setup, Compute, Aggregate). */
  awaited: string[];
  /** Proven tasks: Compute contributions recorded this round, each with its sampled proof checked by the connector or chain. */
  proven?: number;
  /** Proven tasks, round finalized: chunk proofs the requester checked (its result's count). */
  checked?: number;
}

export interface RequesterRoundView {
  round: number;
  side: Side;
  status: RoundStatus;
  phase: number;
  error?: string;
}

export class TaskHandle {
  constructor(
    private readonly cm: Ciphermine,
    readonly id: number,
    /** Events before this cursor concern other tasks (the stream is read from here); undefined: from the start. */
    readonly since?: string,
  ) {}

  /**
   * The connector's events about this task, in order, then live ones, until `signal` aborts.
   * Resume after a disconnect by passing the `cursor` of the last event you handled.
   */
  async *events(opts: { cursor?: string; signal?: AbortSignal } = {}): AsyncGenerator<ChainEvent> {
    for await (const e of this.cm.connector.events(opts.cursor ?? this.since, opts.signal)) {
      if ("taskId" in e && e.taskId === this.id) yield e;
    }
  }

  chain(): Promise<TaskRecord | null> {
    return this.cm.connector.getTask(this.id);
  }

  private requesterNode?: Promise<NodeApiClient>;

  /**
   * A client of the task's requester node: the profile's requester, or (an outsourced task, whose
   * requester is its data owner) the profile node with the task's requester address.
   */
  requesterClient(): Promise<NodeApiClient> {
    this.requesterNode ??= (async () => {
      const p = this.cm.profile;
      const t = p ? await this.chain() : null;
      const name = t && p ? nodeNameOf(p, t.requester) : undefined;
      return name && p?.nodes[name] && name !== p.requester ? this.cm.node(name) : this.cm.requester();
    })();
    return this.requesterNode;
  }

  /**
   * The connector as the task's requester (the connector lets only the requester and the members
   * read a round's contributions): the profile's signer, or the owner node's key for an outsourced task.
   */
  private async requesterConnector(): Promise<ConnectorClient> {
    const p = this.cm.profile;
    const t = p ? await this.chain() : null;
    const name = t && p ? nodeNameOf(p, t.requester) : undefined;
    return name && name !== p?.requester ? this.cm.connectorAs(name) : this.cm.connector;
  }

  /**
   * Members of a round not yet submitted in its current phase (a submission phase: Setup, Compute,
   * Aggregate; none otherwise), named by the profile when it can.
   */
  async awaited(r: RoundRecord): Promise<string[]> {
    if (r.phase !== Phase.Setup && r.phase !== Phase.Compute && r.phase !== Phase.Aggregate) return [];
    const done = new Set((await this.cm.connector.getContributions(this.id, r.round, r.phase)).map((c) => getAddress(c.member)));
    return r.members.filter((m) => !done.has(getAddress(m))).map((m) => this.cm.nameOf(m));
  }

  private specOnce?: Promise<TaskSpec | undefined>;

  /** The current round: phase, awaited members, and for a proven task how many contributions were proven and, once finalized, checked. */
  async progress(): Promise<TaskProgress> {
    const t = await this.chain();
    if (!t) throw new Error(`task ${this.id} does not exist`);
    this.specOnce ??= this.cm.connector.getTaskSpec(this.id).then(
      (s) => (s ? parseTaskSpec(s) : undefined),
      () => undefined,
    );
    const spec = await this.specOnce;
    const out: TaskProgress = { taskId: this.id, round: t.currentRound, rounds: t.rounds, phase: "-", closed: t.closed, members: [], awaited: [] };
    const r = t.currentRound >= 1 ? await this.cm.connector.getRound(this.id, t.currentRound) : null;
    if (!r) return out;
    out.phase = phaseName(r.phase);
    out.members = r.members.map((m) => this.cm.nameOf(m));
    out.awaited = await this.awaited(r);
    if (spec && (await provenKindOf(spec)) && r.phase >= Phase.Compute && r.phase !== Phase.Failed) {
      out.proven = (await this.cm.connector.getContributions(this.id, r.round, Phase.Compute)).length;
      if (r.phase === Phase.Finalized) {
        try {
          const res = await (await this.requesterClient()).result<{ proofs?: { chunks?: number } }>(this.id, r.round);
          out.checked = res.result?.proofs?.chunks;
        } catch {
          /* the requester has not stored it yet */
        }
      }
    }
    return out;
  }

  /** The requester node's own view of each round: its status and, when it failed there, why. */
  async requesterRounds(): Promise<RequesterRoundView[]> {
    const r = await (await this.requesterClient()).task(this.id);
    return r.rounds.map((x) => ({ round: x.round, side: x.side, status: x.status, phase: x.phase, error: x.error }));
  }

  /**
   * Follows the task to its end: TaskClosed, the last round finalized, a round finalized whose
   * result says it is done (converged), or a failure (a RoundFailed event, or the requester node
   * failing to aggregate, with its error). `onEvent` sees every event of the task on the way.
   */
  async wait(opts: { timeoutMs?: number; onEvent?: (e: ChainEvent) => void; cursor?: string } = {}): Promise<WaitResult> {
    const ac = new AbortController();
    const task = await this.chain();
    if (!task) throw new Error(`task ${this.id} does not exist on the connector at ${this.cm.connectorUrl}`);
    let lastFinal = 0;
    let outcome: WaitResult | undefined;
    const reports: MemberReport[] = [];
    const end = (status: WaitResult["status"], reason: string, closed = false) => {
      outcome ??= { taskId: this.id, status, reason, rounds: lastFinal, closed, reports };
      ac.abort();
    };
    const timer = opts.timeoutMs ? setTimeout(() => end("timeout", `no end within ${Math.round(opts.timeoutMs! / 1000)} s`), opts.timeoutMs) : undefined;
    // The requester's own failures (an aggregate that diverged, a bad contribution) reach the
    // chain only at the aggregate deadline; polling its view names the cause at once.
    const poll = setInterval(() => {
      this.requesterRounds()
        .then((rs) => {
          // "round failed: …" mirrors the chain's RoundFailed, whose event names the phase and the
          // nodes' reasons; only the requester's own failures are news here.
          const bad = rs.find((r) => r.side === "requester" && r.status === "failed" && r.error && !/^round failed:/.test(r.error));
          if (bad) end("failed", `round ${bad.round}: ${bad.error}`);
        })
        .catch(() => {});
    }, 2000);
    try {
      for await (const e of this.events({ cursor: opts.cursor, signal: ac.signal })) {
        opts.onEvent?.(e);
        if (e.type === "MemberReported") {
          reports.push(this.cm.reportOf(e));
        } else if (e.type === "TaskClosed") {
          end("done", e.reason === "last-round" || !e.reason ? `last round (${task.rounds}) finalized` : e.reason, true);
        } else if (e.type === "RoundFailed") {
          // Declines are about the task (reported in round 1); failures about their round.
          const told = reports.filter((x) => x.status === "declined" || x.round === e.round).map((x) => x.text);
          const why = told.length ? told : await this.nodeReasons(e.round);
          end("failed", `round ${e.round} failed in ${phaseName(e.phase)}: ${e.reason}${why.length ? ` (${why.join("; ")})` : ""}`);
        } else if (e.type === "RoundFinalized") {
          lastFinal = e.round;
          if (e.round >= task.rounds) continue; // TaskClosed follows in the same transaction
          const done = await this.resultDone(e.round);
          if (done) {
            // Give the chain's own TaskClosed (early close) a moment, so `closed` reports it.
            const closed = await this.closedSoon(3000);
            end("done", `${done} in round ${e.round} of ${task.rounds}`, closed);
          }
        }
        if (outcome) break;
      }
    } finally {
      clearTimeout(timer);
      clearInterval(poll);
      ac.abort();
    }
    return outcome ?? { taskId: this.id, status: "timeout", reason: "the event stream ended", rounds: lastFinal, closed: false, reports };
  }

  /**
   * What nodes reported about this task (declined, failed), read from the connector's events from
   * the start (or this handle's cursor): signed by their senders, so they come from nodes the
   * caller does not operate too. Reading stops once the stream is quiet for `quietMs`.
   */
  async reports(opts: { quietMs?: number; maxMs?: number } = {}): Promise<MemberReport[]> {
    const out: MemberReport[] = [];
    const ac = new AbortController();
    const quiet = opts.quietMs ?? 750;
    let timer = setTimeout(() => ac.abort(), quiet);
    const cap = setTimeout(() => ac.abort(), opts.maxMs ?? 30_000);
    try {
      for await (const e of this.cm.connector.events(this.since, ac.signal)) {
        clearTimeout(timer);
        timer = setTimeout(() => ac.abort(), quiet);
        if (e.type === "MemberReported" && e.taskId === this.id) out.push(this.cm.reportOf(e));
      }
    } catch (e) {
      if (!ac.signal.aborted) throw e;
    } finally {
      clearTimeout(timer);
      clearTimeout(cap);
      ac.abort();
    }
    return out;
  }

  /**
   * Fallback when no node reported (older nodes): why the profile's nodes did not take part in a
   * round, as each node recorded it. Only nodes the profile names (and whose keys it holds) are asked.
   */
  async nodeReasons(round: number): Promise<string[]> {
    const out: string[] = [];
    for (const [name, n] of Object.entries(this.cm.profile?.nodes ?? {})) {
      try {
        // The node API answers its operator only: ask as that node (the profile holds its key).
        const v = await (await this.cm.node(name)).task(this.id);
        const t = v.task;
        if (t?.decision === "decline" && n.roles.includes("Owner")) out.push(`${name} declined: ${t.reason}`);
        // Read before the owner recorded "not approved in time": the task still waits in its inbox.
        if (t?.decision === "pending" && n.roles.includes("Owner")) out.push(`${name} did not approve it (${t.reason})`);
        for (const r of v.rounds) if (r.round === round && r.error && !/^round failed:/.test(r.error)) out.push(`${name}: ${r.error}`);
      } catch {
        /* a node that does not answer has nothing to add */
      }
    }
    return out;
  }

  private async resultDone(round: number): Promise<string | undefined> {
    try {
      const r = await (await this.requesterClient()).result<{ converged?: boolean }>(this.id, round);
      const row = r as unknown as { done?: boolean; result: { converged?: boolean } };
      if (row.done) return row.result?.converged ? "converged" : "done";
    } catch {
      /* no result on the requester yet: not done */
    }
    return undefined;
  }

  private async closedSoon(ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    for (;;) {
      if ((await this.chain())?.closed) return true;
      if (Date.now() >= until) return false;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** The last finalized round, 0 if none. */
  async lastFinalizedRound(): Promise<number> {
    const t = await this.chain();
    if (!t) throw new Error(`task ${this.id} does not exist`);
    for (let r = t.currentRound; r >= 1; r--) if ((await this.cm.connector.getRound(this.id, r))?.phase === Phase.Finalized) return r;
    return 0;
  }

  /** A round's result from the requester node (signed request; only the requester holds results). Default: the last finalized round. */
  async result<T = unknown>(round?: number): Promise<{ taskId: number; round: number; result: T; resultHash: string; recordHash: string; contributors: string[] }> {
    const r = round ?? (await this.lastFinalizedRound());
    if (r < 1) throw new Error(`task ${this.id} has no finalized round yet`);
    return (await this.requesterClient()).result<T>(this.id, r);
  }

  /**
   * Re-checks what a requester can check now, for every finalized round: the round record the
   * chain finalized is the one the requester node stores; the record (fetched from the connector
   * by its hash) commits to the result bytes (keccak256 of the canonical JSON); its contributors all
   * submitted in Compute on-chain; and the spec blob hashes to the task's on-chain specHash.
   * A proven task (spec.verification not "none"): every contributor's proofs are fetched from the
   * connector and re-checked here (registered dataset root, round binding, every Groth16 proof,
   * the sampled chunk against the on-chain commitment), and their count against the result's.
   */
  async verify(): Promise<VerifyReport> {
    const c = await this.requesterConnector();
    const checks: VerifyCheck[] = [];
    const notChecked: string[] = [];
    const add = (what: string, ok: boolean, detail: string) => checks.push({ what, ok, detail });
    const t = await this.chain();
    if (!t) throw new Error(`task ${this.id} does not exist`);
    const spec = await c.getTaskSpec(this.id);
    add("spec hash", !!spec && specHash(spec) === t.specHash, spec ? `keccak256(spec) ${specHash(spec)} vs on-chain ${t.specHash}` : "the connector has no spec blob");
    let parsed: TaskSpec | undefined;
    try {
      parsed = spec ? parseTaskSpec(spec) : undefined;
    } catch {
      /* the spec-hash line and the rest say enough */
    }
    const proven = parsed ? await provenKindOf(parsed) : undefined;
    if (proven) this.cm.usedZk = true;
    const domain = proven ? await c.bindingDomain() : undefined;
    let finalized = 0;
    let prevNext: unknown = undefined;
    for (let round = 1; round <= t.currentRound; round++) {
      const r = await c.getRound(this.id, round);
      if (r?.phase !== Phase.Finalized) continue;
      finalized++;
      const res = await (await this.requesterClient()).result(this.id, round);
      add(`round ${round} record`, res.recordHash === r.resultHash, `requester's record ${res.recordHash} vs on-chain ${r.resultHash}`);
      let record: { resultHash?: string; contributors?: string[]; taskId?: number; round?: number; next?: unknown } = {};
      try {
        record = JSON.parse(new TextDecoder().decode(await c.getBlob(r.resultHash))) as typeof record;
        add(`round ${round} record blob`, record.taskId === this.id && record.round === round, `record blob ${r.resultHash} names task ${record.taskId} round ${record.round}`);
      } catch (e) {
        add(`round ${round} record blob`, false, `cannot read ${r.resultHash}: ${(e as Error).message}`);
      }
      const h = blobHash(toUtf8Bytes(canonicalJson(res.result)));
      add(`round ${round} result bytes`, h === res.resultHash && record.resultHash === h, `keccak256(result) ${h}, record says ${record.resultHash}`);
      const compute = await c.getContributions(this.id, round, Phase.Compute);
      const submitted = new Set(compute.map((x) => getAddress(x.member)));
      const missing = (record.contributors ?? []).filter((m) => !submitted.has(getAddress(m)));
      add(
        `round ${round} contributors`,
        missing.length === 0 && (record.contributors?.length ?? 0) > 0,
        missing.length ? `not on-chain in Compute: ${missing.join(", ")}` : `${record.contributors?.length ?? 0} contributor(s), each submitted on-chain`,
      );
      if (proven && parsed && domain) {
        let chunks = 0;
        for (const m of record.contributors ?? []) {
          const x = compute.find((y) => getAddress(y.member) === getAddress(m));
          if (!x) continue; // named by the contributors line
          const label = `round ${round} ${this.cm.nameOf(m)}`;
          let payload: Uint8Array;
          try {
            payload = await c.getBlob(x.blobHash);
          } catch (e) {
            add(`${label} proofs`, false, `cannot read contribution blob ${x.blobHash}: ${(e as Error).message}`);
            continue;
          }
          const spec1 = parsed;
          const out = await checkProvenContribution(
            {
              spec: spec1,
              taskId: this.id,
              round,
              roundParams: round === 1 ? undefined : (prevNext ?? undefined),
              domain,
              member: getAddress(m),
              commitment: x.commitment,
              payload,
              dataset: (o, root) => referencedDataset(c, spec1, o, root),
            },
            label,
          );
          checks.push(...out.checks);
          chunks += out.chunks;
        }
        // The requester's opening of Σ commitments needs the summed blinding, which only it holds
        // (members' vectors are sealed to it or masked): its claim is checked against the proofs.
        const pr = (res.result as { proofs?: { chunks?: number; aggregateOpensCommitments?: boolean } } | null)?.proofs;
        add(
          `round ${round} aggregate opening`,
          pr?.aggregateOpensCommitments === true && pr.chunks === chunks,
          pr ? `requester's result: aggregate opens Σ of ${pr.chunks} chunk commitment(s) (${chunks} re-verified here)` : "the result carries no proofs section",
        );
      }
      prevNext = record.next;
    }
    if (finalized === 0) add("finalized rounds", false, "no round is finalized yet");
    if (proven)
      notChecked.push(
        "the aggregate's Pedersen opening itself: it needs the summed blinding, which only the requester node holds (members' vectors are sealed to it or masked); the requester's claim is checked against the re-verified proof count",
      );
    else
      notChecked.push(
        parsed?.verification === "none" || !parsed
          ? "proofs: the task is not proven (verification: none)"
          : `proofs: kind ${parsed.kind} has no contribution circuit this SDK re-checks`,
      );
    return { taskId: this.id, ok: checks.every((x) => x.ok), checks, notChecked };
  }
}

/** The committed version of a dataset the spec references for `owner` whose root is `root` (as the runtime resolves it), or null. */
async function referencedDataset(c: ConnectorClient, spec: TaskSpec, owner: string, root: string): Promise<DatasetRecord | null> {
  for (const ref of spec.datasets) {
    if (ref.owner.toLowerCase() !== owner.toLowerCase()) continue;
    const latest = await c.getDataset(ref.owner, ref.datasetId, ref.version);
    const from = ref.version ?? latest?.version ?? 0;
    const to = ref.version ?? 1;
    for (let v = from; v >= to; v--) {
      const d = v === latest?.version ? latest : await c.getDataset(ref.owner, ref.datasetId, v);
      if (d && d.root.toLowerCase() === root.toLowerCase()) return d;
    }
  }
  return null;
}

export interface NodeView {
  name?: string;
  address: string;
  endpoint: string;
  roles: number;
  active: boolean;
}

export class Ciphermine {
  readonly tasks = {
    create: (spec: SpecInput) => this.createTask(spec),
    get: (id: number, since?: string) => new TaskHandle(this, id, since),
    list: async () => await this.requester().tasks(),
  };
  readonly datasets = {
    /**
     * Registers (commits) a file as a dataset on a node of the profile; the path must be readable
     * by that node. `commitment` defaults to "chunks" (every proof but "onchain" Groth16's).
     */
    add: async (node: string, d: { path: string; name: string; format?: "csv" | "npy" | "jsonl"; columns?: string[]; policy?: unknown; commitment?: "chunks" | "rows" }) => {
      const format = d.format ?? formatOf(d.path);
      return (await this.node(node)).registerDataset({
        name: d.name,
        path: resolve(d.path),
        format,
        ...(d.columns ? { columns: d.columns } : {}),
        ...(d.policy !== undefined ? { policy: d.policy } : {}),
        ...(d.commitment ? { commitment: d.commitment } : {}),
      });
    },
    /** A dataset's policy on a node (every field it sets; {} when it has none). */
    policy: async (node: string, name: string) => (await this.node(node)).datasetPolicy(name),
    /** Replaces a dataset's policy; the node checks it and names any bad field. */
    setPolicy: async (node: string, name: string, policy: unknown) => (await this.node(node)).setDatasetPolicy(name, policy),
    list: async (node?: string) => {
      const names = node ? [node] : Object.keys(this.profile?.nodes ?? {});
      const out: Array<{ node: string; datasets: unknown[] }> = [];
      for (const n of names) out.push({ node: n, datasets: await (await this.node(n)).datasets() });
      return out;
    },
  };
  /** Tasks waiting for an owner's approval (dataset policies with approval: "required"). */
  readonly inbox = {
    list: async (node?: string, opts: { all?: boolean } = {}) => {
      const names = node ? [node] : Object.keys(this.profile?.nodes ?? {}).filter((n) => this.profile!.nodes[n].roles.includes("Owner"));
      const out: Array<{ node: string; tasks: InboxView[] }> = [];
      for (const n of names) out.push({ node: n, tasks: await (await this.node(n)).inbox(opts) });
      return out;
    },
    show: async (node: string, taskId: number) => (await this.node(node)).inboxTask(taskId),
    allow: async (node: string, taskId: number) => (await this.node(node)).allow(taskId),
    deny: async (node: string, taskId: number, reason: string) => (await this.node(node)).deny(taskId, reason),
  };
  readonly nodes = {
    list: async (): Promise<NodeView[]> =>
      (await this.connector.listNodes()).map((n: NodeRecord) => ({
        name: this.profile ? nodeNameOf(this.profile, n.address) : undefined,
        address: n.address,
        endpoint: n.endpoint,
        roles: n.roles,
        active: n.active,
      })),
  };

  constructor(
    readonly connector: ConnectorClient,
    readonly connectorUrl: string,
    private readonly signer: Signer,
    private readonly requesterUrl: string | undefined,
    readonly profile?: LoadedProfile,
  ) {}

  /** The profile's name of an address, else the address. */
  nameOf(a: string): string {
    return (this.profile ? nodeNameOf(this.profile, a) : undefined) ?? a;
  }

  /** A MemberReported event as a report, the node named by the profile when it can be. */
  reportOf(e: Extract<ChainEvent, { type: "MemberReported" }>): MemberReport {
    const name = this.profile ? nodeNameOf(this.profile, e.member) : undefined;
    return { round: e.round, member: e.member, name, status: e.status, reason: e.reason, text: `${name ?? e.member} ${e.status}: ${e.reason}` };
  }

  /** A client of the requester node, signed with the requester's key. */
  requester(): NodeApiClient {
    if (!this.requesterUrl) throw new Error("no requester node: give requesterUrl to connect(), or a profile with a requester node");
    return new NodeApiClient(this.requesterUrl, this.signer);
  }

  private readonly connectors = new Map<string, Promise<ConnectorClient>>();

  /** The connector, signed with a profile node's key (or the profile's signer). */
  connectorAs(name: string): Promise<ConnectorClient> {
    if (!this.profile) throw new Error(`node "${name}": connect with a profile to address nodes by name`);
    const profile = this.profile;
    let c = this.connectors.get(name);
    if (!c) {
      c = nodeWallet(profile, name).then((signer) => ConnectorClient.connect({ url: this.connectorUrl, signer }));
      this.connectors.set(name, c);
    }
    return c;
  }

  /** A client of a profile node, signed with that node's key (or the profile's signer). */
  async node(name: string): Promise<NodeApiClient> {
    if (!this.profile) throw new Error(`node "${name}": connect with a profile to address nodes by name`);
    return new NodeApiClient(this.nodeUrl(name), await nodeWallet(this.profile, name));
  }

  private nodeUrl(name: string): string {
    const n = this.profile?.nodes[name];
    if (!n) throw new Error(`no node "${name}" in the profile: use one of ${Object.keys(this.profile?.nodes ?? {}).join(", ") || "(none)"}`);
    return n.url;
  }

  /** Replaces `{node, dataset}` references by `{owner, datasetId}` through the profile. */
  resolveSpec(spec: SpecInput): Record<string, unknown> {
    if (spec === null || typeof spec !== "object" || Array.isArray(spec)) throw new SpecError(["(spec): must be one JSON object (a task spec)"]);
    if (!Array.isArray(spec.datasets)) throw new SpecError(['datasets: must list the datasets, e.g. [{"node": "owner1", "dataset": "penguins"}]']);
    const problems: string[] = [];
    const datasets = spec.datasets.map((d, i) => {
      if (d && typeof d === "object" && "node" in d) {
        const n = this.profile?.nodes[d.node];
        if (!n) {
          problems.push(
            `datasets.${i}.node: "${d.node}" is not a node of the profile (${Object.keys(this.profile?.nodes ?? {}).join(", ") || "no profile"}); name a node or give owner and datasetId`,
          );
          return d;
        }
        if (typeof d.dataset !== "string" || !d.dataset) problems.push(`datasets.${i}.dataset: name the dataset on ${d.node}`);
        return { owner: getAddress(n.address), datasetId: d.dataset, ...(d.version ? { version: d.version } : {}) };
      }
      return d;
    });
    if (problems.length) throw new SpecError(problems);
    const out: Record<string, unknown> = { ...spec, datasets };
    // The params naming nodes (the kind's mapNodes: vlinreg's parties, outsourced workers) may name
    // them by profile node name as well as by address. Everything else a kind derives (vlinreg's
    // rounds, keys, encrypted setups) the requester node derives when it prepares the task.
    const addr = (o: unknown) => (typeof o === "string" && !o.startsWith("0x") && this.profile?.nodes[o] ? getAddress(this.profile.nodes[o].address) : o);
    const def = typeof spec.kind === "string" ? kindDef(spec.kind) : undefined;
    if (def?.mapNodes && spec.params && typeof spec.params === "object" && !Array.isArray(spec.params))
      out.params = def.mapNodes({ ...(spec.params as Record<string, unknown>) }, addr);
    return out;
  }

  /**
   * The node a spec is submitted to: the profile's requester, except for outsourced kinds, whose
   * requester is the data owner (it encrypts its data and keeps the keys): the node of the one
   * dataset, signed with that node's key.
   */
  private async submitterFor(spec: SpecInput, body: Record<string, unknown>): Promise<NodeApiClient> {
    if (!isOutsourced(spec.kind)) return this.requester();
    const d = (body.datasets as Array<{ owner?: unknown }>)[0];
    const name = d && typeof d.owner === "string" && isAddress(d.owner) && this.profile ? nodeNameOf(this.profile, d.owner) : undefined;
    if (!name || !this.profile?.nodes[name])
      throw new SpecError([
        `datasets.0: a ${spec.kind} task is submitted to the node that holds its one dataset (the data owner is the task's requester); name a node of the profile, e.g. {"node": "owner1", "dataset": "iris"}`,
      ]);
    return this.node(name);
  }

  private async createTask(spec: SpecInput): Promise<TaskHandle> {
    const body = this.resolveSpec(spec);
    const req = await this.submitterFor(spec, body);
    // The requester node's cursor is a point of the stream before this task exists.
    const since = (await req.health()).cursor ?? undefined;
    // One key per logical submission: a retry after a lost answer gets the first task back.
    const idempotencyKey = randomUUID();
    let r: { taskId: number };
    try {
      r = await req.submitTask(body, { idempotencyKey });
    } catch (e) {
      if (e instanceof NodeApiError) throw e;
      r = await req.submitTask(body, { idempotencyKey });
    }
    return new TaskHandle(this, r.taskId, since);
  }

  /** Whether this instance verified proofs (snarkjs' worker threads then run until close()). */
  usedZk = false;

  async close(): Promise<void> {
    if (this.usedZk) await (await import("../../../chain-connector/src/zkverify.js")).releaseZk();
    for (const c of this.connectors.values()) await (await c.catch(() => undefined))?.close();
    this.connectors.clear();
    await this.connector.close();
  }
}

function isOutsourced(kind: unknown): boolean {
  return isKindOf(kind, "outsourced");
}

function formatOf(path: string): "csv" | "npy" | "jsonl" {
  const p = path.toLowerCase();
  if (p.endsWith(".npy")) return "npy";
  if (p.endsWith(".jsonl") || p.endsWith(".ndjson")) return "jsonl";
  return "csv";
}

/** Connects to a network: by a profile (file path or loaded), or by a connector URL and a signer. */
export async function connect(opts: ConnectOptions): Promise<Ciphermine> {
  if ("profile" in opts) {
    const profile = typeof opts.profile === "string" ? loadProfile(opts.profile) : opts.profile;
    const signer = await requesterWallet(profile);
    const connector = await ConnectorClient.connect({ url: profile.connectorUrl, signer });
    return new Ciphermine(connector, profile.connectorUrl, signer, profile.nodes[profile.requester]?.url, profile);
  }
  const connector = await ConnectorClient.connect({ url: opts.connectorUrl, signer: opts.signer });
  return new Ciphermine(connector, opts.connectorUrl, opts.signer, opts.requesterUrl);
}

export type { ChainEvent, MemberReportStatus, PhaseName, RoundRecord, RoundStatus, Side, TaskRecord };
export type { InboxStatus, MemberRoundStatus, RequesterRoundStatus, TaskDecision } from "../store/store.js";
export type { InboxView, NodeApiErrorCode, RoundView, TaskView } from "../api/views.js";
