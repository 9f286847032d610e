/**
 * A version-1 run state read as version 2 (`migrateRunState`): its lock table handed back for
 * the repository's, the fields version 2 added filled in. Pure; never throws.
 */

/** A lock entry of a version-1 state (the lock table lived in the run state). */
export interface RunStateV1Lock {
  key: string;
  holder: string;
  acquiredAt: string;
  expiresAt: string | null;
}

export interface Migration {
  /** The input as a version-2 state (still to be validated), or the input itself when it is not version 1. */
  raw: unknown;
  /** The version migrated from, or null when nothing was migrated. */
  from: 1 | null;
  /** The version-1 lock table's entries, as found (unvalidated); for the repository's lock table. */
  locks: unknown[];
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Reads a version-1 state as version 2: `locks` leaves (returned for the repository's
 * lock table), `planHash` is null, no merges, no integration, no history, and every record
 * gains the new fields (null or empty). Everything else is kept as it is. Anything that is
 * not a version-1 object comes back unchanged. Never throws.
 */
export function migrateRunState(raw: unknown): Migration {
  if (!isPlainObject(raw) || raw.version !== 1) return { raw, from: null, locks: [] };
  const { locks, ...rest } = raw;
  const packages = isPlainObject(rest.packages)
    ? Object.fromEntries(
        Object.entries(rest.packages).map(([id, record]) => [
          id,
          isPlainObject(record)
            ? {
                startToken: null,
                needsInput: null,
                headSha: null,
                resultFile: null,
                changedFiles: [],
                ...record,
              }
            : record,
        ]),
      )
    : rest.packages;
  return {
    raw: { ...rest, version: 2, planHash: null, packages, merges: {}, integration: null, history: [] },
    from: 1,
    locks: Array.isArray(locks) ? locks : [],
  };
}
