// A run on pull workers started from the editor (ADR 0037): with the person's own
// `waves.coordinator` (a real PostgreSQL cluster started here) and `waves.workers.remote` (a
// shared bare remote), Run Plan queues the plan's package; a real `waves worker` process in its
// own clone of that remote claims it, its agent does it in the walls there and pushes it; the run
// here fetches, audits and merges it onto its integration branch. With `waves.hosts` set too, Run
// Plan refuses, as `waves run --workers --hosts` does, and nothing is queued.
import { strict as assert } from 'node:assert';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WavesApi } from '../../../src/extension';
import { integrationBranch, runStateFile } from '../../../src/core/run/runPaths';
import { openCoordinator } from '../../../src/engine/coordinator/openCoordinator';
import { readWorkersSetting } from '../../../src/run/coordinator/coordinatorSetting';
import pg from 'pg';
import { startCluster, type Cluster } from '../../coordinator/postgres';
import { committedPlanRepo, extension, Scratch, useScriptedAgent, waitFor, waitForPlan, wavesApi } from '../helpers';

/** A plan of one package that writes `a/x.txt`, in a repository of its own in `folder`, committed on main. */
function workersPlan(folder: string, feature: string): string {
  const text = [
    'schema_version: 1',
    'feature:',
    `  id: ${feature}`,
    '  title: On the workers',
    'packages:',
    '  - package_id: a',
    '    title: Done by a worker',
    '    description: |',
    '      test-agent: write a/x.txt from a worker',
    '      test-agent: commit',
    '    scope:',
    '      write_allow: ["a/**"]',
    '',
  ].join('\n');
  return committedPlanRepo(path.join(folder, 'repo'), { 'README.md': '# workers\n', 'work-packages.yaml': text });
}

describe('a run on pull workers, started from the editor', function () {
  this.timeout(240_000);
  let api: WavesApi;
  let cluster: Cluster | undefined;
  let scratch: Scratch;
  let outside: string;
  let worker: ChildProcess | undefined;
  const config = () => vscode.workspace.getConfiguration('waves');
  const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.invalid', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.invalid' };
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env: gitEnv, stdio: ['ignore', 'pipe', 'pipe'] });

  /** The plan's repository pushed to a shared bare remote (outside the workspace), and a worker's own clone of it. */
  const shared = (plan: string) => {
    const repo = path.dirname(plan);
    const remote = path.join(fs.mkdtempSync(path.join(outside, 'remote-')), 'shared.git');
    git(path.dirname(remote), 'init', '-q', '--bare', '-b', 'main', remote);
    git(repo, 'push', '-q', remote, 'main');
    const clone = path.join(fs.mkdtempSync(path.join(outside, 'worker-')), 'clone');
    git(path.dirname(clone), 'clone', '-q', remote, clone);
    return { repo, remote, clone };
  };

  before(async () => {
    api = await wavesApi();
    await useScriptedAgent(true);
    cluster = await startCluster(extension().extensionPath);
    scratch = new Scratch('workers');
    outside = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'waves-editor-workers-')));
  });

  after(async () => {
    if (worker && worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
    for (const key of ['coordinator', 'workers.remote', 'hosts']) await config().update(key, undefined, vscode.ConfigurationTarget.Global);
    await useScriptedAgent(null);
    await scratch?.dispose();
    cluster?.remove();
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it("Run Plan with waves.coordinator and waves.workers.remote: a `waves worker` claims the package, does it in its own clone, and the run merges its commit here", async () => {
    const feature = `editor-workers-${process.pid}`;
    fs.mkdirSync(scratch.root.fsPath, { recursive: true });
    const plan = workersPlan(scratch.root.fsPath, feature);
    const { repo, remote, clone } = shared(plan);

    // A worker of the repository, working before the run starts (so the start has nothing to say of who is there).
    const agent = path.join(extension().extensionPath, 'test', 'fixtures', 'agents', 'scripted-agent.mjs');
    const argv = JSON.stringify([process.execPath, agent, '--prompt', '${promptFile}', '--result', '${resultFile}']);
    const bin = path.join(extension().extensionPath, 'bin', 'waves.js');
    worker = spawn(process.execPath, [bin, 'worker', '--coordinator', cluster!.url, '--remote', remote, '--name', 'editor-w1', '--agent-argv', argv, '--idle', '0.2'], { cwd: clone, env: gitEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let said = '';
    worker.stdout!.on('data', (d: Buffer) => (said += d.toString()));
    worker.stderr!.on('data', (d: Buffer) => (said += d.toString()));
    const exited = new Promise<number | null>((resolve) => worker!.once('exit', (code) => resolve(code)));
    await waitFor(() => /editor-w1: nothing to claim/.test(said), () => `the worker to be working (it said: ${said})`, { timeoutMs: 60_000 });

    // The person's own settings: the coordinator and the remote both reach.
    await config().update('coordinator', cluster!.url, vscode.ConfigurationTarget.Global);
    await config().update('workers.remote', remote, vscode.ConfigurationTarget.Global);
    const entry = await waitForPlan(api, vscode.Uri.file(plan), 'the workers plan in the registry', (e) => e.analysis.valid);
    const controller = api.run.controller;
    const saved = controller.questions;
    controller.questions = { ...saved, confirmRun: async () => true };
    const c = await openCoordinator(repo, { url: cluster!.url });
    try {
      const session = await controller.start(entry, { what: 'the plan' });
      assert.ok(session, 'the run started');
      const outcome = await session.outcome;
      assert.ok(outcome, 'the run ended');
      assert.equal(outcome.outcome, 'succeeded', `${JSON.stringify(outcome.state.packages)}\nthe worker said:\n${said}`);
      // The package's commit, made by the worker's agent there, is on the run's integration branch here.
      assert.equal(git(repo, 'show', `${integrationBranch(feature)}:a/x.txt`), 'from a worker');
      assert.match(said, /^editor-w1: a done \(claim 1\)/m);
      // The queue says who did it: the worker, claimed once, done.
      const items = await c.queue().items(feature, outcome.runId);
      assert.deepEqual(
        items.map((i) => [i.packageId, i.worker, i.state]),
        [['a', 'editor-w1', 'done']],
      );
      // Nothing of the agent ran on this machine: the attempt here has no agent's log, only what the worker's report carried.
      assert.equal(fs.existsSync(path.join(repo, '.waves', 'runs', feature, outcome.runId, 'a', '1', 'agent.log')), false, 'no agent log here');
    } finally {
      controller.questions = saved;
      await c.close();
      worker.kill('SIGINT');
      await exited;
    }
  });

  it('Run Plan with waves.hosts and waves.workers.remote both set: refused with the reason, nothing started and nothing queued', async () => {
    const feature = `editor-workers-hosts-${process.pid}`;
    const folder = path.join(scratch.root.fsPath, 'hosts');
    fs.mkdirSync(folder, { recursive: true });
    const plan = workersPlan(folder, feature);
    const { repo, remote } = shared(plan);
    await config().update('coordinator', cluster!.url, vscode.ConfigurationTarget.Global);
    await config().update('workers.remote', remote, vscode.ConfigurationTarget.Global);
    await config().update('hosts', [{ name: 'here', maxParallel: 1 }], vscode.ConfigurationTarget.Global);
    // What the person is told (an error, with the settings to open), as the start reads the settings.
    assert.deepEqual(readWorkersSetting({ coordinator: true, hosts: true }), {
      problem: 'waves.workers.remote and waves.hosts do not go together: the packages go to the pull workers or to the hosts, not both. Clear one of the two in your settings.',
    });
    const entry = await waitForPlan(api, vscode.Uri.file(plan), 'the second workers plan in the registry', (e) => e.analysis.valid);
    const controller = api.run.controller;
    const saved = controller.questions;
    const asked: string[] = [];
    controller.questions = { ...saved, confirmRun: async () => (asked.push('confirm'), true) };
    try {
      const session = await controller.start(entry, { what: 'the plan' });
      assert.equal(session, undefined, 'nothing started');
      assert.deepEqual(asked, [], 'refused before anything is asked');
      assert.equal(fs.existsSync(runStateFile(repo, feature)), false, 'no run state written');
      assert.equal(controller.session(feature), undefined);
      // (The coordinator's tables made, when this test runs alone.)
      await (await openCoordinator(repo, { url: cluster!.url })).close();
      const db = new pg.Client({ connectionString: cluster!.url });
      await db.connect();
      try {
        const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM waves_queue WHERE feature_id = $1', [feature]);
        assert.equal(rows[0]!.n, '0', 'nothing queued');
      } finally {
        await db.end();
      }
      // The person's own hosts gone, the remote taken again: the same plan would go to the workers.
      await config().update('hosts', undefined, vscode.ConfigurationTarget.Global);
      assert.deepEqual(readWorkersSetting({ coordinator: true, hosts: false }), { remote });
    } finally {
      controller.questions = saved;
    }
  });
});
