/**
 * Fiat–Shamir transcript for the Paillier proofs.
 *
 * Every public value of a statement goes in (the modulus, every ciphertext and commitment, the
 * claimed values, the prover's first messages and the caller's round binding), each under a label,
 * length-prefixed, so that two different statements never produce the same byte string. Partial
 * Fiat–Shamir — hashing the first message but not the statement — is what let forged proofs
 * through in several threshold-signature libraries, so the proofs here absorb the statement
 * before anything else and a verifier rebuilds the transcript from the statement it holds.
 *
 * Challenges come out of SHAKE256 over the whole transcript so far, a per-challenge label and a
 * counter; a value at or above the wanted bound is rejected and the counter moves on, so every
 * challenge is uniform in its range (no modulo bias). A challenge is then absorbed itself, so a
 * later challenge of the same transcript depends on it.
 */
import { shake256 } from "@noble/hashes/sha3.js";
import { bitLength, fromBytes, gcd } from "../bigmath.js";

const DOMAIN = "ciphermine/paillier-proofs/v1";

/** The round binding a proof is tied to: raw bytes, or hex (with or without 0x). */
export type Binding = Uint8Array | string;

const enc = new TextEncoder();

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

/** Minimal big-endian magnitude with a sign byte: 0 ↦ [0], −x and x differ. */
function intBytes(x: bigint): Uint8Array {
  const neg = x < 0n;
  const a = neg ? -x : x;
  let h = a === 0n ? "" : a.toString(16);
  if (h.length % 2) h = "0" + h;
  const out = new Uint8Array(1 + h.length / 2);
  out[0] = neg ? 1 : 0;
  out.set(Buffer.from(h, "hex"), 1);
  return out;
}

/** Checks and decodes a binding; an empty one is refused (a proof must be tied to something). */
export function bindingBytes(binding: Binding, what = "binding"): Uint8Array {
  if (binding instanceof Uint8Array) {
    if (binding.length === 0) throw new Error(`${what}: empty; pass the round binding (bytes or hex) the proof is tied to`);
    return binding;
  }
  if (typeof binding !== "string") throw new Error(`${what}: must be bytes or a hex string`);
  const h = binding.startsWith("0x") ? binding.slice(2) : binding;
  if (h.length === 0) throw new Error(`${what}: empty; pass the round binding (bytes or hex) the proof is tied to`);
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(h)) {
    throw new Error(`${what}: "${binding.slice(0, 20)}" is not non-empty hex with an even number of digits`);
  }
  return Uint8Array.from(Buffer.from(h, "hex"));
}

export class Transcript {
  private readonly parts: Uint8Array[] = [];

  /** `protocol` names the proof (domain separation between proofs that absorb similar values). */
  constructor(protocol: string) {
    this.push("domain", enc.encode(`${DOMAIN}/${protocol}`));
  }

  private push(label: string, data: Uint8Array): void {
    const l = enc.encode(label);
    this.parts.push(u32(l.length), l, u32(data.length), data);
  }

  bytes(label: string, data: Uint8Array): this {
    this.push(label, data);
    return this;
  }

  text(label: string, s: string): this {
    this.push(label, enc.encode(s));
    return this;
  }

  int(label: string, x: bigint): this {
    this.push(label, intBytes(x));
    return this;
  }

  /** A list: its length first, then each item under its index. */
  ints(label: string, xs: readonly bigint[]): this {
    this.push(`${label}#`, u32(xs.length));
    xs.forEach((x, i) => this.push(`${label}[${i}]`, intBytes(x)));
    return this;
  }

  binding(b: Binding): this {
    this.push("binding", bindingBytes(b));
    return this;
  }

  private stream(label: string, counter: number, len: number): Uint8Array {
    const all = [...this.parts, enc.encode("challenge"), u32(enc.encode(label).length), enc.encode(label), u32(counter)];
    const size = all.reduce((s, p) => s + p.length, 0);
    const buf = new Uint8Array(size);
    let at = 0;
    for (const p of all) {
      buf.set(p, at);
      at += p.length;
    }
    return shake256(buf, { dkLen: len });
  }

  /** Uniform in [0, bound), by rejection; the value is absorbed before returning. */
  challengeBelow(label: string, bound: bigint): bigint {
    if (bound < 1n) throw new Error("transcript: challenge bound must be ≥ 1");
    const bits = bitLength(bound - 1n);
    const len = Math.max(1, Math.ceil(bits / 8));
    const mask = bits % 8 === 0 ? 0xff : (1 << (bits % 8)) - 1;
    for (let ctr = 0; ; ctr++) {
      const b = this.stream(label, ctr, len);
      b[0] &= mask;
      const x = bits === 0 ? 0n : fromBytes(b);
      if (x < bound) {
        this.int(`challenge/${label}`, x);
        return x;
      }
    }
  }

  /** Uniform in [0, 2^bits). */
  challengeBits(label: string, bits: number): bigint {
    return this.challengeBelow(label, 1n << BigInt(bits));
  }

  /** Uniform in Z_n* (1 ≤ y < n, gcd(y, n) = 1), by rejection. */
  challengeUnit(label: string, n: bigint): bigint {
    for (let i = 0; ; i++) {
      const y = this.challengeBelow(i === 0 ? label : `${label}/retry${i}`, n);
      if (y > 0n && gcd(y, n) === 1n) return y;
    }
  }
}
