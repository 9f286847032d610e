/**
 * The scope audit (pure): the files a package changed vs its write scope.
 *
 * A change is a violation when its path is covered by a `deny` pattern (deny wins) or by no
 * `write_allow` pattern. Every deletion is listed: inside the scope it is allowed but
 * reported (an agent's `git clean` or a stray `rm` must be seen before it merges); outside
 * it is a violation like any other change. Paths under `.waves/` (the engine's own files)
 * are ignored. Coverage is decided by `covers()` of `src/core/plan/glob.ts`, the one glob engine.
 */
import { covers } from '../plan/glob.js';
import type { ChangeKind } from './gitParse.js';
import type { FileChange } from './runState.js';

export interface AuditChange {
  /** Repo-relative, `/`-separated. */
  path: string;
  change: FileChange;
}

export interface AuditScope {
  writeAllow: readonly string[];
  deny: readonly string[];
}

export interface AuditViolation extends AuditChange {
  reason: 'denied' | 'outside-write-scope';
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
  /** Paths left out because they are the engine's own (`.waves/`). */
  ignored: string[];
}

/** Path prefixes never audited (the engine's files). */
export const AUDIT_IGNORED_PREFIXES: readonly string[] = ['.waves/'];

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
  for (const list of lists) for (const c of list) byPath.set(c.path, { path: c.path, change: c.change });
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export function isIgnoredPath(path: string): boolean {
  return AUDIT_IGNORED_PREFIXES.some((p) => path === p.slice(0, -1) || path.startsWith(p));
}

/** Audits `changes` (duplicates merged, last wins) against `scope`. */
export function auditScope(changes: readonly AuditChange[], scope: AuditScope): AuditResult {
  const merged = mergeChanges(changes);
  const considered: AuditChange[] = [];
  const ignored: string[] = [];
  const violations: AuditViolation[] = [];
  const deletions: Array<{ path: string; allowed: boolean }> = [];
  for (const c of merged) {
    if (isIgnoredPath(c.path)) {
      ignored.push(c.path);
      continue;
    }
    considered.push(c);
    const v = violationOf(c, scope);
    if (v) violations.push(v);
    if (c.change === 'D') deletions.push({ path: c.path, allowed: v === null });
  }
  return { ok: violations.length === 0, changes: considered, violations, deletions, ignored };
}

function violationOf(c: AuditChange, scope: AuditScope): AuditViolation | null {
  const what = c.change === 'D' ? 'deleted' : c.change === '?' || c.change === 'A' ? 'created' : 'changed';
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
