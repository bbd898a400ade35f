import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as snarkjs from "snarkjs";
import { JsonRpcProvider, Wallet, id } from "ethers";
import { startHardhatNode, type HardhatNode } from "../helpers/hardhat.js";
import { deployContracts, verifyProofSelector } from "../../chain-connector/src/ethereum/deploy.js";
import { EthereumNetwork, type EthereumConnector } from "../../chain-connector/src/ethereum/network.js";
import { releaseZk } from "../../chain-connector/src/zkverify.js";
import { ConnectorError, type ConnectorErrorCode, type Groth16Proof } from "../../chain-connector/src/connector.js";
import { ChunkSumVerifier__factory } from "../../types/ethers-contracts/index.js";
import { outputsCommitment, roundBinding } from "../../protocol/src/binding.js";
import { commitDataset, fieldToBytes32, type DatasetTree } from "../../protocol/src/commitment.js";
import { encodeRows } from "../../protocol/src/fixedpoint.js";
import { Phase, Role } from "../../protocol/src/phases.js";
import { parseTaskSpec } from "../../protocol/src/taskspec.js";
import { chunkSumInput } from "../../node/src/zk/inputs.js";
import { loadCircuit, proveChunkSum } from "../../node/src/zk/prover.js";

async function rejectsWith(p: Promise<unknown>, code: ConnectorErrorCode): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ConnectorError, `expected ConnectorError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

// Real chunk_sum proofs through EthereumConnector.submit: verified by the contract for "onchain"
// tasks; "offchain" tasks are UltraHonk, so the connector refuses a Groth16 proof sent with one.
describe("EthereumConnector with Groth16 proofs", () => {
  let node: HardhatNode;
  let dir: string;
  let net: EthereumNetwork;
  let req: EthereumConnector;
  let owner: EthereumConnector;
  let tree: DatasetTree;
  const rows = encodeRows(Array.from({ length: 10 }, (_, i) => [i, 1.5 * i, -3, i % 4]));
  const circuit = loadCircuit("chunk_sum");

  before(async () => {
    [node, tree] = await Promise.all([startHardhatNode(), commitDataset(rows, new Uint8Array(32).fill(5))]);
    dir = await mkdtemp(join(tmpdir(), "cm-ethzk-"));
    const provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
    const deployer = new Wallet(node.accounts[0], provider);
    const v = await new ChunkSumVerifier__factory(deployer).deploy();
    await v.waitForDeployment();
    const addresses = await deployContracts(deployer, [{ kind: "stats", address: await v.getAddress(), selector: verifyProofSelector(circuit.nPublic) }]);
    provider.destroy();
    net = new EthereumNetwork({
      rpcUrl: node.url,
      addresses,
      blobs: join(dir, "blobs"),
      dbPath: join(dir, "events.sqlite"),
      pollMs: 100,
    });
    req = net.as(node.accounts[1]);
    owner = net.as(node.accounts[2]);
    await req.registerNode({ endpoint: "http://req", x25519: id("a"), roles: Role.Requester, capacity: 1 });
    await owner.registerNode({ endpoint: "http://owner", x25519: id("b"), roles: Role.Owner, capacity: 1 });
    await owner.commitDataset("d", { root: fieldToBytes32(tree.rootField), rows: rows.length, columns: 4, schemaHash: id("schema") });
  });

  after(async () => {
    await net?.close();
    await node?.stop();
    await releaseZk();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function task(verification: "onchain" | "offchain"): Promise<number> {
    const spec = parseTaskSpec({
      kind: "stats",
      requester: await req.address(),
      datasets: [{ owner: await owner.address(), datasetId: "d" }],
      params: { columns: ["a"] },
      members: { min: 1, max: 1, threshold: 1 },
      verification,
    });
    const { taskId } = await req.createTask(spec);
    await owner.joinRound(taskId, 1, id("k"));
    assert.equal((await req.getRound(taskId, 1))!.phase, Phase.Compute);
    return taskId;
  }

  /** Outputs (from a witness), their commitment, then one proof bound to this submission. */
  async function prove(taskId: number, _blob: string): Promise<{ proof: Groth16Proof; commitment: string }> {
    const params = { chunkRows: circuit.params.chunkRows, columns: circuit.params.columns, treeDepth: circuit.params.treeDepth };
    const mem: { type: "mem"; data?: Uint8Array } = { type: "mem" };
    await snarkjs.wtns.calculate(chunkSumInput(tree, rows, 0, 0n, params), circuit.wasm, mem);
    const outputs = (await snarkjs.wtns.exportJson(mem)).slice(1, circuit.nPublic - 1);
    const commitment = outputsCommitment(outputs);
    const binding = roundBinding({
      taskManager: net.addresses.taskManager,
      chainId: await net.getChainId(),
      taskId,
      round: 1,
      member: await owner.address(),
      commitment,
    });
    return { proof: (await proveChunkSum({ tree, rows, chunkIndex: 0, binding })).proof, commitment };
  }

  test("onchain: the contract checks the proof the connector encodes", async () => {
    const taskId = await task("onchain");
    const blob = id("blob-onchain");
    const { proof, commitment } = await prove(taskId, blob);
    await rejectsWith(owner.submit(taskId, 1, blob, commitment), "InvalidProof");
    await rejectsWith(owner.submit(taskId, 1, blob, id("other"), proof), "BadBinding");
    const r = await owner.submit(taskId, 1, blob, commitment, proof);
    assert.ok(r.gasUsed! > 200_000, `a verified submit costs the pairing check (${r.gasUsed} gas)`);
    assert.equal((await req.getRound(taskId, 1))!.phase, Phase.Aggregate);
  });

  test("offchain (UltraHonk): a Groth16 proof sent with the submission is refused, the proof-list root alone is recorded", async () => {
    const taskId = await task("offchain");
    const blob = id("blob-offchain");
    const { proof, commitment } = await prove(taskId, blob);
    await rejectsWith(owner.submit(taskId, 1, blob, commitment, proof), "InvalidProof");
    assert.equal((await req.getRound(taskId, 1))!.submitted, 0, "nothing was sent for a refused submission");
    // The requester verifies the Honk proofs in the payload; the chain records the root of their list.
    await owner.submit(taskId, 1, blob, id("proof-list root"));
    assert.equal((await req.getRound(taskId, 1))!.phase, Phase.Aggregate);
  });
});
