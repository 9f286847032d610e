/**
 * The forecast of a run before it starts: its expected wall time — the plan's packages
 * laid out by the real scheduler under the cap (`simulate`), each taking what it took in this
 * repository's past runs — with a range, and what each agent is expected to spend. Without a
 * past run, each package weighs its `timeout_minutes` and the forecast says "no history yet".
 * After the run, the report sets it beside what happened (`forecastVsActual`). Pure: the past
 * runs are read by the engine (`src/engine/run/pastRuns.ts`) and handed in.
 *
 * What a package is expected to take, the first that has something to say:
 * 1. `package`: its own past runs in this feature with the same agent — the median of its last
 *    attempts' times (start → end, verification included), the range their fastest and slowest;
 * 2. `package-other-agent`: the same, with whatever agent ran it;
 * 3. `agent`: the feature's other packages on that agent — the median of their time over their
 *    `timeout_minutes`, times this package's timeout;
 * 4. `timeout`: its `timeout_minutes` (an upper bound rather than a guess).
 * What a package waits between its dependencies' end and its own start (a merge, a tree, a
 * runner: the "gap") is learnt too — the median over the feature's past runs — and put before
 * every start, so the wall time is measured as the report measures it: first start → last end.
 */
import { simulate, type ScheduleMode, type SchedPackage } from './schedule';
import { addSpend, formatSpend, type Spend } from './spend';

/** One package of a past run, as the forecast learns from it. */
export interface PastPackage {
  packageId: string;
  /** The agent profile id its last attempt ran with (`spec.json`'s `agentId`); null: not known. */
  agent: string | null;
  status: string;
  startedAt: string | null;
  endedAt: string | null;
  spend: Spend | null;
}

/** One past run of a feature of this repository (the current one or an archived one). */
export interface PastRun {
  featureId: string;
  runId: string;
  createdAt: string;
  packages: readonly PastPackage[];
}

/** The agent a package is to run with. */
export interface ForecastAgent {
  /** The profile id (`claude-code`, `codex`, …, `custom`). */
  id: string;
  label: string;
}

export interface ForecastInput {
  featureId: string;
  /** The run's packages (its scope), as the scheduler sees them. */
  packages: readonly SchedPackage[];
  /** Each package's `timeout_minutes` (the plan's default filled in). */
  timeoutMinutes: (packageId: string) => number;
  agentOf: (packageId: string) => ForecastAgent;
  maxParallel: number;
  mode: ScheduleMode;
  /** This repository's past runs, any order; runs of other features lend only agent-wide spend. */
  history: readonly PastRun[];
  /** A plan of plans' parents (their joins, ADR 0035): no agent, no spend; their own past times or nothing, never a timeout. */
  joins?: ReadonlySet<string>;
}

/** `join`: a parent of a plan of plans, which runs no agent (its past times, else 0). */
export type ForecastBasis = 'package' | 'package-other-agent' | 'agent' | 'timeout' | 'join';

export interface PackageForecast {
  packageId: string;
  agent: string;
  expectedMs: number;
  lowMs: number;
  highMs: number;
  basis: ForecastBasis;
  /** Past attempts the figure comes from (0 for `timeout`). */
  samples: number;
  /** What it is expected to spend; null when no past run of it (or of its agent) reported any. */
  spend: Spend | null;
}

export interface AgentSpendForecast {
  agent: string;
  label: string;
  packages: number;
  /** The sum of its packages' expected spend; null when none has one. */
  spend: Spend | null;
  /** Its packages with no expected spend (nothing reported before). */
  unknown: number;
}

export interface RunForecast {
  version: 1;
  featureId: string;
  /** `none`: no package has a past run to go by ("no history yet"); `partial`: some have. */
  history: 'none' | 'partial' | 'full';
  /** Past runs of the feature it learnt from. */
  runs: number;
  maxParallel: number;
  mode: ScheduleMode;
  /** First start → last end, as the report measures it. */
  expectedMs: number;
  lowMs: number;
  highMs: number;
  /** The chain that sets the wall time, first to last (by expected times). */
  criticalPath: string[];
  /** What a package waits between its dependencies' end and its start (learnt; 0 without history). */
  gapMs: number;
  packages: PackageForecast[];
  agents: AgentSpendForecast[];
  /** The run's expected spend; null when no package has one. */
  spend: Spend | null;
}

/** How many of a feature's latest runs count (older ones tell less about the plan as it is now). */
export const FORECAST_RUNS = 5;

const MINUTE = 60_000;

function time(iso: string | null): number | null {
  if (typeof iso !== 'string') return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
}

/** The package's last attempt's time, when it succeeded and both ends are known. */
function durationOf(p: PastPackage): number | null {
  if (p.status !== 'succeeded') return null;
  const s = time(p.startedAt);
  const e = time(p.endedAt);
  return s !== null && e !== null && e >= s ? e - s : null;
}

export function median(values: readonly number[]): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** `n` times a spend (a set of `n` candidates spends for each). */
function timesSpend(spend: Spend | null, n: number): Spend | null {
  if (!spend || n <= 1) return spend;
  return {
    inputTokens: spend.inputTokens * n,
    outputTokens: spend.outputTokens * n,
    cachedTokens: spend.cachedTokens * n,
    costUsd: spend.costUsd === null ? null : Math.round(spend.costUsd * n * 1e6) / 1e6,
  };
}

/** The median of each part of several spends (the cost only where one was reported). */
function medianSpend(spends: readonly Spend[]): Spend | null {
  if (!spends.length) return null;
  const costs = spends.map((s) => s.costUsd).filter((c): c is number => c !== null);
  return {
    inputTokens: Math.round(median(spends.map((s) => s.inputTokens))),
    outputTokens: Math.round(median(spends.map((s) => s.outputTokens))),
    cachedTokens: Math.round(median(spends.map((s) => s.cachedTokens))),
    costUsd: costs.length ? Math.round(median(costs) * 1e6) / 1e6 : null,
  };
}

/** A join's `agent` in the forecast: it runs none. */
const JOIN = 'join';

const positive = (x: number, fallback: number) => (Number.isFinite(x) && x > 0 ? x : fallback);

/** The forecast of a run of `input.packages` (see the file's comment). Deterministic. */
export function forecastRun(input: ForecastInput): RunForecast {
  const ids = new Set(input.packages.map((p) => p.id));
  // Dependencies outside the run's scope are taken as done, as the engine's dry run does.
  const packages = input.packages.map((p) => ({ ...p, dependsOn: p.dependsOn.filter((d) => ids.has(d)) }));
  const depsOf = new Map(packages.map((p) => [p.id, p.dependsOn]));
  const timeoutMs = (id: string) => positive(input.timeoutMinutes(id), 60) * MINUTE;
  const cap = Math.max(1, Math.floor(positive(input.maxParallel, 1)));

  // The feature's latest runs, newest first; every run for agent-wide spend.
  const own = input.history
    .filter((r) => r.featureId === input.featureId)
    .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0))
    .slice(0, FORECAST_RUNS);

  // Samples: by package (all agents), by package and agent, by agent (time over timeout).
  const byPackage = new Map<string, { ms: number; agent: string | null; spend: Spend | null }[]>();
  const ratioByAgent = new Map<string, number[]>();
  const gaps: number[] = [];
  let learnt = 0;
  for (const run of own) {
    const ended = new Map<string, number>();
    for (const p of run.packages) {
      const e = durationOf(p) !== null ? time(p.endedAt) : null;
      if (e !== null) ended.set(p.packageId, e);
    }
    let used = false;
    for (const p of run.packages) {
      const ms = durationOf(p);
      if (ms === null) continue;
      used = true;
      if (!byPackage.has(p.packageId)) byPackage.set(p.packageId, []);
      byPackage.get(p.packageId)!.push({ ms, agent: p.agent, spend: p.spend });
      if (ids.has(p.packageId) && p.agent !== null) {
        if (!ratioByAgent.has(p.agent)) ratioByAgent.set(p.agent, []);
        ratioByAgent.get(p.agent)!.push(ms / timeoutMs(p.packageId));
      }
      // The gap: from its last dependency's end (in this run) to its start.
      const deps = depsOf.get(p.packageId) ?? [];
      if (deps.length && deps.every((d) => ended.has(d))) {
        const gap = time(p.startedAt)! - Math.max(...deps.map((d) => ended.get(d)!));
        if (gap >= 0) gaps.push(gap);
      }
    }
    if (used) learnt++;
  }
  const spendByAgent = new Map<string, Spend[]>();
  for (const run of input.history)
    for (const p of run.packages) {
      if (p.agent === null || !p.spend) continue;
      if (!spendByAgent.has(p.agent)) spendByAgent.set(p.agent, []);
      spendByAgent.get(p.agent)!.push(p.spend);
    }

  const forecasts: PackageForecast[] = packages.map((p) => {
    if (input.joins?.has(p.id)) {
      const ms = (byPackage.get(p.id) ?? []).map((s) => s.ms);
      const expectedMs = ms.length ? median(ms) : 0;
      return { packageId: p.id, agent: JOIN, expectedMs, lowMs: ms.length ? Math.min(...ms) : 0, highMs: ms.length ? Math.max(...ms) : 0, basis: 'join', samples: ms.length, spend: null };
    }
    const agent = input.agentOf(p.id).id;
    const all = byPackage.get(p.id) ?? [];
    const same = all.filter((s) => s.agent === agent);
    const samples = same.length ? same : all;
    const spendSamples = samples.flatMap((s) => (s.spend ? [s.spend] : []));
    // A set of candidates (best of n) spends for each of them.
    const spend = timesSpend(medianSpend(spendSamples) ?? medianSpend(spendByAgent.get(agent) ?? []), p.slots ?? 1);
    if (samples.length) {
      const ms = samples.map((s) => s.ms);
      return { packageId: p.id, agent, expectedMs: median(ms), lowMs: Math.min(...ms), highMs: Math.max(...ms), basis: same.length ? 'package' : 'package-other-agent', samples: ms.length, spend };
    }
    const ratios = ratioByAgent.get(agent) ?? [];
    const timeout = timeoutMs(p.id);
    if (ratios.length)
      return { packageId: p.id, agent, expectedMs: median(ratios) * timeout, lowMs: Math.min(...ratios) * timeout, highMs: Math.max(...ratios) * timeout, basis: 'agent', samples: ratios.length, spend };
    return { packageId: p.id, agent, expectedMs: timeout, lowMs: timeout, highMs: timeout, basis: 'timeout', samples: 0, spend };
  });

  const gapMs = median(gaps);
  const byId = new Map(forecasts.map((f) => [f.packageId, f]));
  const lay = (pick: (f: PackageForecast) => number) =>
    simulate({ packages, maxParallel: cap, mode: input.mode, durations: (id) => gapMs + pick(byId.get(id)!) });
  const wall = (pick: (f: PackageForecast) => number): number => (packages.length ? Math.max(0, lay(pick).makespan - gapMs) : 0);
  const chain = packages.length ? chainOf(lay((f) => f.expectedMs).packages, depsOf) : [];

  const agents = new Map<string, AgentSpendForecast>();
  for (const f of forecasts) {
    if (f.basis === 'join') continue;
    const a = agents.get(f.agent) ?? { agent: f.agent, label: input.agentOf(f.packageId).label, packages: 0, spend: null, unknown: 0 };
    a.packages++;
    if (f.spend) a.spend = addSpend(a.spend, f.spend);
    else a.unknown++;
    agents.set(f.agent, a);
  }
  const worked = forecasts.filter((f) => f.basis !== 'join');
  const timed = worked.filter((f) => f.basis !== 'timeout').length;
  const expected = wall((f) => f.expectedMs);
  return {
    version: 1,
    featureId: input.featureId,
    history: timed === 0 ? 'none' : timed === worked.length ? 'full' : 'partial',
    runs: learnt,
    maxParallel: cap,
    mode: input.mode,
    expectedMs: Math.round(expected),
    // A list schedule is not monotone (a shorter package can make a longer run): the range holds the expectation.
    lowMs: Math.round(Math.min(expected, wall((f) => f.lowMs))),
    highMs: Math.round(Math.max(expected, wall((f) => f.highMs))),
    criticalPath: chain,
    gapMs: Math.round(gapMs),
    packages: forecasts,
    agents: [...agents.values()].sort((a, b) => (a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : 0)),
    spend: forecasts.reduce<Spend | null>((total, f) => addSpend(total, f.spend), null),
  };
}

/**
 * The chain that sets the wall time in a laid-out run: the package that ends last, then, back,
 * the dependency of each that ended last. Ties: the first in the plan's order.
 */
function chainOf(laid: Readonly<Record<string, { end: number }>>, depsOf: ReadonlyMap<string, readonly string[]>): string[] {
  let at: string | undefined;
  for (const id of depsOf.keys()) if (laid[id] && (at === undefined || laid[id]!.end > laid[at]!.end)) at = id;
  const chain: string[] = [];
  while (at !== undefined && !chain.includes(at)) {
    chain.unshift(at);
    let prev: string | undefined;
    for (const d of depsOf.get(at) ?? []) if (laid[d] && (prev === undefined || laid[d]!.end > laid[prev]!.end)) prev = d;
    at = prev;
  }
  return chain;
}

// ---------------------------------------------------------------------------------------
// Texts

/** `4m 05s`, `1h 02m`, `12s` — a forecast's figures are not precise to the tenth of a second. */
export function roughDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h ? `${h}h ${pad(m)}m` : `${m}m ${pad(s % 60)}s`;
}

/** The wall time in one line: `about 6m 10s (4m 50s – 7m 30s), at most 2 at once` or `no history yet: …`. */
export function forecastHeadline(f: RunForecast): string {
  const cap = `at most ${f.maxParallel} at once`;
  if (f.history === 'none') return `no history yet: up to ${roughDuration(f.highMs)} from timeout_minutes, ${cap}`;
  const range = f.lowMs === f.highMs ? '' : ` (${roughDuration(f.lowMs)} – ${roughDuration(f.highMs)})`;
  const worked = f.packages.filter((p) => p.basis !== 'join').length;
  const partial = f.history === 'partial' ? `; ${f.packages.filter((p) => p.basis === 'timeout').length} of ${worked} packages have no history yet (their timeout_minutes)` : '';
  return `about ${roughDuration(f.expectedMs)}${range}, ${cap}, from ${f.runs} past run${f.runs === 1 ? '' : 's'}${partial}`;
}

/** Each agent's expected spend, one line each: `claude-code (3 packages): 12,345 tokens … · $0.42`. */
export function forecastSpendLines(f: RunForecast): string[] {
  return f.agents.map((a) => {
    const n = `${a.packages} package${a.packages === 1 ? '' : 's'}`;
    const what = a.spend ? `${formatSpend(a.spend)}${a.unknown ? ` (${a.unknown} without a past figure)` : ''}` : 'no past spend reported';
    return `${a.label} (${n}): ${what}`;
  });
}

/** The forecast as lines for a person (the CLI's dry run and start, the editor's confirmation). */
export function forecastLines(f: RunForecast): string[] {
  const lines = [`Forecast: ${forecastHeadline(f)}.`];
  if (f.criticalPath.length > 1) lines.push(`Critical path: ${f.criticalPath.join(' → ')}.`);
  lines.push(...forecastSpendLines(f).map((l) => `Expected spend, ${l}.`));
  return lines;
}

// ---------------------------------------------------------------------------------------
// After the run

/** What the forecast was against what happened, for the report. */
export interface ForecastComparison {
  forecastMs: number;
  lowMs: number;
  highMs: number;
  actualMs: number | null;
  /** (actual − forecast) / forecast; null without an actual wall time or a forecast of 0. */
  error: number | null;
  history: RunForecast['history'];
  forecastSpend: Spend | null;
  actualSpend: Spend | null;
  /** Per agent: expected and actual spend (actual: the packages it ran in this run). */
  agents: { agent: string; label: string; forecast: Spend | null; actual: Spend | null }[];
}

export function forecastVsActual(
  f: RunForecast,
  actual: { wallMs: number | null; spend: Spend | null; spendByAgent?: ReadonlyMap<string, Spend | null> },
): ForecastComparison {
  const error = actual.wallMs !== null && f.expectedMs > 0 ? Math.round(((actual.wallMs - f.expectedMs) / f.expectedMs) * 1000) / 1000 : null;
  return {
    forecastMs: f.expectedMs,
    lowMs: f.lowMs,
    highMs: f.highMs,
    actualMs: actual.wallMs,
    error,
    history: f.history,
    forecastSpend: f.spend,
    actualSpend: actual.spend,
    agents: f.agents.map((a) => ({ agent: a.agent, label: a.label, forecast: a.spend, actual: actual.spendByAgent?.get(a.agent) ?? null })),
  };
}

/** The report's "Forecast and actual" table rows (`| what | forecast | actual |`). */
export function comparisonRows(c: ForecastComparison, duration: (ms: number | null) => string): string[] {
  const spend = (s: Spend | null) => (s ? formatSpend(s) : '—');
  // Rounded first (a -0.4 % error is "+0%", never a bare "0%" or "-0%").
  const pct = c.error === null ? null : Math.round(c.error * 100) || 0;
  const off = pct === null ? '' : ` (${pct >= 0 ? '+' : ''}${pct}%)`;
  const range = c.history === 'none' ? ' (no history yet: timeout_minutes)' : c.lowMs === c.highMs ? '' : ` (${roughDuration(c.lowMs)} – ${roughDuration(c.highMs)})`;
  const rows = [`| wall time | ${roughDuration(c.forecastMs)}${range} | ${duration(c.actualMs)}${off} |`, `| spend | ${spend(c.forecastSpend)} | ${spend(c.actualSpend)} |`];
  if (c.agents.length > 1) for (const a of c.agents) rows.push(`| spend, ${a.label.replace(/[|\\]/g, '\\$&').replace(/[\u0000-\u001f]+/g, ' ')} | ${spend(a.forecast)} | ${spend(a.actual)} |`);
  return rows;
}

/** A forecast read back from `forecast.json`: null when it is not one this version wrote. */
export function parseForecast(raw: unknown): RunForecast | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const f = raw as Partial<RunForecast>;
  const num = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x >= 0;
  if (f.version !== 1 || typeof f.featureId !== 'string' || !num(f.expectedMs) || !num(f.lowMs) || !num(f.highMs)) return null;
  if (f.history !== 'none' && f.history !== 'partial' && f.history !== 'full') return null;
  if (!Array.isArray(f.agents) || !Array.isArray(f.packages) || !Array.isArray(f.criticalPath)) return null;
  return f as RunForecast;
}
