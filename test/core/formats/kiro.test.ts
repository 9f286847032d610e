import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { readForeignPlan } from '../../../src/core/formats/foreignPlan';
import { at, codes, deps, read } from './fixtures';

describe('Kiro and cc-sdd tasks.md', () => {
  it('Kiro: sub-tasks go into their major task; each major task waits for the one before (implied)', () => {
    const r = read('kiro', 'photo-albums-en.tasks.md');
    assert.equal(r.format, 'kiro');
    assert.equal(r.plan.packages[0].id, 'task-1');
    assert.deepEqual(r.packages[0].sourceIds, ['1', '1.1', '1.2']);
    assert.equal(at(r.text, r.plan.packages[0].idRange), '1');
    assert.match(r.plan.packages[0].description!, /1\.2 Configure AWS services/);
    assert.deepEqual(deps(r, 'task-2'), ['task-1?']);
    assert.equal(codes(r, 'foreign-implied-dependency').length, r.plan.packages.length - 1);
  });

  it('Kiro (sub-tasks indented, Japanese text): the same packages', () => {
    const r = read('kiro', 'vercel-ai-chatui-research-agent-ja.tasks.md');
    assert.equal(r.plan.packages.length, 7);
    assert.deepEqual(r.packages[0].sourceIds, ['1', '1.1', '1.2', '1.3']);
    assert.match(r.plan.packages[0].description!, /Requirements: 3\.1, 6\.1/);
  });

  it('cc-sdd with (P): each sub-task a package, parallel within its section, sections in order', () => {
    const r = read('kiro', 'customer-support-rag-backend-en.tasks.md');
    assert.ok(r.notes.some((n) => /\(P\)/.test(n)));
    assert.deepEqual(r.packages.slice(0, 3).map((p) => p.id), ['task-1-1', 'task-1-2', 'task-1-3']);
    assert.deepEqual(deps(r, 'task-1-2'), []);
    assert.deepEqual(deps(r, 'task-2-1'), ['task-1-1?', 'task-1-2?', 'task-1-3?']);
    assert.equal(at(r.text, r.plan.packages[0].idRange), '1.1');
  });

  it('_Depends:_ is explicit, positioned on the id; unknown ones and cycles are errors', () => {
    const text = ['# Implementation Plan', '', '- [ ] 1. Models (P)', '  - Create src/models/a.ts', '', '- [ ] 2. Service (P)', '  - _Depends: 1, 7_', '  - Edit src/models/a.ts', '- [ ] 3. Loop', '  - _Depends: 4_', '- [ ] 4. Back', '  - _Depends: 3_', ''].join('\n');
    const r = readForeignPlan('.kiro/specs/x/tasks.md', text);
    assert.deepEqual(deps(r, 'task-2'), ['task-1']);
    assert.equal(at(text, r.packages[1].dependencies[0].range), '1');
    assert.equal(at(text, codes(r, 'foreign-dependency-unknown')[0].range), '7');
    assert.equal(codes(r, 'foreign-dependency-cycle').length, 1);
    assert.equal(codes(r, 'foreign-parallel-same-file').length, 0); // 2 waits for 1
  });
});
