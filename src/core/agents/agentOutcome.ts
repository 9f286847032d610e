/**
 * The engine's verdict for one attempt, the part decided before verification and the scope
 * audit (`decideOutcome`): from the agent's exit, its own verdict, the changed files and its
 * result record (docs/run-engine.md, "The engine's verdict for one attempt"). Pure.
 */
import { oneLine, refusedPathText, type AgentVerdict } from './agentLogs';
import { WRITE_SWITCH } from '../walls/toolchains';
import type { ResultRecord } from '../run/resultRecord';

export interface AttemptFacts {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  cancelled: boolean;
  verdict: AgentVerdict | null;
  /** The audit's changed files (committed, uncommitted, untracked); paths or `{path}` records. */
  changedFiles: readonly (string | { path: string })[];
  /** The agent's result record, when it wrote a readable one. */
  resultRecord: Pick<ResultRecord, 'status' | 'notes'> | null;
  /** Why the runner stopped the agent at a limit of its walls (its memory); absent: it did not. */
  overLimit?: string;
  /** Why it ended without an exit code, in the runner's (or the queue's) words: it could not start, no worker did it. */
  ended?: string;
  /** A `{by: agent}` parent's planner (ADR 0035): its work is the sub-plan it wrote, not a change of its tree. */
  planner?: { wrote: boolean };
}

export type AttemptOutcome =
  /** The attempt may go on to verification and the scope audit. */
  | { next: 'verify'; reason: null }
  /** The agent stopped at a usage limit: not a failure, no retry spent; goes on after `resetAt`. */
  | { next: 'usage-limit'; reason: string; resetAt: string | null }
  | { next: 'failed'; reason: string; usageLimit: boolean }
  | { next: 'cancelled'; reason: string };

/**
 * docs/run-engine.md "The engine's verdict for one attempt", the part decided before
 * verification and the audit: exit 0, no signal, not timed out or cancelled, the agent's
 * own verdict ok where it reports one, and something changed (a `done` record alone is not
 * enough: git's change set decides).
 */
export function decideOutcome(f: AttemptFacts): AttemptOutcome {
  const verdict = f.verdict;
  const fail = (reason: string): AttemptOutcome => ({ next: 'failed', reason, usageLimit: verdict?.usageLimit === true });
  if (f.cancelled) return { next: 'cancelled', reason: 'cancelled' };
  // A usage limit first: the CLIs exit non-zero on one, and it is no failure of the package.
  if (verdict?.usageLimit && !f.timedOut) return { next: 'usage-limit', reason: verdict.detail, resetAt: verdict.resetAt ?? null };
  if (f.timedOut) return fail('timed out (the agent was stopped after its timeout)');
  if (f.overLimit) return fail(`the agent was stopped: ${f.overLimit}`);
  if (f.signal) return fail(`the agent was killed by ${f.signal}`);
  if (f.exitCode === null || f.exitCode === undefined) return fail(f.ended || 'the agent ended without an exit code');
  if (f.exitCode !== 0) {
    // A path its walls refused it (its CLI's own error, often a stack trace at its start): said in words, with the setting that gives a folder.
    if (verdict?.refused) return fail(`the agent exited with code ${f.exitCode} — ${refusedPathText(verdict.refused)}: allow a folder with ${WRITE_SWITCH}${verdict.reported && !verdict.ok ? ` (${verdict.detail})` : ''}`);
    // Without a verdict of its own, the agent's last messages say why (e.g. "not running in a trusted directory").
    const said = verdict?.reported && !verdict.ok ? ` — ${verdict.detail}` : verdict?.tail?.length ? ` — it said: ${verdict.tail.join(' | ')}` : '';
    return fail(`the agent exited with code ${f.exitCode}${said}`);
  }
  if (verdict?.reported && !verdict.ok) return fail(`the agent exited 0 but reported a failure: ${verdict.detail}`);
  const status = f.resultRecord?.status;
  const notes = f.resultRecord?.notes ? `: ${oneLine(f.resultRecord.notes, 200)}` : '';
  if (status === 'blocked') return fail(`the agent's result record says it is blocked${notes}`);
  if (status === 'partial') return fail(`the agent's result record says its work is partial${notes}`);
  if (f.planner) return f.planner.wrote ? { next: 'verify', reason: null } : fail(verdict?.question ? `the planner asked a question and wrote no sub-plan: “${verdict.question}”` : 'the planner exited 0 but wrote no sub-plan');
  // What git saw decides, not what the record claims: a "done" with no change is no success.
  const changed = (f.changedFiles ?? []).length > 0;
  // A turn that ends with a question and no work: the question is the news, not "changed no file".
  if (!changed && verdict?.question) return fail(`the agent asked a question and changed nothing: “${verdict.question}”`);
  if (!changed) {
    return fail(
      status === 'done'
        ? 'the agent exited 0 and its result record says "done", but it changed no file'
        : f.resultRecord
          ? 'the agent exited 0 but changed no file and its result record does not say "done"'
          : 'the agent exited 0 but changed no file and wrote no result record',
    );
  }
  return { next: 'verify', reason: null };
}
