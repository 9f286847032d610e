/**
 * Words about a plan: the counts, the status-bar text and the Markdown tooltips the views
 * show. Pure functions of an analysis, so the wording is tested in plain Node; the views
 * only wrap the strings in VS Code objects.
 */
import type { PlanAnalysis } from '../plan/analyze';
import type { Diagnostic, PlanPackage } from '../plan/model';
import { plural } from '../util/plural';

/** The parts of an analysis the summaries read (tests build them without the reader). */
export type AnalysisView = Pick<PlanAnalysis, 'plan' | 'graph' | 'diagnostics'>;

export interface ProblemCounts {
  errors: number;
  warnings: number;
  infos: number;
}

function count(counts: ProblemCounts, d: Diagnostic): void {
  if (d.severity === 'error') counts.errors++;
  else if (d.severity === 'warning') counts.warnings++;
  else counts.infos++;
}

export function countProblems(diagnostics: readonly Diagnostic[]): ProblemCounts {
  const counts: ProblemCounts = { errors: 0, warnings: 0, infos: 0 };
  for (const d of diagnostics) count(counts, d);
  return counts;
}

/** Problems are what the user must look at: errors and warnings (not infos). */
export function problemTotal(counts: ProblemCounts): number {
  return counts.errors + counts.warnings;
}

/** `1 error, 2 warnings`, `1 warning`, or `no problems`. */
export function problemsBySeverity(counts: ProblemCounts): string {
  const parts: string[] = [];
  if (counts.errors) parts.push(plural(counts.errors, 'error'));
  if (counts.warnings) parts.push(plural(counts.warnings, 'warning'));
  return parts.length ? parts.join(', ') : 'no problems';
}

export interface PlanCounts extends ProblemCounts {
  waves: number;
  /** Every package written in the plan, with or without a (unique) id. */
  packages: number;
  /** Packages that have no wave: on or behind a cycle, or without a usable id. */
  unwaved: number;
  /** The plan is over the editor's size cap and was not analysed (`plan-too-large`). */
  tooLarge?: boolean;
}

export function planCounts(analysis: AnalysisView): PlanCounts {
  const waved = analysis.graph.waves.reduce((sum, wave) => sum + wave.length, 0);
  const counts: PlanCounts = {
    ...countProblems(analysis.diagnostics),
    waves: analysis.graph.waves.length,
    packages: analysis.plan.packages.length,
    unwaved: analysis.plan.packages.length - waved,
  };
  if (tooLargeMessage(analysis) !== undefined) counts.tooLarge = true;
  return counts;
}

/** Why the plan was not analysed in the editor (its `plan-too-large` error), if it was not. */
export function tooLargeMessage(analysis: Pick<AnalysisView, 'diagnostics'>): string | undefined {
  // The editor's cap leaves that one diagnostic and nothing else.
  const [only] = analysis.diagnostics;
  return analysis.diagnostics.length === 1 && only.code === 'plan-too-large' ? only.message : undefined;
}

/**
 * `5 waves · 12 packages · 2 problems`. With `zeroProblems: 'omit'` a clean plan reads
 * `5 waves · 12 packages` (the status bar); with `'show'` it ends in `no problems`.
 */
export function countsText(counts: PlanCounts, zeroProblems: 'omit' | 'show' = 'show'): string {
  if (counts.tooLarge) return 'too large for the editor · 1 problem';
  const parts = [plural(counts.waves, 'wave'), plural(counts.packages, 'package')];
  const problems = problemTotal(counts);
  if (problems > 0) parts.push(plural(problems, 'problem'));
  else if (zeroProblems === 'show') parts.push('no problems');
  return parts.join(' · ');
}

/** The status-bar text: `$(layers) 5 waves · 12 packages · 2 problems`. */
export function statusBarText(counts: PlanCounts): string {
  return `$(layers) ${countsText(counts, 'omit')}`;
}

/** The same for screen readers: no icon, commas instead of middle dots. */
export function statusBarAccessibleText(counts: PlanCounts): string {
  return `Wave Orchestrator: ${countsText(counts).replace(/ · /g, ', ')}`;
}

// ---------------------------------------------------------------------------------------
// Markdown

/** Escape text so Markdown shows it literally (plan text is user input). */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~$&]/g, '\\$&').replace(/\r?\n|\r/g, ' ');
}

/** A code span that holds any text, backticks included. */
export function code(text: string): string {
  const flat = text.replace(/\r?\n|\r/g, ' ');
  const longestRun = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  const pad = longestRun > 0 || flat.startsWith(' ') || flat.endsWith(' ') ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** `a`, `b`, `c` … and 3 more: long lists stay readable in a hover. */
export function codeList(values: readonly string[], max = 12): string {
  const shown = values.slice(0, max).map(code).join(', ');
  return values.length > max ? `${shown} … and ${values.length - max} more` : shown;
}

function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1).trimEnd()}…` : flat;
}

/** Lines of a Markdown paragraph: a trailing double space is a hard line break. */
function lines(...items: (string | undefined | false)[]): string {
  return items.filter((l): l is string => typeof l === 'string' && l !== '').join('  \n');
}

/** Paragraphs, skipping empty ones. */
function paragraphs(...items: (string | undefined | false)[]): string {
  return items.filter((p): p is string => typeof p === 'string' && p !== '').join('\n\n');
}

/** A chain of ids, shortened in the middle when long: `a` → `b` → … → `y` → `z`. */
export function chain(ids: readonly string[], max = 8): string {
  if (ids.length <= max) return ids.map(code).join(' → ');
  const head = ids.slice(0, Math.ceil(max / 2) - 1).map(code);
  const tail = ids.slice(ids.length - Math.floor(max / 2)).map(code);
  return [...head, '…', ...tail].join(' → ');
}

// ---------------------------------------------------------------------------------------
// Packages

/** Why a package has no wave; `undefined` when it has one. */
export type NoWaveReason = 'cycle' | 'no-id' | 'duplicate-id';

export interface PackagePlace {
  /** The graph node of the package, when it defines its id (first package with that id). */
  node: number | undefined;
  /** 1-based wave, or null when the package cannot be scheduled. */
  wave: number | null;
  reason: NoWaveReason | undefined;
}

export const NO_WAVE_WHY: Record<NoWaveReason, string> = {
  cycle: 'on or behind a dependency cycle',
  'no-id': 'the package has no id',
  'duplicate-id': 'another package already uses this id',
};

/** Look-ups over one analysis, built once: views ask them for every package. */
interface AnalysisIndex {
  /** The package defining each id (the first one written). */
  definitions: Map<string, PlanPackage>;
  /** Problems attached to each package id. */
  problems: Map<string, ProblemCounts>;
  critical: Set<string>;
}

const indexes = new WeakMap<AnalysisView, AnalysisIndex>();

function lookups(analysis: AnalysisView): AnalysisIndex {
  let index = indexes.get(analysis);
  if (!index) {
    const definitions = new Map<string, PlanPackage>();
    for (const p of analysis.plan.packages) if (p.id && !definitions.has(p.id)) definitions.set(p.id, p);
    const problems = new Map<string, ProblemCounts>();
    for (const d of analysis.diagnostics) {
      if (d.packageId === null) continue;
      let counts = problems.get(d.packageId);
      if (!counts) problems.set(d.packageId, (counts = { errors: 0, warnings: 0, infos: 0 }));
      count(counts, d);
    }
    index = { definitions, problems, critical: new Set(analysis.graph.criticalPath) };
    indexes.set(analysis, index);
  }
  return index;
}

/** Where a package sits in the graph. A later package repeating an id is not in the graph. */
export function placeOf(analysis: AnalysisView, p: PlanPackage): PackagePlace {
  if (!p.id) return { node: undefined, wave: null, reason: 'no-id' };
  const node = analysis.graph.indexOf.get(p.id);
  if (node === undefined || lookups(analysis).definitions.get(p.id) !== p) return { node: undefined, wave: null, reason: 'duplicate-id' };
  const wave = analysis.graph.wave[node];
  return { node, wave, reason: wave === null ? 'cycle' : undefined };
}

/** Problems of one package (diagnostics attached to its id). */
export function packageProblems(analysis: AnalysisView, p: PlanPackage): ProblemCounts {
  if (!p.id) {
    // Without an id the only link is the text: diagnostics inside the package's mapping.
    return countProblems(
      analysis.diagnostics.filter((d) => d.packageId === null && d.range.start >= p.range.start && d.range.end <= p.range.end),
    );
  }
  return { ...(lookups(analysis).problems.get(p.id) ?? { errors: 0, warnings: 0, infos: 0 }) };
}

export function isOnCriticalPath(analysis: AnalysisView, p: PlanPackage): boolean {
  return placeOf(analysis, p).node !== undefined && lookups(analysis).critical.has(p.id);
}

/**
 * Whether marking the critical path tells anything: not when it is a single package, nor
 * when every scheduled package is on it (a plain chain).
 */
export function criticalPathStandsOut(analysis: AnalysisView): boolean {
  const length = analysis.graph.criticalPath.length;
  const scheduled = analysis.graph.waves.reduce((sum, wave) => sum + wave.length, 0);
  return length > 1 && length < scheduled;
}

/** The package's name as shown: its id, or where it is when it has none. */
export function packageName(p: PlanPackage): string {
  return p.id || `package #${p.index + 1} (no id)`;
}

/** Markdown tooltip of one package: what it does, where it runs, what it owns. */
export function packageTooltip(analysis: AnalysisView, p: PlanPackage, defaultTimeout = analysis.plan.defaults.timeoutMinutes): string {
  const { graph } = analysis;
  const place = placeOf(analysis, p);
  const dependents = place.node === undefined ? [] : graph.dependents[place.node].map((j) => graph.ids[j]);
  const list = (label: string, values: readonly string[], empty?: string) =>
    values.length ? `${label}: ${codeList(values)}` : empty !== undefined ? `${label}: ${empty}` : undefined;
  const where =
    place.wave !== null
      ? `Wave ${place.wave}${isOnCriticalPath(analysis, p) ? ' · on the critical path' : ''}`
      : `No wave: ${NO_WAVE_WHY[place.reason!]}`;
  const timeout =
    p.timeoutMinutes !== undefined
      ? `Timeout: ${p.timeoutMinutes} min`
      : defaultTimeout !== undefined
        ? `Timeout: ${defaultTimeout} min (plan default)`
        : undefined;
  const problems = packageProblems(analysis, p);

  return paragraphs(
    `**${escapeMarkdown(packageName(p))}**${p.title ? ` — ${escapeMarkdown(p.title)}` : ''}`,
    where,
    p.description && escapeMarkdown(truncate(p.description, 300)),
    lines(
      list('Depends on', p.dependsOn.map((d) => d.value), 'nothing'),
      list('Dependents', dependents, 'none'),
    ),
    lines(
      list('Writes', p.scope.writeAllow.map((g) => g.value), 'nothing (read-only)'),
      list('Reads', p.scope.readAllow.map((g) => g.value)),
      list('Denied', p.scope.deny.map((g) => g.value)),
      list('Locks files', p.locks.files.map((l) => l.value)),
      list('Lock keys', p.locks.keys.map((l) => l.value)),
    ),
    lines(timeout, `Problems: ${problemsBySeverity(problems)}`),
  );
}

// ---------------------------------------------------------------------------------------
// Plans

/** Commands a plan tooltip links to; the only ones its Markdown may run. */
export const PLAN_TOOLTIP_COMMANDS = ['waves.focusView', 'waves.selectPlan', 'workbench.actions.view.problems'] as const;

export interface PlanTooltipInput {
  /** Workspace-relative path of the plan. */
  label: string;
  analysis: AnalysisView;
  /** How many plans the workspace has: `Select Plan` is offered when more than one. */
  planCount: number;
  /** Whether to end with command links (the status bar wants them, a tree node may not). */
  links?: boolean;
}

/** Markdown tooltip of a plan: feature, waves, critical path, problems, command links. */
export function planTooltip({ label, analysis, planCount, links = true }: PlanTooltipInput): string {
  const counts = planCounts(analysis);
  const feature = analysis.plan.feature;
  const featureLine = feature?.id
    ? `Feature ${code(feature.id)}${feature.title ? `: ${escapeMarkdown(feature.title)}` : ''}`
    : feature?.title
      ? `Feature: ${escapeMarkdown(feature.title)}`
      : undefined;

  const maxWaves = 10;
  const waveLines = analysis.graph.waves.slice(0, maxWaves).map((w, k) => `Wave ${k + 1}: ${plural(w.length, 'package')}`);
  if (analysis.graph.waves.length > maxWaves) waveLines.push(`… and ${plural(analysis.graph.waves.length - maxWaves, 'more wave')}`);
  if (counts.unwaved > 0) waveLines.push(`No wave: ${plural(counts.unwaved, 'package')} (see the problems)`);
  const tooLarge = tooLargeMessage(analysis);
  if (tooLarge !== undefined) waveLines.push(escapeMarkdown(tooLarge));
  else if (counts.packages === 0) waveLines.push('No packages yet');

  const critical = analysis.graph.criticalPath;
  const commandLinks = [
    '[Show Waves](command:waves.focusView "Open the Waves view")',
    problemTotal(counts) > 0 && '[Show Problems](command:workbench.actions.view.problems "Open the Problems panel")',
    planCount > 1 && '[Select Plan](command:waves.selectPlan "Choose the active plan")',
  ].filter(Boolean);

  return paragraphs(
    `**Wave Orchestrator** — ${code(label)}`,
    featureLine,
    lines(...waveLines),
    critical.length > 1 && `Critical path: ${chain(critical)}`,
    `Problems: ${problemsBySeverity(counts)}`,
    links && commandLinks.join(' · '),
  );
}
