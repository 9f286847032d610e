import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { detectFormat, readForeignPlan } from '../../../src/core/formats/foreignPlan';
import { at, codes, deps, fixture, read } from './fixtures';

/** A Kiro fixture read where Kiro keeps it (the path tells the format). */
function readKiro(name: string, edit: (text: string) => string = (t) => t) {
  const text = edit(fixture('kiro', name).text);
  return { ...readForeignPlan(`.kiro/specs/${name.replace(/\.tasks\.md$/, '')}/tasks.md`, text), text };
}

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

  it('cc-sdd: an optional task (`7.9*`) is read, said optional; the tasks after it wait for it', () => {
    const r = read('kiro', 'customer-support-rag-backend-en.tasks.md');
    assert.equal(codes(r, 'foreign-task-incomplete').length, 0);
    const p = r.packages.find((x) => x.id === 'task-7-9')!;
    assert.deepEqual(p.sourceIds, ['7.9']);
    assert.match(r.plan.packages.find((x) => x.id === 'task-7-9')!.description!, /^Optional/);
    assert.deepEqual(deps(r, 'task-7-9'), ['task-7-8?']);
    assert.deepEqual(deps(r, 'task-8-1'), ['task-7-9?']);
  });

  it('optional sub-tasks (`- [ ]* 2.7`, and `- [ ]\\* 2.7` as editors save them) stay in their major task, said optional', () => {
    const plain = readKiro('password-reset-via-email.tasks.md');
    const escaped = readKiro('password-reset-via-email.tasks.md', (t) => t.replace(/^(\s*- \[[ x]\])\*/gm, '$1\\*'));
    assert.match(escaped.text, /- \[ \]\\\* 2\.7 Write backend unit tests/);
    for (const r of [plain, escaped]) {
      assert.equal(r.format, 'kiro');
      assert.equal(codes(r, 'foreign-task-incomplete').length, 0);
      assert.deepEqual(r.packages.map((p) => p.sourceIds), [['1'], ['2', '2.1', '2.2', '2.3', '2.4', '2.5', '2.6', '2.7', '2.8'], ['3', '3.1', '3.2', '3.3', '3.4', '3.5', '3.6', '3.7', '3.8', '3.9']]);
      assert.match(r.plan.packages[1].description!, /2\.7 Write backend unit tests\n {2}Optional \(marked `\*` in the source\)/);
      assert.deepEqual(r.packages.map((p) => p.done), [true, false, false], 'the optional 2.7 and 2.8 are not checked');
      assert.deepEqual(deps(r, 'task-3'), ['task-2?']);
    }
    assert.equal(detectFormat('tasks.md', escaped.text), 'kiro');
  });

  it('`## N.` sections over numbered tasks only group them: each task a package, Kiro running them one by one', () => {
    // The photo-albums list with its major tasks written as section headings (`## 1. …` over `- [ ] 1.1 …`).
    const r = readKiro('photo-albums-en.tasks.md', (t) => t.replace(/^- \[[ x]\] (\d+)\. /gm, '## $1. '));
    assert.match(r.text, /^## 1\. Set up project foundation/m);
    assert.ok(!r.packages.some((p) => p.sourceIds.includes('1')), 'no package for a section');
    assert.deepEqual(r.packages.slice(0, 3).map((p) => p.sourceIds), [['1.1'], ['1.2'], ['2.1']]);
    assert.equal(r.packages[0].phase, '1. Set up project foundation and infrastructure');
    assert.deepEqual(deps(r, 'task-1-1'), []);
    assert.deepEqual(deps(r, 'task-1-2'), ['task-1-1?']);
    assert.deepEqual(deps(r, 'task-2-1'), ['task-1-2?']);
    assert.equal(codes(r, 'foreign-duplicate-id').length, 0);
  });

  it('`## N.` sections over `- [ ] N.` tasks: no id taken twice; a `_Depends:_` on a section is one on every task in it', () => {
    const text = ['# Implementation Plan', '', '## 1. Setup', '', '- [x] 1. Create the schema in src/db/schema.ts', '', '## 2. Services', '', '- [ ] 2. Write the store in src/store.ts', '- [ ] 3. Write the cache in src/cache.ts', '', '## 3. API', '', '- [ ] 4. Expose the routes in src/api.ts', '  - _Depends: 2_', ''].join('\n');
    const r = readForeignPlan('.kiro/specs/x/tasks.md', text);
    assert.equal(codes(r, 'foreign-duplicate-id').length, 0);
    assert.deepEqual(r.packages.map((p) => [p.id, p.phase]), [['task-1', '1. Setup'], ['task-2', '2. Services'], ['task-3', '2. Services'], ['task-4', '3. API']]);
    assert.deepEqual(r.packages.map((p) => p.done), [true, false, false, false]);
    // `_Depends: 2_` names task 2 (cc-sdd's ids are the tasks'), not section 2.
    assert.deepEqual(deps(r, 'task-4'), ['task-2', 'task-3?']);
    assert.equal(at(text, r.packages[3].dependencies[0].range), '2');
    assert.deepEqual(deps(r, 'task-3'), ['task-2?']);
    // A section no task shares its number with: its tasks.
    const sections = ['## 1. Models', '- [ ] 1.1 (P) User model in src/models/user.ts', '- [ ] 1.2 (P) Album model in src/models/album.ts', '## 2. API', '- [ ] 2.1 Routes in src/api.ts', '  - _Depends: 1_', ''].join('\n');
    const s = readForeignPlan('.kiro/specs/y/tasks.md', sections);
    assert.deepEqual(deps(s, 'task-2-1'), ['task-1-1', 'task-1-2']);
    assert.deepEqual(s.packages[2].dependencies.map((d) => at(sections, d.range)), ['1', '1']);
    assert.deepEqual(deps(s, 'task-1-2'), []);
  });

  it('`## N.` sections over check-boxes without numbers: each section a package, its check-boxes its steps, named by their place', () => {
    const r = readKiro('world-map-mvp.tasks.md');
    assert.equal(r.format, 'kiro');
    assert.equal(codes(r, 'foreign-task-incomplete').length, 0);
    assert.deepEqual(r.plan.packages.map((p) => p.id), ['task-1', 'task-2', 'task-3', 'task-4', 'task-5', 'task-6', 'task-7', 'task-8']);
    assert.deepEqual(r.packages[0].sourceIds, ['1', '1.1', '1.2', '1.3', '1.3.1', '1.3.2', '1.3.3', '1.3.4']);
    assert.match(r.plan.packages[0].description!, /^1\.1 Initialize project \(engine \+ map SDK\)\.\n1\.2 Create `MapRootScreen`\./);
    assert.deepEqual(deps(r, 'task-2'), ['task-1?']);
    assert.ok(r.packages.every((p) => !p.done));
    const named = codes(r, 'foreign-id-from-position');
    assert.equal(named.length, 1);
    assert.equal(named[0].severity, 'info');
    assert.equal(at(r.text, named[0].range), '[ ]');
    assert.equal(r.text.slice(named[0].range.start, named[0].range.start + 30), '[ ] Initialize project (engine');
    assert.ok(r.notes.some((n) => /59 tasks have no number/.test(n)));
  });

  it('`### N.` headings with steps under phase headings, and numbered check-boxes: each heading a task, done when its steps are', () => {
    const r = readKiro('investigation-mode-mvp.tasks.md');
    assert.equal(r.plan.packages.length, 24);
    assert.deepEqual(r.packages[0].sourceIds, ['1', '1.1', '1.2']);
    assert.equal(r.packages[0].phase, 'Phase 1 – Navigation + State');
    assert.deepEqual(r.packages.filter((p) => p.done).map((p) => p.id), ['task-8', 'task-9', 'task-10']);
    // `- [ ] 2–3 short behavioral traits` is a step of 12, not task 2.
    assert.ok(r.packages.find((p) => p.id === 'task-12')!.sourceIds.includes('12.2.3'));
    assert.match(r.plan.packages[11].description!, /12\.2\.3 2–3 short behavioral traits/);
    assert.deepEqual(r.packages[14].sourceIds, ['15']);
    assert.equal(r.packages[14].phase, 'Phase 7 – Dev Mode Support');
    assert.deepEqual(deps(r, 'task-15'), ['task-14?']);
    assert.equal(detectFormat('tasks.md', r.text), 'kiro');
  });

  it('`## N.` sections over `### N.M` headings with steps: the sections group, each heading is a package', () => {
    const r = readKiro('llm-task-planner.tasks.md');
    assert.deepEqual(r.plan.packages.slice(0, 4).map((p) => p.id), ['task-1-1', 'task-1-2', 'task-1-3', 'task-2-1']);
    assert.ok(!r.packages.some((p) => p.sourceIds.includes('1')));
    assert.deepEqual(r.packages[0].sourceIds, ['1.1', '1.1.1', '1.1.2', '1.1.3', '1.1.4', '1.1.5']);
    assert.equal(r.packages[0].phase, '1. Core Components');
    assert.match(r.plan.packages[0].description!, /^Requirements: 1\.1\nOpenAI APIクライアントの実装。\n1\.1\.1 OpenAIClient クラス作成/);
    assert.deepEqual(deps(r, 'task-1-2'), ['task-1-1?']);
    assert.deepEqual(deps(r, 'task-2-1'), ['task-1-3?']);
    assert.equal(at(r.text, r.plan.packages[0].idRange), '1.1');
  });
});

