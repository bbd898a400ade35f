import { z } from "zod";
import { getAddress, isAddress } from "ethers";
import type { ReadScope } from "../kind.js";
import type { KindNameOf } from "../registry.js";
import { CAPS, capMessage } from "../caps.js";

/**
 * Outsourced mining over encrypted data (the Rory family): one data owner, who is also the task's
 * requester, and one worker that computes on what it cannot read. Every round is one iteration:
 * the worker reads the owner's message (round 1: `setup`; later: the `replies` the owner published
 * in the previous round record), submits its output (hash on-chain), and the owner's reply goes
 * into the next round's parameters.
 *
 * The spec is public: it names sizes and options, never data, labels, centroids or thresholds.
 */
/** The registry's kinds of this family (each in its own folder: skmeans/, dbskmeans/, sknn/, dbsnnc/). */
export type OutsourcedKind = KindNameOf<"outsourced">;

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

/** The params every outsourced kind has; a kind's schema spreads them and adds its own. */
export const outsourcedCommon = {
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

/** What the owner publishes in each round record (`next`): every reply so far, the last one for the coming round. */
export const outsourcedNext = z.object({ replies: z.array(z.array(blobHash).min(1)).min(1) });
export type OutsourcedNext = z.infer<typeof outsourcedNext>;

/**
 * A round's result as the owner stores it: the final one carries the kind's output (labels,
 * centroids, …, depending on kind and variant), the others the progress of the exchange.
 */
export const outsourcedResult = z.looseObject({ kind: z.string().optional(), variant: outsourcedVariant.optional() });

/**
 * The protocol part every outsourced kind shares (spread into its defineKind). The worker reads
 * only what the owner (requester) publishes: members read nothing of each other's. Workers may be
 * named by node (the SDK resolves profile names).
 */
export const outsourcedKindBase = {
  family: "outsourced",
  result: outsourcedResult,
  privacy: false,
  memberReads: (): ReadScope => "none",
  mapNodes: (params: Record<string, unknown>, node: (name: unknown) => unknown): Record<string, unknown> =>
    Array.isArray(params.workers) ? { ...params, workers: params.workers.map(node) } : params,
  allowedMembers: (p: { workers: string[] }): readonly string[] => p.workers,
} as const;
