/**
 * dbsnnc (one-pass nearest-neighbour clustering) on the round runtime: one round.
 *   ckks   : the worker computes every pairwise squared distance on ciphertexts; the owner
 *            decrypts and clusters (threshold in squared units, kept by the owner).
 *   legacy : Rory's FDH-OPE distance matrix and threshold; the worker clusters (and learns the
 *            clustering and the order of all distances).
 *   plain  : plaintext NNC on squared Euclidean distances at the worker (baseline).
 * The owner's threshold never appears in the spec.
 */
import { dbsnncParams, type DbsnncParams } from "../../../../../protocol/src/tasks/dbsnnc/index.js";
import { checkMatrix, DbsnncCkksOwner, DbsnncCkksWorker, dbsnncLegacyLabels, dbsnncLegacySetup, dbsnncLegacyWorker, nnc } from "../../../algorithms/index.js";
import { bytesJson, jsonBytes } from "../shared/json.js";
import { outsourcedHandler, type OwnerEngine, type Prepared, type Preparer, type VariantImpl, type WorkerEngine } from "../shared/outsourced.js";

export interface DbsnncRequest {
  /** Join threshold (ckks/plain: squared Euclidean; legacy: Manhattan); default the smallest non-zero distance, as Rory. */
  threshold?: number;
}

function oneShotOwner(finish: (out: Uint8Array) => number[], dispose = () => {}): OwnerEngine {
  let steps = 0;
  return {
    get steps() {
      return steps;
    },
    step(out) {
      const labels = finish(out);
      steps++;
      return { result: { labels } };
    },
    dispose,
  };
}

function oneShotWorker(run: () => Uint8Array, dispose = () => {}): WorkerEngine {
  let steps = 0;
  return {
    get steps() {
      return steps;
    },
    next() {
      if (steps > 0) throw new Error("dbsnnc: one pass per task");
      const out = run();
      steps++;
      return out;
    },
    dispose,
  };
}

interface PlainSetup {
  step: "dbsnnc-plain/setup";
  X: number[][];
  threshold?: number;
}

const variants: Record<DbsnncParams["variant"], VariantImpl<DbsnncParams>> = {
  ckks: {
    rounds: () => 1,
    async worker(setup) {
      const w = await DbsnncCkksWorker.fromSetup(setup);
      return oneShotWorker(
        () => w.distances(),
        () => w.dispose(),
      );
    },
  },
  legacy: {
    rounds: () => 1,
    async worker(setup) {
      return oneShotWorker(() => dbsnncLegacyWorker(setup));
    },
  },
  plain: {
    rounds: () => 1,
    async worker(setup) {
      const s = bytesJson<PlainSetup>(setup, "dbsnnc-plain setup");
      return oneShotWorker(() => jsonBytes(nnc(s.X, { threshold: s.threshold, metric: "euclidean2" })));
    },
  },
};

const prepare: Preparer = async (req, X): Promise<Prepared> => {
  const r = req as typeof req & DbsnncRequest;
  checkMatrix("dataset", X);
  if (r.threshold !== undefined && !(typeof r.threshold === "number" && r.threshold >= 0 && Number.isFinite(r.threshold)))
    throw new Error(`threshold: must be a finite number ≥ 0, got ${r.threshold}`);
  const params = { securityLevel: req.securityLevel ?? 128 };
  if (req.variant === "legacy") {
    const setup = dbsnncLegacySetup(X, { threshold: r.threshold });
    return { engine: oneShotOwner(dbsnncLegacyLabels), setup, params, rounds: 1 };
  }
  if (req.variant === "plain") {
    return {
      engine: oneShotOwner((out) => bytesJson<number[]>(out, "dbsnnc-plain labels")),
      setup: jsonBytes({ step: "dbsnnc-plain/setup", X, threshold: r.threshold } satisfies PlainSetup),
      params,
      rounds: 1,
    };
  }
  const { owner, setup } = await DbsnncCkksOwner.start(X, { threshold: r.threshold, preset: req.securityLevel ?? 128 });
  return {
    engine: oneShotOwner(
      (out) => owner.finish(out),
      () => owner.dispose(),
    ),
    setup,
    params,
    rounds: 1,
  };
};

export const dbsnncHandler = outsourcedHandler("dbsnnc", dbsnncParams, variants, prepare);
