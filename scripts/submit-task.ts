/**
 * Submits a task from a TaskSpec JSON file, either through a connector (which stores the spec
 * blob and sends the transaction) or directly: the spec goes into a local blob directory the
 * connector serves, and the script calls TaskManager.createTask itself.
 *
 *   CM_ACCOUNT=4 CM_TASK_SPEC=task.json npx hardhat run scripts/submit-task.ts --network localhost
 *   npm run submit-task
 *
 * The spec is checked before anything is sent (every bad field is named). A spec without
 * `requester` gets the signer's address; one naming another requester is refused.
 *
 * Environment:
 *   CM_RPC_URL        chain JSON-RPC URL for --network localhost (default http://127.0.0.1:8545)
 *   CM_ADDRESSES      the deploy script's output (default state/addresses.json; direct route only)
 *   CM_PRIVATE_KEY    the requester's key (0x hex); otherwise the network's account CM_ACCOUNT (default 0).
 *                     It needs the Requester role (scripts/register-node.ts with CM_ROLES=Requester).
 *   CM_TASK_SPEC      the TaskSpec JSON file (required)
 *   CM_CONNECTOR_URL  submit through this connector (signed HTTP) instead of directly; in ethereum
 *                     mode the connector must hold the requester's key
 *   CM_BLOBS          direct route: the connector's blob directory, where the spec blob goes (default state/blobs)
 *   CM_TASK_OUT       also write {taskId, txHash, specHash} as JSON to this file (for watch.ts)
 */
import { network } from "hardhat";
import { Wallet, type Signer } from "ethers";
import { TaskManager__factory } from "../types/ethers-contracts/index.js";
import { specBytes, specHash, type TaskSpec } from "../protocol/src/taskspec.js";
import { LocalBlobStore } from "../chain-connector/src/blobstore.js";
import { connect, readSpecFile } from "../node/src/sdk/index.js";
import { decodeLog } from "../chain-connector/src/ethereum/decode.js";
import { createTaskArgs } from "../chain-connector/src/ethereum/deploy.js";
import { env, readAddresses, requireEnv, runScript, scriptSigner, ScriptError, writeJsonAtomic } from "./env.js";

function readSpec(file: string, requester: string): TaskSpec {
  try {
    return readSpecFile(file, requester);
  } catch (e) {
    throw new ScriptError(`CM_TASK_SPEC ${(e as Error).message}`);
  }
}

await runScript(async () => {
  const file = requireEnv("CM_TASK_SPEC", "a TaskSpec JSON file");
  const connectorUrl = env("CM_CONNECTOR_URL");
  // Through a connector no chain is needed (coordinator mode has none): sign with the given key.
  let signer: Signer;
  if (connectorUrl) {
    const key = requireEnv(
      "CM_PRIVATE_KEY",
      "the requester's 0x private key (submitting through CM_CONNECTOR_URL signs with it; `scripts/cm task submit` reads it from a profile instead)",
    );
    try {
      signer = new Wallet(key);
    } catch {
      throw new ScriptError("CM_PRIVATE_KEY must be a 0x-prefixed 32-byte hex private key");
    }
  } else {
    const { ethers } = await network.create();
    signer = await scriptSigner(ethers, 0);
  }
  const me = await signer.getAddress();
  const spec = readSpec(file, me);

  let taskId: number;
  let txHash: string;
  if (connectorUrl) {
    const client = (await connect({ connectorUrl, signer })).connector;
    const r = await client.createTask(spec);
    await client.close();
    taskId = r.taskId;
    txHash = r.txHash;
    console.log(`task ${taskId} created through the ${client.mode} connector at ${connectorUrl}`);
  } else {
    const addresses = readAddresses();
    const blobs = env("CM_BLOBS", "state/blobs")!;
    // The blob first: a failed transaction leaves an unreferenced blob, never a task without its spec.
    const hash = await new LocalBlobStore(blobs).put(specBytes(spec));
    if (hash !== specHash(spec)) throw new Error("spec blob hash differs from specHash: the canonical encoding changed");
    const tm = TaskManager__factory.connect(addresses.taskManager, signer);
    const receipt = await (await tm.createTask(...createTaskArgs(spec, hash))).wait();
    const ev = receipt!.logs.map((l) => decodeLog(l)).find((e) => e?.type === "TaskCreated");
    if (ev?.type !== "TaskCreated") throw new Error(`transaction ${receipt!.hash} emitted no TaskCreated event`);
    taskId = ev.taskId;
    txHash = receipt!.hash;
    console.log(`task ${taskId} created on-chain by ${me}; spec blob in ${blobs}`);
  }
  console.log(`  kind ${spec.kind}, ${spec.rounds} round(s), members ${spec.members.min}-${spec.members.max} (threshold ${spec.members.threshold})`);
  console.log(`  spec ${specHash(spec)}`);
  console.log(`  tx   ${txHash}`);
  const out = env("CM_TASK_OUT");
  if (out) writeJsonAtomic(out, { taskId, txHash, specHash: specHash(spec) });
  console.log(
    connectorUrl
      ? `follow it: scripts/cm task watch ${taskId} (with a profile naming ${connectorUrl})`
      : `follow it: CM_TASK_ID=${taskId} npx hardhat run scripts/watch.ts --network localhost`,
  );
});
