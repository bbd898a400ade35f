pragma circom 2.1.0;

include "lib/stats_chunk.circom";

// 32 rows × 4 columns per chunk, tree depth 20 (commitment.TREE_DEPTH), values |x| < 2^48.
component main {public [binding, root]} = StatsChunk(5, 4, 20, 49);
