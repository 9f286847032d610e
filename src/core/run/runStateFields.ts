/**
 * How a run state's other fields change (docs/contracts.md): `recordMerge` (a package's merge),
 * `setIntegration` (the integration branch), `setPlanHash` (the plan the run follows). The
 * package records change by events only (runStateReducer.ts, which re-exports these). Bad input
 * comes back as a typed error result; the same state object when nothing changes.
 */

import {
  MERGE_STATUSES,
  PLAN_HASH,
  timestamp,
  type IntegrationInfo,
  type MergeRecord,
  type MergeStatus,
  type RunState,
  type RunStateResult,
} from './runState';

/** A non-empty string; or, optionally, absent (undefined or null). The reducer's events use them too. */
export const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
export const isOptionalText = (value: unknown) => value === undefined || value === null || isText(value);

export interface MergeUpdate {
  status: MergeStatus;
  files?: readonly string[];
  commit?: string | null;
}

/** An `invalid-event` error result, naming the package when there is one. */
export function fieldError(packageId: string | undefined, message: string): RunStateResult {
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
      current.tipSha === integration.tipSha &&
      (!('guard' in integration) || current.guard === integration.guard))
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

/** Agents talk back (ADR 0036): the most characters a progress message, a handoff note and a question hold, and the most notes an attempt leaves. */
export const MAX_PROGRESS_CHARS = 200;
export const MAX_HANDOFF_CHARS = 2000;
export const MAX_HANDOFFS = 10;
export const MAX_QUESTION_CHARS = 2000;
/** How long a scope request waits for the person's answer before it is refused (below each CLI's own wait on a tool, Codex's raised to it). */
export const SCOPE_ANSWER_MS = 5 * 60_000;
/** How long the `waves` server waits on the run for one call: a scope request's answer, and a minute more. */
export const TALK_CALL_MS = SCOPE_ANSWER_MS + 60_000;

/** An agent CLI's own id of a session as the engine passes it on (core/agents/agentSessions.ts): a UUID, or Codex's thread id — letters, digits, `-`, `_`; nothing an option could be read from. */
export function isSessionId(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9][A-Za-z0-9_-]{7,127}$/.test(value);
}
