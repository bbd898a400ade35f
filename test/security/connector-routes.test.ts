import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { keccak256, randomBytes, type Wallet } from "ethers";
import { coordinatorMode, type ModeHarness } from "../connector/modes.js";
import { availableModes } from "../connector/ethereum-mode.js";
import { ROUTES } from "../../chain-connector/src/http/routes.js";
import { ROUTE_POLICY } from "../../chain-connector/src/http/authz.js";
import { Phase, Role } from "../../protocol/src/phases.js";
import { parseTaskSpec, type TaskSpecInput } from "../../protocol/src/taskspec.js";
import { b32, call, leaks, type Answer } from "./connector-helpers.js";

const modes = [coordinatorMode, ...(await availableModes())];

/**
 * Every connector route, in each mode, called unsigned, by a task member whose secret is
 * planted (owner A), by the other member (owner B), by a registered node outside the task (S),
 * by the requester (R) and by an unregistered key (U). Each answer is checked for its status and
 * scanned for the planted bytes in plain, hex and base64.
 */
for (const factory of modes)
  describe(`security: connector routes × callers (${factory.name.replace(/Mode$/, "")} mode)`, { timeout: 300_000 }, () => {
    let h: ModeHarness;
    let url: string;
    // In ethereum mode every caller must be a key the server holds (others are refused before any rule).
    let R: Wallet, A: Wallet, B: Wallet, S: Wallet, U: Wallet, L: Wallet;
    const client = (w: Wallet) => h.client(w);
    /** A's Compute contribution (plain aggregation): its exact private vector in a real task. */
    const secretA = new Uint8Array([...new TextEncoder().encode("owner-A-private-sums:"), ...randomBytes(32)]);
    const secretB = new Uint8Array([...new TextEncoder().encode("owner-B-private-sums:"), ...randomBytes(32)]);
    /** The requester's round record (its intermediate model). */
    const record = new Uint8Array([...new TextEncoder().encode('{"next":"model"}'), ...randomBytes(32)]);
    const hashA = keccak256(secretA);
    const hashRecord = keccak256(record);
    let taskId = 0;

    const spec = (over: Partial<TaskSpecInput> = {}) =>
      parseTaskSpec({
        kind: "stats",
        requester: R.address,
        datasets: [A, B].map((w) => ({ owner: w.address, datasetId: "iris" })),
        params: { columns: ["x"] },
        members: { min: 2, max: 3, threshold: 2 },
        rounds: 2,
        deadlines: { join: 600, setup: 600, compute: 600, aggregate: 600 },
        ...over,
      });

    /** Waits for a condition the network reaches on its own (auto-advance, the keeper's timers). */
    const until = async (what: string, cond: () => Promise<boolean>) => {
      for (let i = 0; i < 300; i++) {
        if (await cond()) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.fail(`timed out waiting for ${what}`);
    };
    const phaseIs = (t: number, r: number, phase: number) => until(`task ${t} round ${r} in phase ${phase}`, async () => (await client(R).getRound(t, r))!.phase === phase);
    /** Moves the round past its deadline; the coordinator (or the keeper) advances it. */
    const pass = async (t: number, r: number) => {
      const round = await client(R).getRound(t, r);
      await h.passDeadline(round!.deadline);
      await until(`task ${t} round ${r} to leave phase ${round!.phase}`, async () => (await client(R).getRound(t, r))!.phase !== round!.phase);
    };

    before(async () => {
      h = await factory();
      [R, A, B, S, U, L] = h.wallets as [Wallet, Wallet, Wallet, Wallet, Wallet, Wallet];
      url = h.url();
      const node = (roles: number) => ({ endpoint: "http://127.0.0.1:1/", x25519: b32(), roles, capacity: 1 });
      await client(R).registerNode(node(Role.Requester));
      for (const w of [A, B]) await client(w).registerNode(node(Role.Owner));
      await client(S).registerNode(node(Role.Worker));
      for (const w of [A, B]) await client(w).commitDataset("iris", { root: b32(), rows: 10, columns: 1, schemaHash: b32() });
      ({ taskId } = await client(R).createTask(spec()));
      for (const w of [A, B]) await client(w).joinRound(taskId, 1, b32());
      await pass(taskId, 1);
      assert.equal((await client(R).getRound(taskId, 1))!.phase, Phase.Compute);
      assert.equal(await client(A).putBlob(secretA), hashA);
      await client(A).submit(taskId, 1, hashA, b32());
      await client(B).submit(taskId, 1, await client(B).putBlob(secretB), b32());
      await phaseIs(taskId, 1, Phase.Aggregate);
      assert.equal(await client(R).putBlob(record), hashRecord);
      await client(R).finalizeRound(taskId, 1, hashRecord);
      await client(R).startRound(taskId);
      await client(A).joinRound(taskId, 2, b32());
    });

    after(async () => {
      await h?.stop();
    });

    type Caller = "unsigned" | "A" | "B" | "S" | "R" | "U";
    const walletOf = (who: Exclude<Caller, "unsigned">): Wallet => ({ A, B, S, R, U })[who];
    const callers: Caller[] = ["unsigned", "A", "B", "S", "R", "U"];
    const as = (who: Caller, method: string, path: string, body?: unknown) => call(url, who === "unsigned" ? null : walletOf(who), method, path, body);

    /** Expected outcome per caller: a status (2xx means granted) or an error code. */
    type Expect = Partial<Record<Caller, number | string>>;
    const expectAll = async (method: string, path: string, body: unknown, want: Expect, secret?: { bytes: Uint8Array; readers: Caller[] }) => {
      const seen: Record<string, Answer> = {};
      for (const who of callers) {
        const a = await as(who, method, path, body);
        seen[who] = a;
        const w = want[who] ?? (who === "unsigned" ? 401 : who === "U" ? "NotRegistered" : 200);
        const label = `${method} ${path} as ${who}: ${a.status} ${a.code ?? ""} ${a.message ?? ""}`;
        if (typeof w === "number") assert.equal(a.status, w, label);
        else assert.equal(a.code, w, label);
        if (secret) assert.equal(leaks(a, secret.bytes), secret.readers.includes(who), `${label}: planted bytes ${secret.readers.includes(who) ? "missing" : "leaked"}`);
        for (const s of [secretA, secretB, record]) if (s !== secret?.bytes) assert.ok(!leaks(a, s), `${label}: another secret leaked`);
      }
      return seen;
    };

    test("node routes: an unregistered key may register (and ask about itself) and nothing else", async () => {
      await expectAll("GET", ROUTES.info, undefined, { U: 200 });
      await expectAll("GET", ROUTES.nodes, undefined, {});
      await expectAll("GET", ROUTES.node(A.address), undefined, {});
      const self = await as("U", "GET", ROUTES.node(U.address));
      assert.equal(self.status, 200);
      assert.equal(self.text, "null");
      const info = { endpoint: "http://127.0.0.1:2/", x25519: b32(), roles: Role.Owner, capacity: 1 };
      assert.equal((await as("U", "POST", ROUTES.update, info)).code, "NotRegistered");
      assert.equal((await as("unsigned", "POST", ROUTES.update, info)).status, 401);
      assert.equal((await as("S", "POST", ROUTES.update, { ...info, roles: Role.Worker })).status, 200);
      await expectAll("POST", ROUTES.heartbeat, {}, {});
      // A fresh key registers; after leaving, it is refused again.
      const reg = await call(url, L, "POST", ROUTES.register, { ...info, roles: Role.Worker });
      assert.equal(reg.status, 200, reg.text);
      assert.equal((await call(url, L, "GET", ROUTES.nodes)).status, 200);
      assert.equal((await call(url, L, "POST", ROUTES.leave, {})).status, 200);
      assert.equal((await call(url, L, "GET", ROUTES.nodes)).code, "NotRegistered", "a node that left loses access at once");
      assert.equal((await as("U", "POST", ROUTES.leave, {})).code, "NotRegistered");
      assert.equal((await as("unsigned", "POST", ROUTES.register, info)).status, 401);
    });

    test("dataset and task routes: registered nodes only, the networks' role checks behind", async () => {
      const q = `${ROUTES.datasets}?owner=${A.address}&name=iris`;
      await expectAll("GET", q, undefined, {});
      await expectAll("POST", ROUTES.datasets, { name: "other", commitment: { root: b32(), rows: 1, columns: 1, schemaHash: b32() } }, { S: "MissingRole", R: "MissingRole" });
      await expectAll("GET", ROUTES.task(taskId), undefined, {});
      await expectAll("GET", ROUTES.spec(taskId), undefined, {});
      await expectAll("GET", ROUTES.round(taskId, 1), undefined, {});
      await expectAll("POST", ROUTES.tasks, spec(), { A: "BadInput", B: "BadInput", S: "BadInput", R: 200 });
      await expectAll("POST", ROUTES.rounds(taskId), {}, { A: "NotRequester", B: "NotRequester", S: "NotRequester", R: "RoundNotFinished" });
      await expectAll("POST", ROUTES.join(taskId, 1), { memberKey: b32() }, { A: "WrongPhase", B: "WrongPhase", S: "WrongPhase", R: "WrongPhase" });
      await expectAll("POST", ROUTES.submit(taskId, 2), { blobHash: b32(), commitment: b32() }, { A: "WrongPhase", B: "WrongPhase", S: "WrongPhase", R: "WrongPhase" });
      await expectAll("POST", ROUTES.advance(taskId, 2), {}, { A: "DeadlineNotPassed", B: "DeadlineNotPassed", S: "DeadlineNotPassed", R: "DeadlineNotPassed" });
      await expectAll("POST", ROUTES.finalize(taskId, 1), { resultHash: b32() }, { A: "NotRequester", B: "NotRequester", S: "NotRequester", R: "WrongPhase" });
    });

    test("contribution lists: the requester and the round's members", async () => {
      await expectAll("GET", ROUTES.contributions(taskId, 1, Phase.Compute), undefined, { S: "Forbidden" });
    });

    test("a plain Compute contribution is for its author and the requester only", async () => {
      await expectAll("GET", ROUTES.blob(hashA), undefined, { B: "Forbidden", S: "Forbidden" }, { bytes: secretA, readers: ["A", "R"] });
    });

    test("a round record is for the requester and the next round's members", async () => {
      // A joined round 2 and needs round 1's `next`; B did not join round 2.
      await expectAll("GET", ROUTES.blob(hashRecord), undefined, { B: "Forbidden", S: "Forbidden" }, { bytes: record, readers: ["A", "R"] });
    });

    test("a spec blob is for registered nodes; an unknown hash is refused like a hidden one", async () => {
      const t = await client(R).getTask(taskId);
      await expectAll("GET", ROUTES.blob(t!.specHash), undefined, {});
      await expectAll("GET", ROUTES.blob(b32()), undefined, { A: "Forbidden", B: "Forbidden", S: "Forbidden", R: "Forbidden" });
    });

    test("blob writes: registered nodes only; the event stream: registered nodes only", async () => {
      const bytes = randomBytes(64);
      const answers = await expectAll("POST", ROUTES.blobs, bytes, {});
      assert.equal((JSON.parse(answers.A.text) as { hash: string }).hash, keccak256(bytes));
      await expectAll("GET", ROUTES.events, undefined, {});
    });

    test("secure aggregation: members read Setup and Compute messages of their round, not unmask messages", async () => {
      const s = spec({ aggregation: "secagg", setup: true, rounds: 1 });
      const { taskId: t } = await client(R).createTask(s);
      for (const w of [A, B]) await client(w).joinRound(t, 1, b32());
      await pass(t, 1);
      const put = async (w: Wallet, label: string) => {
        const bytes = new Uint8Array([...new TextEncoder().encode(label), ...randomBytes(16)]);
        const h = await client(w).putBlob(bytes);
        await client(w).submit(t, 1, h, b32());
        return { bytes, h };
      };
      const setupA = await put(A, "setup-A");
      await put(B, "setup-B");
      await phaseIs(t, 1, Phase.Compute);
      const maskedA = await put(A, "masked-A");
      await put(B, "masked-B");
      await phaseIs(t, 1, Phase.Aggregate);
      const unmaskA = await put(A, "unmask-A");
      for (const [what, blob] of [
        ["setup", setupA],
        ["masked input", maskedA],
      ] as const) {
        assert.deepEqual(await client(B).getBlob(blob.h), blob.bytes, `B reads A's ${what}`);
        await assert.rejects(client(S).getBlob(blob.h), /Forbidden/, `S reads A's ${what}`);
      }
      await assert.rejects(client(B).getBlob(unmaskA.h), /Forbidden/, "B reads A's unmask message");
      assert.deepEqual(await client(R).getBlob(unmaskA.h), unmaskA.bytes);
    });

    test("paillier: members read each other's Compute boxes of their round (they sum them), not the sums; others are refused", async () => {
      const s = spec({ aggregation: "paillier", rounds: 1, params: { columns: ["x"], paillier: { n: "c1", cert: "0x" + "11".repeat(32) } } });
      const { taskId: t } = await client(R).createTask(s);
      for (const w of [A, B]) await client(w).joinRound(t, 1, b32());
      await pass(t, 1);
      await phaseIs(t, 1, Phase.Compute);
      const put = async (w: Wallet, label: string) => {
        const bytes = new Uint8Array([...new TextEncoder().encode(label), ...randomBytes(16)]);
        const h = await client(w).putBlob(bytes);
        await client(w).submit(t, 1, h, b32());
        return { bytes, h };
      };
      const boxA = await put(A, "paillier-boxes-A");
      await put(B, "paillier-boxes-B");
      await phaseIs(t, 1, Phase.Aggregate);
      const sumA = await put(A, "paillier-sum-A");
      assert.deepEqual(await client(B).getBlob(boxA.h), boxA.bytes, "B reads A's sealed ciphertexts to sum them");
      await assert.rejects(client(S).getBlob(boxA.h), /Forbidden/, "S reads A's Compute boxes");
      await assert.rejects(client(B).getBlob(sumA.h), /Forbidden/, "B reads A's sum");
      assert.deepEqual(await client(R).getBlob(sumA.h), sumA.bytes);
    });

    test("a blob named by a published blob is read as that blob; naming someone else's blob grants nothing", async () => {
      // vlinreg: every member reads every manifest and the tables it names.
      const s = parseTaskSpec({
        kind: "vlinreg",
        requester: R.address,
        datasets: [A, B].map((w) => ({ owner: w.address, datasetId: "iris" })),
        params: { idColumn: "id", label: { owner: A.address, column: "y" }, features: [{ name: "x1", owner: B.address, columns: ["x"] }], iterations: 1 },
        setup: true,
        members: { min: 2, max: 3, threshold: 2 },
        rounds: 3,
        deadlines: { join: 600, setup: 600, compute: 600, aggregate: 600 },
      });
      const { taskId: t } = await client(R).createTask(s);
      for (const w of [A, B]) await client(w).joinRound(t, 1, b32());
      await pass(t, 1);
      const table = new Uint8Array([...new TextEncoder().encode("table-of-A:"), ...randomBytes(16)]);
      const tableHash = await client(A).putBlob(table);
      const hiddenOfA = new Uint8Array([...new TextEncoder().encode("unpublished-of-A:"), ...randomBytes(16)]);
      const hiddenHash = await client(A).putBlob(hiddenOfA);
      await phaseIs(t, 1, Phase.Setup);
      const manifestA = new TextEncoder().encode(JSON.stringify({ tables: [{ name: "ids/y", hash: tableHash }] }));
      await client(A).submit(t, 1, await client(A).putBlob(manifestA), b32());
      // B names A's unpublished blob in its own manifest: that must not open it to anyone.
      const manifestB = new TextEncoder().encode(JSON.stringify({ tables: [{ name: "ids/x1", hash: hiddenHash }] }));
      await client(B).submit(t, 1, await client(B).putBlob(manifestB), b32());
      assert.deepEqual(await client(B).getBlob(tableHash), table, "a member reads a table another member's manifest names");
      assert.deepEqual(await client(R).getBlob(tableHash), table, "the requester reads it too");
      await assert.rejects(client(S).getBlob(tableHash), /Forbidden/, "a non-member does not");
      for (const w of [B, R, S]) await assert.rejects(client(w).getBlob(hiddenHash), /Forbidden/, "naming another party's blob grants nothing");
    });

    test("an outsourced owner's chunks named in its spec are for the task's members: the worker once it joined", async () => {
      const chunk = new Uint8Array([...new TextEncoder().encode("owner-ciphertext-chunk:"), ...randomBytes(16)]);
      const chunkHash = await client(R).putBlob(chunk);
      // Sent without a nonce, as a raw client may: the network gives the spec one of its own.
      const { taskId: t } = await client(R).createTask({
        kind: "skmeans",
        requester: R.address,
        datasets: [{ owner: R.address, datasetId: "d" }],
        params: { workers: [S.address], setup: [chunkHash], k: 2 },
        members: { min: 1, max: 2, threshold: 1 },
        deadlines: { join: 600, setup: 600, compute: 600, aggregate: 600 },
      } as never);
      await assert.rejects(client(S).getBlob(chunkHash), /Forbidden/, "the worker before it joined");
      await client(S).joinRound(t, 1, b32());
      assert.deepEqual(await client(S).getBlob(chunkHash), chunk, "the worker, a member");
      await assert.rejects(client(B).getBlob(chunkHash), /Forbidden/, "a registered node outside the task");
    });

    test("closing a task: the requester only (its last round is over here), once", async () => {
      await expectAll("POST", ROUTES.close(taskId), { reason: "converged" }, { A: "NotRequester", B: "NotRequester", S: "NotRequester", R: 200 });
      assert.equal((await as("R", "POST", ROUTES.close(taskId), { reason: "again" })).code, "TaskAlreadyClosed");
    });

    test("member reports: failed by the round's members only, declined by any Owner or Worker node, once each, as the signer", async () => {
      const failed = { status: "failed", reason: "compute: |value| must stay below 2^59" };
      await expectAll("POST", ROUTES.report(taskId, 1), failed, { A: 200, B: 200, S: "NotMember", R: "MissingRole" });
      assert.equal((await as("A", "POST", ROUTES.report(taskId, 1), failed)).code, "AlreadySubmitted", "one report per node and round");
      assert.equal((await as("S", "POST", ROUTES.report(taskId, 1), { status: "declined", reason: "x".repeat(201) })).code, "BadInput", "a reason over 200 bytes");
      assert.equal((await as("S", "POST", ROUTES.report(taskId, 1), { status: "bored", reason: "no" })).code, "BadInput", "an unknown status");
      assert.equal((await as("S", "POST", ROUTES.report(taskId, 1), { status: "declined", reason: "policy: kind stats not allowed" })).status, 200);
      assert.equal((await as("S", "POST", ROUTES.report(taskId, 9), { status: "declined", reason: "no such round" })).code, "UnknownRound");
    });

    test('challenges: refused where the member recorded no proof list (not an "offchain" Compute submission) and for a malformed entry', async () => {
      const entry = { index: 0, publicInputs: [b32(), b32(), b32(), b32(), b32()], proof: "0x01", path: [] };
      // Registered nodes only (the server refuses U first); behind that, the network refuses the entry.
      await expectAll("POST", ROUTES.challenge(taskId, 1), { member: A.address, entry }, { A: "BadInput", B: "BadInput", S: "BadInput", R: "BadInput" });
      assert.equal((await as("R", "POST", ROUTES.challenge(taskId, 1), { member: "nobody", entry })).code, "BadInput", "member not an address");
      const deep = { ...entry, path: Array.from({ length: 21 }, () => b32()) };
      assert.equal((await as("R", "POST", ROUTES.challenge(taskId, 1), { member: A.address, entry: deep })).code, "BadInput", "a path deeper than 20");
      assert.equal((await as("R", "POST", ROUTES.challenge(taskId, 9), { member: A.address, entry })).code, factory === coordinatorMode ? "UnknownRound" : "BadInput");
    });

    test("every route is in the authorization table, in the code and in the README", async () => {
      const covered = ROUTE_POLICY.map((p) => p.route).join(" ");
      const readme = await readFile(join(import.meta.dirname, "../../README.md"), "utf8");
      const table = readme.slice(readme.indexOf("### Connector"), readme.indexOf("Replays:"));
      for (const r of [
        "/info",
        "/nodes/register",
        "/nodes/:address",
        "/nodes/update",
        "/nodes/leave",
        "/heartbeat",
        "/datasets",
        "/tasks",
        "/tasks/:id/spec",
        "/tasks/:id/rounds",
        "/join",
        "/submit",
        "/contributions/:phase",
        "/advance",
        "/finalize",
        "/tasks/:id/close",
        "/report",
        "/challenge",
        "/blobs",
        "/blobs/:hash",
        "/events",
      ]) {
        assert.ok(covered.includes(r), `${r} has a line in ROUTE_POLICY`);
        assert.ok(table.includes(r), `${r} has a line in the README's authorization table`);
      }
      assert.equal(Object.keys(ROUTES).length, 24, "a new route needs a line in ROUTE_POLICY and the README");
    });
  });
