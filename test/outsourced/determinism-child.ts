/**
 * Run in a fresh Node process by determinism.test.ts: evaluates on the ciphertexts and worker keys
 * in the given directory and prints, as one JSON line, the SHA-256 of every serialized output.
 * It shares nothing with the parent but those bytes (no SEAL heap, no cached context).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { evaluateAll } from "./determinism.js";

const dir = process.argv[2];
if (!dir) throw new Error("usage: determinism-child.ts <dir with bundle, a, b, setup, update>");
const read = async (name: string) => new Uint8Array(await readFile(join(dir, name)));
const out = await evaluateAll({ bundle: await read("bundle"), a: await read("a"), b: await read("b"), setup: await read("setup"), update: await read("update") });
process.stdout.write(JSON.stringify(out) + "\n");
