import { test } from "node:test";
import assert from "node:assert/strict";
import { Wallet } from "ethers";
import { parseTaskSpec, SpecError } from "../../protocol/src/taskspec.js";
import { VLINREG_DEFAULT_MAX_ITERATIONS, VLINREG_DEFAULT_TOLERANCE, vlinregPlan, vlinregRounds, vlinregRoundsFor } from "../../protocol/src/tasks/vlinreg/index.js";

// Kind requirements that used to surface only as a failed round (members declining, too-few-joined
// 30 s later) are refused when the spec is parsed, naming the field and the value to set.
const requester = Wallet.createRandom().address;
const owners = [Wallet.createRandom().address, Wallet.createRandom().address];

function problems(input: Record<string, unknown>): string[] {
  try {
    parseTaskSpec({ requester, ...input });
  } catch (e) {
    assert.ok(e instanceof SpecError);
    return e.problems;
  }
  return [];
}

test("secagg without a Setup phase is refused at parse time; with setup: true it parses", () => {
  const base = { kind: "stats", datasets: [{ owner: owners[0], datasetId: "d" }], params: { columns: ["a"] }, aggregation: "secagg" };
  const p = problems(base);
  assert.equal(p.length, 1);
  assert.match(p[0], /^setup: aggregation "secagg" exchanges key shares in a Setup phase: set setup: true/);
  assert.deepEqual(problems({ ...base, setup: true }), []);
});

test("vlinreg: too few rounds for its iterations is refused with the number to set", () => {
  const params = {
    label: { owner: owners[0], column: "y" },
    features: [{ name: "a", owner: owners[1], columns: ["x"] }],
    idColumn: "id",
    iterations: 20,
  };
  const base = { kind: "vlinreg", datasets: owners.map((owner) => ({ owner, datasetId: "d" })), params, setup: true };
  const need = vlinregRounds(20, "label");
  const p = problems({ ...base, rounds: need - 1 });
  assert.ok(
    p.some((x) => x.startsWith(`rounds: vlinreg with up to 20 iterations and keyHolder "label" needs ${need} rounds: set rounds: ${need}`)),
    p.join("\n"),
  );
  assert.ok(problems({ ...base, setup: false, rounds: need }).some((x) => x.startsWith("setup: vlinreg needs a Setup phase")));
  assert.deepEqual(problems({ ...base, rounds: need }), []);
});

test("vlinreg: rounds derive from maxIterations (default 300, tolerance 1e-6); iterations is a fixed count and excludes both", () => {
  const params = { label: { owner: owners[0], column: "y" }, features: [{ name: "a", owner: owners[1], columns: ["x"] }], idColumn: "id" };
  assert.deepEqual(vlinregPlan(params), { maxIterations: VLINREG_DEFAULT_MAX_ITERATIONS, tolerance: VLINREG_DEFAULT_TOLERANCE });
  assert.equal(VLINREG_DEFAULT_TOLERANCE, 1e-6);
  assert.equal(vlinregRoundsFor(params), vlinregRounds(VLINREG_DEFAULT_MAX_ITERATIONS, "label"));
  assert.equal(vlinregRoundsFor({ ...params, maxIterations: 40, keyHolder: "features" }), vlinregRounds(40, "features"));
  assert.deepEqual(vlinregPlan({ ...params, iterations: 7 }), { maxIterations: 7, tolerance: 0 });
  const base = { kind: "vlinreg", datasets: owners.map((owner) => ({ owner, datasetId: "d" })), setup: true };
  assert.deepEqual(problems({ ...base, params, rounds: vlinregRoundsFor(params) }), []);
  assert.ok(problems({ ...base, params, rounds: vlinregRoundsFor(params) - 1 }).some((x) => x.startsWith("rounds: vlinreg with up to 300 iterations")));
  assert.ok(
    problems({ ...base, params: { ...params, iterations: 5, tolerance: 1e-4 }, rounds: 10 }).some((x) =>
      x.startsWith("params.iterations: params.iterations (a fixed count) cannot be combined"),
    ),
  );
});
