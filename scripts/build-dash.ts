/**
 * Bundles the dashboard (dash/src → dash/dist/app.js, with index.html and app.css beside it) for
 * the node to serve under /dash/. Part of `npm run build`, like the contract bindings: the output
 * is git-ignored and rebuilt by every build, so it is never stale against the sources.
 */
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const out = join(root, "dash/dist");
mkdirSync(out, { recursive: true });
const common = {
  bundle: true,
  format: "iife",
  platform: "browser",
  target: "es2022",
  jsx: "automatic",
  jsxImportSource: "preact",
  minify: true,
  sourcemap: false,
  legalComments: "none",
  logLevel: "warning",
} as const;
await build({ ...common, entryPoints: [join(root, "dash/src/app.tsx")], outfile: join(out, "app.js") });
// The proof re-check's worker (bb.js' WASM verifier) is its own file: the page loads it only when asked to re-verify.
await build({ ...common, entryPoints: [join(root, "dash/src/verify-worker.ts")], outfile: join(out, "verify-worker.js") });
// bb.js' browser build carries its single-threaded WASM as a gzip data URL in a module; the worker
// fetches it from the node as a file instead (and patches it in the browser: see verify-worker.ts).
const wasmModule = readFileSync(join(root, "node_modules/@aztec/bb.js/dest/browser/barretenberg_wasm/fetch_code/browser/barretenberg.js"), "utf8");
const dataUrl = /"data:application\/gzip;base64,([A-Za-z0-9+/=]+)"/.exec(wasmModule);
if (!dataUrl) throw new Error("bb.js' browser WASM module has no gzip data URL any more (bb.js version changed?): update scripts/build-dash.ts");
mkdirSync(join(out, "bb"), { recursive: true });
writeFileSync(join(out, "bb/barretenberg.wasm.gz"), Buffer.from(dataUrl[1], "base64"));
for (const f of ["index.html", "app.css"]) copyFileSync(join(root, "dash", f), join(out, f));
