/**
 * Tests for the decoration state of a path (`src/core/ownership/ownershipState.ts`): which state wins,
 * the words of the tooltip, live locks, and folders that share the state of all their files.
 *
 * Run: node --import tsx --test test/core/ownership/ownershipState.test.ts
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { analyzePlan } from '../../../src/core/plan/analyze.js';
import { covers } from '../../../src/core/plan/glob.js';
import { OwnerIndex } from '../../../src/core/ownership/ownership.js';
import {
  LockIndex,
  OWNERSHIP_COLORS,
  folderStates,
  listWords,
  pathFacts,
  pathState,
  type FileLock,
  type PathState,
} from '../../../src/core/ownership/ownershipState.js';
import { isLiveLock as isLive } from '../../../src/core/run/lockTable.js';
import type { PackageStatus } from '../../../src/core/run/runState.js';

const PLAN = `schema_version: 1
feature:
  id: demo
packages:
  - package_id: wp-contract
    scope: { write_allow: ["contracts/**"] }
  - package_id: wp-api
    depends_on: [wp-contract]
    scope: { write_allow: ["src/api/**", "src/shared/**"], deny: ["src/api/secrets/**"] }
  - package_id: wp-web
    depends_on: [wp-contract]
    scope: { write_allow: ["src/web/**", "src/shared/**"] }
`;
const analysis = analyzePlan(PLAN);
const index = new OwnerIndex(analysis);
const NOW = new Date('2025-03-01T10:00:00.000Z');
const hhmm = (iso: string) => iso.slice(11, 16);

function lock(key: string, holder: string, expiresAt: string | null = '2025-03-01T14:32:00.000Z', featureId = 'demo'): FileLock {
  return { key, kind: 'file', featureId, runId: 'r1', holder, acquiredAt: '2025-03-01T09:00:00.000Z', expiresAt };
}

function stateOf(path: string, statuses: Record<string, PackageStatus> = {}, locks: FileLock[] = []): PathState | undefined {
  const lockIndex = new LockIndex(locks, NOW);
  const facts = pathFacts(index, index.lookup(path), (id) => statuses[id], lockIndex.covering(path));
  return pathState(facts, { featureId: 'demo', formatTime: hhmm });
}

describe('pathState', () => {
  it('says nothing about a path no package writes, denies or locks', () => {
    assert.equal(stateOf('README.md'), undefined);
    assert.equal(stateOf('src'), undefined);
  });

  it('owned: the owner and its wave', () => {
    const s = stateOf('src/api/items.ts')!;
    assert.equal(s.kind, 'owned');
    assert.equal(s.badge, 'W2');
    assert.equal(s.tooltip, 'owned by wp-api · wave 2');
    assert.equal(s.colorId, OWNERSHIP_COLORS.owned);
  });

  it('running: the owner is running or verifying; other statuses do not count', () => {
    assert.equal(stateOf('src/api/items.ts', { 'wp-api': 'running' })!.tooltip, 'owned by wp-api · wave 2 · running');
    assert.equal(stateOf('src/api/items.ts', { 'wp-api': 'running' })!.badge, '►2');
    assert.equal(stateOf('src/api/items.ts', { 'wp-api': 'verifying' })!.kind, 'running');
    for (const status of ['pending', 'queued', 'succeeded', 'failed', 'interrupted'] as const) {
      assert.equal(stateOf('src/api/items.ts', { 'wp-api': status })!.kind, 'owned', status);
    }
  });

  it('locked: the issue example, and locks held by another package or feature', () => {
    const s = stateOf('src/api/items.ts', { 'wp-api': 'running' }, [lock('src/api/*.ts', 'wp-api')])!;
    assert.equal(s.kind, 'locked');
    assert.equal(s.badge, 'L');
    assert.equal(s.tooltip, 'owned by wp-api · wave 2 · running · locked until 14:32');
    assert.equal(
      stateOf('src/api/items.ts', {}, [lock('src/api/items.ts', 'wp-web', null)])!.tooltip,
      'owned by wp-api · wave 2 · locked by wp-web until released',
    );
    assert.equal(
      stateOf('README.md', {}, [lock('*.md', 'wp-x', null, 'other')])!.tooltip,
      'locked by wp-x (feature other) until released',
    );
  });

  it('an expired lock no longer counts; a lock whose glob does not cover the path neither', () => {
    assert.equal(stateOf('src/api/items.ts', {}, [lock('src/api/items.ts', 'wp-api', '2025-03-01T10:00:00.000Z')])!.kind, 'owned');
    assert.equal(stateOf('src/api/items.ts', {}, [lock('src/api/*.js', 'wp-api')])!.kind, 'owned');
    assert.equal(stateOf('src/api/items.ts', {}, [{ ...lock('src/api/items.ts', 'wp-api'), kind: 'key' }])!.kind, 'owned');
  });

  it('conflict: two owners that may run in parallel', () => {
    const s = stateOf('src/shared/util.ts')!;
    assert.equal(s.kind, 'conflict');
    assert.equal(s.badge, '×2');
    assert.equal(s.tooltip, 'owned by wp-api and wp-web · conflict: wp-api and wp-web may run in parallel');
    // a running owner is more urgent than the conflict
    assert.equal(stateOf('src/shared/util.ts', { 'wp-web': 'running' })!.tooltip, 'owned by wp-api and wp-web · wp-web running · conflict: wp-api and wp-web may run in parallel');
  });

  it('denied: inside the write scope but in the deny list', () => {
    const s = stateOf('src/api/secrets/key.pem')!;
    assert.equal(s.kind, 'denied');
    assert.equal(s.badge, '⊘');
    assert.equal(s.tooltip, 'denied to wp-api by its deny list');
  });

  it('keys tell states apart that look alike', () => {
    assert.equal(stateOf('src/api/a.ts')!.key, stateOf('src/api/b/c.ts')!.key);
    assert.notEqual(stateOf('src/api/a.ts')!.key, stateOf('src/web/a.ts')!.key);
    assert.notEqual(stateOf('src/api/a.ts')!.key, stateOf('src/api/a.ts', { 'wp-api': 'running' })!.key);
  });

  it('badges are at most two characters (VS Code shows no more)', () => {
    const paths = ['src/api/a', 'src/web/a', 'src/shared/a', 'src/api/secrets/a', 'contracts/a', 'x'];
    for (const p of paths)
      for (const st of [{}, { 'wp-api': 'running' }] as Record<string, PackageStatus>[])
        for (const locks of [[], [lock('**', 'h')]]) {
          const s = stateOf(p, st, locks);
          if (s) assert.ok([...s.badge].length <= 2, `${p}: ${s.badge}`);
        }
  });

  it('lists words', () => {
    assert.equal(listWords([]), '');
    assert.equal(listWords(['a']), 'a');
    assert.equal(listWords(['a', 'b']), 'a and b');
    assert.equal(listWords(['a', 'b', 'c']), 'a, b and c');
  });
});

describe('LockIndex', () => {
  it('indexes live file locks only and knows the next expiry', () => {
    const locks = [
      lock('a/**', 'p1', '2025-03-01T11:00:00.000Z'),
      lock('b', 'p2', '2025-03-01T10:30:00.000Z'),
      lock('c', 'p3', '2025-03-01T09:00:00.000Z'), // expired
      lock('d', 'p4', null),
      { ...lock('a', 'p5'), kind: 'key' as const },
    ];
    const li = new LockIndex(locks, NOW);
    assert.equal(li.size, 3);
    assert.equal(li.nextExpiry, Date.parse('2025-03-01T10:30:00.000Z'));
    assert.deepEqual(li.covering('a/x').map((l) => l.holder), ['p1']);
    assert.deepEqual(li.covering('c'), []);
    assert.deepEqual(li.covering('d/e').map((l) => l.holder), ['p4']);
    assert.equal(new LockIndex([], NOW).nextExpiry, undefined);
  });

  it('covering equals brute force over the live locks', () => {
    const SEG = ['a', 'b', '*', '**', 'a.ts', '{a,b}'];
    const globArb = fc.array(fc.constantFrom(...SEG), { minLength: 1, maxLength: 3 }).map((s) => s.join('/'));
    const pathArb = fc.array(fc.constantFrom('a', 'b', 'a.ts', 'c'), { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));
    fc.assert(
      fc.property(
        fc.array(fc.record({ glob: globArb, minutes: fc.option(fc.integer({ min: -30, max: 30 })) }), { maxLength: 8 }),
        fc.array(pathArb, { minLength: 1, maxLength: 10 }),
        (specs, paths) => {
          const locks = specs.map((s, i) =>
            lock(s.glob, `h${i}`, s.minutes === null ? null : new Date(NOW.getTime() + s.minutes * 60_000).toISOString()),
          );
          const li = new LockIndex(locks, NOW);
          for (const p of paths) {
            const want = locks.filter((l) => isLive(l, NOW) && covers(l.key, p)).map((l) => l.holder).sort();
            assert.deepEqual(li.covering(p).map((l) => l.holder).sort(), want);
          }
        },
      ),
    );
  });
});

describe('folderStates', () => {
  it('gives a folder the state all its files share, and null when they differ', () => {
    const files = ['src/api/a.ts', 'src/api/b/c.ts', 'src/web/x.tsx', 'src/api/secrets/k', 'contracts/openapi.yaml', 'README.md'];
    const folders = folderStates(files, (p) => stateOf(p));
    assert.equal(folders.get('contracts')?.tooltip, 'owned by wp-contract · wave 1');
    assert.equal(folders.get('src/api/b')?.tooltip, 'owned by wp-api · wave 2');
    assert.equal(folders.get('src/api/secrets')?.kind, 'denied');
    assert.equal(folders.get('src/api'), null, 'a denied file inside');
    assert.equal(folders.get('src'), null);
    assert.equal(folders.get('src/web')?.kind, 'owned');
    assert.equal(folders.has(''), false);
    assert.equal(folders.size, 6);
  });

  it('a folder with one file without a state has no state', () => {
    const folders = folderStates(['src/web/a.tsx', 'src/web/notes.txt'], (p) => (p.endsWith('.tsx') ? stateOf(p) : undefined));
    assert.equal(folders.get('src/web'), null);
  });

  it('equals brute force: a folder has a state exactly when every file under it has that same key', () => {
    const pathArb = fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));
    fc.assert(
      fc.property(fc.uniqueArray(pathArb, { maxLength: 25 }), fc.integer({ min: 1, max: 3 }), (files, kinds) => {
        // a state per file from a hash of its name, some files without one
        const fake = (p: string): PathState | undefined => {
          const h = [...p].reduce((n, ch) => n * 31 + ch.charCodeAt(0), 7) % (kinds + 1);
          return h === 0 ? undefined : ({ key: `k${h}` } as PathState);
        };
        // a "file" that is also a folder of another file is not a real tree; drop those
        const real = files.filter((f) => !files.some((g) => g.startsWith(`${f}/`)));
        const got = folderStates(real, fake);
        const folders = new Set(real.flatMap((f) => f.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'))));
        assert.equal(got.size, folders.size);
        for (const folder of folders) {
          const under = real.filter((f) => f.startsWith(`${folder}/`)).map((f) => fake(f)?.key ?? null);
          const want = under.every((k) => k !== null && k === under[0]) ? under[0] : null;
          assert.equal(got.get(folder)?.key ?? null, want, folder);
        }
      }),
      { numRuns: 300 },
    );
  });
});
