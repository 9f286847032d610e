/**
 * The run files kept out of git: `.waves/` in the repository's `info/exclude`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { gitOut } from './gitRun.js';

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
