pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";

// Checks a floor division of a signed field element by 2^SHIFT (fixed-point rescaling) that the
// prover supplies (protocol/src/contributions.ts floorDivPow2): in = q·2^SHIFT + rem with
// 0 ≤ rem < 2^SHIFT (Num2Bits). The pair is unique only if q is bounded too: the CALLER must
// range-check q (SignedRange, or a decomposition that bounds it), otherwise q + t·2^-SHIFT mod p
// would also fit with another remainder.
template FloorDivPow2(SHIFT) {
    signal input in;
    signal input q;
    signal input rem;

    var d = 1 << SHIFT;
    component remBits = Num2Bits(SHIFT);
    remBits.in <== rem;
    in === q * d + rem;
}
