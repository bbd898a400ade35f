import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Wallet } from "ethers";
import { parseTaskSpec, type TaskSpec } from "../../protocol/src/taskspec.js";
import type { Table } from "../../node/src/data/table.js";
import { decodeVector, encodeVector, VECTOR_FRAC_BITS } from "../../node/src/runtime/aggregation/vector.js";
import { noisePlanOf, noisyVector, type FederatedKind } from "../../node/src/runtime/kinds/shared/federated.js";
import { statsVectorKind } from "../../node/src/runtime/kinds/stats/index.js";
import { kmeansKind } from "../../node/src/runtime/kinds/kmeans/index.js";
import { linregKind } from "../../node/src/runtime/kinds/linreg/index.js";
import { logregKind } from "../../node/src/runtime/kinds/logreg/index.js";
import { IRIS_COLS, IRIS_INIT, irisTables, linregTables, logregTables, rng, union } from "../federated/reference.js";
import { runLocal } from "../../node/src/runtime/local.js";
import { statsHandler, type SecureStatsResult } from "../../node/src/runtime/kinds/stats/index.js";
import { kmeansHandler, type KmeansResult } from "../../node/src/runtime/kinds/kmeans/index.js";
import { BACKENDS } from "../../node/src/runtime/aggregation/index.js";
import type { PrivacyReport } from "../../node/src/privacy/mechanism.js";

/**
 * The mechanisms run in-process, member by member, over many trials: each member's clipped vector
 * is encoded, noised with its share σ²/threshold, the integers are summed (what every backend
 * does exactly), and the kind's finish runs on the sum. The noise must be there, centred, with the
 * calibrated variance; the un-noised coordinates must carry nothing.
 */
const requester = Wallet.createRandom().address;
const owner = Wallet.createRandom().address;

function spec(kind: string, params: Record<string, unknown>, over: Record<string, unknown> = {}): TaskSpec {
  return parseTaskSpec({ kind, requester, datasets: [{ owner, datasetId: "d" }], params, members: { min: 3, max: 10, threshold: 2 }, ...over });
}

/** Sums the members' noisy integer vectors over `trials` runs; returns per-trial noise (noisy − exact, real units). */
function trialsOf<P>(k: FederatedKind<P>, s: TaskSpec, tables: Table[], trials: number, params?: unknown): { noise: number[][]; exact: number[]; noisy: number[][] } {
  const p = k.parse(s);
  const privacy = (s.params as { privacy: never }).privacy;
  const exactInt = tables.map((t) => encodeVector(k.dp!.local(p, params, [t], privacy))).reduce((a, v) => a.map((x, i) => x + v[i]));
  const exact = decodeVector(exactInt);
  const noise: number[][] = [];
  const noisy: number[][] = [];
  for (let r = 0; r < trials; r++) {
    const sum = tables.map((t) => noisyVector(k, s, p, params, [t])).reduce((a, v) => a.map((x, i) => x + v[i]));
    const real = decodeVector(sum);
    noisy.push(real);
    noise.push(real.map((x, i) => x - exact[i]));
  }
  return { noise, exact, noisy };
}

/** Standardised noise of the noised coordinates, pooled: mean ≈ 0 and variance ≈ expected ratio. */
function checkNoise(noise: number[][], sigma: number[], members: number, threshold: number, what: string) {
  const z: number[] = [];
  for (const row of noise)
    row.forEach((x, i) => {
      if (sigma[i] > 0) z.push(x / sigma[i]);
    });
  const n = z.length;
  const mean = z.reduce((s, x) => s + x, 0) / n;
  const variance = z.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
  const want = members / threshold;
  assert.ok(Math.abs(mean) < 5 * Math.sqrt(want / n), `${what}: noise mean ${mean} (n=${n})`);
  assert.ok(Math.abs(variance / want - 1) < 5 * Math.sqrt(2 / n), `${what}: noise variance ${variance}, expected ${want} (n=${n})`);
  for (const row of noise)
    row.forEach((x, i) => {
      if (sigma[i] === 0) assert.equal(x, 0, `${what}: coordinate ${i} is not released and must carry no noise`);
    });
}

describe("differential-privacy mechanisms in the federated kinds", () => {
  test("stats: clipped sums, noise of the calibrated variance with threshold members, more noise with more members", () => {
    const r = rng(5);
    // three members; values mostly in [0, 10], a few far outliers that clipping must tame
    const tables: Table[] = [0, 1, 2].map(() => ({ columns: ["a", "b"], rows: Array.from({ length: 300 }, (_, i) => [r() * 10, i % 50 === 0 ? 1e6 : 2 + r()]) }));
    const s = spec("stats", { columns: ["a", "b"], privacy: { rho: 0.5, bounds: { a: [0, 10], b: [0, 4] } } });
    const plan = noisePlanOf(statsVectorKind, s, statsVectorKind.parse(s))!;
    // 5 parts (one count, a sum and a sum of squares per column) share ρ = 0.5: σ_p² = 5/(2ρ)·Δ_p² in integer units
    const D = (l2: number, k = 1) => l2 * 2 ** VECTOR_FRAC_BITS + 2 * Math.sqrt(k);
    const want = (l2: number) => Math.sqrt((5 / (2 * 0.5)) * D(l2) ** 2) / 2 ** VECTOR_FRAC_BITS;
    [
      [0, 1],
      [1, 10],
      [2, 100],
      [4, 4],
      [5, 16],
    ].forEach(([i, l2]) => assert.ok(Math.abs(plan.sigma[i] / want(l2) - 1) < 1e-6, `σ of coordinate ${i}`));
    assert.equal(plan.sigma[3], 0, "column b's count slot is not released (the count travels once)");
    assert.ok(plan.rho <= plan.target && plan.rho > 0.999 * plan.target, `accounted ρ ${plan.rho} vs ${plan.target}`);

    const { noise, exact } = trialsOf(statsVectorKind, s, tables, 400);
    // clipping: the outliers count as 4, not 1e6
    assert.ok(exact[4] < 900 * 4 + 1e-6 && exact[4] > 900 * 2, `clipped Σb ${exact[4]}`);
    assert.equal(exact[0], 900);
    // all three members are honest: the aggregate carries 3/2 of σ²
    checkNoise(noise, plan.sigma, 3, 2, "stats, 3 members");
    // exactly threshold members: σ² itself
    checkNoise(trialsOf(statsVectorKind, s, tables.slice(0, 2), 400).noise, plan.sigma, 2, 2, "stats, 2 members");
  });

  test("stats: the released mean and variance are post-processed into the bounds", () => {
    const tables: Table[] = [
      { columns: ["a"], rows: [[1], [2]] },
      { columns: ["a"], rows: [[3]] },
    ];
    // a tiny ρ on three rows: the noise swamps the sums, yet the mean stays in [0, 5] and the variance ≤ 25/4
    const s = spec("stats", { columns: ["a"], privacy: { rho: 1e-4, bounds: { a: [0, 5] } } });
    const p = statsVectorKind.parse(s);
    for (let i = 0; i < 50; i++) {
      const sum = decodeVector(tables.map((t) => noisyVector(statsVectorKind, s, p, undefined, [t])).reduce((a, v) => a.map((x, j) => x + v[j])));
      const out = statsVectorKind.finish(p, undefined, sum, { round: 1, rounds: 1, members: 2 }).result as {
        columns: Record<string, { count: number; mean: number; variance: number }>;
      };
      const c = out.columns.a;
      if (c.count > 0) {
        assert.ok(c.mean >= 0 && c.mean <= 5, `mean ${c.mean}`);
        assert.ok(c.variance >= 0 && c.variance <= 6.25, `variance ${c.variance}`);
      }
    }
  });

  test("kmeans: per-cluster counts and sums noised (a row is in one cluster: two parts' worth of ρ), inertia not released", () => {
    const tables = irisTables(3);
    const columns = tables[0].columns;
    const bounds = Object.fromEntries(columns.map((c) => [c, [0, 8]]));
    const initial = [
      [5, 3.4, 1.5, 0.2],
      [5.9, 2.8, 4.3, 1.3],
      [6.6, 3, 5.5, 2],
    ];
    const s = spec("kmeans", { columns, initial, privacy: { rho: 0.3, bounds } }, { rounds: 3 });
    const p = kmeansKind.parse(s);
    const plan = noisePlanOf(kmeansKind, s, p)!;
    // ρ per round = 0.3/3; m = 2 (a row touches one cluster: its count and its sums)
    const c2 = 2 / (2 * 0.1);
    const D1 = 2 ** VECTOR_FRAC_BITS + 2;
    assert.ok(Math.abs(plan.sigma[0] / (Math.sqrt(c2 * D1 * D1) / 2 ** VECTOR_FRAC_BITS) - 1) < 1e-6);
    assert.equal(plan.sigma[plan.sigma.length - 1], 0);
    assert.ok(plan.rho <= plan.target && plan.rho > 0.999 * 0.1);
    const { noise, noisy } = trialsOf(kmeansKind, s, tables, 150);
    checkNoise(noise, plan.sigma, 3, 2, "kmeans");
    // finish keeps the centroids inside the bounds' box whatever the noise
    for (const sum of noisy.slice(0, 20)) {
      const out = kmeansKind.finish(p, undefined, sum, { round: 1, rounds: 3, members: 3 }).result as { centroids: number[][] };
      for (const c of out.centroids) for (const v of c) assert.ok(v >= 0 && v <= 8);
    }
  });

  test("linreg / logreg: each row's gradient is clipped to gradientClip; count and gradient noised", () => {
    for (const [k, tables] of [
      [linregKind, linregTables(3)],
      [logregKind, logregTables(3)],
    ] as const) {
      const cols = tables[0].columns;
      const features = cols.slice(0, -1);
      const target = cols[cols.length - 1];
      const bounds = Object.fromEntries(cols.map((c) => [c, c === target && k === logregKind ? [0, 1] : [-20, 20]]));
      const s = spec(k.kind, { features, target, method: "gd", privacy: { epsilon: 2, delta: 1e-6, bounds, gradientClip: 0.5 } }, { rounds: 4 });
      const p = k.parse(s);
      const privacy = (s.params as { privacy: never }).privacy;
      // one row at a time: its gradient's norm never exceeds the clip, even far from the optimum
      const w = [3, -7, 2, 9].slice(0, features.length + 1);
      for (const row of tables[0].rows.slice(0, 40)) {
        const v = k.dp!.local(p, { weights: w }, [{ columns: cols, rows: [row] }], privacy);
        assert.equal(v[0], 1);
        assert.equal(v[1], 0, "the loss is not released");
        assert.ok(Math.hypot(...v.slice(2)) <= 0.5 + 1e-12, `${k.kind} row gradient ${Math.hypot(...v.slice(2))}`);
      }
      const plan = noisePlanOf(k, s, p)!;
      const { noise } = trialsOf(k, s, tables, 150, { weights: w });
      checkNoise(noise, plan.sigma, 3, 2, k.kind);
    }
  });

  for (const aggregation of BACKENDS) {
    test(`the handlers over ${aggregation} (local mode): stats and 3 kmeans rounds carry the noise and the privacy report`, { timeout: 60_000 }, async () => {
      const tables = irisTables(3);
      const base = { aggregation, members: { min: 3, max: 3, threshold: 2 } } as const;
      const bounds = Object.fromEntries(IRIS_COLS.map((c) => [c, [0, 8]]));
      const st = await runLocal(statsHandler, { ...base, kind: "stats", params: { columns: IRIS_COLS, privacy: { rho: 1, bounds } } }, tables, { paillierBits: 1024 });
      const sr = st.result as SecureStatsResult & { privacy: PrivacyReport };
      assert.equal(sr.privacy.rhoRound, 1);
      const rows = union(tables);
      const exact = rows.reduce((a, r) => a + r[0], 0);
      const sd = sr.privacy.sigma[1] * Math.sqrt(1.5);
      const got = sr.columns[IRIS_COLS[0]].sum;
      assert.ok(got !== exact && Math.abs(got - exact) < 6 * sd, `Σ ${got} vs ${exact} (sd ${sd})`);
      const km = await runLocal(
        kmeansHandler,
        { ...base, kind: "kmeans", params: { columns: IRIS_COLS, initial: IRIS_INIT, tolerance: 0, privacy: { rho: 3, bounds } }, rounds: 3 },
        tables,
        { paillierBits: 1024 },
      );
      assert.equal(km.rounds.length, 3);
      for (const r of km.rounds) {
        const res = r.result as KmeansResult & { privacy: PrivacyReport };
        assert.equal(res.privacy.rhoRound, 1);
        assert.equal(res.privacy.rhoTask, 3);
        assert.equal(res.inertia, 0);
        // noisy counts: they need not add up to 150 exactly, but stay close
        const n = res.counts.reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(n - 150) < 6 * res.privacy.sigma[0] * Math.sqrt(1.5 * 3), `Σ counts ${n}`);
      }
    });
  }

  test("spec errors name the field and the fix", () => {
    const bad =
      (kind: string, params: Record<string, unknown>, over: Record<string, unknown> = {}) =>
      () =>
        spec(kind, params, over);
    assert.throws(bad("stats", { columns: ["a", "b"], privacy: { rho: 1, bounds: { a: [0, 1] } } }), /params.privacy.bounds: .*missing: b/);
    assert.throws(
      bad("stats", { columns: ["a"], privacy: { epsilon: 1, bounds: { a: [0, 1] } } }),
      /params.privacy.delta: params.privacy needs rho, or epsilon together with delta/,
    );
    assert.throws(bad("stats", { columns: ["a"], privacy: { rho: 1, epsilon: 1, delta: 1e-6, bounds: { a: [0, 1] } } }), /rho or epsilon with delta, not both/);
    assert.throws(bad("stats", { columns: ["a"], privacy: { rho: 1, bounds: { a: [2, 1] } } }), /lo < hi/);
    assert.throws(
      bad("stats", { columns: ["a"], privacy: { rho: 1, bounds: { a: [0, 1] } } }, { verification: "offchain" }),
      /verification: params.privacy cannot be combined with proofs yet/,
    );
    assert.throws(bad("linreg", { features: ["x"], target: "y", method: "gd", privacy: { rho: 1, bounds: { x: [0, 1], y: [0, 1] } } }), /params.privacy.gradientClip: .*required/);
    assert.throws(
      () =>
        parseTaskSpec({
          kind: "vlinreg",
          requester,
          datasets: [{ owner, datasetId: "d" }],
          params: { idColumn: "id", label: { owner, column: "y" }, features: [{ name: "a", owner: requester, columns: ["x"] }], privacy: { rho: 1, bounds: {} } },
        }),
      /params.privacy: kind vlinreg has no differential-privacy mechanism/,
    );
    assert.throws(
      bad("logreg", { features: ["x"], target: "y", privacy: { rho: 1, gradientClip: 1, bounds: { x: [0, 1], y: [0, 1] } } }),
      /params.method: params.privacy needs params.method "gd"/,
    );
  });
});
