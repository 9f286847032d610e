/**
 * Two drivers on two clones of one repository with one coordinator (a real PostgreSQL cluster):
 * they never both hold overlapping locks (a bounded race: contending processes over many rounds,
 * then two real engines each driving a feature whose packages lock overlapping globs), and each
 * sees the other's running packages.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { coordinatorFileLocks, isLiveRun } from '../../src/core/coordinator/sharedCoordinator';
import { lockConflicts, type LockEntry } from '../../src/core/run/lockTable';
import { covers } from '../../src/core/plan/glob';
import { CoordinatorReader } from '../../src/engine/coordinator/coordinatorReader';
import { repositoryKeyOf } from '../../src/engine/coordinator/openCoordinator';
import { PgCoordinator } from '../../src/engine/coordinator/pgCoordinator';
import { planYaml, type TestPackage } from '../engine/engineFixtures';
import { git, makeRepo, REPO_ROOT, spawnProcess, tempDir, waitFor } from '../engine/helpers';
import { clusterWithRunner } from './cluster';

const setup = clusterWithRunner();

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Two clones (`git clone`) of one repository holding `files`. */
function twoClones(files: Record<string, string>): { a: string; b: string } {
  const origin = makeRepo(files);
  const root = tempDir('waves-clones-');
  git(root, 'clone', '-q', origin, 'a');
  git(root, 'clone', '-q', origin, 'b');
  return { a: path.join(root, 'a'), b: path.join(root, 'b') };
}

/** Every pair of live entries of different holders whose locks overlap (none, when the coordinator is right). */
function overlapsIn(locks: readonly LockEntry[]): string[] {
  const found: string[] = [];
  for (const entry of locks) {
    const others = { version: 1 as const, locks: locks.filter((l) => l !== entry) };
    const request = { featureId: entry.featureId, holder: entry.holder, files: entry.kind === 'file' ? [entry.key] : [], keys: entry.kind === 'key' ? [entry.key] : [] };
    for (const c of lockConflicts(others, request, new Date())) found.push(`${entry.featureId}/${entry.holder} ⟂ ${c.entry.featureId}/${c.entry.holder} at ${c.witness}`);
  }
  return found;
}

describe('two drivers, one coordinator', () => {
  test('contending processes never hold overlapping locks at once (4 processes × 150 rounds)', async () => {
    const { a, b } = twoClones({ 'README.md': '# shared\n' });
    const repoKey = await repositoryKeyOf(a);
    assert.equal(await repositoryKeyOf(b), repoKey, 'two clones of one repository share its key');
    const mutex = path.join(tempDir('waves-race-'), 'held');
    const contenders = [
      { featureId: 'alpha', holder: 'wp-1', files: ['src/shared/**'] },
      { featureId: 'alpha', holder: 'wp-2', files: ['src/*/util.ts', 'docs/a.md'] },
      { featureId: 'beta', holder: 'wp-1', files: ['src/**/*.ts'] },
      { featureId: 'beta', holder: 'wp-9', files: ['src/shared/util.ts'] },
    ];
    const rounds = 150;
    const procs = contenders.map((c) =>
      spawnProcess([
        process.execPath,
        '--import',
        'tsx',
        path.join(REPO_ROOT, 'test', 'coordinator', 'lock-hammer.ts'),
        JSON.stringify({ url: setup.cluster.url, repoKey, rounds, mutex, ...c }),
      ]),
    );
    const ends = await Promise.all(procs.map((p) => p.exited));
    ends.forEach((end, i) => assert.equal(end.code, 0, procs[i]!.stderr()));
    const results = procs.map((p) => JSON.parse(p.stdout().trim()) as { acquired: number; waited: number });
    assert.deepEqual(
      results.map((r) => r.acquired),
      [rounds, rounds, rounds, rounds],
    );
    // They did contend: some acquires had to wait for another holder.
    assert.ok(results.some((r) => r.waited > 0), JSON.stringify(results));
    assert.equal(fs.existsSync(`${mutex}.violations`) ? fs.readFileSync(`${mutex}.violations`, 'utf8') : '', '');
    // Every release went through: nothing is left held.
    const left = await PgCoordinator.open(setup.cluster.url, repoKey);
    assert.deepEqual((await left.locks()).locks, []);
    await left.close();
  });

  test('two engines on two clones: overlapping packages never run at once, and each sees the other', async () => {
    const shared = path.join(tempDir('waves-two-'), 'held');
    const gate = path.join(path.dirname(shared), 'go');
    const pkgs = (prefix: string, lock: string, n: number, first: string[] = []): TestPackage[] =>
      Array.from({ length: n }, (_, i) => ({
        id: `${prefix}-${i + 1}`,
        // A chain: overlapping locks inside one plan are the plan's own error; across features they are the coordinator's job.
        deps: i === 0 ? [] : [`${prefix}-${i}`],
        lockFiles: [lock],
        agent: [...(i === 0 ? first : []), `mutex-enter ${shared}`, 'sleep 40', `mutex-leave ${shared}`, `write ${prefix}-${i + 1}/done.txt`, 'commit'],
      }));
    // alpha's first package waits at the gate once it holds its lock, so the other driver sees it running.
    const files = {
      'README.md': '# two drivers\n',
      'alpha.yaml': planYaml('alpha', pkgs('a', 'src/shared/**', 6, [`wait-for ${gate}`])),
      'beta.yaml': planYaml('beta', pkgs('b', 'src/**/*.ts', 6)),
    };
    const { a, b } = twoClones(files);
    const drive = (clone: string, plan: string, driver: string) =>
      spawnProcess([
        process.execPath,
        '--import',
        'tsx',
        path.join(REPO_ROOT, 'test', 'engine', 'engine-driver.ts'),
        JSON.stringify({
          planFile: path.join(clone, plan),
          runnerScript: setup.runnerScript,
          maxParallel: 3,
          coordinator: { url: setup.cluster.url, driver },
          // The lock race's witness file: both drivers' agents may write its folder (as `waves.sandbox.write` would).
          confinement: { options: { write: [path.dirname(shared)] } },
        }),
      ]);
    const repoKey = await repositoryKeyOf(a);
    const seenBy = await CoordinatorReader.open(b, { url: setup.cluster.url });
    const rows = await PgCoordinator.open(setup.cluster.url, repoKey);
    const overlaps: string[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        overlaps.push(...overlapsIn((await rows.locks()).locks));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const alpha = drive(a, 'alpha.yaml', 'Ana');
    try {
      // From clone b: Ana's run, its package under way, what it may write, who and where.
      const view = await waitFor(async () => {
        const r = await seenBy.read();
        return r.ok && r.runs.some((run) => run.packages.some((p) => p.id === 'a-1' && p.status === 'running')) ? r : null;
      }, "alpha's a-1 running in the registry", 60_000).catch((err: Error) => {
        throw new Error(`${err.message}\nalpha: ${alpha.stdout()}\n${alpha.stderr()}`);
      });
      const run = view.runs.find((r) => r.featureId === 'alpha')!;
      assert.equal(run.driver, 'Ana');
      assert.equal(run.clone, a);
      assert.ok(isLiveRun(run, new Date()));
      assert.deepEqual(run.packages.find((p) => p.id === 'a-1')!.writes, ['a-1/**']);
      const decorated = coordinatorFileLocks(view.runs, view.locks, new Set(), new Date()).filter((l) => covers(l.key, 'src/shared/util.ts'));
      assert.deepEqual(decorated.map((l) => `${l.holder}:${l.owner?.driver}:${l.owner?.clone}`), [`a-1:Ana:${a}`]);
      // Seen from Ana's own clone: her lock as it is (no owner: hers), and no write scope of hers.
      assert.deepEqual(
        coordinatorFileLocks(view.runs, view.locks, new Set([run.ownerId]), new Date()).map((l) => `${l.holder}:${l.key}:${l.owner ? 'other' : 'own'}`),
        ['a-1:src/shared/**:own'],
      );

      const beta = drive(b, 'beta.yaml', 'Bo');
      // beta's first package is ready while alpha's a-1 holds its lock at the gate: it waits.
      await waitFor(() => beta.stdout().includes('"packageId":"b-1","status":"ready"'), 'b-1 ready', 60_000);
      const held = await rows.locks();
      assert.deepEqual(held.locks.map((l) => `${l.featureId}/${l.holder}`), ['alpha/a-1']);
      assert.doesNotMatch(beta.stdout(), /"packageId":"b-1","status":"(queued|running)"/);
      // `waves status --coordinator` in clone b names Ana's run, where it runs and what a-1 may write.
      const status = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'waves.js'), 'status', '--coordinator', setup.cluster.url, 'beta.yaml'], { cwd: b, encoding: 'utf8' });
      assert.equal(status.status, 0, status.stderr);
      assert.match(status.stdout, new RegExp(`^  alpha — Ana on ${escape(os.hostname())} \\(${escape(a)}\\): a-1 running \\(writes a-1/\\*\\*\\)$`, 'm'));
      const away = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'waves.js'), 'status', '--json', '--coordinator', 'postgres://bo:pw-123@127.0.0.1:1/waves', 'beta.yaml'], { cwd: b, encoding: 'utf8' });
      assert.equal(away.status, 0, away.stderr);
      const awayJson = JSON.parse(away.stdout) as { coordinator: { where: string; problem: string } };
      assert.equal(awayJson.coordinator.where, 'postgres://bo:***@127.0.0.1:1/waves');
      assert.match(awayJson.coordinator.problem, /cannot be reached/);
      assert.doesNotMatch(away.stdout + away.stderr, /pw-123/);
      fs.writeFileSync(gate, 'go');
      const [endA, endB] = await Promise.all([alpha.exited, beta.exited]);
      assert.equal(endA.code, 0, alpha.stderr());
      assert.equal(endB.code, 0, beta.stderr());
      assert.match(alpha.stdout(), /"type":"outcome","outcome":"succeeded"/);
      assert.match(beta.stdout(), /"type":"outcome","outcome":"succeeded"/);
    } finally {
      watching = false;
      await watcher;
      alpha.child.kill();
      await rows.close();
      await seenBy.close();
    }
    assert.equal(fs.existsSync(`${shared}.violations`) ? fs.readFileSync(`${shared}.violations`, 'utf8') : '', '');
    assert.deepEqual([...new Set(overlaps)], []);
    // Both runs ended: their rows and locks are gone from the coordinator.
    const end = await CoordinatorReader.open(a, { url: setup.cluster.url });
    const last = await end.read();
    await end.close();
    assert.ok(last.ok);
    assert.deepEqual(last.runs, []);
    assert.deepEqual(last.locks, []);
  });
});
