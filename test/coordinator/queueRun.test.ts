/**
 * A run whose agents work on pull workers (ADR 0037), end to end: the engine with the queue
 * executor on the driver's clone, a worker (its own clone of a shared bare remote) taking turns
 * meanwhile, a real PostgreSQL, real git, the agents in their walls on the worker. Each package is
 * queued with its work order; the worker does it and pushes it; the driver fetches the pushed
 * commit into the package's tree here, audits, verifies and merges it as any attempt's, and the
 * dependent's order carries its dependency's record.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PgCoordinator } from '../../src/engine/coordinator/pgCoordinator';
import { repositoryKeyOf } from '../../src/engine/coordinator';
import { PullWorker, workBranch, workOnPackage } from '../../src/engine/workers';
import type { Claim } from '../../src/engine/coordinator';
import type { WorkReport } from '../../src/core/coordinator/workQueue';
import { startCluster, type Cluster } from './postgres';
import { sharedRemote } from './sharedRemote';
import { onQueue } from './onQueue';
import { engineFor, isolateGit, planYaml, readAt, runToEnd, scriptedAgent } from '../engine/engineFixtures';
import { buildRunner, git, tempDir, waitFor } from '../engine/helpers';
import { REPO_ROOT } from '../engine/helpers';

let cluster: Cluster;
let runnerScript = '';
before(async () => {
  isolateGit();
  runnerScript = await buildRunner();
  cluster = await startCluster(REPO_ROOT);
});
after(() => cluster?.remove());

describe('a run on pull workers', () => {
  test('a package cancelled while a worker does it: the queue gives it up, the worker stops it and reports nothing, nothing of it merges', async () => {
    const gate = path.join(tempDir('waves-gate-'), 'never');
    const plan = planYaml('queued-cancel', [{ id: 'slow', write: ['slow/**'], agent: [`wait-for ${gate}`, 'write slow/x.txt late', 'commit'] }]);
    const { driver, remote, clone } = sharedRemote(plan);
    const c = await PgCoordinator.open(cluster.url, await repositoryKeyOf(driver));
    const queue = c.queue(1_500);
    const place = { clone, remote, env: process.env, agents: { custom: scriptedAgent() } };
    const worker = new PullWorker({ queue, info: { name: 'w2', agents: ['custom'], labels: [], slots: 1 }, place, work: (claim, signal) => workOnPackage(claim, { place, runnerScript }, signal) });
    const { engine } = await engineFor(path.join(driver, 'work-packages.yaml'), runnerScript, {
      verification: 'approved',
      executor: onQueue(runnerScript, queue, remote, plan),
    });
    try {
      const done = engine.run();
      let turn = worker.turn();
      let t = await Promise.race([turn, new Promise((r) => setTimeout(() => r(null), 300))]);
      while (t !== null && (t as { kind: string }).kind === 'idle') {
        turn = worker.turn();
        t = await Promise.race([turn, new Promise((r) => setTimeout(() => r(null), 300))]);
      }
      // The worker holds it (its agent waits on a gate that never opens): the person cancels the package.
      await waitFor(async () => (await queue.items('queued-cancel', engine.store?.state?.runId ?? ''))[0]?.state === 'claimed', 'the worker to claim it', 30_000);
      await engine.cancel('slow');
      const outcome = await done;
      assert.equal(outcome.state.packages.slow!.status, 'cancelled', JSON.stringify(outcome.state.packages.slow));
      assert.deepEqual(await turn, { kind: 'lost', packageId: 'slow', fence: 1 }, 'the worker stopped its agent and reported nothing');
      const [item] = await queue.items('queued-cancel', outcome.state.runId);
      assert.deepEqual([item!.state, item!.reason], ['dead', 'cancelled by the run']);
      assert.equal(git(driver, 'ls-remote', remote, 'waves-workers/*'), '', 'nothing pushed');
    } finally {
      engine.dispose();
      await c.close();
    }
  });

  test('an adversarial worker: work outside the package\'s scope fails its audit here, a commit that does not grow from the base is not taken; nothing of either merges', async () => {
    const plan = planYaml('adversary', [
      { id: 'a', write: ['a/**'], agent: ['write a/x.txt honest'] },
      { id: 'c', write: ['c/**'], agent: ['write c/x.txt honest'] },
    ]);
    const { driver, remote, clone } = sharedRemote(plan);
    const c = await PgCoordinator.open(cluster.url, await repositoryKeyOf(driver));
    const queue = c.queue();
    const place = { clone, remote, env: process.env, agents: { custom: scriptedAgent() } };
    // Its own "work": never the agent's. For a, a commit on the base that writes outside a's scope; for c, a commit of its own history.
    const work = async (claim: Claim): Promise<WorkReport> => {
      const { item } = claim;
      const tree = path.join(tempDir('waves-adversary-'), 'tree');
      git(clone, 'worktree', 'add', '-q', '--detach', tree, item.baseSha);
      let head: string;
      if (item.packageId === 'a') {
        fs.mkdirSync(path.join(tree, 'b'), { recursive: true });
        fs.writeFileSync(path.join(tree, 'b', 'evil.txt'), 'planted by a worker');
        git(tree, 'add', '-A');
        git(tree, 'commit', '-q', '-m', 'a: outside its scope');
        head = git(tree, 'rev-parse', 'HEAD').trim();
      } else {
        head = git(tree, 'commit-tree', git(tree, 'mktree').trim(), '-m', 'c: a history of its own').trim();
      }
      const branch = workBranch(claim);
      git(clone, 'push', '-q', remote, `${head}:refs/heads/${branch}`);
      return { branch, headSha: head, exitCode: 0, detail: 'the agent ended', result: null };
    };
    const worker = new PullWorker({ queue, info: { name: 'mallory', agents: ['custom'], labels: [], slots: 1 }, place, work });
    let running = true;
    const working = (async () => {
      while (running) if ((await worker.turn()).kind === 'idle') await new Promise((r) => setTimeout(r, 100));
    })();
    try {
      const { outcome } = await runToEnd(path.join(driver, 'work-packages.yaml'), runnerScript, {
        maxParallel: 2,
        executor: onQueue(runnerScript, queue, remote, plan),
      });
      assert.equal(outcome.outcome, 'failed');
      const { a, c: cPkg } = outcome.state.packages;
      assert.equal(a!.status, 'scope-violation', JSON.stringify(a));
      assert.deepEqual(a!.scopeViolations.map((v) => v.path), ['b/evil.txt']);
      assert.match(a!.lastError ?? '', /changed outside the write scope: b\/evil\.txt/, 'the audit here names the file outside its scope');
      assert.equal(cPkg!.status, 'failed', JSON.stringify(cPkg));
      assert.match(cPkg!.lastError ?? '', /the worker's work was not taken: its commit [0-9a-f]{12} does not grow from the package's base [0-9a-f]{12}/);
      const integration = outcome.state.integration?.branch;
      if (integration) assert.equal(git(driver, 'ls-tree', '-r', '--name-only', integration).split('\n').filter((f) => /^(a|b|c)\//.test(f)).length, 0, 'nothing of either merged');
    } finally {
      running = false;
      await working;
      await c.close();
    }
  });

  test('verification on the worker: its approved steps run in its walls on its commit, and the driver takes their results (a failing one fails the package); a step the plan at the base does not give the package is not run there, and the driver verifies', async () => {
    const plan = planYaml('verified-there', [
      { id: 'a', write: ['a/**'], agent: ['write a/x.txt from a worker', 'commit'], commands: ['test -s a/x.txt'] },
      { id: 'c', write: ['c/**'], agent: ['write c/x.txt from a worker', 'commit'], commands: ['test -s c/missing.txt'] },
      { id: 'd', write: ['d/**'], agent: ['write d/x.txt from a worker', 'commit'], commands: ['test -s d/x.txt'] },
    ]);
    const { driver, remote, clone } = sharedRemote(plan);
    const c = await PgCoordinator.open(cluster.url, await repositoryKeyOf(driver));
    const queue = c.queue();
    const place = { clone, remote, env: process.env, agents: { custom: scriptedAgent() } };
    const worker = new PullWorker({ queue, info: { name: 'w1', agents: ['custom'], labels: [], slots: 1 }, place, work: (claim, signal) => workOnPackage(claim, { place, runnerScript, worker: 'w1' }, signal) });
    let running = true;
    const working = (async () => {
      while (running) if ((await worker.turn()).kind === 'idle') await new Promise((r) => setTimeout(r, 100));
    })();
    try {
      const { outcome } = await runToEnd(path.join(driver, 'work-packages.yaml'), runnerScript, {
        verification: 'approved',
        maxParallel: 3,
        // d's order carries a step its plan does not give it (as a driver that lied would): the worker runs none for d.
        executor: onQueue(runnerScript, queue, remote, plan, (run) => ({ stepsOf: (id) => (id === 'd' ? [{ step: 'check-1', command: 'touch /tmp/planted-by-order' }] : run.approvedStepsOf(id)) })),
      });
      const { a, c: cPkg, d } = outcome.state.packages;
      assert.equal(a!.status, 'succeeded', JSON.stringify(a));
      assert.deepEqual(a!.verification.map((v) => [v.ok, v.detail]), [[true, 'test -s a/x.txt: passed (on w1)']]);
      assert.equal(fs.existsSync(path.join(clone, '.waves', 'runs', 'verified-there', `${outcome.state.runId}.1`, 'a', '1', 'verify-1.log')), true, "a's step ran on the worker");
      assert.equal(cPkg!.status, 'failed', JSON.stringify(cPkg));
      assert.match(cPkg!.lastError ?? '', /^verification failed: test -s c\/missing\.txt: exit 1 .*\(on w1\)$/);
      // d: not run on the worker (not its plan's step); verified here, its own step.
      assert.equal(d!.status, 'succeeded', JSON.stringify(d));
      assert.deepEqual(d!.verification.map((v) => [v.ok, v.detail]), [[true, 'test -s d/x.txt: passed']]);
      assert.equal(fs.existsSync('/tmp/planted-by-order'), false);
      const [qa] = (await queue.items('verified-there', outcome.state.runId)).filter((i) => i.packageId === 'a');
      assert.deepEqual(qa!.order.verify, [{ step: 'check-1', command: 'test -s a/x.txt' }]);
    } finally {
      running = false;
      await working;
      await c.close();
    }
  });

  test('each package is done by a worker and merged by the driver as any attempt: audited, verified here, in dependency order, the record carried', async () => {
    const plan = planYaml('queued', [
      { id: 'a', write: ['a/**'], agent: ['write a/x.txt from a worker', 'commit'], commands: ['test -s a/x.txt'] },
      { id: 'b', deps: ['a'], write: ['b/**'], agent: ['write b/y.txt from a worker too', 'commit'] },
    ]);
    const { driver, remote, clone } = sharedRemote(plan);
    const c = await PgCoordinator.open(cluster.url, await repositoryKeyOf(driver));
    const queue = c.queue();
    const place = { clone, remote, env: process.env, agents: { custom: scriptedAgent() } };
    const worker = new PullWorker({ queue, info: { name: 'w1', agents: ['custom'], labels: [], slots: 1 }, place, work: (claim, signal) => workOnPackage(claim, { place, runnerScript }, signal) });
    let running = true;
    const turns: string[] = [];
    const working = (async () => {
      while (running) {
        const t = await worker.turn();
        if (t.kind === 'idle') await new Promise((r) => setTimeout(r, 100));
        else turns.push(`${t.kind} ${t.packageId}`);
      }
    })();
    try {
      const { outcome } = await runToEnd(path.join(driver, 'work-packages.yaml'), runnerScript, {
        verification: 'approved',
        maxParallel: 2,
        executor: onQueue(runnerScript, queue, remote, plan),
      });
      assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.state.packages, null, 1));
      assert.deepEqual(turns, ['reported a', 'reported b']);
      const integration = outcome.state.integration!.branch;
      assert.equal(readAt(driver, integration, 'a/x.txt'), 'from a worker');
      assert.equal(readAt(driver, integration, 'b/y.txt'), 'from a worker too');
      // Verified here, on the driver, in its walls: a's approved command.
      assert.deepEqual(outcome.state.packages.a!.verification.map((v) => v.ok), [true]);
      // b's work order carried a's record, and its prompt on the worker names it beside b's attempt there.
      const items = await queue.items('queued', outcome.state.runId);
      assert.deepEqual(items.map((i) => [i.packageId, i.state, i.worker]), [['a', 'done', 'w1'], ['b', 'done', 'w1']]);
      // Each attempt's base under a branch of its own on the shared remote (never one branch moved back under another's worker).
      const { runId } = outcome.state;
      assert.deepEqual(items.map((i) => i.baseRef), [`waves-bases/queued/${runId}/a/1`, `waves-bases/queued/${runId}/b/1`]);
      // Once each package's commit is here, neither its base nor the worker's branch is left on the shared remote (deleted at the run's end).
      await waitFor(() => git(driver, 'ls-remote', remote, 'refs/heads/waves-bases/*', 'refs/heads/waves-workers/*') === '', 'the spent branches to be deleted', 10_000);
      assert.deepEqual(Object.keys(items[1]!.order.upstream), ['a']);
      assert.match(items[1]!.order.prompt, /\{\{waves:upstream:a\}\}/);
      assert.doesNotMatch(items[1]!.order.prompt, new RegExp(driver.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), "no path of the driver's is left in the order");
      const given = fs.readFileSync(path.join(clone, '.waves', 'runs', 'queued', `${outcome.state.runId}.1`, 'b', '1', 'prompt.md'), 'utf8');
      assert.ok(given.includes(path.join(clone, '.waves', 'runs', 'queued', `${outcome.state.runId}.1`, 'b', '1', 'upstream', 'a.json')), given);
    } finally {
      running = false;
      await working;
      await c.close();
    }
  });
  test('three workers, each in its own clone of the shared remote: a plan of five packages runs to a merged integration branch, the work spread over them', async () => {
    const plan = planYaml('three', [
      { id: 'p1', write: ['p1/**'], agent: ['sleep 1500', 'write p1/x.txt one', 'commit'] },
      { id: 'p2', write: ['p2/**'], agent: ['sleep 1500', 'write p2/x.txt two', 'commit'] },
      { id: 'p3', write: ['p3/**'], agent: ['sleep 1500', 'write p3/x.txt three', 'commit'] },
      { id: 'p4', deps: ['p1', 'p2'], write: ['p4/**'], agent: ['write p4/x.txt four', 'commit'] },
      { id: 'p5', deps: ['p3', 'p4'], write: ['p5/**'], agent: ['write p5/x.txt five', 'commit'] },
    ]);
    const { driver, remote, clone } = sharedRemote(plan);
    const clones = [clone, ...[2, 3].map(() => {
      const more = path.join(tempDir('waves-worker-'), 'clone');
      git(path.dirname(more), 'clone', '-q', remote, more);
      return more;
    })];
    const c = await PgCoordinator.open(cluster.url, await repositoryKeyOf(driver));
    const queue = c.queue();
    let running = true;
    const done: Record<string, string> = {};
    const loops = clones.map(async (workerClone, k) => {
      const name = `w${k + 1}`;
      const place = { clone: workerClone, remote, env: process.env, agents: { custom: scriptedAgent() } };
      const worker = new PullWorker({ queue, info: { name, agents: ['custom'], labels: [], slots: 1 }, place, work: (claim, signal) => workOnPackage(claim, { place, runnerScript, worker: name }, signal) });
      while (running) {
        const t = await worker.turn();
        if (t.kind === 'idle') await new Promise((r) => setTimeout(r, 50));
        else if (t.kind === 'reported') done[t.packageId] = name;
      }
    });
    try {
      const { outcome } = await runToEnd(path.join(driver, 'work-packages.yaml'), runnerScript, {
        maxParallel: 3,
        executor: onQueue(runnerScript, queue, remote, plan),
      });
      assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.state.packages, null, 1));
      const integration = outcome.state.integration!.branch;
      assert.deepEqual(['p1', 'p2', 'p3', 'p4', 'p5'].map((id) => readAt(driver, integration, `${id}/x.txt`)), ['one', 'two', 'three', 'four', 'five']);
      assert.deepEqual(Object.keys(done).sort(), ['p1', 'p2', 'p3', 'p4', 'p5'], 'each done once');
      // The first three at once, one on each worker (each holds one at a time).
      assert.equal(new Set(['p1', 'p2', 'p3'].map((id) => done[id])).size, 3, JSON.stringify(done));
    } finally {
      running = false;
      await Promise.all(loops);
      await c.close();
    }
  });

  test('PostgreSQL stopped for 30 s while a worker does a package: the worker and the driver wait for it, and the run goes on to merge the package', async () => {
    const gate = path.join(tempDir('waves-gate-'), 'open');
    const plan = planYaml('outage', [{ id: 'a', write: ['a/**'], agent: [`wait-for ${gate}`, 'write a/x.txt after the outage', 'commit'] }]);
    const { driver, remote, clone } = sharedRemote(plan);
    const c = await PgCoordinator.open(cluster.url, await repositoryKeyOf(driver));
    const queue = c.queue();
    const place = { clone, remote, env: process.env, agents: { custom: scriptedAgent() } };
    const worker = new PullWorker({ queue, info: { name: 'patient', agents: ['custom'], labels: [], slots: 1 }, place, work: (claim, signal) => workOnPackage(claim, { place, runnerScript }, signal) });
    let running = true;
    const turns: string[] = [];
    const working = (async () => {
      while (running) {
        try {
          const t = await worker.turn();
          if (t.kind === 'idle') await new Promise((r) => setTimeout(r, 100));
          else turns.push(`${t.kind} ${t.packageId}`);
        } catch {
          await new Promise((r) => setTimeout(r, 500)); // the coordinator away between turns: looked at again
        }
      }
    })();
    const { engine } = await engineFor(path.join(driver, 'work-packages.yaml'), runnerScript, {
      executor: onQueue(runnerScript, queue, remote, plan),
    });
    try {
      const done = engine.run();
      await waitFor(async () => (await queue.items('outage', engine.store?.state?.runId ?? '')).some((i) => i.state === 'claimed'), 'the worker to claim it', 30_000);
      cluster.stop();
      // The agent ends while the coordinator is away: the worker cannot report, the driver cannot read.
      fs.writeFileSync(gate, '');
      const early = await Promise.race([done.then(() => 'ended'), new Promise((r) => setTimeout(() => r('waiting'), 30_000))]);
      assert.equal(early, 'waiting', 'the run waits for the coordinator');
      cluster.start();
      const outcome = await done;
      assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.state.packages.a));
      assert.equal(readAt(driver, outcome.state.integration!.branch, 'a/x.txt'), 'after the outage');
      assert.deepEqual(turns, ['reported a']);
    } finally {
      engine.dispose();
      running = false;
      await working;
      await c.close();
    }
  });
});
