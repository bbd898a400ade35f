import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import type { Wallet } from "ethers";
import { submitFederated, type RunningNode } from "../../node/src/index.js";
import { NodeApiClient, NodeApiError } from "../../node/src/api/client.js";
import { parseTaskSpec, specHash, type TaskSpecInput } from "../../protocol/src/taskspec.js";
import type { NodeHarness } from "./harness.js";
import { finalResult, ownersAndRequester } from "../federated/network.js";
import { IRIS_COLS } from "../federated/reference.js";

/**
 * Per-dataset policies and approvals with real nodes in coordinator mode (real HTTP, signed
 * requests): three owners o0..o2 holding iris, a requester R. Only o0's iris gets a policy, set
 * through the node API; each refusal is checked for its exact reason in the task row, the task
 * view and the audit trail, and each approval flow for whether o0 takes part in the round.
 */
describe("dataset policies and approvals, coordinator mode, 3 owners + requester", () => {
  let h: NodeHarness;
  let owners: RunningNode[];
  let R: RunningNode;
  let ws: Wallet[];
  const api = (i: number) => new NodeApiClient(owners[i].url, ws[i]);

  before(async () => {
    // A node-wide privacy budget large enough that only o0's dataset policy limits privacy loss.
    ({ h, ws, owners, R } = await ownersAndRequester({ policy: { dpRhoBudget: 10 } }));
  });
  after(async () => {
    await h?.stop();
  });

  const bounds = Object.fromEntries(IRIS_COLS.map((c) => [c, [0, 8]]));
  const submit = (params: Record<string, unknown>, extra: Partial<TaskSpecInput> = {}) =>
    submitFederated(R, {
      kind: "stats",
      datasets: ws.slice(0, 3).map((w) => ({ owner: w.address, datasetId: "iris" })),
      params,
      members: { min: 3, max: 3, threshold: 3 },
      ...extra,
    });
  const decided = async (o: RunningNode, taskId: number) => {
    await o.runtime.when(() => o.store.getTask(taskId) !== undefined);
    return o.store.getTask(taskId)!;
  };
  const o0 = () => owners[0];

  test("a policy is validated with the field named, set with the dataset or later, and kept by a new version", async () => {
    const file = await h.file("pol.csv", "a,b,c\n1,2,3\n4,5,6\n");
    const bad = await api(0)
      .registerDataset({ name: "pol", path: file, format: "csv", policy: { allowedColumns: "a", approval: "maybe" } })
      .catch((e: unknown) => e);
    assert.ok(bad instanceof NodeApiError && bad.status === 400, String(bad));
    assert.match(bad.message, /policy\.allowedColumns: /);
    assert.match(bad.message, /policy\.approval: must be "none" or "required"/);
    assert.equal(o0().store.getDataset("pol"), undefined, "a bad policy leaves no dataset behind");
    const typo = await api(0)
      .registerDataset({ name: "pol", path: file, format: "csv", policy: { allowedColumn: ["a"] } })
      .catch((e: unknown) => e);
    assert.ok(typo instanceof NodeApiError && /allowedColumn/.test(typo.message), String(typo));

    const d = await api(0).registerDataset({ name: "pol", path: file, format: "csv", policy: { allowedColumns: ["a", "b"], minOwners: 2 } });
    assert.deepEqual(d.policy, { allowedColumns: ["a", "b"], minOwners: 2 });
    const file2 = await h.file("pol2.csv", "a,b,c\n1,2,3\n4,5,6\n7,8,9\n");
    const v2 = await api(0).registerDataset({ name: "pol", path: file2, format: "csv" });
    assert.equal(v2.version, d.version + 1);
    assert.deepEqual((await api(0).datasetPolicy("pol")).policy, { allowedColumns: ["a", "b"], minOwners: 2 }, "a new version keeps the policy");

    const both = await api(0)
      .setDatasetPolicy("pol", { maxRhoPerTask: 1, maxEpsilonPerTask: 1 })
      .catch((e: unknown) => e);
    assert.ok(both instanceof NodeApiError && both.status === 400 && /maxEpsilonPerTask: give maxRhoPerTask or maxEpsilonPerTask, not both/.test(both.message), String(both));
    const missing = await api(0)
      .datasetPolicy("nope")
      .catch((e: unknown) => e);
    assert.ok(missing instanceof NodeApiError && missing.status === 404, String(missing));
    const set = await api(0).setDatasetPolicy("pol", { approval: "required" });
    assert.deepEqual(set.policy, { approval: "required" });
    assert.ok(set.updatedAt !== null);
  });

  test("declined with the precise reason: a column, a requester, too few rows, too much privacy loss, too few owners", { timeout: 120_000 }, async () => {
    const cases: { policy: Record<string, unknown>; params: Record<string, unknown>; extra?: Partial<TaskSpecInput>; reason: RegExp }[] = [
      {
        policy: { allowedColumns: ["sepal_length", "sepal_width"] },
        params: { columns: ["sepal_length", "petal_width"] },
        reason: /^dataset iris: column petal_width not allowed \(allowed: sepal_length, sepal_width\)$/,
      },
      {
        policy: { allowedRequesters: [ws[1].address] },
        params: { columns: ["sepal_length"] },
        reason: new RegExp(`^dataset iris: requester ${ws[3].address} not allowed \\(allowed: ${ws[1].address}\\)$`),
      },
      {
        policy: { minRowsPerOwner: 51 },
        params: { columns: ["sepal_length"] },
        reason: /^dataset iris: owner 0x[0-9a-fA-F]{40} has 50 row\(s\) behind the aggregate; the policy needs at least 51 per owner \(minRowsPerOwner\)$/,
      },
      {
        policy: { maxRhoPerTask: 0.1 },
        params: { columns: ["sepal_length"], privacy: { rho: 0.5, bounds } },
        reason: /^dataset iris: the task asks for privacy loss ρ 0\.5 over 1 round\(s\); the policy allows at most ρ 0\.1 per task$/,
      },
      {
        policy: { maxEpsilonPerTask: 2 },
        params: { columns: ["sepal_length"] },
        reason: /^dataset iris: the task adds no differential-privacy noise \(no params\.privacy\); the policy allows at most ρ [0-9.]+ per task$/,
      },
      {
        policy: { minOwners: 3 },
        params: { columns: ["sepal_length"] },
        extra: { members: { min: 3, max: 3, threshold: 2 } },
        reason:
          /^dataset iris: an aggregate may be released with 2 owner\(s\) behind it \(3 owner\(s\) referenced, members\.threshold 2\); the policy needs at least 3 \(minOwners\)$/,
      },
    ];
    for (const c of cases) {
      await api(0).setDatasetPolicy("iris", c.policy);
      const { taskId } = await submit(c.params, c.extra);
      const row = await decided(o0(), taskId);
      assert.equal(row.decision, "decline", JSON.stringify(c.policy));
      assert.match(row.reason, c.reason);
      // The other owners have no policy: they accept the same task.
      assert.equal((await decided(owners[1], taskId)).decision, "accept", `${JSON.stringify(c.policy)}: ${owners[1].store.getTask(taskId)!.reason}`);
      const view = (await api(0).task(taskId)).task as { decision: string; reason: string };
      assert.equal(view.reason, row.reason);
      const audit = (await api(0).audit({ taskId })).entries;
      assert.deepEqual(
        audit.map((e) => [e.action, e.reason]),
        [["declined", row.reason]],
      );
      assert.equal(o0().store.getRound(taskId, 1, "member"), undefined, "nothing joined");
    }
    // Within the policy: accepted, and the per-dataset budget is what the task is checked against.
    await api(0).setDatasetPolicy("iris", { maxRhoPerTask: 0.5, rhoBudget: 0.3, allowedColumns: ["sepal_length"] });
    const over = await submit({ columns: ["sepal_length"], privacy: { rho: 0.4, bounds } });
    assert.match((await decided(o0(), over.taskId)).reason, /^dataset iris has ρ 0\.3 \(ε [0-9.]+ at δ 1e-6\) of its privacy budget left; the task asks for ρ 0\.4/);
    const fits = await submit({ columns: ["sepal_length"], privacy: { rho: 0.2, bounds } });
    assert.equal((await decided(o0(), fits.taskId)).decision, "accept");
    await api(0).setDatasetPolicy("iris", {});
  });

  test("approval required: the task waits in the inbox, survives a restart; allowed in Join, the node joins and the task finishes", { timeout: 120_000 }, async () => {
    await api(0).setDatasetPolicy("iris", { approval: "required" });
    const { taskId, specHash } = await submit({ columns: ["sepal_length"] });
    const row = await decided(o0(), taskId);
    assert.equal(row.decision, "pending");
    assert.match(row.reason, /^awaiting the owner's approval \(policy of iris@1\)$/);
    // The others joined; o0 did not.
    await owners[1].runtime.when(() => owners[1].store.getRound(taskId, 1, "member")?.status === "joined");
    assert.equal(o0().store.getRound(taskId, 1, "member"), undefined);
    await o0().runtime.when(() => o0().store.getInbox(taskId)?.joinAnchor !== undefined);

    // The inbox is in node.sqlite: a restart keeps it.
    const config = o0().config;
    await o0().stop();
    // A policy in the node's config is set at start, beside the one set through the API.
    owners[0] = await h.node("o0", ws[0], { datasets: config.datasets.map((d) => (d.name === "log" ? { ...d, policy: { allowedKinds: ["logreg"] } } : d)) });
    assert.deepEqual((await api(0).datasetPolicy("log")).policy, { allowedKinds: ["logreg"] });
    assert.deepEqual((await api(0).datasetPolicy("iris")).policy, { approval: "required" });
    const list = await api(0).inbox();
    assert.deepEqual(
      list.map((i) => i.taskId),
      [taskId],
    );
    const show = await api(0).inboxTask(taskId);
    assert.equal(show.status, "pending");
    assert.equal(show.specHash, specHash);
    assert.deepEqual(show.columns, ["sepal_length"]);
    assert.equal(show.requester, ws[3].address);
    assert.deepEqual(show.datasets, ["iris@1"]);

    const allowed = await api(0).allow(taskId);
    assert.equal(allowed.status, "allowed");
    assert.equal(allowed.joined, true, allowed.joinError);
    assert.equal(allowed.decidedBy, ws[0].address);
    const { result } = await finalResult<{ members: number }>(R, taskId, 1);
    assert.equal(result.members, 3, "o0 took part");
    assert.deepEqual(await api(0).inbox(), []);
    const again = await api(0)
      .allow(taskId)
      .catch((e: unknown) => e);
    assert.ok(again instanceof NodeApiError && again.status === 409 && again.code === "AlreadyDecided", String(again));

    const audit = (await api(0).audit({ taskId })).entries.map((e) => e.action);
    assert.deepEqual(audit.slice(0, 3), ["pending", "approved", "joined"]);
    const v = await api(0).auditVerify();
    assert.equal(v.ok, true, JSON.stringify(v));
  });

  test("denied with a reason: declined with it, recorded, and it cannot be allowed afterwards", { timeout: 60_000 }, async () => {
    await api(0).setDatasetPolicy("iris", { approval: "required" });
    const { taskId } = await submit({ columns: ["sepal_width"] });
    assert.equal((await decided(o0(), taskId)).decision, "pending");
    const empty = await api(0)
      .deny(taskId, " ")
      .catch((e: unknown) => e);
    assert.ok(empty instanceof NodeApiError && empty.status === 400 && /reason: must not be empty/.test(empty.message), String(empty));
    const denied = await api(0).deny(taskId, "sepal widths are not for this study");
    assert.equal(denied.status, "denied");
    const row = o0().store.getTask(taskId)!;
    assert.equal(row.decision, "decline");
    assert.equal(row.reason, `denied by the owner (${ws[0].address}): sepal widths are not for this study`);
    const last = (await api(0).audit({ taskId })).entries.at(-1)!;
    assert.deepEqual([last.action, last.reason], ["declined", row.reason]);
    const late = await api(0)
      .allow(taskId)
      .catch((e: unknown) => e);
    assert.ok(late instanceof NodeApiError && late.status === 409, String(late));
    assert.equal(o0().store.getRound(taskId, 1, "member"), undefined);
  });

  test('no action before Join ends: declined as "not approved in time"; the others finish without it', { timeout: 60_000 }, async () => {
    await api(0).setDatasetPolicy("iris", { approval: "required" });
    const { taskId } = await submit({ columns: ["petal_length"] }, { members: { min: 2, max: 3, threshold: 2 } });
    assert.equal((await decided(o0(), taskId)).decision, "pending");
    for (const o of owners.slice(1)) await o.runtime.when(() => o.store.getRound(taskId, 1, "member")?.status === "joined");
    h.clock.set(h.network.getRound(taskId, 1)!.deadline + 1);
    const { result } = await finalResult<{ members: number }>(R, taskId, 1);
    assert.equal(result.members, 2);
    await o0().runtime.when(() => o0().store.getTask(taskId)?.decision === "decline");
    assert.equal(o0().store.getTask(taskId)!.reason, "not approved in time");
    assert.equal(o0().store.getInbox(taskId)!.status, "expired");
    const late = await api(0)
      .allow(taskId)
      .catch((e: unknown) => e);
    assert.ok(late instanceof NodeApiError && late.status === 409, String(late));
    const last = (await api(0).audit({ taskId })).entries.at(-1)!;
    assert.deepEqual([last.action, last.reason], ["declined", "not approved in time"]);
    assert.equal((await api(0).auditVerify()).ok, true);
  });

  test("auto-approve by requester: the task runs at once, the rule named in the decision", { timeout: 60_000 }, async () => {
    await api(0).setDatasetPolicy("iris", { approval: "required", autoApprove: { requesters: [ws[3].address] } });
    const { taskId } = await submit({ columns: ["sepal_length", "sepal_width"] });
    const row = await decided(o0(), taskId);
    assert.equal(row.decision, "accept");
    assert.equal(row.reason, `dataset iris: auto-approved (requester ${ws[3].address})`);
    assert.equal(o0().store.getInbox(taskId), undefined);
    const { result } = await finalResult<{ members: number }>(R, taskId, 1);
    assert.equal(result.members, 3);
    // By spec hash: the exact spec the owner reviewed (a fixed nonce, so its hash is known before it is submitted).
    const input = {
      kind: "stats",
      requester: ws[3].address,
      datasets: ws.slice(0, 3).map((w) => ({ owner: w.address, datasetId: "iris" })),
      params: { columns: ["sepal_length"] },
      members: { min: 3, max: 3, threshold: 3 },
      nonce: "reviewed-1",
    };
    const reviewed = specHash(parseTaskSpec(input));
    await api(0).setDatasetPolicy("iris", { approval: "required", autoApprove: { requesters: [ws[1].address], specHashes: [reviewed] } });
    const byHash = await submit(input.params, { nonce: "reviewed-1" });
    assert.equal(byHash.specHash, reviewed);
    assert.equal((await decided(o0(), byHash.taskId)).reason, `dataset iris: auto-approved (spec hash ${reviewed})`);
    const third = await submit({ columns: ["sepal_length"] });
    assert.equal((await decided(o0(), third.taskId)).decision, "pending", "neither rule matches");
    await api(0).setDatasetPolicy("iris", {});
  });
});
