/**
 * The proof re-check's web worker: bb.js' browser WASM build verifies UltraHonk proofs here, off
 * the page's thread, with nothing from the network but this node.
 *
 * bb.js' WASM accepts a reference string only when its [τ]G2 hashes (SHA-256) to Aztec's
 * ceremony's, a constant in the module; our proofs come from the project's powers of tau. So the
 * worker takes bb.js' module as shipped (dash/dist/bb/barretenberg.wasm.gz, copied by the build),
 * replaces that one hash with the hash of the [τ]G2 the node serves from its committed CRS, and
 * initialises the verifier with that G2 and the generator G1 (all the verifier reads: one G1 point,
 * no download). The same substitution the connector makes in its copy of the native bb
 * (chain-connector/src/honkverify.ts). The constant must occur exactly once, or the worker refuses.
 */
import { SyncApi } from "../../node_modules/@aztec/bb.js/dest/browser/cbind/generated/sync.js";
import { BarretenbergWasmMain } from "../../node_modules/@aztec/bb.js/dest/browser/barretenberg_wasm/barretenberg_wasm_main/index.js";
import { hexBytes, recheckHonk, type RecheckInput, type RecheckResult } from "./recheck.js";

/** SHA-256 of Aztec's [τ]G2 (x.c0, x.c1, y.c0, y.c1 big-endian) as bb.js 5.0.0's WASM compares it. */
const AZTEC_G2_SHA256 = hexBytes("01797bfc4de5a96f0e516a9ea4537d18786dc30cb991aca4274c95822b69c32f");

export interface VerifyRequest {
  id: number;
  input: RecheckInput;
}
export interface VerifyResponse {
  id: number;
  result: RecheckResult;
  ms: number;
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i <= hay.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

let ready: Promise<{ api: SyncApi; g2: string }> | undefined;

async function verifier(g1: string, g2: string): Promise<SyncApi> {
  ready ??= (async () => {
    const res = await fetch(new URL("bb/barretenberg.wasm.gz", self.location.href));
    if (!res.ok || !res.body) throw new Error(`the node served no verifier module (HTTP ${res.status}): rebuild the dashboard (npm run build)`);
    const wasm = new Uint8Array(await new Response(res.body.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer());
    const at = indexOf(wasm, AZTEC_G2_SHA256);
    if (at < 0 || indexOf(wasm, AZTEC_G2_SHA256, at + 1) >= 0)
      throw new Error("bb.js' WASM does not hold the hash of Aztec's [τ]G2 exactly once (bb.js version changed?); update AZTEC_G2_SHA256 in dash/src/verify-worker.ts");
    const g2Bytes = hexBytes(g2);
    wasm.set(new Uint8Array(await crypto.subtle.digest("SHA-256", g2Bytes)), at);
    const main = new BarretenbergWasmMain();
    await main.init(await WebAssembly.compile(wasm), 1);
    const api = new SyncApi({ call: (buf: Uint8Array) => main.cbindCall("bbapi", buf) as Uint8Array, destroy: () => void main.destroy() });
    api.srsInitSrs({ pointsBuf: hexBytes(g1), numPoints: 1, g2Point: g2Bytes });
    return { api, g2 };
  })();
  const v = await ready;
  if (v.g2 !== g2) throw new Error("the node's [τ]G2 changed since this worker started; reload the page");
  return v.api;
}

self.onmessage = async (ev: MessageEvent<VerifyRequest>) => {
  const { id, input } = ev.data;
  const t0 = performance.now();
  let result: RecheckResult;
  try {
    const api = await verifier(input.honk.crs.g1, input.honk.crs.g2);
    const vk = hexBytes(input.honk.vk);
    result = recheckHonk(input, (proof, publicInputs) => {
      const frs: Uint8Array[] = [];
      for (let i = 0; i < proof.length; i += 32) frs.push(proof.subarray(i, i + 32));
      // bb's "evm" target: keccak transcript, zero knowledge (node/src/zk/honk.ts proves with -t evm).
      return api.circuitVerify({
        verificationKey: vk,
        publicInputs,
        proof: frs,
        settings: { ipaAccumulation: false, oracleHashType: "keccak", disableZk: false, optimizedSolidityVerifier: false },
      }).verified;
    });
  } catch (e) {
    result = { ok: false, steps: [], groups: 0, error: `the verifier did not start: ${e instanceof Error ? e.message : String(e)}` };
  }
  const out: VerifyResponse = { id, result, ms: performance.now() - t0 };
  self.postMessage(out);
};
