/**
 * A planning session's proposal that started from a draft (Complete with Agent) runs from the
 * session's worktree, where its `converted_from` links point at the copies of the person's task
 * lists in the planning folder. Its round trip ticks the person's own task lists instead: this
 * finds the session of a run's repository (`sessionOfWorktree`, as `proposalGate` and
 * `finishCheckoutOf` do) and pairs each copy with the task list it was copied from.
 */
import path from 'node:path';
import { samePath } from '../git';
import { sessionOfWorktree } from './worktreeSession';

export interface ProposalSources {
  /** The person's checkout the session was planned from. */
  checkout: string;
  /** Each copy (absolute, in the planning folder) with the person's task list it was copied from (absolute, in `checkout`). */
  copies: Array<{ copy: string; source: string }>;
}

/** Null when `repoRoot` is not the worktree of a planning session that started from a draft. */
export async function proposalSourcesOf(repoRoot: string): Promise<ProposalSources | null> {
  const session = await sessionOfWorktree(repoRoot).catch(() => null);
  const { checkout, state } = session ?? {};
  const draft = state?.draft;
  if (!session?.owns || !checkout || !state || !draft || draft.copies.length !== draft.sources.length) return null;
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
