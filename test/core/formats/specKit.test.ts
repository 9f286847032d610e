import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { at, codes, deps, fixture, read } from './fixtures';
import { convertPlan } from '../../../src/core/formats/conversion';
import { detectFormat, readForeignPlan } from '../../../src/core/formats/foreignPlan';
import { analyzePlan } from '../../../src/core/plan/analyze';

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

  it('tasks written as headings: Blockers are their dependencies (all of them), Status done is done, Parallel yes is parallel, [P1] a priority', () => {
    const r = read('spec-kit', 'heading-tasks.tasks.md');
    assert.equal(r.format, 'spec-kit');
    assert.equal(detectFormat('specs/004-password-reset/tasks.md', r.text), 'spec-kit');
    assert.deepEqual(r.plan.packages.map((p) => p.id), ['t001', 't002', 't003', 't004', 't005', 't006', 't007', 't008', 't009']);
    const t005 = r.plan.packages.find((p) => p.id === 't005')!;
    assert.equal(t005.title, 'Write unit tests for the token service in `tests/auth/resetTokens.test.ts`');
    assert.equal(at(r.text, t005.idRange), 'T005');
    assert.equal(t005.priority, 3, '[P1] is a priority, not the parallel mark');
    assert.match(t005.description!, /^User story US1\./);
    // Blockers: None, and a list: exactly those, nothing implied by the order.
    assert.deepEqual(deps(r, 't001'), []);
    assert.deepEqual(deps(r, 't002'), []);
    assert.deepEqual(deps(r, 't003'), ['t001']);
    assert.deepEqual(deps(r, 't004'), ['t002', 't003']);
    assert.deepEqual(deps(r, 't005'), ['t003']);
    const t004 = r.packages.find((p) => p.id === 't004')!;
    assert.deepEqual(t004.dependencies.map((d) => at(r.text, d.range)), ['T002', 'T003']);
    assert.match(r.text.slice(t004.dependencies[0].range.start - 14, t004.dependencies[0].range.end), /\*\*Blockers\*\*: T002/);
    // No Blockers field: the order of the phases (T006 is [P], like T004 and T005).
    assert.deepEqual(deps(r, 't006'), ['t003?']);
    // A range: each task in it, positioned on the range; Blocks: T009 waits for T007.
    assert.deepEqual(deps(r, 't007'), ['t004', 't005', 't006']);
    assert.deepEqual(r.packages.find((p) => p.id === 't007')!.dependencies.map((d) => at(r.text, d.range)), ['T004-T006', 'T004-T006', 'T004-T006']);
    assert.deepEqual(deps(r, 't009'), ['t007']);
    const blocks = r.packages.find((p) => p.id === 't009')!.dependencies[0];
    assert.equal(r.text.slice(blocks.range.start - 12, blocks.range.end), '**Blocks**: T009');
    // Blockers naming no task: said where, and the order of the list is read instead.
    const unread = codes(r, 'foreign-task-incomplete');
    assert.equal(unread.length, 1);
    assert.equal(at(r.text, unread[0].range), 'All tasks of user story 1');
    assert.equal(unread[0].packageId, null);
    assert.deepEqual(deps(r, 't008'), ['t007?']);
    const unknown = codes(r, 'foreign-dependency-unknown');
    assert.equal(unknown.length, 1);
    assert.equal(at(r.text, unknown[0].range), 'T012');
    // Status: Done is done; In progress is not, whatever its steps say.
    assert.deepEqual(r.packages.filter((p) => p.done).map((p) => p.id), ['t001', 't002']);
    assert.match(r.plan.packages[2].description!, /\[x\] Generate a 32-byte token and store only its hash\n\[ \] Expire tokens after 30 minutes/);
    // Every stated dependency is in the plan written.
    const yaml = convertPlan(r, { planFile: '/repo/specs/004/work-packages.yaml', source: '/repo/specs/004/tasks.md' }).yaml;
    const plan = analyzePlan(yaml).plan;
    const written = (id: string) => plan.packages.find((p) => p.id === id)!.dependsOn.map((d) => d.value);
    for (const p of r.packages) assert.deepEqual(written(p.id), p.dependencies.map((d) => d.id), p.id);
    assert.deepEqual(written('t007'), ['t004', 't005', 't006']);
  });

  it('a list of check-boxes without ids or phases: each a task named by its place (T1, T2, …), said once where the first is', () => {
    const { text } = fixture('spec-kit', 'no-ids.tasks.md');
    assert.equal(detectFormat('specs/012-dark-mode/tasks.md', text), 'spec-kit');
    assert.equal(detectFormat('notes.md', text), null, 'only a tasks.md is read as a task list for its check-boxes alone');
    const r = readForeignPlan('specs/012-dark-mode/tasks.md', text);
    assert.deepEqual(r.packages.map((p) => p.sourceIds), [['T1'], ['T2'], ['T3'], ['T4'], ['T5']]);
    assert.equal(r.plan.packages[2].title, 'Add the toggle to `src/components/SettingsPanel.tsx`');
    assert.equal(r.plan.packages[2].description, '[ ] Keyboard shortcut\n[ ] Remember the choice');
    assert.deepEqual(r.packages.map((p) => p.done), [true, true, false, false, false]);
    assert.deepEqual(deps(r, 't2'), ['t1?']);
    assert.deepEqual(deps(r, 't5'), ['t4?']);
    assert.equal(codes(r, 'foreign-task-incomplete').length, 0);
    const named = codes(r, 'foreign-id-from-position');
    assert.equal(named.length, 1);
    assert.equal(named[0].severity, 'info');
    assert.equal(text.slice(named[0].range.start, named[0].range.end + 14), '[x] Add a `theme`');
    assert.ok(r.notes.some((n) => /named by their place \(T1 to T5\)/.test(n)));
  });

  it('ids written bold or in brackets, [Depends: …] and [Blocks: …] tags, and fields under a check-box task', () => {
    const text = [
      '# Tasks: Pipeline',
      '',
      '## Phase 1: Setup',
      '',
      '**Blockers**: None',
      '',
      '- [x] **T001** [Foundational] [P1] Create `backend/app/analytics/pipeline.py`',
      '- [x] [T002] [P] Add the settings in `backend/app/config.py`',
      '',
      '## Phase 2: Filters',
      '',
      '**Blockers**: T001-T002',
      '',
      '- [ ] **T003** [US1] [P1] [Depends: T001] [Blocks: T005] Implement IngestFilter in `backend/app/analytics/ingest.py`',
      '- [ ] T004 [P] Implement RankFilter in `backend/app/analytics/rank.py`',
      '  - **Blockers**: T002',
      '  - **Status**: Done',
      '- [ ] T005 Wire the filters together in `backend/app/analytics/pipeline.py`',
      '- [ ] T005a Add the retry in `backend/app/analytics/retry.py` (depends on T004)',
      '',
    ].join('\n');
    const r = readForeignPlan('specs/020-pipeline/tasks.md', text);
    assert.deepEqual(r.packages.map((p) => p.sourceIds[0]), ['T001', 'T002', 'T003', 'T004', 'T005', 'T005a']);
    assert.equal(r.plan.packages[0].title, 'Create `backend/app/analytics/pipeline.py`');
    assert.equal(r.plan.packages[0].priority, 3);
    assert.match(r.plan.packages[0].description!, /\[Foundational\]/);
    assert.deepEqual(deps(r, 't002'), ['t001?']);
    // The phase's Blockers: what its first step waits for, explicit (T003 is not [P]: the first step alone).
    assert.deepEqual(deps(r, 't003'), ['t001', 't002']);
    assert.deepEqual(r.packages[2].dependencies.map((d) => at(text, d.range)), ['T001', 'T001-T002']);
    // A Blockers field under a check-box task: its dependencies, all of them; its Status too.
    assert.deepEqual(deps(r, 't004'), ['t002']);
    assert.equal(r.packages[3].done, true);
    // [Blocks: T005] on T003: T005 waits for T003 (written there), and for T004 by order.
    assert.deepEqual(deps(r, 't005'), ['t004?', 't003']);
    assert.equal(at(text, r.packages[4].dependencies[1].range), 'T005');
    assert.deepEqual(deps(r, 't005a'), ['t004', 't005?']);
    assert.equal(codes(r, 'foreign-task-incomplete').length, 0);
  });

  it('an OpenSpec change whose tasks are written as spec-kit headings (`### T1.1 — …`) is read as spec-kit', () => {
    const text = ['# Tasks: Quality Gate', '', '## Phase 1: Fix Failing Tests', '', '### T1.1 — Fix the ANSI test failures ✅', '- **Acceptance**: both repos green.', '', '### T1.2 — Remove the unused `tenacity` dependency', '- **Depends**: T1.1', ''].join('\n');
    assert.equal(detectFormat('openspec/changes/quality-gate/tasks.md', text), 'spec-kit');
    const r = readForeignPlan('openspec/changes/quality-gate/tasks.md', text);
    assert.deepEqual(r.packages.map((p) => [p.sourceIds[0], p.done]), [['T1.1', true], ['T1.2', false]]);
    assert.equal(r.plan.packages[0].title, 'Fix the ANSI test failures');
    assert.deepEqual(deps(r, r.packages[1].id), [r.packages[0].id]);
  });
});

