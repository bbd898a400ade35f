import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { keccak256 } from "ethers";
import type { AggregateContext, RunningNode, TaskKindHandler } from "../../node/src/index.js";
import { Phase } from "../../protocol/src/phases.js";
import { encodeTable } from "../../node/src/vertical/tables.js";
import { RuntimeTableIO, mergeTables } from "../../node/src/vertical/runtime-io.js";
import { vlinregParams, vlinregRounds } from "../../protocol/src/tasks/vlinreg/index.js";
import { makeVlinregHandler, type VlinregResult } from "../../node/src/runtime/kinds/vlinreg/index.js";
import { TranscriptRecorder } from "../../node/src/vertical/runtime-io.js";
import { nodeHarness, wallets, type NodeHarness } from "../node/harness.js";
import { finalResult, preferRamDisk } from "../federated/network.js";
import { join } from "node:path";
import { checkVerticalCertificate, runVertical, verticalCertificateProblem } from "../../node/src/vertical/index.js";
import { runCertBinding } from "../../node/src/runtime/kinds/vlinreg/certificate.js";
import { synthetic } from "../vertical/data.js";
import { READS, leaks, ols, partyNodes, readBy, shuffle, submitVlinreg, vlinregHandlers, vlinregSpec, type PartyDef } from "./network.js";

/**
 * Vertical linear regression over the round runtime in coordinator mode (real HTTP, signed
 * requests): each party is its own node with its own dataset, a separate requester finalizes the
 * rounds and receives the model; every table goes through the connector's blob store.
 */
describe("vlinreg over the runtime, coordinator mode", { concurrency: true }, () => {
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

  // The default (label: y holds the one key) and the alternative (every feature party holds its own).
  for (const keyHolder of ["label", "features"] as const) {
    test(
      `synthetic y = 31·x1 − 5.5·x2 + noise, parties y, x1, x2, keyHolder ${keyHolder}: coefficients within 1 % of truth; no party receives another's plaintext values`,
      { timeout: 1_800_000 },
      async (t) => {
        const d = synthetic(200);
        const ids = d.ids.map((_, i) => i);
        const { ps, nodes } = await parties([
          { name: "y", label: "y", data: { ids, columns: { y: d.y } } },
          { name: "x1", data: shuffle({ ids, columns: { x1: d.x1 } }, 5) },
          { name: "x2", data: shuffle({ ids, columns: { x2: d.x2 } }, 9) },
        ]);
        const iterations = 50;
        const t0 = Date.now();
        const { taskId, spec } = await submitVlinreg(R, ps, { iterations, ...(keyHolder === "features" ? { keyHolder } : {}) });
        assert.equal(vlinregParams.parse(spec.params).keyHolder, keyHolder);
        const { result, round } = await finalResult<VlinregResult>(R, taskId, spec.rounds);
        t.diagnostic(`${keyHolder}: ${iterations} iterations in ${round} rounds, ${((Date.now() - t0) / 1000).toFixed(1)} s (tests running concurrently)`);
        const c = result.coefficients!;
        assert.ok(Math.abs(c.x1 - 31) / 31 < 0.01, `x1 coefficient ${c.x1}`);
        assert.ok(Math.abs(c.x2 + 5.5) / 5.5 < 0.01, `x2 coefficient ${c.x2}`);
        const ref = ols([d.x1, d.x2], d.y);
        // The intercept absorbs the coefficients' residual error times the columns' means: compare on the label's scale.
        const meanY = d.y.reduce((a, b) => a + b, 0) / d.y.length;
        assert.ok(Math.abs(result.intercept! - ref.intercept) < 0.01 * Math.abs(meanY), `intercept ${result.intercept} vs least squares ${ref.intercept} (mean y ${meanY})`);

        // The model left the label party sealed to the requester's result key, never in plaintext.
        const released: { model?: unknown; sealedModel?: { box: string } }[] = [];
        for (const ph of [Phase.Setup, Phase.Compute, Phase.Aggregate]) {
          for (const c of await R.connector.getContributions(taskId, round, ph)) {
            const m = JSON.parse(new TextDecoder().decode(await R.connector.getBlob(c.blobHash))) as (typeof released)[number];
            if (m.model || m.sealedModel) released.push(m);
          }
        }
        assert.equal(released.length, 1);
        assert.equal(released[0].model, undefined);
        assert.ok(/^0x01[0-9a-f]+$/.test(released[0].sealedModel!.box));

        // From the transcript of this run: what each party read through the runtime, and did with it.
        const mine = new Set(nodes.map((x) => x.address.toLowerCase()));
        const deliveries = recorder.deliveries.filter((x) => mine.has(x.node.toLowerCase()));
        assert.ok(deliveries.length > 0);
        assert.deepEqual(leaks(recorder, 200, { y: [d.y], x1: [d.x1], x2: [d.x2] }, mine), []);
        for (const p of ["x1", "x2", "y"] as const) assert.deepEqual(readBy(recorder, p, mine), READS[keyHolder][p], p);
        const events = recorder.events.filter((x) => mine.has(x.node.toLowerCase()));
        if (keyHolder === "label") {
          // y decrypted one masked sum per feature party and iteration; x_j opened each sealed table addressed to it.
          assert.equal(events.filter((e) => e.kind === "decrypted").length, 2 * iterations);
          assert.deepEqual([...new Set(events.filter((e) => e.kind === "opened").map((e) => `${e.reader}:${e.table.replace(/\/\d+\//, "/t/")}`))].sort(), [
            "x1:enc-x/x2",
            "x1:grad/t/x1",
            "x2:enc-x/x1",
            "x2:grad/t/x2",
          ]);
        } else assert.deepEqual(events, []);
        // Every table was read from the blob store under the hash its writer published.
        for (const x of deliveries) assert.ok(/^0x[0-9a-f]{64}$/.test(x.hash));
        for (const node of nodes) await node.stop();
      },
    );
  }

  /** Waits until every listed node's member state of round 1 failed; returns their errors by party. */
  async function memberErrors(taskId: number, named: [string, RunningNode][]): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const [name, node] of named) {
      await node.runtime.when(() => node.store.getRound(taskId, 1, "member")?.status === "failed");
      out[name] = node.store.getRound(taskId, 1, "member")!.error ?? "";
    }
    return out;
  }

  test("misaligned ids (missing, duplicate, count mismatch) are refused with a clear error before any key or ciphertext", { timeout: 120_000 }, async () => {
    const d = synthetic(20, 4);
    const ids = d.ids.map((_, i) => i);
    const cases: [string, number[], number[], Record<string, RegExp>][] = [
      ["missing id", [...ids.slice(1), 999], d.x1, { y: /id "0" of y is missing at x1/, x1: /id "0" of y is missing at x1/ }],
      ["count mismatch", ids.slice(1), d.x1.slice(1), { y: /x1 has 19 rows but y has 20/, x1: /x1 has 19 rows but y has 20/ }],
      ["duplicate id", [...ids.slice(1), 3], d.x1, { x1: /ids of x1: duplicate id "3"/ }],
    ];
    for (const [what, xIds, x1, expect] of cases) {
      const { ps, nodes } = await parties([
        { name: "y", label: "y", data: { ids, columns: { y: d.y } } },
        { name: "x1", data: { ids: xIds, columns: { x1 } } },
      ]);
      const { taskId } = await submitVlinreg(R, ps, { iterations: 2 });
      const errs = await memberErrors(
        taskId,
        Object.keys(expect).map((p) => [p, nodes[ps.findIndex((q) => q.name === p)]]),
      );
      for (const [p, re] of Object.entries(expect)) assert.match(errs[p], re, `${what}: ${p}`);
      // Nothing but ids was ever written: no key, no ciphertext.
      assert.deepEqual(await R.connector.getContributions(taskId, 1, Phase.Compute), [], what);
      for (const c of await R.connector.getContributions(taskId, 1, Phase.Setup)) {
        const m = JSON.parse(new TextDecoder().decode(await R.connector.getBlob(c.blobHash))) as { tables: { name: string }[] };
        assert.ok(
          m.tables.every((x) => x.name.startsWith("ids/")),
          `${what}: ${m.tables.map((x) => x.name).join(", ")}`,
        );
      }
      for (const node of nodes) await node.stop();
    }
  });

  test(
    "a second write of a table is refused: by the party's store, by the requester's registry of table names, and by every reader over the runtime",
    { timeout: 180_000 },
    async () => {
      // Locally: the adapter refuses a second write, and merging a second writer's entry.
      const io = await RuntimeTableIO.open({ party: "x1", node: "n", step: 1, index: {}, blobs: { get: () => Promise.reject(new Error("unused")) } });
      io.write("pk/x1", "x1", { type: "paillier-pk", n: "0x1" });
      assert.throws(() => io.write("pk/x1", "x1", { type: "paillier-pk", n: "0x2" }), /table pk\/x1: already written by x1 in this step; tables are write-once/);
      assert.throws(() => io.write("pk/x2", "x1", { type: "paillier-pk", n: "0x2" }), /only x2 may write it/);
      const index = {};
      mergeTables(index, [{ name: "pk/x1", writer: "x1", hash: "0xaa", step: 1 }], "a");
      assert.throws(
        () => mergeTables(index, [{ name: "pk/x1", writer: "x1", hash: "0xbb", step: 4 }], "b"),
        /already written by x1 at step 1; a second write \(b, step 4\) is refused/,
      );

      // The requester's registry: pk/x1 was written in round 1; x1 lists it again at step 4.
      const ws = wallets(3);
      const rs = vlinregSpec(
        ws[0].address,
        [
          { name: "y", label: "y", wallet: ws[0], data: { ids: [1], columns: { y: [1] } } },
          { name: "x1", wallet: ws[1], data: { ids: [1], columns: { a: [1] } } },
          { name: "x2", wallet: ws[2], data: { ids: [1], columns: { b: [1] } } },
        ],
        { iterations: 5 },
      );
      const manifest = (party: string, step: number, tables: { name: string; writer: string; hash: string; step: number }[]) => {
        const payload = new TextEncoder().encode(JSON.stringify({ v: 1, kind: "vlinreg", party, step, tables }));
        return { member: ws[["y", "x1", "x2"].indexOf(party)].address.toLowerCase(), blobHash: keccak256(payload), commitment: keccak256(payload), payload };
      };
      const h0 = "0x" + "11".repeat(32);
      const byPhase: Record<number, ReturnType<typeof manifest>[]> = {
        [Phase.Setup]: [manifest("y", 3, [{ name: "grad/0/x1", writer: "y", hash: h0, step: 3 }]), manifest("x1", 3, []), manifest("x2", 3, [])],
        [Phase.Compute]: [
          manifest("y", 4, []),
          manifest("x1", 4, [
            { name: "term/1/x1->x2", writer: "x1", hash: h0, step: 4 },
            { name: "pk/x1", writer: "x1", hash: h0, step: 4 },
          ]),
          manifest("x2", 4, []),
        ],
        [Phase.Aggregate]: [manifest("y", 5, []), manifest("x1", 5, []), manifest("x2", 5, [])],
      };
      let state: unknown = { written: { "ids/x1": "x1", "pk/x1": "x1", "enc-x/x1": "x1" } };
      const actx = {
        round: 2,
        spec: rs,
        state: { get: () => state, set: (v: unknown) => void (state = v) },
        contributions: async (ph: number) => byPhase[ph],
      } as unknown as AggregateContext;
      await assert.rejects(
        makeVlinregHandler().aggregate(actx, byPhase[Phase.Compute]),
        /table pk\/x1: already written by x1; x1's second write at step 4 is refused: tables are write-once/,
      );
      byPhase[Phase.Compute][1] = manifest("x1", 4, [{ name: "term/1/x1->x2", writer: "x1", hash: h0, step: 4 }]);
      const ok = await makeVlinregHandler().aggregate(actx, byPhase[Phase.Compute]);
      assert.deepEqual(
        (ok.next as { tables: { name: string }[] }).tables.map((x) => x.name),
        ["grad/0/x1", "term/1/x1->x2"],
      );

      // Over the runtime: x1 re-publishes xk/x1 (its X25519 key, first written at step 1) in its step-4 manifest.
      const d = synthetic(30, 6);
      const ids = d.ids.map((_, i) => i);
      const rewrite = (real: TaskKindHandler): TaskKindHandler => ({
        ...real,
        async contribute(ctx) {
          const sub = await real.contribute(ctx);
          if (ctx.round !== 2) return sub;
          const m = JSON.parse(new TextDecoder().decode(sub.payload)) as { step: number; tables: unknown[] };
          const hash = await ctx.blobs.put(encodeTable({ type: "x25519-pk", key: "0x" + "09".repeat(32) }));
          m.tables.push({ name: "xk/x1", writer: "x1", hash, step: m.step });
          const payload = new TextEncoder().encode(JSON.stringify(m));
          return { payload, commitment: keccak256(payload) };
        },
      });
      const { ps, nodes } = await parties(
        [
          { name: "y", label: "y", data: { ids, columns: { y: d.y } } },
          { name: "x1", data: { ids, columns: { x1: d.x1 } } },
          { name: "x2", data: { ids, columns: { x2: d.x2 } } },
        ],
        { wrap: { x1: rewrite } },
      );
      const { taskId } = await submitVlinreg(R, ps, { iterations: 5 });
      const Y = nodes[0];
      // The label party reads x1's step-4 manifest in the next phase and refuses it.
      await Y.runtime.when(() => Y.store.getRound(taskId, 2, "member")?.status === "failed");
      assert.match(
        Y.store.getRound(taskId, 2, "member")!.error!,
        /table xk\/x1: already written by x1 at step 1; a second write \(x1's manifest, step 4\) is refused: tables are write-once/,
      );
      for (const node of nodes) await node.stop();
    },
  );

  test(
    "params.tolerance: the parties stop once every one settled, the requester closes the task early (converged), and the model equals the in-process run's exactly",
    { timeout: 1_200_000 },
    async () => {
      const d = synthetic(60, 21);
      const ids = d.ids.map((_, i) => i);
      const { ps, nodes } = await parties([
        { name: "y", label: "y", data: { ids, columns: { y: d.y } } },
        { name: "x1", data: { ids, columns: { x1: d.x1 } } },
        { name: "x2", data: { ids, columns: { x2: d.x2 } } },
      ]);
      const tolerance = 1e-3;
      const maxIterations = 60;
      const local = await runVertical(
        {
          label: { ids, y: d.y },
          features: [
            { name: "x1", ids, columns: { x1: d.x1 } },
            { name: "x2", ids, columns: { x2: d.x2 } },
          ],
        },
        { keyBits: 1024, iterations: maxIterations, tolerance },
      );
      assert.ok(local.converged && local.iterations < maxIterations - 5, `the in-process run stops at ${local.iterations} of ${maxIterations}`);
      const { taskId, spec } = await submitVlinreg(R, ps, { maxIterations, tolerance });
      assert.equal(spec.rounds, vlinregRounds(maxIterations, "label"), "rounds cover the longest run");
      const { result, round } = await finalResult<VlinregResult>(R, taskId, spec.rounds);
      assert.ok(round < spec.rounds, `done in round ${round} of ${spec.rounds}`);
      // The requester closes the task on-chain once it has the model (event-driven, just after finalizing).
      let closed = await R.connector.getTask(taskId);
      for (let i = 0; i < 100 && !closed?.closed; i++) {
        await new Promise((r) => setTimeout(r, 100));
        closed = await R.connector.getTask(taskId);
      }
      assert.equal(closed?.closed, true, "closed on-chain");
      assert.equal(closed?.currentRound, round);
      assert.equal(result.converged, true);
      assert.equal(result.iterations, local.iterations);
      assert.deepEqual(result.coefficients, local.coefficients);
      assert.equal(result.intercept, local.intercept);
      for (const node of nodes) await node.stop();
    },
  );

  test(
    "params.certify: the run ends with the label party's proven final gradient, checked by the requester and kept with the result; a model that is not the minimum is refused",
    { timeout: 1_200_000 },
    async () => {
      const d = synthetic(60, 21);
      const ids = d.ids.map((_, i) => i);
      const defs: PartyDef[] = [
        { name: "y", label: "y", data: { ids, columns: { y: d.y } } },
        { name: "x1", data: { ids, columns: { x1: d.x1 } } },
        { name: "x2", data: { ids, columns: { x2: d.x2 } } },
      ];
      const { ps, nodes } = await parties(defs);
      const local = await runVertical(
        {
          label: { ids, y: d.y },
          features: [
            { name: "x1", ids, columns: { x1: d.x1 } },
            { name: "x2", ids, columns: { x2: d.x2 } },
          ],
        },
        { keyBits: 1024, iterations: 60, tolerance: 1e-3, certify: { tolerance: 1e-2 } },
      );
      const { taskId, spec } = await submitVlinreg(R, ps, { maxIterations: 60, tolerance: 1e-3, certify: 1e-2 });
      const { result } = await finalResult<VlinregResult>(R, taskId, spec.rounds);
      assert.deepEqual(result.coefficients, local.coefficients);
      const cert = result.certificate!;
      assert.ok(cert, "the result carries the certificate");
      // The same gradient as the in-process run (same data, same fixed-point steps), within the tolerance.
      assert.equal(result.gradientNorm, local.certified!.norm);
      assert.ok(result.gradientNorm <= 1e-2 && result.gradientNorm > 0);
      const check = {
        binding: runCertBinding({ taskId, spec }),
        n: BigInt(cert.key.n),
        features: [
          { name: "x1", columns: 1 },
          { name: "x2", columns: 1 },
        ],
      };
      assert.equal(checkVerticalCertificate(cert, { ...check, tolerance: 1e-2 }).norm, result.gradientNorm);
      assert.match(verticalCertificateProblem(cert, { ...check, tolerance: 1e-3 }) ?? "", /not the least-squares minimum/);
      assert.match(verticalCertificateProblem(cert, { ...check, binding: runCertBinding({ taskId: taskId + 1, spec }) }) ?? "", /bound to another task/);
      for (const node of nodes) await node.stop();

      // Three iterations are far from the minimum: the requester refuses the model with the reason.
      const second = await parties(defs);
      const short = await submitVlinreg(R, second.ps, { iterations: 3, certify: 1e-4 });
      const last = short.spec.rounds;
      await R.runtime.when(() => R.store.getRound(short.taskId, last, "requester")?.status === "failed");
      assert.match(
        R.store.getRound(short.taskId, last, "requester")!.error!,
        /the final certificate refuses the model: the certified gradient's norm .* exceeds the tolerance 0.0001/,
      );
      for (const node of second.nodes) await node.stop();
    },
  );

  test("a feature party's node stopped mid-task resumes from its persisted state; the model equals the in-process run's exactly", { timeout: 1_200_000 }, async () => {
    const d = synthetic(60, 12);
    const ids = d.ids.map((_, i) => i);
    const { ps, nodes } = await parties([
      { name: "y", label: "y", data: { ids, columns: { y: d.y } } },
      { name: "x1", data: shuffle({ ids, columns: { x1: d.x1 } }, 3) },
      { name: "x2", data: { ids, columns: { x2: d.x2 } } },
    ]);
    const iterations = 12;
    const { taskId, spec } = await submitVlinreg(R, ps, { iterations });
    await R.runtime.when(() => !!R.store.getResult(taskId, 4));
    const x1 = nodes[1];
    const dataDir = x1.config.dataDir;
    await x1.stop();
    const again = await h.node(
      dataDir.split("/").pop()!,
      ps[1].wallet,
      { roles: ["Owner"], datasets: [{ name: "vdata", path: join(h.dir, `${dataDir.split("/").pop()}.csv`), format: "csv" }] },
      handlers(),
    );
    const { result } = await finalResult<VlinregResult>(R, taskId, spec.rounds);
    // Paillier arithmetic is exact and the masks cancel exactly, so any keys and masks give the same fixed-point run as the local debug mode.
    const local = await runVertical(
      {
        label: { ids, y: d.y },
        features: [
          { name: "x1", ids, columns: { x1: d.x1 } },
          { name: "x2", ids, columns: { x2: d.x2 } },
        ],
      },
      { keyBits: 1024, iterations },
    );
    assert.deepEqual(result.coefficients, local.coefficients);
    assert.equal(result.intercept, local.intercept);
    for (const node of [nodes[0], again, nodes[2]]) await node.stop();
  });
});
