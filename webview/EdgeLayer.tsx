/**
 * The graph's edges: every edge of the layout drawn in a few SVG paths inside the flow's
 * viewport, culled to the columns in view in large plans, with their labels.
 */
import { useStore, type ReactFlowState } from '@xyflow/react';
import { memo, useCallback, useMemo } from 'react';
import type { DisplayGraph } from '../src/core/dag/display';
import type { Layout } from '../src/core/dag/layout';

/** Edges drawn beyond this many nodes are only those whose columns are in view. */
const CULL_EDGES = 200;
/** Columns drawn on each side of the view (edges are drawn a little beyond it). */
const CULL_MARGIN = 1;

type EdgeItem = { lo: number; hi: number; cls: string; path: string; arrow: string; critical: boolean };

/** The columns in view (with a margin), as "first,last" so panning within them re-renders nothing. */
function useColumnsInView(layout: Layout, cull: boolean): [number, number] {
  const count = layout.columnX.length;
  const columnWidth = count ? layout.width / count : 1;
  const key = useStore(
    useCallback(
      (s: ReactFlowState) => {
        if (!cull) return `0,${count - 1}`;
        const [tx, , zoom] = s.transform;
        const first = Math.floor(-tx / zoom / columnWidth) - CULL_MARGIN;
        const last = Math.floor((s.width - tx) / zoom / columnWidth) + CULL_MARGIN;
        return `${Math.max(0, first)},${Math.min(count - 1, last)}`;
      },
      [cull, count, columnWidth],
    ),
  );
  const [first, last] = key.split(',').map(Number);
  return [first, last];
}

/**
 * All edges in a handful of SVG paths (one per kind), arrowheads in one more. In large
 * plans only the edges that touch a column in view are in the paths: one path of every edge
 * of 1,000 packages is 600 KB of path data that Chromium parses, measures and repaints.
 */
export const EdgeLayer = memo(function EdgeLayer({ display, layout, selected }: { display: DisplayGraph; layout: Layout; selected: string | undefined }) {
  const kinds = useMemo(() => new Map(display.edges.map((e) => [e.id, e])), [display]);
  const items = useMemo(() => {
    return layout.edges.map((r): EdgeItem => {
      const e = kinds.get(r.id)!;
      const a = layout.nodes.get(r.source)?.column ?? 0;
      const b = layout.nodes.get(r.target)?.column ?? 0;
      const end = r.segments.at(-1)!.to;
      return {
        lo: Math.min(a, b),
        hi: Math.max(a, b),
        cls: e.kind === 'conflict' || e.kind === 'coupling' || e.kind === 'unknown' ? e.kind : e.cycle ? 'cycle' : e.critical ? 'critical' : 'dep',
        path: r.path,
        arrow: e.kind === 'conflict' ? '' : `M${end.x - 8},${end.y - 4}L${end.x},${end.y}L${end.x - 8},${end.y + 4}Z`,
        critical: e.critical,
      };
    });
  }, [kinds, layout]);
  const [first, last] = useColumnsInView(layout, display.nodes.length > CULL_EDGES);
  const paths = useMemo(() => {
    const out: Record<string, string[]> = { dep: [], critical: [], conflict: [], coupling: [], cycle: [], unknown: [], arrows: [], criticalArrows: [], couplingArrows: [] };
    for (const it of items) {
      if (it.hi < first || it.lo > last) continue;
      out[it.cls].push(it.path);
      if (it.arrow) out[it.critical ? 'criticalArrows' : it.cls === 'coupling' ? 'couplingArrows' : 'arrows'].push(it.arrow);
    }
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.join('')]));
  }, [items, first, last]);
  const highlight = useMemo(
    () => (selected ? layout.edges.filter((r) => r.source === selected || r.target === selected).map((r) => r.path).join('') : ''),
    [layout, selected],
  );
  const labels = useMemo(() => {
    const width = layout.columnX.length ? layout.width / layout.columnX.length : 1;
    return layout.edges.filter((r) => r.label && r.label.x >= (first - 1) * width && r.label.x <= (last + 2) * width);
  }, [layout, first, last]);
  return (
    <svg className="edges" width={Math.max(1, layout.width)} height={Math.max(1, layout.height)} aria-hidden="true">
      <path className="edge dep" d={paths.dep} />
      <path className="edge unknown" d={paths.unknown} />
      <path className="edge cycle" d={paths.cycle} />
      <path className="edge conflict" d={paths.conflict} />
      <path className="edge coupling" d={paths.coupling} />
      <path className="edge critical" d={paths.critical} />
      {highlight && <path className="edge highlight" d={highlight} />}
      <path className="arrow" d={paths.arrows} />
      <path className="arrow critical" d={paths.criticalArrows} />
      <path className="arrow coupling" d={paths.couplingArrows} />
      {labels.map((r) => (
        <g key={r.id} className={`edge-label ${kinds.get(r.id)?.kind ?? ''}`} data-edge={r.id}>
          <rect x={r.label!.x - r.label!.width / 2} y={r.label!.y - 16} width={r.label!.width} height={14} rx={2} />
          <text x={r.label!.x} y={r.label!.y - 5} textAnchor="middle">
            {r.label!.text}
            <title>{kinds.get(r.id)?.title ?? r.label!.full}</title>
          </text>
        </g>
      ))}
    </svg>
  );
});
