/**
 * What the DAG panel draws for a plan: packages, ghost nodes for unknown dependencies, and
 * — beyond `threshold` packages — one summary node per wave that is not expanded. Pure.
 *
 * Columns: ghosts (when there are any), then one per wave, then the packages without a
 * wave (on or behind a cycle).
 */
import { DEFAULT_LAYOUT, layoutGraph, type Layout, type LayoutOptions } from './layout';
import type { PlanView } from './planView';

/** Plans with more packages than this start with their waves collapsed. */
export const COLLAPSE_THRESHOLD = 1000;

export type GroupKey = `wave:${number}` | 'wave:none';

export interface DisplayNode {
  /** A package id, `ghost:<id>` or a group key. */
  id: string;
  kind: 'package' | 'ghost' | 'summary';
  column: number;
  /** The package id (package), the missing id (ghost), or the group's packages (summary). */
  packageIds: string[];
  /** The wave, null for no wave or a ghost. */
  wave: number | null;
}

export interface DisplayEdge {
  id: string;
  kind: 'dependency' | 'conflict' | 'coupling' | 'unknown';
  source: string;
  target: string;
  critical: boolean;
  cycle: boolean;
  /** How many plan edges this one stands for (collapsed groups). */
  count: number;
  /** Conflict witness; coupling: the file imported (its name; the path is in `title`). */
  label?: string;
  /** Coupling: the warning in full (the label's tooltip). */
  title?: string;
}

export interface DisplayGraph {
  nodes: DisplayNode[];
  edges: DisplayEdge[];
  /** What each column shows: a wave, 'none' (no wave) or 'ghost'. */
  columns: (number | 'none' | 'ghost')[];
  /** True when some waves are collapsed into summary nodes. */
  collapsed: boolean;
  /** The display node that shows each package. */
  shownAs: Map<string, string>;
}

export interface DisplayOptions {
  threshold?: number;
  /** Group keys the user expanded (only matters beyond the threshold). */
  expanded?: ReadonlySet<string>;
}

export const groupKey = (wave: number | null): GroupKey => (wave === null ? 'wave:none' : `wave:${wave}`);

type PlanShape = Pick<PlanView, 'nodes' | 'edges' | 'waves'>;

export function buildDisplayGraph(plan: PlanShape, options: DisplayOptions = {}): DisplayGraph {
  const threshold = options.threshold ?? COLLAPSE_THRESHOLD;
  const expanded = options.expanded ?? new Set<string>();
  const collapse = plan.nodes.length > threshold;
  const ghosts = [...new Set(plan.nodes.flatMap((n) => n.unknownDependencies))];
  const hasNone = plan.nodes.some((n) => n.wave === null);
  const columns: DisplayGraph['columns'] = [];
  if (ghosts.length) columns.push('ghost');
  const first = columns.length;
  plan.waves.forEach((_, k) => columns.push(k + 1));
  const noneColumn = columns.length;
  if (hasNone) columns.push('none');
  const columnOf = (wave: number | null) => (wave === null ? noneColumn : first + wave - 1);

  const nodes: DisplayNode[] = [];
  const shownAs = new Map<string, string>();
  const groups = new Map<string, DisplayNode>();
  for (const n of plan.nodes) {
    const key = groupKey(n.wave);
    if (collapse && !expanded.has(key)) {
      let g = groups.get(key);
      if (!g) {
        g = { id: key, kind: 'summary', column: columnOf(n.wave), packageIds: [], wave: n.wave };
        groups.set(key, g);
        nodes.push(g);
      }
      g.packageIds.push(n.id);
      shownAs.set(n.id, key);
    } else {
      nodes.push({ id: n.id, kind: 'package', column: columnOf(n.wave), packageIds: [n.id], wave: n.wave });
      shownAs.set(n.id, n.id);
    }
  }
  for (const g of ghosts) nodes.push({ id: `ghost:${g}`, kind: 'ghost', column: 0, packageIds: [g], wave: null });

  const edges: DisplayEdge[] = [];
  const merged = new Map<string, DisplayEdge>();
  const push = (e: DisplayEdge) => {
    if (e.source === e.target) return;
    const key = `${e.kind}:${e.source}→${e.target}`;
    const seen = merged.get(key);
    if (seen) {
      seen.count += e.count;
      seen.critical ||= e.critical;
      seen.cycle ||= e.cycle;
      if (seen.kind === 'conflict') seen.label = `${seen.count} conflicts`;
      if (seen.kind === 'coupling') [seen.label, seen.title] = [`${seen.count} couplings`, `${seen.title}\n${e.title}`];
      return;
    }
    const edge = { ...e, id: collapse ? key : e.id };
    merged.set(key, edge);
    edges.push(edge);
  };
  for (const e of plan.edges) {
    const source = shownAs.get(e.source);
    const target = shownAs.get(e.target);
    if (!source || !target) continue;
    if (e.kind === 'dependency') push({ id: e.id, kind: 'dependency', source, target, critical: e.critical, cycle: e.cycle, count: 1 });
    else if (e.kind === 'conflict') push({ id: e.id, kind: 'conflict', source, target, critical: false, cycle: false, count: 1, label: e.witness });
    else push({ id: e.id, kind: 'coupling', source, target, critical: false, cycle: false, count: 1, label: `imports ${e.file.slice(e.file.lastIndexOf('/') + 1)}`, title: e.message });
  }
  for (const n of plan.nodes) {
    for (const u of n.unknownDependencies) {
      push({ id: `unknown:${u}→${n.id}`, kind: 'unknown', source: `ghost:${u}`, target: shownAs.get(n.id)!, critical: false, cycle: false, count: 1 });
    }
  }
  return { nodes, edges, columns, collapsed: collapse, shownAs };
}

/** Lays out a display graph (conflict labels included). */
export function layoutDisplay(graph: DisplayGraph, options: LayoutOptions = DEFAULT_LAYOUT): Layout {
  return layoutGraph(
    graph.nodes.map((n) => ({ id: n.id, column: n.column, height: n.kind === 'ghost' ? 40 : undefined })),
    graph.edges.map((e) => ({ id: e.id, source: e.source, target: e.target, bundle: e.kind !== 'conflict' && e.kind !== 'coupling', label: e.label })),
    options,
  );
}
