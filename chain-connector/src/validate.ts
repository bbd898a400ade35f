import { getAddress, isAddress } from "ethers";
import { hashJson } from "../../protocol/src/canonical.js";
import { parseTaskSpec, SpecError, type TaskSpec } from "../../protocol/src/taskspec.js";
import { ConnectorError, type ConnectorErrorCode, type NodeInfo } from "./connector.js";

/**
 * Input checks both connectors make before anything else, with the same errors: a caller gets the
 * same BadInput from the coordinator as from the chain.
 */

export const U32 = 0xffffffff;

export function fail(code: ConnectorErrorCode, message: string): never {
  throw new ConnectorError(code, message);
}

export function addr(v: unknown, field: string): string {
  if (typeof v !== "string" || !isAddress(v)) fail("BadInput", `${field} must be a 0x-prefixed 20-byte address`);
  return getAddress(v);
}

export function b32(v: unknown, field: string): string {
  if (typeof v !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(v)) fail("BadInput", `${field} must be a 0x-prefixed 32-byte hex string`);
  return v.toLowerCase();
}

export function uint(v: unknown, field: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max)
    fail("BadInput", max === Number.MAX_SAFE_INTEGER ? `${field} must be an integer >= ${min}` : `${field} must be an integer from ${min} to ${max}`);
  return v;
}

/** A node's registration; the endpoint is counted in bytes, as the contract stores it. */
export function checkNodeInfo(info: NodeInfo): NodeInfo {
  if (!info || typeof info !== "object") fail("BadInput", "node info must be an object {endpoint, x25519, roles, capacity}");
  if (typeof info.endpoint !== "string" || info.endpoint.length === 0 || Buffer.byteLength(info.endpoint) > 2048)
    fail("BadInput", "endpoint must be the node's URL (1 to 2048 characters)");
  const x25519 = b32(info.x25519, "x25519");
  const roles = uint(info.roles, "roles", 1);
  if (roles > 7) fail("BadInput", "roles must be a mask of Owner 1, Worker 2, Requester 4");
  const capacity = uint(info.capacity, "capacity", 0, U32);
  return { endpoint: info.endpoint, x25519, roles, capacity };
}

/** closeTask's reason. */
export function checkCloseReason(reason: unknown): string {
  if (typeof reason !== "string" || Buffer.byteLength(reason) < 1 || Buffer.byteLength(reason) > 200) fail("BadInput", "reason must be 1 to 200 bytes");
  return reason;
}

/** A dataset name (hashed to its id by datasetKey). */
export function checkDatasetName(name: unknown): string {
  if (typeof name !== "string" || name.length === 0) fail("BadInput", "name must be the dataset's name");
  return name;
}

/**
 * The hash an idempotency key is bound to: of the input, not the parsed spec (a spec without a
 * nonce gets a fresh one on every parse).
 */
export function specInputHash(input: unknown): string {
  try {
    return hashJson(input);
  } catch {
    return fail("BadInput", "the spec must be JSON without non-finite numbers");
  }
}

/** A task spec as its requester `sender` submits it: parsed (spec errors are BadInput), and naming the sender. */
export function checkTaskSpec(input: unknown, sender: string): TaskSpec {
  let spec: TaskSpec;
  try {
    spec = parseTaskSpec(input);
  } catch (e) {
    if (e instanceof SpecError) fail("BadInput", e.message);
    throw e;
  }
  if (spec.requester !== sender) fail("BadInput", `spec.requester ${spec.requester} must be the caller ${sender}`);
  return spec;
}
