/**
 * The shared coordinator's pure part (`src/core/coordinator/sharedCoordinator.ts`): connection strings checked
 * and redacted, the repository key across clones, the registry's packages, other drivers' locks
 * and write scopes with who and where, and the lock table as rows.
 *
 * Run: node --import tsx --test test/core/coordinator/coordinator.test.ts
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  plannedFeatures,
  plannedFeatureText,
  checkCoordinatorUrl,
  coordinatorFileLocks,
  isLiveRun,
  lockTableChanges,
  onlyDrops,
  ownerText,
  redactSecrets,
  registeredPackages,
  repositoryKey,
  type RegisteredRun,
} from '../../../src/core/coordinator/sharedCoordinator.js';
import { acquireLocks, emptyLockTable, releaseLocks, type LockEntry, type LockTable } from '../../../src/core/run/lockTable.js';
import { pathFacts, pathState, LockIndex } from '../../../src/core/ownership/ownershipState.js';
import { OwnerIndex } from '../../../src/core/ownership/ownership.js';
import { analyzePlan } from '../../../src/core/plan/analyze.js';

const NOW = new Date('2030-05-01T10:00:00.000Z');
const ROOT_A = 'a'.repeat(40);
const ROOT_B = 'b'.repeat(40);

function run(over: Partial<RegisteredRun> = {}): RegisteredRun {
  return {
    featureId: 'alpha',
    runId: 'r1',
    ownerId: 'owner-ana',
    driver: 'Ana',
    host: 'build-01',
    clone: '/home/ana/app',
    pid: 42,
    heartbeatAt: '2030-05-01T09:59:59.000Z',
    leaseMs: 15_000,
    packages: [{ id: 'wp-api', status: 'running', writes: ['src/api/**'] }],
    ...over,
  };
}

function lock(key: string, featureId: string, holder: string): LockEntry {
  return { key, kind: 'file', featureId, holder, runId: 'r1', acquiredAt: '2030-05-01T09:00:00.000Z', expiresAt: null };
}

describe('redactSecrets', () => {
  it('hides the password of a URL and of key=value pairs, and nothing else', () => {
    assert.equal(redactSecrets('postgres://ana:pa55@db.example:5432/waves'), 'postgres://ana:***@db.example:5432/waves');
    assert.equal(redactSecrets('failed: postgresql://ana:p%40ss:w@rd@db/w?sslmode=require'), 'failed: postgresql://ana:***@db/w?sslmode=require');
    assert.equal(redactSecrets('host=db password=hunter2 user=ana'), 'host=db password=*** user=ana');
    assert.equal(redactSecrets("password = 'a b c' dbname=x"), 'password = *** dbname=x');
    assert.equal(redactSecrets('postgres://ana@db/waves'), 'postgres://ana@db/waves');
    assert.equal(redactSecrets('no secret here'), 'no secret here');
    assert.equal(redactSecrets('mysql://ana:pw@db/w and postgres://bo:x@h/d'), 'mysql://ana:***@db/w and postgres://bo:***@h/d');
  });

  it('never lets a password of a URL through (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]{1,8}$/), fc.stringMatching(/^[A-Za-z0-9!$%^&*()_+=:-]{6,20}$/), (user, password) => {
        const text = `could not connect to postgres://${user}:${password}@10.0.0.1:5432/waves: refused`;
        const shown = redactSecrets(text);
        assert.ok(!shown.includes(`:${password}@`), shown);
        assert.ok(shown.includes(`postgres://${user}:***@10.0.0.1:5432/waves`), shown);
      }),
    );
  });
});

describe('checkCoordinatorUrl', () => {
  it('takes postgres:// and postgresql:// URLs with a host (or a socket folder) and a database', () => {
    assert.deepEqual(checkCoordinatorUrl(' postgres://ana@db:5432/waves '), { ok: true, url: 'postgres://ana@db:5432/waves' });
    assert.equal(checkCoordinatorUrl('postgresql://db/waves').ok, true);
    assert.equal(checkCoordinatorUrl('postgres:///waves?host=/var/run/postgresql').ok, true);
  });

  it('refuses anything else with a clear reason that never repeats the password', () => {
    const problem = (text: unknown) => {
      const r = checkCoordinatorUrl(text);
      assert.equal(r.ok, false);
      return r.ok ? '' : r.problem;
    };
    assert.match(problem(''), /empty/);
    assert.match(problem(42), /empty/);
    assert.match(problem('mysql://ana:pw@db/w'), /mysql:\/\/ana:\*\*\*@db\/w is not a PostgreSQL URL/);
    assert.doesNotMatch(problem('mysql://ana:secretpw@db/w'), /secretpw/);
    assert.match(problem('postgres://ana:secretpw@db'), /names no database/);
    assert.doesNotMatch(problem('postgres://ana:secretpw@db'), /secretpw/);
    assert.match(problem('postgres:///waves'), /names no host/);
    assert.match(problem('postgres://[bad/waves'), /not a valid URL/);
  });
});

describe('repositoryKey', () => {
  it('is the root commit, the same in every clone, whatever the remote is called', () => {
    assert.equal(repositoryKey({ rootCommits: [ROOT_A] }), `git:${ROOT_A}`);
    assert.equal(repositoryKey({ rootCommits: [ROOT_B.toUpperCase(), ROOT_A, ''] }), `git:${ROOT_A},${ROOT_B}`);
    assert.equal(repositoryKey({ rootCommits: [ROOT_A, ROOT_B] }), repositoryKey({ rootCommits: [ROOT_B, ROOT_A] }));
  });

  it('is the key the person set, when set; none for a repository without commits', () => {
    assert.equal(repositoryKey({ rootCommits: [ROOT_A], explicit: ' team/app ' }), 'key:team/app');
    assert.equal(repositoryKey({ rootCommits: [ROOT_A], explicit: '  ' }), `git:${ROOT_A}`);
    assert.equal(repositoryKey({ rootCommits: [] }), null);
    assert.equal(repositoryKey({ rootCommits: ['fatal: bad revision'] }), null);
  });
});

describe('the registry', () => {
  it('lists the packages under way, sorted, with their write scopes', () => {
    const packages = { b: { status: 'running' }, a: { status: 'verifying' }, c: { status: 'pending' }, d: { status: 'succeeded' }, e: { status: 'queued' } };
    const writes: Record<string, string[]> = { a: ['a/**'], b: ['b/**', 'shared/x.ts'], e: [] };
    assert.deepEqual(registeredPackages(packages, (id) => writes[id] ?? []), [
      { id: 'a', status: 'verifying', writes: ['a/**'] },
      { id: 'b', status: 'running', writes: ['b/**', 'shared/x.ts'] },
      { id: 'e', status: 'queued', writes: [] },
    ]);
  });

  it('a run is live while its heartbeat is within its lease', () => {
    assert.equal(isLiveRun(run(), NOW), true);
    assert.equal(isLiveRun(run({ heartbeatAt: '2030-05-01T09:59:44.000Z' }), NOW), false);
    assert.equal(isLiveRun(run({ heartbeatAt: 'garbage' }), NOW), false);
  });

  it("the coordinator's file locks, other drivers' with who and where, and their running packages' write scopes", () => {
    const mine = run({ featureId: 'beta', ownerId: 'owner-me', driver: 'Me', packages: [{ id: 'wp-x', status: 'running', writes: ['docs/**'] }] });
    const stale = run({ featureId: 'gamma', ownerId: 'owner-old', heartbeatAt: '2030-05-01T00:00:00.000Z', packages: [{ id: 'wp-y', status: 'running', writes: ['old/**'] }] });
    const locks = [lock('src/shared/**', 'alpha', 'wp-api'), lock('docs/**', 'beta', 'wp-x'), lock('old/**', 'gamma', 'wp-y')];
    const orphan = lock('tmp/**', 'gone', 'wp-z');
    const key: LockEntry = { ...lock('api:GET /x', 'alpha', 'wp-api'), kind: 'key' };
    const shown = coordinatorFileLocks([run(), mine, stale], [...locks, orphan, key], new Set(['owner-me']), NOW);
    assert.deepEqual(
      shown.map((l) => `${l.featureId}/${l.holder} ${l.key} ${l.scope ? 'scope' : 'lock'} ${l.owner ? ownerText(l.owner) : 'as it is'}`),
      [
        'alpha/wp-api src/shared/** lock Ana on build-01 (/home/ana/app)',
        // the person's own lock: no owner (the view shows it as theirs)
        'beta/wp-x docs/** lock as it is',
        // a lapsed run's lock still blocks: shown, with who and where
        'gamma/wp-y old/** lock Ana on build-01 (/home/ana/app)',
        // a lock of no known run: as it is
        'gone/wp-z tmp/** lock as it is',
        // the write scope of a package under way of a live run of another driver
        'alpha/wp-api src/api/** scope Ana on build-01 (/home/ana/app)',
      ],
    );
  });

  it('the tooltip of a file another driver owns says who and where', () => {
    const analysis = analyzePlan('schema_version: 1\nfeature:\n  id: beta\npackages:\n  - package_id: wp-mine\n    scope: { write_allow: ["src/**"] }\n');
    const index = new OwnerIndex(analysis);
    const foreign = coordinatorFileLocks([run()], [lock('src/shared/**', 'alpha', 'wp-api')], new Set(), NOW);
    const state = (path: string) => {
      const covering = new LockIndex(foreign, NOW).covering(path);
      return pathState(pathFacts(index, index.lookup(path), () => undefined, covering), { featureId: 'beta', formatTime: (iso) => iso.slice(11, 16) });
    };
    const api = state('src/api/handlers.ts')!;
    assert.equal(api.kind, 'locked');
    assert.equal(api.tooltip, 'owned by wp-mine · wave 1 · written by wp-api (feature alpha), running — Ana on build-01 (/home/ana/app)');
    const shared = state('src/shared/util.ts')!;
    assert.equal(shared.tooltip, 'owned by wp-mine · wave 1 · locked by wp-api (feature alpha) until released — Ana on build-01 (/home/ana/app)');
    assert.equal(state('src/other.ts')!.kind, 'owned');
    // Who holds it is part of the state's key: another driver taking over redraws the file.
    const other = coordinatorFileLocks([run({ driver: 'Bo' })], [], new Set(), NOW);
    const bo = pathState(pathFacts(index, index.lookup('src/api/a.ts'), () => undefined, new LockIndex(other, NOW).covering('src/api/a.ts')), { formatTime: (i) => i });
    assert.notEqual(bo!.key, state('src/api/a.ts')!.key);
  });
});

describe('the lock table as rows', () => {
  const take = (table: LockTable, featureId: string, holder: string, files: string[], ttlMs?: number) => {
    const r = acquireLocks(table, { featureId, holder, runId: 'r', files, keys: [], ...(ttlMs ? { ttlMs } : {}) }, NOW);
    assert.ok(r.ok);
    return r.table;
  };

  it('writes only what changed, deletes only what went', () => {
    const t1 = take(emptyLockTable(), 'f', 'a', ['a/**', 'b/**']);
    assert.deepEqual(lockTableChanges(emptyLockTable(), t1).write.map((e) => e.key), ['a/**', 'b/**']);
    assert.deepEqual(lockTableChanges(t1, t1), { remove: [], write: [] });
    const t2 = take(t1, 'f', 'b', ['c/**']);
    assert.deepEqual(lockTableChanges(t1, t2), { remove: [], write: [t2.locks[2]] });
    const t3 = releaseLocks(t2, { featureId: 'f', holder: 'a' });
    const change = lockTableChanges(t2, t3);
    assert.deepEqual(change.remove.map((e) => e.key), ['a/**', 'b/**']);
    assert.deepEqual(change.write, []);
    // A renewal (new expiry) is a write of the same row.
    const r1 = take(emptyLockTable(), 'f', 'a', ['a/**'], 1000);
    const r2 = acquireLocks(r1, { featureId: 'f', holder: 'a', runId: 'r', files: ['a/**'], keys: [], ttlMs: 5000 }, NOW);
    assert.ok(r2.ok);
    assert.deepEqual(lockTableChanges(r1, r2.table), { remove: [], write: r2.table.locks });
  });

  it('a release only drops; an acquire does not', () => {
    const t1 = take(emptyLockTable(), 'f', 'a', ['a/**']);
    assert.equal(onlyDrops(t1, releaseLocks(t1, { featureId: 'f', holder: 'a' })), true);
    assert.equal(onlyDrops(t1, t1), false, 'no change is not a release: nothing to keep');
    assert.equal(onlyDrops(t1, take(t1, 'f', 'b', ['b/**'])), false);
  });

  it('applying the changes to the old rows gives the new table (property)', () => {
    const globs = ['a/**', 'b/**', 'a/x.ts', 'c/*.md', 'd/**'];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.constantFrom('f', 'g'), fc.constantFrom('p', 'q', 'r'), fc.subarray(globs, { minLength: 1 })), { maxLength: 12 }), (steps) => {
        let table = emptyLockTable();
        for (const [release, featureId, holder, files] of steps) {
          const before = table;
          if (release) table = releaseLocks(table, { featureId, holder });
          else {
            const r = acquireLocks(table, { featureId, holder, runId: 'r', files, keys: [] }, NOW);
            if (r.ok) table = r.table;
          }
          const { remove, write } = lockTableChanges(before, table);
          const id = (e: LockEntry) => `${e.kind}\0${e.key}\0${e.featureId}\0${e.holder}`;
          const gone = new Set([...remove, ...write].map(id));
          const rows = [...before.locks.filter((e) => !gone.has(id(e))), ...write];
          const sort = (l: LockEntry[]) => [...l].sort((x, y) => id(x).localeCompare(id(y)));
          assert.deepEqual(sort(rows), sort(table.locks));
        }
      }),
    );
  });
});

describe('plannedFeatures', () => {
  const claim = (featureId: string, packageId: string, kind: 'write' | 'file' | 'key', key: string) => ({
    featureId,
    packageId,
    kind,
    key,
    planId: `plan-${featureId}`,
    driver: 'ana',
    host: 'build-01',
    clone: '/home/ana/app',
    approvedAt: '2026-11-25T10:00:00.000Z',
  });

  it('sums a feature\'s claims by package and kind, features in order; a line a person reads', () => {
    const features = plannedFeatures([
      claim('zeta', 'wp-z', 'write', 'z/**'),
      claim('billing', 'wp-a', 'write', 'src/api/**'),
      claim('billing', 'wp-a', 'key', 'api:GET /v1/users'),
      claim('billing', 'wp-b', 'key', 'db:users'),
      claim('billing', 'wp-b', 'file', 'package.json'),
    ]);
    assert.deepEqual(
      features.map((f) => [f.featureId, f.packages, f.counts]),
      [
        ['billing', 2, { write: 1, file: 1, key: 2 }],
        ['zeta', 1, { write: 1, file: 0, key: 0 }],
      ],
    );
    assert.equal(
      plannedFeatureText(features[0]!),
      'billing: 2 packages — 1 write scope, 1 file lock, 2 lock keys; approved by ana on build-01 (/home/ana/app) at 2026-11-25T10:00:00.000Z, session plan-billing',
    );
    assert.equal(plannedFeatureText(features[1]!), 'zeta: 1 package — 1 write scope; approved by ana on build-01 (/home/ana/app) at 2026-11-25T10:00:00.000Z, session plan-zeta');
    assert.deepEqual(plannedFeatures([]), []);
  });

  it('every claim is counted once, in its feature (property)', () => {
    const arb = fc.array(fc.record({ f: fc.constantFrom('a', 'b', 'c'), p: fc.constantFrom('p1', 'p2'), k: fc.constantFrom('write' as const, 'file' as const, 'key' as const) }), { maxLength: 30 });
    fc.assert(
      fc.property(arb, (rows) => {
        const features = plannedFeatures(rows.map((r, i) => claim(r.f, r.p, r.k, `k${i}`)));
        assert.deepEqual(features.map((f) => f.featureId), [...new Set(rows.map((r) => r.f))].sort());
        for (const f of features) {
          const mine = rows.filter((r) => r.f === f.featureId);
          assert.equal(f.counts.write + f.counts.file + f.counts.key, mine.length);
          assert.equal(f.packages, new Set(mine.map((r) => r.p)).size);
        }
      }),
    );
  });
});
