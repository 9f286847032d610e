/**
 * Wave-pinned layered layout with routed edges. Pure: used by the webview to draw and by
 * the host to export SVG.
 *
 * - x = column (a wave, or an extra column for ghosts and cycles), y = order in the column,
 *   improved by barycenter sweeps (each item moves towards the mean position of its
 *   neighbours in the previous, then the next, column).
 * - An edge that spans several columns gets a *lane* (a virtual node) in every column it
 *   crosses; lanes take part in the ordering and get a thin slot of their own, so the edge
 *   crosses each column where no node is. Dependency edges from one source share their
 *   lanes (they fan out where they leave the shared lane).
 * - Between columns an edge is an S-curve whose control points stay inside the gap, and
 *   an edge between two nodes of the same column runs through the gap to its right. So no
 *   edge passes under a node it does not touch, and labels sit in gaps, never behind nodes.
 */

export interface LayoutNode {
  id: string;
  /** 0-based column. */
  column: number;
  /** Height in px; `nodeHeight` when absent. */
  height?: number;
}

export interface LayoutEdge {
  id: string;
  source: string;
  target: string;
  /** Edges with the same non-empty `bundle` and source share lanes (dependency edges). */
  bundle?: boolean;
  /** Text drawn in the first gap the edge crosses (shortened to fit). */
  label?: string;
}

export interface LayoutOptions {
  columnWidth: number;
  nodeWidth: number;
  nodeHeight: number;
  /** Vertical space between two nodes of a column. */
  nodeGap: number;
  /** Height of a lane's slot. */
  laneHeight: number;
  sweeps: number;
  /** Average width of a label character, to shorten labels to the gap. */
  labelCharWidth: number;
}

export const DEFAULT_LAYOUT: LayoutOptions = {
  columnWidth: 320,
  nodeWidth: 220,
  nodeHeight: 64,
  nodeGap: 20,
  laneHeight: 8,
  sweeps: 4,
  labelCharWidth: 6.5,
};

export interface Point {
  x: number;
  y: number;
}

export interface NodeBox {
  x: number;
  y: number;
  width: number;
  height: number;
  column: number;
}

/** One piece of a route: a straight line, or a cubic curve (c1, c2 control points). */
export type Segment = { kind: 'line'; from: Point; to: Point } | { kind: 'curve'; from: Point; c1: Point; c2: Point; to: Point };

export interface EdgeRoute {
  id: string;
  source: string;
  target: string;
  segments: Segment[];
  /** SVG path data of the segments. */
  path: string;
  label?: { text: string; full: string; x: number; y: number; width: number };
}

export interface Layout {
  nodes: Map<string, NodeBox>;
  edges: EdgeRoute[];
  /** Left x of each column. */
  columnX: number[];
  width: number;
  height: number;
  /** Node ids of each column, top to bottom (for keyboard navigation). */
  columns: string[][];
}

interface Item {
  /** A real node, or a lane. */
  node?: LayoutNode;
  column: number;
  height: number;
  up: Item[];
  down: Item[];
  order: number;
  y: number;
  /** Sort key of the current sweep. */
  score: number;
}

export function layoutGraph(nodes: readonly LayoutNode[], edges: readonly LayoutEdge[], options: LayoutOptions = DEFAULT_LAYOUT): Layout {
  const byId = new Map<string, Item>();
  const columns: Item[][] = [];
  const add = (node: LayoutNode | undefined, column: number, height: number): Item => {
    // One shape for nodes and lanes (`node` undefined), so property reads stay monomorphic.
    const item: Item = { node, column, height, up: [], down: [], order: 0, y: 0, score: 0 };
    while (columns.length <= column) columns.push([]);
    columns[column].push(item);
    return item;
  };
  for (const n of nodes) {
    if (byId.has(n.id)) continue;
    byId.set(n.id, add(n, n.column, n.height ?? options.nodeHeight));
  }
  const link = (a: Item, b: Item) => {
    a.down.push(b);
    b.up.push(a);
  };

  // Chains of items per edge: source, lanes…, target (left to right). Lanes by column, of a
  // source (dependency edges share them) or of one edge id.
  const sharedLanes = new Map<Item, (Item | undefined)[]>();
  const edgeLanes = new Map<string, (Item | undefined)[]>();
  const chains: { edge: LayoutEdge; chain: Item[]; sameColumn: boolean }[] = [];
  for (const e of edges) {
    let a = byId.get(e.source);
    let b = byId.get(e.target);
    if (!a || !b || a === b) continue;
    if (a.column > b.column) [a, b] = [b, a];
    const chain = [a];
    if (b.column > a.column + 1) {
      let lanes = e.bundle ? sharedLanes.get(a) : edgeLanes.get(e.id);
      if (!lanes) {
        lanes = new Array<Item | undefined>(columns.length).fill(undefined); // packed, not sparse
        if (e.bundle) sharedLanes.set(a, lanes);
        else edgeLanes.set(e.id, lanes);
      }
      for (let c = a.column + 1; c < b.column; c++) {
        const last = chain[chain.length - 1];
        let lane = lanes[c];
        if (!lane) {
          lane = lanes[c] = add(undefined, c, options.laneHeight);
          link(last, lane);
        } else if (!last.down.includes(lane)) link(last, lane);
        chain.push(lane);
      }
    }
    if (a.column !== b.column) link(chain[chain.length - 1], b);
    chain.push(b);
    chains.push({ edge: e, chain, sameColumn: a.column === b.column });
  }

  // Order: barycenter sweeps. Each item moves to the mean relative position of its
  // neighbours on one side. Written for a cold start (the layout runs once per plan, mostly
  // before the JIT has warmed up): no keyed property reads, column sizes computed once, and
  // a stable sort by score alone (ties keep their order, as each column is in order).
  for (const col of columns) col.forEach((it, k) => (it.order = k));
  const sizes = columns.map((col) => Math.max(1, col.length));
  const byScore = (p: Item, q: Item) => p.score - q.score;
  const sweep = (col: Item[], up: boolean) => {
    for (let k = 0; k < col.length; k++) {
      const it = col[k];
      const ns = up ? it.up : it.down;
      if (ns.length === 0) {
        it.score = it.order / col.length;
        continue;
      }
      let sum = 0;
      for (let j = 0; j < ns.length; j++) sum += ns[j].order / sizes[ns[j].column];
      it.score = sum / ns.length;
    }
    col.sort(byScore);
    for (let k = 0; k < col.length; k++) col[k].order = k;
  };
  for (let s = 0; s < options.sweeps; s++) {
    for (let c = 1; c < columns.length; c++) sweep(columns[c], true);
    for (let c = columns.length - 2; c >= 0; c--) sweep(columns[c], false);
  }

  // Positions: stack each column; a gap is kept around nodes, lanes pack tighter.
  const heights = columns.map((col) => {
    let y = 0;
    col.forEach((it, k) => {
      if (k > 0) y += it.node || col[k - 1].node ? options.nodeGap : 2;
      it.y = y;
      y += it.height;
    });
    return y;
  });
  const tallest = Math.max(0, ...heights);
  columns.forEach((col, c) => {
    const offset = (tallest - heights[c]) / 2;
    for (const it of col) it.y += offset;
  });

  const columnX = columns.map((_, c) => c * options.columnWidth);
  const out = new Map<string, NodeBox>();
  for (const it of byId.values()) {
    out.set(it.node!.id, { x: columnX[it.column], y: it.y, width: options.nodeWidth, height: it.height, column: it.column });
  }

  // Routes.
  const gap = options.columnWidth - options.nodeWidth;
  const sideTracks = new Map<number, number>();
  const routes: EdgeRoute[] = [];
  for (const { edge, chain, sameColumn } of chains) {
    const segments: Segment[] = [];
    const mid = (it: Item) => it.y + it.height / 2;
    let label: EdgeRoute['label'];
    const labelAt = (x: number, y: number) => {
      if (!edge.label || label) return;
      const width = gap - 12;
      const fit = Math.max(1, Math.floor(width / options.labelCharWidth));
      const text = edge.label.length > fit ? `${edge.label.slice(0, Math.max(1, fit - 1))}…` : edge.label;
      label = { text, full: edge.label, x, y, width };
    };
    if (sameColumn) {
      const [a, b] = chain;
      const c = a.column;
      const track = sideTracks.get(c) ?? 0;
      sideTracks.set(c, track + 1);
      const right = columnX[c] + options.nodeWidth;
      const x = right + 10 + (track % Math.max(1, Math.floor((gap - 20) / 6))) * 6;
      const p0 = { x: right, y: mid(a) };
      const p1 = { x, y: mid(a) };
      const p2 = { x, y: mid(b) };
      const p3 = { x: right, y: mid(b) };
      segments.push({ kind: 'line', from: p0, to: p1 }, { kind: 'line', from: p1, to: p2 }, { kind: 'line', from: p2, to: p3 });
      labelAt(right + gap / 2, (p1.y + p2.y) / 2);
    } else {
      let from: Point = { x: columnX[chain[0].column] + options.nodeWidth, y: mid(chain[0]) };
      for (let k = 1; k < chain.length; k++) {
        const it = chain[k];
        const to: Point = { x: columnX[it.column], y: mid(it) };
        const dx = (to.x - from.x) / 2;
        segments.push({ kind: 'curve', from, c1: { x: from.x + dx, y: from.y }, c2: { x: to.x - dx, y: to.y }, to });
        if (k === 1) labelAt((from.x + to.x) / 2, (from.y + to.y) / 2);
        if (!it.node) {
          const end = { x: to.x + options.nodeWidth, y: to.y };
          segments.push({ kind: 'line', from: to, to: end });
          from = end;
        }
      }
    }
    routes.push({ id: edge.id, source: edge.source, target: edge.target, segments, path: toPath(segments), ...(label ? { label } : {}) });
  }

  return {
    nodes: out,
    edges: routes,
    columnX,
    width: columns.length ? columnX[columns.length - 1] + options.columnWidth : 0,
    height: tallest,
    columns: columns.map((col) => col.filter((it) => it.node).map((it) => it.node!.id)),
  };
}

const r = (n: number) => Math.round(n * 10) / 10;

export function toPath(segments: readonly Segment[]): string {
  if (!segments.length) return '';
  let d = `M${r(segments[0].from.x)},${r(segments[0].from.y)}`;
  for (const s of segments) {
    d += s.kind === 'line' ? `L${r(s.to.x)},${r(s.to.y)}` : `C${r(s.c1.x)},${r(s.c1.y)} ${r(s.c2.x)},${r(s.c2.y)} ${r(s.to.x)},${r(s.to.y)}`;
  }
  return d;
}
