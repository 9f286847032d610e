/**
 * The forecast of a run, pure: expected wall time from past runs (per package, per
 * agent) under the cap, its range, the gap before each start, the spend per agent, "no history
 * yet" from timeout_minutes, and the comparison the report shows after the run.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  FORECAST_RUNS,
  comparisonRows,
  forecastHeadline,
  forecastLines,
  forecastRun,
  forecastVsActual,
  median,
  parseForecast,
  roughDuration,
  type ForecastInput,
  type PastPackage,
  type PastRun,
} from '../../../src/core/run/forecast';
import type { SchedPackage } from '../../../src/core/run/schedule';
import type { Spend } from '../../../src/core/run/spend';
import { formatDuration } from '../../../src/core/present/runReport';

const MIN = 60_000;
const T0 = Date.parse('2025-05-01T10:00:00.000Z');

function pkg(id: string, dependsOn: string[] = [], partial: Partial<SchedPackage> = {}): SchedPackage {
  return { id, dependsOn, wave: 1, criticalLength: 1, priority: 5, lockFiles: [], lockKeys: [], retryBudget: 0, ...partial };
}

const iso = (ms: number) => new Date(T0 + ms).toISOString();

/** A past package that ran `[start, end)` (ms after T0). */
function ran(packageId: string, start: number, end: number, extra: Partial<PastPackage> = {}): PastPackage {
  return { packageId, agent: 'custom', status: 'succeeded', startedAt: iso(start), endedAt: iso(end), spend: null, ...extra };
}

function run(runId: string, packages: PastPackage[], featureId = 'f', createdAt = runId): PastRun {
  return { featureId, runId, createdAt, packages };
}

function input(packages: SchedPackage[], history: PastRun[], extra: Partial<ForecastInput> = {}): ForecastInput {
  return {
    featureId: 'f',
    packages,
    timeoutMinutes: () => 10,
    agentOf: () => ({ id: 'custom', label: 'scripted agent' }),
    maxParallel: 4,
    mode: 'eager',
    history,
    ...extra,
  };
}

const spend = (inputTokens: number, outputTokens: number, costUsd: number | null = null): Spend => ({ inputTokens, outputTokens, cachedTokens: 0, costUsd });

describe('forecastRun without history', () => {
  it('weighs each package by its timeout_minutes, under the cap, and says "no history yet"', () => {
    const timeouts: Record<string, number> = { a: 10, b: 20, c: 5 };
    const f = forecastRun(input([pkg('a'), pkg('b', ['a']), pkg('c')], [], { timeoutMinutes: (id) => timeouts[id]!, maxParallel: 1 }));
    assert.equal(f.history, 'none');
    assert.equal(f.runs, 0);
    // One at a time: 10 + 20 + 5 minutes.
    assert.equal(f.expectedMs, 35 * MIN);
    assert.equal(f.lowMs, f.highMs);
    assert.ok(f.packages.every((p) => p.basis === 'timeout' && p.samples === 0 && p.spend === null));
    assert.match(forecastHeadline(f), /^no history yet: up to 35m 00s from timeout_minutes, at most 1 at once$/);
    assert.deepEqual(forecastLines(f).slice(-1), ['Expected spend, scripted agent (3 packages): no past spend reported.']);
  });

  it('a wider cap runs them side by side: the critical path sets the time', () => {
    const timeouts: Record<string, number> = { a: 10, b: 20, c: 5 };
    const f = forecastRun(input([pkg('a'), pkg('b', ['a']), pkg('c')], [], { timeoutMinutes: (id) => timeouts[id]!, maxParallel: 3 }));
    assert.equal(f.expectedMs, 30 * MIN);
    assert.deepEqual(f.criticalPath, ['a', 'b']);
  });

  it('a set of candidates (best of n) takes a slot for each, and spends for each', () => {
    const history = [run('r1', [ran('a', 0, 10 * MIN, { spend: spend(100, 10, 0.5) }), ran('b', 0, 10 * MIN, { spend: spend(100, 10, 0.5) })])];
    const f = forecastRun(input([pkg('a', [], { slots: 3 }), pkg('b')], history, { maxParallel: 3 }));
    assert.deepEqual(f.packages.find((p) => p.packageId === 'a')!.spend, spend(300, 30, 1.5));
    assert.deepEqual(f.packages.find((p) => p.packageId === 'b')!.spend, spend(100, 10, 0.5));
    // a's three candidates fill the cap of 3: b waits for them.
    assert.equal(f.expectedMs, 20 * MIN);
    assert.equal(forecastRun(input([pkg('a'), pkg('b')], history, { maxParallel: 3 })).expectedMs, 10 * MIN);
  });

  it('runs of other features lend no time, and an empty scope forecasts nothing', () => {
    const other = run('r1', [ran('a', 0, 1000)], 'g');
    assert.equal(forecastRun(input([pkg('a')], [other])).history, 'none');
    const empty = forecastRun(input([], [other]));
    assert.equal(empty.expectedMs, 0);
    assert.deepEqual(empty.packages, []);
  });

  it("a plan of plans: a parent's join runs no agent — no timeout, no spend, not counted as a package without history; its own past time once it has one", () => {
    const packages = [pkg('p__x'), pkg('p__y'), pkg('p', ['p__x', 'p__y']), pkg('ui', ['p'])];
    const f = forecastRun(input(packages, [], { joins: new Set(['p']), maxParallel: 2 }));
    assert.equal(f.expectedMs, 20 * MIN, 'x and y side by side, then ui: the join adds nothing');
    assert.deepEqual(f.packages.find((q) => q.packageId === 'p'), { packageId: 'p', agent: 'join', expectedMs: 0, lowMs: 0, highMs: 0, basis: 'join', samples: 0, spend: null });
    assert.equal(f.history, 'none');
    assert.deepEqual(forecastLines(f).slice(-1), ['Expected spend, scripted agent (3 packages): no past spend reported.']);
    const history = [run('r1', [ran('p__x', 0, 2 * MIN), ran('p__y', 0, 2 * MIN), ran('p', 2 * MIN, 3 * MIN), ran('ui', 3 * MIN, 5 * MIN)])];
    const learnt = forecastRun(input(packages, history, { joins: new Set(['p']), maxParallel: 2 }));
    assert.equal(learnt.history, 'full');
    assert.equal(learnt.packages.find((q) => q.packageId === 'p')!.expectedMs, MIN);
    assert.equal(learnt.expectedMs, 5 * MIN);
    const other = (id: string) => (id === 'new' ? { id: 'other', label: 'another agent' } : { id: 'custom', label: 'scripted agent' });
    const partly = forecastRun(input([...packages, pkg('new')], history, { joins: new Set(['p']), maxParallel: 2, agentOf: other }));
    assert.match(forecastHeadline(partly), /; 1 of 4 packages have no history yet/);
  });

  it('a dependency outside the run\'s scope is taken as done', () => {
    const f = forecastRun(input([pkg('b', ['a'])], []));
    assert.equal(f.expectedMs, 10 * MIN);
  });
});

describe('forecastRun from past runs', () => {
  // a → b, a → c; b and c side by side. Each run: a 0–2 s, then (gap 500 ms) b and c.
  const plan = () => [pkg('a'), pkg('b', ['a']), pkg('c', ['a'])];
  const past = (id: string, a: number, b: number, c: number, gap = 500) =>
    run(id, [ran('a', 0, a), ran('b', a + gap, a + gap + b), ran('c', a + gap, a + gap + c)]);

  it('each package takes the median of its past times; the gap is learnt and put before each start', () => {
    const history = [past('r1', 2000, 3000, 1000), past('r2', 2200, 3300, 1100), past('r3', 1800, 2700, 900)];
    const f = forecastRun(input(plan(), history));
    assert.equal(f.history, 'full');
    assert.equal(f.runs, 3);
    assert.equal(f.gapMs, 500);
    const a = f.packages.find((p) => p.packageId === 'a')!;
    assert.deepEqual([a.expectedMs, a.lowMs, a.highMs, a.basis, a.samples], [2000, 1800, 2200, 'package', 3]);
    // a (2000) + gap (500) + b (3000): measured as the report does, first start → last end.
    assert.equal(f.expectedMs, 5500);
    assert.equal(f.lowMs, 1800 + 500 + 2700);
    assert.equal(f.highMs, 2200 + 500 + 3300);
    assert.deepEqual(f.criticalPath, ['a', 'b']);
    assert.match(forecastHeadline(f), /^about 6s \(5s – 6s\), at most 4 at once, from 3 past runs$/);
  });

  it('the forecast of a run like its past ones is that run\'s wall time', () => {
    const history = [past('r1', 2000, 3000, 1000), past('r2', 2000, 3000, 1000)];
    const f = forecastRun(input(plan(), history));
    assert.equal(f.expectedMs, 2000 + 500 + 3000);
  });

  it('under a cap of 1 the packages queue, each after the gap', () => {
    const f = forecastRun(input(plan(), [past('r1', 2000, 3000, 1000)], { maxParallel: 1 }));
    // a, gap, b, gap, c (b first: the longer critical path).
    assert.equal(f.expectedMs, 2000 + 500 + 3000 + 500 + 1000);
  });

  it('only the feature\'s latest runs count', () => {
    const old = Array.from({ length: FORECAST_RUNS }, (_, k) => past(`r0${k}`, 9000, 9000, 9000));
    const recent = Array.from({ length: FORECAST_RUNS }, (_, k) => past(`r1${k}`, 1000, 1000, 1000));
    const f = forecastRun(input(plan(), [...old, ...recent]));
    assert.equal(f.packages.find((p) => p.packageId === 'a')!.expectedMs, 1000);
    assert.equal(f.runs, FORECAST_RUNS);
  });

  it('failed, unfinished and unreadable records teach nothing; nothing throws', () => {
    const history = [
      run('r1', [
        ran('a', 0, 5000, { status: 'failed' }),
        { packageId: 'b', agent: null, status: 'succeeded', startedAt: 'yesterday', endedAt: null, spend: null },
        ran('c', 5000, 1000), // ends before it starts
      ]),
    ];
    const f = forecastRun(input(plan(), history));
    assert.equal(f.history, 'none');
    assert.equal(f.runs, 0);
  });

  it('the same agent\'s times first; another agent\'s when the package never ran with this one', () => {
    const history = [run('r1', [ran('a', 0, 1000, { agent: 'codex' }), ran('b', 0, 9000, { agent: 'codex' })]), run('r2', [ran('a', 0, 4000, { agent: 'claude-code' })])];
    const f = forecastRun(input([pkg('a'), pkg('b')], history, { agentOf: () => ({ id: 'claude-code', label: 'Claude Code' }) }));
    const [a, b] = f.packages;
    assert.deepEqual([a!.expectedMs, a!.basis], [4000, 'package']);
    assert.deepEqual([b!.expectedMs, b!.basis], [9000, 'package-other-agent']);
  });

  it('a package new to the plan takes its agent\'s pace on the others (time over timeout) times its own timeout', () => {
    const timeouts: Record<string, number> = { a: 10, b: 10, n: 20 };
    const history = [run('r1', [ran('a', 0, 1 * MIN), ran('b', 0, 3 * MIN)])];
    const f = forecastRun(input([pkg('a'), pkg('b'), pkg('n')], history, { timeoutMinutes: (id) => timeouts[id]! }));
    const n = f.packages.find((p) => p.packageId === 'n')!;
    // Ratios 0.1 and 0.3: median 0.2 of 20 minutes; range 2 to 6 minutes.
    assert.deepEqual([n.basis, n.expectedMs, n.lowMs, n.highMs], ['agent', 4 * MIN, 2 * MIN, 6 * MIN]);
    assert.equal(f.history, 'full');
  });

  it('partly known: the packages without history weigh their timeout, and the headline says how many', () => {
    const history = [run('r1', [ran('a', 0, 1000, { agent: null })])];
    const f = forecastRun(input([pkg('a'), pkg('b')], history));
    assert.equal(f.history, 'partial');
    assert.equal(f.expectedMs, 10 * MIN);
    assert.match(forecastHeadline(f), /1 of 2 packages have no history yet/);
  });

  it('a lock two packages share keeps them apart, as the scheduler does', () => {
    const history = [run('r1', [ran('a', 0, 1000), ran('b', 0, 1000)])];
    const shared = [pkg('a', [], { lockKeys: ['db:main'] }), pkg('b', [], { lockKeys: ['db:main'] })];
    assert.equal(forecastRun(input(shared, history)).expectedMs, 2000);
    assert.equal(forecastRun(input([pkg('a'), pkg('b')], history)).expectedMs, 1000);
  });
});

describe('forecastRun: spend per agent', () => {
  it('each package\'s median past spend, summed per agent; an agent\'s median from any feature when the package has none', () => {
    const history = [
      run('r1', [ran('a', 0, 1, { spend: spend(100, 10, 0.1) }), ran('b', 0, 1, { agent: 'codex', spend: spend(50, 5) })]),
      run('r2', [ran('a', 0, 1, { spend: spend(300, 30, 0.3) })]),
      run('r3', [ran('a', 0, 1, { spend: spend(200, 20, 0.2) })]),
      run('g1', [ran('x', 0, 1, { agent: 'codex', spend: spend(1000, 100) })], 'g'),
    ];
    const agents: Record<string, { id: string; label: string }> = { a: { id: 'custom', label: 'scripted' }, b: { id: 'codex', label: 'Codex' }, c: { id: 'codex', label: 'Codex' }, d: { id: 'gemini', label: 'Gemini' } };
    const f = forecastRun(input([pkg('a'), pkg('b'), pkg('c'), pkg('d')], history, { agentOf: (id) => agents[id]! }));
    const by = Object.fromEntries(f.agents.map((a) => [a.agent, a]));
    assert.deepEqual(by.custom!.spend, spend(200, 20, 0.2));
    // b: its own 50/5; c: Codex's median over every run (50/5 and 1000/100) = 525/52.5 → 525/53.
    assert.deepEqual(by.codex!.spend, { inputTokens: 575, outputTokens: 58, cachedTokens: 0, costUsd: null });
    assert.equal(by.codex!.packages, 2);
    assert.deepEqual([by.gemini!.spend, by.gemini!.unknown], [null, 1]);
    assert.deepEqual(f.spend, { inputTokens: 775, outputTokens: 78, cachedTokens: 0, costUsd: 0.2 });
    const lines = forecastLines(f);
    assert.ok(lines.includes('Expected spend, Gemini (1 package): no past spend reported.'), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith('Expected spend, scripted (1 package): 220 tokens') && l.endsWith('$0.20.')), lines.join('\n'));
  });
});

describe('forecastRun: properties', () => {
  const arbRun = fc.record({
    runId: fc.constantFrom('r1', 'r2', 'r3', 'r4'),
    featureId: fc.constantFrom('f', 'g'),
    packages: fc.array(
      fc.record({
        packageId: fc.constantFrom('a', 'b', 'c', 'd'),
        agent: fc.constantFrom('custom', 'codex', null),
        status: fc.constantFrom('succeeded', 'failed', 'running'),
        start: fc.integer({ min: -5000, max: 50_000 }),
        length: fc.integer({ min: -1000, max: 50_000 }),
        tokens: fc.option(fc.nat(10_000)),
      }),
      { maxLength: 6 },
    ),
  });
  it('never throws; the range holds the expectation; a package without history is its timeout', () => {
    fc.assert(
      fc.property(fc.array(arbRun, { maxLength: 8 }), fc.integer({ min: 1, max: 4 }), (runs, cap) => {
        const history: PastRun[] = runs.map((r) => ({
          featureId: r.featureId,
          runId: r.runId,
          createdAt: r.runId,
          packages: r.packages.map((p) => ({ ...ran(p.packageId, p.start, p.start + p.length, { agent: p.agent, status: p.status }), spend: p.tokens === null ? null : spend(p.tokens, 1) })),
        }));
        const f = forecastRun(input([pkg('a'), pkg('b', ['a']), pkg('c', ['a']), pkg('d', ['b', 'c'])], history, { maxParallel: cap }));
        assert.ok(f.lowMs <= f.expectedMs && f.expectedMs <= f.highMs);
        for (const p of f.packages) {
          assert.ok(p.lowMs <= p.expectedMs && p.expectedMs <= p.highMs, JSON.stringify(p));
          if (p.basis === 'timeout') assert.equal(p.expectedMs, 10 * MIN);
        }
        // The chain follows dependencies.
        const deps: Record<string, string[]> = { a: [], b: ['a'], c: ['a'], d: ['b', 'c'] };
        assert.ok(f.criticalPath.length >= 1);
        for (let k = 1; k < f.criticalPath.length; k++) assert.ok(deps[f.criticalPath[k]!]!.includes(f.criticalPath[k - 1]!), f.criticalPath.join(' → '));
      }),
    );
  });
});

describe('after the run: forecast and actual side by side', () => {
  const f = forecastRun(input([pkg('a')], [run('r1', [ran('a', 0, 10_000, { spend: spend(100, 10) })]), run('r2', [ran('a', 0, 20_000, { spend: spend(100, 10) })])]));

  it('the wall times and how far off the forecast was; spend', () => {
    const c = forecastVsActual(f, { wallMs: 18_000, spend: spend(120, 12), spendByAgent: new Map([['custom', spend(120, 12)]]) });
    assert.equal(c.forecastMs, 15_000);
    assert.equal(c.error, 0.2);
    const rows = comparisonRows(c, formatDuration);
    assert.equal(rows[0], '| wall time | 15s (10s – 20s) | 18s (+20%) |');
    assert.equal(rows[1], '| spend | 110 tokens (100 in, 10 out, 0 cached) | 132 tokens (120 in, 12 out, 0 cached) |');
    assert.equal(rows.length, 2, 'one agent: no per-agent rows');
    // Under half a percent either way rounds to "+0%", never a bare "0%" (a -0 printed as 0).
    const close = forecastVsActual(f, { wallMs: 14_940, spend: null });
    assert.equal(comparisonRows(close, formatDuration)[0], '| wall time | 15s (10s – 20s) | 14.9s (+0%) |');
  });

  it('no actual wall time: no error; no history: said', () => {
    const none = forecastRun(input([pkg('a')], []));
    const c = forecastVsActual(none, { wallMs: null, spend: null });
    assert.equal(c.error, null);
    assert.equal(comparisonRows(c, formatDuration)[0], '| wall time | 10m 00s (no history yet: timeout_minutes) | — |');
  });

  it('a forecast read back: its own shape, anything else null', () => {
    assert.deepEqual(parseForecast(JSON.parse(JSON.stringify(f))), f);
    for (const bad of [null, 3, 'x', {}, { ...f, version: 2 }, { ...f, expectedMs: -1 }, { ...f, history: 'some' }, { ...f, agents: null }])
      assert.equal(parseForecast(bad), null, JSON.stringify(bad));
  });
});

describe('texts', () => {
  it('roughDuration and median', () => {
    assert.deepEqual([0, 999, 12_400, 61_000, 3_723_000].map(roughDuration), ['0s', '1s', '12s', '1m 01s', '1h 02m']);
    assert.deepEqual([median([]), median([3, 1, 2]), median([4, 1, 2, 3])], [0, 2, 2.5]);
  });
});
