/**
 * The run-state model (format version 2): where each package of one feature's run stands,
 * how its merge went, and what earlier runs of the feature ended with. Everything here is
 * pure — no I/O, no `vscode`, no clock: callers pass `now`.
 *
 * - `PackageStatus` and the transition table (`TRANSITIONS`, `canTransition`).
 * - `PackageRunRecord`, `MergeRecord`, `RunState` — the persisted shape, described by
 *   `schemas/run-state.schema.json` (keep both in step). Locks are not here: they live in
 *   the repository's lock table (`lockTable.ts`).
 * - `applyEvent(state, event, now)` — the only way package records change. Illegal
 *   events come back as a typed error result; nothing here throws on bad input except
 *   `createRunState`/`ensurePackages` given an invalid `now` (a programming error).
 * - `recordMerge`, `setIntegration`, `setPlanHash`, `withHistoryOf`/`summarizeRun` — the
 *   other fields, with the same error results.
 * - `migrateRunState` — a version-1 state read as version 2.
 *
 * All functions return new objects and never mutate their input; when nothing changes
 * they return the very same state object, so callers can skip saving on `===`. Records are
 * spread, never rebuilt, so fields written by a newer build survive every change.
 *
 * See `docs/contracts.md` for the tables and examples.
 */

import { isSafeName } from './safeName';
import { addSpend, type Spend } from './spend';

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
  'usage-limit', // the agent stopped at a usage limit: no retry spent; goes on after its reset (#16)
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
  'usage-limit',
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
  running: ['verifying', 'failed', 'cancelled', 'interrupted', 'scope-violation', 'usage-limit'],
  verifying: ['succeeded', 'failed', 'cancelled', 'interrupted', 'scope-violation', 'usage-limit'],
  succeeded: ['pending'],
  failed: ['pending'],
  blocked: ['pending'],
  cancelled: ['pending'],
  interrupted: ['pending', 'running'],
  'scope-violation': ['pending'],
  'usage-limit': ['pending'],
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

/** A file the audit found changed: the same shape as a scope violation. */
export type ChangedFile = ScopeViolation;

/** Set while the agent waits for a person (a permission prompt, a usage limit). */
export interface NeedsInput {
  /** When the wait was first reported (ISO 8601). */
  since: string;
  /** What it waits for, for a person. */
  reason: string;
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
  /** The random token of the current attempt's runner (in its argv): a reused pid is not adopted. */
  startToken: string | null;
  /** Set while the running agent waits for a person; cleared when it goes on or stops running. */
  needsInput: NeedsInput | null;
  /** Absolute path of the worktree (its own, or the feature's shared one for `mode: shared`). Kept across `reset`. */
  worktree: string | null;
  /** The branch the package works on. Kept across `reset`. */
  branch: string | null;
  /** The commit the worktree was created from. Kept across `reset`. */
  baseSha: string | null;
  /** The package branch's tip when its last attempt ended; a retry starts from it. Kept across `reset`. */
  headSha: string | null;
  /** Absolute path of the current (or last) attempt's log. Kept across `reset`. */
  logFile: string | null;
  /** Absolute path of the current (or last) attempt's result record. Kept across `reset`. */
  resultFile: string | null;
  verification: VerificationResult[];
  /** The audit's list of the files the current attempt changed. */
  changedFiles: ChangedFile[];
  scopeViolations: ScopeViolation[];
  /** Dependencies whose outcome blocks this package (status `blocked`). */
  blockedBy: string[];
  /** One line for a person: why the package failed, was cancelled or interrupted. */
  lastError: string | null;
  /** The host the current (or last) attempt runs on (#17, its name in the hosts list); absent: this machine. Kept across `reset`. */
  host?: string | null;
  /** While `usage-limit`: what the agent said and when its limit resets (null: it did not say). */
  usageLimit?: UsageLimit | null;
  /** Attempts that ended at a usage limit: they spend no retry (`schedule.ts`). Survives `reset`. */
  usageLimits?: number;
  /**
   * Failures before an agent started (its tree, the set-up hook, the prompt, the runner): each
   * spends a retry as an attempt does, though no attempt ran (`retriesSpent`). Survives `reset`.
   */
  failedStarts?: number;
  /** Tokens and cost of every attempt so far, where the agent reports them (#16). Survives `reset`. */
  spend?: Spend | null;
  /** The question the last attempt ended with (it changed nothing): a retry can carry the person's answer (#16). Survives `reset`; cleared when an attempt starts. */
  question?: string | null;
}

export interface UsageLimit {
  detail: string;
  /** ISO 8601, when the agent gave one. */
  resetAt: string | null;
  /** The agent's label (a limit holds for every package on that agent). */
  agent: string | null;
}

export const MERGE_STATUSES = ['pending', 'merged', 'conflict', 'skipped'] as const;
export type MergeStatus = (typeof MERGE_STATUSES)[number];

/** How a package's branch went into the integration branch. */
export interface MergeRecord {
  status: MergeStatus;
  /** `merged`: the files it brought; `conflict`: the conflicting files. Repo-relative. */
  files: string[];
  /** The merge commit on the integration branch, when merged. */
  commit: string | null;
}

/** The integration branch of the run and its worktree. */
export interface IntegrationInfo {
  branch: string;
  /** Absolute path of its worktree. */
  worktree: string;
  /** The commit it was created from. */
  baseSha: string;
  /** Its current tip. */
  tipSha: string;
}

/** What an earlier run of the feature ended with; its whole state is kept at `archive`. */
export interface RunHistoryEntry {
  runId: string;
  createdAt: string;
  /** The earlier run's last change (its `updatedAt`). */
  endedAt: string;
  planHash: string | null;
  /** How many packages ended in each status (statuses with none are left out). */
  counts: Partial<Record<PackageStatus, number>>;
  /** Where its final state was archived: repo-relative, forward slashes. */
  archive: string;
}

export const RUN_STATE_VERSION = 2;

export interface RunState {
  version: 2;
  featureId: string;
  /** The plan file, workspace-relative with forward slashes. */
  planFile: string;
  /** `feature.plan_revision` of the plan the run started from, when it has one. */
  planRevision?: number;
  /** SHA-256 (hex) of the plan text the run started from; null only in a migrated version-1 state. */
  planHash: string | null;
  /**
   * The machine whose engine drives the run (`src/engine/consent/machine.ts`: SHA-256 of a random id in
   * the person's own folder). Absent or another: the run is foreign here — offered, never
   * adopted (#15).
   */
  machine?: string;
  /** Identifies this run (one feature may be run several times). */
  runId: string;
  createdAt: string;
  updatedAt: string;
  /** Keyed by package id; `packages[id].packageId === id`. */
  packages: Record<string, PackageRunRecord>;
  /** Keyed by package id (a key of `packages`): merge status of packages the engine merged or tried to. */
  merges: Record<string, MergeRecord>;
  integration: IntegrationInfo | null;
  /** Earlier runs of the feature, oldest first. */
  history: RunHistoryEntry[];
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

const PLAN_HASH = /^[0-9a-f]{64}$/;

export interface RunStateInit {
  featureId: string;
  planFile: string;
  planRevision?: number;
  /** SHA-256 (hex, lower case) of the plan text. Omitted: null. */
  planHash?: string | null;
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
    startToken: null,
    needsInput: null,
    worktree: null,
    branch: null,
    baseSha: null,
    headSha: null,
    logFile: null,
    resultFile: null,
    verification: [],
    changedFiles: [],
    scopeViolations: [],
    blockedBy: [],
    lastError: null,
  };
}

/**
 * A fresh run: every package `pending`, no merges, no history. Throws RangeError on an
 * invalid `now` or a `planHash` that is not 64 lower-case hex digits.
 */
export function createRunState(init: RunStateInit): RunState {
  const at = requireTimestamp(init.now);
  const planHash = init.planHash ?? null;
  if (planHash !== null && !PLAN_HASH.test(planHash)) throw new RangeError(`Not a SHA-256 hex digest: ${planHash}`);
  const state: RunState = {
    version: 2,
    featureId: init.featureId,
    planFile: init.planFile,
    ...(init.planRevision !== undefined ? { planRevision: init.planRevision } : {}),
    planHash,
    runId: init.runId,
    createdAt: at,
    updatedAt: at,
    packages: {},
    merges: {},
    integration: null,
    history: [],
  };
  return ensurePackages(state, init.packageIds, init.now);
}

/**
 * Adds a `pending` record for each id the state does not know yet (the plan gained
 * packages). Never removes records: a package dropped from the plan keeps its history.
 */
/** The state stamped with the machine that drives it now (unchanged when it already says so). */
export function setMachine(state: RunState, machine: string, now: Date): RunState {
  if (state.machine === machine) return state;
  return { ...state, machine, updatedAt: requireTimestamp(now) };
}

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
  /** ready → queued; `host`: where it is placed (#17), known before its runner exists so a resume looks there. */
  | { type: 'queued'; packageId: string; host?: string | null }
  /** queued → running: the runner started attempt `attempt` (must be `attempts + 1`). */
  | {
      type: 'started';
      packageId: string;
      attempt: number;
      /** The random token passed to this attempt's runner. */
      startToken: string;
      worktree: string;
      branch?: string | null;
      baseSha?: string | null;
      logFile: string;
      resultFile?: string | null;
      pid?: number | null;
      /** The host it runs on (#17). */
      host?: string | null;
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
      /** The package branch's tip after the attempt. */
      headSha?: string | null;
      /** What the attempt spent, where the agent reports it: added to the record's `spend`. */
      spend?: Spend | null;
    }
  /** While running: the agent waits for a person. Reported again: the reason is updated, `since` kept. */
  | { type: 'needsInput'; packageId: string; reason: string }
  /** While running: the agent goes on after waiting. */
  | { type: 'inputResumed'; packageId: string }
  /** While verifying: the audit's list of changed files (replaces any earlier list). */
  /** While verifying: the audit's list of changed files, and the commit that was audited (it alone is verified and merged). */
  | { type: 'audited'; packageId: string; changedFiles: ChangedFile[]; headSha?: string }
  /** While verifying: one step's outcome. A step may be reported again (re-run); the last counts. */
  | { type: 'verificationResult'; packageId: string; step: string; ok: boolean; detail?: string }
  /** verifying → succeeded. Rejected while the last result of any step is not ok. */
  | { type: 'succeeded'; packageId: string }
  /** queued | running | verifying → failed. `question`: the agent ended its turn with one (#16). */
  | { type: 'failed'; packageId: string; reason: string; question?: string | null }
  /**
   * running | verifying → scope-violation: files changed outside the write scope, or another
   * breach of the package's bounds (`reason` says which: it left its branch, it changed the
   * repository's git set-up or the person's checkout; `paths` may then be empty).
   */
  | { type: 'scopeViolation'; packageId: string; paths: ScopeViolation[]; reason?: string }
  /** Any non-terminal status → cancelled. */
  | { type: 'cancelled'; packageId: string; reason?: string }
  /** running | verifying → usage-limit: the agent stopped at a usage limit (its own structured report or exit). No retry is spent. */
  | { type: 'usageLimit'; packageId: string; detail: string; resetAt?: string | null; agent?: string | null }
  /** queued | running | verifying → interrupted: found dead without an exit record. */
  | { type: 'interrupted'; packageId: string; reason?: string }
  /**
   * interrupted → running: the same attempt found again (#17: its host, out of reach, answered
   * again, its runner alive or its exit there). `startToken` must be the attempt's own.
   */
  | { type: 'reattached'; packageId: string; startToken: string }
  /** pending | ready | queued → blocked by the listed dependencies. */
  | { type: 'blocked'; packageId: string; by: string[] }
  /**
   * ready | queued | any terminal status → pending (retry, resume, or a dependency was
   * reset). Clears the outcome of the last attempt; keeps `attempts`, `worktree`,
   * `branch`, `baseSha`, `headSha`, `logFile` and `resultFile` so a resume can find them.
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
  | 'invalid-event';

export interface RunStateError {
  code: RunStateErrorCode;
  /** One sentence for a person. */
  message: string;
  packageId?: string;
  /** The event type, for event errors. */
  event?: RunEventType;
  from?: PackageStatus;
  to?: PackageStatus;
}

export type RunStateResult = { ok: true; state: RunState } | { ok: false; error: RunStateError };

type EventOf<T extends RunEventType> = Extract<RunEvent, { type: T }>;

interface EventRule<E extends RunEvent> {
  /** The status a status-changing event moves to (may depend on the payload). */
  to?: (event: E) => PackageStatus;
  /** Statuses in which the event is accepted without changing the status. */
  annotates?: readonly PackageStatus[];
  /**
   * The only statuses the event may move a package from, where the transition table alone
   * is too wide (`interrupted → running` is a re-adoption, never a fresh start).
   */
  from?: readonly PackageStatus[];
  /** Payload checks beyond the types; returns the problem, if any. */
  check?: (event: E, record: PackageRunRecord) => Pick<RunStateError, 'code' | 'message'> | undefined;
  /**
   * The record's new fields. `status` and, for terminal targets, `endedAt` are set by the
   * reducer. An annotation that changes nothing returns `record` itself.
   */
  apply: (record: PackageRunRecord, event: E, at: string, to: PackageStatus) => PackageRunRecord;
}

const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
const isOptionalText = (value: unknown) => value === undefined || value === null || isText(value);
const invalid = (message: string) => ({ code: 'invalid-event' as const, message });

/**
 * The retries a package has spent: its attempts, less those stopped by a usage limit (#16),
 * plus its failures before an agent started. It is retried automatically while this is at
 * most its retry budget (`schedule.ts`).
 */
export function retriesSpent(record: PackageRunRecord): number {
  return record.attempts - (record.usageLimits ?? 0) + (record.failedStarts ?? 0);
}

/** The outcome of an attempt; cleared by `started` (new attempt) and `reset`. */
function clearOutcome(record: PackageRunRecord): PackageRunRecord {
  return {
    ...record,
    startedAt: null,
    endedAt: null,
    exitCode: null,
    signal: null,
    pid: null,
    startToken: null,
    needsInput: null,
    verification: [],
    changedFiles: [],
    scopeViolations: [],
    blockedBy: [],
    lastError: null,
    ...(record.usageLimit ? { usageLimit: null } : {}),
  };
}

function isSpend(v: unknown): v is Spend {
  const o = v as Partial<Spend> | null | undefined;
  const n = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x >= 0;
  return !!o && typeof o === 'object' && n(o.inputTokens) && n(o.outputTokens) && n(o.cachedTokens) && (o.costUsd === null || n(o.costUsd));
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

const isFileList = (list: unknown, minLength: number): list is ChangedFile[] =>
  Array.isArray(list) &&
  list.length >= minLength &&
  list.every((v: Partial<ChangedFile> | null) => isText(v?.path) && FILE_CHANGES.includes(v!.change!));

const withLastError = (record: PackageRunRecord, event: { reason?: string }) => ({
  ...record,
  lastError: event.reason ?? null,
});
const checkOptionalReason = (event: { reason?: string }) =>
  isOptionalText(event.reason) ? undefined : invalid('reason must be a non-empty string when given');

const RULES: { [T in RunEventType]: EventRule<EventOf<T>> } = {
  ready: { to: () => 'ready', apply: (record) => record },
  queued: {
    to: () => 'queued',
    check: (event) => (isOptionalText(event.host) ? undefined : invalid('host must be a non-empty string when given')),
    apply: (record, event) => (event.host ? { ...record, host: event.host } : record),
  },
  started: {
    to: () => 'running',
    from: ['queued'],
    check: (event, record) => {
      if (event.attempt !== record.attempts + 1) {
        return {
          code: 'attempt-mismatch',
          message: `attempt ${String(event.attempt)} cannot start: ${record.attempts} attempt(s) so far, so the next is ${record.attempts + 1}`,
        };
      }
      if (!isText(event.startToken)) return invalid('startToken must be a non-empty string');
      if (!isText(event.worktree) || !isText(event.logFile)) return invalid('worktree and logFile must be non-empty strings');
      if (!isOptionalText(event.branch) || !isOptionalText(event.baseSha) || !isOptionalText(event.resultFile))
        return invalid('branch, baseSha and resultFile must be non-empty strings when given');
      const pid = event.pid ?? null;
      if (pid !== null && !(Number.isSafeInteger(pid) && pid > 0)) return invalid('pid must be a positive integer when given');
      if (!isOptionalText(event.host)) return invalid('host must be a non-empty string when given');
      return undefined;
    },
    apply: (record, event, at) => ({
      ...clearOutcome(record),
      ...(record.question ? { question: null } : {}),
      attempts: event.attempt,
      startedAt: at,
      startToken: event.startToken,
      worktree: event.worktree,
      branch: event.branch ?? null,
      baseSha: event.baseSha ?? null,
      logFile: event.logFile,
      resultFile: event.resultFile ?? null,
      pid: event.pid ?? null,
      ...(event.host ? { host: event.host } : record.host ? { host: null } : {}),
    }),
  },
  exited: {
    to: (event) => (isCleanExit(event) ? 'verifying' : 'failed'),
    annotates: ['cancelled', 'interrupted', 'usage-limit'],
    check: (event, record) => {
      if (event.exitCode !== null && !Number.isSafeInteger(event.exitCode)) return invalid('exitCode must be an integer or null');
      if (!isOptionalText(event.signal)) return invalid('signal must be a non-empty string when given');
      if (!isOptionalText(event.headSha)) return invalid('headSha must be a non-empty string when given');
      if (record.exitCode !== null || record.signal !== null) return invalid(`an exit was already recorded for attempt ${record.attempts}`);
      return checkOptionalReason(event);
    },
    apply: (record, event, _at, to) => ({
      ...record,
      exitCode: event.exitCode,
      signal: event.signal ?? null,
      ...(isText(event.headSha) ? { headSha: event.headSha } : {}),
      ...(isSpend(event.spend) ? { spend: addSpend(record.spend, event.spend) } : {}),
      ...(to === 'failed' ? { lastError: describeExit(event) } : {}),
    }),
  },
  needsInput: {
    annotates: ['running'],
    check: (event) => (isText(event.reason) ? undefined : invalid('reason must be a non-empty string')),
    apply: (record, event, at) =>
      record.needsInput?.reason === event.reason
        ? record
        : { ...record, needsInput: { since: record.needsInput?.since ?? at, reason: event.reason } },
  },
  inputResumed: {
    annotates: ['running'],
    apply: (record) => (record.needsInput === null ? record : { ...record, needsInput: null }),
  },
  audited: {
    annotates: ['verifying'],
    check: (event) =>
      !isOptionalText(event.headSha)
        ? invalid('headSha must be a non-empty string when given')
        : isFileList(event.changedFiles, 0)
          ? undefined
          : invalid('changedFiles must list {path, change} with change one of A M D R ?'),
    apply: (record, event) => ({
      ...record,
      changedFiles: event.changedFiles.map(({ path, change }) => ({ path, change })),
      ...(isText(event.headSha) ? { headSha: event.headSha } : {}),
    }),
  },
  verificationResult: {
    annotates: ['verifying'],
    check: (event) => {
      if (!isText(event.step) || typeof event.ok !== 'boolean') return invalid('step must be a non-empty string and ok a boolean');
      return event.detail === undefined || typeof event.detail === 'string' ? undefined : invalid('detail must be a string when given');
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
    check: (event) =>
      !isText(event.reason) ? invalid('reason must be a non-empty string') : isOptionalText(event.question ?? undefined) ? undefined : invalid('question must be a non-empty string when given'),
    apply: (record, event) => ({
      ...withLastError(record, event),
      ...(isText(event.question) ? { question: event.question } : {}),
      // Failed while queued: nothing ran, and yet a retry is spent (else it would start, and fail, for ever).
      ...(record.status === 'queued' ? { failedStarts: (record.failedStarts ?? 0) + 1 } : {}),
    }),
  },
  scopeViolation: {
    to: () => 'scope-violation',
    check: (event) =>
      !isOptionalText(event.reason)
        ? invalid('reason must be a non-empty string when given')
        : isFileList(event.paths, event.reason ? 0 : 1)
          ? undefined
          : invalid('paths must list at least one {path, change} with change one of A M D R ?'),
    apply: (record, event) => ({
      ...record,
      scopeViolations: event.paths.map(({ path, change }) => ({ path, change })),
      lastError: event.reason ?? describeViolations(event.paths),
    }),
  },
  cancelled: { to: () => 'cancelled', check: checkOptionalReason, apply: withLastError },
  usageLimit: {
    to: () => 'usage-limit',
    check: (event) => {
      if (!isText(event.detail)) return invalid('detail must be a non-empty string');
      if (event.resetAt !== undefined && event.resetAt !== null && !(isText(event.resetAt) && Number.isFinite(Date.parse(event.resetAt))))
        return invalid('resetAt must be an ISO 8601 time when given');
      return isOptionalText(event.agent ?? undefined) ? undefined : invalid('agent must be a non-empty string when given');
    },
    apply: (record, event) => ({
      ...record,
      usageLimit: { detail: event.detail, resetAt: event.resetAt ?? null, agent: event.agent ?? null },
      usageLimits: (record.usageLimits ?? 0) + 1,
      lastError: `usage limit: ${event.detail}`,
    }),
  },
  interrupted: { to: () => 'interrupted', check: checkOptionalReason, apply: withLastError },
  reattached: {
    to: () => 'running',
    from: ['interrupted'],
    check: (event, record) =>
      isText(event.startToken) && event.startToken === record.startToken ? undefined : invalid('startToken must be the interrupted attempt\'s own'),
    apply: (record) => ({ ...record, lastError: null, exitCode: null, signal: null, endedAt: null }),
  },
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
 * malformed. An annotation that changes nothing (`needsInput` with the same reason,
 * `inputResumed` when not waiting) returns `state` itself. Never throws, never mutates `state`.
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
  if (!annotation && (!rule.to || !canTransition(from, to) || (rule.from !== undefined && !rule.from.includes(from)))) {
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
  if (annotation && next === record) return { ok: true, state };
  if (!annotation) {
    // A package that stops running no longer waits for a person.
    next = { ...next, status: to, endedAt: isTerminal(to) ? at : next.endedAt, needsInput: null };
  }
  return { ok: true, state: withRecord(state, next, at) };
}

function withRecord(state: RunState, record: PackageRunRecord, at: string): RunState {
  return { ...state, updatedAt: at, packages: { ...state.packages, [record.packageId]: record } };
}

// ---------------------------------------------------------------------------------------
// Merges, the integration branch, the plan hash

export interface MergeUpdate {
  status: MergeStatus;
  files?: readonly string[];
  commit?: string | null;
}

function fieldError(packageId: string | undefined, message: string): RunStateResult {
  return { ok: false, error: { code: 'invalid-event', message, ...(packageId !== undefined ? { packageId } : {}) } };
}

/**
 * Sets `state.merges[packageId]`. `unknown-package` for a package the state has no record
 * of, `invalid-event` for a bad status, file list or commit. Returns `state` itself when
 * the record already says the same.
 */
export function recordMerge(state: RunState, packageId: string, update: MergeUpdate, now: Date): RunStateResult {
  if (typeof packageId !== 'string' || !Object.hasOwn(state.packages, packageId)) {
    return {
      ok: false,
      error: { code: 'unknown-package', message: `The run has no package "${String(packageId)}" to merge.`, packageId },
    };
  }
  const at = timestamp(now);
  const files = update?.files ?? [];
  const commit = update?.commit ?? null;
  if (at === undefined) return fieldError(packageId, `Invalid time: ${String(now)}.`);
  if (!MERGE_STATUSES.includes(update?.status)) return fieldError(packageId, `Merge status must be one of ${MERGE_STATUSES.join(', ')}.`);
  if (!Array.isArray(files) || !files.every(isText) || !isOptionalText(commit))
    return fieldError(packageId, 'Merge files must be non-empty strings, and commit a non-empty string or null.');

  const current = Object.hasOwn(state.merges, packageId) ? state.merges[packageId] : undefined;
  if (
    current &&
    current.status === update.status &&
    current.commit === commit &&
    current.files.length === files.length &&
    current.files.every((f, i) => f === files[i])
  )
    return { ok: true, state };
  const merge: MergeRecord = { ...current, status: update.status, files: [...files], commit };
  return { ok: true, state: { ...state, updatedAt: at, merges: { ...state.merges, [packageId]: merge } } };
}

/** Sets (or clears, with null) the integration branch. Returns `state` itself when unchanged. */
export function setIntegration(state: RunState, integration: IntegrationInfo | null, now: Date): RunStateResult {
  const at = timestamp(now);
  if (at === undefined) return fieldError(undefined, `Invalid time: ${String(now)}.`);
  if (integration !== null) {
    const { branch, worktree, baseSha, tipSha } = integration ?? ({} as IntegrationInfo);
    if (![branch, worktree, baseSha, tipSha].every(isText))
      return fieldError(undefined, 'The integration needs a non-empty branch, worktree, baseSha and tipSha.');
  }
  const current = state.integration;
  if (
    current === integration ||
    (current !== null &&
      integration !== null &&
      current.branch === integration.branch &&
      current.worktree === integration.worktree &&
      current.baseSha === integration.baseSha &&
      current.tipSha === integration.tipSha)
  )
    return { ok: true, state };
  const next = integration === null ? null : { ...current, ...integration };
  return { ok: true, state: { ...state, updatedAt: at, integration: next } };
}

/** Records the hash of the plan the run now follows (after a reported plan change). */
export function setPlanHash(state: RunState, planHash: string, now: Date): RunStateResult {
  const at = timestamp(now);
  if (at === undefined) return fieldError(undefined, `Invalid time: ${String(now)}.`);
  if (typeof planHash !== 'string' || !PLAN_HASH.test(planHash))
    return fieldError(undefined, 'planHash must be 64 lower-case hex digits (SHA-256).');
  if (state.planHash === planHash) return { ok: true, state };
  return { ok: true, state: { ...state, updatedAt: at, planHash } };
}

// ---------------------------------------------------------------------------------------
// History

/** The summary of a run kept in the next run's `history`; `archive` is where its state went. */
export function summarizeRun(state: RunState, archive: string): RunHistoryEntry {
  const counts: Partial<Record<PackageStatus, number>> = {};
  for (const record of Object.values(state.packages)) counts[record.status] = (counts[record.status] ?? 0) + 1;
  return {
    runId: state.runId,
    createdAt: state.createdAt,
    endedAt: state.updatedAt,
    planHash: state.planHash,
    counts,
    archive,
  };
}

/** `next` with `previous`'s history and the summary of `previous` (archived at `archive`) after it. */
export function withHistoryOf(next: RunState, previous: RunState, archive: string): RunState {
  return { ...next, history: [...previous.history, summarizeRun(previous, archive), ...next.history] };
}

// ---------------------------------------------------------------------------------------
// Version 1

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

// ---------------------------------------------------------------------------------------
// Invariants the JSON Schema cannot express

/** Problems with cross-field invariants; empty when the state is consistent. */
export function checkRunStateInvariants(state: RunState): string[] {
  const problems: string[] = [];
  // Both name folders and branches (runPaths.ts): a state naming others is not one the engine wrote.
  if (!isSafeName(state.runId)) problems.push(`runId "${state.runId}" cannot name a folder or a branch`);
  for (const [id, record] of Object.entries(state.packages)) {
    if (record.packageId !== id) problems.push(`packages["${id}"].packageId is "${record.packageId}"`);
    if (!isSafeName(id)) problems.push(`package id "${id}" cannot name a folder or a branch`);
  }
  for (const id of Object.keys(state.merges)) {
    if (!Object.hasOwn(state.packages, id)) problems.push(`merges["${id}"] names a package the run does not have`);
  }
  return problems;
}
