import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  compose,
  deltaTight,
  distributedGaussianRho,
  epsilonSimple,
  epsilonTight,
  gaussianRho,
  gaussianRhoVector,
  pureToRho,
  rhoFor,
  sigma2For,
  sigma2PerMember,
  skellamRho,
} from "../../node/src/privacy/accountant.js";

const close = (a: number, b: number, rel = 1e-9) => assert.ok(Math.abs(a - b) <= rel * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

describe("zCDP accountant against the published formulas", () => {
  test("pure ε-DP is ε²/2-zCDP (Bun–Steinke Prop. 1.4); composition adds", () => {
    for (const e of [0.1, 1, 3]) close(pureToRho(e), (e * e) / 2);
    close(compose([pureToRho(1), pureToRho(1), 0.25]), 1.25);
    assert.throws(() => compose([-1]), /ρ must be a finite number ≥ 0/);
  });

  test("Gaussian: ρ = Δ²/(2σ²), its ℓ2 vector version, and calibration back to σ²", () => {
    close(gaussianRho(2, 8), 0.25);
    close(sigma2For(2, 0.25), 8);
    // vector: coordinates with Δ = (1, 2, 0) and σ² = (2, 8, 1): ρ = 1/4 + 1/4
    close(gaussianRhoVector([1, 2, 0], [2, 8, 1]), 0.5);
    // threshold calibration: t members at σ²/t sum to σ²
    close(sigma2PerMember(3, 0.5, 4) * 4, sigma2For(3, 0.5));
    assert.throws(() => gaussianRho(1, 0), /σ² must be a positive finite number/);
    assert.throws(() => sigma2PerMember(1, 1, 0), /threshold must be a positive integer/);
  });

  test("ρ → (ε, δ): ε = ρ + 2√(ρ ln(1/δ)) (Bun–Steinke Prop. 1.3), and its closed-form inverse", () => {
    for (const [rho, delta] of [
      [0.5, 1e-5],
      [0.01, 1e-6],
      [2, 1e-9],
    ] as const) {
      const e = epsilonSimple(rho, delta);
      close(e, rho + 2 * Math.sqrt(rho * Math.log(1 / delta)));
      close(rhoFor(e, delta, "simple"), rho, 1e-9);
    }
    // a published pair: ρ = 0.5, δ = 1e-5 → ε = 0.5 + 2√(0.5·11.51293) ≈ 5.29853
    close(epsilonSimple(0.5, 1e-5), 5.29853, 1e-5);
  });

  test("the Canonne–Kamath–Steinke conversion: δ(ε) = inf_α e^{(α−1)(αρ−ε)}/(α−1)·(1−1/α)^α is met, and it beats the simple one", () => {
    for (const [rho, delta] of [
      [0.5, 1e-5],
      [0.01, 1e-6],
      [0.1, 1e-3],
      [3, 1e-8],
    ] as const) {
      const e = epsilonTight(rho, delta);
      assert.ok(e < epsilonSimple(rho, delta), `tight ${e} < simple ${epsilonSimple(rho, delta)}`);
      // evaluated independently here, by brute force over α
      let best = Infinity;
      for (let a = 1.0001; a < 5000; a *= 1.0005) best = Math.min(best, (Math.exp((a - 1) * (a * rho - e)) / (a - 1)) * (1 - 1 / a) ** a);
      close(best, delta, 2e-3);
      close(deltaTight(rho, e), delta, 2e-3);
      // a slightly smaller ε would need a larger δ: the conversion is not loose
      assert.ok(deltaTight(rho, e * 0.99) > delta);
      close(rhoFor(e, delta), rho, 1e-6);
    }
  });

  test("distributed discrete Gaussian (Kairouz–Liu–Steinke Thm 1): one member is the plain bound; n members at σ² each act like nσ² once σ is a few units", () => {
    close(distributedGaussianRho({ sensitivity: 3, sigma2PerMember: 2, members: 1, dimension: 5 }), gaussianRho(3, 2));
    close(distributedGaussianRho({ sensitivity: 3, sigma2PerMember: 25, members: 4, dimension: 5 }), gaussianRho(3, 100), 1e-12);
    // small σ: the sum is not a discrete Gaussian, and τ shows up in the bound
    const small = distributedGaussianRho({ sensitivity: 1, sigma2PerMember: 0.3, members: 4, dimension: 10 });
    assert.ok(small > gaussianRho(1, 1.2) * 1.01, `${small}`);
  });

  test("Skellam (Agarwal–Kairouz–Liu Thm 3.5) costs a little more than a Gaussian of the same variance 2μ, converging to it", () => {
    const at = (mu: number) => skellamRho({ l1: 4, l2: 2, mu });
    close(at(10), 4 / 40 + (4 + 12) / 800);
    assert.ok(at(10) > gaussianRho(2, 20));
    close(at(1e8), gaussianRho(2, 2e8), 1e-6);
  });
});
