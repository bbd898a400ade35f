import { test } from "node:test";
import assert from "node:assert/strict";
import { outputsCommitment } from "../../protocol/src/binding.js";
import { ConnectorError, type Groth16Proof } from "../../chain-connector/src/connector.js";
import { checkContributionProof } from "../../chain-connector/src/proofcheck.js";

// The one off-chain proof check both connectors call: each refusal with its code, and the
// verifier consulted only once the public signals bind to this round, commitment and root.
const member = "0x00000000000000000000000000000000000000aa";
const root = 0x1234n;
const rootHex = "0x" + root.toString(16).padStart(64, "0");
const outputs = [5n, 6n];
const commitment = outputsCommitment(outputs);
const binding = 777n;
const proof = (signals: string[]): Groth16Proof => ({
  a: ["1", "2"],
  b: [
    ["1", "2"],
    ["3", "4"],
  ],
  c: ["1", "2"],
  publicSignals: signals,
});
const good = proof([...outputs, binding, root].map(String));

function run(over: Partial<Parameters<typeof checkContributionProof>[0]> = {}, verdict: boolean | Error = true) {
  let asked = 0;
  const p = checkContributionProof({
    kind: "stats",
    taskId: 1,
    member,
    commitment,
    binding,
    proof: good,
    hasRoot: (m, r) => m === member && r === rootHex,
    verifier: {
      verify: async () => {
        asked++;
        if (verdict instanceof Error) throw verdict;
        return verdict;
      },
    },
    ...over,
  });
  return { p, asked: () => asked };
}

const code = (c: string, msg?: RegExp) => (e: unknown) => e instanceof ConnectorError && e.code === c && (!msg || msg.test(e.message));

test("a bound, verifying proof passes", async () => {
  const r = run();
  await r.p;
  assert.equal(r.asked(), 1);
});

test("malformed proofs are InvalidProof before the verifier runs", async () => {
  for (const bad of [
    undefined,
    proof([String(binding), String(root)]),
    proof(["", "6", String(binding), String(root)]),
    proof(["-1", "6", String(binding), String(root)]),
    proof(["0x5", "6", String(binding), String(root)]),
    proof([(1n << 256n).toString(), "6", String(binding), String(root)]),
  ]) {
    const r = run({ proof: bad });
    await assert.rejects(r.p, code("InvalidProof"));
    assert.equal(r.asked(), 0);
  }
});

test("another binding, commitment or root is BadBinding", async () => {
  await assert.rejects(run({ binding: 778n }).p, code("BadBinding", /bound to another/));
  await assert.rejects(run({ commitment: outputsCommitment([5n, 7n]) }).p, code("BadBinding", /keccak256 of the proof's packed outputs/));
  await assert.rejects(run({ hasRoot: () => false }).p, code("BadBinding", /never committed by/));
});

test("a proof that does not verify, or a verifier that fails, is InvalidProof", async () => {
  await assert.rejects(run({}, false).p, code("InvalidProof", /does not verify against the stats verification key/));
  await assert.rejects(run({}, new Error("no key")).p, code("InvalidProof", /could not be checked: no key/));
});

test("honkSubmission: an offchain task (UltraHonk, with or without proofSystem) skips the Groth16 check, and refuses a Groth16 proof sent with it", async () => {
  const { honkSubmission } = await import("../../chain-connector/src/proofcheck.js");
  assert.equal(honkSubmission({ verification: "offchain", proofSystem: "honk" }, undefined), true);
  assert.equal(honkSubmission({ verification: "offchain" }, undefined), true);
  assert.equal(honkSubmission({ verification: "onchain" }, good), false);
  assert.equal(honkSubmission({}, good), false);
  assert.equal(honkSubmission(null, undefined), false);
  assert.throws(
    () => honkSubmission({ verification: "offchain" }, good),
    (e: unknown) => e instanceof ConnectorError && e.code === "InvalidProof" && /submit without a Groth16 proof/.test(e.message),
  );
});
