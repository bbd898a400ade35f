/**
 * sknn (1-NN classification) on the round runtime. The owner's dataset is the labelled model; the
 * query rows are the owner's own input at submission and travel encrypted (never in the spec).
 *   ckks   : one round — the worker returns encrypted squared distances, the owner decrypts,
 *            takes the argmin and maps to labels; the worker sees neither labels nor indices.
 *   legacy : two rounds, as Rory — round 1 the worker returns Liu distances and the owner replies
 *            with the nearest indices in plaintext; round 2 the worker maps them to the model
 *            labels it holds in plaintext and returns the labels.
 *   plain  : the worker runs plaintext 1-NN (baseline; leaks everything).
 */
import { sknnParams, type SknnParams } from "../../../../../protocol/src/tasks/sknn/index.js";
import { checkMatrix, decodeMessage, encodeMessage, knn, SknnCkksOwner, SknnCkksWorker, SknnLegacyOwner, SknnLegacyWorker } from "../../../algorithms/index.js";
import { bytesJson, jsonBytes } from "../shared/json.js";
import { outsourcedHandler, type OwnerEngine, type Prepared, type Preparer, type VariantImpl, type WorkerEngine } from "../shared/outsourced.js";

export interface SknnRequest {
  /** The dataset column holding integer class labels. */
  labelColumn?: string;
  /** Rows to classify (the owner's input; they leave the node only encrypted, except in `plain`). */
  query?: number[][];
}

const SETUP = "outsourced/sknn-setup";
const pair = (train: Uint8Array, query: Uint8Array) => encodeMessage({ step: SETUP }, [train, query]);
function unpair(setup: Uint8Array): [Uint8Array, Uint8Array] {
  const { frames } = decodeMessage<{ step: string }>(setup, SETUP);
  if (frames.length !== 2) throw new Error(`sknn setup: ${frames.length} frames, expected train and query`);
  return [frames[0], frames[1]];
}

class CkksOwnerEngine implements OwnerEngine {
  steps = 0;
  constructor(private readonly o: SknnCkksOwner) {}
  step(output: Uint8Array) {
    const labels = this.o.labels(output);
    this.steps++;
    return { result: { labels } };
  }
  snapshot() {
    return this.o.snapshot();
  }
  dispose() {
    this.o.dispose();
  }
}

class CkksWorkerEngine implements WorkerEngine {
  steps = 0;
  constructor(
    private readonly w: SknnCkksWorker,
    private readonly query: Uint8Array,
  ) {}
  next() {
    if (this.steps > 0) throw new Error("sknn-ckks worker: one query per task");
    const out = this.w.distances(this.query);
    this.steps++;
    return out;
  }
  dispose() {
    this.w.dispose();
  }
}

class LegacyOwnerEngine implements OwnerEngine {
  steps = 0;
  constructor(private readonly o: SknnLegacyOwner) {}
  step(output: Uint8Array) {
    this.steps++;
    if (this.steps === 1) return { reply: this.o.indices(output) };
    return { result: { labels: bytesJson<number[]>(output, "sknn-legacy labels") } };
  }
  dispose() {}
}

class LegacyWorkerEngine implements WorkerEngine {
  steps = 0;
  constructor(
    private readonly w: SknnLegacyWorker,
    private readonly query: Uint8Array,
  ) {}
  next(reply?: Uint8Array) {
    const out = reply ? jsonBytes(this.w.labels(reply)) : this.w.distances(this.query);
    this.steps++;
    return out;
  }
  dispose() {}
}

interface PlainSetup {
  step: "sknn-plain/setup";
  M: number[][];
  labels: number[];
  X: number[][];
}

const plainOwner = (): OwnerEngine => ({
  steps: 0,
  step(output: Uint8Array) {
    (this as { steps: number }).steps++;
    return { result: { labels: bytesJson<number[]>(output, "sknn-plain labels") } };
  },
  dispose() {},
});

const variants: Record<SknnParams["variant"], VariantImpl<SknnParams>> = {
  ckks: {
    rounds: () => 1,
    async worker(setup) {
      const [train, query] = unpair(setup);
      return new CkksWorkerEngine(await SknnCkksWorker.fromTrain(train), query);
    },
    async restoreOwner(snapshot) {
      return new CkksOwnerEngine(await SknnCkksOwner.restore(snapshot));
    },
  },
  legacy: {
    rounds: () => 2,
    async worker(setup) {
      const [train, query] = unpair(setup);
      return new LegacyWorkerEngine(SknnLegacyWorker.fromTrain(train), query);
    },
  },
  plain: {
    rounds: () => 1,
    async worker(setup) {
      const s = bytesJson<PlainSetup>(setup, "sknn-plain setup");
      let steps = 0;
      return {
        get steps() {
          return steps;
        },
        next() {
          steps++;
          return jsonBytes(knn(s.M, s.labels, s.X, 1));
        },
        dispose() {},
      };
    },
  },
};

const prepare: Preparer = async (req, X, table): Promise<Prepared> => {
  const r = req as typeof req & SknnRequest;
  if (typeof r.labelColumn !== "string" || !table.columns.includes(r.labelColumn))
    throw new Error(`labelColumn: name the dataset column holding the class labels (columns: ${table.columns.join(", ")})`);
  const j = table.columns.indexOf(r.labelColumn);
  const labels = table.rows.map((row) => row[j]);
  if (labels.some((l) => !Number.isInteger(l))) throw new Error(`labelColumn: "${r.labelColumn}" must hold integer class labels`);
  checkMatrix("dataset", X);
  checkMatrix("query", r.query, { cols: X[0].length });
  const query = r.query.map((q) => [...q]);
  const params = { queries: query.length, securityLevel: req.securityLevel ?? 128 };
  if (req.variant === "legacy") {
    const { owner, train } = SknnLegacyOwner.train(X, labels, { securityLevel: req.securityLevel ?? 128 });
    return { engine: new LegacyOwnerEngine(owner), setup: pair(train, owner.query(query)), params, rounds: 2 };
  }
  if (req.variant === "plain") {
    const s: PlainSetup = { step: "sknn-plain/setup", M: X, labels, X: query };
    return { engine: plainOwner(), setup: jsonBytes(s), params, rounds: 1 };
  }
  const { owner, train } = await SknnCkksOwner.train(X, labels, { preset: req.securityLevel ?? 128 });
  try {
    return { engine: new CkksOwnerEngine(owner), setup: pair(train, owner.query(query)), params, rounds: 1 };
  } catch (e) {
    owner.dispose();
    throw e;
  }
};

export const sknnHandler = outsourcedHandler("sknn", sknnParams, variants, prepare);
