import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { covers } from '../../../src/core/plan/glob';
import {
  acquireLocks,
  canonicalLockKey,
  emptyLockTable,
  expireLocks,
  lockConflicts,
  locksCovering,
  parseLockTable,
  releaseLocks,
  type LockEntry,
  type LockRequest,
  type LockTable,
} from '../../../src/core/run/lockTable';

const T0 = new Date('2025-03-01T10:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const MIN = 60_000;

function entry(partial: Partial<LockEntry> & Pick<LockEntry, 'key'>): LockEntry {
  return {
    kind: 'file',
    featureId: 'f1',
    runId: 'r1',
    holder: 'a',
    acquiredAt: T0.toISOString(),
    expiresAt: null,
    ...partial,
  };
}

const table = (...locks: LockEntry[]): LockTable => ({ version: 1, locks });
const request = (partial: Partial<LockRequest>): LockRequest => ({
  featureId: 'f2',
  runId: 'r2',
  holder: 'b',
  files: [],
  keys: [],
  ...partial,
});

function acquired(t: LockTable, r: LockRequest, now = T0): LockTable {
  const result = acquireLocks(t, r, now);
  if (!result.ok) assert.fail(`expected ok: ${result.problem ?? JSON.stringify(result.conflicts)}`);
  return result.table;
}

describe('lockConflicts', () => {
  it('decides file locks as globs, with a witness path', () => {
    const t = table(entry({ key: 'src/api/**' }), entry({ key: 'docs/*.md', holder: 'c' }));
    const found = lockConflicts(t, request({ files: ['src/api/users.ts', 'docs/guide/intro.md', 'src/web/**'] }), T0);
    assert.deepEqual(
      found.map((c) => [c.entry.key, c.requested.key, c.witness]),
      [['src/api/**', 'src/api/users.ts', 'src/api/users.ts']],
    );
    // A folder covers what is below it.
    const folder = lockConflicts(table(entry({ key: 'src/db' })), request({ files: ['src/*/schema.sql'] }), T0);
    assert.deepEqual(
      folder.map((c) => c.witness),
      ['src/db/schema.sql'],
    );
    const braces = lockConflicts(table(entry({ key: '{a,b}/x.ts' })), request({ files: ['b/*'] }), T0);
    assert.equal(braces[0]?.witness, 'b/x.ts');
    assert.ok(covers('{a,b}/x.ts', braces[0]!.witness) && covers('b/*', braces[0]!.witness));
  });

  it('compares logical keys after their canonical form, and never a key with a file', () => {
    const t = table(entry({ key: 'api:GET /v1/users', kind: 'key' }), entry({ key: 'db:schema:users', kind: 'key' }));
    const found = lockConflicts(t, request({ keys: ['api:get /v1/users', ' db:schema:users '], files: ['api:GET /v1/users'] }), T0);
    assert.deepEqual(
      found.map((c) => [c.requested.kind, c.requested.key, c.witness]),
      [
        ['key', 'api:GET /v1/users', 'api:GET /v1/users'],
        ['key', 'db:schema:users', 'db:schema:users'],
      ],
    );
    assert.equal(canonicalLockKey(' api:get  /x '), 'api:GET /x');
    assert.equal(canonicalLockKey('db:schema:Users'), 'db:schema:users');
    assert.equal(canonicalLockKey('not a key'), 'not a key');
  });

  it('never counts a holder against itself, nor an expired lock', () => {
    const t = table(entry({ key: 'src/**', featureId: 'f2', holder: 'b' }), entry({ key: 'lib/**', expiresAt: at(MIN).toISOString() }));
    const r = request({ files: ['src/a.ts', 'lib/a.ts'] });
    assert.deepEqual(
      lockConflicts(t, r, at(MIN - 1)).map((c) => c.entry.key),
      ['lib/**'],
    );
    assert.deepEqual(lockConflicts(t, r, at(MIN)), [], 'expired from expiresAt on');
    // The same package id in another feature is another holder.
    assert.equal(lockConflicts(t, { ...r, featureId: 'f3' }, T0).length, 2);
  });
});

describe('acquire, release, expire', () => {
  it('takes everything or nothing', () => {
    const t = table(entry({ key: 'src/db.ts' }));
    const denied = acquireLocks(t, request({ files: ['src/ui/**', 'src/*.ts'], keys: ['api:GET /x'] }), T0);
    assert.ok(!denied.ok);
    assert.deepEqual(
      denied.conflicts.map((c) => [c.entry.holder, c.requested.key, c.witness]),
      [['a', 'src/*.ts', 'src/db.ts']],
    );
    const taken = acquired(t, request({ files: ['src/ui/**'], keys: ['api:get /x'], ttlMs: 10 * MIN }));
    assert.deepEqual(
      taken.locks.map((l) => [l.key, l.kind, l.featureId, l.runId, l.holder, l.acquiredAt, l.expiresAt]),
      [
        ['src/db.ts', 'file', 'f1', 'r1', 'a', T0.toISOString(), null],
        ['src/ui/**', 'file', 'f2', 'r2', 'b', T0.toISOString(), at(10 * MIN).toISOString()],
        ['api:GET /x', 'key', 'f2', 'r2', 'b', T0.toISOString(), at(10 * MIN).toISOString()],
      ],
    );
    assert.equal(acquireLocks(t, request({}), T0).ok && acquired(t, request({})), t, 'nothing asked: same table');
  });

  it("renews a holder's own locks, keeping acquiredAt and its other locks", () => {
    let t = acquired(emptyLockTable(), request({ files: ['a/**', 'b/**'], ttlMs: MIN }));
    t = acquired(t, request({ runId: 'r3', files: ['a/**', 'a/**'], ttlMs: 5 * MIN }), at(30_000));
    assert.deepEqual(
      t.locks.map((l) => [l.key, l.runId, l.acquiredAt, l.expiresAt]),
      [
        ['b/**', 'r2', T0.toISOString(), at(MIN).toISOString()],
        ['a/**', 'r3', T0.toISOString(), at(30_000 + 5 * MIN).toISOString()],
      ],
    );
    // An expired lock of its own is taken afresh.
    const again = acquired(t, request({ files: ['b/**'] }), at(2 * MIN));
    assert.deepEqual(
      again.locks.filter((l) => l.key === 'b/**').map((l) => [l.acquiredAt, l.expiresAt]),
      [[at(2 * MIN).toISOString(), null]],
    );
  });

  it('refuses malformed requests with a problem', () => {
    for (const [what, bad, now] of [
      ['an invalid glob', request({ files: ['/etc/passwd'] }), T0],
      ['a glob leaving the repository', request({ files: ['../x'] }), T0],
      ['an empty key', request({ keys: [''] }), T0],
      ['a zero ttl', request({ files: ['a'], ttlMs: 0 }), T0],
      ['an endless ttl', request({ files: ['a'], ttlMs: Number.POSITIVE_INFINITY }), T0],
      ['a ttl past year 9999', request({ files: ['a'], ttlMs: 1e18 }), T0],
      ['no holder', request({ holder: '' }), T0],
      ['an invalid time', request({ files: ['a'] }), new Date(Number.NaN)],
    ] as const) {
      const r = acquireLocks(emptyLockTable(), bad, now as Date);
      assert.ok(!r.ok && r.conflicts.length === 0 && typeof r.problem === 'string' && r.problem.length > 0, what);
    }
  });

  it("releases a holder's locks, or a whole feature's", () => {
    const t = table(entry({ key: 'a' }), entry({ key: 'b', holder: 'x' }), entry({ key: 'c', featureId: 'f9', holder: 'a' }));
    assert.deepEqual(
      releaseLocks(t, { featureId: 'f1', holder: 'a' }).locks.map((l) => l.key),
      ['b', 'c'],
    );
    assert.deepEqual(
      releaseLocks(t, { featureId: 'f1' }).locks.map((l) => l.key),
      ['c'],
    );
    assert.equal(releaseLocks(t, { featureId: 'nobody' }), t);
  });

  it('expires locks from their expiresAt on', () => {
    const t = table(entry({ key: 'a', expiresAt: at(MIN).toISOString() }), entry({ key: 'b' }));
    assert.equal(expireLocks(t, at(MIN - 1)).table, t);
    const { table: left, expired } = expireLocks(t, at(MIN));
    assert.deepEqual(
      left.locks.map((l) => l.key),
      ['b'],
    );
    assert.deepEqual(expired, [t.locks[0]]);
  });

  it('finds the live file locks covering a path', () => {
    const t = table(
      entry({ key: 'src/**' }),
      entry({ key: 'src/api', holder: 'b' }),
      entry({ key: 'src/api/users.ts', kind: 'key' }),
      entry({ key: 'src/api/*.ts', expiresAt: T0.toISOString() }),
      entry({ key: 'docs/**' }),
    );
    assert.deepEqual(
      locksCovering(t, 'src/api/users.ts', T0).map((l) => l.key),
      ['src/**', 'src/api'],
    );
    assert.deepEqual(locksCovering(t, 'README.md', T0), []);
  });
});

describe('parseLockTable', () => {
  it('reads a table and keeps fields it does not know', () => {
    const text = JSON.stringify({ version: 1, note: 'x', locks: [{ ...entry({ key: 'a' }), reason: 'migration' }] });
    const parsed = parseLockTable(text);
    assert.deepEqual(parsed.problems, []);
    assert.equal(parsed.newerVersion, false);
    assert.deepEqual(parsed.table, JSON.parse(text));
  });

  it('never throws: bad text is an empty table and a problem', () => {
    for (const [text, pattern] of [
      ['{"version": 1, "locks": [', /not valid JSON/],
      ['[]', /expected an object/],
      ['{"version": 1}', /not a lock table/],
      ['{"version": "1", "locks": []}', /not a lock table/],
    ] as const) {
      const parsed = parseLockTable(text);
      assert.deepEqual(parsed.table, emptyLockTable(), text);
      assert.match(parsed.problems.join(), pattern, text);
    }
    const newer = parseLockTable('{"version": 2, "locks": [{"key": "a"}]}');
    assert.ok(newer.newerVersion);
    assert.deepEqual(newer.table, emptyLockTable());
  });

  it('drops entries that are not lock entries, saying which and why', () => {
    const good = entry({ key: 'a' });
    const parsed = parseLockTable(
      JSON.stringify({
        version: 1,
        locks: [good, { ...good, kind: 'glob' }, { ...good, acquiredAt: 'yesterday' }, { ...good, holder: '' }, null],
      }),
    );
    assert.deepEqual(parsed.table.locks, [good]);
    assert.deepEqual(parsed.problems, [
      'locks[1] was dropped: kind is not "file" or "key"',
      'locks[2] was dropped: acquiredAt is not a timestamp',
      'locks[3] was dropped: holder is not a non-empty string',
      'locks[4] was dropped: not an object',
    ]);
  });
});

describe('property: lock conflicts equal brute force over a path universe', () => {
  // Globs from a small alphabet; every shortest witness of two of them fits in the universe.
  const segment = fc.constantFrom('a', 'b', '*', '?', 'a*', '**', '{a,b}');
  const glob = fc.array(segment, { minLength: 1, maxLength: 2 }).map((s) => s.join('/'));
  const names = ['a', 'b', 'aa', 'ab', 'ba', 'bb', 'c'];
  const universe: string[] = [];
  for (const x of names) {
    universe.push(x);
    for (const y of names) {
      universe.push(`${x}/${y}`);
      for (const z of names) universe.push(`${x}/${y}/${z}`);
    }
  }
  const keys = fc.constantFrom('api:GET /x', 'api:get /x', 'db:schema:t', 'env:fixture');
  const lock = fc.record({
    glob,
    key: keys,
    kindIsKey: fc.boolean(),
    feature: fc.constantFrom('f1', 'f2'),
    holder: fc.constantFrom('a', 'b'),
    expired: fc.boolean(),
  });

  it('finds exactly the live entries of other holders that share a path or a key', () => {
    fc.assert(
      fc.property(
        fc.array(lock, { maxLength: 5 }),
        fc.array(glob, { maxLength: 3 }),
        fc.array(keys, { maxLength: 2 }),
        (locks, files, reqKeys) => {
          const t = table(
            ...locks.map((l) =>
              entry({
                key: l.kindIsKey ? l.key : l.glob,
                kind: l.kindIsKey ? 'key' : 'file',
                featureId: l.feature,
                holder: l.holder,
                expiresAt: l.expired ? T0.toISOString() : null,
              }),
            ),
          );
          const r = { featureId: 'f1', holder: 'a', files, keys: reqKeys };
          const found = lockConflicts(t, r, T0);
          const expected = new Set<string>();
          t.locks.forEach((e, i) => {
            if (e.expiresAt !== null || (e.featureId === 'f1' && e.holder === 'a')) return;
            if (e.kind === 'key') {
              for (const k of reqKeys) if (canonicalLockKey(k) === canonicalLockKey(e.key)) expected.add(`${i}:${canonicalLockKey(k)}`);
            } else {
              for (const f of files) if (universe.some((p) => covers(f, p) && covers(e.key, p))) expected.add(`${i}:${f}`);
            }
          });
          const actual = new Set(found.map((c) => `${t.locks.indexOf(c.entry)}:${c.requested.key}`));
          assert.deepEqual([...actual].sort(), [...expected].sort());
          for (const c of found) {
            if (c.requested.kind === 'file') assert.ok(covers(c.requested.key, c.witness) && covers(c.entry.key, c.witness));
          }
          // acquire agrees: it succeeds exactly when nothing conflicts.
          assert.equal(acquireLocks(t, { ...r, runId: 'r' }, T0).ok, found.length === 0);
        },
      ),
      { numRuns: 400 },
    );
  });
});
