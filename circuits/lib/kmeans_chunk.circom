pragma circom 2.1.0;

include "range.circom";
include "committed_chunk.circom";
include "nearest.circom";
include "params_hash.circom";
include "pedersen.circom";

// One Lloyd step's contribution of a chunk (R = 2^r rows × C ≤ 4 columns) for k public centroids:
// each real row goes to a nearest centroid; the outputs are per-cluster counts and coordinate sums,
// hidden in commitment = PedersenCommit([count[0..k-1], sum[0][0..C-1], …, sum[k-1][..]], blinding).
// The centroids enter as ONE public input, centroidsHash = ParamsHash(k·C) over them row-major
// (protocol/src/contributions.ts paramsHash), and are range-checked like data values.
// Public signals: [commitment[0], commitment[1], chunkIndex, centroidsHash, binding, root].
template KMeansChunk(r, C, D, VALUE_BITS, k) {
    var R = 1 << r;
    var PBITS = VALUE_BITS + r + 1;
    // Σ_c (x_c - μ_c)² < C·2^(2·VALUE_BITS) ≤ 2^(2·VALUE_BITS + 2) for C ≤ 4.
    var DBITS = 2 * VALUE_BITS + 2;
    signal input values[R][C];
    signal input salts[R];
    signal input mask[R];
    signal input pathIndices[D - r];
    signal input siblings[D - r];
    signal input centroids[k][C];
    // Prover-supplied one-hot cluster of each row (all zero for padding), checked by NearestCentroid.
    signal input assign[R][k];
    signal input blinding;
    signal input centroidsHash;
    signal input binding;
    signal input root;

    signal output commitment[2];
    signal output chunkIndex;

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
    for (var t = 0; t < D - r; t++) {
        chunk.pathIndices[t] <== pathIndices[t];
        chunk.siblings[t] <== siblings[t];
    }
    chunk.root <== root;
    chunkIndex <== chunk.chunkIndex;

    component ph = ParamsHash(k * C);
    component cr[k][C];
    for (var j = 0; j < k; j++) {
        for (var c = 0; c < C; c++) {
            cr[j][c] = SignedRange(VALUE_BITS);
            cr[j][c].in <== centroids[j][c];
            ph.params[j * C + c] <== centroids[j][c];
        }
    }
    centroidsHash === ph.hash;

    component near[R];
    signal contrib[R][k][C];
    var counts[k];
    var sums[k][C];
    for (var j = 0; j < k; j++) {
        counts[j] = 0;
        for (var c = 0; c < C; c++) { sums[j][c] = 0; }
    }
    for (var i = 0; i < R; i++) {
        near[i] = NearestCentroid(k, C, DBITS);
        near[i].active <== mask[i];
        for (var j = 0; j < k; j++) {
            near[i].assign[j] <== assign[i][j];
        }
        for (var c = 0; c < C; c++) {
            near[i].x[c] <== values[i][c];
            for (var j = 0; j < k; j++) {
                near[i].centroids[j][c] <== centroids[j][c];
            }
        }
        for (var j = 0; j < k; j++) {
            counts[j] += assign[i][j];
            for (var c = 0; c < C; c++) {
                contrib[i][j][c] <== assign[i][j] * values[i][c];
                sums[j][c] += contrib[i][j][c];
            }
        }
    }

    component ped = PedersenCommit(k + k * C, PBITS);
    for (var j = 0; j < k; j++) {
        ped.values[j] <== counts[j];
        for (var c = 0; c < C; c++) {
            ped.values[k + j * C + c] <== sums[j][c];
        }
    }
    ped.blinding <== blinding;
    commitment[0] <== ped.out[0];
    commitment[1] <== ped.out[1];
}
