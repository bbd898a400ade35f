import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { encryptKeystoreJsonSync, Wallet } from "ethers";
import { chromium, type Browser, type Page } from "playwright-core";
import { signRequest } from "../../protocol/src/signing.js";
import { DASH_DIST } from "../../node/src/api/dashboard.js";
import type { RunningNode } from "../../node/src/index.js";
import { closePool } from "../../node/src/runtime/pool.js";
import { nodeHarness, wallets } from "../node/harness.js";
import { ownerDatasets, preferRamDisk } from "../federated/network.js";
import { HONK_CHEATERS } from "../federated/honk.js";
import { IRIS_COLS, IRIS_INIT } from "../federated/reference.js";

/**
 * The dashboard in Debian's Chromium against a real coordinator network (three owner nodes with
 * Iris, a requester node): unlock with the requester's operator key, read the network, submit a
 * k-means task from the form generated from the kind's schema (a bad field first: its message
 * names it), follow the rounds live to the task's close, then check the member × round matrix is
 * complete, the charts drew, the scatter shows k clusters, and no page hit its error boundary; then
 * re-verify an UltraHonk-proven task's proofs in the browser's web worker (owner 2 sends a proof with
 * one byte changed under a matching commitment: only the proof check catches it).
 * Screenshots go to test-artifacts/dash/ (git-ignored).
 */

/** Three owners (iris committed by chunks, so UltraHonk rounds can prove it; owner 2 cheats in tasks marked "cheat:proof") and a requester. */
async function network() {
  preferRamDisk();
  const h = await nodeHarness();
  const ws = wallets(4);
  const owners: RunningNode[] = [];
  for (let i = 0; i < 3; i++) {
    const d = await ownerDatasets((n, b) => h.file(n, b), `o${i}`, i);
    const datasets = d.datasets.map((x) => (x.name === "iris" ? { ...x, commitment: "chunks" as const } : x));
    owners.push(await h.node(`o${i}`, ws[i], { datasets }, i === 2 ? { handlers: HONK_CHEATERS, replaceBuiltins: true } : {}));
  }
  const R = await h.node("R", ws[3], { roles: ["Requester"] });
  return { h, ws, owners, R };
}
// The functions handed to page.evaluate run in the page; the root tsconfig has no DOM library, so the little they use is declared here.
type El = {
  textContent: string | null;
  disabled: boolean;
  width: number;
  height: number;
  getAttribute(n: string): string | null;
  getContext(k: "2d"): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
};
type Row = { querySelectorAll(sel: string): Iterable<El> };
declare const document: { body: unknown; querySelector(sel: string): El | null; querySelectorAll(sel: string): { length: number } };
declare const MutationObserver: new (f: () => void) => { observe(n: never, o: object): void };

/** Runs in the page: how many pixels of the canvas `sel` are not blank (0 when there is none). */
const inkedIn = (sel: string) => {
  const c = document.querySelector(sel);
  if (!c || c.width === 0) return 0;
  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
  return n;
};

/** page.waitForFunction that keeps a screenshot of the page as it stood when the wait failed. */
async function until(p: Page, shotName: string, fn: (arg: number) => unknown, arg = 0, timeout = 30_000): Promise<void> {
  await p.waitForFunction(fn, arg, { timeout }).catch(async (e: unknown) => {
    await p.screenshot({ path: join(ARTIFACTS, `${shotName}-failed.png`), fullPage: true }).catch(() => {});
    throw e;
  });
}

const ARTIFACTS = join(import.meta.dirname, "../../test-artifacts/dash");

function chromiumPath(): string {
  try {
    return execFileSync("which", ["chromium"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error(
      "chromium is not installed: `apt-get install -y chromium` (.ci/run installs it when missing); this test drives Debian's Chromium and never downloads a browser",
    );
  }
}

describe("dashboard in Chromium", () => {
  let net: Awaited<ReturnType<typeof network>>;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    const exe = chromiumPath();
    net = await network();
    browser = await chromium.launch({ executablePath: exe, args: ["--no-sandbox", "--disable-gpu"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on("pageerror", (e) => pageErrors.push(e.message));
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await net?.h.stop();
    await closePool();
  });

  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  const noBoundary = async (where: string) => {
    const b = page.locator(".error-boundary");
    if ((await b.count()) > 0) assert.fail(`${where} rendered its error boundary: ${await b.first().textContent()}`);
  };
  /** How many pixels of a canvas are not blank: a chart that drew nothing has none. */
  const inked = (id: string) => page.evaluate(inkedIn, `#${id}`);

  test("unlock, network, submit k-means from the form, rounds to the close, matrix and charts", { timeout: 120_000 }, async (t) => {
    const { R, ws, owners } = net;
    // On a failure the page as it stood is kept for the reader.
    t.after(async () => {
      await shot("last").catch(() => {});
    });
    await page.goto(`${R.url}/dash/`);
    await page.fill("#key", "not a key");
    await page.click("#unlock");
    await page.waitForSelector("#login-error");
    assert.match((await page.textContent("#login-error"))!, /64 hex digits/);
    await page.fill("#key", ws[3].privateKey);
    await page.click("#unlock");
    await page.waitForSelector("#page-network");
    await page.waitForFunction(() => document.querySelector("#net-connector")?.textContent?.includes("healthy"));
    assert.equal(await page.textContent("#net-mode"), "coordinator");
    await page.waitForFunction(() => document.querySelectorAll("#nodes tbody tr").length === 4);
    const table = (await page.textContent("#nodes"))!;
    for (const n of [...owners, R]) assert.ok(table.includes(n.address), `node ${n.config.name} is listed`);
    assert.match(table, /Requester/);
    assert.match(table, /Owner/);
    await noBoundary("network");
    await shot("network");

    await page.goto(`${R.url}/dash/#/submit`);
    await page.waitForSelector("#submit-form");
    assert.equal(await page.inputValue("select[name=kind]"), "stats", "the registry's first kind");
    await page.selectOption("select[name=kind]", "kmeans");
    await page.fill("input[name=dataset]", "iris");
    await page.fill("input[name=rounds]", "6");
    await page.fill("input[name='min']", "3");
    await page.fill("input[name='max']", "3");
    await page.fill("input[name='threshold']", "2");
    await page.fill("input[name='params.columns']", IRIS_COLS.join(","));
    // A centroid with a value missing: the message names the field, and the form will not submit.
    await page.fill("textarea[name='params.initial']", JSON.stringify([[5.1, 3.5, 1.4], ...IRIS_INIT.slice(1)]));
    await page.waitForSelector("[data-field='params.initial']");
    assert.match((await page.textContent("[data-field='params.initial']"))!, /params\.initial\.0: params\.initial\[0\] has 3 values; give one per column \(4\)/);
    assert.equal(await page.isDisabled("#submit"), true);
    await page.fill("textarea[name='params.initial']", JSON.stringify(IRIS_INIT));
    await page.fill("input[name='params.tolerance']", "1e-9");
    await page.waitForFunction(() => !document.querySelector("#submit")!.disabled);
    const shown = JSON.parse((await page.textContent("#spec-json"))!) as { kind: string; datasets: { owner: string }[]; params: { initial: number[][] } };
    assert.equal(shown.kind, "kmeans");
    assert.deepEqual(shown.datasets.map((d) => d.owner).sort(), owners.map((o) => o.address).sort());
    assert.deepEqual(shown.params.initial, IRIS_INIT);
    await shot("submit");
    // Every text the round counter shows, recorded in the page: rounds must advance live, without a reload.
    await page.evaluate(() => {
      const seen: string[] = [];
      (globalThis as unknown as { seenRounds: string[] }).seenRounds = seen;
      new MutationObserver(() => {
        const t = document.querySelector("#task-round")?.textContent;
        if (t && seen[seen.length - 1] !== t) seen.push(t);
      }).observe(document.body as never, { subtree: true, childList: true, characterData: true });
    });
    await page.click("#submit");
    await page.waitForURL(/#\/task\/\d+$/);
    const taskId = Number(/#\/task\/(\d+)$/.exec(page.url())![1]);

    // Rounds advance on the live event stream (no reload): wait for the close.
    await page.waitForFunction(() => document.querySelector("#task-state")?.textContent?.startsWith("closed"), undefined, { timeout: 60_000 });
    const rounds = Number(/^(\d+) of 6$/.exec((await page.textContent("#task-round"))!)![1]);
    assert.ok(rounds >= 2 && rounds <= 6, `ran ${rounds} rounds`);
    const seen = await page.evaluate(() => (globalThis as unknown as { seenRounds: string[] }).seenRounds);
    assert.ok(seen.length >= 2 && seen[seen.length - 1] === `${rounds} of 6`, `the round counter advanced live: ${seen.join(" → ")}`);
    await page.waitForFunction(
      (k) => document.querySelector("#chart-scatter")?.getAttribute("data-marks") === String(k) && Number(document.querySelector("#chart-rounds")?.getAttribute("data-marks")) > 0,
      IRIS_INIT.length,
    );
    // The member × round matrix: every owner submitted in every round.
    const cells = await page.$$eval("#matrix tbody tr", (trs: Row[]) => trs.map((tr) => [...tr.querySelectorAll("td[data-cell]")].map((td) => td.getAttribute("data-cell"))));
    assert.equal(cells.length, 3, "three members");
    for (const row of cells) assert.deepEqual(row, Array(rounds).fill("submitted"));
    assert.ok((await inked("chart-scatter")) > 500, "the scatter drew");
    assert.ok((await inked("chart-rounds")) > 500, "the round chart drew");
    assert.match((await page.textContent("#waiting"))!, /closed|done/);
    assert.equal(await page.locator("#swimlane .lane").count(), rounds);
    await noBoundary("task detail");
    await shot("task");

    // Results: downloaded as JSON from the requester node's signed API; the last round's centroids are the node's.
    const dl = page.waitForEvent("download");
    await page.click("#dl-json");
    const file = await (await dl).path();
    const json = JSON.parse(readFileSync(file, "utf8")) as Record<string, { centroids: number[][] }>;
    assert.deepEqual(json[String(rounds)].centroids, (R.store.getResult(taskId, rounds)!.result as { centroids: number[][] }).centroids);

    // Proofs and provenance: every contribution with the commitment the connector recorded, and the members' dataset roots.
    await page.click("#to-proofs");
    await page.waitForSelector("#page-proofs");
    assert.equal(await page.locator("#contributions tbody tr").count(), 3 * rounds);
    const recorded = net.h.network.getContributions(taskId, rounds, 3);
    assert.equal(recorded.length, 3);
    for (const c of recorded) {
      const text = (await page.getAttribute(`#contributions tr[data-contribution='${rounds}:${c.member}'] td[title='${c.commitment}']`, "title"))!;
      assert.equal(text, c.commitment, `member ${c.member}'s commitment in round ${rounds}`);
    }
    assert.equal(await page.locator("#provenance tbody tr").count(), 3, "each member's iris commitment, not its other datasets");
    await noBoundary("proofs");
    await shot("proofs");

    // Explorer: the task's events, filtered by type and task, one RoundFinalized per round.
    await page.goto(`${R.url}/dash/#/explorer`);
    await page.waitForSelector("#events");
    assert.match((await page.textContent("#no-blocks"))!, /coordinator mode: no chain, so no blocks/);
    await page.fill("#explorer-task", String(taskId));
    await page.selectOption("#explorer-type", "RoundFinalized");
    await page.waitForFunction((n) => document.querySelectorAll("#events tbody tr").length === n, rounds);
    assert.equal(await page.locator("#events tbody tr[data-type='RoundFinalized']").count(), rounds);
    await noBoundary("explorer");
    await shot("explorer");

    await page.goto(`${R.url}/dash/#/tasks`);
    await page.waitForSelector(`#tasks tr[data-task='${taskId}']`);
    const row = (await page.textContent(`#tasks tr[data-task='${taskId}']`))!;
    assert.match(row, /kmeans/);
    assert.match(row, new RegExp(`${rounds} of 6`));
    assert.match(row, /3 \/ 2/);
    await noBoundary("tasks");
    await shot("tasks");
    assert.deepEqual(pageErrors, [], "no uncaught error in the page");
  });

  test("re-verify UltraHonk proofs in the browser's worker: an honest owner's verify, a changed proof byte does not", { timeout: 180_000 }, async () => {
    const { R, ws, owners } = net;
    const { NodeApiClient } = await import("../../node/src/api/client.js");
    const { taskId } = await new NodeApiClient(R.url, ws[3]).submitTask({
      kind: "stats",
      nonce: "cheat:proof",
      aggregation: "plain",
      verification: "offchain",
      proofSystem: "honk",
      datasets: owners.map((o) => ({ owner: o.address, datasetId: "iris" })),
      params: { columns: IRIS_COLS },
      members: { min: 3, max: 3, threshold: 2 },
    });
    // A page of its own, unlocked here, so this test runs alone too.
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(`${R.url}/dash/#/task/${taskId}`);
    await page.fill("#key", ws[3].privateKey);
    await page.click("#unlock");
    await page.waitForFunction(() => document.querySelector("#task-state")?.textContent?.startsWith("closed"), undefined, { timeout: 150_000 });
    await page.click("#to-proofs");
    await page.waitForSelector("#page-proofs");
    const row = (o: RunningNode) => `#contributions tr[data-contribution='1:${o.address}'][data-phase='Compute']`;
    await page.waitForSelector(row(owners[2]));
    for (const [o, want] of [
      [owners[0], "ok"],
      [owners[2], "failed"],
    ] as const) {
      await page.click(`${row(o)} button.reverify`);
      await page.waitForFunction((sel) => /^(ok|failed)$/.test(document.querySelector(sel)?.getAttribute("data-verify") ?? ""), `${row(o)} .recheck`, { timeout: 60_000 });
      const text = (await page.textContent(`${row(o)} .recheck`))!;
      assert.equal(await page.getAttribute(`${row(o)} .recheck`, "data-verify"), want, text);
      if (want === "ok")
        assert.match(
          text,
          /verified: blob hash, envelope, circuit stats_chunk, commitment, dataset root, 1 group\(s\) cover 50 rows, groups, root and round binding, UltraHonk proof verified \(1 proof/,
        );
      // Blob, commitment, root and binding all hold for the cheater's list: only the proof check catches the changed byte.
      else assert.match(text, /failed: group 0: the UltraHonk proof does not verify against the stats_chunk verification key/);
    }
    assert.equal(await page.locator(".error-boundary").count(), 0);
    await page.screenshot({ path: join(ARTIFACTS, "proofs-reverify.png"), fullPage: true });
    await page.close();
    assert.deepEqual(pageErrors, []);
  });

  test("an owner's datasets page: policy edited with its field named, a task waiting for approval denied from the inbox", { timeout: 60_000 }, async () => {
    const { R, ws, owners } = net;
    const o0 = owners[0];
    const p2 = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    p2.on("pageerror", (e) => pageErrors.push(e.message));
    await p2.goto(`${o0.url}/dash/#/datasets`);
    await p2.fill("#key", ws[0].privateKey);
    await p2.click("#unlock");
    await p2.waitForSelector("#datasets tr[data-dataset='iris']");
    await p2.waitForFunction(() => document.querySelector("#stream")?.textContent === "live");
    assert.match((await p2.textContent("#datasets tr[data-dataset='iris']"))!, /iris\s*1\s*npy\s*50\s*4/);
    await p2.fill("textarea[name='policy-iris']", '{"approval": "maybe"}');
    await p2.click("button.save-policy[data-dataset='iris']");
    await p2.waitForFunction(() => /approval: must be "none" or "required"/.test(document.querySelector(".policy-msg")?.textContent ?? ""));
    await p2.fill("textarea[name='policy-iris']", '{"approval": "required"}');
    await p2.click("button.save-policy[data-dataset='iris']");
    await p2.waitForFunction(() => document.querySelector(".policy-msg")?.textContent === "saved");
    assert.deepEqual(o0.store.datasetPolicy("iris")?.policy, { approval: "required" });

    const { NodeApiClient } = await import("../../node/src/api/client.js");
    const spec = {
      kind: "stats",
      datasets: owners.map((o) => ({ owner: o.address, datasetId: "iris" })),
      params: { columns: ["sepal_length"] },
      members: { min: 2, max: 3, threshold: 2 },
    };
    const { taskId } = await new NodeApiClient(R.url, ws[3]).submitTask(spec);
    const row = `#inbox tr[data-inbox='${taskId}']`;
    await p2.waitForSelector(row);
    assert.match((await p2.textContent(`${row} .inbox-status`))!, /^pending/);
    assert.match((await p2.textContent(row))!, /stats/);
    await p2.fill(`${row} .deny-reason`, "not this quarter");
    await p2.click(`${row} .deny`);
    await p2.waitForFunction((sel) => document.querySelector(sel)?.textContent?.startsWith("denied"), `${row} .inbox-status`);
    assert.match((await p2.textContent(`${row} .inbox-status`))!, /^denied: .*not this quarter/);
    assert.equal(o0.store.getInbox(taskId)?.status, "denied");
    // On the requester's dashboard the task waits in Join: the others joined, the round waits for its deadline.
    await page.goto(`${R.url}/dash/#/task/${taskId}`);
    await page.waitForFunction(() => /waiting for members to join \(2 joined, threshold 2\)/.test(document.querySelector("#waiting")?.textContent ?? ""));
    await noBoundary("a waiting task");
    assert.equal(await p2.locator(".error-boundary").count(), 0);
    await p2.screenshot({ path: join(ARTIFACTS, "datasets.png"), fullPage: true });
    await p2.close();
    assert.deepEqual(pageErrors, []);
  });

  test("a dataset's privacy budget burn-down: two noised releases charted against the budget, the tasks that used it", { timeout: 120_000 }, async () => {
    const { R, ws, owners } = net;
    const o1 = owners[1];
    const { NodeApiClient } = await import("../../node/src/api/client.js");
    const { REG_COLS } = await import("../federated/reference.js");
    const client = new NodeApiClient(R.url, ws[3]);
    const bounds = Object.fromEntries(REG_COLS.map((c) => [c, [-10, 20]]));
    // Each owner gives lin a budget of its own (the node's default, ε 1 at δ 1e-6, is ρ ≈ 0.018).
    for (const [i, o] of owners.entries()) await new NodeApiClient(o.url, ws[i]).setDatasetPolicy("lin", { rhoBudget: 2 });
    const ids: number[] = [];
    for (const rho of [0.3, 0.5]) {
      const { taskId } = await client.submitTask({
        kind: "stats",
        aggregation: "secagg",
        datasets: owners.map((o) => ({ owner: o.address, datasetId: "lin" })),
        params: { columns: REG_COLS, privacy: { rho, bounds } },
        members: { min: 3, max: 3, threshold: 2 },
      });
      ids.push(taskId);
      await R.runtime.when(() => R.store.getResult(taskId, 1) !== undefined);
    }
    await o1.runtime.when(() => o1.store.rhoLedger("lin").releases === 2);
    const p = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    p.on("pageerror", (e) => pageErrors.push(e.message));
    await p.goto(`${o1.url}/dash/#/datasets`);
    await p.fill("#key", ws[1].privateKey);
    await p.click("#unlock");
    await p
      .waitForFunction(() => document.querySelector("#chart-budget-lin")?.getAttribute("data-marks") === "2")
      .catch(async (e: unknown) => {
        await p.screenshot({ path: join(ARTIFACTS, "datasets-budget.png"), fullPage: true });
        throw e;
      });
    assert.ok((await p.evaluate(inkedIn, "#chart-budget-lin")) > 300, "the burn-down drew");
    const text = (await p.textContent(".budget[data-dataset='lin']"))!;
    assert.match(text, /^budget ρ 2 \(ε [\d.]+ at δ 1e-6\); released ρ 0\.8 in 2 release\(s\); reserved by running tasks ρ 0; left ρ 1\.2$/);
    const used = (await p.textContent(".used-by[data-dataset='lin']"))!;
    for (const id of ids) assert.ok(used.includes(String(id)), `task ${id} is listed as using lin: ${used}`);
    assert.equal(await p.locator(".error-boundary").count(), 0);
    await p.screenshot({ path: join(ARTIFACTS, "datasets-budget.png"), fullPage: true });
    await p.close();

    // The budget route: the operator's figures; refused to anyone else, 404 for a dataset the node does not hold.
    const get = async (w: Wallet | undefined, name: string) => {
      const path = `/dash/api/privacy/${name}`;
      const res = await fetch(`${o1.url}${path}`, { headers: w ? { ...(await signRequest(w, "GET", path, new Uint8Array(0))) } : {} });
      return { status: res.status, body: (await res.json()) as { code?: string; released?: { releases: number } } };
    };
    assert.equal((await get(undefined, "lin")).status, 401);
    assert.equal((await get(ws[3], "lin")).status, 403, "the requester's key is not this owner's");
    assert.equal((await get(Wallet.createRandom() as unknown as Wallet, "lin")).status, 403);
    assert.equal((await get(ws[1], "nosuch")).status, 404);
    assert.equal((await get(ws[1], "lin")).body.released?.releases, 2);
    assert.deepEqual(pageErrors, []);
  });

  test(
    "task detail charts: linreg loss and gradient norm per round, fitted versus actual on a holdout file, DP statistics with noise error bars",
    { timeout: 120_000 },
    async () => {
      const { R, ws, owners } = net;
      const { NodeApiClient } = await import("../../node/src/api/client.js");
      const { linregTables, logregTables } = await import("../federated/reference.js");
      const client = new NodeApiClient(R.url, ws[3]);
      const lin = await client.submitTask({
        kind: "linreg",
        datasets: owners.map((o) => ({ owner: o.address, datasetId: "lin" })),
        params: { features: ["x1", "x2", "x3"], target: "y", method: "gd", learningRate: 0.1, tolerance: 0 },
        rounds: 4,
        members: { min: 3, max: 3, threshold: 2 },
      });
      const logCols = logregTables(3)[0].columns;
      // ρ 0.01 fits the node's default budget (ε 1 at δ 1e-6, ρ ≈ 0.024).
      const dp = await client.submitTask({
        kind: "stats",
        aggregation: "secagg",
        datasets: owners.map((o) => ({ owner: o.address, datasetId: "log" })),
        params: { columns: logCols, privacy: { rho: 0.01, bounds: Object.fromEntries(logCols.map((c) => [c, [-10, 10]])) } },
        members: { min: 3, max: 3, threshold: 2 },
      });
      await R.runtime.when(() => R.store.getResult(lin.taskId, 4) !== undefined && R.store.getResult(dp.taskId, 1) !== undefined);
      const p = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
      p.on("pageerror", (e) => pageErrors.push(e.message));
      await p.goto(`${R.url}/dash/#/task/${lin.taskId}`);
      await p.fill("#key", ws[3].privateKey);
      await p.click("#unlock");
      await until(p, "task-linreg", () => document.querySelector("#chart-loss")?.getAttribute("data-marks") === "8");
      assert.ok((await p.evaluate(inkedIn, "#chart-loss")) > 300, "the loss chart drew");
      const rows = linregTables(3).flatMap((t) => t.rows);
      const csv = ["x1,x2,x3,y", ...rows.map((r) => r.join(","))].join("\n");
      await p.setInputFiles("#holdout", { name: "holdout.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
      await until(p, "task-linreg", (n) => document.querySelector("#chart-fit")?.getAttribute("data-marks") === String(n), rows.length);
      assert.ok((await p.evaluate(inkedIn, "#chart-fit")) > 300, "the fitted-versus-actual scatter drew");
      await p.screenshot({ path: join(ARTIFACTS, "task-linreg.png"), fullPage: true });
      assert.equal(await p.locator(".error-boundary").count(), 0);

      await p.goto(`${R.url}/dash/#/task/${dp.taskId}`);
      await until(p, "task-stats-dp", (n) => document.querySelector("#chart-stats")?.getAttribute("data-errorbars") === String(n), logCols.length);
      assert.equal(await p.getAttribute("#chart-stats", "data-marks"), String(logCols.length));
      assert.ok((await p.evaluate(inkedIn, "#chart-stats")) > 300, "the statistics chart drew");
      assert.match((await p.textContent("#stats-table"))!, /±/);
      await p.screenshot({ path: join(ARTIFACTS, "task-stats-dp.png"), fullPage: true });
      assert.equal(await p.locator(".error-boundary").count(), 0);
      await p.close();
      assert.deepEqual(pageErrors, []);
    },
  );

  test("the connector pass-through forwards only the operator's or an admin's signature; the bundle is public and holds no key", async () => {
    const { R, ws } = net;
    const get = async (w: Wallet | undefined, path: string) => {
      const headers = w ? { ...(await signRequest(w, "GET", path, new Uint8Array(0))) } : {};
      const res = await fetch(`${R.url}/dash/connector${path}`, { headers });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    assert.equal((await get(undefined, "/info")).status, 401);
    const stranger = await get(Wallet.createRandom() as unknown as Wallet, "/info");
    assert.equal(stranger.status, 403);
    assert.deepEqual(Object.keys(stranger.body).sort(), ["code", "message"]);
    assert.equal((await get(ws[0], "/info")).status, 403, "another registered node is refused here too");
    // A signature over another path does not pass.
    const headers = await signRequest(ws[3], "GET", "/nodes", new Uint8Array(0));
    assert.equal((await fetch(`${R.url}/dash/connector/info`, { headers: { ...headers } })).status, 401);
    const ok = await get(ws[3], "/info");
    assert.equal(ok.status, 200);
    assert.equal(ok.body.address, R.address);
    // Replayed: the connector keeps the nonce.
    const once = await signRequest(ws[3], "GET", "/info", new Uint8Array(0));
    assert.equal((await fetch(`${R.url}/dash/connector/info`, { headers: { ...once } })).status, 200);
    assert.equal((await fetch(`${R.url}/dash/connector/info`, { headers: { ...once } })).status, 401);

    // A keystore file unlocked in the page works as well as a pasted key.
    const p3 = await browser.newPage();
    await p3.goto(`${R.url}/dash/`);
    const ks = encryptKeystoreJsonSync({ address: ws[3].address, privateKey: ws[3].privateKey }, "pw", { scrypt: { N: 1 << 10 } });
    await p3.setInputFiles("#keystore", { name: "key.json", mimeType: "application/json", buffer: Buffer.from(ks) });
    await p3.fill("#keystore-password", "pw");
    await p3.click("#unlock");
    await p3.waitForSelector("#page-network");
    assert.equal(await p3.textContent("nav .who"), R.address);
    await p3.close();

    // The re-verify data route: the committed verification key and CRS points, signed by the operator or an admin only.
    const honk = async (w: Wallet | undefined, kind: string) => {
      const path = `/dash/api/honk/${kind}`;
      const res = await fetch(`${R.url}${path}`, { headers: w ? { ...(await signRequest(w, "GET", path, new Uint8Array(0))) } : {} });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    assert.equal((await honk(undefined, "stats")).status, 401);
    assert.equal((await honk(Wallet.createRandom() as unknown as Wallet, "stats")).status, 403);
    assert.equal((await honk(ws[0], "stats")).status, 403, "another registered node is refused");
    const unknown = await honk(ws[3], "nosuch");
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.message as string, /no UltraHonk circuit for kind "nosuch"; proven kinds are stats, minmax, kmeans, linreg, logreg/);
    const view = await honk(ws[3], "kmeans");
    assert.equal(view.status, 200);
    assert.equal(view.body.circuit, "kmeans_chunk");
    const { HONK_CRS_DIR, honkVkPath } = await import("../../chain-connector/src/honkverify.js");
    assert.equal(view.body.vk, readFileSync(honkVkPath("kmeans_chunk")).toString("hex"), "the committed verification key");
    assert.deepEqual(view.body.crs, {
      g1: readFileSync(join(HONK_CRS_DIR, "bn254_g1.dat")).subarray(0, 64).toString("hex"),
      g2: readFileSync(join(HONK_CRS_DIR, "bn254_g2.dat")).toString("hex"),
    });
    const replay = await signRequest(ws[3], "GET", "/dash/api/honk/stats", new Uint8Array(0));
    assert.equal((await fetch(`${R.url}/dash/api/honk/stats`, { headers: { ...replay } })).status, 200);
    assert.equal((await fetch(`${R.url}/dash/api/honk/stats`, { headers: { ...replay } })).status, 401, "a replayed request is refused");

    // Coordinator mode has no chain: the explorer's block route says so (and refuses strangers first).
    const blocksPath = "/dash/api/chain/blocks";
    assert.equal((await fetch(`${R.url}${blocksPath}`)).status, 401);
    const noChain = await fetch(`${R.url}${blocksPath}`, { headers: { ...(await signRequest(ws[3], "GET", blocksPath, new Uint8Array(0))) } });
    assert.equal(noChain.status, 404);
    assert.match(((await noChain.json()) as { message: string }).message, /no chainRpcUrl \(coordinator mode has no blocks/);

    for (const f of ["", "app.js", "app.css", "verify-worker.js", "bb/barretenberg.wasm.gz"]) assert.equal((await fetch(`${R.url}/dash/${f}`)).status, 200, `/dash/${f} is public`);
    const bundle = readFileSync(join(DASH_DIST, "app.js"), "utf8");
    for (const w of ws) assert.ok(!bundle.includes(w.privateKey.slice(2)), "no key in the bundle");
    assert.equal((await fetch(`${R.url}/dash/../datasets`)).status, 401, "no way around the signed routes");
  });
});
