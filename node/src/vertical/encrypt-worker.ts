import { parentPort } from "node:worker_threads";
import { keyPairFromPrimes, type KeySecret } from "./paillier-port.js";

/** Helper thread: encrypts a slice of plaintexts under a key it is handed (same DJN base). */
parentPort!.on("message", (msg: { key: KeySecret; plaintexts: bigint[] }) => {
  const kp = keyPairFromPrimes(msg.key.p, msg.key.q, msg.key.options);
  parentPort!.postMessage(msg.plaintexts.map((m) => kp.encrypt(m)));
});
