/**
 * The run's integration branch in its own worktree and the merges into it: checked with
 * `merge-tree` first (touching no work tree), then written as a merge commit whose tree is
 * audited before it lands.
 */
import { createWorktree } from './worktrees.js';
import { fastForwardMarked, undoStoppedLanding } from './landing.js';
export { mergeTreeCheck, writeMergeChain, writeMergeCommit, type MergeCheck } from './landing.js';
import { git, headCommit } from './gitRun.js';
import { parseStatusZ } from '../../core/git/gitParse.js';

export interface Integration {
  branch: string;
  worktree: string;
  baseSha: string;
  tipSha: string;
}

/**
 * The integration branch in its own worktree: created at `base` the first time, reused as it
 * is afterwards (its base is where the run started). Paths and names come from runPaths
 * (`integrationBranch`, `integrationPath`).
 */
export async function ensureIntegration(options: { repo: string; branch: string; worktree: string; base: string; reason?: string }): Promise<Integration> {
  const r = await createWorktree({
    repo: options.repo,
    path: options.worktree,
    branch: options.branch,
    base: options.base,
    reason: options.reason ?? 'Wave Orchestrator: integration branch of a run',
    mergeBase: false,
  });
  const baseSha = r.how === 'created' ? r.baseSha : ((await git(options.repo, ['merge-base', r.baseSha, r.head], [0, 1])).stdout.trim() || r.baseSha);
  return { branch: r.branch, worktree: r.path, baseSha, tipSha: r.head };
}

/** A merge commit written but not yet landed, with what the integration worktree looked like meanwhile. */
export interface PreparedMerge {
  /** The merge commit (referenced by nothing yet). */
  merge: string;
  /** The integration worktree's HEAD and changed paths, read while the commit was written. */
  head: string;
  dirty: string[];
}

/**
 * The integration worktree's HEAD and changed paths (both read at once). Changes a landing left
 * when its engine was stopped in the middle (`undoStoppedLanding`) are undone first.
 */
export async function integrationState(integrationWorktree: string): Promise<{ head: string; dirty: string[] }> {
  const read = async () => {
    const [status, head] = await Promise.all([git(integrationWorktree, ['status', '--porcelain=v1', '-z', '--untracked-files=all']), headCommit(integrationWorktree)]);
    return { head, dirty: parseStatusZ(status.stdout).map((e) => e.path) };
  };
  const state = await read();
  return state.dirty.length > 0 && (await undoStoppedLanding(integrationWorktree, state.head, state.dirty)) ? read() : state;
}

/**
 * Lands a prepared merge (the caller audited its tree): the integration worktree moves to it
 * by `merge --ff-only`, which fails unless the branch is still at `tip`. What lands is exactly
 * the tree that was audited. The worktree must have been clean and at `tip`.
 */
export async function commitMerge(integrationWorktree: string, tip: string, prepared: PreparedMerge): Promise<string> {
  const { merge, head, dirty } = prepared;
  if (dirty.length > 0) throw new Error(`the integration worktree ${integrationWorktree} has changes (${dirty.join(', ')}); not merging into it`);
  if (head !== tip) throw new Error(`the integration branch moved (${tip.slice(0, 12)} → ${head.slice(0, 12)}) while a merge was prepared; not merging`);
  await fastForwardMarked(integrationWorktree, tip, merge);
  return merge;
}
