/**
 * "Did you mean": the id nearest to an unknown one, by edit distance (Levenshtein, in UTF-16
 * code units), within max(2, ⌊length / 4⌋) edits; ties go to the id earliest in plan order; a
 * package's own id is never its suggestion.
 *
 * The ids are filed in a trie and searched with one row of the edit-distance table per trie
 * node, leaving a branch as soon as every cell of its row is beyond the distance still of use:
 * the answer of comparing with every id, without comparing with every id (a plan of
 * 20,000 packages that each name an unknown dependency asked 400 million comparisons). Each
 * unknown id is searched once, for its two nearest, so the many packages naming the same missing
 * one cost one search.
 */

interface TrieNode {
  children: Map<number, TrieNode>;
  /** Plan-order index of the id ending here, or -1. */
  index: number;
  /** Length of the longest id through here. */
  longest: number;
}

interface Candidate {
  distance: number;
  index: number;
}

export class NearestIds {
  private readonly root: TrieNode = { children: new Map(), index: -1, longest: 0 };
  private readonly found = new Map<string, Candidate[]>();

  /** `ids` in plan order, each once. */
  constructor(private readonly ids: readonly string[]) {
    ids.forEach((id, index) => {
      let node = this.root;
      node.longest = Math.max(node.longest, id.length);
      for (let k = 0; k < id.length; k++) {
        const c = id.charCodeAt(k);
        let child = node.children.get(c);
        if (!child) node.children.set(c, (child = { children: new Map(), index: -1, longest: 0 }));
        node = child;
        node.longest = Math.max(node.longest, id.length);
      }
      if (node.index === -1) node.index = index;
    });
  }

  /** The id nearest to `id` other than `exclude`, or undefined when none is near enough. */
  nearest(id: string, exclude: string): string | undefined {
    let best = this.found.get(id);
    if (!best) this.found.set(id, (best = this.twoNearest(id)));
    const pick = best.find((c) => this.ids[c.index] !== exclude);
    return pick && this.ids[pick.index];
  }

  /** The two nearest ids within the limit, by distance then plan order. */
  private twoNearest(id: string): Candidate[] {
    const m = id.length;
    const limit = Math.max(2, Math.floor(m / 4));
    const best: Candidate[] = [];
    // Beyond this, a candidate can no longer be one of the two.
    const bound = () => (best.length < 2 ? limit : best[1].distance);
    const consider = (distance: number, index: number) => {
      if (distance > bound()) return;
      best.push({ distance, index });
      best.sort((a, b) => a.distance - b.distance || a.index - b.index);
      if (best.length > 2) best.pop();
    };
    // One row of the table per depth: the search goes down one branch at a time.
    const rows = [Int32Array.from({ length: m + 1 }, (_, j) => j)];
    const row = (depth: number) => (rows[depth] ??= new Int32Array(m + 1));
    if (this.root.index !== -1) consider(rows[0][m], this.root.index);
    const stack: { children: Iterator<[number, TrieNode]>; depth: number }[] = [{ children: this.root.children.entries(), depth: 0 }];
    while (stack.length > 0) {
      const frame = stack[stack.length - 1];
      const step = frame.children.next();
      if (step.done) {
        stack.pop();
        continue;
      }
      const [c, child] = step.value;
      // Ids through here shorter than m - bound are farther than bound, whatever they hold.
      if (child.longest < m - bound()) continue;
      const prev = rows[frame.depth];
      const next = row(frame.depth + 1);
      next[0] = prev[0] + 1;
      let rowMin = next[0];
      for (let j = 1; j <= m; j++) {
        next[j] = Math.min(prev[j] + 1, next[j - 1] + 1, prev[j - 1] + (id.charCodeAt(j - 1) === c ? 0 : 1));
        if (next[j] < rowMin) rowMin = next[j];
      }
      if (rowMin > bound()) continue; // every longer id through here is farther still
      if (child.index !== -1) consider(next[m], child.index);
      stack.push({ children: child.children.entries(), depth: frame.depth + 1 });
    }
    return best;
  }
}

/** The edit distance of two strings (Levenshtein, UTF-16 code units), by the whole table. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}
