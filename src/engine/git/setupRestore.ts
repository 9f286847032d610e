/**
 * Putting the repository's git set-up back (docs/security.md, promise 3). The engine
 * never runs what an agent plants in the shared `.git` (gitSafety.ts), but the person's own git
 * would: the next `git commit` in their checkout runs a planted `pre-commit`, `git status` a
 * planted `core.fsmonitor`. So the set-up is KEPT when a run (or a planning round) starts — the
 * bytes and mode of every file the snapshot reads, the config files whole — and whenever it is
 * found changed, the kept start state is put back at once and what was found is MOVED into a
 * quarantine folder (`.waves/quarantine/…`, with a README.txt saying what each thing was and
 * where it was found): nothing planted is left for the person's next git command, and nothing
 * is deleted — a file the person changed themselves during the run is in the quarantine folder
 * too. Files are put back atomically (a temporary file renamed over), so a git process reading
 * the config meanwhile sees the old or the new one, never none.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { quarantineReadme, setupChanges, type GitSetupSnapshot, type SetupChange, type SetupRestoreLine } from '../../core/git/gitSetup';
import { checkEngineFolder } from '../../store/engineFolder';
import { gitDirsOf } from '../../store/gitDirs';
import { snapshotGitSetup, type KeptSetupEntry } from './gitSafety';

/** The git set-up as a run (or a planning round) started: its fingerprint, and what was read to make it. */
export interface KeptGitSetup {
  repo: string;
  /** The repository's common git folder: every name of the snapshot is a path under it. */
  commonDir: string;
  snapshot: GitSetupSnapshot;
  files: ReadonlyMap<string, KeptSetupEntry>;
}

/** What `restoreGitSetup` found and did. */
export interface SetupRestore {
  changes: SetupChange[];
  lines: SetupRestoreLine[];
  /** The quarantine folder (absolute), with its README.txt. */
  quarantine: string;
  /** What could not be put back: the set-up still differs there. */
  notRestored: SetupRestoreLine[];
}

/** The git set-up now, kept to be put back later; null outside a repository. */
export async function keepGitSetup(repo: string): Promise<KeptGitSetup | null> {
  const dirs = gitDirsOf(repo);
  if (!dirs) return null;
  const files = new Map<string, KeptSetupEntry>();
  const snapshot = await snapshotGitSetup(repo, files);
  return { repo, commonDir: dirs.commonDir, snapshot, files };
}

/**
 * Compares the set-up with `kept`; when it differs, puts the kept state back and moves what was
 * found into `quarantine` (made, inside the repository's `.waves`, with a README.txt naming
 * `by`). Null when nothing differs (nothing is made).
 */
export async function restoreGitSetup(kept: KeptGitSetup, quarantine: string, by: string, at: Date): Promise<SetupRestore | null> {
  const found = setupChanges(kept.snapshot, await snapshotGitSetup(kept.repo));
  if (found.length === 0) return null;
  // As files: a config whose risky entries were added was there before — it `changed`.
  const changes = found.map((c) => ({ ...c, change: fileChange(kept, c.name) ?? c.change }));
  const folder = freeFolder(quarantine);
  checkEngineFolder(kept.repo, folder);
  fs.mkdirSync(folder, { recursive: true });
  checkEngineFolder(kept.repo, folder);
  const lines = changes.map((change) => restoreOne(kept, change, folder));
  // What still differs after the restore (a file that could not be written, a change made meanwhile).
  const still = new Set(setupChanges(kept.snapshot, await snapshotGitSetup(kept.repo)).map((c) => c.name));
  for (const line of lines) {
    if (line.putBack && still.has(line.name)) Object.assign(line, { putBack: false, why: "it differs again from the run's start after it was put back" });
  }
  fs.writeFileSync(path.join(folder, 'README.txt'), quarantineReadme(by, at, lines));
  return { changes, lines, quarantine: folder, notRestored: lines.filter((l) => !l.putBack) };
}

/** What happened to the file of `name` since the start, as a file: null when it is neither there now nor was then. */
function fileChange(kept: KeptGitSetup, name: string): SetupChange['change'] | null {
  const was = kept.files.has(name) || kept.snapshot[name] !== undefined;
  const is = fs.lstatSync(path.join(kept.commonDir, ...name.split('/')), { throwIfNoEntry: false }) !== undefined;
  return was && is ? 'changed' : was ? 'removed' : is ? 'added' : null;
}

/** `dir`, or `dir-2`, `dir-3`… when it exists (two findings in one millisecond). */
function freeFolder(dir: string): string {
  let out = dir;
  for (let n = 2; fs.existsSync(out); n++) out = `${dir}-${n}`;
  return out;
}

function whatIs(file: string): string | undefined {
  const st = fs.lstatSync(file, { throwIfNoEntry: false });
  if (!st) return undefined;
  if (st.isSymbolicLink()) return `a symbolic link to ${fs.readlinkSync(file)}`;
  if (st.isDirectory()) return 'a folder';
  if (st.isFile()) return st.mode & 0o111 ? 'an executable file' : 'a file';
  return 'not a file (a FIFO, a device or a socket)';
}

/** One changed name: what is there moved (or copied) aside, the kept state put back. */
function restoreOne(kept: KeptGitSetup, change: SetupChange, folder: string): SetupRestoreLine {
  const rel = change.name.split('/');
  const file = path.join(kept.commonDir, ...rel);
  const aside = path.join(folder, ...rel);
  const start = kept.files.get(change.name);
  const what = whatIs(file);
  const line: SetupRestoreLine = { ...change, foundAt: file, keptAs: null, putBack: false, ...(what ? { what } : {}) };
  try {
    const now = fs.lstatSync(file, { throwIfNoEntry: false });
    const restorable = start !== undefined && start.kind !== 'folder';
    if (now) {
      // A file or link with a start version to put back: copied aside, then replaced atomically
      // (the config is never missing, not even for a moment). Anything else: moved aside.
      if (restorable && (now.isFile() || now.isSymbolicLink())) copyAside(file, now, aside);
      else moveAside(file, aside);
      line.keptAs = rel.join('/');
    }
    if (restorable) {
      if (!fs.existsSync(path.dirname(file))) return { ...line, why: `its folder ${path.dirname(file)} is gone` };
      putBack(file, start);
      return { ...line, putBack: true };
    }
    if (change.change === 'added') return { ...line, putBack: true }; // nothing was there: nothing is now
    return { ...line, why: start?.kind === 'folder' ? "the run's start version was a folder, which is not kept" : "the run's start version was too large to keep" };
  } catch (err) {
    return { ...line, why: err instanceof Error ? err.message : String(err) };
  }
}

/** A copy of a file (execute bits off) or a link, at `aside`. */
function copyAside(file: string, st: fs.Stats, aside: string): void {
  fs.mkdirSync(path.dirname(aside), { recursive: true });
  if (st.isSymbolicLink()) {
    fs.symlinkSync(fs.readlinkSync(file), aside);
    return;
  }
  fs.copyFileSync(file, aside, fs.constants.COPYFILE_EXCL);
  fs.chmodSync(aside, st.mode & 0o666);
}

/** Moves `file` (anything) to `aside`: a rename, or a copy and then the removal across file systems; execute bits off. */
function moveAside(file: string, aside: string): void {
  fs.mkdirSync(path.dirname(aside), { recursive: true });
  try {
    fs.renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    fs.cpSync(file, aside, { recursive: true, verbatimSymlinks: true, errorOnExist: true, force: false });
    fs.rmSync(file, { recursive: true });
  }
  disarm(aside);
}

/** Execute bits off every file at or under `p` (links are left as they are). */
function disarm(p: string): void {
  const st = fs.lstatSync(p);
  if (st.isDirectory()) for (const name of fs.readdirSync(p)) disarm(path.join(p, name));
  else if (st.isFile()) fs.chmodSync(p, st.mode & 0o666);
}

/** Writes the kept state at `file`: a temporary file (or link) beside it, renamed over it. */
function putBack(file: string, start: Exclude<KeptSetupEntry, { kind: 'folder' }>): void {
  const tmp = `${file}.waves-restore-${randomBytes(4).toString('hex')}`;
  try {
    if (start.kind === 'link') fs.symlinkSync(start.target, tmp);
    else {
      fs.writeFileSync(tmp, start.bytes, { mode: start.mode, flag: 'wx' });
      fs.chmodSync(tmp, start.mode);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}
