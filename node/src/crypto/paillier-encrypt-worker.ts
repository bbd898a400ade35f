import { parentPort } from "node:worker_threads";
import { paillierEncryptorFromSpec, paillierKeyPairFromWorkerKey, type PaillierEncryptorSpec, type PaillierWorkerKey } from "./paillier.js";

/** Helper thread: encrypts a slice of plaintexts under a key it is handed (the same DJN base). */
parentPort!.on("message", (msg: { key?: PaillierWorkerKey; pub?: PaillierEncryptorSpec; plaintexts: bigint[] }) => {
  const kp = msg.key ? paillierKeyPairFromWorkerKey(msg.key) : paillierEncryptorFromSpec(msg.pub!);
  parentPort!.postMessage(msg.plaintexts.map((m) => kp.encrypt(m)));
});
