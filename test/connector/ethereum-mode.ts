import type { ModeHarness } from "./modes.js";

/** Ethereum mode harness factories, once chain-connector/src/ethereum exists. */
export async function availableModes(): Promise<(() => Promise<ModeHarness>)[]> {
  return [];
}
