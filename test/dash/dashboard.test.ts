import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { encryptKeystoreJsonSync, Wallet } from "ethers";
import { chromium, type Browser, type Page } from "playwright-core";
import { signRequest } from "../../protocol/src/signing.js";
import { DASH_DIST } from "../../node/src/api/dashboard.js";
import { ownersAndRequester } from "../federated/network.js";
import { IRIS_COLS, IRIS_INIT } from "../federated/reference.js";

/**
 * The dashboard in Debian's Chromium against a real coordinator network (three owner nodes with
 * Iris, a requester node): unlock with the requester's operator key, read the network, submit a
 * k-means task from the form generated from the kind's schema (a bad field first: its message
 * names it), follow the rounds live to the task's close, then check the member × round matrix is
 * complete, the charts drew, the scatter shows k clusters, and no page hit its error boundary.
 * Screenshots go to test-artifacts/dash/ (git-ignored).
 */
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
  let net: Awaited<ReturnType<typeof ownersAndRequester>>;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    const exe = chromiumPath();
    net = await ownersAndRequester();
    browser = await chromium.launch({ executablePath: exe, args: ["--no-sandbox", "--disable-gpu"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on("pageerror", (e) => pageErrors.push(e.message));
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await net?.h.stop();
  });

  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  const noBoundary = async (where: string) => {
    const b = page.locator(".error-boundary");
    if ((await b.count()) > 0) assert.fail(`${where} rendered its error boundary: ${await b.first().textContent()}`);
  };
  /** How many pixels of a canvas are not blank: a chart that drew nothing has none. */
  const inked = (id: string) =>
    page.evaluate((sel) => {
      const c = document.querySelector(sel);
      if (!c || c.width === 0) return 0;
      const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return n;
    }, `#${id}`);

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

    for (const f of ["", "app.js", "app.css"]) assert.equal((await fetch(`${R.url}/dash/${f}`)).status, 200, `/dash/${f} is public`);
    const bundle = readFileSync(join(DASH_DIST, "app.js"), "utf8");
    for (const w of ws) assert.ok(!bundle.includes(w.privateKey.slice(2)), "no key in the bundle");
    assert.equal((await fetch(`${R.url}/dash/../datasets`)).status, 401, "no way around the signed routes");
  });
});
