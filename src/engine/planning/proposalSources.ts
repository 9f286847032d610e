/**
 * A planning session's proposal that started from a draft (Complete with Agent) runs from the
 * session's worktree, where its `converted_from` links point at the copies of the person's task
 * lists in the planning folder. Its round trip ticks the person's own task lists instead: this
 * finds the session of a run's repository (its branch `waves-plan/<id>`, as `proposalGate` and
 * `finishCheckoutOf` do) and pairs each copy with the task list it was copied from.
 */
import path from 'node:path';
import { PLANNING_BRANCH_PREFIX } from '../../core/planning/planningSession';
import { git, samePath } from '../git';
import { planningRepo, readPlanning } from './planner';

export interface ProposalSources {
  /** The person's checkout the session was planned from. */
  checkout: string;
  /** Each copy (absolute, in the planning folder) with the person's task list it was copied from (absolute, in `checkout`). */
  copies: Array<{ copy: string; source: string }>;
}

/** Null when `repoRoot` is not the worktree of a planning session that started from a draft. */
export async function proposalSourcesOf(repoRoot: string): Promise<ProposalSources | null> {
  const head = await git(repoRoot, ['symbolic-ref', '--quiet', '--short', 'HEAD'], [0, 1, 128]).catch(() => null);
  const ref = head?.code === 0 ? head.stdout.trim() : '';
  if (!ref.startsWith(PLANNING_BRANCH_PREFIX)) return null;
  const checkout = await planningRepo(repoRoot).catch(() => null);
  const state = checkout ? readPlanning(checkout, ref.slice(PLANNING_BRANCH_PREFIX.length)) : null;
  const draft = state?.draft;
  if (!checkout || !state || !draft || !samePath(state.worktree, repoRoot) || draft.copies.length !== draft.sources.length) return null;
  const folder = path.join(state.worktree, ...state.planDir.split('/'));
  return {
    checkout,
    copies: draft.copies.map((c, i) => ({ copy: path.join(folder, ...c.split('/')), source: path.join(checkout, ...draft.sources[i]!.split('/')) })),
  };
}

/** The person's task list of a copy (`file`, absolute), or null when `file` is none of the copies. */
export function personsSourceOf(sources: ProposalSources, file: string): string | null {
  const abs = path.resolve(file);
  return sources.copies.find((c) => c.copy === abs || samePath(c.copy, abs))?.source ?? null;
}
