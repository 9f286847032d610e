/**
 * The forecast through the front door, on real repositories with the scripted
 * agent as a real process: "no history yet" on a fresh repository; after three runs of the
 * same plan the forecast of a fourth is within 25% of its actual wall time (the run's own
 * recorded first start → last end, from its report), and the report sets the two side by
 * side; a past run state that cannot be read is skipped and said once; a declined
 * confirmation starts nothing.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { reportFiles, runStateFile } from '../../../src/core/run/runPaths';
import type { RunReportJson } from '../../../src/core/present/runReport';
import { dryRunOf, forecastOf, startRun, type StartQuestions, type StartRequest } from '../../../src/engine';
import { buildRunner } from '../helpers';
import { scriptedAgent } from '../engineFixtures';
import { isolateGit, planRepo } from './fixtures';

const NO: StartQuestions = { approveCommands: async () => false, overlapPlannedClaims: async () => false };

// A diamond: a, then b and c side by side, then d; two at a time.
const PACKAGES = [
  { id: 'a', agent: ['sleep 1200', 'append a/out.txt another run\\n', 'commit a'] },
  { id: 'b', deps: ['a'], agent: ['sleep 2000', 'append b/out.txt another run\\n', 'commit b'] },
  { id: 'c', deps: ['a'], agent: ['sleep 600', 'append c/out.txt another run\\n', 'commit c'] },
  { id: 'd', deps: ['b', 'c'], agent: ['sleep 1000', 'append d/out.txt another run\\n', 'commit d'] },
];

describe('the forecast of a run', () => {
  let runner: string;
  before(async () => {
    isolateGit();
    runner = await buildRunner();
  });

  const request = (planFile: string): StartRequest => ({
    planFile,
    shown: 'work-packages.yaml',
    agent: scriptedAgent(),
    maxParallel: 2,
    mode: 'eager',
    runnerScript: runner,
    graceMs: 500,
    pollMs: 200,
    confinement: { unconfined: true },
  });

  /** Runs the plan to its end through the one start path; returns its report. */
  async function runOnce(planFile: string): Promise<RunReportJson> {
    const started = await startRun(request(planFile), NO);
    assert.ok(started.ok, started.ok ? '' : started.refusal.reason);
    try {
      const outcome = await started.outcome;
      assert.equal(outcome.outcome, 'succeeded', Object.values(outcome.state.packages).map((p) => `${p.packageId}: ${p.status} ${p.lastError ?? ''}`).join('\n'));
      return JSON.parse(fs.readFileSync(reportFiles(started.engine.repoRoot, started.engine.featureId, outcome.runId).json, 'utf8')) as RunReportJson;
    } finally {
      started.engine.dispose();
    }
  }

  it('says "no history yet" on a fresh repository, from timeout_minutes (dry run and forecast alike)', async () => {
    const { planFile } = planRepo('fresh', PACKAGES.map((p) => ({ ...p, timeoutMinutes: 10 })));
    const dry = await dryRunOf(request(planFile));
    assert.ok(dry.ok);
    assert.equal(dry.forecast.history, 'none');
    // a, then b and c (two at a time), then d: three timeouts of 10 minutes.
    assert.equal(dry.forecast.expectedMs, 30 * 60_000);
    assert.deepEqual(dry.problems, []);
    const alone = await forecastOf(request(planFile));
    assert.ok(alone.ok);
    assert.deepEqual(alone.forecast, dry.forecast, 'one forecast, whoever asks');
  });

  it('after three runs of the same plan, the forecast of a fourth is within 25% of its wall time; the report sets them side by side', async () => {
    const { planFile } = planRepo('again', PACKAGES);
    const first = await runOnce(planFile);
    assert.equal(first.forecast?.history, 'none', 'the first run began with no history');
    await runOnce(planFile);
    await runOnce(planFile);

    const pre = await forecastOf(request(planFile));
    assert.ok(pre.ok);
    assert.equal(pre.forecast.history, 'full');
    assert.equal(pre.forecast.runs, 3);
    assert.deepEqual(pre.forecast.criticalPath, ['a', 'b', 'd']);
    assert.ok(pre.forecast.packages.every((p) => p.basis === 'package' && p.agent === 'custom' && p.samples === 3), JSON.stringify(pre.forecast.packages));

    const fourth = await runOnce(planFile);
    const actual = fourth.metrics.wallMs!;
    assert.ok(fourth.forecast, 'the report has the forecast the run began with');
    assert.equal(fourth.forecast.forecastMs, pre.forecast.expectedMs, 'the run began with the forecast shown before it');
    assert.equal(fourth.forecast.actualMs, actual);
    const off = Math.abs(pre.forecast.expectedMs - actual) / actual;
    assert.ok(off <= 0.25, `forecast ${pre.forecast.expectedMs} ms, actual ${actual} ms: ${Math.round(off * 100)}% off`);
    const md = fs.readFileSync(reportFiles(path.dirname(planFile), 'again', fourth.runId).markdown, 'utf8');
    assert.match(md, /## Forecast and actual\n\n\| \| forecast \| actual \|\n\|---\|---\|---\|\n\| wall time \| .+ \| .+ \([+-]\d+%\) \|/);
  });

  it('a past run state that cannot be read is skipped, said once; the forecast goes on', async () => {
    const { repo, planFile } = planRepo('skips', PACKAGES);
    const bad = path.join(repo, '.waves', 'history', 'skips', 'r-bad.json');
    fs.mkdirSync(path.dirname(bad), { recursive: true });
    fs.writeFileSync(bad, '{"version": 2, "featureId"');
    fs.mkdirSync(path.dirname(runStateFile(repo, 'other')), { recursive: true });
    fs.writeFileSync(runStateFile(repo, 'other'), JSON.stringify({ version: 2, featureId: 'other' }));
    const once = await forecastOf(request(planFile));
    assert.ok(once.ok);
    assert.equal(once.forecast.history, 'none');
    assert.equal(once.problems.length, 2, once.problems.join('\n'));
    assert.match(once.problems.find((p) => p.includes('r-bad.json'))!, /^\.waves\/history\/skips\/r-bad\.json was skipped: not valid JSON/);
    const twice = await forecastOf(request(planFile));
    assert.ok(twice.ok);
    assert.deepEqual(twice.problems, [], 'said once');
  });

  it('a declined confirmation starts nothing and writes no run state; the question has the forecast', async () => {
    const { repo, planFile } = planRepo('declined', PACKAGES);
    let shown: unknown;
    const started = await startRun(request(planFile), {
      ...NO,
      confirmRun: async (forecast) => {
        shown = forecast.history;
        return false;
      },
    });
    assert.ok(!started.ok);
    assert.equal(started.refusal.kind, 'declined');
    assert.equal(shown, 'none');
    assert.equal(fs.existsSync(runStateFile(repo, 'declined')), false);
  });
});
