import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { analyzePlan } from '../../../src/core/plan/analyze';
import { MAX_PHASES, type RunEvent, type RunState } from '../../../src/core/run/runState';
import { createRunState, setMaxParallel } from '../../../src/core/run/runStateInit';
import { applyEvent, markMerging, markSettingUp, markWaiting, settingUpSince } from '../../../src/core/run/runStateReducer';
import { validateRunState } from '../../../src/core/run/runStateValidation';
import { barsOf, buildTimeline, segmentLabel, timelinePackagesOf, type Timeline } from '../../../src/core/present/timeline';
import { timelineGantt } from '../../../src/core/present/timelineGantt';
import { timelineSvg, timeTicks, xmlText } from '../../../src/core/present/timelineSvg';
import { workedRunState } from '../../fixtures/timelineRun';

const root = path.resolve(__dirname, '..', '..', '..');
const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000);
const iso = (s: number) => at(s).toISOString();

/** Slots held at `t` on the timeline's curve (0 before it starts). */
function slotsAt(timeline: Pick<Timeline, 'curve'>, t: number): number {
  let n = 0;
  for (const step of timeline.curve) {
    if (step.t > t) break;
    n = step.n;
  }
  return n;
}

/** A run of packages a → b (b depends on a) and c, driven through the reducer at the given seconds. */
function scenario(): RunState {
  let state = setMaxParallel(createRunState({ featureId: 'f', planFile: 'p.yaml', runId: 'r1', packageIds: ['a', 'b', 'c'], now: at(0) }), 2, at(0));
  const ev = (s: number, event: RunEvent) => {
    const r = applyEvent(state, event, at(s));
    assert.ok(r.ok, JSON.stringify(r));
    state = r.state;
  };
  const mark = (r: ReturnType<typeof markWaiting>) => {
    assert.ok(r.ok, JSON.stringify(r));
    state = r.state;
  };
  const start = (s: number, id: string, attempt: number) =>
    ev(s, { type: 'started', packageId: id, attempt, startToken: `t${attempt}`, worktree: `/w/${id}`, logFile: `/l/${id}` });
  // a: ready at 0, queued 1, runs 2–60, asks the person 20–30, verifies 60–70, merges 70–75.
  ev(0, { type: 'ready', packageId: 'a' });
  ev(1, { type: 'queued', packageId: 'a' });
  start(2, 'a', 1);
  ev(20, { type: 'needsInput', packageId: 'a', reason: 'permission' });
  ev(30, { type: 'inputResumed', packageId: 'a' });
  ev(60, { type: 'exited', packageId: 'a', exitCode: 0 });
  mark(markMerging(state, 'a', at(70)));
  ev(75, { type: 'succeeded', packageId: 'a' });
  // c: ready at 0, waits for a lock 0–10, runs 11–40, stops at a usage limit; waits for its reset 40–100,
  // attempt 2 runs 101–130 and fails; attempt 3 runs 131–150, verifies to 155, merges to 160.
  ev(0, { type: 'ready', packageId: 'c' });
  mark(markWaiting(state, 'c', 'lock', at(0)));
  ev(10, { type: 'queued', packageId: 'c' });
  start(11, 'c', 1);
  ev(40, { type: 'usageLimit', packageId: 'c', detail: 'limit', resetAt: iso(100) });
  ev(100, { type: 'reset', packageId: 'c' });
  ev(100, { type: 'ready', packageId: 'c' });
  ev(100, { type: 'queued', packageId: 'c' });
  start(101, 'c', 2);
  ev(130, { type: 'exited', packageId: 'c', exitCode: 1 });
  ev(130, { type: 'reset', packageId: 'c' });
  ev(130, { type: 'ready', packageId: 'c' });
  ev(130, { type: 'queued', packageId: 'c' });
  start(131, 'c', 3);
  ev(150, { type: 'exited', packageId: 'c', exitCode: 0 });
  mark(markMerging(state, 'c', at(155)));
  ev(160, { type: 'succeeded', packageId: 'c' });
  // b: ready once a succeeded (75), runs 76– (still running).
  ev(75, { type: 'ready', packageId: 'b' });
  ev(75, { type: 'queued', packageId: 'b' });
  start(76, 'b', 1);
  return state;
}

const deps = { a: [], b: ['a'], c: [] } as Record<string, string[]>;
const waves = { a: 1, b: 2, c: 1 } as Record<string, number>;
function timelineOf(state: RunState, now: number, live: boolean): Timeline {
  return buildTimeline({
    packages: Object.values(state.packages).map((r) => ({ id: r.packageId, wave: waves[r.packageId] ?? null, dependsOn: deps[r.packageId] ?? [], phases: r.phases })),
    cap: state.maxParallel ?? null,
    now: at(now).getTime(),
    live,
  });
}

const seg = (kind: string, from: number, to: number, extra: Record<string, unknown> = {}) => ({ kind, start: T0 + from * 1000, end: T0 + to * 1000, ...extra });
const plain = (t: Timeline, id: string) =>
  t.rows.find((r) => r.id === id)!.bars.map((b) => ({ attempt: b.attempt, kind: b.kind, outcome: b.outcome, segments: b.segments.map(({ slot: _slot, ...s }) => s) }));

describe('phase marks (the reducer)', () => {
  it('records every status a package moves to, its waits and its merge, with the attempt then', () => {
    const state = scenario();
    const a = state.packages.a!.phases!.map((m) => [m.phase, m.attempt, m.for ?? null, (Date.parse(m.at) - T0) / 1000]);
    assert.deepEqual(a, [
      ['ready', 0, null, 0],
      ['queued', 0, null, 1],
      ['running', 1, null, 2],
      ['waiting', 1, 'person', 20],
      ['running', 1, null, 30],
      ['verifying', 1, null, 60],
      ['merging', 1, null, 70],
      ['succeeded', 1, null, 75],
    ]);
    assert.equal(state.maxParallel, 2);
    const checked = validateRunState(JSON.parse(JSON.stringify(state)));
    assert.ok(checked.ok, JSON.stringify(checked));
  });

  it('marks a wait only when it changes, only while ready, and clears it back to ready', () => {
    let state = createRunState({ featureId: 'f', planFile: 'p.yaml', runId: 'r1', packageIds: ['a'], now: at(0) });
    const pending = markWaiting(state, 'a', 'lock', at(1));
    assert.ok(pending.ok && pending.state === state, 'a pending package is left as it is');
    state = (applyEvent(state, { type: 'ready', packageId: 'a' }, at(1)) as { state: RunState }).state;
    const first = markWaiting(state, 'a', 'lock', at(2));
    assert.ok(first.ok && first.state !== state);
    const again = markWaiting(first.state, 'a', 'lock', at(3));
    assert.ok(again.ok && again.state === first.state, 'the same wait again changes nothing');
    const host = markWaiting(first.state, 'a', 'host', at(4));
    assert.ok(host.ok);
    const cleared = markWaiting(host.state, 'a', null, at(5));
    assert.ok(cleared.ok);
    assert.deepEqual(
      cleared.state.packages.a!.phases!.map((m) => [m.phase, m.for ?? null]),
      [['ready', null], ['waiting', 'lock'], ['waiting', 'host'], ['ready', null]],
    );
    const noWait = markWaiting(cleared.state, 'a', null, at(6));
    assert.ok(noWait.ok && noWait.state === cleared.state);
    assert.equal(markWaiting(state, 'zz', 'lock', at(1)).ok, false);
    assert.equal(markWaiting(state, 'a', 'coffee' as never, at(1)).ok, false);
    assert.equal(markWaiting(state, 'a', 'lock', new Date(NaN)).ok, false);
    assert.equal(markMerging(state, 'zz', at(1)).ok, false);
    const notVerifying = markMerging(state, 'a', at(1));
    assert.ok(notVerifying.ok && notVerifying.state === state);
  });

  it('keeps at most MAX_PHASES marks, dropping the oldest', () => {
    let state = createRunState({ featureId: 'f', planFile: 'p.yaml', runId: 'r1', packageIds: ['a'], now: at(0) });
    state = (applyEvent(state, { type: 'ready', packageId: 'a' }, at(0)) as { state: RunState }).state;
    for (let k = 0; k < MAX_PHASES + 50; k++) {
      const r = markWaiting(state, 'a', k % 2 ? 'lock' : null, at(k + 1));
      assert.ok(r.ok);
      state = r.state;
    }
    const marks = state.packages.a!.phases!;
    assert.equal(marks.length, MAX_PHASES);
    assert.equal(marks.at(-1)!.at, iso(MAX_PHASES + 50));
    assert.ok(validateRunState(JSON.parse(JSON.stringify(state))).ok);
  });

  it('a record of an older build (no phases) gets its first mark; a state with bad marks is refused by the schema', () => {
    const state = createRunState({ featureId: 'f', planFile: 'p.yaml', runId: 'r1', packageIds: ['a'], now: at(0) });
    assert.equal(state.packages.a!.phases, undefined);
    const bad = JSON.parse(JSON.stringify(state));
    bad.packages.a.phases = [{ at: 'yesterday', phase: 'running', attempt: 1 }];
    assert.equal(validateRunState(bad).ok, false);
    bad.packages.a.phases = [{ at: iso(0), phase: 'dancing', attempt: 1 }];
    assert.equal(validateRunState(bad).ok, false);
    bad.packages.a.phases = [{ at: iso(0), phase: 'waiting', attempt: 0, for: 'lock' }];
    assert.ok(validateRunState(bad).ok);
    bad.maxParallel = 0;
    assert.equal(validateRunState(bad).ok, false);
  });
});

describe('the timeline model', () => {
  const state = scenario();
  const t = timelineOf(state, 170, true);

  it('splits each attempt into its segments at the times of the marks', () => {
    assert.deepEqual(plain(t, 'a'), [
      {
        attempt: 1,
        kind: 'first',
        outcome: 'succeeded',
        segments: [seg('queued', 0, 1), seg('queued', 1, 2), seg('running', 2, 20), seg('waiting', 20, 30, { for: 'person' }), seg('running', 30, 60), seg('verifying', 60, 70), seg('merging', 70, 75)],
      },
    ]);
  });

  it('shows a lock wait, a usage-limit pause and each retry as its own attempt', () => {
    assert.deepEqual(plain(t, 'c'), [
      { attempt: 1, kind: 'first', outcome: 'usage-limit', segments: [seg('waiting', 0, 10, { for: 'lock' }), seg('queued', 10, 11), seg('running', 11, 40)] },
      { attempt: 2, kind: 'retry', outcome: 'failed', segments: [seg('waiting', 40, 100, { for: 'usage-limit' }), seg('queued', 100, 101), seg('running', 101, 130)] },
      { attempt: 3, kind: 'retry', outcome: 'succeeded', segments: [seg('queued', 130, 131), seg('running', 131, 150), seg('verifying', 150, 155), seg('merging', 155, 160)] },
    ]);
  });

  it('ends a segment still going at now, and says the row is open', () => {
    const b = t.rows.find((r) => r.id === 'b')!;
    assert.equal(b.open, true);
    assert.deepEqual(b.bars.at(-1)!.segments.at(-1), { kind: 'running', start: T0 + 76_000, end: T0 + 170_000, slot: true });
    assert.equal(t.end, T0 + 170_000);
    assert.equal(t.start, T0);
    const later = timelineOf(state, 200, true);
    assert.equal(later.rows.find((r) => r.id === 'b')!.bars[0]!.segments.at(-1)!.end, T0 + 200_000, 'the bar grows with now');
  });

  it('groups rows by wave, in wave then plan order', () => {
    assert.deepEqual(t.rows.map((r) => r.id), ['a', 'c', 'b']);
    assert.deepEqual(t.waves, [{ wave: 1, rows: [0, 1] }, { wave: 2, rows: [2] }]);
  });

  it('counts the slots held over time against the cap', () => {
    assert.equal(t.cap, 2);
    assert.equal(slotsAt(t, T0 + 5_000), 1, 'a queued; c waiting for a lock holds none');
    assert.equal(slotsAt(t, T0 + 15_000), 2);
    assert.equal(slotsAt(t, T0 + 50_000), 1, 'c waits for its usage limit to reset');
    assert.equal(slotsAt(t, T0 + 110_000), 2);
    assert.equal(slotsAt(t, T0 + 165_000), 1);
    assert.equal(t.peak, 2);
    const busy = t.curve.reduce((sum, s, k) => sum + s.n * ((t.curve[k + 1]?.t ?? t.end!) - s.t), 0);
    assert.equal(t.idleSlotMs, 2 * 170_000 - busy);
  });

  it('marks the chain of dependencies with the most time at work as the critical path', () => {
    // a: 73 s at work, then b: 94 s (76–170) = 167 s; c alone: 29 + 29 + 29 = 87 s.
    assert.deepEqual(t.criticalPath, ['a', 'b']);
    assert.deepEqual(t.rows.filter((r) => r.onCriticalPath).map((r) => r.id), ['a', 'b']);
  });

  it('draws a record of an older build (no phases) from its last attempt', () => {
    const old = buildTimeline({
      packages: [
        { id: 'x', wave: 1, dependsOn: [], status: 'succeeded', startedAt: iso(5), endedAt: iso(9), attempts: 2 },
        { id: 'y', wave: 1, dependsOn: [], status: 'running', startedAt: iso(3), endedAt: null, attempts: 1 },
        { id: 'z', wave: 1, dependsOn: [], status: 'pending', startedAt: null },
      ],
      cap: null,
      now: T0 + 20_000,
      live: true,
    });
    assert.deepEqual(plain(old, 'x'), [{ attempt: 2, kind: 'retry', outcome: 'succeeded', segments: [seg('running', 5, 9)] }]);
    assert.deepEqual(plain(old, 'y')[0]!.segments, [seg('running', 3, 20)]);
    assert.deepEqual(plain(old, 'z'), []);
    assert.equal(old.idleSlotMs, null);
  });

  it('a revision (an attempt after one that succeeded) and an interrupted attempt found again', () => {
    const marks = [
      { at: iso(0), phase: 'queued', attempt: 0 },
      { at: iso(1), phase: 'running', attempt: 1 },
      { at: iso(5), phase: 'interrupted', attempt: 1 },
      { at: iso(8), phase: 'running', attempt: 1 },
      { at: iso(9), phase: 'verifying', attempt: 1 },
      { at: iso(10), phase: 'succeeded', attempt: 1 },
      { at: iso(20), phase: 'pending', attempt: 1 },
      { at: iso(20), phase: 'ready', attempt: 1 },
      { at: iso(21), phase: 'running', attempt: 2 },
    ];
    const bars = barsOf(marks);
    assert.deepEqual(
      bars.map((b) => [b.attempt, b.kind, b.outcome, b.segments.map((s) => `${s.kind}@${(s.start - T0) / 1000}-${s.end === null ? 'open' : (s.end - T0) / 1000}`).join(' ')]),
      [
        [1, 'first', 'succeeded', 'queued@0-1 running@1-5 running@8-9 verifying@9-10'],
        [2, 'revision', null, 'queued@20-21 running@21-open'],
      ],
    );
  });

  it('never throws on bad input, and skips bad marks', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (phases, other) => {
        barsOf(phases);
        const tl = buildTimeline({ packages: [{ id: 'p', wave: other as number, dependsOn: other as string[], phases }, other as never].filter(Boolean), cap: other as number, now: other as number, live: other as boolean });
        timelineSvg(tl);
        timelineGantt(tl);
      }),
      { numRuns: 300 },
    );
    const bars = barsOf([null, 7, { at: 'x', phase: 'running', attempt: 1 }, { at: iso(1), phase: 'flying', attempt: 1 }, { at: iso(2), phase: 'running', attempt: -3 }, { at: iso(1), phase: 'verifying', attempt: 0 }]);
    assert.deepEqual(bars.map((b) => b.segments.map((s) => [s.kind, s.start - T0])), [[['verifying', 2000]]], 'a time that goes back is taken as the time before it');
  });

  it('best of n: a set draws its candidates as sibling rows below their package, which hold the slots; the critical path is of packages', () => {
    let state = setMaxParallel(createRunState({ featureId: 'f', planFile: 'p.yaml', runId: 'r1', packageIds: ['a', 'b'], now: at(0) }), 4, at(0));
    const ev = (s: number, event: RunEvent) => {
      const r = applyEvent(state, event, at(s));
      assert.ok(r.ok, JSON.stringify(r));
      state = r.state;
    };
    const start = (s: number, k: number) => ev(s, { type: 'started', packageId: 'a', candidate: k, attempt: 1, startToken: `t${k}`, worktree: `/w/${k}`, logFile: `/l/${k}` });
    ev(0, { type: 'ready', packageId: 'a' });
    ev(1, { type: 'queued', packageId: 'a' });
    ev(1, { type: 'candidates', packageId: 'a', agents: ['claude-code', 'codex', 'claude-code'] });
    start(2, 1);
    start(2, 2);
    start(3, 3);
    ev(20, { type: 'exited', packageId: 'a', candidate: 1, exitCode: 1 });
    ev(30, { type: 'exited', packageId: 'a', candidate: 2, exitCode: 0, headSha: 'h2' });
    ev(31, { type: 'chosen', packageId: 'a', choice: 2, why: 'the first green' });
    ev(31, { type: 'cancelled', packageId: 'a', candidate: 3 });
    ev(40, { type: 'succeeded', packageId: 'a' });
    const t = buildTimeline({ packages: timelinePackagesOf({ plan: { packages: [{ id: 'a', dependsOn: [] }, { id: 'b', dependsOn: [{ value: 'a' }] }] }, graph: { waves: [['a'], ['b']] } } as never, state), cap: 4, now: at(50).getTime(), live: false });
    assert.deepEqual(t.rows.map((r) => [r.id, r.candidateOf ?? null]), [
      ['a', null],
      ['a.c1', 'a'],
      ['a.c2', 'a'],
      ['a.c3', 'a'],
      ['b', null],
    ]);
    assert.deepEqual(t.rows[1]!.bars.map((b) => b.outcome), ['failed']);
    assert.deepEqual(t.rows[2]!.bars.map((b) => b.outcome), ['succeeded']);
    assert.deepEqual(t.rows[3]!.bars.map((b) => b.outcome), ['cancelled']);
    // Three candidates at work from 3 s: three slots, not four (the package's own row holds none during its set).
    assert.equal(slotsAt(t, T0 + 10_000), 3);
    assert.equal(slotsAt(t, T0 + 25_000), 2);
    assert.equal(t.peak, 3);
    assert.deepEqual(t.criticalPath, ['a']);
    assert.ok(timelineSvg(t).includes('a.c2'));
  });

  it("a plan of plans: each parent's sub-plan below it, in its wave, at any depth; the parent spans its leaves; their slots count", () => {
    // a, then p (a parent: p__x, then p__q, itself a parent of p__q__y), then e after p.
    // a join: p__q's check on its child's work at 41–42, then p's
    const state = workedRunState(['a', 'p', 'p__x', 'p__q', 'p__q__y', 'e'], 3, T0, [['a', 0, 10], ['p__x', 11, 30], ['p__q__y', 12, 40], ['p__q', 41, 42], ['p', 43, 45]]);
    const plan = { plan: { packages: [{ id: 'a', dependsOn: [] }, { id: 'p', dependsOn: [{ value: 'a' }] }, { id: 'e', dependsOn: [{ value: 'p' }] }] }, graph: { waves: [['a'], ['p'], ['e']] } };
    const joins = { p: ['p__x', 'p__q'], p__q: ['p__q__y'] };
    const packages = timelinePackagesOf(plan as never, state, joins);
    assert.deepEqual(
      packages.map((p) => [p.id, p.wave, p.within ?? null]),
      [
        ['a', 1, null],
        ['p', 2, null],
        ['p__x', 2, 'p'],
        ['p__q', 2, 'p'],
        ['p__q__y', 2, 'p__q'],
        ['e', 3, null],
      ],
    );
    const t = buildTimeline({ packages, cap: 3, now: at(50).getTime(), live: false });
    assert.deepEqual(t.rows.map((r) => r.id), ['a', 'p', 'p__x', 'p__q', 'p__q__y', 'e'], 'each below its parent, not at the end without a wave');
    assert.deepEqual(t.waves.map((w) => [w.wave, w.rows.length]), [[1, 1], [2, 4], [3, 1]]);
    const row = (id: string) => t.rows.find((r) => r.id === id)!;
    assert.deepEqual(row('p').span, { start: T0 + 11_000, end: T0 + 45_000 }, 'from its first leaf to its join');
    assert.deepEqual(row('p__q').span, { start: T0 + 12_000, end: T0 + 42_000 });
    assert.equal(row('p__x').span, undefined, 'a leaf spans nothing');
    assert.equal(row('e').span, undefined);
    assert.equal(slotsAt(t, T0 + 20_000), 2, 'the leaves at work hold the slots');
    // The critical path is of the plan's own packages, a parent weighed by its span (34 s against a's 10 s).
    assert.deepEqual(t.criticalPath, ['a', 'p']);
    assert.ok(row('p').onCriticalPath && !row('p__q__y').onCriticalPath);
    // Without the joins, the sub-plans' packages come last, without a wave (as before).
    assert.deepEqual(timelinePackagesOf(plan as never, state).map((p) => [p.id, p.wave]).slice(3), [['p__x', null], ['p__q', null], ['p__q__y', null]]);
    // A parent named in its own children (a bad tree) is drawn once.
    assert.deepEqual(timelinePackagesOf(plan as never, state, { p: ['p', 'p__x'] }).filter((p) => p.id === 'p').length, 1);
  });

  it('builds its packages from a plan and a run state (the plan order, then packages only the run has)', () => {
    const demo = analyzePlan(fs.readFileSync(path.join(root, 'examples', 'demo', 'work-packages.yaml'), 'utf8'));
    const ids = demo.plan.packages.map((p) => p.id);
    const run = createRunState({ featureId: 'f', planFile: 'p', runId: 'r', packageIds: [...ids, 'gone'], now: at(0) });
    const packages = timelinePackagesOf(demo, run);
    assert.deepEqual(packages.map((p) => p.id), [...ids, 'gone']);
    assert.equal(packages.at(-1)!.wave, null);
    assert.equal(packages[0]!.wave, 1);
    assert.deepEqual(timelinePackagesOf(undefined, { packages: null as never }), []);
  });
});

/** Every `<rect class="seg …">` of an SVG text as its attributes. */
function segmentsOfSvg(svg: string): Record<string, string>[] {
  return [...svg.matchAll(/<rect class="seg [^"]*"[^>]*>/g)].map((m) => Object.fromEntries([...m[0].matchAll(/([a-z-]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!])));
}

describe('the timeline as SVG', () => {
  const state = scenario();
  const svg = timelineSvg(timelineOf(state, 170, false), { title: 'f · run r1 <&>' });

  it('has a segment per phase with its package, attempt, kind, reason and the times of the run state', () => {
    const c = segmentsOfSvg(svg).filter((s) => s['data-package'] === 'c');
    const pause = c.find((s) => s['data-for'] === 'usage-limit')!;
    assert.equal(pause['data-attempt'], '2');
    assert.equal(pause['data-start'], state.packages.c!.phases!.find((m) => m.phase === 'usage-limit')!.at);
    assert.equal(pause['data-end'], iso(100));
    assert.deepEqual(c.filter((s) => s['data-kind'] === 'running').map((s) => [s['data-attempt'], s['data-start'], s['data-end']]), [
      ['1', iso(11), iso(40)],
      ['2', iso(101), iso(130)],
      ['3', iso(131), iso(150)],
    ]);
    assert.equal(c.find((s) => s['data-for'] === 'lock')!.class, 'seg waiting lock');
    assert.ok(/<rect class="attempt retry"[^>]*data-package="c" data-attempt="2" data-outcome="failed"/.test(svg));
  });

  it('is well-formed text: escaped, a title and description, the cap and critical path, no now line once ended', () => {
    assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
    assert.ok(svg.includes('<title id="tl-title">f · run r1 &lt;&amp;&gt;</title>'));
    assert.ok(svg.includes('data-critical-path="a b"'));
    assert.ok(svg.includes('data-cap="2"'));
    assert.ok(!svg.includes('class="now"'));
    assert.ok(timelineSvg(timelineOf(state, 170, true)).includes('class="now"'));
    assert.equal((svg.match(/<g\b/g) ?? []).length, (svg.match(/<\/g>/g) ?? []).length);
    assert.equal(xmlText('a\u0007<b>"\''), 'a&lt;b&gt;&quot;&#39;');
  });

  it('ticks fall on round offsets', () => {
    assert.deepEqual(timeTicks({ start: T0, end: T0 + 170_000 }, 4).map((x) => x.label), ['0', '+1m 00s', '+2m 00s']);
    assert.deepEqual(timeTicks({ start: null, end: null }, 4), []);
  });
});

describe('the timeline as a terminal Gantt', () => {
  it('draws each package under its wave, with waits, retries, the critical path and the slots', () => {
    const text = timelineGantt(timelineOf(scenario(), 170, false), { columns: 80 });
    const lines = text.trimEnd().split('\n');
    assert.match(lines[0]!, /^Timeline 10:00:00 → 10:02:50 UTC \(2m 50s\) · cap 2 · ★ critical path$/);
    assert.equal(lines[1], 'Wave 1');
    const a = lines.find((l) => l.startsWith('★ a'))!;
    const c = lines.find((l) => l.startsWith('  c'))!;
    const b = lines.find((l) => l.startsWith('★ b'))!;
    assert.ok(a.includes('█') && a.includes('P') && a.includes('▓') && a.endsWith('succeeded'), a);
    assert.ok(c.includes('L') && c.includes('U') && c.includes('|') && c.endsWith('succeeded (3 attempts)'), c);
    assert.ok(b.endsWith('going on'), b);
    assert.ok(lines.indexOf('Wave 2') < lines.indexOf(b));
    assert.ok(lines.every((l) => [...l].length <= 80), 'fits 80 columns');
    assert.match(lines.at(-3)!, /^ {2}slots +[▁▂▃▄▅▆▇█ ]+ peak 2\/2 idle 1m 21s$/);
    const width = lines.find((l) => l.startsWith('  c'))!.length;
    assert.ok(width > 40);
  });

  it('ASCII only, and nothing yet', () => {
    const text = timelineGantt(timelineOf(scenario(), 170, true), { columns: 60, ascii: true });
    assert.ok(/^[\x20-\x7e\n]*$/.test(text), text);
    assert.ok(text.includes('* b') && text.includes('going on'));
    assert.ok(timelineGantt(timelineOf(scenario(), 170, true), { columns: 120 }).includes('· still running'));
    assert.equal(timelineGantt(buildTimeline({ packages: [], cap: 2, now: 0, live: false })), 'Timeline: nothing has started yet.\n');
  });
});

describe('setting up a new tree (its set-up command)', () => {
  const queuedAt = (s: number, ids = ['a']) => {
    let state = createRunState({ featureId: 'f', planFile: 'p.yaml', runId: 'r1', packageIds: ids, now: at(0) });
    for (const id of ids) {
      state = (applyEvent(state, { type: 'ready', packageId: id }, at(s)) as { state: RunState }).state;
      state = (applyEvent(state, { type: 'queued', packageId: id }, at(s)) as { state: RunState }).state;
    }
    return state;
  };

  it('marks a queued package once; no other status; ends with its start; the schema takes it', () => {
    const queued = queuedAt(1);
    assert.equal(settingUpSince(queued.packages.a!), null);
    const first = markSettingUp(queued, 'a', undefined, at(2));
    assert.ok(first.ok && first.state !== queued);
    assert.equal(settingUpSince(first.state.packages.a!), iso(2));
    const again = markSettingUp(first.state, 'a', undefined, at(5));
    assert.ok(again.ok && again.state === first.state, 'marked once');
    assert.ok(validateRunState(JSON.parse(JSON.stringify(first.state))).ok);
    const started = applyEvent(first.state, { type: 'started', packageId: 'a', attempt: 1, startToken: 't', worktree: '/w/a', logFile: '/l/a' }, at(9));
    assert.ok(started.ok);
    assert.equal(settingUpSince(started.state.packages.a!), null, 'running: no longer setting up');
    const late = markSettingUp(started.state, 'a', undefined, at(10));
    assert.ok(late.ok && late.state === started.state, 'a running package is left as it is');
    const ready = createRunState({ featureId: 'f', planFile: 'p.yaml', runId: 'r1', packageIds: ['a'], now: at(0) });
    const pending = markSettingUp(ready, 'a', undefined, at(1));
    assert.ok(pending.ok && pending.state === ready);
    assert.equal(markSettingUp(queued, 'zz', undefined, at(1)).ok, false);
    assert.equal(markSettingUp(queued, 'a', undefined, new Date(NaN)).ok, false);
    const cancelled = applyEvent(first.state, { type: 'cancelled', packageId: 'a', reason: 'cancelled while its worktree was set up' }, at(3));
    assert.ok(cancelled.ok);
    assert.equal(settingUpSince(cancelled.state.packages.a!), null);
  });

  it("marks a candidate's record (best of n), not the package's; an unknown candidate is refused", () => {
    const queued = queuedAt(1);
    const set = applyEvent(queued, { type: 'candidates', packageId: 'a', agents: ['claude', 'codex'] }, at(1));
    assert.ok(set.ok);
    const r = markSettingUp(set.state, 'a', 2, at(3));
    assert.ok(r.ok);
    const a = r.state.packages.a!;
    assert.equal(settingUpSince(a.candidates![1]!), iso(3));
    assert.equal(settingUpSince(a.candidates![0]!), null);
    assert.equal(settingUpSince(a), null);
    assert.ok(validateRunState(JSON.parse(JSON.stringify(r.state))).ok);
    assert.equal(markSettingUp(set.state, 'a', 7, at(3)).ok, false);
  });

  it('is a segment of its own on the timeline, between queued and running, held against the cap', () => {
    let state = queuedAt(1);
    state = (markSettingUp(state, 'a', undefined, at(2)) as { state: RunState }).state;
    state = (applyEvent(state, { type: 'started', packageId: 'a', attempt: 1, startToken: 't', worktree: '/w/a', logFile: '/l/a' }, at(12)) as { state: RunState }).state;
    const t = timelineOf(state, 20, true);
    assert.deepEqual(
      plain(t, 'a')[0]!.segments.map((s) => [s.kind, (s.start - T0) / 1000, ((s.end ?? 0) - T0) / 1000]),
      [['queued', 1, 2], ['setting-up', 2, 12], ['running', 12, 20]],
    );
    assert.equal(slotsAt(t, T0 + 5000), 1);
    assert.equal(segmentLabel({ kind: 'setting-up' }), 'setting up its worktree');
    assert.match(timelineGantt(t, { columns: 120 }), /░ setting up/);
    assert.match(timelineGantt(t, { columns: 120, ascii: true }), /s setting up/);
    assert.match(timelineSvg(t), /class="seg setting-up"/);
  });
});
