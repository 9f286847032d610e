/**
 * The work tree holding a folder, found on disk (no git process): what the engine's git folders
 * (`store/gitDirs.ts`), the editor's run watch, the coupling check and the `waves` CLI ask before
 * they start git.
 */
import fs from 'node:fs';
import path from 'node:path';

/**
 * The work tree holding `cwd`, found on disk (no git process): the nearest folder at or above it
 * with a `.git` (a folder, or the `gitdir:` file of a linked worktree or submodule) — where git
 * itself looks, so where a run's `.waves/` is; null when none.
 */
export function workTreeOf(cwd: string): { root: string; dotGit: fs.Stats } | null {
  for (let dir = path.resolve(cwd); ; ) {
    const dotGit = fs.statSync(path.join(dir, '.git'), { throwIfNoEntry: false });
    if (dotGit?.isDirectory() || dotGit?.isFile()) return { root: dir, dotGit };
    const up = path.dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/**
 * Whether git could find a repository from `folder`: only through a `.git` at or above it, or
 * through `GIT_DIR`. Without either there is none to find, and no git need be started to learn it.
 */
export function gitMayFindRepository(folder: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.GIT_DIR) || workTreeOf(folder) !== null;
}

/** A path's real path (links followed), or its own absolute path when it cannot be found (not there yet). */
export function realOr(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    // not there (yet), or not reachable: its own path names it, and whoever reads it says why
    return path.resolve(file);
  }
}

/**
 * Where a plan's sub-plans may lie (ADR 0035), as real paths: the plan file's, and the work tree
 * holding it (its folder when none).
 */
export function planRootsOf(planFile: string): { top: string; root: string } {
  const top = realOr(planFile);
  return { top, root: realOr(workTreeOf(path.dirname(top))?.root ?? path.dirname(top)) };
}

/** A file's real path, or why it cannot be found (`no such file`, an error code): a sub-plan reader's `realpath`. */
export function realpathOrWhy(file: string): { real: string } | { why: string } {
  try {
    return { real: fs.realpathSync(file) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { why: code === 'ENOENT' ? 'no such file' : (code ?? String(err)) };
  }
}
