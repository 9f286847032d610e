/**
 * The dependency graph of a plan: cycles, waves, reachability and the critical path.
 *
 * Nodes are package ids (first definition wins on duplicates); an edge `dep → pkg` means
 * `pkg` depends on `dep`. Unknown dependencies are not part of the graph (the checks report
 * them). Everything here is iterative: plans of thousands of packages must not overflow
 * the stack.
 */

export interface GraphInput {
  id: string;
  dependsOn: readonly string[];
  /** Weight on the critical path; 1 when absent. */
  weight?: number;
}

export interface DependencyGraph {
  /** Node ids in plan order. */
  readonly ids: readonly string[];
  readonly indexOf: ReadonlyMap<string, number>;
  /** deps[i] = indices of the packages node i depends on (deduplicated, known only). */
  readonly deps: readonly number[][];
  /** dependents[i] = indices of the packages that depend on node i. */
  readonly dependents: readonly number[][];
  /** Each dependency cycle, in order: cycle[k] depends on cycle[k+1], the last on the first. */
  readonly cycles: readonly string[][];
  /** Wave of each node (1-based), or null on or behind a cycle. */
  readonly wave: readonly (number | null)[];
  /** Packages of each wave, in plan order: waves[0] is wave 1. */
  readonly waves: readonly string[][];
  /** The heaviest chain of dependencies, first to last. */
  readonly criticalPath: readonly string[];
  /** True when neither node depends on the other, directly or transitively. */
  mayRunInParallel(a: number, b: number): boolean;
  /** True when `a` depends on `b`, directly or transitively. */
  dependsOn(a: number, b: number): boolean;
}

export function buildGraph(inputs: readonly GraphInput[]): DependencyGraph {
  const ids: string[] = [];
  const indexOf = new Map<string, number>();
  const weights: number[] = [];
  const rawDeps: (readonly string[])[] = [];
  for (const input of inputs) {
    if (!input.id || indexOf.has(input.id)) continue;
    indexOf.set(input.id, ids.length);
    ids.push(input.id);
    weights.push(positiveOr1(input.weight));
    rawDeps.push(input.dependsOn);
  }
  const n = ids.length;
  const deps: number[][] = rawDeps.map((list) => {
    // A few dependencies each, as plans write them: no set for each package (a long list gets one).
    if (list.length <= 16) {
      const out: number[] = [];
      for (let k = 0; k < list.length; k++) {
        const j = indexOf.get(list[k]);
        if (j !== undefined && !out.includes(j)) out.push(j);
      }
      return out;
    }
    const seen = new Set<number>();
    for (const d of list) {
      const j = indexOf.get(d);
      if (j !== undefined) seen.add(j);
    }
    return [...seen];
  });
  const dependents: number[][] = Array.from({ length: n }, () => []);
  deps.forEach((list, i) => list.forEach((j) => dependents[j].push(i)));

  const { cyclic, cycles } = findCycles(ids, deps);
  const order = topologicalOrder(n, deps, dependents);
  const wave: (number | null)[] = new Array(n).fill(null);
  for (const i of order) {
    if (cyclic[i]) continue;
    let w = 1;
    let blocked = false;
    const di = deps[i];
    for (let k = 0; k < di.length; k++) {
      const j = di[k];
      const wj = wave[j];
      if (wj === null) {
        blocked = true;
        break;
      }
      w = Math.max(w, wj + 1);
    }
    wave[i] = blocked ? null : w;
  }
  const waves: string[][] = [];
  wave.forEach((w, i) => {
    if (w === null) return;
    while (waves.length < w) waves.push([]);
    waves[w - 1].push(ids[i]);
  });

  const reach = new Reachability(deps, dependents, wave);
  return {
    ids,
    indexOf,
    deps,
    dependents,
    cycles,
    wave,
    waves,
    criticalPath: criticalPath(ids, deps, wave, weights, order),
    dependsOn: (a, b) => reach.dependsOn(a, b),
    mayRunInParallel: (a, b) => reach.mayRunInParallel(a, b),
  };
}

function positiveOr1(w: number | undefined): number {
  return typeof w === 'number' && Number.isFinite(w) && w > 0 ? w : 1;
}

/**
 * Strongly connected components (iterative Tarjan). A node is cyclic when its component
 * has more than one node or it depends on itself. For each cyclic component one cycle is
 * reported, walked from the component's first node in plan order.
 */
function findCycles(ids: readonly string[], deps: readonly number[][]): { cyclic: boolean[]; cycles: string[][] } {
  const n = ids.length;
  const index = new Array<number>(n).fill(-1);
  const low = new Array<number>(n).fill(0);
  const onStack = new Array<boolean>(n).fill(false);
  const comp = new Array<number>(n).fill(-1);
  const stack: number[] = [];
  let counter = 0;
  let comps = 0;
  const compMembers: number[][] = [];

  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    const work: [number, number][] = [[root, 0]];
    while (work.length) {
      const frame = work[work.length - 1];
      const [v, k] = frame;
      if (k === 0) {
        index[v] = low[v] = counter++;
        stack.push(v);
        onStack[v] = true;
      }
      if (k < deps[v].length) {
        frame[1] = k + 1;
        const w = deps[v][k];
        if (index[w] === -1) work.push([w, 0]);
        else if (onStack[w]) low[v] = Math.min(low[v], index[w]);
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1][0];
        low[parent] = Math.min(low[parent], low[v]);
      }
      if (low[v] === index[v]) {
        const members: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = false;
          comp[w] = comps;
          members.push(w);
        } while (w !== v);
        compMembers.push(members);
        comps++;
      }
    }
  }

  const cyclic = new Array<boolean>(n).fill(false);
  const cycles: string[][] = [];
  for (const members of compMembers) {
    const self = members.length === 1 && deps[members[0]].includes(members[0]);
    if (members.length === 1 && !self) continue;
    for (const m of members) cyclic[m] = true;
    if (self) continue; // reported as a self-dependency, not as a cycle
    let start = members[0];
    for (const m of members) if (m < start) start = m; // no spread: a component may hold 100,000 members
    const c = comp[start];
    // Walk inside the component, always to the earliest member not yet on the walk, until a
    // node repeats; the loop from that node is a cycle.
    const walk: number[] = [start];
    const pos = new Map<number, number>([[start, 0]]);
    for (;;) {
      const v = walk[walk.length - 1];
      const inside = deps[v].filter((w) => comp[w] === c && w !== v).sort((a, b) => a - b);
      const next = inside.find((w) => !pos.has(w)) ?? inside[0];
      if (pos.has(next)) {
        cycles.push(walk.slice(pos.get(next)).map((i) => ids[i]));
        break;
      }
      pos.set(next, walk.length);
      walk.push(next);
    }
  }
  return { cyclic, cycles };
}

/** Dependencies before dependents; nodes on cycles come last, in plan order. */
function topologicalOrder(n: number, deps: readonly number[][], dependents: readonly number[][]): number[] {
  const indegree = deps.map((d) => d.length);
  const order: number[] = [];
  const queue: number[] = [];
  for (let i = 0; i < n; i++) if (indegree[i] === 0) queue.push(i);
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head];
    order.push(v);
    const next = dependents[v];
    for (let k = 0; k < next.length; k++) if (--indegree[next[k]] === 0) queue.push(next[k]);
  }
  if (order.length < n) {
    const placed = new Set(order);
    for (let i = 0; i < n; i++) if (!placed.has(i)) order.push(i);
  }
  return order;
}

/** Questions about one package after which its whole ancestry (or descendancy) is kept. */
export const KEEP_AFTER = 3;
/** Words (32 bits) of kept bit sets, in all: about 32 MB. */
export const MAX_KEPT_WORDS = 8 * 1024 * 1024;

/**
 * Transitive dependencies, answered when asked — never an n × n matrix (40,000
 * packages made it 200 MB and the largest cost of the graph).
 *
 * `dependsOn(a, b)` searches `a`'s dependencies for `b` and skips every package that cannot lie
 * between them: a package that depends on another is in a later wave, so nothing in `b`'s wave
 * or an earlier one leads to `b`, and when `b` has no wave (on or behind a cycle) nothing that
 * has one does. Packages in the same wave never depend on each other.
 *
 * `mayRunInParallel(a, b)` is asked of the same `a` many times by the overlap checks (a package
 * whose glob covers many others'); from its third question, `a`'s whole ancestry or descendancy
 * is kept as a bit set (up to `MAX_KEPT_WORDS` in all), so every later answer is one bit. Its
 * first argument is the one to keep.
 */
class Reachability {
  private readonly n: number;
  /** Visit marks: a package is visited in the current search when its mark is `stamp`. */
  private readonly mark: Uint32Array;
  private stamp = 0;
  private readonly stack: Int32Array;
  private readonly asked: Uint8Array;
  private readonly up = new Map<number, Uint32Array>();
  private readonly down = new Map<number, Uint32Array>();
  private keptWords = 0;

  constructor(
    private readonly deps: readonly number[][],
    private readonly dependents: readonly number[][],
    private readonly wave: readonly (number | null)[],
  ) {
    this.n = deps.length;
    this.mark = new Uint32Array(this.n);
    this.stack = new Int32Array(Math.max(1, this.n));
    this.asked = new Uint8Array(this.n);
  }

  /** True when `a` depends on `b`, directly or transitively (on a cycle: itself too). */
  dependsOn(a: number, b: number): boolean {
    const wa = this.wave[a];
    const wb = this.wave[b];
    if (wa !== null && wb !== null && wa <= wb) return false;
    const kept = this.up.get(a) ?? this.down.get(b);
    if (kept) return has(kept, this.up.has(a) ? b : a);
    return this.search(a, b);
  }

  /** True when neither depends on the other; `a`'s answers are kept once it is asked about often. */
  mayRunInParallel(a: number, b: number): boolean {
    if (a === b) return false;
    const wa = this.wave[a];
    const wb = this.wave[b];
    if (wa !== null && wb !== null && wa === wb) return true;
    const keep = this.asked[a] + 1 >= KEEP_AFTER;
    if (!keep) this.asked[a]++;
    const aOnB = wb === null || wa === null || wa > wb; // whether `a` may depend on `b`
    const bOnA = wa === null || wb === null || wb > wa;
    if (aOnB && (keep ? has(this.kept(this.up, a, this.deps), b) : this.dependsOn(a, b))) return false;
    if (bOnA && (keep ? has(this.kept(this.down, a, this.dependents), b) : this.dependsOn(b, a))) return false;
    return true;
  }

  /** Depth-first search from `a`'s dependencies for `b`, skipping what cannot lead to `b`. */
  private search(a: number, b: number): boolean {
    const { deps, wave, mark, stack } = this;
    const wb = wave[b];
    const stamp = this.nextStamp();
    let top = 0;
    stack[top++] = a;
    while (top > 0) {
      const v = stack[--top];
      const dv = deps[v];
      for (let k = 0; k < dv.length; k++) {
        const d = dv[k];
        if (d === b) return true;
        if (mark[d] === stamp) continue;
        mark[d] = stamp;
        const wd = wave[d];
        if (wd !== null && (wb === null || wd <= wb)) continue; // cannot lead to b
        stack[top++] = d;
      }
    }
    return false;
  }

  /** Everything reachable from `a` along `edges`, as a bit set, kept. */
  private kept(sets: Map<number, Uint32Array>, a: number, edges: readonly number[][]): Uint32Array {
    const known = sets.get(a);
    if (known) return known;
    const words = (this.n + 31) >>> 5;
    if (this.keptWords + words > MAX_KEPT_WORDS) {
      this.up.clear();
      this.down.clear();
      this.keptWords = 0;
    }
    const bits = new Uint32Array(words);
    const { stack } = this;
    let top = 0;
    stack[top++] = a;
    while (top > 0) {
      const v = stack[--top];
      const ev = edges[v];
      for (let k = 0; k < ev.length; k++) {
        const d = ev[k];
        if (has(bits, d)) continue;
        bits[d >>> 5] |= 1 << (d & 31);
        stack[top++] = d;
      }
    }
    sets.set(a, bits);
    this.keptWords += words;
    return bits;
  }

  private nextStamp(): number {
    if (++this.stamp === 0xffffffff) {
      this.mark.fill(0);
      this.stamp = 1;
    }
    return this.stamp;
  }
}

function has(bits: Uint32Array, i: number): boolean {
  return (bits[i >>> 5] & (1 << (i & 31))) !== 0;
}

/**
 * The chain of dependencies with the largest total weight (over packages that have a
 * wave). Ties go to the chain ending, and then continuing, at the earliest package in plan
 * order, so the result is deterministic.
 */
function criticalPath(
  ids: readonly string[],
  deps: readonly number[][],
  wave: readonly (number | null)[],
  weights: readonly number[],
  order: readonly number[],
): string[] {
  const n = ids.length;
  const best = new Array<number>(n).fill(-Infinity);
  const prev = new Array<number>(n).fill(-1);
  for (const v of order) {
    if (wave[v] === null) continue;
    let bestDep = -1;
    const dv = deps[v];
    for (let k = 0; k < dv.length; k++) {
      const d = dv[k];
      if (wave[d] === null) continue;
      if (bestDep === -1 || best[d] > best[bestDep] || (best[d] === best[bestDep] && d < bestDep)) bestDep = d;
    }
    best[v] = weights[v] + (bestDep === -1 ? 0 : best[bestDep]);
    prev[v] = bestDep;
  }
  let end = -1;
  for (let i = 0; i < n; i++) if (wave[i] !== null && (end === -1 || best[i] > best[end])) end = i;
  const path: string[] = [];
  for (let v = end; v !== -1; v = prev[v]) path.push(ids[v]);
  return path.reverse();
}
