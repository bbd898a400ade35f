import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import type { Wallet } from "ethers";
import type { RunningNode } from "../../node/src/index.js";
import { makeVlinregHandler, type VlinregResult } from "../../node/src/runtime/kinds/vlinreg.js";
import { TranscriptRecorder } from "../../node/src/vertical/runtime-io.js";
import { nodeHarness, wallets, type NodeHarness } from "../node/harness.js";
import { finalResult, preferRamDisk } from "../federated/network.js";
import { synthetic } from "../vertical/data.js";
import { cars, csv, leaks, ols, shuffle, submitVlinreg, vlinregSpec, type Party, type PartyData } from "./network.js";

/**
 * Vertical linear regression over the round runtime in coordinator mode (real HTTP, signed
 * requests): each party is its own node with its own dataset, a separate requester finalizes the
 * rounds and receives the model; every table goes through the connector's blob store.
 */
describe("vlinreg over the runtime, coordinator mode", () => {
  let h: NodeHarness;
  const recorder = new TranscriptRecorder();
  const handlers = () => ({ replaceBuiltins: true, handlers: [makeVlinregHandler({ recorder })] });
  let R: RunningNode;
  let n = 0;

  before(async () => {
    preferRamDisk();
    h = await nodeHarness();
    R = await h.node("R", wallets(1)[0]!, { roles: ["Requester"] }, handlers());
  });
  after(async () => {
    await h?.stop();
  });

  async function parties(defs: { name: string; data: PartyData; label?: string }[]): Promise<{ ps: Party[]; nodes: RunningNode[] }> {
    const ws = wallets(defs.length);
    const ps: Party[] = defs.map((d, i) => ({ ...d, wallet: ws[i]! as Wallet }));
    const nodes: RunningNode[] = [];
    const run = n++;
    for (const p of ps) {
      const path = await h.file(`r${run}-${p.name}.csv`, csv(p.data));
      nodes.push(await h.node(`r${run}-${p.name}`, p.wallet, { roles: ["Owner"], datasets: [{ name: "vdata", path, format: "csv" }] }, handlers()));
    }
    return { ps, nodes };
  }

  test("synthetic y = 31·x1 − 5.5·x2 + noise, parties y, x1, x2: coefficients within 1 % of truth; no party receives another's plaintext values", { timeout: 300_000 }, async (t) => {
    const d = synthetic(200);
    const ids = d.ids.map((_, i) => i);
    const { ps, nodes } = await parties([
      { name: "y", label: "y", data: { ids, columns: { y: d.y } } },
      { name: "x1", data: shuffle({ ids, columns: { x1: d.x1 } }, 5) },
      { name: "x2", data: shuffle({ ids, columns: { x2: d.x2 } }, 9) },
    ]);
    const iterations = 50;
    const t0 = Date.now();
    const before = recorder.deliveries.length;
    const spec = vlinregSpec(R.address, ps, { iterations });
    const taskId = await submitVlinreg(R, spec);
    const { result, round } = await finalResult<VlinregResult>(R, taskId, spec.rounds);
    t.diagnostic(`${iterations} iterations in ${round} rounds, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const c = result.coefficients!;
    assert.ok(Math.abs(c.x1! - 31) / 31 < 0.01, `x1 coefficient ${c.x1}`);
    assert.ok(Math.abs(c.x2! + 5.5) / 5.5 < 0.01, `x2 coefficient ${c.x2}`);
    const ref = ols([d.x1, d.x2], d.y);
    assert.ok(Math.abs(result.intercept! - ref.intercept) / Math.abs(ref.intercept) < 0.05, `intercept ${result.intercept} vs ${ref.intercept}`);

    // From the transcript of this run: what each party read through the runtime.
    const mine = new Set(nodes.map((x) => x.address.toLowerCase()));
    const deliveries = recorder.deliveries.slice(before).filter((x) => mine.has(x.node.toLowerCase()));
    assert.ok(deliveries.length > 0);
    const sub = new TranscriptRecorder();
    for (const x of deliveries) sub.record(x, recorder.bytes(x.hash)!);
    assert.deepEqual(leaks(sub, 200, { y: [d.y], x1: [d.x1], x2: [d.x2] }), []);
    const readBy = (p: string) => [...new Set(deliveries.filter((x) => x.reader === p).map((x) => x.table.replace(/\/\d+\//, "/t/")))].sort();
    assert.deepEqual(readBy("x1"), ["enc-x/x2", "grad/t/x1", "ids/x1", "ids/x2", "ids/y", "pk/x2"]);
    assert.deepEqual(readBy("x2"), ["enc-x/x1", "grad/t/x2", "ids/x1", "ids/x2", "ids/y", "pk/x1"]);
    assert.deepEqual(readBy("y"), ["enc-x/x1", "enc-x/x2", "ids/x1", "ids/x2", "ids/y", "model/x1", "model/x2", "pk/x1", "pk/x2", "term/t/x1->x2", "term/t/x2->x1"]);
    // Every table was read from the blob store under the hash its writer published.
    for (const x of deliveries) assert.ok(/^0x[0-9a-f]{64}$/.test(x.hash));
    for (const node of nodes) await node.stop();
  });
});
