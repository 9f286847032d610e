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
 * loses nothing: every file of the commit is written, then the index, itself crash-safe (a
 * finishing stopped in the middle leaves a tree half made as before). A git still
 * writing the tree (its engine gone, the git not) is waited for, and while one is, nothing is
 * touched.
 */
import fs from 'node:fs';
import path from 'node:path';
import { git, gitOut } from './gitRun.js';
import { headOnDisk, repoDirs } from './gitOnDisk.js';
import { parseStatusZ } from '../../core/git/gitParse.js';
import { liveGitIn } from './staleLocks.js';
import { writeLayeredFiles } from './layers.js';
import { layerOf } from '../../store/treeLayers.js';

/** The index a finishing writes in the tree's private folder, renamed to `index` once every file is written. */
const FINISHING_INDEX = 'waves-finishing-index';

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
  const privateDir = repoDirs(tree)?.gitDir ?? (await gitOut(tree, ['rev-parse', '--absolute-git-dir']));
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
  // The lock of a git that no longer runs, and what a finishing stopped in its turn left.
  const finishing = path.join(privateDir, FINISHING_INDEX);
  for (const f of [lock, finishing, `${finishing}.lock`]) fs.rmSync(f, { force: true });
  const env = await writeCommitFiles(tree, finishing);
  const left = parseStatusZ((await git(tree, ['status', '--porcelain=v1', '-z', '--untracked-files=all'], [0], env)).stdout);
  if (left.length > 0) {
    // Still half made (no index): refused the same way until the files are moved away.
    fs.rmSync(finishing, { force: true });
    const shown = left.slice(0, 5).map((e) => e.path);
    throw new Error(`the worktree ${tree} was left half made and holds files its commit has not (${shown.join(', ')}${left.length > 5 ? ', …' : ''}); move them away, then run again`);
  }
  fs.renameSync(finishing, index);
  return true;
}

/**
 * Writes every file of the tree's commit through an index of its own (`finishing`, with the files'
 * stat data) that becomes the tree's only once every file is written: stopped in the middle, the
 * tree has no index, half made as before. Returns the environment naming that index.
 */
async function writeCommitFiles(tree: string, finishing: string): Promise<{ GIT_INDEX_FILE: string }> {
  // A layered tree (layers.ts): its base's files are there already; only what its HEAD changes is written.
  const layer = layerOf(tree);
  if (layer) return writeLayeredFiles(tree, layer, finishing);
  const env = { GIT_INDEX_FILE: finishing };
  await git(tree, ['read-tree', 'HEAD'], [0], env);
  await git(tree, ['checkout-index', '--all', '--force', '-u'], [0], env);
  return env;
}

/**
 * The files of a tree `worktree add --no-checkout` registered (its list entry made in the
 * repository's turn, its files side by side with other trees'): written as a half-made tree's are
 * finished, then its index put in place. Stopped in the middle, the tree is half made
 * (`finishHalfMade` finishes it on its next use).
 */
export async function checkOutNewTree(tree: string): Promise<void> {
  const privateDir = repoDirs(tree)?.gitDir ?? (await gitOut(tree, ['rev-parse', '--absolute-git-dir']));
  const finishing = path.join(privateDir, FINISHING_INDEX);
  await writeCommitFiles(tree, finishing);
  fs.renameSync(finishing, path.join(privateDir, 'index'));
}

/**
 * A folder where a worktree of the run goes that holds files and no commit of this repository: a
 * `worktree add` stopped after something wrote there, or a worktree of another repository once at
 * this path. Refused, untouched: the person's to move.
 */
export class TreeInTheWayError extends Error {
  constructor(
    readonly tree: string,
    readonly files: readonly string[],
  ) {
    super(`the folder ${tree}, where this run's worktree goes, holds files (${files.slice(0, 5).join(', ')}${files.length > 5 ? ', …' : ''}) and no commit of this repository; nothing in it was touched: move it away, then run again`);
    this.name = 'TreeInTheWayError';
  }
}

/**
 * A worktree whose `worktree add` was stopped before it had its commit: git's placeholder HEAD
 * (no commit), nothing in it but its `.git` file. It was never anyone's: it is removed (returns
 * true), and the caller makes the tree as if none were there (its branch, made first, kept). One
 * that holds anything else is refused, untouched.
 */
export async function dropUnmadeTree(repo: string, tree: string): Promise<boolean> {
  if (!fs.existsSync(path.join(tree, '.git'))) return false;
  // A HEAD its files name plainly (a branch there, or a commit): made. Git is asked only otherwise.
  const onDisk = headOnDisk(tree);
  if (onDisk && !/^0+$/.test(onDisk.id)) return false;
  const head = await git(tree, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], [0, 1, 128]);
  if (head.code === 0) return false;
  const inside = fs.readdirSync(tree).filter((name) => name !== '.git');
  if (inside.length > 0) throw new TreeInTheWayError(tree, inside);
  await git(repo, ['worktree', 'remove', '--force', '--force', tree]);
  return true;
}
