/**
 * Tests for `src/core/git/inTheWay.ts`: which local paths a change checked out over a clean
 * work tree would overwrite or delete, from a described disk (the git and disk side is
 * tested on real repositories in test/engine/frontDoor/finishing.test.ts).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FileChange } from '../../../src/core/git/gitParse.js';
import { pathsInTheWay, type LocalEntry } from '../../../src/core/git/inTheWay.js';

const added = (path: string): FileChange => ({ path, change: 'added' });
const deleted = (path: string): FileChange => ({ path, change: 'deleted' });
const modified = (path: string): FileChange => ({ path, change: 'modified' });

/** A disk described as path → entry; anything not listed is absent. Records every probe. */
function disk(entries: Record<string, LocalEntry>): { probe: (p: string) => LocalEntry; probed: string[] } {
  const probed: string[] = [];
  return { probe: (p) => (probed.push(p), entries[p] ?? 'none'), probed };
}

describe('pathsInTheWay', () => {
  it('a local file or link at an added path is in the way; absent ones and modified or deleted paths are not', () => {
    const d = disk({ src: 'folder', 'src/a': 'folder', 'src/a/.env': 'other', 'src/b.ts': 'other', 'README.md': 'other' });
    const found = pathsInTheWay([added('src/a/.env'), added('src/a/new.ts'), modified('src/b.ts'), deleted('README.md')], d.probe);
    assert.deepEqual(found, [{ path: 'src/a/.env', folder: false }]);
    assert.ok(!d.probed.includes('src/b.ts') && !d.probed.includes('README.md'), 'tracked paths are never probed');
  });

  it('a folder at an added path is in the way as a folder (its untracked files go)', () => {
    assert.deepEqual(pathsInTheWay([deleted('logs/README.md'), added('logs')], disk({ logs: 'folder' }).probe), [{ path: 'logs', folder: true }]);
  });

  it('a file where a parent folder must be is in the way, once for every path below it', () => {
    const d = disk({ build: 'other' });
    assert.deepEqual(pathsInTheWay([added('build/a.js'), added('build/b/c.js')], d.probe), [{ path: 'build', folder: false }]);
    assert.deepEqual(d.probed, ['build'], 'each path probed once');
  });

  it('a parent that is a tracked file the change deletes is not in the way; an absent parent ends the walk', () => {
    const d = disk({ conf: 'other' });
    assert.deepEqual(pathsInTheWay([deleted('conf'), added('conf/main.toml'), added('new/deep/file.txt')], d.probe), []);
    assert.deepEqual(d.probed, ['new']);
  });
});
