/**
 * Follows one task's events and prints each phase as it happens, with the block time, the time
 * since the round started and since the previous event, until the task closes (exit 0) or a round
 * fails (exit 1). Events already on-chain are printed first, so it can start at any time.
 *
 *   CM_TASK_ID=1 npx hardhat run scripts/watch.ts --network localhost
 *   CM_TASK_ID=1 npm run watch
 *
 * Environment:
 *   CM_RPC_URL        chain JSON-RPC URL for --network localhost (default http://127.0.0.1:8545)
 *   CM_ADDRESSES      the deploy script's output (default state/addresses.json; chain route)
 *   CM_TASK_ID        the task (required; or CM_TASK_OUT naming submit-task.ts's output file)
 *   CM_CONNECTOR_URL  read the connector's event stream instead of the chain's logs (works in
 *                     coordinator mode too); requests are signed with CM_PRIVATE_KEY / CM_ACCOUNT
 *   CM_POLL_MS        chain route: how often to ask for new logs (default 500)
 *   CM_WATCH_TIMEOUT  give up (exit 2) after this many seconds (default 0: never)
 */
import { readFileSync } from "node:fs";
import { toBeHex, zeroPadValue } from "ethers";
import { network } from "hardhat";
import type { ChainEventBody } from "../protocol/src/events.js";
import { decodeLog } from "../chain-connector/src/ethereum/decode.js";
import type { ConnectorClient } from "../chain-connector/src/http/client.js";
import { connect, describeEvent } from "../node/src/sdk/index.js";
import { env, intEnv, readAddresses, runScript, scriptSigner, ScriptError } from "./env.js";

type Timed = ChainEventBody & { time: number; txHash?: string };

function taskIdFromEnv(): number {
  const raw = env("CM_TASK_ID");
  if (raw !== undefined) {
    if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new ScriptError(`CM_TASK_ID must be a task id (1, 2, …), got "${raw}"`);
    return Number(raw);
  }
  const out = env("CM_TASK_OUT");
  if (out) {
    const id = (JSON.parse(readFileSync(out, "utf8")) as { taskId?: unknown }).taskId;
    if (typeof id === "number" && id >= 1) return id;
    throw new ScriptError(`CM_TASK_OUT ${out} holds no taskId: point it at submit-task.ts's output`);
  }
  throw new ScriptError("CM_TASK_ID is not set: set it to the task id submit-task.ts printed");
}

/** One line per event (the SDK's wording, as `cm task watch` prints it), with the event's name first. */
export function describe(e: ChainEventBody): string {
  return `${e.type.padEnd(22)}${describeEvent(e)}`;
}

function taskOf(e: ChainEventBody): number | undefined {
  return "taskId" in e ? e.taskId : undefined;
}

/** TaskManager logs of one task (taskId is the first indexed topic of every task event), from the chain. */
async function* chainEvents(
  provider: {
    getBlockNumber(): Promise<number>;
    getLogs(f: object): Promise<{ topics: readonly string[]; data: string; blockNumber: number; index: number; transactionHash: string }[]>;
    getBlock(n: number): Promise<{ timestamp: number } | null>;
  },
  taskManager: string,
  taskId: number,
  fromBlock: number,
  pollMs: number,
  signal: AbortSignal,
): AsyncGenerator<Timed> {
  const topic = zeroPadValue(toBeHex(taskId), 32);
  let from = fromBlock;
  const times = new Map<number, number>();
  while (!signal.aborted) {
    const head = await provider.getBlockNumber();
    if (head >= from) {
      const logs = await provider.getLogs({ address: taskManager, topics: [null, topic], fromBlock: from, toBlock: head });
      logs.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
      for (const l of logs) {
        const body = decodeLog(l);
        if (!body || taskOf(body) !== taskId) continue;
        if (!times.has(l.blockNumber)) times.set(l.blockNumber, (await provider.getBlock(l.blockNumber))?.timestamp ?? 0);
        yield { ...body, time: times.get(l.blockNumber)!, txHash: l.transactionHash };
      }
      from = head + 1;
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

await runScript(async () => {
  const taskId = taskIdFromEnv();
  const connectorUrl = env("CM_CONNECTOR_URL");
  const pollMs = intEnv("CM_POLL_MS", 500, 50, 60_000);
  const timeoutS = intEnv("CM_WATCH_TIMEOUT", 0, 0, 7 * 24 * 3600);
  const { ethers } = await network.create();
  const ac = new AbortController();
  let timedOut = false;
  const timer =
    timeoutS > 0
      ? setTimeout(() => {
          timedOut = true;
          ac.abort();
        }, timeoutS * 1000)
      : undefined;

  let source: AsyncIterable<Timed>;
  let client: ConnectorClient | undefined;
  if (connectorUrl) {
    const cm = await connect({ connectorUrl, signer: await scriptSigner(ethers, 0) });
    client = cm.connector;
    source = cm.tasks.get(taskId).events({ signal: ac.signal });
    console.log(`watching task ${taskId} through the ${client.mode} connector at ${connectorUrl}`);
  } else {
    const a = readAddresses();
    source = chainEvents(ethers.provider, a.taskManager, taskId, Number(a.deployBlock ?? 0), pollMs, ac.signal);
    console.log(`watching task ${taskId} on TaskManager ${a.taskManager}`);
  }

  let exit = 0;
  let roundStart: number | undefined;
  let prev: number | undefined;
  let seen = false;
  try {
    for await (const e of source) {
      seen = true;
      if (e.type === "RoundStarted") roundStart = e.time;
      const inRound = roundStart !== undefined ? `round +${String(e.time - roundStart).padStart(4)} s` : "".padEnd(13);
      const step = prev !== undefined ? `Δ ${String(e.time - prev).padStart(4)} s` : "".padEnd(8);
      prev = e.time;
      console.log(`${new Date(e.time * 1000).toISOString()}  ${inRound}  ${step}  ${describe(e)}`);
      if (e.type === "TaskClosed") break;
      if (e.type === "RoundFailed") {
        console.log(`round ${e.round} failed; the requester may start another round (startRound) if rounds remain`);
        exit = 1;
        break;
      }
    }
  } finally {
    clearTimeout(timer);
    ac.abort();
    await client?.close();
  }
  if (timedOut) {
    console.error(
      `error: CM_WATCH_TIMEOUT=${timeoutS}s passed before task ${taskId} ${seen ? "closed" : "showed any event (check CM_TASK_ID, and CM_ADDRESSES or CM_CONNECTOR_URL)"}`,
    );
    exit = 2;
  }
  process.exitCode = exit;
});
