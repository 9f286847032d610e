/**
 * The run timeline, a view of the DAG panel beside the graph: one row per package under
 * its wave, each attempt a bar split into queued / waiting (lock, host, usage limit, you) / setting up /
 * running / verifying / merging, retries and revisions outlined, the critical path starred;
 * below, the slots held against the cap; a "now" line while the run goes on. The model is
 * core's (`core/present/timeline.ts`); only the rows in view are in the DOM. A listbox: arrow
 * keys move, Enter selects the package in the graph and the Waves view; hover gives times.
 */
import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { buildTimeline, segmentLabel, type Bar, type Segment, type Timeline, type TimelineRow } from '../src/core/present/timeline';
import { timelineScale, timeTicks, TIMELINE_GEOMETRY } from '../src/core/present/timelineSvg';
import { formatDuration } from '../src/core/run/runTime';
import { formatClock } from '../src/core/present/terminalText';
import { plural } from '../src/core/util/plural';
import type { PlanMessage } from '../src/protocol';
import type { Rpc } from './rpc';
import type { TimelineStore } from './timelineStore';

const ROW = 22;
const HEADER = 24;
const LABEL = TIMELINE_GEOMETRY.label;
const CURVE = 56;
/** Rows drawn above and below the view. */
const OVERSCAN = 10;

type Item = { kind: 'wave'; top: number; wave: number | null; count: number } | { kind: 'row'; top: number; row: TimelineRow; index: number };

export interface TimelineViewProps {
  plan: PlanMessage;
  timeline: TimelineStore;
  rpc: Rpc;
  selected: string | undefined;
  onSelect: (id: string) => void;
}

/** Now, every second while the run goes on (the bars grow, the now line moves). */
function useNow(live: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!live) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [live]);
  return now;
}

export function TimelineView({ plan, timeline, rpc, selected, onSelect }: TimelineViewProps) {
  const version = useSyncExternalStore(
    useCallback((l: () => void) => timeline.subscribe(l), [timeline]),
    () => timeline.version,
  );
  const now = useNow(timeline.live);
  const deps = useMemo(() => {
    const out = new Map<string, string[]>();
    for (const e of plan.edges) if (e.kind === 'dependency') out.set(e.target, [...(out.get(e.target) ?? []), e.source]);
    return out;
  }, [plan]);
  const model = useMemo(() => {
    const ended = timeline.updatedAt ? Date.parse(timeline.updatedAt) : NaN;
    const of = (id: string) => {
      const row = timeline.get(id);
      return row ? { phases: row.phases, status: row.status, startedAt: row.startedAt, endedAt: row.endedAt, attempts: row.attempts } : {};
    };
    return buildTimeline({
      // A plan of plans: a group's leaves right below it, in its wave (their records hold the slots).
      packages: plan.nodes.flatMap((n) => [
        { id: n.id, wave: n.wave, dependsOn: deps.get(n.id) ?? [], ...of(n.id) },
        ...(n.group?.leaves ?? []).map((leaf) => ({ id: leaf, wave: n.wave, dependsOn: [], within: n.id, ...of(leaf) })),
      ]),
      cap: timeline.cap,
      now: timeline.live || !Number.isFinite(ended) ? now : ended,
      live: timeline.live,
    });
    // `version` stands for the store's content.
  }, [plan, deps, timeline, version, now]);

  const items = useMemo(() => {
    const out: Item[] = [];
    let top = 0;
    for (const wave of model.waves) {
      // The wave's own packages, as the graph's header counts them (a sub-plan's rows are its parent's).
      out.push({ kind: 'wave', top, wave: wave.wave, count: wave.rows.filter((i) => model.rows[i]!.within === undefined).length });
      top += HEADER;
      for (const index of wave.rows) {
        out.push({ kind: 'row', top, row: model.rows[index]!, index });
        top += ROW;
      }
    }
    return { list: out, height: top, rows: out.filter((i): i is Extract<Item, { kind: 'row' }> => i.kind === 'row') };
  }, [model]);

  const scroller = useRef<HTMLDivElement>(null);
  const [viewport, setViewport] = useState({ top: 0, height: 600, width: 900 });
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const measure = () => setViewport({ top: el.scrollTop, height: el.clientHeight, width: el.clientWidth });
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    let frame = 0;
    const onScroll = () => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        measure();
      });
    };
    el.addEventListener('scroll', onScroll, { passive: true });
    return () => {
      observer.disconnect();
      el.removeEventListener('scroll', onScroll);
      cancelAnimationFrame(frame);
    };
  }, []);

  const plotWidth = Math.max(100, viewport.width - LABEL - 16);
  const x = useMemo(() => timelineScale(model, 0, plotWidth), [model, plotWidth]);
  const visible = useMemo(() => {
    const from = viewport.top - OVERSCAN * ROW;
    const to = viewport.top + viewport.height + OVERSCAN * ROW;
    return items.list.filter((i) => i.top + ROW >= from && i.top <= to);
  }, [items, viewport]);

  const [active, setActive] = useState<string | undefined>(selected);
  useEffect(() => {
    if (selected) setActive(selected);
  }, [selected]);
  const activeIndex = Math.max(0, items.rows.findIndex((r) => r.row.id === active));
  const activeItem = items.rows[activeIndex];

  const scrollTo = useCallback(
    (item: Extract<Item, { kind: 'row' }>) => {
      const el = scroller.current;
      if (!el) return;
      if (item.top < el.scrollTop + HEADER) el.scrollTop = Math.max(0, item.top - HEADER);
      else if (item.top + ROW > el.scrollTop + el.clientHeight) el.scrollTop = item.top + ROW - el.clientHeight;
    },
    [],
  );
  const choose = useCallback(
    (id: string) => {
      setActive(id);
      onSelect(id);
      void rpc.revealInWaves(id);
    },
    [onSelect, rpc],
  );
  const onKeyDown = useCallback(
    (e: React.KeyboardEvent) => {
      const n = items.rows.length;
      if (!n) return;
      const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: 10, PageUp: -10, Home: -n, End: n };
      if (e.key in moves) {
        e.preventDefault();
        const next = items.rows[Math.min(n - 1, Math.max(0, activeIndex + moves[e.key]!))]!;
        setActive(next.row.id);
        scrollTo(next);
      } else if ((e.key === 'Enter' || e.key === ' ') && activeItem) {
        e.preventDefault();
        choose(activeItem.row.id);
      }
    },
    [items, activeIndex, activeItem, scrollTo, choose],
  );

  // The packages at work, as the status bar counts them: a parent's rows below it, not its own.
  const working = model.rows.filter((r) => r.span === undefined);
  const started = working.filter((r) => r.bars.length > 0).length;
  const ticks = useMemo(() => timeTicks(model, Math.max(2, Math.floor(plotWidth / 110))), [model, plotWidth]);
  const nowX = model.live && model.start !== null ? x(model.now) : null;
  return (
    <div className="timeline">
      <div className="tl-toolbar">
        <span className="summary-text">
          {model.start === null
            ? 'Nothing has started yet: the timeline fills in as the run goes.'
            : `${started} of ${plural(working.length, 'package')} started · ${formatDuration((model.end ?? model.start) - model.start)}${model.live ? ' so far' : ''} · at most ${model.peak}${model.cap !== null ? ` of ${model.cap}` : ''} slots held`}
        </span>
        <button className="icon-button" title="Export the timeline as SVG" aria-label="Export the timeline as SVG" onClick={() => void rpc.exportTimeline()}>
          <span className="codicon codicon-file-media" aria-hidden="true" />
        </button>
        <span className="tl-legend" aria-hidden="true">
          <span className="seg queued" /> queued
          <span className="seg waiting lock" /> lock
          <span className="seg waiting host" /> host
          <span className="seg waiting usage-limit" /> usage limit
          <span className="seg waiting person" /> you
          <span className="seg setting-up" /> setting up
          <span className="seg running" /> running
          <span className="seg verifying" /> verifying
          <span className="seg merging" /> merging
          <span className="tl-legend-critical">★ critical path</span>
        </span>
      </div>
      <div className="tl-axis" aria-hidden="true">
        {ticks.map((t) => (
          <span key={t.t} className="tl-tick" style={{ left: LABEL + x(t.t) }}>
            {t.label}
          </span>
        ))}
      </div>
      <div
        className="tl-scroll"
        ref={scroller}
        role="listbox"
        tabIndex={0}
        aria-label={`Run timeline: ${plural(model.rows.length, 'package')}. Arrow keys move; Enter selects the package in the graph and the Waves view.`}
        aria-activedescendant={activeItem ? `tl-row-${activeItem.index}` : undefined}
        onKeyDown={onKeyDown}
      >
        <div className="tl-canvas" style={{ height: items.height }}>
          {visible.map((item) =>
            item.kind === 'wave' ? (
              <div key={`w${item.wave}`} className="tl-wave" role="presentation" style={{ top: item.top }}>
                {item.wave === null ? 'No wave' : `Wave ${item.wave}`} <span className="muted">· {plural(item.count, 'package')}</span>
              </div>
            ) : (
              <Row
                key={item.row.id}
                item={item}
                x={x}
                active={item.row.id === activeItem?.row.id}
                selected={item.row.id === selected}
                onClick={choose}
              />
            ),
          )}
          {nowX !== null && <div className="tl-now" style={{ left: LABEL + nowX }} title={`now, ${formatClock(model.now)}`} />}
        </div>
      </div>
      <Curve model={model} x={x} width={plotWidth} nowX={nowX} />
    </div>
  );
}

const Row = memo(function Row(props: { item: Extract<Item, { kind: 'row' }>; x: (t: number) => number; active: boolean; selected: boolean; onClick: (id: string) => void }) {
  const { row, top, index } = props.item;
  const x = props.x;
  return (
    <div
      id={`tl-row-${index}`}
      className={`tl-row${props.active ? ' active' : ''}${row.onCriticalPath ? ' critical' : ''}`}
      role="option"
      aria-selected={props.selected}
      aria-label={rowLabel(row)}
      data-id={row.id}
      style={{ top }}
      onClick={() => props.onClick(row.id)}
    >
      <span className={`tl-label${row.within ? ' tl-leaf' : ''}`} title={row.id}>
        {row.onCriticalPath ? '★ ' : ''}
        {row.within && row.id.startsWith(`${row.within}__`) ? row.id.slice(row.within.length + 2) : row.id}
      </span>
      <span className="tl-bars">
        {row.span && <span className="tl-span" style={{ left: x(row.span.start), width: Math.max(1, x(row.span.end) - x(row.span.start)) }} title={spanTitle(row.id, row.span)} />}
        {row.bars.map((bar, k) => {
          const first = bar.segments[0]!;
          const left = x(first.start);
          const width = Math.max(1, x(bar.segments.at(-1)!.end ?? first.start) - left);
          return (
            <span key={k} className={`tl-attempt ${bar.kind}`} style={{ left, width }} data-attempt={bar.attempt} data-outcome={bar.outcome ?? ''}>
              {bar.kind !== 'first' && <span className="tl-attempt-n">{bar.kind === 'revision' ? 'rev ' : '#'}{bar.attempt}</span>}
              {bar.segments.map((s, j) => (
                <span
                  key={j}
                  className={s.kind === 'waiting' ? `seg waiting ${s.for ?? 'lock'}` : `seg ${s.kind}`}
                  style={{ left: x(s.start) - left, width: Math.max(1, x(s.end ?? s.start) - x(s.start)) }}
                  title={segmentTitle(row.id, bar, s)}
                  data-kind={s.kind}
                  data-for={s.for}
                  data-start={new Date(s.start).toISOString()}
                  data-end={new Date(s.end ?? s.start).toISOString()}
                />
              ))}
            </span>
          );
        })}
      </span>
    </div>
  );
});

function segmentTitle(id: string, bar: Bar, s: Segment): string {
  const end = s.end ?? s.start;
  const attempt = `attempt ${bar.attempt}${bar.kind === 'first' ? '' : ` (${bar.kind})`}`;
  return `${id}, ${attempt}: ${segmentLabel(s)}\n${formatClock(s.start)} – ${formatClock(end)} (${formatDuration(end - s.start)})${bar.outcome ? `\nended ${bar.outcome}` : ''}`;
}

function spanTitle(id: string, span: { start: number; end: number }): string {
  return `${id} and its sub-plan: ${formatClock(span.start)} – ${formatClock(span.end)} (${formatDuration(span.end - span.start)})`;
}

/** What a screen reader says of a row: each attempt's segments with their lengths, and how it ended. */
function rowLabel(row: TimelineRow): string {
  const place = `${row.wave === null ? 'no wave' : `wave ${row.wave}`}${row.within ? `, in the sub-plan of ${row.within}` : ''}`;
  const sub = row.span ? `; its sub-plan ${formatDuration(row.span.end - row.span.start)}` : '';
  if (row.bars.length === 0) return `${row.id}, ${place}: ${row.span ? 'its join not started' : 'not started'}${sub}`;
  const attempts = row.bars.map((bar) => {
    // Stretches of the same kind one after the other (waiting for a slot, then for the start) are said as one.
    const parts: { label: string; ms: number }[] = [];
    for (const s of bar.segments) {
      const label = segmentLabel(s);
      const ms = (s.end ?? s.start) - s.start;
      if (parts.at(-1)?.label === label) parts.at(-1)!.ms += ms;
      else parts.push({ label, ms });
    }
    const said = parts.map((p) => `${p.label} ${formatDuration(p.ms)}`).join(', ');
    return `attempt ${bar.attempt}${bar.kind === 'first' ? '' : ` (${bar.kind})`}: ${said}${bar.outcome ? `, ${bar.outcome.replace('-', ' ')}` : ''}`;
  });
  return `${row.id}, ${place}${row.onCriticalPath ? ', on the critical path' : ''}; ${attempts.join('; ')}${row.open ? '; going on' : ''}${sub}`;
}

/** The slots held over time against the cap, as one path. */
const Curve = memo(function Curve({ model, x, width, nowX }: { model: Timeline; x: (t: number) => number; width: number; nowX: number | null }) {
  const max = Math.max(1, model.cap ?? 0, model.peak);
  const y = (n: number) => CURVE - 2 - (n / max) * (CURVE - 6);
  const end = model.end ?? model.start ?? 0;
  let d = '';
  if (model.curve.length) {
    d = `M${x(model.curve[0]!.t)},${y(0)}`;
    model.curve.forEach((step, k) => {
      d += `L${x(step.t)},${y(step.n)}L${x(model.curve[k + 1]?.t ?? end)},${y(step.n)}`;
    });
    d += `L${x(end)},${y(0)}Z`;
  }
  const label = `Slots held: at most ${model.peak}${model.cap !== null ? ` of ${model.cap}` : ''}${model.idleSlotMs !== null ? `; idle ${formatDuration(model.idleSlotMs)}` : ''}`;
  return (
    <div className="tl-curve" role="img" aria-label={label}>
      <span className="tl-label">
        slots {model.peak}
        {model.cap !== null ? `/${model.cap}` : ''}
      </span>
      <svg width={width} height={CURVE} aria-hidden="true">
        <line className="tl-base" x1={0} x2={width} y1={y(0)} y2={y(0)} />
        {d && <path className="tl-slots" d={d} />}
        {model.cap !== null && <line className="tl-cap" x1={0} x2={width} y1={y(model.cap)} y2={y(model.cap)} />}
        {nowX !== null && <line className="tl-now-line" x1={nowX} x2={nowX} y1={0} y2={CURVE} />}
      </svg>
    </div>
  );
});
