import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { detectFormat } from '../../../src/core/formats/foreignPlan';
import { at, deps, fixture, read } from './fixtures';

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
});
