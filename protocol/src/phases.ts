/**
 * Round phases. The numeric values are the Solidity `Phase` enum in TaskManager.sol; the
 * coordinator stores the same numbers, so a Round read from either mode compares equal.
 */
export const Phase = {
  None: 0,
  Join: 1,
  Setup: 2,
  Compute: 3,
  Aggregate: 4,
  Finalized: 5,
  Failed: 6,
} as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

export const PHASE_NAMES = {
  0: "None",
  1: "Join",
  2: "Setup",
  3: "Compute",
  4: "Aggregate",
  5: "Finalized",
  6: "Failed",
} as const satisfies Record<Phase, string>;
export type PhaseName = (typeof PHASE_NAMES)[Phase];

export function phaseName(p: number): PhaseName | `Unknown(${number})` {
  return PHASE_NAMES[p as Phase] ?? `Unknown(${p})`;
}

/** What a member submits in each submission phase (Setup, Compute, Aggregate), by the name nodes keep it under. */
export type SubmissionName = "setup" | "compute" | "reveal";

/** Phases in which members submit something; Setup is skipped when a task needs no setup. */
export const SUBMISSION_PHASES: readonly Phase[] = [Phase.Setup, Phase.Compute, Phase.Aggregate];

/** Node roles as a bit mask, identical in NodeRegistry.sol. */
export const Role = {
  Owner: 1,
  Worker: 2,
  Requester: 4,
} as const;
export type RoleName = keyof typeof Role;

export function rolesToMask(roles: readonly RoleName[]): number {
  return roles.reduce((m, r) => m | Role[r], 0);
}

export function maskToRoles(mask: number): RoleName[] {
  return (Object.keys(Role) as RoleName[]).filter((r) => (mask & Role[r]) !== 0);
}

/** Verification levels a TaskSpec may ask for; numbers as in TaskManager.sol. */
export const Verification = {
  None: 0,
  OffChain: 1,
  OnChain: 2,
} as const;
export type Verification = (typeof Verification)[keyof typeof Verification];
/** Verification levels by the name a TaskSpec writes them with. */
export const VERIFICATION_LEVELS = ["none", "offchain", "onchain"] as const;
export type VerificationLevel = (typeof VERIFICATION_LEVELS)[number];

/** Aggregation backends a TaskSpec may name. */
export const AGGREGATIONS = ["plain", "secagg", "paillier"] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];
