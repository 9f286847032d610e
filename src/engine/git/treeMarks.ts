/**
 * The engine's marks in a linked worktree's private git folder (never in the work tree;
 * `worktree remove` removes them): a tree made ahead of its package's first attempt (ADR
 * 0016), the set-up hook that ran to the end there and the copy list copied into it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { gitDirsOf } from '../../store/gitDirs.js';

/**
 * The mark of a tree made ahead, in its private git folder (never in the work tree; `worktree
 * remove` removes it): the commit it was made at, or `taken` once an attempt took it. Its lock
 * reason says the same from the moment it exists (`madeAheadReason`: git writes the `locked`
 * file before the tree's own files), so an engine stopped before the mark was written leaves a
 * tree that is still known as made ahead — and checked as such when taken.
 */
const AHEAD_MARK = 'waves-made-ahead';
const TAKEN = 'taken';

/** The lock reason of a tree made ahead at `commit`: the run's reason and the commit. */
export function madeAheadReason(reason: string, commit: string): string {
  return `${reason} (made ahead at ${commit})`;
}
const AHEAD_REASON = / \(made ahead at ([0-9a-f]{40}|[0-9a-f]{64})\)$/;

/** A file of a linked worktree's private git folder (`.git/worktrees/<tree's name>/<file>`), or null when `tree` is no linked worktree. */
function privateGitFile(tree: string, name: string): string | null {
  try {
    if (!fs.statSync(path.join(tree, '.git')).isFile()) return null;
    const dirs = gitDirsOf(tree);
    return dirs && dirs.gitDir !== dirs.commonDir ? path.join(dirs.gitDir, name) : null;
  } catch {
    // no .git there (the tree is gone): no linked worktree, so no mark
    return null;
  }
}

const aheadMarkFile = (tree: string) => privateGitFile(tree, AHEAD_MARK);

/** A mark's text, or null when there is none (or it cannot be read). */
function readMark(file: string | null): string | null {
  try {
    return file === null ? null : fs.readFileSync(file, 'utf8');
  } catch {
    // never written, or the tree is gone: no mark
    return null;
  }
}

/** Writes `line` as the file `name` of the linked worktree's private git folder (a mark). */
function writeMark(tree: string, name: string, line: string): void {
  const file = privateGitFile(tree, name);
  if (!file) throw new Error(`${tree} is not a linked worktree`);
  fs.writeFileSync(file, `${line}\n`);
}

/**
 * The set-up hook's mark: the branch it last ran to the end for in the tree (in the tree's private
 * git folder, like the mark of a tree made ahead). A tree is set up for a branch when the hook
 * succeeded there for it: a new tree is not, nor a reused one whose hook failed or never ran (an
 * engine stopped before it), so a retry in it runs the hook again.
 */
const SET_UP_MARK = 'waves-set-up';

/** Whether the set-up hook ran to the end in `tree` for `branch`. */
export function isSetUp(tree: string, branch: string): boolean {
  return readMark(privateGitFile(tree, SET_UP_MARK)) === `${branch}\n`;
}

/** Marks `tree` as set up for `branch` (the hook succeeded). */
export function markSetUp(tree: string, branch: string): void {
  writeMark(tree, SET_UP_MARK, branch);
}

/**
 * The copy list's mark (`copyFiles`, git/worktreeCopy.ts): what was copied into the tree, as the
 * lines the attempt's setup.log got. A tree is copied into once: a reused tree keeps what it has.
 */
const COPIED_MARK = 'waves-copied';

/** The lines of the copy made into `tree`, or null when none was. */
export function copiedInto(tree: string): string | null {
  return readMark(privateGitFile(tree, COPIED_MARK));
}

/** Marks `tree` as copied into, with the copy's lines. */
export function markCopied(tree: string, text: string): void {
  writeMark(tree, COPIED_MARK, text.trimEnd());
}

/** Marks a linked worktree as made ahead of its package's first attempt, at `commit`. */
export function markMadeAhead(tree: string, commit: string): void {
  writeMark(tree, AHEAD_MARK, commit);
}

/** The commit a tree was made ahead at (its mark, else its lock reason), or null when it was not or an attempt took it. */
export function madeAheadAt(tree: string): string | null {
  const file = aheadMarkFile(tree);
  if (!file) return null;
  const mark = readMark(file);
  if (mark !== null) return /^([0-9a-f]{40}|[0-9a-f]{64})\n$/.test(mark) ? mark.trim() : null;
  // git's own lock file, beside the mark in the tree's private folder.
  return AHEAD_REASON.exec(readMark(path.join(path.dirname(file), 'locked'))?.trimEnd() ?? '')?.[1] ?? null;
}

/** Marks a tree made ahead as taken by its package's first attempt. */
export function markTaken(tree: string): void {
  writeMark(tree, AHEAD_MARK, TAKEN);
}

/**
 * The landing mark of the integration tree (integration.ts): while a `merge --ff-only` moves it
 * from a tip to a merge, `<tip> <merge>`; gone once git has ended. Found with changes in the tree,
 * it says which two commits a stopped landing left files of.
 */
const LANDING_MARK = 'waves-landing';

/** Marks `tree` as landing `merge` on `tip` (null: the landing ended). */
export function markLanding(tree: string, landing: { tip: string; merge: string } | null): void {
  if (landing) writeMark(tree, LANDING_MARK, `${landing.tip} ${landing.merge}`);
  else {
    const file = privateGitFile(tree, LANDING_MARK);
    if (file) fs.rmSync(file, { force: true });
  }
}

/** The landing a stopped engine left marked in `tree`, or null. */
export function landingOf(tree: string): { tip: string; merge: string } | null {
  const m = /^([0-9a-f]{40}|[0-9a-f]{64}) ([0-9a-f]{40}|[0-9a-f]{64})\n$/.exec(readMark(privateGitFile(tree, LANDING_MARK)) ?? '');
  return m ? { tip: m[1]!, merge: m[2]! } : null;
}
