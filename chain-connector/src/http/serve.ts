import { CoordinatorNetwork, type KindVerifier } from "../coordinator/index.js";
import { builtContributionCircuits, loadVerificationKey } from "../vkeys.js";
import type { ContractAddresses } from "../ethereum/deploy.js";
import type { ConnectorMode } from "../connector.js";
import { Keeper } from "../keeper.js";
import { KeyringNetwork } from "./keyring.js";
import { ConnectorServer, type NetworkLike } from "./server.js";
import { openBlobStore } from "../blobstore.js";

export interface ConnectorConfig {
  mode: ConnectorMode;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Port (default 0: a free one). */
  port?: number;
  /** Blob directory (content-addressed, keccak256). */
  blobs: string;
  /** Hash every blob the directory store reads back (default false; see LocalBlobStoreOptions.verifyReads). */
  verifyBlobReads?: boolean;
  /** Seconds within which a heartbeat or participation keeps a node active (default 120). */
  livenessSeconds?: number;
  /** The SQLite file: coordinator state, or in ethereum mode the chain's event log and heartbeats. */
  db?: string;
  /**
   * Coordinator: task kind → circuit name whose Groth16 verification key checks that kind's
   * "onchain" proofs (the coordinator plays TaskManager). Default: each federated kind's
   * contribution circuit that is built (stats → stats_chunk, …); {} turns verification off.
   * Ethereum mode needs none: TaskManager checks "onchain" proofs, and "offchain" tasks are
   * UltraHonk, verified by the requester.
   */
  verifiers?: Record<string, string>;
  /** Coordinator: directory holding <circuit>/vkey.json (default circuits/build). */
  circuitsDir?: string;
  /** Coordinator: a ready verifier (tests, embedders); takes precedence over `verifiers`. */
  verifier?: KindVerifier;
  /** Ethereum: JSON-RPC URL. */
  rpc?: string;
  /** Ethereum: deployed contract addresses {nodeRegistry, dataRegistry, taskManager, deployBlock?}, as deployContracts returns them. */
  addresses?: ContractAddresses;
  /** Ethereum: first block to read logs from on a fresh event log (default: addresses.deployBlock). */
  fromBlock?: number;
  /** Ethereum: private keys of the parties this connector acts for (0x hex). */
  keys?: string[];
  /** Ethereum: run a Keeper that advances expired deadlines (default true). */
  keeper?: boolean;
  /** Ethereum: the key the keeper pays advance() transactions with (default: the first of `keys`). */
  keeperKey?: string;
  /** The HTTP layer's SQLite file: nonces, blob uploads and quota (default: beside `db`, see authStatePath). */
  authDb?: string;
  /** Bytes of new blobs one party may store per window (default 2 GiB). */
  blobQuotaBytes?: number;
  /** The blob quota's window in seconds (default 3600). */
  blobQuotaWindowSeconds?: number;
}

/** state/connector.sqlite → state/connector.auth.sqlite; ":memory:" stays in memory. */
export function authStatePath(db: string): string {
  if (db === ":memory:") return db;
  return db.replace(/\.(sqlite3?|db)$/i, "") + ".auth.sqlite";
}

function serverOptions(cfg: ConnectorConfig) {
  return {
    host: cfg.host,
    port: cfg.port,
    livenessSeconds: cfg.livenessSeconds,
    state: cfg.authDb ?? authStatePath(cfg.db!),
    blobQuotaBytes: cfg.blobQuotaBytes,
    blobQuotaWindowSeconds: cfg.blobQuotaWindowSeconds,
  };
}

export interface RunningConnector {
  url: string;
  mode: ConnectorMode;
  server: ConnectorServer;
  network: NetworkLike;
  keeper?: Keeper;
  close(): Promise<void>;
}

/** snarkjs loads only when verification is configured: it is heavy and leaves worker threads. */
async function zkVerifier(verifiers: Record<string, string>, buildDir?: string): Promise<KindVerifier> {
  const { zkKindVerifier } = await import("../coordinator/zk.js");
  const v = zkKindVerifier(verifiers, buildDir);
  // Fail at start, not at the first proof, when a configured key is missing.
  for (const circuit of Object.values(verifiers)) loadVerificationKey(circuit, buildDir);
  return v;
}

async function kindVerifier(cfg: ConnectorConfig): Promise<KindVerifier | undefined> {
  if (cfg.verifier) return cfg.verifier;
  const map = cfg.verifiers ?? builtContributionCircuits(cfg.circuitsDir);
  return Object.keys(map).length > 0 ? zkVerifier(map, cfg.circuitsDir) : undefined;
}

/** Starts a connector server in either mode from a configuration (what main.ts runs). */
export async function startConnector(cfg: ConnectorConfig): Promise<RunningConnector> {
  if (!cfg.blobs) throw new Error("config.blobs must name a directory for blobs (--blobs or CM_BLOBS)");
  if (cfg.mode === "coordinator") {
    if (!cfg.db) throw new Error("config.db must name the coordinator's SQLite file (--db or CM_DB)");
    const verifier = await kindVerifier(cfg);
    const network = new CoordinatorNetwork({ db: cfg.db, blobs: openBlobStore(cfg.blobs, { verifyReads: cfg.verifyBlobReads }), verifier, livenessSeconds: cfg.livenessSeconds });
    const server = new ConnectorServer({ network, ...serverOptions(cfg) });
    try {
      await server.start();
    } catch (e) {
      await server.close();
      await network.close();
      throw e;
    }
    return {
      url: server.url,
      mode: "coordinator",
      server,
      network,
      async close() {
        await server.close();
        await network.close();
      },
    };
  }
  if (cfg.mode === "ethereum") {
    if (!cfg.rpc) throw new Error("config.rpc must be the chain's JSON-RPC URL (--rpc or CM_RPC)");
    if (!cfg.addresses) throw new Error("config.addresses must give the deployed contracts (--addresses <json file> or CM_ADDRESSES)");
    if (!cfg.keys || cfg.keys.length === 0) throw new Error("config.keys must hold at least one private key (--keys <file> or CM_KEYS)");
    if (!cfg.db) throw new Error("config.db must name the SQLite file for the chain's event log (--db or CM_DB)");
    // Loaded on demand: it needs the TypeChain bindings that `npm run build` generates.
    const { EthereumNetwork } = await import("../ethereum/index.js");
    const eth = new EthereumNetwork({
      rpcUrl: cfg.rpc,
      addresses: cfg.addresses,
      blobs: openBlobStore(cfg.blobs, { verifyReads: cfg.verifyBlobReads }),
      dbPath: cfg.db,
      livenessSeconds: cfg.livenessSeconds,
      fromBlock: cfg.fromBlock,
    });
    const network = new KeyringNetwork(eth, cfg.keys);
    const server = new ConnectorServer({ network, ...serverOptions(cfg) });
    let keeper: Keeper | undefined;
    try {
      await server.start();
      if (cfg.keeper !== false) {
        keeper = new Keeper({
          connector: cfg.keeperKey ? eth.as(cfg.keeperKey) : network.as(network.addresses()[0]),
          chainNow: () => eth.now(),
        });
        await keeper.start();
      }
    } catch (e) {
      await server.close();
      await eth.close();
      throw e;
    }
    return {
      url: server.url,
      mode: "ethereum",
      server,
      network,
      keeper,
      async close() {
        await keeper?.stop();
        await server.close();
        await eth.close();
      },
    };
  }
  throw new Error(`config.mode must be "coordinator" or "ethereum", got "${String(cfg.mode)}"`);
}
