import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import type { RunningNode } from "../../node/src/index.js";
import type { VlinregResult } from "../../node/src/runtime/kinds/vlinreg/index.js";
import { TranscriptRecorder } from "../../node/src/vertical/runtime-io.js";
import { nodeHarness, wallets, type NodeHarness } from "../node/harness.js";
import { finalResult, preferRamDisk } from "../federated/network.js";
import { cars, ols, partyNodes, shuffle, submitVlinreg, vlinregHandlers, type PartyDef } from "./network.js";

/**
 * Vertical linear regression over the round runtime in coordinator mode on real data (cars), with
 * k = 2 and k = 4 feature parties; the synthetic, fault and resume cases are coordinator.test.ts.
 * A file of their own so that --test-concurrency runs them beside the other long files.
 */
describe("vlinreg over the runtime, coordinator mode: cars (vega-datasets)", { concurrency: true }, () => {
  let h: NodeHarness;
  const recorder = new TranscriptRecorder();
  const handlers = () => vlinregHandlers(recorder);
  let R: RunningNode;
  let n = 0;

  before(async () => {
    preferRamDisk();
    h = await nodeHarness();
    R = await h.node("R", wallets(1)[0], { roles: ["Requester"] }, handlers());
  });
  after(async () => {
    await h?.stop();
  });

  const parties = (defs: PartyDef[], o?: Parameters<typeof partyNodes>[4]) => partyNodes(h, recorder, n++, defs, o);

  function checkAgainstOls(result: VlinregResult, data: ReturnType<typeof cars>) {
    const ref = ols(data.X, data.y);
    data.cols.forEach((c, i) => {
      assert.ok(Math.abs(result.coefficients![c] - ref.coef[i]) < 1e-3, `${c}: ${result.coefficients![c]} vs least squares ${ref.coef[i]}`);
    });
    assert.ok(Math.abs(result.intercept! - ref.intercept) < 1e-3, `intercept ${result.intercept} vs ${ref.intercept}`);
  }

  test(
    "cars (vega-datasets), MPG from 4 columns held by k = 2 feature parties, the label party is the requester: within 1e-3 of ml-regression",
    { timeout: 2_400_000 },
    async (t) => {
      const data = cars();
      const [c0, c1, c2, c3] = data.X as [number[], number[], number[], number[]];
      const { ps, nodes } = await parties(
        [
          { name: "y", label: "MPG", data: { ids: data.ids, columns: { MPG: data.y } } },
          { name: "x1", data: shuffle({ ids: data.ids, columns: { Cylinders: c0, Displacement: c1 } }, 11) },
          { name: "x2", data: shuffle({ ids: data.ids, columns: { Horsepower: c2, Weight_in_lbs: c3 } }, 12) },
        ],
        { labelRequests: true },
      );
      const Y = nodes[0];
      const iterations = 100;
      const t0 = Date.now();
      const { taskId, spec } = await submitVlinreg(Y, ps, { iterations });
      const { result, round } = await finalResult<VlinregResult>(Y, taskId, spec.rounds);
      t.diagnostic(`${iterations} iterations in ${round} rounds, ${((Date.now() - t0) / 1000).toFixed(1)} s (tests running concurrently)`);
      checkAgainstOls(result, data);
      for (const node of nodes) await node.stop();
    },
  );

  test("cars with k = 4 feature parties (one column each): within 1e-3 of ml-regression", { timeout: 2_700_000 }, async (t) => {
    const data = cars();
    const { nodes, ps } = await parties([
      { name: "y", label: "MPG", data: { ids: data.ids, columns: { MPG: data.y } } },
      ...data.cols.map((c, i) => ({ name: `x${i + 1}`, data: shuffle({ ids: data.ids, columns: { [c]: data.X[i] } }, 20 + i) })),
    ]);
    const iterations = 150;
    const t0 = Date.now();
    const { taskId, spec } = await submitVlinreg(R, ps, { iterations });
    const { result, round } = await finalResult<VlinregResult>(R, taskId, spec.rounds);
    t.diagnostic(`${iterations} iterations in ${round} rounds, ${((Date.now() - t0) / 1000).toFixed(1)} s (tests running concurrently)`);
    checkAgainstOls(result, data);
    for (const node of nodes) await node.stop();
  });
});
