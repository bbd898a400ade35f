pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";

// Checks that the one-hot `assign` puts row x[C] at a nearest of k centroids by squared Euclidean
// distance. The prover gives the assignment (protocol/src/contributions.ts kmeansContribution);
// the constraints check it is boolean, sums to `active` (1 for a real row, 0 for padding, whose
// assignment is all zero), and that d_j - d_assigned is a DBITS-bit non-negative integer for
// every j, i.e. no centroid is strictly nearer. Ties may go to any of the
// tied centroids (the JS twin takes the lowest index). Inputs must be range-checked by the caller
// so that Σ (x - μ)² < 2^DBITS (|x|, |μ| < 2^48 and C = 4: DBITS = 100).
template NearestCentroid(k, C, DBITS) {
    signal input x[C];
    signal input centroids[k][C];
    signal input active;
    signal input assign[k];

    signal diff[k][C];
    signal sq[k][C];
    var d[k];
    for (var j = 0; j < k; j++) {
        d[j] = 0;
        for (var c = 0; c < C; c++) {
            diff[j][c] <== x[c] - centroids[j][c];
            sq[j][c] <== diff[j][c] * diff[j][c];
            d[j] += sq[j][c];
        }
    }

    var sum = 0;
    for (var j = 0; j < k; j++) {
        assign[j] * (assign[j] - 1) === 0;
        sum += assign[j];
    }
    sum === active;

    signal pick[k];
    var chosen = 0;
    for (var j = 0; j < k; j++) {
        pick[j] <== assign[j] * d[j];
        chosen += pick[j];
    }
    component nonNeg[k];
    for (var j = 0; j < k; j++) {
        nonNeg[j] = Num2Bits(DBITS);
        nonNeg[j].in <== d[j] - chosen;
    }
}
