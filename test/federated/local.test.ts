import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { runLocal } from "../../node/src/runtime/local.js";
import { kmeansHandler, type KmeansResult } from "../../node/src/runtime/kinds/kmeans/index.js";
import { linregHandler, regressionPartial, regressionStep, squaredLink, type RegressionResult } from "../../node/src/runtime/kinds/linreg/index.js";
import { regressionParams } from "../../protocol/src/tasks/linreg/index.js";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { logregHandler } from "../../node/src/runtime/kinds/logreg/index.js";
import { statsHandler, type SecureStatsResult, type StatsResult } from "../../node/src/runtime/kinds/stats/index.js";
import { BACKENDS } from "../../node/src/runtime/aggregation/index.js";
import { sealForRequester } from "../../node/src/runtime/aggregation/sealed.js";
import { openAsMember, sealToMembers, type SealedPayload } from "../../node/src/runtime/aggregation/paillier.js";
import { canonicalJson } from "../../protocol/src/canonical.js";
import { keccak256, toUtf8Bytes } from "ethers";
import { SNARK_FIELD } from "../../protocol/src/binding.js";
import { releaseZk } from "../../chain-connector/src/zkverify.js";
import { closePool } from "../../node/src/runtime/pool.js";
import { addBlindings, randomBlinding } from "../../protocol/src/pedersen.js";
import { blindingFromLimbs, blindingLimbs, real, sampledChunk } from "../../node/src/runtime/kinds/shared/proven.js";
import { IRIS_COLS, IRIS_INIT, irisTables, label, leastSquares, linregTables, lloyd, logisticFit, logregTables, relClose, union } from "./reference.js";

const BITS = 1024;
// ml-regression ships no types; only its multivariate least squares is used.
const { MultivariateLinearRegression: MLR } = createRequire(import.meta.url)("ml-regression") as {
  MultivariateLinearRegression: new (x: number[][], y: number[][], o: { intercept: boolean }) => { weights: number[][] };
};

describe("local debug mode: every kind × backend equals the plaintext computation on the union", () => {
  for (const aggregation of BACKENDS) {
    const base = { aggregation, members: { min: 3, max: 3, threshold: 2 } } as const;

    test(`kmeans / ${aggregation}: same partition and centroids as Lloyd on the union`, async () => {
      const tables = irisTables();
      const run = await runLocal(kmeansHandler, { ...base, kind: "kmeans", params: { columns: IRIS_COLS, initial: IRIS_INIT, tolerance: 1e-9 }, rounds: 50 }, tables, {
        paillierBits: BITS,
      });
      const res = run.result as KmeansResult;
      const ref = lloyd(union(tables), IRIS_INIT, 1e-9);
      assert.equal(res.converged, true);
      assert.equal(run.rounds.length, ref.rounds);
      assert.deepEqual(
        union(tables).map((x) => label(x, res.centroids)),
        union(tables).map((x) => label(x, ref.centroids)),
      );
      res.centroids.forEach((c, k) => relClose(c, ref.centroids[k], 1e-5, `centroid ${k}`));
      assert.equal(res.members.length, 3);
    });

    test(`linreg / ${aggregation}: Newton rounds reach the closed-form least squares`, async () => {
      const tables = linregTables();
      const run = await runLocal(linregHandler, { ...base, kind: "linreg", params: { features: ["x1", "x2", "x3"], target: "y" }, rounds: 5 }, tables, { paillierBits: BITS });
      const res = run.result as RegressionResult;
      relClose(res.weights, leastSquares(union(tables)), 1e-6, "weights");
      assert.equal(res.converged, true);
      assert.equal(run.rounds.length, 2, "one Newton step is exact; the second round confirms");
    });

    test(`logreg / ${aggregation}: Newton (IRLS) rounds reach the centralized fit`, async () => {
      const tables = logregTables();
      const run = await runLocal(logregHandler, { ...base, kind: "logreg", params: { features: ["x1", "x2", "x3"], target: "y" }, rounds: 20 }, tables, { paillierBits: BITS });
      const res = run.result as RegressionResult;
      assert.equal(res.converged, true);
      relClose(res.weights, logisticFit(union(tables)), 1e-5, "weights");
    });

    test(`stats / ${aggregation}: count, mean and variance of the union`, async () => {
      const tables = irisTables();
      const run = await runLocal(statsHandler, { ...base, kind: "stats", params: { columns: IRIS_COLS } }, tables, { paillierBits: BITS });
      const res = run.result as StatsResult | SecureStatsResult;
      assert.equal(res.members, 3);
      IRIS_COLS.forEach((c, j) => {
        const xs = union(tables).map((r) => r[j]);
        const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
        const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length;
        assert.equal(res.columns[c].count, 150);
        relClose([res.columns[c].mean, res.columns[c].variance], [mean, variance], 1e-6, c);
      });
    });
  }

  test("gradient descent (method gd) converges to the same least squares", async () => {
    const tables = linregTables();
    const run = await runLocal(
      linregHandler,
      { kind: "linreg", aggregation: "plain", params: { features: ["x1", "x2", "x3"], target: "y", method: "gd", learningRate: 0.08, tolerance: 1e-8 }, rounds: 2000 },
      tables,
    );
    const res = run.result as RegressionResult;
    assert.equal(res.converged, true, `not converged after ${run.rounds.length} rounds`);
    relClose(res.weights, leastSquares(union(tables)), 1e-3, "weights");
  });

  test("gd on raw cars columns (horsepower, weight in lbs → mpg) converges to the closed-form least squares: standardized inside, weights on the original scale", async () => {
    // vega-datasets hides data/ behind its exports map: locate it next to the package entry point.
    const path = join(dirname(createRequire(import.meta.url).resolve("vega-datasets")), "..", "data", "cars.json");
    const cols = ["Horsepower", "Weight_in_lbs", "Miles_per_Gallon"];
    const all = (JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>[]).filter((r) => cols.every((c) => typeof r[c] === "number"));
    const rows = all.map((r) => cols.map((c) => r[c] as number));
    const tables = [0, 1, 2].map((i) => ({ columns: ["hp", "weight", "mpg"], rows: rows.filter((_, k) => k % 3 === i) }));
    const params = { features: ["hp", "weight"], target: "mpg", method: "gd", learningRate: 0.5, tolerance: 1e-10 };
    const run = await runLocal(linregHandler, { kind: "linreg", aggregation: "secagg", setup: true, members: { min: 3, max: 3, threshold: 2 }, params, rounds: 3000 }, tables);
    const res = run.result as RegressionResult;
    assert.equal(res.converged, true, `not converged after ${run.rounds.length} rounds`);
    const ols = new MLR(
      rows.map((r) => [r[0], r[1]]),
      rows.map((r) => [r[2]]),
      { intercept: true },
    ).weights.map((r: number[]) => r[0]);
    relClose(res.weights, [ols[2], ols[0], ols[1]], 1e-6, "weights (intercept, hp, weight)");
    // Raw, the same step diverges within a few rounds (the largest curvature is Σweight²/n ≈ 9e6).
    const p = regressionParams.parse(params);
    let w = [0, 0, 0];
    for (let r = 0; r < 5; r++) w = regressionStep(p, regressionPartial(p, squaredLink, rows, w), w).weights;
    assert.ok(Math.abs(w[2]) > 1e10, `raw gd diverges: ${w.join(",")}`);
  });

  test("the three backends give bit-identical aggregates", async () => {
    const tables = linregTables();
    const out: RegressionResult[] = [];
    for (const aggregation of BACKENDS)
      out.push(
        (
          await runLocal(
            linregHandler,
            { kind: "linreg", aggregation, members: { min: 3, max: 3, threshold: 2 }, params: { features: ["x1", "x2", "x3"], target: "y" }, rounds: 1 },
            tables,
            { paillierBits: BITS },
          )
        ).result as RegressionResult,
      );
    assert.deepEqual(out[1].weights, out[0].weights);
    assert.deepEqual(out[2].weights, out[0].weights);
  });

  test("paillier: a contribution with a forged ciphertext is left out and reported", async () => {
    const tables = linregTables();
    const run = await runLocal(
      linregHandler,
      { kind: "linreg", aggregation: "paillier", members: { min: 3, max: 3, threshold: 2 }, params: { features: ["x1", "x2", "x3"], target: "y" }, rounds: 1 },
      tables,
      {
        paillierBits: BITS,
        // The member's ciphertexts are sealed to the round's members: the forger reseals a forged set.
        tamper: ({ phase, member }, s, ctx) => {
          if (phase !== "compute" || member !== 1) return s;
          const sealed = JSON.parse(new TextDecoder().decode(s.payload)) as SealedPayload;
          const p = JSON.parse(new TextDecoder().decode(openAsMember(ctx, ctx.self, ctx.self, ctx.roundKey.secretKey, sealed))) as { c: string[] };
          p.c[0] = "0";
          const payload = toUtf8Bytes(canonicalJson(sealToMembers(ctx, ctx.self, sealed.key, toUtf8Bytes(canonicalJson(p)))));
          return { payload, commitment: keccak256(payload) };
        },
      },
    );
    const res = run.result as RegressionResult;
    assert.equal(res.rejected.length, 1);
    assert.equal(res.rejected[0].member, run.members[1]);
    assert.match(res.rejected[0].reason, /not a ciphertext of the task's key/);
    relClose(res.weights, leastSquares(union([tables[0], tables[2]])), 1e-6, "weights");
  });

  test("secagg: drop-outs before Setup and before the masked input; below the threshold aggregation fails", async () => {
    const tables = irisTables(5);
    const spec = { kind: "stats", aggregation: "secagg", members: { min: 3, max: 5, threshold: 3 }, params: { columns: IRIS_COLS } } as const;
    const run = await runLocal(statsHandler, spec, tables, { drop: { setup: [3], compute: [4] } });
    const res = run.result as SecureStatsResult;
    assert.deepEqual(
      res.contributors,
      run.members
        .slice(0, 3)
        .map((a) => a.toLowerCase())
        .sort(),
    );
    assert.deepEqual(res.dropped, [run.members[4].toLowerCase()]);
    assert.equal(res.columns.sepal_length.count, union(tables.slice(0, 3)).length);
    await assert.rejects(runLocal(statsHandler, spec, tables, { drop: { setup: [3], compute: [4, 2] } }), /below the threshold 3/);
  });

  test("plain stats: a malformed contribution is left out and reported", async () => {
    const tables = irisTables();
    const run = await runLocal(statsHandler, { kind: "stats", aggregation: "plain", members: { min: 3, max: 3, threshold: 2 }, params: { columns: IRIS_COLS } }, tables, {
      // well sealed to the requester (as a member would), but empty inside
      tamper: ({ member }, s, ctx) => (member !== 0 ? s : sealForRequester(ctx, toUtf8Bytes(canonicalJson({ v: 1, columns: {} })))),
    });
    const res = run.result as StatsResult;
    assert.equal(res.members, 2);
    assert.equal(res.rejected?.[0]?.member, run.members[0]);
    assert.match(res.rejected[0].reason, /no valid partial for column/);
    assert.equal(res.columns.sepal_length.count, union(tables.slice(1)).length);
  });

  for (const kind of ["stats", "linreg"] as const) {
    test(`plain ${kind}: a sealed contribution altered in the store (commitment recomputed) does not open; the requester leaves that member out with the reason`, async () => {
      const tables = kind === "stats" ? irisTables() : linregTables();
      const flip = ({ member, phase }: { member: number; phase: string }, s: { payload: Uint8Array; commitment: string }) => {
        if (member !== 2 || phase !== "compute") return s;
        const payload = Uint8Array.from(s.payload);
        payload[payload.length - 20] ^= 1;
        return { payload, commitment: keccak256(payload) };
      };
      const members = { min: 3, max: 3, threshold: 2 };
      if (kind === "stats") {
        const run = await runLocal(statsHandler, { kind, aggregation: "plain", members, params: { columns: IRIS_COLS } }, tables, { tamper: flip });
        const res = run.result as StatsResult;
        assert.equal(res.members, 2);
        assert.equal(res.rejected?.[0]?.member, run.members[2]);
        assert.match(res.rejected[0].reason, /does not open with the requester's key/);
        assert.equal(res.columns.sepal_length.count, union(tables.slice(0, 2)).length);
      } else {
        const run = await runLocal(linregHandler, { kind, aggregation: "plain", members, params: { features: ["x1", "x2", "x3"], target: "y" }, rounds: 2 }, tables, {
          tamper: flip,
        });
        const res = run.result as RegressionResult;
        assert.equal(res.rejected[0]?.member, run.members[2]);
        assert.match(res.rejected[0].reason, /does not open with the requester's key/);
        relClose(res.weights, leastSquares(union(tables.slice(0, 2))), 1e-6, "weights");
      }
    });
  }
});

describe("local debug mode with proofs (verification offchain, UltraHonk): the same checks as on a network, in one process", () => {
  after(async () => {
    await releaseZk();
    await closePool();
  });

  test("stats / secagg: every chunk proven and checked; equals the unproven run to the fixed-point rounding; a wrong vector fails the round", { timeout: 600_000 }, async () => {
    const tables = irisTables().map((t) => ({ ...t, rows: t.rows.slice(0, 20) }));
    const input = { kind: "stats", aggregation: "secagg", members: { min: 3, max: 3, threshold: 2 }, params: { columns: IRIS_COLS } } as const;
    const proven = await runLocal(statsHandler, { ...input, verification: "offchain" }, tables);
    const plain = await runLocal(statsHandler, input, tables);
    const p = proven.result as SecureStatsResult & { proofs: { chunks: number } };
    assert.equal(p.proofs.chunks, 3);
    for (const c of IRIS_COLS) {
      const q = (plain.result as SecureStatsResult).columns[c];
      assert.equal(p.columns[c].count, q.count);
      relClose([p.columns[c].mean, p.columns[c].variance], [q.mean, q.variance], 1e-5, c);
    }
    // With secagg only the sum is visible: a member that sends a vector other than the one it
    // proved makes the aggregate miss the summed commitments, and the requester refuses it.
    const tamper = (info: { phase: string; member: number }, s: { payload: Uint8Array; commitment: string; proof?: unknown }) => {
      if (info.phase !== "compute" || info.member !== 1) return s as never;
      const env = JSON.parse(new TextDecoder().decode(s.payload)) as { body: string };
      const body = JSON.parse(Buffer.from(env.body, "hex").toString()) as { y: string[] };
      const y0 = (BigInt(body.y[0]) + 1n) % SNARK_FIELD;
      body.y[0] = "0x" + y0.toString(16);
      env.body = Buffer.from(canonicalJson(body)).toString("hex");
      return { ...s, payload: new TextEncoder().encode(canonicalJson(env)) } as never;
    };
    await assert.rejects(runLocal(statsHandler, { ...input, verification: "offchain" }, tables, { tamper }), /does not open the sum of the members' proven commitments/);
  });
});

describe("proven contribution helpers", () => {
  test("blinding limbs round-trip and sum like the blindings (mod l)", () => {
    const a = randomBlinding();
    const b = randomBlinding();
    assert.equal(blindingFromLimbs(blindingLimbs(a)), a);
    const sum = blindingLimbs(a).map((x, i) => x + blindingLimbs(b)[i]);
    assert.equal(blindingFromLimbs(sum), addBlindings([a, b]));
    assert.ok(blindingLimbs(a).every((x) => x >= 0n && x < 1n << 64n));
  });

  test("the sampled chunk is in range, fixed per (task, round, member), and differs across members", () => {
    const picks = new Set<number>();
    for (let m = 0; m < 40; m++) {
      const member = "0x" + m.toString(16).padStart(40, "0");
      const j = sampledChunk(7, 2, member, 10);
      assert.ok(j >= 0 && j < 10);
      assert.equal(sampledChunk(7, 2, member.toUpperCase().replace("0X", "0x"), 10), j);
      picks.add(j);
    }
    assert.ok(picks.size > 3);
    assert.equal(sampledChunk(1, 1, "0x" + "11".repeat(20), 1), 0);
  });

  test("real() divides signed fixed-point integers exactly in the whole part", () => {
    assert.equal(real(-(5n << 16n) - (1n << 15n), 16), -5.5);
    assert.equal(real((1n << 60n) + 1n, 16), 2 ** 44 + 2 ** -16);
  });
});
