/**
 * An npm install answered by the `node_modules` laid over a tree (ADR 0026): whether the set-up's
 * `npm ci` would only write again what is laid (`installAnsweredByLaying`), and the `npm` that
 * answers an agent's `npm ci` at once while nothing changed (`npmCiShimFor`). Node built-ins,
 * src/core and src/store only (bundled into dist/runner.js).
 */
import fs from 'node:fs';
import path from 'node:path';
import { DEPENDENCY_FOLDERS, installedAsLocked, installScriptsOf, isNpmInstall, npmCiShim, overlayPathUsable, type LaidFolder } from '../../core/walls/dependencyFolders.js';
import { isWithin } from '../../core/walls/walls.js';
import { programOnPath } from '../../store/onPath.js';
import { gitDirsOf } from '../../store/gitDirs.js';
import { fileInTree } from '../../store/treeLayers.js';
import { checkoutOf, fullFolder, layingSource, overlayTools, readLockfiles } from './wallsDeps.js';

/**
 * A set-up command that is npm installing the tree's dependencies (`isNpmInstall`: `npm ci`, …),
 * when the walls it runs in will lay the checkout's `node_modules` over the tree: whether running
 * it would only write the same packages again into the tree's own side of the overlay (all of
 * them, and their disk: `npm ci` removes the folder first) — `skip` — and why, for its log. It
 * would when the checkout's install is the tree's lockfile's (npm's own record of what it
 * installed, `installedAsLocked`) and the project runs no script of its own on install (a
 * `prepare` that builds must run). null: not such a command, or no folder laid.
 */
export function installAnsweredByLaying(worktree: string, argv: readonly string[]): { skip: boolean; why: string } | null {
  if (!isNpmInstall(argv)) return null;
  const dirs = gitDirsOf(worktree);
  if (!dirs || dirs.gitDir === dirs.commonDir) return null;
  let checkout: string | null;
  let gitDir: string;
  try {
    checkout = checkoutOf(fs.realpathSync(dirs.commonDir));
    gitDir = fs.realpathSync(dirs.gitDir);
  } catch {
    // the git folders cannot be read: nothing laid, the install runs
    return null;
  }
  const dep = DEPENDENCY_FOLDERS.find((d) => d.folder === 'node_modules')!;
  const from = checkout ? layingSource(dep, checkout, fs.realpathSync(dirs.commonDir), worktree) : 'absent';
  if (from === 'absent' || 'refused' in from) return null;
  const lower = path.join(from.source, dep.folder);
  const upper = path.join(gitDir, 'waves-deps', dep.folder, 'upper');
  if (![lower, upper, path.join(worktree, dep.folder)].every(overlayPathUsable) || !overlayTools()) return null;
  const runs = (why: string) => ({ skip: false, why: `waves: ${argv.join(' ')} runs: ${why}` });
  if (fullFolder(upper)) return runs('the tree already changed its laid node_modules');
  const lock = readLockfiles(worktree, ['npm-shrinkwrap.json', 'package-lock.json']);
  const lockText = lock['npm-shrinkwrap.json'] ?? lock['package-lock.json'];
  if (!lockText) return runs('the tree has no package-lock.json to check the laid folder against');
  const hidden = readLockfiles(lower, ['.package-lock.json'])['.package-lock.json'];
  const differs = hidden ? installedAsLocked(lockText, hidden) : "npm keeps no record there of what it installed (node_modules/.package-lock.json)";
  if (differs) return runs(`${lower} is not what the lockfile asks (${differs})`);
  const scripts = installScriptsOf(readLockfiles(worktree, ['package.json'])['package.json'] ?? '');
  if (scripts.length) return runs(`the project runs ${scripts.join(', ')} on install`);
  return { skip: true, why: `waves: ${argv.join(' ')} not run: node_modules is laid from ${lower} (copy-on-write inside the walls), which npm installed as this tree's lockfile asks` };
}

/** The folder a login shell puts first of the system's own on its PATH (Debian's, Ubuntu's, Arch's `/etc/profile` reset PATH to it and what follows). */
const LOGIN_PATH_FIRST = '/usr/local/bin';

/**
 * An agent's `npm ci` answered by the `node_modules` laid over its tree (`npmCiShim`): when the
 * set-up's `npm ci` would be skipped now (`installAnsweredByLaying`), an `npm` is written in
 * `<attemptDir>/waves-bin/bin` (with the tree's package.json and package-lock.json as they are now,
 * which it compares, beside it) standing for the npm on `pathList`. `dir`: the folder to show
 * read-only inside the walls; `bin`: the one to put first on the agent's PATH; `login`: a read-only
 * overlay of `bin` over `/usr/local/bin`, for the login shells that reset PATH (Codex runs its
 * commands in `bash -lc`), unless the npm itself lives there. A line for the attempt's log; null:
 * no such `npm ci` here, or no npm on the PATH.
 */
export function npmCiShimFor(worktree: string, laid: readonly LaidFolder[], attemptDir: string, pathList: string): { dir: string; bin: string; login: LaidFolder | null; note: string } | null {
  const folder = laid.find((l) => path.basename(l.target) === 'node_modules' && path.dirname(l.target) === worktree);
  const found = folder ? programOnPath('npm', pathList) : null;
  if (!folder || !found || !installAnsweredByLaying(worktree, ['npm', 'ci'])?.skip) return null;
  const dir = path.join(attemptDir, 'waves-bin');
  const bin = path.join(dir, 'bin');
  let npm: string;
  try {
    npm = fs.realpathSync(found);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(bin, { recursive: true });
    fs.mkdirSync(path.join(dir, 'laid'));
    const manifest = path.join(dir, 'laid', 'package.json');
    const lockfile = path.join(dir, 'laid', 'package-lock.json');
    fs.copyFileSync(fileInTree(worktree, 'package.json') ?? path.join(worktree, 'package.json'), manifest);
    fs.copyFileSync(fileInTree(worktree, 'package-lock.json') ?? path.join(worktree, 'package-lock.json'), lockfile);
    fs.writeFileSync(path.join(bin, 'npm'), npmCiShim({ npm, tree: fs.realpathSync(worktree), lower: folder.lower, upper: folder.upper, manifest, lockfile }), { mode: 0o755 });
  } catch {
    // no stand-in made: npm ci runs as itself
    return null;
  }
  // The npm itself there would be hidden by the one standing for it (its exec would find itself).
  const login = !isWithin(npm, LOGIN_PATH_FIRST) && isDir(LOGIN_PATH_FIRST) && overlayPathUsable(bin) ? { lower: `${bin}:${LOGIN_PATH_FIRST}`, upper: '', work: '', target: LOGIN_PATH_FIRST } : null;
  return { dir, bin, login, note: `npm ci in the tree answers at once while nothing has changed its laid node_modules or its lockfile (npm installed ${folder.lower} as that lockfile asks): ${path.join(bin, 'npm')} stands for ${found}${login ? `, first on the PATH and in ${LOGIN_PATH_FIRST}` : ', first on the PATH'}` };
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    // not there: no folder
    return false;
  }
}

