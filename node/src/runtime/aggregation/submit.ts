import type { Connector } from "../../../../chain-connector/src/connector.js";
import type { BlobStore } from "../../../../chain-connector/src/blobstore.js";
import { keccakHex } from "../../../../protocol/src/hash.js";
import { parseTaskSpec, specHash, type TaskSpec, type TaskSpecInput } from "../../../../protocol/src/taskspec.js";
import type { NodeStore } from "../../store/store.js";
import type { BlobAccess, PrepareContext, PreparedTask } from "../handler.js";
import { seedRequesterState } from "../runtime.js";
import { newRequesterKey, type PaillierRequesterState } from "./paillier.js";

/** What submitFederated needs of a running requester node. */
export interface RequesterNode {
  address: string;
  store: NodeStore;
  connector: Connector;
  /** The node's private blob store, where the task's secret key is kept. */
  localBlobs: BlobStore;
}

export interface SubmitFederatedOptions {
  /** Modulus size of the task's Paillier key (default 2048; 1024 only for tests and demos). */
  paillierBits?: number;
}

/**
 * The federated requester-side preparation (kinds without a prepare() of their own): turns a
 * requester's spec input into the spec to submit, with what its backend needs. For `paillier`
 * without params.paillier it makes the task's key pair here: the public modulus goes into
 * params.paillier, the secret key into the node's own blob store (`local`, sealed by the vault,
 * never the connector), named in the requester state the runtime hands to aggregate(); the key's
 * certificate (Π^mod, Π^fac, keyBinding(requester)) is a public blob named by params.paillier.cert,
 * which members verify before encrypting to the key. For
 * `secagg` the Setup phase the key shares need is on unless the input says otherwise. The spec is
 * parsed (every field checked) before the key is kept.
 */
export async function prepareFederated(input: Record<string, unknown>, ctx: Pick<PrepareContext, "self" | "local">, opts: SubmitFederatedOptions = {}): Promise<PreparedTask> {
  const params: Record<string, unknown> = { ...((input.params as Record<string, unknown> | undefined) ?? {}) };
  const aggregation = input.aggregation ?? "plain";
  let secret: Uint8Array | undefined;
  let cert: Uint8Array | undefined;
  const requester = (input.requester as string | undefined) ?? ctx.self;
  if (aggregation === "paillier" && params.paillier === undefined) {
    const k = newRequesterKey(opts.paillierBits ?? 2048, requester);
    params.paillier = { n: k.n, cert: keccakHex(k.cert) };
    secret = k.secret;
    cert = k.cert;
  }
  const spec = parseTaskSpec({ ...input, params, requester, setup: input.setup ?? aggregation === "secagg" });
  if (!secret || !cert) return { spec };
  return { spec, state: { paillierKey: await ctx.local.put(secret) } satisfies PaillierRequesterState, blobs: [cert] };
}

/** prepareFederated, with its public blobs put on `connector` and its requester state seeded into `store` (in-process callers). */
export async function prepareFederatedSpec(
  input: Record<string, unknown>,
  requester: string,
  local: BlobAccess,
  store: NodeStore,
  opts: SubmitFederatedOptions & { connector: Pick<Connector, "putBlob"> },
): Promise<TaskSpec> {
  const p = await prepareFederated(input, { self: requester, local }, opts);
  for (const b of p.blobs ?? []) await opts.connector.putBlob(b);
  if (p.state !== undefined) seedRequesterState(store, specHash(p.spec), p.state);
  return p.spec;
}

/** Submits a federated task from the requester's node (see prepareFederatedSpec). */
export async function submitFederated(
  node: RequesterNode,
  input: Omit<TaskSpecInput, "requester">,
  opts: SubmitFederatedOptions = {},
): Promise<{ taskId: number; specHash: string; spec: TaskSpec }> {
  const spec = await prepareFederatedSpec(input, node.address, node.localBlobs, node.store, { ...opts, connector: node.connector });
  const r = await node.connector.createTask(spec);
  return { taskId: r.taskId, specHash: specHash(spec), spec };
}
