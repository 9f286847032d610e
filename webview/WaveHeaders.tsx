/**
 * The wave headers over the graph: one per column, with its label, its progress and the
 * expand/collapse link of a collapsed plan, following the flow's pan and zoom.
 */
import { useStoreApi, type ReactFlowState } from '@xyflow/react';
import { memo, useLayoutEffect, useMemo, useRef } from 'react';
import type { DisplayGraph } from '../src/core/dag/display';
import type { Layout } from '../src/core/dag/layout';
import type { PlanMessage } from '../src/protocol';
import { useCounts } from './PackageNode';
import type { StatusStore } from './statusStore';

/** Width of a header at zoom 1 (a node's width). */
const HEADER_WIDTH = 220;
/** Below this width on screen a header shows only its progress bar. */
const HEADER_NARROW = 72;

/**
 * Wave headers in a strip over the flow, in screen space: each follows its column when
 * panning and zooming, sits just above the top of the layout, and stays pinned to the top
 * of the view when that is scrolled away — so a large plan, which opens on wave 1 far below
 * the top of the layout, still shows its headers. Positions are CSS variables set from React
 * Flow's store (no React render while panning).
 */
export const WaveHeaders = memo(function WaveHeaders(props: {
  display: DisplayGraph;
  layout: Layout;
  plan: PlanMessage;
  store: StatusStore;
  expand: (key: string) => void;
  collapse: (key: string) => void;
}) {
  const { display, layout, plan } = props;
  const api = useStoreApi();
  const strip = useRef<HTMLDivElement>(null);
  const columns = useMemo(() => {
    const expanded = new Set(display.nodes.filter((n) => n.kind === 'package').map((n) => n.column));
    const none = plan.nodes.filter((n) => n.wave === null).map((n) => n.id);
    return display.columns.map((c, k) => ({
      column: String(c),
      x: layout.columnX[k],
      label: c === 'ghost' ? 'Not in the plan' : c === 'none' ? 'No wave (cycle)' : `Wave ${c}`,
      ids: c === 'ghost' ? [] : c === 'none' ? none : (plan.waves[c - 1] ?? []),
      groupKey: c === 'ghost' ? undefined : c === 'none' ? 'wave:none' : `wave:${c}`,
      expanded: expanded.has(k),
    }));
  }, [display, layout, plan]);
  useLayoutEffect(() => {
    let last = '';
    const place = ({ transform: [tx, ty, zoom] }: ReactFlowState) => {
      const el = strip.current;
      const key = `${tx},${ty},${zoom}`;
      if (!el || key === last) return;
      last = key;
      el.style.setProperty('--tx', `${tx}px`);
      el.style.setProperty('--ty', `${ty}px`);
      el.style.setProperty('--zoom', String(zoom));
      el.classList.toggle('narrow', HEADER_WIDTH * zoom < HEADER_NARROW);
    };
    place(api.getState());
    return api.subscribe(place);
  }, [api]);
  return (
    <div className="wave-strip" ref={strip}>
      {columns.map((c) => (
        <WaveHeader key={c.column} {...c} store={props.store} collapsible={display.collapsed} expand={props.expand} collapse={props.collapse} />
      ))}
    </div>
  );
});

const WaveHeader = memo(function WaveHeader(props: {
  column: string;
  x: number;
  label: string;
  ids: string[];
  store: StatusStore;
  groupKey: string | undefined;
  collapsible: boolean;
  expanded: boolean;
  expand: (key: string) => void;
  collapse: (key: string) => void;
}) {
  const c = useCounts(props.store, props.ids);
  const ref = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    ref.current?.style.setProperty('--x', String(props.x));
  }, [props.x]);
  return (
    <div className="wave-header" ref={ref} title={props.label}>
      <div className="wave-title">
        <span className="wave-name">{props.label}</span>
        {props.collapsible && props.groupKey && (
          <button className="link" onClick={() => (props.expanded ? props.collapse(props.groupKey!) : props.expand(props.groupKey!))}>
            {props.expanded ? 'collapse' : 'expand'}
          </button>
        )}
      </div>
      {props.ids.length > 0 && (
        <div className="wave-progress" aria-label={`${props.label}: ${c.done} of ${c.total} done`}>
          {c.done}/{c.total} done{c.active ? ` · ${c.active} running` : ''}
          {c.bad ? ` · ${c.bad} failed` : ''}
        </div>
      )}
      <div className="progress" aria-hidden="true">
        <span className="progress-done" style={{ width: `${Math.round((100 * c.done) / Math.max(1, c.total))}%` }} />
      </div>
    </div>
  );
});
