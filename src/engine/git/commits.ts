/**
 * The engine's own commits in a package's tree: what an agent left uncommitted, with the
 * engine's identity (`.waves/` and ignored files stay out).
 */
import { git, gitOut, headCommit, headState, identityArgs, ENGINE_IDENTITY } from './gitRun.js';
import { indexHoldsPathUnder, repoDirs, treeHasEntry } from './gitOnDisk.js';

/**
 * Commits everything an agent left uncommitted (tracked and untracked; ignored files and
 * `.waves/` stay out) on the worktree's branch with the engine's identity. Returns the new commit, or null when
 * there was nothing to commit.
 */
export async function commitAll(worktree: string, message: string, identity: { name: string; email: string } = ENGINE_IDENTITY): Promise<string | null> {
  const made = await commitAllLanding(worktree, message, identity);
  await made.landed;
  return made.commit;
}

/** A commit of leftovers: the commit (null: nothing to commit) and the branch's move to it, which may still be under way. */
export interface LeftoversCommit {
  commit: string | null;
  /** Settles when HEAD's branch is at `commit` (compare-and-swap from the commit HEAD was at); rejects when it could not be moved. */
  landed: Promise<void>;
}

/**
 * `commitAll`, returning as soon as the commit object exists: the branch's compare-and-swap to it
 * goes on (`landed`) while the caller reads the commit by its id (the audit).
 */
export async function commitAllLanding(worktree: string, message: string, identity: { name: string; email: string } = ENGINE_IDENTITY): Promise<LeftoversCommit> {
  // Everything, then `.waves/` taken out of the index again (`add` with an exclude pathspec fails when `.waves/` is tracked and ignored).
  // HEAD (its commit and tree) is read at the same time: `add` changes the index only.
  const [, at] = await Promise.all([git(worktree, ['add', '-A', '--', '.']), headState(worktree, ['HEAD^{tree}'])]);
  // Unless the files say plainly that neither the index nor HEAD holds anything under `.waves`.
  if (!(at && noEngineFolder(worktree, at.revs[0]!))) await git(worktree, ['reset', '-q', '--', '.waves']);
  const done = { commit: null, landed: Promise.resolve() };
  if (!at) {
    // An unborn or unusual HEAD: porcelain, as a person would.
    if ((await git(worktree, ['diff', '--cached', '--quiet'], [0, 1])).code === 0) return done;
    await git(worktree, [...identityArgs(identity), 'commit', '--no-verify', '-q', '-m', message]);
    return { commit: await headCommit(worktree), landed: Promise.resolve() };
  }
  // The index as a tree, a commit of it on HEAD, and HEAD moved to it only if it is still
  // where it was read (compare-and-swap): three processes where porcelain takes four.
  const tree = await gitOut(worktree, ['write-tree']);
  if (tree === at.revs[0]) return done;
  const commit = await gitOut(worktree, [...identityArgs(identity), 'commit-tree', tree, '-p', at.head, '-m', message]);
  const landed = git(worktree, ['update-ref', '-m', `commit: ${message.split('\n')[0]}`, 'HEAD', commit, at.head]).then(() => undefined);
  landed.catch(() => undefined); // the caller's to await
  return { commit, landed };
}

/** True when the tree's index and HEAD's tree (`headTree`) are known from git's files to hold nothing under `.waves`: `reset -- .waves` would change nothing. */
function noEngineFolder(worktree: string, headTree: string): boolean {
  const dirs = repoDirs(worktree);
  return dirs !== null && indexHoldsPathUnder(dirs, '.waves') === false && treeHasEntry(dirs.commonDir, headTree, '.waves') === false;
}

