/**
 * How an attempt's runner ended, judged from its exit record alone (`judgeExit`), and how an
 * attempt was interrupted (`interruptionOf`). One judge for every attempt: a package's (the run
 * engine's exit.ts) and a planning round's (planner.ts), both supervised by
 * engine/attempt/supervise.ts. What the attempt then did (its changes, its result record, the
 * audit) is judged after a clean end, by `decideOutcome` (agentOutcome.ts). Pure.
 */
import type { AgentVerdict } from './agentLogs';
import { decideOutcome } from './agentOutcome';

/** An exit record (the runner's exit.json) as far as judging it goes. */
export interface ExitFacts {
  code: number | null;
  signal: string | null;
  /** The runner's words for the end ('' when it said none). */
  reason: string;
  timedOut: boolean;
  /** Stopped by its cancel (the runner's `cancel` file). */
  cancelled: boolean;
  verdict: AgentVerdict | null;
  /** The runner stopped the agent at a limit of its walls (its memory): `reason` names it. */
  overLimit: boolean;
}

export type ExitJudgement =
  /** Stopped on request: its runner's cancel, or a stop the supervisor was asked for. */
  | { end: 'cancelled'; reason: string }
  /**
   * Ended by itself with exit 0, no signal, within its time: what it did is judged next.
   * `saidFailed`: the agent's own verdict reported a failure (its detail), else null.
   */
  | { end: 'clean'; saidFailed: string | null }
  /** Stopped at its agent's usage limit: no failure of its work; it goes on after `resetAt`. */
  | { end: 'usage-limit'; reason: string; resetAt: string | null }
  /** It failed (`timedOut`: at its time limit), with the reason for a person. */
  | { end: 'failed'; reason: string; timedOut: boolean };

/**
 * The exit record's judgement. `stopAsked`: the attempt was asked to stop (a cancel the runner
 * may not have seen before its agent ended by itself): it counts as cancelled.
 */
export function judgeExit(exit: ExitFacts, stopAsked = false): ExitJudgement {
  if (exit.cancelled || stopAsked) return { end: 'cancelled', reason: exit.reason || 'cancelled' };
  if (exit.code === 0 && !exit.signal && !exit.timedOut) {
    const verdict = exit.verdict;
    return { end: 'clean', saidFailed: verdict?.reported && !verdict.ok ? verdict.detail : null };
  }
  const outcome = decideOutcome({
    exitCode: exit.code,
    signal: exit.signal,
    timedOut: exit.timedOut,
    cancelled: false,
    verdict: exit.verdict,
    changedFiles: [],
    resultRecord: null,
    ...(exit.overLimit ? { overLimit: exit.reason } : {}),
    ...(exit.code === null && exit.reason ? { ended: exit.reason } : {}),
  });
  if (outcome.next === 'usage-limit') return { end: 'usage-limit', reason: outcome.reason, resetAt: outcome.resetAt };
  // Not cancelled and not clean, the outcome is a failure; the runner's words stand for any other.
  return { end: 'failed', reason: outcome.next === 'failed' ? outcome.reason : exit.reason || 'the agent failed', timedOut: exit.timedOut };
}

/** How an attempt ended, as its supervisor saw it: its exit record (`E`: as the engine reads it) judged, or its runner gone without one. */
export type AttemptEnd<E extends ExitFacts = ExitFacts> =
  | { exit: E; judgement: ExitJudgement; stopAsked: boolean }
  | { exit: null; lost: string; stopAsked: boolean };

/** How an attempt was stopped before its agent ended by itself: asked to, at its time limit, or its runner gone. */
export type Interruption = 'cancelled' | 'timed-out' | 'runner-lost';

/** The attempt's interruption, or null when its agent ended by itself (well or not). A stop asked for names any end `cancelled`. */
export function interruptionOf(end: AttemptEnd): Interruption | null {
  if (end.stopAsked) return 'cancelled';
  if (!end.exit) return 'runner-lost';
  if (end.judgement.end === 'cancelled') return 'cancelled';
  return end.judgement.end === 'failed' && end.judgement.timedOut ? 'timed-out' : null;
}
