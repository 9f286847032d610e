/**
 * Follow-ups (review comments, a broken integration check): the decision a front end
 * sends (read from any JSON, refused with the words both front ends show), the run-state event
 * that carries it (a revision spends no retry), and the prompt section the agent reads.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { analyzePlan } from '../../../src/core/plan/analyze';
import { buildPrompt, commentId, followUpLines } from '../../../src/core/run/prompt';
import { decisionRefusal, gateOfRun, readDecision, MAX_REVIEW_COMMENTS } from '../../../src/core/review/reviewGate';
import { retriesSpent, type FollowUp, type PackageStatus, type RunEvent, type RunState } from '../../../src/core/run/runState';
import { createRunState, setReviewGate } from '../../../src/core/run/runStateInit';
import { applyEvent } from '../../../src/core/run/runStateReducer';
import { validateRunState } from '../../../src/core/run/runStateValidation';
import { buildTimeline } from '../../../src/core/present/timeline';

const root = path.resolve(__dirname, '..', '..', '..');
const demo = analyzePlan(fs.readFileSync(path.join(root, 'examples', 'demo', 'work-packages.yaml'), 'utf8'));
const T = (s: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, s));

const comment = { file: 'src/a.ts', startLine: 2, endLine: 3, excerpt: 'let a = 1;\nlet b = 2;', body: 'Use const.' };
const review: FollowUp = { kind: 'review', at: '2026-01-01T12:00:00.000Z', from: 'branch', commit: 'abc123', comments: [comment] };
const integration: FollowUp = {
  kind: 'integration',
  at: '2026-01-01T12:00:00.000Z',
  check: 'npm test',
  output: 'TypeError: api.fetchUser is not a function',
  tip: '0123456789abcdef0123',
  met: [{ packageId: 'wp-a', files: ['src/a/api.ts'] }, { packageId: 'wp-c', files: [] }],
};

/** A run of one package `a` moved along `events` (each must be accepted). */
function stateAfter(...events: Record<string, unknown>[]): RunState {
  let state = createRunState({ featureId: 'f', planFile: 'work-packages.yaml', planHash: 'a'.repeat(64), runId: 'r1', packageIds: ['a'], now: T(0) });
  events.forEach((e, i) => {
    const r = applyEvent(state, { packageId: 'a', ...e } as never, T(i + 1));
    assert.ok(r.ok, `${String(e.type)}: ${r.ok ? '' : r.error.message}`);
    state = r.state;
  });
  return state;
}
const START = (attempt: number) => ({ type: 'started', attempt, startToken: `t${attempt}`, worktree: '/wt/a', logFile: '/l', baseSha: 'b' });
const TO_VERIFYING = [{ type: 'ready' }, { type: 'queued' }, START(1), { type: 'exited', exitCode: 0 }];

describe('the followUp event', () => {
  it('sends a succeeded package back to pending with the comments, counting a revision that spends no retry', () => {
    const s = stateAfter(...TO_VERIFYING, { type: 'succeeded' }, { type: 'followUp', followUp: review });
    const a = s.packages.a!;
    assert.equal(a.status, 'pending');
    assert.deepEqual(a.followUp, review);
    assert.equal(a.revisions, 1);
    assert.deepEqual(a.followUps, [{ kind: 'review', at: T(6).toISOString(), attempt: 2 }]);
    assert.equal(retriesSpent(a), 0, 'one attempt, one revision');
    assert.ok(validateRunState(s).ok);
    // Its next attempt succeeds: the follow-up was addressed.
    const after = stateAfter(...TO_VERIFYING, { type: 'succeeded' }, { type: 'followUp', followUp: review }, { type: 'ready' }, { type: 'queued' }, START(2), { type: 'exited', exitCode: 0 }, { type: 'succeeded' });
    assert.equal(after.packages.a!.followUp, null);
    assert.equal(after.packages.a!.revisions, 1, 'counted for good');
    assert.equal(retriesSpent(after.packages.a!), 1);
  });

  it('an integration follow-up spends a retry as any attempt does', () => {
    const s = stateAfter(...TO_VERIFYING, { type: 'succeeded' }, { type: 'followUp', followUp: integration });
    assert.equal(s.packages.a!.revisions ?? 0, 0);
    assert.equal(s.packages.a!.followUps?.[0]?.kind, 'integration');
    assert.ok(validateRunState(s).ok);
  });

  it('goes from awaiting-review too, never from running, failed or pending', () => {
    assert.equal(stateAfter(...TO_VERIFYING, { type: 'awaitingReview' }, { type: 'followUp', followUp: review }).packages.a!.status, 'pending');
    for (const [name, events] of [
      ['running', [{ type: 'ready' }, { type: 'queued' }, START(1)]],
      ['failed', [{ type: 'ready' }, { type: 'queued' }, START(1), { type: 'exited', exitCode: 1 }]],
      ['pending', []],
    ] as const) {
      const r = applyEvent(stateAfter(...events), { type: 'followUp', packageId: 'a', followUp: review }, T(30));
      assert.ok(!r.ok && r.error.code === 'illegal-transition', name);
    }
  });

  it('refuses a malformed payload with the reason', () => {
    const s = stateAfter(...TO_VERIFYING, { type: 'succeeded' });
    const bad: [unknown, RegExp][] = [
      [{ ...review, comments: [] }, /at least one comment/],
      [{ ...review, comments: [{ ...comment, endLine: 1 }] }, /startLine ≤ endLine/],
      [{ ...review, comments: [{ ...comment, body: '' }] }, /non-empty words/],
      [{ ...review, from: 'elsewhere' }, /branch or integration/],
      [{ ...integration, tip: '' }, /check, output and tip/],
      [{ ...review, kind: 'other' }, /review or integration/],
      [{ ...review, at: 'yesterday' }, /ISO 8601/],
    ];
    for (const [followUp, message] of bad) {
      const r = applyEvent(s, { type: 'followUp', packageId: 'a', followUp: followUp as FollowUp }, T(30));
      assert.ok(!r.ok && r.error.code === 'invalid-event', String(message));
      assert.match(r.error.message, message);
    }
  });
});

describe('review decisions', () => {
  const at = (status: PackageStatus, extra: Record<string, unknown>[] = []) => {
    const paths: Record<string, Record<string, unknown>[]> = {
      pending: [],
      running: [{ type: 'ready' }, { type: 'queued' }, START(1)],
      verifying: TO_VERIFYING,
      'awaiting-review': [...TO_VERIFYING, { type: 'awaitingReview' }],
      succeeded: [...TO_VERIFYING, { type: 'succeeded' }],
      failed: [{ type: 'ready' }, { type: 'queued' }, START(1), { type: 'exited', exitCode: 1 }],
    };
    return stateAfter(...paths[status]!, ...extra);
  };
  const changes = { packageId: 'a', kind: 'changes' as const, comments: [comment] };

  it('reads decisions from any JSON, with the problem in words', () => {
    assert.deepEqual(readDecision({ packageId: 'a', kind: 'approve', extra: 1 }), { ok: true, decision: { packageId: 'a', kind: 'approve' } });
    const read = readDecision({ ...changes, comments: [{ ...comment, threadId: 't9', excerpt: 5 }] });
    assert.ok(read.ok);
    assert.deepEqual(read.decision, { packageId: 'a', kind: 'changes', comments: [{ ...comment, excerpt: '', threadId: 't9' }] });
    for (const [raw, problem] of [
      [null, /JSON object/],
      [[], /JSON object/],
      [{ kind: 'approve' }, /names its package/],
      [{ packageId: 'a', kind: 'merge' }, /approve, changes or pick/],
      [{ packageId: 'a', kind: 'pick' }, /a pick names a candidate, 1 to 8/],
      [{ packageId: 'a', kind: 'pick', candidate: 9 }, /a pick names a candidate, 1 to 8/],
      [{ ...changes, comments: [] }, /at least one comment/],
      [{ ...changes, comments: [{ ...comment, startLine: 0 }] }, /both 0 for the whole file/],
      [{ ...changes, comments: [{ ...comment, body: '   ' }] }, /has no words/],
      [{ ...changes, comments: [{ ...comment, file: '' }] }, /names no file/],
      [{ ...changes, from: 'x' }, /branch or integration/],
      [{ ...changes, comments: Array.from({ length: MAX_REVIEW_COMMENTS + 1 }, () => comment) }, /at most 200/],
    ] as const) {
      const r = readDecision(raw);
      assert.ok(!r.ok, JSON.stringify(raw)?.slice(0, 80));
      assert.match(r.problem, problem);
    }
  });

  it('a pick (best of n, pick: person): read, and refused unless the package awaits its pick and the candidate is green', () => {
    assert.deepEqual(readDecision({ packageId: 'a', kind: 'pick', candidate: 2 }), { ok: true, decision: { packageId: 'a', kind: 'pick', candidate: 2 } });
    let s = at('pending', [{ type: 'ready' }, { type: 'queued' }]);
    const ev = (e: Record<string, unknown>) => {
      const r = applyEvent(s, { packageId: 'a', ...e } as RunEvent, new Date('2026-01-01T12:00:00.000Z'));
      assert.ok(r.ok, JSON.stringify(r));
      s = r.state;
    };
    ev({ type: 'candidates', agents: ['claude-code', 'codex', 'codex'] });
    for (const k of [1, 2, 3]) ev({ type: 'started', candidate: k, attempt: 1, startToken: `t${k}`, worktree: `/w${k}`, logFile: `/l${k}` });
    const pick = (k: number) => decisionRefusal(s, { packageId: 'a', kind: 'pick', candidate: k });
    ev({ type: 'exited', candidate: 1, exitCode: 0, headSha: 'h1' });
    ev({ type: 'audited', candidate: 1, headSha: 'h1', changedFiles: [] });
    assert.equal(pick(1), 'a is not awaiting your pick: its candidates are still at work');
    ev({ type: 'exited', candidate: 2, exitCode: 3 });
    ev({ type: 'exited', candidate: 3, exitCode: 0, headSha: 'h3' });
    ev({ type: 'audited', candidate: 3, headSha: 'h3', changedFiles: [] });
    assert.equal(pick(1), null);
    assert.equal(pick(3), null);
    assert.equal(pick(2), 'candidate 2 of a is failed, not audited and verified green: only a green candidate can be picked');
    assert.equal(pick(5), 'a has no candidate 5');
    ev({ type: 'chosen', choice: 3, why: 'your pick' });
    assert.equal(pick(1), 'candidate 3 of a went on already');
  });

  it('says why a decision cannot be carried out, else null', () => {
    assert.equal(decisionRefusal(at('awaiting-review'), { packageId: 'a', kind: 'approve' }), null);
    assert.equal(decisionRefusal(at('awaiting-review'), changes), null);
    assert.equal(decisionRefusal(at('succeeded'), changes), null);
    assert.equal(decisionRefusal(at('succeeded'), { ...changes, from: 'integration' }), null);
    assert.equal(decisionRefusal(at('succeeded'), { packageId: 'a', kind: 'approve' }), 'a is already merged: nothing to approve');
    assert.equal(decisionRefusal(at('running'), changes), 'a is running: comment once its attempt has ended');
    assert.equal(decisionRefusal(at('verifying'), changes), 'a is verifying: comment once its attempt has ended');
    assert.equal(decisionRefusal(at('awaiting-review'), { ...changes, from: 'integration' }), 'a is awaiting-review: comments on the integrated result go to a package that is merged');
    assert.match(decisionRefusal(at('failed'), changes)!, /^a is failed: .*retry it instead$/);
    assert.match(decisionRefusal(at('pending'), changes)!, /has not finished an attempt yet/);
    assert.match(decisionRefusal(at('succeeded', [{ type: 'followUp', followUp: review }]), changes)!, /already sent changes to make/);
    assert.equal(decisionRefusal(at('pending'), { ...changes, packageId: 'zz' }), 'the run of f has no package zz');
  });
});

describe('the follow-up in the prompt', () => {
  const base = {
    analysis: demo,
    packageId: 'wp-api',
    featureId: 'user-profiles',
    runId: 'r1',
    repoRoot: '/r',
    worktree: '/r.worktrees/wp-api',
    resultFile: '/r/result.json',
    upstream: [],
  };

  it('quotes each comment with its id, file, lines, excerpt and words, inside the task', () => {
    const p = buildPrompt({ ...base, followUp: { ...review, comments: [{ ...comment, threadId: 'th-1' }, { file: 'README.md', startLine: 0, endLine: 0, excerpt: '', body: 'Say ``why``.' }] } });
    const task = p.slice(p.indexOf('## Task'), p.indexOf('## Upstream contracts'));
    assert.match(task, /### Changes requested in review\n/);
    assert.match(task, /go on from them/);
    assert.match(task, /#### `th-1`: `src\/a\.ts`, lines 2–3\n\nThe code it was written on \(as it was reviewed\):\n\n```text\nlet a = 1;\nlet b = 2;\n```\n\nThe comment \(quoted\):\n\n```text\nUse const\.\n```/);
    assert.match(task, /#### `c2`: `README\.md`, the whole file\n\nThe comment \(quoted\):\n\n```text\nSay ``why``\.\n```/);
    assert.match(task, /"addressed": \["c1"\]/);
    assert.equal(buildPrompt({ ...base, followUp: null }).includes('Changes requested'), false);
  });

  it('says an integration review comes from the integrated result', () => {
    assert.match(followUpLines({ ...review, from: 'integration' }).join('\n'), /reviewed the integrated result/);
  });

  it('gives the broken check, its output and what the others changed', () => {
    const text = followUpLines(integration).join('\n');
    assert.match(text, /^### The integration check your merge broke\n/);
    assert.match(text, /`npm test` failed on the integration branch/);
    assert.match(text, /`0123456789ab`/);
    assert.match(text, /```text\nTypeError: api\.fetchUser is not a function\n```/);
    assert.match(text, /- `wp-a`: `src\/a\/api\.ts`/);
    assert.doesNotMatch(text, /wp-c/, 'a package that changed nothing is not listed');
  });

  it('names a comment by its thread only when that is a plain id', () => {
    assert.equal(commentId({ threadId: 'ok-1' }, 0), 'ok-1');
    assert.equal(commentId({ threadId: 'no spaces' }, 4), 'c5');
    assert.equal(commentId({}, 1), 'c2');
  });
});

describe('awaiting review on the timeline', () => {
  it('is a wait for the person that holds no slot', () => {
    const s = stateAfter(...TO_VERIFYING, { type: 'awaitingReview' });
    const t = buildTimeline({ packages: [{ id: 'a', wave: 1, dependsOn: [], phases: s.packages.a!.phases }], cap: 1, now: T(20).getTime(), live: true });
    const last = t.rows[0]!.bars.at(-1)!.segments.at(-1)!;
    assert.equal(last.kind, 'waiting');
    assert.equal(last.for, 'person');
    assert.equal(last.slot, false);
  });
});

describe('the review gate a run keeps (#33)', () => {
  const fresh = () => createRunState({ featureId: 'f', planFile: 'p.yaml', planHash: 'a'.repeat(64), runId: 'r1', packageIds: ['a'], now: T(0) });

  it('is what the start asks for; else, for a run taken up again, the gate it was started with; else off', () => {
    const gated = setReviewGate(fresh(), 'before-merge', T(1));
    assert.equal(gateOfRun('before-merge', fresh(), false), 'before-merge');
    assert.equal(gateOfRun('off', gated, true), 'off', 'said off: off, whatever the run had');
    assert.equal(gateOfRun(undefined, gated, true), 'before-merge', 'taken up without saying: kept');
    assert.equal(gateOfRun(undefined, gated, false), 'off', 'a new run starts without the old one\'s gate');
    assert.equal(gateOfRun(undefined, fresh(), true), 'off');
  });

  it('is recorded only when on, valid for the run state schema, and unchanged state is the same object', () => {
    const state = fresh();
    assert.equal(setReviewGate(state, 'off', T(1)), state, 'nothing to change: the same state');
    const gated = setReviewGate(state, 'before-merge', T(1));
    assert.equal(gated.reviewGate, 'before-merge');
    assert.equal(gated.updatedAt, T(1).toISOString());
    assert.equal(setReviewGate(gated, 'before-merge', T(2)), gated);
    assert.deepEqual(validateRunState(gated), { ok: true, state: gated });
    const off = setReviewGate(gated, 'off', T(2));
    assert.equal('reviewGate' in off, false, 'off: the key is gone, as in a run that never had it');
    assert.equal(validateRunState({ ...gated, reviewGate: 'after-merge' }).ok, false, 'another value is refused by the schema');
  });
});
