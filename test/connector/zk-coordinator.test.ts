import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hexlify, randomBytes, Wallet } from "ethers";
import { startConnector, type RunningConnector } from "../../chain-connector/src/http/serve.js";
import { ConnectorClient } from "../../chain-connector/src/http/client.js";
import { ConnectorError } from "../../chain-connector/src/connector.js";
import { releaseZk } from "../../chain-connector/src/zkverify.js";
import { outputsCommitment, roundBinding, SNARK_FIELD } from "../../protocol/src/binding.js";
import { Phase, Role } from "../../protocol/src/phases.js";
import { parseTaskSpec, kindKey } from "../../protocol/src/taskspec.js";

let running: RunningConnector | undefined;
let dir: string | undefined;
after(async () => {
  await running?.close();
  await releaseZk();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const b32 = () => hexlify(randomBytes(32));
const field = () => (BigInt(b32()) % SNARK_FIELD).toString();

test("a coordinator configured with kind → circuit checks Compute proofs with that circuit's key", async () => {
  dir = await mkdtemp(join(tmpdir(), "cm-zk-"));
  await assert.rejects(
    startConnector({ mode: "coordinator", db: join(dir, "x.sqlite"), blobs: join(dir, "b"), verifiers: { stats: "no_such_circuit" } }),
    /no verification key for circuit "no_such_circuit"/,
  );
  running = await startConnector({ mode: "coordinator", db: join(dir, "s.sqlite"), blobs: join(dir, "b"), verifiers: { stats: "chunk_sum" } });
  const [req, own] = [Wallet.createRandom(), Wallet.createRandom()];
  const r = new ConnectorClient({ url: running.url, signer: req });
  const o = new ConnectorClient({ url: running.url, signer: own });
  await r.registerNode({ endpoint: "http://r/", x25519: b32(), roles: Role.Requester, capacity: 1 });
  // Registered nodes read the event stream; the first event is the verifier the operator set.
  for await (const ev of r.events()) {
    assert.deepEqual(
      { type: ev.type, kind: "kind" in ev && ev.kind, verifier: "verifier" in ev && ev.verifier },
      { type: "VerifierSet", kind: kindKey("stats"), verifier: "chunk_sum" },
    );
    break;
  }
  await o.registerNode({ endpoint: "http://o/", x25519: b32(), roles: Role.Owner, capacity: 1 });
  const root = "0x" + BigInt(field()).toString(16).padStart(64, "0");
  await o.commitDataset("iris", { root, rows: 8, columns: 4, schemaHash: b32() });
  const spec = parseTaskSpec({
    kind: "stats",
    requester: req.address,
    datasets: [{ owner: own.address, datasetId: "iris" }],
    params: { columns: ["a"] },
    members: { min: 1, max: 1, threshold: 1 },
    verification: "onchain",
  });
  const { taskId } = await r.createTask(spec);
  await o.joinRound(taskId, 1, b32());
  assert.equal((await r.getRound(taskId, 1))!.phase, Phase.Compute);

  // Every binding check passes; only the pairing check can refuse this made-up proof.
  const outputs = [field(), field(), field(), field(), "8", "0"];
  const commitment = outputsCommitment(outputs);
  const blobHash = b32();
  const binding = roundBinding({ taskId, round: 1, member: own.address, commitment });
  const forged = {
    a: [field(), field()] as [string, string],
    b: [
      [field(), field()],
      [field(), field()],
    ] as [[string, string], [string, string]],
    c: [field(), field()] as [string, string],
    publicSignals: [...outputs, binding.toString(), BigInt(root).toString()],
  };
  await assert.rejects(
    o.submit(taskId, 1, blobHash, commitment, forged),
    (e: unknown) => e instanceof ConnectorError && e.code === "InvalidProof" && /chunk_sum|stats/.test(e.message),
  );
  assert.equal((await r.getContributions(taskId, 1, Phase.Compute)).length, 0);
});
