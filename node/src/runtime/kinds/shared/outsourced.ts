/**
 * Outsourced mining (the Rory family) on the round runtime. The data owner is the requester of its
 * own task and the only party holding keys; the worker named in the spec is the only round member.
 *
 *   submission (owner node) : POST /tasks on the owner's node runs the kind's prepare(): checks
 *                             every input, encrypts, keeps its secret state locally (sealed), puts
 *                             the first message in chunks, creates the task
 *   round r, worker         : reads the owner's message (round 1: params.setup; later: the last of
 *                             the previous round record's `next.replies`), runs its step, submits
 *                             its output — the output's hash is on-chain (ContributionSubmitted)
 *   round r, owner          : aggregate() runs the owner step on that output, decrypting only
 *                             what it must; publishes its reply (next) or ends the task (done)
 *
 * Each (kind, variant) plugs in an engine pair: OwnerEngine (secret side) and WorkerEngine
 * (computes on ciphertexts). Engines live in per-process caches between rounds; a restarted owner
 * restores its engine from a snapshot in its own blob store (variants with snapshot()), a
 * restarted or replacement worker rebuilds from the setup and the replies (resume, or a replay).
 */
import { keccak256 } from "ethers";
import { ConnectorError } from "../../../../../chain-connector/src/connector.js";
import { Role } from "../../../../../protocol/src/phases.js";
import { parseTaskSpec, SpecError, specHash, type TaskSpec, type TaskSpecInput } from "../../../../../protocol/src/taskspec.js";
import { outsourcedNext, type OutsourcedKind, type OutsourcedVariant } from "../../../../../protocol/src/tasks/shared/outsourced.js";
import { isKindOf } from "../../../../../protocol/src/tasks/registry.js";
import type { DatasetRow, NodeStore } from "../../../store/store.js";
import type { HandlerRegistry, BlobAccess, PrepareContext, PreparedTask, TaskKindHandler } from "../../handler.js";
import { sealContext, sealForRequester } from "../../aggregation/sealed.js";
import type { ReceivedContribution, RoundContext } from "../../handler.js";
import { judgeReplicas, outputDigest, type ReplicaVerdict } from "../../../algorithms/replication.js";
import { CAPS } from "../../../../../protocol/src/tasks/caps.js";
import { WorkerManager, type PickStrategy } from "../../manager.js";
import { submitTask, submittingNode } from "../../prepare.js";
import type { z } from "zod";

// ------------------------------------------------------------------ engines

export interface OwnerStepResult {
  /** The owner's reply to the worker (the next round's message). */
  reply?: Uint8Array;
  /** The task's result: the task ends. */
  result?: Record<string, unknown>;
}

/** The owner's (secret-holding) side of one task. */
export interface OwnerEngine {
  /** Owner steps done so far. */
  readonly steps: number;
  step(output: Uint8Array): OwnerStepResult | Promise<OwnerStepResult>;
  /** The whole state as bytes for the owner's own storage (holds secret keys); absent: not resumable after a restart. */
  snapshot?(): Uint8Array;
  dispose(): void;
}

/** The worker's side: every call turns the owner's message into the worker's output. */
export interface WorkerEngine {
  /** Outputs produced so far. */
  readonly steps: number;
  /** reply undefined: the first output (from the setup alone). */
  next(reply?: Uint8Array): Uint8Array | Promise<Uint8Array>;
  dispose(): void;
}

export interface VariantImpl<P> {
  /** Rounds the spec allows (every round is one worker step and one owner step). */
  rounds(params: P): number;
  worker(setup: Uint8Array, params: P): Promise<WorkerEngine>;
  /** A rebuilt worker and its output for `lastReply`, without replaying earlier replies (default: replay). */
  resume?(setup: Uint8Array, lastReply: Uint8Array, params: P, round: number): Promise<{ engine: WorkerEngine; output: Uint8Array }>;
  /** Owner engine from its snapshot (variants whose owner snapshots). */
  restoreOwner?(snapshot: Uint8Array, params: P): Promise<OwnerEngine>;
}

/** Small LRU of engines per process; evicted engines are disposed (SEAL objects live in the WASM heap). */
class EngineCache<E extends { dispose(): void }> {
  private readonly m = new Map<string, E>();
  constructor(private readonly max: number) {}
  get(key: string): E | undefined {
    const e = this.m.get(key);
    if (e) {
      this.m.delete(key);
      this.m.set(key, e);
    }
    return e;
  }
  set(key: string, e: E): void {
    const old = this.m.get(key);
    if (old && old !== e) old.dispose();
    this.m.delete(key);
    this.m.set(key, e);
    while (this.m.size > this.max) {
      const [k, v] = this.m.entries().next().value as [string, E];
      this.m.delete(k);
      v.dispose();
    }
  }
  delete(key: string): void {
    const e = this.m.get(key);
    this.m.delete(key);
    e?.dispose();
  }
  entries(prefix: string): [string, E][] {
    return [...this.m].filter(([k]) => k.startsWith(prefix));
  }
  clear(): void {
    for (const e of this.m.values()) e.dispose();
    this.m.clear();
  }
}

const owners = new EngineCache<OwnerEngine>(8);
const workers = new EngineCache<WorkerEngine>(8);
const cacheKey = (self: string, spec: TaskSpec) => `${self.toLowerCase()}:${specHash(spec)}`;

/** The worker engines this process holds for a node (inspection: a worker must hold no decrypting key). */
export function workerEnginesOf(self: string): WorkerEngine[] {
  return workers.entries(`${self.toLowerCase()}:`).map(([, e]) => e);
}

/** Frees every cached engine (tests, shutdown). */
export function disposeOutsourcedEngines(): void {
  owners.clear();
  workers.clear();
}

/**
 * Throws if `holder` (walked a few levels deep) holds a SEAL secret key or decryptor, or an
 * object that can decrypt. Used on worker engines: a worker must never be able to decrypt.
 */
export function assertHoldsNoSecret(holder: unknown, depth = 4, seen = new Set<unknown>()): void {
  if (holder === null || typeof holder !== "object" || seen.has(holder) || depth < 0) return;
  seen.add(holder);
  const name = holder.constructor?.name ?? "";
  if (name === "SecretKey" || name === "Decryptor") throw new Error(`worker holds a ${name}: it could decrypt`);
  if (typeof (holder as { decrypt?: unknown }).decrypt === "function" || typeof (holder as { exportSecret?: unknown }).exportSecret === "function")
    throw new Error(`worker holds a ${name || "key holder"} that can decrypt`);
  if (ArrayBuffer.isView(holder)) return;
  for (const v of Object.values(holder)) assertHoldsNoSecret(v, depth - 1, seen);
}

// ------------------------------------------------------------------ chunks

/** Splits a message into `n` near-equal pieces (Rory's NUM_CHUNKS), at least 1 byte each. */
export function splitChunks(bytes: Uint8Array, n: number): Uint8Array[] {
  const count = Math.max(1, Math.min(Math.floor(n), bytes.length));
  const size = Math.ceil(bytes.length / count);
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length || out.length === 0; at += size) out.push(bytes.subarray(at, Math.min(bytes.length, at + size)));
  return out;
}

export async function putChunks(blobs: BlobAccess, bytes: Uint8Array, n: number): Promise<string[]> {
  const hashes: string[] = [];
  for (const c of splitChunks(bytes, n)) hashes.push(await blobs.put(c));
  return hashes;
}

export async function getChunks(blobs: BlobAccess, hashes: readonly string[]): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (const h of hashes) parts.push(await blobs.get(h));
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// ------------------------------------------------------------------ handler

/** What the owner keeps between rounds (requester state, JSON). The snapshot itself stays in the node's own blob store. */
interface OwnerState {
  v: 1;
  /** Local blob hash of the owner engine's snapshot after `steps` steps (holds secret keys: never leaves the node). */
  snapshot?: string;
  steps: number;
  chunks: number;
  replies: string[][];
  /** Replicas caught returning an output that differed from the owner's re-run: their later outputs are not counted. */
  cheaters?: { member: string; round: number; reason: string }[];
}

/**
 * A replica's output, opened: the payload is sealed to the owner (randomised), and the on-chain
 * commitment is keccak256 of the output inside, so replicas that computed the same bytes commit
 * the same value on-chain and the owner checks the opened bytes against it.
 */
function openOutput(ctx: RoundContext, c: ReceivedContribution): Uint8Array {
  let out: Uint8Array;
  try {
    out = ctx.openSealed(c.payload, sealContext(ctx, c.member, "compute"));
  } catch (e) {
    throw new Error(`the output of ${c.member} does not open with the requester's key (sealed to another key, task, round or member, or altered): ${(e as Error).message}`, {
      cause: e,
    });
  }
  if (outputDigest(out) !== c.commitment) throw new Error(`the output of ${c.member} does not match its on-chain commitment`);
  return out;
}

export interface CommonParams {
  variant: OutsourcedVariant;
  workers: string[];
  setup: string[];
}

/**
 * An outsourced kind's handler: the worker side runs `variants`' engines, the owner side (its
 * submission, POST /tasks on the owner's node) `preparer`, then the owner engine it made.
 */
export function outsourcedHandler<P extends CommonParams>(
  kind: OutsourcedKind,
  schema: z.ZodType<P>,
  variants: Record<OutsourcedVariant, VariantImpl<P>>,
  preparer: Preparer,
): TaskKindHandler {
  const impl = (p: P) => variants[p.variant];
  return {
    kind,
    aggregations: ["plain"],
    needsData: false,
    prepare: (input, ctx) => prepareOutsourced(kind, input, ctx, { preparer }),
    admit(spec, _datasets, self) {
      const r = schema.safeParse(spec.params);
      if (!r.success) return `params do not parse: ${r.error.issues.map((i) => i.message).join("; ")}`;
      if (!r.data.workers.some((w) => w.toLowerCase() === self.toLowerCase())) return `the task names worker(s) ${r.data.workers.join(", ")}, not this node`;
      if (spec.requester.toLowerCase() === self.toLowerCase()) return "this node is the task's data owner, not its worker";
      return undefined;
    },
    async contribute(ctx) {
      const p = schema.parse(ctx.spec.params);
      const v = impl(p);
      const key = cacheKey(ctx.self, ctx.spec);
      const replies = ctx.round === 1 ? [] : outsourcedNext.parse(ctx.params).replies;
      if (replies.length !== ctx.round - 1) throw new Error(`${kind}: round ${ctx.round} carries ${replies.length} owner replies, expected ${ctx.round - 1}`);
      let engine = workers.get(key);
      let output: Uint8Array;
      if (engine && engine.steps === ctx.round - 1) {
        output = await engine.next(ctx.round === 1 ? undefined : await getChunks(ctx.blobs, replies[replies.length - 1]));
      } else {
        // First round, a restart, or a different worker took over: rebuild from the published messages.
        if (engine) workers.delete(key);
        const setup = await getChunks(ctx.blobs, p.setup);
        if (ctx.round > 1 && v.resume) {
          ({ engine, output } = await v.resume(setup, await getChunks(ctx.blobs, replies[replies.length - 1]), p, ctx.round));
        } else {
          engine = await v.worker(setup, p);
          try {
            output = await engine.next(undefined);
            for (const r of replies) output = await engine.next(await getChunks(ctx.blobs, r));
          } catch (e) {
            engine.dispose();
            throw e;
          }
        }
        workers.set(key, engine);
      }
      ctx.log.info({ kind, variant: p.variant, bytes: output.length }, "outsourced worker step");
      // Meant for the owner only: sealed to its registered key, so the blob store holds no output
      // even of the variants whose output is not ciphertext (plain, or order-revealing legacy ones).
      const sealed = await sealForRequester(ctx, output);
      return { payload: sealed.payload, commitment: outputDigest(output) };
    },
    // The commitment is the digest of the output inside the sealed payload (see openOutput): a
    // payload that does not open to it is left out, and counts as a missing replica.
    verify(ctx, c) {
      try {
        openOutput(ctx, c);
        return true;
      } catch {
        return false;
      }
    },
    async aggregate(ctx, contributions) {
      const p = schema.parse(ctx.spec.params);
      const v = impl(p);
      const st = ctx.state.get<OwnerState>();
      if (!st || st.v !== 1)
        throw new Error(`${kind}: this node holds no owner state for task ${ctx.taskId}; outsourced tasks are submitted through the data owner's node (POST /tasks there)`);
      const caught = new Set((st.cheaters ?? []).map((c) => c.member.toLowerCase()));
      const named = new Set(p.workers.map((w) => w.toLowerCase()).filter((w) => !caught.has(w)));
      const mine = contributions.filter((c) => named.has(c.member.toLowerCase()));
      if (mine.length === 0 || (p.workers.length === 1 && mine.length !== 1))
        throw new Error(
          `${kind}: round ${ctx.round} has ${mine.length} output(s) from the named worker(s) ${p.workers.join(", ")}; expected ${p.workers.length === 1 ? "exactly one" : "at least one"}`,
        );
      const outputs = mine.map((c) => ({ member: c.member, output: openOutput(ctx, c) }));
      // One named worker: its output is trusted (no replication). Several: equal digests are
      // accepted; a disagreement, or a replica missing, makes the owner re-run the step itself.
      let verdict: ReplicaVerdict | undefined;
      if (p.workers.length > 1) {
        verdict = await judgeReplicas(outputs, p.workers.length, async () => {
          const setup = await getChunks(ctx.blobs, p.setup);
          const replies = st.replies;
          if (ctx.round > 1 && v.resume) {
            const r = await v.resume(setup, await getChunks(ctx.blobs, replies[replies.length - 1]), p, ctx.round);
            r.engine.dispose();
            return r.output;
          }
          const w = await v.worker(setup, p);
          try {
            let out = await w.next(undefined);
            for (const r of replies) out = await w.next(await getChunks(ctx.blobs, r));
            return out;
          } finally {
            w.dispose();
          }
        });
        for (const c of verdict.cheaters)
          ctx.log.warn({ kind, taskId: ctx.taskId, round: ctx.round, member: c.member, reason: c.reason }, "replica caught: output differs from the owner's re-run");
      }
      const cheaters = [...(st.cheaters ?? []), ...(verdict?.cheaters ?? []).map((c) => ({ member: c.member, round: ctx.round, reason: c.reason }))];
      const replication = verdict && { replicas: p.workers.length, outputs: outputs.length, arbitrated: verdict.arbitrated, honest: verdict.honest, cheaters };
      const key = cacheKey(ctx.self, ctx.spec);
      let engine = owners.get(key);
      if (!engine || engine.steps !== st.steps) {
        if (!st.snapshot || !v.restoreOwner)
          throw new Error(`${kind}/${p.variant}: the owner's state for task ${ctx.taskId} was lost (process restarted); this variant cannot resume, submit the task again`);
        engine = await v.restoreOwner(await ctx.local.get(st.snapshot), p);
        owners.set(key, engine);
      }
      const t0 = performance.now();
      const r = await engine.step(verdict ? verdict.accepted : outputs[0].output);
      const ownerMs = Math.round(performance.now() - t0);
      // The worker whose output was used; the owner itself when no replica's output matched its re-run.
      const worker = verdict ? (verdict.honest[0] ?? ctx.self) : outputs[0].member;
      if (r.result) {
        owners.delete(key);
        ctx.state.set({ ...st, steps: st.steps + 1, snapshot: undefined, cheaters } satisfies OwnerState);
        return { result: { ...r.result, kind, variant: p.variant, worker, rounds: ctx.round, ownerMs, ...(replication ? { replication } : {}) }, done: true };
      }
      if (!r.reply) throw new Error(`${kind}: the owner step returned neither a reply nor a result`);
      if (ctx.round >= ctx.spec.rounds) throw new Error(`${kind}: the owner needs another round but the task allows ${ctx.spec.rounds}`);
      const hashes = await putChunks(ctx.blobs, r.reply, st.chunks);
      const snapshot = engine.snapshot ? await ctx.local.put(engine.snapshot()) : undefined;
      const replies = [...st.replies, hashes];
      ctx.state.set({ ...st, steps: st.steps + 1, snapshot, replies, cheaters } satisfies OwnerState);
      return {
        result: { kind, variant: p.variant, worker, round: ctx.round, done: false, replyBytes: r.reply.length, ownerMs, ...(replication ? { replication } : {}) },
        next: { replies },
      };
    },
  };
}

// ------------------------------------------------------------------ submission

/** The parts of a running node that submission uses (RunningNode has them all). */
export type OwnerNode = Parameters<typeof submittingNode>[0] & { handlers: HandlerRegistry };

export interface OutsourcedRequestBase {
  kind: OutsourcedKind;
  variant?: OutsourcedVariant;
  /** The owner's dataset (registered and committed on this node). */
  dataset: string;
  version?: number;
  /** Feature columns (default: every column except labelColumn). */
  columns?: string[];
  securityLevel?: 128 | 192 | 256;
  /** Worker addresses, one per replica; default: the manager picks `replicas` from the node registry. */
  workers?: string[];
  /**
   * Workers that each compute every step (replicated evaluation; see algorithms/replication.ts).
   * Default: the number of `workers` named, else 2. With 1 the worker's output is trusted.
   */
  replicas?: number;
  strategy?: PickStrategy;
  /** Pieces the owner's messages are put in (Rory's NUM_CHUNKS, default 4). */
  chunks?: number;
  deadlines?: TaskSpecInput["deadlines"];
}

/** What a kind makes from the owner's checked input, before any I/O. */
export interface Prepared {
  engine: OwnerEngine;
  setup: Uint8Array;
  /** Kind-specific public params (sizes and options only). */
  params: Record<string, unknown>;
  rounds: number;
}

export type Preparer = (req: OutsourcedRequestBase & Record<string, unknown>, X: number[][], table: { columns: string[]; rows: number[][] }) => Promise<Prepared>;

const managers = new WeakMap<object, WorkerManager>();

function datasetRow(store: NodeStore, name: unknown, version?: number): DatasetRow {
  if (typeof name !== "string" || !name) throw new Error("dataset: name one of this node's registered datasets");
  const row = store.getDataset(name, version);
  if (!row) throw new Error(`dataset: "${name}"${version ? ` v${version}` : ""} is not registered on this node; register it first (POST /datasets)`);
  if (!row.committed) throw new Error(`dataset: "${name}" v${row.version} is not committed on-chain yet`);
  return row;
}

export function selectColumns(table: { columns: string[]; rows: number[][] }, columns: readonly string[]): number[][] {
  const idx = columns.map((c) => {
    const j = table.columns.indexOf(c);
    if (j < 0) throw new Error(`columns: "${c}" is not a column of the dataset (it has ${table.columns.join(", ")})`);
    return j;
  });
  return table.rows.map((r) => idx.map((j) => r[j]));
}

/**
 * Turns a spec-shaped submission of an outsourced kind (POST /tasks on the data owner's node, which
 * is the task's requester) into the owner's request: the one dataset must be this node's, the
 * kind's options are in `params` (k, initialIndices, query, labelColumn, columns, workers,
 * strategy, chunks…); rounds, members and params.setup are the owner node's to compute.
 */
export function outsourcedRequest(kind: OutsourcedKind, input: Record<string, unknown>, self: string): OutsourcedRequestBase & Record<string, unknown> {
  const problems: string[] = [];
  for (const f of ["rounds", "members", "setup"] as const)
    if (input[f] !== undefined) problems.push(`${f}: an outsourced task's ${f} is computed by the data owner's node from the kind and its parameters; leave it out`);
  if (input.aggregation !== undefined && input.aggregation !== "plain")
    problems.push(`aggregation: outsourced kinds run with "plain" only (the worker computes on ciphertexts); leave it out`);
  const ds = input.datasets;
  let ref: { owner?: unknown; datasetId?: unknown; version?: unknown } = {};
  if (!Array.isArray(ds) || ds.length !== 1 || ds[0] === null || typeof ds[0] !== "object")
    problems.push(`datasets: an outsourced task names exactly one dataset, the data owner's own, e.g. [{"owner": "${self}", "datasetId": "iris"}]`);
  else {
    ref = ds[0] as typeof ref;
    if (typeof ref.owner !== "string" || ref.owner.toLowerCase() !== self.toLowerCase())
      problems.push(
        `datasets.0.owner: ${String(ref.owner)} is not this node (${self}); an outsourced task is submitted to the node that holds the data (it is the task's requester and keeps the keys)`,
      );
    if (typeof ref.datasetId !== "string" || !ref.datasetId) problems.push("datasets.0.datasetId: name one of this node's registered datasets");
    if (ref.version !== undefined && (!Number.isInteger(ref.version) || (ref.version as number) < 1))
      problems.push("datasets.0.version: must be a positive integer, or omitted for the latest");
  }
  const params = input.params ?? {};
  if (params === null || typeof params !== "object" || Array.isArray(params)) problems.push("params: must be an object of the kind's options");
  const p = params as Record<string, unknown>;
  if (p.setup !== undefined) problems.push("params.setup: the encrypted first message is made by the data owner's node from its dataset; leave it out");
  if (p.prepared !== undefined) problems.push("params.prepared: a prepared encrypted dataset is given in-process only (submitOutsourced), never in a request body");
  if (problems.length) throw new SpecError(problems);
  return {
    ...p,
    kind,
    dataset: ref.datasetId as string,
    ...(ref.version !== undefined ? { version: ref.version as number } : {}),
    ...(input.deadlines !== undefined ? { deadlines: input.deadlines as TaskSpecInput["deadlines"] } : {}),
  };
}

/**
 * The data owner's side of an outsourced submission, run inside its node (the kind's prepare()):
 * every check (request fields, data, dimensions, k, ciphertext keys, workers, the spec itself)
 * runs first, then the data is encrypted here, the owner engine's snapshot (secret keys) goes to
 * the node's own blob store (sealed by the vault) and its requester state names it. The first
 * message is returned in `chunks` public pieces for the connector; nothing has left the node yet.
 */
export async function prepareOutsourced(
  kind: OutsourcedKind,
  input: Record<string, unknown>,
  ctx: PrepareContext,
  opts: { preparer: Preparer; manager?: WorkerManager },
): Promise<PreparedTask> {
  const req = outsourcedRequest(kind, input, ctx.self);
  if (ctx.extra?.prepared !== undefined) req.prepared = ctx.extra.prepared;
  let prepared: Prepared;
  let spec: TaskSpec;
  let parts: Uint8Array[];
  let workerList: string[];
  let chunks: number;
  try {
    ({ prepared, spec, parts, workerList, chunks } = await checkAndEncrypt(req, ctx, opts));
  } catch (e) {
    // Anything refused here is the request's fault (fields, data, workers): a 400 naming the field.
    if (e instanceof SpecError || e instanceof ConnectorError) throw e;
    throw new SpecError([(e as Error).message]);
  }
  const hash = specHash(spec);
  const key = `${ctx.self.toLowerCase()}:${hash}`;
  let snapshot: string | undefined;
  try {
    snapshot = prepared.engine.snapshot ? await ctx.local.put(prepared.engine.snapshot()) : undefined;
  } catch (e) {
    prepared.engine.dispose();
    throw e;
  }
  // The engine stays warm in this process for the first round; a restart restores it from the snapshot.
  owners.set(key, prepared.engine);
  return {
    spec,
    state: { v: 1, snapshot, steps: 0, chunks, replies: [] } satisfies OwnerState,
    blobs: parts,
    info: { workers: workerList, setup: spec.params.setup as string[], setupBytes: prepared.setup.length },
    abort: () => owners.delete(key),
  };
}

async function checkAndEncrypt(
  req: OutsourcedRequestBase & Record<string, unknown>,
  ctx: PrepareContext,
  opts: { preparer: Preparer; manager?: WorkerManager },
): Promise<{ prepared: Prepared; spec: TaskSpec; parts: Uint8Array[]; workerList: string[]; chunks: number }> {
  if (!isKindOf(req.kind, "outsourced")) throw new Error(`kind: ${req.kind} is not an outsourced kind`);
  const variant = req.variant ?? "ckks";
  if (!["ckks", "legacy", "plain"].includes(variant)) throw new Error(`variant: must be "ckks", "legacy" or "plain", got ${variant}`);
  if ((ctx.roles & Role.Requester) === 0 || (ctx.roles & Role.Owner) === 0)
    throw new Error("roles: the data owner's node submits its own outsourced tasks; give it the Owner and Requester roles");
  if (req.securityLevel !== undefined && ![128, 192, 256].includes(req.securityLevel)) throw new Error(`securityLevel: must be 128, 192 or 256, got ${String(req.securityLevel)}`);
  const chunks = req.chunks ?? 4;
  if (!Number.isInteger(chunks) || chunks < 1 || chunks > 256) throw new Error(`chunks: must be an integer in 1..256, got ${chunks}`);
  const row = datasetRow(ctx.store, req.dataset, req.version);
  const table = await ctx.datasets.table(row);
  const label = typeof req.labelColumn === "string" ? req.labelColumn : undefined;
  const columns = req.columns ?? table.columns.filter((c) => c !== label);
  if (!Array.isArray(columns) || columns.length === 0) throw new Error("columns: name at least one feature column");
  const X = selectColumns(table, columns);

  const replicas = req.replicas ?? (Array.isArray(req.workers) ? req.workers.length : 2);
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > CAPS.MAX_WORKERS)
    throw new Error(`replicas: must be an integer from 1 to ${CAPS.MAX_WORKERS} (workers computing each step), got ${String(req.replicas)}`);
  if (Array.isArray(req.workers) && req.workers.length !== replicas)
    throw new Error(`replicas: ${replicas}, but workers names ${req.workers.length} node(s); name one worker per replica, or leave replicas out`);
  let workerList: string[];
  if (req.workers !== undefined) {
    if (!Array.isArray(req.workers) || req.workers.length === 0) throw new Error("workers: list at least one worker address, or omit it to let the manager pick");
    for (const w of req.workers) {
      if (typeof w !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(w)) continue; // the spec check names the bad address
      if (w.toLowerCase() === ctx.self.toLowerCase()) throw new Error("workers: the data owner cannot be its own task's worker; name another node");
      const rec = await ctx.connector.getNode(w);
      if (!rec || (rec.roles & Role.Worker) === 0)
        throw new Error(`workers: ${w} is not a registered node with the Worker role; pick one from the node registry (or omit workers)`);
    }
    workerList = req.workers;
  } else {
    const manager = opts.manager ?? managers.get(ctx.connector) ?? new WorkerManager(ctx.connector);
    managers.set(ctx.connector, manager);
    workerList = await manager.pick({ count: replicas, strategy: req.strategy, exclude: [ctx.self] });
  }

  const prepared = await opts.preparer({ ...req, variant }, X, table);
  try {
    const parts = splitChunks(prepared.setup, chunks);
    const spec = parseTaskSpec({
      kind: req.kind,
      requester: ctx.self,
      datasets: [{ owner: ctx.self, datasetId: row.name, version: row.version }],
      params: { ...prepared.params, variant, workers: workerList, setup: parts.map((c) => keccak256(c)), securityLevel: req.securityLevel ?? 128 },
      rounds: prepared.rounds,
      // Every named worker may join (the spec's member list, enforced on-chain); one is enough for
      // the round to run: the owner re-runs a step whose replicas are missing.
      members: { min: 1, max: workerList.length, threshold: 1 },
      ...(req.deadlines ? { deadlines: req.deadlines } : {}),
    } satisfies TaskSpecInput);
    return { prepared, spec, parts, workerList, chunks };
  } catch (e) {
    prepared.engine.dispose();
    throw e;
  }
}

/**
 * Submits an outsourced mining task from the data owner's node through the node's own submission
 * path (runtime/prepare.ts, as POST /tasks does), e.g.
 *   submitOutsourced(node, { kind: "skmeans", dataset: "iris", k: 3, initialIndices: [0, 50, 100] })
 *   submitOutsourced(node, { kind: "sknn", variant: "legacy", dataset: "train", labelColumn: "y", query: rows })
 * The final result (labels, centroids, iterations…) is then outsourcedResult(node.store, taskId).
 * A bad request puts no blob and creates no task.
 */
export async function submitOutsourced(
  node: OwnerNode,
  req: OutsourcedRequestBase & Record<string, unknown>,
): Promise<{ taskId: number; specHash: string; workers: string[]; setup: string[]; setupBytes: number }> {
  const { kind, dataset, version, deadlines, prepared, ...params } = req;
  const input: Record<string, unknown> = {
    kind,
    datasets: [{ owner: node.address, datasetId: dataset, ...(version !== undefined ? { version } : {}) }],
    params,
    ...(deadlines ? { deadlines } : {}),
  };
  const r = await submitTask(submittingNode(node), input, prepared !== undefined ? { extra: { prepared } } : {});
  const info = r.info as { workers: string[]; setup: string[]; setupBytes: number };
  return { taskId: r.taskId, specHash: r.specHash, workers: info.workers, setup: info.setup, setupBytes: info.setupBytes };
}

/** The final result of an outsourced task on the owner's node, once a round ended it. */
export function outsourcedResult<T = Record<string, unknown>>(store: NodeStore, taskId: number): T | undefined {
  for (let round = 1; ; round++) {
    const r = store.getResult(taskId, round);
    if (!r) return undefined;
    if (r.done) return r.result as T;
  }
}
