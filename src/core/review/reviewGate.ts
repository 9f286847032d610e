/**
 * The person's decisions on a package's work: Approve (a package awaiting review is
 * merged) and Request Changes (its open comments go to its agent as a follow-up attempt). What
 * a decision is, read from any JSON without throwing, and whether the run's state lets it be
 * carried out — the one answer for the front door (`submitReview`) and the engine that picks
 * the decision up, so the editor, `waves review` and a live driver refuse with the same words.
 */
import type { PackageStatus, ReviewComment, RunState } from '../run/runState';
import { awaitingPick, candidateOf, isGreen, MAX_CANDIDATES } from '../run/candidates';

export type ReviewDecision =
  | { packageId: string; kind: 'approve' }
  /** `from`: the comments were written on the package's own changes (`branch`, default) or on the integrated result (`integration`). */
  | { packageId: string; kind: 'changes'; comments: ReviewComment[]; from?: 'branch' | 'integration' }
  /** Best of n, `pick: person`: the candidate of the package's set that goes on. */
  | { packageId: string; kind: 'pick'; candidate: number };

/**
 * The review gate a run drives with: what the start asked for; else, for a run taken up again
 * (a resume, an adoption after a reload), the gate it was started with — a person who asked for
 * reviews keeps them until they say `off`; else off.
 */
export function gateOfRun(asked: 'off' | 'before-merge' | undefined, state: Pick<RunState, 'reviewGate'>, takenUp: boolean): 'off' | 'before-merge' {
  return asked ?? (takenUp ? (state.reviewGate ?? 'off') : 'off');
}

/** Most comments one request carries (a prompt stays readable). */
export const MAX_REVIEW_COMMENTS = 200;
/** Most characters of one comment's words or excerpt kept. */
export const MAX_COMMENT_CHARS = 20_000;

const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isLine = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** A decision read from JSON (a request file, a front end's message); the problem in words when it is not one. */
export function readDecision(raw: unknown): { ok: true; decision: ReviewDecision } | { ok: false; problem: string } {
  const o = raw as Record<string, unknown> | null;
  if (!o || typeof o !== 'object' || Array.isArray(o)) return { ok: false, problem: 'a review decision is a JSON object' };
  if (!isText(o.packageId)) return { ok: false, problem: 'a review decision names its package (packageId)' };
  if (o.kind === 'approve') return { ok: true, decision: { packageId: o.packageId, kind: 'approve' } };
  if (o.kind === 'pick') {
    const k = o.candidate;
    if (!Number.isSafeInteger(k) || (k as number) < 1 || (k as number) > MAX_CANDIDATES) return { ok: false, problem: `a pick names a candidate, 1 to ${MAX_CANDIDATES}` };
    return { ok: true, decision: { packageId: o.packageId, kind: 'pick', candidate: k as number } };
  }
  if (o.kind !== 'changes') return { ok: false, problem: 'a review decision is approve, changes or pick' };
  if (o.from !== undefined && o.from !== 'branch' && o.from !== 'integration') return { ok: false, problem: 'from is branch or integration' };
  if (!Array.isArray(o.comments) || o.comments.length === 0) return { ok: false, problem: 'a change request carries at least one comment' };
  if (o.comments.length > MAX_REVIEW_COMMENTS) return { ok: false, problem: `a change request carries at most ${MAX_REVIEW_COMMENTS} comments (it has ${o.comments.length})` };
  const comments: ReviewComment[] = [];
  for (const [i, c] of (o.comments as Record<string, unknown>[]).entries()) {
    const n = `comment ${i + 1}`;
    if (!c || typeof c !== 'object') return { ok: false, problem: `${n} is not an object` };
    if (!isText(c.file)) return { ok: false, problem: `${n} names no file` };
    if (!isLine(c.startLine) || !isLine(c.endLine) || c.endLine < c.startLine || (c.startLine === 0) !== (c.endLine === 0))
      return { ok: false, problem: `${n} (${c.file}): lines are 1-based with startLine ≤ endLine, or both 0 for the whole file` };
    if (!isText(c.body) || !c.body.trim()) return { ok: false, problem: `${n} (${c.file}) has no words` };
    comments.push({
      file: c.file,
      startLine: c.startLine,
      endLine: c.endLine,
      excerpt: typeof c.excerpt === 'string' ? c.excerpt.slice(0, MAX_COMMENT_CHARS) : '',
      body: c.body.slice(0, MAX_COMMENT_CHARS),
      ...(isText(c.threadId) ? { threadId: c.threadId } : {}),
    });
  }
  return { ok: true, decision: { packageId: o.packageId, kind: 'changes', comments, ...(o.from ? { from: o.from as 'branch' | 'integration' } : {}) } };
}

const UNDER_WAY: readonly PackageStatus[] = ['queued', 'running', 'verifying'];

/**
 * Why `decision` cannot be carried out on `state` (one sentence), or null when it can: Approve
 * only for a package awaiting review; changes for one whose attempt succeeded (merged, or
 * awaiting review) — never while an attempt is under way, nor for one that has not succeeded.
 */
export function decisionRefusal(state: RunState, decision: ReviewDecision): string | null {
  const id = decision.packageId;
  const record = Object.hasOwn(state.packages, id) ? state.packages[id] : undefined;
  if (!record) return `the run of ${state.featureId} has no package ${id}`;
  const s = record.status;
  if (decision.kind === 'pick') {
    const c = candidateOf(record, decision.candidate);
    if (!c) return `${id} has no candidate ${decision.candidate}`;
    if (record.chosen) return `candidate ${record.chosen.candidate} of ${id} went on already`;
    if (c.status !== 'verifying' || !isGreen(c)) return `candidate ${c.candidate} of ${id} is ${c.status}, not audited and verified green: only a green candidate can be picked`;
    if (!awaitingPick(record)) return `${id} is not awaiting your pick: its candidates are still at work`;
    return null;
  }
  if (decision.kind === 'approve') {
    if (s === 'awaiting-review') return null;
    if (s === 'succeeded') return `${id} is already merged: nothing to approve`;
    return `${id} is ${s}, not awaiting review: only a package awaiting review can be approved`;
  }
  if (UNDER_WAY.includes(s)) return `${id} is ${s === 'queued' ? 'about to run' : s}: comment once its attempt has ended`;
  if (decision.from === 'integration' && s !== 'succeeded') return `${id} is ${s}: comments on the integrated result go to a package that is merged`;
  if (s === 'awaiting-review' || s === 'succeeded') return null;
  if ((s === 'pending' || s === 'ready') && record.followUp) return `${id} was already sent changes to make: its next attempt carries them; comment again once it has ended`;
  if (s === 'pending' || s === 'ready' || s === 'blocked') return `${id} has not finished an attempt yet (${s}): comment once it has`;
  return `${id} is ${s}: changes can be requested of a package whose attempt succeeded — retry it instead`;
}
