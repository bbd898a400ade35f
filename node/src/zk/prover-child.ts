import { releaseZk } from "../../../chain-connector/src/zkverify.js";
import { proveCircuit } from "./prover.js";

/** The prover process (prover-process.ts): proves on its main thread, one request at a time as they come. */
process.on("disconnect", () => {
  void releaseZk().finally(() => process.exit(0));
});
process.on("message", (m: { id: number; name: string; input: Record<string, unknown>; buildDir?: string }) => {
  proveCircuit(m.name, m.input, m.buildDir).then(
    (result) => process.send?.({ id: m.id, result }),
    (e: unknown) => process.send?.({ id: m.id, error: e instanceof Error ? e.message : String(e) }),
  );
});
