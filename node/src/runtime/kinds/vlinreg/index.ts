import { x25519 } from "@noble/curves/ed25519.js";
import { openSealed, sealTo } from "../../../crypto/sealedbox.js";
import { getBytes, hexlify, toUtf8Bytes } from "ethers";
import { parseTaskSpec, type TaskSpec, type TaskSpecInput } from "../../../../../protocol/src/taskspec.js";
import { submitTask, submittingNode, type SubmittingNode } from "../../prepare.js";
import { canonicalJson } from "../../../../../protocol/src/canonical.js";
import { Phase } from "../../../../../protocol/src/phases.js";
import { vlinregParams, vlinregPlan, vlinregRounds, vlinregRoundsFor, vlinregSteps, type VlinregParams } from "../../../../../protocol/src/tasks/vlinreg/index.js";
import { FeatureParty, LABEL, LabelParty, type FeatureState, type LabelState } from "../../../vertical/protocol.js";
import { RuntimeTableIO, mergeTables, writerOf, type TableRef, type TranscriptRecorder } from "../../../vertical/runtime-io.js";
import type { Id } from "../../../vertical/align.js";
import type { VerticalCertificate } from "../../../vertical/certificate.js";
import { CERT_TAG, certTable, checkRunCertificate, runCertBinding } from "./certificate.js";
import {
  HandlerRegistry,
  plainCommitment,
  type AggregateContext,
  type PrepareContext,
  type PreparedTask,
  type MemberContext,
  type ReceivedContribution,
  type RoundContext,
  type Submission,
  type TaskKindHandler,
} from "../../handler.js";

/**
 * Vertical linear regression (node/src/vertical/protocol.ts) on the round runtime. Every node is
 * one party: the label party `y` or a feature party x_j, named with its node address in the spec.
 * The protocol's messages are steps, three per round (Setup, Compute, Aggregate reveal), counted
 * s = 3·(round − 1) + phase offset. With params.keyHolder = "label" (the default: y generates the
 * one Paillier key pair):
 *
 *   s = 0           all: ids/P
 *   s = 1           all align by id (misaligned ids fail here, before any key or ciphertext);
 *                   y: pk/y (its Paillier key); all: xk/P (an X25519 key for the task)
 *   s = 2           y: enc-y/y; x_j: enc-x/j under pk_y, sealed to the other feature parties
 *   s = 3           x_i: Enc_y(G_ji) from enc-x/j, Enc_y(X_iᵀy) from enc-y/y, then term/0/i->j, lterm/0/i
 *   s = 4 + 2t      y: decrypts the masked sums, grad/t/j sealed to x_j    t = 0 … I−1
 *   s = 5 + 2t      x_j: unmask, step, then term/t+1/j->i, lterm/t+1/j (or model/j after the last iteration)
 *   s = 2I + 4      y: un-scales the model from model/j; the result goes to the requester
 *
 * With params.certify, the feature parties' model step also writes cterm/final/i->j and
 * cown/final/j (the terms at the final θ, masks that cancel), and y's finish puts the final
 * certificate (proven decryptions of the true gradient) in its manifest; the requester checks it
 * (certificate.ts) and refuses the model unless ‖∇‖ is within params.certify.
 *
 * With keyHolder = "features" (every feature party generates its own key pair):
 *
 *   s = 0           all: ids/P
 *   s = 1           all align by id; x_j: pk/j, enc-x/j
 *   s = 2           x_i: Enc_j(G_ji) from enc-x/j, then term/0/i->j; y: Enc_j(−X_jᵀy) from enc-x/j
 *   s = 3 + 2t      y: grad/t/j (relay of the terms)             t = 0 … I−1
 *   s = 4 + 2t      x_j: decrypt, step, then term/t+1/j->i (or model/j after the last iteration)
 *   s = 2I + 3      y: un-scales the model from model/j; the result goes to the requester
 *
 * Data plane: each table is one blob in the connector's content-addressed store, written once by
 * the one party its name allows; a party's submission in a phase is a manifest of the tables it
 * wrote in that phase (the manifest's hash is on-chain). Parties read earlier phases' manifests of
 * the round and, across rounds, the table list the requester publishes as the round's `next`.
 * Both the requester (a registry of every name written in the task, in its state) and every reader
 * refuse a table name written twice; the round then fails with that error.
 *
 * Who gets the model: the label party computes it (it holds the label's mean and scale) and puts
 * it in its last manifest, sealed (crypto/sealedbox.ts) to params.resultKey (a per-task X25519
 * key; the requester node's prepare() makes it and keeps the secret in its own blob store), or,
 * without resultKey, to the requester's registered X25519 key; the requester (y's node itself or a
 * separate node) keeps it as the task's result. The connector's blob store never holds the model
 * in plaintext. The parties' columns, labels, residuals and predictions never travel in plaintext
 * (see protocol.ts for what each party learns in each mode). The parties' secrets for the task
 * (Paillier secret key, X25519 secret, mask seed) live in their member state on their own node.
 */

export interface VlinregModel {
  coefficients: Record<string, number>;
  intercept: number;
}

export interface VlinregResult extends Partial<VlinregModel> {
  /** Steps run in this round. */
  steps: number[];
  /** Tables written in this round. */
  tables: number;
  /** params.certify: the label party's final certificate, checked (‖∇‖ within the tolerance), and its gradient norm. */
  certificate?: VerticalCertificate;
  gradientNorm?: number;
  /** Iterations run (so far, until done). */
  iterations: number;
  /** Stopped at params.tolerance (the task closes early, "converged in round r"). */
  converged: boolean;
  done: boolean;
}

export interface VlinregRoundParams {
  /** Tables written in the previous round (validated by the requester). */
  tables: TableRef[];
}

interface Manifest {
  v: 1;
  kind: "vlinreg";
  party: string;
  step: number;
  tables: TableRef[];
  /** Refused: a model in plaintext (older builds, without params.resultKey). */
  model?: unknown;
  /** The label party's last step: the model, sealed to params.resultKey or else to the requester's registered key. */
  sealedModel?: SealedModel;
  /** params.certify: the label party's final certificate, with its last step. */
  certificate?: VerticalCertificate;
}

interface SealedModel {
  /** crypto/sealedbox.ts box, hex. */
  box: string;
}

/** The box's associated data: a model sealed for one task and round opens for that one only. */
function modelContext(ctx: Pick<RoundContext, "taskId" | "round" | "spec">): string {
  return `ciphermine vlinreg-model nonce=${ctx.spec.nonce} task=${ctx.taskId} round=${ctx.round}`;
}

export function sealModel(model: VlinregModel, recipient: Uint8Array, context: string): SealedModel {
  return { box: hexlify(sealTo(recipient, toUtf8Bytes(JSON.stringify(model)), context)) };
}

export function openModel(s: SealedModel, open: (box: Uint8Array, context: string) => Uint8Array, context: string): VlinregModel {
  let plain: Uint8Array;
  try {
    plain = open(getBytes(s.box), context);
  } catch {
    throw new Error("vlinreg: the sealed model does not open with the requester's key (sealed to another key, for another task or round, or altered)");
  }
  return JSON.parse(new TextDecoder().decode(plain)) as VlinregModel;
}

interface MemberState {
  index: Record<string, TableRef>;
  /** The run's last step (the label party's finish), once the parties stopped at the tolerance. */
  end?: number;
  feature?: FeatureState;
  label?: LabelState;
}

interface RequesterState {
  /** Every table name written in the task → its writer. */
  written: Record<string, string>;
  /** Local blob hash of the result key's secret (seeded by prepare()). */
  resultKey?: string;
  /** Step of stop/y, once the parties stopped at the tolerance. */
  stoppedAt?: number;
  /** params.certify: references of pk/y and the certificate's term tables. */
  certRefs?: Record<string, TableRef>;
}

/** The step of update t is updateStep + 2t (the label party relays iteration t one step earlier). */
const updateStep = (mode: "label" | "features") => (mode === "label" ? 5 : 4);

const OFFSET: Record<number, number> = { [Phase.Setup]: 0, [Phase.Compute]: 1, [Phase.Aggregate]: 2 };

export function stepOf(round: number, phase: number): number {
  const o = OFFSET[phase];
  if (o === undefined) throw new Error(`vlinreg: phase ${phase} has no step`);
  return 3 * (round - 1) + o;
}

function params(spec: TaskSpec): VlinregParams {
  return vlinregParams.parse(spec.params);
}

/** Party name of a node address in this task, or undefined. */
export function partyOf(p: VlinregParams, address: string): string | undefined {
  const a = address.toLowerCase();
  if (p.label.owner.toLowerCase() === a) return LABEL;
  return p.features.find((f) => f.owner.toLowerCase() === a)?.name;
}

function decodeManifest(c: ReceivedContribution): Manifest {
  let m: Manifest;
  try {
    m = JSON.parse(new TextDecoder().decode(c.payload)) as Manifest;
  } catch {
    throw new Error(`vlinreg: submission of ${c.member} is not JSON`);
  }
  if (m?.v !== 1 || m.kind !== "vlinreg" || typeof m.party !== "string" || !Number.isInteger(m.step) || !Array.isArray(m.tables)) {
    throw new Error(`vlinreg: submission of ${c.member} is not a vlinreg table manifest`);
  }
  return m;
}

/** Manifests of a phase, each checked to come from the party its node is. */
function manifests(p: VlinregParams, cs: ReceivedContribution[], step: number): Manifest[] {
  return cs.map((c) => {
    const m = decodeManifest(c);
    const party = partyOf(p, c.member);
    if (m.party !== party) throw new Error(`vlinreg: ${c.member} submitted as ${m.party}, but the spec names it ${party ?? "no party"}`);
    if (m.step !== step) throw new Error(`vlinreg: ${m.party}'s manifest is for step ${m.step}, expected ${step}`);
    for (const r of m.tables) {
      if (r.writer !== m.party || r.step !== step) throw new Error(`vlinreg: ${m.party}'s manifest lists table ${r.name} as written by ${r.writer} at step ${r.step}`);
    }
    return m;
  });
}

/** The party's dataset: ids from params.idColumn and the named value columns. */
function partyData(ctx: MemberContext, p: VlinregParams, columns: string[]): { ids: Id[]; values: Record<string, number[]> } {
  const d = ctx.datasets[0];
  if (!d) throw new Error("vlinreg: this node holds no dataset of the task");
  const t = d.table;
  const idAt = t.columns.indexOf(p.idColumn);
  let ids: Id[];
  if (idAt >= 0) ids = t.rows.map((r) => r[idAt]);
  else if (t.ids && d.row.schema.idColumn === p.idColumn) ids = t.ids;
  else throw new Error(`vlinreg: dataset ${d.name} has no id column ${p.idColumn} (columns: ${t.columns.join(", ")}); set params.idColumn to the shared id column`);
  const values: Record<string, number[]> = {};
  for (const c of columns) {
    const j = t.columns.indexOf(c);
    if (j < 0) throw new Error(`vlinreg: dataset ${d.name} has no column ${c} (columns: ${t.columns.join(", ")})`);
    values[c] = t.rows.map((r) => r[j]);
  }
  return { ids, values };
}

/** Tables a step may need: ids and keys always, and what the previous step wrote. */
function prune(index: Record<string, TableRef>, step: number): Record<string, TableRef> {
  return Object.fromEntries(Object.entries(index).filter(([n, r]) => /^(ids|pk|xk)\//.test(n) || r.step >= step - 1));
}

export interface VlinregHandlerOptions {
  /** Records every table delivery (tests check what each party received). */
  recorder?: TranscriptRecorder;
}

export function makeVlinregHandler(opts: VlinregHandlerOptions = {}): TaskKindHandler {
  async function step(ctx: MemberContext, phase: number): Promise<Submission> {
    const p = params(ctx.spec);
    const s = stepOf(ctx.round, phase);
    const me = partyOf(p, ctx.self);
    if (!me) throw new Error(`vlinreg: ${ctx.self} is not a party of task ${ctx.taskId}`);
    const { maxIterations: I, tolerance } = vlinregPlan(p);
    const mode = p.keyHolder;
    const U = updateStep(mode);
    const prev = ctx.state.get<MemberState>();
    const last = prev?.end ?? vlinregSteps(I, mode) - 1;
    const index: Record<string, TableRef> = { ...(prev?.index ?? {}) };
    if (ctx.round > 1) {
      const np = ctx.params as VlinregRoundParams | undefined;
      if (!np || !Array.isArray(np.tables)) throw new Error(`vlinreg: round ${ctx.round} has no table list from the requester`);
      mergeTables(index, np.tables, `round ${ctx.round - 1} record`);
    }
    for (let ph = Phase.Setup; ph < phase; ph++) {
      for (const m of manifests(p, await ctx.contributions(ph), stepOf(ctx.round, ph))) mergeTables(index, m.tables, `${m.party}'s manifest`);
    }
    const feats = p.features.map((f) => f.name);
    const parties = [LABEL, ...feats];
    const shape = p.features.map((f) => ({ name: f.name, columns: f.columns.length }));
    const stepOpts = { learningRate: p.learningRate ?? 1 / feats.length, momentum: p.momentum ?? (feats.length === 1 ? 0 : 0.8) };
    const io = await RuntimeTableIO.open({ party: me, node: ctx.self, step: s, index: prune(index, s), blobs: ctx.blobs, recorder: opts.recorder });
    const next: MemberState = { index, ...(prev?.end !== undefined ? { end: prev.end } : {}) };
    let model: VlinregModel | undefined;
    let certificate: VerticalCertificate | undefined;
    if (s <= last) {
      if (me === LABEL) {
        const { ids, values } = partyData(ctx, p, [p.label.column]);
        const y = values[p.label.column];
        let l: LabelParty;
        if (s === 0) {
          l = new LabelParty(ids, y, mode);
          l.publishIds(io);
        } else {
          l = LabelParty.restore(ids, y, prev!.label!, io, parties);
          if (s === last) {
            model = l.finish(io, feats);
            if (p.certify !== undefined) certificate = l.certify(io, CERT_TAG, shape, runCertBinding(ctx));
          }
          // After update t every party said whether it settled: stop (the parties publish their
          // models next, y finishes after) instead of relaying iteration t + 1.
          else if (tolerance > 0 && s > U && (s - U - 1) % 2 === 0 && l.checkStop(io, (s - U - 1) / 2, feats)) next.end = s + 2;
          else if (mode === "label") {
            if (s === 1) await l.publishKeys(io, p.keyBits);
            else if (s === 2) await l.publishLabels(io);
            else if (s >= 4 && s % 2 === 0) l.relay(io, (s - 4) / 2, shape);
          } else {
            if (s === 2) l.prepareLabelTerms(io, shape);
            else if (s >= 3 && s % 2 === 1) l.relay(io, (s - 3) / 2, shape);
          }
        }
        next.label = l.exportState();
      } else {
        const f = p.features.find((x) => x.name === me)!;
        const { ids, values } = partyData(ctx, p, f.columns);
        const input = { name: me, ids, columns: values };
        let x: FeatureParty;
        // After an update: the next iteration's terms, or the model after the last one.
        const iterate = (t: number) => {
          if (index[`stop/${LABEL}`]) {
            // y stopped the run after the last update: publish the model instead of stepping again.
            x.publishModel(io);
            if (p.certify !== undefined) x.sendCertificateTerms(io, CERT_TAG);
            next.end = s + 1;
            return;
          }
          x.update(io, t, stepOpts);
          if (t < I - 1) {
            x.sendTerms(io, t + 1);
            if (tolerance > 0) x.publishProgress(io, t, tolerance);
          } else {
            x.publishModel(io);
            if (p.certify !== undefined) x.sendCertificateTerms(io, CERT_TAG);
          }
        };
        if (s === 0) {
          x = new FeatureParty(input, mode);
          x.publishIds(io);
        } else {
          x = FeatureParty.restore(input, prev!.feature!, io, parties);
          if (mode === "label") {
            if (s === 1) x.publishSealKey(io);
            else if (s === 2) await x.publishEncrypted(io);
            else if (s === 3) {
              x.prepareCross(io, shape);
              x.prepareLabelTerm(io);
              x.sendTerms(io, 0);
            } else if (s >= 5 && s % 2 === 1) iterate((s - 5) / 2);
          } else {
            if (s === 1) {
              await x.makeKey(p.keyBits);
              await x.publishEncrypted(io);
            } else if (s === 2) {
              x.prepareCross(io, shape);
              x.sendTerms(io, 0);
            } else if (s >= 4 && s % 2 === 0) iterate((s - 4) / 2);
          }
        }
        next.feature = x.exportState();
      }
    } else {
      next.label = prev?.label;
      next.feature = prev?.feature;
    }
    const refs = await io.flush(ctx.blobs);
    mergeTables(index, refs, `${me}'s own step ${s}`);
    next.index = prune(index, s + 1);
    ctx.state.set(next);
    const release = model ? { sealedModel: sealModel(model, p.resultKey ? getBytes(p.resultKey) : await ctx.requesterKey(), modelContext(ctx)) } : {};
    const manifest: Manifest = { v: 1, kind: "vlinreg", party: me, step: s, tables: refs, ...release, ...(certificate ? { certificate } : {}) };
    const payload = toUtf8Bytes(canonicalJson(manifest));
    return { payload, commitment: plainCommitment(payload) };
  }

  return {
    kind: "vlinreg",
    aggregations: ["plain", "paillier"],
    usesReveal: () => true,
    admit(spec, datasets, self) {
      let p: VlinregParams;
      try {
        p = params(spec);
      } catch (e) {
        return `params: ${(e as Error).message}`;
      }
      const me = partyOf(p, self);
      if (!me) return "the task names this node as no party";
      if (!spec.setup) return "vlinreg needs a Setup phase in every round: set setup = true";
      const I = vlinregPlan(p).maxIterations;
      const need = vlinregRounds(I, p.keyHolder);
      if (spec.rounds < need) return `vlinreg with up to ${I} iterations and keyHolder "${p.keyHolder}" needs ${need} rounds; set rounds = ${need}`;
      const cols = me === LABEL ? [p.label.column] : p.features.find((f) => f.name === me)!.columns;
      for (const d of datasets) {
        const have = d.row.schema.columns;
        const missing = cols.filter((c) => !have.includes(c));
        if (missing.length) return `dataset ${d.row.name} v${d.row.version} lacks column(s) ${missing.join(", ")}`;
        if (!have.includes(p.idColumn) && d.row.schema.idColumn !== p.idColumn) return `dataset ${d.row.name} v${d.row.version} has no id column ${p.idColumn}`;
      }
      return undefined;
    },
    prepare: prepareVlinreg,
    setup: (ctx) => step(ctx, Phase.Setup),
    contribute: (ctx) => step(ctx, Phase.Compute),
    reveal: (ctx) => step(ctx, Phase.Aggregate),
    async aggregate(ctx: AggregateContext, compute: ReceivedContribution[]) {
      const p = params(ctx.spec);
      const parties = [LABEL, ...p.features.map((f) => f.name)];
      const { maxIterations: I } = vlinregPlan(p);
      const st = ctx.state.get<RequesterState>() ?? { written: {} };
      let stoppedAt = st.stoppedAt;
      // The last step: y's finish, two steps after its stop/y when the run stopped at the tolerance.
      const lastStep = () => (stoppedAt !== undefined ? stoppedAt + 2 : vlinregSteps(I, p.keyHolder) - 1);
      const written = { ...(st.written ?? {}) };
      const tables: TableRef[] = [];
      const steps: number[] = [];
      let model: VlinregModel | undefined;
      let certificate: VerticalCertificate | undefined;
      const certRefs = { ...(st.certRefs ?? {}) };
      for (const ph of [Phase.Setup, Phase.Compute, Phase.Aggregate]) {
        const s = stepOf(ctx.round, ph);
        const ms = manifests(p, ph === Phase.Compute ? compute : await ctx.contributions(ph), s);
        if (s <= lastStep()) {
          const missing = parties.filter((q) => !ms.some((m) => m.party === q));
          if (missing.length) throw new Error(`vlinreg: step ${s} has no submission from ${missing.join(", ")}; every party takes part in every step`);
        }
        steps.push(s);
        for (const m of ms) {
          for (const r of m.tables) {
            const w = writerOf(r.name);
            if (w !== m.party) throw new Error(`vlinreg: table ${r.name} may be written by ${w} only, ${m.party} wrote it`);
            if (written[r.name])
              throw new Error(`vlinreg: table ${r.name}: already written by ${written[r.name]}; ${m.party}'s second write at step ${s} is refused: tables are write-once`);
            written[r.name] = m.party;
            tables.push(r);
            if (r.name === `stop/${LABEL}`) stoppedAt = s;
            if (p.certify !== undefined && certTable(r.name)) certRefs[r.name] = r;
          }
          if (m.model || m.sealedModel) {
            if (m.party !== LABEL || s !== lastStep()) throw new Error(`vlinreg: ${m.party} released a model at step ${s}; only ${LABEL} does, at step ${lastStep()}`);
            if (m.model !== undefined || !m.sealedModel) throw new Error("vlinreg: the label party released the model unsealed; it must be sealed to the requester");
            if (p.resultKey) {
              if (!st.resultKey)
                throw new Error("vlinreg: this requester holds no secret for params.resultKey (submit the task through this node's POST /tasks, which makes the key)");
              const secret = await ctx.local.get(st.resultKey);
              model = openModel(m.sealedModel, (box, c) => openSealed(secret, box, c), modelContext(ctx));
            } else model = openModel(m.sealedModel, (box, c) => ctx.openSealed(box, c), modelContext(ctx));
          }
          if (m.certificate !== undefined) {
            if (p.certify === undefined || m.party !== LABEL || s !== lastStep())
              throw new Error(`vlinreg: ${m.party} sent a certificate at step ${s}; only ${LABEL} does, at its last step, with params.certify`);
            certificate = m.certificate;
          }
        }
      }
      ctx.state.set({
        written,
        ...(st.resultKey ? { resultKey: st.resultKey } : {}),
        ...(stoppedAt !== undefined ? { stoppedAt } : {}),
        ...(p.certify !== undefined ? { certRefs } : {}),
      } satisfies RequesterState);
      const done = steps.includes(lastStep());
      if (done && !model) throw new Error(`vlinreg: the label party's last step released no model`);
      let gradientNorm: number | undefined;
      if (done && p.certify !== undefined) {
        if (!certificate) throw new Error("vlinreg: params.certify is set but the label party's last step carries no final certificate; the model is refused");
        try {
          gradientNorm = (
            await checkRunCertificate(ctx.blobs, certRefs, certificate, {
              binding: runCertBinding(ctx),
              tolerance: p.certify,
              features: p.features.map((f) => ({ name: f.name, columns: f.columns.length })),
            })
          ).norm;
        } catch (e) {
          throw new Error(`vlinreg: the final certificate refuses the model: ${(e as Error).message}`, { cause: e });
        }
      }
      // stop/y after update t is written at step U + 2t + 1: t + 1 iterations ran.
      const iterations = stoppedAt !== undefined ? (stoppedAt - updateStep(p.keyHolder) - 1) / 2 + 1 : I;
      const result: VlinregResult = {
        steps,
        tables: tables.length,
        iterations,
        converged: stoppedAt !== undefined,
        done,
        ...(model ?? {}),
        ...(certificate && gradientNorm !== undefined ? { certificate, gradientNorm } : {}),
      };
      return { result, next: { tables } satisfies VlinregRoundParams, done };
    },
  };
}

export const vlinregHandler = makeVlinregHandler();

/**
 * The requester side of a vlinreg submission, run in the requester node (POST /tasks): derives
 * `rounds` (from params.maxIterations or iterations, and keyHolder) and `setup` (on) when the input leaves them out,
 * makes an X25519 result key unless params.resultKey names one, and keeps its secret in the node's
 * own blob store (sealed by the vault; named in the requester state aggregate() gets, never sent
 * anywhere), so the model is readable by this node only. The spec is parsed (every field checked)
 * before anything is kept.
 */
export async function prepareVlinreg(input: Record<string, unknown>, ctx: Pick<PrepareContext, "self" | "local">): Promise<PreparedTask> {
  const given = input.params;
  const params: Record<string, unknown> = given !== null && typeof given === "object" && !Array.isArray(given) ? { ...(given as Record<string, unknown>) } : {};
  const secret = params.resultKey === undefined ? x25519.utils.randomSecretKey() : undefined;
  if (secret) params.resultKey = hexlify(x25519.getPublicKey(secret));
  const spec = parseTaskSpec({
    ...input,
    kind: "vlinreg",
    requester: input.requester ?? ctx.self,
    params: given === undefined ? undefined : params,
    // The longest run (maxIterations); a run that reaches its tolerance closes the task earlier.
    rounds: input.rounds ?? vlinregRoundsFor(params),
    setup: input.setup ?? true,
  });
  const state: RequesterState = { written: {}, ...(secret ? { resultKey: await ctx.local.put(secret) } : {}) };
  return { spec, state };
}

/** What submitVlinreg needs of a running requester node (RunningNode has it all). */
export type VlinregRequester = SubmittingNode | Parameters<typeof submittingNode>[0];

/** Submits a vlinreg task from the requester's node: the node's own submission path (runtime/prepare.ts, as POST /tasks). */
export async function submitVlinreg(node: VlinregRequester, input: Omit<TaskSpecInput, "requester" | "kind">): Promise<{ taskId: number; specHash: string; spec: TaskSpec }> {
  const n = "localBlobs" in node ? submittingNode(node) : node;
  const r = await submitTask({ ...n, handlers: n.handlers ?? new HandlerRegistry([vlinregHandler]) }, { ...(input as Record<string, unknown>), kind: "vlinreg" });
  return { taskId: r.taskId, specHash: r.specHash, spec: r.spec };
}
