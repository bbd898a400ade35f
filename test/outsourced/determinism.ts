import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import type { Ciphertext } from "node-seal";
import { CkksWorker } from "../../node/src/crypto/ckks/index.js";
import { SkmeansCkksWorker } from "../../node/src/algorithms/ckks/skmeans.js";

export interface DeterminismInputs {
  bundle: Uint8Array;
  a: Uint8Array;
  b: Uint8Array;
  setup: Uint8Array;
  update: Uint8Array;
}

/** Operation → hashes of its output: `framed` over the zstd bytes a worker commits to, `raw` over SEAL's uncompressed bytes. */
export type Hashes = Record<string, { framed: string; raw: string }>;

const h = (b: Uint8Array) => bytesToHex(sha256(b));

/** Every evaluation a worker runs, on the same inputs and keys; only worker (evaluation) keys are used. */
export async function evaluateAll(inp: DeterminismInputs): Promise<Hashes> {
  const w = await CkksWorker.fromBundle(inp.bundle);
  const out: Hashes = {};
  const live: Ciphertext[] = [];
  const keep = (name: string, ct: Ciphertext) => {
    live.push(ct);
    out[name] = { framed: h(w.save(ct)), raw: h(ct.saveToArray(w.ctx.seal.ComprModeType.none) as Uint8Array) };
    return ct;
  };
  try {
    const a = keep("load a", w.load(inp.a));
    const b = keep("load b", w.load(inp.b));
    keep("add", w.add(a, b));
    const prod = keep("multiply", w.multiply(a, b, { relinearize: false, rescale: false }));
    const rl = prod.copy();
    w.finishProduct(rl, { relinearize: true, rescale: false });
    keep("relinearize", rl);
    const rs = rl.copy();
    w.finishProduct(rs, { relinearize: false, rescale: true });
    keep("rescale", rs);
    keep("rotate 1", w.rotate(rs, 1));
    keep("rotate -2", w.rotate(a, -2));
    keep("multiply plain", w.multiplyPlain(a, [0.5, -0.25, 0.125]));
  } finally {
    for (const c of live) c.delete();
    w.dispose();
  }
  const sk = await SkmeansCkksWorker.fromSetup(inp.setup);
  try {
    out["skmeans distances"] = { framed: h(sk.distances()), raw: "" };
    out["skmeans step"] = { framed: h(sk.step(inp.update)), raw: "" };
  } finally {
    sk.dispose();
  }
  return out;
}
