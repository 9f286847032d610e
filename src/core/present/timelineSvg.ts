/**
 * The run timeline as an SVG file: what the DAG panel's timeline exports and
 * `waves report --timeline FILE` writes. Standalone (its own styles, light colours with a dark
 * variant for viewers that ask for one), one `<rect class="seg …">` per segment with its
 * package, attempt, kind, wait reason and ISO times in `data-*` attributes (what tests and
 * scripts read), an outline per retry or revision, the critical path starred and outlined,
 * the slots held against the cap below, and a "now" line while the run goes on.
 * Also the geometry the panel's own drawing shares (`timelineScale`, `timeTicks`). Pure.
 */
import { formatDuration } from '../run/runTime';
import { barLabel, segmentLabel, type Segment, type Timeline } from './timeline';

/** Pixels of the label column, a package row, a wave's header row, the slots curve. */
export const TIMELINE_GEOMETRY = { label: 180, row: 16, bar: 10, waveHeader: 20, curve: 56, axis: 22, title: 24 } as const;

/** Time → x within `[left, left + width]` over the timeline's span (a span of 0 is drawn as 1 s). */
export function timelineScale(timeline: Pick<Timeline, 'start' | 'end'>, left: number, width: number): (t: number) => number {
  const start = timeline.start ?? 0;
  const span = Math.max(1000, (timeline.end ?? start) - start);
  return (t: number) => left + ((t - start) / span) * width;
}

/** Round tick steps: 1 s … 1 day. */
const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400].map((s) => s * 1000);

/** About `count` ticks over the span, on round offsets from the start: `{ t, label }` (`+2m 00s`). */
export function timeTicks(timeline: Pick<Timeline, 'start' | 'end'>, count: number): { t: number; label: string }[] {
  if (timeline.start === null || timeline.end === null) return [];
  const span = Math.max(1000, timeline.end - timeline.start);
  const step = STEPS.find((s) => span / s <= Math.max(1, count)) ?? STEPS.at(-1)!;
  const out: { t: number; label: string }[] = [];
  for (let k = 0; k * step <= span && out.length <= 200; k++) out.push({ t: timeline.start + k * step, label: k === 0 ? '0' : `+${formatDuration(k * step)}` });
  return out;
}

export interface TimelineSvgOptions {
  /** Width in px (default 1000, at least 400). */
  width?: number;
  /** The title line: the feature and the run. */
  title?: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Text for an SVG text node or attribute: escaped, without characters XML does not allow. */
export function xmlText(s: string): string {
  return String(s).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '').replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const iso = (t: number) => new Date(t).toISOString();
const px = (n: number) => (Math.round(n * 10) / 10).toString();

/** The class of a segment: `seg running`, `seg waiting lock`. */
export function segmentClass(s: Pick<Segment, 'kind' | 'for'>): string {
  return s.kind === 'waiting' ? `seg waiting ${s.for ?? 'lock'}` : `seg ${s.kind}`;
}

/** A segment's hover text: what, from, to, how long (clock times in UTC). */
export function segmentTitle(id: string, bar: Parameters<typeof barLabel>[0], s: Segment): string {
  const end = s.end ?? s.start;
  return `${id}, ${barLabel(bar)}: ${segmentLabel(s)} ${clock(s.start)}–${clock(end)} (${formatDuration(end - s.start)})`;
}

const clock = (t: number) => new Date(t).toISOString().slice(11, 19);

const STYLE = `
.waves-timeline{font:11px system-ui,-apple-system,'Segoe UI',sans-serif;fill:#1f2328}
.bg{fill:#fff}.grid{stroke:#d0d7de;stroke-width:1}.tick{fill:#57606a}
.wave-title{font-weight:600}.pkg{fill:#1f2328}.pkg.critical{font-weight:700}
.seg.queued{fill:#c9ced6}.seg.setting-up{fill:#9ec5fb}.seg.running{fill:#2f81f7}.seg.verifying{fill:#2da44e}.seg.merging{fill:#8250df}
.seg.waiting{fill:url(#hatch)}.seg.waiting.lock{stroke:#bf8700}.seg.waiting.host{stroke:#e16f24}.seg.waiting.usage-limit{stroke:#cf222e}.seg.waiting.person{stroke:#bf3989}
.seg.waiting{stroke-width:1.5}
.attempt{fill:none;stroke:#57606a;stroke-width:1}.attempt.retry,.attempt.revision{stroke-dasharray:3 2}.attempt-n{fill:#57606a;font-size:9px}
.critical-bar{fill:none;stroke:#bc4c00;stroke-width:2}
.slots{fill:#2f81f7;fill-opacity:.35;stroke:#2f81f7}.cap{stroke:#cf222e;stroke-dasharray:4 3}.now{stroke:#cf222e;stroke-width:1.5}
.legend .seg{stroke-width:1.5}
@media (prefers-color-scheme: dark){.waves-timeline{fill:#e6edf3}.bg{fill:#0d1117}.grid{stroke:#30363d}.tick,.attempt-n{fill:#8b949e}.pkg{fill:#e6edf3}.seg.queued{fill:#484f58}.seg.setting-up{fill:#1f4b87}.attempt{stroke:#8b949e}}
`;

/** The timeline as a standalone SVG document. */
export function timelineSvg(timeline: Timeline, options: TimelineSvgOptions = {}): string {
  const g = TIMELINE_GEOMETRY;
  const width = Math.max(400, Math.floor(Number.isFinite(options.width) ? options.width! : 1000));
  const plotLeft = g.label;
  const plotWidth = width - plotLeft - 16;
  const x = timelineScale(timeline, plotLeft, plotWidth);
  const top = g.title + g.axis;
  const rowsHeight = timeline.waves.reduce((h, w) => h + g.waveHeader + w.rows.length * g.row, 0);
  const curveTop = top + rowsHeight + 12;
  const height = curveTop + g.curve + 40;
  const out: string[] = [];
  const title = options.title ?? 'Run timeline';
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="waves-timeline" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="tl-title tl-desc"` +
      ` data-start="${timeline.start === null ? '' : iso(timeline.start)}" data-end="${timeline.end === null ? '' : iso(timeline.end)}" data-cap="${timeline.cap ?? ''}" data-critical-path="${xmlText(timeline.criticalPath.join(' '))}">`,
  );
  out.push(`<title id="tl-title">${xmlText(title)}</title>`);
  out.push(`<desc id="tl-desc">${xmlText(describe(timeline))}</desc>`);
  out.push(`<style>${STYLE}</style>`);
  out.push(
    '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#f6e7b0"/><line x1="0" y1="0" x2="0" y2="6" stroke="#a0781a" stroke-width="2"/></pattern></defs>',
  );
  out.push(`<rect class="bg" width="${width}" height="${height}"/>`);
  out.push(`<text x="8" y="16" class="wave-title">${xmlText(title)}</text>`);
  // Axis and grid.
  out.push('<g class="axis">');
  for (const tick of timeTicks(timeline, Math.max(2, Math.floor(plotWidth / 90)))) {
    const tx = px(x(tick.t));
    out.push(`<line class="grid" x1="${tx}" y1="${top - 4}" x2="${tx}" y2="${curveTop + g.curve}"/><text class="tick" x="${tx}" y="${top - 8}" text-anchor="middle">${xmlText(tick.label)}</text>`);
  }
  out.push('</g>');
  let y = top;
  for (const wave of timeline.waves) {
    out.push(`<g class="wave" data-wave="${wave.wave ?? ''}">`);
    out.push(`<text class="wave-title" x="8" y="${y + 14}">${wave.wave === null ? 'No wave' : `Wave ${wave.wave}`}</text>`);
    y += g.waveHeader;
    for (const index of wave.rows) {
      const row = timeline.rows[index]!;
      const id = xmlText(row.id);
      const barY = y + (g.row - g.bar) / 2;
      out.push(`<g class="row" data-package="${id}"${row.onCriticalPath ? ' data-critical="true"' : ''}>`);
      out.push(`<text class="pkg${row.onCriticalPath ? ' critical' : ''}" x="16" y="${y + 12}">${row.onCriticalPath ? '★ ' : ''}${xmlText(clip(row.id, 26))}</text>`);
      for (const bar of row.bars) {
        const first = bar.segments[0]!;
        const last = bar.segments.at(-1)!;
        for (const s of bar.segments) {
          const end = s.end ?? s.start;
          const sx = x(s.start);
          out.push(
            `<rect class="${segmentClass(s)}" x="${px(sx)}" y="${px(barY)}" width="${px(Math.max(0.5, x(end) - sx))}" height="${g.bar}"` +
              ` data-package="${id}" data-attempt="${bar.attempt}" data-kind="${s.kind}"${s.for ? ` data-for="${s.for}"` : ''} data-start="${iso(s.start)}" data-end="${iso(end)}">` +
              `<title>${xmlText(segmentTitle(row.id, bar, s))}</title></rect>`,
          );
        }
        const bx = x(first.start);
        const bw = Math.max(0.5, x(last.end ?? last.start) - bx);
        out.push(
          `<rect class="attempt ${bar.kind}${row.onCriticalPath ? ' critical-bar' : ''}" x="${px(bx)}" y="${px(barY - 1)}" width="${px(bw)}" height="${g.bar + 2}" data-package="${id}" data-attempt="${bar.attempt}" data-outcome="${bar.outcome ?? ''}"/>`,
        );
        if (bar.kind !== 'first') out.push(`<text class="attempt-n" x="${px(bx + 1)}" y="${px(barY - 1)}">${bar.kind === 'revision' ? 'rev ' : '#'}${bar.attempt}</text>`);
      }
      out.push('</g>');
      y += g.row;
    }
    out.push('</g>');
  }
  out.push(curveSvg(timeline, x, curveTop, plotLeft, plotWidth));
  if (timeline.live && timeline.start !== null) {
    const nx = px(x(timeline.now));
    out.push(`<line class="now" x1="${nx}" y1="${top - 4}" x2="${nx}" y2="${curveTop + g.curve}" data-at="${iso(timeline.now)}"><title>now</title></line>`);
  }
  out.push(legend(curveTop + g.curve + 24));
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function curveSvg(timeline: Timeline, x: (t: number) => number, top: number, left: number, width: number): string {
  const g = TIMELINE_GEOMETRY;
  const max = Math.max(1, timeline.cap ?? 0, timeline.peak);
  const yOf = (n: number) => top + g.curve - (n / max) * g.curve;
  const end = timeline.end ?? timeline.start ?? 0;
  let d = `M${px(x(timeline.start ?? 0))},${px(yOf(0))}`;
  for (const [k, step] of timeline.curve.entries()) {
    const next = timeline.curve[k + 1]?.t ?? end;
    d += `L${px(x(step.t))},${px(yOf(step.n))}L${px(x(next))},${px(yOf(step.n))}`;
  }
  d += `L${px(x(end))},${px(yOf(0))}Z`;
  const parts = [`<g class="curve" data-cap="${timeline.cap ?? ''}" data-peak="${timeline.peak}">`];
  parts.push(`<text class="wave-title" x="8" y="${top + 12}">Slots held</text>`);
  parts.push(`<text class="tick" x="8" y="${top + 26}">peak ${timeline.peak}${timeline.cap !== null ? ` of ${timeline.cap}` : ''}</text>`);
  if (timeline.idleSlotMs !== null) parts.push(`<text class="tick" x="8" y="${top + 40}">idle ${xmlText(formatDuration(timeline.idleSlotMs))}</text>`);
  parts.push(`<line class="grid" x1="${left}" y1="${px(yOf(0))}" x2="${left + width}" y2="${px(yOf(0))}"/>`);
  if (timeline.curve.length) parts.push(`<path class="slots" d="${d}"><title>slots held over time</title></path>`);
  if (timeline.cap !== null) parts.push(`<line class="cap" x1="${left}" y1="${px(yOf(timeline.cap))}" x2="${left + width}" y2="${px(yOf(timeline.cap))}"><title>cap ${timeline.cap}</title></line>`);
  parts.push('</g>');
  return parts.join('\n');
}

function legend(y: number): string {
  const items: [string, string][] = [
    ['seg queued', 'queued'],
    ['seg waiting lock', 'lock'],
    ['seg waiting host', 'host'],
    ['seg waiting usage-limit', 'usage limit'],
    ['seg waiting person', 'you'],
    ['seg setting-up', 'setting up'],
    ['seg running', 'running'],
    ['seg verifying', 'verifying'],
    ['seg merging', 'merging'],
  ];
  const parts = ['<g class="legend">'];
  let lx = 8;
  for (const [cls, label] of items) {
    parts.push(`<rect class="${cls}" x="${lx}" y="${y - 9}" width="12" height="10"/><text x="${lx + 16}" y="${y}">${label}</text>`);
    lx += 24 + label.length * 6;
  }
  parts.push(`<text x="${lx}" y="${y}">★ critical path · dashed outline: retry or revision</text>`);
  parts.push('</g>');
  return parts.join('\n');
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** One sentence about the run for screen readers and the file's description. */
export function describe(timeline: Timeline): string {
  const started = timeline.rows.filter((r) => r.bars.length > 0).length;
  const span = timeline.start !== null && timeline.end !== null ? formatDuration(timeline.end - timeline.start) : 'nothing yet';
  const retried = timeline.rows.filter((r) => r.bars.length > 1).length;
  const path = timeline.criticalPath.length ? `; critical path ${timeline.criticalPath.join(' → ')}` : '';
  return `${started} of ${timeline.rows.length} packages under way or done over ${span}; ${retried} with more than one attempt; at most ${timeline.peak} slots held${timeline.cap !== null ? ` of ${timeline.cap}` : ''}${path}.`;
}
