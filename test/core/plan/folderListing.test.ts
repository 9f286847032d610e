/** Which files of a folder read as one plan are read (`folderPlanFiles`), from listings held in memory. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_FOLDER_FILES, folderPlanFiles, onlyNamed, type FolderEntry } from '../../../src/core/plan/folderListing';

/** A tree as `{ name: subtree }` (a folder) or `{ name: '' }` (a file). */
type Tree = { [name: string]: Tree | '' };

/** Lists `tree` (its `..` is `parent`) as the rule asks, and records what it asked for. */
function filesOf(name: string, tree: Tree, hint?: 'gsd' | 'spec-kitty', parent: Tree = {}) {
  const at = (rel: string): Tree => {
    if (rel === '..') return parent;
    return rel === '' ? tree : rel.split('/').reduce<Tree>((t, part) => t[part] as Tree, tree);
  };
  const listed = new Map<string, FolderEntry[]>();
  const asked: string[][] = [];
  for (;;) {
    const step = folderPlanFiles(name, listed, hint);
    if ('files' in step) return { files: step.files, asked };
    asked.push([...step.list]);
    for (const rel of step.list) listed.set(rel, Object.entries(at(rel)).map(([n, v]) => ({ name: n, dir: v !== '' })));
  }
}

describe('folderPlanFiles', () => {
  test('a GSD phase folder: its own files, numbers by value, no subfolder', () => {
    const { files, asked } = filesOf('01-setup', { '01-10-PLAN.md': '', '01-2-PLAN.md': '', '01-2-SUMMARY.md': '', notes: { 'x.md': '' } });
    assert.deepEqual(files, ['01-2-PLAN.md', '01-2-SUMMARY.md', '01-10-PLAN.md']);
    assert.deepEqual(asked, [['']]);
  });

  test('a folder of GSD phase folders: each phase’s files, in order', () => {
    const { files } = filesOf('phases', { '10-ship': { 'PLAN.md': '' }, '02-build': { '02-1-PLAN.md': '', deeper: { 'y.md': '' } }, 'README.md': '' });
    assert.deepEqual(files, ['README.md', '02-build/02-1-PLAN.md', '10-ship/PLAN.md']);
  });

  test('a Spec Kitty feature: its tasks/ files, the lane folders’ (other folders not), then the feature’s state files', () => {
    const feature: Tree = {
      'spec.md': '',
      'status.json': '',
      'lanes.json': '',
      'meta.json': '',
      tasks: { 'WP10.md': '', 'WP2.md': '', doing: { 'WP3.md': '' }, archive: { 'WP9.md': '' }, planned: { 'WP1.md': '' } },
    };
    const { files, asked } = filesOf('001-albums', { ...feature, 'tasks.md': '', 'plan.md': '' });
    assert.deepEqual(files, ['tasks/WP2.md', 'tasks/WP10.md', 'tasks/doing/WP3.md', 'tasks/planned/WP1.md', 'lanes.json', 'status.json', 'tasks.md']);
    assert.deepEqual(asked, [[''], ['tasks'], ['tasks/doing', 'tasks/planned']]);
  });

  test('a tasks/ folder given itself: the state files of the feature above it (..)', () => {
    const { files } = filesOf('tasks', { 'WP01.md': '', done: { 'WP02.md': '' } }, undefined, { 'status.events.jsonl': '', 'spec.md': '', tasks: {} });
    assert.deepEqual(files, ['WP01.md', 'done/WP02.md', '../status.events.jsonl']);
  });

  test('a tasks/ folder whose files name no work package (`01-setup.md`) is Spec Kitty’s all the same: its lane folders, the feature’s tasks.md', () => {
    const { files } = filesOf('tasks', { '01-setup.md': '', '02-api.md': '', done: { '03-docs.md': '' }, notes: { 'x.md': '' } }, undefined, { 'tasks.md': '', 'spec.md': '', tasks: {} });
    assert.deepEqual(files, ['01-setup.md', '02-api.md', 'done/03-docs.md', '../tasks.md']);
    assert.deepEqual(filesOf('tasks', { '01-01-PLAN.md': '', phase: { 'y.md': '' } }, undefined, { 'tasks.md': '' }).files, ['01-01-PLAN.md'], 'GSD plan files in a folder named tasks: GSD');
  });

  test('a folder with a plan file of its own or the gsd hint is not entered through its tasks/ folder', () => {
    const tree: Tree = { 'PLAN.md': '', tasks: { 'WP01.md': '' } };
    assert.deepEqual(filesOf('phase', tree).files, ['PLAN.md']);
    assert.deepEqual(filesOf('feature', { 'spec.md': '', tasks: { 'WP01.md': '' } }, 'gsd').files, ['spec.md']);
    assert.deepEqual(filesOf('feature', { 'WP01.md': '', tasks: { 'WP02.md': '' }, doing: { 'WP03.md': '' } }).files, ['WP01.md', 'doing/WP03.md']);
  });

  test(`at most ${MAX_FOLDER_FILES} files are read`, () => {
    const many: Tree = Object.fromEntries(Array.from({ length: MAX_FOLDER_FILES + 7 }, (_, i) => [`WP${i}.md`, '']));
    const { files } = filesOf('tasks', many, 'spec-kitty');
    assert.equal(files.length, MAX_FOLDER_FILES);
    assert.equal(files.at(-1), `WP${MAX_FOLDER_FILES - 1}.md`);
  });

  test('Markdown and Spec Kitty state files are read; the others only named', () => {
    assert.equal(onlyNamed('a/01-PLAN.md'), false);
    assert.equal(onlyNamed('a/SUMMARY.MD'), false);
    assert.equal(onlyNamed('feature/status.events.jsonl'), false);
    assert.equal(onlyNamed('feature\\lanes.json'), false);
    assert.equal(onlyNamed('feature/meta.json'), true);
    assert.equal(onlyNamed('diagram.png'), true);
  });
});
