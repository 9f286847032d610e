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
    for (const j of deps[i]) {
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

  const ancestors = reachability(n, deps, order, cyclic);
  const dependsOnFn = (a: number, b: number): boolean => ancestors.has(a, b);
  return {
    ids,
    indexOf,
    deps,
    dependents,
    cycles,
    wave,
    waves,
    criticalPath: criticalPath(ids, deps, wave, weights, order),
    dependsOn: dependsOnFn,
    mayRunInParallel: (a, b) => a !== b && !dependsOnFn(a, b) && !dependsOnFn(b, a),
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
    const start = Math.min(...members);
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
    for (const w of dependents[v]) if (--indegree[w] === 0) queue.push(w);
  }
  if (order.length < n) {
    const placed = new Set(order);
    for (let i = 0; i < n; i++) if (!placed.has(i)) order.push(i);
  }
  return order;
}

/** Transitive dependencies of every node as bit sets: has(a, b) = a depends on b. */
function reachability(
  n: number,
  deps: readonly number[][],
  order: readonly number[],
  cyclic: readonly boolean[],
): { has(a: number, b: number): boolean } {
  const words = (n + 31) >>> 5;
  const bits = new Uint32Array(n * words);
  const set = (a: number, b: number) => {
    bits[a * words + (b >>> 5)] |= 1 << (b & 31);
  };
  const union = (into: number, from: number) => {
    const a = into * words;
    const b = from * words;
    for (let k = 0; k < words; k++) bits[a + k] |= bits[b + k];
  };
  // Acyclic part in topological order: each node's set is its deps plus their sets.
  for (const v of order) {
    if (cyclic[v]) continue;
    for (const d of deps[v]) {
      set(v, d);
      union(v, d);
    }
  }
  // Nodes on or behind cycles: iterate to a fixed point (rare, small).
  if (cyclic.some(Boolean)) {
    let changed = true;
    while (changed) {
      changed = false;
      for (let v = 0; v < n; v++) {
        const before = bits.slice(v * words, (v + 1) * words);
        for (const d of deps[v]) {
          set(v, d);
          union(v, d);
        }
        for (let k = 0; k < words; k++) if (bits[v * words + k] !== before[k]) changed = true;
      }
    }
  }
  return { has: (a, b) => (bits[a * words + (b >>> 5)] & (1 << (b & 31))) !== 0 };
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
    for (const d of deps[v]) {
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
