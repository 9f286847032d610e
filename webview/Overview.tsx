import { Panel, useReactFlow, useStore, type ReactFlowState } from '@xyflow/react';
import { memo, useMemo, useRef } from 'react';
import type { DisplayGraph } from '../src/core/dag/display';
import type { Layout } from '../src/core/dag/layout';

/** Width and height of the overview in CSS px (React Flow's MiniMap default). */
const WIDTH = 200;
const HEIGHT = 150;
const OFFSET = 5;

type View = [x: number, y: number, zoom: number, width: number, height: number];
const viewOf = (s: ReactFlowState): View => [s.transform[0], s.transform[1], s.transform[2], s.width, s.height];
const sameView = (a: View, b: View) => a.every((v, k) => v === b[k]);

/**
 * The minimap, drawn from our layout: one path per kind of node instead of React Flow's
 * MiniMap, which renders a component (with its own store subscription) and an SVG rect per
 * node — at 1,000 packages that was a third of the first paint and slowed every frame.
 * It re-renders only when the viewport moves (the mask). A click or a drag centres the view
 * there; the wheel zooms. Same classes as React Flow's MiniMap, so the theme applies.
 */
export const Overview = memo(function Overview({ display, layout }: { display: DisplayGraph; layout: Layout }) {
  const flow = useReactFlow();
  const [tx, ty, zoom, width, height] = useStore(viewOf, sameView);
  const svg = useRef<SVGSVGElement>(null);
  const dragging = useRef(false);

  const paths = useMemo(() => {
    const out = { package: '', summary: '', ghost: '' };
    for (const n of display.nodes) {
      const b = layout.nodes.get(n.id);
      if (b) out[n.kind] += `M${b.x},${b.y}h${b.width}v${b.height}h${-b.width}z`;
    }
    return out;
  }, [display, layout]);

  // What is in view, in flow coordinates; the overview covers the plan and the view.
  const view = { x: -tx / zoom, y: -ty / zoom, width: width / zoom, height: height / zoom };
  const x0 = Math.min(0, view.x);
  const y0 = Math.min(0, view.y);
  const bounds = { x: x0, y: y0, width: Math.max(layout.width, view.x + view.width) - x0, height: Math.max(layout.height, view.y + view.height) - y0 };
  const scale = Math.max(bounds.width / WIDTH, bounds.height / HEIGHT, 1e-6);
  const offset = OFFSET * scale;
  const vw = WIDTH * scale + 2 * offset;
  const vh = HEIGHT * scale + 2 * offset;
  const vx = bounds.x - (WIDTH * scale - bounds.width) / 2 - offset;
  const vy = bounds.y - (HEIGHT * scale - bounds.height) / 2 - offset;

  const centreAt = (e: React.PointerEvent<SVGSVGElement>) => {
    const r = svg.current!.getBoundingClientRect();
    const fx = vx + ((e.clientX - r.left) / r.width) * vw;
    const fy = vy + ((e.clientY - r.top) / r.height) * vh;
    void flow.setCenter(fx, fy, { zoom, duration: 0 });
  };

  return (
    <Panel position="bottom-right" className="react-flow__minimap overview">
      <svg
        ref={svg}
        width={WIDTH}
        height={HEIGHT}
        viewBox={`${vx} ${vy} ${vw} ${vh}`}
        className="react-flow__minimap-svg"
        role="img"
        aria-label="Minimap"
        onPointerDown={(e) => {
          dragging.current = true;
          e.currentTarget.setPointerCapture(e.pointerId);
          centreAt(e);
        }}
        onPointerMove={(e) => dragging.current && centreAt(e)}
        onPointerUp={() => (dragging.current = false)}
        onPointerCancel={() => (dragging.current = false)}
        onWheel={(e) => void flow.zoomTo(zoom * Math.pow(2, -e.deltaY * (e.deltaMode === 1 ? 0.05 : e.deltaMode ? 1 : 0.002)))}
      >
        <path className="react-flow__minimap-node" d={paths.package} />
        <path className="react-flow__minimap-node mini-summary" d={paths.summary} />
        <path className="react-flow__minimap-node mini-ghost" d={paths.ghost} />
        <path
          className="react-flow__minimap-mask"
          d={`M${vx - offset},${vy - offset}h${vw + 2 * offset}v${vh + 2 * offset}h${-vw - 2 * offset}z M${view.x},${view.y}h${view.width}v${view.height}h${-view.width}z`}
          fillRule="evenodd"
        />
      </svg>
    </Panel>
  );
});
