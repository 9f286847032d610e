/**
 * The coordinator going away mid-run (pg_ctl stop) and coming back, with a real engine, real
 * agents and a real PostgreSQL cluster. The rule (docs/run-engine.md, "A shared coordinator"):
 * running packages go on and are merged; no package starts while it is away (it waits, never
 * fails); the person is told, without the password; `.waves/` stays intact; when it answers
 * again the run goes on.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { runStateFile } from '../../src/core/run/runPaths';
import { validateRunState } from '../../src/core/run/runStateValidation';
import { CoordinatorReader } from '../../src/engine/coordinator/coordinatorReader';
import { RunEngine } from '../../src/engine/run/engine';
import { engineFor, repoWithPlan, scriptedAgent } from '../engine/engineFixtures';
import { spawnProcess, tempDir, waitFor } from '../engine/helpers';
import { clusterWithRunner } from './cluster';
import { REPO_ROOT } from '../engine/helpers';

const setup = clusterWithRunner();

describe('the coordinator goes away mid-run', () => {
  test('the running package goes on and is merged, the next one waits, the person is told, and the run ends when it is back', async () => {
    const gate = path.join(tempDir('waves-gate-'), 'go');
    const { repo, planFile } = repoWithPlan('gamma', [
      { id: 'p1', lockFiles: ['src/x/**'], agent: [`wait-for ${gate}`, 'write p1/out.txt', 'commit'] },
      { id: 'p2', deps: ['p1'], lockFiles: ['src/x/**'], agent: ['write p2/out.txt', 'commit'] },
    ]);
    const url = setup.cluster.url.replace('waves@', 'secret:s3cr3t-pw@');
    const { engine, events } = await engineFor(planFile, setup.runnerScript, { coordinator: { url, driver: 'Ana' }, leaseMs: 1500 });
    const problems = () => events.flatMap((e) => (e.type === 'problem' ? [e.message] : []));
    const statusOf = (id: string) => {
      const v = validateRunState(JSON.parse(fs.readFileSync(runStateFile(repo, 'gamma'), 'utf8')), 'gamma');
      assert.equal(v.ok, true, 'the run state in .waves/ stays valid');
      return v.ok ? v.state.packages[id]?.status : undefined;
    };
    const running = engine.run();
    let stopped = false;
    try {
      await waitFor(() => events.some((e) => e.type === 'package' && e.packageId === 'p1' && e.status === 'running'), 'p1 running', 60_000);
      setup.cluster.stop();
      stopped = true;
      fs.writeFileSync(gate, 'go');
      // p1 goes on: its agent ends, its work is audited and merged without the coordinator.
      await waitFor(() => statusOf('p1') === 'succeeded', 'p1 merged while the coordinator is away', 60_000);
      // p2 cannot take its lock: it waits (never fails), and the person is told once.
      await waitFor(() => problems().some((m) => /cannot be reached/.test(m)), 'the person told', 60_000);
      await waitFor(() => events.some((e) => e.type === 'package' && e.packageId === 'p2' && e.status === 'ready'), 'p2 ready', 60_000);
      assert.notEqual(statusOf('p2'), 'running');
      assert.notEqual(statusOf('p2'), 'failed');
      const told = problems().find((m) => /cannot be reached/.test(m))!;
      assert.match(told, /postgres:\/\/secret:\*\*\*@127\.0\.0\.1/);
      assert.doesNotMatch(JSON.stringify(events), /s3cr3t-pw/);
      assert.ok(fs.existsSync(runStateFile(repo, 'gamma')));

      setup.cluster.start();
      stopped = false;
      const outcome = await running;
      assert.equal(outcome.outcome, 'succeeded');
      assert.equal(statusOf('p2'), 'succeeded');
      assert.ok(problems().some((m) => /answers again/.test(m)), problems().join('\n'));
    } finally {
      if (stopped) setup.cluster.start();
      engine.dispose();
      await running.catch(() => undefined);
    }
    // Nothing is left in the coordinator: p1's release, kept while it was away, was done.
    const reader = await CoordinatorReader.open(repo, { url: setup.cluster.url });
    await waitFor(async () => {
      const r = await reader.read();
      return r.ok && r.runs.length === 0 && r.locks.length === 0;
    }, 'the run row and its locks gone', 30_000);
    await reader.close();
  });

  test('a coordinator out of reach at the start: a clear error, nothing started, nothing written', async () => {
    const { repo, planFile } = repoWithPlan('delta', [{ id: 'q1', agent: ['write q1/a.txt', 'commit'] }]);
    const engine = await RunEngine.prepare({
      planFile,
      agent: scriptedAgent(),
      runnerScript: setup.runnerScript,
      coordinator: { url: 'postgres://secret:s3cr3t-pw@127.0.0.1:1/waves', connectTimeoutMs: 2000 },
    });
    await assert.rejects(engine.run(), (err: Error) => {
      assert.match(err.message, /The coordinator postgres:\/\/secret:\*\*\*@127\.0\.0\.1:1\/waves cannot be reached/);
      assert.doesNotMatch(err.message, /s3cr3t/);
      return true;
    });
    engine.dispose();
    assert.equal(fs.existsSync(runStateFile(repo, 'delta')), false);
    // The lease of the clone was given back: a run without the coordinator starts.
    const offline = await RunEngine.prepare({ planFile, agent: scriptedAgent(), runnerScript: setup.runnerScript, pollMs: 200 });
    assert.equal((await offline.run()).outcome, 'succeeded');
    offline.dispose();
  });

  test("a driver that died: the next engine of the same clone takes its row over at once and finishes the run", async () => {
    const gate = path.join(tempDir('waves-gate-'), 'go');
    const { repo, planFile } = repoWithPlan('epsilon', [{ id: 'e1', lockFiles: ['src/e/**'], agent: [`wait-for ${gate}`, 'write e1/out.txt', 'commit'] }]);
    const first = spawnProcess([
      process.execPath,
      '--import',
      'tsx',
      path.join(REPO_ROOT, 'test', 'engine', 'engine-driver.ts'),
      JSON.stringify({ planFile, runnerScript: setup.runnerScript, coordinator: { url: setup.cluster.url, driver: 'Ana' } }),
    ]);
    await waitFor(() => first.stdout().includes('"packageId":"e1","status":"running"'), 'e1 running', 60_000);
    first.child.kill('SIGKILL');
    await first.exited;
    // Its row is still fresh in the coordinator (15 s lease) and names this clone on this machine.
    const reader = await CoordinatorReader.open(repo, { url: setup.cluster.url });
    const before = await reader.read();
    assert.ok(before.ok);
    assert.deepEqual(before.runs.map((r) => [r.featureId, r.clone]), [['epsilon', repo]]);
    const { engine, events } = await engineFor(planFile, setup.runnerScript, { coordinator: { url: setup.cluster.url, driver: 'Ana' } });
    const running = engine.run({ resume: true });
    try {
      await waitFor(async () => {
        const r = await reader.read();
        return r.ok && r.runs.length === 1 && r.runs[0]!.pid === process.pid;
      }, 'the row taken over by this engine', 30_000);
      fs.writeFileSync(gate, 'go');
      assert.equal((await running).outcome, 'succeeded', JSON.stringify(events));
    } finally {
      engine.dispose();
      await running.catch(() => undefined);
    }
    // The row goes once the engine stops driving (released in the background), the lock at the exit.
    await waitFor(async () => {
      const r = await reader.read();
      return r.ok && r.runs.length === 0 && r.locks.length === 0;
    }, 'the run row and its lock gone', 30_000);
    await reader.close();
  });
});
