pragma circom 2.1.0;

include "lib/range.circom";
include "lib/row_leaf.circom";
include "lib/prefix_mask.circom";
include "lib/merkle.circom";

// Proves the per-column sums and the row count of one chunk of a committed dataset.
// A chunk is the subtree of R = 2^r rows at index chunkIndex in the depth-D tree of
// protocol/src/commitment.ts. Rows past the dataset's end are padding: mask 0, all values and the
// salt 0, leaf 0 (exactly how the commitment fills empty slots).
// Leaves hash rows zero-padded to a multiple of 4 columns, so a C-column circuit (C = 4k) also
// proves datasets of C-3 .. C-1 columns: their missing columns are zeros and sum to 0.
// Every value is range-checked to |x| < 2^(VALUE_BITS-1) (fixedpoint.ts uses |x| < 2^48), so the
// sums cannot wrap around the field.
// Public signals: [sums[0..C-1], count, chunkIndex, binding, root].
template ChunkSum(r, C, D, VALUE_BITS) {
    var R = 1 << r;
    signal input values[R][C];
    signal input salts[R];
    signal input mask[R];
    signal input pathIndices[D - r];
    signal input siblings[D - r];
    signal input binding;
    signal input root;

    signal output sums[C];
    signal output count;
    signal output chunkIndex;

    // Quadratic so the optimizer cannot drop the binding: the proof is tied to one submission.
    signal bindingSquare;
    bindingSquare <== binding * binding;

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
            // Padding rows are all zero.
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

    for (var c = 0; c < C; c++) {
        var s = 0;
        for (var i = 0; i < R; i++) {
            s += values[i][c];
        }
        sums[c] <== s;
    }
}

// 8 rows x 4 columns per chunk, tree depth 20 (commitment.TREE_DEPTH), values |x| < 2^48.
component main {public [binding, root]} = ChunkSum(3, 4, 20, 49);
