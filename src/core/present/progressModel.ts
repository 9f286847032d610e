/**
 * The live progress of a run as a model: one row per package, folded from the engine's
 * events and the run-state events (`reduceProgress`) or built from a run state
 * (`modelFromState`), and its counts. The text a terminal shows of it is
 * `terminalProgress.ts`'s. Pure: no clock (callers pass `now`), no I/O.
 */
import type { PackageRunRecord, PackageStatus, RunEvent, RunState } from '../run/runState';
import { pickable } from '../run/candidates';

// ---------------------------------------------------------------------------------------
// The model

export interface ProgressRow {
  id: string;
  /** 1-based wave; null for a package in a dependency cycle (never scheduled). */
  wave: number | null;
  status: PackageStatus;
  /** The current (or last) attempt; 0 before the first start. */
  attempt: number;
  /** Epoch milliseconds of the current attempt's start; null before the first start. */
  startedAt: number | null;
  /** Epoch milliseconds of the end of the last attempt; null while it runs. */
  endedAt: number | null;
  /** The latest thing worth a glance: a failure's reason, a verification step, who blocks it. */
  detail: string;
  /** Why the agent waits for a person, while it does. */
  needsInput: string | null;
  /** Best of n: it waits for the person's pick of a candidate (`awaitingPick`; its status stays `running`). Set from a run state. */
  awaitingPick?: boolean;
  /** The model's sequence number of this row's last change (recent rows sort first). */
  changed: number;
}

export interface ProgressModel {
  /** One row per package, in plan order. */
  rows: ProgressRow[];
  /** How many waves the plan has. */
  waves: number;
  /** Bumped by every event that changed something. */
  seq: number;
  /** A run-wide note shown in the header (e.g. `cancelling…`); null for none. */
  note: string | null;
}

export interface ProgressPackage {
  id: string;
  wave: number | null;
}

export function createProgressModel(packages: readonly ProgressPackage[]): ProgressModel {
  const waves = packages.reduce((max, p) => Math.max(max, p.wave ?? 0), 0);
  return {
    rows: packages.map((p) => ({
      id: p.id,
      wave: p.wave,
      status: 'pending',
      attempt: 0,
      startedAt: null,
      endedAt: null,
      detail: '',
      needsInput: null,
      changed: 0,
    })),
    waves,
    seq: 0,
    note: null,
  };
}

/** Epoch milliseconds of an ISO time; null when there is none or it cannot be read. */
export function epoch(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

/** The detail a run record deserves: the same words the event stream would have shown. */
function recordDetail(r: PackageRunRecord): string {
  if (r.needsInput) return `needs input: ${r.needsInput.reason}`;
  if (r.status === 'blocked' && r.blockedBy.length) return `blocked by ${r.blockedBy.join(', ')}`;
  if (r.status === 'scope-violation' && r.scopeViolations.length)
    return `outside its scope: ${r.scopeViolations.map((v) => v.path).join(', ')}`;
  if (r.lastError) return r.lastError;
  const last = r.verification.at(-1);
  if (last) return `${last.ok ? '✓' : '✗'} ${last.step}`;
  return '';
}

/** A plan of plans' join that ended in a failure of its own (its check on its children's work, its audit): counted and shown as any failure. */
export function joinFailed(r: { readonly status: string } | undefined): boolean {
  return !!r && JOIN_FAILURES.has(r.status);
}
const JOIN_FAILURES: ReadonlySet<string> = new Set<PackageStatus>(['failed', 'scope-violation', 'interrupted']);

/**
 * A run's end in counts of each status, of `ids` (its packages in scope), as `countedState` counts
 * them — as the status bar, the tooltip and `waves status` do.
 */
export function runCounts(state: RunState, ids: readonly string[], joins?: Readonly<Record<string, readonly string[]>>): Partial<Record<PackageStatus, number>> {
  const counted = countedState(state, joins && new Set(Object.keys(joins)));
  const counts: Partial<Record<PackageStatus, number>> = {};
  for (const id of new Set(ids)) {
    const record = Object.hasOwn(counted.packages, id) ? counted.packages[id]! : undefined;
    if (record) counts[record.status] = (counts[record.status] ?? 0) + 1;
  }
  return counts;
}

/**
 * A run as every front end counts it (ADR 0035): its leaves, the agents' work, and a plan of plans'
 * join only when it failed itself (its check on its children's work, its audit) — otherwise a join
 * is its children's work and counting it would count that work twice.
 */
export function countedState(state: RunState, joins: ReadonlySet<string> | undefined): RunState {
  if (!joins?.size) return state;
  return { ...state, packages: Object.fromEntries(Object.entries(state.packages).filter(([id, r]) => countsAsWork(id, r, joins))) };
}

/** Whether package `id` (its record `r`) counts in a run: not a plan of plans' join, or a join that failed itself. */
export function countsAsWork(id: string, r: { readonly status: string } | undefined, joins: ReadonlySet<string> | undefined): boolean {
  return !joins?.has(id) || joinFailed(r);
}

/** A model of a run as its state file has it (e.g. for `waves status`, or to resume a view). */
export function modelFromState(state: RunState, packages: readonly ProgressPackage[]): ProgressModel {
  const model = createProgressModel(packages);
  const known = new Set(packages.map((p) => p.id));
  // Packages of the run that the plan no longer has still show (wave unknown).
  for (const id of Object.keys(state.packages))
    if (!known.has(id)) model.rows.push({ ...createProgressModel([{ id, wave: null }]).rows[0]! });
  for (const row of model.rows) {
    const r = state.packages[row.id];
    if (!r) continue;
    row.status = r.status;
    row.attempt = r.attempts;
    row.startedAt = epoch(r.startedAt);
    row.endedAt = epoch(r.endedAt);
    row.needsInput = r.needsInput?.reason ?? null;
    row.detail = recordDetail(r);
    const green = pickable(r);
    if (green.length) {
      row.awaitingPick = true;
      row.detail = `awaiting your pick: ${pickPassedText(green, r.ranked ?? null)}`;
    }
    const t = row.endedAt ?? row.startedAt;
    row.changed = t ?? 0;
  }
  model.seq = Math.max(0, ...model.rows.map((r) => r.changed));
  return model;
}

/**
 * What passed of a package awaiting its pick (best of n), in the words every front end says it in:
 * `candidates 1 (claude-code), 2 (codex) passed audit and verification`, and the judge's first when
 * it ranked one (`; the judge ranks 2 first: <why>`).
 */
export function pickPassedText(green: readonly { candidate: number; agent: string }[], ranked: { candidate: number; why: string } | null): string {
  const passed = `candidate${green.length === 1 ? '' : 's'} ${green.map((c) => `${c.candidate} (${c.agent})`).join(', ')} passed audit and verification`;
  return `${passed}${ranked ? `; the judge ranks ${ranked.candidate} first: ${ranked.why}` : ''}`;
}

/**
 * The engine's events (`EngineEvent` of `src/engine/run/engine.ts`, docs/run-engine.md "Engine
 * API"), as the progress view reads them: structurally, so `src/core` needs nothing of
 * the engine. Each package event is a status snapshot.
 */
export type EngineProgressEvent =
  | { type: 'run-started'; runId: string; featureId: string; packages: string[]; maxParallel: number; mode: string; resumed: boolean }
  | { type: 'package'; packageId: string; status: PackageStatus; attempt: number; detail?: string }
  | { type: 'needs-input'; packageId: string; reason: string | null }
  | { type: 'verification'; packageId: string; step: string; ok: boolean; command: string }
  | { type: 'merge'; packageId: string; ok: boolean; conflicts?: string[] }
  | { type: 'problem'; message: string; packageId?: string }
  | { type: 'plan-changed'; planHash: string; added: string[] }
  | {
      type: 'run-finished';
      outcome: string;
      reportFile: string | null;
      counts: Partial<Record<PackageStatus, number>>;
      speedup: number | null;
    };

/**
 * What the progress view folds, each with the time it happened (`at`, ISO): the engine's
 * events, the run-state events, and a note for one package or for the run.
 */
export type ProgressEvent =
  (EngineProgressEvent & { at: string }) | (RunEvent & { at: string }) | { type: 'note'; at: string; packageId?: string; text: string };

/** The package an event is about, if any. */
export function packageOf(event: ProgressEvent): string | undefined {
  return 'packageId' in event ? event.packageId : undefined;
}

const TERMINAL: readonly PackageStatus[] = ['succeeded', 'failed', 'blocked', 'cancelled', 'interrupted', 'scope-violation'];

/** Fold one event into the model. Returns a new model (the input is not changed); unknown packages add a row. */
export function reduceProgress(model: ProgressModel, event: ProgressEvent): ProgressModel {
  const at = epoch(event.at);
  if (event.type === 'run-started') return { ...model, note: null, seq: model.seq + 1 };
  if (event.type === 'run-finished') return { ...model, note: event.outcome, seq: model.seq + 1 };
  if (event.type === 'plan-changed') {
    const known = new Set(model.rows.map((r) => r.id));
    const added = event.added.filter((id) => !known.has(id)).map((id) => createProgressModel([{ id, wave: null }]).rows[0]!);
    return { ...model, rows: [...model.rows, ...added], note: 'the plan changed', seq: model.seq + 1 };
  }
  const id = packageOf(event);
  if (id === undefined) {
    if (event.type === 'note') return { ...model, note: event.text || null, seq: model.seq + 1 };
    return model;
  }
  const seq = model.seq + 1;
  let rows = model.rows;
  let index = rows.findIndex((r) => r.id === id);
  if (index === -1) {
    rows = [...rows, { ...createProgressModel([{ id, wave: null }]).rows[0]! }];
    index = rows.length - 1;
  }
  const before = rows[index]!;
  const row: ProgressRow = { ...before, changed: seq };
  const end = (status: PackageStatus, detail: string) => {
    row.status = status;
    row.endedAt = at;
    row.needsInput = null;
    row.detail = detail;
  };
  const candidate = 'candidate' in event && typeof event.candidate === 'number' ? event.candidate : null;
  // A candidate's event (best of n) is a line of the package's detail: the package's own row moves by its own events.
  if (candidate !== null) {
    row.detail = `candidate ${candidate}: ${candidateWords(event as RunEvent)}`;
    const next = [...rows];
    next[index] = row;
    return { ...model, rows: next, seq };
  }
  switch (event.type) {
    case 'candidates':
      row.detail = `${event.agents.length} candidates: ${event.agents.join(', ')}`;
      break;
    case 'chosen':
      row.status = 'verifying';
      row.detail = `candidate ${event.choice} goes on: ${event.why}`;
      break;
    case 'ranked':
      row.detail = `the judge ranks candidate ${event.choice} first: ${event.why}; awaiting your pick`;
      break;
    case 'note':
      row.detail = event.text;
      break;
    case 'problem':
      row.detail = event.message;
      break;
    case 'package':
      if (event.status === 'running' && (before.status !== 'running' || event.attempt !== before.attempt)) {
        row.startedAt = at;
        row.endedAt = null;
      }
      if (TERMINAL.includes(event.status)) {
        if (!TERMINAL.includes(before.status)) row.endedAt = before.startedAt === null ? null : at;
        row.needsInput = null;
      }
      if (event.status === 'pending') row.endedAt = null;
      row.status = event.status;
      row.attempt = event.attempt;
      row.detail = event.detail ?? '';
      break;
    case 'needs-input':
      row.needsInput = event.reason;
      row.detail = event.reason === null ? '' : `needs input: ${event.reason}`;
      break;
    case 'verification':
      row.detail = `${event.ok ? '✓' : '✗'} ${event.step}`;
      break;
    case 'merge':
      row.detail = event.ok ? 'merged' : `merge conflict${event.conflicts?.length ? `: ${event.conflicts.join(', ')}` : ''}`;
      break;
    case 'ready':
    case 'queued':
      row.status = event.type;
      row.detail = '';
      break;
    case 'started':
      row.status = 'running';
      row.attempt = event.attempt;
      row.startedAt = at;
      row.endedAt = null;
      row.needsInput = null;
      row.detail = '';
      break;
    case 'exited': {
      const clean = event.exitCode === 0 && !event.signal;
      if (before.status === 'running') {
        if (clean) {
          row.status = 'verifying';
          row.detail = 'agent exited 0';
        } else end('failed', event.reason ?? exitWords(event.exitCode, event.signal));
      }
      row.needsInput = null;
      break;
    }
    case 'needsInput':
      row.needsInput = event.reason;
      row.detail = `needs input: ${event.reason}`;
      break;
    case 'inputResumed':
      row.needsInput = null;
      row.detail = '';
      break;
    case 'audited':
      row.detail = `audit: ${event.changedFiles.length} changed file${event.changedFiles.length === 1 ? '' : 's'}`;
      break;
    case 'verificationResult':
      row.detail = `${event.ok ? '✓' : '✗'} ${event.step}${event.ok || !event.detail ? '' : `: ${event.detail}`}`;
      break;
    case 'succeeded':
      end('succeeded', '');
      break;
    case 'failed':
      end('failed', event.reason);
      break;
    case 'scopeViolation':
      end('scope-violation', `outside its scope: ${event.paths.map((p) => p.path).join(', ')}`);
      break;
    case 'cancelled':
      end('cancelled', event.reason ?? '');
      break;
    case 'interrupted':
      end('interrupted', event.reason ?? '');
      break;
    case 'blocked':
      end('blocked', `blocked by ${event.by.join(', ')}`);
      break;
    // What its agent said or was granted through the run's tools (ADR 0036).
    case 'progress':
      row.detail = `${Math.round(event.fraction * 100)} % · ${event.message}`;
      break;
    case 'handoff':
      row.detail = 'left a note for its dependents';
      break;
    case 'asked':
      row.detail = `asks you: ${event.question}`;
      break;
    case 'scopeGranted':
      row.detail = `granted: ${event.paths.join(', ')}`;
      break;
    case 'reset':
      row.status = 'pending';
      row.endedAt = null;
      row.needsInput = null;
      row.detail = before.attempt > 0 ? `retry after attempt ${before.attempt}` : '';
      break;
  }
  const next = rows === model.rows ? [...rows] : rows;
  next[index] = row;
  return { ...model, rows: next, seq };
}

/** A candidate's event in a few words. */
function candidateWords(event: RunEvent): string {
  switch (event.type) {
    case 'started':
      return 'running';
    case 'exited':
      return event.exitCode === 0 && !event.signal ? 'agent exited 0' : (event.reason ?? exitWords(event.exitCode, event.signal));
    case 'failed':
      return `failed: ${event.reason}`;
    case 'scopeViolation':
      return `outside its scope: ${event.paths.map((p) => p.path).join(', ') || (event.reason ?? '')}`;
    case 'verificationResult':
      return `${event.ok ? '✓' : '✗'} ${event.step}`;
    case 'cancelled':
    case 'interrupted':
      return `${event.type}${event.reason ? `: ${event.reason}` : ''}`;
    default:
      return event.type;
  }
}

/** How an agent's process ended, in words: `exited 1`, `ended by SIGTERM`. */
export function exitWords(code: number | null, signal: string | null | undefined): string {
  if (signal) return `ended by ${signal}`;
  return code === null ? 'ended without an exit code' : `exited ${code}`;
}

// ---------------------------------------------------------------------------------------
// Counts

export interface ProgressCounts {
  total: number;
  /** Terminal packages, whatever their outcome. */
  done: number;
  succeeded: number;
  /** failed + scope-violation + interrupted. */
  failed: number;
  blocked: number;
  cancelled: number;
  /** Running, those awaiting the person's pick left out. */
  running: number;
  verifying: number;
  queued: number;
  needsInput: number;
  /** Best of n: awaiting the person's pick of a candidate. */
  awaitingPick: number;
  /** The lowest wave that still has an unfinished package (the last wave when all are done). */
  wave: number;
}

export function progressCounts(model: ProgressModel): ProgressCounts {
  const c: ProgressCounts = {
    total: model.rows.length,
    done: 0,
    succeeded: 0,
    failed: 0,
    blocked: 0,
    cancelled: 0,
    running: 0,
    verifying: 0,
    queued: 0,
    needsInput: 0,
    awaitingPick: 0,
    wave: model.waves,
  };
  let lowest = Infinity;
  for (const r of model.rows) {
    if (TERMINAL.includes(r.status)) c.done++;
    else if (r.wave !== null) lowest = Math.min(lowest, r.wave);
    if (r.status === 'succeeded') c.succeeded++;
    if (r.status === 'failed' || r.status === 'scope-violation' || r.status === 'interrupted') c.failed++;
    if (r.status === 'blocked') c.blocked++;
    if (r.status === 'cancelled') c.cancelled++;
    if (r.awaitingPick) c.awaitingPick++;
    else if (r.status === 'running') c.running++;
    if (r.status === 'verifying') c.verifying++;
    if (r.status === 'queued') c.queued++;
    if (r.needsInput !== null) c.needsInput++;
  }
  if (lowest !== Infinity) c.wave = lowest;
  return c;
}
