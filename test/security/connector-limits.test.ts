import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes, Wallet } from "ethers";
import { CoordinatorNetwork, ManualClock } from "../../chain-connector/src/coordinator/index.js";
import { ConnectorServer } from "../../chain-connector/src/http/server.js";
import { ConnectorClient } from "../../chain-connector/src/http/client.js";
import { ConnectorError } from "../../chain-connector/src/connector.js";
import { ROUTES } from "../../chain-connector/src/http/routes.js";
import { Role } from "../../protocol/src/phases.js";
import { parseTaskSpec, SpecError, type TaskSpecInput } from "../../protocol/src/taskspec.js";
import { CAPS } from "../../protocol/src/tasks/caps.js";
import { b32, call } from "./connector-helpers.js";

/** Bounded work at the connector: the blob quota, the spec caps and the nesting limit. */
describe("security: connector limits", { timeout: 120_000 }, () => {
  let dir: string;
  let network: CoordinatorNetwork;
  let server: ConnectorServer;
  let url: string;
  const [R, A] = Array.from({ length: 2 }, () => Wallet.createRandom() as unknown as Wallet);
  const client = (w: Wallet) => new ConnectorClient({ url, signer: w, mode: "coordinator" });
  const base = (over: Partial<TaskSpecInput>): TaskSpecInput => ({
    kind: "stats",
    requester: R.address,
    datasets: [{ owner: A.address, datasetId: "d" }],
    params: { columns: ["x"] },
    ...over,
  });
  const refused = async (input: unknown, pattern: RegExp) =>
    assert.rejects(client(R).createTask(input as never), (e: unknown) => {
      assert.ok(e instanceof ConnectorError, String(e));
      assert.equal(e.code, "BadInput", e.message);
      assert.match(e.message, pattern);
      return true;
    });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cm-sec-limits-"));
    network = new CoordinatorNetwork({ db: join(dir, "c.sqlite"), blobs: join(dir, "blobs"), clock: new ManualClock(1_900_000_000) });
    server = new ConnectorServer({ network, state: join(dir, "c.auth.sqlite"), blobQuotaBytes: 1000, blobQuotaWindowSeconds: 1 });
    url = await server.start();
    await client(R).registerNode({ endpoint: "http://127.0.0.1:1/", x25519: b32(), roles: Role.Requester, capacity: 1 });
    await client(A).registerNode({ endpoint: "http://127.0.0.1:1/", x25519: b32(), roles: Role.Owner, capacity: 1 });
  });
  after(async () => {
    await server?.close();
    await network?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("blob writes stay within the per-party quota, and the error names it", async () => {
    const first = randomBytes(600);
    await client(A).putBlob(first);
    await client(A).putBlob(first); // the same blob again costs nothing (a retried upload)
    await assert.rejects(client(A).putBlob(randomBytes(500)), (e: unknown) => {
      assert.ok(e instanceof ConnectorError);
      assert.equal(e.code, "QuotaExceeded");
      assert.match(e.message, /quota is 1000 bytes per 1 s per party \(connector option --blob-quota\)/);
      return true;
    });
    const raw = await call(url, A, "POST", ROUTES.blobs, randomBytes(500));
    assert.equal(raw.status, 429);
    await client(R).putBlob(randomBytes(900)); // another party has its own quota
    await new Promise((r) => setTimeout(r, 1100)); // the window passes
    await client(A).putBlob(randomBytes(500));
  });

  test("kmeans with k = 200,000 and linreg with one feature 1,500 times are refused, naming the cap", async () => {
    await refused(
      base({ kind: "kmeans", params: { columns: ["x"], initial: Array.from({ length: 200_000 }, (_, i) => [i]) } }),
      /params\.initial \(k centroids\) must be at most 64 \(cap MAX_CLUSTERS\); lower k/,
    );
    await refused(base({ kind: "linreg", params: { features: Array(1500).fill("x"), target: "y" } }), /params\.features must be at most 256 \(cap MAX_COLUMNS\)/);
    await refused(base({ kind: "linreg", params: { features: ["x", "x"], target: "y" } }), /names column "x" twice/);
    await refused(base({ kind: "skmeans", params: { workers: [A.address], setup: [b32()], k: 100 } }), /params\.k must be at most 64 \(cap MAX_CLUSTERS\); lower k/);
  });

  test("every kind's parameters are capped", () => {
    const problems = (input: TaskSpecInput) => {
      try {
        parseTaskSpec(input);
        return "";
      } catch (e) {
        assert.ok(e instanceof SpecError);
        return e.message;
      }
    };
    const many = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`);
    const cases: [TaskSpecInput, RegExp][] = [
      [base({ params: { columns: many(CAPS.MAX_COLUMNS + 1) } }), /cap MAX_COLUMNS/],
      [base({ params: { columns: ["x".repeat(CAPS.MAX_NAME_CHARS + 1)] } }), /cap MAX_NAME_CHARS/],
      [base({ kind: "kmeans", params: { columns: ["x"], initial: [[1]], paillier: { n: "a".repeat(CAPS.MAX_MODULUS_HEX + 1) } } }), /cap MAX_MODULUS_HEX/],
      [base({ kind: "logreg", params: { features: many(CAPS.MAX_COLUMNS + 1), target: "y" } }), /cap MAX_COLUMNS/],
      [base({ kind: "sknn", params: { workers: [A.address], setup: [b32()], queries: CAPS.MAX_QUERIES + 1 } }), /cap MAX_QUERIES/],
      [base({ kind: "skmeans", params: { workers: [A.address], setup: [b32()], k: 2, maxIterations: CAPS.MAX_ITERATIONS + 1 } }), /cap MAX_ITERATIONS/],
      [base({ kind: "dbsnnc", params: { workers: Array(CAPS.MAX_WORKERS + 1).fill(A.address), setup: [b32()] } }), /cap MAX_WORKERS/],
      [base({ kind: "dbskmeans", params: { workers: [A.address], setup: Array.from({ length: CAPS.MAX_CHUNKS + 1 }, b32), k: 2 } }), /cap MAX_CHUNKS/],
      [
        base({
          kind: "vlinreg",
          params: {
            idColumn: "id",
            label: { owner: R.address, column: "y" },
            features: [{ name: "a", owner: A.address, columns: ["x"] }],
            iterations: CAPS.MAX_VERTICAL_ITERATIONS + 1,
          },
        }),
        /cap MAX_VERTICAL_ITERATIONS/,
      ],
      [
        base({
          kind: "vlinreg",
          params: {
            idColumn: "id",
            label: { owner: R.address, column: "y" },
            features: Array.from({ length: CAPS.MAX_PARTIES + 1 }, (_, i) => ({ name: `p${i}`, owner: Wallet.createRandom().address, columns: [`x${i}`] })),
          },
        }),
        /cap MAX_PARTIES/,
      ],
      [base({ rounds: CAPS.MAX_ROUNDS + 1 }), /cap MAX_ROUNDS/],
      [base({ members: { min: 1, max: CAPS.MAX_MEMBERS + 1, threshold: 1 } }), /cap MAX_MEMBERS/],
      [base({ datasets: Array.from({ length: CAPS.MAX_DATASETS + 1 }, () => ({ owner: A.address, datasetId: "d" })) }), /cap MAX_DATASETS/],
      // every field within its own cap, the whole over MAX_SPEC_BYTES: 64 centroids × 256 long coordinates
      [
        base({
          kind: "kmeans",
          params: { columns: many(CAPS.MAX_COLUMNS), initial: Array.from({ length: CAPS.MAX_CLUSTERS }, () => Array.from({ length: CAPS.MAX_COLUMNS }, () => 1.2345678901234567)) },
        }),
        /cap MAX_SPEC_BYTES/,
      ],
      [
        base({ params: { columns: ["x"], junk: "z".repeat(CAPS.MAX_SPEC_BYTES) } }),
        /params.junk: kind stats has no parameter "junk"; remove it \(its parameters: columns, paillier, privacy\)/,
      ],
    ];
    for (const [input, pattern] of cases) assert.match(problems(input), pattern, JSON.stringify(input).slice(0, 120));
    assert.equal(problems(base({ params: { columns: many(CAPS.MAX_COLUMNS) } })), "", "the cap itself is allowed");
  });

  test("a body nested 20,000 deep gets a 400 naming the nesting limit, on every JSON route", async () => {
    // Built as text: JSON.stringify itself overflows on such a value.
    const deep = '{"a":'.repeat(20_000) + "1" + "}".repeat(20_000);
    const text = JSON.stringify(base({ params: { columns: ["x"], deep: "DEEP" } })).replace('"DEEP"', deep);
    for (const [who, path] of [
      [R, ROUTES.tasks],
      [R, ROUTES.register],
      [A, ROUTES.submit(1, 1)],
    ] as const) {
      const a = await call(url, who, "POST", path, new TextEncoder().encode(text));
      assert.equal(a.status, 400, `${path}: ${a.text}`);
      assert.equal(a.code, "BadInput");
      assert.match(a.message!, /nests deeper than 32 levels \(the nesting limit\)/);
    }
    let arrays = "1";
    for (let i = 0; i < 20_000; i++) arrays = `[${arrays}]`;
    const a = await call(url, R, "POST", ROUTES.tasks, new TextEncoder().encode(`{"params":${arrays}}`));
    assert.equal(a.status, 400);
    // parseTaskSpec refuses it too, for callers that do not come through the HTTP layer.
    assert.throws(() => parseTaskSpec(JSON.parse(text)), /nests deeper than 32 levels \(cap MAX_DEPTH, the nesting limit\)/);
    assert.equal((await call(url, R, "GET", ROUTES.info)).status, 200, "the server is still up");
  });
});
