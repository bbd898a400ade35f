import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Wallet } from "ethers";
import { submitFederated, type RunningNode } from "../../node/src/index.js";
import { loadOrCreateX25519 } from "../../node/src/keys.js";
import type { PartyState } from "../../node/src/crypto/secagg/party.js";
import type { PaillierRequesterState } from "../../node/src/runtime/aggregation/paillier.js";
import { nodeHarness, wallets, type NodeHarness } from "../node/harness.js";
import { finalResult } from "../federated/network.js";

/** A secret the tests look for, by name, as bytes. */
export interface Secret {
  name: string;
  bytes: Uint8Array;
}

const hexBytes = (h: string) => {
  const s = h.replace(/^0x/, "");
  return new Uint8Array(Buffer.from(s.length % 2 ? "0" + s : s, "hex"));
};

/** The forms a secret could take in a response or a file: raw, hex (both cases), base64 and base64url. */
export function forms(s: Secret): { form: string; needle: Buffer }[] {
  const b = Buffer.from(s.bytes);
  return [
    { form: "raw", needle: b },
    { form: "hex", needle: Buffer.from(b.toString("hex")) },
    { form: "HEX", needle: Buffer.from(b.toString("hex").toUpperCase()) },
    { form: "base64", needle: Buffer.from(b.toString("base64").replace(/=+$/, "")) },
    { form: "base64url", needle: Buffer.from(b.toString("base64url")) },
  ];
}

/** Every (secret, form) found in `hay`. */
export function leaks(hay: Uint8Array, secrets: readonly Secret[]): string[] {
  const h = Buffer.from(hay);
  const found: string[] = [];
  for (const s of secrets) for (const f of forms(s)) if (h.includes(f.needle)) found.push(`${s.name} (${f.form})`);
  return found;
}

export async function walk(dir: string): Promise<{ path: string; dir: boolean }[]> {
  const out: { path: string; dir: boolean }[] = [{ path: dir, dir: true }];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push({ path: p, dir: false });
  }
  return out;
}

export interface SecurityNet {
  h: NodeHarness;
  ws: Wallet[];
  owners: RunningNode[];
  /** Requester (also an owner, so it holds both kinds of secrets). */
  R: RunningNode;
  secaggTask: number;
  paillierTask: number;
  /** Secrets of each node, by node name. */
  secrets: Map<string, Secret[]>;
  /** Known bytes planted into o0's store (round state, secrets table) and local blob store. */
  planted: Secret[];
}

/**
 * Three owners and a requester over the coordinator; a secure-aggregation stats task and a
 * Paillier stats task run to the end, then every secret each node holds is collected: round
 * keys, secure-aggregation state (share key, mask key, self-mask seed, held shares), the long-term
 * X25519 key, salt seeds, the requester's Paillier secret key, and bytes planted on purpose.
 */
export async function securityNet(): Promise<SecurityNet> {
  process.umask(0o022);
  const h = await nodeHarness();
  const ws = wallets(5);
  const owners: RunningNode[] = [];
  for (let i = 0; i < 3; i++) {
    const path = await h.file(`o${i}.csv`, "a,b\n" + Array.from({ length: 5 + i }, (_, r) => `${r + i},${2 * r - i}`).join("\n") + "\n");
    owners.push(await h.node(`o${i}`, ws[i], { datasets: [{ name: "d", path, format: "csv" }], admins: [ws[4].address] }));
  }
  const R = await h.node("R", ws[3], { roles: ["Requester", "Owner"] });
  const base = {
    kind: "stats",
    datasets: ws.slice(0, 3).map((w) => ({ owner: w.address, datasetId: "d" })),
    params: { columns: ["a", "b"] },
    members: { min: 3, max: 3, threshold: 2 },
  };
  const secaggTask = (await submitFederated(R, { ...base, aggregation: "secagg" } as never)).taskId;
  await finalResult(R, secaggTask, 1);
  const paillierTask = (await submitFederated(R, { ...base, aggregation: "paillier" } as never, { paillierBits: 1024 })).taskId;
  await finalResult(R, paillierTask, 1);

  const secrets = new Map<string, Secret[]>();
  for (const n of [...owners, R]) {
    const list: Secret[] = [];
    const longTerm = loadOrCreateX25519(n.config.x25519KeyFile, n.vault);
    list.push({ name: `${n.config.name} long-term x25519`, bytes: longTerm.secretKey });
    for (const t of [secaggTask, paillierTask]) {
      const rk = n.store.secret(`roundkey:${t}:1`);
      if (rk) list.push({ name: `${n.config.name} round key of task ${t}`, bytes: hexBytes(rk) });
    }
    const st = n.store.getRound(secaggTask, 1, "member")?.kindState as { secagg?: PartyState } | undefined;
    if (st?.secagg) {
      const p = st.secagg;
      list.push({ name: `${n.config.name} secagg cSecret`, bytes: hexBytes(p.cSecret) });
      list.push({ name: `${n.config.name} secagg sSecret`, bytes: hexBytes(p.sSecret) });
      list.push({ name: `${n.config.name} secagg b`, bytes: hexBytes(p.b) });
      for (const [of, v] of Object.entries(p.held ?? {})) {
        list.push({ name: `${n.config.name} held b-share of ${of}`, bytes: hexBytes(v.b) });
        list.push({ name: `${n.config.name} held sk-share of ${of}`, bytes: hexBytes(v.sk) });
      }
    }
    for (const row of n.store.listDatasets()) list.push({ name: `${n.config.name} salt seed of ${row.name}@${row.version}`, bytes: await n.datasets.saltSeed(row) });
    secrets.set(n.config.name, list);
  }
  // The requester's Paillier secret key (p and q) from its local blob store.
  const seed = JSON.parse(R.store.secret(`requester-seed:${(await R.connector.getTask(paillierTask))!.specHash.toLowerCase()}`)!) as PaillierRequesterState;
  const sk = JSON.parse(new TextDecoder().decode(await R.localBlobs.get(seed.paillierKey!))) as { p: string; q: string };
  secrets.get("R")!.push({ name: "R paillier p", bytes: hexBytes(sk.p) }, { name: "R paillier q", bytes: hexBytes(sk.q) });

  // Planted: known bytes in a round's kind state, the secrets table and the local blob store of o0.
  const o0 = owners[0];
  const planted: Secret[] = [
    { name: "planted kind state", bytes: new Uint8Array(32).fill(0xa7) },
    { name: "planted secret", bytes: new Uint8Array(32).fill(0x5c) },
    { name: "planted blob", bytes: new TextEncoder().encode("PLANTED-SECRET-BLOB-0123456789abcdef") },
  ];
  const cur = o0.store.getRound(secaggTask, 1, "member")!;
  o0.store.putRound({ ...cur, kindState: { ...(cur.kindState as object), planted: Buffer.from(planted[0].bytes).toString("hex") } });
  o0.store.putSecret("planted", "0x" + Buffer.from(planted[1].bytes).toString("hex"));
  await o0.localBlobs.put(planted[2].bytes);
  secrets.get("o0")!.push(...planted);
  return { h, ws, owners, R, secaggTask, paillierTask, secrets, planted };
}
