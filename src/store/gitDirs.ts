/**
 * Where a work tree's git folders are, read from the disk (no git process): its own `.git` (a
 * folder, or the `gitdir:` file of a linked worktree) and the common folder it shares. Node only —
 * the runner (dist/runner.js) reads it to draw an agent's walls, the engine's git to guard them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { workTreeOf } from '../util/workTree';

/** `.git` of a work tree (a folder, or a `gitdir:` file) and its common folder, found on disk from `cwd` upwards (or the tree found already); null when none. */
export function gitDirsOf(cwd: string, tree: ReturnType<typeof workTreeOf> = workTreeOf(cwd)): { gitDir: string; commonDir: string } | null {
  if (!tree) return null;
  const dotGit = path.join(tree.root, '.git');
  if (tree.dotGit.isDirectory()) return { gitDir: dotGit, commonDir: dotGit };
  const m = /^gitdir:\s*(.+?)\s*$/m.exec(fs.readFileSync(dotGit, 'utf8'));
  if (!m) return null;
  const gitDir = path.resolve(tree.root, m[1]!);
  let commonDir = gitDir;
  try {
    commonDir = path.resolve(gitDir, fs.readFileSync(path.join(gitDir, 'commondir'), 'utf8').trim());
  } catch {
    // not a linked worktree's folder: its own common folder
  }
  return { gitDir, commonDir };
}
