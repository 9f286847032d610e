import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { at, codes, deps, read } from './fixtures';
import { detectFormat, readForeignPlan } from '../../../src/core/formats/foreignPlan';

describe('spec-kit tasks.md', () => {
  it("reads spec-kit's own template: one package a task, phases and [P] runs as implied dependencies", () => {
    const r = read('spec-kit', 'tasks-template.md');
    assert.equal(r.format, 'spec-kit');
    assert.equal(r.plan.packages.length, 28);
    const t001 = r.plan.packages[0];
    assert.equal(t001.id, 't001');
    assert.equal(at(r.text, t001.idRange), 'T001');
    assert.equal(t001.title, 'Create project structure per implementation plan');
    // Phase 1: T001, T002 in order, T003 [P] after T002.
    assert.deepEqual(deps(r, 't002'), ['t001?']);
    assert.deepEqual(deps(r, 't003'), ['t002?']);
    // Phase 2 waits for phase 1's last step; T005 and T006 [P] run together, T007 waits for both.
    assert.deepEqual(deps(r, 't004'), ['t003?']);
    assert.deepEqual(deps(r, 't005'), ['t004?']);
    assert.deepEqual(deps(r, 't006'), ['t004?']);
    assert.deepEqual(deps(r, 't007'), ['t005?', 't006?']);
    // "(depends on T012, T013)" is explicit, positioned on each id; the [P] tests before it implied.
    assert.deepEqual(deps(r, 't014'), ['t012', 't013', 't010?', 't011?']);
    const t014 = r.packages.find((p) => p.id === 't014')!;
    assert.equal(at(r.text, t014.dependencies[0].range), 'T012');
    assert.match(r.text.slice(t014.dependencies[0].range.start - 12, t014.dependencies[0].range.end), /depends on T012/);
    // Each user story waits only for the foundational phase, not for the story before it.
    assert.deepEqual(deps(r, 't018'), ['t009?']);
    assert.deepEqual(deps(r, 't024'), ['t009?']);
    // The TXXX placeholders of the last phase are half-written tasks, positioned on their line.
    const incomplete = codes(r, 'foreign-task-incomplete');
    assert.equal(incomplete.length, 6);
    assert.match(at(r.text, incomplete[0].range), /^- \[ \] TXXX \[P\] Documentation updates in docs\/$/);
    // Template placeholders (`src/models/[entity1].py`) are no path.
    assert.deepEqual(r.packages.find((p) => p.id === 't012')!.writeGuesses, []);
  });

  it('guesses write scopes from the paths a task names, and finds parallel tasks naming one file', () => {
    const r = read('spec-kit', '001-photo-albums.tasks.md');
    const t005 = r.packages.find((p) => p.id === 't005')!;
    assert.deepEqual(t005.writeGuesses.map((g) => g.value), ['backend/src/storage/albums.py']);
    assert.equal(at(r.text, t005.writeGuesses[0].range), 'backend/src/storage/albums.py');
    assert.deepEqual(r.plan.packages.find((p) => p.id === 't005')!.scope.writeAllow, []);
    const noScope = codes(r, 'foreign-no-write-scope').find((d) => d.packageId === 't005')!;
    assert.match(noScope.message, /`backend\/src\/storage\/albums\.py`/);
    assert.equal(at(r.text, noScope.range), 'T005');
    // T011 (story 1) and T013 (story 2) may run in parallel and both name backend/src/api/albums.py.
    const same = codes(r, 'foreign-parallel-same-file');
    assert.equal(same.length, 1);
    assert.equal(same[0].packageId, 't013');
    assert.equal(at(r.text, same[0].range), 'backend/src/api/albums.py');
    // The polish phase waits for the last step of every story.
    assert.deepEqual(deps(r, 't015'), ['t011?', 't014?']);
    assert.deepEqual(deps(r, 't014'), ['t013', 't012?']);
    assert.ok(r.packages.find((p) => p.id === 't001')!.done);
  });

  it('reports bad input at its place and never throws', () => {
    const r = read('spec-kit', 'broken.tasks.md');
    const dup = codes(r, 'foreign-duplicate-id');
    assert.equal(dup.length, 1);
    assert.equal(at(r.text, dup[0].range), 'T002');
    assert.equal(r.text.slice(dup[0].range.start, dup[0].range.end + 10), 'T002 Duplicate');
    assert.equal(codes(r, 'foreign-dependency-cycle').length, 1);
    const unknown = codes(r, 'foreign-dependency-unknown');
    assert.equal(at(r.text, unknown[0].range), 'T099');
    assert.equal(codes(r, 'foreign-task-incomplete').length, 2);
  });

  it('a list whose ids have four digits or more (T0001) is a spec-kit list too', () => {
    const text = '# Tasks: Big\n\n## Phase 1: Setup\n\n- [ ] T0001 Create src/a.ts\n- [ ] T0002 [P] Create src/b.ts depends on T0001\n';
    assert.equal(detectFormat('tasks.md', text), 'spec-kit');
    const r = readForeignPlan('tasks.md', text);
    assert.deepEqual(r.packages.map((p) => p.sourceIds), [['T0001'], ['T0002']]);
    assert.deepEqual(deps(r, r.packages[1].id), [r.packages[0].id]);
  });
});
