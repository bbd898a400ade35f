import { join } from "node:path";
import type { Connector } from "../../chain-connector/src/connector.js";
import type { BlobStore } from "../../chain-connector/src/blobstore.js";
import { ConnectorClient } from "../../chain-connector/src/http/client.js";
import { rolesToMask } from "../../protocol/src/phases.js";
import { closeServer, buildApi, listen } from "./api/server.js";
import { ConfigError, parseConfig, type NodeConfig, type NodeConfigInput } from "./config.js";
import { DatasetRegistry } from "./data/registry.js";
import { loadOrCreateX25519, loadWallet } from "./keys.js";
import { createLogger, type Logger } from "./log.js";
import { HandlerRegistry, type TaskKindHandler } from "./runtime/handler.js";
import { NODE_KINDS } from "./runtime/kinds/registry.js";
import { Runtime } from "./runtime/runtime.js";
import { configurePool, defaultPoolSize } from "./runtime/pool.js";
import { NodeStore } from "./store/store.js";
import { SealedBlobStore } from "./secrets/blobs.js";
import { secureTree, Vault } from "./secrets/vault.js";

export type { TaskKindHandler, MemberContext, AggregateContext, RoundContext, Submission, ReceivedContribution, RoundOutcome, MemberDataset } from "./runtime/handler.js";
export { HandlerRegistry, plainCommitment } from "./runtime/handler.js";
export { Runtime, type RoundResultRecord } from "./runtime/runtime.js";
export { NodeApiClient, NodeApiError } from "./api/client.js";
export { loadConfig, parseConfig, renderConfigTable, ConfigError, type NodeConfig, type NodeConfigInput } from "./config.js";
export { statsHandler } from "./runtime/kinds/stats/index.js";
export { skmeansHandler } from "./runtime/kinds/skmeans/index.js";
export { dbskmeansHandler } from "./runtime/kinds/dbskmeans/index.js";
export { sknnHandler } from "./runtime/kinds/sknn/index.js";
export { dbsnncHandler } from "./runtime/kinds/dbsnnc/index.js";
export { kmeansHandler } from "./runtime/kinds/kmeans/index.js";
export { linregHandler } from "./runtime/kinds/linreg/index.js";
export { logregHandler } from "./runtime/kinds/logreg/index.js";
export { vlinregHandler, makeVlinregHandler } from "./runtime/kinds/vlinreg/index.js";
export { pcaHandler } from "./runtime/kinds/pca/index.js";
export { NODE_KINDS } from "./runtime/kinds/registry.js";
export { submitFederated, prepareFederatedSpec, prepareFederated } from "./runtime/aggregation/submit.js";
export { submitTask, prepareTask, keepPrepared, submittingNode, type SubmittingNode, type Submitted } from "./runtime/prepare.js";
export type { PrepareContext, PreparedTask } from "./runtime/handler.js";
export { runLocal } from "./runtime/local.js";
export { submitOutsourced, outsourcedResult, workerEnginesOf, assertHoldsNoSecret, disposeOutsourcedEngines } from "./runtime/kinds/shared/outsourced.js";
export { WorkerManager, type PickStrategy } from "./runtime/manager.js";
export { seedRequesterState } from "./runtime/runtime.js";

/** Kinds every node runs: the node kind registry (runtime/kinds/registry.ts); an operator's own kinds go in StartNodeOptions.handlers. */
export const BUILTIN_HANDLERS: readonly TaskKindHandler[] = NODE_KINDS;

export interface StartNodeOptions {
  /** Act through this connector instead of connecting to config.connectorUrl (it must act for the node's key). */
  connector?: Connector;
  /** Task kind handlers added to (or, with replaceBuiltins, instead of) the built-in ones. */
  handlers?: TaskKindHandler[];
  replaceBuiltins?: boolean;
  /** Defaults to a pino logger named after the node at config.logLevel. */
  logger?: Logger;
  /** Relative dataset paths given to POST /datasets resolve from here (default: the working directory). */
  baseDir?: string;
  /** Task manager and chain id proofs are bound to (ethereum mode); the coordinator's zero domain by default. */
  bindingDomain?: { taskManager: string; chainId: bigint | number | string };
}

export interface RunningNode {
  /** Base URL of the node's HTTP API. */
  url: string;
  /** The operator's address. */
  address: string;
  config: NodeConfig;
  connector: Connector;
  store: NodeStore;
  datasets: DatasetRegistry;
  /** The node's private blob store (results, secret per-task state), sealed by the vault; never served to others. */
  localBlobs: BlobStore;
  /** Seals the node's secrets at rest (data key from the keystore password or the vault key file). */
  vault: Vault;
  handlers: HandlerRegistry;
  runtime: Runtime;
  log: Logger;
  /** Stops the runtime (after the event in hand), the API and the store; idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts a node: opens its store, keys and connector, serves the API, registers (or updates) the
 * node on-chain, registers the configured datasets, then follows the event stream from the
 * persisted cursor.
 */
export async function startNode(input: NodeConfig | NodeConfigInput, opts: StartNodeOptions = {}): Promise<RunningNode> {
  const config = parseConfig(input);
  const log = opts.logger ?? createLogger(config.name, config.logLevel);
  const wallet = await loadWallet(config);
  const self = wallet.address;
  // Makes dataDir (0700) and the data key before anything secret is written.
  const vault = Vault.open({ dataDir: config.dataDir, keyFile: config.vaultKeyFile, password: config.keystore ? process.env.CM_NODE_KEYSTORE_PASSWORD : undefined });
  secureTree(config.dataDir);
  const x25519 = loadOrCreateX25519(config.x25519KeyFile, vault);
  const roles = rolesToMask(config.roles);
  configurePool(config.workerThreads ?? defaultPoolSize());

  const cleanup: (() => Promise<void> | void)[] = [];
  const unwind = async () => {
    for (const f of cleanup.splice(0).reverse()) await Promise.resolve(f()).catch((e: unknown) => log.warn({ err: String(e) }, "cleanup failed"));
  };
  try {
    let connector: Connector;
    if (opts.connector) {
      connector = opts.connector;
      const acts = await connector.address();
      if (acts !== self) throw new ConfigError([`the connector passed to startNode acts for ${acts}, the node's key is ${self}; give it the node's key`]);
    } else {
      if (!config.connectorUrl) throw new ConfigError(["connectorUrl (env CM_NODE_CONNECTOR_URL): is required: set the connector's URL"]);
      connector = await ConnectorClient.connect({ url: config.connectorUrl, signer: wallet });
      cleanup.push(() => connector.close());
    }
    const store = new NodeStore(join(config.dataDir, "node.sqlite"), vault);
    cleanup.push(() => store.close());
    const handlers = new HandlerRegistry(opts.replaceBuiltins ? [] : BUILTIN_HANDLERS);
    for (const h of opts.handlers ?? []) handlers.register(h);
    const datasets = new DatasetRegistry(store, connector, config.dataDir, config.maxDatasetBytes);
    const localBlobs = new SealedBlobStore(join(config.dataDir, "blobs"), vault);

    const runtime = new Runtime({
      connector,
      store,
      datasets,
      handlers,
      self,
      roles,
      policy: config.policy,
      results: localBlobs,
      log,
      bindingDomain: opts.bindingDomain ?? (await connector.bindingDomain()),
      x25519,
    });
    const app = buildApi({
      name: config.name,
      self,
      roles,
      admins: config.admins,
      store,
      datasets,
      connector,
      baseDir: opts.baseDir ?? process.cwd(),
      local: localBlobs,
      handlers,
      log,
      approvals: runtime,
      connectorUrl: config.connectorUrl,
      budgetPolicy: config.policy,
      chainRpcUrl: config.chainRpcUrl,
    });
    const { server, url } = await listen(app, config.http.host, config.http.port);
    cleanup.push(() => closeServer(server));

    const info = { endpoint: config.http.publicUrl ?? url, x25519: x25519.publicHex, roles, capacity: config.capacity };
    const known = await connector.getNode(self);
    if (!known) await connector.registerNode(info);
    else if (known.endpoint !== info.endpoint || known.x25519 !== info.x25519 || known.roles !== info.roles || known.capacity !== info.capacity) await connector.updateNode(info);

    for (const d of config.datasets) {
      const { policy, ...spec } = d;
      const row = await datasets.register(spec);
      if (policy) store.setDatasetPolicy(row.name, policy);
      log.info({ dataset: row.name, version: row.version, rows: row.rows, root: row.root, policy: policy !== undefined || undefined }, "dataset ready");
    }

    runtime.start();
    cleanup.push(() => runtime.stop());

    if (config.heartbeatSeconds > 0) {
      const t = setInterval(() => {
        connector.heartbeat().catch((e: unknown) => log.debug({ err: String(e) }, "heartbeat failed"));
      }, config.heartbeatSeconds * 1000);
      t.unref();
      cleanup.push(() => clearInterval(t));
    }
    log.info({ url, address: self, roles: config.roles }, "node started");
    return { url, address: self, config, connector, store, datasets, localBlobs, vault, handlers, runtime, log, stop: unwind };
  } catch (e) {
    await unwind();
    throw e;
  }
}
