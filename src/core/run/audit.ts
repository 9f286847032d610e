/**
 * The scope audit (pure): the files a package changed vs its write scope.
 *
 * A change is a violation when its path is covered by a `deny` pattern (deny wins) or by no
 * `write_allow` pattern. Every deletion is listed: inside the scope it is allowed but
 * reported (an agent's `git clean` or a stray `rm` must be seen before it merges); outside
 * it is a violation like any other change. Whatever the scope says, these are violations
 * too (docs/security.md): a path under `.waves/` (the engine's own files: a package that
 * commits one would overwrite the person's run state or approvals when merged), a symbolic
 * link that points outside the repository or into `.git`, and a file the repository ignores
 * that was added by force (merged, it would overwrite the person's ignored local file).
 * Coverage is decided by `covers()` of `src/core/plan/glob.ts`, the one glob engine.
 */
import { covers } from '../plan/glob.js';
import { linkLeavesRepository, type ChangeKind } from '../git/gitParse.js';
import type { FileChange } from './runState.js';

export interface AuditChange {
  /** Repo-relative, `/`-separated. */
  path: string;
  change: FileChange;
  /** The path is (now) a symbolic link with this target. */
  link?: string;
  /** The path is one the repository ignores (`.gitignore`, `info/exclude`): it was added with `git add -f`. */
  ignored?: boolean;
}

export interface AuditScope {
  writeAllow: readonly string[];
  deny: readonly string[];
}

export interface AuditViolation extends AuditChange {
  reason: 'denied' | 'outside-write-scope' | 'engine-files' | 'link-outside' | 'ignored-file';
  /** The deny pattern that covers the path (reason `denied`). */
  pattern?: string;
  /** One line saying why, for the run state and the report. */
  message: string;
}

export interface AuditResult {
  /** No violation. */
  ok: boolean;
  /** Every change considered (one per path, sorted by path), ignored paths left out. */
  changes: AuditChange[];
  violations: AuditViolation[];
  /** Every deletion, allowed (inside the scope) or not. */
  deletions: Array<{ path: string; allowed: boolean }>;
}

/** The engine's own folder: no package may change anything in it. */
export const ENGINE_FOLDER = '.waves';

/** git's change kinds → the run state's letters (`?` = untracked is set by the caller). */
export function toFileChange(kind: ChangeKind): FileChange {
  switch (kind) {
    case 'added':
    case 'copied':
      return 'A';
    case 'deleted':
      return 'D';
    case 'renamed':
      return 'R';
    default:
      return 'M';
  }
}

/**
 * One change per path: lists are applied in order and a later list's entry for a path
 * replaces an earlier one (pass committed changes first, then the work tree's, then the
 * untracked files), so the result is the path's latest known state.
 */
export function mergeChanges(...lists: ReadonlyArray<readonly AuditChange[]>): AuditChange[] {
  const byPath = new Map<string, AuditChange>();
  for (const list of lists) for (const c of list) byPath.set(c.path, { ...c });
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Whether `path` is the engine's folder or inside it (`.waves`, `.waves/…`). */
export function isEngineFile(path: string): boolean {
  return path === ENGINE_FOLDER || path.startsWith(`${ENGINE_FOLDER}/`);
}

/** Audits `changes` (duplicates merged, last wins) against `scope`. */
export function auditScope(changes: readonly AuditChange[], scope: AuditScope): AuditResult {
  const merged = mergeChanges(changes);
  const violations: AuditViolation[] = [];
  const deletions: Array<{ path: string; allowed: boolean }> = [];
  for (const c of merged) {
    const v = violationOf(c, scope);
    if (v) violations.push(v);
    if (c.change === 'D') deletions.push({ path: c.path, allowed: v === null });
  }
  return { ok: violations.length === 0, changes: merged, violations, deletions };
}

function violationOf(c: AuditChange, scope: AuditScope): AuditViolation | null {
  const what = c.change === 'D' ? 'deleted' : c.change === '?' || c.change === 'A' ? 'created' : 'changed';
  if (isEngineFile(c.path)) {
    return { ...c, reason: 'engine-files', message: `${c.path} ${what}: ${ENGINE_FOLDER}/ is the engine's (run state, locks), no package may change it` };
  }
  if (c.change !== 'D' && c.link !== undefined && linkLeavesRepository(c.path, c.link)) {
    return { ...c, reason: 'link-outside', message: `${c.path} ${what} as a symbolic link to ${c.link}, outside the repository` };
  }
  if (c.change !== 'D' && c.ignored) {
    return { ...c, reason: 'ignored-file', message: `${c.path} ${what}, but the repository ignores it (added with git add -f: merged, it would overwrite your local ignored file)` };
  }
  const deny = scope.deny.find((p) => covers(p, c.path));
  if (deny !== undefined) {
    return { ...c, reason: 'denied', pattern: deny, message: `${c.path} ${what}, but the scope denies it (deny: ${deny})` };
  }
  if (!scope.writeAllow.some((p) => covers(p, c.path))) {
    const allowed = scope.writeAllow.length === 0 ? 'the package may write no file' : `write_allow: ${scope.writeAllow.join(', ')}`;
    return { ...c, reason: 'outside-write-scope', message: `${c.path} ${what} outside the write scope (${allowed})` };
  }
  return null;
}
