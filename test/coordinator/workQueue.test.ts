/**
 * Pull workers' queue on a real PostgreSQL server (ADR 0037): claims that two workers never
 * share, placement by agent and labels, leases that lapse and are claimed again with a higher
 * fence, a late worker's heartbeat and report refused, releases with a reason, dead letters,
 * draining.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { mergeableReport, type QueuedPackage } from '../../src/core/coordinator/workQueue';
import { CoordinatorError } from '../../src/engine/coordinator/lockStore';
import { PgCoordinator } from '../../src/engine/coordinator/pgCoordinator';
import pg from 'pg';
import { startCluster, type Cluster } from './postgres';
import { REPO_ROOT } from '../engine/helpers';

let cluster: Cluster;
before(async () => {
  cluster = await startCluster(REPO_ROOT);
});
after(() => cluster?.remove());

const HASH = 'a'.repeat(64);
const BASE = 'b'.repeat(40);
const pkg = (packageId: string, extra: Partial<QueuedPackage> = {}): QueuedPackage => ({ featureId: 'f', runId: 'r1', packageId, attempt: 1, agent: 'codex', labels: [], planFile: 'work-packages.yaml', planHash: HASH, baseRef: 'waves/f/integration', baseSha: BASE, order: { prompt: `Do ${packageId}.`, upstream: {}, timeoutMs: null }, ...extra });
const worker = (name: string, agents = ['codex'], labels: string[] = []) => ({ name, machine: `${name}.local`, agents, labels, slots: 1 });
const report = (branch: string) => ({ branch, headSha: 'c'.repeat(40), exitCode: 0, detail: 'done', result: null });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitUntil(ok: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function coordinator(repoKey: string) {
  return PgCoordinator.open(cluster.url, repoKey);
}

describe('the work queue on PostgreSQL', () => {
  test('three workers claiming at once from five packages: each package is claimed exactly once, oldest first', async () => {
    const c = await Promise.all([1, 2, 3].map(() => coordinator('git:claims')));
    try {
      const queues = c.map((x) => x.queue());
      await queues[0]!.enqueue(['p1', 'p2', 'p3', 'p4', 'p5'].map((id) => pkg(id)));
      await Promise.all(queues.map((q, i) => q.register(worker(`w${i + 1}`))));
      const claimed: string[] = [];
      await Promise.all(
        queues.map(async (q, i) => {
          for (;;) {
            const claim = await q.claim(`w${i + 1}`);
            if (!claim) return;
            assert.equal(claim.fence, 1);
            claimed.push(claim.item.packageId);
          }
        }),
      );
      assert.deepEqual([...claimed].sort(), ['p1', 'p2', 'p3', 'p4', 'p5']);
      const items = await queues[0]!.items('f', 'r1');
      assert.ok(items.every((i) => i.state === 'claimed' && i.tries === 1));
      assert.equal(new Set(items.map((i) => `${i.packageId}:${i.worker}`)).size, 5);
    } finally {
      await Promise.all(c.map((x) => x.close()));
    }
  });

  test('placement: a worker claims only a package whose agent it runs and whose labels it has; an unknown worker claims nothing', async () => {
    const c = await coordinator('git:placement');
    try {
      const q = c.queue();
      await q.enqueue([pkg('gpu-job', { agent: 'claude-code', labels: ['gpu'] }), pkg('plain', { agent: 'claude-code' })]);
      await q.register(worker('codex-only', ['codex'], ['gpu']));
      await q.register(worker('claude-cpu', ['claude-code']));
      await q.register(worker('claude-gpu', ['claude-code'], ['gpu', 'linux']));
      assert.equal(await q.claim('codex-only'), null, 'no package of its agent');
      assert.equal(await q.claim('nobody'), null, 'a worker the queue does not know');
      assert.equal((await q.claim('claude-cpu'))?.item.packageId, 'plain');
      assert.equal(await q.claim('claude-cpu'), null, 'the gpu package needs a label it lacks');
      assert.equal((await q.claim('claude-gpu'))?.item.packageId, 'gpu-job');
    } finally {
      await c.close();
    }
  });

  test("a lease that lapses: another worker claims it with a higher fence; the first one's heartbeat and report are refused, its push never mergeable", async () => {
    const c = await coordinator('git:lapse');
    try {
      const q = c.queue(300);
      await q.enqueue([pkg('p')]);
      await q.register(worker('a'));
      await q.register(worker('b'));
      const first = (await q.claim('a'))!;
      assert.equal(await q.claim('b'), null, 'held by a while its lease lasts');
      await sleep(450);
      const second = (await q.claim('b'))!;
      assert.equal(second.item.packageId, 'p');
      assert.equal(second.fence, first.fence + 1);
      assert.equal(second.item.tries, 2);
      assert.equal(await q.heartbeat(first, 'a'), false, 'a lost its lease');
      assert.equal(await q.report(first, 'a', report('waves/f/p-a')), false, "a's late report is refused");
      assert.equal(await q.release(first, 'a', 'too late'), false);
      assert.equal(await q.report(second, 'b', report('waves/f/p-b')), true);
      const [item] = await q.items('f', 'r1');
      assert.equal(item!.state, 'done');
      assert.equal(item!.report?.branch, 'waves/f/p-b', 'the current holder\'s report, not the late one');
      assert.deepEqual(mergeableReport(item!, { fence: second.fence, report: report('waves/f/p-b') }), { ok: true });
      const late = mergeableReport(item!, { fence: first.fence, report: report('waves/f/p-a') });
      assert.equal(late.ok, false);
      assert.match(late.ok ? '' : late.reason, /made under claim 1; the queue's claim is 2: a worker that lost its lease/);
    } finally {
      await c.close();
    }
  });

  test('heartbeats keep the lease: nobody else claims it while its worker beats', async () => {
    const c = await coordinator('git:beat');
    try {
      const q = c.queue(300);
      await q.enqueue([pkg('p')]);
      await q.register(worker('a'));
      await q.register(worker('b'));
      const claim = (await q.claim('a'))!;
      for (let i = 0; i < 8; i++) {
        await sleep(100);
        assert.equal(await q.heartbeat(claim, 'a'), true);
        assert.equal(await q.claim('b'), null);
      }
      const [w] = (await q.workers()).filter((x) => x.name === 'a');
      assert.ok(w!.silentMs < 1_000, `a's heartbeat is recent: ${w!.silentMs} ms`);
      assert.equal(w!.leaseMs, 300, 'its own lease, kept with it: the views judge its silence by it');
      assert.equal((await c.queue().workers()).find((x) => x.name === 'a')!.leaseMs, 300, 'whoever reads it');
    } finally {
      await c.close();
    }
  });

  test('heard at once: a package queued or given back wakes the workers listening; a report, a give-back and a give-up reach the driver with the attempt\'s key; another repository\'s are not heard', async () => {
    const c = await coordinator('git:listen');
    const other = await coordinator('git:listen-other');
    try {
      const q = c.queue();
      const work: string[] = [];
      const ends: string[] = [];
      const heardWork = q.onWork(() => work.push('work'))!;
      const heardEnds = q.onEnd((k) => ends.push(`${k.packageId}#${k.attempt}`))!;
      assert.ok(heardWork && heardEnds, 'a coordinator listens');
      await sleep(300); // the listeners' own connections: LISTEN issued
      await other.queue().enqueue([pkg('elsewhere')]);
      await q.enqueue([pkg('p'), pkg('q', { maxTries: 1 })]);
      await waitUntil(() => work.length === 1, 'the queued packages heard, once for the batch');
      await q.register(worker('a'));
      const first = (await q.claim('a'))!;
      assert.equal(await q.release(first, 'a', 'not here'), true);
      await waitUntil(() => work.length === 2 && ends.includes('p#1'), 'a give-back heard by workers and the driver');
      const second = (await q.claim('a'))!;
      assert.equal(second.item.packageId, 'q');
      assert.equal(await q.report(second, 'a', { branch: 'waves-workers/f/r1/q/1.1', headSha: BASE, exitCode: 0, detail: 'done', result: null }), true);
      await waitUntil(() => ends.includes('q#1'), 'a report heard by the driver');
      assert.deepEqual(ends, ['p#1', 'q#1']);
      heardWork.close();
      heardEnds.close();
      await q.enqueue([pkg('after-close')]);
      await sleep(300);
      assert.equal(work.length, 2, 'nothing heard once closed');
    } finally {
      await c.close();
      await other.close();
    }
  });

  test('ended rows are kept a week, then the next enqueue of the repository removes them (and calls left unanswered for a day); live rows and other repositories\' stay', async () => {
    const c = await coordinator('git:prune');
    const other = await coordinator('git:prune-other');
    const db = new pg.Client({ connectionString: cluster.url });
    await db.connect();
    try {
      const q = c.queue();
      await q.register(worker('w'));
      await q.enqueue([pkg('old-done'), pkg('old-dead'), pkg('recent'), pkg('live')]);
      await other.queue().enqueue([pkg('elsewhere')]);
      await db.query("UPDATE waves_queue SET state = 'done' WHERE repo_key = 'git:prune' AND package_id IN ('old-done', 'recent')");
      await db.query("UPDATE waves_queue SET state = 'dead' WHERE repo_key = 'git:prune' AND package_id = 'old-dead'");
      await db.query("UPDATE waves_queue SET updated_at = now() - interval '8 days' WHERE package_id IN ('old-done', 'old-dead', 'live', 'elsewhere')");
      await db.query("UPDATE waves_queue SET state = 'done' WHERE repo_key = 'git:prune-other'");
      await db.query("INSERT INTO waves_talk (repo_key, feature_id, run_id, package_id, attempt, fence, worker, call, asked_at) VALUES ('git:prune', 'f', 'r1', 'live', 1, 1, 'w', '{}', now() - interval '2 days'), ('git:prune', 'f', 'r1', 'live', 1, 1, 'w', '{}', now())");
      await q.enqueue([pkg('next', { runId: 'r2' })]);
      const left = (await db.query<{ repo_key: string; package_id: string }>("SELECT repo_key, package_id FROM waves_queue WHERE repo_key LIKE 'git:prune%' ORDER BY repo_key, package_id")).rows.map((r) => `${r.repo_key} ${r.package_id}`);
      assert.deepEqual(left, ['git:prune live', 'git:prune next', 'git:prune recent', 'git:prune-other elsewhere']);
      assert.equal((await db.query("SELECT count(*)::int AS n FROM waves_talk WHERE repo_key = 'git:prune'")).rows[0].n, 1, 'the day-old call is gone, the fresh one stays');
    } finally {
      await db.end();
      await c.close();
      await other.close();
    }
  });

  test('asking for work is a heartbeat: an idle worker is heard at each claim, with nothing to claim', async () => {
    const c = await coordinator('git:idle');
    const db = new pg.Client({ connectionString: cluster.url });
    await db.connect();
    try {
      const q = c.queue();
      await q.register(worker('idle'));
      await db.query("UPDATE waves_workers SET heartbeat_at = now() - interval '10 minutes' WHERE repo_key = 'git:idle' AND name = 'idle'");
      assert.ok((await q.workers())[0]!.silentMs > 500_000, 'silent for ten minutes');
      assert.equal(await q.claim('idle'), null);
      const [w] = await q.workers();
      assert.ok(w!.silentMs < 5_000, `heard again: ${w!.silentMs} ms`);
    } finally {
      await db.end();
      await c.close();
    }
  });

  test('a release says why and gives the package to another worker, its tries kept; at its bound it is a dead letter, and so is a claim that lapsed at its bound', async () => {
    const c = await coordinator('git:release');
    try {
      const q = c.queue(200);
      await q.enqueue([pkg('p', { maxTries: 2 }), pkg('q-once', { maxTries: 1 })]);
      await q.register(worker('a'));
      await q.register(worker('b'));
      const first = (await q.claim('a'))!;
      assert.equal(first.item.packageId, 'p');
      assert.equal(await q.release(first, 'a', 'the plan hash differs\n(its plan was edited)'), true);
      let p = (await q.items('f', 'r1')).find((i) => i.packageId === 'p')!;
      assert.deepEqual([p.state, p.tries, p.reason], ['ready', 1, 'a: the plan hash differs (its plan was edited)']);
      // The worker that gave it back does not take it again at once (another may): it takes the other package.
      const once = (await q.claim('a'))!;
      assert.equal(once.item.packageId, 'q-once', 'not p, which it just gave back');
      const second = (await q.claim('b'))!;
      assert.equal(second.item.packageId, 'p');
      assert.equal(await q.release(second, 'b', 'the disk is full'), true);
      p = (await q.items('f', 'r1')).find((i) => i.packageId === 'p')!;
      assert.deepEqual([p.state, p.tries, p.reason], ['dead', 2, 'b: the disk is full']);
      // `once`: claimed, its worker gone, the lease lapses at its bound.
      await sleep(300);
      assert.equal(await q.claim('b'), null, 'nothing claimable: a dead letter is not claimed again');
      const dead = (await q.items('f', 'r1')).find((i) => i.packageId === 'q-once')!;
      assert.equal(dead.state, 'dead');
      assert.equal(dead.reason, 'its last worker (a) stopped answering, after 1 tries');
    } finally {
      await c.close();
    }
  });

  test('a drained worker claims nothing new and keeps what it holds; enqueued again, a package keeps its claim; bad input is refused', async () => {
    const c = await coordinator('git:drain');
    try {
      const q = c.queue();
      await q.enqueue([pkg('p1'), pkg('p2')]);
      await q.register(worker('a'));
      const held = (await q.claim('a'))!;
      assert.equal(await q.drain('a'), true);
      assert.equal(await q.drain('nobody'), false);
      assert.equal(await q.claim('a'), null, 'draining: nothing new');
      assert.equal(await q.heartbeat(held, 'a'), true, 'what it holds it keeps');
      assert.equal((await q.workers())[0]!.draining, true);
      await q.enqueue([pkg('p1')]);
      assert.equal((await q.items('f', 'r1')).find((i) => i.packageId === 'p1')!.state, 'claimed', 'enqueued again, it keeps its claim');
      await q.drain('a', false);
      assert.equal((await q.claim('a'))?.item.packageId, 'p2');
      await assert.rejects(q.enqueue([pkg('bad', { planHash: 'nope' })]), (err: Error) => err instanceof CoordinatorError && /planHash must be a SHA-256/.test(err.message));
      await assert.rejects(q.enqueue([pkg('x; rm -rf /')]), /packageId must be a name/);
      await assert.rejects(q.register({ ...worker('a b'), slots: 0 }), /cannot register/);
      await assert.rejects(q.report(held, 'a', { ...report('waves/../x'), headSha: 'c'.repeat(40) }), /not well-formed/);
    } finally {
      await c.close();
    }
  });
});
