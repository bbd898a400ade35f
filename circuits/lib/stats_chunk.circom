pragma circom 2.1.0;

include "circomlib/circuits/poseidon.circom";
include "committed_chunk.circom";
include "min_max.circom";
include "pedersen.circom";

// Federated statistics of one chunk of a committed dataset (R = 2^r rows × C ≤ 4 columns).
// Outputs, hidden:
//   commitment = PedersenCommit([count, sum[0..C-1], sumSq[0..C-1]], blinding), additive over
//     chunks and members (sums at scale 2^16, sums of squares at 2^32, exact);
//   extrema = Poseidon(extremaBlinding, min[0..C-1], max[0..C-1]): min/max do not add, so they
//     get a hiding hash commitment of their own (opened to whoever computes the global min/max).
// Public signals: [commitment[0], commitment[1], extrema, chunkIndex, binding, root].
template StatsChunk(r, C, D, VALUE_BITS) {
    var R = 1 << r;
    // Σ of R squares of |x| < 2^(VALUE_BITS-1), signed, with a bit to spare.
    var PBITS = 2 * (VALUE_BITS - 1) + r + 2;
    signal input values[R][C];
    signal input salts[R];
    signal input mask[R];
    signal input pathIndices[D - r];
    signal input siblings[D - r];
    // Prover-supplied, checked by MaskedMinMax.
    signal input min[C];
    signal input max[C];
    signal input blinding;
    signal input extremaBlinding;
    signal input binding;
    signal input root;

    signal output commitment[2];
    signal output extrema;
    signal output chunkIndex;

    // Quadratic so the optimizer cannot drop the binding: the proof is tied to one submission.
    signal bindingSquare;
    bindingSquare <== binding * binding;

    component chunk = CommittedChunk(r, C, D, VALUE_BITS);
    for (var i = 0; i < R; i++) {
        for (var c = 0; c < C; c++) {
            chunk.values[i][c] <== values[i][c];
        }
        chunk.salts[i] <== salts[i];
        chunk.mask[i] <== mask[i];
    }
    for (var k = 0; k < D - r; k++) {
        chunk.pathIndices[k] <== pathIndices[k];
        chunk.siblings[k] <== siblings[k];
    }
    chunk.root <== root;
    chunkIndex <== chunk.chunkIndex;

    // Padding rows are zero, so plain sums are sums over real rows.
    signal sq[R][C];
    component ped = PedersenCommit(1 + 2 * C, PBITS);
    ped.values[0] <== chunk.count;
    for (var c = 0; c < C; c++) {
        var s = 0;
        var s2 = 0;
        for (var i = 0; i < R; i++) {
            sq[i][c] <== values[i][c] * values[i][c];
            s += values[i][c];
            s2 += sq[i][c];
        }
        ped.values[1 + c] <== s;
        ped.values[1 + C + c] <== s2;
    }
    ped.blinding <== blinding;
    commitment[0] <== ped.out[0];
    commitment[1] <== ped.out[1];

    // At least one real row: MaskedMinMax's existence product fails on an all-padding chunk.
    component mm[C];
    component ext = Poseidon(1 + 2 * C);
    ext.inputs[0] <== extremaBlinding;
    for (var c = 0; c < C; c++) {
        mm[c] = MaskedMinMax(R, VALUE_BITS);
        for (var i = 0; i < R; i++) {
            mm[c].values[i] <== values[i][c];
            mm[c].mask[i] <== mask[i];
        }
        mm[c].min <== min[c];
        mm[c].max <== max[c];
        ext.inputs[1 + c] <== min[c];
        ext.inputs[1 + C + c] <== max[c];
    }
    extrema <== ext.out;
}
