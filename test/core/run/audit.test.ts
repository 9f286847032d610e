/**
 * Tests for the scope audit (`src/core/run/audit.ts`): table tests for each rule, then a
 * property test against a brute-force audit with its own (segment-wise) matcher for a
 * restricted glob language (literal segments and `*`).
 *
 * Run: node --import tsx --test test/core/run/audit.test.ts
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { auditScope, isEngineFile, mergeChanges, toFileChange, type AuditChange } from '../../../src/core/run/audit.js';
import type { FileChange } from '../../../src/core/run/runState.js';

const scope = { writeAllow: ['src/api/**', 'docs/api.md'], deny: ['src/api/secrets/**'] };

describe('auditScope', () => {
  it('changes inside write_allow pass', () => {
    const r = auditScope(
      [
        { path: 'src/api/x.ts', change: 'A' },
        { path: 'docs/api.md', change: 'M' },
        { path: 'src/api/deep/y.ts', change: '?' },
      ],
      scope,
    );
    assert.equal(r.ok, true);
    assert.deepEqual(r.violations, []);
    assert.deepEqual(
      r.changes.map((c) => c.path),
      ['docs/api.md', 'src/api/deep/y.ts', 'src/api/x.ts'],
    );
  });
  it('a change outside write_allow is a violation that names the scope', () => {
    const r = auditScope([{ path: 'src/web/page.ts', change: 'M' }], scope);
    assert.equal(r.ok, false);
    assert.equal(r.violations.length, 1);
    assert.equal(r.violations[0]!.reason, 'outside-write-scope');
    assert.match(r.violations[0]!.message, /src\/web\/page\.ts changed outside the write scope \(write_allow: src\/api\/\*\*, docs\/api\.md\)/);
  });
  it('deny wins over write_allow and says which pattern denies', () => {
    const r = auditScope([{ path: 'src/api/secrets/key.ts', change: '?' }], scope);
    assert.deepEqual(
      r.violations.map((v) => [v.reason, v.pattern]),
      [['denied', 'src/api/secrets/**']],
    );
    assert.match(r.violations[0]!.message, /created, but the scope denies it/);
  });
  it('every deletion is listed: allowed inside the scope, a violation outside', () => {
    const r = auditScope(
      [
        { path: 'src/api/old.ts', change: 'D' },
        { path: 'README.md', change: 'D' },
      ],
      scope,
    );
    assert.deepEqual(r.deletions, [
      { path: 'README.md', allowed: false },
      { path: 'src/api/old.ts', allowed: true },
    ]);
    assert.deepEqual(
      r.violations.map((v) => v.path),
      ['README.md'],
    );
    assert.match(r.violations[0]!.message, /README\.md deleted outside/);
  });
  it('a path under .waves/ is a violation whatever the scope says (the engine\'s files)', () => {
    const r = auditScope(
      [
        { path: '.waves/runs/f.json', change: 'M' },
        { path: '.waves', change: 'A' },
        { path: '.wavesx/a', change: 'A' },
        { path: 'a/.waves/x', change: 'A' },
      ],
      { writeAllow: ['**'], deny: [] },
    );
    assert.deepEqual(
      r.violations.map((v) => [v.path, v.reason]),
      [
        ['.waves', 'engine-files'],
        ['.waves/runs/f.json', 'engine-files'],
      ],
    );
    assert.match(r.violations[1]!.message, /\.waves\/ is the engine's/);
    assert.equal(isEngineFile('.waves/x'), true);
    assert.equal(isEngineFile('.waves'), true);
    assert.equal(isEngineFile('a/.waves/x'), false);
    assert.equal(isEngineFile('.wavesx'), false);
  });
  it('a symbolic link out of the repository or into .git, and a force-added ignored file, are violations inside the scope', () => {
    const r = auditScope(
      [
        { path: 'src/a/passwd', change: 'A', link: '/etc/passwd' },
        { path: 'src/a/up', change: 'A', link: '../../../outside' },
        { path: 'src/a/git', change: 'M', link: '../../.git/hooks' },
        { path: 'src/a/fine', change: 'A', link: '../b/c.ts' },
        { path: 'src/a/.env', change: 'A', ignored: true },
        { path: 'src/a/gone', change: 'D', link: '/etc/passwd' },
      ],
      { writeAllow: ['src/**'], deny: [] },
    );
    assert.deepEqual(
      r.violations.map((v) => [v.path, v.reason]),
      [
        ['src/a/.env', 'ignored-file'],
        ['src/a/git', 'link-outside'],
        ['src/a/passwd', 'link-outside'],
        ['src/a/up', 'link-outside'],
      ],
    );
    assert.match(r.violations[0]!.message, /ignores it/);
    assert.match(r.violations[2]!.message, /symbolic link to \/etc\/passwd, outside the repository/);
  });
  it('an empty write scope allows nothing and says so', () => {
    const r = auditScope([{ path: 'a.txt', change: 'A' }], { writeAllow: [], deny: [] });
    assert.match(r.violations[0]!.message, /the package may write no file/);
  });
  it('no change → ok with nothing listed', () => {
    assert.deepEqual(auditScope([], scope), { ok: true, changes: [], violations: [], deletions: [] });
  });
});

describe('mergeChanges / toFileChange', () => {
  it('one entry per path, the later list wins, sorted by path', () => {
    assert.deepEqual(mergeChanges([{ path: 'b', change: 'A' }, { path: 'a', change: 'M' }], [{ path: 'b', change: 'D' }]), [
      { path: 'a', change: 'M' },
      { path: 'b', change: 'D' },
    ]);
  });
  it("maps git's kinds onto the run state's letters", () => {
    assert.deepEqual(
      (['added', 'copied', 'modified', 'type-changed', 'unmerged', 'unknown', 'deleted', 'renamed'] as const).map(toFileChange),
      ['A', 'A', 'M', 'M', 'M', 'M', 'D', 'R'],
    );
  });
});

describe('auditScope vs brute force', () => {
  // A restricted glob language with an independent matcher: a pattern of k segments (each a
  // letter or `*`) covers a path whose first k segments match it (and everything below).
  const seg = fc.constantFrom('a', 'b', 'c');
  const path = fc.array(seg, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));
  const pattern = fc.array(fc.constantFrom('a', 'b', 'c', '*'), { minLength: 1, maxLength: 3 }).map((s) => s.join('/'));
  const change = fc.constantFrom<FileChange>('A', 'M', 'D', 'R', '?');
  const bruteCovers = (p: string, x: string): boolean => {
    const ps = p.split('/');
    const xs = x.split('/');
    return xs.length >= ps.length && ps.every((s, i) => s === '*' || s === xs[i]);
  };
  it('violations and deletions equal the brute-force decision', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ path, change }), { maxLength: 12 }),
        fc.array(pattern, { maxLength: 3 }),
        fc.array(pattern, { maxLength: 2 }),
        (changes: AuditChange[], writeAllow, deny) => {
          const r = auditScope(changes, { writeAllow, deny });
          const last = new Map<string, FileChange>();
          for (const c of changes) last.set(c.path, c.change);
          const bad = [...last.keys()].filter((p) => deny.some((d) => bruteCovers(d, p)) || !writeAllow.some((w) => bruteCovers(w, p))).sort();
          assert.deepEqual(r.violations.map((v) => v.path), bad);
          const dels = [...last].filter(([, c]) => c === 'D').map(([p]) => p).sort();
          assert.deepEqual(r.deletions.map((d) => d.path), dels);
          for (const d of r.deletions) assert.equal(d.allowed, !bad.includes(d.path));
          assert.equal(r.ok, bad.length === 0);
          assert.equal(r.changes.length, last.size);
        },
      ),
      { numRuns: 500 },
    );
  });
});
