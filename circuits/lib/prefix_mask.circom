pragma circom 2.1.0;

// A row mask over R slots: every bit is 0 or 1 and the ones form a prefix (1...10...0), so a
// chunk's real rows come first and padding follows. Outputs the number of ones.
template PrefixMask(R) {
    signal input mask[R];
    signal output count;

    var sum = 0;
    for (var i = 0; i < R; i++) {
        mask[i] * (mask[i] - 1) === 0;
        sum += mask[i];
    }
    // mask[i+1] = 1 only if mask[i] = 1.
    for (var i = 0; i + 1 < R; i++) {
        mask[i + 1] * (1 - mask[i]) === 0;
    }
    count <== sum;
}
