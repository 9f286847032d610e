import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { buildGraph, KEEP_AFTER, MAX_KEPT_WORDS, type DependencyGraph, type GraphInput } from '../../../src/core/plan/graph';

const g = (spec: Record<string, string[]>, weights: Record<string, number> = {}) =>
  buildGraph(Object.entries(spec).map(([id, dependsOn]) => ({ id, dependsOn, weight: weights[id] })));

describe('graph: waves', () => {
  it('roots are wave 1 and a package is one wave after its latest dependency', () => {
    const graph = g({ a: [], b: ['a'], c: ['a'], d: ['b', 'c'], e: ['a', 'd'] });
    assert.deepEqual(graph.waves, [['a'], ['b', 'c'], ['d'], ['e']]);
    assert.deepEqual([...graph.wave], [1, 2, 2, 3, 4]);
  });

  it('ignores unknown and repeated dependencies', () => {
    const graph = g({ a: ['ghost'], b: ['a', 'a'] });
    assert.deepEqual(graph.waves, [['a'], ['b']]);
    assert.deepEqual(graph.deps[1], [0]);
  });

  it('gives no wave to packages on or behind a cycle and keeps the others', () => {
    const graph = g({ a: [], b: ['a', 'd'], c: ['b'], d: ['c'], e: ['d'], f: ['a'] });
    assert.deepEqual([...graph.wave], [1, null, null, null, null, 2]);
    assert.deepEqual(graph.waves, [['a'], ['f']]);
    assert.equal(graph.cycles.length, 1);
  });

  it('names a cycle in order, each depending on the next', () => {
    const graph = g({ x: ['z'], y: ['x'], z: ['y'] });
    assert.deepEqual(graph.cycles, [['x', 'z', 'y']]);
    const cycle = graph.cycles[0];
    cycle.forEach((id, k) => {
      const next = cycle[(k + 1) % cycle.length];
      assert.ok(graph.deps[graph.indexOf.get(id)!].includes(graph.indexOf.get(next)!), `${id} depends on ${next}`);
    });
  });

  it('treats a self-dependency as blocking but not as a named cycle', () => {
    const graph = g({ a: ['a'], b: ['a'], c: [] });
    assert.deepEqual([...graph.wave], [null, null, 1]);
    assert.deepEqual(graph.cycles, []);
  });

  it('keeps the first definition of a duplicated id', () => {
    const graph = buildGraph([
      { id: 'a', dependsOn: [] },
      { id: 'b', dependsOn: ['a'] },
      { id: 'a', dependsOn: ['b'] },
    ]);
    assert.deepEqual(graph.ids, ['a', 'b']);
    assert.deepEqual(graph.waves, [['a'], ['b']]);
  });

  it('handles long chains without recursion limits', () => {
    const inputs: GraphInput[] = Array.from({ length: 5000 }, (_, i) => ({ id: `p${i}`, dependsOn: i ? [`p${i - 1}`] : [] }));
    const graph = buildGraph(inputs);
    assert.equal(graph.waves.length, 5000);
    assert.equal(graph.criticalPath.length, 5000);
  });
});

describe('graph: parallelism', () => {
  it('two packages may run in parallel when neither depends on the other transitively', () => {
    const graph = g({ a: [], b: ['a'], c: ['b'], d: ['a'] });
    const i = (id: string) => graph.indexOf.get(id)!;
    assert.equal(graph.mayRunInParallel(i('c'), i('a')), false);
    assert.equal(graph.dependsOn(i('c'), i('a')), true);
    assert.equal(graph.dependsOn(i('a'), i('c')), false);
    assert.equal(graph.mayRunInParallel(i('c'), i('d')), true);
    assert.equal(graph.mayRunInParallel(i('b'), i('d')), true);
    assert.equal(graph.mayRunInParallel(i('b'), i('b')), false);
  });

  it('packages on one cycle never run in parallel', () => {
    const graph = g({ a: ['b'], b: ['a'], c: [] });
    assert.equal(graph.mayRunInParallel(0, 1), false);
    assert.equal(graph.mayRunInParallel(0, 2), true);
  });

  it('agrees with a brute-force transitive closure on random DAGs', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.nat(), { maxLength: 4 }), { minLength: 1, maxLength: 40 }), (rows) => {
        const inputs = rows.map((deps, i) => ({ id: `p${i}`, dependsOn: deps.filter((d) => d < i).map((d) => `p${d % i}`) }));
        const graph = buildGraph(inputs);
        const n = inputs.length;
        const reach = Array.from({ length: n }, (_, i) => new Set(graph.deps[i]));
        for (let k = 0; k < n; k++) for (let i = 0; i < n; i++) if (reach[i].has(k)) reach[k].forEach((x) => reach[i].add(x));
        for (let a = 0; a < n; a++) {
          for (let b = 0; b < n; b++) assert.equal(graph.dependsOn(a, b), reach[a].has(b), `p${a} depends on p${b}`);
          const w = graph.wave[a]!;
          const expected = 1 + Math.max(0, ...graph.deps[a].map((d) => graph.wave[d]!));
          assert.equal(w, expected);
        }
      }),
      { numRuns: 200 },
    );
  });
});

/** The transitive closure by bit sets over every pair (what the graph kept before): reach[a] holds b when a depends on b. */
function closure(graph: DependencyGraph): Uint32Array[] {
  const n = graph.ids.length;
  const words = (n + 31) >>> 5;
  const reach = Array.from({ length: n }, () => new Uint32Array(words));
  for (let changed = true; changed; ) {
    changed = false;
    for (let a = 0; a < n; a++) {
      for (const d of graph.deps[a]) {
        for (let k = 0; k < words; k++) {
          const next = reach[a][k] | reach[d][k] | (k === d >>> 5 ? 1 << (d & 31) : 0);
          if (next !== reach[a][k]) [reach[a][k], changed] = [next, true];
        }
      }
    }
  }
  return reach;
}
const holds = (bits: Uint32Array, i: number) => (bits[i >>> 5] & (1 << (i & 31))) !== 0;

describe('graph: reachability, asked rather than tabled (#15)', () => {
  it('agrees with the transitive closure on random graphs with cycles, whichever package is asked about and how often', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.nat(), { maxLength: 3 }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 120 }),
        (rows, questions) => {
          // Dependencies on any package, earlier or later: cycles, self-dependencies, packages behind them.
          const inputs = rows.map((deps, i) => ({ id: `p${i}`, dependsOn: deps.map((d) => `p${d % rows.length}`) }));
          const graph = buildGraph(inputs);
          const n = graph.ids.length;
          const reach = closure(graph);
          // Random questions first (each package's first ones are searched, later ones come from its kept sets)…
          for (const [x, y] of questions) {
            const [a, b] = [x % n, y % n];
            assert.equal(graph.mayRunInParallel(a, b), a !== b && !holds(reach[a], b) && !holds(reach[b], a), `p${a} ∥ p${b}`);
          }
          // …then every pair, several times over.
          for (let round = 0; round < KEEP_AFTER + 1; round++) {
            for (let a = 0; a < n; a++) {
              for (let b = 0; b < n; b++) {
                assert.equal(graph.dependsOn(a, b), holds(reach[a], b), `p${a} depends on p${b}`);
                assert.equal(graph.mayRunInParallel(a, b), a !== b && !holds(reach[a], b) && !holds(reach[b], a), `p${a} ∥ p${b}`);
              }
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('agrees with a search of every dependency on a 30,000-package plan, and keeps answering right once its kept sets are dropped', () => {
    // Two layers: 10,000 roots, and 20,000 packages on two roots each (every hundredth on the
    // one before it too). Every package of the second layer is asked about often enough for its
    // ancestry to be kept — 30,000 bits each, more in all than MAX_KEPT_WORDS, so kept sets are
    // dropped on the way.
    const n = 30_000;
    const roots = 10_000;
    let seed = 7;
    const random = (m: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % m;
    const inputs: GraphInput[] = Array.from({ length: n }, (_, i) => ({
      id: `p${i}`,
      dependsOn: i < roots ? [] : [`p${random(roots)}`, `p${random(roots)}`, ...(i % 100 === 0 ? [`p${i - 1}`] : [])],
    }));
    const graph = buildGraph(inputs);
    const ancestors = (a: number) => {
      const seen = new Set<number>();
      const todo = [a];
      while (todo.length) {
        for (const d of graph.deps[todo.pop()!]) {
          if (!seen.has(d)) {
            seen.add(d);
            todo.push(d);
          }
        }
      }
      return seen;
    };
    const parallel = (a: number, b: number) => a !== b && !ancestors(a).has(b) && !ancestors(b).has(a);
    assert.ok((n - roots) * ((n + 31) >>> 5) > 2 * MAX_KEPT_WORDS, 'more kept sets than fit');
    for (let a = roots; a < n; a++) {
      for (let k = 0; k < KEEP_AFTER + 2; k++) {
        const b = k === 0 ? graph.deps[a][0] : random(n);
        assert.equal(graph.mayRunInParallel(a, b), parallel(a, b), `p${a} ∥ p${b}`);
      }
    }
    for (let k = 0; k < 100_000; k++) {
      const [a, b] = [random(n), random(n)];
      assert.equal(graph.dependsOn(a, b), ancestors(a).has(b), `p${a} depends on p${b}`);
    }
  });

  it('a cycle of 100,000 packages: every one on it depends on every other, and none runs beside another', () => {
    const n = 100_000;
    const graph = buildGraph(Array.from({ length: n }, (_, i) => ({ id: `p${i}`, dependsOn: [`p${(i + 1) % n}`] })));
    assert.equal(graph.cycles.length, 1);
    assert.equal(graph.cycles[0].length, n);
    for (const [a, b] of [[0, n - 1], [n - 1, 0], [500, 499], [0, 0], [77_777, 12]]) {
      assert.equal(graph.dependsOn(a, b), true, `p${a} depends on p${b}`);
      if (a !== b) assert.equal(graph.mayRunInParallel(a, b), false);
    }
  });
});

describe('graph: critical path', () => {
  it('follows the heaviest chain by timeout, 1 where absent', () => {
    const graph = g({ a: [], b: ['a'], c: ['a'], d: ['b', 'c'] }, { a: 10, b: 5, c: 30, d: 1 });
    assert.deepEqual(graph.criticalPath, ['a', 'c', 'd']);
  });

  it('counts packages without a timeout as 1, so the longest chain wins', () => {
    const graph = g({ a: [], b: ['a'], c: ['b'], x: [] });
    assert.deepEqual(graph.criticalPath, ['a', 'b', 'c']);
  });

  it('breaks ties by plan order', () => {
    const graph = g({ a: [], b: [] });
    assert.deepEqual(graph.criticalPath, ['a']);
  });

  it('leaves out packages that have no wave', () => {
    const graph = g({ a: ['b'], b: ['a'], c: [] }, { a: 100, b: 100 });
    assert.deepEqual(graph.criticalPath, ['c']);
  });

  it('is empty for an empty plan', () => {
    assert.deepEqual(g({}).criticalPath, []);
  });

  it('is a real chain whose weight no other chain beats, on random DAGs', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ deps: fc.array(fc.nat(), { maxLength: 3 }), w: fc.integer({ min: 1, max: 9 }) }), { minLength: 1, maxLength: 25 }),
        (rows) => {
          const inputs = rows.map((r, i) => ({ id: `p${i}`, dependsOn: i ? r.deps.map((d) => `p${d % i}`) : [], weight: r.w }));
          const graph = buildGraph(inputs);
          const weight = (id: string) => inputs[graph.indexOf.get(id)!].weight;
          // Best chain ending at each node, by brute force in plan order (a topological order here).
          const best: number[] = [];
          inputs.forEach((p, i) => (best[i] = p.weight + Math.max(0, ...graph.deps[i].map((d) => best[d]))));
          const path = graph.criticalPath;
          for (let k = 1; k < path.length; k++) assert.ok(graph.deps[graph.indexOf.get(path[k])!].includes(graph.indexOf.get(path[k - 1])!));
          assert.equal(graph.deps[graph.indexOf.get(path[0])!].length, 0, 'starts at a root');
          assert.equal(path.reduce((s, id) => s + weight(id), 0), Math.max(...best));
        },
      ),
      { numRuns: 200 },
    );
  });
});
