/**
 * The repository's lock table: one `.waves/locks.json` shared by every feature's run, so
 * two features (or two packages of one) never write the same files or hold the same
 * logical key at once. See `docs/run-engine.md` ("Lock table") and `docs/contracts.md`.
 *
 * - Pure decisions: `lockConflicts`, `acquireLocks` (all or nothing), `releaseLocks`,
 *   `expireLocks`, `locksCovering`, `parseLockTable`, `canonicalLockKey`. No clock: callers
 *   pass `now`. They never mutate their input and return the same table when nothing changes.
 * - The file itself (`LockTableStore`: read and updated under an exclusive
 *   `locks.json.lock`, written atomically) is in `src/store/lockTableStore.ts`.
 *
 * File locks are globs (`docs/globs.md`): two conflict when some path is covered by both,
 * decided exactly by `overlap()` of `glob.ts`, which also gives a witness path. Logical keys
 * conflict when equal after `canonicalLockKey`. A file lock and a key never conflict.
 */
import { checkGlob, covers, literalPrefix, overlap } from '../plan/glob';
import { checkLockKey } from '../plan/lockKeys';

export type LockKind = 'file' | 'key';

export interface LockEntry {
  /** kind `file`: a repo-relative glob; kind `key`: a canonical logical key. */
  key: string;
  kind: LockKind;
  featureId: string;
  runId: string;
  /** The package that holds the lock. */
  holder: string;
  /** When the holder took it (ISO 8601); a renewal keeps it. */
  acquiredAt: string;
  /** When it lapses (ISO 8601); null = held until released. */
  expiresAt: string | null;
}

export interface LockTable {
  version: 1;
  locks: LockEntry[];
}

export const LOCK_TABLE_VERSION = 1;

export function emptyLockTable(): LockTable {
  return { version: 1, locks: [] };
}

export interface LockRequest {
  featureId: string;
  /** Recorded on the entries taken; not part of any decision. */
  runId?: string;
  /** The package that takes the locks. */
  holder: string;
  /** Repo-relative globs. */
  files: readonly string[];
  /** Logical keys (compared after `canonicalLockKey`). */
  keys: readonly string[];
  /** Time to live in milliseconds; omitted = held until released. */
  ttlMs?: number;
}

export interface LockConflict {
  /** The live entry of another holder in the way. */
  entry: LockEntry;
  /** The lock asked for (a glob or a canonical key). */
  requested: { key: string; kind: LockKind };
  /** A path covered by both globs (a shortest one), or the key itself. */
  witness: string;
}

// ---------------------------------------------------------------------------------------
// Keys and liveness

/**
 * The canonical form of a logical key: the form `checkLockKey` suggests (upper-case
 * method, trimmed, lower-case table…), or the trimmed key when it has none.
 */
export function canonicalLockKey(key: string): string {
  let current = key.trim();
  for (let i = 0; i < 3; i++) {
    const verdict = checkLockKey(current);
    if (verdict.ok || verdict.kind !== 'form' || verdict.canonical === undefined || verdict.canonical === current) break;
    current = verdict.canonical;
  }
  return current;
}

/** Live: `expiresAt` is null or later than `now`. An unparsable `expiresAt` counts as live (never drop a lock by mistake). */
export function isLiveLock(entry: LockEntry, now: Date): boolean {
  if (entry.expiresAt === null) return true;
  const ends = Date.parse(entry.expiresAt);
  return Number.isNaN(ends) || ends > now.getTime();
}

const isSelf = (entry: LockEntry, request: { featureId: string; holder: string }) =>
  entry.featureId === request.featureId && entry.holder === request.holder;

// ---------------------------------------------------------------------------------------
// Glob overlap, memoised (the scheduler asks the same pairs again and again)

const OVERLAP_CACHE_LIMIT = 20_000;
const overlapCache = new Map<string, string | null>();

/** A path covered by both globs, or null; cached. Globs with distinct literal prefixes are rejected without matching. */
function globOverlap(a: string, b: string): string | null {
  const pa = literalPrefix(a);
  const pb = literalPrefix(b);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) if (pa[i] !== pb[i]) return null;
  const key = a < b ? `${a}\0${b}` : `${b}\0${a}`;
  const hit = overlapCache.get(key);
  if (hit !== undefined) return hit;
  const witness = overlap(a, b);
  if (overlapCache.size >= OVERLAP_CACHE_LIMIT) overlapCache.delete(overlapCache.keys().next().value!);
  overlapCache.set(key, witness);
  return witness;
}

// ---------------------------------------------------------------------------------------
// Decisions

/**
 * Every live entry of another holder that stands in the way of `request`, with the lock
 * asked for and a witness. A holder (same `featureId` and `holder`) never conflicts with
 * itself; expired entries never conflict.
 */
export function lockConflicts(
  table: LockTable,
  request: Pick<LockRequest, 'featureId' | 'holder' | 'files' | 'keys'>,
  now: Date,
): LockConflict[] {
  const conflicts: LockConflict[] = [];
  const keys = [...new Set(request.keys.map(canonicalLockKey))];
  const files = [...new Set(request.files)];
  for (const entry of table.locks) {
    if (isSelf(entry, request) || !isLiveLock(entry, now)) continue;
    if (entry.kind === 'key') {
      const key = canonicalLockKey(entry.key);
      for (const requested of keys)
        if (requested === key) conflicts.push({ entry, requested: { key: requested, kind: 'key' }, witness: key });
    } else {
      for (const requested of files) {
        const witness = globOverlap(requested, entry.key);
        if (witness !== null) conflicts.push({ entry, requested: { key: requested, kind: 'file' }, witness });
      }
    }
  }
  return conflicts;
}

export type AcquireResult =
  | { ok: true; table: LockTable }
  /** `problem` is set when the request itself is malformed (then `conflicts` is empty). */
  | { ok: false; conflicts: LockConflict[]; problem?: string };

function timestamp(now: Date): string | undefined {
  if (!(now instanceof Date) || !Number.isFinite(now.getTime())) return undefined;
  const text = now.toISOString();
  return /^\d{4}-/.test(text) ? text : undefined;
}

const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/**
 * Takes every file glob and key of `request` for its holder, or none. Fails with the
 * conflicts when any lock is in the way, or with `problem` for a malformed request (an
 * invalid glob, an empty key or id, a bad `ttlMs` or time). Locks the holder already has
 * (same key and kind) are renewed: new expiry and run id, same `acquiredAt` while live.
 * The holder's other locks are kept.
 */
export function acquireLocks(table: LockTable, request: LockRequest, now: Date): AcquireResult {
  const bad = (problem: string): AcquireResult => ({ ok: false, conflicts: [], problem });
  const at = timestamp(now);
  if (at === undefined) return bad(`Invalid time: ${String(now)}.`);
  if (!isText(request.featureId) || !isText(request.holder)) return bad('Locks need a feature id and a holder.');
  if (!request.files.every(isText) || !request.keys.every(isText)) return bad('Lock globs and keys must be non-empty.');
  for (const glob of request.files) {
    const problems = checkGlob(glob);
    if (problems.length > 0) return bad(`Lock glob \`${glob}\`: ${problems[0]!.message}`);
  }
  const ttlOk = request.ttlMs === undefined || (Number.isFinite(request.ttlMs) && request.ttlMs > 0);
  const expiresAt = request.ttlMs === undefined ? null : ttlOk ? timestamp(new Date(now.getTime() + request.ttlMs)) : undefined;
  if (expiresAt === undefined) return bad('ttlMs must be a positive number of milliseconds when given.');

  const conflicts = lockConflicts(table, request, now);
  if (conflicts.length > 0) return { ok: false, conflicts };

  const wanted = [
    ...[...new Set(request.files)].map((key) => ({ key, kind: 'file' as const })),
    ...[...new Set(request.keys.map(canonicalLockKey))].map((key) => ({ key, kind: 'key' as const })),
  ];
  if (wanted.length === 0) return { ok: true, table };
  const same = (e: LockEntry, w: { key: string; kind: LockKind }) => isSelf(e, request) && e.kind === w.kind && e.key === w.key;
  const taken: LockEntry[] = wanted.map((w) => {
    const mine = table.locks.find((e) => same(e, w) && isLiveLock(e, now));
    return {
      ...mine,
      key: w.key,
      kind: w.kind,
      featureId: request.featureId,
      runId: request.runId ?? mine?.runId ?? '',
      holder: request.holder,
      acquiredAt: mine?.acquiredAt ?? at,
      expiresAt,
    };
  });
  const kept = table.locks.filter((e) => !wanted.some((w) => same(e, w)));
  return { ok: true, table: { ...table, locks: [...kept, ...taken] } };
}

/** Drops the locks of `holder` in `featureId` (holder omitted: the whole feature's). Same table when none. */
export function releaseLocks(table: LockTable, release: { featureId: string; holder?: string }): LockTable {
  const kept = table.locks.filter(
    (e) => e.featureId !== release.featureId || (release.holder !== undefined && e.holder !== release.holder),
  );
  return kept.length === table.locks.length ? table : { ...table, locks: kept };
}

/** Drops every lock whose `expiresAt` is at or before `now`, and returns them. */
export function expireLocks(table: LockTable, now: Date): { table: LockTable; expired: LockEntry[] } {
  const expired = table.locks.filter((e) => !isLiveLock(e, now));
  if (expired.length === 0) return { table, expired };
  return { table: { ...table, locks: table.locks.filter((e) => isLiveLock(e, now)) }, expired };
}

/** The live file locks whose glob covers `path` (repo-relative, forward slashes). */
export function locksCovering(table: LockTable, path: string, now: Date): LockEntry[] {
  return table.locks.filter((e) => e.kind === 'file' && isLiveLock(e, now) && covers(e.key, path));
}

// ---------------------------------------------------------------------------------------
// Parsing

export interface LockTableParse {
  table: LockTable;
  /** What was wrong, for a person; empty when the text was a good table. */
  problems: string[];
  /** The text is a table of a newer format: it must not be overwritten. */
  newerVersion: boolean;
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const isTimestamp = (value: unknown) => typeof value === 'string' && TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value));

/** Why `raw` is not a lock entry, or undefined when it is one. */
function entryProblem(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'not an object';
  const e = raw as Record<string, unknown>;
  if (e.kind !== 'file' && e.kind !== 'key') return 'kind is not "file" or "key"';
  for (const field of ['key', 'featureId', 'holder'] as const) if (!isText(e[field])) return `${field} is not a non-empty string`;
  if (typeof e.runId !== 'string') return 'runId is not a string';
  if (!isTimestamp(e.acquiredAt)) return 'acquiredAt is not a timestamp';
  if (e.expiresAt !== null && !isTimestamp(e.expiresAt)) return 'expiresAt is not a timestamp or null';
  return undefined;
}

/**
 * Reads `locks.json`'s text. Never throws: text that is not a table gives an empty table
 * and a problem; entries that are not lock entries are dropped, each with a problem; a
 * table of a newer version gives an empty table and `newerVersion`. Unknown fields of
 * the table and its entries are kept.
 */
export function parseLockTable(text: string): LockTableParse {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { table: emptyLockTable(), problems: [`not valid JSON (${(error as Error).message})`], newerVersion: false };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { table: emptyLockTable(), problems: ['not a lock table (expected an object)'], newerVersion: false };
  const table = raw as Record<string, unknown>;
  if (typeof table.version === 'number' && Number.isInteger(table.version) && table.version > LOCK_TABLE_VERSION)
    return {
      table: emptyLockTable(),
      problems: [`format version ${table.version}; this build reads version ${LOCK_TABLE_VERSION}`],
      newerVersion: true,
    };
  if (table.version !== LOCK_TABLE_VERSION || !Array.isArray(table.locks))
    return { table: emptyLockTable(), problems: ['not a lock table (expected {"version": 1, "locks": [...]})'], newerVersion: false };
  const problems: string[] = [];
  const locks: LockEntry[] = [];
  table.locks.forEach((entry, i) => {
    const problem = entryProblem(entry);
    if (problem === undefined) locks.push(entry as LockEntry);
    else problems.push(`locks[${i}] was dropped: ${problem}`);
  });
  return { table: { ...(table as object), version: 1, locks }, problems, newerVersion: false };
}

export function serializeLockTable(table: LockTable): string {
  return `${JSON.stringify(table, null, 2)}\n`;
}
