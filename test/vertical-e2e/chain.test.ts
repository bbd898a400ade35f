import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Wallet } from "ethers";
import { startNode, type RunningNode } from "../../node/src/index.js";
import { createLogger } from "../../node/src/log.js";
import { vlinregParams } from "../../protocol/src/tasks/vlinreg/index.js";
import { makeVlinregHandler, type VlinregResult } from "../../node/src/runtime/kinds/vlinreg/index.js";
import { TranscriptRecorder } from "../../node/src/vertical/runtime-io.js";
import { runVertical } from "../../node/src/vertical/index.js";
import type { DevChain } from "../../chain-connector/src/ethereum/devchain.js";
import type { ConnectorServer } from "../../chain-connector/src/http/server.js";
import { finalResult, preferRamDisk } from "../federated/network.js";
import { synthetic } from "../vertical/data.js";
import { READS, cars, csv, leaks, readBy, shuffle, submitVlinreg, type Party, type PartyData } from "./network.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const built = existsSync(join(ROOT, "types/ethers-contracts/index.ts"));

/**
 * Chain mode: a Hardhat node with the contracts, the ethereum connector behind the signed HTTP
 * server; each party and the requester is a node with its own funded account. Every manifest hash
 * is a contribution transaction, every round record a finalization.
 */
describe(
  "vlinreg over the runtime, chain mode (hardhat node, ethereum connector)",
  { skip: built ? false : "contract bindings not built (npm run build)", concurrency: true },
  () => {
    let dir: string;
    let chain: DevChain;
    let server: ConnectorServer;
    let network: { close(): Promise<void> };
    let keys: string[];
    let nextKey = 0;
    const nodes: RunningNode[] = [];
    const recorder = new TranscriptRecorder();

    before(async () => {
      preferRamDisk();
      const { startDevChain } = await import("../../chain-connector/src/ethereum/devchain.js");
      const eth = await import("../../chain-connector/src/ethereum/index.js");
      const { KeyringNetwork } = await import("../../chain-connector/src/http/keyring.js");
      const { ConnectorServer } = await import("../../chain-connector/src/http/server.js");
      dir = await mkdtemp(join(tmpdir(), "cm-vlinreg-eth-"));
      chain = await startDevChain();
      const addresses = await eth.deployContracts(chain.signer(19));
      // Two runs: 3 parties + a requester, and 5 parties + a requester.
      keys = chain.accounts.slice(1, 11);
      const eNet = new eth.EthereumNetwork({ rpcUrl: chain.url, addresses, blobs: join(dir, "blobs"), dbPath: join(dir, "events.sqlite"), pollMs: 200 });
      network = eNet;
      server = new ConnectorServer({ network: new KeyringNetwork(eNet, keys) });
      await server.start();
    });
    after(async () => {
      for (const n of nodes) await n?.stop();
      await server?.close();
      await network?.close();
      await chain?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    const node = async (name: string, key: string, extra: Record<string, unknown>) => {
      const n = await startNode(
        { name, dataDir: join(dir, name), privateKey: key, connectorUrl: server.url, http: { port: 0 }, heartbeatSeconds: 0, logLevel: "silent", ...extra },
        { logger: createLogger(name, (process.env.CM_TEST_LOG as "info") ?? "silent"), replaceBuiltins: true, handlers: [makeVlinregHandler({ recorder })] },
      );
      nodes.push(n);
      return n;
    };

    async function start(tag: string, defs: { name: string; data: PartyData; label?: string }[]) {
      const ps: Party[] = defs.map((d) => ({ ...d, wallet: new Wallet(keys[nextKey++]) }));
      const ns: RunningNode[] = [];
      for (const p of ps) {
        const path = join(dir, `${tag}-${p.name}.csv`);
        await writeFile(path, csv(p.data));
        ns.push(await node(`${tag}-${p.name}`, p.wallet.privateKey, { roles: ["Owner"], datasets: [{ name: "vdata", path, format: "csv" }] }));
      }
      const R = await node(`${tag}-R`, keys[nextKey++], { roles: ["Requester"] });
      return { ps, ns, R };
    }

    test(
      "synthetic y = 31·x1 − 5.5·x2 + noise, parties y, x1, x2 and a requester: within 1 % of truth; no plaintext vector of another party received",
      { timeout: 900_000 },
      async (t) => {
        const d = synthetic(200);
        const ids = d.ids.map((_, i) => i);
        const { ps, ns, R } = await start("syn", [
          { name: "y", label: "y", data: { ids, columns: { y: d.y } } },
          { name: "x1", data: shuffle({ ids, columns: { x1: d.x1 } }, 5) },
          { name: "x2", data: shuffle({ ids, columns: { x2: d.x2 } }, 9) },
        ]);
        assert.equal(R.connector.mode, "ethereum");
        const iterations = 50;
        const t0 = Date.now();
        const { taskId, spec } = await submitVlinreg(R, ps, { iterations });
        const { result, round } = await finalResult<VlinregResult>(R, taskId, spec.rounds);
        t.diagnostic(
          `${iterations} iterations in ${round} rounds, ${((Date.now() - t0) / 1000).toFixed(1)} s (${((Date.now() - t0) / 1000 / round).toFixed(2)} s per round, tests running concurrently)`,
        );
        const c = result.coefficients!;
        assert.ok(Math.abs(c.x1 - 31) / 31 < 0.01, `x1 coefficient ${c.x1}`);
        assert.ok(Math.abs(c.x2 + 5.5) / 5.5 < 0.01, `x2 coefficient ${c.x2}`);
        // The default key mode: y holds the one key, decrypts only masked sums, reads no sealed table.
        assert.equal(vlinregParams.parse(spec.params).keyHolder, "label");
        const mine = new Set(ns.map((x) => x.address.toLowerCase()));
        assert.ok(recorder.deliveries.some((x) => mine.has(x.node.toLowerCase())));
        assert.deepEqual(leaks(recorder, 200, { y: [d.y], x1: [d.x1], x2: [d.x2] }, mine), []);
        for (const p of ["x1", "x2", "y"] as const) assert.deepEqual(readBy(recorder, p, mine), READS.label[p], p);
        assert.equal(recorder.events.filter((e) => e.kind === "decrypted" && mine.has(e.node.toLowerCase())).length, 2 * iterations);
      },
    );

    // Convergence to least squares is the math's (test/vertical/regression.test.ts: cars, k = 4, in
    // process) and the runtime's in coordinator mode (coordinator-cars.test.ts, 150 iterations). Over
    // the chain, every iteration is checked instead: the model after 12 iterations equals the
    // in-process run's bit for bit, which fails on any table or step the chain path gets wrong.
    // 12 iterations are 10 rounds: the setup, every placement of an iteration's two steps on a
    // round's three submission phases (the pattern repeats every two rounds) four times, the finish.
    test(
      "cars (vega-datasets) with k = 4 feature parties (one column each): the model equals the in-process run's exactly; no party receives another's values",
      { timeout: 1_800_000 },
      async (t) => {
        const data = cars();
        const { ps, ns, R } = await start("cars", [
          { name: "y", label: "MPG", data: { ids: data.ids, columns: { MPG: data.y } } },
          ...data.cols.map((c, i) => ({ name: `x${i + 1}`, data: shuffle({ ids: data.ids, columns: { [c]: data.X[i] } }, 20 + i) })),
        ]);
        const iterations = 12;
        const t0 = Date.now();
        const { taskId, spec } = await submitVlinreg(R, ps, { iterations });
        const { result, round } = await finalResult<VlinregResult>(R, taskId, spec.rounds);
        t.diagnostic(
          `${iterations} iterations in ${round} rounds, ${((Date.now() - t0) / 1000).toFixed(1)} s (${((Date.now() - t0) / 1000 / round).toFixed(2)} s per round, tests running concurrently)`,
        );
        // Paillier arithmetic is exact and the masks cancel exactly: any keys give the same fixed-point run.
        const local = await runVertical(
          { label: { ids: data.ids, y: data.y }, features: data.cols.map((c, i) => ({ name: `x${i + 1}`, ids: data.ids, columns: { [c]: data.X[i] } })) },
          { keyBits: 1024, iterations },
        );
        assert.deepEqual(result.coefficients, local.coefficients);
        assert.equal(result.intercept, local.intercept);
        const mine = new Set(ns.map((x) => x.address.toLowerCase()));
        assert.deepEqual(leaks(recorder, data.ids.length, { y: [data.y], ...Object.fromEntries(data.X.map((c, i) => [`x${i + 1}`, [c]])) }, mine), []);
      },
    );
  },
);
