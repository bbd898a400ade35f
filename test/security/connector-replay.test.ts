import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Wallet } from "ethers";
import { ConnectorError } from "../../chain-connector/src/connector.js";
import { ROUTES } from "../../chain-connector/src/http/routes.js";
import { Role } from "../../protocol/src/phases.js";
import { parseTaskSpec } from "../../protocol/src/taskspec.js";
import { signRequest } from "../../protocol/src/signing.js";
import { coordinatorMode, type ModeHarness } from "../connector/modes.js";
import { availableModes } from "../connector/ethereum-mode.js";
import { b32 } from "./connector-helpers.js";

/**
 * Replay across a connector restart, and idempotent task creation, in every mode the machine
 * can run (coordinator; ethereum with a real Hardhat node when the bindings are built).
 */
const modes = [coordinatorMode, ...(await availableModes())];

for (const factory of modes) {
  describe(`security: replay and idempotent task creation, ${factory.name.replace(/Mode$/, "")} mode`, { timeout: 300_000 }, () => {
    let h: ModeHarness;
    let requester: Wallet;
    const spec = (nonce?: string) =>
      parseTaskSpec({
        kind: "stats",
        requester: requester.address,
        datasets: [{ owner: requester.address, datasetId: "d" }],
        params: { columns: ["x"] },
        deadlines: { join: 600, setup: 600, compute: 600, aggregate: 600 },
        ...(nonce ? { nonce } : {}),
      });
    /** The id the next created task will get: nothing was created when it still reads null. */
    const nextFree = async (id: number) => {
      assert.equal(await h.client(requester).getTask(id), null, `task ${id} must not exist`);
    };

    before(async () => {
      h = await factory();
      requester = h.wallets[0]!;
      await h.client(requester).registerNode({ endpoint: "http://127.0.0.1:1/", x25519: b32(), roles: Role.Requester, capacity: 1 });
    });
    after(async () => {
      await h?.stop();
    });

    test("a captured signed POST /tasks is refused after a connector restart", async () => {
      const body = new TextEncoder().encode(JSON.stringify(spec()));
      const headers = { ...(await signRequest(requester, "POST", ROUTES.tasks, body)), "content-type": "application/octet-stream" };
      // A kept-alive socket the restarted server closed fails before the server reads it: send again.
      const send = () => fetch(h.url() + ROUTES.tasks, { method: "POST", headers, body }).catch(() => fetch(h.url() + ROUTES.tasks, { method: "POST", headers, body }));
      const first = await send();
      assert.equal(first.status, 200, await first.clone().text());
      const { taskId } = (await first.json()) as { taskId: number };
      const again = await send();
      assert.equal(again.status, 401);
      await h.restart();
      const replay = await send();
      assert.equal(replay.status, 401, "the nonce outlived the restart");
      assert.match(((await replay.json()) as { message: string }).message, /already used: replayed request refused/);
      await nextFree(taskId + 1);
    });

    test("a retried createTask returns the first task, also concurrently and after a restart", async () => {
      const c = h.client(requester);
      const s = spec();
      const key = `retry-${crypto.randomUUID()}`;
      const first = await c.createTask(s, { idempotencyKey: key });
      const second = await c.createTask(s, { idempotencyKey: key });
      assert.deepEqual(second, { taskId: first.taskId, txHash: first.txHash });
      // A retry of the raw request: same path and body, a fresh signature and nonce.
      const path = `${ROUTES.tasks}?idempotencyKey=${key}`;
      const body = new TextEncoder().encode(JSON.stringify(s));
      const raw = await fetch(h.url() + path, { method: "POST", body, headers: { ...(await signRequest(requester, "POST", path, body)) } });
      assert.equal(raw.status, 200);
      assert.equal(((await raw.json()) as { taskId: number }).taskId, first.taskId);
      // A spec without a nonce gets a fresh one on every parse: the key still identifies the request.
      const bare = { ...s } as Record<string, unknown>;
      delete bare.nonce;
      const k2 = `bare-${crypto.randomUUID()}`;
      const results = await Promise.all([0, 1, 2, 3].map(() => c.createTask(bare as never, { idempotencyKey: k2 })));
      assert.equal(new Set(results.map((r) => r.taskId)).size, 1, "concurrent retries make one task");
      await h.restart();
      assert.equal((await h.client(requester).createTask(bare as never, { idempotencyKey: k2 })).taskId, results[0].taskId);
      await nextFree(results[0].taskId + 1);
      await assert.rejects(
        h.client(requester).createTask(spec(), { idempotencyKey: key }),
        (e: unknown) => e instanceof ConnectorError && e.code === "BadInput" && /idempotencyKey .* another spec/.test(e.message),
      );
      await assert.rejects(
        h.client(requester).createTask(spec(), { idempotencyKey: "not a key!" }),
        (e: unknown) => e instanceof ConnectorError && e.code === "BadInput" && /idempotencyKey must be/.test(e.message),
      );
      // Without a key of its own each call is a new logical call: two tasks.
      const a = await h.client(requester).createTask(spec());
      const b = await h.client(requester).createTask(spec());
      assert.equal(b.taskId, a.taskId + 1);
    });
  });
}
