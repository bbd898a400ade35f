import { Interface, getAddress, type Log } from "ethers";
import { ChunkAudit__factory, DataRegistry__factory, NodeRegistry__factory, TaskManager__factory } from "../../../types/ethers-contracts/index.js";
import { REPORT_STATUS, type ChainEventBody } from "../../../protocol/src/events.js";

/** Event-only interface over the three contracts and ChunkAudit's task exclusions (their event names do not overlap). */
export const EVENTS = new Interface(
  [...NodeRegistry__factory.abi, ...DataRegistry__factory.abi, ...TaskManager__factory.abi, ...ChunkAudit__factory.abi].filter(
    (f) => f.type === "event" && (!("name" in f) || !ChunkAudit__factory.abi.includes(f as never) || f.name === "TaskMemberExcluded"),
  ),
);

const num = (v: unknown): number => {
  const b = BigInt(v as bigint | number | string);
  if (b > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`event value ${b} exceeds 2^53`);
  return Number(b);
};
const hex = (v: unknown): string => String(v).toLowerCase();
const addr = (v: unknown): string => getAddress(String(v));

/**
 * Cursor of a log: zero-padded block and log index, so comparing cursors as strings compares
 * chain positions (12 digits of block number outlast any chain; 6 of log index fill any block).
 */
export function logCursor(block: number, logIndex: number): string {
  return `${String(block).padStart(12, "0")}:${String(logIndex).padStart(6, "0")}`;
}

export function parseCursor(cursor: string | undefined): string {
  if (cursor === undefined || cursor === "") return "";
  if (!/^\d{12}:\d{6}$/.test(cursor)) throw new Error(`cursor "${cursor}" is not an ethereum cursor (block:logIndex, zero-padded); pass one from a previous event`);
  return cursor;
}

/** Decodes one contract log into the shared event vocabulary, or null for a log we do not know. */
export function decodeLog(log: Pick<Log, "topics" | "data">): ChainEventBody | null {
  const d = EVENTS.parseLog({ topics: [...log.topics], data: log.data });
  if (!d) return null;
  const a = d.args;
  switch (d.name) {
    case "NodeRegistered":
    case "NodeUpdated":
      return { type: d.name, node: addr(a.node), endpoint: String(a.endpoint), x25519: hex(a.x25519), roles: num(a.roles), capacity: num(a.capacity) };
    case "NodeLeft":
      return { type: "NodeLeft", node: addr(a.node) };
    case "DatasetCommitted":
      return {
        type: "DatasetCommitted",
        owner: addr(a.owner),
        datasetId: hex(a.datasetId),
        version: num(a.version),
        root: hex(a.root),
        rows: num(a.rows),
        columns: num(a.columns),
        schemaHash: hex(a.schemaHash),
      };
    case "VerifierSet":
      return { type: "VerifierSet", kind: hex(a.kind), verifier: addr(a.verifier) };
    case "TaskCreated":
      return { type: "TaskCreated", taskId: num(a.taskId), requester: addr(a.requester), kind: hex(a.kind), specHash: hex(a.specHash), rounds: num(a.rounds) };
    case "RoundStarted":
      return { type: "RoundStarted", taskId: num(a.taskId), round: num(a.round), deadline: num(a.deadline) };
    case "MemberJoined":
      return { type: "MemberJoined", taskId: num(a.taskId), round: num(a.round), member: addr(a.member), memberKey: hex(a.memberKey) };
    case "PhaseAdvanced":
      return {
        type: "PhaseAdvanced",
        taskId: num(a.taskId),
        round: num(a.round),
        phase: num(a.phase),
        deadline: num(a.deadline),
        active: num(a.active),
      };
    case "ContributionSubmitted":
      return {
        type: "ContributionSubmitted",
        taskId: num(a.taskId),
        round: num(a.round),
        phase: num(a.phase),
        member: addr(a.member),
        blobHash: hex(a.blobHash),
        commitment: hex(a.commitment),
      };
    case "RoundFinalized":
      return { type: "RoundFinalized", taskId: num(a.taskId), round: num(a.round), resultHash: hex(a.resultHash) };
    case "RoundFailed":
      return { type: "RoundFailed", taskId: num(a.taskId), round: num(a.round), phase: num(a.phase), reason: String(a.reason) };
    case "TaskClosed":
      return { type: "TaskClosed", taskId: num(a.taskId), reason: String(a.reason) };
    case "MemberReported": {
      const status = num(a.status) === REPORT_STATUS.declined ? "declined" : "failed";
      return { type: "MemberReported", taskId: num(a.taskId), round: num(a.round), member: addr(a.member), status, reason: String(a.reason) };
    }
    case "TaskMemberExcluded":
      return { type: "MemberExcluded", taskId: num(a.taskId), round: num(a.round), member: addr(a.member), index: num(a.index), reason: num(a.reason) };
    default:
      return null;
  }
}
