import { test } from "node:test";
import assert from "node:assert/strict";
import { ZeroAddress } from "ethers";
import { outputsCommitment, roundBinding } from "../../protocol/src/binding.js";
import { keccakHex } from "../../protocol/src/hash.js";
import { proofListTree } from "../../protocol/src/honk/prooflist.js";
import { recheckHonk, type RecheckInput } from "../../dash/src/recheck.js";

/**
 * The browser's re-check of an UltraHonk-proven contribution, the steps before the proof itself
 * (the proof check is passed in; the browser test runs it with bb.js' WASM on real proofs): each
 * tampering is caught by its own step, named in the message.
 */
const word = (x: bigint) => "0x" + x.toString(16).padStart(64, "0");
const member = "0x00000000000000000000000000000000000000aa";
const root = word(123456789n);
const domain = { taskManager: ZeroAddress, chainId: "0" };

function contribution(opts: { member?: string; groups?: number; root?: string } = {}): RecheckInput {
  const list = Array.from({ length: opts.groups ?? 1 }, (_, g) => {
    const out = [7n + BigInt(g), 9n];
    const binding = roundBinding({ ...domain, taskId: 3, round: 2, member: opts.member ?? member, commitment: outputsCommitment(out) });
    return { proof: Uint8Array.from({ length: 64 }, (_, i) => (i * 7 + g) & 255), publicInputs: [opts.root ?? root, word(BigInt(g)), word(binding), ...out.map(word)] };
  });
  const env = {
    v: 1,
    kind: "fed/honk",
    circuit: "stats_chunk",
    body: "",
    groups: list.map((g) => ({ proof: Buffer.from(g.proof).toString("hex"), publicInputs: g.publicInputs })),
  };
  const blob = new TextEncoder().encode(JSON.stringify(env));
  return {
    blob,
    blobHash: keccakHex(blob),
    commitment: proofListTree(list).root,
    member,
    taskId: 3,
    round: 2,
    bindingDomain: domain,
    datasets: [{ root, rows: 50, version: 1 }],
    honk: {
      kind: "stats",
      circuit: "stats_chunk",
      publicInputs: ["root", "group", "binding", "commitment.x", "commitment.y"],
      chunkRows: 256,
      chunksPerProof: 4,
      vk: "",
      crs: { g1: "", g2: "" },
    },
  };
}

test("a well-formed contribution passes every step, and the proof check sees each group's bytes and public inputs", () => {
  const seen: number[] = [];
  const r = recheckHonk(contribution(), (proof, pis) => (seen.push(proof.length, pis.length, pis[0].length), true));
  assert.deepEqual(r, {
    ok: true,
    groups: 1,
    steps: ["blob hash", "envelope", "circuit stats_chunk", "commitment", "dataset root", "1 group(s) cover 50 rows", "groups, root and round binding", "UltraHonk proof verified"],
  });
  assert.deepEqual(seen, [64, 5, 32]);
});

test("each tampering fails at its own step", () => {
  const yes = () => true;
  const fail = (x: RecheckInput, verify = yes) => recheckHonk(x, verify).error;
  const c = contribution();
  assert.match(fail({ ...c, blob: Uint8Array.from([...c.blob.slice(0, -1), 32]) })!, /^blob hash: the blob served does not hash to the recorded/);
  assert.match(fail({ ...c, commitment: word(1n) })!, /^commitment: the recorded commitment is not the Merkle root of the proof list/);
  assert.match(fail({ ...c, datasets: [{ root: word(5n), rows: 50, version: 1 }] })!, /^dataset root: the proofs' root 0x0+75bcd15 is not a registered version/);
  assert.match(fail({ ...c, datasets: [{ root, rows: 2000, version: 2 }] })!, /^2 group\(s\) cover 2000 rows: 1 group proofs for 2000 rows/);
  assert.match(fail({ ...contribution({ member: "0x00000000000000000000000000000000000000bb" }) })!, /^group 0: binding: the proof is bound to another task, round or member/);
  assert.match(fail({ ...c, round: 3 })!, /^group 0: binding/);
  assert.match(fail({ ...c, honk: { ...c.honk, circuit: "kmeans_chunk", kind: "kmeans" } })!, /^circuit kmeans_chunk: the proofs are for stats_chunk/);
  assert.match(
    fail(c, () => false)!,
    /^group 0: the UltraHonk proof does not verify against the stats_chunk verification key$/,
  );
  assert.match(
    fail(c, () => {
      throw new Error("Deserialized point is not on the curve");
    })!,
    /does not verify against the stats_chunk verification key \(Deserialized point is not on the curve\)$/,
  );
  const notJson = new TextEncoder().encode("not json");
  assert.match(fail({ ...c, blob: notJson, blobHash: keccakHex(notJson) })!, /^envelope: the contribution is not JSON/);
});

test("several groups: in order, all under one root", () => {
  const two = contribution({ groups: 2 });
  const big = { ...two, datasets: [{ root, rows: 1500, version: 1 }] };
  assert.equal(recheckHonk(big, () => true).ok, true);
  // Swapping the two groups keeps the list's root only if the commitment is recomputed: the order check then fails.
  const env = JSON.parse(new TextDecoder().decode(big.blob)) as { groups: { proof: string; publicInputs: string[] }[] };
  env.groups.reverse();
  const blob = new TextEncoder().encode(JSON.stringify(env));
  const swapped = {
    ...big,
    blob,
    blobHash: keccakHex(blob),
    commitment: proofListTree(env.groups.map((g) => ({ proof: Buffer.from(g.proof, "hex"), publicInputs: g.publicInputs }))).root,
  };
  assert.match(recheckHonk(swapped, () => true).error!, /^group 0: proves group 1/);
});
