/**
 * Running git for the run engine (docs/run-engine.md, "Git and audit"): every call is
 * `execFile('git', argv)` — never a shell — through the engine's git queue (gitProcess.ts, ADR
 * 0014) with its safe settings (gitSafety.ts), and a failure is a `GitError` carrying git's own
 * stderr. Also the reads every other git job shares: a revision, HEAD, ancestry, a branch.
 *
 * Nothing in git/ loses work: no `--force`, no `reset --hard`, no `clean`, no `branch -D` — but on
 * the integration guard's scratch tree, which holds nothing of anyone's; the user's branch moves
 * only by `merge --ff-only` in a clean main worktree or by a compare-and-swap `update-ref` when it
 * is checked out nowhere. Porcelain is parsed by src/core/git/gitParse.ts.
 */
import path from 'node:path';
import { configOverrides, SAFE_CONFIG_ARGS } from './gitSafety.js';
import { runGit } from './gitProcess.js';
import { headOnDisk, revOnDisk, worktreeGitPath } from './gitOnDisk.js';
import { parseStatusZ } from '../../core/git/gitParse.js';
import { clearStaleLock, lockFailedOn } from './staleLocks.js';
import { layerGitTurns, worktreeListTurns } from './repoTurns.js';
import { layerMountPrefix, layerOf } from '../../store/treeLayers.js';

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
 * The `git worktree` calls that change a repository's list of trees (`.git/worktrees/`). git
 * makes no lock for it: an `add` reads every other tree's folder there and fails on one another
 * call is creating or deleting at that moment ("Invalid path '.git/worktrees/<x>'", "failed to
 * read .git/worktrees/<x>/commondir") — a package's tree made while a finished one's is removed.
 * The engine runs them one at a time per repository (repoTurns.ts); reads and other git calls go on.
 */
const WORKTREE_WRITES = new Set(['add', 'remove', 'prune', 'move', 'repair']);
/** Whether `lock`, which a git in `cwd` failed on, was a stale lock of the engine's own and is gone. */
async function staleLockCleared(cwd: string, lock: string): Promise<boolean> {
  const common = await runGit({ cwd, argv: [...SAFE_CONFIG_ARGS, 'rev-parse', '--path-format=absolute', '--git-common-dir'], env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 1024 * 1024 });
  return common.code === 0 && clearStaleLock(common.stdout.trim(), lock);
}

/**
 * Runs git in `cwd`; exit codes other than `okCodes` throw `GitError`. Every call runs no hook
 * and none of the commands a repository's configuration gained during a guarded run
 * (gitSafety.ts): the engine's git acts on agent output outside the agent's timeout.
 */
export async function git(cwd: string, args: readonly string[], okCodes: readonly number[] = [0], env: Readonly<Record<string, string>> = {}, input?: string): Promise<GitResult> {
  const overrides = await configOverrides(cwd);
  // A layered tree (layers.ts): git runs with its overlay mounted, entering the tree again under the
  // mount — one git at a time per tree, on this process's scratch folder (treeLayers.ts `layerLaid`).
  const layer = layerOf(cwd);
  const prefix = layer ? layerMountPrefix(layer, path.join(layer.work, `git-${process.pid}`)) : undefined;
  const call = () =>
    runGit({
      cwd,
      ...(prefix ? { prefix } : {}),
      argv: [...(prefix ? ['-C', cwd] : []), ...SAFE_CONFIG_ARGS, ...overrides, ...args],
      env: { ...process.env, ...env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
      maxBuffer: 256 * 1024 * 1024,
      ...(input !== undefined ? { input } : {}),
    });
  const listed = () => (args[0] === 'worktree' && WORKTREE_WRITES.has(args[1] ?? '') ? worktreeListTurns.run(cwd, call) : call());
  const once = layer ? () => layerGitTurns.run(layer.tree, listed) : listed;
  let o = await once();
  // A lock left by a git that no longer runs (staleLocks.ts): removed when it is the engine's own, and the call made once more.
  const lock = o.code !== null && !okCodes.includes(o.code) ? lockFailedOn(o.stderr) : null;
  if (lock !== null && (await staleLockCleared(cwd, lock))) o = await once();
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
 * `rev-parse` (each git process costs the engine 10–70 ms). Null when any of them
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

/** The paths a merge left unmerged in the work tree `wt` (both changed, both added, both deleted). */
export async function unmergedPaths(wt: string): Promise<string[]> {
  return parseStatusZ((await git(wt, ['status', '--porcelain=v1', '-z'])).stdout)
    .filter((e) => e.index === 'U' || e.worktree === 'U' || (e.index === 'A' && e.worktree === 'A') || (e.index === 'D' && e.worktree === 'D'))
    .map((e) => e.path);
}

/** `-c user.name=… -c user.email=…`: the identity of a commit the engine makes (default `ENGINE_IDENTITY`). */
export function identityArgs(identity: { name: string; email: string } = ENGINE_IDENTITY): string[] {
  return ['-c', `user.name=${identity.name}`, '-c', `user.email=${identity.email}`];
}
