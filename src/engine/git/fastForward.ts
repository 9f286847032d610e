/**
 * The final fast-forward (`waves finish`): what can bring the person's branch up to the
 * integration branch without losing anything, and doing it after checking again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathsInTheWay, type LocalEntry } from '../../core/git/inTheWay.js';
import { visibleText } from '../../core/present/visibleText.js';
import { parseLsFilesZ, parseNameStatusZ, parseStatusZ } from '../../core/git/gitParse.js';
import { git, isAncestor, revParse } from './gitRun.js';
import { listWorktrees, samePath } from './worktrees.js';
import { ignoredAmong } from './treeDiff.js';

export interface FastForwardOffer {
  /** Whether the target can be moved to the integration tip without losing anything. */
  possible: boolean;
  /** How: `merge --ff-only` in the main worktree (target checked out there), or `update-ref` (checked out nowhere). */
  method: 'merge-ff-only' | 'update-ref' | null;
  /** Why (not): one sentence for a person. */
  reason: string;
  target: string;
  integration: string;
  from: string | null;
  to: string | null;
  /** The worktree holding the target, when it is checked out. */
  worktree: string | null;
  /** The checkout the offer was made for (the target may be moved in it, or in the main worktree). */
  checkout: string;
  /** The person's files git does not track that the fast-forward would overwrite or delete (then it is not possible). */
  inTheWay: LocalFile[];
}

/** A file in a work tree that git does not track. */
export interface LocalFile {
  /** Relative to the work tree, `/`-separated. */
  path: string;
  /** Ignored by the work tree's rules (.gitignore, info/exclude, the person's excludes file), not just untracked. */
  ignored: boolean;
}

/** At most this many files are named in a reason. */
const NAMED_FILES = 8;

/**
 * What `waves finish` can do to bring `targetBranch` up to `integrationBranch`, for the checkout
 * `repo` (any worktree of the repository). A target checked out is moved only in the main
 * worktree or in `repo` itself — the checkout the finish is for, a linked one too (a run
 * from a linked worktree could not be finished even there). Changes nothing.
 */
export async function fastForwardOffer(repo: string, targetBranch: string, integrationBranch: string): Promise<FastForwardOffer> {
  const from = await revParse(repo, `refs/heads/${targetBranch}`);
  const to = await revParse(repo, `refs/heads/${integrationBranch}`);
  const base = { target: targetBranch, integration: integrationBranch, from, to, worktree: null as string | null, checkout: repo, inTheWay: [] as LocalFile[] };
  const no = (reason: string, worktree: string | null = null, inTheWay: LocalFile[] = []): FastForwardOffer => ({ ...base, worktree, inTheWay, possible: false, method: null, reason });
  if (!from) return no(`there is no branch ${targetBranch}`);
  if (!to) return no(`there is no branch ${integrationBranch}`);
  if (from === to) return no(`${targetBranch} is already at ${integrationBranch}`);
  if (!(await isAncestor(repo, from, to))) {
    return no(`${targetBranch} has commits that ${integrationBranch} lacks: a fast-forward would lose them; merge ${targetBranch} into ${integrationBranch} first`);
  }
  const worktrees = await listWorktrees(repo);
  const holder = worktrees.find((w) => w.branch === targetBranch);
  if (!holder) return { ...base, possible: true, method: 'update-ref', reason: `${targetBranch} is checked out nowhere: its ref can move from ${from.slice(0, 12)} to ${to.slice(0, 12)}` };
  const isMain = worktrees[0] !== undefined && samePath(worktrees[0].path, holder.path);
  if (!isMain && !samePath(holder.path, repo)) return no(`${targetBranch} is checked out in the worktree ${holder.path}; fast-forward it there (git -C ${holder.path} merge --ff-only ${integrationBranch})`, holder.path);
  const changed = parseStatusZ((await git(holder.path, ['status', '--porcelain=v1', '-z', '--untracked-files=no'])).stdout);
  if (changed.length > 0) {
    const shown = changed.slice(0, 5).map((e) => visibleText(e.path));
    return no(`${targetBranch} is checked out in ${holder.path} with uncommitted changes (${shown.join(', ')}${changed.length > 5 ? ', …' : ''}); commit or stash them first`, holder.path);
  }
  const inTheWay = await localFilesInTheWay(holder.path, from, to);
  if (inTheWay.length > 0) {
    const n = inTheWay.length;
    const named = inTheWay.slice(0, NAMED_FILES).map((f) => `${visibleText(f.path)}${f.ignored ? ' (ignored)' : ''}`);
    return no(
      `${targetBranch} is checked out in ${holder.path}, where the fast-forward would overwrite or delete ${n === 1 ? 'a file' : `${n} files`} of yours that git does not track: ${named.join(', ')}${n > NAMED_FILES ? `, … and ${n - NAMED_FILES} more` : ''}; move ${n === 1 ? 'it' : 'them'} out of the way (${integrationBranch} has the incoming version), then finish again`,
      holder.path,
      inTheWay,
    );
  }
  return { ...base, worktree: holder.path, possible: true, method: 'merge-ff-only', reason: `${targetBranch} is checked out in ${holder.path} with a clean tree: git merge --ff-only ${integrationBranch}` };
}

/** Why a fast-forward was not done (nothing was changed): the offer no longer holds. */
export class FastForwardRefusedError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'FastForwardRefusedError';
  }
}

/**
 * Carries out a possible offer, after checking it again (`fastForwardOffer`: the person may
 * have taken a while to say yes, and files may have appeared meanwhile); throws
 * `FastForwardRefusedError` when it no longer holds. `update-ref` is a compare-and-swap on
 * the old value.
 */
export async function fastForward(repo: string, offer: FastForwardOffer): Promise<string> {
  if (!offer.possible || !offer.from || !offer.to) throw new FastForwardRefusedError(`cannot fast-forward ${offer.target}: ${offer.reason}`);
  const now = await fastForwardOffer(offer.checkout ?? repo, offer.target, offer.integration);
  if (!now.possible) throw new FastForwardRefusedError(now.reason);
  if (now.from !== offer.from || now.to !== offer.to || now.method !== offer.method || now.worktree !== offer.worktree) {
    throw new FastForwardRefusedError(`${offer.target} or ${offer.integration} moved, or was checked out, since the fast-forward was offered; look again`);
  }
  if (offer.method === 'update-ref') {
    await git(repo, ['update-ref', '-m', `waves finish: fast-forward to ${offer.integration}`, `refs/heads/${offer.target}`, offer.to, offer.from]);
  } else {
    await git(offer.worktree!, ['merge', '--ff-only', offer.to]);
  }
  return offer.to;
}

/**
 * The files git does not track in `worktree` (ignored or merely untracked) that checking
 * out `to` over it (at `from`, clean) would overwrite or delete: `git merge --ff-only`
 * refuses for untracked files but overwrites ignored ones without a word, and removes the
 * ignored files of a folder that becomes a file. Found by core/git/inTheWay.ts from the
 * change's added paths and `lstat`; a folder in the way gives the files in it
 * (`ls-files --others`).
 */
export async function localFilesInTheWay(worktree: string, from: string, to: string): Promise<LocalFile[]> {
  const changes = parseNameStatusZ((await git(worktree, ['diff', '--name-status', '--no-renames', '-z', from, to, '--'])).stdout);
  const found = pathsInTheWay(changes, (rel) => localEntry(path.join(worktree, rel)));
  const files: string[] = [];
  for (const f of found) {
    if (!f.folder) files.push(f.path);
    else files.push(...parseLsFilesZ((await git(worktree, ['ls-files', '--others', '-z', '--', `:(literal)${f.path}`])).stdout));
  }
  if (files.length === 0) return [];
  const ignored = await ignoredAmong(worktree, files);
  return files.map((p) => ({ path: p, ignored: ignored.has(p) }));
}

/** What is at `file` without following a link; anything unreadable counts as something (so nothing is assumed away). */
function localEntry(file: string): LocalEntry {
  try {
    return fs.lstatSync(file).isDirectory() ? 'folder' : 'other';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'none' : 'other';
  }
}
