import { join } from "node:path";
import type { Connector } from "../../../../chain-connector/src/connector.js";
import { LocalBlobStore } from "../../../../chain-connector/src/blobstore.js";
import { parseTaskSpec, specHash, type TaskSpec, type TaskSpecInput } from "../../../../protocol/src/taskspec.js";
import type { NodeStore } from "../../store/store.js";
import { seedRequesterState } from "../runtime.js";
import { newRequesterKey, type PaillierRequesterState } from "./paillier.js";

/** What submitFederated needs of a running requester node. */
export interface RequesterNode {
  address: string;
  store: NodeStore;
  connector: Connector;
  config: { dataDir: string };
}

export interface SubmitFederatedOptions {
  /** Modulus size of the task's Paillier key (default 2048; 1024 only for tests and demos). */
  paillierBits?: number;
}

/**
 * Submits a federated task from the requester's node. For `paillier` it makes the task's key pair
 * here: the public modulus goes into params.paillier, the secret key into the node's own blob
 * store (never to the connector), named in the requester state the runtime hands to aggregate().
 * For `secagg` it turns on the Setup phase the key shares need. Everything is checked (the spec
 * parsed) before anything is written.
 */
export async function submitFederated(
  node: RequesterNode,
  input: Omit<TaskSpecInput, "requester">,
  opts: SubmitFederatedOptions = {},
): Promise<{ taskId: number; specHash: string; spec: TaskSpec }> {
  const params: Record<string, unknown> = { ...(input.params ?? {}) };
  const aggregation = input.aggregation ?? "plain";
  let secret: Uint8Array | undefined;
  if (aggregation === "paillier" && params.paillier === undefined) {
    const k = newRequesterKey(opts.paillierBits ?? 2048);
    params.paillier = { n: k.n };
    secret = k.secret;
  }
  const spec = parseTaskSpec({ ...input, params, requester: node.address, setup: input.setup ?? aggregation === "secagg" });
  const hash = specHash(spec);
  if (secret) {
    const local = new LocalBlobStore(join(node.config.dataDir, "blobs"));
    seedRequesterState(node.store, hash, { paillierKey: await local.put(secret) } satisfies PaillierRequesterState);
  }
  const r = await node.connector.createTask(spec);
  return { taskId: r.taskId, specHash: hash, spec };
}
