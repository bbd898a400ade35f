import { Interface, JsonRpcProvider, type InterfaceAbi, type Log, type TransactionResponse } from "ethers";
import { ChunkAudit__factory, DataRegistry__factory, NodeRegistry__factory, TaskManager__factory } from "../../../types/ethers-contracts/index.js";
import { revertData } from "../../../chain-connector/src/ethereum/errors.js";

/**
 * The dashboard explorer's chain view (ethereum mode): recent blocks with their transactions,
 * each call, event and custom error decoded with the project's own ABIs, so no outside explorer is
 * needed. A reverted transaction's error is read by replaying the call on the state before its
 * block (eth_call), the way explorers without tracing do.
 */
const CONTRACTS: [string, Interface][] = (
  [
    ["NodeRegistry", NodeRegistry__factory.abi],
    ["DataRegistry", DataRegistry__factory.abi],
    ["TaskManager", TaskManager__factory.abi],
    ["ChunkAudit", ChunkAudit__factory.abi],
  ] as [string, InterfaceAbi][]
).map(([n, abi]) => [n, new Interface(abi)]);

export interface ExplorerTx {
  hash: string;
  from: string;
  to: string | null;
  /** "TaskManager.startRound(taskId=7)" when the call decodes with a project ABI. */
  call: string | null;
  status: "ok" | "reverted";
  /** The custom error of a reverted call, decoded ("UnknownTask(taskId=999)"), or the raw data / message. */
  error: string | null;
  events: string[];
  gasUsed: string;
}

export interface ExplorerBlock {
  number: number;
  hash: string;
  time: number;
  txs: ExplorerTx[];
}

const show = (v: unknown): string =>
  typeof v === "bigint" ? v.toString() : Array.isArray(v) ? `[${v.map(show).join(", ")}]` : typeof v === "string" && v.length > 20 ? `${v.slice(0, 10)}…` : String(v);
const named = (inputs: readonly { name: string }[], args: readonly unknown[]) => inputs.map((p, i) => `${p.name || i}=${show(args[i])}`).join(", ");

function decodeCall(data: string): string | null {
  for (const [name, itf] of CONTRACTS) {
    const d = itf.parseTransaction({ data });
    if (d) return `${name}.${d.name}(${named(d.fragment.inputs, d.args)})`;
  }
  return null;
}

function decodeError(data: string): string | null {
  for (const [, itf] of CONTRACTS) {
    try {
      const e = itf.parseError(data);
      if (e) return `${e.name}(${named(e.fragment.inputs, e.args)})`;
    } catch {
      /* not this contract's */
    }
  }
  return null;
}

function decodeLog(l: Log): string {
  for (const [name, itf] of CONTRACTS) {
    try {
      const e = itf.parseLog(l);
      if (e) return `${name}.${e.name}(${named(e.fragment.inputs, e.args)})`;
    } catch {
      /* not this contract's */
    }
  }
  return `log ${l.topics[0]?.slice(0, 10) ?? "?"}… from ${l.address}`;
}

async function revertOf(p: JsonRpcProvider, tx: TransactionResponse): Promise<string> {
  try {
    await p.call({ from: tx.from, to: tx.to, data: tx.data, value: tx.value, blockTag: tx.blockNumber! - 1 });
    return "reverted (the replay on the state before its block did not revert)";
  } catch (e) {
    const data = revertData(e);
    return (data && decodeError(data)) ?? (data ? `reverted with ${data.slice(0, 74)}` : `reverted: ${(e as Error).message.slice(0, 200)}`);
  }
}

export class ChainExplorer {
  private readonly p: JsonRpcProvider;
  constructor(rpcUrl: string) {
    this.p = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true });
  }

  /** Up to `count` blocks ending at `before` (default the head), newest first. */
  async blocks(count: number, before?: number): Promise<{ head: number; blocks: ExplorerBlock[] }> {
    const head = await this.p.getBlockNumber();
    const top = Math.min(before ?? head, head);
    const out: ExplorerBlock[] = [];
    for (let n = top; n >= 0 && out.length < count; n--) {
      const b = await this.p.getBlock(n, true);
      if (!b) continue;
      const txs: ExplorerTx[] = [];
      for (const tx of b.prefetchedTransactions) {
        const r = await this.p.getTransactionReceipt(tx.hash);
        const ok = r?.status === 1;
        txs.push({
          hash: tx.hash,
          from: tx.from,
          to: tx.to,
          call: tx.to ? decodeCall(tx.data) : r?.contractAddress ? `deploy ${r.contractAddress}` : "deploy",
          status: ok ? "ok" : "reverted",
          error: ok ? null : await revertOf(this.p, tx),
          events: (r?.logs ?? []).map(decodeLog),
          gasUsed: r ? r.gasUsed.toString() : "?",
        });
      }
      out.push({ number: b.number, hash: b.hash ?? "", time: b.timestamp, txs });
    }
    return { head, blocks: out };
  }

  destroy(): void {
    this.p.destroy();
  }
}
