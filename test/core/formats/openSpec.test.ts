import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { detectFormat, readForeignPlan } from '../../../src/core/formats/foreignPlan';
import { tickTasks } from '../../../src/core/formats/tick';
import { at, codes, deps, fixture, read } from './fixtures';

describe('OpenSpec tasks.md', () => {
  it('each section a package, its tasks (nested numbers too) in it; sections in order (implied)', () => {
    const r = read('openspec', '2025-08-13-add-archive-command.tasks.md');
    assert.equal(r.format, 'openspec');
    assert.deepEqual(r.plan.packages.map((p) => p.id), ['section-1', 'section-2', 'section-3', 'section-4', 'section-5']);
    assert.ok(r.packages[0].sourceIds.includes('1.1.4.1'));
    assert.equal(at(r.text, r.plan.packages[1].idRange), '2');
    assert.deepEqual(deps(r, 'section-2'), ['section-1?']);
    assert.deepEqual(r.packages[1].writeGuesses.map((g) => g.value), ['src/cli/index.ts']);
  });

  it('is told from Kiro by its content when the path does not tell', () => {
    const { text } = fixture('openspec', 'add-global-install-scope.tasks.md');
    assert.equal(detectFormat('tasks.md', text), 'openspec');
    assert.equal(detectFormat('tasks.md', fixture('kiro', 'customer-support-rag-backend-en.tasks.md').text), 'kiro');
    assert.equal(detectFormat('tasks.md', fixture('spec-kit', 'tasks-template.md').text), 'spec-kit');
    assert.equal(detectFormat('notes.md', '# Notes\n\nNothing here.\n'), null);
  });

  it('`## 1)` sections over check-boxes without numbers: each section a package, its check-boxes its steps, named by their place', () => {
    const r = read('openspec', '2025-08-19-add-interactive-show-command.tasks.md');
    assert.equal(r.format, 'openspec');
    assert.equal(detectFormat('tasks.md', r.text), 'openspec');
    assert.equal(codes(r, 'foreign-task-incomplete').length, 0);
    assert.deepEqual(r.plan.packages.map((p) => p.id), ['section-1', 'section-2', 'section-3', 'section-4', 'section-5', 'section-6', 'section-7', 'section-8', 'section-9']);
    assert.equal(r.plan.packages[0].title, 'CLI wiring');
    assert.deepEqual(r.packages[0].sourceIds, ['1', '1.1', '1.2', '1.3']);
    assert.deepEqual(r.packages[6].sourceIds, ['7', '7.1', '7.2', '7.3']);
    assert.equal(at(r.text, r.plan.packages[0].idRange), '1');
    assert.match(r.plan.packages[0].description!, /Acceptance:/, 'the text under a section is its description');
    assert.equal(r.packages[0].writeGuesses[0].value, 'src/cli/index.ts');
    assert.deepEqual(deps(r, 'section-2'), ['section-1?']);
    assert.ok(r.packages.every((p) => p.done), 'an archived change: every step checked');
    const named = codes(r, 'foreign-id-from-position');
    assert.equal(named.length, 1);
    assert.equal(r.text.slice(named[0].range.start, named[0].range.start + 25), '[x] In `src/cli/index.ts`');
    // "## Goals" and "## Notes on consistency" hold no check-box: no package.
    assert.ok(!r.plan.packages.some((p) => /Goals|Notes/.test(p.title ?? '')));
  });

  it('steps named by their place are ticked in the source by those names', () => {
    const text = fixture('openspec', '2025-08-19-add-interactive-show-command.tasks.md').text.replace(/- \[x\]/g, '- [ ]');
    const r = readForeignPlan('openspec/changes/add-interactive-show-command/tasks.md', text);
    assert.ok(r.packages.every((p) => !p.done));
    const ticked = tickTasks('openspec', text, ['1.2', '5.1', '5'])!;
    assert.deepEqual(ticked.ticked, ['1.2', '5.1']);
    assert.deepEqual(ticked.unmarked, ['5']);
    const changed = ticked.text.split('\n').filter((line, i) => line !== text.split('\n')[i]);
    assert.deepEqual(changed, ['- [x] Update `change show` subcommand to accept `--no-interactive` and pass it to `ChangeCommand.show(...)`.', '- [x] Extract `nearestMatches` and `levenshtein` from `src/commands/validate.ts` into `src/utils/match.ts` (exported helpers).']);
  });
});

