/**
 * A tree the engine fast-forwards (the integration tree's landing of a merge, a tree made ahead
 * taken at the integration tip) is marked while git writes its files, so that files a landing
 * stopped in the middle left (the engine killed with its git) are known for what they are and put
 * back before the tree is used again: never guessed, never a change of anyone else's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ENGINE_IDENTITY, git, gitOut, identityArgs } from './gitRun.js';
import { chainStream, zoneOf, type ChainMerge } from '../../core/git/mergeChain.js';
import { landingOf, markLanding } from './treeMarks.js';
import { parseMergeTree, parseStatusZ } from '../../core/git/gitParse.js';

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

/** The merge commit of `commit` into `tip` with exactly `tree` (a clean `merge-tree` result); nothing refers to it yet. */
export function writeMergeCommit(integrationWorktree: string, tip: string, commit: string, tree: string, message: string): Promise<string> {
  return gitOut(integrationWorktree, [...identityArgs(), 'commit-tree', tree, '-p', tip, '-p', commit, '-m', message]);
}

/**
 * Writes the merges of `merges` as one chain on `from` with one `git fast-import`
 * (core/git/mergeChain.ts: their changes on disjoint paths, each audited): a two-parent merge commit
 * per package, dated now, by the engine's identity (or the ones git's environment names), referenced
 * by nothing (fast-import's ref is deleted in the same stream; small chains are written as loose
 * objects, as `commit-tree` writes them). Gives the commits' ids, in order.
 */
export async function writeMergeChain(integrationWorktree: string, from: string, merges: readonly ChainMerge[]): Promise<string[]> {
  const now = new Date();
  // As `commit-tree -c user.name=… -c user.email=…` names them: git's environment first.
  const env = process.env;
  const author = { name: env.GIT_AUTHOR_NAME || ENGINE_IDENTITY.name, email: env.GIT_AUTHOR_EMAIL || ENGINE_IDENTITY.email };
  const committer = { name: env.GIT_COMMITTER_NAME || ENGINE_IDENTITY.name, email: env.GIT_COMMITTER_EMAIL || ENGINE_IDENTITY.email };
  const ref = `refs/waves-merge-chain/${process.pid}-${randomBytes(6).toString('hex')}`;
  const stream = chainStream({ from, merges, ref, author, committer, when: now.getTime() / 1000, zone: zoneOf(now) });
  const r = await git(integrationWorktree, ['-c', 'fastimport.unpackLimit=1000', 'fast-import', '--quiet', '--done', '--date-format=raw'], [0], {}, stream);
  const ids = r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  if (ids.length !== merges.length || !ids.every((id) => /^[0-9a-f]{40,64}$/.test(id))) throw new Error(`git fast-import gave ${ids.length} commits for ${merges.length} merges`);
  return ids;
}

/** `merge --ff-only <target>` in `tree` (at `tip`), marked while git writes (`undoStoppedLanding` reads the mark). */
export async function fastForwardMarked(tree: string, tip: string, target: string): Promise<void> {
  markLanding(tree, { tip, merge: target });
  try {
    await git(tree, ['merge', '--ff-only', '--quiet', '--no-stat', target]);
  } finally {
    markLanding(tree, null);
  }
}

/** A tree reused for a retry: a landing its mark names, stopped in the middle, is undone (`undoStoppedLanding`). */
export async function undoMarkedLanding(tree: string): Promise<boolean> {
  if (!landingOf(tree)) return false;
  const [status, head] = await Promise.all([git(tree, ['status', '--porcelain=v1', '-z', '--untracked-files=all']), git(tree, ['rev-parse', 'HEAD'])]);
  const dirty = parseStatusZ(status.stdout).map((e) => e.path);
  if (dirty.length === 0) {
    markLanding(tree, null);
    return false;
  }
  return undoStoppedLanding(tree, head.stdout.trim(), dirty);
}

/**
 * A landing stopped in the middle (the engine killed while `fastForwardMarked`'s git wrote the
 * files): its mark names the tip and the target; the branch is still at the tip, and each changed
 * path (`dirty`, from `status`) holds the tip's version or the target's (or is absent where that
 * one has none, or holds a beginning of the target's: the file git was writing). Exactly then those
 * paths are put back as the tip has them — nothing is lost: the target's versions are in its
 * commit — and true is returned. Anything else (a change that is neither's, no mark) is left.
 */
export async function undoStoppedLanding(tree: string, head: string, dirty: readonly string[]): Promise<boolean> {
  const landing = landingOf(tree);
  if (!landing || landing.tip !== head) return false;
  const [inTip, inMerge] = await Promise.all([blobsOf(tree, landing.tip, dirty), blobsOf(tree, landing.merge, dirty)]);
  const present = dirty.filter((p) => fs.existsSync(path.join(tree, p)));
  if (present.some((p) => !fs.lstatSync(path.join(tree, p)).isFile())) return false;
  const hashes: string[] = [];
  for (const part of inChunks(present)) hashes.push(...(await git(tree, ['hash-object', '--', ...part])).stdout.trim().split('\n'));
  const now = new Map(present.map((p, i) => [p, hashes[i] ?? '']));
  for (const p of dirty) {
    const id = now.get(p) ?? null;
    if (id === (inTip.get(p) ?? null) || id === (inMerge.get(p) ?? null)) continue;
    // The file git was writing when it was stopped: a beginning of the merge's version.
    const blob = inMerge.get(p);
    if (id === null || blob === undefined || !(await beginsWith(tree, blob, fs.readFileSync(path.join(tree, p))))) return false;
  }
  // The index first (a landing stopped after git wrote it holds the target's entries), then the files.
  for (const part of inChunks(dirty)) await git(tree, ['reset', '--quiet', landing.tip, '--', ...part]);
  for (const part of inChunks(dirty.filter((p) => inTip.has(p)))) await git(tree, ['checkout', '--no-overlay', landing.tip, '--', ...part]);
  for (const p of dirty) {
    if (inTip.has(p)) continue;
    fs.rmSync(path.join(tree, p), { force: true });
    // And the folders git made for it, once empty.
    for (let dir = path.dirname(p); dir !== '.' && isEmptyDir(path.join(tree, dir)); dir = path.dirname(dir)) fs.rmdirSync(path.join(tree, dir));
  }
  // And the folders git made for files of the merge it had not begun to write (no status shows an empty folder): deepest first.
  const added = (await git(tree, ['diff-tree', '-r', '-z', '--name-only', '--no-renames', '--diff-filter=A', landing.tip, landing.merge])).stdout.split('\0').filter(Boolean);
  const folders = new Set<string>();
  for (const p of added) for (let dir = path.dirname(p); dir !== '.' && !folders.has(dir); dir = path.dirname(dir)) folders.add(dir);
  for (const dir of [...folders].sort((a, b) => b.length - a.length)) if (isEmptyDir(path.join(tree, dir))) fs.rmdirSync(path.join(tree, dir));
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
    // gone, or not a folder: not an empty folder
    return false;
  }
}

/** `paths` in parts small enough for one command line each. */
function inChunks(paths: readonly string[], size = 500): string[][] {
  const parts: string[][] = [];
  for (let i = 0; i < paths.length; i += size) parts.push(paths.slice(i, i + size));
  return parts;
}

/** The blob ids of `paths` in `commit` (regular files only; a path it has not is absent). */
async function blobsOf(tree: string, commit: string, paths: readonly string[]): Promise<Map<string, string>> {
  const blobs = new Map<string, string>();
  for (const part of inChunks(paths)) for (const entry of (await git(tree, ['ls-tree', '-z', '--full-tree', commit, '--', ...part])).stdout.split('\0')) {
    const m = /^(100644|100755) blob ([0-9a-f]+)\t(.+)$/s.exec(entry);
    if (m) blobs.set(m[3]!, m[2]!);
  }
  return blobs;
}

