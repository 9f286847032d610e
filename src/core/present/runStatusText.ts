/**
 * A run as the editor shows it: the status-bar text and tooltip, each wave's "3/5 done",
 * each package's status icon and "running 1m05s · attempt 2", and — for every run command —
 * why it cannot act now. Pure: the caller passes the run state, the plan's waves and `now`.
 */
import { addSpend, formatSpend, type Spend } from '../run/spend';
import { formatElapsed } from './terminalText';
import { countedState, modelFromState, pickPassedText, progressCounts, type ProgressCounts } from './progressModel';
import { isActive, isTerminal, type PackageRunRecord, type PackageStatus, type RunState } from '../run/runState';
import { awaitingPick, pickable } from '../run/candidates';
import { settingUpSince } from '../run/runStateReducer';
import { code, escapeMarkdown } from './planStatusText';
import { plural } from '../util/plural';
import { visibleText } from './visibleText';

// ---------------------------------------------------------------------------------------
// The run as a whole

export type RunPhase = 'none' | 'active' | 'finished';
/** How a run that is not active ended. */
export type RunEnding = 'succeeded' | 'failed' | 'cancelled' | 'interrupted' | 'usage-limit' | 'partial';

export interface RunView {
  phase: RunPhase;
  counts: ProgressCounts;
  /** How many waves the plan has. */
  waves: number;
  /** Set when `phase === 'finished'`. */
  ending: RunEnding | null;
  /** Packages awaiting the person's review (the review gate). */
  awaitingReview?: number;
  /** Packages awaiting the person's pick of a candidate (best of n, `pick: person`); not counted as running. */
  awaitingPick?: number;
}

/** The plan's waves as the progress model takes them. */
function wavePackages(waves: readonly (readonly string[])[]): { id: string; wave: number }[] {
  return waves.flatMap((ids, k) => ids.map((id) => ({ id, wave: k + 1 })));
}

/**
 * The run's phase and counts. `driving`: this window's engine drives the run (then it is
 * active even between two packages, when none is queued or running). `joins`: a plan of plans'
 * parents in the run (ADR 0035): the counts are of the leaves, the agents' work (`waves` then
 * names the leaves, `nestTree.ts`'s `leafWaves`), and a parent that failed itself counts as a failure (`countedState`).
 */
export function runView(state: RunState | undefined, waves: readonly (readonly string[])[], driving = false, joins?: ReadonlySet<string>): RunView {
  const counted = state && countedState(state, joins);
  // A failed join not among `waves` (the leaves) is a row of its own, counted as any failure.
  const model = modelFromState(counted ?? emptyState(), wavePackages(waves));
  // A package waiting for the person's pick runs nothing: counted as waiting, not as running.
  const counts = progressCounts(model);
  const picks = counts.awaitingPick;
  if (!state || Object.values(state.packages).every((r) => r.status === 'pending' && r.attempts === 0)) {
    return { phase: driving ? 'active' : 'none', counts, waves: model.waves, ending: null };
  }
  const records = Object.values(state.packages);
  const awaitingReview = records.filter((r) => r.status === 'awaiting-review').length;
  const awaiting = { awaitingReview, ...(picks ? { awaitingPick: picks } : {}) };
  if (driving || records.some((r) => isActive(r.status))) return { phase: 'active', counts, waves: model.waves, ending: null, ...awaiting };
  return { phase: 'finished', counts, waves: model.waves, ending: ending(records), ...awaiting };
}

function ending(records: readonly PackageRunRecord[]): RunEnding {
  const has = (s: PackageStatus) => records.some((r) => r.status === s);
  if (has('interrupted')) return 'interrupted';
  // Paused, not failed: it goes on after the agent's reset.
  if (has('usage-limit')) return 'usage-limit';
  if (has('failed') || has('scope-violation')) return 'failed';
  if (has('cancelled')) return 'cancelled';
  if (records.every((r) => r.status === 'succeeded')) return 'succeeded';
  return 'partial';
}

function emptyState(): RunState {
  return {
    version: 2,
    featureId: '',
    planFile: '',
    planHash: null,
    runId: '',
    createdAt: '',
    updatedAt: '',
    packages: {},
    merges: {},
    integration: null,
    history: [],
  };
}

const ENDING_ICON: Record<RunEnding, string> = {
  succeeded: '$(pass)',
  failed: '$(error)',
  cancelled: '$(circle-slash)',
  interrupted: '$(debug-pause)',
  'usage-limit': '$(watch)',
  partial: '$(pass)',
};

const ENDING_WORDS: Record<RunEnding, string> = {
  succeeded: 'Run succeeded',
  failed: 'Run failed',
  cancelled: 'Run cancelled',
  interrupted: 'Run interrupted',
  'usage-limit': 'Run paused at a usage limit',
  partial: 'Run ended',
};

/** The counts worth a glance after the main ones (zero counts left out); who waits on the person's review. */
function extras({ counts: c, awaitingReview, awaitingPick: picks }: RunView): string[] {
  const out: string[] = [];
  if (c.failed) out.push(`${c.failed} failed`);
  if (c.blocked) out.push(`${c.blocked} blocked`);
  if (c.needsInput) out.push(`${c.needsInput} need${c.needsInput === 1 ? 's' : ''} input`);
  if (awaitingReview) out.push(`${awaitingReview} awaiting your review`);
  if (picks) out.push(`${picks} awaiting your pick`);
  return out;
}

/**
 * The status-bar text: `$(sync~spin) Wave 2/5 · 3 running · 7/12 done` during a run,
 * `$(pass) Run succeeded · 12/12 done` (or failed, cancelled, interrupted) after it; '' for none.
 */
export function runStatusText(view: RunView): string {
  const c = view.counts;
  if (view.phase === 'none') return '';
  if (view.phase === 'active') {
    const parts = [`$(sync~spin) Wave ${Math.max(1, c.wave)}/${view.waves}`];
    if (c.running) parts.push(`${c.running} running`);
    if (c.verifying) parts.push(`${c.verifying} verifying`);
    if (!c.running && !c.verifying && c.queued) parts.push(`${c.queued} starting`);
    parts.push(`${c.done}/${c.total} done`, ...extras(view));
    return parts.join(' · ');
  }
  const e = view.ending ?? 'partial';
  return [`${ENDING_ICON[e]} ${ENDING_WORDS[e]}`, `${c.succeeded}/${c.total} succeeded`, ...extras(view)].join(' · ');
}

/** The same for a screen reader: no codicons, whole words. */
export function runStatusAccessible(view: RunView): string {
  const text = runStatusText(view).replace(/\$\([^)]*\)\s*/g, '').replace(/ · /g, ', ');
  return view.phase === 'active' ? `Wave Orchestrator run in progress: ${text}` : `Wave Orchestrator: ${text}`;
}

/** Whether the status bar deserves the warning colour: a failure, or an agent waiting for a person. */
export function runNeedsAttention(view: RunView): boolean {
  return view.phase !== 'none' && (view.counts.failed > 0 || view.counts.needsInput > 0 || !!view.awaitingReview || !!view.awaitingPick || view.ending === 'interrupted' || view.ending === 'usage-limit');
}

/** Commands the run tooltip links to (nothing a plan's text could add). */
export const RUN_TOOLTIP_COMMANDS = ['waves.showDag', 'waves.focusView', 'waves.cancelRun', 'waves.showRunReport', 'waves.finishRun', 'waves.resume', 'waves.retryFailed'] as const;

/** The status bar's tooltip (Markdown): the run, its packages by status, and what can be done. */
export function runTooltip(view: RunView, state: RunState | undefined, title: string, now: number, joins?: ReadonlySet<string>): string {
  if (!state || view.phase === 'none') return '';
  const lines = [`**${escapeMarkdown(title)}** — run \`${state.runId}\``, ''];
  lines.push(runStatusAccessible(view).replace(/^Wave Orchestrator[^:]*: /, ''), '');
  // The person chose to run this run's agents without walls: said every time the run is shown.
  if (state.unconfined)
    lines.push(
      state.containerWall
        ? '$(warning) Its agents run **without bubblewrap**: the container is their wall (your choice: `waves.sandbox.container` or `--container-is-wall`).'
        : '$(warning) Its agents run **without walls** (your choice: `waves.sandbox.unconfined` or `--unconfined`).',
      '',
    );
  const byStatus = new Map<PackageStatus | 'awaiting-pick', PackageRunRecord[]>();
  // Best of n: a package awaiting the person's pick is said so, beside those awaiting review, not as running.
  // A plan of plans' join is its children's work, listed as theirs: named only when it failed itself.
  for (const r of Object.values(countedState(state, joins).packages)) {
    const s = awaitingPick(r) ? 'awaiting-pick' : r.status;
    byStatus.set(s, [...(byStatus.get(s) ?? []), r]);
  }
  const order: (PackageStatus | 'awaiting-pick')[] = ['awaiting-review', 'awaiting-pick', 'running', 'verifying', 'queued', 'usage-limit', 'failed', 'scope-violation', 'interrupted', 'blocked', 'cancelled', 'succeeded', 'ready', 'pending'];
  for (const s of order) {
    const rs = byStatus.get(s);
    if (!rs?.length) continue;
    const shown = rs.slice(0, 8).map((r) => {
      const time = elapsedOf(r, now);
      return `\`${escapeMarkdown(r.packageId)}\`${time ? ` ${time}` : ''}${r.needsInput ? ' (needs input)' : ''}${settingUpSince(r) ? ' (setting up its worktree)' : ''}`;
    });
    lines.push(`- ${s === 'awaiting-pick' ? 'awaiting your pick' : STATUS_WORDS[s]}: ${shown.join(', ')}${rs.length > 8 ? `, +${rs.length - 8} more` : ''}`);
  }
  // What the agents reported spending.
  const spent = Object.values(state.packages).reduce<Spend | null>((total, r) => addSpend(total, r.spend), null);
  if (spent) lines.push('', `Spent: ${formatSpend(spent)}`);
  lines.push('');
  const links = ['[Show DAG](command:waves.showDag)', '[Waves view](command:waves.focusView)'];
  if (view.phase === 'active') links.push('[Cancel run](command:waves.cancelRun)');
  else {
    links.push('[Run report](command:waves.showRunReport)');
    if (view.ending === 'interrupted' || view.ending === 'cancelled' || byStatus.has('usage-limit')) links.push('[Resume](command:waves.resume)');
    if (view.ending === 'failed') links.push('[Retry failed](command:waves.retryFailed)');
    if (state.integration) links.push('[Finish run](command:waves.finishRun)');
  }
  lines.push(links.join(' · '));
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------
// Waves and packages

export const STATUS_WORDS: Record<PackageStatus, string> = {
  pending: 'pending',
  ready: 'ready',
  queued: 'queued',
  running: 'running',
  verifying: 'verifying',
  'awaiting-review': 'awaiting review',
  succeeded: 'succeeded',
  failed: 'failed',
  blocked: 'blocked',
  cancelled: 'cancelled',
  interrupted: 'interrupted',
  'scope-violation': 'out of scope',
  'usage-limit': 'at a usage limit',
};

/** `3/5 done · 2 running` for a wave's packages; '' when the run has not touched them. */
export function waveRunText(state: RunState | undefined, ids: readonly string[]): string {
  if (!state) return '';
  const records = ids.map((id) => state.packages[id]).filter((r): r is PackageRunRecord => r !== undefined);
  if (records.every((r) => r.status === 'pending' && r.attempts === 0)) return '';
  const done = records.filter((r) => isTerminal(r.status)).length;
  const parts = [`${done}/${ids.length} done`];
  const picks = records.filter(awaitingPick).length;
  const running = records.filter((r) => r.status === 'running' || r.status === 'verifying').length - picks;
  const failed = records.filter((r) => r.status === 'failed' || r.status === 'scope-violation' || r.status === 'interrupted').length;
  if (running) parts.push(`${running} running`);
  if (picks) parts.push(`${picks} awaiting your pick`);
  if (failed) parts.push(`${failed} failed`);
  return parts.join(' · ');
}

/**
 * What a package's row shows of its run, apart from the elapsed time that ticks on: two
 * records with the same key draw the same row, so a view redraws only rows whose key changed.
 */
export function packageRowKey(record: PackageRunRecord | undefined): string {
  if (!record) return '';
  // Best of n: its candidates' statuses and the one chosen redraw it too.
  const set = record.candidates?.length ? `${record.candidates.map((c) => c.status).join(',')}>${record.chosen?.candidate ?? ''}${awaitingPick(record) ? '?' : ''}` : '';
  // Its agent's progress (ADR 0036) redraws it as it changes.
  const progress = record.status === 'running' && record.progress ? `${record.progress.fraction}:${record.progress.message}` : '';
  return [record.status, record.attempts, record.startedAt, record.endedAt, record.needsInput ? 'input' : '', record.host ?? '', set, settingUpSince(record) ?? '', progress].join('|');
}

/** `1m05s` of the current attempt (running) or of the last one (ended); '' before any start. */
export function elapsedOf(record: PackageRunRecord, now: number): string {
  if (!record.startedAt) return '';
  const start = Date.parse(record.startedAt);
  const end = record.endedAt && isTerminal(record.status) ? Date.parse(record.endedAt) : now;
  if (Number.isNaN(start) || Number.isNaN(end)) return '';
  return formatElapsed(end - start);
}

/**
 * A package's run in a few words: `running 1m05s · attempt 2`, `failed after 12s`, `needs input`;
 * with hosts, where its attempt runs or ran: `running 20s · on build-1`.
 */
export function packageRunText(record: PackageRunRecord | undefined, now: number): string {
  if (!record || (record.status === 'pending' && record.attempts === 0)) return '';
  const time = elapsedOf(record, now);
  const parts: string[] = [];
  const settingUp = settingUpSince(record);
  if (record.needsInput) parts.push('needs input');
  // Best of n: every candidate has ended or is green, none chosen: it waits for the person, running nothing.
  else if (awaitingPick(record)) parts.push('awaiting your pick');
  // Its new tree's set-up command (npm ci, say) is what it waits for: said, with how long so far.
  else if (settingUp) parts.push(`setting up its worktree ${formatElapsed(Math.max(0, now - Date.parse(settingUp)))}`);
  else if (isActive(record.status)) parts.push(time && record.status !== 'queued' ? `${STATUS_WORDS[record.status]} ${time}` : STATUS_WORDS[record.status]);
  else parts.push(time && isTerminal(record.status) && record.status !== 'blocked' ? `${STATUS_WORDS[record.status]} after ${time}` : STATUS_WORDS[record.status]);
  if (record.host && record.status !== 'pending' && record.status !== 'ready') parts.push(`on ${record.host}`);
  if (record.attempts > 1) parts.push(`attempt ${record.attempts}`);
  // How far its agent says it is (agents talk back, ADR 0036), while it runs.
  if (record.status === 'running' && !record.needsInput && record.progress) parts.push(`${Math.round(record.progress.fraction * 100)} % ${visibleText(record.progress.message)}`);
  return parts.join(' · ');
}

/**
 * A codicon and a theme colour id for each status: the one map behind the tree, the terminals
 * and the DAG panel (which draws them with `codiconClasses`). `~spin` is VS Code's spinning
 * modifier.
 */
export const STATUS_ICONS: Record<PackageStatus, { icon: string; color: string | null }> = {
  pending: { icon: 'circle-outline', color: null },
  ready: { icon: 'circle-large-outline', color: null },
  queued: { icon: 'clock', color: 'charts.blue' },
  running: { icon: 'sync~spin', color: 'charts.blue' },
  verifying: { icon: 'beaker', color: 'charts.blue' },
  'awaiting-review': { icon: 'comment-discussion', color: 'charts.yellow' },
  succeeded: { icon: 'pass-filled', color: 'testing.iconPassed' },
  failed: { icon: 'error', color: 'testing.iconFailed' },
  blocked: { icon: 'debug-stackframe-dot', color: 'disabledForeground' },
  cancelled: { icon: 'circle-slash', color: 'disabledForeground' },
  interrupted: { icon: 'debug-pause', color: 'editorWarning.foreground' },
  'scope-violation': { icon: 'shield', color: 'testing.iconFailed' },
  'usage-limit': { icon: 'watch', color: 'editorWarning.foreground' },
};

/** A queued package whose new tree runs its set-up command (the tree and the DAG panel). */
export const SETTING_UP_ICON = { icon: 'gear~spin', color: 'charts.blue' } as const;

/** The CSS classes of a codicon id for a webview: `sync~spin` → `codicon codicon-sync codicon-modifier-spin`. */
export function codiconClasses(icon: string): string {
  const [name, modifier] = icon.split('~');
  return `codicon codicon-${name}${modifier ? ` codicon-modifier-${modifier}` : ''}`;
}

/** A package awaiting the person's pick of a candidate (best of n): it waits for the person, as one awaiting review does. */
export const AWAITING_PICK_ICON = { icon: 'checklist', color: 'charts.yellow' } as const;

/** The icon of a package's record: a bell while its agent waits for a person, a list while it awaits the person's pick, a turning gear while its tree is set up. */
export function statusIcon(record: PackageRunRecord): { icon: string; color: string | null } {
  if (record.needsInput) return { icon: 'bell-dot', color: 'editorWarning.foreground' };
  if (awaitingPick(record)) return AWAITING_PICK_ICON;
  if (settingUpSince(record)) return SETTING_UP_ICON;
  return STATUS_ICONS[record.status];
}

/** Screen-reader words for a package's run state. */
export function packageRunAccessible(record: PackageRunRecord | undefined, now: number): string {
  const text = packageRunText(record, now);
  return text ? `run: ${text}` : '';
}

// ---------------------------------------------------------------------------------------
// Why a command cannot act

export type RunCommand =
  | 'runPlan'
  | 'runWave'
  | 'runPackage'
  | 'cancelRun'
  | 'cancelPackage'
  | 'retryFailed'
  | 'resume'
  | 'showPrompt'
  | 'openWorktree'
  | 'openTerminal'
  | 'showRunReport'
  | 'finishRun'
  | 'cleanUpWorktrees'
  | 'showChanges';

export interface CommandFacts {
  /** The workspace is trusted (processes may start). */
  trusted: boolean;
  /** Errors in the plan (0: it can run). */
  planErrors: number;
  /** The plan's feature id, when it has one. */
  featureId: string | undefined;
  /** The feature's run state, if any. */
  state: RunState | undefined;
  /** This window's engine drives the feature's run. */
  driving: boolean;
  /** Someone else (`waves run`, another window) drives it: who, for a person. */
  drivenElsewhere: string | null;
  /** Each package's dependencies (plan order). */
  dependsOn: (packageId: string) => readonly string[];
  /** The package ids of a 1-based wave. */
  waveIds: (wave: number) => readonly string[];
  /** Why the plan is read-only (a task list of another tool: converted, it runs); absent for a plan. */
  readOnly?: string;
}

export interface CommandTarget {
  packageId?: string;
  wave?: number;
}

const RESTRICTED = 'Restricted Mode: runs start agents and git, which an untrusted workspace does not allow. Trust the workspace first.';

/** Why `command` cannot act now, for a person; null when it can. Host-only facts (a file exists, a terminal is open) are the caller's. */
export function whyNot(command: RunCommand, facts: CommandFacts, target: CommandTarget = {}): string | null {
  if (facts.readOnly) return facts.readOnly;
  const { state } = facts;
  const going = facts.driving ? 'a run of this plan is going in this window' : facts.drivenElsewhere ? `a run of this plan is going (${facts.drivenElsewhere})` : null;
  const record = target.packageId !== undefined ? state?.packages[target.packageId] : undefined;
  const starts = command === 'runPlan' || command === 'runWave' || command === 'runPackage' || command === 'retryFailed' || command === 'resume';
  if (starts || command === 'cleanUpWorktrees' || command === 'finishRun') {
    if (!facts.trusted) return RESTRICTED;
  }
  if (starts) {
    if (!facts.featureId) return 'the plan has no feature.id: a run is named after it';
    if (facts.planErrors > 0) return `the plan has ${plural(facts.planErrors, 'error')}: fix ${facts.planErrors === 1 ? 'it' : 'them'} first`;
    if (going) return `${going}; cancel it or wait for its end`;
  }
  switch (command) {
    case 'runPlan':
      return null;
    case 'runWave': {
      if (target.wave === undefined) return 'no wave given';
      const ids = facts.waveIds(target.wave);
      if (ids.length === 0) return `the plan has no wave ${target.wave}`;
      return unmetDependencies(facts, ids);
    }
    case 'runPackage': {
      if (target.packageId === undefined) return 'no package given';
      return unmetDependencies(facts, [target.packageId]);
    }
    case 'retryFailed': {
      const failed = state ? Object.values(state.packages).filter((r) => r.status === 'failed' || r.status === 'scope-violation') : [];
      return failed.length ? null : 'nothing failed in the last run';
    }
    case 'resume': {
      // Nobody drives it (checked above), so a package still marked active stopped with its driver;
      // pending and ready ones were never started (an adoption collects and starts nothing);
      // one awaiting review waits for the person's decision, which a resumed run carries out.
      const left = state
        ? Object.values(state.packages).filter(
            (r) => r.status === 'interrupted' || r.status === 'cancelled' || r.status === 'usage-limit' || r.status === 'pending' || r.status === 'ready' || r.status === 'awaiting-review' || isActive(r.status),
          )
        : [];
      return left.length ? null : 'the run has nothing interrupted, cancelled or left to start to resume';
    }
    case 'cancelRun':
      return going ? null : 'no run of this plan is going';
    case 'cancelPackage': {
      if (!going) return 'no run of this plan is going';
      if (!record) return `${target.packageId ?? 'the package'} is not part of the run`;
      return isTerminal(record.status) ? `${record.packageId} is ${STATUS_WORDS[record.status]} already` : null;
    }
    case 'showPrompt':
      return facts.planErrors > 0 ? `the plan has ${plural(facts.planErrors, 'error')}` : null;
    case 'openWorktree':
      if (!record || !record.worktree) return `${target.packageId ?? 'the package'} has no worktree yet: it has not started`;
      return null;
    case 'openTerminal':
      if (!record || record.attempts === 0) return `${target.packageId ?? 'the package'} has not started`;
      return null;
    case 'showChanges':
      if (!record || !record.baseSha) return `${target.packageId ?? 'the package'} has not started`;
      if (isActive(record.status) && record.status !== 'verifying') return `${record.packageId} is still ${STATUS_WORDS[record.status]}; its changes are reviewed when its attempt ends`;
      return null;
    case 'showRunReport':
      if (!state) return 'this plan has not been run';
      return going ? 'the run is still going: its report is written at the end' : null;
    case 'finishRun':
      if (!state?.integration) return 'nothing to finish: the run has no integration branch yet';
      if (going) return `${going}: finish it when it ends`;
      if (!Object.values(state.merges).some((m) => m.status === 'merged')) return 'no package was merged into the integration branch';
      return null;
    case 'cleanUpWorktrees':
      if (!state) return 'this plan has not been run';
      return going ? `${going}: its worktrees are in use` : null;
  }
}

/** Why packages cannot start yet: a dependency outside them that has not succeeded. */
function unmetDependencies(facts: CommandFacts, ids: readonly string[]): string | null {
  const inside = new Set(ids);
  for (const id of ids) {
    for (const dep of facts.dependsOn(id)) {
      if (inside.has(dep)) continue;
      const status = facts.state?.packages[dep]?.status ?? 'pending';
      if (status !== 'succeeded') return `${id} needs ${dep} to succeed first (it is ${STATUS_WORDS[status]}): run the plan, or ${dep} first`;
    }
  }
  return null;
}

/**
 * What the walls refused an attempt, in one line for a person; `escape` for Markdown.
 * The targets (up to five shown) and where to allow one.
 */
export function refusedLine(refused: readonly string[], escape: (s: string) => string = (s) => s, registries: readonly string[] = []): string {
  const shown = refused.slice(0, 5).map(escape).join(', ');
  const more = refused.length > 5 ? ` and ${refused.length - 5} more` : '';
  const said = `Its walls refused ${refused.length === 1 ? 'a connection' : 'connections'} to ${shown}${more} (allow a host with waves.sandbox.allowHosts or --allow-host).`;
  if (registries.length === 0) return said;
  const which = registries.slice(0, 5).map(escape).join(', ');
  return `${said} ${which} ${registries.length === 1 ? 'is a package registry' : 'are package registries'}: allow the registries your configuration names with waves.sandbox.registries or --allow-registries.`;
}

/**
 * The run's news about one package for its tooltip (Markdown; '' when none): the pick of a
 * candidate it awaits (best of n), the usage limit it waits for, the question its agent asked,
 * what its attempts spent.
 */
export function packageRunNotes(record: PackageRunRecord): string {
  const lines: string[] = [];
  const green = pickable(record);
  if (green.length)
    lines.push(`Awaits your pick: ${escapeMarkdown(pickPassedText(green, record.ranked ?? null))}. Pick Candidate on a green candidate below (or \`waves pick\`): the one you pick is merged, the others end; its dependents wait until then.`);
  if (record.status === 'usage-limit') {
    const at = record.usageLimit?.resetAt;
    lines.push(`At its agent's usage limit${at ? `; it resets at ${at}` : ''} (no retry was spent): ${escapeMarkdown(record.usageLimit?.detail ?? '')}`);
  }
  if (record.question) lines.push(`Its agent asks: “${escapeMarkdown(record.question)}” — Answer and Retry Package.`);
  if (record.refused?.length) lines.push(refusedLine(record.refused, code, record.refusedRegistries));
  if (record.spend) lines.push(`Spent: ${formatSpend(record.spend)}`);
  return lines.join('\n\n');
}
