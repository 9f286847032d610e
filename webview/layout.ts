/**
 * Wave-pinned layered layout: x = wave, y = order within the wave. Orders are improved by
 * a few barycenter sweeps (each node moves towards the mean position of its neighbours in
 * the previous, then the next, wave), which removes most crossings at a tiny cost.
 * Packages without a wave (on or behind a cycle) get a column of their own at the end.
 */
export interface LayoutInput {
  ids: readonly string[];
  wave: (id: string) => number | null;
  edges: readonly { source: string; target: string }[];
}

export interface LayoutOptions {
  columnWidth: number;
  rowHeight: number;
  sweeps: number;
}

export const DEFAULT_LAYOUT: LayoutOptions = { columnWidth: 280, rowHeight: 96, sweeps: 4 };

export function layoutByWave(input: LayoutInput, options: LayoutOptions = DEFAULT_LAYOUT): Map<string, { x: number; y: number }> {
  const columns: string[][] = [];
  const unplaced: string[] = [];
  for (const id of input.ids) {
    const w = input.wave(id);
    if (w === null) {
      unplaced.push(id);
      continue;
    }
    while (columns.length < w) columns.push([]);
    columns[w - 1].push(id);
  }
  if (unplaced.length) columns.push(unplaced);

  const neighbours = new Map<string, { up: string[]; down: string[] }>();
  for (const id of input.ids) neighbours.set(id, { up: [], down: [] });
  for (const e of input.edges) {
    neighbours.get(e.target)?.up.push(e.source);
    neighbours.get(e.source)?.down.push(e.target);
  }
  const position = new Map<string, number>();
  const index = () => columns.forEach((col) => col.forEach((id, k) => position.set(id, k)));
  index();
  const sweep = (col: string[], side: 'up' | 'down') => {
    const score = new Map<string, number>();
    col.forEach((id, k) => {
      const ns = neighbours.get(id)![side].filter((n) => position.has(n));
      score.set(id, ns.length ? ns.reduce((s, n) => s + position.get(n)!, 0) / ns.length : k);
    });
    col.sort((a, b) => score.get(a)! - score.get(b)!);
    col.forEach((id, k) => position.set(id, k));
  };
  for (let s = 0; s < options.sweeps; s++) {
    for (let c = 1; c < columns.length; c++) sweep(columns[c], 'up');
    for (let c = columns.length - 2; c >= 0; c--) sweep(columns[c], 'down');
  }

  const tallest = Math.max(0, ...columns.map((c) => c.length));
  const out = new Map<string, { x: number; y: number }>();
  columns.forEach((col, c) => {
    const offset = ((tallest - col.length) * options.rowHeight) / 2; // centre short columns
    col.forEach((id, k) => out.set(id, { x: c * options.columnWidth, y: offset + k * options.rowHeight }));
  });
  return out;
}
