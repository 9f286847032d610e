/**
 * Which local paths git does not track stand in the way of a change checked out over a work
 * tree — what `waves finish` must find before its `git merge --ff-only`, which refuses to
 * overwrite untracked files but silently overwrites (or deletes) IGNORED ones. Pure: what is
 * on disk comes from the caller's `probe`.
 */
import type { FileChange } from './gitParse';

/** What is on disk at a path, without following a link: nothing, a real folder, or anything else (a file, a link). */
export type LocalEntry = 'none' | 'folder' | 'other';

export interface InTheWay {
  /** Repository-relative, `/`-separated. */
  path: string;
  /** A folder where the change puts a file: what git does not track inside it would go. */
  folder: boolean;
}

/**
 * The local entries a work tree at `from` (clean: its tracked files are `from`'s) would lose
 * if `to` were checked out over it, given `changes` (`git diff --name-status --no-renames
 * from to`). Only paths the change ADDS matter (a modified or deleted path is tracked, and
 * clean). For each: an entry at the path itself (a file or link is overwritten; a folder
 * makes way, with whatever git does not track in it), or a file or link where one of its
 * parent folders must be — unless that parent is a tracked file the change deletes. Each
 * path once, in the order found.
 */
export function pathsInTheWay(changes: readonly FileChange[], probe: (relPath: string) => LocalEntry): InTheWay[] {
  const deleted = new Set(changes.filter((c) => c.change === 'deleted').map((c) => c.path));
  const seen = new Map<string, LocalEntry>();
  const at = (p: string): LocalEntry => {
    let kind = seen.get(p);
    if (kind === undefined) seen.set(p, (kind = probe(p)));
    return kind;
  };
  const blocker = (p: string): InTheWay | null => {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      if (deleted.has(parent)) return null; // a tracked file that becomes a folder: nothing of the person's is below it
      const kind = at(parent);
      if (kind === 'none') return null;
      if (kind === 'other') return { path: parent, folder: false };
    }
    const kind = at(p);
    return kind === 'none' ? null : { path: p, folder: kind === 'folder' };
  };
  const found = new Map<string, InTheWay>();
  for (const change of changes) {
    if (change.change !== 'added') continue;
    const b = blocker(change.path);
    if (b) found.set(b.path, b);
  }
  return [...found.values()];
}
