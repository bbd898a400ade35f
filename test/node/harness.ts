import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Wallet } from "ethers";
import { Phase } from "../../protocol/src/phases.js";
import { CoordinatorNetwork, ManualClock, type KindVerifier } from "../../chain-connector/src/coordinator/index.js";
import { ConnectorServer } from "../../chain-connector/src/http/server.js";
import { startNode, type RunningNode, type StartNodeOptions } from "../../node/src/index.js";
import type { NodeConfigInput } from "../../node/src/config.js";
import { createLogger } from "../../node/src/log.js";

/**
 * A coordinator network served over real HTTP on a free port, with a manual clock, plus helpers
 * to start nodes against it (each node talks to it through its own signed ConnectorClient).
 */
export interface NodeHarness {
  dir: string;
  clock: ManualClock;
  network: CoordinatorNetwork;
  url: string;
  /** Starts a node with a fresh (or, passing `name` again, the same) data directory. */
  node(name: string, wallet: Wallet, extra?: Partial<NodeConfigInput>, opts?: StartNodeOptions): Promise<RunningNode>;
  file(name: string, text: string | Uint8Array): Promise<string>;
  /** Stops the connector (server and network) and reopens it on the same state file and port. */
  restartConnector(): Promise<void>;
  stop(): Promise<void>;
}

export async function nodeHarness(opts: { verifier?: KindVerifier } = {}): Promise<NodeHarness> {
  const dir = await mkdtemp(join(tmpdir(), "cm-node-"));
  const clock = new ManualClock(1_900_000_000);
  const open = () => new CoordinatorNetwork({ db: join(dir, "coordinator.sqlite"), blobs: join(dir, "coordinator-blobs"), clock, verifier: opts.verifier });
  let network = open();
  // The test kinds' members read each other's Setup and Compute contributions (runtime.test.ts).
  const memberReads = { "test-phases": { [Phase.Setup]: "round", [Phase.Compute]: "round" } } as const;
  const state = join(dir, "coordinator.auth.sqlite");
  let server = new ConnectorServer({ network, memberReads, state });
  await server.start();
  const url = server.url;
  const nodes = new Set<RunningNode>();
  return {
    dir,
    clock,
    get network() {
      return network;
    },
    url,
    async node(name, wallet, extra = {}, opts = {}) {
      const n = await startNode(
        {
          name,
          dataDir: join(dir, name),
          privateKey: wallet.privateKey,
          connectorUrl: url,
          http: { port: 0 },
          heartbeatSeconds: 0,
          logLevel: "silent",
          ...extra,
        },
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
    async file(name, text) {
      const p = join(dir, name);
      await writeFile(p, text);
      return p;
    },
    async restartConnector() {
      await server.close();
      await network.close();
      network = open();
      server = new ConnectorServer({ network, memberReads, state, port: Number(new URL(url).port) });
      await server.start();
    },
    async stop() {
      for (const n of [...nodes]) await n.stop();
      await server.close();
      await network.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function wallets(n: number): Wallet[] {
  return Array.from({ length: n }, () => Wallet.createRandom() as unknown as Wallet);
}
