import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { HDNodeWallet, JsonRpcProvider, Mnemonic, NonceManager, parseEther, Wallet } from "ethers";

/**
 * A local development chain: `hardhat node` started for real on 127.0.0.1, for the demo, the bench
 * and the tests. Not for production: its accounts come from Hardhat's public mnemonic.
 */

/** Hardhat's built-in development mnemonic: its node funds the first 20 accounts derived from it. */
export const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

export interface DevChain {
  url: string;
  port: number;
  /** Private keys of the 20 funded accounts (Hardhat's defaults). */
  accounts: string[];
  provider: JsonRpcProvider;
  /** A nonce-managed signer for funded account `i`. */
  signer(i: number): NonceManager;
  /** Sends `ether` (default 100) from account 0 to each address. */
  fund(addresses: string[], ether?: string): Promise<void>;
  /** Moves chain time forward and mines a block, so the next transaction sees the new time. */
  increaseTime(seconds: number): Promise<void>;
  stop(): Promise<void>;
}

/** The 20 default accounts: m/44'/60'/0'/0/i of the development mnemonic. */
export function hardhatAccounts(count = 20): string[] {
  const m = Mnemonic.fromPhrase(HARDHAT_MNEMONIC);
  return Array.from({ length: count }, (_, i) => HDNodeWallet.fromMnemonic(m, `m/44'/60'/0'/0/${i}`).privateKey);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

// A chain left running would outlive the process that started it (tests, demo, bench), so every
// chain started here is killed when this process exits or is interrupted.
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function trackChild(child: ChildProcess): void {
  running.add(child);
  child.once("exit", () => running.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = () => {
    for (const c of running) c.kill("SIGKILL");
  };
  process.once("exit", killAll);
  for (const sig of ["SIGINT", "SIGTERM"] as const)
    process.once(sig, () => {
      killAll();
      process.kill(process.pid, sig);
    });
}

/**
 * Starts `hardhat node` on a free 127.0.0.1 port (this Node binary running Hardhat's CLI directly,
 * so stop() ends exactly the process it started) and waits until it answers RPC.
 */
export async function startDevChain(): Promise<DevChain> {
  const require = createRequire(import.meta.url);
  const cli = join(dirname(require.resolve("hardhat/package.json")), "dist", "src", "cli.js");
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn(process.execPath, [cli, "node", "--hostname", "127.0.0.1", "--port", String(port), "--no-typechain"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    trackChild(child);
    let log = "";
    child.stdout.on("data", (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    child.stderr.on("data", (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    const url = `http://127.0.0.1:${port}`;
    const ok = await waitForRpc(url, child, 90_000);
    if (!ok) {
      await kill(child);
      if (attempt < 2) continue;
      throw new Error(`hardhat node did not start on port ${port}:\n${log}`);
    }
    const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, pollingInterval: 100 });
    const accounts = hardhatAccounts();
    const signers = new Map<number, NonceManager>();
    const signer = (i: number) => {
      let s = signers.get(i);
      if (!s) signers.set(i, (s = new NonceManager(new Wallet(accounts[i], provider))));
      return s;
    };
    return {
      url,
      port,
      accounts,
      provider,
      signer,
      async fund(addresses, ether = "100") {
        const from = signer(0);
        const sent = [];
        for (const to of addresses) sent.push(await from.sendTransaction({ to, value: parseEther(ether) }));
        await Promise.all(sent.map((t) => t.wait()));
      },
      async increaseTime(seconds: number) {
        await provider.send("evm_increaseTime", [seconds]);
        await provider.send("evm_mine", []);
      },
      async stop() {
        provider.destroy();
        await kill(child);
      },
    };
  }
}

async function waitForRpc(url: string, child: ChildProcess, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (child.exitCode !== null) return false;
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const t = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(t);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
