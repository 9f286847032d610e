/**
 * One decoration state per path: what the plan says (`ownership.ts`), what the run says
 * (package statuses) and what the repository's lock table says (live file locks), combined
 * into the badge, tooltip and colour the Explorer, the editor and the views show.
 *
 * Pure: the caller passes the clock and the time format.
 */
import { isLiveLock, type LockEntry } from '../run/lockTable';
import { ownerText, type OwnedLock } from '../coordinator/sharedCoordinator';
import { GlobIndex, type OwnerIndex, type Ownership } from './ownership';
import type { PackageStatus } from '../run/runState';

/** The states, most urgent first: the one a path shows is the first that applies. */
export const OWNERSHIP_KINDS = ['locked', 'running', 'conflict', 'denied', 'owned'] as const;
export type OwnershipKind = (typeof OWNERSHIP_KINDS)[number];

/** Theme colour ids, contributed in package.json (`contributes.colors`). */
export const OWNERSHIP_COLORS: Readonly<Record<OwnershipKind, string>> = {
  locked: 'waves.ownership.lockedForeground',
  running: 'waves.ownership.runningForeground',
  conflict: 'waves.ownership.conflictForeground',
  denied: 'waves.ownership.deniedForeground',
  owned: 'waves.ownership.ownedForeground',
};

/** What a state means, in words (legends, screen readers). */
export const OWNERSHIP_MEANING: Readonly<Record<OwnershipKind, string>> = {
  locked: 'locked by a running package',
  running: 'owned by a running package',
  conflict: 'claimed by two packages that may run in parallel',
  denied: "in a package's write scope but denied to it",
  owned: "in a package's write scope",
};

/** Statuses in which a package's agent may be writing its files. */
export const WRITING_STATUSES: readonly PackageStatus[] = ['running', 'verifying'];

/** A lock of the repository's lock table; those of kind `file` cover paths. */
export type FileLock = LockEntry;

export interface OwnerFact {
  id: string;
  wave: number | null;
  /** Its status in the run of the plan's feature; null when it has no run record. */
  status: PackageStatus | null;
}

export interface PathFacts {
  owners: OwnerFact[];
  deniedTo: string[];
  /** Owner pairs that may run in parallel. */
  conflicts: [string, string][];
  /** Live file locks whose glob covers the path. */
  locks: FileLock[];
}

export interface PathState {
  kind: OwnershipKind;
  /** Equal keys mean the same state (a folder shows a state only when all its files share the key). */
  key: string;
  /** At most two characters. */
  badge: string;
  /** `owned by wp-api · wave 2 · running · locked until 14:32` */
  tooltip: string;
  colorId: string;
  facts: PathFacts;
}

/** The facts of one path: the plan's answer with ids, run statuses and covering locks. */
export function pathFacts(
  index: OwnerIndex,
  ownership: Ownership,
  statusOf: (packageId: string) => PackageStatus | undefined,
  locks: readonly FileLock[],
): PathFacts {
  const id = (slot: number) => index.packages[slot].id;
  return {
    owners: ownership.owners.map((slot) => {
      const p = index.packages[slot];
      return { id: p.id, wave: p.wave, status: statusOf(p.id) ?? null };
    }),
    deniedTo: ownership.deniedTo.map(id),
    conflicts: ownership.conflicts.map(([a, b]) => [id(a), id(b)]),
    locks: [...locks],
  };
}

export interface StateOptions {
  /** The feature the plan's run belongs to: locks of other features say so. */
  featureId?: string;
  /** How an expiry reads: `14:32`. */
  formatTime: (iso: string) => string;
}

/** The state of a path, or undefined when nothing is said about it. */
export function pathState(facts: PathFacts, options: StateOptions): PathState | undefined {
  const { owners, deniedTo, conflicts, locks } = facts;
  if (owners.length === 0 && deniedTo.length === 0 && locks.length === 0) return undefined;
  const writing = owners.filter((o) => o.status !== null && WRITING_STATUSES.includes(o.status));
  const kind: OwnershipKind =
    locks.length > 0 ? 'locked' : writing.length > 0 ? 'running' : conflicts.length > 0 ? 'conflict' : owners.length === 0 ? 'denied' : 'owned';

  const wave = owners.length > 0 ? owners[0].wave : null;
  const badge = (() => {
    switch (kind) {
      case 'locked':
        return 'L';
      case 'running':
        return `►${waveDigit(writing[0].wave)}`;
      case 'conflict':
        return `×${Math.min(owners.length, 9)}`;
      case 'denied':
        return '⊘';
      case 'owned':
        return `W${waveDigit(wave)}`;
    }
  })();

  const parts: string[] = [];
  if (owners.length === 1) {
    const o = owners[0];
    parts.push(`owned by ${o.id}`);
    if (o.wave !== null) parts.push(`wave ${o.wave}`);
    if (o.status !== null && WRITING_STATUSES.includes(o.status)) parts.push(o.status);
  } else if (owners.length > 1) {
    parts.push(`owned by ${listWords(owners.map((o) => o.id))}`);
    for (const o of writing) parts.push(`${o.id} ${o.status}`);
  }
  for (const [a, b] of conflicts) parts.push(`conflict: ${a} and ${b} may run in parallel`);
  if (deniedTo.length > 0) parts.push(`denied to ${listWords(deniedTo)} by ${deniedTo.length === 1 ? 'its' : 'their'} deny list`);
  const soleOwner = owners.length === 1 ? owners[0].id : undefined;
  for (const lock of locks) {
    const until = lock.expiresAt === null ? 'until released' : `until ${options.formatTime(lock.expiresAt)}`;
    const otherFeature = options.featureId !== undefined && lock.featureId !== options.featureId ? ` (feature ${lock.featureId})` : '';
    // Another driver's (a shared coordinator): its lock or its running package's write scope, with who and where.
    const owner = (lock as OwnedLock).owner;
    if (owner) {
      const what = (lock as OwnedLock).scope ? `written by ${lock.holder} (feature ${lock.featureId}), running` : `locked by ${lock.holder} (feature ${lock.featureId}) ${until}`;
      parts.push(`${what} — ${ownerText(owner)}`);
      continue;
    }
    parts.push(lock.holder === soleOwner && !otherFeature ? `locked ${until}` : `locked by ${lock.holder}${otherFeature} ${until}`);
  }

  const key = [
    kind,
    owners.map((o) => `${o.id}:${o.status ?? ''}`).join(','),
    deniedTo.join(','),
    locks.map((l) => `${l.featureId}/${l.holder}${(l as OwnedLock).owner ? `@${ownerText((l as OwnedLock).owner!)}` : ''}`).join(','),
  ].join('|');
  return { kind, key, badge, tooltip: parts.join(' · '), colorId: OWNERSHIP_COLORS[kind], facts };
}

function waveDigit(wave: number | null): string {
  return wave !== null && wave >= 1 && wave <= 9 ? String(wave) : '';
}

/** `a`, `a and b`, `a, b and c`. */
export function listWords(words: readonly string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

// ---------------------------------------------------------------------------------------------
// Locks
// ---------------------------------------------------------------------------------------------

/**
 * The live file locks of a table, indexed by their globs. `covering(path)` lists those
 * whose glob covers the path; `nextExpiry` says when the answer changes by itself.
 */
export class LockIndex {
  private readonly index = new GlobIndex<FileLock>();
  /** The earliest expiry among the live locks (ms since the epoch), or undefined. */
  readonly nextExpiry: number | undefined;
  readonly size: number;

  constructor(locks: readonly FileLock[], now: Date) {
    let next: number | undefined;
    let size = 0;
    for (const lock of locks) {
      if (lock.kind !== 'file' || !isLiveLock(lock, now)) continue;
      this.index.add(lock.key, lock);
      size++;
      const t = lock.expiresAt === null ? NaN : Date.parse(lock.expiresAt);
      if (Number.isFinite(t) && (next === undefined || t < next)) next = t;
    }
    this.nextExpiry = next;
    this.size = size;
  }

  covering(path: string): FileLock[] {
    return this.size === 0 ? [] : this.index.collect(path, []);
  }
}

// ---------------------------------------------------------------------------------------------
// Folders
// ---------------------------------------------------------------------------------------------

/**
 * The state of each folder whose files all share one state (same key): `files` are the
 * workspace's real files (repo-relative), `stateOf` gives each its state. A folder holding
 * a file without a state, or files of different states, maps to null; the root ('') is
 * left out.
 */
export function folderStates(files: Iterable<string>, stateOf: (path: string) => PathState | undefined): Map<string, PathState | null> {
  const folders = new Map<string, PathState | null>();
  for (const file of files) {
    const state = stateOf(file) ?? null;
    let end = file.lastIndexOf('/');
    while (end > 0) {
      const folder = file.slice(0, end);
      const seen = folders.get(folder);
      if (seen === undefined) {
        folders.set(folder, state);
      } else if (seen === null || (state !== null && seen.key === state.key)) {
        // Its ancestors already hold the same answer or null.
        break;
      } else {
        folders.set(folder, null);
      }
      end = file.lastIndexOf('/', end - 1);
    }
  }
  return folders;
}
