/**
 * The coordinator on a real PostgreSQL server (a throwaway cluster): schema and migrations,
 * all-or-nothing acquire with the glob-exact decisions of core/run/lockTable.ts, the run lease
 * across clones, the registry, clear errors that never show a password.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { acquireLocks, releaseLocks } from '../../src/core/run/lockTable';
import { CoordinatorError, CoordinatorUnavailableError } from '../../src/engine/coordinator/lockStore';
import { CoordinatorLeaseHeldError, PgCoordinator } from '../../src/engine/coordinator/pgCoordinator';
import { COORDINATOR_SCHEMA_VERSION } from '../../src/engine/coordinator/pgSchema';
import { startCluster, type Cluster } from './postgres';
import { REPO_ROOT } from '../engine/helpers';

let cluster: Cluster;
before(async () => {
  cluster = await startCluster(REPO_ROOT);
});
after(() => cluster?.remove());

const request = (featureId: string, holder: string, files: string[], keys: string[] = []) => ({ featureId, runId: `run-${featureId}`, holder, files, keys });

describe('the coordinator on PostgreSQL', () => {
  test('creates its schema once, even when two clones open it at the same moment', async () => {
    const opened = await Promise.all([1, 2, 3].map(() => PgCoordinator.open(cluster.url, 'git:schema')));
    try {
      for (const c of opened) assert.equal(await c.schemaVersion(), COORDINATOR_SCHEMA_VERSION);
      const db = new pg.Client({ connectionString: cluster.url });
      await db.connect();
      const { rows } = await db.query('SELECT version FROM waves_schema_migrations ORDER BY version');
      await db.end();
      assert.deepEqual(
        rows.map((r) => r.version),
        Array.from({ length: COORDINATOR_SCHEMA_VERSION }, (_, i) => i + 1),
      );
    } finally {
      await Promise.all(opened.map((c) => c.close()));
    }
  });

  test('refuses a database of a newer schema and leaves it alone', async () => {
    const db = new pg.Client({ connectionString: cluster.url.replace(/\/waves$/, '/postgres') });
    await db.connect();
    await db.query('CREATE DATABASE newer');
    await db.end();
    const url = cluster.url.replace(/\/waves$/, '/newer');
    const first = await PgCoordinator.open(url, 'git:x');
    await first.close();
    const raw = new pg.Client({ connectionString: url });
    await raw.connect();
    await raw.query('INSERT INTO waves_schema_migrations (version) VALUES ($1)', [COORDINATOR_SCHEMA_VERSION + 5]);
    await assert.rejects(PgCoordinator.open(url, 'git:x'), (err: Error) => {
      assert.ok(err instanceof CoordinatorError);
      assert.match(err.message, new RegExp(`schema version ${COORDINATOR_SCHEMA_VERSION + 5}; this build knows version ${COORDINATOR_SCHEMA_VERSION}`));
      return true;
    });
    const { rows } = await raw.query('SELECT max(version) AS v FROM waves_schema_migrations');
    await raw.end();
    assert.equal(rows[0].v, COORDINATOR_SCHEMA_VERSION + 5);
  });

  test('takes locks all or nothing, by the same glob-exact decisions as the lock file', async () => {
    const a = await PgCoordinator.open(cluster.url, 'git:locks');
    const b = await PgCoordinator.open(cluster.url, 'git:locks');
    try {
      let taken = await a.updateLocks((t) => {
        const r = acquireLocks(t, request('feat-a', 'wp-api', ['src/api/**']), new Date());
        return r.ok ? r.table : t;
      });
      assert.deepEqual(taken.locks.map((l) => l.key), ['src/api/**']);
      // b asks for a free glob AND one overlapping a's: it gets neither.
      let conflict = '';
      taken = await b.updateLocks((t) => {
        const r = acquireLocks(t, request('feat-b', 'wp-x', ['docs/**', 'src/*/handlers.ts']), new Date());
        if (!r.ok) conflict = r.conflicts[0]!.witness;
        return r.ok ? r.table : t;
      });
      assert.equal(conflict, 'src/api/handlers.ts');
      assert.deepEqual((await b.locks()).locks.map((l) => `${l.featureId}:${l.key}`), ['feat-a:src/api/**']);
      // Disjoint globs of another repository never meet these.
      const other = await PgCoordinator.open(cluster.url, 'git:another-repo');
      const elsewhere = await other.updateLocks((t) => {
        const r = acquireLocks(t, request('feat-b', 'wp-x', ['src/api/**']), new Date());
        return r.ok ? r.table : t;
      });
      assert.equal(elsewhere.locks.length, 1);
      await other.close();
      // Released by a, taken by b.
      await a.updateLocks((t) => releaseLocks(t, { featureId: 'feat-a', holder: 'wp-api' }));
      taken = await b.updateLocks((t) => {
        const r = acquireLocks(t, request('feat-b', 'wp-x', ['docs/**', 'src/*/handlers.ts']), new Date());
        return r.ok ? r.table : t;
      });
      assert.deepEqual(taken.locks.map((l) => l.key).sort(), ['docs/**', 'src/*/handlers.ts']);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('lapsed locks (TTL) leave the table inside the next transaction', async () => {
    const c = await PgCoordinator.open(cluster.url, 'git:ttl');
    try {
      const t0 = new Date('2030-01-01T00:00:00Z');
      await c.updateLocks((t) => {
        const r = acquireLocks(t, { ...request('f', 'wp', ['a/**']), ttlMs: 1000 }, t0);
        return r.ok ? r.table : t;
      }, () => t0);
      assert.equal((await c.locks()).locks.length, 1);
      const later = new Date(t0.getTime() + 1001);
      const seen = await c.updateLocks((t) => t, () => later);
      assert.equal(seen.locks.length, 0);
      assert.equal((await c.locks()).locks.length, 0);
    } finally {
      await c.close();
    }
  });

  test('the run lease across clones: one holder, named to the other; lapsed ones are taken over', async () => {
    const a = await PgCoordinator.open(cluster.url, 'git:lease');
    const b = await PgCoordinator.open(cluster.url, 'git:lease');
    try {
      await a.claimRun({ featureId: 'feat', runId: 'r1', ownerId: 'owner-a', leaseMs: 60_000, driver: 'Ana', clone: '/home/ana/app' });
      await assert.rejects(b.claimRun({ featureId: 'feat', runId: 'r2', ownerId: 'owner-b', leaseMs: 60_000, driver: 'Bo', clone: '/home/bo/app' }), (err: Error) => {
        assert.ok(err instanceof CoordinatorLeaseHeldError);
        assert.match(err.message, /driven by Ana on .* \(\/home\/ana\/app, pid \d+\)/);
        return true;
      });
      assert.deepEqual(await a.renewRun('feat', 'owner-a', 'r1', [{ id: 'wp-1', status: 'running', writes: ['src/**'] }]), { cancels: [] });
      const runs = await b.listRuns();
      assert.equal(runs.length, 1);
      assert.deepEqual(runs[0]!.packages, [{ id: 'wp-1', status: 'running', writes: ['src/**'] }]);
      assert.equal(runs[0]!.driver, 'Ana');
      // A lease that lapsed (by the database's clock) goes to the next claimant; the old owner learns it lost.
      await a.claimRun({ featureId: 'short', runId: 'r1', ownerId: 'owner-a', leaseMs: 1, driver: 'Ana', clone: '/a' });
      const db = new pg.Client({ connectionString: cluster.url });
      await db.connect();
      await db.query("UPDATE waves_runs SET heartbeat_at = now() - interval '1 second' WHERE feature_id = 'short'");
      await db.end();
      await b.claimRun({ featureId: 'short', runId: 'r2', ownerId: 'owner-b', leaseMs: 60_000, driver: 'Bo', clone: '/b' });
      assert.equal(await a.renewRun('short', 'owner-a', 'r1', []), null);
      await a.releaseRun('short', 'owner-a'); // not a's any more: b's row stays
      assert.deepEqual((await b.listRuns()).map((r) => `${r.featureId}:${r.driver}`), ['feat:Ana', 'short:Bo']);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test("cancel requests from any clone: kept in the live run's row, taken once by its owner's heartbeat; none for a run that is not live", async () => {
    const a = await PgCoordinator.open(cluster.url, 'git:cancel');
    const b = await PgCoordinator.open(cluster.url, 'git:cancel');
    try {
      assert.equal(await b.requestCancel('feat', null, { driver: 'Bo', clone: '/b' }), null, 'no run of the feature: nobody would take it');
      await a.claimRun({ featureId: 'feat', runId: 'r1', ownerId: 'owner-a', leaseMs: 60_000, driver: 'Ana', clone: '/a' });
      const run = await b.requestCancel('feat', 'wp-2', { driver: 'Bo', clone: '/b' });
      assert.equal(run?.driver, 'Ana');
      assert.equal(run?.clone, '/a');
      await b.requestCancel('feat', null, { driver: 'Bo', clone: '/b' });
      const renewed = await a.renewRun('feat', 'owner-a', 'r1', []);
      assert.deepEqual(
        renewed?.cancels.map((c) => [c.packageId, c.driver, c.clone]),
        [
          ['wp-2', 'Bo', '/b'],
          [null, 'Bo', '/b'],
        ],
        'both, in the order asked',
      );
      assert.deepEqual(await a.renewRun('feat', 'owner-a', 'r1', []), { cancels: [] }, 'each is given once');
      // Only the owner takes them: another owner id finds no row of its own and learns nothing.
      await b.requestCancel('feat', 'wp-3', { driver: 'Bo', clone: '/b' });
      assert.equal(await b.renewRun('feat', 'owner-b', 'r1', []), null);
      assert.deepEqual((await a.renewRun('feat', 'owner-a', 'r1', []))?.cancels.map((c) => c.packageId), ['wp-3']);
      // A row written by anything else keeps only well-formed requests.
      const db = new pg.Client({ connectionString: cluster.url });
      await db.connect();
      await db.query(`UPDATE waves_runs SET cancel_requests = '[{"packageId": 7}, "x", null, {"packageId": "", "driver": "Eve"}, {"packageId": "wp-4", "driver": 9}]'::jsonb WHERE feature_id = 'feat'`);
      assert.deepEqual((await a.renewRun('feat', 'owner-a', 'r1', []))?.cancels.map((c) => [c.packageId, c.driver]), [['wp-4', '']]);
      // A run whose lease lapsed takes no request.
      await db.query("UPDATE waves_runs SET heartbeat_at = now() - interval '2 minutes' WHERE feature_id = 'feat'");
      await db.end();
      assert.equal(await b.requestCancel('feat', null, { driver: 'Bo', clone: '/b' }), null);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('a server that is not there: a clear error, and no password in it', async () => {
    const dead = `postgres://secret:s3cr3t-pw@127.0.0.1:1/waves`;
    await assert.rejects(PgCoordinator.open(dead, 'git:x', { connectTimeoutMs: 2000 }), (err: Error) => {
      assert.ok(err instanceof CoordinatorUnavailableError, String(err));
      assert.match(err.message, /The coordinator postgres:\/\/secret:\*\*\*@127\.0\.0\.1:1\/waves cannot be reached/);
      assert.doesNotMatch(err.message, /s3cr3t/);
      return true;
    });
    const wrong = cluster.url.replace('waves@', 'secret:not-the-password@');
    await assert.rejects(PgCoordinator.open(wrong, 'git:x'), (err: Error) => {
      assert.match(err.message, /password authentication failed/);
      assert.doesNotMatch(err.message, /not-the-password/);
      return true;
    });
    const right = await PgCoordinator.open(cluster.url.replace('waves@', 'secret:s3cr3t-pw@'), 'git:x');
    assert.equal(right.where, `postgres://secret:***@127.0.0.1:${cluster.port}/waves`);
    await right.close();
  });

  test('the engine\'s lock store while the server is away: every release kept (two at once too), an acquire refused, all replayed when it is back', async () => {
    const c = await PgCoordinator.open(cluster.url, 'git:away', { connectTimeoutMs: 2000 });
    const problems: string[] = [];
    const store = c.lockStore({ onProblem: (m) => problems.push(m) });
    let stopped = false;
    try {
      for (const holder of ['a1', 'a2'])
        await store.update((t) => {
          const r = acquireLocks(t, request('f', holder, [`src/${holder}/**`]), new Date());
          assert.ok(r.ok);
          return r.table;
        });
      cluster.stop();
      stopped = true;
      const released = await Promise.all(['a1', 'a2'].map((holder) => store.update((t) => releaseLocks(t, { featureId: 'f', holder }))));
      assert.deepEqual(released[1]!.locks, [], 'both gone from what the engine reads');
      assert.equal(store.keptReleases(), 2);
      assert.equal(problems.filter((m) => /The release is kept/.test(m)).length, 2);
      const away = store.outage();
      assert.ok(away, 'the store knows the coordinator is away');
      assert.match(away.why, /cannot be reached/);
      // An acquire is never assumed: refused (in the pause, without a connection).
      await assert.rejects(
        store.update((t) => {
          const r = acquireLocks(t, request('f', 'b', ['src/b/**']), new Date());
          return r.ok ? r.table : t;
        }),
        CoordinatorUnavailableError,
      );
      assert.equal(store.keptReleases(), 2);
      cluster.start();
      stopped = false;
      assert.equal(await store.settle(() => false, Date.now() + 60_000), 0);
      assert.equal(store.outage(), null);
      assert.deepEqual((await c.locks()).locks, [], 'no row left in the coordinator');
    } finally {
      if (stopped) cluster.start();
      await c.close();
    }
  });
});
