/**
 * Operations the SDK, the `cm` CLI and the Hardhat scripts share, over the smallest interface each
 * needs: a connector (the typed client) satisfies every one of them, and a script that talks to
 * the contracts directly passes a thin adapter over its TypeChain binding instead.
 */
import { readFileSync } from "node:fs";
import type { DatasetCommitment, NodeInfo } from "../../../chain-connector/src/connector.js";
import type { ChainEventBody } from "../../../protocol/src/events.js";
import { phaseName } from "../../../protocol/src/phases.js";
import { parseTaskSpec, SpecError, type TaskSpec } from "../../../protocol/src/taskspec.js";
import type { DatasetConfig } from "../config.js";
import { loadDataset } from "../data/load.js";
import type { Table } from "../data/table.js";

/** Where node records live: the connector, or NodeRegistry through an adapter. */
export interface NodeRecords {
  getNode(address: string): Promise<Pick<NodeInfo, "endpoint" | "x25519" | "roles" | "capacity"> | null>;
  registerNode(info: NodeInfo): Promise<unknown>;
  updateNode(info: NodeInfo): Promise<unknown>;
}

/**
 * Registers `address` with `info`, or updates its record when it differs; sends nothing when the
 * record already matches. Returns what it did and the record as it now is.
 */
export async function ensureNode(
  target: NodeRecords,
  address: string,
  info: NodeInfo,
): Promise<{ action: "registered" | "updated" | "unchanged"; record: Pick<NodeInfo, "endpoint" | "x25519" | "roles" | "capacity"> }> {
  const known = await target.getNode(address);
  let action: "registered" | "updated" | "unchanged";
  if (!known) {
    await target.registerNode(info);
    action = "registered";
  } else if (known.endpoint !== info.endpoint || known.x25519.toLowerCase() !== info.x25519.toLowerCase() || known.roles !== info.roles || known.capacity !== info.capacity) {
    await target.updateNode(info);
    action = "updated";
  } else action = "unchanged";
  const record = await target.getNode(address);
  if (!record) throw new Error(`${address} has no node record after registering`);
  return { action, record };
}

/** Where dataset commitments go: the connector, or DataRegistry through an adapter. */
export interface DatasetCommits {
  commitDataset(name: string, c: DatasetCommitment): Promise<{ version: number; txHash: string }>;
}

/** Reads and checks a whole dataset file the way a node does, before any key is touched. */
export function readDatasetFile(d: {
  name: string;
  path: string;
  format: DatasetConfig["format"];
  columns?: string[];
  idColumn?: string;
}): Promise<{ table: Table; fileHash: string }> {
  return loadDataset({ name: d.name, path: d.path, format: d.format, columns: d.columns, idColumn: d.idColumn });
}

/** Commits a loaded table under `name` with rows salted from `seed` (the owner's secret; proofs need it). */
export async function commitDatasetTable(
  target: DatasetCommits,
  name: string,
  table: Table,
  seed: Uint8Array,
): Promise<{ version: number; txHash: string; commitment: DatasetCommitment }> {
  // Loaded here: the commitment code (Poseidon, the worker pool) is needed by `dataset add` only.
  const { commitTable } = await import("../data/commit.js");
  const commitment = await commitTable(table, seed);
  const r = await target.commitDataset(name, commitment);
  return { version: r.version, txHash: r.txHash, commitment };
}

/**
 * A TaskSpec from a JSON file, checked (every bad field named) with `requester` filled in when
 * the file leaves it out; a file naming another requester is refused.
 */
export function readSpecFile(file: string, requester: string): TaskSpec {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`, { cause: e });
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) throw new Error(`${file} must hold one JSON object (a TaskSpec)`);
  try {
    const spec = parseTaskSpec({ requester, ...(json as Record<string, unknown>) });
    if (spec.requester !== requester) throw new Error(`requester ${spec.requester} is not the signer ${requester}; drop the field or sign as that requester`);
    return spec;
  } catch (e) {
    if (e instanceof SpecError) throw new Error(`${file}: ${e.message}`, { cause: e });
    throw e;
  }
}

/** One line per event for people: phases named, members by `who` (default: shortened address). */
export function describeEvent(e: ChainEventBody, who: (address: string) => string = (a) => `${a.slice(0, 10)}…`): string {
  switch (e.type) {
    case "TaskCreated":
      return `task ${e.taskId} created by ${who(e.requester)} (${e.rounds} round${e.rounds === 1 ? "" : "s"}, spec ${e.specHash.slice(0, 10)}…)`;
    case "RoundStarted":
      return `round ${e.round}: Join until ${new Date(e.deadline * 1000).toISOString()}`;
    case "MemberJoined":
      return `round ${e.round}: ${who(e.member)} joined`;
    case "PhaseAdvanced":
      return `round ${e.round}: ${phaseName(e.phase)} (${e.active} active)`;
    case "ContributionSubmitted":
      return `round ${e.round}: ${phaseName(e.phase)} from ${who(e.member)}`;
    case "RoundFinalized":
      return `round ${e.round}: finalized (record ${e.resultHash.slice(0, 12)}…)`;
    case "RoundFailed":
      return `round ${e.round}: FAILED in ${phaseName(e.phase)}: ${e.reason}`;
    case "TaskClosed":
      return `task closed: ${e.reason}`;
    case "MemberReported":
      return `round ${e.round}: ${who(e.member)} ${e.status}: ${e.reason}`;
    default:
      return e.type;
  }
}
