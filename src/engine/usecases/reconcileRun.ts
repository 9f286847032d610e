/**
 * A run after its driver went away (a reloaded window, a killed `waves run`), for a front end:
 * what a run found on disk needs — foreign (not started on this machine: it came with the
 * repository or from another computer; offered, never driven), followed (a live lease: someone else drives it), adopted
 * (runners still alive by pid + token, or exits written while nobody watched), offered to
 * resume (work left), waiting on the person's review or pick, or nothing (finished) — decided from the lease, `meta.json`,
 * `exit.json` and the process table, changing nothing; and, on the person's Retry / Resume,
 * putting packages back to pending under the run's lease before an engine resumes it.
 */
import path from 'node:path';
import { awaitingPick } from '../../core/run/candidates';
import { leaseFile } from '../../core/run/runPaths';
import { applyEvent } from '../../core/run/runStateReducer';
import { isActive, type PackageStatus, type RunState } from '../../core/run/runState';
import { checkEngineFolder } from '../../store/engineFolder';
import { RunStore } from '../../store/runStore';
import { liveDriver, Lease, hasRun } from '../run';
import { LocalExecutor, type Executor } from '../attempt';
import { foreignReason } from '../consent';

/** A runner found alive. */
export interface LiveRunner {
  packageId: string;
  attempt: number;
  pid: number;
}

/** What a run needs after a restart. */
export type Reconciliation =
  | { kind: 'finished' }
  /** Not this machine's and this person's (it came with the repository, from another computer, or another user's or home's here): shown and offered, never driven. */
  | { kind: 'foreign'; left: string[]; reason: string }
  | { kind: 'followed'; holder: string }
  | { kind: 'adopt'; live: LiveRunner[]; exited: string[] }
  | { kind: 'offer'; left: string[] }
  /** Nothing left to run but the person's review: Approve or Request Changes takes it on; nothing is offered. */
  | { kind: 'awaiting-review'; waiting: string[] }
  /** Nothing left to run but the person's pick of a best-of-n package's candidates: the pick takes it on; no Resume is offered. */
  | { kind: 'awaiting-pick'; waiting: string[] };

/**
 * Decides what a run found on disk needs (reads the lease, and through the executor each
 * attempt's exit and whether its runner lives; changes nothing). The executor is the seam's
 * (ADR 0006): the attempts of a run may live where the engine's disk is not.
 */
export async function reconcileRun(
  repo: string,
  state: RunState,
  executor: Pick<Executor, 'attempt' | 'readExit' | 'liveness'> = new LocalExecutor({ repoRoot: repo, featureId: state.featureId }),
  now = Date.now(),
): Promise<Reconciliation> {
  const records = Object.values(state.packages);
  const foreign = foreignReason(state);
  if (foreign) {
    const left = records.filter((r) => isActive(r.status) || r.status === 'interrupted' || r.status === 'pending' || r.status === 'ready').map((r) => r.packageId);
    return left.length ? { kind: 'foreign', left, reason: foreign } : { kind: 'finished' };
  }
  const holder = liveDriver(repo, state.featureId, now);
  if (holder) return { kind: 'followed', holder };
  const live: LiveRunner[] = [];
  const exited: string[] = [];
  // A package awaiting the person's pick runs nothing: its candidates ended green.
  const picks = records.filter(awaitingPick).map((r) => r.packageId);
  for (const r of records) {
    if ((r.status !== 'running' && r.status !== 'verifying') || !r.startToken || picks.includes(r.packageId)) continue;
    const place = executor.attempt(state.runId, r.packageId, r.attempts);
    // The agent ended while nobody watched: its exit is processed, nothing runs again.
    if ((await executor.readExit(place))?.startToken === r.startToken) {
      exited.push(r.packageId);
      continue;
    }
    if (r.status !== 'running') continue;
    const { pid, alive } = await executor.liveness(place, r.startToken, r.pid ?? null);
    if (pid && alive) live.push({ packageId: r.packageId, attempt: r.attempts, pid });
  }
  if (live.length || exited.length) return { kind: 'adopt', live, exited };
  const left = records.filter((r) => (isActive(r.status) && !picks.includes(r.packageId)) || r.status === 'interrupted').map((r) => r.packageId);
  if (left.length) return { kind: 'offer', left };
  if (picks.length) return { kind: 'awaiting-pick', waiting: picks };
  const waiting = records.filter((r) => r.status === 'awaiting-review').map((r) => r.packageId);
  return waiting.length ? { kind: 'awaiting-review', waiting } : { kind: 'finished' };
}

/**
 * Puts the packages in `statuses` (of `only`, when given) back to pending, under the run's
 * lease, before an engine resumes the run: Retry Failed and Resume are the person's choice,
 * the engine never retries past a package's budget by itself. Throws `LeaseHeldError` when
 * another process drives the run. Returns the packages put back.
 */
export async function resetPackages(repoRoot: string, featureId: string, statuses: readonly PackageStatus[], only?: readonly string[]): Promise<string[]> {
  if (!hasRun(repoRoot, featureId)) return []; // never run: nothing to put back
  checkEngineFolder(repoRoot, path.dirname(leaseFile(repoRoot, featureId)));
  const lease = Lease.claim(leaseFile(repoRoot, featureId));
  const store = new RunStore({
    workspaceRoot: repoRoot,
    featureId,
    createInitial: () => {
      throw new Error(`${featureId} has no run to go on with`);
    },
    coalesceMs: 0,
  });
  try {
    let state = (await store.load()).state;
    const reset: string[] = [];
    for (const record of Object.values(state.packages)) {
      if (!statuses.includes(record.status) || (only && !only.includes(record.packageId))) continue;
      const result = applyEvent(state, { type: 'reset', packageId: record.packageId }, new Date());
      if (result.ok) {
        state = result.state;
        reset.push(record.packageId);
      }
    }
    if (reset.length) {
      store.save(state);
      await store.flush();
    }
    return reset;
  } finally {
    store.dispose();
    lease.release();
  }
}
