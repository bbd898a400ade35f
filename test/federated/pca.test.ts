import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Wallet } from "ethers";
import { submitFederated, type RunningNode } from "../../node/src/index.js";
import { encodeNpy } from "../../node/src/data/npy.js";
import { parseTaskSpec } from "../../protocol/src/taskspec.js";
import type { PcaResult } from "../../protocol/src/tasks/pca/index.js";
import { pcaFromSums, pcaVector } from "../../node/src/runtime/kinds/pca/math.js";
import { nodeHarness, wallets, type NodeHarness } from "../node/harness.js";
import { finalResult, preferRamDisk } from "./network.js";

const COLS = ["Beak Length (mm)", "Beak Depth (mm)", "Flipper Length (mm)", "Body Mass (g)"];
const DS_COLS = ["bill_length", "bill_depth", "flipper_length", "body_mass"];

/** Palmer penguins (vega-datasets): the 342 rows with all four measurements. */
function penguins(): number[][] {
  const path = join(dirname(createRequire(import.meta.url).resolve("vega-datasets")), "..", "data", "penguins.json");
  const all = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>[];
  return all.filter((r) => COLS.every((c) => typeof r[c] === "number")).map((r) => COLS.map((c) => r[c] as number));
}

// ml-matrix (a dependency of ml-regression) as an independent eigen solver for the reference.
const { Matrix, EigenvalueDecomposition } = createRequire(import.meta.url)("ml-matrix") as {
  Matrix: new (rows: number[][]) => unknown;
  EigenvalueDecomposition: new (m: unknown, o: { assumeSymmetric: boolean }) => { realEigenvalues: number[]; eigenvectorMatrix: { getColumn(i: number): number[] } };
};

/** Plaintext PCA of all rows: two-pass covariance (n − 1), optionally correlation, eigenpairs from ml-matrix, largest first, sign as ours. */
function reference(rows: number[][], k: number, standardize: boolean) {
  const d = rows[0].length;
  const n = rows.length;
  const mean = Array.from({ length: d }, (_, j) => rows.reduce((s, r) => s + r[j], 0) / n);
  let C = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => rows.reduce((s, r) => s + (r[i] - mean[i]) * (r[j] - mean[j]), 0) / (n - 1)));
  if (standardize) C = C.map((row, i) => row.map((x, j) => x / Math.sqrt(C[i][i] * C[j][j])));
  const e = new EigenvalueDecomposition(new Matrix(C), { assumeSymmetric: true });
  const order = e.realEigenvalues.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]);
  const trace = C.reduce((s, row, i) => s + row[i], 0);
  const components = order.slice(0, k).map(([, i]) => {
    const v = e.eigenvectorMatrix.getColumn(i);
    const lead = v.reduce((best, x) => (Math.abs(x) > Math.abs(best) + 1e-12 ? x : best), 0);
    return lead < 0 ? v.map((x) => -x) : v;
  });
  const values = order.slice(0, k).map(([v]) => v);
  return { mean, components, explainedVariance: values, explainedVarianceRatio: values.map((v) => v / trace) };
}

function assertMatches(r: PcaResult, ref: ReturnType<typeof reference>, tol = 1e-6) {
  const near = (a: number, b: number, what: string, rel = false) => assert.ok(Math.abs(a - b) <= tol * (rel ? Math.max(1, Math.abs(b)) : 1), `${what}: ${a} vs reference ${b}`);
  r.mean.forEach((x, i) => near(x, ref.mean[i], `mean[${i}]`));
  r.explainedVariance.forEach((x, i) => near(x, ref.explainedVariance[i], `explainedVariance[${i}] (relative)`, true));
  r.explainedVarianceRatio.forEach((x, i) => near(x, ref.explainedVarianceRatio[i], `explainedVarianceRatio[${i}]`));
  assert.equal(r.components.length, ref.components.length);
  r.components.forEach((c, i) => {
    c.forEach((x, j) => near(x, ref.components[i][j], `components[${i}][${j}]`));
    near(Math.hypot(...c), 1, `|components[${i}]|`);
  });
}

describe("pca requester math (pure)", () => {
  const rows = penguins();
  test("three members' summed vectors give the plaintext PCA of the union within 1e-6", () => {
    const parts = [rows.slice(0, 100), rows.slice(100, 250), rows.slice(250)];
    const sum = parts.map((p) => pcaVector(p, 4)).reduce((a, v) => a.map((x, i) => x + v[i]));
    for (const standardize of [false, true]) {
      const r = pcaFromSums({ columns: DS_COLS, k: 3, standardize }, sum);
      assert.equal(r.rows, rows.length);
      assertMatches(r, reference(rows, 3, standardize));
      assert.equal(r.scale === undefined, !standardize);
    }
  });
  test("a constant column cannot be standardized; fewer than 2 rows are refused", () => {
    const flat = rows.map((r) => [r[0], 7]);
    assert.throws(() => pcaFromSums({ columns: ["a", "b"], k: 1, standardize: true }, pcaVector(flat, 2)), /column "b" is constant/);
    assert.throws(() => pcaFromSums({ columns: ["a", "b"], k: 1, standardize: false }, pcaVector(flat.slice(0, 1), 2)), /at least 2/);
  });
  test("the spec refuses proofs, differential privacy and k beyond the columns for pca, with the fix", () => {
    const base = { kind: "pca", requester: "0x" + "11".repeat(20), datasets: [{ owner: "0x" + "22".repeat(20), datasetId: "p" }], params: { columns: DS_COLS, k: 2 } };
    assert.deepEqual(parseTaskSpec(base).params, { columns: DS_COLS, k: 2, standardize: false });
    assert.throws(
      () => parseTaskSpec({ ...base, verification: "offchain" }),
      /verification: kind pca has no contribution circuit, so it cannot be proven: set verification: "none"/,
    );
    assert.throws(() => parseTaskSpec({ ...base, params: { ...base.params, k: 5 } }), /params.k: params.k is 5 but params.columns names 4/);
    assert.throws(() => parseTaskSpec({ ...base, params: { ...base.params, privacy: { rho: 1, bounds: {} } } }), /kind pca has no differential-privacy mechanism/);
    assert.throws(() => parseTaskSpec({ ...base, params: { columns: Array.from({ length: 65 }, (_, i) => `c${i}`), k: 1 } }), /cap MAX_PCA_COLUMNS/);
  });
});

/** Three penguin owners and a requester over the coordinator (real HTTP, signed requests). */
describe("pca over the runtime, coordinator mode, 3 owners + requester", { concurrency: true }, () => {
  let h: NodeHarness;
  let ws: Wallet[];
  let R: RunningNode;
  const rows = penguins();
  before(async () => {
    preferRamDisk();
    h = await nodeHarness();
    ws = wallets(4);
    const parts = [rows.slice(0, 110), rows.slice(110, 230), rows.slice(230)];
    for (let i = 0; i < 3; i++) {
      const path = await h.file(`o${i}-penguins.npy`, encodeNpy(parts[i]));
      await h.node(`o${i}`, ws[i], { datasets: [{ name: "penguins", path, format: "npy", columns: DS_COLS }] });
    }
    R = await h.node("R", ws[3], { roles: ["Requester"] });
  });
  after(async () => {
    await h?.stop();
  });

  for (const [aggregation, standardize] of [
    ["plain", false],
    ["secagg", true],
    ["paillier", false],
  ] as const) {
    test(`pca / ${aggregation}${standardize ? " / standardized" : ""}: within 1e-6 of the plaintext PCA of the union`, { timeout: 180_000 }, async () => {
      const { taskId } = await submitFederated(
        R,
        {
          kind: "pca",
          aggregation,
          datasets: ws.slice(0, 3).map((w) => ({ owner: w.address, datasetId: "penguins" })),
          params: { columns: DS_COLS, k: 2, standardize },
          members: { min: 3, max: 3, threshold: 2 },
        },
        { paillierBits: 1024 },
      );
      const { result } = await finalResult<PcaResult & { members: string[]; rejected: unknown[] }>(R, taskId, 1);
      assert.equal(result.rows, rows.length);
      assert.deepEqual(result.columns, DS_COLS);
      assert.deepEqual(
        result.members,
        ws
          .slice(0, 3)
          .map((w) => w.address.toLowerCase())
          .sort(),
      );
      assert.deepEqual(result.rejected, []);
      assertMatches(result, reference(rows, 2, standardize));
    });
  }
});
