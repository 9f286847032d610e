/**
 * A package's facts from one place (core/present/packageFacts.ts): read from a run state made
 * through the real reducer (a revision, a refusal, a host, an integration follow-up and blame),
 * the words `waves status` and `waves review` show of them, and the report's per-package part,
 * which reads the same facts.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { candidateLines, elapsedMs, followUpText, packageFacts, pickWaitLine, reviewHeadline, statusPackageLines, type StatusPackage } from '../../../src/core/present/packageFacts';
import { buildRunReport } from '../../../src/core/present/runReport';
import { applyEvent, markSettingUp, recordMerge } from '../../../src/core/run/runStateReducer';
import { createRunState } from '../../../src/core/run/runStateInit';
import type { RunEvent, RunState } from '../../../src/core/run/runState';
import { validateRunState } from '../../../src/core/run/runStateValidation';

const T = (s: number) => new Date(Date.parse('2026-01-01T10:00:00.000Z') + s * 1000);

function apply(state: RunState, events: RunEvent[], at: number): RunState {
  for (const e of events) {
    const r = applyEvent(state, e, T(at));
    assert.ok(r.ok, `${e.type} ${e.packageId}: ${JSON.stringify(r)}`);
    state = r.state;
  }
  return state;
}

const attempt = (id: string, n: number, host: string | null = null): RunEvent[] => [
  { type: 'ready', packageId: id },
  { type: 'queued', packageId: id, host },
  { type: 'started', packageId: id, attempt: n, startToken: `tok-${id}-${n}`, worktree: `/trees/${id}`, branch: `waves/f/${id}`, baseSha: 'b'.repeat(40), logFile: `/runs/${id}/${n}/agent.log`, resultFile: `/runs/${id}/${n}/result.json`, host },
];

/** a: on host h1, a refusal, two attempts (the second a review revision), merged. b: a broken integration check, pending its follow-up. c: blocked. */
function runState(): RunState {
  let s = createRunState({ featureId: 'f', planFile: 'work-packages.yaml', runId: 'r1', packageIds: ['a', 'b', 'c'], now: T(0) });
  s = apply(s, attempt('a', 1, 'h1'), 1);
  s = apply(s, [{ type: 'exited', packageId: 'a', exitCode: 0, headSha: 'a'.repeat(40), spend: { inputTokens: 10, outputTokens: 5, cachedTokens: 0, costUsd: 0.01 } }], 30);
  s = apply(s, [{ type: 'audited', packageId: 'a', changedFiles: [{ path: 'a/x.ts', change: 'A' }] }, { type: 'succeeded', packageId: 'a' }], 31);
  const review = { kind: 'review' as const, at: T(40).toISOString(), from: 'branch' as const, commit: 'a'.repeat(40), comments: [{ file: 'a/x.ts', startLine: 1, endLine: 1, excerpt: 'x', body: 'rename it' }, { file: 'a/x.ts', startLine: 0, endLine: 0, excerpt: '', body: 'and say why' }] };
  s = apply(s, [{ type: 'followUp', packageId: 'a', followUp: review }], 40);
  s = apply(s, attempt('a', 2, 'h1'), 41);
  s = apply(s, [{ type: 'scopeGranted', packageId: 'a', paths: ['docs/a.md', 'docs/b/**'], reason: 'its pages' }], 42);
  s = apply(s, [{ type: 'exited', packageId: 'a', exitCode: 0, headSha: 'c'.repeat(40), refused: ['example.com:443', 'registry.npmjs.org:443'], refusedRegistries: ['registry.npmjs.org:443'] }, { type: 'succeeded', packageId: 'a' }], 60);
  const merged = recordMerge(s, 'a', { status: 'merged', files: ['a/x.ts'], commit: 'd'.repeat(40) }, T(61));
  assert.ok(merged.ok);
  s = merged.state;
  s = apply(s, attempt('b', 1), 62);
  s = apply(s, [{ type: 'exited', packageId: 'b', exitCode: 0, headSha: 'e'.repeat(40) }, { type: 'succeeded', packageId: 'b' }], 70);
  const check = { kind: 'integration' as const, at: T(80).toISOString(), check: 'npm test', output: 'FAIL', tip: 'f'.repeat(40), met: [{ packageId: 'a', files: ['a/x.ts'] }] };
  s = apply(s, [{ type: 'followUp', packageId: 'b', followUp: check }], 80);
  s = apply(s, [{ type: 'blocked', packageId: 'c', by: ['b'] }], 81);
  s = { ...s, integration: { branch: 'waves/f/_integration', worktree: '/trees/_integration', baseSha: 'b'.repeat(40), tipSha: 'f'.repeat(40), guard: { status: 'red', greenTip: null, checks: [], blamed: { packageId: 'b', command: 'npm test', tip: 'f'.repeat(40), at: T(80).toISOString() } } } };
  const valid = validateRunState(JSON.parse(JSON.stringify(s)));
  assert.ok(valid.ok, JSON.stringify(valid));
  return s;
}

describe('packageFacts', () => {
  const state = runState();

  it('a revised package on a host, refused by its walls: every fact of its record and merge', () => {
    const a = packageFacts(state, 'a');
    assert.deepEqual(a, {
      id: 'a',
      status: 'succeeded',
      attempts: 2,
      startedAt: T(41).toISOString(),
      endedAt: T(60).toISOString(),
      durationMs: 19_000,
      exitCode: 0,
      signal: null,
      lastError: null,
      needsInput: null,
      settingUpSince: null,
      usageLimit: null,
      question: null,
      progress: null,
      handoffs: [],
      granted: ['docs/a.md', 'docs/b/**'],
      spend: { inputTokens: 10, outputTokens: 5, cachedTokens: 0, costUsd: 0.01 },
      refused: ['example.com:443', 'registry.npmjs.org:443'],
      refusedRegistries: ['registry.npmjs.org:443'],
      blockedBy: [],
      merge: 'merged',
      branch: 'waves/f/a',
      worktree: '/trees/a',
      host: 'h1',
      violations: [],
      changedFiles: [],
      resultFile: '/runs/a/2/result.json',
      revisions: 1,
      followUps: [{ kind: 'review', at: T(40).toISOString(), attempt: 2 }],
      followUp: null,
      blamed: null,
      candidates: [],
      chosenWhy: null,
      awaitingPick: false,
    });
    assert.equal(a.revisions, state.packages.a!.revisions);
  });

  it('best of n: each candidate of its last set, and why the one that went on was chosen, a line each in waves status', () => {
    const c = (k: number, status: string, extra: object = {}) => ({
      ...state.packages.a!,
      packageId: k === 1 ? 'a' : `a.c${k}`,
      candidate: k,
      agent: k === 2 ? 'codex' : 'claude-code',
      status,
      startedAt: T(1).toISOString(),
      endedAt: T(31).toISOString(),
      lastError: null,
      host: null,
      phases: [{ at: T(1).toISOString(), phase: 'running', attempt: 1 }, { at: T(21).toISOString(), phase: 'verifying', attempt: 1 }],
      ...extra,
    });
    const withSet = {
      ...state,
      packages: {
        ...state.packages,
        a: { ...state.packages.a!, candidates: [c(1, 'failed', { lastError: 'tests failed' }), c(2, 'verifying', { endedAt: null }), c(3, 'cancelled', { lastError: 'candidate 2 went on first' })], chosen: { candidate: 2, why: 'the first to pass its audit and verification' } },
      },
    } as unknown as typeof state;
    const facts = packageFacts(withSet, 'a');
    assert.deepEqual(
      facts.candidates.map((x) => [x.candidate, x.agent, x.status, x.durationMs, x.chosen]),
      [
        [1, 'claude-code', 'failed', 30_000, false],
        [2, 'codex', 'verifying', 20_000, true],
        [3, 'claude-code', 'cancelled', 30_000, false],
      ],
    );
    assert.deepEqual(candidateLines(facts), [
      'a: candidate 1 (claude-code) failed in 30s: tests failed',
      'a: candidate 2 (codex) verifying in 20s — went on: the first to pass its audit and verification',
      'a: candidate 3 (claude-code) cancelled in 30s: candidate 2 went on first',
    ]);
    const lines = statusPackageLines([{ ...facts, wave: 1, elapsedMs: null, openComments: null }], Infinity);
    assert.ok(lines.includes('a: candidate 2 (codex) verifying in 20s — went on: the first to pass its audit and verification'), lines.join('\n'));
    // The report lists each candidate and why the one that went on was chosen.
    const { json, markdown } = buildRunReport({ state: withSet, analysis: { plan: { packages: [{ id: 'a', dependsOn: [] }] } }, results: {}, maxParallel: 2 });
    assert.deepEqual(json.packages.find((p) => p.id === 'a')!.candidates, facts.candidates);
    assert.match(markdown, /candidate 1 \(claude-code\) failed in 30s: tests failed; candidate 2 \(codex\) verifying in 20s — went on: the first to pass its audit and verification; candidate 3/);
    assert.equal(buildRunReport({ state, analysis: { plan: { packages: [{ id: 'a', dependsOn: [] }] } }, results: {}, maxParallel: 2 }).json.packages[0]!.candidates, undefined, 'nothing said without candidates');
    // A judge's first awaiting the person's pick (`confirm`): said on its line until one goes on.
    const awaiting = { ...withSet, packages: { ...withSet.packages, a: { ...withSet.packages.a!, chosen: null, ranked: { candidate: 2, why: 'it handles the empty list' } } } } as typeof state;
    const judged = packageFacts(awaiting, 'a');
    assert.deepEqual(judged.candidates.map((x) => x.ranked), [null, 'it handles the empty list', null]);
    assert.equal(candidateLines(judged)[1], "a: candidate 2 (codex) verifying in 20s — the judge's first: it handles the empty list");
    // Over hosts: where each ran.
    const placed = { ...withSet, packages: { ...withSet.packages, a: { ...withSet.packages.a!, candidates: withSet.packages.a!.candidates!.map((x, i) => ({ ...x, host: i === 0 ? 'h1' : 'local' })) } } } as typeof state;
    assert.deepEqual(candidateLines(packageFacts(placed, 'a')).map((l) => l.split(')')[0]), ['a: candidate 1 (claude-code on h1', 'a: candidate 2 (codex on local', 'a: candidate 3 (claude-code on local']);
  });

  it('a package blamed by the integration guard, its follow-up pending; a blocked one', () => {
    const b = packageFacts(state, 'b');
    assert.deepEqual(b.followUp, { kind: 'integration', at: T(80).toISOString(), check: 'npm test', tip: 'f'.repeat(40), met: ['a'] });
    assert.deepEqual(b.followUps, [{ kind: 'integration', at: T(80).toISOString(), attempt: 2 }]);
    assert.deepEqual(b.blamed, { command: 'npm test', tip: 'f'.repeat(40), at: T(80).toISOString() });
    assert.equal(b.status, 'pending');
    assert.equal(b.revisions, 0, 'an integration follow-up is no revision');
    assert.deepEqual(packageFacts(state, 'c').blockedBy, ['b']);
    assert.throws(() => packageFacts(state, 'zz'), RangeError);
    assert.throws(() => packageFacts(state, 'toString'), RangeError, 'a name of Object.prototype is no package');
  });

  it('a review follow-up pending says how many comments and from where, never their words', () => {
    const pending = apply(structuredClone(state), [], 0);
    pending.packages.a = { ...pending.packages.a!, followUp: { kind: 'review', at: T(90).toISOString(), from: 'integration', commit: null, comments: [{ file: 'a/x.ts', startLine: 0, endLine: 0, excerpt: '', body: 'secret words' }] } };
    const f = packageFacts(pending, 'a').followUp;
    assert.deepEqual(f, { kind: 'review', at: T(90).toISOString(), from: 'integration', commit: null, comments: 1 });
    assert.equal(JSON.stringify(f).includes('secret words'), false);
  });

  it('elapsedMs: to its end, or to now while it runs; null without a start', () => {
    assert.equal(elapsedMs({ startedAt: T(0).toISOString(), endedAt: T(5).toISOString() }, T(100).getTime()), 5000);
    assert.equal(elapsedMs({ startedAt: T(0).toISOString(), endedAt: null }, T(7).getTime()), 7000);
    assert.equal(elapsedMs({ startedAt: null, endedAt: null }, T(7).getTime()), null);
    assert.equal(elapsedMs({ startedAt: 'never', endedAt: null }, T(7).getTime()), null);
  });
});

describe('the words of the facts', () => {
  const state = runState();
  const shown = (id: string, openComments: number | null = 0): StatusPackage => ({ ...packageFacts(state, id), wave: 1, elapsedMs: null, openComments });

  it('waves review: the status, revisions and open comments', () => {
    assert.equal(reviewHeadline(packageFacts(state, 'a'), 2), 'a  succeeded, 1 revision, 2 open comments');
    assert.equal(reviewHeadline(packageFacts(state, 'c'), 0), 'c  blocked');
  });

  it('follow-ups: revisions, open comments, broken checks, what the next attempt addresses', () => {
    assert.equal(followUpText(packageFacts(state, 'a'), 1), '1 revision; 1 open comment');
    assert.equal(followUpText(packageFacts(state, 'b')), 'sent the failure of an integration check it broke (attempt 2); its next attempt addresses the integration check it broke: npm test');
    assert.equal(followUpText(packageFacts(state, 'c')), '');
  });

  it('waves status: the table, the walls\' refusals with the registries, the follow-ups — every word from the facts', () => {
    const lines = statusPackageLines([shown('a', 2), shown('b'), shown('c', null)], Infinity);
    assert.deepEqual(lines, [
      'ID  WAVE  STATUS           TRY  ELAPSED    EXIT  MERGE     DETAIL',
      'a      1  succeeded          2                0  merged    on h1',
      'b      1  pending            1',
      'c      1  blocked                                          blocked by b',
      'a: Its walls refused connections to example.com:443, registry.npmjs.org:443 (allow a host with waves.sandbox.allowHosts or --allow-host). registry.npmjs.org:443 is a package registry: allow the registries your configuration names with waves.sandbox.registries or --allow-registries.',
      'a: granted at run time: docs/a.md, docs/b/**',
      'a: 1 revision; 2 open comments',
      'b: sent the failure of an integration check it broke (attempt 2); its next attempt addresses the integration check it broke: npm test',
    ]);
    // Cut to a terminal's width, never wider.
    for (const l of statusPackageLines([shown('a')], 30).slice(0, 2)) assert.ok(l.length <= 30, l);
  });

  it('waves status: a running package\'s progress as its agent said it, and the notes it left its dependents (ADR 0036)', () => {
    const running = { ...shown('b'), status: 'running', progress: { fraction: 0.404, message: 'writing the tests', at: '2026-01-01T12:00:00.000Z' }, handoffs: ['the endpoint is\n/v2/users', 'and paging is by cursor'] };
    const lines = statusPackageLines([running, { ...shown('c', null), progress: { fraction: 1, message: 'stale', at: '2026-01-01T12:00:00.000Z' } }], Infinity);
    assert.deepEqual(lines.slice(1, 3), ['b      1  running            1                             40 % · writing the tests', 'c      1  blocked                                          blocked by b']);
    assert.ok(lines.includes('b: 2 notes for its dependents: "the endpoint is /v2/users" …'), lines.join('\n'));
  });

  it('waves status: the write scope the person granted a package at run time, on a line of its own (ADR 0036)', () => {
    const lines = statusPackageLines([{ ...shown('b'), granted: ['docs/a.md', 'docs/b/**'] }, shown('c', null)], Infinity);
    assert.ok(lines.includes('b: granted at run time: docs/a.md, docs/b/**'), lines.join('\n'));
    assert.equal(lines.filter((l) => l.includes('granted at run time')).length, 1, 'none for a package without a grant');
  });
});

describe('a package setting up its worktree', () => {
  it('is a fact (since when), and waves status says it in the status and detail columns', () => {
    let s = createRunState({ featureId: 'f', planFile: 'work-packages.yaml', runId: 'r1', packageIds: ['a'], now: T(0) });
    s = apply(s, [{ type: 'ready', packageId: 'a' }, { type: 'queued', packageId: 'a' }], 1);
    assert.equal(packageFacts(s, 'a').settingUpSince, null);
    const marked = markSettingUp(s, 'a', undefined, T(2));
    assert.ok(marked.ok);
    const facts = packageFacts(marked.state, 'a');
    assert.equal(facts.settingUpSince, T(2).toISOString());
    assert.equal(facts.status, 'queued');
    assert.deepEqual(statusPackageLines([{ ...facts, wave: 1, elapsedMs: null, openComments: 0 }], Infinity), [
      'ID  WAVE  STATUS           TRY  ELAPSED    EXIT  MERGE     DETAIL',
      `a      1  setting-up                                       its worktree's set-up command runs since ${T(2).toISOString()}`,
    ]);
  });
});

describe('the report reads the same facts', () => {
  it('each report package: the facts of its record (status, times, exit, merge, refusals, revisions, follow-ups…)', () => {
    const state = runState();
    const { json, markdown } = buildRunReport({ state, analysis: { plan: { packages: [{ id: 'a', dependsOn: [] }, { id: 'b', dependsOn: [] }, { id: 'c', dependsOn: [{ value: 'b' }] }] } }, results: {}, maxParallel: 2 });
    for (const p of json.packages) {
      const facts = packageFacts(state, p.id);
      for (const key of ['status', 'attempts', 'startedAt', 'endedAt', 'durationMs', 'exitCode', 'lastError', 'violations', 'changedFiles', 'merge', 'resultFile', 'spend', 'refused', 'refusedRegistries', 'revisions', 'followUps'] as const) {
        assert.deepEqual(p[key], facts[key], `${p.id}.${key}`);
      }
    }
    assert.match(markdown, /^\| `a` \| succeeded \| 2 \|.*1 review revision/m);
  });
});

describe('best of n: a package awaiting the person\'s pick', () => {
  /** a: a set of two (claude-code, codex); candidate 1 failed (or green too: `bothGreen`), candidate 2 audited green (no verification steps); then `more`. */
  function awaiting(more: RunEvent[] = [], bothGreen = false): RunState {
    let s = createRunState({ featureId: 'f', planFile: 'plans/my plan.yaml', runId: 'r1', packageIds: ['a'], now: T(0) });
    s = apply(s, [{ type: 'ready', packageId: 'a' }, { type: 'queued', packageId: 'a' }, { type: 'candidates', packageId: 'a', agents: ['claude-code', 'codex'] }], 0);
    s = apply(s, [1, 2].map((k): RunEvent => ({ type: 'started', packageId: 'a', candidate: k, attempt: 1, startToken: `t${k}`, worktree: `/trees/a${k}`, logFile: `/l${k}` })), 1);
    s = apply(s, bothGreen ? [{ type: 'exited', packageId: 'a', candidate: 1, exitCode: 0, headSha: 'g'.repeat(40) }, { type: 'audited', packageId: 'a', candidate: 1, headSha: 'g'.repeat(40), changedFiles: [] }] : [{ type: 'exited', packageId: 'a', candidate: 1, exitCode: 2 }], 5);
    s = apply(s, [{ type: 'exited', packageId: 'a', candidate: 2, exitCode: 0, headSha: 'h'.repeat(40) }, { type: 'audited', packageId: 'a', candidate: 2, headSha: 'h'.repeat(40), changedFiles: [{ path: 'a/x', change: 'A' }] }], 6);
    return apply(s, more, 7);
  }
  const shown = (s: RunState): StatusPackage => ({ ...packageFacts(s, 'a'), wave: 1, elapsedMs: null, openComments: 0 });

  it('is a fact (its status stays running), each candidate says whether it is green, and waves status says it with the command that picks', () => {
    const facts = packageFacts(awaiting(), 'a');
    assert.equal(facts.status, 'running');
    assert.equal(facts.awaitingPick, true);
    assert.deepEqual(facts.candidates.map((c) => [c.candidate, c.status, c.green]), [[1, 'failed', false], [2, 'verifying', true]]);
    const lines = statusPackageLines([shown(awaiting())], Infinity, 'plans/my plan.yaml');
    assert.match(lines[1]!, /^a +1 +awaiting-pick +1 .* awaiting your pick: candidate 2 \(codex\) passed audit and verification$/);
    assert.ok(lines.includes("a awaits your pick: candidate 2 (codex) passed audit and verification. Pick it: waves pick 'plans/my plan.yaml' a 2"), lines.join('\n'));
    // Without the plan's name no command can be written: the table alone says it.
    assert.ok(!statusPackageLines([shown(awaiting())], Infinity).some((l) => l.startsWith('a awaits your pick')));
  });

  it('two green ones, the judge\'s first to confirm: the command picks the judge\'s first and names the other', () => {
    const s = awaiting([{ type: 'ranked', packageId: 'a', choice: 2, why: 'it handles the empty list' }], true);
    assert.equal(
      pickWaitLine(packageFacts(s, 'a'), 'work-packages.yaml'),
      'a awaits your pick: candidates 1 (claude-code), 2 (codex) passed audit and verification; the judge ranks 2 first: it handles the empty list. Pick one: waves pick work-packages.yaml a 2 (or 1)',
    );
  });

  it('once one is picked it awaits nothing: no line, no status of its own', () => {
    const picked = awaiting([{ type: 'chosen', packageId: 'a', choice: 2, why: 'your pick' }]);
    const facts = packageFacts(picked, 'a');
    assert.equal(facts.awaitingPick, false);
    assert.equal(pickWaitLine(facts, 'work-packages.yaml'), '');
    assert.doesNotMatch(statusPackageLines([shown(picked)], Infinity, 'work-packages.yaml').join('\n'), /awaiting-pick|awaits your pick/);
  });

  it('the report says it: its status cell, the note with the command, awaitingPick in its JSON', () => {
    const { json, markdown } = buildRunReport({ state: awaiting(), analysis: { plan: { packages: [{ id: 'a', dependsOn: [] }] } }, results: {}, maxParallel: 2 });
    const a = json.packages[0]!;
    assert.equal(a.awaitingPick, true);
    assert.equal(a.status, 'running');
    assert.match(markdown, /^\| `a` \| awaiting your pick \| 1 \|.*awaits your pick: candidate 2 \(codex\) passed audit and verification\. Pick it: waves pick 'plans\/my plan\.yaml' a 2 \|$/m);
    const none = buildRunReport({ state: runState(), analysis: { plan: { packages: [{ id: 'a', dependsOn: [] }] } }, results: {}, maxParallel: 2 }).json.packages[0]!;
    assert.equal(none.awaitingPick, undefined, 'nothing said without candidates');
  });
});
