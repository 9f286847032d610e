/**
 * The run's integration branch in its own worktree and the merges into it: checked with
 * `merge-tree` first (touching no work tree), then written as a merge commit whose tree is
 * audited before it lands.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createWorktree } from './worktrees.js';
import { landingOf, markLanding } from './treeMarks.js';
import { git, gitOut, headCommit, identityArgs } from './gitRun.js';
import { parseMergeTree, parseStatusZ } from '../../core/git/gitParse.js';

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

export interface MergeCheck {
  clean: boolean;
  /** Conflicted paths (empty when clean). */
  conflicts: string[];
  /** The merged tree git computed (no commit, no change to any work tree). */
  tree: string;
}

/** `git merge-tree --write-tree` of `tip` and `branch` (git ≥ 2.38): touches no work tree. */
export async function mergeTreeCheck(repo: string, tip: string, branch: string): Promise<MergeCheck> {
  const r = await git(repo, ['merge-tree', '--write-tree', '--name-only', '--no-messages', '-z', tip, branch], [0, 1]);
  const parsed = parseMergeTree(r.stdout);
  return { clean: r.code === 0, conflicts: r.code === 0 ? [] : parsed.conflicts, tree: parsed.tree };
}

/** A merge commit written but not yet landed, with what the integration worktree looked like meanwhile. */
export interface PreparedMerge {
  /** The merge commit (referenced by nothing yet). */
  merge: string;
  /** The integration worktree's HEAD and changed paths, read while the commit was written. */
  head: string;
  dirty: string[];
}

/** The merge commit of `commit` into `tip` with exactly `tree` (a clean `merge-tree` result); nothing refers to it yet. */
export function writeMergeCommit(integrationWorktree: string, tip: string, commit: string, tree: string, message: string): Promise<string> {
  return gitOut(integrationWorktree, [...identityArgs(), 'commit-tree', tree, '-p', tip, '-p', commit, '-m', message]);
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
 * A landing stopped in the middle (the engine killed while `merge --ff-only` wrote the files):
 * its mark names the tip and the merge; the branch is still at the tip, and each changed path
 * holds the tip's version or the merge's (or is absent where that one has none, or holds a
 * beginning of the merge's: the file git was writing). Exactly then
 * those paths are put back as the tip has them (nothing is lost: the merge's versions are in the
 * package branches it is made from again) and true is returned. Anything else — a change that is
 * neither's, no mark — is left as it is.
 */
async function undoStoppedLanding(tree: string, head: string, dirty: readonly string[]): Promise<boolean> {
  const landing = landingOf(tree);
  if (!landing || landing.tip !== head) return false;
  const [inTip, inMerge] = await Promise.all([blobsOf(tree, landing.tip, dirty), blobsOf(tree, landing.merge, dirty)]);
  const present = dirty.filter((p) => fs.existsSync(path.join(tree, p)));
  if (present.some((p) => !fs.lstatSync(path.join(tree, p)).isFile())) return false;
  const hashes = present.length ? (await git(tree, ['hash-object', '--', ...present])).stdout.trim().split('\n') : [];
  const now = new Map(present.map((p, i) => [p, hashes[i] ?? '']));
  for (const p of dirty) {
    const id = now.get(p) ?? null;
    if (id === (inTip.get(p) ?? null) || id === (inMerge.get(p) ?? null)) continue;
    // The file git was writing when it was stopped: a beginning of the merge's version.
    const blob = inMerge.get(p);
    if (id === null || blob === undefined || !(await beginsWith(tree, blob, fs.readFileSync(path.join(tree, p))))) return false;
  }
  const fromTip = dirty.filter((p) => inTip.has(p));
  if (fromTip.length) await git(tree, ['checkout', '--no-overlay', landing.tip, '--', ...fromTip]);
  for (const p of dirty) {
    if (inTip.has(p)) continue;
    fs.rmSync(path.join(tree, p), { force: true });
    // And the folders git made for it, once empty.
    for (let dir = path.dirname(p); dir !== '.' && isEmptyDir(path.join(tree, dir)); dir = path.dirname(dir)) fs.rmdirSync(path.join(tree, dir));
  }
  markLanding(tree, null);
  return true;
}

/**
 * Whether `bytes` are the beginning of the blob `id` (a file cut short while git wrote it). git's
 * answers are text: only a file that is whole UTF-8 is compared, anything else is not taken as one.
 */
async function beginsWith(tree: string, id: string, bytes: Buffer): Promise<boolean> {
  const text = bytes.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(bytes)) return false;
  const size = Number((await git(tree, ['cat-file', '-s', id])).stdout.trim());
  if (!(bytes.length < size)) return false;
  return (await git(tree, ['cat-file', 'blob', id])).stdout.startsWith(text);
}

function isEmptyDir(dir: string): boolean {
  try {
    return fs.lstatSync(dir).isDirectory() && fs.readdirSync(dir).length === 0;
  } catch {
    return false;
  }
}

/** The blob ids of `paths` in `commit` (regular files only; a path it has not is absent). */
async function blobsOf(tree: string, commit: string, paths: readonly string[]): Promise<Map<string, string>> {
  const out = await git(tree, ['ls-tree', '-z', '--full-tree', commit, '--', ...paths]);
  const blobs = new Map<string, string>();
  for (const entry of out.stdout.split('\0')) {
    const m = /^(100644|100755) blob ([0-9a-f]+)\t(.+)$/s.exec(entry);
    if (m) blobs.set(m[3]!, m[2]!);
  }
  return blobs;
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
  // Marked while git writes: an engine stopped in the middle finds which two commits the files are of (integrationState).
  markLanding(integrationWorktree, { tip, merge });
  try {
    await git(integrationWorktree, ['merge', '--ff-only', '--quiet', merge]);
  } finally {
    markLanding(integrationWorktree, null);
  }
  return merge;
}
