/**
 * The integration guard's pure part: the checks a plan gives, the bisect over the merges
 * since the last green tip (8 merges: the first red found in at most 4 checks, the tip's
 * included), and what the guard keeps and says.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { analyzePlan } from '../../../src/core/plan/analyze';
import { bisectStep, blameOutput, emptyGuard, GUARD_OUTPUT_CHARS, guardOfRun, guardStuck, guardText, guardTimeMs, integrationChecks, MAX_GUARD_CHECKS, withCheck } from '../../../src/core/run/integrationGuard';
import type { GuardCheck } from '../../../src/core/run/runState';

/** Checks a bisect asks for when merge `firstRed` (0-based, of `n`) and every later one are red; the tip's own check counted. */
function checksToFind(n: number, firstRed: number): { found: number; checks: number } {
  const known = new Map<number, 'green' | 'red'>([[n - 1, 'red']]);
  let checks = 1; // the tip
  for (;;) {
    const step = bisectStep(n, known);
    if (step.done) return { found: step.firstRed, checks };
    assert.ok(!known.has(step.probe), 'never the same merge twice');
    checks++;
    known.set(step.probe, step.probe >= firstRed ? 'red' : 'green');
  }
}

describe('bisectStep', () => {
  it('finds the first red of 8 merges in at most 4 checks, wherever it is', () => {
    for (let first = 0; first < 8; first++) {
      const r = checksToFind(8, first);
      assert.equal(r.found, first);
      assert.ok(r.checks <= 4, `first red at ${first}: ${r.checks} checks`);
    }
  });

  it('needs no probe for one merge, and ⌈log2 n⌉ more for n', () => {
    assert.deepEqual(bisectStep(1, new Map([[0, 'red']])), { done: true, firstRed: 0 });
    for (const n of [2, 3, 5, 16, 100]) {
      for (let first = 0; first < n; first++) assert.ok(checksToFind(n, first).checks <= 1 + Math.ceil(Math.log2(n)), `n=${n} first=${first}`);
    }
  });

  it('takes the earliest red when a flaky check contradicts itself, and refuses an empty range', () => {
    assert.deepEqual(bisectStep(8, new Map([[7, 'red'], [2, 'red'], [5, 'green']])), { done: true, firstRed: 2 });
    assert.throws(() => bisectStep(0, new Map()), RangeError);
  });
});

describe('integrationChecks', () => {
  const plan = analyzePlan(`schema_version: 1
feature: { id: f }
packages:
  - package_id: a
    scope: { write_allow: ["a/**"] }
    verification: { steps: [{ name: t, kind: command, command: "npm test -- a" }] }
  - package_id: int
    task_type: integrate
    depends_on: [a]
    scope: { write_allow: ["tests/**"] }
    verification:
      steps:
        - { name: all, kind: command, command: "npm test" }
        - { name: lint, kind: command, command: "npm run lint" }
        - { name: again, kind: command, command: "npm test" }
        - { name: look, kind: manual }
`).plan;

  it("takes the integration package's approved commands, in order, once each", () => {
    assert.deepEqual(integrationChecks(plan.packages, ['npm test', 'npm run lint', 'npm test -- a']), ['npm test', 'npm run lint']);
    assert.deepEqual(integrationChecks(plan.packages, ['npm run lint']), ['npm run lint'], 'only what the person approved');
    assert.deepEqual(integrationChecks(plan.packages.filter((p) => p.id === 'a'), ['npm test -- a']), [], 'no integration package: nothing');
  });
});

describe('the guard state', () => {
  const check = (over: Partial<GuardCheck>): GuardCheck => ({ command: 'npm test', tip: 't1', ok: true, purpose: 'tip', at: '2026-01-01T00:00:00.000Z', ms: 1000, ...over });

  it('moves with each check: green sets the green tip and clears the blame, red keeps them, a bisect changes only the list', () => {
    let g = withCheck(undefined, check({ purpose: 'base', tip: 'b0' }));
    assert.equal(g.status, 'green');
    assert.equal(g.greenTip, 'b0');
    g = { ...withCheck(g, check({ tip: 't2', ok: false })), blamed: { packageId: 'wp-b', command: 'npm test', tip: 't2', at: 'x' } };
    assert.equal(g.status, 'red');
    assert.equal(g.greenTip, 'b0');
    assert.equal(guardText({ guard: g }), 'integration red: wp-b blamed (npm test)');
    g = withCheck(g, check({ tip: 'm1', ok: true, purpose: 'bisect' }));
    assert.equal(g.status, 'red');
    assert.equal(g.greenTip, 'b0');
    g = withCheck(g, check({ tip: 't3' }));
    assert.deepEqual([g.status, g.greenTip, g.blamed], ['green', 't3', null]);
    assert.equal(guardTimeMs(g), 4000);
    assert.equal(withCheck(emptyGuard(), check({ purpose: 'base', ok: false })).status, 'base-red');
  });

  it(`keeps at most ${MAX_GUARD_CHECKS} checks, the newest`, () => {
    let g = emptyGuard();
    for (let i = 0; i < MAX_GUARD_CHECKS + 5; i++) g = withCheck(g, check({ tip: `t${i}` }));
    assert.equal(g.checks.length, MAX_GUARD_CHECKS);
    assert.equal(g.checks.at(-1)!.tip, `t${MAX_GUARD_CHECKS + 4}`);
  });

  it('says where the guard stands', () => {
    assert.equal(guardText(null), '');
    assert.equal(guardText({ guard: emptyGuard() }), 'integration checks not run yet');
    assert.equal(guardText({ guard: { ...emptyGuard(), status: 'checking' } }), 'integration checks running');
    assert.equal(guardText({ guard: { ...emptyGuard(), status: 'green', greenTip: '0123456789' } }), 'integration checks green at 01234567');
    assert.match(guardText({ guard: { ...emptyGuard(), status: 'base-red' } }), /nobody is blamed/);
    assert.equal(guardText({ guard: { ...emptyGuard(), status: 'off' } }), 'integration guard turned off');
  });

  it('says who broke the branch, the check, what it printed and what to do once the guard sends nothing more', () => {
    const blamed = { packageId: 'wp-b', command: 'npm test', tip: 'abc', at: 'x', output: 'TypeError: fetchUser is not a function\n' };
    const red = (outcome?: 'sent' | 'no-retry' | 'not-landed') => ({ branch: 'waves/f/_integration', guard: { ...emptyGuard(), status: 'red' as const, blamed: { ...blamed, ...(outcome ? { outcome } : {}) } } });
    // Sent, at work again, or a state written before the outcome was kept: the guard goes on by itself.
    for (const outcome of ['sent', 'not-landed', undefined] as const) {
      assert.equal(guardStuck(red(outcome)), null, String(outcome));
      assert.equal(guardText(red(outcome)), 'integration red: wp-b blamed (npm test)');
    }
    assert.equal(guardText(red('no-retry')), 'integration red: wp-b broke npm test and has no retry left');
    const stuck = guardStuck(red('no-retry'))!;
    assert.equal(stuck.blame.output, blamed.output);
    assert.equal(stuck.said, "wp-b's merge broke the integration check `npm test` and its retry budget is spent: it was not sent the failure, and what depends on it waits.");
    assert.equal(stuck.advice, "Raise wp-b's retry_budget in the plan and resume the run (its agent is then sent the failure), or fix it by hand on the branch waves/f/_integration and resume.");
    // Green again: nothing is stuck, whatever the last blame said.
    assert.equal(guardStuck({ guard: { ...red('no-retry').guard, status: 'green' } }), null);
    assert.equal(guardStuck(null), null);
  });

  it(`keeps the end of a failing check's output, at most ${GUARD_OUTPUT_CHARS} characters`, () => {
    assert.equal(blameOutput('short'), 'short');
    const long = 'a'.repeat(GUARD_OUTPUT_CHARS) + 'THE END';
    assert.equal(blameOutput(long).length, GUARD_OUTPUT_CHARS);
    assert.ok(blameOutput(long).endsWith('THE END'));
  });
});

describe('guardOfRun: the guard over a run\'s life', () => {
  const withGuard = (status: 'green' | 'red' | 'off') => ({ integration: { baseSha: 'b', tipSha: 't', branch: 'x', guard: { ...emptyGuard(), status } } }) as never;
  it('is as asked, whatever the run kept', () => {
    assert.equal(guardOfRun(true, { integration: null }, false), true);
    assert.equal(guardOfRun(true, withGuard('off'), true), true);
    assert.equal(guardOfRun(false, withGuard('red'), true), false);
  });
  it('not asked: a new run has none; a run taken up keeps the guard it had, unless it was turned off', () => {
    assert.equal(guardOfRun(undefined, withGuard('green'), false), false);
    assert.equal(guardOfRun(undefined, { integration: null }, true), false);
    assert.equal(guardOfRun(undefined, { integration: { baseSha: 'b', tipSha: 't', branch: 'x' } as never }, true), false, 'no guard record: it never had one');
    assert.equal(guardOfRun(undefined, withGuard('red'), true), true);
    assert.equal(guardOfRun(undefined, withGuard('off'), true), false);
  });
});
