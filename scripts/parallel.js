// Runs shell commands side by side, at most one per CPU, and exits non-zero when any fails. The
// test command's checks (two typechecks, ESLint, Prettier, solhint) are single-threaded: one after
// the other they leave a core of a 2-core machine idle for about a minute. Each command's output
// is held and printed whole when it ends, so the logs do not interleave. Start the longest first.
//
//   node scripts/parallel.js "eslint ." "tsc --noEmit -p tsconfig.json" …
import { spawn } from "node:child_process";
import { Buffer } from "node:buffer";
import { availableParallelism } from "node:os";
import process from "node:process";

const commands = process.argv.slice(2);
if (commands.length === 0) {
  process.stderr.write('usage: node scripts/parallel.js "<command>" ["<command>" …]\n');
  process.exit(2);
}
const lanes = Math.max(1, Math.min(commands.length, Number(process.env.CM_CHECK_JOBS) || availableParallelism()));

function run(command) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const out = [];
    const child = spawn(command, { shell: true, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (b) => out.push(b));
    child.stderr.on("data", (b) => out.push(b));
    child.on("error", (e) => out.push(Buffer.from(`${e.message}\n`)));
    child.on("close", (code, signal) => {
      const ok = code === 0;
      const secs = ((Date.now() - t0) / 1000).toFixed(1);
      process.stdout.write(`> ${command}\n${Buffer.concat(out).toString()}${ok ? "ok" : `FAILED (${signal ?? `exit ${code}`})`} in ${secs} s\n\n`);
      resolve(ok);
    });
  });
}

let next = 0;
const results = await Promise.all(
  Array.from({ length: lanes }, async () => {
    const oks = [];
    while (next < commands.length) oks.push(await run(commands[next++]));
    return oks.every(Boolean);
  }),
);
process.exit(results.every(Boolean) ? 0 : 1);
