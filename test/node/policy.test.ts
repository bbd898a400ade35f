import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Wallet } from "ethers";
import { Role } from "../../protocol/src/phases.js";
import { parseTaskSpec } from "../../protocol/src/taskspec.js";
import "../../protocol/src/tasks/index.js";
import { NodeStore } from "../../node/src/store/store.js";
import { HandlerRegistry } from "../../node/src/runtime/handler.js";
import { statsHandler } from "../../node/src/runtime/kinds/stats.js";
import { decide, estimateTaskCost } from "../../node/src/runtime/policy.js";
import { kmeansHandler } from "../../node/src/runtime/kinds/kmeans.js";
import { linregHandler } from "../../node/src/runtime/kinds/linreg.js";

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
      [{ ...base, store, spec: spec({ aggregation: "secagg" }) }, /aggregation "secagg" needs setup: true/],
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

  test("a task whose estimated cost exceeds policy.maxTaskCost is declined with the estimate and the bound", () => {
    const store = setup();
    const handlers = new HandlerRegistry([statsHandler, kmeansHandler, linregHandler]);
    const at = (maxTaskCost?: number) => ({ ...base, handlers, store, policy: { ...policy, maxTaskCost } });
    // stats: 3 rows × 2 columns × 1 round = 6.
    assert.equal(estimateTaskCost(spec({ params: { columns: ["a", "b"] } }), [{ rows: 3, columns: 2 }]), 6);
    assert.equal(decide({ ...at(6), spec: spec({ params: { columns: ["a", "b"] } }) }).accept, true);
    const d = decide({ ...at(5), spec: spec({ params: { columns: ["a", "b"] } }) });
    assert.equal(d.accept, false);
    assert.match(d.reason, /estimated cost, 6 row-operations \(kind stats.*exceeds policy\.maxTaskCost 5/);

    // kmeans: rows × columns × k × rounds; k = 200,000 centroids is refused by the default bound.
    // Built around the schema (whose caps may refuse such a spec first): the policy must hold on its own.
    const raw = (over: Record<string, unknown>) => ({ ...spec(), ...over }) as ReturnType<typeof spec>;
    const huge = raw({ kind: "kmeans", rounds: 10, params: { columns: ["a", "b"], initial: Array.from({ length: 200_000 }, () => [0, 0]), tolerance: 0 } });
    assert.equal(estimateTaskCost(huge, [{ rows: 3, columns: 2 }]), 3 * 2 * 200_000 * 10);
    assert.equal(decide({ ...at(), spec: huge }).accept, true, "12e6 row-operations on 3 rows are within the default");
    const big = store;
    big.insertDataset({ ...store.getDataset("iris")!, name: "big", version: 1, rows: 100_000, root: "0x03" });
    const onBig = raw({ ...huge, datasets: [{ owner: me, datasetId: "big" }] });
    const k = decide({ ...at(), spec: onBig });
    assert.equal(k.accept, false);
    assert.match(k.reason, /estimated cost, 4\.00e\+11 row-operations \(kind kmeans.*exceeds policy\.maxTaskCost 2\.00e\+9/);

    // Regressions: rows × (features + intercept)² × rounds; one feature repeated 1,500 times is refused.
    const wide = raw({ kind: "linreg", rounds: 5, datasets: [{ owner: me, datasetId: "big" }], params: { features: Array(1500).fill("a"), target: "b", intercept: true } });
    assert.equal(estimateTaskCost(wide, [{ rows: 100_000, columns: 2 }]), 100_000 * 1501 ** 2 * 5);
    assert.match(decide({ ...at(), spec: wide }).reason, /kind linreg.*exceeds policy\.maxTaskCost/);
    assert.equal(estimateTaskCost(spec({ kind: "linreg", params: { features: ["a"], target: "b", intercept: false } }), [{ rows: 10, columns: 2 }]), 10);
  });
});
