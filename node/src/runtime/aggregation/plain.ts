import { canonicalJson } from "../../../../protocol/src/canonical.js";
import { plainCommitment, type ReceivedContribution, type Submission } from "../handler.js";
import { VALUE_BITS } from "./vector.js";

/** `plain` backend: the encoded vector in the clear (decimal integers), committed by keccak256. */
interface PlainPayload {
  v: 1;
  kind: "vector/plain";
  values: string[];
}

const LIMIT = 1n << BigInt(VALUE_BITS - 1);

export function plainSubmission(values: readonly bigint[]): Submission {
  const payload: PlainPayload = { v: 1, kind: "vector/plain", values: values.map(String) };
  const bytes = new TextEncoder().encode(canonicalJson(payload));
  return { payload: bytes, commitment: plainCommitment(bytes) };
}

/** Parses a plain contribution; throws naming what is wrong (the caller leaves it out and reports why). */
export function parsePlain(c: ReceivedContribution, length: number): bigint[] {
  if (plainCommitment(c.payload) !== c.commitment) throw new Error("payload does not match its on-chain commitment");
  let p: PlainPayload;
  try {
    p = JSON.parse(new TextDecoder().decode(c.payload)) as PlainPayload;
  } catch {
    throw new Error("payload is not JSON");
  }
  if (p?.v !== 1 || p.kind !== "vector/plain" || !Array.isArray(p.values)) throw new Error("payload is not a plain contribution vector");
  if (p.values.length !== length) throw new Error(`vector has ${p.values.length} values, the task expects ${length}`);
  return p.values.map((s, i) => {
    if (typeof s !== "string" || !/^-?\d{1,40}$/.test(s)) throw new Error(`value ${i} is not an integer string`);
    const x = BigInt(s);
    if (x >= LIMIT || -x >= LIMIT) throw new Error(`value ${i} is outside the ${VALUE_BITS}-bit signed range`);
    return x;
  });
}
