import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { JsonRpcProvider, Wallet } from "ethers";
import { ConnectorServer } from "../../chain-connector/src/http/server.js";
import { ConnectorClient } from "../../chain-connector/src/http/client.js";
import { KeyringNetwork } from "../../chain-connector/src/http/keyring.js";
import { Keeper } from "../../chain-connector/src/keeper.js";
import type { ModeHarness } from "./modes.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Ethereum mode harness factories: present once the ethereum connector and its bindings are built. */
export async function availableModes(): Promise<(() => Promise<ModeHarness>)[]> {
  const ready =
    existsSync(join(ROOT, "chain-connector/src/ethereum/network.ts")) &&
    existsSync(join(ROOT, "types/ethers-contracts/index.ts")) &&
    existsSync(join(ROOT, "test/helpers/hardhat.ts"));
  return ready ? [ethereumMode] : [];
}

/**
 * A real `hardhat node`, the three contracts deployed, EthereumNetwork behind the signed HTTP
 * server with a keyring of funded accounts, and a Keeper advancing deadlines. Time travel is
 * evm_setNextBlockTimestamp + evm_mine, after which the keeper re-reads the chain clock.
 */
export async function ethereumMode(parties = 8): Promise<ModeHarness> {
  const { startHardhatNode } = await import("../helpers/hardhat.js");
  const eth = await import("../../chain-connector/src/ethereum/index.js");
  const chain = await startHardhatNode();
  const rpc = new JsonRpcProvider(chain.url, undefined, { staticNetwork: true });
  const dir = await mkdtemp(join(tmpdir(), "cm-eth-"));
  try {
    const addresses = await eth.deployContracts(new Wallet(chain.accounts[19], rpc));
    const keys = chain.accounts.slice(0, parties);
    const wallets = keys.map((k) => new Wallet(k));
    const db = join(dir, "events.sqlite");
    const blobs = join(dir, "blobs");
    const open = async (port?: number) => {
      const network = new eth.EthereumNetwork({ rpcUrl: chain.url, addresses, blobs, dbPath: db, pollMs: 200 });
      // The server's nonces and blob records live in a file, as startConnector keeps them: a restart keeps them.
      const server = new ConnectorServer({ network: new KeyringNetwork(network, keys), port, state: join(dir, "events.auth.sqlite") });
      await server.start();
      return { network, server };
    };
    let { network, server } = await open();
    const port = Number(new URL(server.url).port);
    const startKeeper = async (cursor?: string) => {
      const k = new Keeper({ connector: network.as(keys[parties - 1]), chainNow: () => network.now(), cursor, onError: (e) => console.error("keeper:", e) });
      await k.start();
      return k;
    };
    let keeper = await startKeeper();
    const travelTo = async (t: number) => {
      const latest = (await rpc.getBlock("latest"))!.timestamp;
      if (latest >= t) return;
      await rpc.send("evm_setNextBlockTimestamp", [t]);
      await rpc.send("evm_mine", []);
      await keeper.recheck();
    };
    return {
      name: "ethereum",
      url: () => server.url,
      wallets,
      client: (w) => new ConnectorClient({ url: server.url, signer: w, mode: "ethereum", reconnectMs: 50 }),
      passDeadline: (deadline) => travelTo(deadline + 1),
      async travel(seconds) {
        await travelTo((await rpc.getBlock("latest"))!.timestamp + seconds);
      },
      async restart() {
        const cursor = keeper.cursor();
        await keeper.stop();
        await server.close();
        await network.close();
        ({ network, server } = await open(port));
        keeper = await startKeeper(cursor);
      },
      async stop() {
        await keeper.stop();
        await server.close();
        await network.close();
        rpc.destroy();
        await chain.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rpc.destroy();
    await chain.stop();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}
