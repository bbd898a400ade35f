import type { Connector } from "../../../chain-connector/src/connector.js";
import { rolesToMask, type RoleName } from "../../../protocol/src/phases.js";
import { SpecError, specHash, type TaskSpec } from "../../../protocol/src/taskspec.js";
import type { DatasetRegistry } from "../data/registry.js";
import type { Logger } from "../log.js";
import type { NodeStore } from "../store/store.js";
import { prepareFederated } from "./aggregation/submit.js";
import type { BlobAccess, HandlerRegistry, PrepareContext, PreparedTask } from "./handler.js";
import { seedRequesterState } from "./runtime.js";

/**
 * The one submission path of every kind, run inside the requester node (POST /tasks; the old
 * in-process helpers call it too): the kind's requester-side prepare() turns the input into the
 * spec and keeps what must stay secret in the node; then its public blobs go to the connector, its
 * requester state is sealed into the store under the spec hash, and the task is created.
 */

/** The parts of a requester node the submission path uses (RunningNode has them all). */
export interface SubmittingNode {
  address: string;
  roles: number;
  store: NodeStore;
  datasets: DatasetRegistry;
  connector: Connector;
  local: BlobAccess;
  handlers?: HandlerRegistry;
  log?: Logger;
}

const quiet: Logger = { info() {}, warn() {}, error() {}, debug() {} } as unknown as Logger;

/**
 * Runs the kind's prepare() (kinds without one: the federated preparation, which adds the
 * backend's key or Setup phase and otherwise parses the input as a spec). Writes nothing shared;
 * what prepare() itself keeps is in the node's own sealed blob store only.
 */
export async function prepareTask(node: SubmittingNode, input: Record<string, unknown>, extra?: Record<string, unknown>): Promise<PreparedTask> {
  if (input === null || typeof input !== "object" || Array.isArray(input)) throw new SpecError(["(body): must be a task spec object"]);
  const handler = typeof input.kind === "string" ? node.handlers?.get(input.kind) : undefined;
  const ctx: PrepareContext = {
    self: node.address,
    roles: node.roles,
    store: node.store,
    datasets: node.datasets,
    connector: node.connector,
    local: node.local,
    log: node.log ?? quiet,
    ...(extra ? { extra } : {}),
  };
  const prepared = handler?.prepare ? await handler.prepare(input, ctx) : await prepareFederated(input, ctx);
  if (prepared.spec.requester !== node.address) {
    prepared.abort?.();
    throw new SpecError([`requester: ${prepared.spec.requester} must be this node's address ${node.address}; omit it to use the node's`]);
  }
  return prepared;
}

/** Puts the prepared task's public blobs and seals its requester state; after this the task may be created (again, on a retry). */
export async function keepPrepared(node: SubmittingNode, p: PreparedTask): Promise<void> {
  try {
    for (const b of p.blobs ?? []) await node.connector.putBlob(b);
  } catch (e) {
    p.abort?.();
    throw e;
  }
  if (p.state !== undefined) seedRequesterState(node.store, specHash(p.spec), p.state);
}

export interface Submitted {
  taskId: number;
  specHash: string;
  spec: TaskSpec;
  txHash?: string;
  info?: Record<string, unknown>;
}

/** prepareTask, keepPrepared, then the task on-chain. */
export async function submitTask(
  node: SubmittingNode,
  input: Record<string, unknown>,
  opts: { idempotencyKey?: string; extra?: Record<string, unknown> } = {},
): Promise<Submitted> {
  const p = await prepareTask(node, input, opts.extra);
  await keepPrepared(node, p);
  const r = await node.connector.createTask(p.spec, opts.idempotencyKey === undefined ? undefined : { idempotencyKey: opts.idempotencyKey });
  return { taskId: r.taskId, specHash: specHash(p.spec), spec: p.spec, txHash: r.txHash, ...(p.info ? { info: p.info } : {}) };
}

/** A running node as a SubmittingNode. */
export function submittingNode(n: {
  address: string;
  config: { roles: readonly RoleName[] };
  store: NodeStore;
  datasets: DatasetRegistry;
  connector: Connector;
  localBlobs: BlobAccess;
  handlers?: HandlerRegistry;
  log?: Logger;
}): SubmittingNode {
  return {
    address: n.address,
    roles: rolesToMask(n.config.roles),
    store: n.store,
    datasets: n.datasets,
    connector: n.connector,
    local: n.localBlobs,
    handlers: n.handlers,
    log: n.log,
  };
}
