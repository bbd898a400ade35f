/**
 * Secure aggregation cost: n parties each summing a vector of field elements, no drop-outs and
 * with 20 % of parties dropping after sharing keys (the server then rebuilds their mask keys and
 * every survivor's pairwise mask with them). Per-party time is the mean over parties of all four
 * phases; server time is every server step including reconstruction. Times are CPU time.
 * Run: npx tsx bench/secagg.ts
 */
import { pathToFileURL } from "node:url";
import { Wallet } from "ethers";
import { SecAggParty, SecAggServer } from "../node/src/crypto/secagg/index.js";
import { P, randomElements } from "../node/src/crypto/secagg/field.js";

export interface SecAggRow {
  parties: number;
  threshold: number;
  length: number;
  dropped: number;
  partyMs: number;
  serverMs: number;
  plainSumMs: number;
  /** (mean party time + server time) / plain sum time. */
  overhead: number;
}

/** CPU milliseconds, so other load on a shared machine does not inflate the figures. */
function time<T>(f: () => T): [T, number] {
  const c = process.cpuUsage();
  const r = f();
  const d = process.cpuUsage(c);
  return [r, (d.user + d.system) / 1000];
}

export function runSecAggCase(n: number, length: number, dropFraction = 0): SecAggRow {
  const threshold = Math.floor(n / 2) + 1;
  const params = { taskId: 1, round: 1, threshold, vectorLength: length };
  const addrs = Array.from({ length: n }, () => Wallet.createRandom().address.toLowerCase());
  const inputs = addrs.map(() => randomElements(length));
  const partyMs = new Array<number>(n).fill(0);
  let serverMs = 0;
  const server = new SecAggServer(params);
  const parties = addrs.map((a, i) => {
    const [p, ms] = time(() => new SecAggParty(params, a));
    partyMs[i] += ms;
    return p;
  });
  parties.forEach((p, i) => {
    const [m, ms] = time(() => p.advertise());
    partyMs[i] += ms;
    serverMs += time(() => server.addKeys(m))[1];
  });
  const [roster, ms1] = time(() => server.closeKeys());
  serverMs += ms1;
  parties.forEach((p, i) => {
    const [m, ms] = time(() => p.shareKeys(roster));
    partyMs[i] += ms;
    serverMs += time(() => server.addShares(m))[1];
  });
  const [set, ms2] = time(() => server.closeShares());
  serverMs += ms2;
  const dropped = Math.floor(n * dropFraction);
  const live = parties.slice(dropped);
  live.forEach((p) => {
    const i = parties.indexOf(p);
    const [m, ms] = time(() => p.maskedInput(set, inputs[i]));
    partyMs[i] += ms;
    serverMs += time(() => server.addMasked(m))[1];
  });
  const [req, ms3] = time(() => server.closeMasked());
  serverMs += ms3;
  live.forEach((p) => {
    const i = parties.indexOf(p);
    const [m, ms] = time(() => p.unmask(req));
    partyMs[i] += ms;
    serverMs += time(() => server.addUnmask(m))[1];
  });
  const [result, ms4] = time(() => server.finalize());
  serverMs += ms4;
  const [plain, plainSumMs] = time(() => {
    const s = new Array<bigint>(length).fill(0n);
    for (const x of inputs.slice(dropped)) for (let k = 0; k < length; k++) s[k] = (s[k] + x[k]) % P;
    return s;
  });
  if (result.sum.some((v, k) => v !== plain[k])) throw new Error("bench: secure sum differs from the plain sum");
  const meanParty = partyMs.slice(dropped).reduce((a, b) => a + b, 0) / live.length;
  return { parties: n, threshold, length, dropped, partyMs: meanParty, serverMs, plainSumMs, overhead: (meanParty + serverMs) / Math.max(plainSumMs, 1e-3) };
}

export function secaggBench(): SecAggRow[] {
  const rows: SecAggRow[] = [];
  for (const n of [3, 10, 50]) for (const len of [16, 1000]) rows.push(runSecAggCase(n, len));
  for (const n of [10, 50]) rows.push(runSecAggCase(n, 1000, 0.2));
  return rows;
}

export function formatSecAgg(rows: SecAggRow[]): string {
  const head = "| parties | t | values | dropped | per party (ms) | server (ms) | plain sum (ms) | overhead ×|\n|---|---|---|---|---|---|---|---|";
  return [
    head,
    ...rows.map(
      (r) =>
        `| ${r.parties} | ${r.threshold} | ${r.length} | ${r.dropped} | ${r.partyMs.toFixed(1)} | ${r.serverMs.toFixed(1)} | ${r.plainSumMs.toFixed(2)} | ${r.overhead.toFixed(0)} |`,
    ),
  ].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  runSecAggCase(3, 16); // warm-up
  console.log(formatSecAgg(secaggBench()));
}
