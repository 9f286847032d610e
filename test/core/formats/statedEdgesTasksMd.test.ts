/**
 * A `tasks.md` converted keeps every dependency it states and adds no cycle of its own: random task
 * graphs written as spec-kit tasks (headings with `**Blockers**:`, check-boxes with `[Depends: …]`,
 * `[Blocks: …]` or a field under them) and as Kiro / cc-sdd tasks (`## N.` sections, `_Depends:_`,
 * `(P)`, optional `*` marks), read, converted and checked as `waves validate` checks the plan.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { convertToWorkPackages } from '../../../src/core/formats/convert';
import { readForeignPlan, type ForeignPlanResult } from '../../../src/core/formats/foreignPlan';
import { analyzePlan } from '../../../src/core/plan/analyze';

/** Task `i` states it waits for each of `waits[i]` (indexes); the graph is acyclic. */
const tasks = fc.integer({ min: 1, max: 10 }).chain((n) =>
  fc.record({
    order: fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
    pairs: fc.uniqueArray(fc.tuple(fc.nat({ max: n - 1 }), fc.nat({ max: n - 1 })), { maxLength: n * 2, selector: ([a, b]) => `${a} ${b}` }),
    shapes: fc.array(fc.nat({ max: 3 }), { minLength: n, maxLength: n }),
    breaks: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
  }).map(({ order, pairs, shapes, breaks }) => {
    // An edge a → b only when b comes before a in a random order: no cycle, in either direction of the list.
    const rank = new Map(order.map((v, i) => [v, i]));
    const waits = Array.from({ length: n }, () => [] as number[]);
    for (const [a, b] of pairs) if (rank.get(b)! < rank.get(a)!) waits[a].push(b);
    return { n, waits, shapes, breaks };
  }),
);

/** What the converted plan says, read back by the checker: whether it orders `a` after `b`, and whether it has a cycle. */
function checked(result: ForeignPlanResult) {
  const analysis = analyzePlan(convertToWorkPackages(result));
  const packageOf = new Map(result.packages.flatMap((p) => p.sourceIds.map((s) => [s, p.id] as const)));
  const after = new Map(analysis.plan.packages.map((p) => [p.id, new Set(p.dependsOn.map((d) => d.value))]));
  return {
    orders: (a: string, b: string) => {
      const [pa, pb] = [packageOf.get(a), packageOf.get(b)];
      return pa !== undefined && pb !== undefined && (pa === pb || after.get(pa)!.has(pb));
    },
    cyclic: analysis.diagnostics.some((d) => d.code === 'dependency-cycle') || analysis.graph.waves.flat().length !== analysis.plan.packages.length,
  };
}

describe('a tasks.md converted keeps every stated dependency and adds no cycle', () => {
  it('spec-kit: tasks as headings with Blockers, or check-boxes with [Depends: …], [Blocks: …] or a Blockers field', () => {
    fc.assert(
      fc.property(tasks, ({ n, waits, shapes, breaks }) => {
        const id = (i: number) => `T${String(i + 1).padStart(3, '0')}`;
        // A [Blocks: …] on b states a → b; it is written on b when a itself says nothing.
        const blocks = Array.from({ length: n }, () => [] as number[]);
        const said = waits.map((w, a) => (shapes[a] === 3 && w.length ? (w.forEach((b) => blocks[b].push(a)), []) : w));
        const lines = ['# Tasks: Random', ''];
        for (let i = 0; i < n; i++) {
          if (i === 0 || breaks[i]) lines.push(`## Phase ${i + 1}: Part`, '');
          const list = said[i].map(id).join(', ');
          const tags = blocks[i].length ? ` [Blocks: ${blocks[i].map(id).join(', ')}]` : '';
          if (shapes[i] === 0) lines.push(`### ${id(i)}: Task ${i} in src/t${i}.ts${tags}`, '', `**Blockers**: ${list || 'None'}`, '**Status**: Pending', '');
          else if (shapes[i] === 1) lines.push(`- [ ] ${id(i)}${list ? ` [Depends: ${list}]` : ''}${tags} Task ${i} in src/t${i}.ts`);
          else lines.push(`- [ ] **${id(i)}** [P]${tags} Task ${i} in src/t${i}.ts`, ...(list ? [`  - **Blockers**: ${list}`] : []));
        }
        const text = lines.join('\n') + '\n';
        const result = readForeignPlan('specs/001-random/tasks.md', text);
        assert.equal(result.format, 'spec-kit');
        assert.deepEqual(result.diagnostics.filter((d) => d.severity === 'error'), [], text);
        assert.equal(result.packages.length, n);
        const plan = checked(result);
        for (let a = 0; a < n; a++) for (const b of waits[a]) assert.ok(plan.orders(id(a), id(b)), `${id(a)} waits for ${id(b)}\n${text}`);
        assert.ok(!plan.cyclic, text);
      }),
      { numRuns: 300 },
    );
  });

  it('Kiro / cc-sdd: numbered tasks in `## N.` sections or not, _Depends:_, (P) and optional marks', () => {
    fc.assert(
      fc.property(tasks, fc.boolean(), ({ n, waits, shapes, breaks }, sections) => {
        // Task i's number: `s.k` in section s (a new section where `breaks` says), or `i + 1`.
        const keys: string[] = [];
        const starts = new Set<number>();
        for (let i = 0, section = 0, k = 0; i < n; i++) {
          if (sections && (i === 0 || breaks[i])) {
            section++;
            k = 0;
            starts.add(i);
          }
          keys.push(sections ? `${section}.${++k}` : String(i + 1));
        }
        const lines = ['# Implementation Plan', ''];
        for (let i = 0; i < n; i++) {
          if (starts.has(i)) lines.push(`## ${keys[i].split('.')[0]}. Part`, '');
          const mark = ['', '*', '\\*', ''][shapes[i]];
          const parallel = shapes[i] === 3 ? ' (P)' : '';
          lines.push(`- [ ]${mark} ${keys[i]}${sections ? '' : '.'} Task ${i} in src/t${i}.ts${parallel}`, '  - Write it');
          if (waits[i].length) lines.push(`  - _Depends: ${waits[i].map((b) => keys[b]).join(', ')}_`);
          lines.push('');
        }
        const text = lines.join('\n');
        const result = readForeignPlan('.kiro/specs/random/tasks.md', text);
        assert.equal(result.format, 'kiro');
        assert.deepEqual(result.diagnostics.filter((d) => d.severity !== 'info' && d.code !== 'foreign-no-write-scope'), [], text);
        assert.deepEqual(result.packages.flatMap((p) => p.sourceIds).sort(), [...keys].sort(), 'every task read, none a section');
        const plan = checked(result);
        for (let a = 0; a < n; a++) for (const b of waits[a]) assert.ok(plan.orders(keys[a], keys[b]), `${keys[a]} waits for ${keys[b]}\n${text}`);
        assert.ok(!plan.cyclic, text);
      }),
      { numRuns: 300 },
    );
  });
});
