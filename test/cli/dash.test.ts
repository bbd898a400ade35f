import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const CM = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "scripts", "cm");

function cm(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(CM, args, { timeout: 120_000 }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number | string }).code ?? 99) : 0, stdout, stderr })),
  );
}

test("cm dash names the node's dashboard URL and the key file that unlocks it, never the key", { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "cm-dash-"));
  try {
    const key = "0x" + "11".repeat(32);
    writeFileSync(join(dir, "requester.key"), key, { mode: 0o600 });
    const profile = {
      version: 1,
      connectorUrl: "http://127.0.0.1:1",
      requester: "requester",
      nodes: {
        requester: { url: "http://127.0.0.1:8801/", address: "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A", roles: ["Requester"], keyFile: "requester.key" },
        owner1: { url: "http://127.0.0.1:8802", address: "0x1563915e194D8CfBA1943570603F7606A3115508", roles: ["Owner"], keyFile: "requester.key" },
      },
    };
    writeFileSync(join(dir, "profile.json"), JSON.stringify(profile), { mode: 0o600 });
    const r = await cm(["--profile", join(dir, "profile.json"), "--json", "dash"]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { url: string; key: string; node: string };
    assert.equal(j.url, "http://127.0.0.1:8801/dash/");
    assert.equal(j.node, "requester");
    assert.equal(j.key, join(dir, "requester.key"));
    assert.ok(!r.stdout.includes(key.slice(2)), "the key itself is not printed");
    const o = await cm(["--profile", join(dir, "profile.json"), "--json", "dash", "--node", "owner1"]);
    assert.equal((JSON.parse(o.stdout) as { url: string }).url, "http://127.0.0.1:8802/dash/");
    const bad = await cm(["--profile", join(dir, "profile.json"), "dash", "--node", "nobody"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /no node named "nobody".*nodes: requester, owner1/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("cm up --detach prints the requester's dashboard URL, and the node serves the dashboard there", { timeout: 240_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "cm-dash-up-"));
  try {
    const r = await cm(["--dir", dir, "up", "--nodes", "1", "--workers", "0", "--detach", "--json"]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const out = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { dashboard: string; nodes: Record<string, { url: string }> };
    assert.equal(out.dashboard, `${out.nodes.requester.url.replace(/\/+$/, "")}/dash/`);
    const page = await fetch(out.dashboard);
    assert.equal(page.status, 200, "the bundle is built by `npm run build` (the test command runs it first)");
    assert.match(await page.text(), /<script src="app.js">/);
    const d = await cm(["--dir", dir, "--json", "dash"]);
    assert.equal((JSON.parse(d.stdout) as { url: string }).url, out.dashboard);
  } finally {
    const down = await cm(["--dir", dir, "down", "--wipe", "--json"]);
    assert.equal(down.code, 0, down.stderr);
    rmSync(dir, { recursive: true, force: true });
  }
});
