/**
 * A tree's dependency folders laid from the person's checkout (ADR 0026), read from the disk as
 * the walls are drawn: which folders (core/walls/dependencyFolders.ts decides), where each keeps
 * the tree's own changes (git's folder for the tree: `<gitDir>/waves-deps/<folder>/`), and
 * whether overlays can be mounted here at all (tried once per process). Node built-ins,
 * src/core and src/store only (bundled into dist/runner.js).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEPENDENCY_FOLDERS, lockfilesMatch, overlayPathUsable, overlayPrefix, type LaidFolder, type Lockfiles, type OverlayTools } from '../../core/walls/dependencyFolders.js';
import { programOnPath } from './onPath.js';

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
    if (dir) forceRemove(dir);
  }
  return tried;
}

/** A folder removed, including the overlay's own scratch folder (mode 000, made by the kernel). */
function forceRemove(dir: string): void {
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch {
    try {
      for (const sub of fs.readdirSync(dir, { recursive: true }) as string[]) fs.chmodSync(path.join(dir, sub), 0o700);
    } catch {
      // what can be read is opened
    }
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
  }
}

function readLockfiles(root: string, names: readonly string[]): Lockfiles {
  const out: Record<string, string | null> = {};
  for (const name of names) {
    try {
      const p = path.join(root, name);
      const st = fs.statSync(p);
      out[name] = st.isFile() && st.size <= MAX_LOCKFILE_BYTES ? fs.readFileSync(p, 'latin1') : `(unreadable ${st.size})`;
    } catch {
      out[name] = null;
    }
  }
  return out;
}

/** A real folder (not a link) with something in it. */
function fullFolder(p: string): boolean {
  try {
    return fs.lstatSync(p).isDirectory() && fs.readdirSync(p).length > 0;
  } catch {
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
  return DEPENDENCY_FOLDERS.filter((dep) => fullFolder(path.join(checkout, dep.folder))).map((dep) => dep.folder);
}

/** The person's checkout of a linked worktree's repository: the folder whose `.git` is the common folder; null for a bare repository. */
export function checkoutOf(commonDir: string): string | null {
  if (path.basename(commonDir) !== '.git') return null;
  const root = path.dirname(commonDir);
  try {
    return fs.lstatSync(path.join(root, '.git')).isDirectory() && fs.realpathSync(path.join(root, '.git')) === fs.realpathSync(commonDir) ? root : null;
  } catch {
    return null;
  }
}

/**
 * The folders to lay over `worktree` (a linked worktree; never the checkout itself), each made
 * ready on disk (the empty mount point in the tree, its upper and scratch folders in git's folder
 * for the tree), and what was decided, for the attempt's log. Nothing when overlays cannot be had.
 */
export function dependencyOverlays(worktree: string, dirs: { gitDir: string; commonDir: string } | null): { laid: LaidFolder[]; prefix: string[]; notes: string[] } {
  const none = { laid: [], prefix: [], notes: [] as string[] };
  if (!dirs || dirs.gitDir === dirs.commonDir) return none;
  const checkout = checkoutOf(dirs.commonDir);
  if (!checkout) return none;
  const laid: LaidFolder[] = [];
  const notes: string[] = [];
  let tools: OverlayTools | null | undefined;
  for (const dep of DEPENDENCY_FOLDERS) {
    const lower = path.join(checkout, dep.folder);
    const target = path.join(worktree, dep.folder);
    if (!fullFolder(lower)) continue;
    if (!emptyOrAbsent(target)) {
      notes.push(`${dep.folder}: the tree has its own (not laid from ${checkout})`);
      continue;
    }
    const manifest = { tree: readLockfiles(worktree, [dep.manifest])[dep.manifest] ?? null, checkout: readLockfiles(checkout, [dep.manifest])[dep.manifest] ?? null };
    if (!lockfilesMatch(readLockfiles(worktree, dep.lockfiles), readLockfiles(checkout, dep.lockfiles), manifest)) {
      notes.push(`${dep.folder}: the tree's lockfile (or ${dep.manifest}) is not the checkout's (not laid: install them)`);
      continue;
    }
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
    try {
      for (const d of [upper, work, target]) fs.mkdirSync(d, { recursive: true });
    } catch (err) {
      notes.push(`${dep.folder}: ${(err as Error).message} (not laid)`);
      continue;
    }
    laid.push({ lower, upper, work, target });
    notes.push(`${dep.folder}: laid from ${lower} (copy-on-write)`);
  }
  return { laid, prefix: tools ? overlayPrefix(tools, laid) : [], notes };
}
