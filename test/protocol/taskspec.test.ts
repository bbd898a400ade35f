import { test } from "node:test";
import assert from "node:assert/strict";
import { parseTaskSpec, specHash, SpecError, canonicalJson, kindKey, datasetKey } from "../../protocol/src/index.js";
import { proofSystemOf } from "../../protocol/src/taskspec.js";

const owner = "0x" + "22".repeat(20);
const requester = "0x" + "11".repeat(20);
const good = { kind: "stats", requester, datasets: [{ owner, datasetId: "iris" }], params: { columns: ["petal"] }, nonce: "n1" };

test("a valid spec gets its defaults and a stable hash", () => {
  const a = parseTaskSpec(good);
  const b = parseTaskSpec({ ...good, params: { columns: ["petal"] } });
  assert.equal(a.aggregation, "plain");
  assert.equal(a.deadlines.compute, 120);
  assert.equal(specHash(a), specHash(b));
  assert.notEqual(specHash(a), specHash(parseTaskSpec({ ...good, nonce: "n2" })));
});

test("every bad field is named with its fix", () => {
  assert.throws(
    () => parseTaskSpec({ kind: "nope", requester: "0x12", datasets: [], members: { min: 3, max: 2, threshold: 1 } }),
    (e: unknown) => {
      assert.ok(e instanceof SpecError);
      const m = e.message;
      assert.match(m, /kind: unknown kind "nope": use one of .*stats/);
      assert.match(m, /requester: must be a 0x-prefixed 20-byte Ethereum address/);
      assert.match(m, /datasets: datasets must reference at least one/);
      assert.match(m, /members.min: members.min must not exceed members.max/);
      return true;
    },
  );
});

test("kind parameters are validated by the kind's own schema", () => {
  assert.throws(() => parseTaskSpec({ ...good, params: { columns: [] } }), /params.columns: params.columns must name at least one column/);
  assert.throws(() => parseTaskSpec({ ...good, members: { min: 2, max: 3, threshold: 3 } }), /members.threshold must not exceed members.min/);
});

test("canonical JSON sorts keys at every depth and refuses non-finite numbers", () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: 3n } }), '{"a":{"c":"3","d":[2,{"y":2,"z":1}]},"b":1}');
  assert.throws(() => canonicalJson({ x: Number.NaN }), /non-finite number NaN/);
});

test("on-chain keys are keccak256 of the names", () => {
  // keccak256("stats"), computed independently; Solidity's keccak256(bytes("stats")) gives the same.
  assert.equal(kindKey("stats"), "0x3d71da1a501db4dfb9a53fbeb3d4dc8b8f0879ab738914bf6345a84772667d54");
  assert.equal(datasetKey("stats"), kindKey("stats"));
  assert.notEqual(datasetKey("iris"), kindKey("stats"));
});

test('proofSystem: UltraHonk without the field; "honk" still accepted; "groth16" refused naming the field', () => {
  const a = parseTaskSpec({ ...good, verification: "offchain" });
  assert.equal(a.proofSystem, undefined);
  assert.equal(proofSystemOf(a), "honk");
  assert.equal(proofSystemOf(parseTaskSpec({ ...good, verification: "offchain", proofSystem: "honk" })), "honk");
  assert.equal(proofSystemOf(parseTaskSpec(good)), undefined);
  assert.equal(proofSystemOf(parseTaskSpec({ ...good, verification: "onchain" })), "groth16", "on-chain checks keep the Groth16 verifiers until ChunkAudit is wired");
  assert.throws(() => parseTaskSpec({ ...good, verification: "offchain", proofSystem: "groth16" }), /proofSystem: only "honk" is accepted: .*drop proofSystem/);
  assert.throws(() => parseTaskSpec({ ...good, verification: "onchain", proofSystem: "honk" }), /proofSystem: verification "onchain" still uses the Groth16 contracts/);
  assert.ok(!canonicalJson(a).includes("proofSystem"), "an absent proofSystem is not in the canonical spec");
  assert.notEqual(specHash(a), specHash(parseTaskSpec({ ...good, verification: "offchain", proofSystem: "honk" })));
  assert.throws(() => parseTaskSpec({ ...good, proofSystem: "honk" }), /proofSystem: proofSystem "honk" applies to proven tasks: set verification: "offchain"/);
  assert.throws(() => parseTaskSpec({ ...good, verification: "offchain", proofSystem: "plonk" }), /proofSystem:/);
});
