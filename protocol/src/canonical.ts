import { keccak256, toUtf8Bytes } from "ethers";

/**
 * Canonical JSON: object keys sorted, no whitespace, bigints as decimal strings. Two parties that
 * hold the same value produce the same bytes, so hashes of specs and messages agree everywhere.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortDeep(value));
}

function sortDeep(v: unknown): unknown {
  if (typeof v === "bigint") return v.toString();
  if (Array.isArray(v)) return v.map(sortDeep);
  if (v instanceof Uint8Array) return Buffer.from(v).toString("base64");
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortDeep(x);
    }
    return out;
  }
  if (typeof v === "number" && !Number.isFinite(v)) {
    throw new Error(`canonicalJson: non-finite number ${v} cannot be hashed; use a finite value`);
  }
  return v;
}

/** keccak256 of the canonical JSON, as a 0x-prefixed bytes32 hex string. */
export function hashJson(value: unknown): string {
  return keccak256(toUtf8Bytes(canonicalJson(value)));
}
