import { after, test } from "node:test";
import assert from "node:assert/strict";
import { commitChunks } from "../../protocol/src/honk/chunks.js";
import { extrema, extremaChainError, kmeansVector, linregVector, logregVector, statsVector } from "../../protocol/src/honk/stats.js";
import { verifyHonk } from "../../chain-connector/src/honkverify.js";
import { honkCircuit, honkGroups, opensHonk, proveHonkAll, type HonkContribution, type HonkKind } from "../../node/src/zk/honk-contributions.js";
import { closePool } from "../../node/src/runtime/pool.js";

// Every group of a chunked dataset proven with UltraHonk on the worker pool, per kind; each proof
// verifies off-chain with the outputs the JS twins computed; the members' commitments add up and
// open to the aggregate (negative values included), and a vector other than the proven one does
// not. Small datasets (≤ 300 rows) keep this to a handful of proofs.
const C = 4;
const FX = 65536n;
const signedRows = (n: number, salt: number) =>
  Array.from({ length: n }, (_, i) => Array.from({ length: C }, (_, j) => BigInt(((i * 37 + j * 11 + salt) % 41) - 20) * FX + BigInt(j - i)));
const a = commitChunks(signedRows(300, 1), 256, C, new Uint8Array(32).fill(1));
const b = commitChunks(signedRows(90, 5), 256, C, new Uint8Array(32).fill(2));
const binding = (member: number) => (outputs: bigint[]) => (BigInt(member) << 200n) + (outputs[0] % (1n << 200n));

after(() => closePool());

async function checkProofs(kind: HonkKind, c: HonkContribution, member: number, columns = C): Promise<void> {
  for (const g of c.groups) {
    assert.equal(g.circuit, honkCircuit(kind, columns));
    assert.equal(await verifyHonk(g.circuit, g), true, `${kind} group ${g.group} verifies`);
    assert.equal(g.publicInputs[2], binding(member)(g.outputs), "the binding is the function of the outputs");
  }
}

test("stats: two members, every group proven; Σ commitments open to the aggregate, a changed sum does not", async () => {
  assert.equal(honkGroups("stats", a), 1);
  const [ca, cb] = [await proveHonkAll({ kind: "stats", ds: a, binding: binding(1) }), await proveHonkAll({ kind: "stats", ds: b, binding: binding(2) })];
  await checkProofs("stats", ca, 1);
  await checkProofs("stats", cb, 2);
  assert.deepEqual(ca.vector, statsVector(a.chunks.flat(), C));
  assert.ok(
    ca.vector.slice(1, 1 + C).some((x) => x < 0n),
    "the data has negative sums",
  );
  const commitments = [...ca.groups, ...cb.groups].map((g) => ({ x: g.outputs[0], y: g.outputs[1] }));
  const sum = ca.vector.map((x, i) => x + cb.vector[i]);
  const r = ca.blinding! + cb.blinding!;
  assert.equal(opensHonk("stats", C, commitments, sum, r), true);
  const forged = sum.slice();
  forged[1] -= 1n;
  assert.equal(opensHonk("stats", C, commitments, forged, r), false, "a member that sends another vector than it proved is caught");
  assert.equal(opensHonk("stats", C, commitments.slice(1), sum, r), false);
});

test("minmax: chained over the groups, the last output commits to the member's extrema over every row", async () => {
  const d = commitChunks(signedRows(700, 3), 256, C, new Uint8Array(32).fill(3));
  const c = await proveHonkAll({ kind: "minmax", ds: d, binding: binding(1) });
  assert.equal(c.groups.length, 2);
  await checkProofs("minmax", c, 1);
  const { mins, maxs } = extrema(d.chunks.flat(), C);
  assert.deepEqual(c.vector, [...mins, ...maxs]);
  assert.deepEqual([c.extrema!.mins, c.extrema!.maxs], [mins, maxs]);
  const links = c.groups.map((g) => ({ group: g.publicInputs[1], prev: g.publicInputs[4], extrema: g.outputs[0] }));
  assert.equal(extremaChainError(links, c.extrema!, 4), undefined);
  assert.equal(links[1].prev, links[0].extrema, "group 1 starts from group 0's output");
  assert.match(extremaChainError(links, { ...c.extrema!, mins: [mins[0] - 1n, ...mins.slice(1)] }, 4) ?? "", /does not open the last/);
});

test("kmeans, linreg, logreg: each group verifies and its commitment opens to the twin's vector", async () => {
  const centroids = [
    [-10n, -10n, 0n, 0n],
    [10n, 10n, 0n, 0n],
    [0n, 5n, 5n, -5n],
    [3n, -3n, 3n, -3n],
  ].map((r) => r.map((x) => x * FX));
  const weights = [FX / 2n, -FX / 4n, FX / 8n, 3n * FX];
  const cases: [HonkKind, bigint[]][] = [
    ["kmeans", kmeansVector(b.chunks.flat(), centroids, C)],
    ["linreg", linregVector(b.chunks.flat(), weights)],
    ["logreg", logregVector(b.chunks.flat(), weights)],
  ];
  for (const [kind, twin] of cases) {
    const c = await proveHonkAll({ kind, ds: b, binding: binding(2), params: { centroids, weights } });
    await checkProofs(kind, c, 2);
    assert.deepEqual(c.vector, twin, kind);
    assert.equal(opensHonk(kind as "kmeans", C, [c.commitment!], c.vector, c.blinding!), true, kind);
  }
  await assert.rejects(proveHonkAll({ kind: "kmeans", ds: b, binding: 1n, params: { centroids: centroids.slice(1) } }), /params.centroids must be 4 centroids/);
});

test("6 columns: two members proven by stats_chunk_w16 (64-row chunks); Σ commitments open to the compact aggregate", async () => {
  const six = (n: number, salt: number) => signedRows(n, salt).map((r, i) => [...r, BigInt((i % 7) - 3) * FX, BigInt(i) * FX]);
  const [d1, d2] = [commitChunks(six(150, 3), 64, 6, new Uint8Array(32).fill(4), 16), commitChunks(six(40, 8), 64, 6, new Uint8Array(32).fill(5), 16)];
  assert.equal(honkGroups("stats", d1), 2);
  const [c1, c2] = [await proveHonkAll({ kind: "stats", ds: d1, binding: binding(1) }), await proveHonkAll({ kind: "stats", ds: d2, binding: binding(2) })];
  await checkProofs("stats", c1, 1, 6);
  assert.deepEqual(c1.vector, statsVector(d1.chunks.flat(), 6));
  assert.equal(c1.vector.length, 13, "compact: count, 6 sums, 6 sums of squares");
  const commitments = [...c1.groups, ...c2.groups].map((g) => ({ x: g.outputs[0], y: g.outputs[1] }));
  const sum = c1.vector.map((x, i) => x + c2.vector[i]);
  assert.equal(opensHonk("stats", 6, commitments, sum, c1.blinding! + c2.blinding!), true);
  const forged = sum.slice();
  forged[12] += 1n;
  assert.equal(opensHonk("stats", 6, commitments, forged, c1.blinding! + c2.blinding!), false);
});

test("a dataset committed in other chunks is refused with the circuit's shape; more than 16 columns are refused", () => {
  const small = commitChunks(signedRows(10, 0), 8, C, new Uint8Array(32));
  assert.throws(() => honkGroups("stats", small), /chunks of 8 rows × 4 slots; the circuit proves chunks of 256 × 4/);
  assert.throws(() => honkCircuit("stats", 17), /1\.\.16 columns \(it has 17\)/);
});
