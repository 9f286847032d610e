/**
 * The run timeline as a compact Gantt for a terminal (`waves report`): one line per
 * package under its wave, a character per column for what it did most of that column's time
 * (`·` queued, `L`/`H`/`U`/`P` waiting for a lock, a host, a usage limit, the person, `█`
 * running, `▓` verifying, `▒` merging, `|` where a retry or revision began), its outcome and
 * attempts after it, the critical path starred, then the slots held per column against the
 * cap, and a legend. Fitted to the terminal's columns. Pure.
 */
import { formatDuration } from '../run/runTime';
import { displayWidth, fit, sanitize, truncate } from './terminalText';
import type { Segment, Timeline } from './timeline';

export interface GanttOptions {
  /** The terminal's width (default 100; at least 40). */
  columns?: number;
  /** ASCII only (`#` running, `=` verifying, `m` merging, `.` queued). */
  ascii?: boolean;
}

const GLYPHS = {
  queued: ['·', '.'],
  lock: ['L', 'L'],
  host: ['H', 'H'],
  'usage-limit': ['U', 'U'],
  person: ['P', 'P'],
  'setting-up': ['░', 's'],
  running: ['█', '#'],
  verifying: ['▓', '='],
  merging: ['▒', 'm'],
} as const;

const LEVELS = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
const ASCII_LEVELS = [' ', '.', '.', ':', ':', '+', '+', '#', '#'];

/** What a segment draws as. */
function glyphKey(s: Segment): keyof typeof GLYPHS {
  return s.kind === 'waiting' ? (s.for ?? 'lock') : s.kind;
}

/** Where two kinds share a column, the one with more time wins; ties go to work over waiting. */
const PRECEDENCE: Record<keyof typeof GLYPHS, number> = { running: 8, verifying: 7, merging: 6, 'setting-up': 5, person: 4, 'usage-limit': 3, host: 2, lock: 1, queued: 0 };

export function timelineGantt(timeline: Timeline, options: GanttOptions = {}): string {
  const columns = Math.max(40, Math.floor(Number.isFinite(options.columns) ? options.columns! : 100));
  const ascii = options.ascii === true;
  const g = (k: keyof typeof GLYPHS) => GLYPHS[k][ascii ? 1 : 0];
  const lines: string[] = [];
  if (timeline.start === null || timeline.end === null) {
    lines.push('Timeline: nothing has started yet.');
    return lines.join('\n') + '\n';
  }
  const span = Math.max(1000, timeline.end - timeline.start);
  const labelWidth = Math.min(24, Math.max(8, ...timeline.rows.map((r) => displayWidth(sanitize(r.id)) + 2)));
  const tailWidth = 22;
  const width = Math.max(10, columns - labelWidth - tailWidth - 3);
  const cell = span / width;
  const star = ascii ? '*' : '★';
  const dot = ascii ? ' -' : ' ·';
  lines.push(
    truncate(
      `Timeline ${clock(timeline.start)} ${ascii ? '->' : '→'} ${clock(timeline.end)} UTC (${formatDuration(timeline.end - timeline.start)})` +
        `${timeline.cap !== null ? `${dot} cap ${timeline.cap}` : ''}${dot} ${star} critical path${timeline.live ? `${dot} still running` : ''}`,
      columns,
    ),
  );
  for (const wave of timeline.waves) {
    lines.push(wave.wave === null ? 'No wave' : `Wave ${wave.wave}`);
    for (const index of wave.rows) {
      const row = timeline.rows[index]!;
      const cover = new Array<number>(width).fill(0);
      const kinds = new Array<keyof typeof GLYPHS | null>(width).fill(null);
      const starts = new Set<number>();
      for (const bar of row.bars) {
        if (bar.kind !== 'first' && bar.segments[0]) starts.add(Math.min(width - 1, Math.floor((bar.segments[0].start - timeline.start) / cell)));
        for (const s of bar.segments) {
          const a = (s.start - timeline.start) / cell;
          const b = ((s.end ?? s.start) - timeline.start) / cell;
          const key = glyphKey(s);
          for (let c = Math.max(0, Math.floor(a)); c < Math.min(width, Math.max(Math.floor(a) + 1, Math.ceil(b))); c++) {
            const part = Math.max(Math.min(b, c + 1) - Math.max(a, c), b === a ? 0.001 : 0);
            const current = kinds[c];
            if (current === null || part > cover[c]! + 1e-9 || (Math.abs(part - cover[c]!) <= 1e-9 && PRECEDENCE[key] > PRECEDENCE[current])) {
              kinds[c] = key;
              cover[c] = part;
            }
          }
        }
      }
      const bar = kinds.map((k, c) => (starts.has(c) && k !== null ? '|' : k === null ? ' ' : g(k))).join('');
      const label = `${row.onCriticalPath ? star : ' '} ${sanitize(row.id)}`;
      lines.push(`${fit(label, labelWidth)} ${bar} ${fit(tail(row), tailWidth)}`.trimEnd());
    }
  }
  // The slots held per column: the most at any moment of it.
  const levels = ascii ? ASCII_LEVELS : LEVELS;
  const max = Math.max(1, timeline.cap ?? 0, timeline.peak);
  const held = new Array<number>(width).fill(0);
  for (const [k, step] of timeline.curve.entries()) {
    const from = Math.max(0, Math.floor((step.t - timeline.start) / cell));
    const next = timeline.curve[k + 1]?.t ?? timeline.end;
    const to = Math.min(width, Math.max(from + 1, Math.ceil((next - timeline.start) / cell)));
    for (let c = from; c < to; c++) held[c] = Math.max(held[c]!, step.n);
  }
  const curve = held.map((n) => levels[Math.round((n / max) * (levels.length - 1))]).join('');
  const idle = timeline.idleSlotMs !== null ? ` idle ${formatDuration(timeline.idleSlotMs)}` : '';
  lines.push(`${fit('  slots', labelWidth)} ${curve} ${fit(`peak ${timeline.peak}${timeline.cap !== null ? `/${timeline.cap}` : ''}${idle}`, tailWidth)}`.trimEnd());
  lines.push(truncate(`${g('queued')} queued  ${g('setting-up')} setting up  ${g('running')} running  ${g('verifying')} verifying  ${g('merging')} merging  | retry or revision`, columns));
  lines.push(truncate(`${g('lock')} ${g('host')} ${g('usage-limit')} ${g('person')} waiting for a lock, a host, a usage limit, you`, columns));
  const text = lines.join('\n') + '\n';
  return ascii ? text.replace(/…/g, '.') : text;
}

function tail(row: Timeline['rows'][number]): string {
  if (row.bars.length === 0) return 'not started';
  const last = row.bars.at(-1)!;
  const state = row.open ? 'going on' : (last.outcome ?? 'stopped');
  const tries = row.bars.length > 1 ? ` (${row.bars.length} attempts)` : '';
  return `${state}${tries}`;
}

const clock = (t: number) => new Date(t).toISOString().slice(11, 19);
