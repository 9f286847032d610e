/**
 * RunEngine options the editor needs: a per-package agent (`agentFor`), a
 * configured worktree folder (`worktreesFolder`), and a resume that leaves interrupted
 * packages for a person to offer again (`keepInterrupted`); a runner that never starts
 * (`runnerStartMs`). Real git repositories, the real
 * runner bundle, the scripted test agent as real processes; waits on conditions only.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { customProfile } from '../../../src/core/agents/agentProfiles';
import { attemptDir, attemptFiles, integrationBranch, runStateFile } from '../../../src/core/run/runPaths';
import type { RunState } from '../../../src/core/run/runState';
import type { EngineOptions } from '../../../src/engine/run/engine';
import { childProcessLauncher, type Launcher } from '../../../src/engine/attempt/launcher';
import { engineFor as sharedEngineFor, engineGoneWhileWaiting, exists, isolateGit, repoWithPlan, scriptedAgent, treeFiles } from '../engineFixtures';
import { buildRunner, pidAlive, SCRIPTED_AGENT, tempDir, waitFor } from '../helpers';

let runnerScript = '';

before(async () => {
  isolateGit();
  runnerScript = await buildRunner();
});

const engineFor = (planFile: string, extra: Partial<EngineOptions> = {}) => sharedEngineFor(planFile, runnerScript, extra);

const specArgv = (repo: string, feature: string, runId: string, id: string) =>
  (JSON.parse(fs.readFileSync(attemptFiles(attemptDir(repo, feature, runId, id, 1)).spec, 'utf8')) as { argv: string[] }).argv;

describe('RunEngine options for the editor', () => {
  test('agentFor gives one package its own agent; worktreesFolder puts every worktree in the configured folder', async () => {
    const { repo, planFile } = repoWithPlan('options', [
      { id: 'a', agent: ['write a/x.txt from a'] },
      { id: 'b', deps: ['a'], agent: ['write b/x.txt from b', 'commit'] },
    ]);
    const folder = tempDir('waves-trees-');
    // The override: the scripted agent given only its prompt, as a bare argument.
    const other = customProfile([process.execPath, SCRIPTED_AGENT, '${promptFile}'], { label: 'the override' });
    const asked: string[] = [];
    const { engine } = await engineFor(planFile, {
      worktreesFolder: folder,
      agentFor: (id) => {
        asked.push(id);
        return id === 'b' ? other : scriptedAgent();
      },
    });
    const outcome = await engine.run();
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    assert.deepEqual(asked.sort(), ['a', 'b'], 'asked once per attempt');
    const runId = outcome.runId;
    assert.deepEqual(specArgv(repo, 'options', runId, 'a').slice(-2), ['--package', 'a'], 'a ran the default agent');
    const b = specArgv(repo, 'options', runId, 'b');
    assert.deepEqual(b.slice(0, 2), [process.execPath, SCRIPTED_AGENT], 'b ran its own agent');
    assert.equal(b.length, 3);

    const state = JSON.parse(fs.readFileSync(runStateFile(repo, 'options'), 'utf8')) as RunState;
    assert.equal(state.integration?.worktree, path.join(folder, 'options', '_integration'));
    for (const id of ['a', 'b']) assert.equal(state.packages[id]!.worktree, path.join(folder, 'options', id));
    assert.ok(!exists(`${repo}.worktrees`), 'nothing in the default sibling folder');
    assert.deepEqual(treeFiles(repo, integrationBranch('options')), ['README.md', 'a/x.txt', 'b/x.txt', 'work-packages.yaml']);
  });

  test('keepInterrupted: a resume adopts the live agent and leaves the dead one interrupted, not re-run', async () => {
    const { repo, planFile } = repoWithPlan('keep', [
      { id: 'b', agent: ['ask waiting for approval', 'write b/x.txt'] },
      { id: 'c', agent: ['ask waiting for approval', 'write c/x.txt'] },
      { id: 'd', deps: ['c'], agent: ['write d/x.txt'] },
    ]);
    const resume = path.join(tempDir(), 'resume');
    const env = { WAVES_TEST_AGENT_RESUME: resume };
    // The engine goes (as a window reload takes the extension host), its agents stay; c's die too —
    // c's alone: a runner per attempt (ADR 0041: one of several attempts ends them all).
    process.env.WAVES_RUNNER_TOKENS = '1';
    let runId: string;
    try {
      runId = await engineGoneWhileWaiting(planFile, runnerScript, ['b', 'c'], { env });
    } finally {
      delete process.env.WAVES_RUNNER_TOKENS;
    }
    const c = JSON.parse(fs.readFileSync(attemptFiles(attemptDir(repo, 'keep', runId, 'c', 1)).meta, 'utf8')) as { runnerPid: number; agentPid: number };
    process.kill(c.runnerPid, 'SIGKILL');
    process.kill(-c.agentPid, 'SIGKILL');
    await waitFor(() => !pidAlive(c.runnerPid) && !pidAlive(c.agentPid), 'c to be gone');

    const { engine, events } = await engineFor(planFile, { env, keepInterrupted: true });
    const done = engine.run({ resume: true });
    await waitFor(() => events.some((e) => e.type === 'run-started'), 'the resumed run to start');
    fs.writeFileSync(resume, '');
    const outcome = await done;

    assert.equal(outcome.runId, runId, 'the same run went on');
    assert.ok(events.some((e) => e.type === 'package' && e.packageId === 'b' && /adopted/.test(e.detail ?? '')), 'b adopted');
    assert.equal(outcome.state.packages.b!.status, 'succeeded');
    assert.equal(outcome.state.packages.b!.attempts, 1);
    assert.equal(outcome.state.packages.c!.status, 'interrupted', 'c waits for a person');
    assert.equal(outcome.state.packages.c!.attempts, 1, 'c was not started again');
    assert.ok(!exists(attemptDir(repo, 'keep', runId, 'c', 2)));
    assert.equal(outcome.state.packages.d!.status, 'pending', 'its dependent waits');
    assert.equal(outcome.counts.interrupted, 1);
    assert.notEqual(outcome.outcome, 'succeeded');
  });

  test('collectOnly (an adoption nobody asked for, #15): the live agents are watched and collected; nothing starts and nothing is retried', async () => {
    const { repo, planFile } = repoWithPlan('collect', [
      { id: 'a', agent: ['ask waiting for approval', 'write a/x.txt'] },
      { id: 'b', deps: ['a'], agent: ['write b/x.txt'] },
      { id: 'c', agent: ['ask waiting for approval', 'exit 1'], retryBudget: 2 },
    ]);
    const resume = path.join(tempDir(), 'resume');
    const env = { WAVES_TEST_AGENT_RESUME: resume };
    const runId = await engineGoneWhileWaiting(planFile, runnerScript, ['a', 'c'], { env });

    const { engine, events } = await engineFor(planFile, { env, keepInterrupted: true, collectOnly: true });
    const done = engine.run({ resume: true });
    await waitFor(() => events.some((e) => e.type === 'run-started'), 'the adoption to start');
    fs.writeFileSync(resume, '');
    const outcome = await done;

    assert.equal(outcome.outcome, 'collected', JSON.stringify(outcome.counts));
    assert.equal(outcome.runId, runId);
    assert.equal(outcome.state.packages.a!.status, 'succeeded', 'the live agent was collected: audited and merged');
    assert.deepEqual(treeFiles(repo, integrationBranch('collect')), ['README.md', 'a/x.txt', 'work-packages.yaml']);
    assert.equal(outcome.state.packages.b!.attempts, 0, 'its dependent did not start');
    assert.ok(['pending', 'ready'].includes(outcome.state.packages.b!.status), outcome.state.packages.b!.status);
    assert.equal(outcome.state.packages.c!.status, 'failed');
    assert.equal(outcome.state.packages.c!.attempts, 1, 'no automatic retry after an adoption, budget or not');
    assert.ok(!exists(attemptDir(repo, 'collect', runId, 'c', 2)));
    assert.ok(!exists(attemptDir(repo, 'collect', runId, 'b', 1)), 'no agent started for b');
    assert.ok(!events.some((e) => e.type === 'package' && e.status === 'running' && e.packageId !== 'a' && e.packageId !== 'c'));
  });

  test('runnerStartMs: a launched runner that never starts (no meta.json, pid unknown) fails its attempt instead of running forever', { timeout: 60_000 }, async () => {
    const { planFile } = repoWithPlan('nostart', [
      { id: 'a', agent: ['write a/x.txt'] },
      { id: 'b', deps: ['a'], agent: ['write b/x.txt'] },
    ]);
    const launched: string[] = [];
    // A launcher like a terminal whose process never came up: it says nothing about a pid.
    const launcher: Launcher = { launch: async (request) => (launched.push(request.packageId), { pid: null }) };
    const { engine, events } = await engineFor(planFile, { launcher, runnerStartMs: 1500 });
    const outcome = await engine.run();
    assert.deepEqual(launched, ['a']);
    assert.equal(outcome.state.packages.a!.status, 'failed');
    assert.match(outcome.state.packages.a!.lastError ?? '', /the runner did not start within 2 s \(no meta\.json/);
    assert.equal(outcome.state.packages.b!.status, 'blocked');
    assert.equal(outcome.outcome, 'failed');
    assert.ok(events.some((e) => e.type === 'package' && e.packageId === 'a' && e.status === 'failed'));
  });

  test('an agent that ends before its launcher returns (a terminal that reports its pid late) is still processed once', { timeout: 60_000 }, async () => {
    const { planFile } = repoWithPlan('late', [
      { id: 'a', agent: ['write a/x.txt'] },
      { id: 'b', deps: ['a'], agent: ['write b/x.txt'] },
    ]);
    let lateExits = 0;
    // Launches the real runner, then answers only once its exit.json is on disk.
    const launcher: Launcher = {
      launch: async (request) => {
        const launched = await childProcessLauncher.launch(request);
        await waitFor(() => exists(attemptFiles(request.attemptDir).exit), `${request.packageId}'s exit.json`, 30_000);
        lateExits++;
        return launched;
      },
    };
    const { engine } = await engineFor(planFile, { launcher });
    const outcome = await engine.run();
    assert.equal(lateExits, 2, 'both agents ended before their launcher returned');
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    for (const id of ['a', 'b']) {
      assert.equal(outcome.state.packages[id]!.status, 'succeeded');
      assert.equal(outcome.state.packages[id]!.attempts, 1);
    }
  });
});
