pragma circom 2.1.0;

include "lib/kmeans_chunk.circom";

// 32 rows × 4 columns per chunk, k = 4 centroids, tree depth 20, values |x| < 2^48.
component main {public [centroidsHash, binding, root]} = KMeansChunk(5, 4, 20, 49, 4);
