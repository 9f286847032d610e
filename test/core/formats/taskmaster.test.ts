import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { readForeignPlan } from '../../../src/core/formats/foreignPlan';
import { at, codes, deps, fixture, read } from './fixtures';

describe('Taskmaster tasks.json', () => {
  it('tagged lists: the master tag, sub-tasks in their task, every dependency explicit', () => {
    const r = read('taskmaster', 'tagged.tasks.json');
    assert.equal(r.format, 'taskmaster');
    assert.deepEqual(r.plan.packages.map((p) => p.id), ['task-1', 'task-2', 'task-3', 'task-4']);
    assert.deepEqual(r.packages[0].sourceIds, ['1', '1.1', '1.2']);
    assert.equal(at(r.text, r.plan.packages[0].idRange), '1');
    assert.deepEqual(deps(r, 'task-3'), ['task-1', 'task-2']);
    assert.deepEqual(deps(r, 'task-4'), ['task-2']); // "2.2": a sub-task, lifted to its task
    assert.equal(at(r.text, r.packages[3].dependencies[0].range), '"2.2"');
    assert.equal(r.plan.packages[0].priority, 2);
    assert.ok(r.notes.some((n) => /master, feature-billing/.test(n)));
    const same = codes(r, 'foreign-parallel-same-file');
    assert.equal(same.length, 1);
    assert.equal(at(r.text, same[0].range), 'src/app.ts');
    assert.equal(same[0].packageId, 'task-4');
  });

  it('--tag reads another list', () => {
    const { file, text } = fixture('taskmaster', 'tagged.tasks.json');
    const r = readForeignPlan(file, text, { tag: 'feature-billing' });
    assert.deepEqual(r.plan.packages.map((p) => p.title), ['Stripe client']);
  });

  it('the older layout { "tasks": [...] }', () => {
    const r = read('taskmaster', 'legacy.tasks.json');
    assert.equal(r.plan.packages.length, 3);
    assert.deepEqual(deps(r, 'task-3'), ['task-1']);
    assert.deepEqual(r.packages[1].writeGuesses.map((g) => g.value), ['src/cli/args.ts', 'src/cli/help.ts']);
  });

  it('bad input: positioned diagnostics, never a throw', () => {
    const r = read('taskmaster', 'broken.tasks.json');
    assert.equal(codes(r, 'foreign-dependency-cycle').length, 1);
    assert.equal(at(r.text, codes(r, 'foreign-dependency-unknown')[0].range), '99');
    assert.equal(codes(r, 'foreign-duplicate-id').length, 1);
    assert.equal(codes(r, 'foreign-task-incomplete').length, 2);
    const notJson = readForeignPlan('tasks.json', '{ "tasks": [ { "id": 1, ');
    assert.equal(notJson.diagnostics[0].code, 'foreign-not-format');
    assert.equal(notJson.plan.packages.length, 0);
    const noTasks = readForeignPlan('tasks.json', '{ "name": "x" }');
    assert.equal(noTasks.diagnostics[0].code, 'foreign-not-format');
  });
});
