/**
 * Two small canvas charts, drawn by hand (no chart library: a line chart and a scatter are a few
 * dozen lines). Each returns how many marks it drew, which the page exposes as data-marks so a
 * test can tell an empty canvas from a drawn one.
 */
const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d"];
export const color = (i: number) => COLORS[i % COLORS.length];

function frame(canvas: HTMLCanvasElement) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 420;
  const h = canvas.clientHeight || 240;
  canvas.width = w * dpr;
  canvas.height = h * dpr;
  const g = canvas.getContext("2d")!;
  g.scale(dpr, dpr);
  g.clearRect(0, 0, w, h);
  g.font = "11px system-ui, sans-serif";
  return { g, w, h };
}

const range = (vs: number[]) => {
  let lo = Math.min(...vs);
  let hi = Math.max(...vs);
  if (!Number.isFinite(lo)) return [0, 1] as const;
  if (hi === lo) {
    lo -= 1;
    hi += 1;
  }
  const pad = (hi - lo) * 0.08;
  return [lo - pad, hi + pad] as const;
};

const fmt = (v: number) => (Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(1) : v.toFixed(2));

function axes(g: CanvasRenderingContext2D, w: number, h: number, x: readonly [number, number], y: readonly [number, number], m: number) {
  g.strokeStyle = "#94a3b8";
  g.fillStyle = "#475569";
  g.beginPath();
  g.moveTo(m, 8);
  g.lineTo(m, h - m);
  g.lineTo(w - 8, h - m);
  g.stroke();
  g.fillText(fmt(y[1]), 2, 14);
  g.fillText(fmt(y[0]), 2, h - m);
  g.fillText(fmt(x[0]), m, h - m + 14);
  g.fillText(fmt(x[1]), w - 48, h - m + 14);
}

/** Series over rounds (x = round). Each series is scaled on its own (inertia and movement differ by orders). */
export function lineChart(canvas: HTMLCanvasElement, series: { name: string; points: [number, number][] }[]): number {
  const { g, w, h } = frame(canvas);
  const m = 40;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const xr = range(xs);
  let marks = 0;
  series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const yr = range(s.points.map((p) => p[1]));
    if (i === 0) axes(g, w, h, xr, yr, m);
    const px = (v: number) => m + ((v - xr[0]) / (xr[1] - xr[0])) * (w - m - 8);
    const py = (v: number) => h - m - ((v - yr[0]) / (yr[1] - yr[0])) * (h - m - 8);
    g.strokeStyle = g.fillStyle = color(i);
    g.lineWidth = 2;
    g.beginPath();
    s.points.forEach(([x, y], j) => (j ? g.lineTo(px(x), py(y)) : g.moveTo(px(x), py(y))));
    g.stroke();
    for (const [x, y] of s.points) {
      g.beginPath();
      g.arc(px(x), py(y), 3, 0, 2 * Math.PI);
      g.fill();
      marks++;
    }
    g.fillText(`${s.name} (${fmt(s.points[s.points.length - 1][1])})`, w - 190, 16 + i * 14);
  });
  return marks;
}

/**
 * Clusters: each centroid of the last round as a disc sized by its count, with its path over the
 * earlier rounds. The members' rows never leave their nodes, so centroids and counts are what a
 * requester can plot.
 */
export function clusterScatter(canvas: HTMLCanvasElement, rounds: { centroids: number[][]; counts?: number[] }[], dims: [number, number], labels: [string, string]): number {
  const { g, w, h } = frame(canvas);
  const m = 40;
  if (rounds.length === 0) return 0;
  const all = rounds.flatMap((r) => r.centroids);
  const xr = range(all.map((c) => c[dims[0]] ?? 0));
  const yr = range(all.map((c) => c[dims[1]] ?? 0));
  axes(g, w, h, xr, yr, m);
  g.fillText(labels[0], w / 2, h - 6);
  g.fillText(labels[1], 2, h - m + 28);
  const px = (v: number) => m + ((v - xr[0]) / (xr[1] - xr[0])) * (w - m - 8);
  const py = (v: number) => h - m - ((v - yr[0]) / (yr[1] - yr[0])) * (h - m - 8);
  const last = rounds[rounds.length - 1];
  const total = (last.counts ?? []).reduce((a, b) => a + b, 0) || 1;
  let marks = 0;
  last.centroids.forEach((c, k) => {
    g.strokeStyle = g.fillStyle = color(k);
    g.lineWidth = 1;
    g.beginPath();
    rounds.forEach((r, j) => {
      const p = r.centroids[k];
      if (!p) return;
      if (j) g.lineTo(px(p[dims[0]]), py(p[dims[1]]));
      else g.moveTo(px(p[dims[0]]), py(p[dims[1]]));
    });
    g.stroke();
    const share = (last.counts?.[k] ?? 0) / total;
    g.globalAlpha = 0.35;
    g.beginPath();
    g.arc(px(c[dims[0]]), py(c[dims[1]]), 6 + 30 * Math.sqrt(share), 0, 2 * Math.PI);
    g.fill();
    g.globalAlpha = 1;
    g.beginPath();
    g.arc(px(c[dims[0]]), py(c[dims[1]]), 4, 0, 2 * Math.PI);
    g.fill();
    // Labels stay inside the canvas (a centroid at the edge of the range would push them out).
    g.fillText(`#${k} (${last.counts?.[k] ?? "?"})`, Math.min(px(c[dims[0]]) + 8, w - 56), Math.max(py(c[dims[1]]) - 8, 22));
    marks++;
  });
  return marks;
}

/**
 * Privacy budget burn-down: the zCDP ρ spent (cumulative over releases, a step per release) against
 * the dataset's budget (a dashed line), with what is left labelled. x is the release time.
 */
export function burnDown(canvas: HTMLCanvasElement, releases: { time: number; rho: number }[], budget: number): number {
  const { g, w, h } = frame(canvas);
  const m = 40;
  if (releases.length === 0) return 0;
  const sorted = [...releases].sort((a, b) => a.time - b.time);
  let acc = 0;
  const pts = sorted.map((r) => [r.time, (acc += r.rho)] as [number, number]);
  const t0 = pts[0][0];
  const xr = range([0, ...pts.map((p) => p[0] - t0)]);
  const yr = [0, Math.max(budget, acc) * 1.08] as const;
  axes(g, w, h, xr, yr, m);
  g.fillText("seconds since the first release", w / 2 - 70, h - 6);
  const px = (v: number) => m + ((v - t0 - xr[0]) / (xr[1] - xr[0])) * (w - m - 8);
  const py = (v: number) => h - m - ((v - yr[0]) / (yr[1] - yr[0])) * (h - m - 8);
  if (budget > 0) {
    g.strokeStyle = g.fillStyle = "#dc2626";
    g.setLineDash([6, 4]);
    g.beginPath();
    g.moveTo(m, py(budget));
    g.lineTo(w - 8, py(budget));
    g.stroke();
    g.setLineDash([]);
    g.fillText(`budget ρ ${fmt(budget)}`, m + 6, py(budget) - 4);
  }
  g.strokeStyle = g.fillStyle = color(0);
  g.lineWidth = 2;
  g.beginPath();
  // A step per release: the spend jumps at the release and stays until the next.
  let prev = 0;
  g.moveTo(px(t0), py(0));
  for (const [x, y] of pts) {
    g.lineTo(px(x), py(prev));
    g.lineTo(px(x), py(y));
    prev = y;
  }
  g.lineTo(w - 8, py(prev));
  g.stroke();
  let marks = 0;
  for (const [x, y] of pts) {
    g.beginPath();
    g.arc(px(x), py(y), 3.5, 0, 2 * Math.PI);
    g.fill();
    marks++;
  }
  g.fillText(`spent ρ ${fmt(acc)}${budget > 0 ? `, left ρ ${fmt(Math.max(0, budget - acc))}` : ""}`, w - 210, 16);
  return marks;
}

/**
 * One bar per column (its mean), with ±1 standard deviation of the released noise as an error bar
 * where the release was noised. Returns the bars drawn; `errorBars` counts the bars with one.
 */
export function barChart(canvas: HTMLCanvasElement, bars: { name: string; value: number; err?: number }[]): { marks: number; errorBars: number } {
  const { g, w, h } = frame(canvas);
  const m = 40;
  const shown = bars.filter((b) => Number.isFinite(b.value));
  if (shown.length === 0) return { marks: 0, errorBars: 0 };
  const yr = range([0, ...shown.flatMap((b) => [b.value - (b.err ?? 0), b.value + (b.err ?? 0)])]);
  axes(g, w, h, [0, shown.length], yr, m);
  const py = (v: number) => h - m - ((v - yr[0]) / (yr[1] - yr[0])) * (h - m - 8);
  const slot = (w - m - 8) / shown.length;
  let errorBars = 0;
  shown.forEach((b, i) => {
    const x = m + slot * i + slot * 0.2;
    const bw = slot * 0.6;
    g.fillStyle = color(i);
    g.globalAlpha = 0.75;
    g.fillRect(x, Math.min(py(b.value), py(0)), bw, Math.max(1, Math.abs(py(0) - py(b.value))));
    g.globalAlpha = 1;
    g.fillStyle = "#0f172a";
    g.fillText(b.name, x, h - m + 26);
    if (b.err !== undefined && Number.isFinite(b.err)) {
      const cx = x + bw / 2;
      g.strokeStyle = "#0f172a";
      g.lineWidth = 1.5;
      g.beginPath();
      g.moveTo(cx, py(b.value - b.err));
      g.lineTo(cx, py(b.value + b.err));
      g.moveTo(cx - 6, py(b.value - b.err));
      g.lineTo(cx + 6, py(b.value - b.err));
      g.moveTo(cx - 6, py(b.value + b.err));
      g.lineTo(cx + 6, py(b.value + b.err));
      g.stroke();
      errorBars++;
    }
  });
  return { marks: shown.length, errorBars };
}

/** Fitted against actual values (one dot per row) with the diagonal where a perfect fit would lie. */
export function fitScatter(canvas: HTMLCanvasElement, pairs: [fitted: number, actual: number][], labels: [string, string]): number {
  const { g, w, h } = frame(canvas);
  const m = 40;
  const ok = pairs.filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
  if (ok.length === 0) return 0;
  const r = range(ok.flat());
  axes(g, w, h, r, r, m);
  g.fillText(labels[0], w / 2 - 20, h - 6);
  g.fillText(labels[1], 2, 28);
  const px = (v: number) => m + ((v - r[0]) / (r[1] - r[0])) * (w - m - 8);
  const py = (v: number) => h - m - ((v - r[0]) / (r[1] - r[0])) * (h - m - 8);
  g.strokeStyle = "#94a3b8";
  g.setLineDash([4, 4]);
  g.beginPath();
  g.moveTo(px(r[0]), py(r[0]));
  g.lineTo(px(r[1]), py(r[1]));
  g.stroke();
  g.setLineDash([]);
  g.fillStyle = color(0);
  g.globalAlpha = 0.7;
  for (const [f, a] of ok) {
    g.beginPath();
    g.arc(px(f), py(a), 3, 0, 2 * Math.PI);
    g.fill();
  }
  g.globalAlpha = 1;
  return ok.length;
}
