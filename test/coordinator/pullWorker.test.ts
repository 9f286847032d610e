/**
 * A pull worker's turn (ADR 0037) on a real PostgreSQL server and real git repositories: a shared
 * bare remote, the driver's clone that pushed the run's branch, each worker's own clone. A claimed
 * package is checked before any of it is done — its agent's CLI, the disk, the base on the remote,
 * the plan at the base — and given back with the reason; a checked one is done under a renewed
 * lease and reported fenced; a worker whose lease lapsed (paused) stops and reports nothing.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { mergeableReport, PROMPT_PLACES, upstreamPlace, type QueuedPackage, type WorkReport } from '../../src/core/coordinator/workQueue';
import { PgCoordinator } from '../../src/engine/coordinator/pgCoordinator';
import { PullWorker, workOnPackage } from '../../src/engine/workers';
import type { Claim } from '../../src/engine/coordinator';
import { startCluster, type Cluster } from './postgres';
import { buildRunner, git, makeRepo, tempDir } from '../engine/helpers';
import { isolateGit, scriptedAgent } from '../engine/engineFixtures';
import { REPO_ROOT } from '../engine/helpers';
import pg from 'pg';

let cluster: Cluster;
before(async () => {
  isolateGit();
  cluster = await startCluster(REPO_ROOT);
});
after(() => cluster?.remove());

const PLAN = 'feature: f\npackages: []\n';
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** A bare remote with the run's branch pushed from the driver's clone; a worker's own clone of it; a PATH with the worker's agent CLI (`codex`, found, never run here). */
function world() {
  const driver = makeRepo({ 'README.md': '# r\n', 'work-packages.yaml': PLAN });
  const remote = path.join(tempDir('waves-remote-'), 'shared.git');
  git(path.dirname(remote), 'init', '-q', '--bare', remote);
  git(driver, 'push', '-q', remote, 'main:refs/heads/waves/f/integration');
  const base = git(driver, 'rev-parse', 'HEAD').trim();
  const clone = path.join(tempDir('waves-worker-'), 'clone');
  git(path.dirname(clone), 'clone', '-q', remote, clone);
  const bin = tempDir('waves-worker-bin-');
  fs.writeFileSync(path.join(bin, 'codex'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return { driver, remote, base, clone, env: { PATH: `${bin}:${process.env.PATH}` } };
}

const item = (w: ReturnType<typeof world>, packageId: string, extra: Partial<QueuedPackage> = {}): QueuedPackage => ({
  featureId: 'f',
  runId: 'r1',
  packageId,
  attempt: 1,
  agent: 'codex',
  labels: [],
  planFile: 'work-packages.yaml',
  planHash: sha256(PLAN),
  baseRef: 'waves/f/integration',
  baseSha: w.base,
  order: { prompt: `Do ${packageId}.`, upstream: {}, timeoutMs: null },
  ...extra,
});

/** The package's work as a worker's would end: a commit on its branch from the base, pushed to the remote. */
function commitAndPush(w: ReturnType<typeof world>, claim: Claim, who: string): WorkReport {
  const branch = `waves/f/${claim.item.packageId}-${who}-${claim.fence}`;
  git(w.clone, 'checkout', '-q', '-B', branch, claim.item.baseSha);
  fs.writeFileSync(path.join(w.clone, `${claim.item.packageId}.txt`), `by ${who}\n`);
  git(w.clone, 'add', '-A');
  git(w.clone, 'commit', '-q', '-m', `${claim.item.packageId} by ${who}`);
  git(w.clone, 'push', '-q', w.remote, `${branch}:refs/heads/${branch}`);
  return { branch, headSha: git(w.clone, 'rev-parse', 'HEAD').trim(), exitCode: 0, detail: 'done', result: null };
}

describe("a pull worker's work", () => {
  test('does a checked package in its walls: its tree from the base, the prompt with its own paths, the dependencies\' records beside it; pushed under the claim\'s branch and reported with the record', async () => {
    const w = world();
    const runner = await buildRunner();
    const c = await PgCoordinator.open(cluster.url, 'git:worker-work');
    try {
      const q = c.queue();
      const prompt = [
        'Do p.',
        `Your tree: ${PROMPT_PLACES.worktree}; your record: ${PROMPT_PLACES.resultFile}.`,
        `What dep left: ${upstreamPlace('dep')}.`,
        'test-agent: write p/x.txt made on a worker',
        'test-agent: commit',
      ].join('\n');
      await q.enqueue([item(w, 'p', { agent: 'scripted', order: { prompt, upstream: { dep: '{"status": "done"}\n' }, timeoutMs: 60_000 } })]);
      const place = { clone: w.clone, remote: w.remote, env: process.env, agents: { scripted: scriptedAgent() } };
      const worker = new PullWorker({ queue: q, info: { name: 'w1', agents: ['scripted'], labels: [], slots: 1 }, place, work: (claim, signal) => workOnPackage(claim, { place, runnerScript: runner }, signal) });
      const turn = await worker.turn();
      assert.equal(turn.kind, 'reported', JSON.stringify(turn));
      if (turn.kind !== 'reported') return;
      const { report } = turn;
      assert.equal(report.branch, 'waves-workers/f/r1/p/1.1');
      assert.equal(report.exitCode, 0, report.detail);
      // On the shared remote, from the base: the agent's commit.
      assert.equal(git(w.driver, 'ls-remote', w.remote, report.branch).split('\t')[0], report.headSha);
      git(w.driver, 'fetch', '-q', w.remote, report.branch);
      assert.equal(git(w.driver, 'show', `${report.headSha}:p/x.txt`), 'made on a worker');
      assert.equal(git(w.driver, 'merge-base', '--is-ancestor', w.base, report.headSha), '');
      // The record as the agent wrote it, for the driver to judge.
      assert.equal((JSON.parse(report.result ?? '{}') as { status?: string }).status, 'done');
      // The prompt it was given: the worker's paths in place of the marks; the dependency's record beside the attempt.
      const attempts = path.join(w.clone, '.waves', 'runs', 'f', 'r1.1', 'p', '1');
      const given = fs.readFileSync(path.join(attempts, 'prompt.md'), 'utf8');
      assert.ok(!given.includes('{{waves:'), given);
      assert.match(given, new RegExp(`Your tree: ${escape(path.join(`${w.clone}.worktrees`, 'f', 'p'))}; your record: ${escape(path.join(attempts, 'result.json'))}\\.`));
      assert.equal(fs.readFileSync(path.join(attempts, 'upstream', 'dep.json'), 'utf8'), '{"status": "done"}\n');
      assert.match(given, new RegExp(`What dep left: ${escape(path.join(attempts, 'upstream', 'dep.json'))}\\.`));
      // Inside the walls, as every agent here: its runner's exit record says what they refused (nothing).
      const exit = JSON.parse(fs.readFileSync(path.join(attempts, 'exit.json'), 'utf8')) as { walls?: { refused: unknown[] } };
      assert.deepEqual(exit.walls?.refused, [], 'the agent ran inside the walls');
    } finally {
      await c.close();
    }
  });
});

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('a pull worker', () => {
  test('gives a package back, with the reason, when its agent is not here, the disk is full, the base is stale or the plan differs — and does the one it can, reported under its fence', async () => {
    const w = world();
    const c = await PgCoordinator.open(cluster.url, 'git:worker-checks');
    try {
      const q = c.queue();
      await q.enqueue([
        item(w, 'a-plan', { planHash: sha256('another plan\n') }),
        item(w, 'b-stale', { baseSha: 'f'.repeat(40) }),
        item(w, 'c-good'),
      ]);
      let done = 0;
      const worker = (name: string, env: Record<string, string | undefined>, minFreeBytes?: number) =>
        new PullWorker({
          queue: q,
          info: { name, agents: ['codex'], labels: [], slots: 1 },
          place: { clone: w.clone, remote: w.remote, env, ...(minFreeBytes ? { minFreeBytes } : {}) },
          work: async (claim) => {
            done++;
            return commitAndPush(w, claim, name);
          },
        });
      // No codex on its PATH: the first package goes back, naming it.
      const bare = await worker('no-cli', { PATH: '/nonexistent' }).turn();
      assert.equal(bare.kind, 'released');
      assert.match(bare.kind === 'released' ? bare.reason : '', /^its agent's CLI is not here: "codex" was not found/);
      // A disk with less room than it wants.
      const full = await worker('full', w.env, Number.MAX_SAFE_INTEGER).turn();
      assert.match(full.kind === 'released' ? full.reason : '', /^the disk is full: \d+ MiB free where the worker's clone is, \d+ MiB wanted$/);
      // The plan at the base is not the run's; the base is not on the remote's branch.
      const ok = worker('ok', w.env);
      const plan = await ok.turn();
      assert.deepEqual(plan.kind === 'released' ? [plan.packageId, plan.reason] : plan, ['a-plan', `a different plan: work-packages.yaml at the base has hash ${sha256(PLAN).slice(0, 12)}, the run's is ${sha256('another plan\n').slice(0, 12)} (the plan was edited)`]);
      const stale = await ok.turn();
      assert.deepEqual(stale.kind === 'released' ? [stale.packageId, stale.reason] : stale, ['b-stale', `a stale base: ${'f'.repeat(12)} is not on waves/f/integration at ${w.remote} any more`]);
      assert.equal(done, 0, 'nothing of a package given back was done');
      // Each given back keeps its reason on the queue, for the driver and the person.
      const items = await q.items('f', 'r1');
      assert.match(items.find((i) => i.packageId === 'b-stale')!.reason ?? '', /^ok: a stale base/);
      // The one it can do: done, pushed, reported under its fence; the driver may merge it.
      let good = await ok.turn();
      while (good.kind === 'released') good = await ok.turn();
      assert.equal(good.kind, 'reported', JSON.stringify(good));
      if (good.kind !== 'reported') return;
      assert.equal(good.packageId, 'c-good');
      const row = (await q.items('f', 'r1')).find((i) => i.packageId === 'c-good')!;
      assert.equal(row.state, 'done');
      assert.deepEqual(mergeableReport(row, { fence: good.fence, report: good.report }), { ok: true });
      assert.equal(git(w.driver, 'ls-remote', w.remote, good.report.branch).split('\t')[0], good.report.headSha, 'the push is on the remote');
    } finally {
      await c.close();
    }
  });

  test('a worker whose lease lapsed while it was paused stops its work and reports nothing; the worker that claimed it after reports, and only that push is mergeable', async () => {
    const w = world();
    const c = await PgCoordinator.open(cluster.url, 'git:worker-lapse');
    const db = new pg.Client({ connectionString: cluster.url });
    await db.connect();
    try {
      const q = c.queue(600);
      await q.enqueue([item(w, 'p')]);
      let aborted = false;
      // The paused worker claims first (fence 1): the other turns only once it has, and its lease has lapsed.
      let lapsed!: () => void;
      const claimedAndLapsed = new Promise<void>((resolve) => (lapsed = resolve));
      const paused = new PullWorker({
        queue: q,
        info: { name: 'paused', agents: ['codex'], labels: [], slots: 1 },
        place: { clone: w.clone, remote: w.remote, env: w.env },
        work: (claim, signal) =>
          new Promise<WorkReport>((resolve, reject) => {
            // Paused past its lease (as a stopped process would be): the row lapses under it.
            void db.query("UPDATE waves_queue SET lease_until = now() - interval '1 second' WHERE package_id = 'p'").then(() => lapsed());
            signal.addEventListener('abort', () => {
              aborted = true;
              reject(signal.reason as Error);
            });
            setTimeout(() => resolve(commitAndPush(w, claim, 'paused')), 5_000);
          }),
      });
      const other = new PullWorker({ queue: q, info: { name: 'other', agents: ['codex'], labels: [], slots: 1 }, place: { clone: w.clone, remote: w.remote, env: w.env }, work: async (claim) => commitAndPush(w, claim, 'other') });
      await other.register();
      const first = paused.turn();
      await Promise.race([claimedAndLapsed, first]);
      // The other claims the lapsed package (fence 2) while the paused one's next heartbeat finds it gone.
      let second = await other.turn();
      for (let i = 0; i < 50 && second.kind === 'idle'; i++) second = await other.turn();
      const lost = await first;
      assert.deepEqual(lost, { kind: 'lost', packageId: 'p', fence: 1 });
      assert.ok(aborted, "the paused worker's work was stopped");
      assert.equal(second.kind, 'reported');
      if (second.kind !== 'reported') return;
      assert.equal(second.fence, 2);
      const row = (await q.items('f', 'r1'))[0]!;
      assert.equal(row.report?.branch, second.report.branch);
      assert.deepEqual(mergeableReport(row, { fence: 2, report: second.report }), { ok: true });
      assert.equal(mergeableReport(row, { fence: 1, report: { ...second.report, branch: 'waves/f/p-paused-1' } }).ok, false);
    } finally {
      await db.end();
      await c.close();
    }
  });
});
