import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { VerificationKey } from "snarkjs";
import { CONTRIBUTION_CIRCUITS } from "../../protocol/src/contributions.js";

/**
 * Verification keys in circuits/build/<name>/vkey.json (the same keys the generated Solidity
 * verifiers embed). Kept apart from zkverify.ts so that deploying or configuring verifiers does
 * not load snarkjs.
 */
export const DEFAULT_BUILD_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "circuits", "build");

const vkeys = new Map<string, VerificationKey>();

export function loadVerificationKey(circuit: string, buildDir: string = DEFAULT_BUILD_DIR): VerificationKey {
  const path = join(buildDir, circuit, "vkey.json");
  const cached = vkeys.get(path);
  if (cached) return cached;
  if (!/^[a-z0-9_]+$/.test(circuit)) throw new Error(`zkverify: "${circuit}" is not a circuit name (lowercase letters, digits, _)`);
  if (!existsSync(path)) throw new Error(`zkverify: no verification key for circuit "${circuit}" at ${path}; run npm run circuits:build`);
  const vkey = JSON.parse(readFileSync(path, "utf8")) as VerificationKey;
  vkeys.set(path, vkey);
  return vkey;
}

/** Task kind → contribution circuit, for the federated kinds whose circuit is built: the default verifier map. */
export function builtContributionCircuits(buildDir: string = DEFAULT_BUILD_DIR): Record<string, string> {
  return Object.fromEntries(Object.entries(CONTRIBUTION_CIRCUITS as Record<string, string>).filter(([, c]) => existsSync(join(buildDir, c, "vkey.json"))));
}
