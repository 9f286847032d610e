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
  it('many tasks naming one file: one warning per later task that may run in parallel, none along a chain', () => {
    const taskList = (n: number, dependsOnPrevious: boolean) =>
      JSON.stringify({ tasks: Array.from({ length: n }, (_, i) => ({ id: i + 1, title: `Task ${i + 1}`, details: 'Keep src/index.ts as it is.', dependencies: dependsOnPrevious && i > 0 ? [i] : [], status: 'pending' })) }, null, 2);
    const parallel = readForeignPlan('tasks.json', taskList(500, false));
    const same = codes(parallel, 'foreign-parallel-same-file');
    assert.equal(same.length, 499); // tasks 2..500, each told of task 1
    assert.ok(same.every((d) => d.message.includes('`src/index.ts`') && d.message.includes('and `1` may run in parallel')));
    assert.deepEqual([...new Set(same.map((d) => d.packageId))].length, 499);
    // A chain: every task waits for all before it, so none may run in parallel with another.
    const chain = readForeignPlan('tasks.json', taskList(3000, true));
    assert.equal(chain.plan.packages.length, 3000);
    assert.equal(codes(chain, 'foreign-parallel-same-file').length, 0);
    // Half a chain, half free: only the free ones are told, each of the first task.
    const mixed = readForeignPlan(
      'tasks.json',
      JSON.stringify({ tasks: Array.from({ length: 400 }, (_, i) => ({ id: i + 1, title: `Task ${i + 1}`, details: 'Edit src/index.ts.', dependencies: i > 0 && i < 200 ? [i] : [] })) }),
    );
    const told = codes(mixed, 'foreign-parallel-same-file');
    assert.deepEqual(told.map((d) => d.packageId), Array.from({ length: 200 }, (_, k) => `task-${k + 201}`));
    assert.ok(told.every((d) => /and `1` may run in parallel/.test(d.message)));
  });
});
