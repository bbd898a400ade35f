import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { x25519 } from "@noble/curves/ed25519.js";
import { canonicalJson } from "../../protocol/src/canonical.js";
import { commitChunks, type ChunkedDataset } from "../../protocol/src/honk/chunks.js";
import { extrema } from "../../protocol/src/honk/stats.js";
import { keccakHex } from "../../protocol/src/hash.js";
import { openSealed, sealTo } from "../../node/src/crypto/sealedbox.js";
import { sealContext } from "../../node/src/runtime/aggregation/sealed.js";
import type { MemberContext, RoundContext } from "../../node/src/runtime/handler.js";
import { closePool } from "../../node/src/runtime/pool.js";
import { checkHonkExtrema, EXTREMA_PHASE, openHonkExtrema, proveHonkExtrema, type HonkExtremaEntry } from "../../node/src/zk/honk-extrema.js";

// A member's chained min/max proofs as a proven stats round carries them (node/src/zk/honk-extrema.ts):
// proven over 700 rows (2 groups), checked by anyone, the sealed opening checked by the requester
// only; a reordered, dropped, foreign-bound or altered proof, and an opening other than the proven
// one (or sealed for another member), are refused with the reason.
const C = 4;
const FX = 65536n;
const rows = Array.from({ length: 700 }, (_, i) => Array.from({ length: C }, (_, j) => BigInt(((i * 31 + j * 7) % 53) - 26) * FX + BigInt(i % 3)));
const member = "0x00000000000000000000000000000000000000a1";
const other = "0x00000000000000000000000000000000000000b2";
const sk = x25519.utils.randomSecretKey();
const spec = { nonce: "n1" } as RoundContext["spec"];
// The requester's round context, reduced to what the extrema need: the round binding, its key.
const binding = (commitment: string, m = member) => BigInt(keccakHex(new TextEncoder().encode(`${commitment}/${m.toLowerCase()}`))) >> 8n;
const ctx = {
  taskId: 7,
  round: 1,
  spec,
  self: member,
  binding,
  requesterKey: () => Promise.resolve(x25519.getPublicKey(sk)),
  openSealed: (box: Uint8Array, context: string) => openSealed(sk, box, context),
} as unknown as MemberContext & RoundContext;
let ds: ChunkedDataset;
let entry: HonkExtremaEntry;
let shape: { root: bigint; columns: number; rows: number };

before(async () => {
  ds = commitChunks(rows, 256, C, new Uint8Array(32).fill(4));
  shape = { root: ds.tree.root, columns: C, rows: rows.length };
  entry = await proveHonkExtrema(ctx, ds);
});
after(() => closePool());

test("the chain checks and the requester opens the member's extrema over every row", async () => {
  assert.equal(entry.groups.length, 2);
  const checked = await checkHonkExtrema(ctx, member, entry, shape);
  const { mins, maxs } = extrema(rows, C);
  assert.deepEqual(openHonkExtrema(ctx, member, checked, C), { mins, maxs });
});

test("reordered, dropped, foreign or altered proofs are refused", async () => {
  await assert.rejects(checkHonkExtrema(ctx, member, { ...entry, groups: [...entry.groups].reverse() }, shape), /groups must be 0\.\.1 in order/);
  await assert.rejects(checkHonkExtrema(ctx, member, { ...entry, groups: entry.groups.slice(1) }, shape), /1 min\/max proofs; .* 2 groups/);
  await assert.rejects(checkHonkExtrema(ctx, other, entry, shape), /bound to another task, round or member/);
  await assert.rejects(checkHonkExtrema(ctx, member, entry, { ...shape, root: shape.root + 1n }), /another root/);
  await assert.rejects(checkHonkExtrema(ctx, member, undefined, shape), /carries its min\/max proofs/);
  const p = Buffer.from(entry.groups[1].proof, "hex");
  p[p.length - 40] ^= 1;
  const flipped = { ...entry, groups: [entry.groups[0], { ...entry.groups[1], proof: p.toString("hex") }] };
  await assert.rejects(checkHonkExtrema(ctx, member, flipped, shape), /group 1: the UltraHonk proof does not verify/);
});

test("an opening other than the proven one, or sealed for another member, is refused by the requester", async () => {
  const checked = await checkHonkExtrema(ctx, member, entry, shape);
  const { mins, maxs } = extrema(rows, C);
  const seal = (o: unknown, m = member) => sealTo(x25519.getPublicKey(sk), new TextEncoder().encode(canonicalJson(o)), sealContext(ctx, m, EXTREMA_PHASE));
  const lower = { mins: [mins[0] - 1n, ...mins.slice(1)].map(String), maxs: maxs.map(String), blinding: "1" };
  assert.throws(() => openHonkExtrema(ctx, member, { ...checked, sealed: seal(lower) }, C), /does not open the last minmax proof's output/);
  const right = JSON.parse(new TextDecoder().decode(openSealed(sk, checked.sealed, sealContext(ctx, member, EXTREMA_PHASE)))) as unknown;
  assert.throws(() => openHonkExtrema(ctx, member, { ...checked, sealed: seal(right, other) }, C), /does not open with the requester's key/);
  assert.throws(() => openHonkExtrema(ctx, member, checked, 3), /must hold 3 mins and 3 maxs/);
});
