import { randomUnit } from "../../node/src/crypto/random.js";

/** Gaussian blobs around well-separated centres (Box–Muller on CSPRNG draws). */
export function blobs(n: number, a: number, k: number, spread = 0.6): { X: number[][]; y: number[] } {
  const centres = Array.from({ length: k }, (_, j) => Array.from({ length: a }, (_, z) => ((j * 7 + z * 3) % 11) * 2 - 10 + (z === j % a ? 6 : 0)));
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const j = i % k;
    X.push(centres[j].map((c) => c + spread * Math.sqrt(-2 * Math.log(1 - randomUnit())) * Math.cos(2 * Math.PI * randomUnit())));
    y.push(j);
  }
  return { X, y };
}
