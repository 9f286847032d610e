/**
 * A worktree left half made: `git worktree add` stopped while it wrote the tree's files (its
 * engine killed, the machine down). The tree is registered, locked and on its branch, but its
 * private folder has no `index` (git writes it last), may still hold git's `index.lock`, and the
 * tree has only some of its commit's files, the last perhaps cut short. Taken as it is, its agent
 * would find files missing, the commit after it would fail on the lock or record every missing
 * file as deleted, and each retry would meet the same tree.
 *
 * No agent has worked in such a tree: a tree is whole before its agent starts, and the engine's
 * commit after an attempt leaves an index. So the files in it are git's own, and finishing it
 * loses nothing: the index is read from HEAD and every file of the commit written. A git still
 * writing the tree (its engine gone, the git not) is waited for, and while one is, nothing is
 * touched.
 */
import fs from 'node:fs';
import path from 'node:path';
import { git, gitOut } from './gitRun.js';
import { parseStatusZ } from '../../core/git/gitParse.js';
import { liveGitIn } from './staleLocks.js';

/** How long a git still writing the tree is waited for before the tree is refused. */
export const HALF_MADE_WAIT_MS = 30_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const there = (file: string) => fs.existsSync(file);

/**
 * Finishes `tree` when it was left half made (above); returns whether it was. A tree with an
 * index is left as it is. Throws (nothing touched) while a git process still writes the tree
 * after `waitMs`, and when the finished tree is not exactly its commit.
 */
export async function finishHalfMade(tree: string, waitMs = HALF_MADE_WAIT_MS): Promise<boolean> {
  const privateDir = await gitOut(tree, ['rev-parse', '--absolute-git-dir']);
  const index = path.join(privateDir, 'index');
  if (there(index)) return false;
  const lock = `${index}.lock`;
  const until = Date.now() + waitMs;
  let writer = liveGitIn([tree, privateDir]);
  while (writer !== null && !there(index) && Date.now() < until) {
    await sleep(100);
    writer = liveGitIn([tree, privateDir]);
  }
  if (there(index)) return false; // the git that was writing it ended: the tree is whole
  if (writer !== null) throw new Error(`git (process ${writer}) is still writing the worktree ${tree}; run again once it has ended`);
  // The lock of a git that no longer runs.
  fs.rmSync(lock, { force: true });
  await git(tree, ['read-tree', 'HEAD']);
  await git(tree, ['checkout-index', '--all', '--force']);
  const left = parseStatusZ((await git(tree, ['status', '--porcelain=v1', '-z', '--untracked-files=all'])).stdout);
  if (left.length > 0) {
    const shown = left.slice(0, 5).map((e) => e.path);
    throw new Error(`the worktree ${tree} was left half made and holds files its commit has not (${shown.join(', ')}${left.length > 5 ? ', …' : ''}); move them away, then run again`);
  }
  return true;
}
