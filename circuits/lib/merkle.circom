pragma circom 2.1.0;

include "circomlib/circuits/poseidon.circom";

// Root of a complete binary Poseidon tree over 2^levels leaves: node = Poseidon(left, right).
template SubtreeRoot(levels) {
    var n = 1 << levels;
    signal input leaves[n];
    signal output root;

    component h[n];  // h[1..n-1] are the inner nodes, heap-ordered; h[0] is unused
    signal nodes[2 * n];
    for (var i = 0; i < n; i++) {
        nodes[n + i] <== leaves[i];
    }
    for (var i = n - 1; i >= 1; i--) {
        h[i] = Poseidon(2);
        h[i].inputs[0] <== nodes[2 * i];
        h[i].inputs[1] <== nodes[2 * i + 1];
        nodes[i] <== h[i].out;
    }
    if (levels == 0) {
        root <== leaves[0];
    } else {
        root <== nodes[1];
    }
}

// Walks a Merkle path from `node` up `levels` levels. pathIndices[k] = 1 when the current node is
// the right child at level k. Outputs the root and the node's position (the path bits as a number).
template MerklePath(levels) {
    signal input node;
    signal input pathIndices[levels];
    signal input siblings[levels];
    signal output root;
    signal output index;

    component h[levels];
    signal cur[levels + 1];
    signal left[levels];
    cur[0] <== node;
    var idx = 0;
    for (var k = 0; k < levels; k++) {
        pathIndices[k] * (pathIndices[k] - 1) === 0;
        // left = bit ? sibling : cur; right = cur + sibling - left.
        left[k] <== cur[k] + pathIndices[k] * (siblings[k] - cur[k]);
        h[k] = Poseidon(2);
        h[k].inputs[0] <== left[k];
        h[k].inputs[1] <== cur[k] + siblings[k] - left[k];
        cur[k + 1] <== h[k].out;
        idx += pathIndices[k] * (1 << k);
    }
    root <== cur[levels];
    index <== idx;
}
