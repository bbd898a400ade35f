import { test } from "node:test";
import assert from "node:assert/strict";
import { Wallet } from "ethers";
import { parseTaskSpec, SpecError } from "../../protocol/src/taskspec.js";
import { vlinregRounds } from "../../protocol/src/tasks/vlinreg.js";

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
  assert.match(p[0]!, /^setup: aggregation "secagg" exchanges key shares in a Setup phase: set setup: true/);
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
  assert.ok(p.some((x) => x === `rounds: vlinreg with 20 iterations and keyHolder "label" needs ${need} rounds: set rounds: ${need}`), p.join("\n"));
  assert.ok(problems({ ...base, setup: false, rounds: need }).some((x) => x.startsWith("setup: vlinreg needs a Setup phase")));
  assert.deepEqual(problems({ ...base, rounds: need }), []);
});
