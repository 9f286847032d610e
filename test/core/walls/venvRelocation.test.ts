/**
 * A Python virtual environment laid over a tree (ADR 0026), the pure part: which folders are
 * virtual environments, which files of site-packages say where code is, how the checkout's paths
 * in them are made the tree's (whole paths only), and what is left for the disk to check.
 *
 * Run: node --import tsx --test test/core/walls/venvRelocation.test.ts
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { absolutePathsIn, DEPENDENCY_FOLDERS, lockfilesMatch, relativePathLines, relocateText, venvFileRead } from '../../../src/core/walls/dependencyFolders';

const moves = [{ from: '/home/p/repo', to: '/home/p/repo.worktrees/f/a' }];

describe('virtual environments laid over trees (core)', () => {
  test('.venv and venv are laid by the lockfiles of the Python world, pyproject.toml the manifest', () => {
    for (const folder of ['.venv', 'venv']) {
      const dep = DEPENDENCY_FOLDERS.find((d) => d.folder === folder)!;
      assert.equal(dep.venv, true);
      assert.equal(dep.manifest, 'pyproject.toml');
      for (const lock of ['uv.lock', 'poetry.lock', 'pdm.lock', 'Pipfile.lock', 'pylock.toml', 'requirements.txt']) assert.ok(dep.lockfiles.includes(lock), lock);
    }
    assert.equal(DEPENDENCY_FOLDERS.find((d) => d.folder === 'node_modules')!.venv, undefined);
    const py = DEPENDENCY_FOLDERS.find((d) => d.folder === '.venv')!;
    const none = Object.fromEntries(py.lockfiles.map((l) => [l, null]));
    assert.equal(lockfilesMatch({ ...none, 'uv.lock': 'U' }, { ...none, 'uv.lock': 'U' }), true);
    assert.equal(lockfilesMatch({ ...none, 'uv.lock': 'U2' }, { ...none, 'uv.lock': 'U' }), false);
    assert.equal(lockfilesMatch(none, { ...none, 'uv.lock': 'U' }, { tree: '[project]\n', checkout: '[project]\n' }), true, 'a library without a lockfile in git: its pyproject.toml decides');
  });

  test('the files read: top-level .pth, .egg-link and modules, each distribution\'s direct_url.json', () => {
    for (const rel of ['__editable__.proj-0.1.pth', 'easy-install.pth', 'proj.egg-link', '__editable___proj_0_1_finder.py', 'proj-0.1.dist-info/direct_url.json']) assert.equal(venvFileRead(rel), true, rel);
    for (const rel of ['proj/__init__.py', 'proj-0.1.dist-info/RECORD', 'dep/sub.pth', '__pycache__/x.pyc']) assert.equal(venvFileRead(rel), false, rel);
  });

  test("the checkout's paths are made the tree's: in a .pth, a finder's mapping, a file URL; never a folder that only starts alike", () => {
    assert.equal(relocateText('/home/p/repo/src\n', moves), '/home/p/repo.worktrees/f/a/src\n');
    assert.equal(relocateText("MAPPING = {'proj': '/home/p/repo/src/proj'}\n", moves), "MAPPING = {'proj': '/home/p/repo.worktrees/f/a/src/proj'}\n");
    assert.equal(relocateText('{"url": "file:///home/p/repo", "dir_info": {"editable": true}}', moves), '{"url": "file:///home/p/repo.worktrees/f/a", "dir_info": {"editable": true}}');
    assert.equal(relocateText('/home/p/repo', moves), '/home/p/repo.worktrees/f/a', 'the whole text a path');
    assert.equal(relocateText('/home/p/repo2/src\n/home/p/repository\n', moves), null, 'another folder');
    assert.equal(relocateText('import _virtualenv\n', moves), null);
  });

  test('the absolute paths left in a text, a file URL\'s too, for the disk to follow', () => {
    assert.deepEqual(absolutePathsIn('/a/b/src\n'), ['/a/b/src']);
    assert.deepEqual(absolutePathsIn("MAPPING = {'p': '/x/y/p', 'q': \"/z\"}"), ['/x/y/p', '/z']);
    assert.deepEqual(absolutePathsIn('{"url": "file:///l/repo"}'), ['/l/repo']);
    assert.deepEqual(absolutePathsIn('import os; os.path.join(a, b)\n'), []);
  });

  test('the relative folders a .pth or an .egg-link adds (not comments, imports or absolute ones)', () => {
    assert.deepEqual(relativePathLines('x.pth', '# c\nimport a; a.b()\n/abs/src\n../../../../src  \n\nlib\n'), ['../../../../src', 'lib']);
    assert.deepEqual(relativePathLines('p.egg-link', '../../..\n.\n'), ['../../..']);
    assert.deepEqual(relativePathLines('finder.py', '../x\n'), []);
  });
});
