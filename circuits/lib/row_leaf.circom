pragma circom 2.1.0;

include "circomlib/circuits/poseidon.circom";

// Leaf of one committed row, as protocol/src/commitment.ts computes it: the values in blocks of
// 4, the last block padded with zeros, chained: h = Poseidon(salt, v[0..3]),
// h = Poseidon(h, v[4..7]), ... The last h is the leaf.
template RowLeaf(C) {
    signal input salt;
    signal input values[C];
    signal output leaf;

    var BLOCK = 4;
    var nBlocks = (C + BLOCK - 1) \ BLOCK;
    component h[nBlocks];
    for (var b = 0; b < nBlocks; b++) {
        h[b] = Poseidon(BLOCK + 1);
        if (b == 0) {
            h[b].inputs[0] <== salt;
        } else {
            h[b].inputs[0] <== h[b - 1].out;
        }
        for (var j = 0; j < BLOCK; j++) {
            if (b * BLOCK + j < C) {
                h[b].inputs[j + 1] <== values[b * BLOCK + j];
            } else {
                h[b].inputs[j + 1] <== 0;
            }
        }
    }
    leaf <== h[nBlocks - 1].out;
}
