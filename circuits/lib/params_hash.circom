pragma circom 2.1.0;

include "row_leaf.circom";

// One public field element for many public parameters (centroids, weights), as MACI does, so a
// verifier pays for one public input instead of n (≈6,150 gas each):
// hash = chained Poseidon over zero-padded blocks of 4 starting from 0, i.e. protocol
// commitment.hashRow(H, 0, params) (see protocol/src/zkparams.ts: paramsHash).
template ParamsHash(n) {
    signal input params[n];
    signal output hash;
    component h = RowLeaf(n);
    h.salt <== 0;
    for (var i = 0; i < n; i++) {
        h.values[i] <== params[i];
    }
    hash <== h.leaf;
}
