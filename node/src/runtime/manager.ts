import { randomInt } from "node:crypto";
import type { Connector, NodeRecord } from "../../../chain-connector/src/connector.js";
import { Role } from "../../../protocol/src/phases.js";

/**
 * The manager role of outsourced mining (Rory's manager): picks worker nodes from the on-chain
 * NodeRegistry for a data owner's task. Candidates are registered nodes with the Worker role that
 * the registry reports active (heartbeat or recent participation) and that the caller does not
 * exclude (the owner itself). Two strategies, as Rory's:
 *   round-robin : the next candidate after the last one this manager picked (address order);
 *   two-choices : two distinct candidates drawn at random (CSPRNG), keep the less loaded one, where
 *                 load = open tasks this manager gave the node ÷ the capacity it registered.
 * The load is this manager's own bookkeeping (the registry has no load field): a node's owner
 * reports capacity, the manager counts what it assigned and `release`s it when a task ends.
 */
export type PickStrategy = "round-robin" | "two-choices";

export class WorkerManager {
  private lastPicked?: string;
  private readonly open = new Map<string, number>();

  constructor(private readonly connector: Pick<Connector, "listNodes">) {}

  /** Registered, active Worker nodes, in address order. */
  async candidates(exclude: readonly string[] = []): Promise<NodeRecord[]> {
    const out: NodeRecord[] = [];
    const skip = new Set(exclude.map((a) => a.toLowerCase()));
    for (let offset = 0; ; offset += 100) {
      const page = await this.connector.listNodes(offset, 100);
      for (const n of page) if ((n.roles & Role.Worker) !== 0 && n.active && !skip.has(n.address.toLowerCase())) out.push(n);
      if (page.length < 100) break;
    }
    return out.sort((a, b) => (a.address.toLowerCase() < b.address.toLowerCase() ? -1 : 1));
  }

  load(n: NodeRecord): number {
    return (this.open.get(n.address) ?? 0) / Math.max(n.capacity, 1);
  }

  /** Picks `count` distinct workers; throws a clear error when the registry has too few. */
  async pick(opts: { count?: number; strategy?: PickStrategy; exclude?: readonly string[] } = {}): Promise<string[]> {
    const count = opts.count ?? 1;
    const strategy = opts.strategy ?? "round-robin";
    if (strategy !== "round-robin" && strategy !== "two-choices") throw new Error(`strategy: must be "round-robin" or "two-choices", got ${String(strategy)}`);
    if (!Number.isInteger(count) || count < 1) throw new Error(`workers: count must be a positive integer, got ${count}`);
    let pool = await this.candidates(opts.exclude);
    if (pool.length < count)
      throw new Error(
        `workers: the node registry has ${pool.length} active Worker node(s) besides the owner, the task needs ${count}; start a worker node (roles: Worker) or wait for its heartbeat`,
      );
    const picked: NodeRecord[] = [];
    while (picked.length < count) {
      let n: NodeRecord;
      if (strategy === "round-robin") {
        const last = this.lastPicked?.toLowerCase();
        n = pool.find((c) => last === undefined || c.address.toLowerCase() > last) ?? pool[0];
      } else {
        // Two distinct candidates: with replacement, a draw of the same node twice would be no choice at all.
        const i = randomInt(pool.length);
        const a = pool[i];
        const b = pool.length > 1 ? pool[(i + 1 + randomInt(pool.length - 1)) % pool.length] : a;
        n = this.load(b) < this.load(a) ? b : a;
      }
      picked.push(n);
      this.lastPicked = n.address;
      this.open.set(n.address, (this.open.get(n.address) ?? 0) + 1);
      pool = pool.filter((c) => c !== n);
    }
    return picked.map((n) => n.address);
  }

  /** A task given to these workers ended: their load goes down. */
  release(workers: readonly string[]): void {
    for (const w of workers) {
      const v = (this.open.get(w) ?? 0) - 1;
      if (v > 0) this.open.set(w, v);
      else this.open.delete(w);
    }
  }
}
