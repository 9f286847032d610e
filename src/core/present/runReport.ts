/**
 * The run report (`report.md` + `report.json`): each package's outcome, the merged result
 * records, and the time metrics of the run (docs/run-engine.md "Report").
 *
 * Time metrics, from the packages' actual `startedAt` → `endedAt` (the last attempt's):
 * - wall time: first start → last end;
 * - sum of package times (the busy time);
 * - achieved speed-up: sum / wall;
 * - critical-path time: the longest chain of dependencies, weighted by actual durations;
 * - idle slots: cap × wall − busy (slot-milliseconds the cap allowed but nothing used).
 *
 * The input is deliberately narrow (the fields of a package record every run-state version
 * has), so the report does not change when the run state does. Pure and deterministic.
 */
import { covers } from '../plan/glob';
import { leavesBelow } from '../plan/nestTree';
import { mergeResults, type MergedResults, type ResultReadout } from '../run/resultRecord';
import { addSpend, formatSpend, type Spend } from '../run/spend';
import { refusedLine } from './runStatusText';
import { candidateLines, packageFacts, pickWaitLine, type FactsRecord, type PackageFacts } from './packageFacts';
import { pick } from '../util/pick';
import { comparisonRows, forecastVsActual, type ForecastComparison, type RunForecast } from '../run/forecast';
import { criticalPath, formatDuration } from '../run/runTime';
import { guardStuck, guardText, guardTimeMs } from '../run/integrationGuard';
import type { GuardState } from '../run/runState';
import { countsAsWork } from './progressModel';
import { fenced } from '../util/markdown';

export { criticalPath, formatDuration } from '../run/runTime';

/**
 * The package-record fields the report reads: those of every run-state version, the rest where the
 * record has them — `packageFacts` reads them, as it does for `waves status` and `waves review`.
 */
export type ReportPackageRecord = FactsRecord;

export interface ReportState {
  featureId: string;
  runId: string;
  planFile?: string;
  createdAt?: string;
  /** The person chose to run the agents without walls. */
  unconfined?: boolean;
  /** With `unconfined`: the container was their wall (the person's `waves.sandbox.container`). */
  containerWall?: boolean;
  packages: Record<string, ReportPackageRecord>;
  merges?: Record<string, { status: string; files?: readonly string[] }>;
  /** The integration branch, with the guard's checks when the run had one. */
  integration?: { guard?: GuardState; branch?: string } | null;
}

/** The plan facts the report reads: ids, titles, dependencies, expected result keys. */
export interface ReportPlan {
  plan: {
    feature?: { id?: string; title?: string };
    packages: readonly {
      id: string;
      title?: string;
      dependsOn: readonly { value: string }[];
      outputs?: { resultKeys: readonly string[] };
      /** The package's write scope; a changed file no package's write scope covers is "unowned". */
      scope?: { writeAllow: readonly { value: string }[] };
    }[];
  };
}

export interface RunReportInput {
  state: ReportState;
  analysis: ReportPlan;
  /** The result records read for each package (missing key: none read). */
  results: Record<string, ResultReadout>;
  maxParallel: number;
  /** The forecast the run began with: the report sets it beside what happened. */
  forecast?: RunForecast | null;
  /** The agent (profile id) each package ran with, for the forecast's spend per agent. */
  agents?: Record<string, string>;
  /** A plan of plans: each parent's id in the run → its children's (`unfold.ts`); each parent reports its children's work together. */
  joins?: Readonly<Record<string, readonly string[]>>;
}

/** A parent of a plan of plans as the report sums it up: the work of the leaves below it (ADR 0035). */
export interface ParentReport {
  id: string;
  /** The leaves below it, by their ids in the run (the packages that did an agent's work). */
  leaves: string[];
  succeeded: number;
  /** The first start below it → its own end; null until both are known. */
  wallMs: number | null;
  /** What git saw its leaves change (their audited change sets), sorted. */
  files: string[];
  decisions: number;
  /** Its leaves' pending actions, each once. */
  pendingActions: string[];
  spend: Spend | null;
}

/** The facts a report row carries as they are (`packageFacts`, as `waves status` and `waves review` read them). */
const ROW_FACTS = [
  'status', 'attempts', 'startedAt', 'endedAt', 'durationMs', 'exitCode', 'lastError', 'violations', 'changedFiles',
  'merge', 'resultFile', 'spend', 'refused', 'refusedRegistries', 'revisions', 'followUps', 'handoffs', 'granted',
] as const;
type RowFacts = Pick<PackageFacts, (typeof ROW_FACTS)[number]>;

/** A row's facts when the run has no record of the package. */
function notRun(status: string): RowFacts {
  return {
    status, attempts: 0, startedAt: null, endedAt: null, durationMs: null, exitCode: null, lastError: null, violations: [], changedFiles: [],
    merge: null, resultFile: null, spend: null, refused: [], refusedRegistries: [], revisions: 0, followUps: [], handoffs: [], granted: [],
  };
}

export interface ReportPackage extends RowFacts {
  id: string;
  title: string | null;
  resultStatus: string | null;
  resultWarnings: string[];
  /** `outputs.result_keys` the result record does not give. */
  missingResultKeys: string[];
  /**
   * Files the result record lists as modified that git did not see the package change (its
   * audited change set): a claim that is not true. Empty without a record or a change set.
   */
  claimedNotChanged: string[];
  /** Best of n: its last set's candidates (agent, result, time, spend), and why the one that went on was; absent without. */
  candidates?: PackageFacts['candidates'];
  chosenWhy?: PackageFacts['chosenWhy'];
  /** Best of n: it awaits the person's pick of a green candidate (its status stays `running`); absent without candidates. */
  awaitingPick?: PackageFacts['awaitingPick'];
}

export interface RunMetrics {
  maxParallel: number;
  /** First start → last end; null when no package both started and ended. */
  wallMs: number | null;
  sumMs: number;
  /** sum / wall; null without a wall time. */
  speedUp: number | null;
  criticalPathMs: number;
  /** The packages of that chain, first to last. */
  criticalPath: string[];
  /** cap × wall − busy; null without a wall time. */
  idleSlotMs: number | null;
  /** Packages counted (both times known). */
  timedPackages: number;
}

export interface RunReportJson {
  version: 1;
  featureId: string;
  featureTitle: string | null;
  runId: string;
  planFile: string | null;
  /** The run's agents ran without walls: the person's choice. */
  unconfined: boolean;
  /** With `unconfined`: the container the engine ran in was their wall instead (the person's choice); absent otherwise. */
  containerWall?: true;
  counts: Record<string, number>;
  packages: ReportPackage[];
  metrics: RunMetrics;
  merged: MergedResults;
  /** The integration guard's checks and blames; absent: no guard in the run. */
  integrationGuard?: GuardReport;
  /**
   * Files a package changed that no package of the plan may write ("unowned
   * writes"), sorted by path. Empty when the plan says nothing about scopes.
   */
  unownedWrites: { path: string; change: string; packageId: string }[];
  /**
   * What git saw: every file of the packages whose work merged, from their audited change sets
   * (never from the result records' claims), sorted by path, with the packages that changed it.
   */
  filesChanged: { path: string; changes: string[]; packages: string[] }[];
  /** The run's total spend; null when no agent reported any. */
  spend: Spend | null;
  /** The forecast the run began with beside what happened; absent when it began with none. */
  forecast?: ForecastComparison;
  /** A plan of plans: each parent's children's work together; absent for a flat plan. */
  parents?: ParentReport[];
}

export function buildRunReport(input: RunReportInput): { json: RunReportJson; markdown: string } {
  const { state, analysis } = input;
  const planPackages = analysis.plan.packages.filter((p) => p.id !== '');
  const ids = [...new Set([...planPackages.map((p) => p.id), ...Object.keys(state.packages).sort(compare)])];
  const planById = new Map(planPackages.map((p) => [p.id, p]));
  const packages: ReportPackage[] = [];
  for (const id of ids) {
    const rec = own(state.packages, id);
    // The package's facts from where `waves status` and `waves review` read them (present/packageFacts.ts).
    const facts = rec ? packageFacts(state, id) : null;
    const plan = planById.get(id);
    // A parent's join runs no agent: no result record of its own is looked for.
    const readout = input.joins?.[id] ? undefined : own(input.results, id);
    const record = readout?.record ?? null;
    packages.push({
      id,
      title: plan?.title ?? null,
      ...(facts ? pick(facts, ROW_FACTS) : notRun(plan ? 'not in run' : 'not in plan')),
      resultStatus: record?.status ?? null,
      resultWarnings: readout ? [...readout.warnings] : [],
      missingResultKeys: record && plan?.outputs ? plan.outputs.resultKeys.filter((k) => !Object.prototype.hasOwnProperty.call(record.result_keys, k)) : [],
      claimedNotChanged: claimedNotChanged(record?.files_modified ?? [], rec?.changedFiles),
      ...(facts?.candidates.length ? { candidates: facts.candidates, chosenWhy: facts.chosenWhy, awaitingPick: facts.awaitingPick } : {}),
    });
  }
  // Counted as every front end counts a run (`countedState`): a parent's join only when it failed itself.
  const counts: Record<string, number> = {};
  const joinIds = new Set(Object.keys(input.joins ?? {}));
  for (const p of packages) if (countsAsWork(p.id, p, joinIds)) counts[p.status] = (counts[p.status] ?? 0) + 1;
  const sortedCounts = Object.fromEntries(Object.entries(counts).sort(([a], [b]) => compare(a, b)));

  const metrics = timeMetrics(packages, planPackages, input.maxParallel, joinIds);
  const merged = mergeResults(ids.map((id) => ({ packageId: id, record: own(input.results, id)?.record ?? null })));
  const json: RunReportJson = {
    version: 1,
    featureId: state.featureId,
    featureTitle: analysis.plan.feature?.title ?? null,
    runId: state.runId,
    unconfined: state.unconfined === true,
    ...(state.unconfined && state.containerWall ? { containerWall: true as const } : {}),
    planFile: state.planFile ?? null,
    counts: sortedCounts,
    packages,
    metrics,
    merged,
    unownedWrites: unownedWrites(packages, planPackages),
    // A parent's changes are its children's: each file is said once, by the package that changed it.
    filesChanged: filesChanged(packages.filter((p) => !input.joins?.[p.id])),
    spend: packages.reduce<Spend | null>((total, p) => addSpend(total, p.spend), null),
  };
  if (state.integration?.guard) json.integrationGuard = guardReport(state.integration.guard, state);
  if (input.joins && Object.keys(input.joins).length) json.parents = parentReports(input.joins, packages, merged);
  if (input.forecast) json.forecast = forecastVsActual(input.forecast, { wallMs: metrics.wallMs, spend: json.spend, spendByAgent: spendByAgent(packages, input.agents ?? {}) });
  return { json, markdown: markdown(json) };
}

/** Each parent's leaves' work together, the parents in the report's order of its packages. */
function parentReports(joins: Readonly<Record<string, readonly string[]>>, packages: readonly ReportPackage[], merged: MergedResults): ParentReport[] {
  const byId = new Map(packages.map((p) => [p.id, p]));
  const order = new Map(packages.map((p, k) => [p.id, k]));
  const parents = Object.keys(joins).sort((a, b) => (order.get(a) ?? Infinity) - (order.get(b) ?? Infinity));
  return parents.map((id) => {
    const leaves = leavesBelow({ joins }, id);
    const mine = new Set(leaves);
    const rows = leaves.map((l) => byId.get(l)).filter((p): p is ReportPackage => p !== undefined);
    const starts = rows.map((p) => time(p.startedAt)).filter((t): t is number => t !== null);
    const end = time(byId.get(id)?.endedAt);
    const files = new Set(rows.filter((p) => p.merge === 'merged').flatMap((p) => p.changedFiles.map((f) => f.path)));
    return {
      id,
      leaves,
      succeeded: rows.filter((p) => p.status === 'succeeded').length,
      wallMs: starts.length && end !== null ? Math.max(0, end - Math.min(...starts)) : null,
      files: [...files].sort(compare),
      decisions: merged.decisions.filter((d) => mine.has(d.packageId)).length,
      pendingActions: merged.pendingActions.filter((a) => a.packages.some((p) => mine.has(p))).map((a) => a.action),
      spend: rows.reduce<Spend | null>((total, p) => addSpend(total, p.spend), null),
    };
  });
}

/** What the packages of each agent spent. */
function spendByAgent(packages: readonly ReportPackage[], agents: Record<string, string>): Map<string, Spend | null> {
  const out = new Map<string, Spend | null>();
  for (const p of packages) {
    const agent = own(agents, p.id);
    if (agent !== undefined) out.set(agent, addSpend(out.get(agent), p.spend));
  }
  return out;
}

/** A record's `files_modified` that its package's audited change set does not hold (`./` and `\\` forgiven). */
export function claimedNotChanged(claimed: readonly string[], changed: readonly { path: string }[] | undefined): string[] {
  if (!changed) return [];
  const norm = (p: string) => p.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
  const seen = new Set(changed.map((c) => norm(c.path)));
  return [...new Set(claimed.filter((f) => !seen.has(norm(f))))].sort(compare);
}

/** The audited change sets of the merged packages, by path. */
function filesChanged(packages: readonly ReportPackage[]): RunReportJson['filesChanged'] {
  const byPath = new Map<string, { changes: Set<string>; packages: Set<string> }>();
  for (const p of packages) {
    if (p.merge !== 'merged') continue;
    for (const c of p.changedFiles) {
      const entry = byPath.get(c.path) ?? { changes: new Set<string>(), packages: new Set<string>() };
      entry.changes.add(c.change);
      entry.packages.add(p.id);
      byPath.set(c.path, entry);
    }
  }
  return [...byPath.entries()]
    .sort(([a], [b]) => compare(a, b))
    .map(([path, e]) => ({ path, changes: [...e.changes].sort(compare), packages: [...e.packages].sort(compare) }));
}

/** Changed files (audited changes and scope violations) that no package's write scope covers. */
function unownedWrites(packages: readonly ReportPackage[], plan: ReportPlan['plan']['packages']): RunReportJson['unownedWrites'] {
  const globs = plan.flatMap((p) => (p.scope?.writeAllow ?? []).map((g) => g.value));
  if (!plan.some((p) => p.scope)) return [];
  const seen = new Set<string>();
  const out: RunReportJson['unownedWrites'] = [];
  for (const p of packages) {
    for (const c of [...p.changedFiles, ...p.violations]) {
      const key = `${p.id}\0${c.path}`;
      if (seen.has(key) || globs.some((g) => covers(g, c.path))) continue;
      seen.add(key);
      out.push({ path: c.path, change: c.change, packageId: p.id });
    }
  }
  return out.sort((a, b) => compare(a.path, b.path) || compare(a.packageId, b.packageId));
}

function own<T>(obj: Record<string, T>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

function time(iso: string | null | undefined): number | null {
  if (typeof iso !== 'string') return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
}

/** `joins`: a plan of plans' parents, whose own attempt only joins their sub-plan's work: timed, not summed as work (unless it failed itself). */
function timeMetrics(packages: readonly ReportPackage[], plan: ReportPlan['plan']['packages'], maxParallel: number, joins: ReadonlySet<string>): RunMetrics {
  const cap = Number.isFinite(maxParallel) && maxParallel >= 1 ? Math.floor(maxParallel) : 1;
  let first: number | null = null;
  let last: number | null = null;
  let sum = 0;
  let timed = 0;
  const duration = new Map<string, number>();
  for (const p of packages) {
    if (p.durationMs === null) continue;
    const s = time(p.startedAt)!;
    const e = time(p.endedAt)!;
    first = first === null ? s : Math.min(first, s);
    last = last === null ? e : Math.max(last, e);
    duration.set(p.id, p.durationMs);
    if (!countsAsWork(p.id, p, joins)) continue;
    sum += p.durationMs;
    timed++;
  }
  const wall = first !== null && last !== null ? last - first : null;
  const { ms, chain } = criticalPath(plan, duration);
  return {
    maxParallel: cap,
    wallMs: wall,
    sumMs: sum,
    speedUp: wall !== null && wall > 0 ? round(sum / wall, 2) : null,
    criticalPathMs: ms,
    criticalPath: chain,
    idleSlotMs: wall !== null ? Math.max(0, cap * wall - sum) : null,
    timedPackages: timed,
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------
// Markdown

/** Text for a Markdown table cell: one line, pipes escaped. */
function cell(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').replace(/\\/g, '\\\\').replace(/\|/g, '\\|');
}

function ticked(s: string): string {
  const text = cell(s);
  const longest = Math.max(0, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** The integration guard in the report: each check with its time, each package sent a failure, the time spent checking. */
export interface GuardReport {
  status: GuardState['status'];
  greenTip: string | null;
  checkingMs: number;
  checks: GuardState['checks'];
  /** Packages sent an integration failure, with the attempt that carried it. */
  blamed: { packageId: string; attempt: number; at: string }[];
  /** The guard sends nothing more: whose merge broke the check, the check and its output, what the person can do (`guardStuck`). */
  stuck?: { packageId: string; command: string; tip: string; output: string; said: string; advice: string };
}

function guardReport(guard: GuardState, state: ReportState): GuardReport {
  const blamed = Object.entries(state.packages).flatMap(([packageId, r]) => (r.followUps ?? []).filter((f) => f.kind === 'integration').map((f) => ({ packageId, attempt: f.attempt, at: f.at })));
  blamed.sort((a, b) => compare(a.at, b.at) || compare(a.packageId, b.packageId));
  const stuck = guardStuck(state.integration);
  return {
    status: guard.status,
    greenTip: guard.greenTip,
    checkingMs: guardTimeMs(guard),
    checks: guard.checks,
    blamed,
    ...(stuck ? { stuck: { packageId: stuck.blame.packageId, command: stuck.blame.command, tip: stuck.blame.tip, output: stuck.blame.output ?? '', said: stuck.said, advice: stuck.advice } } : {}),
  };
}

function guardMarkdown(g: GuardReport): string[] {
  const out = ['## Integration checks', '', `${guardText({ guard: { status: g.status, greenTip: g.greenTip, checks: g.checks, blamed: null } })} · ${g.checks.length} check${g.checks.length === 1 ? '' : 's'}, ${formatDuration(g.checkingMs)} spent checking`, ''];
  if (g.blamed.length) {
    for (const b of g.blamed) out.push(`- ${ticked(b.packageId)} broke a check and was sent the failure (attempt ${b.attempt}, ${b.at})`);
    out.push('');
  }
  if (g.stuck) {
    out.push(`**${g.stuck.said}**`, '', g.stuck.advice, '');
    if (g.stuck.output) out.push(`What \`${g.stuck.command.replace(/`/g, "'")}\` printed at ${g.stuck.tip.slice(0, 12)} (its end):`, '', fenced(g.stuck.output.trimEnd(), 'text'), '');
  }
  if (g.checks.length) {
    out.push('| at | commit | why | command | result | time |', '|---|---|---|---|---|---|');
    for (const c of g.checks) out.push(`| ${c.at} | ${ticked(c.tip.slice(0, 12))} | ${c.purpose} | ${ticked(c.command)} | ${c.ok ? 'passed' : '**failed**'} | ${formatDuration(c.ms)} |`);
    out.push('');
  }
  return out;
}

function markdown(r: RunReportJson): string {
  const out: string[] = [];
  const m = r.metrics;
  out.push(`# Run report: ${cell(r.featureTitle ?? r.featureId)}`);
  out.push('');
  out.push(`Feature ${ticked(r.featureId)} · run ${ticked(r.runId)}${r.planFile ? ` · plan ${ticked(r.planFile)}` : ''}`);
  out.push('');
  out.push(Object.entries(r.counts).map(([s, n]) => `${n} ${s}`).join(' · ') || 'No packages.');
  out.push('');
  if (r.unconfined) {
    out.push(
      r.containerWall
        ? '**The agents of this run ran without bubblewrap: the container was their wall** (the person chose it: `--container-is-wall` or `waves.sandbox.container`).'
        : '**The agents of this run ran without walls** (the person chose it: `--unconfined` or `waves.sandbox.unconfined`).',
    );
    out.push('');
  }
  out.push('## Time');
  out.push('');
  out.push('| metric | value |');
  out.push('|---|---|');
  out.push(`| wall time | ${formatDuration(m.wallMs)} |`);
  out.push(`| sum of package times | ${formatDuration(m.sumMs)} (${m.timedPackages} package${m.timedPackages === 1 ? '' : 's'} timed) |`);
  out.push(`| achieved speed-up | ${m.speedUp === null ? '—' : `${m.speedUp}×`} |`);
  out.push(`| critical-path time | ${formatDuration(m.criticalPathMs)}${m.criticalPath.length ? ` (${m.criticalPath.map(cell).join(' → ')})` : ''} |`);
  out.push(`| idle slots (cap ${m.maxParallel} × wall − busy) | ${formatDuration(m.idleSlotMs)} |`);
  out.push('');
  if (r.integrationGuard) out.push(...guardMarkdown(r.integrationGuard));
  if (r.forecast) {
    out.push('## Forecast and actual', '', '| | forecast | actual |', '|---|---|---|', ...comparisonRows(r.forecast, formatDuration), '');
  }
  out.push('## Packages');
  out.push('');
  out.push('| package | status | attempts | duration | exit | merge | notes |');
  out.push('|---|---|---|---|---|---|---|');
  for (const p of r.packages) {
    const notes: string[] = [];
    if (p.lastError) notes.push(p.lastError);
    if (p.violations.length) notes.push(`outside its scope: ${p.violations.map((v) => `${v.change} ${v.path}`).join(', ')}`);
    if (p.missingResultKeys.length) notes.push(`result keys missing: ${p.missingResultKeys.join(', ')}`);
    if (p.resultStatus && p.resultStatus !== 'done') notes.push(`its record says ${p.resultStatus}`);
    if (p.claimedNotChanged.length) notes.push(`its record lists files it did not change: ${p.claimedNotChanged.join(', ')}`);
    if (p.refused.length) notes.push(refusedLine(p.refused, undefined, p.refusedRegistries));
    if (p.revisions) notes.push(`${p.revisions} review revision${p.revisions === 1 ? '' : 's'}`);
    // Best of n: each candidate, and why the one that went on was chosen; the pick it awaits, with the command that picks.
    if (p.candidates) notes.push(...candidateLines({ id: p.id, candidates: p.candidates, chosenWhy: p.chosenWhy ?? null }).map((l) => l.slice(p.id.length + 2)));
    if (p.candidates && p.awaitingPick) notes.push(pickWaitLine({ id: p.id, candidates: p.candidates, awaitingPick: true }, r.planFile ?? 'work-packages.yaml').slice(p.id.length + 1));
    notes.push(...p.resultWarnings);
    out.push(
      `| ${ticked(p.id)}${p.title ? ` ${cell(p.title)}` : ''} | ${cell(p.awaitingPick ? 'awaiting your pick' : p.status)} | ${p.attempts} | ${formatDuration(p.durationMs)} | ${p.exitCode ?? '—'} | ${p.merge ? cell(p.merge) : '—'} | ${cell(notes.join('; ')) || ''} |`,
    );
  }
  if (r.parents?.length) {
    out.push('', '## Sub-plans', '', "Each parent's work is the packages below it:", '', '| parent | packages | time | files changed | decisions | pending actions | spend |', '|---|---|---|---|---|---|---|');
    for (const p of r.parents) {
      out.push(`| ${ticked(p.id)} | ${p.succeeded}/${p.leaves.length} succeeded | ${formatDuration(p.wallMs)} | ${p.files.length} | ${p.decisions} | ${cell(p.pendingActions.join('; ')) || 'none'} | ${p.spend ? cell(formatSpend(p.spend)) : '—'} |`);
    }
  }
  if (r.unownedWrites.length) {
    out.push('');
    out.push('## Unowned writes');
    out.push('');
    out.push('Files changed that no package of the plan may write:');
    out.push('');
    for (const w of r.unownedWrites) out.push(`- ${ticked(w.path)} (${cell(w.change)}, by ${cell(w.packageId)})`);
  }
  const g = r.merged;
  out.push('');
  out.push('## Spend');
  out.push('');
  if (!r.spend) out.push('No agent reported what it spent.');
  else {
    out.push(`Total: ${formatSpend(r.spend)}.`);
    out.push('');
    for (const p of r.packages) if (p.spend) out.push(`- ${ticked(p.id)}: ${formatSpend(p.spend)}`);
  }
  out.push('');
  out.push('## Files changed');
  out.push('');
  out.push('What git saw in the merged packages (their audited changes; result records are not taken at their word).');
  out.push('');
  if (!r.filesChanged.length) out.push('No merged package changed a file.');
  for (const f of r.filesChanged) out.push(`- ${ticked(f.path)} (${f.changes.join('/')}, ${f.packages.map(cell).join(', ')})`);
  out.push('');
  out.push('## Decisions');
  out.push('');
  if (!g.decisions.length) out.push('None recorded.');
  for (const d of g.decisions) out.push(`- **${cell(d.packageId)}**: ${cell(d.decision)}${d.rationale ? ` — ${cell(d.rationale)}` : ''}`);
  out.push('');
  out.push('## Pending actions');
  out.push('');
  if (!g.pendingActions.length) out.push('None.');
  for (const a of g.pendingActions) out.push(`- [ ] ${cell(a.action)} (${a.packages.join(', ')})`);
  if (g.notes.length) {
    out.push('');
    out.push('## Notes');
    out.push('');
    for (const n of g.notes) out.push(`- **${cell(n.packageId)}**: ${cell(n.notes)}`);
  }
  // What agents told the packages after them (their `handoff` calls, ADR 0036).
  const handoffs = r.packages.filter((p) => p.handoffs.length);
  if (handoffs.length) {
    out.push('', '## Notes for dependents', '');
    for (const p of handoffs) for (const n of p.handoffs) out.push(`- **${cell(p.id)}**: ${cell(n)}`);
  }
  // Write scope the person granted beyond the plan's (their `request_scope` calls): what to fold into the plan next time.
  const granted = r.packages.filter((p) => p.granted.length);
  if (granted.length) {
    out.push('', '## Scope granted at run time', '');
    for (const p of granted) out.push(`- **${cell(p.id)}**: ${p.granted.map((g) => `\`${cell(g)}\``).join(', ')}`);
  }
  return out.join('\n') + '\n';
}
