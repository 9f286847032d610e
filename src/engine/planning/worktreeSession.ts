/**
 * Which planning session a worktree belongs to — the one rule behind the run gate
 * (`proposalGate`), a run's end (`finishCheckoutOf`) and a proposal's round trip
 * (`proposalSourcesOf`): the worktree's branch is `waves-plan/<id>`, the session's state is read
 * from the person's checkout (the repository's main worktree), and the session owns the worktree
 * when its recorded worktree is this one (real paths compared).
 */
import { PLANNING_BRANCH_PREFIX, type PlanningState } from '../../core/planning/planningSession';
import { git } from '../git';
import { planningRepo, readPlanning, samePath } from './planner';

export interface WorktreeSession {
  /** The branch the worktree is on, `waves-plan/<id>`. */
  branch: string;
  /** The session id the branch names. */
  id: string;
  /** The person's checkout the session was planned from (where its state is), or null when git cannot say. */
  checkout: string | null;
  /** The session's state, or null when the checkout holds no session of that id. */
  state: PlanningState | null;
  /** Whether the session's recorded worktree is `repo` itself (real paths): only then is `repo` the session's worktree. */
  owns: boolean;
}

/**
 * The session of the planning branch `repo` is on, or null when `repo` is on no planning branch
 * (or is no repository). Throws only when git cannot be run at all: the run gate must not pass
 * a plan it could not look at.
 */
export async function sessionOfWorktree(repo: string): Promise<WorktreeSession | null> {
  const head = await git(repo, ['symbolic-ref', '--quiet', '--short', 'HEAD'], [0, 1, 128]);
  const branch = head.code === 0 ? head.stdout.trim() : '';
  if (!branch.startsWith(PLANNING_BRANCH_PREFIX)) return null;
  const id = branch.slice(PLANNING_BRANCH_PREFIX.length);
  const checkout = await planningRepo(repo).catch(() => null);
  const state = checkout ? readPlanning(checkout, id) : null;
  return { branch, id, checkout, state, owns: state !== null && samePath(state.worktree, repo) };
}
