/** Seeded data for the vertical tests (mulberry32 + Box–Muller), so failures reproduce. */
import { rng } from "../federated/reference.js";

export { rng };

export function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** y = 31·x1 − 5.5·x2 + 2 + noise (the fiu-cloud example, with an intercept). */
export function synthetic(n: number, seed = 1) {
  const r = rng(seed);
  const ids = Array.from({ length: n }, (_, i) => `row-${i}`);
  const x1 = ids.map(() => 10 * r());
  const x2 = ids.map(() => 5 + 3 * gaussian(r));
  const y = x1.map((v, i) => 31 * v - 5.5 * x2[i] + 2 + 0.5 * gaussian(r));
  return { ids, x1, x2, y };
}

/** Shuffles rows (ids stay attached) so alignment has work to do. */
export function shuffled<T>(ids: string[], cols: T[][], seed: number): { ids: string[]; cols: T[][] } {
  const r = rng(seed);
  const idx = ids.map((_, i) => i);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return { ids: idx.map((i) => ids[i]), cols: cols.map((c) => idx.map((i) => c[i])) };
}
