import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CIRCUITS } from "../../circuits/registry.js";
import { CIRCOM2_VERSION, CIRCOMLIB_VERSION, CIRCUITS_DIR, MANIFEST_PATH, ROOT, SNARKJS_VERSION, sha256File, sourcesHash, type Manifest } from "../../circuits/sources.js";

// The committed artifacts (wasm, zkey, r1cs, vkey, Solidity verifier) must come from the current
// sources; otherwise proofs, vkeys and on-chain verifiers silently disagree with the code.
const STALE = "circuit artifacts are stale: run npm run circuits:build -- --ptau <file>";

const manifest: Manifest = existsSync(MANIFEST_PATH) ? (JSON.parse(readFileSync(MANIFEST_PATH, "utf8")) as Manifest) : (undefined as never);

test("manifest exists and names the installed tool versions", () => {
  assert.ok(manifest, `${STALE} (circuits/build/manifest.json is missing)`);
  assert.deepEqual(manifest.tools, { circom2: CIRCOM2_VERSION, circomlib: CIRCOMLIB_VERSION, snarkjs: SNARKJS_VERSION }, `${STALE} (tool versions changed)`);
});

for (const def of CIRCUITS) {
  test(`${def.name}: built from the current sources`, () => {
    const entry = manifest?.circuits[def.name];
    assert.ok(entry, `${STALE} (${def.name} is not in the manifest)`);
    const { hash, files } = sourcesHash(join(CIRCUITS_DIR, `${def.name}.circom`));
    assert.equal(hash, entry.sourcesHash, `${STALE} (${def.name}: sources changed: ${files.join(", ")})`);
    assert.deepEqual(entry.publicSignals, def.publicSignals, `${STALE} (${def.name}: registry public signals changed)`);
    assert.deepEqual(entry.params, def.params, `${STALE} (${def.name}: registry params changed)`);
  });

  test(`${def.name}: artifacts exist, match the manifest and each other`, () => {
    const entry = manifest.circuits[def.name];
    for (const [kind, f] of Object.entries(entry.files)) {
      const path = join(ROOT, f.path);
      assert.ok(existsSync(path), `${STALE} (${f.path} is missing)`);
      assert.equal(sha256File(path), f.sha256, `${STALE} (${kind} ${f.path} differs from the one the manifest recorded)`);
    }
    const vkey = JSON.parse(readFileSync(join(ROOT, entry.files.vkey.path), "utf8")) as { nPublic: number; IC: string[][] };
    assert.equal(vkey.nPublic, entry.nPublic, `${STALE} (vkey nPublic)`);
    assert.equal(vkey.IC.length, entry.nPublic + 1, `${STALE} (vkey IC length)`);
    assert.equal(entry.nPublic, def.publicSignals.length);
    const sol = readFileSync(join(ROOT, entry.files.verifier.path), "utf8");
    assert.match(sol, new RegExp(`contract ${def.contract} \\{`), `${STALE} (verifier contract name)`);
    assert.match(sol, /pragma solidity \^0\.8\.28;/);
    assert.match(sol, new RegExp(`uint\\[${entry.nPublic}\\] calldata _pubSignals`), `${STALE} (verifier public input count)`);
    // The verifier embeds the same key: every IC point of the vkey appears in it.
    vkey.IC.forEach((pt, i) => {
      assert.ok(sol.includes(`IC${i}x = ${pt[0]};`) && sol.includes(`IC${i}y = ${pt[1]};`), `${STALE} (verifier IC${i} differs from vkey.json)`);
    });
  });
}
