/**
 * The run's own options in the table (core/run/runOptions.ts): the cap, candidates, the schedule,
 * the usage limit, the budgets, the review gate and the integration guard. Each parsed from its
 * flag (or a switch), its variable where it has one, and its setting; and the same choices give
 * the same start request from both front ends.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { presetProfile } from '../../../src/core/agents/agentProfiles';
import { capOf } from '../../../src/core/plan/defaults';
import { analyzePlan } from '../../../src/core/plan/analyze';
import { parseOptionText, planCheckCap, RUN_OPTIONS, RunOptionError, runChoicesOf, runOptionsFromCommandLine, runOptionsFromSettings, type RunOption } from '../../../src/core/run/runOptions';
import { startRequestFrom } from '../../../src/engine/usecases/startRequest';

const root = path.resolve(__dirname, '..', '..', '..');
const option = (flag: string): RunOption => RUN_OPTIONS.find((o) => o.flag === flag)!;
const flags = (entries: Record<string, string | true>) => new Map(Object.entries(entries));
const fails = (fn: () => unknown, message: RegExp) => assert.throws(fn, (err: unknown) => err instanceof RunOptionError && message.test(err.message));
const runOnly = (o: RunOption) => o.part === 'run';

describe("the run's own options: parsing each kind", () => {
  it('a count (the cap, candidates, the tokens budget): a whole number of at least 1', () => {
    for (const flag of ['max-parallel', 'candidates', 'budget-tokens']) {
      const o = option(flag);
      assert.equal(parseOptionText(o, '1', `--${flag}`), 1);
      assert.equal(parseOptionText(o, '12', `--${flag}`), 12);
      assert.equal(parseOptionText(o, ' 3 ', `--${flag}`), 3, 'spaces around it are no part of it');
      assert.equal(parseOptionText(o, '300', `--${flag}`), 300, 'no ceiling here: the start refuses what it cannot run');
      for (const bad of ['0', '-1', '1.5', 'x', '', '1e3', '0x10', '2 3', '1234567890123456'])
        fails(() => parseOptionText(o, bad, `--${flag}`), new RegExp(`^--${flag} must be a whole number ≥ 1, not "${bad.replace(/[.+]/g, '\\$&')}"$`));
      fails(() => parseOptionText(o, true, `--${flag}`), new RegExp(`^--${flag} needs a value$`));
    }
  });

  it('an amount (the dollars budget): a number above 0, decimals allowed', () => {
    const o = option('budget-usd');
    assert.equal(parseOptionText(o, '5', '--budget-usd'), 5);
    assert.equal(parseOptionText(o, '0.25', '--budget-usd'), 0.25);
    assert.equal(parseOptionText(o, '.5', '--budget-usd'), 0.5);
    assert.equal(parseOptionText(o, '12.', '--budget-usd'), 12);
    assert.equal(parseOptionText(o, ' 1000 ', '--budget-usd'), 1000);
    for (const bad of ['0', '0.0', '.0', '-1', 'x', '', '1e3', 'NaN', 'Infinity', '$5', '1,5'])
      fails(() => parseOptionText(o, bad, '--budget-usd'), new RegExp(`^--budget-usd must be a number above 0 \\(US dollars\\), not "${bad.replace(/[.$]/g, '\\$&')}"$`));
    fails(() => parseOptionText(o, true, '--budget-usd'), /^--budget-usd needs a value$/);
  });

  it('a choice: one of its words, exactly; a former word as the word it became', () => {
    assert.equal(parseOptionText(option('schedule'), 'barrier', '--schedule'), 'barrier');
    assert.equal(parseOptionText(option('schedule'), ' eager ', '--schedule'), 'eager');
    assert.equal(parseOptionText(option('on-usage-limit'), 'wait', '--on-usage-limit'), 'wait');
    assert.equal(parseOptionText(option('on-usage-limit'), 'ask', '--on-usage-limit'), 'stop', 'ask: what stop is now');
    assert.equal(parseOptionText(option('review'), 'before-merge', '--review'), 'before-merge');
    assert.equal(parseOptionText(option('review'), 'off', '--review'), 'off');
    fails(() => parseOptionText(option('schedule'), 'Barrier', '--schedule'), /^--schedule is eager or barrier, not "Barrier"$/);
    fails(() => parseOptionText(option('on-usage-limit'), 'retry', '--on-usage-limit'), /^--on-usage-limit is stop or wait, not "retry"$/);
    fails(() => parseOptionText(option('review'), 'after-merge', '--review'), /^--review is off or before-merge, not "after-merge"$/);
    fails(() => parseOptionText(option('review'), '', '--review'), /^--review is off or before-merge, not ""$/);
    fails(() => parseOptionText(option('review'), true, '--review'), /^--review needs a value$/);
  });
});

describe("the run's own options from the command line", () => {
  it('each from its flag; nothing given, nothing', () => {
    const { values, sources } = runOptionsFromCommandLine(
      flags({ 'max-parallel': '3', candidates: '2', schedule: 'barrier', 'on-usage-limit': 'wait', 'budget-usd': '1.5', 'budget-tokens': '5000', review: 'before-merge', 'integration-guard': true }),
      {},
    );
    assert.deepEqual(values, { maxParallel: 3, candidates: 2, schedule: 'barrier', onUsageLimit: 'wait', budgetUsd: 1.5, budgetTokens: 5000, reviewGate: 'before-merge', integrationGuard: true });
    assert.equal(sources.schedule, '--schedule');
    assert.deepEqual(runOptionsFromCommandLine(flags({}), {}, false, ':', runOnly), { values: {}, sources: {} });
  });

  it('a switch gives its value (--barrier, --no-integration-guard); two flags of one option do not go together', () => {
    assert.deepEqual(runOptionsFromCommandLine(flags({ barrier: true }), {}), { values: { schedule: 'barrier' }, sources: { schedule: '--barrier' } });
    assert.deepEqual(runOptionsFromCommandLine(flags({ 'no-integration-guard': true }), {}), { values: { integrationGuard: false }, sources: { integrationGuard: '--no-integration-guard' } });
    assert.deepEqual(runOptionsFromCommandLine(flags({ schedule: 'eager' }), {}).values, { schedule: 'eager' });
    fails(() => runOptionsFromCommandLine(flags({ 'integration-guard': true, 'no-integration-guard': true }), {}), /^--integration-guard and --no-integration-guard do not go together$/);
    fails(() => runOptionsFromCommandLine(flags({ schedule: 'barrier', barrier: true }), {}), /^--schedule and --barrier do not go together$/);
  });

  it('WAVES_CANDIDATES as --candidates; a flag wins over it; the others have no variable', () => {
    assert.deepEqual(runOptionsFromCommandLine(flags({}), { WAVES_CANDIDATES: ' 3 ' }), { values: { candidates: 3 }, sources: { candidates: 'WAVES_CANDIDATES' } });
    assert.deepEqual(runOptionsFromCommandLine(flags({ candidates: '2' }), { WAVES_CANDIDATES: '9' }).values, { candidates: 2 });
    assert.deepEqual(runOptionsFromCommandLine(flags({}), { WAVES_CANDIDATES: '  ' }).values, {}, 'empty: not set');
    fails(() => runOptionsFromCommandLine(flags({}), { WAVES_CANDIDATES: 'two' }), /^WAVES_CANDIDATES must be a whole number ≥ 1, not "two"$/);
    fails(() => runOptionsFromCommandLine(flags({}), { WAVES_CANDIDATES: '0' }), /^WAVES_CANDIDATES must be a whole number ≥ 1/);
    assert.deepEqual(RUN_OPTIONS.filter((o) => o.part !== 'worktrees' && o.env !== undefined).map((o) => o.env), ['WAVES_CANDIDATES']);
  });

  it("bad values are errors naming the flag; --unconfined leaves the run's own options alone", () => {
    fails(() => runOptionsFromCommandLine(flags({ 'max-parallel': '0' }), {}), /^--max-parallel must be a whole number ≥ 1, not "0"$/);
    fails(() => runOptionsFromCommandLine(flags({ 'budget-usd': 'lots' }), {}), /^--budget-usd must be a number above 0/);
    fails(() => runOptionsFromCommandLine(flags({ 'on-usage-limit': 'later' }), {}), /^--on-usage-limit is stop or wait/);
    assert.deepEqual(runOptionsFromCommandLine(flags({ 'max-parallel': '2', review: 'off' }), {}, true).values, { maxParallel: 2, reviewGate: 'off' });
  });

  it("`only` reads the options a command takes: waves plan's parser never sees the run's own, nor a bad WAVES_CANDIDATES", () => {
    const plan = (o: RunOption) => o.part === 'worktrees';
    assert.deepEqual(runOptionsFromCommandLine(flags({ 'max-parallel': '2', copy: '.env' }), { WAVES_CANDIDATES: 'two' }, false, ':', plan).values, { copy: ['.env'] });
    assert.deepEqual(runOptionsFromCommandLine(flags({ 'max-parallel': '2', copy: '.env' }), { WAVES_WORKTREES_COPY: '/abs' }, false, ':', runOnly).values, { maxParallel: 2 }, 'and the run-only read never checks a worktree variable');
  });
});

describe("the run's own options from the editor settings", () => {
  it("reads each from its setting's JSON value; empty (null) budgets are not set", () => {
    const settings: Record<string, unknown> = {
      'waves.maxParallel': 4,
      'waves.candidates': 2,
      'waves.schedule': 'barrier',
      'waves.onUsageLimit': 'ask',
      'waves.budget.usd': 2.5,
      'waves.budget.tokens': null,
      'waves.review.gate': 'before-merge',
      'waves.integration.guard': false,
    };
    const { values, problems } = runOptionsFromSettings((o) => settings[o.setting], runOnly);
    assert.deepEqual(values, { maxParallel: 4, candidates: 2, schedule: 'barrier', onUsageLimit: 'stop', budgetUsd: 2.5, reviewGate: 'before-merge', integrationGuard: false });
    assert.deepEqual(problems, []);
  });

  it('a value that cannot be used is left out and said, with the setting to open', () => {
    const settings: Record<string, unknown> = {
      'waves.maxParallel': 0,
      'waves.candidates': 2.5,
      'waves.schedule': 'later',
      'waves.onUsageLimit': 7,
      'waves.budget.usd': 0,
      'waves.budget.tokens': -3,
      'waves.review.gate': true,
      'waves.integration.guard': 'yes',
    };
    const { values, problems } = runOptionsFromSettings((o) => settings[o.setting], runOnly);
    assert.deepEqual(values, {});
    assert.deepEqual(problems, [
      { setting: 'waves.maxParallel', message: 'waves.maxParallel is not a whole number ≥ 1; left out' },
      { setting: 'waves.candidates', message: 'waves.candidates is not a whole number ≥ 1; left out' },
      { setting: 'waves.schedule', message: 'waves.schedule is "later", not eager or barrier; left out' },
      { setting: 'waves.onUsageLimit', message: 'waves.onUsageLimit is 7, not stop or wait; left out' },
      { setting: 'waves.budget.usd', message: 'waves.budget.usd is not a number above 0; left out' },
      { setting: 'waves.budget.tokens', message: 'waves.budget.tokens is not a whole number ≥ 1; left out' },
      { setting: 'waves.review.gate', message: 'waves.review.gate is true, not off or before-merge; left out' },
      { setting: 'waves.integration.guard', message: 'waves.integration.guard is not true or false; left out' },
    ]);
    for (const [setting, raw] of [['waves.maxParallel', 2.5], ['waves.maxParallel', '3'], ['waves.budget.usd', Number.POSITIVE_INFINITY], ['waves.budget.tokens', 1.5], ['waves.schedule', 'Barrier']] as const)
      assert.equal(runOptionsFromSettings((o) => (o.setting === setting ? raw : undefined), runOnly).problems.length, 1, `${setting}: ${String(raw)}`);
  });
});

describe("the plan checks' cap: waves.maxParallel through its row", () => {
  const plan = (n: number, waves = '') =>
    ['schema_version: 1', 'feature: { id: f }', 'packages:', ...Array.from({ length: n }, (_, i) => `  - { package_id: p${i}, title: P${i}, scope: { write_allow: ["p${i}/**"] }${i === 0 ? waves : ''} }`)].join('\n') + '\n';
  const codes = (maxParallel: number, text: string) => analyzePlan(text, { maxParallel }).diagnostics.map((d) => d.code).filter((c) => c === 'wave-too-wide' || c === 'candidates-over-cap');

  it('a value a run takes is the cap; nothing set, the default; one a run refuses is none (NaN), not rounded to one', () => {
    assert.equal(planCheckCap(4), 4);
    assert.equal(planCheckCap(undefined), capOf(undefined));
    for (const bad of [0, 2.5, -1, '3', true, Number.POSITIVE_INFINITY]) assert.ok(Number.isNaN(planCheckCap(bad)), String(bad));
  });

  it("is the row's meaning: a value the run takes from waves.maxParallel is the checks' cap, one it refuses is none (random values)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -5, max: 50 }), fc.double({ noNaN: false }), fc.string(), fc.boolean(), fc.constant(undefined), fc.constant(null)), (raw) => {
        const { values, problems } = runOptionsFromSettings(
          () => raw,
          (o) => o.id === 'maxParallel',
        );
        const cap = planCheckCap(raw);
        if (problems.length) assert.ok(Number.isNaN(cap), `${String(raw)}: refused by the run, no cap for the checks`);
        else assert.equal(cap, capOf(values.maxParallel), String(raw));
      }),
    );
  });

  it('the checks that need the cap say nothing with one that cannot be used, and nothing crashes', () => {
    const wide = plan(3);
    assert.deepEqual(codes(planCheckCap(2), wide), ['wave-too-wide']);
    assert.deepEqual(codes(planCheckCap(2.5), wide), [], 'no wave-too-wide against a cap of 2 (or 1) nobody can run with');
    assert.deepEqual(codes(planCheckCap(0), wide), []);
    const candidates = plan(1, ', inputs: { waves: { candidates: 3 } }');
    assert.deepEqual(codes(planCheckCap(2), candidates), ['candidates-over-cap']);
    assert.deepEqual(codes(planCheckCap(0), candidates), []);
  });
});

describe("the run's choices", () => {
  it('nobody set anything: the defaults; no budget, and the review gate and the guard not given', () => {
    assert.deepEqual(runChoicesOf({}), { maxParallel: capOf(undefined), mode: 'eager', candidates: 1, onUsageLimit: 'stop', budget: undefined, review: undefined, integrationGuard: undefined });
  });

  it('what was set, as the start request names it', () => {
    assert.deepEqual(runChoicesOf({ maxParallel: 3, candidates: 2, schedule: 'barrier', onUsageLimit: 'wait', budgetUsd: 1.5, budgetTokens: 900, reviewGate: 'off', integrationGuard: false }), {
      maxParallel: 3,
      mode: 'barrier',
      candidates: 2,
      onUsageLimit: 'wait',
      budget: { usd: 1.5, tokens: 900 },
      review: 'off',
      integrationGuard: false,
    });
    assert.deepEqual(runChoicesOf({ budgetTokens: 900 }).budget, { tokens: 900 });
    assert.deepEqual(runChoicesOf({ budgetUsd: 2 }).budget, { usd: 2 });
  });
});

describe('the same choices, the same start request from both front ends', () => {
  type Property = { default?: unknown };
  const props = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, Property> } } }).contributes.configuration.properties;
  const base = { planFile: '/r/work-packages.yaml', shown: 'work-packages.yaml', agent: presetProfile('codex')! };
  const fromFlags = (given: Record<string, string | true>) => startRequestFrom({ ...base, ...runChoicesOf(runOptionsFromCommandLine(flags(given), {}, false, ':', runOnly).values) });
  /** As the editor reads them (src/run/run/settings.ts): a setting nobody set is its default, except where a run taken up again keeps its own. */
  const fromSettings = (set: Record<string, unknown>) => {
    const read = (o: RunOption) => (o.setting in set ? set[o.setting] : o.keptOnResume ? undefined : props[o.setting]!.default);
    const { values, problems } = runOptionsFromSettings(read, runOnly);
    assert.deepEqual(problems, []);
    return startRequestFrom({ ...base, ...runChoicesOf(values) });
  };

  it('nothing given: the cap, the schedule and the usage limit by default, nothing else', () => {
    const request = fromFlags({});
    assert.deepEqual(request, { ...base, maxParallel: capOf(undefined), mode: 'eager', onUsageLimit: 'stop' });
    assert.deepEqual(fromSettings({}), request);
  });

  it('every option given', () => {
    const request = fromFlags({ 'max-parallel': '3', barrier: true, candidates: '2', 'on-usage-limit': 'wait', 'budget-usd': '1.5', 'budget-tokens': '5000', review: 'before-merge', 'no-integration-guard': true });
    assert.deepEqual(request, { ...base, maxParallel: 3, mode: 'barrier', candidates: 2, onUsageLimit: 'wait', budget: { usd: 1.5, tokens: 5000 }, review: 'before-merge', integrationGuard: false });
    assert.deepEqual(
      fromSettings({ 'waves.maxParallel': 3, 'waves.schedule': 'barrier', 'waves.candidates': 2, 'waves.onUsageLimit': 'wait', 'waves.budget.usd': 1.5, 'waves.budget.tokens': 5000, 'waves.review.gate': 'before-merge', 'waves.integration.guard': false }),
      request,
    );
  });

  it('a review gate set off and the guard on; one candidate is none', () => {
    const request = fromFlags({ review: 'off', 'integration-guard': true, candidates: '1', schedule: 'eager' });
    assert.deepEqual(request, { ...base, maxParallel: capOf(undefined), mode: 'eager', onUsageLimit: 'stop', review: 'off', integrationGuard: true });
    assert.deepEqual(fromSettings({ 'waves.review.gate': 'off', 'waves.integration.guard': true, 'waves.candidates': 1 }), request);
  });
});
