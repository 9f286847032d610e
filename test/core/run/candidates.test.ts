import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkRunStateInvariants, type RunEvent, type RunState, type RunStateResult } from '../../../src/core/run/runState';
import { applyEvent } from '../../../src/core/run/runStateReducer';
import { createRunState } from '../../../src/core/run/runStateInit';
import { validateRunState } from '../../../src/core/run/runStateValidation';
import { candidateKey, candidateOf, candidateOfKey, isGreen, MAX_CANDIDATES } from '../../../src/core/run/candidates';
import { createProgressModel, reduceProgress } from '../../../src/core/present/progressModel';
import { renderLine } from '../../../src/core/present/terminalProgress';

const T0 = new Date('2026-03-01T10:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const SPEND = { inputTokens: 100, outputTokens: 10, cachedTokens: 0, costUsd: 0.5 };

type EventInput = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'packageId'> & { packageId?: string } : never) : never;

/** Applies the events to package `a` (unless one names another); every state on the way is valid. */
function apply(state: RunState, ...events: EventInput[]): RunState {
  return events.reduce((s, e, i) => {
    const r = applyEvent(s, { packageId: 'a', ...e } as RunEvent, at(i + 1));
    if (!r.ok) assert.fail(`${e.type}: ${r.error.code}: ${r.error.message}`);
    const valid = validateRunState(r.state);
    assert.ok(valid.ok, valid.ok ? '' : `${e.type}: ${valid.detail}`);
    return r.state;
  }, state);
}

function refused(state: RunState, event: EventInput): Extract<RunStateResult, { ok: false }>['error'] {
  const r = applyEvent(state, { packageId: 'a', ...event } as RunEvent, at(100));
  assert.ok(!r.ok, `${event.type} should be refused`);
  return r.error;
}

const fresh = () => createRunState({ featureId: 'feat', planFile: 'p.yaml', runId: 'r', packageIds: ['a', 'b'], now: T0 });
const start = (k: number, attempt = 1): EventInput => ({
  type: 'started',
  candidate: k,
  attempt,
  startToken: `tok-${k}`,
  worktree: `/wt/${candidateKey('a', k)}`,
  branch: `waves/feat/${candidateKey('a', k)}`,
  baseSha: 'base1',
  logFile: `/logs/${candidateKey('a', k)}.log`,
  resultFile: `/logs/${candidateKey('a', k)}.json`,
  pid: 100 + k,
});

/** `a` queued with a set of three candidates. */
const queuedSet = () => apply(fresh(), { type: 'ready' }, { type: 'queued' }, { type: 'candidates', agents: ['claude-code', 'codex', 'claude-code'] });

describe('best of n in the run state', () => {
  it('makes a set of queued candidates keyed by the package (candidate 1 is its own)', () => {
    const a = queuedSet().packages.a!;
    assert.equal(a.status, 'queued');
    assert.deepEqual(
      a.candidates!.map((c) => [c.candidate, c.packageId, c.agent, c.status, c.attempts]),
      [
        [1, 'a', 'claude-code', 'queued', 0],
        [2, 'a.c2', 'codex', 'queued', 0],
        [3, 'a.c3', 'claude-code', 'queued', 0],
      ],
    );
    assert.equal(a.chosen, null);
  });

  it('finds a candidate by its number: the set\'s own record, none past the set, none for a package without a set or no package', () => {
    const s = queuedSet();
    assert.equal(candidateOf(s.packages.a, 2), s.packages.a!.candidates![1]);
    assert.equal(candidateOf(s.packages.a, 3)?.packageId, 'a.c3');
    assert.equal(candidateOf(s.packages.a, 4), undefined);
    assert.equal(candidateOf(s.packages.b, 1), undefined);
    assert.equal(candidateOf(undefined, 1), undefined);
  });

  it('runs the set as one attempt of the package: failures of some leave it running; the green one chosen goes on with its fields', () => {
    let s = apply(queuedSet(), start(2));
    let a = s.packages.a!;
    assert.equal(a.status, 'running', 'the first candidate to start runs the package');
    assert.equal(a.attempts, 1, 'a set is one attempt');
    assert.equal(a.startToken, null, 'no runner is the package’s own');
    assert.equal(a.worktree, '/wt/a.c2');
    s = apply(s, start(1), start(3));
    assert.equal(s.packages.a!.attempts, 1);
    assert.deepEqual(s.packages.a!.candidates!.map((c) => c.status), ['running', 'running', 'running']);

    s = apply(
      s,
      { type: 'exited', candidate: 1, exitCode: 1, reason: 'tests failed', spend: SPEND },
      { type: 'exited', candidate: 3, exitCode: 0, spend: SPEND },
      { type: 'scopeViolation', candidate: 3, paths: [{ path: 'other/x.ts', change: 'M' }] },
      { type: 'exited', candidate: 2, exitCode: 0, headSha: 'head2', spend: SPEND },
      { type: 'audited', candidate: 2, headSha: 'head2', changedFiles: [{ path: 'src/a.ts', change: 'M' }] },
      { type: 'verificationResult', candidate: 2, step: 'unit', ok: true },
    );
    a = s.packages.a!;
    assert.equal(a.status, 'running', 'one failed and one out of scope: the package still runs');
    assert.deepEqual(a.candidates!.map((c) => c.status), ['failed', 'verifying', 'scope-violation']);
    assert.equal(a.candidates![0]!.lastError, 'tests failed');
    assert.deepEqual(a.spend, { inputTokens: 300, outputTokens: 30, cachedTokens: 0, costUsd: 1.5 }, 'the package spends what its candidates spend');
    assert.deepEqual(a.candidates!.map(isGreen), [false, true, false]);

    s = apply(s, { type: 'chosen', choice: 2, why: 'the first green' });
    a = s.packages.a!;
    assert.equal(a.status, 'verifying');
    assert.deepEqual(a.chosen, { candidate: 2, why: 'the first green' });
    assert.equal(a.branch, 'waves/feat/a.c2');
    assert.equal(a.headSha, 'head2');
    assert.equal(a.baseSha, 'base1');
    assert.equal(a.resultFile, '/logs/a.c2.json');
    assert.deepEqual(a.changedFiles, [{ path: 'src/a.ts', change: 'M' }]);
    assert.equal(a.verification.length, 1);
    s = apply(s, { type: 'succeeded' });
    assert.equal(s.packages.a!.status, 'succeeded');
    assert.deepEqual(s.packages.a!.candidates!.map((c) => c.status), ['failed', 'succeeded', 'scope-violation'], 'the chosen candidate ends with its package');
    assert.deepEqual(checkRunStateInvariants(s), []);
  });

  it('chooses only a green candidate of a running package', () => {
    let s = apply(queuedSet(), start(1), start(2), start(3));
    assert.equal(refused(s, { type: 'chosen', choice: 1, why: 'x' }).code, 'unverified', 'still running');
    s = apply(
      s,
      { type: 'exited', candidate: 1, exitCode: 0, headSha: 'h1' },
      { type: 'verificationResult', candidate: 1, step: 'unit', ok: false, detail: '1 failed' },
      { type: 'exited', candidate: 2, exitCode: 0, headSha: 'h2' },
      { type: 'verificationResult', candidate: 2, step: 'unit', ok: false },
      { type: 'verificationResult', candidate: 2, step: 'unit', ok: true },
    );
    assert.equal(refused(s, { type: 'chosen', choice: 1, why: 'x' }).code, 'unverified', 'its verification failed');
    assert.equal(refused(s, { type: 'chosen', choice: 4, why: 'x' }).code, 'invalid-event', 'no such candidate');
    assert.equal(refused(s, { type: 'chosen', choice: 2, why: '' }).code, 'invalid-event', 'a reason is said');
    s = apply(s, { type: 'chosen', choice: 2, why: 'its step passed when run again' });
    assert.equal(refused(s, { type: 'chosen', choice: 2, why: 'again' }).code, 'illegal-transition', 'once');
  });

  it('records the judge’s first of green candidates while the package awaits the pick; the pick, a retry or a new set clear it', () => {
    let s = apply(
      queuedSet(),
      start(1),
      start(2),
      start(3),
      { type: 'exited', candidate: 1, exitCode: 0, headSha: 'h1' },
      { type: 'verificationResult', candidate: 1, step: 'unit', ok: true },
      { type: 'exited', candidate: 2, exitCode: 0, headSha: 'h2' },
      { type: 'verificationResult', candidate: 2, step: 'unit', ok: true },
      { type: 'exited', candidate: 3, exitCode: 1, headSha: 'h3' },
    );
    assert.equal(refused(s, { type: 'ranked', choice: 3, why: 'x' }).code, 'unverified', 'a failed one is never ranked first');
    assert.equal(refused(s, { type: 'ranked', choice: 4, why: 'x' }).code, 'invalid-event', 'no such candidate');
    assert.equal(refused(s, { type: 'ranked', choice: 2, why: '' }).code, 'invalid-event', 'a reason is said');
    s = apply(s, { type: 'ranked', choice: 2, why: 'handles the empty list' });
    assert.equal(s.packages.a!.status, 'running', 'still awaiting the pick');
    assert.deepEqual(s.packages.a!.ranked, { candidate: 2, why: 'handles the empty list' });
    assert.equal(s.packages.a!.chosen, null, 'nothing went on');
    const picked = apply(s, { type: 'chosen', choice: 1, why: 'your pick' });
    assert.equal(picked.packages.a!.chosen!.candidate, 1, 'the person may pick another than the judge');
    assert.equal(refused(picked, { type: 'ranked', choice: 2, why: 'late' }).code, 'illegal-transition', 'no ranking once one went on');
    const retried = apply(s, { type: 'cancelled', reason: 'stopped' }, { type: 'reset' });
    assert.equal(retried.packages.a!.ranked, null, 'a retry starts without the last set’s ranking');
    const broken = validateRunState({ ...s, packages: { ...s.packages, a: { ...s.packages.a!, ranked: { candidate: 6, why: 'x' } } } });
    assert.ok(!broken.ok && /ranked names candidate 6/.test(broken.detail));
    assert.match(renderLine({ type: 'ranked', packageId: 'a', choice: 2, why: 'tidy', at: at(5).toISOString() }, T0.getTime()), /a the judge ranks candidate 2 first: tidy; awaiting your pick$/);
  });

  it('keeps each candidate’s branch for the next set after a retry', () => {
    let s = apply(
      queuedSet(),
      start(1),
      start(2),
      { type: 'exited', candidate: 1, exitCode: 1, headSha: 'h1' },
      { type: 'exited', candidate: 2, exitCode: 1, headSha: 'h2' },
      { type: 'failed', reason: 'all candidates failed' },
      { type: 'reset' },
      { type: 'ready' },
      { type: 'queued' },
      { type: 'candidates', agents: ['claude-code', 'codex'] },
    );
    const [c1, c2] = s.packages.a!.candidates!;
    assert.equal(s.packages.a!.candidates!.length, 2);
    assert.deepEqual([c1!.status, c1!.branch, c1!.headSha, c1!.worktree], ['queued', 'waves/feat/a', 'h1', '/wt/a']);
    assert.deepEqual([c2!.status, c2!.branch, c2!.headSha, c2!.startToken, c2!.exitCode], ['queued', 'waves/feat/a.c2', 'h2', null, null]);
    s = apply(s, start(2, 2));
    assert.equal(s.packages.a!.attempts, 2, 'the second set is the second attempt');
  });

  it('says what is wrong with a candidate event, where', () => {
    const s = queuedSet();
    const none = refused(apply(fresh(), { type: 'ready' }, { type: 'queued' }), start(2));
    assert.equal(none.code, 'unknown-package');
    assert.match(none.message, /Package "a" has no candidate 2/);
    assert.equal(refused(s, start(9)).code, 'unknown-package');
    assert.equal(refused(s, { ...start(2), candidate: 1.5 } as EventInput).code, 'unknown-package');
    const packageOnly = refused(s, { type: 'ready', candidate: 2 } as EventInput);
    assert.equal(packageOnly.code, 'invalid-event');
    assert.match(packageOnly.message, /a package's event, not a candidate's/);
    const wrongAttempt = refused(s, start(2, 3));
    assert.equal(wrongAttempt.code, 'attempt-mismatch');
    assert.match(wrongAttempt.message, /^Candidate 2 of package "a", "started": attempt 3 cannot start/);
    const early = refused(s, { type: 'exited', candidate: 2, exitCode: 0 });
    assert.match(early.message, /^Candidate 2 of package "a" is queued; "exited" would move it to verifying/);
  });

  it('refuses a set outside queued, of fewer than 2 or more than 8, or with an empty agent', () => {
    const queued = apply(fresh(), { type: 'ready' }, { type: 'queued' });
    assert.equal(refused(queued, { type: 'candidates', agents: ['codex'] }).code, 'invalid-event');
    assert.equal(refused(queued, { type: 'candidates', agents: Array(MAX_CANDIDATES + 1).fill('codex') }).code, 'invalid-event');
    assert.equal(refused(queued, { type: 'candidates', agents: ['codex', ''] }).code, 'invalid-event');
    assert.equal(refused(apply(queuedSet(), start(1)), { type: 'candidates', agents: ['codex', 'codex'] }).code, 'illegal-transition');
    assert.equal(refused(fresh(), { type: 'candidates', agents: ['codex', 'codex'] }).code, 'illegal-transition');
  });

  it('leaves the state of a package without candidates as it was', () => {
    const s = apply(fresh(), { type: 'ready' }, { type: 'queued' }, { type: 'started', attempt: 1, startToken: 't', worktree: '/wt/a', logFile: '/l' }, { type: 'exited', exitCode: 0 });
    assert.ok(!('candidates' in s.packages.a!) && !('chosen' in s.packages.a!));
  });

  it('finds a state whose candidates do not add up', () => {
    const s = apply(queuedSet(), start(1));
    const a = s.packages.a!;
    const broken = (candidates: typeof a.candidates, chosen: typeof a.chosen = null): string[] => {
      const v = validateRunState({ ...s, packages: { ...s.packages, a: { ...a, candidates, chosen } } });
      return v.ok ? [] : [v.detail];
    };
    assert.deepEqual(broken(a.candidates), []);
    assert.match(broken([a.candidates![0]!, { ...a.candidates![1]!, packageId: 'b' }]).join(), /candidates\[1\]\.packageId is "b", not "a.c2"/);
    assert.match(broken([a.candidates![0]!, { ...a.candidates![1]!, candidate: 1, packageId: 'a' }]).join(), /candidate 1 is listed twice/);
    assert.match(broken(a.candidates, { candidate: 5, why: 'x' }).join(), /chosen names candidate 5/);
    const file = JSON.parse(JSON.stringify(s)) as RunState;
    (file.packages.a!.candidates![1] as unknown as Record<string, unknown>).candidates = [];
    assert.ok(!validateRunState(file).ok, 'a candidate has no candidates of its own');
  });

  it('keys a candidate so that the key names it back (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,20}$/), fc.integer({ min: 1, max: MAX_CANDIDATES }), (id, k) => {
        const key = candidateKey(id, k);
        assert.deepEqual(candidateOfKey(key), k === 1 ? null : { packageId: id, candidate: k });
        if (k === 1) assert.equal(key, id);
      }),
    );
    assert.equal(candidateOfKey('a.c9'), null);
    assert.equal(candidateOfKey('a.c1'), null, 'candidate 1 is keyed by the package itself');
  });

  it('shows a candidate’s event as a line of its package, never as the package’s status', () => {
    const event = { type: 'failed', packageId: 'a', candidate: 2, reason: 'boom', at: at(5).toISOString() } as const;
    assert.match(renderLine(event, T0.getTime()), / a \(candidate 2\) failed: boom$/);
    const model = reduceProgress(reduceProgress(createProgressModel([{ id: 'a', wave: 1 }]), { type: 'started', packageId: 'a', attempt: 1, startToken: 't', worktree: '/w', logFile: '/l', at: at(1).toISOString() }), event);
    assert.equal(model.rows[0]!.status, 'running');
    assert.equal(model.rows[0]!.detail, 'candidate 2: failed: boom');
    const chosen = reduceProgress(model, { type: 'chosen', packageId: 'a', choice: 3, why: 'the first green', at: at(6).toISOString() });
    assert.equal(chosen.rows[0]!.status, 'verifying');
    assert.equal(chosen.rows[0]!.detail, 'candidate 3 goes on: the first green');
  });
});
