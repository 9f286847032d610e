/**
 * The live progress of a run, as text for a terminal: a model folded from the engine's
 * events (or built from a run state), a compact table that a TTY repaints in place, and
 * one line per event for logs and pipes. Pure: no clock (callers pass `now`), no I/O.
 *
 * Every rendered line fits the given width in terminal columns: wide characters (CJK,
 * emoji) count two, combining marks none, and control and bidi characters in ids or
 * details (an agent's error text may hold escape sequences) are shown as visible escapes
 * (`\x1b`, `\r`, `\u202e`: visibleText.ts), so nothing an agent prints can move the
 * cursor or reorder a line. Text that does not fit is cut with `…`.
 */
import { visibleText } from './visibleText';
import type { PackageRunRecord, PackageStatus, RunEvent, RunState } from '../run/runState';

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

function epoch(iso: string | null | undefined): number | null {
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
    const t = row.endedAt ?? row.startedAt;
    row.changed = t ?? 0;
  }
  model.seq = Math.max(0, ...model.rows.map((r) => r.changed));
  return model;
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
function packageOf(event: ProgressEvent): string | undefined {
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
  switch (event.type) {
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

function exitWords(code: number | null, signal: string | null | undefined): string {
  if (signal) return `ended by ${signal}`;
  return code === null ? 'ended without an exit code' : `exited ${code}`;
}

// ---------------------------------------------------------------------------------------
// Text that fits

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const ZERO_WIDTH = /^(?:\p{Mn}|\p{Me}|\p{Cf})+$/u;
const EMOJI = /\p{Extended_Pictographic}/u;

/** Whether a code point takes two terminal columns (East Asian Wide/Fullwidth). */
function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

function graphemeWidth(g: string): number {
  if (ZERO_WIDTH.test(g)) return 0;
  const cp = g.codePointAt(0)!;
  if (isWide(cp) || (EMOJI.test(g) && (g.includes('\ufe0f') || cp >= 0x1f000))) return 2;
  return 1;
}

/**
 * Control and bidi characters (escape sequences, newlines, tabs, overrides) become visible
 * escapes (`visibleText`): nothing can move the cursor or reorder the line.
 */
export function sanitize(text: string): string {
  return visibleText(text);
}

/** Terminal columns `text` takes (after `sanitize`). */
export function displayWidth(text: string): number {
  let w = 0;
  for (const { segment } of segmenter.segment(sanitize(text))) w += graphemeWidth(segment);
  return w;
}

/** `text` cut to at most `width` columns, ending with `…` when cut; never splits a character. */
export function truncate(text: string, width: number): string {
  const clean = sanitize(text);
  if (width <= 0) return '';
  if (displayWidth(clean) <= width) return clean;
  let out = '';
  let w = 0;
  for (const { segment } of segmenter.segment(clean)) {
    const g = graphemeWidth(segment);
    if (w + g > width - 1) break;
    out += segment;
    w += g;
  }
  return `${out}…`;
}

/** `text` cut or padded with spaces to exactly `width` columns. */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const cut = truncate(text, width);
  const pad = ' '.repeat(Math.max(0, width - displayWidth(cut)));
  return align === 'left' ? cut + pad : pad + cut;
}

/** `42s`, `3m05s`, `1h02m`; `0s` for less than a second or a negative span. */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h${String(m % 60).padStart(2, '0')}m`;
}

/** Local `HH:MM:SS`. */
export function formatClock(t: number): string {
  const d = new Date(t);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

// ---------------------------------------------------------------------------------------
// The table

export interface ProgressCounts {
  total: number;
  /** Terminal packages, whatever their outcome. */
  done: number;
  succeeded: number;
  /** failed + scope-violation + interrupted. */
  failed: number;
  blocked: number;
  cancelled: number;
  running: number;
  verifying: number;
  queued: number;
  needsInput: number;
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
    if (r.status === 'running') c.running++;
    if (r.status === 'verifying') c.verifying++;
    if (r.status === 'queued') c.queued++;
    if (r.needsInput !== null) c.needsInput++;
  }
  if (lowest !== Infinity) c.wave = lowest;
  return c;
}

/** `wave 2/4 · 3 running · 7/12 done · 1 failed` (zero counts other than done left out). */
export function renderHeader(model: ProgressModel): string {
  const c = progressCounts(model);
  const parts = [`wave ${c.wave}/${model.waves}`];
  if (c.running) parts.push(`${c.running} running`);
  if (c.verifying) parts.push(`${c.verifying} verifying`);
  if (c.queued) parts.push(`${c.queued} queued`);
  parts.push(`${c.done}/${c.total} done`);
  if (c.failed) parts.push(`${c.failed} failed`);
  if (c.blocked) parts.push(`${c.blocked} blocked`);
  if (c.cancelled) parts.push(`${c.cancelled} cancelled`);
  if (c.needsInput) parts.push(`${c.needsInput} need${c.needsInput === 1 ? 's' : ''} input`);
  if (model.note) parts.push(model.note);
  return parts.join(' · ');
}

/** Row order: waiting for a person, running, verifying, queued, then the most recently ended, ready, pending. */
function rank(r: ProgressRow): number {
  if (r.needsInput !== null) return 0;
  switch (r.status) {
    case 'running':
      return 1;
    case 'verifying':
      return 2;
    case 'queued':
      return 3;
    case 'ready':
      return 5;
    case 'pending':
      return 6;
    default:
      return 4;
  }
}

export interface TableOptions {
  /** The most package rows shown (the `+N more` row included). Default 12. */
  maxRows?: number;
}

const GAP = '  ';

/**
 * The table: a header line, a column-title line and one line per package, active ones
 * first; packages that do not fit become one `+N more (…)` line. Every line fits `width`.
 */
export function renderTable(model: ProgressModel, width: number, now: number, options: TableOptions = {}): string[] {
  width = Math.max(1, Math.floor(width));
  const maxRows = Math.max(1, options.maxRows ?? 12);
  const rows = [...model.rows].sort((a, b) => rank(a) - rank(b) || b.changed - a.changed || model.rows.indexOf(a) - model.rows.indexOf(b));
  let shown = rows;
  let hidden: ProgressRow[] = [];
  if (rows.length > maxRows) {
    shown = rows.slice(0, maxRows - 1);
    hidden = rows.slice(maxRows - 1);
  }

  const idWidth = Math.min(Math.max(2, ...shown.map((r) => displayWidth(r.id))), Math.max(8, Math.floor(width * 0.3)));
  const cols = [
    { title: 'ID', width: idWidth, align: 'left' as const },
    { title: 'WAVE', width: 4, align: 'right' as const },
    { title: 'STATUS', width: 15, align: 'left' as const },
    { title: 'TRY', width: 3, align: 'right' as const },
    { title: 'ELAPSED', width: 7, align: 'right' as const },
  ];
  const fixed = cols.reduce((sum, c) => sum + c.width, 0) + GAP.length * cols.length;
  const detailWidth = width - fixed;
  const line = (cells: string[], detail: string) => {
    const text = cols.map((c, i) => fit(cells[i]!, c.width, c.align)).join(GAP);
    // Too narrow for a detail column: the fixed columns alone, cut to the width.
    return truncate(detailWidth >= 6 ? `${text}${GAP}${truncate(detail, detailWidth)}` : text, width).trimEnd();
  };

  const out = [
    truncate(renderHeader(model), width),
    line(
      cols.map((c) => c.title),
      'DETAIL',
    ),
  ];
  for (const r of shown) {
    const elapsed = r.startedAt === null ? '' : formatElapsed((r.endedAt ?? now) - r.startedAt);
    const status = r.needsInput !== null ? 'needs-input' : r.status;
    out.push(line([r.id, r.wave === null ? '–' : String(r.wave), status, r.attempt ? String(r.attempt) : '', elapsed], r.detail));
  }
  if (hidden.length) {
    const byStatus = new Map<string, number>();
    for (const r of hidden) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
    const what = [...byStatus].map(([s, n]) => `${n} ${s}`).join(', ');
    out.push(truncate(`+${hidden.length} more (${what})`, width));
  }
  return out;
}

/**
 * What a TTY is sent to replace the previous frame (`previousHeight` lines, the cursor at
 * the start of the line below them) with `lines`: cursor up, each line cleared and
 * rewritten, and any lines the old frame had beyond the new one cleared.
 */
export function repaint(previousHeight: number, lines: readonly string[]): string {
  let s = previousHeight > 0 ? `\x1b[${previousHeight}F` : '';
  for (const l of lines) s += `\x1b[2K${l}\n`;
  const extra = previousHeight - lines.length;
  if (extra > 0) s += `${'\x1b[2K\n'.repeat(extra)}\x1b[${extra}F`;
  return s;
}

// ---------------------------------------------------------------------------------------
// One line per event

/** `12:01:03 wp-api running (attempt 1)`: the event's own time (or `now`), the package, what happened. */
export function renderLine(event: ProgressEvent, now: number): string {
  const t = epoch(event.at) ?? now;
  const id = packageOf(event);
  const who = id === undefined ? '' : `${sanitize(id)} `;
  return sanitize(`${formatClock(t)} ${who}${eventWords(event)}`);
}

function eventWords(e: ProgressEvent): string {
  switch (e.type) {
    case 'note':
      return e.text;
    case 'run-started':
      return `run ${e.runId} of ${e.featureId} ${e.resumed ? 'resumed' : 'started'}: ${e.packages.length} package${e.packages.length === 1 ? '' : 's'}, at most ${e.maxParallel} at once (${e.mode})`;
    case 'package': {
      const words = e.status === 'running' ? `running (attempt ${e.attempt})` : e.status;
      return e.detail ? `${words}: ${e.detail}` : words;
    }
    case 'needs-input':
      return e.reason === null ? 'goes on (input given)' : `needs input: ${e.reason}`;
    case 'verification':
      return `verification ${e.ok ? 'passed' : 'FAILED'}: ${e.step}${e.command && e.command !== e.step ? ` ($ ${e.command})` : ''}`;
    case 'merge':
      return e.ok ? 'merged into the integration branch' : `merge conflict${e.conflicts?.length ? ` in ${e.conflicts.join(', ')}` : ''}`;
    case 'problem':
      return `problem: ${e.message}`;
    case 'plan-changed':
      return `the plan changed${e.added.length ? `: added ${e.added.join(', ')}` : ''}`;
    case 'run-finished': {
      const counts = Object.entries(e.counts)
        .filter(([, n]) => n)
        .map(([s, n]) => `${n} ${s}`)
        .join(', ');
      const speed = e.speedup === null ? '' : ` · speed-up ${e.speedup.toFixed(1)}×`;
      return `run ${e.outcome}${counts ? ` (${counts})` : ''}${speed}${e.reportFile ? ` · report: ${e.reportFile}` : ''}`;
    }
    case 'ready':
      return 'ready';
    case 'queued':
      return 'queued';
    case 'started':
      return `running (attempt ${e.attempt})`;
    case 'exited':
      return e.exitCode === 0 && !e.signal
        ? 'agent exited 0'
        : `agent ${exitWords(e.exitCode, e.signal)}${e.reason ? `: ${e.reason}` : ''}`;
    case 'needsInput':
      return `needs input: ${e.reason}`;
    case 'inputResumed':
      return 'goes on (input given)';
    case 'audited':
      return `audit: ${e.changedFiles.length} changed file${e.changedFiles.length === 1 ? '' : 's'}`;
    case 'verificationResult':
      return `verification ${e.ok ? 'passed' : 'FAILED'}: ${e.step}${e.ok || !e.detail ? '' : ` (${e.detail})`}`;
    case 'succeeded':
      return 'succeeded';
    case 'failed':
      return `failed: ${e.reason}`;
    case 'scopeViolation':
      return `scope violation: ${e.paths.map((p) => `${p.change} ${p.path}`).join(', ')}`;
    case 'cancelled':
      return `cancelled${e.reason ? `: ${e.reason}` : ''}`;
    case 'interrupted':
      return `interrupted${e.reason ? `: ${e.reason}` : ''}`;
    case 'reattached':
      return 'running again: its host answers (the same attempt)';
    case 'usageLimit':
      return `stopped at a usage limit${e.resetAt ? ` (resets ${e.resetAt})` : ''}: ${e.detail}`;
    case 'blocked':
      return `blocked by ${e.by.join(', ')}`;
    case 'reset':
      return 'pending again';
  }
}
