import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../circuits/sources.js";
import { HONK_CIRCUITS } from "../../circuits/honk/registry.js";
import { crsPointsFor } from "../../circuits/honk/crs.js";
import { HONK_MANIFEST_PATH, honkSourcesHash, honkTools, sha256Hex, type HonkManifest } from "../../circuits/honk/sources.js";

// The committed Honk artifacts (compiled circuit, verification key, Solidity verifier) must come
// from the current Noir sources and tools; otherwise proofs, keys and on-chain verifiers disagree.
const STALE = "Honk circuit artifacts are stale: run npm run circuits:build:honk -- --ptau <file>";

const manifest: HonkManifest | undefined = existsSync(HONK_MANIFEST_PATH) ? (JSON.parse(readFileSync(HONK_MANIFEST_PATH, "utf8")) as HonkManifest) : undefined;

test("Honk manifest exists and names the installed noir_wasm and bb.js", () => {
  assert.ok(manifest, `${STALE} (circuits/noir/build/manifest.json is missing)`);
  assert.deepEqual(manifest.tools, honkTools(), `${STALE} (tool versions changed)`);
});

test("the committed prover CRS matches the manifest and covers every circuit", () => {
  const crs = manifest?.crs;
  assert.ok(crs, `${STALE} (the manifest names no CRS)`);
  for (const f of [crs.g1, crs.g2]) {
    const path = join(ROOT, f.path);
    assert.ok(existsSync(path), `${STALE} (${f.path} is missing)`);
    assert.equal(sha256Hex(readFileSync(path)), f.sha256, `${STALE} (${f.path} differs from the one the manifest recorded)`);
  }
  assert.equal(readFileSync(join(ROOT, crs.g1.path)).length, crs.points * 64);
  const largest = Math.max(...Object.values(manifest.circuits).map((c) => c.gates));
  assert.ok(crs.points >= crsPointsFor(largest), `${STALE} (the CRS has ${crs.points} points, the largest circuit needs ${crsPointsFor(largest)})`);
});

for (const def of HONK_CIRCUITS) {
  test(`${def.name}: built from the current sources and registry`, () => {
    const entry = manifest?.circuits[def.name];
    assert.ok(entry, `${STALE} (${def.name} is not in the manifest)`);
    const { hash, files } = honkSourcesHash(def.name);
    assert.equal(hash, entry.sourcesHash, `${STALE} (${def.name}: sources changed: ${files.join(", ")})`);
    assert.deepEqual(entry.publicInputs, def.publicInputs, `${STALE} (${def.name}: registry public inputs changed)`);
    assert.deepEqual(entry.params, def.params, `${STALE} (${def.name}: registry params changed)`);
    assert.equal(entry.rows, def.rows, `${STALE} (${def.name}: rows changed)`);
  });

  test(`${def.name}: artifacts match the manifest; the verifier carries the key's hash and the ptau's G2`, () => {
    const entry = manifest!.circuits[def.name];
    for (const [kind, f] of Object.entries(entry.files)) {
      const path = join(ROOT, f.path);
      assert.ok(existsSync(path), `${STALE} (${f.path} is missing)`);
      assert.equal(sha256Hex(readFileSync(path)), f.sha256, `${STALE} (${kind} ${f.path} differs from the one the manifest recorded)`);
    }
    const sol = readFileSync(join(ROOT, entry.files.verifier.path), "utf8");
    assert.ok(sol.includes(`contract ${def.contract} is `), `${STALE} (verifier contract name)`);
    // bb appends 8 limbs of the (default) pairing-point accumulator to the public inputs.
    assert.ok(new RegExp(`uint256 constant NUMBER_OF_PUBLIC_INPUTS = ${def.publicInputs.length + 8};`).test(sol), `${STALE} (verifier public input count)`);
    // bb's default [τ]G2 must be gone (proofs from the project's CRS fail against it).
    assert.ok(!sol.includes("0x260e01b251f6f1c7e7ff4e580791dee8ea51d87a358e038b4efe30fac09383c1"), "the verifier still carries Aztec's [τ]G2");
    const program = JSON.parse(readFileSync(join(ROOT, entry.files.program.path), "utf8")) as { abi: { parameters: { name: string; visibility: string }[] } };
    const pub = program.abi.parameters.filter((p) => p.visibility === "public").map((p) => p.name);
    assert.deepEqual(pub, def.publicInputs.slice(0, pub.length), `${STALE} (${def.name}: public parameters)`);
  });
}
