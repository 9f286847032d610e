import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { buildGraph, type GraphInput } from '../../../src/core/plan/graph';

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
