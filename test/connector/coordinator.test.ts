import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { hexlify, randomBytes, Wallet } from "ethers";
import { CoordinatorNetwork, ManualClock, kindVerifier } from "../../chain-connector/src/coordinator/index.js";
import { ConnectorError, type Connector, type Groth16Proof } from "../../chain-connector/src/connector.js";
import { Phase, Role } from "../../protocol/src/phases.js";
import { outputsCommitment, roundBinding } from "../../protocol/src/binding.js";
import { parseTaskSpec, type TaskSpecInput } from "../../protocol/src/taskspec.js";
import type { ChainEvent } from "../../protocol/src/events.js";

const b32 = () => hexlify(randomBytes(32));
const node = (roles: number) => ({ endpoint: "http://127.0.0.1:1/", x25519: b32(), roles, capacity: 1 });

async function rejects(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof ConnectorError && e.code === code);
}

async function eventsUntil(c: Connector, pred: (e: ChainEvent) => boolean): Promise<ChainEvent[]> {
  const out: ChainEvent[] = [];
  for await (const ev of c.events()) {
    out.push(ev);
    if (pred(ev)) break;
  }
  return out;
}

describe("coordinator network", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cm-coordinator-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const spec = (requester: string, owner: string, over: Partial<TaskSpecInput> = {}) =>
    parseTaskSpec({
      kind: "stats",
      requester,
      datasets: [{ owner, datasetId: "d" }],
      params: { columns: ["x"] },
      members: { min: 1, max: 2, threshold: 1 },
      deadlines: { join: 60, setup: 60, compute: 60, aggregate: 60 },
      ...over,
    });

  test("a deadline that passes while the coordinator is down is acted on when it restarts", async () => {
    const db = join(dir, "restart.sqlite");
    const clock = new ManualClock(2_000_000_000);
    const [req, own] = [Wallet.createRandom().address, Wallet.createRandom().address];
    let net = new CoordinatorNetwork({ db, blobs: join(dir, "blobs"), clock });
    await net.as(req).registerNode(node(Role.Requester));
    await net.as(own).registerNode(node(Role.Owner));
    const { taskId } = await net.as(req).createTask(spec(req, own));
    await net.as(own).joinRound(taskId, 1, b32());
    const deadline = (await net.as(req).getRound(taskId, 1))!.deadline;
    await net.close();
    await rejects(net.as(req).getTask(taskId), "Unavailable");

    clock.set(deadline + 30);
    net = new CoordinatorNetwork({ db, blobs: join(dir, "blobs"), clock });
    const evs = await eventsUntil(net.as(req), (e) => e.type === "PhaseAdvanced");
    const adv = evs.at(-1)!;
    assert.ok(adv.type === "PhaseAdvanced" && adv.phase === Phase.Compute && adv.active === 1);
    assert.equal(adv.deadline, deadline + 30 + 60, "the next deadline counts from when the round actually advanced");
    assert.equal((await net.as(req).getRound(taskId, 1))!.phase, Phase.Compute);
    await net.close();
  });

  test("a process killed mid-write leaves state and events consistent", async () => {
    const db = join(dir, "crash.sqlite");
    const script = `
      import { CoordinatorNetwork } from "./chain-connector/src/coordinator/index.js";
      import { Wallet, hexlify, randomBytes } from "ethers";
      const net = new CoordinatorNetwork({ db: ${JSON.stringify(db)}, blobs: ${JSON.stringify(join(dir, "blobs"))} });
      let i = 0;
      for (;;) {
        const c = net.as(Wallet.createRandom().address);
        await c.registerNode({ endpoint: "http://x/", x25519: hexlify(randomBytes(32)), roles: 1, capacity: 1 });
        await c.commitDataset("d", { root: hexlify(randomBytes(32)), rows: 1, columns: 1, schemaHash: hexlify(randomBytes(32)) });
        if (++i === 20) process.stdout.write("ready\\n");
      }`;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: process.cwd(), stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
      child.once("exit", (code) => reject(new Error(`writer exited early with ${code}`)));
    });
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));

    const raw = new DatabaseSync(db);
    const nodes = (raw.prepare("SELECT COUNT(*) AS n FROM nodes").get() as { n: number }).n;
    const datasets = (raw.prepare("SELECT COUNT(*) AS n FROM datasets").get() as { n: number }).n;
    const kinds = raw
      .prepare("SELECT body FROM events")
      .all()
      .map((r) => (JSON.parse((r as { body: string }).body) as { type: string }).type);
    raw.close();
    assert.ok(nodes >= 20);
    assert.equal(kinds.filter((k) => k === "NodeRegistered").length, nodes, "one NodeRegistered per stored node");
    assert.equal(kinds.filter((k) => k === "DatasetCommitted").length, datasets, "one DatasetCommitted per stored version");
    // Reopening works and the stream replays every event.
    const net = new CoordinatorNetwork({ db, blobs: join(dir, "blobs") });
    assert.equal(net.listNodes(0, 1000).length, nodes);
    await net.close();
  });

  describe("proof checks on Compute contributions", () => {
    const clock = new ManualClock(2_000_000_000);
    let net: CoordinatorNetwork;
    let taskId: number;
    let verified: Groth16Proof[];
    const req = Wallet.createRandom().address;
    const own = Wallet.createRandom().address;
    const root = b32();
    const proof = (signals: (bigint | string)[]): Groth16Proof => ({
      a: ["1", "2"],
      b: [
        ["3", "4"],
        ["5", "6"],
      ],
      c: ["7", "8"],
      publicSignals: signals.map(String),
    });
    // Stands in for snarkjs: accepts proofs whose `a` is ["1","2"]. The checks around it are the real ones.
    const verifier = kindVerifier({ stats: "stats_step" }, async (_kind, p) => {
      verified.push(p);
      return p.a[0] === "1";
    });

    before(async () => {
      verified = [];
      net = new CoordinatorNetwork({ db: ":memory:", blobs: join(dir, "blobs"), clock, verifier });
      await net.as(req).registerNode(node(Role.Requester));
      await net.as(own).registerNode(node(Role.Owner));
      await net.as(own).commitDataset("d", { root, rows: 4, columns: 1, schemaHash: b32() });
      // "onchain": the connector plays TaskManager's Groth16 check ("offchain" tasks are UltraHonk, checked by the requester).
      taskId = (await net.as(req).createTask(spec(req, own, { verification: "onchain", setup: true }))).taskId;
      await net.as(own).joinRound(taskId, 1, b32());
      clock.advance(61);
      // Setup contributions need no proof.
      await net.as(own).submit(taskId, 1, b32(), b32());
      assert.equal(net.getRound(taskId, 1)!.phase, Phase.Compute);
    });
    after(async () => {
      await net.close();
    });

    test("the configured kind is announced and a kind without a key is refused", async () => {
      const evs = await eventsUntil(net.as(req), (e) => e.type === "VerifierSet");
      assert.deepEqual(
        evs.filter((e) => e.type === "VerifierSet").map((e) => e.type === "VerifierSet" && e.verifier),
        ["stats_step"],
      );
      const bare = new CoordinatorNetwork({ db: ":memory:", blobs: join(dir, "blobs"), clock });
      await bare.as(req).registerNode(node(Role.Requester));
      await rejects(bare.as(req).createTask(spec(req, own, { verification: "onchain" })), "NoVerifier");
      await bare.close();
      assert.ok((await net.as(req).createTask(spec(req, own, { verification: "onchain" }))).taskId > 0);
    });

    test("a Compute contribution needs a proof bound to its round, member, outputs and committed root", async () => {
      const c = net.as(own);
      const outputs = [5n, 7n];
      const comm = outputsCommitment(outputs);
      const blob = b32();
      const binding = roundBinding({ taskId, round: 1, member: own, commitment: comm });
      const rootField = BigInt(root);

      await rejects(c.submit(taskId, 1, blob, comm), "InvalidProof");
      await rejects(c.submit(taskId, 1, blob, comm, proof([binding, rootField])), "InvalidProof"); // no outputs
      const otherRound = roundBinding({ taskId, round: 2, member: own, commitment: comm });
      await rejects(c.submit(taskId, 1, blob, comm, proof([...outputs, otherRound, rootField])), "BadBinding");
      const wrongComm = b32();
      const bindWrong = roundBinding({ taskId, round: 1, member: own, commitment: wrongComm });
      await rejects(c.submit(taskId, 1, blob, wrongComm, proof([...outputs, bindWrong, rootField])), "BadBinding");
      await rejects(c.submit(taskId, 1, blob, comm, proof([...outputs, binding, BigInt(b32())])), "BadBinding");
      assert.equal(verified.length, 0, "cheap checks run before the pairing check");
      const forged = { ...proof([...outputs, binding, rootField]), a: ["9", "9"] as [string, string] };
      await rejects(c.submit(taskId, 1, blob, comm, forged), "InvalidProof");
      assert.equal(net.getContributions(taskId, 1, Phase.Compute).length, 0, "nothing recorded for refused proofs");

      await c.submit(taskId, 1, blob, comm, proof([...outputs, binding, rootField]));
      const contribs = net.getContributions(taskId, 1, Phase.Compute);
      assert.deepEqual(
        contribs.map((x) => [x.member, x.blobHash, x.commitment]),
        [[own, blob, comm]],
      );
      assert.equal(net.getRound(taskId, 1)!.phase, Phase.Aggregate);
    });
  });
});
