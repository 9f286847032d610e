/**
 * Keyboard navigation over a laid-out graph (roving focus): up/down within a column,
 * left/right along edges (to the dependency or dependent nearest in height; to the nearest
 * node of the next column when there is no such edge). Pure.
 */
import type { Layout } from './layout';

export type Direction = 'up' | 'down' | 'left' | 'right' | 'first' | 'last';

export function neighbours(edges: readonly { source: string; target: string }[]): Map<string, { left: Set<string>; right: Set<string> }> {
  const out = new Map<string, { left: Set<string>; right: Set<string> }>();
  const at = (id: string) => {
    let n = out.get(id);
    if (!n) out.set(id, (n = { left: new Set(), right: new Set() }));
    return n;
  };
  for (const e of edges) {
    at(e.source).right.add(e.target);
    at(e.target).left.add(e.source);
  }
  return out;
}

export function navigate(
  layout: Pick<Layout, 'nodes' | 'columns'>,
  links: ReadonlyMap<string, { left: ReadonlySet<string>; right: ReadonlySet<string> }>,
  current: string | undefined,
  direction: Direction,
): string | undefined {
  const columns = layout.columns.filter((c) => c.length);
  if (!columns.length) return undefined;
  const box = current === undefined ? undefined : layout.nodes.get(current);
  if (!box || direction === 'first') return columns[0][0];
  if (direction === 'last') return columns[columns.length - 1].at(-1);
  const column = layout.columns[box.column];
  const k = column.indexOf(current!);
  if (direction === 'up') return column[Math.max(0, k - 1)];
  if (direction === 'down') return column[Math.min(column.length - 1, k + 1)];
  const mid = box.y + box.height / 2;
  const nearest = (ids: Iterable<string>) => {
    let best: string | undefined;
    let distance = Infinity;
    for (const id of ids) {
      const b = layout.nodes.get(id);
      if (!b) continue;
      const d = Math.abs(b.y + b.height / 2 - mid);
      if (d < distance) [best, distance] = [id, d];
    }
    return best;
  };
  const along = nearest(links.get(current!)?.[direction] ?? []);
  if (along) return along;
  const step = direction === 'right' ? 1 : -1;
  for (let c = box.column + step; c >= 0 && c < layout.columns.length; c += step) {
    const found = nearest(layout.columns[c]);
    if (found) return found;
  }
  return current;
}
