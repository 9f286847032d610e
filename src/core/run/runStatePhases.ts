/**
 * A package record's phase marks (the run timeline, docs/contracts.md): what a `ready` package
 * waits for (`markWaiting`), a tree setting up (`markSettingUp`, `settingUpSince`), a commit
 * being merged (`markMerging`), within a status; and `withMark`, `withRecord`, which the
 * event reducer (runStateReducer.ts, which re-exports these) marks status changes with.
 */

import { MAX_PHASES, timestamp, WAIT_REASONS, type PackageRunRecord, type PhaseMark, type RunState, type RunStateResult, type WaitReason } from './runState';
import { candidateOf } from './candidates';
import { fieldError } from './runStateFields';

/** `state` with `record` as its package's, changed at `at`. */
export function withRecord(state: RunState, record: PackageRunRecord, at: string): RunState {
  return { ...state, updatedAt: at, packages: { ...state.packages, [record.packageId]: record } };
}

/** The record's phase marks with `mark` after them, the oldest dropped beyond `MAX_PHASES` (a record of an older build: none before). */
export function withMark(record: Pick<PackageRunRecord, 'phases'>, mark: PhaseMark): PhaseMark[] {
  const marks = Array.isArray(record.phases) ? record.phases : [];
  const next = [...marks, mark];
  return next.length > MAX_PHASES ? next.slice(next.length - MAX_PHASES) : next;
}

const lastMark = (record: Pick<PackageRunRecord, 'phases'>): PhaseMark | undefined => (Array.isArray(record.phases) ? record.phases.at(-1) : undefined);

/**
 * A `ready` package waits for `reason` (a lock, a host, its agent's usage limit), or no longer
 * does (`null`: it waits only for a slot). Marks only a change: the same reason again, or `null`
 * when it was not waiting, returns `state` itself; a package in another status is left as it is.
 */
export function markWaiting(state: RunState, packageId: string, reason: WaitReason | null, now: Date): RunStateResult {
  if (typeof packageId !== 'string' || !Object.hasOwn(state.packages, packageId)) {
    return { ok: false, error: { code: 'unknown-package', message: `The run has no package "${String(packageId)}".`, packageId } };
  }
  if (reason !== null && !WAIT_REASONS.includes(reason)) return fieldError(packageId, `A wait is for one of ${WAIT_REASONS.join(', ')}.`);
  const at = timestamp(now);
  if (at === undefined) return fieldError(packageId, `Invalid time: ${String(now)}.`);
  const record = state.packages[packageId]!;
  if (record.status !== 'ready') return { ok: true, state };
  const last = lastMark(record);
  const waitingFor = last?.phase === 'waiting' ? (last.for ?? null) : null;
  if (waitingFor === reason) return { ok: true, state };
  const mark: PhaseMark = reason === null ? { at, phase: 'ready', attempt: record.attempts } : { at, phase: 'waiting', attempt: record.attempts, for: reason };
  return { ok: true, state: withRecord(state, { ...record, phases: withMark(record, mark) }, at) };
}

/**
 * A `queued` package's new tree runs its set-up command (`candidate`: that candidate's tree, best
 * of n): until it starts, the package shows as setting up, not as queued. Returns `state` itself
 * when already marked, or when the package (or candidate) is in another status.
 */
export function markSettingUp(state: RunState, packageId: string, candidate: number | undefined, now: Date): RunStateResult {
  if (typeof packageId !== 'string' || !Object.hasOwn(state.packages, packageId)) {
    return { ok: false, error: { code: 'unknown-package', message: `The run has no package "${String(packageId)}".`, packageId } };
  }
  const at = timestamp(now);
  if (at === undefined) return fieldError(packageId, `Invalid time: ${String(now)}.`);
  const record = state.packages[packageId]!;
  const marked = <R extends Pick<PackageRunRecord, 'phases' | 'attempts'>>(r: R): R => ({ ...r, phases: withMark(r, { at, phase: 'setting-up', attempt: r.attempts }) });
  if (candidate === undefined) {
    if (record.status !== 'queued' || lastMark(record)?.phase === 'setting-up') return { ok: true, state };
    return { ok: true, state: withRecord(state, marked(record), at) };
  }
  const c = candidateOf(record, candidate);
  if (!c) return { ok: false, error: { code: 'unknown-package', message: `Package "${packageId}" has no candidate ${String(candidate)}.`, packageId } };
  if (c.status !== 'queued' || lastMark(c)?.phase === 'setting-up') return { ok: true, state };
  const candidates = record.candidates!.map((x) => (x === c ? marked(c) : x));
  return { ok: true, state: withRecord(state, { ...record, candidates }, at) };
}

/** Since when a `queued` record's tree runs its set-up command (ISO 8601); null: it does not (not yet, or no longer). */
export function settingUpSince(record: { status: string; phases?: readonly { at: string; phase: string }[] }): string | null {
  if (record.status !== 'queued' || !Array.isArray(record.phases)) return null;
  const last = record.phases.at(-1);
  return last?.phase === 'setting-up' ? last.at : null;
}

/** A `verifying` (or approved `awaiting-review`) package's commit is being merged. Returns `state` itself when already marked or in another status. */
export function markMerging(state: RunState, packageId: string, now: Date): RunStateResult {
  if (typeof packageId !== 'string' || !Object.hasOwn(state.packages, packageId)) {
    return { ok: false, error: { code: 'unknown-package', message: `The run has no package "${String(packageId)}".`, packageId } };
  }
  const at = timestamp(now);
  if (at === undefined) return fieldError(packageId, `Invalid time: ${String(now)}.`);
  const record = state.packages[packageId]!;
  if ((record.status !== 'verifying' && record.status !== 'awaiting-review') || lastMark(record)?.phase === 'merging') return { ok: true, state };
  return { ok: true, state: withRecord(state, { ...record, phases: withMark(record, { at, phase: 'merging', attempt: record.attempts }) }, at) };
}
