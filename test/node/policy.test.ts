import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Wallet } from "ethers";
import { Role } from "../../protocol/src/phases.js";
import { parseTaskSpec } from "../../protocol/src/taskspec.js";
import { NodeStore } from "../../node/src/store/store.js";
import { HandlerRegistry } from "../../node/src/runtime/handler.js";
import { statsHandler } from "../../node/src/runtime/kinds/stats/index.js";
import { decide, estimateTaskCost, privacyBudget, rhoBudget } from "../../node/src/runtime/policy.js";
import { epsilonTight, rhoFor } from "../../node/src/privacy/accountant.js";
import { kmeansHandler } from "../../node/src/runtime/kinds/kmeans/index.js";
import { linregHandler } from "../../node/src/runtime/kinds/linreg/index.js";
import { columnsOf, parseDatasetPolicy } from "../../node/src/runtime/dataset-policy.js";

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

const spec = (over: Record<string, unknown> = {}) => parseTaskSpec({ kind: "stats", requester, datasets: [{ owner: me, datasetId: "iris" }], params: { columns: ["a"] }, ...over });

describe("join policy", () => {
  const handlers = new HandlerRegistry([statsHandler]);
  const policy = { allowedKinds: ["*"] as ["*"], allowedRequesters: ["*"] as ["*"], dpEpsilonBudget: 1, dpDelta: 1e-6 };
  const base = { self: me, roles: Role.Owner, policy, handlers };

  test("accepts a task on a held dataset and names the version it will use", () => {
    const d = decide({ ...base, store: setup(), spec: spec() });
    assert.equal(d.accept, true, d.reason);
    assert.deepEqual(
      d.datasets.map((x) => `${x.name}@${x.version}`),
      ["iris@2"],
    );
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

  const dp = (rho: number) => ({ columns: ["a"], privacy: { rho, bounds: { a: [0, 10] } } });

  test("the ρ budget of a dataset is spent across tasks and declines, with what is left, before anything runs", () => {
    const store = setup();
    const p = { ...policy, dpRhoBudget: 0.1 };
    const first = decide({ ...base, policy: p, store, spec: spec({ params: dp(0.06) }) });
    assert.equal(first.accept, true, first.reason);
    assert.equal(first.rho, 0.06);
    store.reserveRho("iris", 1, first.rho);
    const second = decide({ ...base, policy: p, store, spec: spec({ params: dp(0.06) }) });
    assert.equal(second.accept, false);
    // 0.1 − 0.06 = 0.04 left, with its (ε, δ) equivalent
    const eps = Number(epsilonTight(0.04, 1e-6).toPrecision(4));
    assert.ok(second.reason.startsWith(`dataset iris has ρ 0.04 (ε ${eps} at δ 1e-6) of its privacy budget left; the task asks for ρ 0.06 (ε `), second.reason);
    assert.equal(decide({ ...base, policy: p, store, spec: spec({ params: dp(0.04) }) }).accept, true);
  });

  test("every round of a multi-round task is charged; the reservation covers all rounds", () => {
    const store = setup();
    const p = { ...policy, dpRhoBudget: 0.1 };
    // 3 rounds at ρ 0.09 in all: each round releases 0.03
    const d = decide({ ...base, policy: p, store, spec: spec({ params: dp(0.09), rounds: 3 }) });
    assert.equal(d.accept, true, d.reason);
    store.reserveRho("iris", 7, d.rho);
    for (const r of [1, 2, 3]) store.chargeRho("iris", 7, r, d.rho / 3);
    store.chargeRho("iris", 7, 3, d.rho / 3); // a repeated charge of the same release counts once
    const b = privacyBudget(store, p, "iris");
    assert.equal(b.released.releases, 3);
    assert.ok(Math.abs(b.released.rho - 0.09) < 1e-12);
    assert.ok(Math.abs(b.left.rho - 0.01) < 1e-12);
    assert.ok(b.released.epsilon > 0);
    const more = decide({ ...base, policy: p, store, spec: spec({ params: dp(0.02) }) });
    assert.equal(more.accept, false);
    assert.match(more.reason, /has ρ 0\.01 .* left; the task asks for ρ 0\.02/);
  });

  test("an (ε, δ) budget becomes the largest ρ whose equivalent fits; a task given as (ε, δ) is converted the same way", () => {
    assert.equal(rhoBudget(policy), rhoFor(1, 1e-6));
    assert.ok(epsilonTight(rhoBudget(policy), 1e-6) <= 1 + 1e-9);
    const store = setup();
    const fits = decide({ ...base, store, spec: spec({ params: { columns: ["a"], privacy: { epsilon: 1, delta: 1e-6, bounds: { a: [0, 1] } } } }) });
    assert.equal(fits.accept, true, fits.reason);
    const over = decide({ ...base, store, spec: spec({ params: { columns: ["a"], privacy: { epsilon: 1.01, delta: 1e-6, bounds: { a: [0, 1] } } } }) });
    assert.equal(over.accept, false);
    assert.match(over.reason, /privacy budget left/);
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

    // kmeans: rows × columns × k × rounds. Built around the schema: the policy must hold on its own.
    const raw = (over: Record<string, unknown>) => ({ ...spec(), ...over }) as ReturnType<typeof spec>;
    const centroids = (k: number) => Array.from({ length: k }, () => [0, 0]);
    const small = raw({ kind: "kmeans", rounds: 10, params: { columns: ["a", "b"], initial: centroids(64), tolerance: 0 } });
    assert.equal(estimateTaskCost(small, [{ rows: 3, columns: 2 }]), 3 * 2 * 64 * 10);
    assert.equal(decide({ ...at(), spec: small }).accept, true, "3,840 row-operations on 3 rows are within the default");
    const big = store;
    big.insertDataset({ ...store.getDataset("iris")!, name: "big", version: 1, rows: 100_000, root: "0x03" });
    const onBig = raw({ ...small, rounds: 500, datasets: [{ owner: me, datasetId: "big" }] });
    const k = decide({ ...at(), spec: onBig });
    assert.equal(k.accept, false);
    assert.match(k.reason, /estimated cost, 6\.40e\+9 row-operations \(kind kmeans.*exceeds policy\.maxTaskCost 2\.00e\+9/);
    // k = 200,000 centroids: past the schema's cap, which the node applies too (declined, not thrown)
    const huge = raw({ ...small, params: { columns: ["a", "b"], initial: centroids(200_000), tolerance: 0 } });
    assert.match(decide({ ...at(), spec: huge }).reason, /at most 64 \(cap MAX_CLUSTERS\)/);

    // Regressions: rows × (features + intercept)² × rounds.
    const features = Array.from({ length: 200 }, (_, i) => `f${i}`);
    const wide = raw({ kind: "linreg", rounds: 5, datasets: [{ owner: me, datasetId: "big" }], params: { features, target: "b", intercept: true } });
    assert.equal(estimateTaskCost(wide, [{ rows: 100_000, columns: 2 }]), 100_000 * 201 ** 2 * 5);
    assert.match(decide({ ...at(), spec: wide }).reason, /kind linreg.*exceeds policy\.maxTaskCost/);
    // one feature repeated 1,500 times: refused by the schema (distinct columns)
    const repeated = raw({ kind: "linreg", rounds: 5, params: { features: Array(1500).fill("a"), target: "b", intercept: true } });
    assert.equal(decide({ ...at(), spec: repeated }).accept, false);
    assert.equal(estimateTaskCost(spec({ kind: "linreg", params: { features: ["a"], target: "b", intercept: false } }), [{ rows: 10, columns: 2 }]), 10);
  });

  test("a dataset's policy: columns read per kind, kinds, proofs, its own budget, approval and auto-approval", () => {
    const store = setup();
    const h = new HandlerRegistry([statsHandler, linregHandler]);
    const run = (sp: ReturnType<typeof spec>) => decide({ ...base, handlers: h, store, spec: sp });
    const lin = spec({ kind: "linreg", params: { features: ["a"], target: "b" } });
    assert.deepEqual(columnsOf(lin, me), ["a", "b"]);
    const v = parseTaskSpec({
      kind: "vlinreg",
      requester,
      datasets: [
        { owner: me, datasetId: "iris" },
        { owner: requester, datasetId: "y" },
      ],
      params: { idColumn: "id", label: { owner: requester, column: "y" }, features: [{ name: "x1", owner: me, columns: ["a"] }], iterations: 50 },
      setup: true,
      rounds: 60,
    });
    assert.deepEqual(columnsOf(v, me), ["id", "a"], "vlinreg: the id column and this party's columns only");
    store.setDatasetPolicy("iris", parseDatasetPolicy({ allowedColumns: ["a"] }));
    assert.equal(run(lin).reason, "dataset iris: column b not allowed (allowed: a)");
    store.setDatasetPolicy("iris", parseDatasetPolicy({ allowedKinds: ["stats"], requireProofs: true }));
    assert.equal(run(lin).reason, "dataset iris: kind linreg not allowed (allowed: stats)");
    assert.equal(run(spec()).reason, 'dataset iris: proofs are required: the task must set verification "offchain" or "onchain", it has "none"');
    // The dataset's own budget replaces the node's (1 ε) in the same ledger.
    store.setDatasetPolicy("iris", parseDatasetPolicy({ rhoBudget: 0.05 }));
    const dp = (rho: number) => spec({ params: { columns: ["a"], privacy: { rho, bounds: { a: [0, 1] } } } });
    assert.match(run(dp(0.06)).reason, /^dataset iris has ρ 0\.05 .* of its privacy budget left; the task asks for ρ 0\.06/);
    assert.equal(privacyBudget(store, policy, "iris").budget.rho, 0.05);
    assert.equal(run(dp(0.04)).accept, true);
    store.setDatasetPolicy("iris", parseDatasetPolicy({ approval: "required", autoApprove: { requesters: [me] } }));
    assert.deepEqual(run(spec()).approval, ["iris@2"]);
    store.setDatasetPolicy("iris", parseDatasetPolicy({ approval: "required", autoApprove: { requesters: [requester] } }));
    const auto = run(spec());
    assert.equal(auto.approval, undefined);
    assert.equal(auto.reason, `dataset iris: auto-approved (requester ${requester})`);
    assert.throws(() => parseDatasetPolicy({ autoApprove: { requesters: [me] } }), /autoApprove/);
    assert.throws(() => parseDatasetPolicy({ allowedRequesters: ["0x12"] }), /allowedRequesters/);
  });
});
