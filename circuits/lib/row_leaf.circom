pragma circom 2.1.0;

include "circomlib/circuits/poseidon.circom";

// Leaf of one committed row, as protocol/src/commitment.ts computes it:
// h = Poseidon(salt, v[0..14]); then h = Poseidon(h, v[15..29]); ... The last h is the leaf.
template RowLeaf(C) {
    signal input salt;
    signal input values[C];
    signal output leaf;

    var BLOCK = 15;
    var nBlocks = (C + BLOCK - 1) \ BLOCK;
    component h[nBlocks];
    for (var b = 0; b < nBlocks; b++) {
        var width = C - b * BLOCK;
        if (width > BLOCK) { width = BLOCK; }
        h[b] = Poseidon(width + 1);
        if (b == 0) {
            h[b].inputs[0] <== salt;
        } else {
            h[b].inputs[0] <== h[b - 1].out;
        }
        for (var j = 0; j < width; j++) {
            h[b].inputs[j + 1] <== values[b * BLOCK + j];
        }
    }
    leaf <== h[nBlocks - 1].out;
}
