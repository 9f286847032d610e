/**
 * Conversion keeps every dependency the source states and adds no cycle: random task graphs — beads
 * issues nested in epics with `blocks` dependencies, Spec Kitty work packages stating dependencies
 * in their front matter and in tasks.md — read, converted and checked as `waves validate` checks
 * the written plan.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { convertToWorkPackages } from '../../../src/core/formats/convert';
import { readForeignFolder, readForeignPlan, type ForeignPlanResult } from '../../../src/core/formats/foreignPlan';
import { analyzePlan } from '../../../src/core/plan/analyze';

type Edge = [from: number, to: number];

/** Whether the graph on `n` nodes has a cycle (a node waiting for itself is none: it orders nothing). */
function cyclic(n: number, edges: readonly Edge[]): boolean {
  const next = Array.from({ length: n }, () => [] as number[]);
  for (const [a, b] of edges) if (a !== b) next[a].push(b);
  const state = new Array<number>(n).fill(0);
  const visit = (v: number): boolean => {
    state[v] = 1;
    for (const w of next[v]) if (state[w] === 1 || (state[w] === 0 && visit(w))) return true;
    state[v] = 2;
    return false;
  };
  return next.some((_, v) => state[v] === 0 && visit(v));
}

/** The plan `waves convert` writes, as the checker reads it back; each source id's package. */
function written(result: ForeignPlanResult) {
  const analysis = analyzePlan(convertToWorkPackages(result));
  const packageOf = new Map<string, string>();
  result.packages.forEach((p) => p.sourceIds.forEach((s) => packageOf.set(s, p.id)));
  const dependsOn = new Map(analysis.plan.packages.map((p) => [p.id, new Set(p.dependsOn.map((d) => d.value))]));
  /** Whether the written plan orders `from` after `to`: in one package, or its package depends on the other's. */
  const kept = (from: string, to: string) => {
    const [a, b] = [packageOf.get(from), packageOf.get(to)];
    return a !== undefined && b !== undefined && (a === b || dependsOn.get(a)!.has(b));
  };
  const inWaves = analysis.graph.waves.flat().length;
  return { analysis, packageOf, kept, acyclic: inWaves === analysis.plan.packages.length && !analysis.diagnostics.some((d) => d.code === 'dependency-cycle') };
}

const graph = (max: number) =>
  fc.integer({ min: 1, max }).chain((n) =>
    fc.record({
      n: fc.constant(n),
      /** Each task's parent (an index), or none. */
      parents: fc.array(fc.option(fc.nat({ max: n - 1 }), { nil: undefined, freq: 2 }), { minLength: n, maxLength: n }),
      edges: fc.uniqueArray(fc.tuple(fc.nat({ max: n - 1 }), fc.nat({ max: n - 1 })), { maxLength: n * 2, selector: ([a, b]) => `${a} ${b}` }),
      /** Usually a DAG: an edge against this order is dropped unless `back`. */
      back: fc.boolean(),
      order: fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
    }),
  );

describe('conversion keeps every stated dependency and adds no cycle', () => {
  it('beads: epics with their issues folded in, and blocks dependencies', () => {
    fc.assert(
      fc.property(graph(24), ({ n, parents, edges, back, order }) => {
        const rank = new Map(order.map((v, i) => [v, i]));
        const deps: Edge[] = edges.filter(([a, b]) => a !== b && (back || rank.get(a)! > rank.get(b)!));
        // Parents form a forest (a parent earlier in the order), or now and then whatever was drawn: loops of parents too.
        const parent = back ? parents : parents.map((p, i) => (p !== undefined && rank.get(p)! < rank.get(i)! ? p : undefined));
        const id = (i: number) => `bd-${order[i] + 1}`;
        const lines = [...Array(n).keys()].map((i) => {
          const dependencies = [
            ...deps.filter(([a]) => a === i).map(([, b]) => ({ issue_id: id(i), depends_on_id: id(b), type: 'blocks' })),
            ...(parent[i] !== undefined ? [{ issue_id: id(i), depends_on_id: id(parent[i]), type: 'parent-child' }] : []),
          ];
          return JSON.stringify({ id: id(i), title: `Issue ${i}`, description: `Touches src/f${i}.go`, status: 'open', priority: 2, issue_type: parents.includes(i) ? 'epic' : 'task', dependencies });
        });
        const result = readForeignPlan('.beads/issues.jsonl', lines.join('\n') + '\n');
        const { packageOf, kept, acyclic } = written(result);
        assert.equal(packageOf.size, n, 'every issue is in a package');
        for (const [a, b] of deps) assert.ok(kept(id(a), id(b)), `${id(a)} blocks on ${id(b)}`);
        if (!cyclic(n, deps)) {
          assert.ok(acyclic, 'no cycle the issues do not have');
          assert.deepEqual(result.diagnostics.filter((d) => d.code === 'foreign-dependency-cycle'), []);
        }
        // An issue kept out of its epic's package is said, on its id.
        for (const d of result.diagnostics.filter((x) => x.code === 'foreign-nested-apart')) {
          const key = /^`([^`]+)`/.exec(d.message)![1];
          assert.equal(packageOf.get(key), d.packageId);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('Spec Kitty: dependencies in the front matter, in tasks.md, or both', () => {
    const forms = ['- Depends on {}.', '**Dependencies**: {}', '- **Priority**: P1 · **Depends on**: {}', 'LIST'] as const;
    fc.assert(
      fc.property(
        graph(9),
        fc.array(fc.nat({ max: 2 }), { minLength: 9, maxLength: 9 }),
        fc.array(fc.nat({ max: 3 }), { minLength: 9, maxLength: 9 }),
        ({ n, edges, order }, where, form) => {
          const wp = (i: number) => `WP${String(order[i] + 1).padStart(2, '0')}`;
          // Each edge stated in the front matter (0), in tasks.md (1) or in both (2).
          const fm: Edge[] = [];
          const md: Edge[] = [];
          edges.filter(([a, b]) => a !== b).forEach((e, k) => {
            const w = where[k % where.length];
            if (w !== 1) fm.push(e);
            if (w !== 0) md.push(e);
          });
          const list = (edgesOf: Edge[], i: number) => edgesOf.filter(([a]) => a === i).map(([, b]) => wp(b));
          const files = [...Array(n).keys()].map((i) => {
            const mine = list(fm, i);
            const deps = mine.length ? `dependencies:\n${mine.map((d) => `- ${d}\n`).join('')}` : i % 2 ? 'dependencies: []\n' : '';
            return { path: `f/tasks/${wp(i)}-x.md`, text: `---\nwork_package_id: ${wp(i)}\ntitle: T${i}\n${deps}owned_files:\n- src/${wp(i)}.py\n---\n# ${wp(i)}\n` };
          });
          const sections = [...Array(n).keys()].map((i) => {
            const mine = list(md, i);
            const f = forms[form[i]];
            const body = mine.length === 0 ? '### Dependencies\n\n- None (starting package).' : f === 'LIST' ? `### Dependencies\n\n${mine.map((d) => `- ${d}`).join('\n')}` : f.replace('{}', mine.join(', '));
            return `## Work Package ${wp(i)}: T${i}\n\n**Goal**: ${wp(i)}.\n\n${body}\n`;
          });
          const tasksMd = `# Work Packages\n\n${sections.join('\n')}\n## Dependency & Execution Summary\n\n- Depends on WP01 for everything.\n`;
          const result = readForeignFolder([...files, { path: 'f/tasks.md', text: tasksMd }]);
          const { kept, acyclic } = written(result);
          for (const [a, b] of fm) assert.ok(kept(wp(a), wp(b)), `front matter: ${wp(a)} → ${wp(b)}`);
          const refused = result.diagnostics.filter((d) => d.code === 'foreign-dependencies-disagree' && /not read/.test(d.message));
          for (const [a, b] of md) {
            if (kept(wp(a), wp(b))) continue;
            // Left out only where it would close a cycle through a front matter: said in tasks.md, on the id, and in a work package.
            const said = refused.find((d) => d.file === 'f/tasks.md' && d.message.startsWith(`tasks.md says \`${wp(a)}\` depends on \`${wp(b)}\``));
            assert.ok(said, `tasks.md: ${wp(a)} → ${wp(b)} is neither kept nor said`);
            assert.equal(tasksMd.slice(said.range.start, said.range.end), wp(b));
            assert.ok(refused.some((d) => d.file !== 'f/tasks.md'), 'and in the front matter it contradicts');
          }
          // No cycle but one the source states in one place.
          if (!cyclic(n, fm) && !cyclic(n, md)) assert.ok(acyclic, 'no cycle from putting the two together');
          if (!cyclic(n, [...fm, ...md])) assert.equal(refused.length, 0);
        },
      ),
      { numRuns: 400 },
    );
  });
});
