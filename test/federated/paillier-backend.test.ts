/**
 * The `paillier` backend's guarantees (issue 16), in the local debug mode (the same handler,
 * phases and checks as on a network): the requester never receives one member's ciphertexts, only
 * members' homomorphic sums; members refuse an uncertified key; under proofs a member whose
 * ciphertexts do not hold its committed values is named and left out. 1024-bit keys.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { generatePrimeSync } from "node:crypto";
import { x25519 } from "@noble/curves/ed25519.js";
import { runLocal } from "../../node/src/runtime/local.js";
import { statsHandler, type SecureStatsResult } from "../../node/src/runtime/kinds/stats/index.js";
import { admitBackend } from "../../node/src/runtime/aggregation/index.js";
import { certificateFor, checkTaskKey, newRequesterKey, openAsMember, sealContext, sealToMembers, type SealedPayload } from "../../node/src/runtime/aggregation/paillier.js";
import { openSealed } from "../../node/src/crypto/sealedbox.js";
import { packingLayout, paillierDecrypt, paillierKeygen, unpack } from "../../node/src/crypto/paillier.js";
import { keccakHex } from "../../protocol/src/hash.js";
import { canonicalJson } from "../../protocol/src/canonical.js";
import type { TaskSpec } from "../../protocol/src/taskspec.js";
import { releaseZk } from "../../chain-connector/src/zkverify.js";
import { IRIS_COLS, irisTables, union } from "./reference.js";

const BITS = 1024;
const input = { kind: "stats", aggregation: "paillier", members: { min: 3, max: 3, threshold: 2 }, params: { columns: IRIS_COLS } } as const;

const json = <T>(b: Uint8Array) => JSON.parse(new TextDecoder().decode(b)) as T;
const unhex = (h: string) => new Uint8Array(Buffer.from(h, "hex"));

describe("paillier: the requester learns only the sum", () => {
  test("no blob the requester reads holds a member's ciphertext; the members' sums decrypt to the total; a member silent in Aggregate is covered", async () => {
    const key = newRequesterKey(BITS, "0x" + "00".repeat(20));
    const requesterX = x25519.utils.randomSecretKey();
    const seen: { phase: string; member: number; payload: Uint8Array }[] = [];
    const own: string[][] = [];
    const tables = irisTables(3);
    const run = await runLocal(statsHandler, input, tables, {
      paillierKey: key,
      requesterX25519: requesterX,
      drop: { reveal: [0] },
      tamper: (info, s, ctx) => {
        seen.push({ phase: info.phase, member: info.member, payload: s.payload });
        if (info.phase === "compute") {
          // The member itself can open the box addressed to it: its ciphertexts, to look for later.
          own[info.member] = json<{ c: string[] }>(openAsMember(ctx, ctx.self, ctx.self, ctx.roundKey.secretKey, json<SealedPayload>(s.payload))).c;
        }
        return s;
      },
    });
    const res = run.result as SecureStatsResult;
    assert.equal(res.columns.sepal_length.count, union(tables).length);
    assert.equal(res.contributors.length, 3);
    assert.equal(own.length, 3);
    const compute = seen.filter((s) => s.phase === "compute");
    const sums = seen.filter((s) => s.phase === "reveal");
    assert.equal(sums.length, 2, "member 0 went silent in Aggregate; the other two sent sums");
    const everything = seen.map((s) => new TextDecoder().decode(s.payload)).join("\n");
    for (const [m, cs] of own.entries()) for (const c of cs) assert.ok(!everything.includes(c), `member ${m}'s ciphertext appears in a blob the requester reads`);
    // Every box is sealed to a member's round key: the requester's X25519 key opens none of them.
    for (const s of compute) {
      const p = json<SealedPayload & { c?: unknown }>(s.payload);
      assert.equal(p.kind, "vector/paillier-sealed");
      assert.equal(p.c, undefined);
      assert.deepEqual(p.boxes.map((b) => b.to).sort(), run.members.map((a) => a.toLowerCase()).sort());
      for (const b of p.boxes) {
        assert.throws(() => openSealed(requesterX, unhex(b.box), sealContext({ spec: run.spec, taskId: 1, round: 1 }, run.members[s.member], b.to)));
        assert.throws(() => openAsMember({ spec: run.spec, taskId: 1, round: 1 }, run.members[s.member], b.to, requesterX, p), /does not open/);
      }
    }
    // What the requester does read: two identical sums over all three members, which decrypt to the total.
    const [a, b] = sums.map((s) => json<{ members: string[]; c: string[] }>(s.payload));
    assert.deepEqual(a, b);
    assert.equal(a.members.length, 3);
    const layout = packingLayout(key.sk.publicKey, 80, 3);
    const total = unpack(layout, paillierDecrypt(key.sk, BigInt("0x" + a.c[0])), 1, 3)[0];
    assert.equal(total, BigInt(union(tables).length) << 20n, "slot 0 holds Σ count at scale 2^20");
  });
});

describe("paillier: certified keys", () => {
  const requester = "0x" + "ab".repeat(20);
  const sk = paillierKeygen(BITS, { blum: true });
  const cert = certificateFor(sk, requester);
  const blobs = (m: Map<string, Uint8Array>) => ({
    get: async (h: string) => {
      const b = m.get(h);
      if (!b) throw new Error(`no blob ${h}`);
      return b;
    },
  });
  const specWith = (paillier: Record<string, unknown>, who = requester) =>
    ({ aggregation: "paillier", setup: false, requester: who, members: { threshold: 2 }, params: { paillier } }) as unknown as TaskSpec;

  test("a certified key is accepted; without a certificate the member declines at admission", async () => {
    const store = new Map([[keccakHex(cert), cert]]);
    await checkTaskKey(specWith({ n: sk.publicKey.n.toString(16), cert: keccakHex(cert) }), blobs(store));
    assert.match(admitBackend(specWith({ n: sk.publicKey.n.toString(16) })) ?? "", /params\.paillier\.cert: .*refuse an uncertified key/);
  });

  test("a bad key is refused with the reason: a modulus with a small factor, another key's certificate, another requester, an altered blob", async () => {
    const store = new Map([[keccakHex(cert), cert]]);
    const weak = (3n * generatePrimeSync(BITS - 1, { bigint: true })).toString(16); // a factor 3, presented with a good key's proofs
    await assert.rejects(
      checkTaskKey(specWith({ n: weak, cert: keccakHex(cert) }), blobs(store)),
      /is not certified, so this member refuses to encrypt to it: .*Π\^mod does not verify/,
    );
    const other = paillierKeygen(BITS, { blum: true });
    await assert.rejects(checkTaskKey(specWith({ n: other.publicKey.n.toString(16), cert: keccakHex(cert) }), blobs(store)), /not certified.*Π\^mod does not verify/);
    await assert.rejects(
      checkTaskKey(specWith({ n: sk.publicKey.n.toString(16), cert: keccakHex(cert) }, "0x" + "cd".repeat(20)), blobs(store)),
      /not certified.*another key or context/,
    );
    // A certificate not checked before (checks are kept per key, blob hash and requester), altered in the store.
    const fresh = certificateFor(sk, requester);
    const altered = new Map([[keccakHex(fresh), fresh.map((x, i) => (i === 200 ? x ^ 1 : x))]]);
    await assert.rejects(checkTaskKey(specWith({ n: sk.publicKey.n.toString(16), cert: keccakHex(fresh) }), blobs(altered)), /does not match its hash/);
    await assert.rejects(checkTaskKey(specWith({ n: sk.publicKey.n.toString(16), cert: "0x" + "11".repeat(32) }), blobs(store)), /not certified.*no blob/);
  });

  test("members decline a task whose key has no certificate: nobody joins and the round fails", async () => {
    await assert.rejects(
      runLocal(statsHandler, { ...input, params: { ...input.params, paillier: { n: sk.publicKey.n.toString(16) } } }, irisTables(3)),
      /round 1 failed: 0 members joined/,
    );
  });
});

describe("paillier with proofs: a member whose ciphertexts are not its committed values is named", () => {
  after(releaseZk);

  test(
    "stats / paillier / onchain (Groth16): the member that added 1 to its first ciphertext is left out with the equality proof's reason; the others' sum is exact",
    { timeout: 600_000 },
    async () => {
      const tables = irisTables().map((t) => ({ ...t, rows: t.rows.slice(0, 20) }));
      const run = await runLocal(statsHandler, { ...input, verification: "onchain" }, tables, {
        paillierBits: BITS,
        tamper: (info, s, ctx) => {
          if (info.phase !== "compute" || info.member !== 1) return s;
          const env = json<{ body: string }>(s.payload);
          const sealed = json<SealedPayload>(unhex(env.body));
          const inner = json<{ c: string[] }>(openAsMember(ctx, ctx.self, ctx.self, ctx.roundKey.secretKey, sealed));
          const n = BigInt("0x" + (ctx.spec.params as { paillier: { n: string } }).paillier.n);
          // (1+N)·C adds 1 to the packed plaintext: the first committed value (the count) is off by one.
          inner.c[0] = ((BigInt("0x" + inner.c[0]) * (1n + n)) % (n * n)).toString(16);
          const resealed = sealToMembers(ctx, ctx.self, sealed.key, new TextEncoder().encode(canonicalJson(inner)));
          env.body = Buffer.from(canonicalJson(resealed)).toString("hex");
          return { ...s, payload: new TextEncoder().encode(canonicalJson(env)) };
        },
      });
      const res = run.result as SecureStatsResult;
      assert.equal(res.rejected.length, 1);
      assert.equal(res.rejected[0].member.toLowerCase(), run.members[1].toLowerCase());
      assert.match(res.rejected[0].reason, /equality proof/);
      assert.deepEqual(res.contributors, [run.members[0], run.members[2]].map((a) => a.toLowerCase()).sort());
      assert.equal(res.columns.sepal_length.count, union([tables[0], tables[2]]).length);
    },
  );
});
