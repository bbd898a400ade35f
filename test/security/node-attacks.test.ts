import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmod, mkdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Wallet } from "ethers";
import { signRequest } from "../../protocol/src/signing.js";
import { NodeApiClient, NodeApiError, type RunningNode } from "../../node/src/index.js";
import { nodeHarness, wallets, type NodeHarness } from "../node/harness.js";

/**
 * The attacks of issue 9 that concern a node, each refused: a captured signed request replayed
 * after the node restarts; /dev/zero, a FIFO or an oversized file as a dataset; dataset errors
 * that would echo the named file's content. (An unsigned GET /tasks/:id, secrets at rest and deep
 * nesting are in node-routes and node-at-rest.)
 */
describe("attacks on a node", () => {
  let h: NodeHarness;
  let op: Wallet;
  let N: RunningNode;
  let api: NodeApiClient;

  before(async () => {
    h = await nodeHarness();
    [op] = wallets(1);
    N = await h.node("N", op!, { maxDatasetBytes: 4096 });
    api = new NodeApiClient(N.url, op);
  });
  after(async () => {
    await h?.stop();
  });

  const refused = (code: number, re: RegExp, not?: RegExp) => (e: unknown) => e instanceof NodeApiError && e.status === code && re.test(e.message) && !(not && not.test(e.message));

  test("a captured signed request is refused after the node restarts (nonces persisted until their window passes)", { timeout: 60_000 }, async () => {
    const path = await h.file("r.csv", "a\n1\n2\n");
    const bytes = new TextEncoder().encode(JSON.stringify({ name: "r", path, format: "csv" }));
    const headers: Record<string, string> = { ...(await signRequest(op!, "POST", "/datasets", bytes)), "content-type": "application/json" };
    const read: Record<string, string> = { ...(await signRequest(op!, "GET", "/datasets", new Uint8Array(0))) };
    assert.equal((await fetch(`${N.url}/datasets`, { method: "POST", headers, body: bytes })).status, 201);
    assert.equal((await fetch(`${N.url}/datasets`, { headers: read })).status, 200);
    await N.stop();
    N = await h.node("N", op!, { maxDatasetBytes: 4096 });
    api = new NodeApiClient(N.url, op);
    for (const [res, what] of [
      [await fetch(`${N.url}/datasets`, { method: "POST", headers, body: bytes }), "POST"],
      [await fetch(`${N.url}/datasets`, { headers: read }), "GET"],
    ] as const) {
      assert.equal(res.status, 401, what);
      assert.match(((await res.json()) as { message: string }).message, /already used: replayed request refused/);
    }
    // A fresh signature still works.
    assert.equal((await api.datasets()).length, 1);
  });

  test("/dev/zero, a FIFO, a folder and a file above maxDatasetBytes are refused before reading", { timeout: 60_000 }, async () => {
    await assert.rejects(api.registerDataset({ name: "z", path: "/dev/zero", format: "csv" }), refused(400, /\/dev\/zero is not a regular file/));
    const fifo = join(h.dir, "fifo.csv");
    execFileSync("mkfifo", [fifo]);
    await assert.rejects(api.registerDataset({ name: "z", path: fifo, format: "csv" }), refused(400, /is not a regular file/));
    await assert.rejects(api.registerDataset({ name: "z", path: h.dir, format: "jsonl" }), refused(400, /is not a regular file/));
    const big = await h.file("big.csv", "a\n" + "1\n".repeat(4000));
    await assert.rejects(api.registerDataset({ name: "z", path: big, format: "csv" }), refused(400, /has 8002 bytes, more than maxDatasetBytes \(4096\)/));
    assert.equal(N.store.getDataset("z"), undefined);
    // The node still serves registrations afterwards.
    assert.equal((await api.registerDataset({ name: "ok", path: await h.file("ok.csv", "a\n1\n"), format: "csv" })).rows, 1);
  });

  test("dataset errors name line, column and problem, and quote nothing of the file beyond the offending cell", { timeout: 60_000 }, async () => {
    const first = "root:x:0:0:TOPSECRET-FIRST-LINE:/root:/bin/bash";
    const second = "daemon:x:1:1:daemon-SECRET-PART:/usr/sbin:/usr/sbin/nologin";
    const passwd = await h.file("passwd", `${first}\n${second}\nbin:x:2:2:bin:/bin:/usr/sbin/nologin\n`);
    const noEcho = /TOPSECRET|nologin|bin:x:2/;
    // As CSV: one column; the first data cell is not a number. The cell is quoted up to 40 characters.
    await assert.rejects(
      api.registerDataset({ name: "p", path: passwd, format: "csv" }),
      refused(400, /row 1 \(line 2\), column #1: "daemon:x:1:1:daemon-SECRET-PART:[^"]{0,10}…" is not a number/, noEcho),
    );
    // A column that is not in the header: the header is not listed.
    await assert.rejects(
      api.registerDataset({ name: "p", path: passwd, format: "csv", columns: ["x"] }),
      refused(400, /columns "x" is not a column of the file \(its header has 1 columns\)/, noEcho),
    );
    // As JSON lines: the line and column of the syntax error, not JSON.parse's quote of the text.
    await assert.rejects(api.registerDataset({ name: "p", path: passwd, format: "jsonl" }), refused(400, /line 1, column 1: not valid JSON/, /root|TOPSECRET|daemon/));
    const quoted = await h.file("q.csv", 'a,b\n1,"SECRET-CELL"tail-SECRET\n');
    await assert.rejects(api.registerDataset({ name: "p", path: quoted, format: "csv" }), refused(400, /line 2, column #2: text after a closing quote/, /SECRET/));
    // An npy header that is not one: named, not quoted.
    const npy = await h.file("n.npy", Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 30, 0]), Buffer.from("{'SECRET-HEADER-TEXT': 1}    \n")]));
    await assert.rejects(api.registerDataset({ name: "p", path: npy, format: "npy", columns: ["a"] }), refused(400, /the header has no descr, fortran_order or shape/, /SECRET/));
  });

  test("a data folder left open (0755 folders, 0644 files, by an older build or another umask) is closed at start", { timeout: 60_000 }, async () => {
    const dir = N.config.dataDir;
    await N.stop();
    await mkdir(join(dir, "old", "deeper"), { recursive: true, mode: 0o755 });
    await writeFile(join(dir, "old", "deeper", "f"), "x", { mode: 0o644 });
    for (const p of [dir, join(dir, "old"), join(dir, "old", "deeper"), join(dir, "blobs")]) await chmod(p, 0o755);
    for (const p of [join(dir, "old", "deeper", "f"), join(dir, "node.sqlite")]) await chmod(p, 0o644);
    N = await h.node("N", op!, { maxDatasetBytes: 4096 });
    api = new NodeApiClient(N.url, op);
    for (const p of [dir, join(dir, "old"), join(dir, "old", "deeper"), join(dir, "blobs")]) assert.equal((await stat(p)).mode & 0o777, 0o700, p);
    for (const p of [join(dir, "old", "deeper", "f"), join(dir, "node.sqlite")]) assert.equal((await stat(p)).mode & 0o777, 0o600, p);
  });
});
