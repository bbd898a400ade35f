import type { z } from "zod";
import { Phase, type Aggregation, type VerificationLevel } from "../phases.js";

/**
 * The protocol-level part of a task kind: everything every party (requester, member, connector,
 * contracts' deploy script, circuit build) must agree on, and nothing that runs the kind's math.
 * The node-side part (member and requester handlers) lives in node/src/runtime/kinds; the node's
 * kind registry is checked to cover exactly the kinds listed in ./registry.ts.
 */

/** Which family a kind belongs to: how its rounds use data owners and workers. */
export type KindFamily =
  /** Many data owners over horizontal partitions, contribution vectors through an aggregation backend. */
  | "federated"
  /** One owner (the requester) and workers computing on its ciphertexts. */
  | "outsourced"
  /** Features split across parties (vlinreg). */
  | "vertical";

/** Whose rounds' members may read a member's contribution of a phase: nobody, the same round's, any round's of the task. */
export type ReadScope = "none" | "round" | "task";

/** The fields of a parsed spec a kind's spec-level checks read (a structural view: this module does not import taskspec). */
export interface KindSpecView {
  kind: string;
  aggregation: Aggregation;
  verification: VerificationLevel;
  setup: boolean;
  rounds: number;
  params: Record<string, unknown>;
}

/**
 * The proof part of a kind, independent of the proof system: the circuit that proves one chunk of
 * a member's Compute contribution and the layout of its public inputs. The node-side prover
 * (witness builder, JS twin) and the verifier binding (deploy script, connector keys) look the
 * circuit up by this name; a kind without a proof part refuses verification "offchain"/"onchain".
 */
export interface KindProof {
  /** The contribution circuit: circuits/<circuit> (its build output is found by this name). */
  circuit: string;
  /** Names of the circuit's public inputs, in order: outputs first, then ["binding", "root"]. */
  publicInputs: readonly string[];
}

export interface TaskKindDef<Name extends string = string, P = unknown> {
  /** The kind's name in specs; on-chain it is keccak256(name) (taskspec.kindKey). */
  readonly name: Name;
  readonly family: KindFamily;
  /** One line for templates and error messages. */
  readonly summary: string;
  /** spec.params, caps included (tasks/caps.ts). Parsed once, by parseTaskSpec. */
  readonly params: z.ZodType<P>;
  /** The shape of a round's result as the requester stores it (JSON). */
  readonly result: z.ZodType;
  /** The contribution circuit; absent: the kind cannot be proven. */
  readonly proof?: KindProof;
  /** Whether params.privacy (differential privacy) is implemented for this kind. */
  readonly privacy: boolean;
  /** Whether members of a round read each other's contributions of `phase` (the connector's blob read rule). */
  memberReads(spec: Pick<KindSpecView, "aggregation">, phase: number): ReadScope;
  /**
   * The only nodes that may join the task's rounds (absent: any node with the role). Enforced by
   * both connectors: on-chain by TaskManager.restrictMembers (sent before createTask) and joinRound,
   * and the same rule in coordinator mode. The outsourced kinds name their workers here, so a
   * random Worker cannot take a member slot and stall the round.
   */
  allowedMembers?(params: P): readonly string[];
  /**
   * What `cm task new <kind>` fills in: example params (column names are placeholders; for an
   * outsourced kind, the owner's request options), the rounds to ask for (default 1), and the
   * params that name the given owner nodes (vlinreg's parties).
   */
  /** For kinds whose result is a linear model (weights, names, loss): how a prediction follows from x·w (the dashboard's fitted-versus-actual chart). */
  readonly model?: { readonly link: "identity" | "logistic" };
  readonly template?: { params: Record<string, unknown>; rounds?: number; forOwners?(owners: readonly string[]): Record<string, unknown> };
  /** Kinds whose rounds follow from their params: the rounds a spec needs; the SDK, `cm` and a requester node fill spec.rounds in when it is left out. */
  roundsFor?(params: unknown): number;
  /** The columns of node `self`'s datasets the task reads (a dataset policy's allowedColumns); absent: the kind names none (such a policy refuses it). */
  columns?(params: P, self: string): string[];
  /**
   * The params as submitted with every field that names a node passed through `node` (the SDK
   * turns profile node names into addresses there); absent: no param names a node.
   */
  mapNodes?(params: Record<string, unknown>, node: (name: unknown) => unknown): Record<string, unknown>;
  /** Spec-level requirements beyond params (rounds, setup); call `issue` once per problem. */
  checkSpec?(spec: KindSpecView, params: P, issue: (path: (string | number)[], message: string) => void): void;
  /**
   * Work of the task on one member holding `rows` rows, in row-operations over every round (an
   * order of magnitude, bounded by a node's policy.maxTaskCost); absent: workers that hold no rows.
   */
  cost?(params: P, rows: number, rounds: number): number;
}

/** Declares a kind (identity: keeps the literal name and family, the params type and whether it has a proof part, for the registry's types). */
export function defineKind<const Name extends string, P, const F extends KindFamily, const Pr extends KindProof | undefined = undefined>(
  def: TaskKindDef<Name, P> & { readonly family: F; readonly proof?: Pr },
): TaskKindDef<Name, P> & { readonly family: F; readonly proof: Pr } {
  return def as TaskKindDef<Name, P> & { readonly family: F; readonly proof: Pr };
}

/**
 * The read rule every federated kind shares: with secagg, Setup (public keys, encrypted shares) is
 * read in Compute and Aggregate, Compute (masked inputs) in the Aggregate reveal; unmask messages
 * are for the requester only. With paillier, Compute (ciphertexts sealed to the round's members)
 * is read in the Aggregate phase, where members send their sums. With plain members read nothing
 * of each other's.
 */
export function federatedReads(spec: Pick<KindSpecView, "aggregation">, phase: number): ReadScope {
  if (spec.aggregation === "secagg") return phase === Phase.Setup || phase === Phase.Compute ? "round" : "none";
  // paillier: members sum each other's ciphertexts (sealed to their round keys) so the key holder never sees one.
  return spec.aggregation === "paillier" && phase === Phase.Compute ? "round" : "none";
}
