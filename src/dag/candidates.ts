/**
 * Best of n in the DAG panel (ADR 0031): a package's candidates as the panel shows them — each
 * one's state on the live status (so a candidate's change reaches the webview), and in the
 * details pane with its agent, time, spend and its Pick and Show Changes, enabled by the same
 * answer the front door gives (`decisionRefusal`). No `vscode`: tested in plain Node.
 */
import { packageFacts } from '../core/present/packageFacts';
import { decisionRefusal } from '../core/review/reviewGate';
import { awaitingPick, candidateOf, isGreen } from '../core/run/candidates';
import type { CandidateRunRecord, PackageRunRecord, RunState } from '../core/run/runState';
import { settingUpSince } from '../core/run/runStateReducer';
import { formatSpend } from '../core/run/spend';
import { toLiveStatus, type CandidateDetails, type CandidateState, type PackageLiveStatus, type PackageRunDetails } from '../protocol';

/** A candidate's state in words the panel shows (`CandidateState`). */
export function candidateState(record: PackageRunRecord, c: CandidateRunRecord): CandidateState {
  if (record.chosen?.candidate === c.candidate) return 'chosen';
  switch (c.status) {
    case 'verifying':
      return isGreen(c) ? 'green' : 'verifying';
    case 'running':
      return 'running';
    case 'failed':
    case 'scope-violation':
      return 'failed';
    case 'cancelled':
    case 'interrupted':
    case 'usage-limit':
    case 'succeeded': // a candidate that succeeded and was not chosen cannot be; said as ended
      return 'stopped';
    default:
      return 'queued';
  }
}

/** The live status of a package's record for the panel: `toLiveStatus`, with its candidates' states when it has a set. */
export function liveStatusOf(record: PackageRunRecord): PackageLiveStatus {
  const since = settingUpSince(record);
  const base = since ? { ...toLiveStatus(record), settingUpSince: since } : toLiveStatus(record);
  // Its agent's progress while it runs (ADR 0036).
  const live = record.status === 'running' && record.progress ? { ...base, progress: { fraction: record.progress.fraction, message: record.progress.message } } : base;
  const set = record.candidates;
  if (!set?.length) return live;
  return { ...live, candidates: set.map((c) => candidateState(record, c)), awaitingPick: awaitingPick(record) };
}

/** Whether two live statuses show the same (a delta is sent when not). */
export function sameLiveStatus(a: PackageLiveStatus | undefined, b: PackageLiveStatus): boolean {
  return (
    !!a &&
    a.status === b.status &&
    a.attempts === b.attempts &&
    a.startedAt === b.startedAt &&
    a.endedAt === b.endedAt &&
    a.exitCode === b.exitCode &&
    a.host === b.host &&
    (a.candidates ?? []).join() === (b.candidates ?? []).join() &&
    !!a.awaitingPick === !!b.awaitingPick &&
    a.settingUpSince === b.settingUpSince &&
    a.progress?.fraction === b.progress?.fraction &&
    a.progress?.message === b.progress?.message
  );
}

/** The details pane's part of a package's candidates (absent without a set): each one, why the chosen one was, whether it awaits the pick. */
export function candidateDetails(state: RunState, packageId: string): Pick<PackageRunDetails, 'candidates' | 'chosenWhy' | 'awaitingPick'> {
  const record = Object.hasOwn(state.packages, packageId) ? state.packages[packageId] : undefined;
  if (!record?.candidates?.length) return {};
  const facts = packageFacts(state, packageId);
  const candidates = record.candidates.map((c): CandidateDetails => {
    const f = facts.candidates.find((x) => x.candidate === c.candidate);
    const refusal = decisionRefusal(state, { packageId, kind: 'pick', candidate: c.candidate });
    return {
      candidate: c.candidate,
      agent: c.agent,
      state: candidateState(record, c),
      status: c.status,
      branch: c.branch ?? null,
      durationMs: f?.durationMs ?? null,
      spend: c.spend ? formatSpend(c.spend) : null,
      changedFiles: (c.changedFiles ?? []).length,
      lastError: c.lastError,
      ranked: f?.ranked ?? null,
      actions: {
        pick: refusal ? { enabled: false, reason: refusal } : { enabled: true },
        showChanges: c.baseSha ? { enabled: true } : { enabled: false, reason: `candidate ${c.candidate} has not started: no changes to show` },
      },
    };
  });
  return { candidates, chosenWhy: record.chosen?.why ?? null, awaitingPick: awaitingPick(record) };
}

/**
 * Why a candidate action from the panel cannot be done (with a stable code), or null: the run
 * must have the package's candidate; a pick is refused with the front door's own words.
 */
export function candidateRefusal(state: RunState | undefined, packageId: string, candidate: number, action: 'pick' | 'showChanges'): { message: string; code: string } | null {
  const record = state && Object.hasOwn(state.packages, packageId) ? state.packages[packageId] : undefined;
  if (!state || !record) return { message: `${packageId} has not run: it has no candidates`, code: 'unknown-candidate' };
  const c = candidateOf(record, candidate);
  if (!c) return { message: `${packageId} has no candidate ${candidate}`, code: 'unknown-candidate' };
  if (action === 'showChanges') return c.baseSha ? null : { message: `candidate ${candidate} of ${packageId} has not started: no changes to show`, code: 'cannot-act' };
  const refusal = decisionRefusal(state, { packageId, kind: 'pick', candidate });
  return refusal ? { message: refusal, code: 'cannot-act' } : null;
}
