import { test, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { VLINREG_DEFAULT_MAX_ITERATIONS, VLINREG_DEFAULT_TOLERANCE, vlinregParams } from "../../protocol/src/tasks/vlinreg/index.js";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import {
  runVertical,
  TableStore,
  standardize,
  openSealedTable,
  pairSecret,
  sealSecretFromHex,
  readSealKey,
  readCiphertexts,
  certificateRound,
  checkVerticalCertificate,
  verticalCertificateProblem,
  vlinregCertBinding,
  VLINREG_CERT_TOLERANCE,
  type VerticalCertificate,
  type FeatureInput,
  type KeyHolder,
  type TablePayload,
  type VerticalResult,
  type VerticalInput,
} from "../../node/src/vertical/index.js";
import { generatePaillierKeyPair, type PaillierKeyPair } from "../../node/src/crypto/paillier.js";
import { synthetic, shuffled } from "./data.js";
import { fingerprints, transcriptLeaks } from "./leaks.js";

// ml-regression ships no types; only its multivariate least squares is used.
const { MultivariateLinearRegression } = createRequire(import.meta.url)("ml-regression") as {
  MultivariateLinearRegression: new (x: number[][], y: number[][]) => { weights: number[][] };
};

// Tests use 1,024-bit keys for speed (the default is 2,048); made once and shared.
const keys: Record<string, PaillierKeyPair> = {};
before(async () => {
  for (const name of ["y", "x1", "x2", "x3", "x4"]) keys[name] = await generatePaillierKeyPair(1024, { blum: true }); // Blum primes: parties certify their keys (Π^mod)
});

function ols(cols: number[][], y: number[]): { coef: number[]; intercept: number } {
  const x = y.map((_, r) => cols.map((c) => c[r]));
  const w = new MultivariateLinearRegression(
    x,
    y.map((v) => [v]),
  ).weights.map((row) => row[0]);
  return { coef: w.slice(0, cols.length), intercept: w[cols.length] };
}

function leaks(store: TableStore, rows: number, prints: Map<string, string[]>): string[] {
  return transcriptLeaks({ rows, prints, deliveries: store.transcript, events: store.events, payload: (d) => new TextDecoder().decode(store.bytes(d.table)) });
}

for (const keyHolder of ["label", "features"] as const) {
  test(`synthetic y = 31·x1 − 5.5·x2 + 2 + noise, three parties, keyHolder ${keyHolder}: coefficients within 1 % of truth and equal to least squares`, async () => {
    const d = synthetic(400);
    const a = shuffled(d.ids, [d.x1], 5);
    const b = shuffled(d.ids, [d.x2], 9);
    const r = await runVertical(
      {
        label: { ids: d.ids, y: d.y },
        features: [
          { name: "x1", ids: a.ids, columns: { x1: a.cols[0] } },
          { name: "x2", ids: b.ids, columns: { x2: b.cols[0] } },
        ],
      },
      { keys, iterations: 150, keyHolder },
    );
    assert.ok(Math.abs(r.coefficients.x1 - 31) / 31 < 0.01, `x1 coefficient ${r.coefficients.x1}`);
    assert.ok(Math.abs(r.coefficients.x2 + 5.5) / 5.5 < 0.01, `x2 coefficient ${r.coefficients.x2}`);
    const ref = ols([d.x1, d.x2], d.y);
    assert.ok(Math.abs(r.coefficients.x1 - ref.coef[0]) < 1e-4, `x1 ${r.coefficients.x1} vs least squares ${ref.coef[0]}`);
    assert.ok(Math.abs(r.coefficients.x2 - ref.coef[1]) < 1e-4, `x2 ${r.coefficients.x2} vs least squares ${ref.coef[1]}`);
    assert.ok(Math.abs(r.intercept - ref.intercept) < 1e-3, `intercept ${r.intercept} vs least squares ${ref.intercept}`);
    const prints = fingerprints({ y: [d.y], x1: [d.x1], x2: [d.x2] });
    assert.deepEqual(leaks(r.store, 400, prints), []);
    // Each party's reads, from the transcript: only ids, keys, ciphertexts under others' keys, its own gradient, and (y) the model.
    const readBy = (p: string) => [...new Set(r.store.transcript.filter((t) => t.reader === p).map((t) => t.table.replace(/\/\d+\//, "/t/")))].sort();
    if (keyHolder === "features") {
      assert.deepEqual(readBy("x1"), ["enc-x/x2", "grad/t/x1", "ids/x1", "ids/x2", "ids/y", "pk/x2"]);
      assert.deepEqual(readBy("y"), ["enc-x/x1", "enc-x/x2", "ids/x1", "ids/x2", "ids/y", "model/x1", "model/x2", "pk/x1", "pk/x2", "term/t/x1->x2", "term/t/x2->x1"]);
      assert.deepEqual(r.store.events, []);
    } else {
      assert.deepEqual(readBy("x1"), ["enc-x/x2", "enc-y/y", "grad/t/x1", "ids/x1", "ids/x2", "ids/y", "pk/y", "xk/x2", "xk/y"]);
      assert.deepEqual(readBy("y"), ["ids/x1", "ids/x2", "ids/y", "lterm/t/x1", "lterm/t/x2", "model/x1", "model/x2", "term/t/x1->x2", "term/t/x2->x1", "xk/x1", "xk/x2"]);
      // y decrypted exactly one masked product per feature party and iteration, nothing else.
      const dec = r.store.events.filter((e) => e.kind === "decrypted");
      assert.equal(dec.length, 2 * 150);
      assert.deepEqual(dec[0].kind === "decrypted" && dec[0].tables, ["lterm/0/x1", "term/0/x2->x1"]);
      // Sealed tables: enc-x/j to the other feature party, grad/t/j to x_j; never to y.
      for (const t of r.store.transcript.filter((x) => x.type === "sealed")) {
        assert.deepEqual(t.to, [t.table.startsWith("enc-x/x1") ? "x2" : t.table.startsWith("enc-x/x2") ? "x1" : t.table.split("/")[2]], t.table);
      }
    }
  });
}

test("label mode: every value y can decrypt is masked (uniform mod N), and x_j's unmasking recovers its gradient", async () => {
  const d = synthetic(80, 7);
  const inputs: FeatureInput[] = [
    { name: "x1", ids: d.ids, columns: { x1: d.x1 } },
    { name: "x2", ids: d.ids, columns: { x2: d.x2 } },
  ];
  const iterations = 6;
  const r = await runVertical({ label: { ids: d.ids, y: d.y }, features: inputs }, { keys, iterations, keyHolder: "label" });
  const plainRun = await runVertical({ label: { ids: d.ids, y: d.y }, features: inputs }, { keys, iterations, keyHolder: "features" });
  // Same fixed-point run in both modes: the masks cancel exactly.
  assert.deepEqual(
    r.parties.features.map((f) => f.gradients),
    plainRun.parties.features.map((f) => f.gradients),
  );
  const ky = keys.y;
  const n = ky.pub.n;
  // A legitimately packed value (one 176-bit slot here) is < 2^176 in magnitude; a masked one is
  // near-uniform in (−N/2, N/2): below 2^(bits − 40) with probability 2^-39.
  const masked = (v: bigint) => {
    const c = v > n / 2n ? n - v : v;
    return c > 1n << BigInt(ky.pub.bits - 40);
  };
  // Every ciphertext y received and could decrypt with its key: terms and label terms.
  const received = r.store.names().filter((t) => /^(term|lterm)\//.test(t));
  assert.equal(received.length, iterations * 4);
  for (const t of received) {
    const cts = readCiphertexts(t, JSON.parse(new TextDecoder().decode(r.store.bytes(t))) as TablePayload, "y", 1, ky.pub.n2);
    assert.ok(masked(ky.decrypt(cts[0])), `${t} decrypts to an unmasked value`);
  }
  // What y decrypted and sent back: open grad/t/j with x_j's key (y cannot: sealed to x_j only).
  for (const f of r.parties.features) {
    const st = f.exportState();
    const shared = pairSecret(sealSecretFromHex(st.seal!.secret), readSealKey(r.store, "y", f.name));
    for (let t = 0; t < iterations; t++) {
      const name = `grad/${t}/${f.name}`;
      const outer = JSON.parse(new TextDecoder().decode(r.store.bytes(name))) as TablePayload;
      const { payload } = openSealedTable(name, outer, f.name, shared);
      assert.equal(payload.type, "masked");
      if (payload.type === "masked") for (const v of payload.values) assert.ok(masked(BigInt(v)), `${name}: y saw an unmasked value`);
      assert.throws(() => openSealedTable(name, outer, "x2" === f.name ? "x1" : "x2", shared), /sealed to/);
      assert.throws(() => openSealedTable(name, outer, f.name, new Uint8Array(32).fill(7)), /does not open/);
    }
  }
});

test("the transcript check catches a fiu-cloud style plaintext residual table, a sealed table read by another party, and an unmasked decryption", async () => {
  const d = synthetic(50, 3);
  const r = await runVertical(
    {
      label: { ids: d.ids, y: d.y },
      features: [
        { name: "x1", ids: d.ids, columns: { x1: d.x1 } },
        { name: "x2", ids: d.ids, columns: { x2: d.x2 } },
      ],
    },
    { keys, iterations: 2 },
  );
  const prints = fingerprints({ y: [d.y], x1: [d.x1], x2: [d.x2] });
  assert.deepEqual(leaks(r.store, 50, prints), []);
  r.store.write("gradient/0", "y", { type: "model", columns: ["residual"], coefOverSd: d.y.map((v) => v - 1), offset: 0 });
  r.store.read("gradient/0", "x1");
  r.store.write("leak/1", "x2", { type: "ids", ids: d.x2.map(String) });
  r.store.read("leak/1", "x1");
  // Label mode: a sealed table read by a party it is not addressed to, and y decrypting an unmasked product.
  r.store.read("grad/0/x1", "x2");
  r.store.note({ kind: "decrypted", reader: "y", key: "y", tables: ["term/0/x2->x1"], count: 1 });
  const found = leaks(r.store, 50, prints);
  assert.ok(
    found.some((f) => /per-row vector in gradient\/0/.test(f)),
    found.join("; "),
  );
  assert.ok(
    found.some((f) => /x1 received x2's value/.test(f)),
    found.join("; "),
  );
  assert.ok(
    found.some((f) => /x2 read grad\/0\/x1, sealed to x1/.test(f)),
    found.join("; "),
  );
  assert.ok(
    found.some((f) => /y decrypted term\/0\/x2->x1, not the protocol.s masked sum/.test(f)),
    found.join("; "),
  );
});

function cars() {
  // The package's exports map hides data/, so locate it next to the package entry point.
  const path = join(dirname(createRequire(import.meta.url).resolve("vega-datasets")), "..", "data", "cars.json");
  const all = JSON.parse(readFileSync(path, "utf8")) as Record<string, number | string | null>[];
  const cols = ["Cylinders", "Displacement", "Horsepower", "Weight_in_lbs"];
  const keep = all.map((r, i) => ({ r, id: `car-${i}` })).filter(({ r }) => [...cols, "Miles_per_Gallon"].every((c) => typeof r[c] === "number"));
  return { cols, ids: keep.map((k) => k.id), X: cols.map((c) => keep.map((k) => k.r[c] as number)), y: keep.map((k) => k.r.Miles_per_Gallon as number) };
}

function checkAgainstOls(r: VerticalResult, data: ReturnType<typeof cars>) {
  const ref = ols(data.X, data.y);
  data.cols.forEach((c, i) => {
    assert.ok(Math.abs(r.coefficients[c] - ref.coef[i]) < 1e-3, `${c}: ${r.coefficients[c]} vs least squares ${ref.coef[i]}`);
    // Tighter, scale-free: the difference in standardized units.
    const sd = standardize(data.X[i], c).sd / standardize(data.y, "y").sd;
    assert.ok(Math.abs(r.coefficients[c] - ref.coef[i]) * sd < 1e-4, `${c} in standardized units`);
  });
  assert.ok(Math.abs(r.intercept - ref.intercept) < 1e-3, `intercept ${r.intercept} vs ${ref.intercept}`);
}

test("cars (vega-datasets), MPG from 4 columns held by k = 2 feature parties: within 1e-3 of ml-regression", async () => {
  const data = cars();
  const [c0, c1, c2, c3] = data.X;
  const s = shuffled(data.ids, [c2, c3], 11);
  const r = await runVertical(
    {
      label: { ids: data.ids, y: data.y },
      features: [
        { name: "x1", ids: data.ids, columns: { Cylinders: c0, Displacement: c1 } },
        { name: "x2", ids: s.ids, columns: { Horsepower: s.cols[0], Weight_in_lbs: s.cols[1] } },
      ],
    },
    { keys, iterations: 200 },
  );
  checkAgainstOls(r, data);
});

test("cars with k = 4 feature parties (one column each): within 1e-3 of ml-regression", async () => {
  const data = cars();
  const r = await runVertical(
    {
      label: { ids: data.ids, y: data.y },
      features: data.cols.map((c, i) => {
        const s = shuffled(data.ids, [data.X[i]], 20 + i);
        return { name: `x${i + 1}`, ids: s.ids, columns: { [c]: s.cols[0] } };
      }),
    },
    { keys, iterations: 300 },
  );
  checkAgainstOls(r, data);
  assert.deepEqual(leaks(r.store, data.ids.length, fingerprints({ y: [data.y], ...Object.fromEntries(data.X.map((c, i) => [`x${i + 1}`, [c]])) })), []);
});

test("cars with the task's defaults (tolerance 1e-6 relative, at most 300 iterations): stops at the tolerance, within 1e-3 of ml-regression", async () => {
  const data = cars();
  const [c0, c1, c2, c3] = data.X;
  const r = await runVertical(
    {
      label: { ids: data.ids, y: data.y },
      features: [
        { name: "x1", ids: data.ids, columns: { Cylinders: c0, Displacement: c1 } },
        { name: "x2", ids: data.ids, columns: { Horsepower: c2, Weight_in_lbs: c3 } },
      ],
    },
    { keys, iterations: VLINREG_DEFAULT_MAX_ITERATIONS, tolerance: VLINREG_DEFAULT_TOLERANCE },
  );
  assert.equal(r.converged, true, `ran all ${r.iterations} iterations`);
  assert.ok(r.iterations < VLINREG_DEFAULT_MAX_ITERATIONS && r.iterations > 10, `stopped after ${r.iterations} iterations`);
  checkAgainstOls(r, data);
  // Each party said, every iteration, whether it settled: one bit each; the last bits are all true.
  const t = r.iterations - 1;
  for (const f of ["x1", "x2"]) assert.deepEqual(r.store.read(`conv/${t}/${f}`, "y"), { type: "progress", settled: true });
  assert.deepEqual(r.store.read("stop/y", "x1"), { type: "progress", settled: true });
  // Without a tolerance the same run goes on to its cap.
  const fixed = await runVertical(
    {
      label: { ids: data.ids, y: data.y },
      features: [
        { name: "x1", ids: data.ids, columns: { Cylinders: c0, Displacement: c1 } },
        { name: "x2", ids: data.ids, columns: { Horsepower: c2, Weight_in_lbs: c3 } },
      ],
    },
    { keys, iterations: r.iterations + 3 },
  );
  assert.equal(fixed.converged, false);
  assert.equal(fixed.iterations, r.iterations + 3);
});

test("alignment errors are reported before any key is used or anything encrypted", async () => {
  const d = synthetic(20, 4);
  const cases: [string, Parameters<typeof runVertical>[0], RegExp][] = [
    ["missing id", { label: { ids: d.ids, y: d.y }, features: [{ name: "x1", ids: [...d.ids.slice(1), "row-999"], columns: { x1: d.x1 } }] }, /id "row-0" of y is missing at x1/],
    ["duplicate id", { label: { ids: d.ids, y: d.y }, features: [{ name: "x1", ids: [...d.ids.slice(1), "row-3"], columns: { x1: d.x1 } }] }, /ids of x1: duplicate id "row-3"/],
    ["row count", { label: { ids: d.ids, y: d.y }, features: [{ name: "x1", ids: d.ids.slice(1), columns: { x1: d.x1.slice(1) } }] }, /x1 has 19 rows but y has 20/],
    ["ids vs data rows", { label: { ids: d.ids, y: d.y }, features: [{ name: "x1", ids: d.ids, columns: { x1: d.x1.slice(2) } }] }, /column x1 has 18 rows but there are 20 ids/],
  ];
  for (const [what, input, re] of cases) {
    const store = new TableStore();
    await assert.rejects(runVertical(input, { keys, store, iterations: 1 }), re, what);
    assert.deepEqual(
      store.names().filter((n) => !n.startsWith("ids/")),
      [],
      `${what}: nothing but ids may be written`,
    );
  }
  await assert.rejects(runVertical({ label: { ids: d.ids, y: d.y }, features: [{ name: "y", ids: d.ids, columns: { a: d.x1 } }] }, { keys }), /not "y"/);
  await assert.rejects(runVertical({ label: { ids: d.ids, y: d.y }, features: [{ name: "x1", ids: d.ids, columns: { a: d.x1 } }] }, { keys, learningRate: 5 }), /learningRate 5/);
});

test("certified keys: a party refuses a Paillier key published without its certificate, or with another party's, with the reason", async () => {
  const d = synthetic(20, 4);
  const input = (name: string) => ({
    label: { ids: d.ids, y: d.y },
    features: [
      { name, ids: d.ids, columns: { [name]: d.x1 } },
      { name: "x2", ids: d.ids, columns: { x2: d.x2 } },
    ],
  });
  // A store that lets the key's publisher drop or swap the certificate on its pk/ table.
  class Forging extends TableStore {
    constructor(private readonly forge: (t: TablePayload & { type: "paillier-pk" }, name: string) => TablePayload) {
      super();
    }
    override write(name: string, writer: string, payload: TablePayload): void {
      super.write(name, writer, payload.type === "paillier-pk" ? this.forge(payload, name) : payload);
    }
  }
  const strip = new Forging(({ cert: _drop, ...t }) => t);
  await assert.rejects(
    runVertical(input("x1"), { keys, store: strip, iterations: 1 }),
    /table pk\/y: the Paillier key comes without its certificate .*x1 refuses an uncertified key/,
  );
  // Features mode: x1's certificate presented for x2's key (bound to another party and modulus).
  let x1cert: string | undefined;
  const swap = new Forging((t, name) => {
    if (name === "pk/x1") x1cert = t.cert;
    return name === "pk/x2" ? { ...t, cert: x1cert } : t;
  });
  await assert.rejects(
    runVertical(input("x1"), { keys, store: swap, iterations: 1, keyHolder: "features" }),
    /table pk\/x2: the Paillier key is not certified, so .* refuses it: Π\^mod does not verify/,
  );
});

test("a single feature party holding every column (the label party relays only the label term)", async () => {
  const d = synthetic(120, 8);
  const r = await runVertical({ label: { ids: d.ids, y: d.y }, features: [{ name: "x1", ids: d.ids, columns: { x1: d.x1, x2: d.x2 } }] }, { keys, iterations: 40 });
  const ref = ols([d.x1, d.x2], d.y);
  assert.ok(Math.abs(r.coefficients.x1 - ref.coef[0]) < 1e-6 && Math.abs(r.coefficients.x2 - ref.coef[1]) < 1e-6, JSON.stringify(r.coefficients));
  assert.ok(Math.abs(r.intercept - ref.intercept) < 1e-5);
});

for (const keyHolder of ["label", "features"] as KeyHolder[]) {
  test(`parties resume from exported state mid-training and end exactly where an uninterrupted run ends (keyHolder ${keyHolder})`, async () => {
    const { FeatureParty, LabelParty } = await import("../../node/src/vertical/index.js");
    const d = synthetic(60, 12);
    const inputs: FeatureInput[] = [
      { name: "x1", ids: d.ids, columns: { x1: d.x1 } },
      { name: "x2", ids: d.ids, columns: { x2: d.x2 } },
    ];
    const names = ["y", "x1", "x2"];
    const shape = inputs.map((f) => ({ name: f.name, columns: 1 }));
    const step = { learningRate: 0.5, momentum: 0.8 };
    const store = new TableStore();
    let label = new LabelParty(d.ids, d.y, keyHolder);
    let feats = inputs.map((f) => new FeatureParty(f, keyHolder));
    label.publishIds(store);
    feats.forEach((f) => f.publishIds(store));
    label.align(store, names);
    feats.forEach((f) => f.align(store, names));
    if (keyHolder === "label") {
      await label.publishKeys(store, 1024, undefined, keys.y);
      feats.forEach((f) => f.publishSealKey(store));
      await label.publishLabels(store);
      for (const f of feats) await f.publishEncrypted(store);
      for (const f of feats) {
        f.prepareCross(store, shape);
        f.prepareLabelTerm(store);
      }
    } else {
      for (const f of feats) {
        await f.makeKey(1024, undefined, keys[f.name]);
        await f.publishEncrypted(store);
      }
      feats.forEach((f) => f.prepareCross(store, shape));
      label.prepareLabelTerms(store, shape);
    }
    const iterate = (t: number) => {
      feats.forEach((f) => f.sendTerms(store, t));
      label.relay(store, t, shape);
      feats.forEach((f) => f.update(store, t, step));
    };
    for (let t = 0; t < 5; t++) iterate(t);
    const saved = JSON.stringify({ label: label.exportState(), feats: feats.map((f) => f.exportState()) });
    const st = JSON.parse(saved) as { label: ReturnType<typeof label.exportState>; feats: ReturnType<(typeof feats)[0]["exportState"]>[] };
    label = LabelParty.restore(d.ids, d.y, st.label, store, names);
    feats = inputs.map((f, i) => FeatureParty.restore(f, st.feats[i], store, names));
    for (let t = 5; t < 30; t++) iterate(t);
    const reference = await runVertical({ label: { ids: d.ids, y: d.y }, features: inputs }, { keys, iterations: 30, learningRate: 0.5, momentum: 0.8, keyHolder });
    assert.deepEqual(
      feats.map((f) => f.theta),
      reference.parties.features.map((f) => f.theta),
    );
  });
}

/** The cars task split over two feature parties (x2's rows shuffled), for the certificate tests. */
function carsInput(): { data: ReturnType<typeof cars>; input: VerticalInput } {
  const data = cars();
  const [c0, c1, c2, c3] = data.X;
  const s = shuffled(data.ids, [c2, c3], 11);
  return {
    data,
    input: {
      label: { ids: data.ids, y: data.y },
      features: [
        { name: "x1", ids: data.ids, columns: { Cylinders: c0, Displacement: c1 } },
        { name: "x2", ids: s.ids, columns: { Horsepower: s.cols[0], Weight_in_lbs: s.cols[1] } },
      ],
    },
  };
}

/** X_jᵀ(Xθ − y)/n in standardized units, in the clear, at the parties' θ, with the protocol's fixed-point roundings (2^−24 for x and θ, 2^−48 for y). */
function plainGradient(data: ReturnType<typeof cars>, theta: number[]): number[] {
  const q = (v: number, bits: number) => Math.round(v * 2 ** bits) / 2 ** bits;
  const X = data.X.map((c, i) => standardize(c, data.cols[i]).values.map((v) => q(v, 24)));
  const y = standardize(data.y, "y").values.map((v) => q(v, 48));
  const th = theta.map((v) => q(v, 24));
  const n = y.length;
  const resid = y.map((v, r) => X.reduce((a, col, i) => a + col[r] * th[i], 0) - v);
  return X.map((col) => col.reduce((a, x, r) => a + x * resid[r], 0) / n);
}

const cloneCert = (c: VerticalCertificate) => JSON.parse(JSON.stringify(c)) as VerticalCertificate;

test("final certificate: an honest run's proven gradient is near zero, equals the plain gradient, and verifies for the requester; tampering is refused", async () => {
  const { data, input } = carsInput();
  const r = await runVertical(input, { keys, iterations: VLINREG_DEFAULT_MAX_ITERATIONS, tolerance: VLINREG_DEFAULT_TOLERANCE, certify: { task: "cars-1" } });
  assert.equal(r.converged, true);
  checkAgainstOls(r, data);
  const cert = r.certificate!;
  assert.ok(cert && r.certified, "the result carries the certificate");
  assert.ok(r.certified.norm <= VLINREG_CERT_TOLERANCE, `gradient norm ${r.certified.norm}`);
  const theta = r.parties.features.flatMap((f) => f.theta);
  const plain = plainGradient(data, theta);
  const proven = [...r.certified.gradient.x1, ...r.certified.gradient.x2];
  proven.forEach((g, i) => assert.ok(Math.abs(g - plain[i]) < 1e-10, `gradient[${i}] ${g} vs plain ${plain[i]}`));
  // The requester checks it again from the certificate alone (JSON round trip), its key certificate included.
  const shape = r.parties.features.map((f) => ({ name: f.name, columns: f.columnNames.length }));
  const check = { binding: vlinregCertBinding("cars-1"), n: keys.y.pub.n, features: shape };
  const again = checkVerticalCertificate(cloneCert(cert), check);
  assert.deepEqual(again.gradient, r.certified.gradient);
  // y only ever decrypted the products whose masks cancel (one per block), and proved each.
  const certDec = r.store.events.filter((e) => e.kind === "decrypted" && e.tables.some((t) => t.startsWith("cown/")));
  assert.deepEqual(
    certDec.map((e) => (e.kind === "decrypted" ? e.tables : [])),
    [
      ["cown/final/x1", "cterm/final/x2->x1"],
      ["cown/final/x2", "cterm/final/x1->x2"],
    ],
  );

  // A wrong decryption (the label party claims another value): refused, naming the block.
  const lie = cloneCert(cert);
  lie.blocks[1].values[0] = "0x" + ((BigInt(lie.blocks[1].values[0]) + 1n) % keys.y.pub.n).toString(16);
  assert.match(verticalCertificateProblem(lie, check) ?? "", /block x2: chunk 0: the proof of correct decryption does not verify/);
  // A claimed zero gradient for a block: also a wrong decryption.
  const zero = cloneCert(cert);
  zero.blocks[0].values[0] = "0x0";
  assert.match(verticalCertificateProblem(zero, check) ?? "", /block x1: chunk 0: the proof of correct decryption does not verify/);
  // A term swapped after the fact: the product changes, the proof no longer matches it.
  const swapped = cloneCert(cert);
  swapped.blocks[0].terms[1].cts[0] = swapped.blocks[0].terms[0].cts[0];
  assert.match(verticalCertificateProblem(swapped, check) ?? "", /block x1: chunk 0: the proof of correct decryption does not verify/);
  // Replayed into another task, or under another key.
  assert.match(verticalCertificateProblem(cert, { ...check, binding: vlinregCertBinding("cars-2") }) ?? "", /bound to another task/);
  assert.match(verticalCertificateProblem(cert, { ...check, n: keys.x1.pub.n }) ?? "", /not the label party's published key/);
  const missing = cloneCert(cert);
  missing.blocks[0].terms.pop();
  assert.match(verticalCertificateProblem(missing, check) ?? "", /block x1: terms cown\/final\/x1, expected cown\/final\/x1, cterm\/final\/x2->x1/);

  // Weights moved off the minimum after convergence: the decryptions are honest and proven, the gradient is not near zero.
  r.parties.features[0].theta[0] += 0.05;
  const moved = certificateRound(r.parties, r.store, vlinregCertBinding("cars-1"), "perturbed");
  assert.match(verticalCertificateProblem(moved, check) ?? "", /gradient's norm .* exceeds the tolerance .* not the least-squares minimum/);
  const off = checkVerticalCertificate(moved, { ...check, tolerance: 1 });
  const offPlain = plainGradient(
    data,
    r.parties.features.flatMap((f) => f.theta),
  );
  [...off.gradient.x1, ...off.gradient.x2].forEach((g, i) => assert.ok(Math.abs(g - offPlain[i]) < 1e-10, `perturbed gradient[${i}]`));
});

test("final certificate: a run stopped before convergence is refused with the reason; features mode says it is not built", async () => {
  const { input } = carsInput();
  await assert.rejects(
    runVertical(input, { keys, iterations: 3, certify: true }),
    /the final certificate refuses the model: the certified gradient's norm .* exceeds the tolerance/,
  );
  await assert.rejects(runVertical(input, { keys, iterations: 3, keyHolder: "features", certify: true }), /certify: the final certificate needs keyHolder "label"/);
});

test("params.certify: a tolerance in (0, 1), label key mode only", () => {
  const base = { idColumn: "id", label: { owner: "0x" + "1".repeat(40), column: "y" }, features: [{ name: "x1", owner: "0x" + "2".repeat(40), columns: ["x1"] }] };
  assert.equal(vlinregParams.parse({ ...base, certify: 1e-4 }).certify, 1e-4);
  const features = vlinregParams.safeParse({ ...base, keyHolder: "features", certify: 1e-4 });
  assert.ok(!features.success && /params.certify needs keyHolder/.test(features.error.message));
  assert.equal(vlinregParams.safeParse({ ...base, certify: 0 }).success, false);
});
