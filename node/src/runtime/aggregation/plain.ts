import { canonicalJson } from "../../../../protocol/src/canonical.js";
import { plainCommitment, type ReceivedContribution, type RoundContext, type Submission } from "../handler.js";
import { openFromMember, sealForRequester } from "./sealed.js";
import { VECTOR_FIXED } from "../../../../protocol/src/fixedpoint.js";
import { VALUE_BITS } from "./vector.js";

/**
 * `plain` backend: the encoded vector as decimal integers, sealed to the requester's registered
 * X25519 key (./sealed.ts), committed by keccak256 of the sealed bytes. Only the requester reads a
 * member's vector; the connector stores a box.
 */
interface PlainPayload {
  v: 1;
  kind: "vector/plain";
  values: string[];
}

function encodePlain(values: readonly bigint[]): Uint8Array {
  const payload: PlainPayload = { v: 1, kind: "vector/plain", values: values.map(String) };
  return new TextEncoder().encode(canonicalJson(payload));
}

/** An empty acknowledgement in the clear (a Setup phase the backend does not use): nothing in it to hide. */
export function plainAck(): Submission {
  const bytes = encodePlain([]);
  return { payload: bytes, commitment: plainCommitment(bytes) };
}

/** A member's vector, sealed to the requester. */
export function plainSubmission(ctx: RoundContext, values: readonly bigint[]): Promise<Submission> {
  return sealForRequester(ctx, encodePlain(values));
}

/** The requester opens and parses a plain contribution; throws naming what is wrong (the caller leaves it out and reports why). */
export function parsePlain(ctx: RoundContext, c: ReceivedContribution, length: number): bigint[] {
  const bytes = openFromMember(ctx, c);
  let p: PlainPayload;
  try {
    p = JSON.parse(new TextDecoder().decode(bytes)) as PlainPayload;
  } catch {
    throw new Error("payload is not JSON");
  }
  if (p?.v !== 1 || p.kind !== "vector/plain" || !Array.isArray(p.values)) throw new Error("payload is not a plain contribution vector");
  if (p.values.length !== length) throw new Error(`vector has ${p.values.length} values, the task expects ${length}`);
  return p.values.map((s, i) => {
    if (typeof s !== "string" || !/^-?\d{1,40}$/.test(s)) throw new Error(`value ${i} is not an integer string`);
    const x = BigInt(s);
    if (!VECTOR_FIXED.fits(x)) throw new Error(`value ${i} is outside the ${VALUE_BITS}-bit signed range`);
    return x;
  });
}
