/**
 * The run-state model: where each package of one feature's run stands, and which locks
 * are held. Everything here is pure — no I/O, no `vscode`, no clock: callers pass `now`.
 *
 * - `PackageStatus` and the transition table (`TRANSITIONS`, `canTransition`).
 * - `PackageRunRecord`, `LockTableEntry`, `RunState` — the persisted shape, described
 *   exactly by `schemas/run-state.schema.json` (keep both in step).
 * - `applyEvent(state, event, now)` — the only way package records change. Illegal
 *   events come back as a typed error result; nothing here throws on bad input except
 *   `createRunState`/`ensurePackages` given an invalid `now` (a programming error).
 * - Lock helpers: `acquireLocks`, `releaseLocks`, `expireLocks`, `heldLock`.
 *
 * All functions return new objects and never mutate their input; when nothing changes
 * they return the very same state object, so callers can skip saving on `===`.
 *
 * See `docs/contracts.md` for the tables and examples.
 */

// ---------------------------------------------------------------------------------------
// Statuses and transitions

export const PACKAGE_STATUSES = [
  'pending', // waiting for its dependencies
  'ready', // dependencies succeeded; may be queued
  'queued', // picked by the scheduler, waiting for a slot, its locks or its worktree
  'running', // the agent process runs (attempt `attempts`)
  'verifying', // the agent exited cleanly; verification steps and scope audit run
  'succeeded',
  'failed',
  'blocked', // a dependency failed, was cancelled or violated its scope
  'cancelled', // stopped by the user
  'interrupted', // the run stopped without an exit record (VS Code closed, crash)
  'scope-violation', // the package changed files outside its write scope
] as const;

export type PackageStatus = (typeof PACKAGE_STATUSES)[number];

/** Statuses that end a package's run: only `reset` moves a package on from these. */
export const TERMINAL_STATUSES: readonly PackageStatus[] = [
  'succeeded',
  'failed',
  'blocked',
  'cancelled',
  'interrupted',
  'scope-violation',
];

/** Statuses in which the package holds a scheduler slot or a live process. */
export const ACTIVE_STATUSES: readonly PackageStatus[] = ['queued', 'running', 'verifying'];

export function isPackageStatus(value: unknown): value is PackageStatus {
  return typeof value === 'string' && (PACKAGE_STATUSES as readonly string[]).includes(value);
}

export function isTerminal(status: PackageStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export function isActive(status: PackageStatus): boolean {
  return ACTIVE_STATUSES.includes(status);
}

/**
 * Every legal status change, `from → [to…]`. A status never "changes" to itself: events
 * that only add facts (`exited` after a cancel, `verificationResult`) are annotations,
 * listed in `docs/contracts.md`, and are not transitions.
 */
export const TRANSITIONS: Readonly<Record<PackageStatus, readonly PackageStatus[]>> = {
  pending: ['ready', 'blocked', 'cancelled'],
  ready: ['queued', 'pending', 'blocked', 'cancelled'],
  queued: ['running', 'pending', 'blocked', 'cancelled', 'failed', 'interrupted'],
  running: ['verifying', 'failed', 'cancelled', 'interrupted', 'scope-violation'],
  verifying: ['succeeded', 'failed', 'cancelled', 'interrupted', 'scope-violation'],
  succeeded: ['pending'],
  failed: ['pending'],
  blocked: ['pending'],
  cancelled: ['pending'],
  interrupted: ['pending'],
  'scope-violation': ['pending'],
};

export function canTransition(from: PackageStatus, to: PackageStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

// ---------------------------------------------------------------------------------------
// The persisted shape

/** How a file changed, as `git diff --name-status` letters; `?` = untracked. */
export type FileChange = 'A' | 'M' | 'D' | 'R' | '?';
export const FILE_CHANGES: readonly FileChange[] = ['A', 'M', 'D', 'R', '?'];

export interface VerificationResult {
  /** The verification step's name, as in the plan. */
  step: string;
  ok: boolean;
  /** Short human text: the failing command's summary, evidence, etc. */
  detail?: string;
  /** When the result was recorded (ISO 8601). */
  at: string;
}

export interface ScopeViolation {
  /** Repo-relative path (forward slashes) changed outside the package's write scope. */
  path: string;
  change: FileChange;
}

/** Everything known about one package in one run. Unset values are `null`, never absent. */
export interface PackageRunRecord {
  packageId: string;
  status: PackageStatus;
  /** Attempts started so far (0 before the first `started`). Survives `reset`. */
  attempts: number;
  /** When the current attempt started (ISO 8601). */
  startedAt: string | null;
  /** When the package reached its current terminal status (ISO 8601). */
  endedAt: string | null;
  /** The agent's exit code for the current attempt; null when unknown or killed by a signal. */
  exitCode: number | null;
  /** The signal that ended the agent (e.g. `SIGTERM`), if any. */
  signal: string | null;
  /** The runner's process id for the current attempt, to adopt it after a reload. */
  pid: number | null;
  /** Absolute path of the worktree (or of the main tree for `mode: shared`). Kept across `reset`. */
  worktree: string | null;
  /** The branch the package works on. Kept across `reset`. */
  branch: string | null;
  /** The commit the worktree was created from. Kept across `reset`. */
  baseSha: string | null;
  /** Absolute path of the current (or last) attempt's log. Kept across `reset`. */
  logFile: string | null;
  verification: VerificationResult[];
  scopeViolations: ScopeViolation[];
  /** Dependencies whose outcome blocks this package (status `blocked`). */
  blockedBy: string[];
  /** One line for a person: why the package failed, was cancelled or interrupted. */
  lastError: string | null;
}

/** One held lock: a repo-relative file path or a logical key such as `api:users`. */
export interface LockTableEntry {
  key: string;
  /** The package id that holds it. */
  holder: string;
  acquiredAt: string;
  /** When the lock lapses (ISO 8601); null = held until released. */
  expiresAt: string | null;
}

export interface RunState {
  version: 1;
  featureId: string;
  /** The plan file, workspace-relative with forward slashes. */
  planFile: string;
  /** `feature.plan_revision` of the plan the run started from, when it has one. */
  planRevision?: number;
  /** Identifies this run (one feature may be run several times). */
  runId: string;
  createdAt: string;
  updatedAt: string;
  /** Keyed by package id; `packages[id].packageId === id`. */
  packages: Record<string, PackageRunRecord>;
  locks: LockTableEntry[];
}

// ---------------------------------------------------------------------------------------
// Time

/** The timestamp format written: `Date.prototype.toISOString()` for years 0000–9999. */
const WRITTEN_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** ISO 8601 text for `now`, or undefined when `now` is not a valid date in years 0–9999. */
function timestamp(now: Date): string | undefined {
  if (!(now instanceof Date) || !Number.isFinite(now.getTime())) return undefined;
  const text = now.toISOString();
  return WRITTEN_TIMESTAMP.test(text) ? text : undefined;
}

function requireTimestamp(now: Date): string {
  const text = timestamp(now);
  if (text === undefined) throw new RangeError(`Invalid time for the run state: ${String(now)}`);
  return text;
}

// ---------------------------------------------------------------------------------------
// Creating states

export interface RunStateInit {
  featureId: string;
  planFile: string;
  planRevision?: number;
  runId: string;
  /** Package ids of the plan; each gets a `pending` record. Duplicates are ignored. */
  packageIds: readonly string[];
  now: Date;
}

export function createPackageRecord(packageId: string): PackageRunRecord {
  return {
    packageId,
    status: 'pending',
    attempts: 0,
    startedAt: null,
    endedAt: null,
    exitCode: null,
    signal: null,
    pid: null,
    worktree: null,
    branch: null,
    baseSha: null,
    logFile: null,
    verification: [],
    scopeViolations: [],
    blockedBy: [],
    lastError: null,
  };
}

/** A fresh run: every package `pending`, no locks. Throws RangeError on an invalid `now`. */
export function createRunState(init: RunStateInit): RunState {
  const at = requireTimestamp(init.now);
  const state: RunState = {
    version: 1,
    featureId: init.featureId,
    planFile: init.planFile,
    ...(init.planRevision !== undefined ? { planRevision: init.planRevision } : {}),
    runId: init.runId,
    createdAt: at,
    updatedAt: at,
    packages: {},
    locks: [],
  };
  return ensurePackages(state, init.packageIds, init.now);
}

/**
 * Adds a `pending` record for each id the state does not know yet (the plan gained
 * packages). Never removes records: a package dropped from the plan keeps its history.
 */
export function ensurePackages(state: RunState, packageIds: readonly string[], now: Date): RunState {
  const missing = [...new Set(packageIds)].filter((id) => !Object.hasOwn(state.packages, id));
  if (missing.length === 0) return state;
  const added = Object.fromEntries(missing.map((id) => [id, createPackageRecord(id)]));
  return { ...state, updatedAt: requireTimestamp(now), packages: { ...state.packages, ...added } };
}

// ---------------------------------------------------------------------------------------
// Events

export type RunEvent =
  /** pending → ready: every dependency succeeded. */
  | { type: 'ready'; packageId: string }
  /** ready → queued: the scheduler picked it. */
  | { type: 'queued'; packageId: string }
  /** queued → running: the runner started attempt `attempt` (must be `attempts + 1`). */
  | {
      type: 'started';
      packageId: string;
      attempt: number;
      worktree: string;
      branch?: string | null;
      baseSha?: string | null;
      logFile: string;
      pid?: number | null;
    }
  /**
   * The agent process ended (from the runner's `exit.json`). In `running`: a clean exit
   * (code 0, no signal) → verifying; anything else → failed. In `cancelled` or
   * `interrupted`: only records the exit.
   */
  | {
      type: 'exited';
      packageId: string;
      exitCode: number | null;
      signal?: string | null;
      /** Why it ended, for a person (e.g. `timed out after 30 min`); becomes `lastError` on failure. */
      reason?: string;
    }
  /** While verifying: one step's outcome. A step may be reported again (re-run); the last counts. */
  | { type: 'verificationResult'; packageId: string; step: string; ok: boolean; detail?: string }
  /** verifying → succeeded. Rejected while the last result of any step is not ok. */
  | { type: 'succeeded'; packageId: string }
  /** queued | running | verifying → failed. */
  | { type: 'failed'; packageId: string; reason: string }
  /** running | verifying → scope-violation: files changed outside the write scope. */
  | { type: 'scopeViolation'; packageId: string; paths: ScopeViolation[] }
  /** Any non-terminal status → cancelled. */
  | { type: 'cancelled'; packageId: string; reason?: string }
  /** queued | running | verifying → interrupted: found dead without an exit record. */
  | { type: 'interrupted'; packageId: string; reason?: string }
  /** pending | ready | queued → blocked by the listed dependencies. */
  | { type: 'blocked'; packageId: string; by: string[] }
  /**
   * ready | queued | any terminal status → pending (retry, resume, or a dependency was
   * reset). Clears the outcome of the last attempt; keeps `attempts`, `worktree`,
   * `branch`, `baseSha` and `logFile` so a resume can find them.
   */
  | { type: 'reset'; packageId: string };

export type RunEventType = RunEvent['type'];

export type RunStateErrorCode =
  /** The event names a package the state has no record for. */
  | 'unknown-package'
  /** The event is not allowed in the package's current status. */
  | 'illegal-transition'
  /** `started.attempt` is not `attempts + 1` (e.g. a revived terminal starting twice). */
  | 'attempt-mismatch'
  /** `succeeded` while a verification step's last result is a failure. */
  | 'unverified'
  /** The event or argument is malformed (empty reason, non-integer exit code, bad time…). */
  | 'invalid-event'
  /** `acquireLocks`: another package holds one of the keys and it has not expired. */
  | 'lock-held';

export interface RunStateError {
  code: RunStateErrorCode;
  /** One sentence for a person. */
  message: string;
  packageId?: string;
  /** The event type, for event errors. */
  event?: RunEventType;
  from?: PackageStatus;
  to?: PackageStatus;
  /** For `lock-held`: the live entries that stand in the way. */
  locks?: LockTableEntry[];
}

export type RunStateResult = { ok: true; state: RunState } | { ok: false; error: RunStateError };

type EventOf<T extends RunEventType> = Extract<RunEvent, { type: T }>;

interface EventRule<E extends RunEvent> {
  /** The status a status-changing event moves to (may depend on the payload). */
  to?: (event: E) => PackageStatus;
  /** Statuses in which the event is accepted without changing the status. */
  annotates?: readonly PackageStatus[];
  /** Payload checks beyond the types; returns the problem, if any. */
  check?: (event: E, record: PackageRunRecord) => Pick<RunStateError, 'code' | 'message'> | undefined;
  /** The record's new fields. `status` and, for terminal targets, `endedAt` are set by the reducer. */
  apply: (record: PackageRunRecord, event: E, at: string, to: PackageStatus) => PackageRunRecord;
}

const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
const isOptionalText = (value: unknown) => value === undefined || value === null || isText(value);
const invalid = (message: string) => ({ code: 'invalid-event' as const, message });

/** The outcome of an attempt; cleared by `started` (new attempt) and `reset`. */
function clearOutcome(record: PackageRunRecord): PackageRunRecord {
  return {
    ...record,
    startedAt: null,
    endedAt: null,
    exitCode: null,
    signal: null,
    pid: null,
    verification: [],
    scopeViolations: [],
    blockedBy: [],
    lastError: null,
  };
}

function isCleanExit(event: EventOf<'exited'>): boolean {
  return event.exitCode === 0 && (event.signal ?? null) === null;
}

function describeExit(event: EventOf<'exited'>): string {
  if (event.reason) return event.reason;
  if (event.signal) return `the agent was killed by ${event.signal}`;
  if (event.exitCode === null) return 'the agent exited without an exit code';
  return `the agent exited with code ${event.exitCode}`;
}

function describeViolations(paths: readonly ScopeViolation[]): string {
  const shown = paths.slice(0, 3).map((v) => v.path);
  if (paths.length > 3) shown.push('…');
  return `${paths.length} file(s) changed outside the write scope: ${shown.join(', ')}`;
}

/** The latest result of each step, in first-reported order. */
function latestResults(results: readonly VerificationResult[]): VerificationResult[] {
  return [...new Map(results.map((r) => [r.step, r])).values()];
}

const withLastError = (record: PackageRunRecord, event: { reason?: string }) => ({
  ...record,
  lastError: event.reason ?? null,
});
const checkOptionalReason = (event: { reason?: string }) =>
  isOptionalText(event.reason) ? undefined : invalid('reason must be a non-empty string when given');

const RULES: { [T in RunEventType]: EventRule<EventOf<T>> } = {
  ready: { to: () => 'ready', apply: (record) => record },
  queued: { to: () => 'queued', apply: (record) => record },
  started: {
    to: () => 'running',
    check: (event, record) => {
      if (event.attempt !== record.attempts + 1) {
        return {
          code: 'attempt-mismatch',
          message: `attempt ${String(event.attempt)} cannot start: ${record.attempts} attempt(s) so far, so the next is ${record.attempts + 1}`,
        };
      }
      if (!isText(event.worktree) || !isText(event.logFile))
        return invalid('worktree and logFile must be non-empty strings');
      if (!isOptionalText(event.branch) || !isOptionalText(event.baseSha))
        return invalid('branch and baseSha must be non-empty strings when given');
      const pid = event.pid ?? null;
      if (pid !== null && !(Number.isSafeInteger(pid) && pid > 0))
        return invalid('pid must be a positive integer when given');
      return undefined;
    },
    apply: (record, event, at) => ({
      ...clearOutcome(record),
      attempts: event.attempt,
      startedAt: at,
      worktree: event.worktree,
      branch: event.branch ?? null,
      baseSha: event.baseSha ?? null,
      logFile: event.logFile,
      pid: event.pid ?? null,
    }),
  },
  exited: {
    to: (event) => (isCleanExit(event) ? 'verifying' : 'failed'),
    annotates: ['cancelled', 'interrupted'],
    check: (event, record) => {
      if (event.exitCode !== null && !Number.isSafeInteger(event.exitCode))
        return invalid('exitCode must be an integer or null');
      if (!isOptionalText(event.signal)) return invalid('signal must be a non-empty string when given');
      if (record.exitCode !== null || record.signal !== null)
        return invalid(`an exit was already recorded for attempt ${record.attempts}`);
      return checkOptionalReason(event);
    },
    apply: (record, event, _at, to) => ({
      ...record,
      exitCode: event.exitCode,
      signal: event.signal ?? null,
      ...(to === 'failed' ? { lastError: describeExit(event) } : {}),
    }),
  },
  verificationResult: {
    annotates: ['verifying'],
    check: (event) => {
      if (!isText(event.step) || typeof event.ok !== 'boolean')
        return invalid('step must be a non-empty string and ok a boolean');
      return event.detail === undefined || typeof event.detail === 'string'
        ? undefined
        : invalid('detail must be a string when given');
    },
    apply: (record, event, at) => ({
      ...record,
      verification: [
        ...record.verification,
        { step: event.step, ok: event.ok, ...(event.detail !== undefined ? { detail: event.detail } : {}), at },
      ],
    }),
  },
  succeeded: {
    to: () => 'succeeded',
    check: (_event, record) => {
      const failing = latestResults(record.verification).filter((r) => !r.ok);
      if (failing.length === 0) return undefined;
      return { code: 'unverified', message: `verification step(s) failed: ${failing.map((r) => r.step).join(', ')}` };
    },
    apply: (record) => ({ ...record, lastError: null }),
  },
  failed: {
    to: () => 'failed',
    check: (event) => (isText(event.reason) ? undefined : invalid('reason must be a non-empty string')),
    apply: withLastError,
  },
  scopeViolation: {
    to: () => 'scope-violation',
    check: (event) => {
      const ok =
        Array.isArray(event.paths) &&
        event.paths.length > 0 &&
        event.paths.every((v) => isText(v?.path) && FILE_CHANGES.includes(v.change));
      return ok ? undefined : invalid('paths must list at least one {path, change} with change one of A M D R ?');
    },
    apply: (record, event) => ({
      ...record,
      scopeViolations: event.paths.map(({ path, change }) => ({ path, change })),
      lastError: describeViolations(event.paths),
    }),
  },
  cancelled: { to: () => 'cancelled', check: checkOptionalReason, apply: withLastError },
  interrupted: { to: () => 'interrupted', check: checkOptionalReason, apply: withLastError },
  blocked: {
    to: () => 'blocked',
    check: (event) =>
      Array.isArray(event.by) && event.by.length > 0 && event.by.every(isText)
        ? undefined
        : invalid('by must list at least one package id'),
    apply: (record, event) => ({ ...record, blockedBy: [...new Set(event.by)], lastError: null }),
  },
  reset: { to: () => 'pending', apply: clearOutcome },
};

/**
 * Applies one event to one package's record. Returns the new state, or a typed error
 * (and no state) when the event is not allowed in the package's current status or is
 * malformed. Never throws, never mutates `state`.
 */
export function applyEvent(state: RunState, event: RunEvent, now: Date): RunStateResult {
  const fail = (error: Omit<RunStateError, 'packageId' | 'event'>): RunStateResult => ({
    ok: false,
    error: { ...error, packageId: event?.packageId, event: event?.type },
  });
  const rule = RULES[event?.type] as EventRule<RunEvent> | undefined;
  if (!rule || !Object.hasOwn(RULES, event.type)) {
    return fail({ code: 'invalid-event', message: `Unknown run event type "${String(event?.type)}".` });
  }
  if (typeof event.packageId !== 'string' || !Object.hasOwn(state.packages, event.packageId)) {
    return fail({ code: 'unknown-package', message: `The run has no package "${String(event.packageId)}".` });
  }
  const at = timestamp(now);
  if (at === undefined) return fail({ code: 'invalid-event', message: `Invalid event time: ${String(now)}.` });

  const record = state.packages[event.packageId]!;
  const from = record.status;
  const annotation = rule.annotates?.includes(from) ?? false;
  const to = annotation || !rule.to ? from : rule.to(event);
  if (!annotation && (!rule.to || !canTransition(from, to))) {
    return fail({
      code: 'illegal-transition',
      message: rule.to
        ? `Package "${event.packageId}" is ${from}; "${event.type}" would move it to ${to}, which is not allowed.`
        : `Package "${event.packageId}" is ${from}; "${event.type}" is only accepted while ${rule.annotates?.join(' or ')}.`,
      from,
      ...(rule.to ? { to } : {}),
    });
  }
  const problem = rule.check?.(event, record);
  if (problem) {
    const message = `Package "${event.packageId}", "${event.type}": ${problem.message}.`;
    return fail({ ...problem, message, from, ...(to !== from ? { to } : {}) });
  }

  let next = rule.apply(record, event, at, to);
  if (!annotation) next = { ...next, status: to, endedAt: isTerminal(to) ? at : next.endedAt };
  return { ok: true, state: { ...state, updatedAt: at, packages: { ...state.packages, [event.packageId]: next } } };
}

// ---------------------------------------------------------------------------------------
// Locks

export interface LockRequest {
  /** The package that takes the locks. */
  holder: string;
  /** File paths (repo-relative, forward slashes) and/or logical keys, compared exactly. */
  keys: readonly string[];
  /** Time to live in milliseconds; omitted = held until released. */
  ttlMs?: number;
}

function isLive(entry: LockTableEntry, nowMs: number): boolean {
  return entry.expiresAt === null || Date.parse(entry.expiresAt) > nowMs;
}

/** The live (unexpired) lock on `key`, if any. */
export function heldLock(state: RunState, key: string, now: Date): LockTableEntry | undefined {
  const nowMs = now.getTime();
  return state.locks.find((entry) => entry.key === key && isLive(entry, nowMs));
}

/**
 * Takes all `keys` for `holder`, or none: fails with `lock-held` (listing the live
 * entries of other holders) when any key is held and unexpired. Keys the holder already
 * has are renewed (new expiry, same `acquiredAt`); expired entries of others are replaced.
 */
export function acquireLocks(state: RunState, request: LockRequest, now: Date): RunStateResult {
  const fail = (code: RunStateErrorCode, message: string, locks?: LockTableEntry[]): RunStateResult => ({
    ok: false,
    error: { code, message, packageId: request.holder, ...(locks ? { locks } : {}) },
  });
  if (!Object.hasOwn(state.packages, request.holder)) {
    return fail('unknown-package', `The run has no package "${request.holder}" to hold locks.`);
  }
  const at = timestamp(now);
  const ttlOk = request.ttlMs === undefined || (Number.isFinite(request.ttlMs) && request.ttlMs > 0);
  const expiresAt =
    request.ttlMs === undefined ? null : ttlOk ? timestamp(new Date(now.getTime() + request.ttlMs)) : undefined;
  if (at === undefined || expiresAt === undefined || !request.keys.every(isText)) {
    return fail('invalid-event', 'Locks need non-empty keys, a valid time and a positive ttlMs when given.');
  }

  const keys = new Set(request.keys);
  const nowMs = now.getTime();
  const inTheWay = state.locks.filter((e) => keys.has(e.key) && e.holder !== request.holder && isLive(e, nowMs));
  if (inTheWay.length > 0) {
    const list = inTheWay.map((e) => `${e.key} (held by ${e.holder})`).join(', ');
    return fail('lock-held', `Package "${request.holder}" cannot take ${list}.`, inTheWay);
  }

  // A live lock the holder already has is renewed: it keeps its acquiredAt.
  const renewed = new Map(
    state.locks.filter((e) => e.holder === request.holder && isLive(e, nowMs)).map((e) => [e.key, e.acquiredAt]),
  );
  const taken = [...keys].map((key) => ({
    key,
    holder: request.holder,
    acquiredAt: renewed.get(key) ?? at,
    expiresAt,
  }));
  return {
    ok: true,
    state: { ...state, updatedAt: at, locks: [...state.locks.filter((e) => !keys.has(e.key)), ...taken] },
  };
}

/** Drops `holder`'s locks (only `keys` when given). Returns `state` itself when none were held. */
export function releaseLocks(
  state: RunState,
  release: { holder: string; keys?: readonly string[] },
  now: Date,
): RunState {
  const only = release.keys ? new Set(release.keys) : undefined;
  const kept = state.locks.filter((e) => e.holder !== release.holder || (only !== undefined && !only.has(e.key)));
  return kept.length === state.locks.length ? state : { ...state, updatedAt: requireTimestamp(now), locks: kept };
}

/** Drops every lock whose `expiresAt` is at or before `now`, and returns them. */
export function expireLocks(state: RunState, now: Date): { state: RunState; expired: LockTableEntry[] } {
  const nowMs = now.getTime();
  const expired = state.locks.filter((e) => !isLive(e, nowMs));
  if (expired.length === 0) return { state, expired };
  return {
    state: { ...state, updatedAt: requireTimestamp(now), locks: state.locks.filter((e) => isLive(e, nowMs)) },
    expired,
  };
}

// ---------------------------------------------------------------------------------------
// Invariants the JSON Schema cannot express

/** Problems with cross-field invariants; empty when the state is consistent. */
export function checkRunStateInvariants(state: RunState): string[] {
  const problems: string[] = [];
  for (const [id, record] of Object.entries(state.packages)) {
    if (record.packageId !== id) problems.push(`packages["${id}"].packageId is "${record.packageId}"`);
  }
  const seen = new Set<string>();
  for (const lock of state.locks) {
    if (seen.has(lock.key)) problems.push(`lock "${lock.key}" is listed twice`);
    seen.add(lock.key);
    if (!Object.hasOwn(state.packages, lock.holder))
      problems.push(`lock "${lock.key}" is held by unknown package "${lock.holder}"`);
  }
  return problems;
}
