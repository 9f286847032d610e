// Best of n in the DAG panel's host (src/dag/candidates.ts): each candidate's state on the live
// status and in the details, Pick enabled only while the package awaits the pick and only on a
// green candidate, and the panel's candidate requests refused — unknown package or candidate,
// not green, not awaiting — with the front door's own words.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RunEvent, RunState } from '../../../src/core/run/runState';
import { applyEvent, markSettingUp } from '../../../src/core/run/runStateReducer';
import { createRunState } from '../../../src/core/run/runStateInit';
import { candidateKey } from '../../../src/core/run/candidates';
import { decisionRefusal } from '../../../src/core/review/reviewGate';
import { candidateDetails, candidateRefusal, liveStatusOf, sameLiveStatus } from '../../../src/dag/candidates';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const SPEND = { inputTokens: 1000, outputTokens: 100, cachedTokens: 0, costUsd: 0.25 };

type EventInput = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'packageId'> & { packageId?: string } : never) : never;

function apply(state: RunState, ...events: EventInput[]): RunState {
  return events.reduce((s, e, i) => {
    const r = applyEvent(s, { packageId: 'a', ...e } as RunEvent, new Date(T0 + (i + 1) * 1000));
    if (!r.ok) assert.fail(`${e.type}: ${r.error.code}: ${r.error.message}`);
    return r.state;
  }, state);
}

const start = (k: number): EventInput => {
  const key = candidateKey('a', k);
  return { type: 'started', candidate: k, attempt: 1, startToken: `tok-${k}`, pid: 100 + k, baseSha: 'base1', worktree: `/wt/${key}`, branch: `waves/feat/${key}`, logFile: `/logs/${key}.log`, resultFile: `/logs/${key}.json` };
};

/** `a`: three candidates started; 1 and 2 green, 3 failed unless `third` says otherwise. */
function set(third: 'failed' | 'running' = 'failed'): RunState {
  const s = apply(
    createRunState({ featureId: 'feat', planFile: 'p.yaml', runId: 'r', packageIds: ['a', 'b'], now: new Date(T0) }),
    { type: 'ready' },
    { type: 'queued' },
    { type: 'candidates', agents: ['claude-code', 'codex', 'claude-code'] },
    start(1),
    start(2),
    start(3),
    { type: 'exited', candidate: 1, exitCode: 0, headSha: 'h1', spend: SPEND },
    { type: 'audited', candidate: 1, headSha: 'h1', changedFiles: [{ path: 'a/x.ts', change: 'M' }] },
    { type: 'verificationResult', candidate: 1, step: 'unit', ok: true },
    { type: 'exited', candidate: 2, exitCode: 0, headSha: 'h2' },
    { type: 'audited', candidate: 2, headSha: 'h2', changedFiles: [{ path: 'a/x.ts', change: 'M' }, { path: 'a/y.ts', change: 'A' }] },
    { type: 'verificationResult', candidate: 2, step: 'unit', ok: true },
  );
  return third === 'failed' ? apply(s, { type: 'exited', candidate: 3, exitCode: 1, reason: 'tests failed' }) : s;
}

describe('a package setting up its worktree in the DAG panel (host)', () => {
  it('its live status says since when, and the change is a delta; a package not setting up carries nothing of it', () => {
    const queued = apply(createRunState({ featureId: 'feat', planFile: 'p.yaml', runId: 'r', packageIds: ['a'], now: new Date(T0) }), { type: 'ready' }, { type: 'queued' });
    const before = liveStatusOf(queued.packages.a!);
    assert.equal('settingUpSince' in before, false);
    const marked = markSettingUp(queued, 'a', undefined, new Date(T0 + 5000));
    assert.ok(marked.ok);
    const live = liveStatusOf(marked.state.packages.a!);
    assert.equal(live.settingUpSince, new Date(T0 + 5000).toISOString());
    assert.equal(live.status, 'queued');
    assert.equal(sameLiveStatus(before, live), false);
    assert.equal(sameLiveStatus(live, liveStatusOf(structuredClone(marked.state.packages.a!))), true);
  });
});

describe("an agent's progress in the DAG panel (host; ADR 0036)", () => {
  it('its live status carries what its agent said while it runs, each change a delta; ended, nothing of it', () => {
    const running = apply(
      createRunState({ featureId: 'feat', planFile: 'p.yaml', runId: 'r', packageIds: ['a'], now: new Date(T0) }),
      { type: 'ready' },
      { type: 'queued' },
      { type: 'started', attempt: 1, startToken: 't', worktree: '/w', logFile: '/l' },
    );
    const quiet = liveStatusOf(running.packages.a!);
    assert.equal('progress' in quiet, false);
    const said = apply(running, { type: 'progress', fraction: 0.4, message: 'writing the tests' });
    const live = liveStatusOf(said.packages.a!);
    assert.deepEqual(live.progress, { fraction: 0.4, message: 'writing the tests' });
    assert.equal(sameLiveStatus(quiet, live), false);
    const further = liveStatusOf(apply(said, { type: 'progress', fraction: 0.4, message: 'running them' }).packages.a!);
    assert.equal(sameLiveStatus(live, further), false, 'new words are a delta too');
    assert.equal('progress' in liveStatusOf(apply(said, { type: 'exited', exitCode: 0 }).packages.a!), false);
  });
});

describe('best of n in the DAG panel (host)', () => {
  it("says each candidate's state on the live status, and whether the package awaits the pick; a candidate's change is a delta", () => {
    const working = set('running');
    assert.deepEqual(liveStatusOf(working.packages.a!).candidates, ['green', 'green', 'running']);
    assert.equal(liveStatusOf(working.packages.a!).awaitingPick, false);
    const waiting = set();
    const live = liveStatusOf(waiting.packages.a!);
    assert.deepEqual(live.candidates, ['green', 'green', 'failed']);
    assert.equal(live.awaitingPick, true);
    // The package's own status did not move (running), its candidates did: a delta is sent.
    assert.equal(live.status, liveStatusOf(working.packages.a!).status);
    assert.equal(sameLiveStatus(liveStatusOf(working.packages.a!), live), false);
    assert.equal(sameLiveStatus(live, liveStatusOf(waiting.packages.a!)), true);
    // A package without a set: the live status is the record's, nothing added.
    assert.deepEqual(Object.keys(liveStatusOf(waiting.packages.b!)).sort(), ['attempts', 'endedAt', 'exitCode', 'host', 'id', 'startedAt', 'status']);
    const chosen = apply(waiting, { type: 'chosen', choice: 2, why: 'your pick' });
    assert.deepEqual(liveStatusOf(chosen.packages.a!).candidates, ['green', 'chosen', 'failed']);
  });

  it('lists the candidates in the details: agent, state, time, spend, files; Pick only on a green one while the package awaits the pick', () => {
    const state = set();
    const d = candidateDetails(state, 'a');
    assert.equal(d.awaitingPick, true);
    assert.equal(d.chosenWhy, null);
    assert.deepEqual(
      d.candidates!.map((c) => [c.candidate, c.agent, c.state, c.status, c.changedFiles, c.actions.pick.enabled]),
      [
        [1, 'claude-code', 'green', 'verifying', 1, true],
        [2, 'codex', 'green', 'verifying', 2, true],
        [3, 'claude-code', 'failed', 'failed', 0, false],
      ],
    );
    assert.match(d.candidates![0]!.spend ?? '', /1,100 tokens .*\$0\.25/);
    assert.equal(typeof d.candidates![0]!.durationMs, 'number');
    assert.equal(d.candidates![2]!.lastError, 'tests failed');
    // Its reason is the front door's own words.
    assert.equal(d.candidates![2]!.actions.pick.reason, decisionRefusal(state, { packageId: 'a', kind: 'pick', candidate: 3 }));
    assert.match(d.candidates![2]!.actions.pick.reason!, /only a green candidate can be picked/);
    assert.ok(d.candidates!.every((c) => c.actions.showChanges.enabled));
    // While a candidate still works, none can be picked yet.
    const working = candidateDetails(set('running'), 'a');
    assert.equal(working.awaitingPick, false);
    assert.match(working.candidates![0]!.actions.pick.reason!, /not awaiting your pick/);
    // Once one went on: it is said chosen, with why; nothing more can be picked.
    const picked = candidateDetails(apply(state, { type: 'chosen', choice: 2, why: 'your pick' }), 'a');
    assert.equal(picked.chosenWhy, 'your pick');
    assert.equal(picked.candidates![1]!.state, 'chosen');
    assert.ok(picked.candidates!.every((c) => !c.actions.pick.enabled));
    // No set: nothing is added to the details.
    assert.deepEqual(candidateDetails(state, 'b'), {});
    assert.deepEqual(candidateDetails(state, 'nope'), {});
  });

  it("refuses the panel's candidate requests it cannot carry out, with a code, and never throws", () => {
    const state = set();
    assert.equal(candidateRefusal(state, 'a', 2, 'pick'), null);
    assert.equal(candidateRefusal(state, 'a', 3, 'showChanges'), null);
    assert.deepEqual(candidateRefusal(state, 'a', 5, 'pick'), { message: 'a has no candidate 5', code: 'unknown-candidate' });
    assert.equal(candidateRefusal(state, 'b', 1, 'pick')?.code, 'unknown-candidate');
    assert.equal(candidateRefusal(state, 'ghost', 1, 'showChanges')?.code, 'unknown-candidate');
    assert.equal(candidateRefusal(state, '__proto__', 1, 'pick')?.code, 'unknown-candidate');
    assert.equal(candidateRefusal(undefined, 'a', 1, 'pick')?.code, 'unknown-candidate');
    const failed = candidateRefusal(state, 'a', 3, 'pick');
    assert.deepEqual(failed, { message: decisionRefusal(state, { packageId: 'a', kind: 'pick', candidate: 3 })!, code: 'cannot-act' });
    assert.match(candidateRefusal(set('running'), 'a', 1, 'pick')!.message, /a is not awaiting your pick/);
    assert.match(candidateRefusal(apply(state, { type: 'chosen', choice: 1, why: 'your pick' }), 'a', 2, 'pick')!.message, /candidate 1 of a went on already/);
  });
});
