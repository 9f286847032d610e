/**
 * `waves worker` and `waves workers` as a person meets them (ADR 0037): the built bin in real
 * processes, each worker in its own clone of a shared bare remote, a real PostgreSQL, the agent in
 * its walls. A worker does a queued package and reports it; a worker killed with SIGKILL mid-package
 * loses its claim within the lease, another worker claims it and reports, and the killed one's work
 * is never pushed; `waves workers` lists them and drains one.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { mergeableReport, type QueuedPackage } from '../../src/core/coordinator/workQueue';
import { runStateFile } from '../../src/core/run/runPaths';
import type { RunState } from '../../src/core/run/runState';
import { PgCoordinator } from '../../src/engine/coordinator/pgCoordinator';
import { repositoryKeyOf } from '../../src/engine/coordinator';
import { startCluster, type Cluster } from './postgres';
import { sharedRemote } from './sharedRemote';
import { git, gitEnv, makeRepo, REPO_ROOT, SCRIPTED_AGENT, tempDir, waitFor } from '../engine/helpers';
import { planYaml } from '../engine/engineFixtures';

const AGENT = JSON.stringify([process.execPath, SCRIPTED_AGENT, '--prompt', '${promptFile}', '--result', '${resultFile}']);
const PLAN = 'feature: f\npackages: []\n';
let cluster: Cluster;
let env: NodeJS.ProcessEnv;
before(async () => {
  env = gitEnv(tempDir('waves-home-'));
  cluster = await startCluster(REPO_ROOT);
});
after(() => cluster?.remove());

const BIN = path.join(REPO_ROOT, 'bin', 'waves.js');
const waves = (cwd: string, ...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env, encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

/** A shared bare remote with the run's branch, the driver's clone that pushed it, and `n` workers' own clones. */
function world(n: number) {
  const driver = makeRepo({ 'README.md': '# r\n', 'work-packages.yaml': PLAN });
  const remote = path.join(tempDir('waves-remote-'), 'shared.git');
  git(path.dirname(remote), 'init', '-q', '--bare', '-b', 'main', remote);
  git(driver, 'push', '-q', remote, 'main', 'main:refs/heads/waves/f/integration');
  const clones = Array.from({ length: n }, (_, i) => {
    const clone = path.join(tempDir(`waves-worker-${i}-`), 'clone');
    git(path.dirname(clone), 'clone', '-q', remote, clone);
    return clone;
  });
  return { driver, remote, clones, base: git(driver, 'rev-parse', 'HEAD').trim() };
}

const queued = (w: ReturnType<typeof world>, packageId: string, instructions: string[]): QueuedPackage => ({
  featureId: 'f',
  runId: 'r1',
  packageId,
  attempt: 1,
  agent: 'custom',
  labels: [],
  planFile: 'work-packages.yaml',
  planHash: createHash('sha256').update(PLAN, 'utf8').digest('hex'),
  baseRef: 'waves/f/integration',
  baseSha: w.base,
  order: { prompt: [`Do ${packageId}.`, ...instructions.map((i) => `test-agent: ${i}`)].join('\n'), upstream: {}, timeoutMs: 120_000 },
});

describe('waves worker', () => {
  test('does a queued package in its walls, pushes it to the claim\'s branch and reports it; `waves workers` lists it and drains it', async () => {
    const w = world(1);
    const key = await repositoryKeyOf(w.driver);
    const c = await PgCoordinator.open(cluster.url, key);
    try {
      await c.queue().enqueue([queued(w, 'p', ['write p/x.txt by a worker', 'commit'])]);
      const r = waves(w.clones[0]!, 'worker', '--coordinator', cluster.url, '--remote', w.remote, '--name', 'w1', '--agent-argv', AGENT, '--once');
      assert.equal(r.code, 0, r.out + r.err);
      assert.match(r.out, /^w1: p done \(claim 1\): pushed waves-workers\/f\/r1\/p\/1\.1 at [0-9a-f]{12}; /m);
      const [item] = await c.queue().items('f', 'r1');
      assert.equal(item!.state, 'done');
      assert.equal(git(w.driver, 'ls-remote', w.remote, 'waves-workers/f/r1/p/1.1').split('\t')[0], item!.report?.headSha);
      const listed = waves(w.clones[0]!, 'workers', '--coordinator', cluster.url);
      assert.equal(listed.code, 0, listed.err);
      assert.match(listed.out, /^w1 {2}\S+ {2}custom {2}heartbeat \d+ s ago$/m);
      // Its lease as it registered it: the default two minutes (its heartbeats every 40 s, its idle looks every 5 s).
      const { workers } = JSON.parse(waves(w.clones[0]!, 'workers', '--coordinator', cluster.url, '--json').out) as { workers: { name: string; leaseMs: number }[] };
      assert.deepEqual(workers.map((x) => [x.name, x.leaseMs]), [['w1', 120_000]]);
      // `waves status --coordinator` names the repository's workers too.
      fs.writeFileSync(path.join(w.driver, 'plan.yaml'), 'schema_version: 1\nfeature: {id: g, title: G}\npackages:\n  - {package_id: a, title: A, depends_on: [], scope: {write_allow: ["a/**"]}}\n');
      const status = waves(w.driver, 'status', '--coordinator', cluster.url, 'plan.yaml');
      assert.match(status.out, /^workers \(coordinator postgres:\/\/.*\):\n {2}w1 on \S+: custom, heartbeat \d+ s ago$/m, status.out + status.err);
      const json = JSON.parse(waves(w.driver, 'status', '--json', '--coordinator', cluster.url, 'plan.yaml').out) as { coordinator: { workers: { name: string; agents: string[] }[] } };
      assert.deepEqual(json.coordinator.workers.map((x) => [x.name, x.agents]), [['w1', ['custom']]]);
      assert.equal(waves(w.clones[0]!, 'workers', '--coordinator', cluster.url, '--drain', 'w1').code, 0);
      assert.match(waves(w.clones[0]!, 'workers', '--coordinator', cluster.url).out, /w1 .* draining$/m);
      const none = waves(w.clones[0]!, 'workers', '--coordinator', cluster.url, '--drain', 'nobody');
      assert.equal(none.code, 1);
      assert.match(none.err, /no worker named nobody works for this repository/);
      // A coordinator out of reach: said plainly, without its password.
      const away = waves(w.clones[0]!, 'workers', '--coordinator', 'postgres://ana:hunter22@127.0.0.1:1/waves');
      assert.equal(away.code, 2, away.out + away.err);
      assert.match(away.err, /^waves: The coordinator postgres:\/\/ana:\*\*\*@127\.0\.0\.1:1\/waves cannot be reached/m);
      assert.doesNotMatch(away.out + away.err, /hunter22|internal error/);
    } finally {
      await c.close();
    }
  });

  test('waves run --workers: the run queues its packages, a `waves worker` in its own clone does them, and the run merges them here', async () => {
    const plan = planYaml('on-workers', [
      { id: 'a', write: ['a/**'], agent: ['mcp handoff {"note": "a/x.txt says where it came from"}', 'write a/x.txt from a worker', 'commit'] },
      { id: 'b', deps: ['a'], write: ['b/**'], agent: ['write b/y.txt from a worker too', 'commit'] },
    ]);
    const { driver, remote, clone } = sharedRemote(plan);
    const worker = spawn(process.execPath, [BIN, 'worker', '--coordinator', cluster.url, '--remote', remote, '--name', 'pool-1', '--agent-argv', AGENT, '--idle', '0.2'], { cwd: clone, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let said = '';
    worker.stdout!.on('data', (d: Buffer) => (said += d.toString()));
    const exited = new Promise<number | null>((r) => worker.once('exit', (code) => r(code)));
    try {
      const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const run = spawn(process.execPath, [BIN, 'run', '--agent-argv', AGENT, '--coordinator', cluster.url, '--workers', remote, 'work-packages.yaml'], { cwd: driver, env });
        let out = '';
        let err = '';
        run.stdout.on('data', (d: Buffer) => (out += d.toString()));
        run.stderr.on('data', (d: Buffer) => (err += d.toString()));
        run.once('exit', (code) => resolve({ code, out, err }));
      });
      assert.equal(r.code, 0, r.out + r.err + said);
      assert.equal(git(driver, 'show', 'waves/on-workers/_integration:a/x.txt'), 'from a worker');
      assert.equal(git(driver, 'show', 'waves/on-workers/_integration:b/y.txt'), 'from a worker too');
      assert.match(said, /^pool-1: a done \(claim 1\)/m);
      assert.match(said, /^pool-1: b done \(claim 1\)/m);
      // a's agent talked back from the worker: its note is on its record here, and in b's prompt there.
      const state = JSON.parse(fs.readFileSync(runStateFile(driver, 'on-workers'), 'utf8')) as RunState;
      assert.deepEqual(state.packages.a!.handoffs, ['a/x.txt says where it came from']);
      assert.match(fs.readFileSync(path.join(clone, '.waves', 'runs', 'on-workers', `${state.runId}.1`, 'b', '1', 'prompt.md'), 'utf8'), /- > a\/x\.txt says where it came from\n/);
      // Usage: --workers needs the coordinator.
      const alone = waves(driver, 'run', '--agent-argv', AGENT, '--workers', remote, 'work-packages.yaml');
      assert.equal(alone.code, 2);
      assert.match(alone.err, /--workers needs --coordinator/);
    } finally {
      worker.kill('SIGINT');
      await exited;
    }
  });

  test('waves run --workers at its start: a plan not committed is refused before anything is queued; nobody to take a package is said; a package is taken only by a worker with its labels', async () => {
    const plan = planYaml('labelled', [
      { id: 'plain', write: ['plain/**'], agent: ['write plain/x.txt anywhere', 'commit'] },
      { id: 'gpu', write: ['gpu/**'], agent: ['write gpu/y.txt on a gpu', 'commit'], requires: ['gpu'] },
    ]);
    const { driver, remote, clone } = sharedRemote(plan);
    const run = (...extra: string[]) => waves(driver, 'run', '--agent-argv', AGENT, '--coordinator', cluster.url, '--workers', remote, ...extra, 'work-packages.yaml');
    // Edited and not committed: every worker would give every package back, so the run says it and starts nothing.
    fs.appendFileSync(path.join(driver, 'work-packages.yaml'), '# an edit\n');
    const edited = run();
    assert.equal(edited.code, 2, edited.out + edited.err);
    assert.match(edited.err, /^waves: work-packages\.yaml has changes that are not committed: workers read the plan from the base each package starts from \(HEAD\).*Commit it/m);
    git(driver, 'checkout', '--', 'work-packages.yaml');
    const c = await PgCoordinator.open(cluster.url, await repositoryKeyOf(driver));
    try {
      assert.equal((await c.queue().items('labelled', '')).length, 0);
      const start = (name: string, cwd: string, ...extra: string[]) => {
        const p = spawn(process.execPath, [BIN, 'worker', '--coordinator', cluster.url, '--remote', remote, '--name', name, '--agent-argv', AGENT, '--idle', '0.2', ...extra], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
        let said = '';
        p.stdout!.on('data', (d: Buffer) => (said += d.toString()));
        p.stderr!.on('data', (d: Buffer) => (said += d.toString()));
        return { p, said: () => said, exited: new Promise<number | null>((r) => p.once('exit', (code) => r(code))) };
      };
      const plainWorker = start('plain-1', clone);
      await waitFor(() => /plain-1: nothing to claim/.test(plainWorker.said()), 'the worker without labels to be working', 60_000);
      const gpuClone = path.join(tempDir('waves-worker-'), 'clone');
      git(path.dirname(gpuClone), 'clone', '-q', remote, gpuClone);
      let gpuWorker: ReturnType<typeof start> | null = null;
      try {
        let err = '';
        const finished = new Promise<{ code: number | null; err: string }>((resolve) => {
          const p = spawn(process.execPath, [BIN, 'run', '--agent-argv', AGENT, '--coordinator', cluster.url, '--workers', remote, 'work-packages.yaml'], { cwd: driver, env });
          p.stderr.on('data', (d: Buffer) => (err += d.toString()));
          p.stdout.on('data', (d: Buffer) => (err += d.toString()));
          p.once('exit', (code) => resolve({ code, err }));
        });
        // Told at the start that nobody working has a gpu; the package waits in the queue, and `waves status` says so.
        await waitFor(() => /gpu requires a worker with gpu: none working now has it/.test(err), 'the note at the start', 60_000);
        await waitFor(async () => {
          if (!fs.existsSync(runStateFile(driver, 'labelled'))) return false;
          const runId = (JSON.parse(fs.readFileSync(runStateFile(driver, 'labelled'), 'utf8')) as { runId: string }).runId;
          return (await c.queue().items('labelled', runId)).some((i) => i.packageId === 'gpu' && i.state === 'ready');
        }, 'the gpu package queued', 60_000);
        const status = waves(driver, 'status', '--coordinator', cluster.url, 'work-packages.yaml');
        assert.match(status.out, /^on the work queue \(coordinator postgres:\/\/.*\):\n(?: {2}.*\n)*? {2}gpu \(attempt 1\): waiting for a worker with gpu that runs custom$/m, status.out + status.err);
        // The person starts a worker with a gpu; the package waiting for it goes.
        gpuWorker = start('gpu-1', gpuClone, '--labels', 'gpu,linux');
        const r = await finished;
        assert.equal(r.code, 0, r.err + plainWorker.said());
        assert.match(r.err, /^waves: gpu requires a worker with gpu: none working now has it, so it waits in the queue until one does$/m);
        const runId = (JSON.parse(fs.readFileSync(runStateFile(driver, 'labelled'), 'utf8')) as { runId: string }).runId;
        const items = await c.queue().items('labelled', runId);
        assert.deepEqual(items.map((i) => [i.packageId, i.labels, i.worker, i.state]).sort(), [['gpu', ['gpu'], 'gpu-1', 'done'], ['plain', [], 'plain-1', 'done']]);
        assert.equal(git(driver, 'show', 'waves/labelled/_integration:gpu/y.txt'), 'on a gpu');
      } finally {
        plainWorker.p.kill('SIGINT');
        await plainWorker.exited;
        const g = gpuWorker as ReturnType<typeof start> | null;
        if (g) {
          g.p.kill('SIGINT');
          await g.exited;
        }
      }
    } finally {
      await c.close();
    }
  });

  test('--slots 2: two packages claimed and worked at once by one worker, each from its own base ref, each pushed to its own branch', async () => {
    const w = world(1);
    const c = await PgCoordinator.open(cluster.url, await repositoryKeyOf(w.driver));
    const gate = path.join(tempDir('waves-gate-'), 'open');
    try {
      await c.queue().enqueue([queued(w, 'one', [`wait-for ${gate}`, 'write one/x.txt first', 'commit']), queued(w, 'two', [`wait-for ${gate}`, 'write two/x.txt second', 'commit'])]);
      const worker = spawn(process.execPath, [BIN, 'worker', '--coordinator', cluster.url, '--remote', w.remote, '--name', 'wide', '--agent-argv', AGENT, '--slots', '2', '--once'], { cwd: w.clones[0]!, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      worker.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      worker.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((r) => worker.once('exit', (code) => r(code)));
      try {
        // Both held by the one worker while neither agent can end: two at once.
        await waitFor(async () => (await c.queue().items('f', 'r1')).filter((i) => i.state === 'claimed' && i.worker === 'wide').length === 2, 'both packages claimed by the one worker', 60_000);
        assert.match(out, /^wide: working for .* with custom, 2 packages at once$/m);
        assert.deepEqual((await c.queue().workers()).map((x) => [x.name, x.slots]), [['wide', 2]]);
        fs.writeFileSync(gate, '');
        assert.equal(await exited, 0, out);
      } finally {
        if (worker.exitCode === null) worker.kill('SIGKILL');
      }
      assert.match(out, /^wide: one done \(claim 1\): pushed waves-workers\/f\/r1\/one\/1\.1 /m);
      assert.match(out, /^wide: two done \(claim 1\): pushed waves-workers\/f\/r1\/two\/1\.1 /m);
      const items = await c.queue().items('f', 'r1');
      assert.deepEqual(items.map((i) => [i.packageId, i.state]), [['one', 'done'], ['two', 'done']]);
      assert.equal(git(w.remote, 'show', `${items[0]!.report!.headSha}:one/x.txt`), 'first');
      assert.equal(git(w.remote, 'show', `${items[1]!.report!.headSha}:two/x.txt`), 'second');
      assert.equal(waves(w.clones[0]!, 'worker', '--coordinator', cluster.url, '--slots', '0').code, 2);
      assert.match(waves(w.clones[0]!, 'worker', '--coordinator', cluster.url, '--lease', '100000').err, /--lease must be at most 86400 seconds/);
    } finally {
      await c.close();
    }
  });

  test('an idle worker hears a package queued at once (not at its next look, two minutes away), and Ctrl-C while idle stops it at once', async () => {
    const w = world(1);
    const c = await PgCoordinator.open(cluster.url, await repositoryKeyOf(w.driver));
    const worker = spawn(process.execPath, [BIN, 'worker', '--coordinator', cluster.url, '--remote', w.remote, '--name', 'listening', '--agent-argv', AGENT, '--idle', '120'], { cwd: w.clones[0]!, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    worker.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    worker.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => worker.once('exit', (code) => r(code)));
    try {
      await waitFor(() => /listening: nothing to claim/.test(out), 'the worker to go idle', 60_000);
      await new Promise((r) => setTimeout(r, 500)); // its listener's LISTEN issued
      await c.queue().enqueue([queued(w, 'heard', ['write heard/x.txt at once', 'commit'])]);
      await waitFor(() => /listening: heard done \(claim 1\)/.test(out), 'the idle worker to take the package queued', 30_000);
      await waitFor(() => (out.match(/nothing to claim/g) ?? []).length >= 2, 'the worker idle again', 30_000);
      worker.kill('SIGINT');
      assert.equal(await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 15_000))]), 0, out);
    } finally {
      if (worker.exitCode === null) worker.kill('SIGKILL');
      await c.close();
    }
  });

  test('a worker killed outright leaves its agent running; the next worker started in that clone stops it (its claim lapsed), and says so', async () => {
    const w = world(1);
    const c = await PgCoordinator.open(cluster.url, await repositoryKeyOf(w.driver));
    const never = path.join(tempDir('waves-gate-'), 'never');
    try {
      // One try: once its claim lapses it is a dead letter, and the next worker has nothing to claim.
      await c.queue().enqueue([{ ...queued(w, 'left', [`wait-for ${never}`, 'write left/x.txt never', 'commit']), maxTries: 1 }]);
      const killed = spawn(process.execPath, [BIN, 'worker', '--coordinator', cluster.url, '--remote', w.remote, '--name', 'gone', '--agent-argv', AGENT, '--lease', '2', '--once'], { cwd: w.clones[0]!, env, stdio: 'ignore' });
      await waitFor(async () => (await c.queue().items('f', 'r1'))[0]?.worker === 'gone', 'the worker to claim it', 60_000);
      const dir = path.join(w.clones[0]!, '.waves', 'runs', 'f', 'r1.1', 'left', '1');
      const meta = path.join(dir, 'meta.json');
      await waitFor(() => fs.existsSync(meta), 'its runner to start', 60_000);
      killed.kill('SIGKILL');
      await new Promise((r) => killed.once('exit', r));
      const runnerPid = (JSON.parse(fs.readFileSync(meta, 'utf8')) as { runnerPid: number }).runnerPid;
      const alive = (pid: number) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false; // gone
        }
      };
      assert.ok(alive(runnerPid), 'its runner outlived it');
      // Its claim lapses (2 s); a worker started again in the clone stops what it left.
      await new Promise((r) => setTimeout(r, 2_500));
      const again = waves(w.clones[0]!, 'worker', '--coordinator', cluster.url, '--remote', w.remote, '--name', 'gone', '--agent-argv', AGENT, '--lease', '2', '--idle', '0.2', '--once');
      assert.equal(again.code, 0, again.out + again.err);
      assert.match(again.err, /^gone: stopped what a worker before it left running in this clone: left \(claim 1\)$/m);
      await waitFor(() => fs.existsSync(path.join(dir, 'exit.json')), 'the runner to end the agent and write its end', 30_000);
      assert.equal((JSON.parse(fs.readFileSync(path.join(dir, 'exit.json'), 'utf8')) as { cancelled: boolean }).cancelled, true);
      await waitFor(() => !alive(runnerPid), 'the runner gone', 30_000);
      assert.equal(fs.existsSync(path.join(w.clones[0]!, 'left', 'x.txt')), false);
    } finally {
      await c.close();
    }
  });

  test('PostgreSQL stopped under a waiting worker: it says so once and waits; started again, the worker takes the package queued then; Ctrl-C stops it', async () => {
    const w = world(1);
    const key = await repositoryKeyOf(w.driver);
    const worker = spawn(process.execPath, [BIN, 'worker', '--coordinator', cluster.url, '--remote', w.remote, '--name', 'patient', '--agent-argv', AGENT, '--idle', '0.3'], { cwd: w.clones[0]!, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    worker.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    worker.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => worker.once('exit', (code) => r(code)));
    try {
      await waitFor(() => /patient: nothing to claim/.test(out), 'the worker to look at an empty queue', 60_000);
      cluster.stop();
      await waitFor(() => /patient: The coordinator .* cannot be reached.*; waiting for it/.test(out), 'the worker to say it waits', 30_000);
      await new Promise((r) => setTimeout(r, 1_500));
      assert.equal((out.match(/cannot be reached/g) ?? []).length, 1, 'said once');
      cluster.start();
      const c = await PgCoordinator.open(cluster.url, key);
      try {
        await c.queue().enqueue([queued(w, 'later', ['write later/x.txt after the outage', 'commit'])]);
        await waitFor(() => /patient: later done \(claim 1\)/.test(out), 'the worker to do the package queued after the outage', 60_000);
        assert.match(out, /patient: the coordinator answers again/);
        assert.equal((await c.queue().items('f', 'r1'))[0]!.state, 'done');
      } finally {
        await c.close();
      }
      worker.kill('SIGINT');
      assert.equal(await exited, 0, out);
      assert.doesNotMatch(out, /internal error/);
    } finally {
      if (worker.exitCode === null) worker.kill('SIGKILL');
    }
  });

  test('killed with SIGKILL mid-package: its claim lapses within the lease, another worker claims and reports it, and the killed one\'s work is never pushed', async () => {
    const w = world(2);
    const key = await repositoryKeyOf(w.driver);
    const c = await PgCoordinator.open(cluster.url, key);
    const gate = path.join(tempDir('waves-gate-'), 'open');
    try {
      await c.queue().enqueue([queued(w, 'p', [`wait-for ${gate}`, 'write p/x.txt after the gate', 'commit'])]);
      const killed = spawn(process.execPath, [BIN, 'worker', '--coordinator', cluster.url, '--remote', w.remote, '--name', 'killed', '--agent-argv', AGENT, '--lease', '2', '--once'], { cwd: w.clones[0]!, env, stdio: 'ignore' });
      await waitFor(async () => (await c.queue().items('f', 'r1'))[0]?.worker === 'killed', 'the first worker to claim it', 60_000);
      killed.kill('SIGKILL');
      await new Promise((r) => killed.once('exit', r));
      fs.writeFileSync(gate, '');
      // After its lease (2 s), the other worker claims it (its second claim: fence 2) and does it.
      await new Promise((r) => setTimeout(r, 2_500));
      const r = waves(w.clones[1]!, 'worker', '--coordinator', cluster.url, '--remote', w.remote, '--name', 'other', '--agent-argv', AGENT, '--lease', '2', '--once');
      assert.equal(r.code, 0, r.out + r.err);
      assert.match(r.out, /^other: p done \(claim 2\): pushed waves-workers\/f\/r1\/p\/1\.2 /m, r.err);
      const [item] = await c.queue().items('f', 'r1');
      assert.deepEqual([item!.state, item!.worker, item!.fence], ['done', 'other', 2]);
      // The killed worker pushed nothing: its claim's branch is not on the remote, and no report of claim 1 is mergeable.
      assert.equal(git(w.driver, 'ls-remote', w.remote, 'waves-workers/f/r1/p/1.1'), '');
      assert.equal(mergeableReport(item!, { fence: 1, report: { ...item!.report!, branch: 'waves-workers/f/r1/p/1.1' } }).ok, false);
      assert.deepEqual(mergeableReport(item!, { fence: 2, report: item!.report! }), { ok: true });
    } finally {
      await c.close();
    }
  });
});
