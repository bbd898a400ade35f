import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { JsonRpcProvider, Wallet, ZeroHash, getAddress, isAddress, type Log, type TransactionReceipt } from "ethers";
import { REPORT_STATUS, type ChainEvent, type ChainEventBody, type MemberReportStatus } from "../../../protocol/src/events.js";
import { Phase, Verification } from "../../../protocol/src/phases.js";
import { honkSubmission } from "../proofcheck.js";
import { allowedMembers, datasetKey, specBytes, specHash, type TaskSpec } from "../../../protocol/src/taskspec.js";
import type { BlobRef } from "../http/authz.js";
import {
  checkChallenge,
  checkIdempotencyKey,
  checkReport,
  ConnectorError,
  type CreateTaskOptions,
  type Connector,
  type ContributionRecord,
  type DatasetCommitment,
  type DatasetRecord,
  type BindingDomain,
  type Groth16Proof,
  type NodeInfo,
  type NodeRecord,
  type ProofListChallenge,
  type RoundRecord,
  type TaskRecord,
  type TxReceipt,
} from "../connector.js";
import { blobHash, openBlobStore, type BlobStore } from "../blobstore.js";
import { addr, b32, checkCloseReason, checkDatasetName, checkNodeInfo, checkTaskSpec, fail, specInputHash, U32, uint } from "../validate.js";
import {
  ChunkAudit__factory,
  DataRegistry__factory,
  NodeRegistry__factory,
  TaskManager__factory,
  type DataRegistry,
  type NodeRegistry,
  type TaskManager,
} from "../../../types/ethers-contracts/index.js";
import { createTaskArgs, type ContractAddresses } from "./deploy.js";
import { decodeLog, logCursor, parseCursor } from "./decode.js";
import { decodeRevert } from "./errors.js";
import { EventLog, type StoredEvent } from "./eventlog.js";
import { TxSender, toConnectorError, withRetry } from "./rpc.js";
import { encodeProof } from "./proof.js";

export { encodeProof };

export interface EthereumNetworkOptions {
  /** JSON-RPC endpoint; or pass `provider`. */
  rpcUrl?: string;
  provider?: JsonRpcProvider;
  addresses: ContractAddresses;
  /** Blob store, or a directory (LocalBlobStore) or s3:// URL (S3BlobStore): see openBlobStore. */
  blobs: BlobStore | string;
  /** SQLite file for the event log and its cursor (created when missing); ":memory:" for a throwaway. */
  dbPath: string;
  /**
   * Blocks a log must be buried under before it is streamed (1, the default, streams the newest
   * block). Transactions return at their first confirmation either way.
   */
  confirmations?: number;
  /** Poll interval for new logs, in ms (default 1000). */
  pollMs?: number;
  /** Block to start reading logs from on a fresh database (default: addresses.deployBlock, else 0). */
  fromBlock?: number;
  /** Most blocks asked for in one eth_getLogs (default 2000). */
  maxBlockRange?: number;
  /** A node counts as active when it heartbeated or took part within this many seconds (default 120). */
  livenessSeconds?: number;
  /** Called with poller failures (the poller retries on its own). */
  onError?: (e: unknown) => void;
}

const SUBMISSION = new Set<number>([Phase.Setup, Phase.Compute, Phase.Aggregate]);

/**
 * One deployment on one chain: a provider, a single log poller and the SQLite event log, shared
 * by every party's connector (`as(privateKey)`).
 */
export class EthereumNetwork {
  readonly provider: JsonRpcProvider;
  readonly addresses: ContractAddresses;
  readonly blobs: BlobStore;
  readonly confirmations: number;
  readonly livenessSeconds: number;
  private readonly ownProvider: boolean;
  private readonly pollMs: number;
  readonly fromBlock: number;
  private readonly maxRange: number;
  private readonly onError: (e: unknown) => void;
  private readonly dbPath: string;
  private log?: EventLog;
  private opening?: Promise<EventLog>;
  private closed = false;
  private timer?: NodeJS.Timeout;
  private wake?: () => void;
  private kicked = false;
  private loop?: Promise<void>;
  private pollsStarted = 0;
  private readonly syncWaiters: { gen: number; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly connectors = new Map<string, EthereumConnector>();
  private chainId?: bigint;
  readonly nodes: NodeRegistry;
  readonly data: DataRegistry;
  readonly tasks: TaskManager;

  constructor(opts: EthereumNetworkOptions) {
    if (!opts.provider && !opts.rpcUrl) throw new Error("EthereumNetwork: give rpcUrl (http://host:port) or provider");
    for (const k of ["nodeRegistry", "dataRegistry", "taskManager"] as const)
      if (!isAddress(opts.addresses?.[k])) throw new Error(`EthereumNetwork: addresses.${k} must be the deployed contract's address`);
    if (opts.addresses.chunkAudit !== undefined && !isAddress(opts.addresses.chunkAudit))
      throw new Error("EthereumNetwork: addresses.chunkAudit must be the deployed ChunkAudit's address, or left out");
    if (!opts.dbPath) throw new Error("EthereumNetwork: dbPath must name the SQLite file for the event log");
    if (opts.blobs === undefined) throw new Error("EthereumNetwork: blobs must be a BlobStore or a directory");
    this.ownProvider = !opts.provider;
    this.pollMs = opts.pollMs ?? 1000;
    this.provider = opts.provider ?? new JsonRpcProvider(opts.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    this.provider.pollingInterval = Math.min(this.provider.pollingInterval, Math.max(50, this.pollMs));
    this.addresses = {
      nodeRegistry: getAddress(opts.addresses.nodeRegistry),
      dataRegistry: getAddress(opts.addresses.dataRegistry),
      taskManager: getAddress(opts.addresses.taskManager),
      ...(opts.addresses.chunkAudit ? { chunkAudit: getAddress(opts.addresses.chunkAudit) } : {}),
    };
    this.blobs = openBlobStore(opts.blobs);
    this.confirmations = Math.max(1, opts.confirmations ?? 1);
    const deployBlock = Number(opts.addresses.deployBlock ?? 0);
    this.fromBlock = opts.fromBlock ?? (Number.isSafeInteger(deployBlock) && deployBlock >= 0 ? deployBlock : 0);
    this.maxRange = opts.maxBlockRange ?? 2000;
    this.livenessSeconds = opts.livenessSeconds ?? 120;
    this.onError = opts.onError ?? (() => undefined);
    this.dbPath = opts.dbPath;
    this.nodes = NodeRegistry__factory.connect(this.addresses.nodeRegistry, this.provider);
    this.data = DataRegistry__factory.connect(this.addresses.dataRegistry, this.provider);
    this.tasks = TaskManager__factory.connect(this.addresses.taskManager, this.provider);
    this.loop = this.run();
  }

  /** A connector acting for the wallet of `privateKey` (one per wallet, reused). */
  as(privateKey: string): EthereumConnector {
    if (this.closed) fail("Unavailable", "the ethereum network is closed");
    let wallet: Wallet;
    try {
      wallet = new Wallet(privateKey, this.provider);
    } catch {
      throw new Error("EthereumNetwork.as: privateKey must be a 0x-prefixed 32-byte hex private key");
    }
    let c = this.connectors.get(wallet.address);
    if (!c) {
      // A sender returns once its transaction is mined (read-your-writes); `confirmations` governs
      // only what the event stream publishes, so a quiet development chain never stalls a send.
      c = new EthereumConnector(this, new TxSender(wallet, this.provider, 1));
      this.connectors.set(wallet.address, c);
    }
    return c;
  }

  async getChainId(): Promise<bigint> {
    this.chainId ??= (await withRetry(() => this.provider.getNetwork())).chainId;
    return this.chainId;
  }

  /** Chain time: the newest block's timestamp. */
  async now(): Promise<number> {
    const b = await withRetry(() => this.provider.getBlock("latest"));
    return b!.timestamp;
  }

  private async eventLog(): Promise<EventLog> {
    if (this.log) return this.log;
    this.opening ??= (async () => {
      const chainId = await this.getChainId();
      if (this.dbPath !== ":memory:") mkdirSync(dirname(this.dbPath), { recursive: true });
      this.log = new EventLog(this.dbPath, { chainId: chainId.toString(), ...this.addresses });
      return this.log;
    })().catch((e: unknown) => {
      // Not cached: the node may come back (or the operator fix the path) and the next call retries.
      this.opening = undefined;
      throw e;
    });
    return this.opening;
  }

  // ---------------------------------------------------------------- poller

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.closed) {
      const gen = ++this.pollsStarted;
      try {
        await this.pollOnce();
        failures = 0;
        const waiting = this.syncWaiters.splice(0);
        for (const w of waiting) {
          if (w.gen <= gen) w.resolve();
          else this.syncWaiters.push(w);
        }
      } catch (e) {
        if (this.closed) break;
        failures++;
        this.onError(e);
        for (const w of this.syncWaiters.splice(0)) w.reject(toConnectorError(e));
      }
      if (this.closed) break;
      if (this.kicked) {
        this.kicked = false;
        continue;
      }
      const delay = failures > 0 ? Math.min(30_000, this.pollMs * 2 ** Math.min(failures, 6)) : this.pollMs;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, delay);
      });
      clearTimeout(this.timer);
      this.wake = undefined;
    }
  }

  /** Reads every confirmed log past the stored block and stores it with the new block, atomically. */
  private async pollOnce(): Promise<void> {
    const log = await this.eventLog();
    const head = await withRetry(() => this.provider.getBlockNumber());
    const safe = head - (this.confirmations - 1);
    const last = log.lastBlock();
    const lastHash = log.lastHash();
    if (last >= 0 && lastHash) {
      // A development chain restarted with the same deployer gives the same addresses: only the
      // block hashes tell that the stored log describes another chain.
      const b = last <= head ? await withRetry(() => this.provider.getBlock(last)) : null;
      if (b?.hash !== lastHash)
        throw new ConnectorError(
          "Unavailable",
          `the chain no longer holds block ${last} as this event log read it: it was reset or reorganised deeper than ` +
            `confirmations=${this.confirmations}; start the connector with a new dbPath (or more confirmations)`,
        );
    }
    let from = Math.max(last + 1, this.fromBlock);
    while (from <= safe && !this.closed) {
      const to = Math.min(safe, from + this.maxRange - 1);
      const logs = await withRetry(() =>
        this.provider.getLogs({
          address: [this.addresses.nodeRegistry, this.addresses.dataRegistry, this.addresses.taskManager, ...(this.addresses.chunkAudit ? [this.addresses.chunkAudit] : [])],
          fromBlock: from,
          toBlock: to,
        }),
      );
      const events = await this.decodeAll(logs);
      const toBlock = await withRetry(() => this.provider.getBlock(to));
      if (this.closed) return;
      log.append(events, to, toBlock?.hash ?? undefined);
      if (events.length > 0) for (const w of [...this.waiters]) w();
      from = to + 1;
    }
  }

  private async decodeAll(logs: Log[]): Promise<StoredEvent[]> {
    const sorted = [...logs].filter((l) => !l.removed).sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
    const times = new Map<number, number>();
    for (const n of new Set(sorted.map((l) => l.blockNumber))) {
      const b = await withRetry(() => this.provider.getBlock(n));
      if (!b) throw new Error(`block ${n} is not available from the node`);
      times.set(n, b.timestamp);
    }
    const out: StoredEvent[] = [];
    for (const l of sorted) {
      const body = decodeLog(l);
      if (!body) continue;
      out.push({ cursor: logCursor(l.blockNumber, l.index), block: l.blockNumber, logIndex: l.index, time: times.get(l.blockNumber)!, tx: l.transactionHash, body });
    }
    return out;
  }

  /** Wakes the poller now (after a transaction of ours, for example). */
  kick(): void {
    if (this.wake) this.wake();
    else this.kicked = true;
  }

  /** Resolves once a poll that started after this call has finished: every mined event is stored. */
  sync(): Promise<void> {
    if (this.closed) return Promise.reject(new ConnectorError("Unavailable", "the ethereum network is closed"));
    return new Promise((resolve, reject) => {
      this.syncWaiters.push({ gen: this.pollsStarted + 1, resolve, reject });
      this.kick();
    });
  }

  /** Events after `cursor` from the stored log, then live ones as the poller stores them. */
  async *events(cursor?: string, signal?: AbortSignal): AsyncGenerator<ChainEvent> {
    let after: string;
    try {
      after = parseCursor(cursor);
    } catch (e) {
      throw new ConnectorError("BadInput", (e as Error).message);
    }
    const log = await this.eventLog();
    while (!this.closed && !signal?.aborted) {
      const batch = log.after(after, 500);
      if (batch.length > 0) {
        for (const e of batch) {
          after = e.cursor;
          yield e;
          if (this.closed || signal?.aborted) return;
        }
        continue;
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          signal?.removeEventListener("abort", done);
          this.waiters.delete(done);
          resolve();
        };
        this.waiters.add(done);
        signal?.addEventListener("abort", done, { once: true });
      });
    }
  }

  /**
   * A task's events of one type, in log order: the stored log up to the block it has read, then
   * the chain for the blocks after it (current even while the poller lags). Members and
   * contributions are only in these events (TaskManager does not store them).
   */
  async taskEvents(taskId: number, type: "ContributionSubmitted" | "MemberJoined"): Promise<ChainEventBody[]> {
    const log = await this.eventLog();
    const stored = log.lastBlock();
    const out: ChainEventBody[] = log.ofTask(taskId, type);
    const tm = this.tasks;
    const filter = type === "MemberJoined" ? tm.filters.MemberJoined(taskId) : tm.filters.ContributionSubmitted(taskId);
    const logs = await withRetry(() => tm.queryFilter(filter, Math.max(stored + 1, this.fromBlock), "latest"));
    for (const l of [...logs].sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index)) {
      const e = decodeLog(l);
      if (e?.type === type) out.push(e);
    }
    return out;
  }

  /**
   * Every stored event that publishes a blob. A hash not found yet is looked up again after one
   * poll, so a contribution mined a moment ago is not refused for the poller's lag.
   */
  async blobRefs(hash: string): Promise<BlobRef[]> {
    const h = hash.toLowerCase();
    if (!/^0x[0-9a-f]{64}$/.test(h) || h === ZeroHash) return [];
    const log = await this.eventLog();
    let evs = log.blobEvents(h);
    if (evs.length === 0) {
      await this.sync();
      evs = log.blobEvents(h);
    }
    const out: BlobRef[] = [];
    for (const e of evs) {
      if (e.type === "TaskCreated") out.push({ type: "spec", taskId: e.taskId });
      else if (e.type === "ContributionSubmitted") out.push({ type: "contribution", taskId: e.taskId, round: e.round, phase: e.phase, member: getAddress(e.member) });
      else if (e.type === "RoundFinalized") out.push({ type: "result", taskId: e.taskId, round: e.round });
    }
    return out;
  }

  /** The event log's database, which also keeps the idempotency keys of task creation. */
  async keyStore(): Promise<EventLog> {
    return this.eventLog();
  }

  /** One createTask per (requester, key) at a time in this process. */
  readonly creating = new Map<string, Promise<TxReceipt & { taskId: number }>>();

  async recordHeartbeat(address: string): Promise<void> {
    const registered = await withRetry(() => this.nodes.isRegistered(address));
    if (!registered) fail("NotRegistered", `${address} is not registered; register before sending heartbeats`);
    (await this.eventLog()).recordHeartbeat(address, await this.now());
  }

  async lastHeartbeat(address: string): Promise<number> {
    return (await this.eventLog()).heartbeat(address);
  }

  /** Stops the poller, wakes every event stream and closes the database (and an owned provider). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.kick();
    for (const w of [...this.waiters]) w();
    for (const w of this.syncWaiters.splice(0)) w.reject(new ConnectorError("Unavailable", "the ethereum network is closed"));
    await this.loop;
    this.log?.close();
    if (this.ownProvider) this.provider.destroy();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

/** One party (wallet) on an EthereumNetwork. */
export class EthereumConnector implements Connector {
  readonly mode = "ethereum" as const;
  private readonly nodes: NodeRegistry;
  private readonly data: DataRegistry;
  private readonly tasks: TaskManager;
  private readonly taskCache = new Map<number, { verification: number; kind: string }>();

  constructor(
    readonly network: EthereumNetwork,
    private readonly sender: TxSender,
  ) {
    this.nodes = network.nodes;
    this.data = network.data;
    this.tasks = network.tasks;
  }

  get wallet(): Wallet {
    return this.sender.wallet;
  }

  async address(): Promise<string> {
    return this.sender.wallet.address;
  }

  async bindingDomain(): Promise<BindingDomain> {
    return { taskManager: this.network.addresses.taskManager, chainId: (await this.network.getChainId()).toString() };
  }

  private open(): void {
    if (this.network.isClosed) fail("Unavailable", "the ethereum network is closed");
  }

  /** Sends a prepared call and maps reverts to ConnectorErrors. */
  private async send(prepare: () => Promise<{ to: string; data: string }>): Promise<TransactionReceipt> {
    this.open();
    try {
      const req = await prepare();
      const receipt = await this.sender.send(req);
      this.network.kick();
      return receipt;
    } catch (e) {
      throw toConnectorError(e);
    }
  }

  private async read<T>(fn: () => Promise<T>): Promise<T> {
    this.open();
    try {
      return await withRetry(fn);
    } catch (e) {
      throw toConnectorError(e);
    }
  }

  private receipt(r: TransactionReceipt): TxReceipt {
    return { txHash: r.hash, gasUsed: Number(r.gasUsed) };
  }

  private eventIn(r: TransactionReceipt, type: string) {
    for (const l of r.logs) {
      const e = decodeLog(l);
      if (e?.type === type) return e;
    }
    throw new Error(`transaction ${r.hash} emitted no ${type} event`);
  }

  // ---------------------------------------------------------------- nodes

  async registerNode(info: NodeInfo): Promise<TxReceipt> {
    const i = checkNodeInfo(info);
    return this.receipt(await this.send(() => this.nodes.register.populateTransaction(i.endpoint, i.x25519, i.roles, i.capacity)));
  }

  async updateNode(info: NodeInfo): Promise<TxReceipt> {
    const i = checkNodeInfo(info);
    return this.receipt(await this.send(() => this.nodes.update.populateTransaction(i.endpoint, i.x25519, i.roles, i.capacity)));
  }

  async leaveNode(): Promise<TxReceipt> {
    return this.receipt(await this.send(() => this.nodes.leave.populateTransaction()));
  }

  async heartbeat(): Promise<void> {
    this.open();
    try {
      await this.network.recordHeartbeat(this.sender.wallet.address);
    } catch (e) {
      throw toConnectorError(e);
    }
  }

  private async nodeRecord(address: string, n: NodeRegistry.NodeStructOutput, now: number): Promise<NodeRecord> {
    const lastActive = Number(await withRetry(() => this.tasks.lastActive(address)));
    const seen = Math.max(lastActive, await this.network.lastHeartbeat(address));
    return {
      address,
      endpoint: n.endpoint,
      x25519: n.x25519.toLowerCase(),
      roles: Number(n.roles),
      capacity: Number(n.capacity),
      registeredAt: Number(n.registeredAt),
      lastActive,
      active: seen > 0 && now - seen <= this.network.livenessSeconds,
    };
  }

  async getNode(address: string): Promise<NodeRecord | null> {
    const a = addr(address, "address");
    return this.read(async () => {
      const n = await this.nodes.getNode(a);
      if (n.registeredAt === 0n) return null;
      return this.nodeRecord(a, n, await this.network.now());
    });
  }

  async listNodes(offset = 0, limit = 100): Promise<NodeRecord[]> {
    uint(offset, "offset");
    uint(limit, "limit", 1);
    return this.read(async () => {
      const [addrs, records] = await this.nodes.listNodes(offset, Math.min(limit, 1000));
      const now = await this.network.now();
      return Promise.all(addrs.map((a, i) => this.nodeRecord(getAddress(a), records[i], now)));
    });
  }

  // ---------------------------------------------------------------- datasets

  async commitDataset(name: string, c: DatasetCommitment): Promise<TxReceipt & { version: number }> {
    checkDatasetName(name);
    if (!c || typeof c !== "object") fail("BadInput", "commitment must be an object {root, rows, columns, schemaHash}");
    const root = b32(c.root, "root");
    if (root === ZeroHash) fail("BadInput", "root must not be zero");
    const rows = uint(c.rows, "rows", 1);
    const columns = uint(c.columns, "columns", 1, U32);
    const schemaHash = b32(c.schemaHash, "schemaHash");
    const r = await this.send(() => this.data.commit.populateTransaction(datasetKey(name), root, rows, columns, schemaHash));
    const e = this.eventIn(r, "DatasetCommitted") as { version: number };
    return { ...this.receipt(r), version: e.version };
  }

  async getDataset(owner: string, name: string, version?: number): Promise<DatasetRecord | null> {
    const o = addr(owner, "owner");
    checkDatasetName(name);
    if (version !== undefined) uint(version, "version", 1, U32);
    const id = datasetKey(name);
    return this.read(async () => {
      const v = version ?? Number(await this.data.latestVersion(o, id));
      if (v === 0) return null;
      const d = await this.data.getDataset(o, id, v);
      if (d.committedAt === 0n) return null;
      return {
        owner: o,
        datasetId: id,
        version: v,
        root: d.root.toLowerCase(),
        rows: Number(d.rows),
        columns: Number(d.columns),
        schemaHash: d.schemaHash.toLowerCase(),
        committedAt: Number(d.committedAt),
      };
    });
  }

  // ---------------------------------------------------------------- tasks

  /**
   * Idempotent when given a key: the connector keeps key → task in its SQLite file (the event
   * log's), written as "pending" before the transaction is sent. A retry finds the task there; a
   * retry after a crash between sending and recording finds the TaskCreated of the pending spec
   * hash in the chain's log; concurrent retries in this process wait for the first.
   */
  async createTask(input: TaskSpec, opts: CreateTaskOptions = {}): Promise<TxReceipt & { taskId: number }> {
    this.open();
    const key = checkIdempotencyKey(opts.idempotencyKey);
    if (!key) return this.createOnce(input);
    const me = this.sender.wallet.address;
    const slot = `${me}:${key}`;
    const running = this.network.creating.get(slot);
    if (running) return running;
    const p = this.createKeyed(input, me, key).finally(() => this.network.creating.delete(slot));
    this.network.creating.set(slot, p);
    return p;
  }

  private async createKeyed(input: TaskSpec, me: string, key: string): Promise<TxReceipt & { taskId: number }> {
    const inputHash = specInputHash(input);
    const store = await this.network.keyStore();
    const row = store.taskKey(me, key);
    if (row) {
      if (row.inputHash !== inputHash) fail("BadInput", `idempotencyKey ${key} was already used for another spec; use a new key for a new task`);
      if (row.taskId !== null) return { taskId: row.taskId, txHash: row.tx ?? "" };
      await this.network.sync();
      const found = store.taskCreated(me, row.specHash);
      if (found) {
        store.setTaskKeyResult(me, key, found.taskId, found.tx);
        return { taskId: found.taskId, txHash: found.tx };
      }
    }
    const made = await this.createOnce(input, (specHash) => store.putTaskKey(me, key, inputHash, specHash));
    store.setTaskKeyResult(me, key, made.taskId, made.txHash);
    return made;
  }

  private async createOnce(input: TaskSpec, beforeSend?: (specHash: string) => void): Promise<TxReceipt & { taskId: number }> {
    const spec = checkTaskSpec(input, this.sender.wallet.address);
    // The spec blob goes first: a failure after it leaves an unreferenced blob, never a task without its spec.
    const hash = await this.network.blobs.put(specBytes(spec));
    if (hash !== specHash(spec)) throw new Error("spec blob hash differs from specHash: canonical encoding changed");
    beforeSend?.(hash);
    // The member list goes on-chain before the task exists: once createTask opens round 1's Join,
    // any Worker could otherwise take a seat first. A retry finds the list already fixed.
    const allowed = allowedMembers(spec);
    if (allowed && !(await this.read(() => this.tasks.isRestricted(this.sender.wallet.address, hash))))
      await this.send(() => this.tasks.restrictMembers.populateTransaction(hash, [...allowed]));
    const r = await this.send(() => this.tasks.createTask.populateTransaction(...createTaskArgs(spec, hash)));
    const e = this.eventIn(r, "TaskCreated") as { taskId: number };
    return { ...this.receipt(r), taskId: e.taskId };
  }

  /** The task struct, or null for an unknown id. */
  private async rawTask(taskId: number): Promise<TaskManager.TaskStructOutput | null> {
    try {
      return await withRetry(() => this.tasks.getTask(taskId));
    } catch (e) {
      if (decodeRevert(e)?.name === "UnknownTask") return null;
      throw toConnectorError(e);
    }
  }

  async getTask(taskId: number): Promise<TaskRecord | null> {
    uint(taskId, "taskId");
    this.open();
    const t = await this.rawTask(taskId);
    if (!t) return null;
    return {
      taskId,
      requester: getAddress(t.requester),
      kind: t.kind.toLowerCase(),
      specHash: t.specHash.toLowerCase(),
      rounds: Number(t.rounds),
      currentRound: Number(t.currentRound),
      closed: t.closed,
    };
  }

  async getTaskSpec(taskId: number): Promise<TaskSpec | null> {
    const t = await this.getTask(taskId);
    if (!t) return null;
    // Checked against the on-chain spec hash here (a spec is small): the store skips that check on reads.
    const bytes = await this.network.blobs.get(t.specHash);
    if (blobHash(bytes) !== t.specHash.toLowerCase())
      throw new ConnectorError("BlobHashMismatch", `the spec blob of task ${taskId} does not match its on-chain hash ${t.specHash}`);
    return JSON.parse(new TextDecoder().decode(bytes)) as TaskSpec;
  }

  async startRound(taskId: number): Promise<TxReceipt & { round: number }> {
    uint(taskId, "taskId");
    const r = await this.send(() => this.tasks.startRound.populateTransaction(taskId));
    const e = this.eventIn(r, "RoundStarted") as { round: number };
    return { ...this.receipt(r), round: e.round };
  }

  async getRound(taskId: number, round: number): Promise<RoundRecord | null> {
    uint(taskId, "taskId");
    uint(round, "round", 0, U32);
    this.open();
    let r: TaskManager.RoundStructOutput;
    try {
      r = await withRetry(() => this.tasks.getRound(taskId, round));
    } catch (e) {
      const name = decodeRevert(e)?.name;
      if (name === "UnknownTask" || name === "UnknownRound") return null;
      throw toConnectorError(e);
    }
    const joined = Number(r.joined);
    // TaskManager keeps members in MemberJoined events only (join order = log order).
    const members: string[] = [];
    if (joined > 0) {
      for (const e of await this.read(() => this.network.taskEvents(taskId, "MemberJoined")))
        if (e.type === "MemberJoined" && e.round === round) members.push(getAddress(e.member));
    }
    const phase = Number(r.phase);
    return {
      taskId,
      round,
      phase,
      deadline: Number(r.deadline),
      joined,
      active: Number(r.active),
      submitted: SUBMISSION.has(phase) ? Number(r.submitted) : 0,
      resultHash: r.resultHash.toLowerCase(),
      members,
    };
  }

  async joinRound(taskId: number, round: number, memberKey: string): Promise<TxReceipt> {
    uint(taskId, "taskId");
    uint(round, "round", 0, U32);
    const key = b32(memberKey, "memberKey");
    return this.receipt(await this.send(() => this.tasks.joinRound.populateTransaction(taskId, round, key)));
  }

  private async taskInfo(taskId: number): Promise<{ verification: number; kind: string } | null> {
    const hit = this.taskCache.get(taskId);
    if (hit) return hit;
    const t = await this.rawTask(taskId);
    if (!t) return null;
    const info = { verification: Number(t.verification), kind: t.kind.toLowerCase() };
    this.taskCache.set(taskId, info);
    return info;
  }

  async submit(taskId: number, round: number, blobHash: string, commitment: string, proof?: Groth16Proof): Promise<TxReceipt> {
    uint(taskId, "taskId");
    uint(round, "round", 0, U32);
    const blob = b32(blobHash, "blobHash");
    const comm = b32(commitment, "commitment");
    this.open();
    const info = await this.taskInfo(taskId);
    let proofBytes = "0x";
    if (info && info.verification === Verification.OnChain && proof) proofBytes = encodeProof(proof);
    if (info && info.verification === Verification.OffChain) await this.checkOffChain(taskId, round, proof);
    return this.receipt(await this.send(() => this.tasks.submit.populateTransaction(taskId, round, blob, comm, proofBytes)));
  }

  /**
   * An "offchain" task is proven with UltraHonk: its group proofs travel in the payload, the
   * commitment is the root of their list, and the requester verifies every proof. The connector
   * checks no proof; it refuses a Groth16 proof sent with a Compute submission rather than let a
   * client believe it was checked (proofcheck.honkSubmission).
   */
  private async checkOffChain(taskId: number, round: number, proof?: Groth16Proof): Promise<void> {
    const r = await this.getRound(taskId, round);
    if (!r || r.phase !== Phase.Compute) return; // the contract reports the right error for other phases
    honkSubmission({ verification: "offchain" }, proof);
  }

  async getContributions(taskId: number, round: number, phase: number): Promise<ContributionRecord[]> {
    uint(taskId, "taskId");
    uint(round, "round", 0, U32);
    uint(phase, "phase", 0, 255);
    return this.read(async () => {
      // Submission order comes from the logs: the stored log up to the block it has read, then
      // the chain for the blocks after it (so the answer is current even while the poller lags).
      const events = await this.network.taskEvents(taskId, "ContributionSubmitted");
      const out: ContributionRecord[] = [];
      for (const e of events) {
        if (e.type !== "ContributionSubmitted" || e.round !== round || e.phase !== phase) continue;
        out.push({ taskId, round, phase, member: e.member, blobHash: e.blobHash, commitment: e.commitment });
      }
      return out;
    });
  }

  async advance(taskId: number, round: number): Promise<TxReceipt> {
    uint(taskId, "taskId");
    uint(round, "round", 0, U32);
    return this.receipt(await this.send(() => this.tasks.advance.populateTransaction(taskId, round)));
  }

  async finalizeRound(taskId: number, round: number, resultHash: string): Promise<TxReceipt> {
    uint(taskId, "taskId");
    uint(round, "round", 0, U32);
    const result = b32(resultHash, "resultHash");
    return this.receipt(await this.send(() => this.tasks.finalizeRound.populateTransaction(taskId, round, result)));
  }

  async closeTask(taskId: number, reason: string): Promise<TxReceipt> {
    uint(taskId, "taskId");
    checkCloseReason(reason);
    return this.receipt(await this.send(() => this.tasks.closeTask.populateTransaction(taskId, reason)));
  }

  async report(taskId: number, round: number, status: MemberReportStatus, reason: string): Promise<TxReceipt> {
    uint(taskId, "taskId");
    uint(round, "round", 0, U32);
    checkReport(status, reason);
    return this.receipt(await this.send(() => this.tasks.report.populateTransaction(taskId, round, REPORT_STATUS[status], reason)));
  }

  async challenge(taskId: number, round: number, member: string, entry: ProofListChallenge): Promise<TxReceipt> {
    uint(taskId, "taskId");
    uint(round, "round", 0, U32);
    checkChallenge(member, entry);
    const at = this.network.addresses.chunkAudit;
    if (!at) fail("BadInput", "this deployment has no ChunkAudit (addresses.chunkAudit): redeploy with the deploy script to challenge proof lists on-chain");
    const audit = ChunkAudit__factory.connect(at, this.network.provider);
    return this.receipt(
      await this.send(() => audit.challengeTask.populateTransaction(taskId, round, getAddress(member), entry.index, entry.publicInputs, entry.proof, entry.path)),
    );
  }

  // ---------------------------------------------------------------- blobs and events

  async putBlob(bytes: Uint8Array, knownHash?: string): Promise<string> {
    this.open();
    return this.network.blobs.put(bytes, knownHash);
  }

  async getBlob(hash: string): Promise<Uint8Array> {
    this.open();
    return this.network.blobs.get(hash);
  }

  events(cursor?: string, signal?: AbortSignal): AsyncIterable<ChainEvent> {
    return this.network.events(cursor, signal);
  }

  /** The network outlives its parties: closing one view closes nothing. */
  async close(): Promise<void> {}
}

/**
 * A single party's connector with a network of its own (for a node that talks to the chain
 * directly): closing the connector closes its network.
 */
export function connectEthereum(opts: EthereumNetworkOptions & { privateKey: string }): Connector {
  const network = new EthereumNetwork(opts);
  const inner = network.as(opts.privateKey);
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === "close") return () => network.close();
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? (v as (...args: unknown[]) => unknown).bind(target) : v;
    },
  });
}
