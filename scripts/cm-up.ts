/**
 * What `cm up` runs: a supervising process holding, in ethereum mode, a Hardhat node with the
 * contracts deployed, then the connector, the owner nodes `owner1…ownerN` (Owner and Requester:
 * an owner is the requester of its own outsourced tasks), the worker nodes `worker1…workerM`
 * (outsourced kinds compute there) and the node `requester`. It writes the profile (URLs, key files 0600, its own pid) once everything answers,
 * and stops everything on SIGTERM/SIGINT (`cm down`).
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { NonceManager, Wallet } from "ethers";
import { pino } from "pino";
import type { ConnectorMode } from "../chain-connector/src/connector.js";
import { startConnector, type RunningConnector } from "../chain-connector/src/http/serve.js";
import { deployContracts, deployContributionVerifiers } from "../chain-connector/src/ethereum/deploy.js";
import { startDevChain, type DevChain } from "../chain-connector/src/ethereum/devchain.js";
import { startNode, type RunningNode } from "../node/src/index.js";
import { saveProfile, writeKeyFile, type Profile } from "../node/src/sdk/profile.js";

export interface UpOptions {
  dir: string;
  mode: ConnectorMode;
  nodes: number;
  /** Worker nodes (default 1). */
  workers?: number;
}

export function nodeNames(n: number, workers = 1): string[] {
  return [...Array.from({ length: n }, (_, i) => `owner${i + 1}`), ...Array.from({ length: workers }, (_, i) => `worker${i + 1}`), "requester"];
}

export function rolesOf(name: string): Array<"Owner" | "Worker" | "Requester"> {
  if (name === "requester") return ["Requester"];
  if (name.startsWith("worker")) return ["Worker"];
  return ["Owner", "Requester"];
}

function keyOf(dir: string, name: string): { file: string; wallet: Wallet } {
  const file = join(dir, "keys", `${name}.key`);
  if (existsSync(file)) return { file, wallet: new Wallet(readFileSync(file, "utf8").trim()) };
  const wallet = new Wallet(Wallet.createRandom().privateKey);
  writeKeyFile(file, wallet.privateKey);
  return { file, wallet };
}

function fileLogger(dir: string, name: string) {
  return pino(
    { name, level: "info", base: { node: name }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: join(dir, "logs", `${name}.log`), mkdir: true, sync: true }),
  );
}

/** Starts everything, writes the profile, and resolves once stopped by a signal. */
export async function serveUp(o: UpOptions, say: (line: string) => void): Promise<void> {
  const dir = resolve(o.dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const names = nodeNames(o.nodes, o.workers ?? 1);
  const keys = Object.fromEntries(names.map((n) => [n, keyOf(dir, n)]));
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const s of stops.splice(0).reverse()) await s().catch((e: unknown) => say(`shutdown: ${String(e)}`));
  };
  try {
    let chain: DevChain | undefined;
    let connector: RunningConnector;
    let addresses: Record<string, string> | undefined;
    if (o.mode === "ethereum") {
      // A Hardhat node keeps its chain in memory: what the connector and nodes kept about an
      // earlier chain is void, so only the keys survive a restart in this mode.
      rmSync(join(dir, "nodes"), { recursive: true, force: true });
      rmSync(join(dir, "connector.sqlite"), { force: true });
      chain = await startDevChain();
      stops.push(() => chain!.stop());
      say(`hardhat node on ${chain.url}`);
      const deployer = new NonceManager(chain.signer(0));
      const a = await deployContracts(deployer, await deployContributionVerifiers(deployer));
      addresses = Object.fromEntries(Object.entries(a).map(([k, v]) => [k, String(v)]));
      say(`contracts deployed: TaskManager ${a.taskManager}`);
      await chain.fund(names.map((n) => keys[n].wallet.address));
      connector = await startConnector({
        mode: "ethereum",
        rpc: chain.url,
        addresses: a,
        keys: names.map((n) => keys[n].wallet.privateKey),
        blobs: join(dir, "blobs"),
        db: join(dir, "connector.sqlite"),
      });
    } else {
      connector = await startConnector({ mode: "coordinator", db: join(dir, "connector.sqlite"), blobs: join(dir, "blobs") });
    }
    stops.push(() => connector.close());
    say(`connector (${o.mode}) on ${connector.url}`);

    const nodes: Record<string, RunningNode> = {};
    for (const name of names) {
      const node = await startNode(
        {
          name,
          dataDir: join(dir, "nodes", name),
          privateKey: keys[name].wallet.privateKey,
          connectorUrl: connector.url,
          roles: rolesOf(name),
          http: { port: 0 },
          logLevel: "info",
        },
        { logger: fileLogger(dir, name) },
      );
      stops.push(() => node.stop());
      nodes[name] = node;
      // The worker manager picks only workers the registry reports active: announce at once
      // instead of after the first heartbeat interval.
      if (name.startsWith("worker")) await node.connector.heartbeat();
      say(`node ${name} on ${node.url} (${node.address})`);
    }
    const profile: Profile = {
      version: 1,
      mode: o.mode,
      connectorUrl: connector.url,
      requester: "requester",
      nodes: Object.fromEntries(names.map((n) => [n, { url: nodes[n].url, address: nodes[n].address, roles: rolesOf(n), keyFile: `keys/${n}.key` }])),
      pid: process.pid,
      startedAt: Date.now(),
      ...(chain ? { rpc: chain.url, addresses } : {}),
    };
    saveProfile(join(dir, "profile.json"), profile);
    say(`profile ${join(dir, "profile.json")}`);
    await new Promise<void>((done) => {
      process.once("SIGTERM", done);
      process.once("SIGINT", done);
    });
    say("stopping");
  } finally {
    await stopAll();
  }
}
