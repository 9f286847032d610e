/**
 * Making a run state: a fresh run (`createRunState`, every package `pending`), the packages
 * its plan gained (`ensurePackages`), the machine that drives it (`setMachine`), its cap
 * (`setMaxParallel`), and the runs
 * of the feature before it as its history (`withHistoryOf`, `summarizeRun`). Pure: callers
 * pass `now`; an invalid `now` or plan hash throws (a programming error). Never mutates its
 * input; a state that does not change comes back as the very same object.
 */

import { PLAN_HASH, requireTimestamp, type PackageRunRecord, type PackageStatus, type RunHistoryEntry, type RunState } from './runState';

// ---------------------------------------------------------------------------------------
// Creating states

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

/** The fields of a record that belong to one attempt: what an attempt's outcome writes, cleared when the next starts. */
export type AttemptOutcome = Pick<
  PackageRunRecord,
  'startedAt' | 'endedAt' | 'exitCode' | 'signal' | 'pid' | 'startToken' | 'needsInput' | 'verification' | 'changedFiles' | 'scopeViolations' | 'blockedBy' | 'lastError'
>;

/**
 * The attempt's fields as a fresh record has them, and as `started` and `reset` leave them
 * (runStateReducer.ts `clearOutcome`): the one list of what is reset between attempts.
 */
export function clearedOutcome(): AttemptOutcome {
  return {
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
  };
}

export function createPackageRecord(packageId: string): PackageRunRecord {
  return {
    packageId,
    status: 'pending',
    attempts: 0,
    ...clearedOutcome(),
    worktree: null,
    branch: null,
    baseSha: null,
    headSha: null,
    logFile: null,
    resultFile: null,
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

/** The state stamped with the machine and the person that drive it now (unchanged when it already says so). */
export function setMachine(state: RunState, driver: { machine: string; person: string }, now: Date): RunState {
  if (state.machine === driver.machine && state.person === driver.person) return state;
  return { ...state, machine: driver.machine, person: driver.person, updatedAt: requireTimestamp(now) };
}

/** The run's agents with walls or without: `unconfined` recorded only when the person chose it. */
export function setUnconfined(state: RunState, unconfined: boolean, now: Date, containerWall = false): RunState {
  const wall = unconfined && containerWall;
  if ((state.unconfined === true) === unconfined && (state.containerWall === true) === wall) return state;
  const { unconfined: _was, containerWall: _wall, ...rest } = state;
  return { ...rest, ...(unconfined ? { unconfined: true as const } : {}), ...(wall ? { containerWall: true as const } : {}), updatedAt: requireTimestamp(now) };
}

/** The review gate the run keeps: `reviewGate` recorded only when it is on. */
export function setReviewGate(state: RunState, gate: 'off' | 'before-merge', now: Date): RunState {
  if ((state.reviewGate === 'before-merge') === (gate === 'before-merge')) return state;
  const { reviewGate: _was, ...rest } = state;
  return { ...rest, ...(gate === 'before-merge' ? { reviewGate: gate } : {}), updatedAt: requireTimestamp(now) };
}

/** The run's cap (`maxParallel`), for its timeline; unchanged when it already says so, or `cap` is not a positive integer. */
export function setMaxParallel(state: RunState, cap: number, now: Date): RunState {
  if (state.maxParallel === cap || !(Number.isSafeInteger(cap) && cap >= 1)) return state;
  return { ...state, maxParallel: cap, updatedAt: requireTimestamp(now) };
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
