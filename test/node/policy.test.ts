import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Wallet } from "ethers";
import { Role } from "../../protocol/src/phases.js";
import { parseTaskSpec } from "../../protocol/src/taskspec.js";
import "../../protocol/src/tasks/index.js";
import { NodeStore } from "../../node/src/store/store.js";
import { HandlerRegistry } from "../../node/src/runtime/handler.js";
import { statsHandler } from "../../node/src/runtime/kinds/stats.js";
import { decide } from "../../node/src/runtime/policy.js";

const me = Wallet.createRandom().address;
const requester = Wallet.createRandom().address;

function setup() {
  const store = new NodeStore(":memory:");
  store.insertDataset({
    name: "iris",
    version: 2,
    path: "/x.csv",
    format: "csv",
    schema: { columns: ["a", "b"], schemaHash: "0x" },
    rows: 3,
    columns: 2,
    root: "0x01",
    saltSeedRef: "s",
    fileHash: "0x02",
    committed: true,
    txHash: "0x",
    createdAt: 0,
  });
  return store;
}

const spec = (over: Record<string, unknown> = {}) =>
  parseTaskSpec({ kind: "stats", requester, datasets: [{ owner: me, datasetId: "iris" }], params: { columns: ["a"] }, ...over });

describe("join policy", () => {
  const handlers = new HandlerRegistry([statsHandler]);
  const policy = { allowedKinds: ["*"] as ["*"], allowedRequesters: ["*"] as ["*"], dpEpsilonBudget: 1 };
  const base = { self: me, roles: Role.Owner, policy, handlers };

  test("accepts a task on a held dataset and names the version it will use", () => {
    const d = decide({ ...base, store: setup(), spec: spec() });
    assert.equal(d.accept, true, d.reason);
    assert.deepEqual(d.datasets.map((x) => `${x.name}@${x.version}`), ["iris@2"]);
  });

  test("each refusal says why", () => {
    const store = setup();
    const cases: [Parameters<typeof decide>[0], RegExp][] = [
      [{ ...base, store, roles: Role.Requester, spec: spec() }, /neither the Owner nor the Worker role/],
      [{ ...base, store, policy: { ...policy, allowedKinds: ["kmeans"] }, spec: spec() }, /allowedKinds does not admit kind stats/],
      [{ ...base, store, policy: { ...policy, allowedRequesters: [me] }, spec: spec() }, /allowedRequesters does not admit/],
      // parseTaskSpec refuses this spec; a member still declines one that skipped the parser.
      [{ ...base, store, spec: { ...spec(), aggregation: "secagg" as const } }, /aggregation "secagg" needs setup: true/],
      [{ ...base, store, spec: spec({ setup: true }) }, /has no setup step/],
      [{ ...base, store, spec: spec({ datasets: [{ owner: requester, datasetId: "iris" }] }) }, /references no dataset of this node/],
      [{ ...base, store, spec: spec({ datasets: [{ owner: me, datasetId: "iris", version: 1 }] }) }, /dataset iris v1 is not committed/],
      [{ ...base, store, spec: spec({ params: { columns: ["a", "zz"] } }) }, /lacks column\(s\) zz/],
      [{ ...base, store, handlers: new HandlerRegistry(), spec: spec() }, /no handler for kind stats/],
    ];
    for (const [args, re] of cases) {
      const d = decide(args);
      assert.equal(d.accept, false, String(re));
      assert.match(d.reason, re);
    }
  });

  test("the epsilon budget of a dataset is spent across tasks", () => {
    const store = setup();
    const first = decide({ ...base, store, spec: spec({ params: { columns: ["a"], epsilon: 0.6 } }) });
    assert.equal(first.accept, true);
    assert.equal(first.epsilon, 0.6);
    store.spendEpsilon("iris", 1, first.epsilon);
    const second = decide({ ...base, store, spec: spec({ params: { columns: ["a"], epsilon: 0.6 } }) });
    assert.equal(second.accept, false);
    assert.match(second.reason, /has epsilon 0.4 of its budget left, the task asks for 0.6/);
    assert.equal(decide({ ...base, store, spec: spec({ params: { columns: ["a"], epsilon: 0.4 } }) }).accept, true);
  });
});
