import type { ChainEvent } from "../../../protocol/src/events.js";
import type { TaskSpec } from "../../../protocol/src/taskspec.js";
import { epsilonOf } from "../privacy/accountant.js";
import { DEFAULT_DP_DELTA, privacyOf, taskRho } from "../privacy/mechanism.js";
import type { AuditAnchor, AuditPrivacy } from "./log.js";

/** The anchor of an entry written while handling `ev`. */
export function anchorOf(ev: ChainEvent): AuditAnchor {
  return { event: ev.type, cursor: ev.cursor, txHash: (ev.txHash ?? "").toLowerCase() };
}

/** The task's declared differential privacy, with `rho` the ρ reserved or charged; undefined without params.privacy. */
export function auditPrivacy(spec: TaskSpec, rho: number, noiseSigma?: () => number[] | undefined): AuditPrivacy | undefined {
  const p = privacyOf(spec);
  if (!p) return undefined;
  // Called after the release went out: a kind that cannot state its noise scale leaves it out
  // rather than turning a sent submission into a failed one.
  let sigma: number[] | undefined;
  try {
    sigma = noiseSigma?.();
  } catch {
    sigma = undefined;
  }
  const rhoTask = taskRho(p);
  const delta = p.delta ?? DEFAULT_DP_DELTA;
  return {
    mechanism: "distributed discrete Gaussian",
    rho,
    rhoTask,
    epsilon: epsilonOf(rhoTask, delta),
    delta,
    threshold: spec.members.threshold,
    bounds: p.bounds,
    ...(sigma ? { sigma } : {}),
  };
}
