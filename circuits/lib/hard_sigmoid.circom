pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";

// s = clamp(u, 0, ONE), ONE = 2^ONE_BITS: the hard sigmoid once the caller has formed
// u = ONE/2 + z/4 in fixed point, i.e. σ(z) ≈ 0 for z ≤ -2, 1/2 + z/4 on [-2, 2], 1 for z ≥ 2
// (the logistic function's tangent at 0, clamped; largest error 0.119 at |z| = 2).
// One decomposition does both comparisons: bits of u + 2^(UBITS-1) (so |u| < 2^(UBITS-1) is
// enforced, which also bounds the caller's quotient); the top bit is 1 iff u ≥ 0, and a
// non-negative u is ≥ ONE iff one of bits ONE_BITS..UBITS-2 is set.
template HardSigmoid(ONE_BITS, UBITS) {
    signal input u;
    signal output s;
    var ONE = 1 << ONE_BITS;

    component bits = Num2Bits(UBITS);
    bits.in <== u + (1 << (UBITS - 1));
    signal nonNeg;
    nonNeg <== bits.out[UBITS - 1];
    var high = 0;
    for (var t = ONE_BITS; t < UBITS - 1; t++) {
        high += bits.out[t];
    }
    component low = IsZero();
    low.in <== high;
    // u ≥ 0: s = u if u < ONE, else ONE, i.e. u + (1 - low)·(ONE - u); u < 0: s = 0.
    signal cut;
    cut <== (1 - low.out) * (ONE - u);
    s <== nonNeg * (u + cut);
}
