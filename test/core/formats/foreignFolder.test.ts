/**
 * A folder kept one task a file as the editor shows it: a GSD phase folder or a Spec Kitty
 * feature analysed as one plan (analyzeForeignFolder, the same reading as `waves validate
 * <folder>`), each diagnostic in its file; each file's own view of it (folderFileAnalysis); and
 * the editor's cheap checks made before the readers' bundle is loaded (src/plan/planFiles.ts).
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { analyzeForeignFolder, folderFileAnalysis, fromPortableForeign, isNowhere, readFolderForConversion, toPortableForeign } from '../../../src/core/formats/foreignAnalysis';
import type { ForeignDiagnostic } from '../../../src/core/formats/foreignPlan';
import { folderPlanOf, mayBeFolderTask, mayBeTaskList } from '../../../src/plan/planFiles';
import { at, folderFiles } from './fixtures';

const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);
/** `file line:col severity code` (1-based) of each diagnostic, in the file's own lines. */
function where(files: { path: string; text: string }[], d: ForeignDiagnostic): string {
  const text = files.find((f) => f.path === d.file)!.text;
  const before = text.slice(0, d.range.start).split('\n');
  return `${base(d.file!)} ${before.length}:${before[before.length - 1].length + 1} ${d.severity} ${d.code}`;
}

describe('analyzeForeignFolder', () => {
  it('a GSD phase folder: one plan of its PLAN.md files, its waves, each problem in the file and on the line it concerns', () => {
    const files = folderFiles('gsd/phases/02-auth');
    const a = analyzeForeignFolder('gsd/phases/02-auth', files)!;
    assert.equal(a.foreign.format, 'gsd');
    assert.equal(a.text, '', 'no text of its own: its files have theirs');
    assert.deepEqual(a.foreign.files!.map(base), ['02-01-PLAN.md', '02-02-PLAN.md', '02-03-PLAN.md', '02-04-PLAN.md'], 'the SUMMARY.md is no plan');
    assert.equal(a.plan.feature?.id, 'feature-02-auth');
    assert.deepEqual(a.graph.waves, [['plan-02-01', 'plan-02-03'], ['plan-02-02'], ['plan-02-04']]);
    const shown = (a.diagnostics as ForeignDiagnostic[]).map((d) => where(files, d));
    // The exact checker's finding on the converted plan, on the id of each package in its own file.
    assert.ok(shown.includes('02-02-PLAN.md 3:7 error write-overlap'), shown.join('\n'));
    assert.ok(shown.includes('02-03-PLAN.md 3:7 error write-overlap'), shown.join('\n'));
    assert.ok(shown.some((s) => /^02-04-PLAN\.md 6:32 error foreign-dependency-unknown$/.test(s)), shown.join('\n'));
    assert.equal(a.valid, false);
    // In file order, then by position.
    assert.deepEqual(shown.map((s) => s.split(' ')[0]), [...shown.map((s) => s.split(' ')[0])].sort());
  });

  it('a Spec Kitty feature: its tasks/ work packages (lane folders too) with the feature state files; problems in the second file', () => {
    const files = folderFiles('spec-kitty/broken');
    const a = analyzeForeignFolder('spec-kitty/broken', files)!;
    assert.equal(a.foreign.format, 'spec-kitty');
    assert.deepEqual(a.foreign.files!.map(base), ['WP01-schema.md', 'WP02-api.md', 'WP03-auth.md', 'WP04-docs.md', 'WP05-again.md']);
    const wp02 = (a.diagnostics as ForeignDiagnostic[]).filter((d) => base(d.file!) === 'WP02-api.md').map((d) => d.code);
    assert.deepEqual(wp02.sort(), ['foreign-dependency-cycle', 'foreign-dependency-unknown', 'foreign-no-write-scope']);
    const clean = analyzeForeignFolder('spec-kitty/write-path-integrity-01KZZD69', folderFiles('spec-kitty/write-path-integrity-01KZZD69'))!;
    assert.deepEqual(clean.graph.waves, [['wp01', 'wp02'], ['wp03'], ['wp04']]);
    assert.equal(clean.valid, true, JSON.stringify(clean.diagnostics.map((d) => d.code)));
  });

  it('is null for a folder with no GSD or Spec Kitty file, as readFolderForConversion is', () => {
    const files = [{ path: 'docs/README.md', text: '# Docs\n' }, { path: 'docs/status.json', text: '{}' }];
    assert.equal(analyzeForeignFolder('docs', files), null);
    assert.equal(readFolderForConversion('docs', files), null);
    assert.equal(readFolderForConversion('gsd/phases/02-auth', folderFiles('gsd/phases/02-auth'))?.plan.packages.length, 4);
  });

  it('keeps its files through the portable part another thread hands back', () => {
    const a = analyzeForeignFolder('gsd/phases/02-auth', folderFiles('gsd/phases/02-auth'))!;
    const again = fromPortableForeign('', JSON.parse(JSON.stringify(toPortableForeign(a))));
    assert.deepEqual(again.foreign.files, a.foreign.files);
    assert.deepEqual(again.graph.waves, a.graph.waves);
    assert.deepEqual(
      again.diagnostics.map((d) => (d as ForeignDiagnostic).file),
      a.diagnostics.map((d) => (d as ForeignDiagnostic).file),
    );
  });
});

describe('folderFileAnalysis', () => {
  it("one file's view: its text and diagnostics, every package of the folder, those of other files nowhere in it", () => {
    const files = folderFiles('gsd/phases/02-auth');
    const a = analyzeForeignFolder('gsd/phases/02-auth', files)!;
    const second = files.find((f) => base(f.path) === '02-02-PLAN.md')!;
    const view = folderFileAnalysis(a, second.path, second.text);
    assert.equal(view.text, second.text);
    assert.equal(view.lines.position(second.text.length).line, second.text.split('\n').length - 1);
    assert.deepEqual([...new Set(view.diagnostics.map((d) => (d as ForeignDiagnostic).file))], [second.path]);
    assert.deepEqual(view.graph.waves, a.graph.waves, "the folder's graph");
    const own = view.plan.packages.filter((p) => !isNowhere(p.idRange));
    assert.deepEqual(own.map((p) => p.id), ['plan-02-02']);
    assert.equal(at(second.text, own[0].idRange), '02', 'its `plan: 02` in its own text');
    for (const p of view.plan.packages.filter((x) => isNowhere(x.idRange))) {
      assert.ok(isNowhere(p.range) && p.dependsOn.every((d) => isNowhere(d.range)), `${p.id} is in no range of this file`);
    }
    assert.equal(a.plan.packages.filter((p) => isNowhere(p.idRange)).length, 0, 'the folder analysis is left as it was');
  });
});

describe('the editor finds folder task lists and sniffs task lists by path and first bytes', () => {
  it('folderPlanOf: the folder a file is read with', () => {
    assert.deepEqual(folderPlanOf('/w/.planning/phases/02-auth/02-01-PLAN.md'), { folder: '/w/.planning/phases/02-auth', format: 'gsd' });
    assert.deepEqual(folderPlanOf('/w/kitty-specs/feat/tasks/WP01-schema.md'), { folder: '/w/kitty-specs/feat', format: 'spec-kitty' });
    assert.deepEqual(folderPlanOf('/w/kitty-specs/feat/tasks/done/WP04-docs.md'), { folder: '/w/kitty-specs/feat', format: 'spec-kitty' });
    assert.deepEqual(folderPlanOf('/w/kitty-specs/feat/status.events.jsonl'), { folder: '/w/kitty-specs/feat', format: 'spec-kitty' });
    assert.equal(folderPlanOf('/w/notes/WP01-schema.md'), null, 'a WP file outside tasks/');
    assert.equal(folderPlanOf('/w/specs/001/tasks.md'), null);
    assert.equal(folderPlanOf('/w/README.md'), null);
  });

  it("mayBeTaskList: VS Code's own tasks.json, JSON that is no object and Markdown without a task box are none", () => {
    const vscodeTasks = '{\n  "version": "2.0.0",\n  "tasks": [{ "label": "build", "type": "npm", "script": "build" }]\n}\n';
    assert.equal(mayBeTaskList('/w/.vscode/tasks.json', vscodeTasks), false);
    assert.equal(mayBeTaskList('/w/sub/.vscode/tasks.json', vscodeTasks), false);
    assert.equal(mayBeTaskList('/w/.taskmaster/tasks/tasks.json', '{"master":{"tasks":[]}}'), true);
    assert.equal(mayBeTaskList('/w/tasks.json', '\uFEFF  {"tasks": []}'), true);
    assert.equal(mayBeTaskList('/w/tasks.json', '[1, 2]'), false);
    assert.equal(mayBeTaskList('/w/tasks.json', ''), false);
    assert.equal(mayBeTaskList('/w/.taskmaster/tasks/tasks.json', 'broken'), true, 'its path names the format: its reader says what is wrong');
    assert.equal(mayBeTaskList('/w/.beads/issues.jsonl', ''), true);
    assert.equal(mayBeTaskList('/w/issues.jsonl', 'id,title\n'), false);
    assert.equal(mayBeTaskList('/w/docs/tasks.md', '# Tasks\n\nNothing to do here.\n'), false);
    assert.equal(mayBeTaskList('/w/specs/001/tasks.md', '# Tasks\n\n- [ ] T001 Set up\n'), true);
    assert.equal(mayBeTaskList('/w/specs/004/tasks.md', '# Tasks\n\n## Phase 1: Setup\n\n### T001: Set up\n\n**Blockers**: None\n'), true, 'tasks written as headings');
    assert.equal(mayBeTaskList('/w/.kiro/specs/a/tasks.md', '# Implementation Plan\n'), true);
    assert.equal(mayBeTaskList('/w/openspec/changes/a/tasks.md', ''), true);
  });

  it('mayBeTaskList lets through every fixture the readers read', () => {
    for (const [format, name] of [['spec-kit', '001-photo-albums.tasks.md'], ['kiro', 'photo-albums-en.tasks.md'], ['openspec', 'add-global-install-scope.tasks.md'], ['beads', 'issues-37f3a8da.jsonl']]) {
      const [file] = folderFiles(format).filter((f) => f.path.endsWith(name));
      assert.equal(mayBeTaskList(`/w/${name}`, file.text), true, name);
    }
  });

  it('mayBeFolderTask: front matter first', () => {
    assert.equal(mayBeFolderTask(folderFiles('gsd/phases/02-auth')[0].text), true);
    assert.equal(mayBeFolderTask('\uFEFF---\nwork_package_id: WP01\n---\n'), true);
    assert.equal(mayBeFolderTask('# A plan\n---\n'), false);
  });
});
