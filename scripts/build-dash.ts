/**
 * Bundles the dashboard (dash/src → dash/dist/app.js, with index.html and app.css beside it) for
 * the node to serve under /dash/. Part of `npm run build`, like the contract bindings: the output
 * is git-ignored and rebuilt by every build, so it is never stale against the sources.
 */
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const out = join(root, "dash/dist");
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(root, "dash/src/app.tsx")],
  bundle: true,
  format: "iife",
  platform: "browser",
  target: "es2022",
  jsx: "automatic",
  jsxImportSource: "preact",
  minify: true,
  sourcemap: false,
  legalComments: "none",
  outfile: join(out, "app.js"),
  logLevel: "warning",
});
for (const f of ["index.html", "app.css"]) copyFileSync(join(root, "dash", f), join(out, f));
