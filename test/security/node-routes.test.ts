import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Wallet } from "ethers";
import { signRequest } from "../../protocol/src/signing.js";
import type { RunningNode } from "../../node/src/index.js";
import { Phase } from "../../protocol/src/phases.js";
import { loadOrCreateX25519, roundKey } from "../../node/src/keys.js";
import { openShare } from "../../node/src/crypto/secagg/keys.js";
import { leaks, securityNet, type Secret, type SecurityNet } from "./fixture.js";

/**
 * Every node route, called unsigned, by the node's operator, by an admin, by another registered
 * node and by an unregistered key, on an owner node that took part in a secure-aggregation round
 * and on the requester that holds a Paillier secret key and the results. Each refusal has its
 * status; no response body, allowed or refused, holds any secret of any node in hex or base64.
 */
describe("node routes: who may call, and no secret in any response", () => {
  let net: SecurityNet;
  let all: Secret[];
  let stranger: Wallet;

  before(async () => {
    net = await securityNet();
    all = [...net.secrets.values()].flat();
    stranger = Wallet.createRandom() as unknown as Wallet;
  });
  after(async () => {
    await net?.h.stop();
  });

  type Caller = "unsigned" | "operator" | "admin" | "other node" | "unregistered";

  async function call(node: RunningNode, who: Caller, method: string, path: string, body?: unknown) {
    const bytes = body === undefined ? new Uint8Array(0) : new TextEncoder().encode(JSON.stringify(body));
    const headers: Record<string, string> = {};
    const signer =
      who === "operator"
        ? node === net.R
          ? net.ws[3]
          : net.ws[0]
        : who === "admin"
          ? net.ws[4]
          : who === "other node"
            ? node === net.R
              ? net.ws[0]
              : net.ws[1]
            : who === "unregistered"
              ? stranger
              : undefined;
    if (signer) Object.assign(headers, await signRequest(signer, method, path, bytes));
    if (bytes.length) headers["content-type"] = "application/json";
    const res = await fetch(node.url + path, { method, headers, body: bytes.length ? bytes : undefined });
    const raw = new Uint8Array(await res.arrayBuffer());
    return { status: res.status, raw, json: JSON.parse(new TextDecoder().decode(raw)) as Record<string, unknown> };
  }

  test("every route × every caller: the status the authorization table gives, and no secret in any body", { timeout: 120_000 }, async () => {
    const file = await net.h.file("sec.csv", "a,b\n1,2\n3,4\n");
    const spec = {
      kind: "stats",
      aggregation: "plain",
      datasets: net.ws.slice(0, 3).map((w) => ({ owner: w.address, datasetId: "d" })),
      params: { columns: ["a"] },
      members: { min: 3, max: 3, threshold: 2 },
    };
    const o0 = net.owners[0];
    const routes = (node: RunningNode) => [
      { method: "GET", path: "/health", ok: 200 },
      { method: "GET", path: "/datasets", ok: 200 },
      { method: "POST", path: "/datasets", body: { name: "sec", path: file, format: "csv" }, ok: 201 },
      // Per-dataset policies and the approval inbox ("sec" exists from the POST above; no task waits here, so the inbox's task routes answer 404 to allowed callers).
      { method: "GET", path: "/datasets/sec/policy", ok: 200 },
      { method: "PUT", path: "/datasets/sec/policy", body: { allowedColumns: ["a"], approval: "none" }, ok: 200 },
      { method: "GET", path: "/inbox", ok: 200 },
      { method: "GET", path: "/inbox?all=1", ok: 200 },
      { method: "GET", path: `/inbox/${net.secaggTask}`, ok: 404 },
      { method: "POST", path: `/inbox/${net.secaggTask}/allow`, ok: 404 },
      { method: "POST", path: `/inbox/${net.secaggTask}/deny`, body: { reason: "no" }, ok: 404 },
      { method: "GET", path: "/tasks", ok: 200 },
      // The owner node lacks the Requester role: its operator is refused for that reason, after the signature check.
      { method: "POST", path: "/tasks", body: spec, ok: node === net.R ? 201 : 403 },
      { method: "GET", path: `/tasks/${net.secaggTask}`, ok: 200 },
      { method: "GET", path: `/tasks/${net.paillierTask}`, ok: 200 },
      { method: "GET", path: `/tasks/${net.secaggTask}?limit=1`, ok: 200 },
      { method: "GET", path: `/results/${net.secaggTask}/1`, ok: node === net.R ? 200 : 404 },
      { method: "GET", path: `/results/${net.paillierTask}/1`, ok: node === net.R ? 200 : 404 },
      { method: "GET", path: "/audit", ok: 200 },
      { method: "GET", path: "/audit?limit=2&after=1", ok: 200 },
      { method: "GET", path: "/audit/verify", ok: 200 },
    ];
    let calls = 0;
    for (const node of [o0, net.R]) {
      const callers: Caller[] = node === o0 ? ["unsigned", "unregistered", "other node", "admin", "operator"] : ["unsigned", "unregistered", "other node", "operator"];
      for (const r of routes(node))
        for (const who of callers) {
          const res = await call(node, who, r.method, r.path, r.body);
          calls++;
          const where = `${node.config.name} ${r.method} ${r.path} as ${who}`;
          const allowed = r.path === "/health" || who === "operator" || who === "admin";
          const expected = allowed ? r.ok : who === "unsigned" ? 401 : 403;
          assert.equal(res.status, expected, `${where}: ${JSON.stringify(res.json)}`);
          if (!allowed) assert.deepEqual(Object.keys(res.json).sort(), ["code", "message"], `${where}: a refusal says only why`);
          assert.deepEqual(leaks(res.raw, all), [], `${where} leaks`);
          if (r.path.startsWith("/tasks/") && allowed) {
            assert.ok(!new TextDecoder().decode(res.raw).includes("kindState"), `${where}: no kind state`);
            assert.ok(Array.isArray((res.json as { rounds: unknown[] }).rounds) && (res.json as { rounds: unknown[] }).rounds.length > 0, where);
          }
        }
    }
    assert.ok(calls >= 90);
    // The owner's trail of the secure-aggregation and Paillier rounds verifies against the chain.
    const v = (await call(o0, "operator", "GET", "/audit/verify")).json as { ok: boolean; entries: number };
    assert.equal(v.ok, true, JSON.stringify(v));
    assert.ok(v.entries >= 4);
  });

  test("every node route has a line in the README's authorization table", async () => {
    const { readFile } = await import("node:fs/promises");
    const path = await import("node:path");
    const readme = await readFile(path.join(import.meta.dirname, "../../README.md"), "utf8");
    const table = readme.slice(readme.indexOf("### Node: who may call each route"), readme.indexOf("### Node: key handling"));
    for (const r of [
      "GET /health",
      "GET /datasets",
      "POST /datasets",
      "GET /datasets/:name/policy",
      "PUT /datasets/:name/policy",
      "GET /tasks",
      "POST /tasks",
      "GET /tasks/:id",
      "GET /results/:taskId/:round",
      "GET /audit",
      "GET /audit/verify",
      "GET /inbox",
      "GET /inbox/:taskId",
      "POST /inbox/:taskId/allow",
      "POST /inbox/:taskId/deny",
      "GET /dash/",
      "GET /dash/connector/*",
      "GET /dash/api/honk/:kind",
      "GET /dash/api/privacy/:dataset",
      "GET /dash/api/chain/blocks",
    ])
      assert.ok(table.includes(`node \`${r}\``), `${r} has a line in the README's node authorization table`);
  });

  test("GET /tasks/:id (the critical bug): unsigned is refused; the operator sees progress, never cSecret, sSecret, b or shares", async () => {
    const o0 = net.owners[0];
    const unsigned = await fetch(`${o0.url}/tasks/${net.secaggTask}`);
    assert.equal(unsigned.status, 401);
    const mine = await call(o0, "operator", "GET", `/tasks/${net.secaggTask}`);
    const text = new TextDecoder().decode(mine.raw);
    for (const word of ["cSecret", "sSecret", "held", "kindState", "bShares"]) assert.ok(!text.includes(word), `${word} is not in the view`);
    const round = (mine.json.rounds as { side: string; status: string; submissions: Record<string, unknown> }[]).find((r) => r.side === "member")!;
    assert.equal(round.status, "done");
    assert.deepEqual(Object.keys(round.submissions).sort(), ["compute", "reveal", "setup"]);
    assert.deepEqual(leaks(mine.raw, net.secrets.get("o0")!), []);
  });

  test("secure aggregation joins with fresh round keys: shares sealed to a node do not open with its long-term key", async () => {
    const id = { taskId: net.secaggTask, round: 1 };
    const o0 = net.owners[0];
    const me = net.ws[0].address.toLowerCase();
    const members = o0.store.members(id.taskId, 1);
    assert.equal(members.length, 3);
    for (const [i, n] of net.owners.entries()) {
      const m = members.find((x) => x.member === net.ws[i].address)!;
      assert.notEqual(m.memberKey, loadOrCreateX25519(n.config.x25519KeyFile, n.vault).publicHex, `${n.config.name} joined with a key other than its long-term one`);
      assert.equal(m.memberKey, roundKey(n.store, id.taskId, 1).publicHex);
    }
    const longTerm = loadOrCreateX25519(o0.config.x25519KeyFile, o0.vault).secretKey;
    const mine = roundKey(o0.store, id.taskId, 1).secretKey;
    let opened = 0;
    for (const c of net.h.network.getContributions(id.taskId, 1, Phase.Setup)) {
      if (c.member.toLowerCase() === me) continue;
      const setup = JSON.parse(new TextDecoder().decode(await net.R.connector.getBlob(c.blobHash))) as { shares: { shares: { to: string; nonce: string; ct: string }[] } };
      const share = setup.shares.shares.find((s) => s.to === me)!;
      const senderKey = Buffer.from(members.find((m) => m.member === c.member)!.memberKey.slice(2), "hex");
      const args = [senderKey, c.member.toLowerCase(), me, Buffer.from(share.nonce.slice(2), "hex"), Buffer.from(share.ct.slice(2), "hex")] as const;
      assert.throws(() => openShare(id, longTerm, ...args), /failed authentication/, "the long-term key opens nothing");
      assert.equal(openShare(id, mine, ...args).length, 64, "the round key opens it");
      opened++;
    }
    assert.equal(opened, 2);
  });

  test("a body nested 20,000 deep gets 400 naming the nesting, not a 500", async () => {
    let params = "1";
    for (let i = 0; i < 20_000; i++) params = `{"p":${params}}`;
    const bytes = new TextEncoder().encode(`{"kind":"stats","params":${params}}`);
    const headers = { ...(await signRequest(net.ws[3], "POST", "/tasks", bytes)), "content-type": "application/json" };
    const res = await fetch(`${net.R.url}/tasks`, { method: "POST", headers, body: bytes });
    assert.equal(res.status, 400);
    const j = (await res.json()) as { code: string; message: string };
    assert.equal(j.code, "TooDeep");
    assert.match(j.message, /nests arrays\/objects more than 64 levels deep/);
  });
});
