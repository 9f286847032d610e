/**
 * Git for the run engine (docs/run-engine.md, "Git and audit"): package worktrees, the scope
 * audit's change lists, the integration branch and its merges, the final fast-forward offer
 * and safe clean-up. Every call is `execFile('git', argv)` — never a shell — and a failure
 * is a `GitError` carrying git's own stderr.
 *
 * Nothing here loses work: no `--force`, no `reset --hard`, no `clean`, no `branch -D`; the
 * user's branch moves only by `merge --ff-only` in a clean main worktree or by a compare-and-
 * swap `update-ref` when it is checked out nowhere. Porcelain is parsed by src/core/run/gitParse.ts.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { mergeChanges, toFileChange, type AuditChange } from '../core/run/audit.js';
import { parseLsFilesZ, parseMergeTree, parseNameStatusZ, parseStatusZ, parseWorktreeList, splitZ, type WorktreeInfo } from '../core/run/gitParse.js';

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

/** Runs git in `cwd`; exit codes other than `okCodes` throw `GitError`. */
export function git(cwd: string, args: readonly string[], okCodes: readonly number[] = [0]): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      [...args],
      { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' }, windowsHide: true },
      (err, stdout, stderr) => {
        const errCode: unknown = err ? (err as { code?: unknown }).code : 0;
        const code = typeof errCode === 'number' ? errCode : null;
        if (code !== null && okCodes.includes(code)) resolve({ stdout, stderr, code });
        else reject(new GitError(args, cwd, code, stderr || (err ? err.message : '')));
      },
    );
  });
}

/** git's stdout, trimmed. */
export async function gitOut(cwd: string, args: readonly string[]): Promise<string> {
  return (await git(cwd, args)).stdout.trim();
}

/** The commit a revision names, or null when it names none. */
export async function revParse(cwd: string, rev: string): Promise<string | null> {
  const r = await git(cwd, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`], [0, 1]);
  return r.code === 0 ? r.stdout.trim() : null;
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
  const [symbolicOut, headOut] = await Promise.all([git(req.path, ['symbolic-ref', '--quiet', 'HEAD'], [0, 1]), gitOut(req.path, ['rev-parse', 'HEAD'])]);
  const symbolic = symbolicOut.stdout.trim();
  if (symbolic !== `refs/heads/${branch}`) throw new Error(`the worktree ${req.path} is on ${symbolic || 'a detached HEAD'}, not ${branch}`);
  let head = headOut;
  if (how === 'created' && head !== baseSha) throw new Error(`the new worktree ${req.path} is at ${head}, not at its base ${baseSha}`);
  let mergedBase: string | null = null;
  if (how !== 'created' && req.mergeBase !== false && !(await isAncestor(req.path, baseSha, head))) {
    const m = await git(req.path, [...identityArgs(), 'merge', '--no-ff', '--no-edit', '-m', `Merge the updated base ${baseSha.slice(0, 12)} into ${branch}`, baseSha], [0, 1, 128]);
    if (m.code !== 0) {
      const conflicts = await unmergedPaths(req.path);
      await git(req.path, ['merge', '--abort'], [0, 128]);
      throw new GitError(['merge', baseSha], req.path, m.code, `${m.stdout}${m.stderr}${conflicts.length ? `\nconflicts: ${conflicts.join(', ')}` : ''}`);
    }
    head = await gitOut(req.path, ['rev-parse', 'HEAD']);
    mergedBase = head;
  }
  if (how === 'reused') await lockWorktree(repo, req.path, reason);
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

export interface ChangeLists {
  /** One entry per path (committed, then the work tree's net state, then untracked). */
  changes: AuditChange[];
  committed: AuditChange[];
  /** Tracked files whose work-tree content differs from the base (staged or not). */
  worktree: AuditChange[];
  untracked: AuditChange[];
}

/**
 * Everything a package changed since `baseSha`: committed (`diff --no-renames base...HEAD`),
 * the work tree's tracked state vs the base (uncommitted edits, staged or not), and untracked
 * files (`ls-files --others --exclude-standard`, change `?`). Feed `changes` to `auditScope`.
 */
export async function auditChanges(options: { worktree: string; baseSha: string }): Promise<ChangeLists> {
  const { worktree, baseSha } = options;
  const toAudit = (text: string) => parseNameStatusZ(text).map((c) => ({ path: c.path, change: toFileChange(c.change) }));
  // Three reads of the same tree, at once.
  const [committedOut, wtOut, untrackedOut] = await Promise.all([
    git(worktree, ['diff', '--name-status', '--no-renames', '-z', `${baseSha}...HEAD`, '--']),
    git(worktree, ['diff', '--name-status', '--no-renames', '-z', baseSha, '--']),
    git(worktree, ['ls-files', '--others', '--exclude-standard', '-z']),
  ]);
  const committed = toAudit(committedOut.stdout);
  const wt = toAudit(wtOut.stdout);
  const untracked = parseLsFilesZ(untrackedOut.stdout).map((p) => ({ path: p, change: '?' as const }));
  return { changes: mergeChanges(committed, wt, untracked), committed, worktree: wt, untracked };
}

/**
 * Commits everything an agent left uncommitted (tracked and untracked; ignored files and
 * `.waves/` stay out) on the worktree's branch with the engine's identity. Returns the new commit, or null when
 * there was nothing to commit.
 */
export async function commitAll(worktree: string, message: string, identity: { name: string; email: string } = ENGINE_IDENTITY): Promise<string | null> {
  await git(worktree, ['add', '-A', '--', '.', ':(exclude).waves']);
  if ((await git(worktree, ['diff', '--cached', '--quiet'], [0, 1])).code === 0) return null;
  await git(worktree, [...identityArgs(identity), 'commit', '--no-verify', '-q', '-m', message]);
  return gitOut(worktree, ['rev-parse', 'HEAD']);
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
    gitOut(integrationWorktree, ['rev-parse', 'HEAD']),
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
    gitOut(integrationWorktree, ['rev-parse', 'HEAD']),
    git(integrationWorktree, ['diff', '--name-only', '--no-renames', '-z', before, 'HEAD']),
  ]);
  return { merged: true, commit, files: splitZ(diff.stdout) };
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
}

/** What `waves finish` can do to bring `targetBranch` up to `integrationBranch`. Changes nothing. */
export async function fastForwardOffer(repo: string, targetBranch: string, integrationBranch: string): Promise<FastForwardOffer> {
  const from = await revParse(repo, `refs/heads/${targetBranch}`);
  const to = await revParse(repo, `refs/heads/${integrationBranch}`);
  const base = { target: targetBranch, integration: integrationBranch, from, to, worktree: null as string | null };
  const no = (reason: string, worktree: string | null = null): FastForwardOffer => ({ ...base, worktree, possible: false, method: null, reason });
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
    const shown = changed.slice(0, 5).map((e) => e.path);
    return no(`${targetBranch} is checked out in ${holder.path} with uncommitted changes (${shown.join(', ')}${changed.length > 5 ? ', …' : ''}); commit or stash them first`, holder.path);
  }
  return { ...base, worktree: holder.path, possible: true, method: 'merge-ff-only', reason: `${targetBranch} is checked out in ${holder.path} with a clean tree: git merge --ff-only ${integrationBranch}` };
}

/** Carries out a possible offer. `update-ref` is a compare-and-swap on the old value. */
export async function fastForward(repo: string, offer: FastForwardOffer): Promise<string> {
  if (!offer.possible || !offer.from || !offer.to) throw new Error(`cannot fast-forward ${offer.target}: ${offer.reason}`);
  if (offer.method === 'update-ref') {
    await git(repo, ['update-ref', '-m', `waves finish: fast-forward to ${offer.integration}`, `refs/heads/${offer.target}`, offer.to, offer.from]);
  } else {
    await git(offer.worktree!, ['merge', '--ff-only', offer.to]);
  }
  return offer.to;
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
