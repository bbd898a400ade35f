import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Wallet } from "ethers";
import { CoordinatorNetwork, ManualClock } from "../../chain-connector/src/coordinator/index.js";
import { ConnectorServer } from "../../chain-connector/src/http/server.js";
import { ConnectorClient } from "../../chain-connector/src/http/client.js";

/**
 * One connector deployment under test, reached only through the HTTP server and the typed
 * client. Scenarios use nothing else, so the same scenario runs unchanged in every mode.
 */
export interface ModeHarness {
  readonly name: "coordinator" | "ethereum";
  url(): string;
  /** Keys the parties sign with (in ethereum mode: funded accounts the server holds keys for). */
  readonly wallets: Wallet[];
  /** A signed-in client for a wallet. */
  client(w: Wallet): ConnectorClient;
  /** Moves the network's clock so that `deadline` has passed; deadline drivers see it at once. */
  passDeadline(deadline: number): Promise<void>;
  /** Moves the network's clock forward by `seconds`. */
  travel(seconds: number): Promise<void>;
  /** Stops the server and the network, then reopens both on the same state files and port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Coordinator mode: SQLite file + blob directory, a manual clock, real HTTP on a free port. */
export async function coordinatorMode(parties = 8): Promise<ModeHarness> {
  const dir = await mkdtemp(join(tmpdir(), "cm-coord-"));
  const clock = new ManualClock(1_900_000_000);
  const db = join(dir, "state.sqlite");
  const blobs = join(dir, "blobs");
  let network = new CoordinatorNetwork({ db, blobs, clock });
  const state = join(dir, "state.auth.sqlite");
  let server = new ConnectorServer({ network, state });
  await server.start();
  const port = Number(new URL(server.url).port);
  const wallets = Array.from({ length: parties }, () => Wallet.createRandom() as unknown as Wallet);
  return {
    name: "coordinator",
    url: () => server.url,
    wallets,
    client: (w) => new ConnectorClient({ url: server.url, signer: w, mode: "coordinator", reconnectMs: 50 }),
    async passDeadline(deadline) {
      if (clock.now() <= deadline) clock.set(deadline + 1);
    },
    async travel(seconds) {
      clock.advance(seconds);
    },
    async restart() {
      await server.close();
      await network.close();
      network = new CoordinatorNetwork({ db, blobs, clock });
      server = new ConnectorServer({ network, port, state });
      await server.start();
    },
    async stop() {
      await server.close();
      await network.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
