import { parentPort } from "node:worker_threads";
import { keyPairFromPrimes, publicEncryptorFromSpec, type KeySecret, type PublicSpec } from "./paillier-port.js";

/** Helper thread: encrypts a slice of plaintexts under a key it is handed (the same DJN base). */
parentPort!.on("message", (msg: { key?: KeySecret; pub?: PublicSpec; plaintexts: bigint[] }) => {
  const kp = msg.key ? keyPairFromPrimes(msg.key.p, msg.key.q, msg.key.options) : publicEncryptorFromSpec(msg.pub!);
  parentPort!.postMessage(msg.plaintexts.map((m) => kp.encrypt(m)));
});
