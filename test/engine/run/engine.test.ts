/**
 * RunEngine end to end: real git repositories in temp folders, the real runner bundle, the
 * scripted test agent as a real process (through a `custom` agent profile). No fixed
 * sleeps: every wait is for an event or a file, with a deadline.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { LockTableStore } from '../../../src/store/lockTableStore';
import { attemptDir, attemptFiles, integrationBranch, runStateFile, worktreePath } from '../../../src/core/run/runPaths';
import { AHEAD_AFTER_LAUNCH_MS } from '../../../src/core/run/startAhead';
import type { RunState } from '../../../src/core/run/runState';
import { LeaseHeldError, PlanInvalidError, RunEngine, VerificationNotApprovedError, type EngineEvent, type EngineOptions } from '../../../src/engine/run/engine';
import { engineFor as sharedEngineFor, exists, isolateGit, planYaml, readAt, repoWithPlan, scriptedAgent, treeFiles, type TestPackage } from '../engineFixtures';
import { buildRunner, git, pidAlive, REPO_ROOT, spawnProcess, tempDir, waitFor } from '../helpers';

let runnerScript = '';

before(async () => {
  isolateGit();
  runnerScript = await buildRunner();
});

const engineFor = (planFile: string, extra: Partial<EngineOptions> = {}) => sharedEngineFor(planFile, runnerScript, extra);

function readState(repo: string, featureId: string): RunState {
  return JSON.parse(fs.readFileSync(runStateFile(repo, featureId), 'utf8')) as RunState;
}

/** Resumes the run of `planFile` in a new engine, lets its scripted agents go on (`resume`) once it started, and waits for its end. */
async function resumeAndRelease(planFile: string, resume: string) {
  const { engine, events } = await engineFor(planFile, { env: { WAVES_TEST_AGENT_RESUME: resume } });
  const done = engine.run({ resume: true });
  await waitFor(() => events.some((e) => e.type === 'run-started'), 'the resumed run to start');
  fs.writeFileSync(resume, '');
  return { outcome: await done, events };
}

/** The user's side of the repository: branch, HEAD and a clean working tree. */
function userSide(repo: string): { branch: string; head: string; status: string; files: string[] } {
  return {
    branch: git(repo, 'symbolic-ref', '--short', 'HEAD').trim(),
    head: git(repo, 'rev-parse', 'HEAD').trim(),
    status: git(repo, 'status', '--porcelain', '--untracked-files=all'),
    files: treeFiles(repo, 'HEAD'),
  };
}

const statusEvents = (events: EngineEvent[]) => events.filter((e): e is Extract<EngineEvent, { type: 'package' }> => e.type === 'package');

describe('RunEngine', () => {
  test('a three-wave plan runs to a merged integration branch with exactly the files the agents wrote', async () => {
    const packages: TestPackage[] = [
      { id: 'a', agent: ['write a/one.txt first\\n'] },
      { id: 'b', deps: ['a'], agent: ['write b/two.txt', 'commit'] },
      { id: 'c', deps: ['a'], write: ['c/**', 'a/one.txt'], agent: ['append a/one.txt second\\n', 'write c/three.txt'] },
      { id: 'e', deps: ['a'], agent: ['write e/five.txt'] },
      { id: 'd', deps: ['b', 'c'], agent: ['write d/four.txt'] },
    ];
    const { repo, planFile } = repoWithPlan('three-waves', packages);
    const before = userSide(repo);
    const maxParallel = 2;
    const { engine, events } = await engineFor(planFile, { maxParallel });

    // The dry run, checked against an independent computation: every package once, at most
    // `maxParallel` per wave of starts, each after all of its dependencies.
    const dry = engine.dryRun();
    assert.deepEqual(dry.order.flat().sort(), ['a', 'b', 'c', 'd', 'e']);
    const waveOf = new Map(dry.order.flatMap((ids, i) => ids.map((id) => [id, i] as const)));
    for (const p of packages) {
      for (const d of p.deps ?? []) assert.ok(waveOf.get(d)! < waveOf.get(p.id)!, `${p.id} starts after ${d}`);
    }
    assert.ok(dry.order.every((w) => w.length <= maxParallel));
    assert.deepEqual(dry.order[0], ['a']);
    // b and c lead to d (longer remaining critical path) so they go before e.
    assert.deepEqual([...dry.order[1]!].sort(), ['b', 'c']);
    assert.equal(dry.prompts.length, 5);
    assert.ok(!exists(path.join(repo, '.waves')), 'the dry run writes nothing');

    const outcome = await engine.run();
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    assert.deepEqual(outcome.counts, { succeeded: 5 });

    const branch = integrationBranch('three-waves');
    assert.equal(outcome.integrationBranch, branch);
    assert.deepEqual(treeFiles(repo, branch), ['README.md', 'a/one.txt', 'b/two.txt', 'c/three.txt', 'd/four.txt', 'e/five.txt', 'work-packages.yaml']);
    // c built on a's merged result (a fresh base), so its append follows a's text.
    assert.equal(readAt(repo, branch, 'a/one.txt'), 'first\nsecond\n');

    // The user's branch and working tree are untouched.
    assert.deepEqual(userSide(repo), before);

    // The order the run followed: each package started after its dependencies succeeded,
    // never more than maxParallel active at once.
    const active = new Set<string>();
    const succeeded = new Set<string>();
    let peak = 0;
    for (const e of statusEvents(events)) {
      if (e.status === 'running') {
        for (const d of packages.find((p) => p.id === e.packageId)!.deps ?? []) assert.ok(succeeded.has(d), `${e.packageId} started before ${d} succeeded`);
      }
      if (e.status === 'queued' || e.status === 'running' || e.status === 'verifying') active.add(e.packageId);
      else active.delete(e.packageId);
      if (e.status === 'succeeded') succeeded.add(e.packageId);
      peak = Math.max(peak, active.size);
    }
    assert.ok(peak <= maxParallel, `peak ${peak}`);
    assert.equal(peak, maxParallel, 'the cap was used');

    // Saved state, merges and the report.
    const state = readState(repo, 'three-waves');
    assert.ok(Object.values(state.packages).every((r) => r.status === 'succeeded' && r.attempts === 1));
    assert.ok(Object.values(state.merges).every((m) => m.status === 'merged'));
    assert.equal(state.integration?.tipSha, git(repo, 'rev-parse', branch).trim());
    assert.ok(outcome.reportFile && exists(outcome.reportFile));
    const report = JSON.parse(fs.readFileSync(outcome.reportFile.replace(/\.md$/, '.json'), 'utf8')) as { counts: Record<string, number> };
    assert.equal(report.counts.succeeded, 5);
    assert.equal(events.at(-1)?.type, 'run-finished');
    // The lease is released at the end.
    assert.ok(!exists(path.join(repo, '.waves', 'runs', 'three-waves.lease')));
  });

  test('handoff: a dependent starts from its dependency\'s merge commit, after it; the merged worktree is removed after the dependent launched', async () => {
    const packages: TestPackage[] = [
      { id: 'a', agent: ['write a/one.txt first\\n'] },
      { id: 'b', deps: ['a'], agent: ['write b/two.txt'] },
    ];
    const { repo, planFile } = repoWithPlan('handoff', packages);
    const marks: string[] = [];
    const { engine } = await engineFor(planFile, { trace: (step, id) => marks.push(`${id}:${step}`) });
    const outcome = await engine.run();
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    const at = (mark: string) => {
      const i = marks.indexOf(mark);
      assert.ok(i >= 0, `${mark} in ${marks.join(' ')}`);
      return i;
    };
    assert.ok(at('a:merged') < at('b:scheduled'));
    assert.ok(at('b:scheduled') < at('b:tree-ready') && at('b:tree-ready') < at('b:launched'));
    // b's base is a's merge commit in the integration branch: a fresh base.
    const state = readState(repo, 'handoff');
    assert.equal(state.packages.b!.baseSha, state.merges.a!.commit);
    assert.equal(git(repo, 'show', `${state.packages.b!.baseSha}:a/one.txt`), 'first\n');
    // Both worktrees are gone (clean and merged); the user's branch is untouched.
    assert.ok(!exists(state.packages.a!.worktree!) && !exists(state.packages.b!.worktree!));
    assert.equal(git(repo, 'status', '--porcelain', '--untracked-files=all'), '');
  });

  test("a merged package's tree is removed once its dependent's agent has had its start, and always by the run's end (#37)", async () => {
    // b works 1.5 s: a's tree goes while b works, no sooner than AHEAD_AFTER_LAUNCH_MS after b was
    // scheduled (its launch, then its agent's Node start, have the cores first). c follows d at
    // once: d's tree waits for c's start, but the run's end (c is quick) waits for nothing more.
    const { repo, planFile } = repoWithPlan('tree-after-start', [
      { id: 'a', agent: ['write a/x.txt'] },
      { id: 'b', deps: ['a'], agent: ['sleep 1500', 'write b/x.txt'] },
      { id: 'd', agent: ['write d/x.txt'] },
      { id: 'c', deps: ['d'], agent: ['write c/x.txt'] },
    ]);
    const marks = new Map<string, number>();
    const { engine } = await engineFor(planFile, { trace: (step, id) => void (marks.has(`${id}:${step}`) || marks.set(`${id}:${step}`, Date.now())) });
    const aTree = worktreePath(repo, 'tree-after-start', 'a');
    let aGone: number | null = null;
    let aSeen = false;
    const poll = setInterval(() => {
      if (exists(aTree)) aSeen = true;
      else if (aSeen && aGone === null) aGone = Date.now();
    }, 5);
    try {
      const outcome = await engine.run();
      assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    } finally {
      clearInterval(poll);
    }
    const state = readState(repo, 'tree-after-start');
    assert.ok(aSeen && aGone !== null, "a's tree was there, then gone during the run");
    const bScheduled = marks.get('b:scheduled')!;
    assert.ok(aGone >= bScheduled + AHEAD_AFTER_LAUNCH_MS, `a's tree went ${aGone - bScheduled} ms after b was scheduled, not before ${AHEAD_AFTER_LAUNCH_MS} ms`);
    assert.ok(aGone < marks.get('b:exit-seen')!, "a's tree went while b worked");
    for (const id of ['a', 'b', 'c', 'd']) assert.ok(!exists(state.packages[id]!.worktree!), `${id}'s tree is gone at the run's end`);
  });

  test('every failure ends in its status, blocks only its dependents, and loses nothing of the user', async () => {
    const packages: TestPackage[] = [
      { id: 'ok', lockFiles: ['ok/x.txt'], agent: ['write ok/x.txt'] },
      { id: 'scope', agent: ['write scope/in.txt', 'write elsewhere/out.txt'] },
      { id: 'scope-dep', deps: ['scope'], agent: ['write scope-dep/x.txt'] },
      { id: 'del', agent: ['delete del/old.md', 'write del/new.md'] },
      { id: 'fail', retryBudget: 1, agent: ['write fail/x.txt', 'exit 3'] },
      { id: 'fail-dep', deps: ['fail'], agent: ['write fail-dep/x.txt'] },
      { id: 'hang', timeoutMinutes: 1, agent: ['write hang/x.txt', 'hang'] },
      { id: 'errv', agent: ['write errv/x.txt', 'verdict-error the model gave up'] },
      { id: 'nothing', agent: [] },
    ];
    const { repo, planFile } = repoWithPlan('failures', packages, { 'del/old.md': 'old\n' });
    fs.writeFileSync(path.join(repo, 'notes.txt'), 'the user is editing this\n'); // uncommitted work of the user
    const before = userSide(repo);
    const { engine, events } = await engineFor(planFile, { minuteMs: 1500 });
    const outcome = await engine.run();
    assert.equal(outcome.outcome, 'failed');
    const state = outcome.state;
    const status = (id: string) => state.packages[id]!.status;
    const lastError = (id: string) => state.packages[id]!.lastError ?? '';

    assert.equal(status('ok'), 'succeeded', lastError('ok'));
    assert.equal(status('scope'), 'scope-violation');
    assert.deepEqual(state.packages.scope!.scopeViolations, [{ path: 'elsewhere/out.txt', change: 'A' }]);
    assert.equal(status('scope-dep'), 'blocked');
    assert.deepEqual(state.packages['scope-dep']!.blockedBy, ['scope']);
    assert.equal(state.packages['scope-dep']!.attempts, 0, 'a blocked package never starts');

    assert.equal(status('del'), 'succeeded');
    assert.ok(state.packages.del!.changedFiles.some((c) => c.path === 'del/old.md' && c.change === 'D'));
    assert.ok(events.some((e) => e.type === 'problem' && e.message.includes('deleted del/old.md')), 'the deletion is flagged');

    assert.equal(status('fail'), 'failed');
    assert.equal(state.packages.fail!.attempts, 2, 'retried once within retry_budget 1');
    assert.match(lastError('fail'), /code 3/);
    assert.equal(status('fail-dep'), 'blocked');

    assert.equal(status('hang'), 'failed');
    assert.match(lastError('hang'), /timed out/);
    assert.equal(status('errv'), 'failed');
    assert.match(lastError('errv'), /reported a failure/);
    assert.equal(status('nothing'), 'failed');
    assert.match(lastError('nothing'), /changed no file and wrote no result record/);

    // Only the successes were merged; the failures' work is kept on their branches.
    const branch = integrationBranch('failures');
    assert.deepEqual(treeFiles(repo, branch), ['README.md', 'del/new.md', 'ok/x.txt', 'work-packages.yaml']);
    assert.ok(treeFiles(repo, 'waves/failures/scope').includes('elsewhere/out.txt'));
    assert.ok(treeFiles(repo, 'waves/failures/fail').length > 0);
    // The user's branch, HEAD and working tree (with its uncommitted file) are as they were.
    assert.deepEqual(userSide(repo), before);
    assert.equal(fs.readFileSync(path.join(repo, 'notes.txt'), 'utf8'), 'the user is editing this\n');
    assert.ok(exists(path.join(repo, 'del', 'old.md')));
    // Blocked, failed and violating packages hold no lock once the run ended.
    assert.deepEqual(new LockTableStore(repo).read().locks, []);
  });

  test('a merge conflict stops that package with the files listed and blocks its dependents; needs-input is reported', async () => {
    const packages: TestPackage[] = [
      { id: 'x', agent: ['write x/f.txt from the agent\\n', 'ask waiting for approval', 'commit'] },
      { id: 'y', agent: ['write y/g.txt'] },
      { id: 'z', deps: ['x'], agent: ['write z/h.txt'] },
    ];
    const { repo, planFile } = repoWithPlan('conflict', packages);
    const resume = path.join(tempDir(), 'resume');
    const { engine, events } = await engineFor(planFile, { env: { WAVES_TEST_AGENT_RESUME: resume } });
    const done = engine.run();
    await waitFor(() => events.some((e) => e.type === 'needs-input' && e.packageId === 'x' && e.reason?.includes('waiting for approval')), 'x to need input');
    await waitFor(() => readState(repo, 'conflict').packages.x!.needsInput?.reason.includes('waiting for approval'), 'the saved state to say x needs input');
    // y's merge is done (else the person's commit below could race the engine's own merge in that worktree).
    await waitFor(() => readState(repo, 'conflict').packages.y!.status === 'succeeded', 'y merged');
    // Meanwhile someone commits the same file on the integration branch.
    const integration = readState(repo, 'conflict').integration!.worktree;
    fs.mkdirSync(path.join(integration, 'x'), { recursive: true });
    fs.writeFileSync(path.join(integration, 'x', 'f.txt'), 'from a person\n');
    git(integration, 'add', '-A');
    git(integration, 'commit', '-q', '-m', 'a person edits x/f.txt');
    fs.writeFileSync(resume, '');
    const outcome = await done;

    assert.equal(outcome.state.packages.y!.status, 'succeeded', outcome.state.packages.y!.lastError ?? '');
    assert.equal(outcome.state.packages.x!.status, 'failed');
    assert.match(outcome.state.packages.x!.lastError ?? '', /merge conflict .* x\/f\.txt/);
    assert.deepEqual(outcome.state.merges.x, { status: 'conflict', files: ['x/f.txt'], commit: null });
    assert.equal(outcome.state.packages.z!.status, 'blocked');
    assert.ok(events.some((e) => e.type === 'merge' && e.packageId === 'x' && !e.ok && e.conflicts?.includes('x/f.txt')));
    assert.ok(events.some((e) => e.type === 'needs-input' && e.packageId === 'x' && e.reason === null), 'input resumed');
    // The person's commit and the agent's work both survive.
    assert.equal(readAt(repo, integrationBranch('conflict'), 'x/f.txt'), 'from a person\n');
    assert.equal(readAt(repo, 'waves/conflict/x', 'x/f.txt'), 'from the agent\n');
  });

  test('an engine killed mid-run resumes: the live agent is adopted, the dead one re-offered, finished ones not re-run', async () => {
    const packages: TestPackage[] = [
      { id: 'a', agent: ['write a/x.txt'] },
      { id: 'b', deps: ['a'], agent: ['ask waiting for approval', 'write b/x.txt'] },
      { id: 'c', deps: ['a'], agent: ['ask waiting for approval', 'write c/x.txt'] },
    ];
    const { repo, planFile } = repoWithPlan('resume', packages);
    const resume = path.join(tempDir(), 'resume');
    // A runner per attempt (ADR 0041: one of several attempts ends them all), so that c's dies alone.
    const driver = spawnProcess(
      [process.execPath, '--import', 'tsx', path.join(REPO_ROOT, 'test', 'engine', 'engine-driver.ts'), JSON.stringify({ planFile, runnerScript, env: { WAVES_TEST_AGENT_RESUME: resume } })],
      { cwd: REPO_ROOT, env: { ...process.env, WAVES_RUNNER_TOKENS: '1' } },
    );
    const lines = () => driver.stdout().split('\n').filter(Boolean).map((l) => JSON.parse(l) as EngineEvent);
    await waitFor(
      () => ['b', 'c'].every((id) => lines().some((e) => e.type === 'needs-input' && e.packageId === id)),
      `b and c to wait for input (driver: ${driver.stderr()})`,
      30_000,
    );
    driver.child.kill('SIGKILL');
    await driver.exited;

    // c's runner and agent die too (as in a crash of the whole machine session); b's live on.
    const state = readState(repo, 'resume');
    const runId = state.runId;
    const metaOf = (id: string) =>
      JSON.parse(fs.readFileSync(attemptFiles(attemptDir(repo, 'resume', runId, id, 1)).meta, 'utf8')) as { runnerPid: number; agentPid: number };
    const c = metaOf('c');
    process.kill(c.runnerPid, 'SIGKILL');
    process.kill(-c.agentPid, 'SIGKILL');
    await waitFor(() => !pidAlive(c.runnerPid) && !pidAlive(c.agentPid), 'c to be gone');
    const b = metaOf('b');
    assert.ok(pidAlive(b.runnerPid));

    const { outcome, events } = await resumeAndRelease(planFile, resume);

    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    assert.equal(outcome.runId, runId, 'the same run went on');
    assert.ok(events.some((e) => e.type === 'package' && e.packageId === 'b' && /adopted/.test(e.detail ?? '')), 'b adopted');
    assert.ok(events.some((e) => e.type === 'package' && e.packageId === 'c' && e.status === 'interrupted'), 'c interrupted');
    assert.equal(outcome.state.packages.a!.attempts, 1, 'a is not re-run');
    assert.ok(!exists(attemptDir(repo, 'resume', runId, 'a', 2)));
    assert.equal(outcome.state.packages.b!.attempts, 1, 'b finished in its first attempt');
    assert.equal(outcome.state.packages.c!.attempts, 2, 'c was offered again');
    assert.deepEqual(treeFiles(repo, integrationBranch('resume')), ['README.md', 'a/x.txt', 'b/x.txt', 'c/x.txt', 'work-packages.yaml']);
  });

  test('an engine killed mid-run, and the runner of two of its attempts with it: resumed, both are offered again, neither lost, nothing run twice', async () => {
    const { repo, planFile } = repoWithPlan('shared', [
      { id: 'b', agent: ['ask waiting for approval', 'write b/x.txt'] },
      { id: 'c', agent: ['ask waiting for approval', 'write c/x.txt'] },
    ]);
    const resume = path.join(tempDir(), 'resume');
    const driver = spawnProcess(
      [process.execPath, '--import', 'tsx', path.join(REPO_ROOT, 'test', 'engine', 'engine-driver.ts'), JSON.stringify({ planFile, runnerScript, env: { WAVES_TEST_AGENT_RESUME: resume } })],
      { cwd: REPO_ROOT },
    );
    const lines = () => driver.stdout().split('\n').filter(Boolean).map((l) => JSON.parse(l) as EngineEvent);
    await waitFor(() => ['b', 'c'].every((id) => lines().some((e) => e.type === 'needs-input' && e.packageId === id)), `b and c to wait for input (driver: ${driver.stderr()})`, 30_000);
    driver.child.kill('SIGKILL');
    await driver.exited;
    const runId = readState(repo, 'shared').runId;
    const metaOf = (id: string) => JSON.parse(fs.readFileSync(attemptFiles(attemptDir(repo, 'shared', runId, id, 1)).meta, 'utf8')) as { runnerPid: number; agentPid: number };
    const [b, c] = [metaOf('b'), metaOf('c')];
    assert.equal(b.runnerPid, c.runnerPid, 'one runner started ahead holds both (ADR 0041)');
    process.kill(b.runnerPid, 'SIGKILL');
    await waitFor(() => !pidAlive(b.runnerPid) && !pidAlive(b.agentPid) && !pidAlive(c.agentPid), "the runner gone, and both agents with it (their walls die with it)");

    const { outcome, events } = await resumeAndRelease(planFile, resume);
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    assert.equal(outcome.runId, runId, 'the same run went on');
    for (const id of ['b', 'c']) {
      assert.ok(events.some((e) => e.type === 'package' && e.packageId === id && e.status === 'interrupted'), `${id} interrupted`);
      assert.equal(outcome.state.packages[id]!.attempts, 2, `${id} was offered again`);
      assert.ok(!exists(attemptFiles(attemptDir(repo, 'shared', runId, id, 1)).exit), `${id}'s first attempt wrote no exit record`);
    }
    assert.deepEqual(treeFiles(repo, integrationBranch('shared')), ['README.md', 'b/x.txt', 'c/x.txt', 'work-packages.yaml']);
  });

  test('an engine killed after a runner started but before it recorded the start: resumed, the attempt is recorded as started (its token, tree, branch and base) and goes on', async () => {
    const { repo, planFile } = repoWithPlan('unrecorded', [{ id: 'b', agent: ['ask waiting for approval', 'write b/x.txt'] }]);
    const resume = path.join(tempDir(), 'resume');
    const driver = spawnProcess(
      [process.execPath, '--import', 'tsx', path.join(REPO_ROOT, 'test', 'engine', 'engine-driver.ts'), JSON.stringify({ planFile, runnerScript, env: { WAVES_TEST_AGENT_RESUME: resume } })],
      { cwd: REPO_ROOT },
    );
    const lines = () => driver.stdout().split('\n').filter(Boolean).map((l) => JSON.parse(l) as EngineEvent);
    await waitFor(() => lines().some((e) => e.type === 'needs-input' && e.packageId === 'b'), `b to wait for input (driver: ${driver.stderr()})`, 30_000);
    driver.child.kill('SIGKILL');
    await driver.exited;

    // The state as an engine stopped between the runner's start and its record leaves it: b queued, no attempt.
    const state = readState(repo, 'unrecorded');
    const was = state.packages.b!;
    assert.ok(was.startToken && was.branch && was.baseSha);
    state.packages.b = { ...was, status: 'queued', attempts: 0, startedAt: null, startToken: null, pid: null, needsInput: null, branch: null, baseSha: null };
    fs.writeFileSync(runStateFile(repo, 'unrecorded'), JSON.stringify(state, null, 2) + '\n');

    const { outcome } = await resumeAndRelease(planFile, resume);

    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    // Adopted or its exit processed (the agent may end before the check): the attempt is the one that started.
    const adopted = outcome.state.packages.b!;
    assert.equal(adopted.attempts, 1, 'b finished in its first attempt');
    assert.equal(adopted.startToken, was.startToken, "the runner's own token");
    assert.deepEqual([adopted.worktree, adopted.branch, adopted.baseSha, adopted.logFile, adopted.resultFile], [was.worktree, was.branch, was.baseSha, was.logFile, was.resultFile]);
    assert.deepEqual(treeFiles(repo, integrationBranch('unrecorded')), ['README.md', 'b/x.txt', 'work-packages.yaml']);
  });

  test('a second engine on the same run refuses and names the holder; a cancel from another process stops the run', async () => {
    const packages: TestPackage[] = [
      { id: 'wait', agent: ['ask waiting for approval', 'write wait/x.txt'] },
      { id: 'after', deps: ['wait'], agent: ['write after/x.txt'] },
    ];
    const { repo, planFile } = repoWithPlan('two-engines', packages);
    const resume = path.join(tempDir(), 'resume-never');
    const first = await engineFor(planFile, { env: { WAVES_TEST_AGENT_RESUME: resume } });
    const done = first.engine.run();
    await waitFor(() => first.events.some((e) => e.type === 'needs-input' && e.packageId === 'wait'), 'the first engine to run its agent');

    const second = await engineFor(planFile);
    await assert.rejects(second.engine.run(), (err: unknown) => {
      assert.ok(err instanceof LeaseHeldError);
      assert.match(err.message, new RegExp(`pid ${process.pid}\\b`));
      return true;
    });

    await RunEngine.requestCancel(repo, 'two-engines');
    const outcome = await done;
    assert.equal(outcome.outcome, 'cancelled');
    assert.equal(outcome.state.packages.wait!.status, 'cancelled');
    assert.equal(outcome.state.packages.after!.status, 'cancelled');
    assert.equal(outcome.state.packages.after!.attempts, 0);
    const exit = JSON.parse(fs.readFileSync(attemptFiles(attemptDir(repo, 'two-engines', outcome.runId, 'wait', 1)).exit, 'utf8')) as { cancelled: boolean };
    assert.equal(exit.cancelled, true, 'the runner stopped the agent');
  });

  test('verification commands run in the package tree only once approved; a failing one fails the package', async () => {
    const packages: TestPackage[] = [
      { id: 'good', agent: ['write good/x.txt'], commands: ['test -f good/x.txt'] },
      { id: 'bad', agent: ['write bad/x.txt'], commands: ['test -f bad/missing.txt'] },
      { id: 'bad-dep', deps: ['bad'], agent: ['write bad-dep/x.txt'] },
      // Out of its scope, with a check that would take ten minutes: it starts beside the audit, and once the audit refused the work it is stopped, not waited for, and counts for nothing.
      { id: 'stray', agent: ['write elsewhere/x.txt'], commands: [`sleep 611.${process.pid}`] },
    ];
    const { repo, planFile } = repoWithPlan('verify', packages);

    const refused = await engineFor(planFile);
    await assert.rejects(refused.engine.run(), (err: unknown) => {
      assert.ok(err instanceof VerificationNotApprovedError);
      assert.deepEqual(err.commands, ['test -f good/x.txt', 'test -f bad/missing.txt', `sleep 611.${process.pid}`]);
      return true;
    });
    assert.ok(!exists(runStateFile(repo, 'verify')), 'nothing started before the approval');

    const { engine, events } = await engineFor(planFile, { verification: 'approved' });
    const outcome = await engine.run();
    assert.equal(outcome.state.packages.good!.status, 'succeeded');
    assert.deepEqual(
      outcome.state.packages.good!.verification.map((v) => [v.step, v.ok]),
      [['check-1', true]],
    );
    assert.equal(outcome.state.packages.bad!.status, 'failed');
    assert.match(outcome.state.packages.bad!.lastError ?? '', /verification failed: test -f bad\/missing\.txt/);
    assert.equal(outcome.state.packages['bad-dep']!.status, 'blocked');
    assert.ok(events.some((e) => e.type === 'verification' && e.packageId === 'bad' && !e.ok && e.command === 'test -f bad/missing.txt'));
    const stray = outcome.state.packages.stray!;
    assert.equal(stray.status, 'scope-violation', stray.lastError ?? '');
    assert.deepEqual(stray.verification, [], 'a verification beside a failed audit is not recorded');
    assert.ok(!events.some((e) => e.type === 'verification' && e.packageId === 'stray'), 'nor shown');
    // Stopped, not waited for: its processes go within moments of the signal (not the ten minutes of its sleep).
    const sleeping = () => fs.readdirSync('/proc').filter((pid) => /^\d+$/.test(pid) && (() => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(`sleep 611.${process.pid}`);
      } catch {
        return false; // gone meanwhile
      }
    })());
    await waitFor(() => sleeping().length === 0, 'the stopped check to leave nothing running', 10_000).catch(() => undefined);
    assert.deepEqual(sleeping(), [], 'the stopped check left nothing running');
    assert.deepEqual(treeFiles(repo, integrationBranch('verify')), ['README.md', 'good/x.txt', 'work-packages.yaml']);

    // Approved once: a later engine runs the commands without asking again (the plan's text may
    // change, its list of commands not: here good's agent writes something new, as git must see
    // a change for a success).
    fs.writeFileSync(planFile, fs.readFileSync(planFile, 'utf8').replace('test-agent: write good/x.txt', 'test-agent: write good/x.txt second run'));
    const again = await engineFor(planFile);
    const second = await again.engine.run();
    assert.equal(second.state.packages.good!.status, 'succeeded');
    // …as a new run: the earlier one is archived in its history, nothing of it deleted.
    assert.notEqual(second.runId, outcome.runId);
    assert.equal(second.state.history.length, 1);
    assert.equal(second.state.history[0]!.runId, outcome.runId);
    assert.ok(exists(path.join(repo, second.state.history[0]!.archive)));
  });

  test('a plan with errors is refused with positioned lines', async () => {
    const dir = tempDir();
    git(dir, 'init', '-q');
    const planFile = path.join(dir, 'work-packages.yaml');
    fs.writeFileSync(planFile, planYaml('bad', [{ id: 'a', deps: ['missing'] }]));
    await assert.rejects(RunEngine.prepare({ planFile, agent: scriptedAgent(), runnerScript }), (err: unknown) => {
      assert.ok(err instanceof PlanInvalidError);
      assert.ok(err.lines.length > 0);
      assert.match(err.lines[0]!, /work-packages\.yaml:\d+:\d+ [a-z-]+ /);
      return true;
    });
  });
});
