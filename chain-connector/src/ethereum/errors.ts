import { Interface, isHexString, type ErrorDescription } from "ethers";
import { DataRegistry__factory, NodeRegistry__factory, TaskManager__factory } from "../../../types/ethers-contracts/index.js";
import { ConnectorError, type ConnectorErrorCode } from "../connector.js";

/** Every custom error the three contracts can revert with, in one interface. */
const ERRORS = new Interface(
  [...NodeRegistry__factory.abi, ...DataRegistry__factory.abi, ...TaskManager__factory.abi].filter(
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
  "AlreadySubmitted",
  "NotRequester",
  "MissingRole",
  "RoundNotFinished",
  "NoRoundsLeft",
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

/** The same wording the coordinator uses, built from the error's arguments. */
function describe(d: ErrorDescription): string {
  const args = d.fragment.inputs.map((p, i) => `${p.name}=${String(d.args[i])}`).join(", ");
  switch (d.name) {
    case "BadInput":
      return String(d.args[0]);
    case "BadBinding":
      return `the proof's ${String(d.args[0])} does not match this submission`;
    default:
      return args ? `${d.name}(${args})` : d.name;
  }
}

/** Maps a contract revert to a ConnectorError; returns null for anything else. */
export function connectorErrorFrom(e: unknown): ConnectorError | null {
  const d = decodeRevert(e);
  if (!d) return null;
  const code = (CODES.has(d.name) ? d.name : "BadInput") as ConnectorErrorCode;
  return new ConnectorError(code, describe(d));
}
