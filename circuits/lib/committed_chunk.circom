pragma circom 2.1.0;

include "range.circom";
include "row_leaf.circom";
include "prefix_mask.circom";
include "merkle.circom";

// The rows of one chunk of a committed dataset (protocol/src/commitment.ts), as chunk_sum checks
// them: the mask is a boolean prefix; padding rows (mask 0) have zero values and salt; every value
// is range-checked to |x| < 2^(VALUE_BITS-1); leaves are mask·RowLeaf, hashed into the chunk's
// subtree and up the path to `root`. Outputs the row count and the chunk index (the path bits).
// Every contribution circuit starts from this, so its outputs are over committed rows only.
template CommittedChunk(r, C, D, VALUE_BITS) {
    var R = 1 << r;
    signal input values[R][C];
    signal input salts[R];
    signal input mask[R];
    signal input pathIndices[D - r];
    signal input siblings[D - r];
    signal input root;
    signal output count;
    signal output chunkIndex;

    component pm = PrefixMask(R);
    for (var i = 0; i < R; i++) {
        pm.mask[i] <== mask[i];
    }
    count <== pm.count;

    component range[R][C];
    component leafHash[R];
    component subtree = SubtreeRoot(r);
    for (var i = 0; i < R; i++) {
        leafHash[i] = RowLeaf(C);
        leafHash[i].salt <== salts[i];
        for (var c = 0; c < C; c++) {
            range[i][c] = SignedRange(VALUE_BITS);
            range[i][c].in <== values[i][c];
            mask[i] * values[i][c] === values[i][c];
            leafHash[i].values[c] <== values[i][c];
        }
        mask[i] * salts[i] === salts[i];
        subtree.leaves[i] <== mask[i] * leafHash[i].leaf;
    }

    component path = MerklePath(D - r);
    path.node <== subtree.root;
    for (var k = 0; k < D - r; k++) {
        path.pathIndices[k] <== pathIndices[k];
        path.siblings[k] <== siblings[k];
    }
    root === path.root;
    chunkIndex <== path.index;
}
