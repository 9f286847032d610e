import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { readForeignPlan } from '../../../src/core/formats/foreignPlan';
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
