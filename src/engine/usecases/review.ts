/**
 * The person's review decision on a package — Approve at the review gate, or Request
 * Changes with comments — from either front end (the editor's comments, `waves review`): checked
 * against the run's state on disk (the same words a live driver would use), then queued for the
 * engine that drives the run. When none does, the front end starts a resume to carry it out.
 */
import * as os from 'node:os';
import { refreshAnchors, type ReviewThread } from '../../core/review/review';
import { decisionRefusal, readDecision, type ReviewDecision } from '../../core/review/reviewGate';
import type { RunState } from '../../core/run/runState';
import type { ReviewStore } from '../../store/reviewStore';
import { fileAtCommit, liveDriver, queueReviewRequest, readRun } from '../run';

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

/**
 * The threads of a feature's review as both front ends show them: the store's, those sent
 * brought onto their package's newest commit (`refreshAnchors`) and written back; with the
 * read's problems for the person. Without a run state, or when the file must not be written, as read.
 */
export async function currentThreads(store: ReviewStore, state: RunState | undefined): Promise<{ threads: ReviewThread[]; problems: string[] }> {
  const read = await store.read();
  if (!state || read.readOnly) return { threads: read.file.threads, problems: read.problems };
  const headOf = (id: string) => {
    const r = state.packages[id];
    return r?.headSha ? { commit: r.headSha, attempt: r.attempts } : null;
  };
  const moved = await refreshAnchors(read.file.threads, headOf, async (commit, file) => (await fileAtCommit(store.repo, commit, file)) || null);
  if (!moved.changed) return { threads: moved.threads, problems: read.problems };
  const written = await store.update((ts) => ts.map((t) => moved.threads.find((m) => m.id === t.id) ?? t));
  return { threads: written.file.threads, problems: read.problems };
}

/** The name a comment is signed with: this machine's user, or "you". */
export function commentAuthor(): string {
  try {
    return os.userInfo().username || 'you';
  } catch {
    // no user entry for this uid (a container's): signed "you"
    return 'you';
  }
}
