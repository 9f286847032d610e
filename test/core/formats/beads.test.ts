import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { convertToWorkPackages } from '../../../src/core/formats/convert';
import { readForeignPlan } from '../../../src/core/formats/foreignPlan';
import { analyzePlan } from '../../../src/core/plan/analyze';
import { at, codes, read } from './fixtures';

describe('beads issues.jsonl', () => {
  it('parent-child nests an issue in its epic; blocks is an explicit dependency', () => {
    const r = read('beads', 'issues-37f3a8da.jsonl');
    assert.equal(r.format, 'beads');
    const epic = r.packages.find((p) => p.id === 'bd-9')!;
    assert.ok(epic.sourceIds.includes('bd-10') && epic.sourceIds.includes('bd-12'));
    assert.equal(at(r.text, r.plan.packages.find((p) => p.id === 'bd-9')!.idRange), '"bd-9"');
    assert.ok(r.packages.every((p) => p.dependencies.length === 0)); // parent-child only: nesting, no order
  });

  it('blocks: an explicit dependency, positioned on depends_on_id', () => {
    const r = read('beads', 'issues-5db7dffa.jsonl');
    const blocked = r.packages.filter((p) => p.dependencies.length > 0);
    assert.equal(blocked.length, 1);
    assert.equal(blocked[0].dependencies[0].kind, 'explicit');
    assert.equal(at(r.text, blocked[0].dependencies[0].range), `"${blocked[0].dependencies[0].id}"`);
  });

  it('a line that is not JSON is an error on that line; the others are read', () => {
    const text = '{"id":"bd-1","title":"A","status":"open","issue_type":"task"}\n{"id":"bd-2",\n{"id":"bd-3","title":"C in src/c.go","status":"open","issue_type":"task","dependencies":[{"issue_id":"bd-3","depends_on_id":"bd-1","type":"blocks"},{"issue_id":"bd-3","depends_on_id":"bd-7","type":"blocks"}]}\n';
    const r = readForeignPlan('.beads/issues.jsonl', text);
    assert.deepEqual(r.plan.packages.map((p) => p.id), ['bd-1', 'bd-3']);
    const bad = codes(r, 'foreign-not-format');
    assert.equal(bad.length, 1);
    assert.ok(bad[0].range.start > text.indexOf('\n') && bad[0].range.start <= text.indexOf('\n', text.indexOf('\n') + 1));
    assert.equal(at(text, codes(r, 'foreign-dependency-unknown')[0].range), '"bd-7"');
    assert.deepEqual(r.packages[1].writeGuesses.map((g) => at(text, g.range)), ['src/c.go']);
  });
});

describe('beads: an epic\'s issues folded into its package only where that makes no cycle', () => {
  const KEPT = ['bd-234', 'bd-237', 'bd-238', 'bd-239', 'bd-240', 'bd-241', 'bd-242', 'bd-243', 'bd-244', 'bd-245', 'bd-247'];

  it('epics bd-222 and bd-224 each wait for an issue of the other: those issues are packages of their own, said on their ids', () => {
    const r = read('beads', 'issues-ab809c5b.jsonl');
    assert.deepEqual(codes(r, 'foreign-dependency-cycle'), []);
    const apart = codes(r, 'foreign-nested-apart');
    assert.deepEqual(apart.map((d) => [d.severity, d.packageId, at(r.text, d.range)]), KEPT.map((id) => ['info', id, `"${id}"`]));
    assert.match(apart[3].message, /^`bd-239` is a package of its own, not part of `bd-224`'s: folded into it, it would make a dependency cycle the source does not have \(`bd-224` → `bd-222` → `bd-224`\)\.$/);
    // What makes no cycle stays folded, here and in the other epics.
    assert.deepEqual(r.packages.find((p) => p.id === 'bd-224')!.sourceIds, ['bd-224', 'bd-235', 'bd-236']);
    assert.ok(r.packages.find((p) => p.id === 'bd-9')!.sourceIds.includes('bd-12'));
    // Every package has a wave in the plan written.
    const a = analyzePlan(convertToWorkPackages(r));
    assert.equal(a.graph.waves.flat().length, r.plan.packages.length);
    assert.ok(!a.diagnostics.some((d) => d.code === 'dependency-cycle'));
  });

  it('every blocks dependency of the file is kept, between packages or inside one', () => {
    const r = read('beads', 'issues-ab809c5b.jsonl');
    const packageOf = new Map(r.packages.flatMap((p) => p.sourceIds.map((s) => [s, p] as const)));
    let blocks = 0;
    for (const line of r.text.split('\n').filter(Boolean)) {
      const issue = JSON.parse(line) as { id: string; dependencies?: { depends_on_id: string; type: string }[] };
      for (const d of issue.dependencies ?? []) {
        if (d.type !== 'blocks' || !packageOf.has(d.depends_on_id)) continue;
        blocks++;
        const [from, to] = [packageOf.get(issue.id)!, packageOf.get(d.depends_on_id)!];
        assert.ok(from === to || from.dependencies.some((x) => x.id === to.id), `${issue.id} → ${d.depends_on_id}`);
      }
    }
    assert.ok(blocks > 20);
  });

  it('a loop of parents is no nesting: each issue a package of its own, nothing lost', () => {
    const issue = (id: string, parent: string) => JSON.stringify({ id, title: id, status: 'open', issue_type: 'epic', dependencies: [{ issue_id: id, depends_on_id: parent, type: 'parent-child' }] });
    const r = readForeignPlan('.beads/issues.jsonl', [issue('bd-1', 'bd-2'), issue('bd-2', 'bd-1'), issue('bd-3', 'bd-1')].join('\n'));
    assert.deepEqual(r.packages.map((p) => p.sourceIds), [['bd-1'], ['bd-2'], ['bd-3']]);
    const loops = codes(r, 'foreign-parent-loop');
    assert.deepEqual(loops.map((d) => d.message), [
      'Task `bd-1` is nested in itself (`bd-1` in `bd-2` in `bd-1`): it becomes a package of its own.',
      'Task `bd-2` is nested in itself (`bd-2` in `bd-1` in `bd-2`): it becomes a package of its own.',
    ]);
  });
});
