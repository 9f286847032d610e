/**
 * One judge of an attempt's exit record (core/agents/exitJudgement.ts), for a package's attempt
 * and a planning round alike: cancelled (by its runner, or a stop asked of it), clean (with the
 * agent's own failure said), at a usage limit, or failed (its time limit told apart); and how
 * an attempt was interrupted, its runner gone without a record included.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { AgentVerdict } from '../../../src/core/agents/agentLogs';
import { interruptionOf, judgeExit, type AttemptEnd, type ExitFacts } from '../../../src/core/agents/exitJudgement';

const exit = (over: Partial<ExitFacts> = {}): ExitFacts => ({ code: 0, signal: null, reason: 'the agent exited with code 0', timedOut: false, cancelled: false, verdict: null, overLimit: false, ...over });
const verdict = (over: Partial<AgentVerdict> = {}): AgentVerdict => ({ reported: true, ok: true, detail: 'done', usageLimit: false, ...over });

describe('judgeExit: the exit record of any attempt', () => {
  it('exit 0 by itself is clean; its own verdict of failure is said beside it, a success or no verdict is not', () => {
    assert.deepEqual(judgeExit(exit()), { end: 'clean', saidFailed: null });
    assert.deepEqual(judgeExit(exit({ verdict: verdict() })), { end: 'clean', saidFailed: null });
    assert.deepEqual(judgeExit(exit({ verdict: verdict({ reported: false, ok: false, detail: 'no result line' }) })), { end: 'clean', saidFailed: null });
    assert.deepEqual(judgeExit(exit({ verdict: verdict({ ok: false, detail: 'tests fail' }) })), { end: 'clean', saidFailed: 'tests fail' });
  });

  it("cancelled by its runner, or asked to stop though its agent ended by itself: the runner's words, else 'cancelled'", () => {
    assert.deepEqual(judgeExit(exit({ cancelled: true, code: null, signal: 'SIGTERM', reason: 'cancelled; the agent was ended by SIGTERM' })), { end: 'cancelled', reason: 'cancelled; the agent was ended by SIGTERM' });
    assert.deepEqual(judgeExit(exit(), true), { end: 'cancelled', reason: 'the agent exited with code 0' });
    assert.deepEqual(judgeExit(exit({ code: 3, reason: '' }), true), { end: 'cancelled', reason: 'cancelled' });
  });

  it('a non-zero exit fails with what the agent said; a signal, a missing code and a memory limit are each named', () => {
    const failed = judgeExit(exit({ code: 3, reason: 'the agent exited with code 3', verdict: verdict({ reported: false, ok: false, detail: '', tail: ['not running in a trusted directory'] }) }));
    assert.deepEqual(failed, { end: 'failed', reason: 'the agent exited with code 3 — it said: not running in a trusted directory', timedOut: false });
    assert.deepEqual(judgeExit(exit({ code: null, signal: 'SIGKILL' })), { end: 'failed', reason: 'the agent was killed by SIGKILL', timedOut: false });
    assert.deepEqual(judgeExit(exit({ code: 0, signal: 'SIGTERM' })), { end: 'failed', reason: 'the agent was killed by SIGTERM', timedOut: false });
    assert.deepEqual(judgeExit(exit({ code: null, signal: 'SIGKILL', overLimit: true, reason: 'its memory passed 4096 MiB' })), { end: 'failed', reason: 'the agent was stopped: its memory passed 4096 MiB', timedOut: false });
  });

  it('its time limit is a failure told apart, even when its agent also hit a usage limit', () => {
    const limited = verdict({ ok: false, usageLimit: true, detail: 'usage limit', resetAt: '2030-01-01T00:00:00.000Z' });
    assert.deepEqual(judgeExit(exit({ code: null, signal: 'SIGTERM', timedOut: true, reason: 'timed out after 1 min', verdict: limited })), { end: 'failed', reason: 'timed out (the agent was stopped after its timeout)', timedOut: true });
    assert.deepEqual(judgeExit(exit({ code: 1, verdict: limited })), { end: 'usage-limit', reason: 'usage limit', resetAt: '2030-01-01T00:00:00.000Z' });
  });
});

describe('interruptionOf: how an attempt was stopped before its agent ended by itself', () => {
  const judged = (facts: ExitFacts, stopAsked = false): AttemptEnd => ({ exit: facts, judgement: judgeExit(facts), stopAsked });

  it('an agent that ended by itself, well or not, was not interrupted', () => {
    assert.equal(interruptionOf(judged(exit())), null);
    assert.equal(interruptionOf(judged(exit({ code: 3 }))), null);
    assert.equal(interruptionOf(judged(exit({ code: 1, verdict: verdict({ ok: false, usageLimit: true, detail: 'limit' }) }))), null);
  });

  it('cancelled by its runner or asked to stop; timed out; its runner gone without a record (cancelled when a stop was asked)', () => {
    assert.equal(interruptionOf(judged(exit({ cancelled: true, code: null, signal: 'SIGTERM' }))), 'cancelled');
    assert.equal(interruptionOf(judged(exit(), true)), 'cancelled');
    assert.equal(interruptionOf(judged(exit({ timedOut: true, code: null, signal: 'SIGTERM' }))), 'timed-out');
    assert.equal(interruptionOf(judged(exit({ timedOut: true, code: null, signal: 'SIGTERM' }), true)), 'cancelled');
    assert.equal(interruptionOf({ exit: null, lost: 'the runner ended without an exit record', stopAsked: false }), 'runner-lost');
    assert.equal(interruptionOf({ exit: null, lost: 'the runner ended without an exit record', stopAsked: true }), 'cancelled');
  });
});
