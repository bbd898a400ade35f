pragma circom 2.1.0;

include "lib/gradient_chunk.circom";

// 64 rows × 4 columns (3 features + 0/1 label) per chunk, tree depth 20, values |x| < 2^48.
component main {public [weightsHash, binding, root]} = GradientChunk(6, 4, 20, 49, 1);
