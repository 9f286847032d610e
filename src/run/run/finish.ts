/**
 * The end of a run in the editor: Finish Run shows the front door's finish offer (what the
 * integration branch holds; the fast-forward of the person's branch only when nothing can be
 * lost, nobody drives the run, and only on their yes). Files of the person's that git does
 * not track (ignored ones included) and that the fast-forward would overwrite are named in a
 * warning, and nothing moves. (Clean Up Worktrees is the front door's `cleanUpWorktrees`,
 * called by commands.ts.)
 */
import * as vscode from 'vscode';
import type { RunState } from '../../core/run/runState';
import { fastForwardTo, finishOffer } from '../../engine';

/** Offers the fast-forward; returns what happened, for the tests and the log. */
export async function finishRun(repo: string, state: RunState): Promise<'fast-forwarded' | 'declined' | 'not-possible'> {
  const finish = await finishOffer(repo, state);
  if (finish.kind === 'nothing') return 'not-possible';
  if (!finish.offer) {
    // Files of the person's in the way are a warning: they have to act; the other reasons are information.
    const text = `Waves: no fast-forward: ${finish.blocked}.`;
    if (finish.inTheWay.length > 0) void vscode.window.showWarningMessage(text);
    else void vscode.window.showInformationMessage(text);
    return 'not-possible';
  }
  const { offer, merged, integrationBranch } = finish;
  const commits = finish.commits ?? [];
  const ids = merged.map(([id]) => id);
  const ff = 'Fast-Forward';
  const choice = await vscode.window.showInformationMessage(
    `Fast-forward ${offer.target} to ${integrationBranch}?`,
    {
      modal: true,
      detail: `${integrationBranch} holds ${ids.length} merged package${ids.length === 1 ? '' : 's'} (${ids.join(', ')}) in ${commits.length} commit${commits.length === 1 ? '' : 's'}:\n${commits.slice(0, 15).join('\n')}${commits.length > 15 ? `\n… and ${commits.length - 15} more` : ''}\n\n${offer.reason}.`,
    },
    ff,
  );
  if (choice !== ff) return 'declined';
  const done = await fastForwardTo(repo, state.featureId, offer);
  if (!done.ok) {
    void vscode.window.showErrorMessage(`Waves: ${done.why}`);
    return 'not-possible';
  }
  void vscode.window.showInformationMessage(`Waves: ${offer.target} fast-forwarded to ${integrationBranch} (${done.to.slice(0, 8)}).`);
  return 'fast-forwarded';
}

