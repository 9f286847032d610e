/**
 * The integration guard's git: a scratch worktree checked out detached at one commit of
 * the integration branch (the tip, or a merge being bisected), and the merges on that branch
 * between two of its commits. The integration worktree itself is never used for checks: merges
 * land in it while a check runs.
 */
import fs from 'node:fs';
import { git, gitOut } from './gitRun';

/** `tree` (a scratch worktree of `repo`) detached at `commit`, clean: made on first use; never a branch moved. */
export async function checkTreeAt(repo: string, tree: string, commit: string): Promise<void> {
  if (!fs.existsSync(tree)) {
    await git(repo, ['worktree', 'prune']);
    await git(repo, ['worktree', 'add', '--detach', '-f', tree, commit]);
    return;
  }
  await git(tree, ['checkout', '-q', '-f', '--detach', commit]);
  // What a check left (build output that is not ignored): gone; ignored caches stay.
  await git(tree, ['clean', '-fdq']);
}

/** The first-parent commits after `from` up to `to` on the integration branch, oldest first (each one merge). */
export async function mergesBetween(repo: string, from: string, to: string): Promise<string[]> {
  const out = await gitOut(repo, ['rev-list', '--first-parent', '--reverse', `${from}..${to}`]);
  return out.split('\n').map((s) => s.trim()).filter(Boolean);
}

/**
 * Removes the scratch worktree (forced: it holds nothing of anyone's) — locked too: a `worktree
 * add` stopped midway leaves its tree locked ("initializing"), which a single force keeps.
 */
export async function dropCheckTree(repo: string, tree: string): Promise<void> {
  if (!fs.existsSync(tree)) return;
  await git(repo, ['worktree', 'remove', '--force', '--force', tree], [0, 128]);
}
