pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/escalarmulfix.circom";
include "circomlib/circuits/babyjub.circom";
include "pedersen_generators.circom";

// Pedersen vector commitment on Baby Jubjub, as protocol/src/pedersen.ts (pedersenCommit):
//   out = Σ_i (values[i] + 2^(BITS-1))·G_{i+1} + blinding·H
// values are signed field elements; the offset maps them onto [0, 2^BITS), which Num2Bits pins
// (so |values[i]| < 2^(BITS-1) is enforced here, and offsets add up like the values do: the
// verifier of an aggregate subtracts n·2^(BITS-1)). The blinding is any field element below
// 2^253 (the point depends on it mod the subgroup order). Generators are fixed, so every
// multiplication is a fixed-base EscalarMulFix.
template PedersenCommit(n, BITS) {
    signal input values[n];
    signal input blinding;
    signal output out[2];

    component rBits = Num2Bits(253);
    rBits.in <== blinding;
    component rMul = EscalarMulFix(253, PedersenGenerator(0));
    for (var b = 0; b < 253; b++) {
        rMul.e[b] <== rBits.out[b];
    }

    component vBits[n];
    component vMul[n];
    component add[n];
    for (var i = 0; i < n; i++) {
        vBits[i] = Num2Bits(BITS);
        vBits[i].in <== values[i] + (1 << (BITS - 1));
        vMul[i] = EscalarMulFix(BITS, PedersenGenerator(i + 1));
        for (var b = 0; b < BITS; b++) {
            vMul[i].e[b] <== vBits[i].out[b];
        }
        add[i] = BabyAdd();
        if (i == 0) {
            add[i].x1 <== rMul.out[0];
            add[i].y1 <== rMul.out[1];
        } else {
            add[i].x1 <== add[i - 1].xout;
            add[i].y1 <== add[i - 1].yout;
        }
        add[i].x2 <== vMul[i].out[0];
        add[i].y2 <== vMul[i].out[1];
    }
    if (n == 0) {
        out[0] <== rMul.out[0];
        out[1] <== rMul.out[1];
    } else {
        out[0] <== add[n - 1].xout;
        out[1] <== add[n - 1].yout;
    }
}
