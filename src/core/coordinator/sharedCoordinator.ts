/**
 * The shared coordinator's pure part (ADR 0012; docs/run-engine.md, "A shared coordinator"):
 * the repository's identity across clones, connection strings checked and redacted, the
 * registry of runs (who drives which feature where, which packages run and what they may
 * write), and the lock table's rows as the coordinator stores them. The connection itself
 * (the `pg` client) is in `src/engine/coordinator/pgCoordinator.ts`; every lock decision is still
 * `lockTable.ts`'s, over the rows read inside one transaction. Also the planned claims of
 * approved plans: what a plan will write and lock, and where another feature's
 * plan meets them.
 */
import { literalPrefix, overlap } from '../plan/glob';
import type { Plan, TextRange } from '../plan/model';
import { plural } from '../util/plural';
import { canonicalLockKey, type LockEntry, type LockTable } from '../run/lockTable';
import { ACTIVE_STATUSES } from '../run/runState';

// ---------------------------------------------------------------------------------------
// Connection strings

/**
 * `postgres://user:secret@host/db` → `postgres://user:***@host/db` (any scheme; a password with an
 * `@` in it is hidden up to the last `@` of the URL); also `password=…` pairs. Any text.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)[^\s]*@/gi, '$1***@')
    .replace(/(\bpassword\s*=\s*)('[^']*'|"[^"]*"|[^\s&]+)/gi, '$1***');
}

export type CoordinatorUrlCheck = { ok: true; url: string } | { ok: false; problem: string };

/**
 * Whether `text` is a PostgreSQL connection URL the coordinator can use: `postgres://` or
 * `postgresql://`, with a host (or a `host=` socket folder) and a database. Problems never
 * repeat a password.
 */
export function checkCoordinatorUrl(text: unknown): CoordinatorUrlCheck {
  if (typeof text !== 'string' || text.trim() === '') return { ok: false, problem: 'The coordinator is empty: give a postgres://… URL.' };
  const url = text.trim();
  const shown = redactSecrets(url);
  if (!/^postgres(ql)?:\/\//i.test(url))
    return { ok: false, problem: `The coordinator ${shown} is not a PostgreSQL URL: it must start with postgres:// or postgresql://.` };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, problem: `The coordinator ${shown} is not a valid URL.` };
  }
  const socket = parsed.searchParams.get('host');
  if (parsed.hostname === '' && !socket) return { ok: false, problem: `The coordinator ${shown} names no host (postgres://host/database, or ?host=/socket/folder).` };
  if (parsed.pathname.replace(/^\//, '') === '') return { ok: false, problem: `The coordinator ${shown} names no database (postgres://host/database).` };
  return { ok: true, url };
}

// ---------------------------------------------------------------------------------------
// The repository's identity

/**
 * The key every clone of one repository shares: the key the person set (`waves.coordinator`
 * `repository`, `--coordinator-repository`), else its root commits (sorted; a repository
 * with no commit has none — then it cannot be shared). Remote URLs are left out on purpose:
 * two clones of one repository often name it differently (ssh, https, a local path), and a
 * key that differs between clones would let them take overlapping locks. Forks share root
 * commits and so share locks — the safe direction: more waiting, never two writers.
 */
export function repositoryKey(input: { rootCommits: readonly string[]; explicit?: string | undefined }): string | null {
  const explicit = input.explicit?.trim();
  if (explicit) return `key:${explicit}`;
  const roots = [...new Set(input.rootCommits.map((c) => c.trim().toLowerCase()).filter((c) => /^[0-9a-f]{40,64}$/.test(c)))].sort();
  return roots.length === 0 ? null : `git:${roots.join(',')}`;
}

// ---------------------------------------------------------------------------------------
// The registry of runs

/** A package a run has under way, and what it may write. */
export interface RegisteredPackage {
  id: string;
  status: string;
  /** Its `write_allow` globs. */
  writes: string[];
}

/** One run in the coordinator: it is also the run's owner lease across clones. */
export interface RegisteredRun {
  featureId: string;
  runId: string;
  ownerId: string;
  /** Who drives it (git `user.name`, else the login name). */
  driver: string;
  /** The machine it is driven from. */
  host: string;
  /** The clone's folder on that machine. */
  clone: string;
  pid: number;
  heartbeatAt: string;
  leaseMs: number;
  packages: RegisteredPackage[];
}

/** Statuses of a package whose agent or its results are under way: the registry lists these. */
export const UNDER_WAY: ReadonlySet<string> = new Set(ACTIVE_STATUSES);

/** The packages of a run state to register: those under way, with their write scopes. */
export function registeredPackages(
  packages: Record<string, { status: string }>,
  writesOf: (id: string) => readonly string[],
): RegisteredPackage[] {
  return Object.entries(packages)
    .filter(([, record]) => UNDER_WAY.has(record.status))
    .map(([id, record]) => ({ id, status: record.status, writes: [...writesOf(id)] }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Live: its heartbeat is no older than its lease at `now`. */
export function isLiveRun(run: RegisteredRun, now: Date): boolean {
  const beat = Date.parse(run.heartbeatAt);
  return !Number.isNaN(beat) && beat + run.leaseMs >= now.getTime();
}

/** Who and where, for a person: `ana on build-01 (/home/ana/app)`. */
export function ownerText(owner: { driver: string; host: string; clone?: string }): string {
  return `${owner.driver || 'someone'} on ${owner.host || 'an unknown machine'}${owner.clone ? ` (${owner.clone})` : ''}`;
}

/** A lock entry that also says who holds it and where (the coordinator's view of another driver). */
export interface OwnedLock extends LockEntry {
  owner?: { driver: string; host: string; clone: string };
  /** Not a lock row: the write scope of a package under way. */
  scope?: true;
}

/**
 * The coordinator's file locks as the editor shows them for one clone: every file lock row of
 * the repository — those of another driver's run (live or not: a lock blocks until released or
 * lapsed) with its `owner` (who and where), the person's own (runs of `selfOwnerIds`) and those
 * of no known run as they are — and, for each package under way of another driver's live run,
 * its write scopes (`scope: true`), with its owner.
 */
export function coordinatorFileLocks(
  runs: readonly RegisteredRun[],
  locks: readonly LockEntry[],
  selfOwnerIds: ReadonlySet<string>,
  now: Date,
): OwnedLock[] {
  const byFeature = new Map(runs.map((run) => [run.featureId, run]));
  const out: OwnedLock[] = [];
  const seen = new Set<string>();
  const add = (entry: OwnedLock) => {
    const id = `${entry.featureId}\0${entry.holder}\0${entry.key}`;
    if (seen.has(id)) return;
    seen.add(id);
    out.push(entry);
  };
  for (const lock of locks) {
    if (lock.kind !== 'file') continue;
    const run = byFeature.get(lock.featureId);
    add(run && !selfOwnerIds.has(run.ownerId) ? { ...lock, owner: { driver: run.driver, host: run.host, clone: run.clone } } : { ...lock });
  }
  for (const run of runs) {
    if (selfOwnerIds.has(run.ownerId) || !isLiveRun(run, now)) continue;
    for (const pkg of run.packages)
      for (const glob of pkg.writes)
        add({
          key: glob,
          kind: 'file',
          featureId: run.featureId,
          runId: run.runId,
          holder: pkg.id,
          acquiredAt: run.heartbeatAt,
          expiresAt: null,
          owner: { driver: run.driver, host: run.host, clone: run.clone },
          scope: true,
        });
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// The lock table as rows

/** The identity of a lock row: one per (kind, key, feature, holder). */
export const lockRowId = (e: Pick<LockEntry, 'kind' | 'key' | 'featureId' | 'holder'>) => `${e.kind}\0${e.key}\0${e.featureId}\0${e.holder}`;

const sameEntry = (a: LockEntry, b: LockEntry) =>
  a.runId === b.runId && a.acquiredAt === b.acquiredAt && a.expiresAt === b.expiresAt && lockRowId(a) === lockRowId(b);

/**
 * What turns the rows `before` into `after`: rows to delete (by identity) and rows to write
 * (insert or replace). Unchanged rows are in neither.
 */
export function lockTableChanges(before: LockTable, after: LockTable): { remove: LockEntry[]; write: LockEntry[] } {
  const old = new Map(before.locks.map((e) => [lockRowId(e), e]));
  const next = new Map(after.locks.map((e) => [lockRowId(e), e]));
  const remove = [...old.entries()].filter(([id]) => !next.has(id)).map(([, e]) => e);
  const write = [...next.entries()].filter(([id, e]) => !old.has(id) || !sameEntry(old.get(id)!, e)).map(([, e]) => e);
  return { remove, write };
}

/** Whether `after` drops entries of `before` and writes none (a release or an expiry): safe to replay later. No change is not one. */
export function onlyDrops(before: LockTable, after: LockTable): boolean {
  const { remove, write } = lockTableChanges(before, after);
  return write.length === 0 && remove.length > 0;
}

// ---------------------------------------------------------------------------------------
// Planned claims (ADR 0013): what an approved plan will lock and write

/**
 * What a package of a plan says it will take: `write` a `scope.write_allow` glob, `file` a
 * `locks.files` glob, `key` a `locks.keys` logical key (canonical form).
 */
export type PlannedClaimKind = 'write' | 'file' | 'key';

export interface PlannedClaimInput {
  packageId: string;
  kind: PlannedClaimKind;
  key: string;
}

/** One planned claim in the coordinator: a package of an approved plan, not yet run to the end. */
export interface PlannedClaim extends PlannedClaimInput {
  featureId: string;
  /** The planning session that approved it. */
  planId: string;
  driver: string;
  host: string;
  clone: string;
  approvedAt: string;
}

/** An approved plan's claims: every package's write scopes, file locks and lock keys, once each, in a stable order. */
export function plannedClaimsOf(plan: Pick<Plan, 'packages'>): PlannedClaimInput[] {
  const seen = new Set<string>();
  const out: PlannedClaimInput[] = [];
  const add = (packageId: string, kind: PlannedClaimKind, key: string) => {
    const id = `${packageId}\0${kind}\0${key}`;
    if (!packageId || !key || seen.has(id)) return;
    seen.add(id);
    out.push({ packageId, kind, key });
  };
  for (const pkg of plan.packages) {
    for (const g of pkg.scope.writeAllow) add(pkg.id, 'write', g.value.trim());
    for (const g of pkg.locks.files) add(pkg.id, 'file', g.value.trim());
    for (const k of pkg.locks.keys) add(pkg.id, 'key', canonicalLockKey(k.value));
  }
  return out;
}

/** A claim of this plan that meets another feature's planned claim. */
export interface PlannedConflict {
  /** This plan's claim. */
  mine: PlannedClaimInput;
  /** The other feature's. */
  theirs: PlannedClaim;
  /** A path both globs cover (a shortest one), or the key both name. */
  witness: string;
  /**
   * Both are lock keys (`locks.keys`) and the same after `canonicalLockKey`: the two plans mean
   * to change one named contract (an API route, a table, an event). `waves run` refuses this one
   * (unless told to go ahead); every other conflict is a warning.
   */
  exact: boolean;
}

const isGlobKind = (kind: PlannedClaimKind) => kind === 'write' || kind === 'file';

/**
 * The planned claims of other features that `mine` (the claims of `featureId`'s plan) meets:
 * lock keys equal after `canonicalLockKey` (exact), and globs — write scopes and file locks, either
 * side — that cover a common path, decided exactly by `glob.ts` `overlap` (with its witness). A
 * key and a glob never meet; the feature's own planned claims are never a conflict.
 */
export function plannedConflicts(featureId: string, mine: readonly PlannedClaimInput[], others: readonly PlannedClaim[]): PlannedConflict[] {
  const out: PlannedConflict[] = [];
  const theirs = others.filter((c) => c.featureId !== featureId);
  for (const claim of mine)
    for (const other of theirs) {
      if (claim.kind === 'key' && other.kind === 'key') {
        const key = canonicalLockKey(claim.key);
        if (key === canonicalLockKey(other.key)) out.push({ mine: claim, theirs: other, witness: key, exact: true });
      } else if (isGlobKind(claim.kind) && isGlobKind(other.kind)) {
        const [a, b] = [literalPrefix(claim.key), literalPrefix(other.key)];
        if (a.slice(0, b.length).some((s, i) => s !== b[i])) continue;
        const witness = overlap(claim.key, other.key);
        if (witness !== null) out.push({ mine: claim, theirs: other, witness, exact: false });
      }
    }
  return out;
}

/**
 * Where `claim` (of `plannedClaimsOf(plan)`) is written in the plan: its write_allow glob, lock
 * file or lock key entry, else its package's id; null when the plan has no such package.
 */
export function claimRange(plan: Pick<Plan, 'packages'>, claim: PlannedClaimInput): TextRange | null {
  const pkg = plan.packages.find((p) => p.id === claim.packageId);
  if (!pkg) return null;
  const entries = claim.kind === 'write' ? pkg.scope.writeAllow : claim.kind === 'file' ? pkg.locks.files : pkg.locks.keys;
  const same = (value: string) => (claim.kind === 'key' ? canonicalLockKey(value) : value.trim()) === claim.key;
  return entries.find((e) => same(e.value))?.range ?? pkg.idRange;
}

const CLAIM_NOUN: Record<PlannedClaimKind, string> = { write: 'write scope', file: 'file lock', key: 'lock key' };

/** A feature's planned claims in the coordinator, summed up for a person (`waves plan --claims`). */
export interface PlannedFeature extends Pick<PlannedClaim, 'featureId' | 'planId' | 'driver' | 'host' | 'clone' | 'approvedAt'> {
  /** How many of its packages claim something (the session that approved them is one: a feature's claims are replaced as a whole). */
  packages: number;
  counts: Record<PlannedClaimKind, number>;
}

/** The planned claims by feature, in feature order. */
export function plannedFeatures(claims: readonly PlannedClaim[]): PlannedFeature[] {
  const by = new Map<string, { first: PlannedClaim; packages: Set<string>; counts: Record<PlannedClaimKind, number> }>();
  for (const c of claims) {
    let f = by.get(c.featureId);
    if (!f) by.set(c.featureId, (f = { first: c, packages: new Set(), counts: { write: 0, file: 0, key: 0 } }));
    f.packages.add(c.packageId);
    f.counts[c.kind] += 1;
  }
  return [...by.values()]
    .map(({ first, packages, counts }) => ({
      featureId: first.featureId,
      planId: first.planId,
      driver: first.driver,
      host: first.host,
      clone: first.clone,
      approvedAt: first.approvedAt,
      packages: packages.size,
      counts,
    }))
    .sort((a, b) => (a.featureId < b.featureId ? -1 : a.featureId > b.featureId ? 1 : 0));
}

/** `planned-feature: 3 packages — 2 write scopes, 1 file lock, 2 lock keys; approved by ana on build-01 (/home/ana/app) at 2026-…, session 20261125-…`. */
export function plannedFeatureText(f: PlannedFeature): string {
  return `${f.featureId}: ${plural(f.packages, 'package')} — ${plannedCountsText(f)}; approved by ${ownerText(f)} at ${f.approvedAt}, session ${f.planId}`;
}

/** What a feature claims, kinds it has none of left out: `2 write scopes, 1 lock key`. */
export function plannedCountsText(f: Pick<PlannedFeature, 'counts'>): string {
  return (['write', 'file', 'key'] as const)
    .filter((k) => f.counts[k] > 0)
    .map((k) => plural(f.counts[k], CLAIM_NOUN[k]))
    .join(', ');
}

/** One line for a person: `wp-api's lock key api:GET /v1/users meets the same planned by feature billing: its package wp-users, approved by ana on build-01 (/home/ana/app) at 2026-…`. */
export function plannedConflictText(c: PlannedConflict): string {
  const same = c.theirs.kind === c.mine.kind && c.theirs.key === c.mine.key;
  const theirs = same ? 'the same' : `the ${CLAIM_NOUN[c.theirs.kind]} ${c.theirs.key}`;
  const where = c.exact ? '' : ` (both cover ${c.witness})`;
  return `${c.mine.packageId}'s ${CLAIM_NOUN[c.mine.kind]} ${c.mine.key} meets ${theirs} planned by feature ${c.theirs.featureId}${where}: its package ${c.theirs.packageId}, approved by ${ownerText(c.theirs)} at ${c.theirs.approvedAt}`;
}
