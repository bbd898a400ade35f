pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";

// Constrains -2^(bits-1) <= in < 2^(bits-1), reading `in` as a signed field element (negatives
// are p - |x|). Shifting by 2^(bits-1) maps the range onto [0, 2^bits), which Num2Bits pins down
// with real constraints (an `assert` would add none). bits must stay well below 253.
template SignedRange(bits) {
    signal input in;
    component n2b = Num2Bits(bits);
    n2b.in <== in + (1 << (bits - 1));
}
