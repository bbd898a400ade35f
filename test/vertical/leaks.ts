import { encodeStd, standardize } from "../../node/src/vertical/index.js";
import type { Delivery, ProtocolEvent } from "../../node/src/vertical/tables.js";

/**
 * Whether `s` occurs in `payload` as a whole token (not next to a letter, digit or point): a value
 * written as a JSON number or string is found, while an 8-digit fixed-point fingerprint that
 * happens to occur inside a long hex string (a masked value, a public key) is not.
 */
function hasToken(payload: string, s: string): boolean {
  const inner = /[0-9A-Za-z.]/;
  for (let i = payload.indexOf(s); i >= 0; i = payload.indexOf(s, i + 1)) {
    const before = payload[i - 1];
    const after = payload[i + s.length];
    if (!(before && inner.test(before)) && !(after && inner.test(after))) return true;
  }
  return false;
}

/** Tables y may decrypt in label mode: each carries a mask y does not know. */
export const MASKED = /^(term\/\d+\/[A-Za-z0-9_-]+->[A-Za-z0-9_-]+|lterm\/\d+\/[A-Za-z0-9_-]+)$/;

/** Long decimal forms of each party's values (raw, standardized and fixed point), to search payloads for. */
export function fingerprints(byOwner: Record<string, number[][]>): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const [owner, cols] of Object.entries(byOwner)) {
    const s: string[] = [];
    for (const col of cols) {
      const st = standardize(col, owner).values;
      col.forEach((v, i) => {
        if (String(v).length >= 8) s.push(String(v));
        s.push(String(st[i]));
        const fx = encodeStd(st[i], owner).toString();
        if (fx.replace("-", "").length >= 8) s.push(fx);
      });
    }
    m.set(owner, s);
  }
  return m;
}

/**
 * What a party must never receive, from a recorded transcript (the in-process TableStore's or the
 * runtime's): a ciphertext table under its own key other than its own gradient (features mode) or
 * a masked term (label mode, y); a sealed table not addressed to it; any plaintext table — or
 * opened sealed table — holding a per-row vector of values, or any other party's value. And y
 * decrypts nothing but the protocol's masked sums (x_j's label term, masked by x_j alone, times
 * the masked terms to x_j). Returns the offending deliveries.
 */
export function transcriptLeaks<D extends Delivery>(t: {
  rows: number;
  prints: Map<string, string[]>;
  deliveries: readonly D[];
  events: readonly ProtocolEvent[];
  /** The bytes of a plaintext delivery, as text. */
  payload(d: D): string;
}): string[] {
  const bad: string[] = [];
  const plain = (reader: string, table: string, payload: string) => {
    const parsed = JSON.parse(payload) as Record<string, unknown>;
    for (const [k, v] of Object.entries(parsed)) {
      if (k !== "ids" && Array.isArray(v) && v.length >= t.rows && v.some((x) => typeof x === "number" || /^-?\d/.test(String(x)))) {
        bad.push(`${reader} received a per-row vector in ${table}.${k}`);
      }
    }
    for (const [owner, strs] of t.prints) {
      if (owner === reader) continue;
      const hit = strs.find((s) => hasToken(payload, s));
      if (hit) bad.push(`${reader} received ${owner}'s value ${hit} in ${table}`);
    }
  };
  for (const d of t.deliveries) {
    if (d.type === "ciphertexts") {
      const own = new RegExp(`^grad/\\d+/${d.reader}$`).test(d.table) || (d.reader === "y" && MASKED.test(d.table));
      if (d.key === d.reader && !own) bad.push(`${d.reader} can decrypt ${d.table}`);
      continue;
    }
    if (d.type === "sealed") {
      if (!d.to?.includes(d.reader)) bad.push(`${d.reader} read ${d.table}, sealed to ${d.to?.join(", ")}`);
      continue;
    }
    plain(d.reader, d.table, t.payload(d));
  }
  for (const e of t.events) {
    if (e.kind === "decrypted") {
      if (e.reader !== "y" || e.key !== "y") bad.push(`${e.reader} decrypted under ${e.key}'s key`);
      if (!e.tables.every((x) => MASKED.test(x)) || !e.tables.some((x) => x.startsWith("lterm/")))
        bad.push(`y decrypted ${e.tables.join(" · ")}, not the protocol's masked sum (lterm · terms)`);
      continue;
    }
    if (e.type === "ciphertexts") {
      if (e.key === e.reader) bad.push(`${e.reader} can decrypt the content of ${e.table}`);
      continue;
    }
    plain(e.reader, `${e.table} (opened)`, new TextDecoder().decode(e.bytes));
  }
  return bad;
}
