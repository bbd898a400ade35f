import assert from "node:assert/strict";
import { accessSync, constants } from "node:fs";
import { encodeNpy } from "../../node/src/data/npy.js";
import type { Table } from "../../node/src/data/table.js";
import type { RunningNode } from "../../node/src/index.js";
import { irisTables, linregTables, logregTables } from "./reference.js";
import { nodeHarness, wallets, type NodeHarness } from "../node/harness.js";

/** Owner i's datasets for every federated kind: iris, linear and logistic data (NPY files). */
export async function ownerDatasets(file: (name: string, b: Uint8Array) => Promise<string>, name: string, i: number, parts = 3) {
  const tables: Record<string, Table> = { iris: irisTables(parts)[i], lin: linregTables(parts)[i], log: logregTables(parts)[i] };
  const datasets = [];
  for (const [ds, t] of Object.entries(tables)) datasets.push({ name: ds, path: await file(`${name}-${ds}.npy`, encodeNpy(t.rows)), format: "npy" as const, columns: t.columns });
  return { datasets, tables };
}

/**
 * The federated network most coordinator-mode tests use: owners o0..o2 holding the reference
 * datasets (iris, lin, log; their tables by name, one per owner) and a requester R, all over one
 * node harness; `owner` adds config to every owner (a policy, say).
 */
export async function ownersAndRequester(owner: Parameters<NodeHarness["node"]>[2] = {}) {
  preferRamDisk();
  const h = await nodeHarness();
  const ws = wallets(4);
  const owners: RunningNode[] = [];
  const tables: Record<string, Table[]> = {};
  for (let i = 0; i < 3; i++) {
    const d = await ownerDatasets((n, b) => h.file(n, b), `o${i}`, i);
    for (const [k, t] of Object.entries(d.tables)) (tables[k] ??= []).push(t);
    owners.push(await h.node(`o${i}`, ws[i], { datasets: d.datasets, ...owner }));
  }
  const R = await h.node("R", ws[3], { roles: ["Requester"] });
  return { h, ws, owners, R, tables };
}

/** Resolves with the task's final round (done, or the last allowed) once the requester recorded it; rejects if a round failed. */
export async function finalResult<T>(R: RunningNode, taskId: number, rounds: number): Promise<{ result: T; round: number }> {
  let final = 0;
  let failed: string | undefined;
  // Rounds before `from` are done and not final (a terminal state): not read again on every event,
  // which made a many-round task's wait quadratic in its rounds.
  let from = 1;
  await R.runtime.when(() => {
    for (let r = from; r <= rounds; r++) {
      const s = R.store.getRound(taskId, r, "requester");
      if (!s) return false;
      if (s.status === "failed") {
        failed = `round ${r}: ${s.error}`;
        return true;
      }
      const res = R.store.getResult(taskId, r);
      if (s.status === "done" && res && (res.done || r === rounds)) {
        final = r;
        return true;
      }
      if (s.status === "done" && res && from === r) from = r + 1;
    }
    return false;
  });
  assert.equal(failed, undefined, failed);
  return { result: R.store.getResult(taskId, final)!.result as T, round: final };
}

/**
 * Node stores and the coordinator fsync every transaction (synchronous = FULL). On a RAM disk
 * that costs nothing, so these many-round tests put their directories there when there is one.
 */
export function preferRamDisk(): void {
  try {
    accessSync("/dev/shm", constants.W_OK);
    process.env.TMPDIR = "/dev/shm";
  } catch {
    // No RAM disk: the OS temp directory works too, only slower.
  }
}

/** The coordinator's / connector's off-chain verifier for every federated kind's contribution circuit. */
export async function contributionVerifier() {
  const { zkKindVerifier } = await import("../../chain-connector/src/coordinator/zk.js");
  const { builtContributionCircuits } = await import("../../chain-connector/src/vkeys.js");
  return zkKindVerifier(builtContributionCircuits());
}

export interface ChainNet {
  chain: import("../../chain-connector/src/ethereum/devchain.js").DevChain;
  url: string;
  keys: string[];
  dir: string;
  /** The deployed contracts. */
  addresses: import("../../chain-connector/src/ethereum/deploy.js").ContractAddresses;
  /** Starts (or restarts, on the same data directory) a node against the chain's connector. */
  node(name: string, key: string, extra: Record<string, unknown>, opts?: import("../../node/src/index.js").StartNodeOptions): Promise<RunningNode>;
  stop(): Promise<void>;
}

/**
 * A Hardhat node with the three contracts, the ethereum connector behind the signed HTTP server
 * with a keyring of `parties` funded accounts, and nothing else (no keeper: tests advance
 * deadlines themselves). Accounts 1..parties; account 19 deploys.
 */
export async function chainNetwork(parties: number, opts: { verifiers?: boolean; honk?: string[] } = {}): Promise<ChainNet> {
  const { mkdtemp, rm } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  // eslint-disable-next-line @typescript-eslint/unbound-method -- node:path's functions do not use `this`
  const { join } = await import("node:path");
  const { startNode } = await import("../../node/src/index.js");
  const { createLogger } = await import("../../node/src/log.js");
  const { startDevChain } = await import("../../chain-connector/src/ethereum/devchain.js");
  const eth = await import("../../chain-connector/src/ethereum/index.js");
  const { KeyringNetwork } = await import("../../chain-connector/src/http/keyring.js");
  const { ConnectorServer } = await import("../../chain-connector/src/http/server.js");
  const dir = await mkdtemp(join(tmpdir(), "cm-federated-eth-"));
  const chain = await startDevChain();
  const { NonceManager } = await import("ethers");
  const deployer = new NonceManager(chain.signer(19));
  // opts.verifiers: each federated kind's Groth16 contribution verifier bound on-chain ("onchain" tasks).
  const bindings = opts.verifiers ? await eth.deployContributionVerifiers(deployer, { require: true }) : [];
  const addresses = await eth.deployContracts(deployer, bindings);
  // opts.honk: these kinds' UltraHonk verifiers bound in ChunkAudit ("offchain" proof lists can be challenged on-chain).
  if (opts.honk) await eth.deployHonkVerifiers(deployer, addresses.chunkAudit!, opts.honk);
  const keys = chain.accounts.slice(1, 1 + parties);
  const network = new eth.EthereumNetwork({ rpcUrl: chain.url, addresses, blobs: join(dir, "blobs"), dbPath: join(dir, "events.sqlite"), pollMs: 200 });
  const server = new ConnectorServer({ network: new KeyringNetwork(network, keys) });
  await server.start();
  const nodes = new Set<RunningNode>();
  return {
    chain,
    url: server.url,
    keys,
    dir,
    addresses,
    async node(name, key, extra, opts = {}) {
      const n = await startNode(
        { name, dataDir: join(dir, name), privateKey: key, connectorUrl: server.url, http: { port: 0 }, heartbeatSeconds: 0, logLevel: "silent", ...extra },
        { logger: createLogger(name, (process.env.CM_TEST_LOG as "info") ?? "silent"), ...opts },
      );
      nodes.add(n);
      const stop = n.stop.bind(n);
      n.stop = async () => {
        nodes.delete(n);
        await stop();
      };
      return n;
    },
    async stop() {
      for (const n of [...nodes]) await n.stop();
      await server.close();
      await network.close();
      await chain.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
