import assert from "node:assert/strict";
import { JsonRpcProvider, Wallet, type ContractTransactionResponse, type Interface, type Log, type LogDescription } from "ethers";
import { startHardhatNode, type HardhatNode } from "../helpers/hardhat.js";
import { decodeRevert } from "../../chain-connector/src/ethereum/errors.js";
import { deployContracts, type ContractAddresses } from "../../chain-connector/src/ethereum/deploy.js";
import {
  DataRegistry__factory,
  NodeRegistry__factory,
  TaskManager__factory,
  type DataRegistry,
  type NodeRegistry,
  type TaskManager,
} from "../../types/ethers-contracts/index.js";

/** One hardhat node, the three contracts, and typed handles for each funded account. */
export interface Chain {
  node: HardhatNode;
  provider: JsonRpcProvider;
  wallets: Wallet[];
  addresses: ContractAddresses;
  nr: (i: number) => NodeRegistry;
  dr: (i: number) => DataRegistry;
  tm: (i: number) => TaskManager;
  /** Takes an EVM snapshot; the returned function restores it. */
  snapshot(): Promise<() => Promise<void>>;
  now(): Promise<number>;
  stop(): Promise<void>;
}

export async function startChain(): Promise<Chain> {
  const node = await startHardhatNode();
  const provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
  provider.pollingInterval = 50;
  const wallets = node.accounts.map((k) => new Wallet(k, provider));
  const addresses = await deployContracts(wallets[0]);
  return {
    node,
    provider,
    wallets,
    addresses,
    nr: (i) => NodeRegistry__factory.connect(addresses.nodeRegistry, wallets[i]),
    dr: (i) => DataRegistry__factory.connect(addresses.dataRegistry, wallets[i]),
    tm: (i) => TaskManager__factory.connect(addresses.taskManager, wallets[i]),
    async snapshot() {
      const id = (await provider.send("evm_snapshot", [])) as string;
      return async () => {
        assert.equal(await provider.send("evm_revert", [id]), true, "evm_revert failed");
      };
    },
    async now() {
      return (await provider.getBlock("latest"))!.timestamp;
    },
    async stop() {
      provider.destroy();
      await node.stop();
    },
  };
}

/** Sends a transaction and returns its receipt (throws on revert). */
export async function mined(p: Promise<ContractTransactionResponse>) {
  const tx = await p;
  const r = await tx.wait();
  assert.ok(r, "transaction has no receipt");
  return r;
}

/** Asserts that the call reverts with the named custom error (optionally with these args). */
export async function reverts(p: Promise<unknown>, name: string, args?: unknown[]): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    const revert = decodeRevert(e);
    assert.ok(revert, `expected custom error ${name}, got: ${(e as Error).message}`);
    assert.equal(revert.name, name);
    if (args) assert.deepEqual([...revert.args].map(norm), args.map(norm));
    return true;
  });
}

function norm(v: unknown): unknown {
  return typeof v === "number" ? BigInt(v) : typeof v === "string" && /^0x[0-9a-fA-F]{40}$/.test(v) ? v.toLowerCase() : v;
}

/** Decoded events of one interface from a receipt, in log order. */
export function events(iface: Interface, logs: readonly Log[]): LogDescription[] {
  const out: LogDescription[] = [];
  for (const l of logs) {
    const d = iface.parseLog({ topics: [...l.topics], data: l.data });
    if (d) out.push(d);
  }
  return out;
}

export function eventNamed(iface: Interface, logs: readonly Log[], name: string): LogDescription {
  const e = events(iface, logs).find((x) => x.name === name);
  assert.ok(e, `no ${name} event; got ${events(iface, logs).map((x) => x.name).join(", ") || "none"}`);
  return e;
}
