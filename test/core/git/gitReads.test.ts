/**
 * `src/core/git/gitReads.ts`: which git calls the engine's queue may answer once for several
 * callers. A write taken for a read would let one caller's commit stand for another's, so
 * every doubtful form must count as a write.
 *
 * Run: node --import tsx --test test/core/git/gitReads.test.ts
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isReadOnlyGit, subcommandOf } from '../../../src/core/git/gitReads.js';

const SAFE = ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false', '--no-pager'];

describe('subcommandOf', () => {
  it('skips global options and their values', () => {
    assert.deepEqual(subcommandOf([...SAFE, '-C', 'dir', 'status', '-z']), { command: 'status', args: ['-z'] });
    assert.deepEqual(subcommandOf(['--git-dir', '.git', 'rev-parse', 'HEAD']), { command: 'rev-parse', args: ['HEAD'] });
  });
  it('is null without a subcommand', () => {
    assert.equal(subcommandOf(['-c', 'a=b']), null);
    assert.equal(subcommandOf([]), null);
  });
});

describe('isReadOnlyGit', () => {
  const reads: string[][] = [
    ['rev-parse', '--verify', '--quiet', '--end-of-options', 'HEAD^{commit}'],
    ['rev-parse', '--git-path', 'MERGE_HEAD', 'HEAD', '--symbolic-full-name', 'HEAD', '--'],
    ['status', '--porcelain=v2', '--branch', '-z'],
    ['symbolic-ref', '--quiet', 'HEAD'],
    ['show-ref', '--verify', '--quiet', 'refs/heads/x'],
    ['merge-base', '--is-ancestor', 'a', 'b'],
    ['diff', '--raw', '--no-renames', '-z', 'a', 'b', '--'],
    ['diff', '--cached', '--quiet'],
    ['config', '--list', '--show-scope', '-z'],
    ['config', '--file', 'x', '--list', '-z'],
    ['worktree', 'list', '--porcelain', '-z'],
    ['check-ignore', '--no-index', '--', 'a', 'b'],
    ['cat-file', 'blob', 'abc'],
    ['ls-files', '-z'],
  ];
  for (const argv of reads) it(`reads: git ${argv.join(' ')}`, () => assert.equal(isReadOnlyGit([...SAFE, ...argv]), true));

  const writes: string[][] = [
    ['add', '-A', '--', '.'],
    ['reset', '-q', '--', '.waves'],
    ['commit', '--no-verify', '-q', '-m', 'x'],
    ['commit-tree', 'tree', '-p', 'a', '-m', 'm'],
    ['write-tree'],
    ['update-ref', 'HEAD', 'b', 'a'],
    ['merge', '--ff-only', 'x'],
    ['merge-tree', '--write-tree', 'a', 'b'],
    ['worktree', 'add', '--lock', 'p', 'b'],
    ['worktree', 'remove', 'p'],
    ['branch', '-d', 'x'],
    ['symbolic-ref', 'HEAD', 'refs/heads/x'],
    ['symbolic-ref', '-d', 'HEAD'],
    ['config', 'user.name', 'x'],
    ['config', '--unset', 'x', '--get', 'y'],
    ['diff', '--output=file', 'a', 'b'],
    ['cat-file', '--batch'],
    ['check-ignore', '--stdin'],
    ['fetch', 'origin'],
    ['some-new-command'],
  ];
  for (const argv of writes) it(`may write: git ${argv.join(' ')}`, () => assert.equal(isReadOnlyGit([...SAFE, ...argv]), false));
});
