/**
 * A tree's dependency folders laid from the person's checkout (ADR 0026), read from the disk as
 * the walls are drawn: which folders (core/walls/dependencyFolders.ts decides), where each keeps
 * the tree's own changes (git's folder for the tree: `<gitDir>/waves-deps/<folder>/`), the npm
 * installs shared by trees with the same lockfile, and whether overlays can be mounted here at
 * all (tried once per process); on macOS the same folders cloned into the tree instead
 * (`dependencyClones`, ADR 0033). A virtual environment made ready to be laid: wallsVenv.ts; an
 * npm install answered by the laid folder: wallsNpmCi.ts. Node built-ins, src/core and src/store
 * only (bundled into dist/runner.js).
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cloneArgv, clonedNote, cloneFailedNote, cloneRefusal, DEPENDENCY_FOLDERS, installScriptsOf, isNpmInstall, lockfilesMatch, overlayPathUsable, overlayPrefix, type DependencyFolder, type LaidFolder, type Lockfiles, type OverlayTools } from '../../core/walls/dependencyFolders.js';
import { programOnPath } from '../../store/onPath.js';
import { gitDirsOf } from '../../store/gitDirs.js';
import { fileInTree, layerOf, removeOverlayFolder } from '../../store/treeLayers.js';
import { isFile } from './wallsDisk.js';
import { readyVenv } from './wallsVenv.js';

/** A lockfile larger than this is not compared (never seen in practice; reading it would cost the agent's start). */
const MAX_LOCKFILE_BYTES = 64 * 1024 * 1024;

let tried: OverlayTools | null | undefined;

/**
 * The programs that lay folders, when overlays can be mounted here: util-linux's `unshare` and
 * `mount`, and a trial of an overlay in a user namespace of its own (Linux 5.11 and later allow
 * it; a machine that refuses unprivileged user namespaces to all but bubblewrap refuses it too).
 * Tried once per process; `WAVES_DEPENDENCY_OVERLAYS=0` turns the overlays off.
 */
export function overlayTools(): OverlayTools | null {
  if (tried !== undefined) return tried;
  tried = null;
  if (process.platform !== 'linux' || process.env.WAVES_DEPENDENCY_OVERLAYS === '0') return tried;
  const unshare = programOnPath('unshare');
  const mount = programOnPath('mount');
  const sh = fs.existsSync('/bin/sh') ? '/bin/sh' : programOnPath('sh');
  if (!unshare || !mount || !sh) return tried;
  let dir: string | null = null;
  try {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-overlay-trial-'));
    const [lower, upper, work, target] = ['lower', 'upper', 'work', 'target'].map((d) => path.join(dir!, d));
    for (const d of [lower, upper, work, target]) fs.mkdirSync(d!);
    fs.writeFileSync(path.join(lower!, 'file'), 'lower');
    const tools = { unshare, mount, sh };
    const laid = [{ lower: lower!, upper: upper!, work: work!, target: target! }];
    const argv = [...overlayPrefix(tools, laid), sh, '-c', 'echo changed > "$1/file" && cat "$1/file"', 'sh', target!];
    const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 10_000 });
    const ok = r.status === 0 && r.stdout.trim() === 'changed' && r.stderr === '' && fs.readFileSync(path.join(lower!, 'file'), 'utf8') === 'lower';
    if (ok) tried = tools;
  } catch {
    // no overlays here
  } finally {
    if (dir) removeOverlayFolder(dir);
  }
  return tried;
}

/** The files `names` in the root of `root` (a layered tree's where it has them: its own, else its base's). */
export function readLockfiles(root: string, names: readonly string[]): Lockfiles {
  const out: Record<string, string | null> = {};
  const layer = layerOf(root);
  for (const name of names) {
    try {
      const p = fileInTree(root, name, layer);
      if (p === null) throw new Error('deleted in the tree');
      const st = fs.statSync(p);
      out[name] = st.isFile() && st.size <= MAX_LOCKFILE_BYTES ? fs.readFileSync(p, 'latin1') : `(unreadable ${st.size})`;
    } catch {
      // missing or unreadable: the tree has no such lockfile
      out[name] = null;
    }
  }
  return out;
}

/** A real folder (not a link) with something in it. */
export function fullFolder(p: string): boolean {
  try {
    return fs.lstatSync(p).isDirectory() && fs.readdirSync(p).length > 0;
  } catch {
    // not there: nothing to lay
    return false;
  }
}

/** Absent, or an empty real folder: a place an overlay may be mounted on without hiding anything. */
function emptyOrAbsent(p: string): boolean {
  try {
    return fs.lstatSync(p).isDirectory() && fs.readdirSync(p).length === 0;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/**
 * The dependency folders the person's checkout has (`node_modules`), which its trees' walls may lay
 * — asked as an agent's prompt is written, while its tree is still being made (the tree's
 * lockfile decides later, as the walls are drawn). Nothing made on disk.
 */
export function foldersToLay(checkout: string): string[] {
  return DEPENDENCY_FOLDERS.filter((dep) => fullFolder(path.join(checkout, dep.folder)) && (!dep.venv || isFile(path.join(checkout, dep.folder, 'pyvenv.cfg')))).map((dep) => dep.folder);
}

/** The person's checkout of a linked worktree's repository: the folder whose `.git` is the common folder; null for a bare repository. */
export function checkoutOf(commonDir: string): string | null {
  if (path.basename(commonDir) !== '.git') return null;
  const root = path.dirname(commonDir);
  try {
    return fs.lstatSync(path.join(root, '.git')).isDirectory() && fs.realpathSync(path.join(root, '.git')) === fs.realpathSync(commonDir) ? root : null;
  } catch {
    // its .git cannot be read: no checkout found, nothing laid from it
    return null;
  }
}

/**
 * Whether the checkout's `dep` may be laid over `worktree` as far as their files say: null when it
 * may, `absent` when the checkout has none, else why not (a note of the attempt's log).
 */
function layRefusal(dep: DependencyFolder, checkout: string, worktree: string): string | 'absent' | null {
  const lower = path.join(checkout, dep.folder);
  if (!fullFolder(lower) || (dep.venv && !isFile(path.join(lower, 'pyvenv.cfg')))) return 'absent';
  if (!emptyOrAbsent(path.join(worktree, dep.folder))) return `${dep.folder}: the tree has its own (not laid from ${checkout})`;
  const manifest = { tree: readLockfiles(worktree, [dep.manifest])[dep.manifest] ?? null, checkout: readLockfiles(checkout, [dep.manifest])[dep.manifest] ?? null };
  if (!lockfilesMatch(readLockfiles(worktree, dep.lockfiles), readLockfiles(checkout, dep.lockfiles), manifest)) return `${dep.folder}: the tree's lockfile (or ${dep.manifest}) is not the checkout's (not laid: install them)`;
  return null;
}

/**
 * Where `dep` is laid over `worktree` from: the checkout's folder when it may be (`layRefusal`);
 * else, for `node_modules`, the install shared by the trees whose package.json and lockfiles are
 * this tree's (`sharedInstallOf`), when one was made. `absent`: neither has one; a refusal: the
 * checkout's, for the attempt's log.
 */
export function layingSource(dep: DependencyFolder, checkout: string, commonDir: string, worktree: string): { source: string } | { refused: string } | 'absent' {
  const refused = layRefusal(dep, checkout, worktree);
  if (refused === null) return { source: checkout };
  const shared = dep.folder === 'node_modules' ? sharedInstallOf(commonDir, worktree) : null;
  if (shared && fullFolder(path.join(shared, dep.folder)) && layRefusal(dep, shared, worktree) === null) return { source: shared };
  return refused === 'absent' ? 'absent' : { refused };
}

/** The files a shared install is keyed by, and copied beside it: the manifest, npm's lockfiles, the project's .npmrc. */
const SHARED_INSTALL_FILES = ['package.json', 'package-lock.json', 'npm-shrinkwrap.json', '.npmrc'];

/**
 * Where the `node_modules` installed once for the trees whose package.json, lockfile and .npmrc are
 * `worktree`'s is kept (`<common git folder>/waves-deps/npm-<hash>`: no agent's walls can write
 * it), whether it was made or not; null: the tree has no package-lock.json.
 */
export function sharedInstallPath(commonDir: string, worktree: string): string | null {
  const files = readLockfiles(worktree, SHARED_INSTALL_FILES);
  if (files['package-lock.json'] === null && files['npm-shrinkwrap.json'] === null) return null;
  const hash = crypto.createHash('sha256');
  for (const name of SHARED_INSTALL_FILES) hash.update(`${name}\0${files[name] ?? '(none)'}\0`);
  return path.join(commonDir, 'waves-deps', `npm-${hash.digest('hex').slice(0, 24)}`);
}

/** The real path of a linked worktree's common git folder; null for the checkout itself or when it cannot be read. */
function realCommonDir(worktree: string): string | null {
  const dirs = gitDirsOf(worktree);
  try {
    return dirs && dirs.gitDir !== dirs.commonDir ? fs.realpathSync(dirs.commonDir) : null;
  } catch {
    // the common folder cannot be read: nothing shared
    return null;
  }
}

/**
 * Where the install `argv` makes in `worktree` would be shared (`sharedInstallPath`): an npm
 * install of a project that runs no script of its own on install, where overlays can lay it;
 * null: it would not (without overlays each tree installs its own, none waiting for another's).
 */
export function sharedInstallFor(worktree: string, argv: readonly string[]): string | null {
  if (!isNpmInstall(argv) || !overlayTools()) return null;
  const common = realCommonDir(worktree);
  if (!common || installScriptsOf(readLockfiles(worktree, ['package.json'])['package.json'] ?? '').length) return null;
  return sharedInstallPath(common, worktree);
}

/** The shared install for `worktree`, when it was made (its rename into place is its last step); else null. */
function sharedInstallOf(commonDir: string, worktree: string): string | null {
  const at = sharedInstallPath(commonDir, worktree);
  return at && fullFolder(at) ? at : null;
}

/**
 * The shared installs of the repository whose common git folder is `commonDir` that none of
 * `trees` (its linked worktrees now) would lay, removed, and scratch folders of one left half
 * made; the paths removed.
 */
export function dropUnusedSharedInstalls(commonDir: string, trees: readonly string[]): string[] {
  const root = path.join(commonDir, 'waves-deps');
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    // no waves-deps folder: no shared install to drop
    return [];
  }
  const used = new Set(trees.map((t) => sharedInstallPath(commonDir, t)).filter((p): p is string => p !== null));
  const removed: string[] = [];
  for (const name of names) {
    const p = path.join(root, name);
    if (!/^npm-[0-9a-f]{24}(\.tmp-.*)?$/.test(name) || used.has(p)) continue;
    try {
      fs.rmSync(p, { recursive: true, force: true });
      removed.push(p);
    } catch {
      // kept: removed next time
    }
  }
  return removed;
}

/**
 * A tree's `node_modules`, just installed by the set-up command, made the install its siblings
 * with the same package.json and lockfile share (ADR 0026): moved (a rename, no copy) to
 * `sharedInstallPath` with copies of those files, the tree's own folder left empty for the walls
 * to lay it back, copy-on-write. false, and the tree keeps its own, when it cannot be: another
 * file system, or another engine shared one first.
 */
export function shareInstall(worktree: string): boolean {
  const common = realCommonDir(worktree);
  if (!common || !overlayTools()) return false;
  const target = sharedInstallPath(common, worktree);
  const own = path.join(worktree, 'node_modules');
  if (!target || fullFolder(target) || !overlayPathUsable(path.join(target, 'node_modules')) || !fs.existsSync(path.join(own, '.package-lock.json'))) return false;
  const tmp = `${target}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  try {
    fs.mkdirSync(tmp, { recursive: true });
    for (const name of SHARED_INSTALL_FILES) {
      const file = fileInTree(worktree, name);
      if (file && isFile(file)) fs.copyFileSync(file, path.join(tmp, name));
    }
    fs.renameSync(own, path.join(tmp, 'node_modules'));
  } catch {
    // the tree's node_modules did not move (its rename is the last step): it keeps its own
    fs.rmSync(tmp, { recursive: true, force: true });
    return false;
  }
  try {
    fs.renameSync(tmp, target);
    fs.mkdirSync(own);
    return true;
  } catch {
    // Shared by another engine meanwhile: the tree keeps its own.
    try {
      fs.renameSync(path.join(tmp, 'node_modules'), own);
    } catch {
      // (left in the scratch folder: the tree installs again)
    }
    fs.rmSync(tmp, { recursive: true, force: true });
    return false;
  }
}

/**
 * The folders to lay over `worktree` (a linked worktree; never the checkout itself), each made
 * ready on disk (the empty mount point in the tree, its upper and scratch folders in git's folder
 * for the tree), and what was decided, for the attempt's log. A virtual environment (`readyVenv`)
 * is also bound at the checkout's own folder inside the walls (`binds`: the tree's folder → the
 * checkout's), which its scripts name. Nothing when overlays cannot be had.
 */
export function dependencyOverlays(worktree: string, dirs: { gitDir: string; commonDir: string } | null): { laid: LaidFolder[]; prefix: string[]; notes: string[]; binds: { from: string; to: string }[] } {
  const none = { laid: [], prefix: [], notes: [] as string[], binds: [] };
  if (!dirs || dirs.gitDir === dirs.commonDir) return none;
  const checkout = checkoutOf(dirs.commonDir);
  if (!checkout) return none;
  const laid: LaidFolder[] = [];
  const notes: string[] = [];
  const binds: { from: string; to: string }[] = [];
  let tools: OverlayTools | null | undefined;
  for (const dep of DEPENDENCY_FOLDERS) {
    const target = path.join(worktree, dep.folder);
    const from = layingSource(dep, checkout, dirs.commonDir, worktree);
    if (from === 'absent') continue;
    if ('refused' in from) {
      notes.push(from.refused);
      continue;
    }
    const lower = path.join(from.source, dep.folder);
    const state = path.join(dirs.gitDir, 'waves-deps', dep.folder);
    const upper = path.join(state, 'upper');
    const work = path.join(state, 'work');
    if (![lower, upper, work, target].every(overlayPathUsable)) {
      notes.push(`${dep.folder}: its path holds a character an overlay cannot name (not laid)`);
      continue;
    }
    tools ??= overlayTools();
    if (!tools) {
      notes.push(`${dep.folder}: overlays cannot be mounted here (not laid: install them)`);
      break;
    }
    // The state folders are in the tree's admin folder, which the tree's agents may write: each made
    // here step by step, and refused when a part of it is not a real folder (a link an agent left
    // there would make another folder of the person's the overlay's writable side).
    const planted = [ownFolder(dirs.gitDir, path.relative(dirs.gitDir, upper)), ownFolder(dirs.gitDir, path.relative(dirs.gitDir, work))].find((r) => r !== null);
    if (planted) {
      notes.push(`${dep.folder}: ${planted} (not laid)`);
      continue;
    }
    try {
      fs.mkdirSync(target, { recursive: true });
    } catch (err) {
      notes.push(`${dep.folder}: ${(err as Error).message} (not laid)`);
      continue;
    }
    let relocated = 0;
    if (dep.venv) {
      const ready = readyVenv(lower, upper, checkout, worktree);
      if ('refused' in ready) {
        notes.push(`${dep.folder}: ${ready.refused} (not laid: the tree could import the checkout's code, not its own; make the environment in the tree)`);
        continue;
      }
      relocated = ready.relocated;
      // Its scripts, pyvenv.cfg and activate name the checkout's folder: inside the walls that is the tree's overlay too.
      binds.push({ from: target, to: lower });
    }
    laid.push({ lower, upper, work, target });
    const venv = dep.venv ? `; inside the walls ${lower} is the tree's too${relocated ? `; ${relocated} of its files made to name the tree's code (an editable install)` : ''}` : '';
    notes.push(`${dep.folder}: laid from ${lower} (copy-on-write${venv})`);
  }
  return { laid, prefix: tools ? overlayPrefix(tools, laid) : [], notes, binds };
}

/** Makes a clone (`cloneArgv`): null when it was made, else why not, in a line. */
export type CloneRun = (argv: readonly string[]) => string | null;

/** macOS's cp, by argv; anywhere else nothing is run (GNU cp reads `-c` as another option and would copy). */
function cloneByCp(argv: readonly string[]): string | null {
  if (process.platform !== 'darwin') return 'APFS clones are made on macOS only';
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 10 * 60_000 });
  if (r.status === 0 && !r.error) return null;
  return (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n')[0]!;
}

/**
 * The walls on macOS (ADR 0033): the dependency folders Linux's walls would lay over `worktree`
 * (the same rule: `layRefusal`, `lockfilesMatch`) cloned into it from the checkout instead, before
 * the agent starts — APFS clones (`cloneArgv`), the tree's own copy-on-write. A folder that cannot
 * be cloned is said and the tree left as it was (what cp made of it removed): never a full copy.
 * A virtual environment is not cloned (`cloneRefusal`). The notes, for the attempt's log.
 */
export function dependencyClones(worktree: string, dirs: { gitDir: string; commonDir: string } | null, clone: CloneRun = cloneByCp): string[] {
  if (!dirs || dirs.gitDir === dirs.commonDir) return [];
  const checkout = checkoutOf(dirs.commonDir);
  if (!checkout) return [];
  const notes: string[] = [];
  for (const dep of DEPENDENCY_FOLDERS) {
    const refused = layRefusal(dep, checkout, worktree);
    if (refused === 'absent') continue;
    const why = refused ?? cloneRefusal(dep);
    if (why) {
      notes.push(why);
      continue;
    }
    const from = path.join(checkout, dep.folder);
    const to = path.join(worktree, dep.folder);
    // cp makes the folder: an empty one left in the tree is removed first, and put back if nothing is cloned.
    const wasEmpty = fs.existsSync(to);
    try {
      if (wasEmpty) fs.rmdirSync(to);
    } catch (err) {
      notes.push(`${dep.folder}: ${(err as Error).message} (not cloned)`);
      continue;
    }
    const failed = clone(cloneArgv(from, to));
    if (failed === null) {
      notes.push(clonedNote(dep.folder, from));
      continue;
    }
    fs.rmSync(to, { recursive: true, force: true });
    if (wasEmpty) fs.mkdirSync(to);
    notes.push(cloneFailedNote(dep.folder, from, failed));
  }
  return notes;
}

/**
 * `rel` (folders under `base`) made one folder at a time without following links; null when each
 * is a real folder, else why not.
 */
function ownFolder(base: string, rel: string): string | null {
  let at = base;
  for (const part of rel.split(path.sep)) {
    at = path.join(at, part);
    try {
      if (!fs.lstatSync(at).isDirectory()) return `${at} is not a folder (a link or a file left there)`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return `${at}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`;
      try {
        fs.mkdirSync(at);
      } catch (made) {
        return `${at}: ${(made as NodeJS.ErrnoException).code ?? String(made)}`;
      }
    }
  }
  return null;
}
