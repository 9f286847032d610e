/**
 * Best of n, first-green (ADR 0031): several candidates of one package run side by side, each in
 * its own tree and branch, inside its own walls, audited and verified as an attempt is; the
 * first green one goes on (merged, its dependents start from it), the others are stopped — with
 * the real runner and the scripted agent as real processes, in a real repository.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { attemptDir, attemptFiles, integrationBranch, packageBranch, runStateFile } from '../../../src/core/run/runPaths';
import type { RunState } from '../../../src/core/run/runState';
import { awaitingPick } from '../../../src/core/run/candidates';
import { submitReview } from '../../../src/engine/usecases/review';
import type { EngineEvent } from '../../../src/engine/run/engine';
import { engineFor, isolateGit, readAt, repoWithPlan, runToEnd, treeFiles } from '../engineFixtures';
import { buildRunner, git, pidAlive, REPO_ROOT, spawnProcess, tempDir, waitFor } from '../helpers';

let runnerScript = '';

before(async () => {
  isolateGit();
  runnerScript = await buildRunner();
});

/**
 * Starts `feature`'s run and waits until it awaits the pick (`awaiting`, read from its events and
 * the run state on disk); `beforeStop` checks it there. The engine is stopped, a new one resumes
 * the run and awaits the pick again (`afterResume` checks it there); candidate `pick` is picked
 * through the review door, and the resumed run's outcome returned.
 */
async function awaitPickThroughRestart(
  repo: string,
  planFile: string,
  feature: string,
  o: { maxParallel: number; awaiting: (events: EngineEvent[], state: RunState) => boolean; beforeStop: (state: RunState, events: EngineEvent[]) => void; afterResume?: (state: RunState) => Promise<void>; pick: number },
) {
  const stateNow = () => JSON.parse(fs.readFileSync(runStateFile(repo, feature), 'utf8')) as RunState;
  const awaits = (events: EngineEvent[]) => fs.existsSync(runStateFile(repo, feature)) && o.awaiting(events, stateNow());
  const first = await engineFor(planFile, runnerScript, { maxParallel: o.maxParallel });
  void first.engine.run().catch(() => undefined);
  try {
    await waitFor(() => awaits(first.events), 'the pick to be awaited', 30_000);
    o.beforeStop(stateNow(), first.events);
  } finally {
    first.engine.dispose();
  }
  const { engine, events } = await engineFor(planFile, runnerScript, { maxParallel: o.maxParallel });
  try {
    const done = engine.run({ resume: true });
    await waitFor(() => events.some((e) => e.type === 'run-started') && awaits(events), 'the resumed run awaiting the pick', 30_000);
    await o.afterResume?.(stateNow());
    const picked = await submitReview(repo, feature, { packageId: 'a', kind: 'pick', candidate: o.pick });
    assert.deepEqual(picked, { ok: true, delivered: 'driver' });
    return await done;
  } finally {
    engine.dispose();
  }
}

describe('best of n: what candidates say through the run (ADR 0036)', () => {
  test("each candidate's progress, note and question are its own: the chosen one's note reaches the dependent, another's question judges no one else", async () => {
    const { repo, planFile } = repoWithPlan('best-talk', [
      {
        id: 'a',
        write: ['a/**'],
        candidates: { count: 2 },
        agent: [
          // Candidate 1 asks and changes nothing; candidate 2 says how far it is, leaves a note and does the work.
          'if-tree a mcp ask {"question": "Which greeting?"}',
          'if-tree a mcp handoff {"note": "from candidate 1"}',
          'if-tree a.c2 sleep 1500',
          'if-tree a.c2 mcp progress {"fraction": 0.5, "message": "half way"}',
          'if-tree a.c2 mcp handoff {"note": "from candidate 2"}',
          'if-tree a.c2 write a/x.txt from candidate 2',
          'if-tree a.c2 commit',
        ],
      },
      { id: 'b', deps: ['a'], write: ['b/**'], agent: ['write b/y.txt', 'commit'] },
    ]);
    const { outcome } = await runToEnd(planFile, runnerScript, { maxParallel: 4, verification: 'approved' });
    const a = outcome.state.packages.a!;
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(a));
    assert.equal(a.chosen?.candidate, 2);
    const byK = new Map(a.candidates!.map((c) => [c.candidate, c]));
    // Each candidate's record holds what it said.
    assert.equal(byK.get(1)!.status, 'failed');
    assert.equal(byK.get(1)!.question, 'Which greeting?', byK.get(1)!.lastError ?? '');
    assert.deepEqual(byK.get(1)!.handoffs, ['from candidate 1']);
    assert.deepEqual(byK.get(2)!.handoffs, ['from candidate 2']);
    assert.equal(byK.get(2)!.progress?.message, 'half way');
    // The package takes the chosen one's: its note, its progress; no question of another's.
    assert.deepEqual(a.handoffs, ['from candidate 2']);
    assert.equal(a.progress?.message, 'half way');
    assert.equal(a.question ?? null, null);
    const prompt = fs.readFileSync(path.join(attemptDir(repo, 'best-talk', outcome.state.runId, 'b', 1), 'prompt.md'), 'utf8');
    assert.match(prompt, /> from candidate 2/);
    assert.doesNotMatch(prompt, /from candidate 1/, "a candidate not chosen leaves the dependents no note");
  });
});

describe('best of n: first-green', () => {
  test('the first candidate audited and verified goes on; one out of scope is never chosen; the rest are stopped, no process left; dependents build on it', async () => {
    const { repo, planFile } = repoWithPlan('best', [
      {
        id: 'a',
        candidates: { count: 3 },
        commands: ['test -f a/x.txt'],
        agent: [
          // Candidate 1 (the package's own tree) writes outside its scope; 2 takes its time; 3 does the work.
          'if-tree a write other/x.txt',
          'if-tree a write a/x.txt from candidate 1',
          'if-tree a.c2 sleep 60000',
          'if-tree a.c3 sleep 1500',
          'if-tree a.c3 write a/x.txt from candidate 3',
        ],
      },
      { id: 'b', deps: ['a'], agent: ['write b/y.txt'] },
    ]);
    const { outcome, events } = await runToEnd(planFile, runnerScript, { maxParallel: 4, verification: 'approved' });
    const a = outcome.state.packages.a!;
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    assert.equal(a.status, 'succeeded');
    assert.equal(a.attempts, 1, 'a set is one attempt');
    assert.deepEqual(a.chosen, { candidate: 3, why: 'the first to pass its audit and verification' });
    const byK = new Map(a.candidates!.map((c) => [c.candidate, c]));
    assert.equal(byK.get(1)!.status, 'scope-violation', byK.get(1)!.lastError ?? '');
    assert.deepEqual(byK.get(1)!.scopeViolations.map((v) => v.path), ['other/x.txt']);
    assert.equal(byK.get(2)!.status, 'cancelled', byK.get(2)!.lastError ?? '');
    assert.equal(byK.get(3)!.status, 'succeeded', 'the chosen candidate ended with its package');
    assert.deepEqual(byK.get(3)!.verification.map((v) => v.ok), [true]);
    // Each ran in a tree and branch of its own.
    assert.deepEqual(
      a.candidates!.map((c) => c.branch),
      [packageBranch('best', 'a'), packageBranch('best', 'a.c2'), packageBranch('best', 'a.c3')],
    );
    assert.equal(a.branch, packageBranch('best', 'a.c3'), 'the package took the chosen candidate’s attempt');
    // What merged is candidate 3's work, and only it.
    const tip = integrationBranch('best');
    assert.equal(readAt(repo, tip, 'a/x.txt'), 'from candidate 3');
    assert.ok(!treeFiles(repo, tip).includes('other/x.txt'));
    // b started after a's merge, from it.
    const b = outcome.state.packages.b!;
    assert.equal(b.status, 'succeeded');
    assert.equal(git(repo, 'merge-base', '--is-ancestor', a.headSha!, b.headSha!), '');
    // No runner of the stopped candidate is left.
    const pid = byK.get(2)!.pid;
    assert.ok(pid && !pidAlive(pid), `candidate 2's runner ${pid} is gone`);
    // The losers' branches stay for a look.
    assert.ok(git(repo, 'branch', '--list', packageBranch('best', 'a.c2')).includes('a.c2'));
    assert.ok(events.some((e) => e.type === 'package' && e.packageId === 'a' && e.status === 'verifying' && /candidate 3 goes on/.test(e.detail ?? '')));
  });

  test('a set outlives its engine: resumed, live candidates are adopted, a dead one interrupted, the first green goes on', async () => {
    const { repo, planFile } = repoWithPlan('best-resume', [
      {
        id: 'a',
        candidates: { count: 3 },
        agent: ['ask waiting for approval', 'if-tree a exit 5', 'if-tree a.c2 write a/x.txt from candidate 2', 'if-tree a.c3 write a/x.txt from candidate 3'],
      },
    ]);
    const resume = path.join(tempDir(), 'resume');
    // A runner per attempt (ADR 0041: one of several attempts ends them all), so that candidate 3's dies alone.
    const driver = spawnProcess(
      [process.execPath, '--import', 'tsx', path.join(REPO_ROOT, 'test', 'engine', 'engine-driver.ts'), JSON.stringify({ planFile, runnerScript, env: { WAVES_TEST_AGENT_RESUME: resume } })],
      { cwd: REPO_ROOT, env: { ...process.env, WAVES_RUNNER_TOKENS: '1' } },
    );
    const waiting = () => driver.stdout().split('\n').filter(Boolean).filter((l) => (JSON.parse(l) as EngineEvent).type === 'needs-input').length;
    await waitFor(() => waiting() >= 3, `the three candidates to wait for input (driver: ${driver.stderr()})`, 30_000);
    driver.child.kill('SIGKILL');
    await driver.exited;
    // Candidate 3's runner and agent die too; 1 and 2 live on.
    const runId = (JSON.parse(fs.readFileSync(runStateFile(repo, 'best-resume'), 'utf8')) as RunState).runId;
    const meta = JSON.parse(fs.readFileSync(attemptFiles(attemptDir(repo, 'best-resume', runId, 'a.c3', 1)).meta, 'utf8')) as { runnerPid: number; agentPid: number };
    process.kill(meta.runnerPid, 'SIGKILL');
    process.kill(-meta.agentPid, 'SIGKILL');
    await waitFor(() => !pidAlive(meta.runnerPid) && !pidAlive(meta.agentPid), 'candidate 3 to be gone');

    const { outcome } = await runToEnd(planFile, runnerScript, { env: { WAVES_TEST_AGENT_RESUME: resume } }, { resume: true }, () => fs.writeFileSync(resume, ''));
    const a = outcome.state.packages.a!;
    assert.equal(outcome.runId, runId, 'the same run went on');
    assert.equal(a.status, 'succeeded', a.lastError ?? '');
    assert.equal(a.attempts, 1);
    assert.deepEqual(a.candidates!.map((c) => c.status), ['failed', 'succeeded', 'interrupted']);
    assert.equal(a.chosen?.candidate, 2);
    assert.equal(readAt(repo, integrationBranch('best-resume'), 'a/x.txt'), 'from candidate 2');
  });

  test('a set whose candidates all failed spends one retry; the next set starts anew, each candidate in its tree again, and the first green goes on', async () => {
    const marks = tempDir();
    const { repo, planFile } = repoWithPlan('best-retry', [
      {
        id: 'a',
        candidates: { count: 2 },
        retryBudget: 1,
        agent: [`if-tree a fail-once ${path.join(marks, '1')}`, `if-tree a.c2 fail-once ${path.join(marks, '2')}`, 'if-tree a.c2 sleep 1500', 'write a/x.txt done'],
      },
    ]);
    const { outcome } = await runToEnd(planFile, runnerScript, { maxParallel: 2, confinement: { options: { write: [marks] } } });
    const a = outcome.state.packages.a!;
    assert.equal(a.status, 'succeeded', a.lastError ?? '');
    assert.equal(a.attempts, 2, 'two sets, one retry');
    assert.deepEqual(a.candidates!.map((c) => [c.candidate, c.attempts, c.status]), [
      [1, 2, 'succeeded'],
      [2, 2, 'cancelled'],
    ]);
    assert.equal(a.chosen?.candidate, 1);
    assert.equal(readAt(repo, integrationBranch('best-retry'), 'a/x.txt'), 'done');
    assert.ok(fs.existsSync(path.join(repo, '.waves')) && a.candidates![1]!.worktree!.endsWith(`${path.sep}a.c2`));
  });

  test('cancelling the package stops every candidate (no process left) and cancels the package, not fails it', async () => {
    const { planFile } = repoWithPlan('best-cancel', [{ id: 'a', candidates: { count: 3 }, agent: ['sleep 60000', 'write a/x.txt'] }]);
    const { engine, events } = await engineFor(planFile, runnerScript, { maxParallel: 3 });
    try {
      const done = engine.run();
      await waitFor(() => events.filter((e) => e.type === 'package' && e.packageId === 'a' && e.status === 'running').length > 0 && engine.store?.state?.packages.a?.candidates?.every((c) => c.status === 'running'), 'the three candidates running', 30_000);
      await engine.cancel('a');
      const outcome = await done;
      const a = outcome.state.packages.a!;
      assert.equal(a.status, 'cancelled', a.lastError ?? '');
      assert.deepEqual(a.candidates!.map((c) => c.status), ['cancelled', 'cancelled', 'cancelled']);
      for (const c of a.candidates!) assert.ok(c.pid && !pidAlive(c.pid), `candidate ${c.candidate}'s runner ${c.pid} is gone`);
    } finally {
      engine.dispose();
    }
  });

  test("pick: person — every candidate runs to its end; the package awaits the pick (through a restart), its dependents wait; a failed candidate cannot be picked; the person's pick merges", async () => {
    const { repo, planFile } = repoWithPlan('best-person', [
      { id: 'a', candidates: { count: 3, pick: 'person' }, agent: ['if-tree a write elsewhere/x.txt', 'if-tree a.c2 write a/x.txt from candidate 2', 'if-tree a.c3 write a/x.txt from candidate 3'] },
      { id: 'b', deps: ['a'], agent: ['write b/y.txt'] },
    ]);
    const outcome = await awaitPickThroughRestart(repo, planFile, 'best-person', {
      maxParallel: 3,
      awaiting: (_events, state) => awaitingPick(state.packages.a!),
      beforeStop: (state, events) => {
        assert.deepEqual(state.packages.a!.candidates!.map((c) => c.status), ['scope-violation', 'verifying', 'verifying'], 'both green ones ran to their end');
        assert.ok(events.some((e) => e.type === 'package' && e.packageId === 'a' && /awaiting your pick: candidates 2 \(custom\), 3 \(custom\)/.test(e.detail ?? '')));
        assert.equal(state.packages.b!.attempts, 0, 'its dependent waits');
      },
      // Through a restart: still awaiting, its candidates intact; a candidate that is not green cannot be picked.
      afterResume: async () => {
        const refused = await submitReview(repo, 'best-person', { packageId: 'a', kind: 'pick', candidate: 1 });
        assert.ok(!refused.ok && /candidate 1 of a is scope-violation, not audited and verified green/.test(refused.reason), JSON.stringify(refused));
      },
      pick: 3,
    });
    const a = outcome.state.packages.a!;
    assert.equal(a.status, 'succeeded', a.lastError ?? '');
    assert.deepEqual(a.chosen, { candidate: 3, why: 'your pick' });
    assert.deepEqual(a.candidates!.map((c) => c.status), ['scope-violation', 'cancelled', 'succeeded']);
    assert.equal(readAt(repo, integrationBranch('best-person'), 'a/x.txt'), 'from candidate 3');
    assert.equal(outcome.state.packages.b!.status, 'succeeded');
  });

  test('pick: judge — the judge (an agent in its own folder) reads the green candidates and its first goes on, its reason said; with no usable answer the first green goes on', async () => {
    const ranking = '{"ranking":[{"candidate":3,"reason":"it names its constants"},{"candidate":2,"reason":"works"}]}';
    const { repo, planFile } = repoWithPlan('best-judge', [
      {
        id: 'a',
        candidates: { count: 3, pick: 'judge' },
        agent: ['if-tree a exit 4', 'if-tree a.c2 write a/x.txt from candidate 2', 'if-tree a.c3 write a/x.txt from candidate 3', `if-tree judge write ranking.json ${ranking}`],
      },
      { id: 'b', deps: ['a'], agent: ['write b/y.txt'] },
    ]);
    const { outcome } = await runToEnd(planFile, runnerScript, { maxParallel: 3 });
    const a = outcome.state.packages.a!;
    assert.equal(a.status, 'succeeded', a.lastError ?? '');
    assert.deepEqual(a.chosen, { candidate: 3, why: 'the judge: it names its constants' });
    assert.deepEqual(a.candidates!.map((c) => c.status), ['failed', 'cancelled', 'succeeded']);
    assert.equal(readAt(repo, integrationBranch('best-judge'), 'a/x.txt'), 'from candidate 3');
    // The judge saw both green diffs, and wrote nothing but its answer (no tree, no branch of its own).
    const prompt = fs.readFileSync(attemptFiles(attemptDir(repo, 'best-judge', outcome.runId, 'a.judge', 1)).prompt, 'utf8');
    assert.match(prompt, /## Candidate 2 \(custom\)[\s\S]*from candidate 2[\s\S]*## Candidate 3 \(custom\)[\s\S]*from candidate 3/);
    assert.doesNotMatch(prompt, /## Candidate 1/);
    assert.equal(outcome.state.packages.b!.status, 'succeeded');

    const { repo: repo2, planFile: plan2 } = repoWithPlan('best-judge-mute', [
      { id: 'a', candidates: { count: 2, pick: 'judge' }, agent: ['if-tree a write a/x.txt from candidate 1', 'if-tree a.c2 write a/x.txt from candidate 2', 'if-tree judge write ranking.json not a ranking'] },
    ]);
    const mute = (await runToEnd(plan2, runnerScript, { maxParallel: 2 })).outcome.state.packages.a!;
    assert.equal(mute.status, 'succeeded', mute.lastError ?? '');
    assert.deepEqual(mute.chosen, { candidate: 1, why: 'the first green one (the judge gave no ranking: its ranking.json is not JSON)' });
    assert.equal(readAt(repo2, integrationBranch('best-judge-mute'), 'a/x.txt'), 'from candidate 1');
  });

  test("pick: judge with confirm — the judge's first waits for the person (through a restart, not judged again); the person's pick, another than the judge's, merges", async () => {
    const ranking = '{"ranking":[{"candidate":2,"reason":"it names its constants"},{"candidate":1,"reason":"works"}]}';
    const { repo, planFile } = repoWithPlan('best-confirm', [
      {
        id: 'a',
        candidates: { count: 2, pick: 'judge', confirm: true },
        agent: ['if-tree a write a/x.txt from candidate 1', 'if-tree a.c2 write a/x.txt from candidate 2', `if-tree judge write ranking.json ${ranking}`],
      },
      { id: 'b', deps: ['a'], agent: ['write b/y.txt'] },
    ]);
    const awaits = (events: EngineEvent[]) => events.some((e) => e.type === 'package' && e.packageId === 'a' && /^awaiting your pick: candidates 1 \(custom\), 2 \(custom\) passed audit and verification; the judge ranks 2 first: it names its constants$/.test(e.detail ?? ''));
    let judgeDir = '';
    let judgedAt = 0;
    const outcome = await awaitPickThroughRestart(repo, planFile, 'best-confirm', {
      maxParallel: 2,
      awaiting: (events, state) => state.packages.a!.ranked != null && awaits(events),
      beforeStop: (state) => {
        const a0 = state.packages.a!;
        assert.deepEqual(a0.ranked, { candidate: 2, why: 'it names its constants' });
        assert.equal(a0.chosen ?? null, null, "the judge's first did not go on by itself");
        assert.ok(awaitingPick(a0));
        assert.equal(state.packages.b!.attempts, 0, 'its dependent waits');
        judgeDir = attemptDir(repo, 'best-confirm', state.runId, 'a.judge', 1);
        judgedAt = fs.statSync(attemptFiles(judgeDir).prompt).mtimeMs;
      },
      afterResume: async () => assert.equal(fs.statSync(attemptFiles(judgeDir).prompt).mtimeMs, judgedAt, 'not judged again'),
      pick: 1,
    });
    const a = outcome.state.packages.a!;
    assert.equal(a.status, 'succeeded', a.lastError ?? '');
    assert.deepEqual(a.chosen, { candidate: 1, why: 'your pick (the judge ranked candidate 2 first: it names its constants)' });
    assert.equal(readAt(repo, integrationBranch('best-confirm'), 'a/x.txt'), 'from candidate 1');
    assert.equal(outcome.state.packages.b!.status, 'succeeded');
  });

  test("a candidate's tricks reach no one: a sibling candidate's tree, the person's checkout and the shared hooks stay as they were; one that leaves its branch is never chosen", async () => {
    const { repo, planFile } = repoWithPlan('best-tricks', [
      {
        id: 'a',
        candidates: { count: 3 },
        agent: [
          'if-tree a sleep 3000',
          'if-tree a write a/x.txt from candidate 1',
          // 2 tries the walls from its tree (<repo>.worktrees/<feature>/a.c2), then does the work in its own tree.
          'if-tree a.c2 try-write ../a/a/x.txt from candidate 2',
          'if-tree a.c2 try-write ../../../repo/mine.txt from candidate 2',
          'if-tree a.c2 try-write ../../../repo/.git/hooks/pre-commit #!/bin/sh\\necho planted',
          'if-tree a.c2 sleep 800',
          'if-tree a.c2 write a/x.txt from candidate 2',
          // 3 tries a branch of its own (the walls refuse: refs/heads is not its), then leaves its branch with its work.
          'if-tree a.c3 git-try checkout -q -b elsewhere',
          'if-tree a.c3 git checkout -q --detach',
          'if-tree a.c3 write a/x.txt from candidate 3',
          'if-tree a.c3 commit',
        ],
      },
    ]);
    assert.equal(path.basename(repo), 'repo', 'the relative paths above name the checkout');
    const { outcome } = await runToEnd(planFile, runnerScript, { maxParallel: 3 });
    const a = outcome.state.packages.a!;
    assert.equal(a.status, 'succeeded', a.lastError ?? '');
    const [c1, c2, c3] = a.candidates!;
    assert.equal(a.chosen?.candidate, 2, JSON.stringify(a.chosen));
    assert.equal(c3!.status, 'scope-violation', `${c3!.lastError}: ${fs.readFileSync(c3!.logFile!, 'utf8')}`);
    assert.match(c3!.lastError ?? '', /left its branch/);
    assert.equal(readAt(repo, integrationBranch('best-tricks'), 'a/x.txt'), 'from candidate 2');
    // Its tries were refused by the walls, and nothing of them is anywhere.
    const log = fs.readFileSync(c2!.logFile!, 'utf8');
    for (const target of ['../a/a/x.txt', '../../../repo/mine.txt', '../../../repo/.git/hooks/pre-commit']) assert.match(log, new RegExp(`tried write ${target.replaceAll('.', '\\.')}: refused`), log);
    assert.equal(fs.existsSync(path.join(c1!.worktree!, 'a', 'x.txt')), false, "the sibling's tree");
    assert.equal(fs.existsSync(path.join(repo, 'mine.txt')), false, "the person's checkout");
    assert.equal(git(repo, 'status', '--porcelain'), '');
    assert.equal(fs.existsSync(path.join(repo, '.git', 'hooks', 'pre-commit')), false, 'the shared hooks');
    assert.equal(git(repo, 'branch', '--list', 'elsewhere'), '', 'no branch of its own making');
  });

  test("a set counts each candidate against its agent's cap: another package of that agent waits until the candidates are done", async () => {
    const { outcome } = await runToEnd(
      repoWithPlan('best-caps', [
        { id: 'a', candidates: { count: 2 }, agent: ['sleep 1500', 'write a/x.txt'] },
        { id: 'b', agent: ['write b/y.txt'] },
      ]).planFile,
      runnerScript,
      { maxParallel: 4, agentCaps: { custom: 2 } },
    );
    const a = outcome.state.packages.a!;
    const b = outcome.state.packages.b!;
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    // a's two candidates took the agent's two slots: b started only after the first of them ended.
    const firstEnd = Math.min(...a.candidates!.map((c) => Date.parse(c.phases!.find((m) => m.phase !== 'running')!.at)));
    assert.ok(Date.parse(b.startedAt!) >= firstEnd, `b started ${b.startedAt}, a candidate ended ${new Date(firstEnd).toISOString()}`);
  });

  test('when no candidate is green the package fails once, saying how each ended; its dependents are blocked', async () => {
    const { planFile } = repoWithPlan('best-none', [
      {
        id: 'a',
        candidates: { count: 2 },
        agent: ['if-tree a exit 4', 'if-tree a.c2 write elsewhere/x.txt'],
      },
      { id: 'b', deps: ['a'], agent: ['write b/y.txt'] },
    ]);
    const { outcome } = await runToEnd(planFile, runnerScript, { maxParallel: 2 });
    const a = outcome.state.packages.a!;
    assert.equal(a.status, 'failed');
    assert.equal(a.attempts, 1);
    assert.match(a.lastError ?? '', /none of its 2 candidates went on — 1 \(custom\) failed: .*exited with code 4.*; 2 \(custom\) scope-violation: /);
    assert.equal(outcome.state.packages.b!.status, 'blocked');
  });
});
