import { z } from "zod";
import { getAddress, isAddress } from "ethers";
import { defineKind, type ReadScope } from "./kind.js";
import { CAPS, capMessage } from "./caps.js";

/**
 * Outsourced mining over encrypted data (the Rory family): one data owner, who is also the task's
 * requester, and one worker that computes on what it cannot read. Every round is one iteration:
 * the worker reads the owner's message (round 1: `setup`; later: the `replies` the owner published
 * in the previous round record), submits its output (hash on-chain), and the owner's reply goes
 * into the next round's parameters.
 *
 * The spec is public: it names sizes and options, never data, labels, centroids or thresholds.
 */
export const OUTSOURCED_KINDS = ["skmeans", "dbskmeans", "sknn", "dbsnnc"] as const;
export type OutsourcedKind = (typeof OUTSOURCED_KINDS)[number];

/** ckks: the worker learns sizes only (default); legacy: Liu + FDH-OPE as Rory, leaks; plain: plaintext baseline, leaks everything. */
export const outsourcedVariant = z.enum(["ckks", "legacy", "plain"]);
export type OutsourcedVariant = z.infer<typeof outsourcedVariant>;

const address = z
  .string()
  .refine((s) => isAddress(s), { error: "must be a 0x-prefixed 20-byte Ethereum address" })
  .transform((s) => getAddress(s));
const blobHash = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "must be a blob hash (0x + 64 hex digits)")
  .transform((s) => s.toLowerCase());

const common = {
  variant: outsourcedVariant.default("ckks"),
  /** Worker node(s) the manager chose; only these join the task's rounds. */
  workers: z
    .array(address)
    .min(1, "params.workers must name at least one worker node (the manager picks them)")
    .max(CAPS.MAX_WORKERS, capMessage("params.workers", "MAX_WORKERS", "name fewer workers")),
  /** Blob hashes of the owner's first message, in order (Rory's NUM_CHUNKS pieces). */
  setup: z
    .array(blobHash)
    .min(1, "params.setup must list the blob hashes of the owner's first message")
    .max(CAPS.MAX_CHUNKS, capMessage("params.setup", "MAX_CHUNKS", "split the message into fewer chunks")),
  /** CKKS preset / Liu security level. */
  securityLevel: z.union([z.literal(128), z.literal(192), z.literal(256)]).default(128),
};

export const skmeansParams = z.object({
  ...common,
  k: z
    .number()
    .int()
    .min(1, "params.k must be at least 1")
    .max(CAPS.MAX_CLUSTERS, capMessage("params.k", "MAX_CLUSTERS", "lower k")),
  maxIterations: z
    .number()
    .int()
    .min(1)
    .max(CAPS.MAX_ITERATIONS, capMessage("params.maxIterations", "MAX_ITERATIONS", "lower maxIterations"))
    .default(10),
  /** Largest centroid move (original units) at which the owner stops. */
  tolerance: z.number().min(0, "params.tolerance must be ≥ 0").default(1e-6),
  /** CKKS: who averages the members (see algorithms/ckks/skmeans.ts). */
  centroidUpdate: z.enum(["worker", "owner"]).default("worker"),
});
export type SkmeansParams = z.infer<typeof skmeansParams>;

export const sknnParams = z.object({
  ...common,
  /** Number of query rows (their values travel encrypted). */
  queries: z
    .number()
    .int()
    .min(1, "params.queries must be at least 1")
    .max(CAPS.MAX_QUERIES, capMessage("params.queries", "MAX_QUERIES", "split the queries over several tasks")),
});
export type SknnParams = z.infer<typeof sknnParams>;

export const dbsnncParams = z.object({ ...common });
export type DbsnncParams = z.infer<typeof dbsnncParams>;

/** What the owner publishes in each round record (`next`): every reply so far, the last one for the coming round. */
export const outsourcedNext = z.object({ replies: z.array(z.array(blobHash).min(1)).min(1) });
export type OutsourcedNext = z.infer<typeof outsourcedNext>;

/**
 * A round's result as the owner stores it: the final one carries the kind's output (labels,
 * centroids, …, depending on kind and variant), the others the progress of the exchange.
 */
export const outsourcedResult = z.looseObject({ kind: z.string().optional(), variant: outsourcedVariant.optional() });

// The worker reads only what the owner (requester) publishes: members read nothing of each other's.
const outsourced = {
  family: "outsourced",
  result: outsourcedResult,
  privacy: false,
  memberReads: (): ReadScope => "none",
  allowedMembers: (p: { workers: string[] }): readonly string[] => p.workers,
} as const;

export const skmeansTaskKind = defineKind({ name: "skmeans", summary: "k-means by a worker over the owner's encrypted rows", params: skmeansParams, ...outsourced });
/** DBSKMeans: legacy FDH-OPE-encrypts the distance matrix; over CKKS it runs SKMeans's message flow. */
export const dbskmeansTaskKind = defineKind({
  name: "dbskmeans",
  summary: "k-means over an encrypted distance matrix (SKMeans's flow over CKKS)",
  params: skmeansParams,
  ...outsourced,
});
export const sknnTaskKind = defineKind({ name: "sknn", summary: "k-nearest-neighbour labels of encrypted queries", params: sknnParams, ...outsourced });
export const dbsnncTaskKind = defineKind({ name: "dbsnnc", summary: "density-based clustering over encrypted rows", params: dbsnncParams, ...outsourced });
