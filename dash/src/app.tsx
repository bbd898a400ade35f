import { render } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { Component, type ComponentChildren } from "preact";
import { kindDef, knownKinds, paramsSchemaFor } from "../../protocol/src/tasks/registry.js";
import { datasetKey, paramField, parseTaskSpec, SpecError, type TaskSpec } from "../../protocol/src/taskspec.js";
import { maskToRoles, Phase, phaseName, Role, type RoleName } from "../../protocol/src/phases.js";
import type { ConnectorMode } from "../../chain-connector/src/connector.js";
import type { ChainEvent } from "../../protocol/src/events.js";
import type { InboxView, RoundView } from "../../node/src/api/views.js";
import type { TaskDecision } from "../../node/src/store/store.js";
import { z } from "zod";
import { session, unlock, type Session } from "./api.js";
import { apply, emptyModel, memberCell, short, waitingFor, type Model, type TaskState } from "./model.js";
import { barChart, burnDown, clusterScatter, fitScatter, lineChart } from "./charts.js";
import type { HonkInfo, RecheckInput, RecheckResult } from "./recheck.js";
import type { VerifyRequest, VerifyResponse } from "./verify-worker.js";

// ------------------------------------------------------------------ shared state

interface NodeTask {
  taskId: number;
  kind: string;
  /** null: the node could not read the spec. */
  spec: TaskSpec | null;
  mine: boolean;
  /** "": a spec read from the connector, about which this node decided nothing. */
  decision: TaskDecision | "";
  reason: string;
  datasets?: string[];
}
interface Live {
  s: Session;
  model: Model;
  stream: "connecting" | "live" | "reconnecting" | `stopped: ${string}`;
  /** The node's own task views (specs) by id. */
  specs: Record<number, NodeTask>;
  /** Results the node holds, by task → round. */
  results: Record<number, Record<number, unknown>>;
  info?: { mode: ConnectorMode; address: string; livenessSeconds: number; bindingDomain: { taskManager: string; chainId: string } };
  health?: { name: string; roles: RoleName[]; mode: ConnectorMode };
  chainNodes?: { address: string; roles: number; capacity: number; lastActive: number; active: boolean; endpoint: string }[];
}

let live: Live | undefined;
const listeners = new Set<() => void>();
const changed = () => listeners.forEach((f) => f());
function useLive(): Live {
  const [, set] = useState(0);
  useEffect(() => {
    const f = () => set((n) => n + 1);
    listeners.add(f);
    return () => void listeners.delete(f);
  }, []);
  return live!;
}

function useNow(ms = 1000): number {
  const [now, set] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => set(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

async function refreshNodeTasks(l: Live) {
  const list: NodeTask[] = await l.s.node.tasks();
  for (const t of list) l.specs[t.taskId] = t;
}

async function loadSpec(l: Live, taskId: number) {
  if (l.specs[taskId]) return;
  const spec = await l.s.connector<TaskSpec | null>(`/tasks/${taskId}/spec`);
  if (spec && !l.specs[taskId]) l.specs[taskId] = { taskId, kind: spec.kind, spec, mine: false, decision: "", reason: "" };
}

async function loadResult(l: Live, taskId: number, round: number) {
  try {
    const r = await l.s.node.result(taskId, round);
    (l.results[taskId] ??= {})[round] = r.result;
    changed();
  } catch {
    /* only the task's requester node holds results */
  }
}

async function start(s: Session) {
  const l: Live = { s, model: emptyModel(), stream: "connecting", specs: {}, results: {} };
  live = l;
  const [info, health] = await Promise.all([s.connector<Live["info"]>("/info"), s.node.health()]);
  l.info = info;
  l.health = health;
  l.chainNodes = await s.connector<Live["chainNodes"]>("/nodes").catch(() => []);
  await refreshNodeTasks(l).catch(() => {});
  const ac = new AbortController();
  let pending = false;
  // Events arrive in bursts (a replay from the start): re-render once per frame, not per event.
  const soon = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      changed();
    });
  };
  const onEvent = (e: ChainEvent) => {
    apply(l.model, e);
    // The spec is public chain data (its hash is on-chain): read it from the connector once per task.
    if (e.type === "TaskCreated") void loadSpec(l, e.taskId).then(soon, () => {});
    if (e.type === "RoundFinalized") void loadResult(l, e.taskId, e.round);
    if (e.type === "NodeRegistered" || e.type === "NodeUpdated" || e.type === "MemberJoined" || e.type === "ContributionSubmitted")
      void s.connector<Live["chainNodes"]>("/nodes").then(
        (n) => {
          l.chainNodes = n;
          soon();
        },
        () => {},
      );
    soon();
  };
  void s
    .events(onEvent, ac.signal, (st) => {
      l.stream = st;
      soon();
    })
    .catch((e: unknown) => {
      l.stream = `stopped: ${(e as Error).message}`;
      changed();
    });
  changed();
}

// ------------------------------------------------------------------ pieces

class Boundary extends Component<{ children: ComponentChildren }, { error?: string }> {
  override state: { error?: string } = {};
  override componentDidCatch(e: unknown) {
    this.setState({ error: e instanceof Error ? `${e.message}\n${e.stack ?? ""}` : String(e) });
  }
  render() {
    if (this.state.error)
      return (
        <div class="error-boundary" role="alert">
          <b>This page failed to render.</b>
          <pre>{this.state.error}</pre>
        </div>
      );
    return this.props.children;
  }
}

function Canvas(p: { draw: (c: HTMLCanvasElement) => number | { marks: number; errorBars: number }; deps: unknown[]; id: string; height?: number }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!ref.current) return;
    const drawn = p.draw(ref.current);
    ref.current.dataset.marks = String(typeof drawn === "number" ? drawn : drawn.marks);
    if (typeof drawn !== "number") ref.current.dataset.errorbars = String(drawn.errorBars);
  }, p.deps);
  return <canvas ref={ref} id={p.id} class="chart" style={{ height: `${p.height ?? 240}px` }} />;
}

const ago = (now: number, t?: number) => (t === undefined || t === 0 ? "never" : `${Math.max(0, Math.round(now / 1000 - t))} s ago`);
function countdown(now: number, deadline: number) {
  const s = Math.round(deadline - now / 1000);
  if (!deadline) return "—";
  if (s < 0) return `passed ${-s} s ago`;
  if (s > 86_400) return `${Math.round(s / 86_400)} d`;
  return s >= 60 ? `${Math.floor(s / 60)} m ${s % 60} s` : `${s} s`;
}

// ------------------------------------------------------------------ pages

function Network() {
  const l = useLive();
  const now = useNow();
  const m = l.model;
  const height = m.cursor ?? "—";
  const nodes = l.chainNodes ?? [];
  const alerts: string[] = [];
  for (const t of Object.values(m.tasks)) {
    const r = t.round[t.current];
    if (!r || t.closed || r.phase >= Phase.Finalized) continue;
    const left = r.deadline - now / 1000;
    if (left < 0) alerts.push(`task ${t.taskId} round ${r.round}: ${phaseName(r.phase)} deadline passed ${Math.round(-left)} s ago (stuck until someone advances it)`);
    else if (left < 30) alerts.push(`task ${t.taskId} round ${r.round}: ${phaseName(r.phase)} ends in ${Math.round(left)} s`);
  }
  return (
    <section id="page-network">
      <h2>Network</h2>
      <dl class="facts">
        <dt>mode</dt>
        <dd id="net-mode">{l.info?.mode}</dd>
        <dt>height (event cursor)</dt>
        <dd id="net-height">{height}</dd>
        <dt>events seen</dt>
        <dd>{m.events}</dd>
        <dt>connector</dt>
        <dd id="net-connector">{l.stream === "live" ? "healthy: event stream live" : l.stream}</dd>
        <dt>liveness window</dt>
        <dd>{l.info?.livenessSeconds} s</dd>
        <dt>this node</dt>
        <dd>
          {l.health?.name} ({l.health?.roles.join(", ")})
        </dd>
      </dl>
      {alerts.length > 0 && (
        <ul class="alerts">
          {alerts.map((a) => (
            <li>{a}</li>
          ))}
        </ul>
      )}
      <h3>Nodes ({nodes.length})</h3>
      <table id="nodes">
        <thead>
          <tr>
            <th>address</th>
            <th>roles</th>
            <th>capacity</th>
            <th>endpoint</th>
            <th>active</th>
            <th>last active</th>
            <th>last event</th>
          </tr>
        </thead>
        <tbody>
          {nodes.map((n) => (
            <tr>
              <td class="mono">{n.address}</td>
              <td>{maskToRoles(n.roles).join(", ")}</td>
              <td>{n.capacity}</td>
              <td class="mono">{n.endpoint}</td>
              <td>{n.active ? "yes" : "no"}</td>
              <td>{ago(now, n.lastActive)}</td>
              <td>{ago(now, m.nodes[n.address]?.lastSeen)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** The chain records keccak256 of the kind's name; the spec (the node's task view) has the name itself. */
const kindOf = (l: Live, t: TaskState) => l.specs[t.taskId]?.kind ?? l.specs[t.taskId]?.spec?.kind ?? `${t.kind.slice(0, 10)}…`;

function taskRow(l: Live, t: TaskState) {
  const spec = l.specs[t.taskId]?.spec;
  const r = t.round[t.current];
  const joined = r ? Object.keys(r.members).length : 0;
  const state = t.closed ? "closed" : r?.phase === Phase.Failed ? "failed" : "running";
  return { t, kind: kindOf(l, t), spec, r, joined, state, phase: r ? phaseName(r.phase) : "—" };
}

/** The privacy loss a task asks for, as its spec states it (ε, δ or zCDP ρ). */
function privacyOf(spec: TaskSpec | null | undefined): string {
  const p = spec && paramField(spec, "privacy");
  if (!p) return "none";
  return p.epsilon !== undefined ? `ε ${p.epsilon}${p.delta !== undefined ? `, δ ${p.delta}` : ""}` : `ρ ${p.rho}`;
}

/** Page buttons for a list longer than a page (the Tasks and Explorer tables). */
function Pager(p: { total: number; per: number; page: number; setPage: (page: number) => void }) {
  if (p.total <= p.per) return null;
  const last = Math.ceil(p.total / p.per) - 1;
  return (
    <span>
      {" "}
      page <button onClick={() => p.setPage(Math.max(0, p.page - 1))}>‹</button> {p.page + 1} <button onClick={() => p.setPage(Math.min(last, p.page + 1))}>›</button>
    </span>
  );
}

function Tasks() {
  const l = useLive();
  const now = useNow();
  const [kind, setKind] = useState("");
  const [state, setState] = useState("");
  const [page, setPage] = useState(0);
  const per = 25;
  const rows = Object.values(l.model.tasks)
    .sort((a, b) => b.taskId - a.taskId)
    .map((t) => taskRow(l, t))
    .filter((x) => (!kind || x.kind === kind) && (!state || x.state === state));
  const kinds = [...new Set(Object.values(l.model.tasks).map((t) => kindOf(l, t)))];
  const shown = rows.slice(page * per, page * per + per);
  return (
    <section id="page-tasks">
      <h2>Tasks</h2>
      <div class="filters">
        <label>
          kind{" "}
          <select id="filter-kind" value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value)}>
            <option value="">all</option>
            {kinds.map((k) => (
              <option>{k}</option>
            ))}
          </select>
        </label>
        <label>
          state{" "}
          <select id="filter-state" value={state} onChange={(e) => setState((e.target as HTMLSelectElement).value)}>
            <option value="">all</option>
            <option>running</option>
            <option>closed</option>
            <option>failed</option>
          </select>
        </label>
        <span>{rows.length} tasks</span>
        <Pager total={rows.length} per={per} page={page} setPage={setPage} />
      </div>
      <table id="tasks">
        <thead>
          <tr>
            <th>id</th>
            <th>kind</th>
            <th>backend</th>
            <th>verification</th>
            <th>round</th>
            <th>phase</th>
            <th>joined / threshold</th>
            <th>deadline</th>
            <th>privacy</th>
            <th>state</th>
          </tr>
        </thead>
        <tbody>
          {shown.map(({ t, kind, spec, r, joined, state, phase }) => (
            <tr data-task={t.taskId}>
              <td>
                <a href={`#/task/${t.taskId}`}>{t.taskId}</a>
              </td>
              <td>{kind}</td>
              <td>{spec?.aggregation ?? "?"}</td>
              <td>{spec?.verification ?? "?"}</td>
              <td>
                {t.current} of {t.rounds}
              </td>
              <td class={`phase phase-${phase}`}>{phase}</td>
              <td>
                {joined} / {spec?.members?.threshold ?? "?"}
              </td>
              <td>{r && r.phase < Phase.Finalized && !t.closed ? countdown(now, r.deadline) : "—"}</td>
              <td>{privacyOf(spec)}</td>
              <td>
                {state}
                {t.closed ? `: ${t.closed}` : ""}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

type KmeansResult = { centroids: number[][]; counts?: number[]; inertia?: number; movement?: number; converged?: boolean };

function download(name: string, text: string, type: string) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

const hasCentroids = (res: unknown): res is KmeansResult => !!res && Array.isArray((res as KmeansResult).centroids);

function resultCsv(rounds: Record<number, unknown>, columns: string[]): string {
  // Results with centroids (k-means): one row per round and cluster.
  if (Object.values(rounds).length > 0 && Object.values(rounds).every(hasCentroids)) {
    const lines = [["round", "cluster", "count", ...columns].join(",")];
    for (const [r, res] of Object.entries(rounds)) (res as KmeansResult).centroids.forEach((c, k) => lines.push([r, k, (res as KmeansResult).counts?.[k] ?? "", ...c].join(",")));
    return lines.join("\n") + "\n";
  }
  // Other kinds: one row per round and top-level numeric field (arrays flattened with their index).
  const lines = ["round,field,value"];
  for (const [r, res] of Object.entries(rounds))
    for (const [k, v] of Object.entries(res as Record<string, unknown>))
      if (Array.isArray(v)) v.forEach((x, i) => lines.push(`${r},${k}[${i}],${JSON.stringify(x)}`));
      else lines.push(`${r},${k},${JSON.stringify(v)}`);
  return lines.join("\n") + "\n";
}

function TaskDetail({ id }: { id: number }) {
  const l = useLive();
  const now = useNow();
  const t = l.model.tasks[id];
  const nodeTask = l.specs[id];
  const spec = nodeTask?.spec;
  const [dims, setDims] = useState<[number, number]>([0, 1]);
  const results = l.results[id] ?? {};
  const [nodeRounds, setNodeRounds] = useState<RoundView[]>([]);
  const failures = t ? Object.values(t.round).filter((r) => r.phase === Phase.Failed).length : 0;
  useEffect(() => {
    if (!t) return;
    for (const r of Object.values(t.round)) if (r.phase === Phase.Finalized && results[r.round] === undefined) void loadResult(l, id, r.round);
    // This node's own view of the task's rounds (its errors say why it failed or left a round): re-read when a round moves on or fails.
    l.s.node.task(id).then(
      (v) => setNodeRounds(v.rounds),
      () => {},
    );
  }, [id, t?.current, failures, t?.closed]);
  if (!t)
    return (
      <section id="page-task">
        <h2>Task {id}</h2>
        <p>not seen in the event stream (yet)</p>
      </section>
    );
  const rounds = Object.values(t.round).sort((a, b) => a.round - b.round);
  const members = [...new Set(rounds.flatMap((r) => [...Object.keys(r.members), ...Object.keys(r.reports)]))].sort();
  const reports = rounds.flatMap((r) => Object.entries(r.reports).map(([a, x]) => ({ round: r.round, member: a, ...x })));
  const proven = spec?.verification !== undefined && spec.verification !== "none";
  const cur = t.round[t.current];
  const columns = (spec && paramField(spec, "columns")) ?? [];
  const kres = rounds.map((r) => results[r.round]).filter(hasCentroids);
  const kRounds = rounds.filter((r) => (results[r.round] as KmeansResult | undefined)?.centroids);
  const allRounds = Object.keys(results).length;
  const kind = kindOf(l, t);
  const model = kindDef(kind)?.model;
  return (
    <section id="page-task">
      <h2>
        Task {id}: {kind}
      </h2>
      <dl class="facts">
        <dt>requester</dt>
        <dd class="mono">{t.requester}</dd>
        <dt>backend / verification</dt>
        <dd>
          {spec?.aggregation ?? "?"} / {spec?.verification ?? "?"}
        </dd>
        <dt>round</dt>
        <dd id="task-round">
          {t.current} of {t.rounds}
        </dd>
        <dt>state</dt>
        <dd id="task-state">{t.closed ? `closed: ${t.closed}` : cur ? phaseName(cur.phase) : "created"}</dd>
        <dt>spec hash</dt>
        <dd class="mono">{t.specHash}</dd>
        <dt>proofs</dt>
        <dd>
          <a id="to-proofs" href={`#/proofs/${id}`}>
            contributions, commitments and dataset roots
          </a>
        </dd>
      </dl>
      <p id="waiting" class="waiting">
        {waitingFor(t, cur, spec?.members?.threshold ?? 1)}
        {cur && cur.phase < Phase.Finalized && !t.closed ? ` — deadline in ${countdown(now, cur.deadline)}` : ""}
      </p>

      <h3>Phases per round</h3>
      <div id="swimlane" class="swimlane">
        {rounds.map((r) => {
          const t0 = r.steps[0].at;
          return (
            <div class="lane">
              <span class="lane-label">round {r.round}</span>
              {r.steps.map((st, i) => {
                const end = r.steps[i + 1]?.at ?? (st.phase >= Phase.Finalized ? st.at : now / 1000);
                return (
                  <span
                    class={`step phase-${phaseName(st.phase)}`}
                    title={`${phaseName(st.phase)} from +${st.at - t0} s${st.deadline ? `, deadline ${new Date(st.deadline * 1000).toISOString()}` : ""}`}
                    style={{ flexGrow: Math.max(1, end - st.at) }}
                  >
                    {phaseName(st.phase)} +{st.at - t0}s
                  </span>
                );
              })}
            </div>
          );
        })}
      </div>

      <h3>Members × rounds</h3>
      <table id="matrix" class="matrix">
        <thead>
          <tr>
            <th>member</th>
            {rounds.map((r) => (
              <th>r{r.round}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {members.map((a) => (
            <tr>
              <td class="mono" title={a}>
                {short(a)}
              </td>
              {rounds.map((r) => {
                const c = memberCell(r, a, proven);
                return (
                  <td class={`cell cell-${c.cell}`} data-cell={c.cell} title={c.why}>
                    {c.cell}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      {nodeTask && nodeTask.decision === "decline" && <p class="why">this node declined: {nodeTask.reason}</p>}
      {reports.length > 0 && (
        <ul id="reports" class="why">
          {reports.map((x) => (
            <li>
              round {x.round}: {short(x.member)} {x.status}: {x.reason}
            </li>
          ))}
        </ul>
      )}
      {nodeRounds
        .filter((r) => r.error)
        .map((r) => (
          <p class="why node-error">
            round {r.round} on this node ({r.side}): {r.status}: {r.error}
          </p>
        ))}

      {kres.length > 0 && (
        <div class="charts">
          <div>
            <h3>Inertia and centroid movement per round</h3>
            <Canvas
              id="chart-rounds"
              deps={[kres.length]}
              draw={(c) =>
                lineChart(c, [
                  { name: "inertia", points: kRounds.map((r) => [r.round, (results[r.round] as KmeansResult).inertia ?? 0] as [number, number]) },
                  { name: "movement", points: kRounds.map((r) => [r.round, (results[r.round] as KmeansResult).movement ?? 0] as [number, number]) },
                ])
              }
            />
          </div>
          <div>
            <h3>Clusters (centroids sized by count, paths over rounds)</h3>
            {columns.length > 2 && (
              <span>
                x{" "}
                <select onChange={(e) => setDims([Number((e.target as HTMLSelectElement).value), dims[1]])}>
                  {columns.map((c, i) => (
                    <option value={i} selected={i === dims[0]}>
                      {c}
                    </option>
                  ))}
                </select>
                y{" "}
                <select onChange={(e) => setDims([dims[0], Number((e.target as HTMLSelectElement).value)])}>
                  {columns.map((c, i) => (
                    <option value={i} selected={i === dims[1]}>
                      {c}
                    </option>
                  ))}
                </select>
              </span>
            )}
            <Canvas id="chart-scatter" deps={[kres.length, dims[0], dims[1]]} draw={(c) => clusterScatter(c, kres, dims, [columns[dims[0]] ?? "x", columns[dims[1]] ?? "y"])} />
          </div>
        </div>
      )}

      {model && <RegressionCharts link={model.link} spec={spec} results={results} />}
      <StatsChart results={results} />

      <h3>Results</h3>
      {allRounds === 0 ? (
        <p>no result on this node yet (results stay on the requester's node; it opens what members sealed to it and serves them to its operator over the signed API)</p>
      ) : (
        <p>
          {allRounds} round(s) held by this node.{" "}
          <button id="dl-json" onClick={() => download(`task-${id}.json`, JSON.stringify(results, null, 2), "application/json")}>
            download JSON
          </button>{" "}
          <button id="dl-csv" onClick={() => download(`task-${id}.csv`, resultCsv(results, columns), "text/csv")}>
            download CSV
          </button>
        </p>
      )}
    </section>
  );
}

type RegressionOut = { weights: number[]; names: string[]; loss: number; gradientNorm: number };
type StatsOut = {
  columns: Record<string, { count: number; sum: number; mean: number; variance: number }>;
  members: number;
  privacy?: { sigma: number[]; threshold: number };
};

/** A CSV with a header row, numbers only (the holdout file the requester checks a model on). */
function parseCsv(text: string): { columns: string[]; rows: number[][] } {
  const lines = text.split(/\r?\n/).filter((x) => x.trim() !== "");
  const columns = (lines[0] ?? "").split(",").map((c) => c.trim());
  const rows = lines.slice(1).map((line, i) => {
    const v = line.split(",").map(Number);
    if (v.length !== columns.length || v.some((x) => !Number.isFinite(x))) throw new Error(`line ${i + 2}: ${columns.length} numbers expected`);
    return v;
  });
  return { columns, rows };
}

/**
 * Loss and gradient norm per round, and fitted against actual values on a holdout file the
 * requester opens here (its rows stay in this page: members' rows never leave their nodes, so the
 * requester can only check a model on data it holds itself).
 */
function RegressionCharts({ link, spec, results }: { link: "identity" | "logistic"; spec?: TaskSpec | null; results: Record<number, unknown> }) {
  const rounds = Object.entries(results)
    .map(([r, v]) => [Number(r), v as RegressionOut] as const)
    .filter(([, v]) => typeof v?.loss === "number")
    .sort((a, b) => a[0] - b[0]);
  const [holdout, setHoldout] = useState<{ columns: string[]; rows: number[][] } | undefined>();
  const [err, setErr] = useState("");
  const last = rounds[rounds.length - 1]?.[1];
  const params = (spec?.params ?? {}) as { features?: string[]; target?: string };
  let pairs: [number, number][] = [];
  let lacks = "";
  if (holdout && last && params.features && params.target) {
    const idx = [...params.features, params.target].map((c) => holdout.columns.indexOf(c));
    const missing = [...params.features, params.target].filter((_, i) => idx[i] < 0);
    if (missing.length) lacks = `the holdout file lacks column(s) ${missing.join(", ")}`;
    else {
      // names: "(intercept)" first when fitted, then the features in order (RegressionResult).
      pairs = holdout.rows.map((row) => {
        let z = 0;
        last.names.forEach((n, i) => (z += last.weights[i] * (n === "(intercept)" ? 1 : row[holdout.columns.indexOf(n)])));
        const fitted = link === "logistic" ? 1 / (1 + Math.exp(-z)) : z;
        return [fitted, row[idx[idx.length - 1]]];
      });
    }
  }
  return (
    <div class="charts">
      <div>
        <h3>Loss and gradient norm per round</h3>
        <Canvas
          id="chart-loss"
          deps={[rounds.length]}
          draw={(c) =>
            lineChart(c, [
              { name: "loss", points: rounds.map(([r, v]) => [r, v.loss]) },
              { name: "gradient norm", points: rounds.map(([r, v]) => [r, v.gradientNorm]) },
            ])
          }
        />
      </div>
      <div>
        <h3>Fitted versus actual{link === "logistic" ? " (probability against label)" : ""}</h3>
        <p>
          a holdout CSV you hold (header {[...(params.features ?? []), params.target].join(",")}):{" "}
          <input
            id="holdout"
            type="file"
            accept=".csv,text/csv"
            onChange={(e) =>
              void (async () => {
                setErr("");
                try {
                  const f = (e.target as HTMLInputElement).files?.[0];
                  setHoldout(f ? parseCsv(await f.text()) : undefined);
                } catch (x) {
                  setErr((x as Error).message);
                }
              })()
            }
          />
        </p>
        {(err || lacks) && <p class="field-error">{err || lacks}</p>}
        {pairs.length > 0 && (
          <Canvas id="chart-fit" deps={[pairs.length, rounds.length]} draw={(c) => fitScatter(c, pairs, [link === "logistic" ? "fitted probability" : "fitted", "actual"])} />
        )}
      </div>
    </div>
  );
}

/**
 * Each column's mean; with differential privacy, ±1 standard deviation of the released noise: the
 * privacy report's σ is for `threshold` members, the noise of `members` is √(members/threshold)
 * times that, and the mean's follows from the sum's and the count's (first order).
 */
function StatsChart({ results }: { results: Record<number, unknown> }) {
  const res = Object.values(results)
    .map((v) => v as StatsOut)
    // a stats result by its shape (columns by name, with the members behind them)
    .find((v) => v?.columns && !Array.isArray(v.columns) && typeof v.members === "number");
  if (!res) return null;
  const names = Object.keys(res.columns);
  const p = res.privacy;
  const scale = p ? Math.sqrt(Math.max(res.members, p.threshold) / p.threshold) : 0;
  const bars = names.map((n, j) => {
    const c = res.columns[n];
    if (!p) return { name: n, value: c.mean };
    const sdCount = p.sigma[0] * scale;
    const sdSum = (p.sigma[3 * j + 1] ?? NaN) * scale;
    return { name: n, value: c.mean, err: Math.sqrt(sdSum ** 2 + (c.mean * sdCount) ** 2) / Math.max(1, c.count) };
  });
  return (
    <div>
      <h3>Means per column{p ? " (±1 sd of the differential-privacy noise)" : ""}</h3>
      <Canvas id="chart-stats" deps={[names.length, res.members]} draw={(c) => barChart(c, bars)} />
      <table id="stats-table">
        <tbody>
          {bars.map((b) => (
            <tr>
              <td>{b.name}</td>
              <td>
                {num(b.value)}
                {b.err !== undefined ? ` ± ${num(b.err)}` : ""}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// ------------------------------------------------------------------ proofs and provenance

/**
 * For each contribution of a task: its commitment and blob, where it was recorded (transaction or
 * event cursor), the verifier bound to the kind, and the member's dataset commitments registered
 * before the task (the roots a proof must open), and for UltraHonk-proven contributions a re-verify
 * button: the browser fetches the blob through the connector pass-through, the kind's verification
 * key and CRS points from this node, and re-checks everything in a web worker (recheck.ts,
 * verify-worker.ts).
 */
function Proofs({ id }: { id: number }) {
  const l = useLive();
  const [checks, setChecks] = useState<Record<string, { busy?: boolean; result?: RecheckResult; ms?: number }>>({});
  const t = l.model.tasks[id];
  if (!t)
    return (
      <section id="page-proofs">
        <h2>Proofs of task {id}</h2>
        <p>not seen in the event stream (yet)</p>
      </section>
    );
  const spec = l.specs[id]?.spec;
  const verifier = l.model.verifiers[t.kind];
  const rounds = Object.values(t.round).sort((a, b) => a.round - b.round);
  const members = [...new Set(rounds.flatMap((r) => Object.keys(r.members)))];
  // The spec names datasets; the chain keys them by keccak256 of the name.
  const refs = (spec?.datasets ?? []).map((r) => ({ owner: r.owner, key: datasetKey(r.datasetId) }));
  return (
    <section id="page-proofs">
      <h2>
        Proofs and provenance of task {id} ({kindOf(l, t)})
      </h2>
      <dl class="facts">
        <dt>verification</dt>
        <dd id="proof-verification">{spec?.verification ?? "?"}</dd>
        <dt>verifier bound to the kind</dt>
        <dd class="mono" id="proof-verifier">
          {verifier ?? (l.info?.mode === "coordinator" ? "coordinator: checked off-chain with the kind's verification key" : "none set")}
        </dd>
        <dt>spec hash (on-chain)</dt>
        <dd class="mono">{t.specHash}</dd>
      </dl>
      <h3>Dataset commitments the task references (members only)</h3>
      <table id="provenance">
        <thead>
          <tr>
            <th>owner</th>
            <th>dataset (key)</th>
            <th>version</th>
            <th>root</th>
            <th>rows</th>
            <th>registered</th>
          </tr>
        </thead>
        <tbody>
          {l.model.datasets
            .filter((d) => refs.some((r) => r.owner === d.owner && r.key === d.datasetId) && members.includes(d.owner))
            .map((d) => (
              <tr>
                <td class="mono">{short(d.owner)}</td>
                <td class="mono">{short(d.datasetId)}</td>
                <td>{d.version}</td>
                <td class="mono">{short(d.root)}</td>
                <td>{d.rows}</td>
                <td class="mono">{d.txHash ? short(d.txHash) : `event ${d.cursor}`}</td>
              </tr>
            ))}
        </tbody>
      </table>
      <h3>Contributions</h3>
      <table id="contributions">
        <thead>
          <tr>
            <th>round</th>
            <th>phase</th>
            <th>member</th>
            <th>commitment</th>
            <th>blob</th>
            <th>recorded</th>
            <th>re-verify</th>
          </tr>
        </thead>
        <tbody>
          {rounds.flatMap((r) =>
            Object.entries(r.members).flatMap(([a, m]) =>
              Object.entries(m.submitted).map(([p, c]) => (
                <tr data-contribution={`${r.round}:${a}`} data-phase={phaseName(Number(p))}>
                  <td>{r.round}</td>
                  <td>{phaseName(Number(p))}</td>
                  <td class="mono">{short(a)}</td>
                  <td class="mono" title={c.commitment}>
                    {short(c.commitment)}
                  </td>
                  <td class="mono" title={c.blobHash}>
                    {short(c.blobHash)}
                  </td>
                  <td class="mono">{c.txHash ? short(c.txHash) : `event ${c.cursor}`}</td>
                  <td>
                    {spec?.proofSystem === "honk" && Number(p) === Phase.Compute ? (
                      <RecheckCell
                        state={checks[`${r.round}:${a}`]}
                        run={() => {
                          const key = `${r.round}:${a}`;
                          setChecks((x) => ({ ...x, [key]: { busy: true } }));
                          void recheck(l, t.taskId, kindOf(l, t), spec, r.round, a, c).then((v) => setChecks((x) => ({ ...x, [key]: v })));
                        }}
                      />
                    ) : (
                      <span title="only UltraHonk-proven Compute contributions carry proofs the browser re-checks">—</span>
                    )}
                  </td>
                </tr>
              )),
            ),
          )}
        </tbody>
      </table>
    </section>
  );
}

function RecheckCell(p: { state?: { busy?: boolean; result?: RecheckResult; ms?: number }; run: () => void }) {
  const r = p.state?.result;
  return (
    <span class="recheck" data-verify={p.state?.busy ? "running" : r ? (r.ok ? "ok" : "failed") : "idle"}>
      <button class="reverify" disabled={p.state?.busy} onClick={p.run}>
        {p.state?.busy ? "checking…" : "re-verify"}
      </button>{" "}
      {r && (
        <span class={r.ok ? "verified" : "field-error"} title={r.steps.join(" ✓ ")}>
          {r.ok ? `verified: ${r.steps.join(", ")} (${r.groups} proof${r.groups > 1 ? "s" : ""}, ${Math.round(p.state?.ms ?? 0)} ms)` : `failed: ${r.error}`}
        </span>
      )}
    </span>
  );
}

let worker: { w: Worker; next: number; waiting: Map<number, (v: VerifyResponse) => void> } | undefined;
// One fetch per kind while it succeeds; a failed one is dropped so the next click asks again.
const honkInfo = new Map<string, Promise<HonkInfo>>();

/** Gathers what the worker needs (blob, verification key and CRS points, binding domain, the member's registered roots) and runs the re-check there. */
async function recheck(
  l: Live,
  taskId: number,
  kind: string,
  spec: TaskSpec,
  round: number,
  member: string,
  c: { blobHash: string; commitment: string },
): Promise<{ result: RecheckResult; ms?: number }> {
  try {
    let info = honkInfo.get(kind);
    if (!info) {
      info = l.s.dash<HonkInfo>(`/honk/${encodeURIComponent(kind)}`).catch((e: unknown) => {
        honkInfo.delete(kind);
        throw e;
      });
      honkInfo.set(kind, info);
    }
    const honk = await info;
    const blob = await l.s.connectorBytes(`/blobs/${c.blobHash}`);
    const ref = (spec.datasets ?? []).find((d) => d.owner.toLowerCase() === member.toLowerCase());
    const key = ref ? datasetKey(ref.datasetId) : "";
    const datasets = l.model.datasets
      .filter((d) => d.owner.toLowerCase() === member.toLowerCase() && d.datasetId === key)
      .map((d) => ({ root: d.root, rows: d.rows, version: d.version }));
    const input: RecheckInput = { blob, blobHash: c.blobHash, commitment: c.commitment, member, taskId, round, bindingDomain: l.info!.bindingDomain, datasets, honk };
    if (!worker) {
      const w = new Worker("verify-worker.js");
      const waiting = new Map<number, (v: VerifyResponse) => void>();
      w.onmessage = (ev: MessageEvent<VerifyResponse>) => {
        waiting.get(ev.data.id)?.(ev.data);
        waiting.delete(ev.data.id);
      };
      worker = { w, next: 1, waiting };
    }
    const wk = worker;
    const id = wk.next++;
    const out = await new Promise<VerifyResponse>((resolve) => {
      wk.waiting.set(id, resolve);
      wk.w.postMessage({ id, input } satisfies VerifyRequest);
    });
    return { result: out.result, ms: out.ms };
  } catch (e) {
    return { result: { ok: false, steps: [], groups: 0, error: e instanceof Error ? e.message : String(e) } };
  }
}

// ------------------------------------------------------------------ explorer: the decoded event stream

interface ExplorerTx {
  hash: string;
  from: string;
  to: string | null;
  call: string | null;
  status: "ok" | "reverted";
  error: string | null;
  events: string[];
  gasUsed: string;
}
interface ExplorerBlock {
  number: number;
  hash: string;
  time: number;
  txs: ExplorerTx[];
}

/**
 * The chain's recent blocks (ethereum mode): every transaction with its call, events and, when it
 * reverted, its custom error, decoded by the node with the project's ABIs (GET /dash/api/chain/blocks).
 * Re-read when the event stream moves on; "older" pages back.
 */
function Blocks() {
  const l = useLive();
  const [before, setBefore] = useState<number | undefined>();
  const [data, setData] = useState<{ head: number; blocks: ExplorerBlock[] } | undefined>();
  const [err, setErr] = useState("");
  useEffect(() => {
    const t = setTimeout(() => {
      l.s.dash<{ head: number; blocks: ExplorerBlock[] }>(`/chain/blocks?count=10${before !== undefined ? `&before=${before}` : ""}`).then(
        (d) => {
          setData(d);
          setErr("");
        },
        (e: unknown) => setErr((e as Error).message),
      );
    }, 300);
    return () => clearTimeout(t);
  }, [before, before === undefined ? l.model.events : 0]);
  const last = data?.blocks[data.blocks.length - 1]?.number;
  return (
    <div>
      <h2>
        Blocks {data ? `(head ${data.head})` : ""} {before !== undefined && <button onClick={() => setBefore(undefined)}>latest</button>}{" "}
        {last !== undefined && last > 0 && (
          <button id="blocks-older" onClick={() => setBefore(last - 1)}>
            older
          </button>
        )}
      </h2>
      {err && <p class="field-error">{err}</p>}
      <table id="blocks">
        <thead>
          <tr>
            <th>block</th>
            <th>time</th>
            <th>transaction</th>
            <th>call</th>
            <th>status</th>
            <th>events</th>
          </tr>
        </thead>
        <tbody>
          {(data?.blocks ?? []).flatMap((b) =>
            (b.txs.length ? b.txs : [undefined]).map((tx) => (
              <tr data-block={b.number} data-status={tx?.status ?? "empty"} data-tx={tx?.hash}>
                <td class="mono" title={b.hash}>
                  {b.number}
                </td>
                <td>{new Date(b.time * 1000).toISOString().replace(".000Z", "Z")}</td>
                <td class="mono" title={tx ? `${tx.hash} from ${tx.from} to ${tx.to ?? "(deploy)"}` : ""}>
                  {tx ? short(tx.hash) : "no transaction"}
                </td>
                <td class="mono">{tx?.call ?? (tx ? `unknown call to ${tx.to ?? "?"}` : "")}</td>
                <td class={tx?.status === "reverted" ? "field-error tx-error" : ""}>{tx ? (tx.status === "ok" ? `ok (gas ${tx.gasUsed})` : `reverted: ${tx.error}`) : ""}</td>
                <td class="mono">{tx?.events.join("; ")}</td>
              </tr>
            )),
          )}
        </tbody>
      </table>
    </div>
  );
}

function Explorer() {
  const l = useLive();
  const [type, setType] = useState("");
  const [task, setTask] = useState("");
  const [page, setPage] = useState(0);
  const per = 50;
  const all = l.model.recent;
  const types = [...new Set(all.map((e) => e.type))].sort();
  const rows = all
    .filter((e) => (!type || e.type === type) && (!task || ("taskId" in e && String(e.taskId) === task)))
    .slice()
    .reverse();
  const shown = rows.slice(page * per, page * per + per);
  const detail = (e: ChainEvent) => {
    const { type: _t, cursor: _c, time: _ti, txHash: _x, ...rest } = e as ChainEvent & Record<string, unknown>;
    return Object.entries(rest)
      .map(([k, v]) => `${k}=${typeof v === "string" && v.length > 18 ? short(v) : String(v)}`)
      .join("  ");
  };
  return (
    <section id="page-explorer">
      {l.info?.mode === "ethereum" ? <Blocks /> : <p id="no-blocks">coordinator mode: no chain, so no blocks; the events below are the coordinator's</p>}
      <h2>
        Events ({l.model.events} seen, latest {all.length} kept)
      </h2>
      <div class="filters">
        <label>
          type{" "}
          <select
            id="explorer-type"
            value={type}
            onChange={(e) => {
              setType((e.target as HTMLSelectElement).value);
              setPage(0);
            }}
          >
            <option value="">all</option>
            {types.map((t) => (
              <option>{t}</option>
            ))}
          </select>
        </label>
        <label>
          task{" "}
          <input
            id="explorer-task"
            size={6}
            value={task}
            onInput={(e) => {
              setTask((e.target as HTMLInputElement).value.trim());
              setPage(0);
            }}
          />
        </label>
        <span>{rows.length} events</span>
        <Pager total={rows.length} per={per} page={page} setPage={setPage} />
      </div>
      <table id="events">
        <thead>
          <tr>
            <th>cursor</th>
            <th>time</th>
            <th>event</th>
            <th>fields</th>
            <th>tx</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((e) => (
            <tr data-type={e.type}>
              <td class="mono">{e.cursor}</td>
              <td>{new Date(e.time * 1000).toISOString().replace(".000Z", "Z")}</td>
              <td>{e.type}</td>
              <td class="mono">{detail(e)}</td>
              <td class="mono" title={e.txHash}>
                {e.txHash ? short(e.txHash) : ""}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

// ------------------------------------------------------------------ datasets (owner view) and the approvals inbox

interface DatasetRow {
  name: string;
  version: number;
  format: string;
  rows: number;
  columns: number;
  root: string;
  committed: boolean;
  txHash: string;
  schema: { columns: string[] };
}
interface Budget {
  dataset: string;
  delta: number;
  budget: { rho: number; epsilon: number };
  released: { rho: number; epsilon: number; releases: number };
  committed: { rho: number; epsilon: number };
  left: { rho: number; epsilon: number };
}
interface AuditRow {
  seq: number;
  time: number;
  action: string;
  taskId: number;
  round: number;
  datasets: string[];
  privacy?: { rho: number; epsilon: number; delta: number };
}
const num = (x: number) => (x === 0 ? "0" : Number(x.toPrecision(4)).toString());

function Datasets() {
  const l = useLive();
  const [rows, setRows] = useState<DatasetRow[] | undefined>();
  const [policies, setPolicies] = useState<Record<string, string>>({});
  const [edit, setEdit] = useState<Record<string, string>>({});
  const [msg, setMsg] = useState<Record<string, string>>({});
  const [inbox, setInbox] = useState<InboxView[]>([]);
  const [why, setWhy] = useState<Record<number, string>>({});
  const [err, setErr] = useState("");
  const [budgets, setBudgets] = useState<Record<string, Budget>>({});
  const [trail, setTrail] = useState<AuditRow[]>([]);
  const isOwner = l.health?.roles.includes("Owner");
  const reload = async () => {
    try {
      const ds = (await l.s.node.datasets()) as DatasetRow[];
      const pol: Record<string, string> = {};
      const bud: Record<string, Budget> = {};
      for (const name of new Set(ds.map((d) => d.name))) {
        pol[name] = JSON.stringify((await l.s.node.datasetPolicy(name)).policy, null, 1);
        bud[name] = await l.s.dash<Budget>(`/privacy/${encodeURIComponent(name)}`);
      }
      // The whole audit trail, page by page: its released entries are the burn-down's steps.
      const entries: AuditRow[] = [];
      for (let after: number | null = 0; after !== null;) {
        const page = (await l.s.node.audit({ after, limit: 1000 })) as { entries: AuditRow[]; next: number | null };
        entries.push(...page.entries);
        after = page.next;
      }
      setRows(ds);
      setPolicies(pol);
      setBudgets(bud);
      setTrail(entries);
      setInbox(await l.s.node.inbox({ all: true }));
      await refreshNodeTasks(l);
    } catch (e) {
      setErr((e as Error).message);
    }
  };
  // A task asking for approval arrives on the event stream: the inbox is re-read after events
  // (at most every 300 ms, so the node has recorded it), never on a timer of its own.
  useEffect(() => {
    const t = setTimeout(() => void reload(), 300);
    return () => clearTimeout(t);
  }, [l.model.events]);
  const save = async (name: string) => {
    try {
      const v = await l.s.node.setDatasetPolicy(name, JSON.parse(edit[name] ?? policies[name] ?? "{}"));
      setPolicies({ ...policies, [name]: JSON.stringify(v.policy, null, 1) });
      setMsg({ ...msg, [name]: "saved" });
    } catch (e) {
      setMsg({ ...msg, [name]: e instanceof SyntaxError ? `not JSON: ${e.message}` : (e as Error).message });
    }
  };
  const decide = async (taskId: number, allow: boolean) => {
    try {
      if (allow) await l.s.node.allow(taskId);
      else await l.s.node.deny(taskId, why[taskId] ?? "");
      await reload();
    } catch (e) {
      setErr((e as Error).message);
    }
  };
  const names = [...new Set((rows ?? []).map((d) => d.name))];
  const named = (name: string, refs: readonly string[] | undefined) => refs?.some((d) => d === name || d.startsWith(`${name}@`)) ?? false;
  // Tasks the node took with the dataset (its accept decisions) and every task its audit trail names for it.
  const usedBy = (name: string) =>
    [
      ...new Set([
        ...Object.values(l.specs)
          .filter((t) => t.decision === "accept" && named(name, t.datasets))
          .map((t) => t.taskId),
        ...trail.filter((e) => e.action !== "declined" && e.action !== "pending" && named(name, e.datasets)).map((e) => e.taskId),
      ]),
    ].sort((a, b) => a - b);
  const releasesOf = (name: string) => trail.filter((e) => e.action === "released" && e.privacy && named(name, e.datasets));
  return (
    <section id="page-datasets">
      <h2>Datasets on {l.health?.name}</h2>
      {!isOwner && <p>this node has no Owner role: it holds no datasets</p>}
      {err && <p class="field-error">{err}</p>}
      <table id="datasets">
        <thead>
          <tr>
            <th>name</th>
            <th>version</th>
            <th>format</th>
            <th>rows</th>
            <th>columns</th>
            <th>root</th>
            <th>committed</th>
          </tr>
        </thead>
        <tbody>
          {(rows ?? []).map((d) => (
            <tr data-dataset={d.name}>
              <td>{d.name}</td>
              <td>{d.version}</td>
              <td>{d.format}</td>
              <td>{d.rows}</td>
              <td title={d.schema.columns.join(", ")}>{d.columns}</td>
              <td class="mono">{short(d.root)}</td>
              <td>{d.committed ? "yes" : "no"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {names.map((name) => (
        <div class="policy">
          <h3>Policy of {name}</h3>
          <textarea
            name={`policy-${name}`}
            rows={4}
            cols={60}
            value={edit[name] ?? policies[name] ?? ""}
            onInput={(e) => setEdit({ ...edit, [name]: (e.target as HTMLTextAreaElement).value })}
          />
          <br />
          <button class="save-policy" data-dataset={name} onClick={() => void save(name)}>
            save policy
          </button>{" "}
          <span class="policy-msg" data-dataset={name}>
            {msg[name]}
          </span>
          <p class="used-by" data-dataset={name}>
            tasks that used it:{" "}
            {usedBy(name).map((id) => (
              <a href={`#/task/${id}`}>{id} </a>
            ))}
          </p>
          <h3>Privacy budget of {name}</h3>
          {budgets[name] && (
            <p class="budget" data-dataset={name}>
              budget ρ {num(budgets[name].budget.rho)} (ε {num(budgets[name].budget.epsilon)} at δ {budgets[name].delta.toExponential()}); released ρ{" "}
              {num(budgets[name].released.rho)} in {budgets[name].released.releases} release(s); reserved by running tasks ρ{" "}
              {num(budgets[name].committed.rho - budgets[name].released.rho)}; left ρ {num(budgets[name].left.rho)}
            </p>
          )}
          {releasesOf(name).length === 0 ? (
            <p>no differentially private release of {name} yet</p>
          ) : (
            <Canvas
              id={`chart-budget-${name}`}
              deps={[releasesOf(name).length, budgets[name]?.budget.rho]}
              draw={(c) =>
                burnDown(
                  c,
                  releasesOf(name).map((e) => ({ time: e.time, rho: e.privacy!.rho })),
                  budgets[name]?.budget.rho ?? 0,
                )
              }
            />
          )}
        </div>
      ))}
      <h3>Approvals inbox</h3>
      <table id="inbox">
        <thead>
          <tr>
            <th>task</th>
            <th>kind</th>
            <th>requester</th>
            <th>datasets</th>
            <th>columns</th>
            <th>privacy</th>
            <th>members</th>
            <th>status</th>
            <th>decide</th>
          </tr>
        </thead>
        <tbody>
          {inbox.map((i) => (
            <tr data-inbox={i.taskId}>
              <td>
                <a href={`#/task/${i.taskId}`}>{i.taskId}</a>
              </td>
              <td>{i.kind}</td>
              <td class="mono">{short(i.requester)}</td>
              <td>{i.datasets.join(", ")}</td>
              <td>{i.columns?.join(", ") ?? "—"}</td>
              <td>{i.privacy ? `ε ${i.privacy.epsilon.toFixed(3)}` : "none"}</td>
              <td>
                {i.members.min}–{i.members.max}, t {i.members.threshold}
              </td>
              <td class="inbox-status">
                {i.status}
                {i.reason ? `: ${i.reason}` : ""}
              </td>
              <td>
                {i.status === "pending" && (
                  <span>
                    <button class="allow" onClick={() => void decide(i.taskId, true)}>
                      allow
                    </button>{" "}
                    <input
                      class="deny-reason"
                      placeholder="reason"
                      value={why[i.taskId] ?? ""}
                      onInput={(e) => setWhy({ ...why, [i.taskId]: (e.target as HTMLInputElement).value })}
                    />{" "}
                    <button class="deny" onClick={() => void decide(i.taskId, false)}>
                      deny
                    </button>
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

// ------------------------------------------------------------------ submit form generated from the kind's schema

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  required?: string[];
  default?: unknown;
  enum?: unknown[];
  description?: string;
  minimum?: number;
  maximum?: number;
  anyOf?: JsonSchema[];
};

function schemaOf(kind: string): JsonSchema {
  const s = paramsSchemaFor(kind);
  if (!s) return {};
  return z.toJSONSchema(s, { io: "input", unrepresentable: "any" }) as JsonSchema;
}

function fieldKind(s: JsonSchema): "number" | "string" | "boolean" | "strings" | "json" {
  const t = Array.isArray(s.type) ? s.type[0] : s.type;
  if (t === "number" || t === "integer") return "number";
  if (t === "string" && !s.enum) return "string";
  if (t === "boolean") return "boolean";
  if (t === "array" && s.items?.type === "string") return "strings";
  return "json";
}

function Submit() {
  const l = useLive();
  const kinds = knownKinds();
  const [kind, setKind] = useState(kinds[0]);
  const schema = useMemo(() => schemaOf(kind), [kind]);
  const [raw, setRaw] = useState<Record<string, string>>({});
  const [top, setTop] = useState({ aggregation: "plain", verification: "none", rounds: "5", min: "1", max: "3", threshold: "1" });
  const [dsName, setDsName] = useState("");
  const owners = (l.chainNodes ?? []).filter((n) => (n.roles & Role.Owner) !== 0).map((n) => n.address);
  const [picked, setPicked] = useState<string[] | undefined>(undefined);
  const chosen = picked ?? owners;
  const [sent, setSent] = useState<string>("");

  const params: Record<string, unknown> = {};
  const fieldErrors: Record<string, string> = {};
  for (const [name, s] of Object.entries(schema.properties ?? {})) {
    const v = raw[name];
    if (v === undefined || v === "") continue;
    const fk = fieldKind(s);
    try {
      params[name] =
        fk === "number"
          ? Number(v)
          : fk === "boolean"
            ? v === "true"
            : fk === "strings"
              ? v
                  .split(",")
                  .map((x) => x.trim())
                  .filter(Boolean)
              : fk === "string"
                ? v
                : JSON.parse(v);
    } catch {
      fieldErrors[`params.${name}`] = "is not valid JSON";
    }
  }
  const spec = {
    kind,
    datasets: chosen.map((owner) => ({ owner, datasetId: dsName })),
    params,
    aggregation: top.aggregation,
    verification: top.verification,
    rounds: Number(top.rounds),
    members: { min: Number(top.min), max: Number(top.max), threshold: Number(top.threshold) },
  };
  let problems: string[] = [];
  try {
    parseTaskSpec({ ...spec, requester: l.s.address, ...(top.aggregation === "secagg" ? { setup: true } : {}) });
  } catch (e) {
    problems = e instanceof SpecError ? e.problems : [(e as Error).message];
  }
  for (const p of problems) {
    const field = p.slice(0, p.indexOf(":"));
    const key = Object.keys(schema.properties ?? {}).find((n) => field === `params.${n}` || field.startsWith(`params.${n}.`));
    fieldErrors[key ? `params.${key}` : field] ??= p;
  }
  problems.push(
    ...Object.entries(fieldErrors)
      .filter(([k, m]) => !problems.some((p) => p.startsWith(k)) && m.startsWith("is"))
      .map(([k, m]) => `${k}: ${m}`),
  );
  const errorFor = (f: string) =>
    fieldErrors[f] && (
      <div class="field-error" data-field={f}>
        {fieldErrors[f]}
      </div>
    );

  const submit = async (e: Event) => {
    e.preventDefault();
    if (problems.length) return;
    setSent("submitting…");
    try {
      const r = await l.s.node.submitTask(spec, { idempotencyKey: crypto.randomUUID() });
      setSent(`task ${r.taskId} submitted`);
      location.hash = `#/task/${r.taskId}`;
    } catch (err) {
      setSent(`refused: ${(err as Error).message}`);
    }
  };
  const topInput = (k: keyof typeof top, label: string, opts?: string[]) => (
    <label>
      {label}{" "}
      {opts ? (
        <select name={k} value={top[k]} onChange={(e) => setTop({ ...top, [k]: (e.target as HTMLSelectElement).value })}>
          {opts.map((o) => (
            <option>{o}</option>
          ))}
        </select>
      ) : (
        <input name={k} value={top[k]} onInput={(e) => setTop({ ...top, [k]: (e.target as HTMLInputElement).value })} />
      )}
    </label>
  );
  return (
    <section id="page-submit" class="submit">
      <form onSubmit={(e) => void submit(e)} id="submit-form">
        <h2>Submit a task</h2>
        <label>
          kind{" "}
          <select
            name="kind"
            value={kind}
            onChange={(e) => {
              setKind((e.target as HTMLSelectElement).value);
              setRaw({});
            }}
          >
            {kinds.map((k) => (
              <option>{k}</option>
            ))}
          </select>
        </label>
        <fieldset>
          <legend>datasets</legend>
          <label>
            dataset name (on every chosen owner) <input name="dataset" value={dsName} onInput={(e) => setDsName((e.target as HTMLInputElement).value)} />
          </label>
          {owners.map((o) => (
            <label class="owner">
              <input
                type="checkbox"
                checked={chosen.includes(o)}
                onChange={(e) => setPicked((e.target as HTMLInputElement).checked ? [...chosen, o] : chosen.filter((x) => x !== o))}
              />{" "}
              <span class="mono">{o}</span>
            </label>
          ))}
          {errorFor("datasets")}
        </fieldset>
        <fieldset>
          <legend>task</legend>
          {topInput("aggregation", "aggregation", ["plain", "secagg", "paillier"])}
          {topInput("verification", "verification", ["none", "offchain", "onchain"])}
          {topInput("rounds", "rounds")}
          {errorFor("rounds")}
          {topInput("min", "members.min")}
          {topInput("max", "members.max")}
          {topInput("threshold", "members.threshold")}
          {errorFor("members.min")}
          {errorFor("members.threshold")}
        </fieldset>
        <fieldset>
          <legend>params ({kind})</legend>
          {Object.entries(schema.properties ?? {}).map(([name, s]) => {
            const fk = fieldKind(s);
            const req = schema.required?.includes(name);
            const hint = fk === "strings" ? "comma-separated" : fk === "json" ? "JSON" : fk;
            return (
              <label class="param">
                <span>
                  params.{name}
                  {req ? " *" : ""}{" "}
                  <small>
                    ({hint}
                    {s.default !== undefined ? `, default ${JSON.stringify(s.default)}` : ""})
                  </small>
                </span>
                {fk === "json" ? (
                  <textarea name={`params.${name}`} rows={2} value={raw[name] ?? ""} onInput={(e) => setRaw({ ...raw, [name]: (e.target as HTMLTextAreaElement).value })} />
                ) : (
                  <input name={`params.${name}`} value={raw[name] ?? ""} onInput={(e) => setRaw({ ...raw, [name]: (e.target as HTMLInputElement).value })} />
                )}
                {errorFor(`params.${name}`)}
              </label>
            );
          })}
        </fieldset>
        {problems.length > 0 && (
          <ul id="problems" class="problems">
            {problems.map((p) => (
              <li>{p}</li>
            ))}
          </ul>
        )}
        <button id="submit" type="submit" disabled={problems.length > 0}>
          submit through this node
        </button>{" "}
        <span id="submit-status">{sent}</span>
      </form>
      <div>
        <h3>spec JSON</h3>
        <pre id="spec-json">{JSON.stringify(spec, null, 2)}</pre>
      </div>
    </section>
  );
}

// ------------------------------------------------------------------ login and shell

function Login({ onDone }: { onDone: () => void }) {
  const [key, setKey] = useState("");
  const [file, setFile] = useState<string | undefined>();
  const [pw, setPw] = useState("");
  const [err, setErr] = useState("");
  const [busy, setBusy] = useState(false);
  const go = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErr("");
    try {
      const w = await unlock(file ? { keystore: file, password: pw } : { privateKey: key });
      await start(await session(w));
      onDone();
    } catch (x) {
      setErr((x as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form id="login" class="login" onSubmit={(e) => void go(e)}>
      <h2>Unlock</h2>
      <p>
        The dashboard signs every request in this page with the node operator's (or an admin's) key, as the node API client does. The key stays in this tab's memory; reload to
        forget it.
      </p>
      <label>
        private key <input id="key" type="password" autocomplete="off" value={key} onInput={(e) => setKey((e.target as HTMLInputElement).value)} />
      </label>
      <p>
        or a keystore file: <input id="keystore" type="file" onChange={(e) => void (e.target as HTMLInputElement).files?.[0]?.text().then(setFile)} /> password{" "}
        <input id="keystore-password" type="password" value={pw} onInput={(e) => setPw((e.target as HTMLInputElement).value)} />
      </p>
      <button id="unlock" disabled={busy}>
        {busy ? "unlocking…" : "unlock"}
      </button>
      {err && (
        <p class="field-error" id="login-error">
          {err}
        </p>
      )}
    </form>
  );
}

function useHash() {
  const [h, set] = useState(location.hash);
  useEffect(() => {
    const f = () => set(location.hash);
    addEventListener("hashchange", f);
    return () => removeEventListener("hashchange", f);
  }, []);
  return h;
}

function App() {
  const [ready, setReady] = useState(false);
  const hash = useHash();
  // The header shows the stream's state: subscribe like the pages do.
  useLive();
  if (!ready || !live) return <Login onDone={() => setReady(true)} />;
  const task = /^#\/task\/(\d+)/.exec(hash);
  const proofs = /^#\/proofs\/(\d+)/.exec(hash);
  const page = proofs ? (
    <Proofs id={Number(proofs[1])} />
  ) : task ? (
    <TaskDetail id={Number(task[1])} />
  ) : hash === "#/tasks" ? (
    <Tasks />
  ) : hash === "#/submit" ? (
    <Submit />
  ) : hash === "#/datasets" ? (
    <Datasets />
  ) : hash === "#/explorer" ? (
    <Explorer />
  ) : (
    <Network />
  );
  return (
    <div>
      <nav>
        <b>ciphermine</b> <a href="#/">Network</a> <a href="#/tasks">Tasks</a> <a href="#/submit">Submit</a> <a href="#/datasets">Datasets</a> <a href="#/explorer">Explorer</a>
        <span class="who mono">{live.s.address}</span>{" "}
        <span id="stream" class={`stream-${live.stream}`}>
          {live.stream}
        </span>
      </nav>
      <Boundary key={hash}>{page}</Boundary>
    </div>
  );
}

render(<App />, document.getElementById("app")!);
