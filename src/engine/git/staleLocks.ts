/**
 * git's lock files left by a git that no longer runs. git takes `index.lock` (and a ref's
 * `.lock`) before it writes, and removes it when it ends; a git killed with its engine (the
 * engine's process group killed, the machine down) leaves it, and every later git that writes
 * there fails with "Unable to create '….lock': File exists" — a merge of a finished package, the
 * commit after an attempt — on every resume, for good.
 *
 * Such a lock is removed, and the git call made once more, only when all of these hold:
 * - it is the engine's own: in the private folder of one of the repository's linked worktrees
 *   (the packages' trees, the integration tree) or a ref of the engine's `waves/` branches — never
 *   the person's checkout's index or any other ref;
 * - no git of this engine made it: it is older than this process;
 * - no git process of this user works there now (its working folder in that tree or its git
 *   folder, or naming them in `GIT_DIR` / `GIT_WORK_TREE`; for a ref, in any of the repository's).
 */
import fs from 'node:fs';
import path from 'node:path';

/** Who is told of a lock removed (the run engines of this process: each says it for its own repository). */
const listeners = new Set<(lock: string) => void>();

/** Tells `fn` of every stale lock removed from now on; returns the way to stop. */
export function onStaleLockCleared(fn: (lock: string) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** When this process started (ms since the epoch): a lock older than this was made by no git of ours. */
const PROCESS_START_MS = Date.now() - process.uptime() * 1000;

/** The lock a git failed on, from its stderr ("Unable to create '<path>.lock': File exists"). */
export function lockFailedOn(stderr: string): string | null {
  const m = /Unable to create '([^'\n]+\.lock)': File exists/.exec(stderr);
  return m ? m[1]! : null;
}

/** `p`'s real path, or `p` resolved when it cannot be followed (gone, or not there yet). */
export const realPathOr = (p: string): string => {
  try {
    return fs.realpathSync(p);
  } catch {
    // gone, or not there yet: resolved as given
    return path.resolve(p);
  }
};
const within = (p: string, top: string) => p === top || p.startsWith(`${top}${path.sep}`);

/**
 * A git process of this user working in any of `places` (folders, real paths): its working
 * folder is in one, or its `GIT_DIR` / `GIT_WORK_TREE` names one. Read from /proc; null where
 * there is none, or no /proc to read.
 */
export function liveGitIn(places: readonly string[]): number | null {
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    // no /proc to read (not Linux): no live git can be seen
    return null;
  }
  const tops = places.map(realPathOr);
  const inPlace = (p: string) => tops.some((top) => within(p, top));
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    try {
      if (!fs.readFileSync(`/proc/${pid}/comm`, 'latin1').startsWith('git')) continue;
      if (inPlace(fs.readlinkSync(`/proc/${pid}/cwd`))) return Number(pid);
      for (const v of fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0')) {
        const m = /^GIT_(?:DIR|WORK_TREE)=(.+)$/.exec(v);
        if (m && inPlace(realPathOr(m[1]!))) return Number(pid);
      }
    } catch {
      // Gone, or another user's: not ours to wait for.
    }
  }
  return null;
}

/**
 * Where a git that may hold `lock` would work, when the lock is the engine's own (above), else
 * null: for a linked worktree's index, that tree and its private folder; for a `waves/` branch's
 * ref, every tree of the repository and its git folder.
 */
function placesOf(commonDir: string, lock: string): string[] | null {
  const rel = path.relative(commonDir, lock);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return null;
  const parts = rel.split(path.sep);
  if (parts[0] === 'worktrees' && parts.length === 3 && parts[2] === 'index.lock') {
    const privateDir = path.dirname(lock);
    return [privateDir, ...treeOf(privateDir)];
  }
  if (parts[0] === 'refs' && parts[1] === 'heads' && parts[2] === 'waves' && parts.length > 3) {
    const places = [commonDir, path.dirname(commonDir)];
    try {
      for (const name of fs.readdirSync(path.join(commonDir, 'worktrees'))) places.push(...treeOf(path.join(commonDir, 'worktrees', name)));
    } catch {
      // No linked worktrees.
    }
    return places;
  }
  return null;
}

/** The tree a linked worktree's private folder belongs to (its `gitdir` file names the tree's `.git`). */
function treeOf(privateDir: string): string[] {
  try {
    return [path.dirname(fs.readFileSync(path.join(privateDir, 'gitdir'), 'utf8').trim())];
  } catch {
    // no gitdir file (a private folder half made or half removed): no tree to look in
    return [];
  }
}

/**
 * Removes `lock` when it is a stale lock of the engine's own (above) in the repository whose common
 * git folder is `commonDir`; returns whether it did. Anything else is left as it is.
 */
export function clearStaleLock(commonDir: string, lock: string): boolean {
  const real = realPathOr(commonDir);
  const file = path.join(realPathOr(path.dirname(lock)), path.basename(lock));
  const places = placesOf(real, file);
  if (!places) return false;
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    return true; // gone meanwhile: the call may be made again
  }
  if (!st.isFile() || st.mtimeMs >= PROCESS_START_MS) return false;
  if (liveGitIn(places) !== null) return false;
  fs.rmSync(file, { force: true });
  for (const fn of listeners) fn(file);
  return true;
}
