import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { Transaction, Wallet } from "ethers";
import { chromium, type Browser, type Page } from "playwright-core";
import { signRequest } from "../../protocol/src/signing.js";
import type { RunningNode } from "../../node/src/index.js";
import { chainNetwork, preferRamDisk, type ChainNet } from "../federated/network.js";

/**
 * The dashboard in Chromium against ethereum mode: a Hardhat node started here with the project's
 * contracts, the ethereum connector, one requester node that also reads the chain's RPC for the
 * explorer. Kept short (no task runs): the network page names the mode, and the explorer's block
 * view shows the node's registration call with its event, and a reverted transaction (a
 * startRound of a task that does not exist) with its custom error, decoded with the project's ABIs.
 */
// The functions handed to page.evaluate run in the page; the root tsconfig has no DOM library.
declare const document: { querySelector(sel: string): { textContent: string | null } | null };

const ARTIFACTS = join(import.meta.dirname, "../../test-artifacts/dash");
const built = existsSync(join(import.meta.dirname, "../../types/ethers-contracts/index.ts"));

describe("dashboard in Chromium, ethereum mode", { skip: built ? false : "contract bindings not built (npm run build)" }, () => {
  let net: ChainNet;
  let R: RunningNode;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    preferRamDisk();
    net = await chainNetwork(1);
    R = await net.node("R", net.keys[0], { roles: ["Requester"], chainRpcUrl: net.chain.url });
    const exe = execFileSync("which", ["chromium"], { encoding: "utf8" }).trim();
    browser = await chromium.launch({ executablePath: exe, args: ["--no-sandbox", "--disable-gpu"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on("pageerror", (e) => pageErrors.push(e.message));
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await net?.stop();
  });

  test("network in ethereum mode; the explorer's blocks decode calls, events and a reverted call's custom error", { timeout: 90_000 }, async () => {
    const { TaskManager__factory } = await import("../../types/ethers-contracts/index.js");
    // A funded account outside the keyring sends a call the contract refuses, signed here with a gas
    // limit so nothing estimates it first: Hardhat mines it (status 0) and answers the send with the error.
    const w = new Wallet(net.chain.accounts[7], net.chain.provider);
    const data = TaskManager__factory.createInterface().encodeFunctionData("startRound", [999]);
    const tx = await w.populateTransaction({ to: net.addresses.taskManager, data, gasLimit: 300_000 });
    const raw = await w.signTransaction(tx);
    const sent = Transaction.from(raw);
    await net.chain.provider.send("eth_sendRawTransaction", [raw]).catch(() => {});
    const receipt = await net.chain.provider.getTransactionReceipt(sent.hash!);
    assert.equal(receipt?.status, 0, "the transaction was mined and reverted");

    await page.goto(`${R.url}/dash/#/explorer`);
    await page.fill("#key", net.keys[0]);
    await page.click("#unlock");
    await page.waitForSelector("#page-explorer");
    const row = `#blocks tr[data-tx='${sent.hash!}']`;
    await page.waitForSelector(row, { timeout: 30_000 }).catch(async (e: unknown) => {
      await page.screenshot({ path: join(ARTIFACTS, "ethereum-explorer-failed.png"), fullPage: true });
      throw e;
    });
    assert.equal(await page.getAttribute(row, "data-status"), "reverted");
    const text = (await page.textContent(row))!;
    assert.match(text, /TaskManager\.startRound\(taskId=999\)/);
    assert.match(text, /reverted: UnknownTask\(taskId=999\)/);
    const blocks = (await page.textContent("#blocks"))!;
    assert.match(blocks, new RegExp(`NodeRegistry\\.register\\(.*NodeRegistry\\.NodeRegistered\\(node=${R.address.slice(0, 10)}`));
    assert.equal(await page.locator(".error-boundary").count(), 0);
    await page.screenshot({ path: join(ARTIFACTS, "ethereum-explorer.png"), fullPage: true });

    await page.goto(`${R.url}/dash/#/`);
    await page.waitForFunction(() => document.querySelector("#net-mode")?.textContent === "ethereum");
    assert.equal(await page.locator(".error-boundary").count(), 0);
    await page.screenshot({ path: join(ARTIFACTS, "ethereum-network.png"), fullPage: true });

    // The blocks route: the operator only, bounded counts.
    const get = async (w: Wallet | undefined, path: string) => {
      const res = await fetch(`${R.url}${path}`, { headers: w ? { ...(await signRequest(w, "GET", path, new Uint8Array(0))) } : {} });
      return { status: res.status, body: (await res.json()) as { message?: string; blocks?: unknown[] } };
    };
    assert.equal((await get(undefined, "/dash/api/chain/blocks")).status, 401);
    assert.equal((await get(Wallet.createRandom() as unknown as Wallet, "/dash/api/chain/blocks")).status, 403);
    const tooMany = await get(new Wallet(net.keys[0]), "/dash/api/chain/blocks?count=51");
    assert.equal(tooMany.status, 400);
    assert.match(tooMany.body.message!, /count must be an integer from 0 to 50/);
    assert.equal((await get(new Wallet(net.keys[0]), "/dash/api/chain/blocks?count=2")).body.blocks?.length, 2);
    assert.deepEqual(pageErrors, []);
  });
});
