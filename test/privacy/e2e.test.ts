import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import type { Wallet } from "ethers";
import { submitFederated, type RunningNode } from "../../node/src/index.js";
import type { SecureStatsResult } from "../../node/src/runtime/kinds/stats/index.js";
import type { PrivacyReport } from "../../node/src/privacy/mechanism.js";
import { privacyBudget } from "../../node/src/runtime/policy.js";
import type { NodeHarness } from "../node/harness.js";
import { finalResult, ownersAndRequester } from "../federated/network.js";
import { IRIS_COLS, union } from "../federated/reference.js";
import type { Table } from "../../node/src/data/table.js";

/**
 * One stats task with differential privacy end to end in coordinator mode (real HTTP, signed
 * requests, secure aggregation): three owners, threshold 2. The result carries noise of the
 * calibrated scale and its privacy report; every owner charged the release to its dataset; a
 * second task asking for more than is left is declined by every owner before any round runs,
 * with the remaining budget in the reason.
 */
describe("differential privacy end to end, coordinator mode, 3 owners + requester", () => {
  let h: NodeHarness;
  let owners: RunningNode[];
  let R: RunningNode;
  let ws: Wallet[];
  const iris: Table[] = [];
  const BUDGET = 1;

  before(async () => {
    let tables: Record<string, Table[]>;
    ({ h, ws, owners, R, tables } = await ownersAndRequester({ policy: { dpRhoBudget: BUDGET } }));
    iris.push(...tables.iris);
  });
  after(async () => {
    await h?.stop();
  });

  const bounds = Object.fromEntries(IRIS_COLS.map((c) => [c, [0, 8]]));
  const submit = (rho: number) =>
    submitFederated(R, {
      kind: "stats",
      aggregation: "secagg",
      datasets: ws.slice(0, 3).map((w) => ({ owner: w.address, datasetId: "iris" })),
      params: { columns: IRIS_COLS, privacy: { rho, bounds } },
      members: { min: 3, max: 3, threshold: 2 },
    });

  test("noised statistics with their privacy report; the release charged; an over-budget task declined with what is left", { timeout: 120_000 }, async () => {
    const { taskId } = await submit(0.8);
    const { result } = await finalResult<SecureStatsResult & { privacy: PrivacyReport }>(R, taskId, 1);
    const rows = union(iris);
    assert.equal(result.members, 3);
    const rep = result.privacy;
    assert.equal(rep.mechanism, "distributed discrete Gaussian");
    assert.equal(rep.rhoTask, 0.8);
    assert.equal(rep.threshold, 2);
    assert.ok(rep.epsilon > 0 && rep.delta === 1e-6);
    // 1 + 2·4 parts share ρ = 0.8: σ(count) = √(9/1.6) ≈ 2.37; with 3 of threshold 2 members the noise is √1.5 times that
    const sdCount = rep.sigma[0] * Math.sqrt(1.5);
    assert.ok(Math.abs(rep.sigma[0] - Math.sqrt(9 / 1.6)) < 0.01, `σ(count) ${rep.sigma[0]}`);
    IRIS_COLS.forEach((c, j) => {
      const xs = rows.map((r) => r[j]);
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const col = result.columns[c];
      // the count is noised (one count for all columns) and within 6 sd of 150
      assert.ok(Math.abs(col.count - 150) <= 6 * sdCount + 1, `${c}: count ${col.count}`);
      // the sum carries noise of sd σ_sum·√1.5; un-noised it would equal Σx to 1e-6
      const sdSum = rep.sigma[3 * j + 1] * Math.sqrt(1.5);
      const exact = xs.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(col.sum - exact) <= 6 * sdSum, `${c}: sum ${col.sum} vs ${exact} (sd ${sdSum})`);
      assert.ok(col.mean >= 0 && col.mean <= 8);
      // the mean is post-processing of the noisy sum and count, clamped into the bounds; its error
      // follows theirs (checked above), so it is held to the same 6-sd envelope, not a fixed 0.5
      assert.ok(Math.abs(col.mean - Math.min(8, Math.max(0, col.sum / col.count))) < 1e-9, `${c}: mean ${col.mean} is not sum/count`);
      const countLow = 150 - 6 * sdCount - 1;
      assert.ok(Math.abs(col.mean - mean) <= (6 * sdSum + 8 * (6 * sdCount + 1)) / countLow, `${c}: mean ${col.mean} vs ${mean}`);
    });
    assert.ok(
      IRIS_COLS.some((c, j) => Math.abs(result.columns[c].sum - rows.reduce((a, r) => a + r[j], 0)) > 1e-3),
      "the sums carry noise",
    );

    for (const o of owners) {
      const b = privacyBudget(o.store, o.config.policy, "iris");
      assert.equal(b.released.releases, 1);
      assert.ok(Math.abs(b.released.rho - 0.8) < 1e-12);
      assert.ok(Math.abs(b.left.rho - 0.2) < 1e-12);
    }

    // 0.2 is left on every owner's iris: a task asking for 0.5 is declined before any round runs
    const second = await submit(0.5);
    for (const o of owners) {
      await o.runtime.when(() => o.store.getTask(second.taskId) !== undefined);
      const row = o.store.getTask(second.taskId)!;
      assert.equal(row.decision, "decline");
      assert.match(row.reason, /^dataset iris has ρ 0\.2 \(ε [0-9.]+ at δ 1e-6\) of its privacy budget left; the task asks for ρ 0\.5/);
      assert.equal(o.store.getRound(second.taskId, 1, "member"), undefined);
      assert.ok(Math.abs(privacyBudget(o.store, o.config.policy, "iris").released.rho - 0.8) < 1e-12);
    }
  });
});
