/**
 * The engine's folder `<repo>/.waves` — and every folder under it that the engine writes
 * into — must be a real folder of the repository. A repository can commit `.waves` (or
 * `.waves/runs`, or a run's folder) as a symbolic link: followed, the engine would write its
 * run state, lease, locks, logs and reports wherever the link points. Every writer checks the
 * folder it writes into first (`checkEngineFolder`): each existing step from the repository
 * down is `lstat`ed — a link or a file refuses, with the path and what to do — and the
 * deepest one's real path must be the repository's real path plus those steps. Folders that
 * do not exist yet pass: they are made by the writer, as real folders.
 *
 * Out of scope: a local process that swaps a folder for a link between the check and the
 * write (it can write there itself).
 */
import fs from 'node:fs';
import path from 'node:path';
import { WAVES_FOLDER } from '../core/run/runPaths';
import { relativePosix } from '../util/posixPath';

export class EngineFolderError extends Error {
  constructor(
    /** The path that is not a real folder of the repository. */
    readonly folder: string,
    message: string,
  ) {
    super(message);
    this.name = 'EngineFolderError';
  }
}

/**
 * Throws `EngineFolderError` unless `folder` (default `<repo>/.waves`; it must lie under it)
 * is, as far as it exists, a chain of real folders inside the repository. With `below`, no
 * entry anywhere under `folder` may be a link either (a run's folder, whose attempts the
 * engine and its runners write into again).
 */
export function checkEngineFolder(repoRoot: string, folder: string = path.join(repoRoot, WAVES_FOLDER), options: { below?: boolean } = {}): void {
  const steps = path.relative(repoRoot, folder).split(path.sep);
  if (steps[0] !== WAVES_FOLDER || steps.includes('..')) throw new Error(`${folder} is not under ${path.join(repoRoot, WAVES_FOLDER)}`);
  let at = repoRoot;
  let depth = 0;
  for (const step of steps) {
    const next = path.join(at, step);
    const st = fs.lstatSync(next, { throwIfNoEntry: false });
    if (!st) break;
    notAFolder(repoRoot, next, st);
    at = next;
    depth++;
  }
  if (depth === 0) return;
  const real = fs.realpathSync(at);
  const expected = path.join(fs.realpathSync(repoRoot), ...steps.slice(0, depth));
  if (real !== expected) {
    throw new EngineFolderError(at, `${at} resolves to ${real}, not to a folder inside the repository, where alone Wave Orchestrator writes its run files; move it away and start again.`);
  }
  if (options.below && depth === steps.length) checkBelow(repoRoot, at);
}

/** Throws when `st` (of `file`) is not a real folder. */
function notAFolder(repoRoot: string, file: string, st: fs.Stats): void {
  const rel = relativePosix(repoRoot, file);
  if (st.isSymbolicLink()) {
    let target = '?';
    try {
      target = fs.readlinkSync(file);
    } catch {
      // shown as `?`
    }
    throw new EngineFolderError(
      file,
      `${file} is a symbolic link (to ${target}): Wave Orchestrator writes its run files only into real folders inside the repository, never through a link; remove the link (\`git rm ${rel}\` and commit, when the repository tracks it) and start again.`,
    );
  }
  if (!st.isDirectory()) {
    throw new EngineFolderError(
      file,
      `${file} is not a folder: Wave Orchestrator keeps its run files in ${rel}/; move it away (\`git rm ${rel}\` and commit, when the repository tracks it) and start again.`,
    );
  }
}

/** No link anywhere under `dir` (a real folder). */
function checkBelow(repoRoot: string, dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) notAFolder(repoRoot, file, fs.lstatSync(file));
    else if (entry.isDirectory()) checkBelow(repoRoot, file);
  }
}
