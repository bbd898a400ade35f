import { test } from "node:test";
import assert from "node:assert/strict";
import { TASK_KINDS, kindDef } from "../../protocol/src/tasks/registry.js";
import { NODE_KINDS } from "../../node/src/runtime/kinds/registry.js";
import { CONTRIBUTION_CIRCUITS, parseContributionSignals } from "../../protocol/src/contributions.js";
import { CIRCUITS, checkKindCircuits } from "../../circuits/registry.js";
import { membersRead } from "../../chain-connector/src/http/authz.js";
import { Phase } from "../../protocol/src/phases.js";

/** The node-side registry and the protocol's list of kinds describe the same kinds. */
test("NODE_KINDS covers exactly the protocol's TASK_KINDS, once each", () => {
  const node = NODE_KINDS.map((h) => h.kind);
  assert.equal(new Set(node).size, node.length, `a kind has two node handlers: ${node.join(", ")}`);
  assert.deepEqual([...node].sort(), TASK_KINDS.map((k) => k.name).sort());
});

test("each handler implements the backends of its kind's family", () => {
  for (const h of NODE_KINDS) {
    const def = kindDef(h.kind)!;
    if (def.family === "federated")
      assert.deepEqual([...h.aggregations].sort(), ["paillier", "plain", "secagg"], `${h.kind} is federated: it must run on every aggregation backend`);
    else assert.ok(h.aggregations.length > 0, `${h.kind} names no aggregation`);
    if (def.family === "outsourced") assert.equal(h.needsData, false, `${h.kind}: outsourced workers hold no rows`);
  }
});

test("the proof parts name built circuits with the kind's public-input layout; the connector's read rules come from the kinds", () => {
  checkKindCircuits();
  for (const k of TASK_KINDS) {
    if (!("proof" in k) || !k.proof) {
      assert.equal((CONTRIBUTION_CIRCUITS as Record<string, string>)[k.name], undefined);
      continue;
    }
    assert.equal(CONTRIBUTION_CIRCUITS[k.name], k.proof.circuit);
    assert.deepEqual(CIRCUITS.find((c) => c.name === k.proof.circuit)!.publicSignals, [...k.proof.publicInputs]);
  }
  // pca is federated: with secagg its members read each other's Setup and Compute messages, as stats' do.
  for (const kind of ["stats", "pca"]) {
    assert.equal(membersRead({ kind, aggregation: "secagg" }, Phase.Setup), "round");
    assert.equal(membersRead({ kind, aggregation: "plain" }, Phase.Compute), "none");
    // paillier: members sum each other's sealed ciphertexts in Aggregate; the sums are for the requester only.
    assert.equal(membersRead({ kind, aggregation: "paillier" }, Phase.Compute), "round");
    assert.equal(membersRead({ kind, aggregation: "paillier" }, Phase.Aggregate), "none");
  }
  assert.equal(membersRead({ kind: "vlinreg", aggregation: "plain" }, Phase.Compute), "task");
  assert.equal(membersRead({ kind: "sknn", aggregation: "plain" }, Phase.Compute), "none");
});

test("proof public signals are read by each kind's declared layout", () => {
  const s = [11n, 12n, 13n, 14n, 15n, 16n];
  assert.deepEqual(parseContributionSignals("stats", s), { commitment: { x: 11n, y: 12n }, extrema: 13n, chunkIndex: 14, binding: 15n, root: 16n });
  for (const kind of ["kmeans", "linreg", "logreg"] as const)
    assert.deepEqual(parseContributionSignals(kind, s.map(String)), { commitment: { x: 11n, y: 12n }, chunkIndex: 13, paramsHash: 14n, binding: 15n, root: 16n });
  assert.throws(() => parseContributionSignals("stats", s.slice(1)), /a stats proof has 6 public signals, got 5/);
  assert.throws(() => parseContributionSignals("pca" as never, s), /kind pca has no contribution circuit/);
});
