/**
 * A pull worker's agent talks back (ADR 0037, with ADR 0036's tools): its `waves` MCP server on
 * the worker, each call relayed through the queue on a real PostgreSQL to the run's driver, which
 * answers as that attempt's package — and only while the worker's claim is the package's. Real
 * git, the real runner and walls on the worker, the MCP server's bundle, the scripted agent calling
 * it as a CLI does.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { PgCoordinator } from '../../src/engine/coordinator/pgCoordinator';
import { repositoryKeyOf, type PgWorkQueue } from '../../src/engine/coordinator';
import { PullWorker, workOnPackage } from '../../src/engine/workers';
import type { EngineOptions, ScopeRequestAsked } from '../../src/engine/run/types';
import { startCluster, type Cluster } from './postgres';
import { sharedRemote } from './sharedRemote';
import { onQueue } from './onQueue';
import { isolateGit, planYaml, runToEnd, scriptedAgent } from '../engine/engineFixtures';
import { buildRunner, REPO_ROOT } from '../engine/helpers';
import type { QueuedPackage } from '../../src/core/coordinator/workQueue';

let cluster: Cluster;
let runnerScript = '';
before(async () => {
  isolateGit();
  runnerScript = await buildRunner();
  cluster = await startCluster(REPO_ROOT);
});
after(() => cluster?.remove());

/** A worker in `clone` taking turns until the returned stop; the calls it refused itself, by package. */
function workerLoop(queue: PgWorkQueue, clone: string, remote: string, name = 'w1') {
  const place = { clone, remote, env: process.env, agents: { custom: scriptedAgent() } };
  const refused: string[] = [];
  const worker = new PullWorker({
    queue,
    info: { name, agents: ['custom'], labels: [], slots: 1 },
    place,
    work: (claim, signal) => workOnPackage(claim, { place, runnerScript, talk: queue.talk, onTalkRefused: (id, why) => refused.push(`${id}: ${why}`) }, signal),
  });
  let running = true;
  const working = (async () => {
    while (running) if ((await worker.turn()).kind === 'idle') await new Promise((r) => setTimeout(r, 100));
  })();
  return {
    refused,
    stop: async () => {
      running = false;
      await working;
    },
  };
}

/** The agent's log of package `id`'s claim `fence` on the worker. */
const workerLog = (clone: string, feature: string, runId: string, id: string, fence = 1) => fs.readFileSync(path.join(clone, '.waves', 'runs', feature, `${runId}.1`, id, String(fence), 'agent.log'), 'utf8');

describe("a worker's agent talks back", () => {
  test('its calls reach the driver through the queue and are answered as its package: the plan, who owns a file, its progress, a note its dependent reads, more scope granted by the person; a wrong token is refused on the worker', async () => {
    const plan = planYaml('talk-q', [
      {
        id: 'api',
        write: ['src/api/**'],
        agent: [
          'mcp plan_status',
          'mcp who_owns {"path": "src/ui/page.txt"}',
          'mcp progress {"fraction": 0.5, "message": "half way: the model is written"}',
          'mcp handoff {"note": "the endpoint is /v2/users, not /users"}',
          'mcp request_scope {"paths": ["docs/api.md"], "reason": "the endpoint needs its page"}',
          'mcp-token not-the-token plan_status',
          'write src/api/users.ts export const users = [];',
          'write docs/api.md # Users',
          'commit',
        ],
      },
      { id: 'ui', deps: ['api'], write: ['src/ui/**'], agent: ['write src/ui/page.txt page', 'commit'] },
    ]);
    const { driver, remote, clone } = sharedRemote(plan);
    const c = await PgCoordinator.open(cluster.url, await repositoryKeyOf(driver));
    const queue = c.queue();
    const worker = workerLoop(queue, clone, remote);
    const asked: ScopeRequestAsked[] = [];
    try {
      const { outcome, events } = await runToEnd(path.join(driver, 'work-packages.yaml'), runnerScript, {
        maxParallel: 2,
        executor: onQueue(runnerScript, queue, remote, plan),
        grantScope: async (r) => (asked.push(r), true),
      } satisfies Partial<EngineOptions>);
      const { state } = outcome;
      assert.equal(outcome.outcome, 'succeeded', JSON.stringify(state.packages, null, 1));
      const said = workerLog(clone, 'talk-q', state.runId, 'api');
      assert.match(said, /^mcp plan_status: api \(you\): running — Package api \| ui: pending — Package ui \(after api\)$/m);
      assert.match(said, /^mcp who_owns: src\/ui\/page\.txt may be written by ui \(pending\)\. \| You may not write it: your audit fails if you do\.$/m);
      assert.match(said, /^mcp progress: noted: 50 %$/m);
      assert.match(said, /^mcp request_scope: granted: you may now write docs\/api\.md \(your audit allows them\)\.$/m);
      // Refused on the worker itself (its socket checks the attempt's token): never relayed.
      assert.match(said, /^mcp plan_status error: refused: this is not your attempt's token$/m);
      assert.deepEqual(worker.refused, ["api: its agent made a call refused here: a call without this attempt's token"]);
      // Recorded on the driver's package, as a local attempt's: its progress, its note, the scope the person granted (its audit allowed it).
      const api = state.packages.api!;
      assert.deepEqual([api.progress?.fraction, api.progress?.message], [0.5, 'half way: the model is written']);
      assert.deepEqual(api.handoffs, ['the endpoint is /v2/users, not /users']);
      assert.deepEqual(asked.map((r) => [r.packageId, r.paths]), [['api', ['docs/api.md']]]);
      assert.deepEqual(api.granted?.map((g) => g.paths), [['docs/api.md']]);
      assert.ok(events.some((e) => e.type === 'progress' && e.packageId === 'api'), 'the progress was told to the front ends');
      // Its dependent's order carried the note (its prompt, built here).
      const [, ui] = await queue.items('talk-q', state.runId);
      assert.match(ui!.order.prompt, /### `api`[\s\S]*- > the endpoint is \/v2\/users, not \/users\n/);
      // The order asked the worker for the tools; the worker's mcp.json names its own server, beside its runner.
      const [apiItem] = await queue.items('talk-q', state.runId);
      assert.equal(apiItem!.order.talk, true);
      const dir = path.join(clone, '.waves', 'runs', 'talk-q', `${state.runId}.1`, 'api', '1');
      const config = JSON.parse(fs.readFileSync(path.join(dir, 'mcp.json'), 'utf8'));
      assert.deepEqual(config.mcpServers.waves.args, [path.join(path.dirname(runnerScript), 'waves-mcp.js')]);
      assert.equal((fs.statSync(path.join(dir, 'mcp.json')).mode & 0o777).toString(8), '600');
      assert.equal(fs.existsSync(path.join(dir, 'waves.sock')), false, 'its socket is gone with its agent');
      // Nothing of the calls is left in the database: each deleted once its answer was read.
      assert.equal(await talkRows(), 0);
    } finally {
      await worker.stop();
      await c.close();
    }
  });

  test('a question asked through `ask` on a worker is the package\'s end when it changes nothing, said as asked', async () => {
    const plan = planYaml('talk-ask', [{ id: 'db', write: ['src/db/**'], agent: ['mcp ask {"question": "PostgreSQL or SQLite for the sessions table?"}', 'no-result'] }]);
    const { driver, remote, clone } = sharedRemote(plan);
    const c = await PgCoordinator.open(cluster.url, await repositoryKeyOf(driver));
    const queue = c.queue();
    const worker = workerLoop(queue, clone, remote);
    try {
      const { outcome } = await runToEnd(path.join(driver, 'work-packages.yaml'), runnerScript, { executor: onQueue(runnerScript, queue, remote, plan) });
      const db = outcome.state.packages.db!;
      assert.equal(db.status, 'failed', JSON.stringify(db));
      assert.equal(db.question, 'PostgreSQL or SQLite for the sessions table?');
      assert.match(workerLog(clone, 'talk-ask', outcome.state.runId, 'db'), /^mcp ask: noted: end your turn now without changing anything/m);
    } finally {
      await worker.stop();
      await c.close();
    }
  });

  test('a call made under a claim no longer current is refused at once and never reaches the driver; a stale one left behind is deleted when the driver looks', async () => {
    const plan = planYaml('talk-fence', [{ id: 'p', write: ['p/**'], agent: ['commit'] }]);
    const { driver } = sharedRemote(plan);
    const c = await PgCoordinator.open(cluster.url, await repositoryKeyOf(driver));
    const queue = c.queue(60_000);
    try {
      const item: QueuedPackage = {
        featureId: 'talk-fence',
        runId: 'r1',
        packageId: 'p',
        attempt: 1,
        agent: 'custom',
        labels: [],
        planFile: 'work-packages.yaml',
        planHash: 'a'.repeat(64),
        baseRef: 'main',
        baseSha: 'b'.repeat(40),
        order: { prompt: 'do p', upstream: {}, timeoutMs: null, talk: true },
      };
      await queue.register({ name: 'w1', machine: 'm', agents: ['custom'], labels: [], slots: 1 });
      await queue.enqueue([item]);
      const claim = (await queue.claim('w1'))!;
      const never = new AbortController();
      // A call under the current claim waits for the driver; the driver takes it and answers it.
      const waiting = queue.talk.call(claim, 'w1', 'plan_status', {}, never.signal, 30_000);
      let calls: Awaited<ReturnType<typeof queue.talk.takeCalls>> = [];
      for (let i = 0; i < 100 && calls.length === 0; i++) {
        calls = await queue.talk.takeCalls('talk-fence', 'r1');
        if (!calls.length) await new Promise((r) => setTimeout(r, 50));
      }
      assert.deepEqual(calls.map((x) => [x.packageId, x.attempt, x.name]), [['p', 1, 'plan_status']]);
      assert.deepEqual(await queue.talk.takeCalls('talk-fence', 'r1'), [], 'a call is taken once');
      await queue.talk.answer(calls[0]!.id, { text: 'p (you): running', isError: false });
      assert.deepEqual(await waiting, { text: 'p (you): running', isError: false });
      // The driver gives the attempt up (its fence raised): the worker's next call is refused, nothing stored.
      const pending = queue.talk.call(claim, 'w1', 'progress', { fraction: 0.1, message: 'x' }, never.signal, 30_000);
      await new Promise((r) => setTimeout(r, 300));
      await queue.cancel(item, 'cancelled by the run');
      assert.deepEqual(await queue.talk.call(claim, 'w1', 'plan_status', {}, never.signal, 30_000), { text: 'refused: this worker no longer holds your package; stop', isError: true });
      // The call made before the cancel: never relayed once its claim is gone, deleted at the driver's look, and its worker told so.
      assert.deepEqual(await queue.talk.takeCalls('talk-fence', 'r1'), []);
      assert.equal(await talkRows(), 0);
      assert.deepEqual(await pending, { text: 'refused: this worker no longer holds your package; stop', isError: true });
      // A call whose agent went away meanwhile: its wait ends, and its row with it.
      const gone = new AbortController();
      await queue.enqueue([{ ...item, attempt: 2 }]);
      const second = (await queue.claim('w1'))!;
      const dropped = queue.talk.call(second, 'w1', 'plan_status', {}, gone.signal, 30_000);
      await new Promise((r) => setTimeout(r, 300));
      gone.abort();
      assert.deepEqual(await dropped, { text: 'the run stopped this attempt', isError: true });
      assert.equal(await talkRows(), 0);
      // Another worker's name under the claim's fence: refused too.
      assert.equal((await queue.talk.call(second, 'mallory', 'plan_status', {}, never.signal, 1_000)).text, 'refused: this worker no longer holds your package; stop');
    } finally {
      await c.close();
    }
  });
});

/** How many calls the talk table holds (any repository). */
async function talkRows(): Promise<number> {
  const db = new pg.Client({ connectionString: cluster.url });
  await db.connect();
  try {
    return Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM waves_talk')).rows[0]!.n);
  } finally {
    await db.end();
  }
}
