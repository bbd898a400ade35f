import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteNonceStore } from "../../protocol/src/nonces.js";
import { MAX_CLOCK_SKEW_MS } from "../../protocol/src/signing.js";

test("security: the persistent nonce store remembers across reopen and forgets after the window", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cm-nonces-"));
  try {
    const file = join(dir, "n.sqlite");
    let now = 1_000_000;
    let s = new SqliteNonceStore(file, () => now);
    assert.equal(s.seen("0xAbC", "n1", now), false);
    assert.equal(s.seen("0xabc", "n1", now), true, "the address is compared case-insensitively");
    assert.equal(s.seen("0xabc", "n2", now), false);
    s.close();
    s = new SqliteNonceStore(file, () => now);
    assert.equal(s.seen("0xabc", "n1", now), true, "a reopened store still refuses the nonce");
    // Past the request's window the timestamp check refuses the request anyway: the nonce may go.
    now += MAX_CLOCK_SKEW_MS + 10_001;
    for (let i = 0; i < 1000; i++) s.seen("0xdef", `fill-${i}`, now);
    assert.equal(s.size(), 1000, "old nonces were pruned, new ones kept");
    s.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
