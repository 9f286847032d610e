/**
 * The person's review decision on a package (#33) — Approve at the review gate, or Request
 * Changes with comments — from either front end (the editor's comments, `waves review`): checked
 * against the run's state on disk (the same words a live driver would use), then queued for the
 * engine that drives the run. When none does, the front end starts a resume to carry it out.
 */
import { decisionRefusal, readDecision, type ReviewDecision } from '../../core/run/reviewGate';
import { liveDriver, queueReviewRequest, readRun } from '../run';

export type SubmitResult =
  /** The run's live driver picks it up. */
  | { ok: true; delivered: 'driver' }
  /** Queued; no engine drives the run: the front end starts a resume (`startRun` with `resume: true`) to carry it out. */
  | { ok: true; delivered: 'state'; resume: true }
  | { ok: false; reason: string };

/** Checks `decision` against the run of `featureId` and queues it for its driver; never throws for bad input. */
export async function submitReview(repoRoot: string, featureId: string, decision: ReviewDecision): Promise<SubmitResult> {
  const read = readDecision(decision);
  if (!read.ok) return { ok: false, reason: read.problem };
  const run = readRun(repoRoot, featureId);
  if (run.kind === 'none') return { ok: false, reason: `${featureId} has no run: run the plan first` };
  if (run.kind === 'bad') return { ok: false, reason: `the run state of ${featureId} cannot be read (${run.detail})` };
  if (run.newer) return { ok: false, reason: `the run of ${featureId} was written by a newer version of Wave Orchestrator` };
  const refusal = decisionRefusal(run.state, read.decision);
  if (refusal) return { ok: false, reason: refusal };
  try {
    await queueReviewRequest(repoRoot, featureId, read.decision);
  } catch (err) {
    return { ok: false, reason: `the review could not be queued: ${err instanceof Error ? err.message : String(err)}` };
  }
  return liveDriver(repoRoot, featureId) ? { ok: true, delivered: 'driver' } : { ok: true, delivered: 'state', resume: true };
}
