import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Vault } from "../../node/src/secrets/vault.js";
import { NodeStore } from "../../node/src/store/store.js";
import { SealedBlobStore } from "../../node/src/secrets/blobs.js";
import { LocalBlobStore } from "../../chain-connector/src/blobstore.js";
import { leaks, securityNet, walk, type SecurityNet } from "./fixture.js";

/**
 * The data folders of nodes that ran a secure-aggregation round and a Paillier task (umask 022):
 * no file, the SQLite file with its -wal and -shm included, holds any secret in plain, hex or
 * base64; files are 0600 and folders 0700.
 */
describe("node data at rest", () => {
  let net: SecurityNet;

  before(async () => {
    net = await securityNet();
  });
  after(async () => {
    await net?.h.stop();
  });

  test("no secret in any file of any node's data folder, while running and after stopping; modes 0600/0700", { timeout: 120_000 }, async () => {
    const nodes = [...net.owners, net.R];
    const all = [...net.secrets.values()].flat();
    assert.ok(all.length > 30, `secrets collected: ${all.length}`);
    for (const phase of ["running", "stopped"]) {
      if (phase === "stopped") for (const n of nodes) await n.stop();
      for (const n of nodes) {
        const entries = await walk(n.config.dataDir);
        const files = entries.filter((e) => !e.dir).map((e) => e.path);
        const hasSalts = n !== net.R;
        assert.ok(
          files.some((f) => f.endsWith("node.sqlite")) && files.some((f) => f.includes("/blobs/")) && (!hasSalts || files.some((f) => f.includes("/salts/"))),
          `${n.config.name}: ${files.join(", ")}`,
        );
        for (const f of files) assert.deepEqual(leaks(await readFile(f), all), [], `${phase}: ${f}`);
        for (const e of entries) {
          const mode = (await stat(e.path)).mode & 0o777;
          assert.equal(mode.toString(8), e.dir ? "700" : "600", `${phase}: mode of ${e.path}`);
        }
      }
    }
  });

  test("the x25519 key file is sealed too, and opens only with the node's vault", async () => {
    const o0 = net.owners[0];
    const raw = await readFile(o0.config.x25519KeyFile);
    assert.ok(Vault.isSealed(raw));
    const longTerm = net.secrets.get("o0")!.find((s) => s.name.includes("long-term"))!;
    assert.deepEqual(leaks(raw, [longTerm]), []);
  });
});

describe("vault", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cm-vault-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("a sealed value opens only under its own label and key; a wrong password or key file is named at start", async () => {
    const a = Vault.open({ dataDir: join(dir, "a"), keyFile: join(dir, "a", "vault.key") });
    const sealed = a.seal(new TextEncoder().encode("secret"), "rounds.kind_state:1:1:member");
    assert.equal(new TextDecoder().decode(a.open(sealed, "rounds.kind_state:1:1:member")), "secret");
    assert.throws(() => a.open(sealed, "rounds.kind_state:2:1:member"), /does not open with this node's data key/);
    assert.throws(() => Vault.ephemeral().open(sealed, "rounds.kind_state:1:1:member"), /does not open/);
    const again = Vault.open({ dataDir: join(dir, "a"), keyFile: join(dir, "a", "vault.key") });
    assert.equal(new TextDecoder().decode(again.open(sealed, "rounds.kind_state:1:1:member")), "secret");
    await writeFile(join(dir, "a", "vault.key"), new Uint8Array(32).fill(1));
    assert.throws(() => Vault.open({ dataDir: join(dir, "a"), keyFile: join(dir, "a", "vault.key") }), /does not open the secrets/);
    assert.throws(() => Vault.open({ dataDir: join(dir, "a"), keyFile: join(dir, "a", "vault.key"), password: "pw" }), /sealed under the key file/);

    const p = Vault.open({ dataDir: join(dir, "p"), keyFile: join(dir, "p", "vault.key"), password: "correct horse" });
    const s2 = p.sealText("x", "l");
    assert.equal(Vault.open({ dataDir: join(dir, "p"), keyFile: join(dir, "p", "vault.key"), password: "correct horse" }).openText(s2, "l"), "x");
    assert.throws(() => Vault.open({ dataDir: join(dir, "p"), keyFile: join(dir, "p", "vault.key"), password: "wrong" }), /CM_NODE_KEYSTORE_PASSWORD does not open/);
    assert.throws(() => Vault.open({ dataDir: join(dir, "p"), keyFile: join(dir, "p", "vault.key") }), /sealed under a keystore password/);
    assert.equal((await stat(join(dir, "p", "vault.json"))).mode & 0o777, 0o600);
  });

  test("a store written in plain by an older build is sealed on open", () => {
    const file = join(dir, "old.sqlite");
    const v = Vault.ephemeral();
    const s = new NodeStore(file, v);
    s.db.exec(`UPDATE meta SET value = '0' WHERE key = 'sealed'`);
    s.db
      .prepare(`INSERT INTO rounds(task_id, round, side, phase, status, updated_at, kind_state) VALUES(1, 1, 'member', 1, 'joined', 0, ?)`)
      .run(JSON.stringify({ k: "PLAINSECRET" }));
    s.db.prepare(`INSERT INTO meta(key, value) VALUES('requester-seed:0xab', '{"paillierKey":"0x12"}')`).run();
    s.close();
    const t = new NodeStore(file, v);
    assert.deepEqual(t.getRound(1, 1, "member")!.kindState, { k: "PLAINSECRET" });
    assert.equal(t.secret("requester-seed:0xab"), '{"paillierKey":"0x12"}');
    const raw = (t.db.prepare(`SELECT kind_state FROM rounds`).get() as { kind_state: string }).kind_state;
    assert.ok(Vault.isSealedText(raw) && !raw.includes("PLAINSECRET"));
    assert.equal(t.meta("requester-seed:0xab"), undefined);
    t.close();
  });

  test("the local blob store seals what it keeps; a plain blob of an older build is sealed when read", async () => {
    const v = Vault.ephemeral();
    const plain = new TextEncoder().encode("OLD-PLAIN-BLOB-SECRET");
    const hash = await new LocalBlobStore(join(dir, "blobs")).put(plain);
    const file = join(dir, "blobs", hash.slice(2, 4), hash.slice(2));
    const store = new SealedBlobStore(join(dir, "blobs"), v);
    assert.deepEqual(await store.get(hash), plain);
    const after = await readFile(file);
    assert.ok(Vault.isSealed(after) && !after.includes(Buffer.from(plain)));
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.deepEqual(await store.get(hash), plain);
    await assert.rejects(new SealedBlobStore(join(dir, "blobs"), Vault.ephemeral()).get(hash), /does not open/);
  });
});
