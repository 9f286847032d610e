/**
 * The end of a run: Finish Run offers the fast-forward of the person's branch to the
 * integration branch (git.ts's `fastForwardOffer`: only when nothing can be lost, and only
 * on their yes), and Clean Up Worktrees removes the run's worktrees that hold nothing
 * unmerged or uncommitted (`removeWorktreeIfSafe`, never forced; what stays says why).
 */
import * as vscode from 'vscode';
import { worktreePath } from '../core/run/runPaths';
import { isActive, type RunState } from '../core/run/runState';
import { fastForward, fastForwardOffer, git, removeWorktreeIfSafe } from '../engine/git';

/** Offers the fast-forward; returns what happened, for the tests and the log. */
export async function finishRun(repo: string, state: RunState): Promise<'fast-forwarded' | 'declined' | 'not-possible'> {
  const integration = state.integration;
  if (!integration) return 'not-possible';
  const head = await git(repo, ['symbolic-ref', '--quiet', '--short', 'HEAD'], [0, 1]);
  if (head.code !== 0) {
    void vscode.window.showInformationMessage('Waves: no fast-forward: HEAD is not on a branch (detached); check out the branch to move first.');
    return 'not-possible';
  }
  const branch = head.stdout.trim();
  const offer = await fastForwardOffer(repo, branch, integration.branch);
  if (!offer.possible) {
    void vscode.window.showInformationMessage(`Waves: no fast-forward: ${offer.reason}.`);
    return 'not-possible';
  }
  const log = await git(repo, ['log', '--oneline', '--no-decorate', `${offer.from}..${offer.to}`]);
  const commits = log.stdout.trim() ? log.stdout.trim().split('\n') : [];
  const merged = Object.entries(state.merges).filter(([, m]) => m.status === 'merged').map(([id]) => id);
  const ff = 'Fast-Forward';
  const choice = await vscode.window.showInformationMessage(
    `Fast-forward ${branch} to ${integration.branch}?`,
    {
      modal: true,
      detail: `${integration.branch} holds ${merged.length} merged package${merged.length === 1 ? '' : 's'} (${merged.join(', ')}) in ${commits.length} commit${commits.length === 1 ? '' : 's'}:\n${commits.slice(0, 15).join('\n')}${commits.length > 15 ? `\n… and ${commits.length - 15} more` : ''}\n\n${offer.reason}.`,
    },
    ff,
  );
  if (choice !== ff) return 'declined';
  try {
    const to = await fastForward(repo, offer);
    void vscode.window.showInformationMessage(`Waves: ${branch} fast-forwarded to ${integration.branch} (${to.slice(0, 8)}).`);
    return 'fast-forwarded';
  } catch (err) {
    void vscode.window.showErrorMessage(`Waves: git refused the fast-forward (nothing was changed): ${err instanceof Error ? err.message : String(err)}`);
    return 'not-possible';
  }
}

export interface CleanUpResult {
  removed: string[];
  kept: { path: string; why: string }[];
}

/**
 * Removes the run's package worktrees that are clean and merged into the integration branch,
 * then the integration worktree when it is merged into the person's branch. Never forced.
 */
export async function cleanUpWorktrees(repo: string, state: RunState): Promise<CleanUpResult> {
  const result: CleanUpResult = { removed: [], kept: [] };
  const integration = state.integration;
  const trees: { worktree: string; branch: string; mergedInto: string; packageId?: string }[] = [];
  for (const record of Object.values(state.packages)) {
    if (!record.branch || !integration) continue;
    trees.push({ worktree: record.worktree ?? worktreePath(repo, state.featureId, record.packageId), branch: record.branch, mergedInto: integration.branch, packageId: record.packageId });
  }
  if (integration) trees.push({ worktree: integration.worktree, branch: integration.branch, mergedInto: 'HEAD' });
  for (const t of trees) {
    const record = t.packageId ? state.packages[t.packageId] : undefined;
    if (record && isActive(record.status)) {
      result.kept.push({ path: t.worktree, why: `${record.packageId} is ${record.status}` });
      continue;
    }
    const r = await removeWorktreeIfSafe({ repo, worktree: t.worktree, branch: t.branch, mergedInto: t.mergedInto });
    if (r.removed) result.removed.push(t.worktree);
    else if (r.reason && !/is not a worktree of/.test(r.reason)) result.kept.push({ path: t.worktree, why: r.reason });
  }
  return result;
}
