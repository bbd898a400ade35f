import { Transaction, type JsonRpcProvider, type TransactionReceipt, type TransactionRequest, type Wallet } from "ethers";
import { ConnectorError, isRetryable } from "../connector.js";
import { connectorErrorFrom } from "./errors.js";

/** ethers' codes for a node that did not answer (unreachable, an HTTP error status, a timeout). */
const TRANSIENT_CODES = new Set(["NETWORK_ERROR", "SERVER_ERROR", "TIMEOUT"]);

/** A failure worth retrying: the node was unreachable or overloaded, not a revert or bad request. */
export function isTransient(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === "CALL_EXCEPTION" || code === "INSUFFICIENT_FUNDS" || code === "NONCE_EXPIRED") return false;
  if (typeof code === "string" && TRANSIENT_CODES.has(code)) return true;
  // A refused or dropped connection reaches us as Node's own error (code ECONNREFUSED, ECONNRESET…).
  return isRetryable(e);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Retries transient RPC failures with exponential backoff; anything else is thrown at once. */
export async function withRetry<T>(fn: () => Promise<T>, attempts = 5, baseMs = 100): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (!isTransient(e) || i >= attempts - 1) throw e;
      await sleep(baseMs * 2 ** i);
    }
  }
}

/** Turns any failure of a chain call into a ConnectorError when it is one of ours or the node is down. */
export function toConnectorError(e: unknown): unknown {
  if (e instanceof ConnectorError) return e;
  const c = connectorErrorFrom(e);
  if (c) return c;
  if (isTransient(e)) return new ConnectorError("Unavailable", `the Ethereum node did not answer: ${(e as Error).message}`);
  return e;
}

/**
 * Sends one wallet's transactions one at a time with a locally tracked nonce, so concurrent calls
 * never collide; a transaction that fails before it is broadcast (a revert found by gas
 * estimation) does not burn a nonce, and any broadcast failure refetches the nonce from the node.
 */
export class TxSender {
  private queue: Promise<unknown> = Promise.resolve();
  private nonce: number | undefined;

  constructor(
    readonly wallet: Wallet,
    private readonly provider: JsonRpcProvider,
    private readonly confirmations: number,
  ) {}

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  async send(req: TransactionRequest): Promise<TransactionReceipt> {
    const hash = await this.serial(async () => {
      // Asked with a raw request: the provider's short-lived response cache could return a stale count.
      const nonce = this.nonce ?? Number(await withRetry(() => this.provider.send("eth_getTransactionCount", [this.wallet.address, "pending"])));
      // Headroom over the estimate: the state can change between estimation and mining (the join or
      // submit that fills a phase also advances it and costs more), and an exact limit runs out of gas.
      const gasLimit = req.gasLimit ?? ((await withRetry(() => this.wallet.estimateGas({ ...req, from: this.wallet.address }))) * 5n) / 4n + 10_000n;
      const pop = await withRetry(() => this.wallet.populateTransaction({ ...req, from: this.wallet.address, nonce, gasLimit }));
      const signed = await this.wallet.signTransaction(pop);
      const txHash = Transaction.from(signed).hash!;
      try {
        await withRetry(() => this.provider.broadcastTransaction(signed));
      } catch (e) {
        // A retried broadcast may find its own earlier attempt already accepted.
        const known = /already known|known transaction|nonce too low/i.test((e as Error).message);
        if (!known || !(await this.provider.getTransaction(txHash).catch(() => null))) {
          this.nonce = undefined;
          throw e;
        }
      }
      this.nonce = nonce + 1;
      return txHash;
    });
    const receipt = await withRetry(() => this.provider.waitForTransaction(hash, this.confirmations));
    if (!receipt) throw new ConnectorError("Unavailable", `transaction ${hash} has no receipt`);
    if (receipt.status !== 1) {
      // Mined but reverted (state changed between estimation and mining): replay it for the reason.
      try {
        await this.provider.call({ ...req, from: this.wallet.address, blockTag: receipt.blockNumber });
      } catch (e) {
        throw toConnectorError(e);
      }
      throw new ConnectorError("Unavailable", `transaction ${hash} reverted in block ${receipt.blockNumber}`);
    }
    return receipt;
  }
}
