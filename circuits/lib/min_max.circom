pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";

// Checks that min and max are the minimum and maximum of the masked-in entries of values[R] (mask
// a boolean prefix, checked by the caller; entries signed with |v| < 2^(BITS-1)). The prover gives
// them (protocol/src/contributions.ts statsContribution); the constraints say min ≤ v ≤ max for
// every real entry (the differences have BITS bits, so they are non-negative integers, never
// wrapped field elements) and that some real entry equals min and one equals max:
// Π (real ? v - min : 1) = 0. Padding entries take no part; with no real entry the product is 1,
// so an all-padding chunk has no valid witness.
template MaskedMinMax(R, BITS) {
    signal input values[R];
    signal input mask[R];
    signal input min;
    signal input max;
    signal dMin[R];
    signal dMax[R];
    component bMin[R];
    component bMax[R];
    signal pMin[R];
    signal pMax[R];
    for (var i = 0; i < R; i++) {
        dMin[i] <== mask[i] * (values[i] - min);
        dMax[i] <== mask[i] * (max - values[i]);
        bMin[i] = Num2Bits(BITS);
        bMin[i].in <== dMin[i];
        bMax[i] = Num2Bits(BITS);
        bMax[i].in <== dMax[i];
        // real: v - min (0 where v is the min); padding: 1.
        if (i == 0) {
            pMin[i] <== dMin[i] + 1 - mask[i];
            pMax[i] <== dMax[i] + 1 - mask[i];
        } else {
            pMin[i] <== pMin[i - 1] * (dMin[i] + 1 - mask[i]);
            pMax[i] <== pMax[i - 1] * (dMax[i] + 1 - mask[i]);
        }
    }
    pMin[R - 1] === 0;
    pMax[R - 1] === 0;
}
