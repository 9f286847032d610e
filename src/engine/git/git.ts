/**
 * Git for the run engine (docs/run-engine.md, "Git and audit"): package worktrees, the scope
 * audit's change lists, the integration branch and its merges, the final fast-forward offer
 * and safe clean-up. Every call is `execFile('git', argv)` — never a shell — through the
 * engine's git queue (gitProcess.ts), and a failure is a `GitError` carrying git's own stderr.
 *
 * Nothing here loses work: no `--force`, no `reset --hard`, no `clean`, no `branch -D`; the
 * user's branch moves only by `merge --ff-only` in a clean main worktree or by a compare-and-
 * swap `update-ref` when it is checked out nowhere. Porcelain is parsed by src/core/run/gitParse.ts.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { toFileChange, type AuditChange } from '../../core/run/audit.js';
import { configOverrides, gitDirsOf, SAFE_CONFIG_ARGS } from './gitSafety.js';
import { runGit } from './gitProcess.js';
import { headOnDisk, indexHoldsPathUnder, repoDirs, revOnDisk, treeHasEntry, treeOnDisk, worktreeGitPath } from './gitOnDisk.js';
import { pathsInTheWay, type LocalEntry } from '../../core/run/inTheWay.js';
import { visibleText } from '../../core/present/visibleText.js';
import { parseLsFilesZ, parseMergeTree, parseNameStatusZ, parseRawDiffZ, parseStatusV2Z, parseStatusZ, parseWorktreeList, splitZ, SYMLINK_MODE, type WorktreeInfo } from '../../core/run/gitParse.js';

/** The identity of the engine's own commits (commitAll, merges). */
export const ENGINE_IDENTITY = { name: 'Wave Orchestrator', email: 'waves@localhost' } as const;

export class GitError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly cwd: string,
    readonly code: number | null,
    readonly stderr: string,
  ) {
    const said = stderr.trim().split('\n').slice(-6).join('\n');
    super(`git ${args.join(' ')} failed${code !== null ? ` (exit ${code})` : ''} in ${cwd}${said ? `:\n${said}` : ''}`);
    this.name = 'GitError';
  }
}

export interface GitResult {
  stdout: string;
  stderr: string;
  code: number;
}

/**
 * Runs git in `cwd`; exit codes other than `okCodes` throw `GitError`. Every call runs no hook
 * and none of the commands a repository's configuration gained during a guarded run
 * (gitSafety.ts): the engine's git acts on agent output outside the agent's timeout.
 */
export async function git(cwd: string, args: readonly string[], okCodes: readonly number[] = [0], env: Readonly<Record<string, string>> = {}): Promise<GitResult> {
  const overrides = await configOverrides(cwd);
  const o = await runGit({
    cwd,
    argv: [...SAFE_CONFIG_ARGS, ...overrides, ...args],
    env: { ...process.env, ...env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
    maxBuffer: 256 * 1024 * 1024,
  });
  if (o.code !== null && okCodes.includes(o.code)) return { stdout: o.stdout, stderr: o.stderr, code: o.code };
  throw new GitError(args, cwd, o.code, o.stderr || o.message);
}

/** git's stdout, trimmed. */
export async function gitOut(cwd: string, args: readonly string[]): Promise<string> {
  return (await git(cwd, args)).stdout.trim();
}

/** The commit a revision names, or null when it names none. `HEAD` and `refs/heads/…` are read from git's files when they say it plainly (gitOnDisk.ts). */
export async function revParse(cwd: string, rev: string): Promise<string | null> {
  const onDisk = revOnDisk(cwd, `${rev}^{commit}`);
  if (onDisk) return onDisk;
  const r = await git(cwd, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`], [0, 1]);
  return r.code === 0 ? r.stdout.trim() : null;
}

/** What HEAD of a work tree names, with other revisions resolved by the same git call. */
export interface HeadState {
  /** The ref HEAD is a symbolic ref to (`refs/heads/<name>`), or null when it is detached. */
  ref: string | null;
  /** The commit HEAD names. */
  head: string;
  /** `revs`, resolved, in order. */
  revs: string[];
  /** `--git-path` of `gitPaths`, in order (relative to the tree, or absolute). */
  gitPaths: string[];
}

/**
 * HEAD of `cwd` — its commit and the branch it names — and `revs` and `gitPaths`, in one
 * `rev-parse` (issue #18: each git process costs the engine 10–70 ms). Null when any of them
 * does not resolve (an unborn HEAD, a missing branch, a file named like a revision…): the
 * caller then asks one question per call, as before, for the precise answer.
 */
export async function headState(cwd: string, revs: readonly string[] = [], gitPaths: readonly string[] = []): Promise<HeadState | null> {
  const onDisk = headStateOnDisk(cwd, revs, gitPaths);
  if (onDisk) return onDisk;
  const r = await git(cwd, ['rev-parse', ...gitPaths.flatMap((g) => ['--git-path', g]), 'HEAD', ...revs, '--symbolic-full-name', 'HEAD', '--'], [0, 128]);
  if (r.code !== 0) return null;
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  // gitPaths, HEAD, revs, the symbolic name, and the `--` rev-parse echoes.
  if (lines.length !== gitPaths.length + 1 + revs.length + 2 || lines[lines.length - 1] !== '--') return null;
  const shas = lines.slice(gitPaths.length, gitPaths.length + 1 + revs.length);
  if (!shas.every((x) => /^[0-9a-f]{40,64}$/.test(x))) return null;
  const name = lines[lines.length - 2]!;
  return { ref: name === 'HEAD' ? null : name, head: shas[0]!, revs: shas.slice(1), gitPaths: lines.slice(0, gitPaths.length) };
}

/** `headState` from git's files (gitOnDisk.ts), when they say all of it plainly; null: ask git. */
function headStateOnDisk(cwd: string, revs: readonly string[], gitPaths: readonly string[]): HeadState | null {
  const head = headOnDisk(cwd);
  if (!head) return null;
  const resolved: string[] = [];
  for (const rev of revs) {
    const id = revOnDisk(cwd, rev, head);
    if (!id) return null;
    resolved.push(id);
  }
  const paths: string[] = [];
  for (const name of gitPaths) {
    const p = worktreeGitPath(head, name);
    if (!p) return null;
    paths.push(p);
  }
  return { ref: head.ref, head: head.id, revs: resolved, gitPaths: paths };
}

/** The commit HEAD of `cwd` names: from git's files when they say it plainly, else `rev-parse HEAD` (which throws when there is none). */
export async function headCommit(cwd: string): Promise<string> {
  return headOnDisk(cwd)?.id ?? gitOut(cwd, ['rev-parse', 'HEAD']);
}

/** Whether commit `a` is an ancestor of (or equal to) `b`. */
export async function isAncestor(cwd: string, a: string, b: string): Promise<boolean> {
  return (await git(cwd, ['merge-base', '--is-ancestor', a, b], [0, 1])).code === 0;
}

export async function branchExists(repo: string, branch: string): Promise<boolean> {
  return (await git(repo, ['show-ref', '--verify', '--quiet', `refs/heads/${branch}`], [0, 1])).code === 0;
}

export async function listWorktrees(repo: string): Promise<WorktreeInfo[]> {
  return parseWorktreeList((await git(repo, ['worktree', 'list', '--porcelain', '-z'])).stdout);
}

const real = (p: string): string => {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
};
const samePath = (a: string, b: string): boolean => real(a) === real(b);

/** Adds `pattern` to the repository's `.git/info/exclude` (shared by every worktree) once. */
export async function ensureExcluded(repo: string, pattern = '.waves/'): Promise<boolean> {
  const common = path.resolve(repo, await gitOut(repo, ['rev-parse', '--git-common-dir']));
  const file = path.join(common, 'info', 'exclude');
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  if (text.split(/\r?\n/).some((l) => l.trim() === pattern)) return false;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.appendFileSync(file, `${text === '' || text.endsWith('\n') ? '' : '\n'}# Wave Orchestrator's run files\n${pattern}\n`);
  return true;
}

// ---------------------------------------------------------------------------------------
// Worktrees

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
  // Independent reads, at once (the handoff to a dependent waits on this function).
  const [baseSha, worktrees, branchThere] = await Promise.all([revParse(repo, req.base), listWorktrees(repo), branchExists(repo, branch)]);
  if (!baseSha) throw new Error(`the base ${req.base} is not a commit of ${repo}`);
  const atPath = worktrees.find((w) => samePath(w.path, req.path));
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
  // A new worktree is locked as it is added (`--lock --reason`): never a moment unlocked.
  const addLocked = ['worktree', 'add', '--quiet', '--lock', '--reason', reason];
  if (atPath) {
    how = 'reused';
    if (atPath.prunable !== null) throw new Error(`the worktree ${req.path} is missing on disk (git says: ${atPath.prunable}); run git worktree prune`);
  } else if (branchThere) {
    how = 'checked-out';
    await git(repo, [...addLocked, req.path, branch]);
  } else {
    how = 'created';
    await git(repo, [...addLocked, '-b', branch, req.path, baseSha]);
  }
  // The new tree's neutralisers are read for its later calls meanwhile. Its HEAD: from its files
  // when they say plainly "on the branch, at this commit" (a tree `worktree add` just made), else
  // as the repository lists it (one call), else asked of the tree itself.
  void configOverrides(req.path).catch(() => undefined);
  const onDisk = how === 'reused' ? null : worktreeHeadOnDisk(req.path, branch);
  const listed = onDisk ? null : (await listWorktrees(repo)).find((w) => samePath(w.path, req.path));
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
 * The commit a linked worktree's HEAD names when its own files say so plainly: its `.git` file
 * points at its folder in the repository, whose `HEAD` is `ref: refs/heads/<branch>`, and that
 * branch's ref holds an object id (gitOnDisk.ts). Anything else (a reftable ref, another branch,
 * a detached HEAD, an unreadable file): null, and git is asked.
 */
export function worktreeHeadOnDisk(tree: string, branch: string): string | null {
  try {
    if (!fs.lstatSync(path.join(tree, '.git')).isFile()) return null;
  } catch {
    return null;
  }
  const head = headOnDisk(tree);
  return head && head.gitDir !== head.commonDir && head.ref === `refs/heads/${branch}` ? head.id : null;
}

/** Merges `baseSha` into the branch checked out in `tree` when its history (`head`) lacks it; the merge commit, or null when none was needed. A conflict aborts the merge and throws. */
async function mergeBaseInto(tree: string, branch: string, baseSha: string, head: string): Promise<string | null> {
  if (await isAncestor(tree, baseSha, head)) return null;
  const m = await git(tree, [...identityArgs(), 'merge', '--no-ff', '--no-edit', '-m', `Merge the updated base ${baseSha.slice(0, 12)} into ${branch}`, baseSha], [0, 1, 128]);
  if (m.code !== 0) {
    const conflicts = await unmergedPaths(tree);
    await git(tree, ['merge', '--abort'], [0, 128]);
    throw new GitError(['merge', baseSha], tree, m.code, `${m.stdout}${m.stderr}${conflicts.length ? `\nconflicts: ${conflicts.join(', ')}` : ''}`);
  }
  return headCommit(tree);
}

// ---------------------------------------------------------------------------------------
// Trees made ahead (#18, ADR 0016)

/**
 * The mark of a tree made ahead, in its private git folder (never in the work tree; `worktree
 * remove` removes it): the commit it was made at, or `taken` once an attempt took it. Its lock
 * reason says the same from the moment it exists (`madeAheadReason`: git writes the `locked`
 * file before the tree's own files), so an engine stopped before the mark was written leaves a
 * tree that is still known as made ahead — and checked as such when taken.
 */
const AHEAD_MARK = 'waves-made-ahead';
const TAKEN = 'taken';

/** The lock reason of a tree made ahead at `commit`: the run's reason and the commit. */
export function madeAheadReason(reason: string, commit: string): string {
  return `${reason} (made ahead at ${commit})`;
}
const AHEAD_REASON = / \(made ahead at ([0-9a-f]{40}|[0-9a-f]{64})\)$/;

/** A file of a linked worktree's private git folder (`.git/worktrees/<tree's name>/<file>`), or null when `tree` is no linked worktree. */
function privateGitFile(tree: string, name: string): string | null {
  try {
    if (!fs.statSync(path.join(tree, '.git')).isFile()) return null;
    const dirs = gitDirsOf(tree);
    return dirs && dirs.gitDir !== dirs.commonDir ? path.join(dirs.gitDir, name) : null;
  } catch {
    return null;
  }
}

const aheadMarkFile = (tree: string) => privateGitFile(tree, AHEAD_MARK);

/** A mark's text, or null when there is none (or it cannot be read). */
function readMark(file: string | null): string | null {
  try {
    return file === null ? null : fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** Writes `line` as the file `name` of the linked worktree's private git folder (a mark). */
function writeMark(tree: string, name: string, line: string): void {
  const file = privateGitFile(tree, name);
  if (!file) throw new Error(`${tree} is not a linked worktree`);
  fs.writeFileSync(file, `${line}\n`);
}

/**
 * The set-up hook's mark: the branch it last ran to the end for in the tree (in the tree's private
 * git folder, like the mark of a tree made ahead). A tree is set up for a branch when the hook
 * succeeded there for it: a new tree is not, nor a reused one whose hook failed or never ran (an
 * engine stopped before it), so a retry in it runs the hook again.
 */
const SET_UP_MARK = 'waves-set-up';

/** Whether the set-up hook ran to the end in `tree` for `branch`. */
export function isSetUp(tree: string, branch: string): boolean {
  return readMark(privateGitFile(tree, SET_UP_MARK)) === `${branch}\n`;
}

/** Marks `tree` as set up for `branch` (the hook succeeded). */
export function markSetUp(tree: string, branch: string): void {
  writeMark(tree, SET_UP_MARK, branch);
}

/** Marks a linked worktree as made ahead of its package's first attempt, at `commit`. */
export function markMadeAhead(tree: string, commit: string): void {
  writeMark(tree, AHEAD_MARK, commit);
}

/** The commit a tree was made ahead at (its mark, else its lock reason), or null when it was not or an attempt took it. */
export function madeAheadAt(tree: string): string | null {
  const file = aheadMarkFile(tree);
  if (!file) return null;
  const mark = readMark(file);
  if (mark !== null) return /^([0-9a-f]{40}|[0-9a-f]{64})\n$/.test(mark) ? mark.trim() : null;
  // git's own lock file, beside the mark in the tree's private folder.
  return AHEAD_REASON.exec(readMark(path.join(path.dirname(file), 'locked'))?.trimEnd() ?? '')?.[1] ?? null;
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
  const [baseSha, status] = await Promise.all([
    revParse(req.repo, req.base),
    git(req.path, ['status', '--porcelain=v2', '--branch', '-z', '--untracked-files=all', '--no-renames']).then((r) => parseStatusV2Z(r.stdout)),
  ]);
  if (!baseSha) throw new Error(`the base ${req.base} is not a commit of ${req.repo}`);
  const changed: string[] = [];
  if (status.branch !== req.branch) changed.push(`it is on ${status.branch ?? 'a detached HEAD'}, not ${req.branch}`);
  else if (status.head !== madeAt) changed.push(`its branch moved from ${madeAt.slice(0, 12)} to ${status.head?.slice(0, 12) ?? 'nothing'}`);
  if (status.entries.length > 0) {
    const shown = status.entries.slice(0, 5).map((e) => e.path);
    changed.push(`${status.entries.length} file(s) changed or added: ${shown.join(', ')}${status.entries.length > 5 ? ', …' : ''}`);
  }
  if (changed.length > 0) {
    throw new Error(`the tree ${req.path}, made ahead for ${req.branch}, changed before its package started (${changed.join('; ')}); it is kept as it is: look at it, then move it away and run the package again`);
  }
  // Forward only: git refuses a base that does not hold the tree's commit.
  if (baseSha !== madeAt) await git(req.path, ['merge', '--ff-only', '--quiet', '--no-stat', baseSha]);
  const head = worktreeHeadOnDisk(req.path, req.branch) ?? (await gitOut(req.path, ['rev-parse', 'HEAD']));
  if (head !== baseSha) throw new Error(`the worktree ${req.path} is at ${head}, not at its base ${baseSha}`);
  writeMark(req.path, AHEAD_MARK, TAKEN);
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
  const [baseSha, worktrees, branchThere] = await Promise.all([revParse(repo, req.base), listWorktrees(repo), branchExists(repo, branch)]);
  if (!baseSha) throw new Error(`the base ${req.base} is not a commit of ${repo}`);
  const atPath = worktrees.find((w) => samePath(w.path, req.path));
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

async function unmergedPaths(wt: string): Promise<string[]> {
  return parseStatusZ((await git(wt, ['status', '--porcelain=v1', '-z'])).stdout)
    .filter((e) => e.index === 'U' || e.worktree === 'U' || (e.index === 'A' && e.worktree === 'A') || (e.index === 'D' && e.worktree === 'D'))
    .map((e) => e.path);
}

function identityArgs(identity: { name: string; email: string } = ENGINE_IDENTITY): string[] {
  return ['-c', `user.name=${identity.name}`, '-c', `user.email=${identity.email}`];
}

// ---------------------------------------------------------------------------------------
// Audit input and commits

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
 * goes on (`landed`) while the caller reads the commit by its id (the audit; issue #18).
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

/** Where a package's tree stands after its agent: on its branch or not, and the commits involved. */
export interface TreeInspection {
  /** HEAD is the symbolic ref `refs/heads/<branch>` and no merge, rebase, cherry-pick or revert is under way. */
  onBranch: boolean;
  /** For a person: `on other-branch`, `detached at 1a2b3c4d5e6f`, `in the middle of a rebase`. */
  where: string;
  /** The commit HEAD names (null: none). */
  head: string | null;
  /** The branch's tip (null: the branch is gone). */
  tip: string | null;
}

/** HEAD of `tree` vs `refs/heads/<branch>`, and any operation under way (git's own marker files). */
export async function inspectTree(tree: string, branch: string): Promise<TreeInspection> {
  const gitPaths = ['MERGE_HEAD', 'rebase-merge', 'rebase-apply', 'CHERRY_PICK_HEAD', 'REVERT_HEAD'];
  // Usually one call answers all of it; anything unusual is asked question by question below.
  const fast = await headState(tree, [`refs/heads/${branch}^{commit}`], gitPaths);
  if (fast) return judgeTree(tree, branch, fast.ref ?? '', fast.head, fast.revs[0]!, fast.gitPaths);
  const [symbolic, head, tip, markers] = await Promise.all([
    git(tree, ['symbolic-ref', '--quiet', 'HEAD'], [0, 1, 128]),
    revParse(tree, 'HEAD'),
    revParse(tree, `refs/heads/${branch}`),
    git(tree, ['rev-parse', ...gitPaths.flatMap((g) => ['--git-path', g])]),
  ]);
  return judgeTree(tree, branch, symbolic.code === 0 ? symbolic.stdout.trim() : '', head, tip, splitLines(markers.stdout));
}

function judgeTree(tree: string, branch: string, ref: string, head: string | null, tip: string | null, markers: readonly string[]): TreeInspection {
  const names = ['a merge', 'a rebase', 'a rebase', 'a cherry-pick', 'a revert'];
  const busy = markers.findIndex((p) => fs.existsSync(path.resolve(tree, p)));
  if (busy >= 0) return { onBranch: false, where: `in the middle of ${names[busy]}`, head, tip };
  if (ref === `refs/heads/${branch}`) return { onBranch: true, where: `on ${branch}`, head, tip };
  const where = ref ? `on ${ref.replace(/^refs\/heads\//, '')}` : `detached at ${head ? head.slice(0, 12) : 'no commit'}`;
  return { onBranch: false, where, head, tip };
}

const splitLines = (text: string): string[] => text.split('\n').map((l) => l.trim()).filter(Boolean);

/**
 * What `to` changes against `from`, tree to tree (`diff --raw --no-renames`), for the audit:
 * each change with the target of a symbolic link it creates and whether an added path is one
 * the repository ignores (so it was added with `git add -f`). `cwd` is a work tree whose
 * ignore rules apply.
 */
export async function treeChanges(cwd: string, from: string, to: string): Promise<AuditChange[]> {
  const raw = parseRawDiffZ(await rawTreeDiff(cwd, from, to));
  const links = raw.filter((c) => c.change !== 'deleted' && c.newMode === SYMLINK_MODE);
  const added = raw.filter((c) => c.change === 'added').map((c) => c.path);
  const [targets, ignored] = await Promise.all([
    Promise.all(links.map(async (c) => [c.path, (await git(cwd, ['cat-file', 'blob', c.newSha])).stdout] as const)),
    added.length === 0 ? Promise.resolve(new Set<string>()) : ignoredAmong(cwd, added),
  ]);
  const linkOf = new Map(targets);
  return raw.map((c) => ({
    path: c.path,
    change: toFileChange(c.change),
    ...(linkOf.has(c.path) ? { link: linkOf.get(c.path)! } : {}),
    ...(ignored.has(c.path) ? { ignored: true } : {}),
  }));
}

/**
 * Tree-to-tree `diff --raw` outputs by the two trees' ids (and the repository): a pure function of
 * them. The merge asks what the package's audit asked a moment before whenever the merged tree is
 * the package's own and the tip its base (a chain, a package alone): one git process fewer.
 */
const rawDiffs = new Map<string, Promise<string>>();
const RAW_DIFFS_KEPT = 64;

function rawTreeDiff(cwd: string, from: string, to: string): Promise<string> {
  const dirs = repoDirs(cwd);
  const fromTree = dirs ? treeOnDisk(dirs.commonDir, from) : null;
  const toTree = dirs && fromTree ? treeOnDisk(dirs.commonDir, to) : null;
  const key = dirs && fromTree && toTree ? `${dirs.commonDir}\0${fromTree}\0${toTree}` : null;
  // One asked while the same pair is being read waits for that read.
  const known = key !== null ? rawDiffs.get(key) : undefined;
  if (known) return known;
  const out = git(cwd, ['diff', '--raw', '--no-renames', '--no-abbrev', '-z', from, to, '--']).then((r) => r.stdout);
  if (key !== null) {
    rawDiffs.set(key, out);
    out.catch(() => rawDiffs.delete(key));
    if (rawDiffs.size > RAW_DIFFS_KEPT) rawDiffs.delete(rawDiffs.keys().next().value!);
  }
  return out;
}

/** A path git prints as it is (no control character, quote or backslash) with `core.quotePath=false`. */
const PLAIN_PATH = /^[^\x00-\x1f\x7f"\\]+$/;

/** Which of `paths` the ignore rules of `cwd` (its `.gitignore` files, `info/exclude`, the person's excludes file) ignore. */
export async function ignoredAmong(cwd: string, paths: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  if (paths.reduce((n, p) => n + p.length + 1, 0) <= 16 * 1024 && paths.every((p) => PLAIN_PATH.test(p))) {
    // A few plain paths (the usual package) go as arguments, through the git queue like every
    // other call; git prints them one per line, unquoted (`-z` is for `--stdin` only).
    const r = await git(cwd, ['-c', 'core.quotePath=false', 'check-ignore', '--no-index', '--', ...paths], [0, 1]);
    for (const p of r.stdout.split('\n')) if (p !== '') out.add(p);
    return out;
  }
  await new Promise<void>((resolve, reject) => {
    const child = spawn('git', [...SAFE_CONFIG_ARGS, 'check-ignore', '--no-index', '-z', '--stdin'], { cwd, env: { ...process.env, LC_ALL: 'C' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0 || code === 1) {
        for (const p of splitZ(stdout)) out.add(p);
        resolve();
      } else reject(new GitError(['check-ignore', '--no-index', '--stdin'], cwd, code, stderr));
    });
    child.stdin.end(paths.map((p) => `${p}\0`).join(''));
  });
  return out;
}

// ---------------------------------------------------------------------------------------
// Integration

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

export type MergeOutcome = { merged: true; commit: string; files: string[] } | { merged: false; conflicts: string[] };

/**
 * Merges a package branch into the integration worktree (`merge --no-ff`), only after a clean
 * `mergeTreeCheck`; a conflict is returned with its files and nothing is merged. The
 * integration worktree must be clean.
 */
export async function mergePackage(integrationWorktree: string, branch: string, message: string): Promise<MergeOutcome> {
  // The three checks read and change nothing: at once.
  const [status, before, check] = await Promise.all([
    git(integrationWorktree, ['status', '--porcelain=v1', '-z', '--untracked-files=all']),
    headCommit(integrationWorktree),
    mergeTreeCheck(integrationWorktree, 'HEAD', branch),
  ]);
  const dirty = parseStatusZ(status.stdout);
  if (dirty.length > 0) throw new Error(`the integration worktree ${integrationWorktree} has changes (${dirty.map((e) => e.path).join(', ')}); not merging into it`);
  if (!check.clean) return { merged: false, conflicts: check.conflicts };
  const m = await git(integrationWorktree, [...identityArgs(), 'merge', '--no-ff', '--no-edit', '-m', message, branch], [0, 1, 128]);
  if (m.code !== 0) {
    const conflicts = await unmergedPaths(integrationWorktree);
    await git(integrationWorktree, ['merge', '--abort'], [0, 128]);
    if (conflicts.length > 0) return { merged: false, conflicts };
    throw new GitError(['merge', '--no-ff', branch], integrationWorktree, m.code, m.stderr || m.stdout);
  }
  // The merge commit's first parent is `before`: its files and its name, at once.
  const [commit, diff] = await Promise.all([
    headCommit(integrationWorktree),
    git(integrationWorktree, ['diff', '--name-only', '--no-renames', '-z', before, 'HEAD']),
  ]);
  return { merged: true, commit, files: splitZ(diff.stdout) };
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

/** The integration worktree's HEAD and changed paths (both read at once). */
export async function integrationState(integrationWorktree: string): Promise<{ head: string; dirty: string[] }> {
  const [status, head] = await Promise.all([git(integrationWorktree, ['status', '--porcelain=v1', '-z', '--untracked-files=all']), headCommit(integrationWorktree)]);
  return { head, dirty: parseStatusZ(status.stdout).map((e) => e.path) };
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
  await git(integrationWorktree, ['merge', '--ff-only', '--quiet', merge]);
  return merge;
}

// ---------------------------------------------------------------------------------------
// The final fast-forward (`waves finish`)

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

/** What `waves finish` can do to bring `targetBranch` up to `integrationBranch`. Changes nothing. */
export async function fastForwardOffer(repo: string, targetBranch: string, integrationBranch: string): Promise<FastForwardOffer> {
  const from = await revParse(repo, `refs/heads/${targetBranch}`);
  const to = await revParse(repo, `refs/heads/${integrationBranch}`);
  const base = { target: targetBranch, integration: integrationBranch, from, to, worktree: null as string | null, inTheWay: [] as LocalFile[] };
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
  if (!isMain) return no(`${targetBranch} is checked out in the worktree ${holder.path}; fast-forward it there`, holder.path);
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
  const now = await fastForwardOffer(repo, offer.target, offer.integration);
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
 * ignored files of a folder that becomes a file. Found by core/run/inTheWay.ts from the
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

// ---------------------------------------------------------------------------------------
// Clean-up

export interface RemoveResult {
  removed: boolean;
  branchDeleted: boolean;
  /** Why nothing (or not everything) was removed. */
  reason: string | null;
}

/**
 * Removes a package worktree only when it is clean (`status --porcelain --untracked-files=all`
 * empty) and its branch is merged into `mergedInto`: unlock, `worktree remove` (never
 * `--force`), `branch -d` (never -D; git may still refuse when the branch is not merged into
 * the current HEAD — then the branch stays and the reason says so), `worktree prune`.
 */
export async function removeWorktreeIfSafe(options: { repo: string; worktree: string; branch: string; mergedInto: string }): Promise<RemoveResult> {
  const { repo, worktree, branch, mergedInto } = options;
  const refuse = (reason: string): RemoveResult => ({ removed: false, branchDeleted: false, reason });
  const wt = (await listWorktrees(repo)).find((w) => samePath(w.path, worktree));
  if (!wt) return refuse(`${worktree} is not a worktree of ${repo}`);
  if (wt.branch !== branch) return refuse(`${worktree} is on ${wt.branch ?? 'a detached HEAD'}, not ${branch}`);
  const dirty = parseStatusZ((await git(worktree, ['status', '--porcelain=v1', '-z', '--untracked-files=all'])).stdout);
  if (dirty.length > 0) {
    const shown = dirty.slice(0, 5).map((e) => e.path);
    return refuse(`${worktree} has ${dirty.length} uncommitted or untracked file(s) (${shown.join(', ')}${dirty.length > 5 ? ', …' : ''}); kept`);
  }
  if (!(await isAncestor(repo, branch, mergedInto))) return refuse(`${branch} is not merged into ${mergedInto}; kept`);
  if (wt.locked !== null) await git(repo, ['worktree', 'unlock', worktree], [0, 128]);
  const rm = await git(repo, ['worktree', 'remove', worktree], [0, 128]);
  if (rm.code !== 0) {
    await lockWorktree(repo, worktree, wt.locked ?? 'Wave Orchestrator').catch(() => undefined);
    return refuse(`git refused to remove ${worktree}: ${rm.stderr.trim()}`);
  }
  const del = await git(repo, ['branch', '-d', branch], [0, 1]);
  await git(repo, ['worktree', 'prune']);
  return del.code === 0
    ? { removed: true, branchDeleted: true, reason: null }
    : { removed: true, branchDeleted: false, reason: `the branch ${branch} stays: ${del.stderr.trim().split('\n')[0]}` };
}

// ---------------------------------------------------------------------------------------
// Set-up hooks

export interface SetupHookResult {
  ok: boolean;
  code: number | null;
  signal: string | null;
  /** The last lines of the hook's output (for the failure message). */
  tail: string;
  log: string;
}

/**
 * Runs a set-up hook (an argv, never a shell string) in a new worktree; stdout and stderr go
 * to `log`. A failure is returned with the log's tail — never swallowed.
 */
export function runSetupHook(worktree: string, argv: readonly string[], log: string, tailLines = 20): Promise<SetupHookResult> {
  fs.mkdirSync(path.dirname(log), { recursive: true });
  const fd = fs.openSync(log, 'a');
  const finish = (code: number | null, signal: string | null, extra = ''): SetupHookResult => {
    if (extra) fs.writeSync(fd, extra);
    fs.closeSync(fd);
    const text = fs.readFileSync(log, 'utf8');
    const tail = text.split('\n').filter((l) => l.trim() !== '').slice(-tailLines).join('\n');
    return { ok: code === 0 && signal === null, code, signal, tail, log };
  };
  return new Promise((resolve) => {
    if (argv.length === 0 || !argv[0]) {
      resolve(finish(null, null, 'the set-up hook is empty\n'));
      return;
    }
    const child = spawn(argv[0], argv.slice(1), { cwd: worktree, shell: false, stdio: ['ignore', fd, fd], windowsHide: true });
    child.once('error', (err) => resolve(finish(null, null, `the set-up hook could not start: ${err.message}\n`)));
    child.once('exit', (code, signal) => resolve(finish(code, signal)));
  });
}
