/**
 * Package worktrees (docs/run-engine.md, "Git and audit"): created or reused for an attempt
 * (a retry never redoes committed work), taken when made ahead (ADR 0016), the feature's
 * shared tree, and removed only when clean and merged. A tree an engine left half made is finished
 * before it is reused (halfMade.ts). Nothing here loses work.
 */
import fs from 'node:fs';
import path from 'node:path';
import { configOverrides } from './gitSafety.js';
import { headOnDisk } from './gitOnDisk.js';
import { dropLayer, layTree } from './layers.js';
import { layerOf } from '../../store/treeLayers.js';
import { branchExists, git, GitError, gitOut, headCommit, isAncestor, revParse } from './gitRun.js';
import { commitAll } from './commits.js';
import { madeAheadAt, markTaken } from './treeMarks.js';
import { checkOutNewTree, dropUnmadeTree, finishHalfMade } from './halfMade.js';
import { inCheckoutTurn } from './repoTurns.js';
import { realPathOr as real } from './staleLocks.js';
import { fastForwardMarked, mergeTreeCheck, undoMarkedLanding, undoStoppedLanding, writeMergeCommit } from './landing.js';
import { parseStatusV2Z, parseStatusZ, parseWorktreeList, type WorktreeInfo } from '../../core/git/gitParse.js';

/** The repository's worktrees, as `worktree list --porcelain` says. */
export async function listWorktrees(repo: string): Promise<WorktreeInfo[]> {
  return parseWorktreeList((await git(repo, ['worktree', 'list', '--porcelain', '-z'])).stdout);
}

export const samePath = (a: string, b: string): boolean => real(a) === real(b);

/**
 * The listed worktree at `p`: the first whose path is the same folder, as `samePath` says — with a
 * `stat` per entry at most, not a realpath (a walk of every part of the path) of each, so that making
 * a tree does not grow with the run's trees. A folder not there is matched by its resolved path alone
 * (`samePath`'s own fallback: a real path of a folder that is there cannot name one that is not), so
 * nothing is read for a tree about to be made; a match by the folder's identity is confirmed by real
 * paths (one pair), so a folder shown at two places by a bind mount is not taken for the same.
 */
export function worktreeAt<T extends { path: string }>(worktrees: readonly T[], p: string): T | undefined {
  const resolved = path.resolve(p);
  const there = statOrNull(p);
  return worktrees.find((w) => {
    if (path.resolve(w.path) === resolved) return true;
    if (!there) return false;
    const st = statOrNull(w.path);
    return st !== null && st.ino === there.ino && st.dev === there.dev && samePath(w.path, p);
  });
}

/** A folder's identity, or null where it cannot be read (not there, not allowed: `samePath` falls back to the path then). */
function statOrNull(p: string): fs.Stats | null {
  try {
    return fs.statSync(p);
  } catch {
    return null; // as realPathOr's fallback: compared by path
  }
}

export interface WorktreeRequest {
  repo: string;
  /** Where the worktree lives (a sibling folder of the repository). */
  path: string;
  branch: string;
  /** The base: a revision that already holds every dependency's merged result. */
  base: string;
  /** The lock reason (`git worktree lock --reason`). */
  reason: string;
  /**
   * When the branch already exists (a retry) and its history lacks `base`, merge `base` into
   * it first (default true). The integration branch passes false.
   */
  mergeBase?: boolean;
  /** Only a new branch in a new tree (a tree made ahead, ADR 0016): an existing branch or worktree is refused, not reused. */
  onlyNew?: boolean;
  /**
   * A new tree is layered (layers.ts, ADR 0032): its files one shared checkout of its base with its
   * own changes on top, seen whole only where the layer is mounted (the walls, the engine's git).
   * Only for a tree every command in it runs confined; a tree that exists is taken as it is.
   */
  layered?: boolean;
}

export interface WorktreeResult {
  path: string;
  branch: string;
  /** The base commit `base` resolved to (record it: the audit diffs against it). */
  baseSha: string;
  /** HEAD after preparation. */
  head: string;
  /** 'created': new branch; 'checked-out': existing branch, new worktree; 'reused': both existed. */
  how: 'created' | 'checked-out' | 'reused';
  /** The merge commit that brought `base` into an existing branch, or null. */
  mergedBase: string | null;
}

/**
 * Prepares a package's worktree. A new branch starts at `base`; a retry never redoes
 * committed work: an existing worktree of the branch is reused, an existing branch is
 * checked out (not recreated), and when `base` is not in its history it is merged in
 * (a conflict aborts that merge and throws). HEAD is checked, then the worktree is locked.
 */
export async function createWorktree(req: WorktreeRequest): Promise<WorktreeResult> {
  const { repo, branch, reason } = req;
  await dropUnmadeTree(repo, req.path);
  // Independent reads, at once (the handoff to a dependent waits on this function).
  const [baseSha, worktrees, branchThere] = await Promise.all([revParse(repo, req.base), listWorktrees(repo), branchExists(repo, branch)]);
  if (!baseSha) throw new Error(`the base ${req.base} is not a commit of ${repo}`);
  const atPath = worktreeAt(worktrees, req.path);
  const ofBranch = worktrees.find((w) => w.branch === branch);
  if (atPath && atPath.branch !== branch) {
    throw new Error(`${req.path} is already a worktree of ${atPath.branch ?? 'a detached HEAD'}, not ${branch}; move it away first`);
  }
  if (!atPath && fs.existsSync(req.path) && fs.readdirSync(req.path).length > 0) {
    throw new Error(`${req.path} exists and is not a worktree of ${branch}; move it away first`);
  }
  if (ofBranch && !atPath) {
    throw new Error(`${branch} is already checked out in ${ofBranch.path}; remove that worktree or run the package there`);
  }
  if (req.onlyNew && (atPath || branchThere)) throw new Error(`${branch} exists already: not a new tree`);
  let how: WorktreeResult['how'];
  // A new worktree is locked as it is added (`--lock --reason`): never a moment unlocked. Its list
  // entry is made in the repository's turn (gitRun.ts: fast, no file written), its files then side
  // by side with other trees', a few at once (repoTurns.ts).
  const addLocked = ['worktree', 'add', '--quiet', '--no-checkout', '--lock', '--reason', reason];
  if (atPath) {
    how = 'reused';
    if (atPath.prunable !== null) throw new Error(`the worktree ${req.path} is missing on disk (git says: ${atPath.prunable}); run git worktree prune`);
    await finishHalfMade(req.path);
    await undoMarkedLanding(req.path);
  } else if (branchThere) {
    how = 'checked-out';
    await git(repo, [...addLocked, req.path, branch]);
    await filesOfNewTree(repo, req.path, req.onlyNew === true, req.layered === true);
  } else {
    how = 'created';
    await git(repo, [...addLocked, '-b', branch, req.path, baseSha]);
    await filesOfNewTree(repo, req.path, req.onlyNew === true, req.layered === true);
  }
  // The new tree's neutralisers are read for its later calls meanwhile. Its HEAD: from its files
  // when they say plainly "on the branch, at this commit" (a tree `worktree add` just made), else
  // as the repository lists it (one call), else asked of the tree itself.
  void configOverrides(req.path).catch(() => undefined);
  const onDisk = how === 'reused' ? null : worktreeHeadOnDisk(req.path, branch);
  const listed = onDisk ? null : worktreeAt(await listWorktrees(repo), req.path);
  const [symbolic, headOut] = onDisk
    ? [`refs/heads/${branch}`, onDisk]
    : listed?.head && !listed.detached
      ? [listed.branch ? `refs/heads/${listed.branch}` : '', listed.head]
      : await Promise.all([git(req.path, ['symbolic-ref', '--quiet', 'HEAD'], [0, 1]).then((r) => r.stdout.trim()), gitOut(req.path, ['rev-parse', 'HEAD'])]);
  if (symbolic !== `refs/heads/${branch}`) throw new Error(`the worktree ${req.path} is on ${symbolic || 'a detached HEAD'}, not ${branch}`);
  let head = headOut;
  if (how === 'created' && head !== baseSha) throw new Error(`the new worktree ${req.path} is at ${head}, not at its base ${baseSha}`);
  let mergedBase: string | null = null;
  if (how !== 'created' && req.mergeBase !== false) {
    mergedBase = await mergeBaseInto(req.path, branch, baseSha, head);
    head = mergedBase ?? head;
  }
  if (how === 'reused') await lockWorktree(repo, req.path, reason);
  return { path: req.path, branch, baseSha, head, how, mergedBase };
}

/**
 * The files of a tree just registered, in the repository's checkout turns (`ahead`: a tree made
 * ahead, after every package starting now); `layered`: laid over a shared base (layers.ts), whose
 * making alone takes a turn. Files git cannot write (an entry it refuses): the tree is taken out
 * of the list again, as `worktree add` does itself, and this throws.
 */
async function filesOfNewTree(repo: string, tree: string, ahead: boolean, layered: boolean): Promise<void> {
  try {
    if (layered) {
      await layTree(repo, tree, ahead);
      await checkOutNewTree(tree);
    } else await inCheckoutTurn(repo, ahead, () => checkOutNewTree(tree));
  } catch (err) {
    const layer = layerOf(tree);
    await git(repo, ['worktree', 'remove', '--force', '--force', tree], [0, 128]).catch(() => undefined);
    if (layer) await dropLayer(layer).catch(() => undefined);
    throw err;
  }
}

/**
 * The commit a linked worktree's HEAD names when its own files say so plainly: its `.git` file
 * points at its folder in the repository, whose `HEAD` is `ref: refs/heads/<branch>`, and that
 * branch's ref holds an object id (gitOnDisk.ts). Anything else (a reftable ref, another branch,
 * a detached HEAD, an unreadable file): null, and git is asked.
 */
export function worktreeHeadOnDisk(tree: string, branch: string): string | null {
  try {
    if (!fs.lstatSync(path.join(tree, '.git')).isFile()) return null;
  } catch {
    // no .git in the tree: null, and git is asked
    return null;
  }
  const head = headOnDisk(tree);
  return head && head.gitDir !== head.commonDir && head.ref === `refs/heads/${branch}` ? head.id : null;
}

/** Merges `baseSha` into the branch checked out in `tree` when its history (`head`) lacks it; the merge commit, or null when none was needed. A conflict aborts the merge and throws. */
async function mergeBaseInto(tree: string, branch: string, baseSha: string, head: string): Promise<string | null> {
  if (await isAncestor(tree, baseSha, head)) return null;
  // Merged without a work tree, then fast-forwarded marked (landing.ts): a merge stopped in the
  // middle leaves files the next attempt's tree knows for what they are.
  const merged = await mergeTreeCheck(tree, head, baseSha);
  if (!merged.clean) throw new GitError(['merge', baseSha], tree, 1, `the updated base does not merge cleanly into ${branch}\nconflicts: ${merged.conflicts.join(', ')}`);
  const commit = await writeMergeCommit(tree, head, baseSha, merged.tree, `Merge the updated base ${baseSha.slice(0, 12)} into ${branch}`);
  await fastForwardMarked(tree, head, commit);
  return commit;
}

/**
 * Takes a tree made ahead for its package's first attempt (its mark says the commit it was made
 * at): it must still be exactly as made — on its branch, at that commit, nothing changed or
 * added — and is fast-forwarded to `base` (the integration tip now, with the dependencies merged
 * since). When it is not as made it is left as it is, with its mark, and this throws: nothing in
 * it is lost. Returns what `createWorktree` returns for a new tree (`how: 'created'`: the set-up
 * hook runs next).
 */
export async function takeMadeAhead(req: Pick<WorktreeRequest, 'repo' | 'path' | 'branch' | 'base'>, madeAt: string): Promise<WorktreeResult> {
  await finishHalfMade(req.path);
  const statusNow = async () => parseStatusV2Z((await git(req.path, ['status', '--porcelain=v2', '--branch', '-z', '--untracked-files=all', '--no-renames'])).stdout);
  const [baseSha, first] = await Promise.all([revParse(req.repo, req.base), statusNow()]);
  // A fast-forward to the tip stopped in the middle (below) left the tip's files: put back first.
  const undone = first.entries.length > 0 && first.head !== null && (await undoStoppedLanding(req.path, first.head, first.entries.map((e) => e.path)));
  const status = undone ? await statusNow() : first;
  if (!baseSha) throw new Error(`the base ${req.base} is not a commit of ${req.repo}`);
  const changed: string[] = [];
  // Its own fast-forward (below) ended before the take was marked: at a commit between the one it was made at and the tip, clean.
  const forwarded = status.head !== null && status.head !== madeAt && status.entries.length === 0 && (await isAncestor(req.path, madeAt, status.head)) && (await isAncestor(req.path, status.head, baseSha));
  const at = forwarded ? status.head! : madeAt;
  if (status.branch !== req.branch) changed.push(`it is on ${status.branch ?? 'a detached HEAD'}, not ${req.branch}`);
  else if (status.head !== at) changed.push(`its branch moved from ${madeAt.slice(0, 12)} to ${status.head?.slice(0, 12) ?? 'nothing'}`);
  if (status.entries.length > 0) {
    const shown = status.entries.slice(0, 5).map((e) => e.path);
    changed.push(`${status.entries.length} file(s) changed or added: ${shown.join(', ')}${status.entries.length > 5 ? ', …' : ''}`);
  }
  if (changed.length > 0) {
    throw new Error(`the tree ${req.path}, made ahead for ${req.branch}, changed before its package started (${changed.join('; ')}); it is kept as it is: look at it, then move it away and run the package again`);
  }
  // Forward only: git refuses a base that does not hold the tree's commit.
  if (baseSha !== at) await fastForwardMarked(req.path, at, baseSha);
  const head = worktreeHeadOnDisk(req.path, req.branch) ?? (await gitOut(req.path, ['rev-parse', 'HEAD']));
  if (head !== baseSha) throw new Error(`the worktree ${req.path} is at ${head}, not at its base ${baseSha}`);
  markTaken(req.path);
  return { path: req.path, branch: req.branch, baseSha, head, how: 'created', mergedBase: null };
}

/**
 * Removes a tree made ahead that no attempt took: only while it is exactly as made (clean, its
 * branch at `madeAt`); its branch is deleted only if it still points there. Anything else stays.
 */
export async function dropMadeAhead(repo: string, tree: string, branch: string, madeAt: string): Promise<boolean> {
  if (madeAheadAt(tree) !== madeAt) return false;
  const r = await removeWorktreeIfSafe({ repo, worktree: tree, branch, mergedInto: madeAt });
  if (r.removed && !r.branchDeleted) await git(repo, ['update-ref', '-d', `refs/heads/${branch}`, madeAt], [0, 1, 128]);
  return r.removed;
}

/**
 * Prepares the feature's shared tree (`worktree: {mode: shared}`) for one package: the tree
 * is created detached at `base` the first time and kept; the package gets its own branch
 * there, created at `base` (or, on a retry, its existing branch with `base` merged in), so
 * that it is audited and merged exactly like an isolated package. Leftovers of the package
 * that used the tree before (one that failed before its commit) are committed on ITS branch
 * first: nothing is lost, nothing carried over. Shared packages run one at a time (the
 * scheduler's `worktree:shared/<feature>` key).
 */
export async function prepareSharedTree(req: WorktreeRequest & { leftoversMessage: (branch: string) => string }): Promise<WorktreeResult> {
  const { repo, branch, reason } = req;
  await dropUnmadeTree(repo, req.path);
  const [baseSha, worktrees, branchThere] = await Promise.all([revParse(repo, req.base), listWorktrees(repo), branchExists(repo, branch)]);
  if (!baseSha) throw new Error(`the base ${req.base} is not a commit of ${repo}`);
  const atPath = worktreeAt(worktrees, req.path);
  const ofBranch = worktrees.find((w) => w.branch === branch);
  if (ofBranch && !(atPath && samePath(ofBranch.path, atPath.path))) {
    throw new Error(`${branch} is already checked out in ${ofBranch.path}; remove that worktree or run the package there`);
  }
  let how: WorktreeResult['how'] = branchThere ? 'checked-out' : 'created';
  if (!atPath) {
    if (fs.existsSync(req.path) && fs.readdirSync(req.path).length > 0) throw new Error(`${req.path} exists and is not the shared worktree; move it away first`);
    await git(repo, ['worktree', 'add', '--quiet', '--lock', '--reason', reason, '--detach', req.path, baseSha]);
  } else if (atPath.prunable !== null) {
    throw new Error(`the shared worktree ${req.path} is missing on disk (git says: ${atPath.prunable}); run git worktree prune`);
  } else {
    await finishHalfMade(req.path);
    await lockWorktree(repo, req.path, reason);
  }
  const current = (await git(req.path, ['symbolic-ref', '--quiet', 'HEAD'], [0, 1])).stdout.trim();
  const dirty = parseStatusZ((await git(req.path, ['status', '--porcelain=v1', '-z', '--untracked-files=all'])).stdout);
  if (dirty.length > 0) {
    const owner = current.replace(/^refs\/heads\//, '');
    if (!owner.startsWith('waves/')) throw new Error(`the shared worktree ${req.path} has uncommitted changes (${dirty.slice(0, 5).map((e) => e.path).join(', ')}) and is on no package's branch; commit or remove them first`);
    await commitAll(req.path, req.leftoversMessage(owner));
  }
  if (current === `refs/heads/${branch}`) how = 'reused';
  else if (branchThere) await git(req.path, ['switch', '--quiet', '--no-guess', branch]);
  else await git(req.path, ['switch', '--quiet', '--no-guess', '-c', branch, baseSha]);
  const symbolic = (await git(req.path, ['symbolic-ref', '--quiet', 'HEAD'], [0, 1])).stdout.trim();
  if (symbolic !== `refs/heads/${branch}`) throw new Error(`the shared worktree ${req.path} is on ${symbolic || 'a detached HEAD'}, not ${branch}`);
  let head = await headCommit(req.path);
  const mergedBase = how === 'created' ? null : await mergeBaseInto(req.path, branch, baseSha, head);
  head = mergedBase ?? head;
  return { path: req.path, branch, baseSha, head, how, mergedBase };
}

async function lockWorktree(repo: string, wt: string, reason: string): Promise<void> {
  const r = await git(repo, ['worktree', 'lock', '--reason', reason, wt], [0, 128]);
  if (r.code !== 0 && !/already locked/.test(r.stderr)) throw new GitError(['worktree', 'lock', wt], repo, r.code, r.stderr);
}

export interface RemoveResult {
  removed: boolean;
  branchDeleted: boolean;
  /** Why nothing (or not everything) was removed. */
  reason: string | null;
}

/**
 * Removes a package worktree only when it is clean (`status --porcelain --untracked-files=all`
 * empty) and its branch is merged into `mergedInto`: unlock, `worktree remove` (`--force`
 * only for a layered tree, whose folder holds its own changes alone, or a removal git stopped
 * midway), `branch -d` (never -D; git may still refuse when the branch is not merged into
 * the current HEAD — then the branch stays and the reason says so).
 */
export async function removeWorktreeIfSafe(options: { repo: string; worktree: string; branch: string; mergedInto: string }): Promise<RemoveResult> {
  const { repo, worktree, branch, mergedInto } = options;
  const refuse = (reason: string): RemoveResult => ({ removed: false, branchDeleted: false, reason });
  // The three reads at once (the end of a run waits for the last tree); judged in this order.
  const statusRead = git(worktree, ['status', '--porcelain=v1', '-z', '--untracked-files=all']);
  const mergedRead = isAncestor(repo, branch, mergedInto);
  statusRead.catch(() => undefined); // awaited below unless refused first
  mergedRead.catch(() => undefined);
  const wt = worktreeAt(await listWorktrees(repo), worktree);
  if (!wt) return refuse(`${worktree} is not a worktree of ${repo}`);
  if (wt.branch !== branch) return refuse(`${worktree} is on ${wt.branch ?? 'a detached HEAD'}, not ${branch}`);
  const dirty = parseStatusZ((await statusRead).stdout);
  // A removal stopped in the middle (git had deleted some of the tree's files): only tracked files
  // missing, the index as the commit has it; every missing file is in the merged commit.
  const stoppedRemoval = dirty.length > 0 && dirty.every((e) => e.index === ' ' && e.worktree === 'D');
  if (dirty.length > 0 && !stoppedRemoval) {
    const shown = dirty.slice(0, 5).map((e) => e.path);
    return refuse(`${worktree} has ${dirty.length} uncommitted or untracked file(s) (${shown.join(', ')}${dirty.length > 5 ? ', …' : ''}); kept`);
  }
  if (!(await mergedRead)) return refuse(`${branch} is not merged into ${mergedInto}; kept`);
  if (wt.locked !== null) await git(repo, ['worktree', 'unlock', worktree], [0, 128]);
  // A layered tree's folder holds only its own changes: git, outside its layer, would find every
  // other file deleted. It was found clean above, through its layer.
  const layer = layerOf(worktree);
  const rm = await git(repo, ['worktree', 'remove', ...(stoppedRemoval || layer ? ['--force'] : []), worktree], [0, 128]);
  if (rm.code !== 0) {
    await lockWorktree(repo, worktree, wt.locked ?? 'Wave Orchestrator').catch(() => undefined);
    return refuse(`git refused to remove ${worktree}: ${rm.stderr.trim()}`);
  }
  if (layer) await dropLayer(layer);
  // `worktree remove` deleted the tree's entry in the repository's git folder itself: no prune here
  // (one git process less for each package, and one turn less of the repository's worktree writes).
  const del = await git(repo, ['branch', '-d', branch], [0, 1]);
  return del.code === 0
    ? { removed: true, branchDeleted: true, reason: null }
    : { removed: true, branchDeleted: false, reason: `the branch ${branch} stays: ${del.stderr.trim().split('\n')[0]}` };
}
