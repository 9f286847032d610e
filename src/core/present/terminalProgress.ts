/**
 * The live progress of a run as text for a terminal: a compact table that a TTY repaints in
 * place, and one line per event for logs and pipes, from the model of `progressModel.ts`.
 * Pure: no clock (callers pass `now`), no I/O.
 *
 * Every rendered line fits the given width in terminal columns (`terminalText.ts`): ids and
 * details are shown with control and bidi characters made visible, so nothing an agent
 * prints can move the cursor or reorder a line. Text that does not fit is cut with `…`.
 */
import { epoch, exitWords, packageOf, progressCounts, type ProgressEvent, type ProgressModel, type ProgressRow } from './progressModel';
import { displayWidth, fit, formatClock, formatElapsed, sanitize, truncate } from './terminalText';

// ---------------------------------------------------------------------------------------
// The table

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
  if (c.awaitingPick) parts.push(`${c.awaitingPick} awaiting your pick`);
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
  const candidate = 'candidate' in event && typeof event.candidate === 'number' ? ` (candidate ${event.candidate})` : '';
  const who = id === undefined ? '' : `${sanitize(id)}${candidate} `;
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
    case 'progress':
      return `${Math.round(e.fraction * 100)} %: ${e.message}`;
    case 'handoff':
      return `note for its dependents: ${e.note}`;
    case 'asked':
      return `asks you: ${e.question}`;
    case 'scopeGranted':
      return `granted more write scope: ${e.paths.join(', ')}`;
    case 'audited':
      return `audit: ${e.changedFiles.length} changed file${e.changedFiles.length === 1 ? '' : 's'}`;
    case 'verificationResult':
      return `verification ${e.ok ? 'passed' : 'FAILED'}: ${e.step}${e.ok || !e.detail ? '' : ` (${e.detail})`}`;
    case 'succeeded':
      return 'succeeded';
    case 'awaitingReview':
      return 'awaiting your review (Approve or Request Changes)';
    case 'followUp':
      return e.followUp.kind === 'review'
        ? `changes requested: ${e.followUp.comments.length} comment${e.followUp.comments.length === 1 ? '' : 's'}`
        : `sent back: the integration check ${e.followUp.check} failed after its merge`;
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
    case 'candidates':
      return `${e.agents.length} candidates: ${e.agents.join(', ')}`;
    case 'chosen':
      return `candidate ${e.choice} goes on: ${e.why}`;
    case 'ranked':
      return `the judge ranks candidate ${e.choice} first: ${e.why}; awaiting your pick`;
  }
}
