/**
 * Mining algorithms: plaintext baselines, and the Rory family in two variants.
 *   ckks   (default): the worker learns only sizes (see each module's doc for who learns what).
 *   legacy: Liu + FDH-OPE + UDM exactly as Rory runs them, leakage documented.
 * `dbskmeans` over CKKS: Rory's DBSKMeans differs from SKMeans only in encrypting the UDM with
 * FDH-OPE; the CKKS variant never forms a UDM, so its message flow is SKMeans's (aliases below).
 */
export * from "./matrix.js";
export * from "./baseline.js";
export * from "./wire.js";
export { judgeReplicas, outputDigest, type ReplicaOutput, type ReplicaVerdict } from "./replication.js";
export { runSkmeansCkks, SkmeansCkksOwner, SkmeansCkksWorker, type SkmeansCkksOptions, type CentroidUpdate } from "./ckks/skmeans.js";
export { runSknnCkks, SknnCkksOwner, SknnCkksWorker } from "./ckks/sknn.js";
export { runDbsnncCkks, DbsnncCkksOwner, DbsnncCkksWorker } from "./ckks/dbsnnc.js";
export { runSkmeansLegacy, runDbskmeansLegacy, SkmeansLegacyOwner, SkmeansLegacyWorker, type SkmeansLegacyOptions } from "./legacy/skmeans.js";
export { runSknnLegacy, SknnLegacyOwner, SknnLegacyWorker } from "./legacy/sknn.js";
export { runDbsnncLegacy, dbsnncLegacySetup, dbsnncLegacyWorker, dbsnncLegacyLabels } from "./legacy/dbsnnc.js";
export { runSkmeansCkks as runDbskmeansCkks, SkmeansCkksOwner as DbskmeansCkksOwner, SkmeansCkksWorker as DbskmeansCkksWorker } from "./ckks/skmeans.js";
