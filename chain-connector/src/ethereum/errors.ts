import { Interface, isHexString, type ErrorDescription } from "ethers";
import { ChunkAudit__factory, DataRegistry__factory, NodeRegistry__factory, TaskManager__factory } from "../../../types/ethers-contracts/index.js";
import { ConnectorError, type ConnectorErrorCode } from "../connector.js";

/** Every custom error the three contracts can revert with, in one interface. */
const ERRORS = new Interface(
  [...NodeRegistry__factory.abi, ...DataRegistry__factory.abi, ...TaskManager__factory.abi, ...ChunkAudit__factory.abi].filter(
    (f, i, all) => f.type === "error" && all.findIndex((g) => g.type === "error" && g.name === f.name) === i,
  ),
);

const CODES = new Set<string>([
  "NotRegistered",
  "AlreadyRegistered",
  "BadInput",
  "UnknownTask",
  "UnknownRound",
  "WrongPhase",
  "DeadlinePassed",
  "DeadlineNotPassed",
  "NotMember",
  "AlreadyJoined",
  "RoundFull",
  "NotAllowed",
  "Excluded",
  "AlreadyRestricted",
  "AlreadySubmitted",
  "NotRequester",
  "MissingRole",
  "RoundNotFinished",
  "NoRoundsLeft",
  "TaskAlreadyClosed",
  "InvalidProof",
  "BadBinding",
  "NoVerifier",
  "Unauthorized",
]);

/** Finds revert data in an ethers error, wherever the provider put it. */
export function revertData(e: unknown): string | undefined {
  const seen = new Set<unknown>();
  const walk = (x: unknown, depth: number): string | undefined => {
    if (!x || typeof x !== "object" || seen.has(x) || depth > 6) return undefined;
    seen.add(x);
    const o = x as Record<string, unknown>;
    if (typeof o.data === "string" && isHexString(o.data) && o.data.length >= 10) return o.data;
    for (const k of ["error", "info", "cause", "data", "payload"]) {
      const r = walk(o[k], depth + 1);
      if (r) return r;
    }
    return undefined;
  };
  return walk(e, 0);
}

/** The custom error a failed call reverted with, or null when it did not revert with one we know. */
export function decodeRevert(e: unknown): ErrorDescription | null {
  const data = revertData(e);
  if (!data) return null;
  try {
    return ERRORS.parseError(data);
  } catch {
    return null;
  }
}

const PHASES = ["None", "Join", "Setup", "Compute", "Aggregate", "Finalized", "Failed"];

/** Wording close to the coordinator's, built from the error's arguments. */
function describe(d: ErrorDescription): string {
  const a = d.args;
  switch (d.name) {
    case "BadInput":
      return String(a[0]);
    case "NotRegistered":
      return `${a[0]} is not registered; call registerNode first`;
    case "AlreadyRegistered":
      return `${a[0]} is already registered; use updateNode`;
    case "MissingRole":
      return `${a[0]} lacks the role for this call (needs one of mask ${a[1]}: Owner 1, Worker 2, Requester 4); updateNode with it`;
    case "Unauthorized":
      return `${a[0]} is not the contract owner`;
    case "NoVerifier":
      return `no verifier is bound to kind ${a[0]}; ask for verification "none" or "offchain", or have the owner call setVerifier`;
    case "UnknownTask":
      return `task ${a[0]} does not exist`;
    case "UnknownRound":
      return `task ${a[0]} has no round ${a[1]}`;
    case "WrongPhase":
      return `the round is in ${PHASES[Number(a[0])] ?? `phase ${a[0]}`}, where this call is not allowed`;
    case "DeadlinePassed":
      return `the phase deadline (${a[0]}) has passed`;
    case "DeadlineNotPassed":
      return `the phase deadline is at ${a[0]}; advance only after it`;
    case "AlreadyJoined":
      return `${a[0]} already joined this round`;
    case "RoundFull":
      return `the round already has its ${a[0]} members`;
    case "NotMember":
      return `${a[0]} is not an active member of this round (never joined, or dropped after missing a phase)`;
    case "NotAllowed":
      return `${a[0]} is not among the nodes the task's spec names; only they may join`;
    case "Excluded":
      return `${a[0]} was excluded from this task by its requester`;
    case "AlreadyRestricted":
      return `the member list of spec ${a[0]} is already fixed; it is written once`;
    case "AlreadySubmitted":
      return `${a[0]} already submitted in this phase`;
    case "NotRequester":
      return `only the requester ${a[0]} may do this`;
    case "RoundNotFinished":
      return `round ${a[0]} is still running`;
    case "NoRoundsLeft":
      return `the task has run all its ${a[0]} rounds`;
    case "TaskAlreadyClosed":
      return `task ${a[0]} is closed`;
    case "InvalidProof":
      return "the proof does not verify against the kind's verifier (or is malformed)";
    case "ChunkValid":
      return `entry ${a[0]} of the member's proof list verifies: nothing to challenge`;
    case "NotInList":
      return `entry ${a[0]} and its path do not lead to the member's recorded proof-list root`;
    case "NotCommitted":
      return `${a[0]} recorded no proof-list root in this round (not an "offchain" Compute submission)`;
    case "AlreadyExcluded":
      return `${a[0]} is already excluded from this round`;
    case "BadBinding":
      return `the proof's ${String(a[0])} does not match this submission (task, round, sender, blob, commitment, committed root)`;
    default: {
      const args = d.fragment.inputs.map((p, k) => `${p.name}=${String(a[k])}`).join(", ");
      return args ? `${d.name}(${args})` : d.name;
    }
  }
}

/** Maps a contract revert to a ConnectorError; returns null for anything else. */
export function connectorErrorFrom(e: unknown): ConnectorError | null {
  const d = decodeRevert(e);
  if (!d) return null;
  const code = (CODES.has(d.name) ? d.name : "BadInput") as ConnectorErrorCode;
  return new ConnectorError(code, describe(d));
}
