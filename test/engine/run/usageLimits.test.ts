/**
 * Usage limits pause, not fail: with the real runner and the scripted agent as a
 * real process reporting a limit the way Claude Code does (its result event, exit 1) — the
 * package is `usage-limit` with the reset time, no retry is spent, no other package of that
 * agent starts meanwhile, and with `onUsageLimit: 'wait'` the run goes on at the reset time.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { attemptDir, attemptFiles, integrationBranch } from '../../../src/core/run/runPaths';
import { resetPackages } from '../../../src/engine';
import { engineFor, isolateGit, repoWithPlan, treeFiles } from '../engineFixtures';
import { buildRunner, SCRIPTED_AGENT, tempDir } from '../helpers';
import { customProfile } from '../../../src/core/agents/agentProfiles';

let runnerScript = '';

before(async () => {
  isolateGit();
  runnerScript = await buildRunner();
});

describe('an agent at its usage limit', () => {
  test('stop (default): the package pauses with the reset time, no retry is spent, no other package of that agent starts; the run ends usage-limit', async () => {
    const marker = path.join(tempDir(), 'limited');
    const walls = { confinement: { options: { write: [path.dirname(marker)] } } };
    const resetEpoch = Math.floor(Date.now() / 1000) + 3600;
    const { planFile } = repoWithPlan('limit-stop', [
      { id: 'a', agent: [`usage-limit-once ${marker} ${resetEpoch}`, 'write a/x.txt'], retryBudget: 2 },
      { id: 'b', agent: ['write b/x.txt'] },
    ]);
    const { engine, events } = await engineFor(planFile, runnerScript, { ...walls, maxParallel: 1 });
    let outcome;
    try {
      outcome = await engine.run();
    } finally {
      engine.dispose();
    }
    const a = outcome.state.packages.a!;
    assert.equal(outcome.outcome, 'usage-limit', JSON.stringify(outcome.counts));
    assert.equal(a.status, 'usage-limit');
    assert.equal(a.attempts, 1, 'not retried');
    assert.equal(a.usageLimits, 1);
    assert.equal(a.usageLimit?.resetAt, new Date(resetEpoch * 1000).toISOString());
    assert.match(a.usageLimit?.detail ?? '', /usage limit reached/);
    assert.equal(outcome.state.packages.b!.attempts, 0, 'no other package of that agent started while it is at its limit');
    assert.ok(events.some((e) => e.type === 'package' && e.packageId === 'a' && e.status === 'usage-limit'));
  });

  test('wait: at the reset time the package goes on by itself, and the limited attempt spent no retry', async () => {
    const marker = path.join(tempDir(), 'limited');
    const walls = { confinement: { options: { write: [path.dirname(marker)] } } };
    const resetEpoch = Math.floor(Date.now() / 1000) + 2;
    const { repo, planFile } = repoWithPlan('limit-wait', [
      { id: 'a', agent: [`usage-limit-once ${marker} ${resetEpoch}`, 'write a/x.txt'], retryBudget: 0 },
      { id: 'b', deps: ['a'], agent: ['write b/x.txt'] },
    ]);
    const { engine } = await engineFor(planFile, runnerScript, { ...walls, onUsageLimit: 'wait' });
    let outcome;
    try {
      outcome = await engine.run();
    } finally {
      engine.dispose();
    }
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    const a = outcome.state.packages.a!;
    assert.equal(a.attempts, 2);
    assert.equal(a.usageLimits, 1, 'with retry_budget 0, only a limit that spends no retry lets it run again');
    assert.ok(Date.parse(a.startedAt!) >= resetEpoch * 1000, 'the second attempt started after the reset');
    assert.deepEqual(treeFiles(repo, integrationBranch('limit-wait')), ['README.md', 'a/x.txt', 'b/x.txt', 'work-packages.yaml']);
  });
});

describe('cost and budgets (#16)', () => {
  test('what agents report spending is summed per package and run; at the budget nothing more starts and the run ends budget', async () => {
    const { repo, planFile } = repoWithPlan('budget', [
      { id: 'a', agent: ['write a/x.txt', 'spend 0.02 1000 100'] },
      { id: 'b', deps: ['a'], agent: ['write b/x.txt', 'spend 0.02 1000 100'] },
      { id: 'c', deps: ['b'], agent: ['write c/x.txt', 'spend 0.02 1000 100'] },
    ]);
    const { engine, events } = await engineFor(planFile, runnerScript, { budget: { usd: 0.03 } });
    let outcome;
    try {
      outcome = await engine.run();
    } finally {
      engine.dispose();
    }
    const p = outcome.state.packages;
    assert.equal(outcome.outcome, 'budget', JSON.stringify(outcome.counts));
    assert.deepEqual([p.a!.status, p.b!.status], ['succeeded', 'succeeded'], 'a reached nothing; b brought the run to $0.04');
    assert.equal(p.c!.attempts, 0, 'nothing started past the budget');
    assert.deepEqual(p.a!.spend, { inputTokens: 1000, outputTokens: 100, cachedTokens: 0, costUsd: 0.02 });
    assert.ok(events.some((e) => e.type === 'problem' && /reached its budget \(\$0\.04 of \$0\.03\)/.test(e.message)));
    const report = JSON.parse(fs.readFileSync(outcome.reportFile!.replace(/\.md$/, '.json'), 'utf8'));
    assert.deepEqual(report.spend, { inputTokens: 2000, outputTokens: 200, cachedTokens: 0, costUsd: 0.04 });
    assert.match(fs.readFileSync(outcome.reportFile!, 'utf8'), /## Spend\n\nTotal: 2,200 tokens \(2,000 in, 200 out, 0 cached\) · \$0\.04\./);
    assert.deepEqual(treeFiles(repo, integrationBranch('budget')), ['README.md', 'a/x.txt', 'b/x.txt', 'work-packages.yaml']);
  });
});

describe('a turn that ends with a question (#16)', () => {
  test('is shown as the question, not "changed no file", is not retried without an answer, and the answer goes into the next prompt', async () => {
    const marker = path.join(tempDir(), 'asked');
    const walls = { confinement: { options: { write: [path.dirname(marker)] } } };
    const { repo, planFile } = repoWithPlan('question', [
      { id: 'a', agent: [`question-once ${marker} Which database should the cache use, SQLite or Redis?`, 'write a/x.txt'], retryBudget: 2 },
    ]);
    const first = await engineFor(planFile, runnerScript, walls);
    let outcome;
    try {
      outcome = await first.engine.run();
    } finally {
      first.engine.dispose();
    }
    const a = outcome.state.packages.a!;
    assert.equal(a.status, 'failed');
    assert.equal(a.lastError, 'the agent asked a question and changed nothing: “Which database should the cache use, SQLite or Redis?”');
    assert.equal(a.question, 'Which database should the cache use, SQLite or Redis?');
    assert.equal(a.attempts, 1, 'not retried without an answer, budget or not');

    // The person answers; the package runs again with the answer in its prompt.
    await resetPackages(repo, 'question', ['failed'], ['a']);
    const second = await engineFor(planFile, runnerScript, { ...walls, answers: { a: 'SQLite: one file, no server.' } });
    try {
      outcome = await second.engine.run({ resume: true });
    } finally {
      second.engine.dispose();
    }
    assert.equal(outcome.state.packages.a!.status, 'succeeded', outcome.state.packages.a!.lastError ?? '');
    assert.equal(outcome.state.packages.a!.question ?? null, null, 'the question is answered');
    const prompt = fs.readFileSync(attemptFiles(attemptDir(repo, 'question', outcome.runId, 'a', 2)).prompt, 'utf8');
    assert.match(prompt, /### Your question, answered[\s\S]*Which database should the cache use, SQLite or Redis\?[\s\S]*SQLite: one file, no server\./);
  });
});

describe('fallback agents and per-agent caps (#16)', () => {
  test("a package whose agent stops at a usage limit goes on with the person's fallback agent, no retry spent", async () => {
    const marker = path.join(tempDir(), 'limited');
    const walls = { confinement: { options: { write: [path.dirname(marker)] } } };
    const resetEpoch = Math.floor(Date.now() / 1000) + 3600;
    const { repo, planFile } = repoWithPlan('fallback', [{ id: 'a', agent: [`usage-limit-once ${marker} ${resetEpoch}`, 'write a/x.txt'], retryBudget: 0 }]);
    const fallback = customProfile([process.execPath, SCRIPTED_AGENT, '--prompt', '${promptFile}', '--result', '${resultFile}'], { verdict: 'claude-stream-json', label: 'the fallback agent' });
    const { engine } = await engineFor(planFile, runnerScript, { ...walls, agentFallback: [fallback] });
    let outcome;
    try {
      outcome = await engine.run();
    } finally {
      engine.dispose();
    }
    const a = outcome.state.packages.a!;
    assert.equal(a.status, 'succeeded', a.lastError ?? '');
    assert.equal(a.attempts, 2);
    assert.equal(a.usageLimits, 1);
    const argvOf = (n: number) => (JSON.parse(fs.readFileSync(attemptFiles(attemptDir(repo, 'fallback', outcome.runId, 'a', n)).spec, 'utf8')) as { argv: string[] }).argv;
    assert.ok(argvOf(1).includes('--package'), 'attempt 1: the run\'s agent');
    assert.ok(!argvOf(2).includes('--package'), 'attempt 2: the fallback agent');
    assert.deepEqual(treeFiles(repo, integrationBranch('fallback')), ['README.md', 'a/x.txt', 'work-packages.yaml']);
  });

  test('agentCaps: no more than that many attempts of one agent at once, whatever the run allows', async () => {
    const { planFile } = repoWithPlan('capped', [
      { id: 'a', agent: ['sleep 300', 'write a/x.txt'] },
      { id: 'b', agent: ['sleep 300', 'write b/x.txt'] },
      { id: 'c', agent: ['sleep 300', 'write c/x.txt'] },
    ]);
    const { engine } = await engineFor(planFile, runnerScript, { maxParallel: 3, agentCaps: { custom: 1 } });
    let outcome;
    try {
      outcome = await engine.run();
    } finally {
      engine.dispose();
    }
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    const spans = ['a', 'b', 'c'].map((id) => outcome.state.packages[id]!).map((r) => [Date.parse(r.startedAt!), Date.parse(r.endedAt!)] as const).sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < spans.length; i++) assert.ok(spans[i]![0] >= spans[i - 1]![1], `two attempts of the capped agent overlapped: ${JSON.stringify(spans)}`);
  });
});
