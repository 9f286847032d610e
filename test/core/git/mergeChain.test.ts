/**
 * Merges written as one chain (src/core/git/mergeChain.ts): which merges of a batch may be, the
 * `git fast-import` stream that writes them, and the check of what the chain changed. The stream
 * is also fed to a real `git fast-import` in test/engine/run/mergeBatch.test.ts.
 *
 * Run: node --import tsx --test test/core/git/mergeChain.test.ts
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chainable, chainMatches, chainStream, quotePath, zoneOf } from '../../../src/core/git/mergeChain.js';
import type { RawChange } from '../../../src/core/git/gitParse.js';

const blob = (n: number) => n.toString(16).padStart(40, '0');
const add = (path: string, n = 1, mode = '100644'): RawChange => ({ path, change: 'added', oldMode: '000000', newMode: mode, newSha: blob(n) });
const mod = (path: string, n = 2): RawChange => ({ path, change: 'modified', oldMode: '100644', newMode: '100644', newSha: blob(n) });
const del = (path: string): RawChange => ({ path, change: 'deleted', oldMode: '100644', newMode: '000000', newSha: '0'.repeat(40) });

describe('chainable', () => {
  it('takes merges of disjoint paths, in their order', () => {
    const r = chainable([
      { id: 'a', changes: [add('a/x.txt'), mod('README.md')] },
      { id: 'b', changes: [add('b/x.txt')] },
      { id: 'c', changes: [add('src/c.ts'), add('src/d.ts')] },
    ]);
    assert.deepEqual(r, { chain: ['a', 'b', 'c'], apart: [] });
  });

  it('leaves apart a merge sharing a path with one taken before it, and the later one only', () => {
    const r = chainable([
      { id: 'a', changes: [add('shared.txt')] },
      { id: 'b', changes: [mod('shared.txt'), add('b.txt')] },
      { id: 'c', changes: [add('c.txt')] },
    ]);
    assert.deepEqual(r, { chain: ['a', 'c'], apart: ['b'] });
  });

  it('leaves apart a path inside another taken path, and a path that is a folder of one taken (either order)', () => {
    assert.deepEqual(chainable([{ id: 'a', changes: [add('x')] }, { id: 'b', changes: [add('x/y.txt')] }]), { chain: ['a'], apart: ['b'] });
    assert.deepEqual(chainable([{ id: 'a', changes: [add('x/y/z.txt')] }, { id: 'b', changes: [add('x/y')] }]), { chain: ['a'], apart: ['b'] });
    // Siblings in one folder are no trouble; a name that merely begins like another is not inside it.
    assert.deepEqual(chainable([{ id: 'a', changes: [add('x/y.txt')] }, { id: 'b', changes: [add('x/z.txt'), add('x/y.txt.orig'), add('xy/y.txt')] }]), { chain: ['a', 'b'], apart: [] });
  });

  it('leaves apart a merge that removes anything, changes nothing, or names a path git could not print plainly', () => {
    const r = chainable([
      { id: 'gone', changes: [add('g/new.txt'), del('g/old.txt')] },
      { id: 'empty', changes: [] },
      { id: 'odd', changes: [add('bad\uFFFDname.txt')] },
      { id: 'absolute', changes: [add('/etc/x')] },
      { id: 'nomode', changes: [{ ...add('n.txt'), newMode: '000000' }] },
      { id: 'badsha', changes: [{ ...add('s.txt'), newSha: 'zz' }] },
      { id: 'renamed', changes: [{ ...add('r.txt'), change: 'renamed' }] },
      { id: 'fine', changes: [add('g/old.txt'), { ...mod('link'), change: 'type-changed', newMode: '120000' }] },
    ]);
    assert.deepEqual(r, { chain: ['fine'], apart: ['gone', 'empty', 'odd', 'absolute', 'nomode', 'badsha', 'renamed'] });
  });

  it('does not count the paths of a merge left apart against later ones', () => {
    assert.deepEqual(chainable([{ id: 'a', changes: [add('a.txt'), del('z.txt')] }, { id: 'b', changes: [add('a.txt')] }]), { chain: ['b'], apart: ['a'] });
  });
});

describe('chainStream', () => {
  const base = 'f'.repeat(40);
  const stream = chainStream({
    from: base,
    ref: 'refs/waves-merge-chain/1-ab',
    author: { name: 'Wave <Orchestrator>', email: 'waves@localhost' },
    committer: { name: 'A\nCommitter', email: '<c@example.invalid>' },
    when: 1_800_000_000.7,
    zone: '+0100',
    merges: [
      { commit: 'a'.repeat(40), message: 'waves: merge a into waves/f/_integration', changes: [add('a/x.txt', 3), add('a/run.sh', 4, '100755')] },
      { commit: 'b'.repeat(40), message: 'waves: merge b — ünïcode', changes: [mod('b "q".txt', 5)] },
    ],
  });

  it('writes one commit per merge (its author and committer without the characters that would end their names), the first on the tip, each with the package commit as its second parent, its changes, and asks for its id', () => {
    assert.equal(
      stream,
      [
        'commit refs/waves-merge-chain/1-ab',
        'mark :1',
        'author Wave Orchestrator <waves@localhost> 1800000000 +0100',
        'committer ACommitter <c@example.invalid> 1800000000 +0100',
        'data 41',
        'waves: merge a into waves/f/_integration\n',
        `from ${base}`,
        `merge ${'a'.repeat(40)}`,
        `M 100644 ${blob(3)} "a/x.txt"`,
        `M 100755 ${blob(4)} "a/run.sh"`,
        '',
        'get-mark :1',
        'commit refs/waves-merge-chain/1-ab',
        'mark :2',
        'author Wave Orchestrator <waves@localhost> 1800000000 +0100',
        'committer ACommitter <c@example.invalid> 1800000000 +0100',
        // Bytes, not characters (25).
        'data 29',
        'waves: merge b — ünïcode\n',
        `merge ${'b'.repeat(40)}`,
        `M 100644 ${blob(5)} "b \\"q\\".txt"`,
        '',
        'get-mark :2',
        'reset refs/waves-merge-chain/1-ab',
        `from ${'0'.repeat(40)}`,
        '',
        'done',
        '',
      ].join('\n'),
    );
  });
});

describe('quotePath', () => {
  it('quotes every path, escaping a quote, a backslash and control characters (a newline, a tab) in octal', () => {
    assert.equal(quotePath('plain/path.txt'), '"plain/path.txt"');
    assert.equal(quotePath('with space/"q"\\b.txt'), '"with space/\\"q\\"\\\\b.txt"');
    assert.equal(quotePath('line\nbreak\tand\x7f'), '"line\\012break\\011and\\177"');
    assert.equal(quotePath('ünï/名前.txt'), '"ünï/名前.txt"');
  });
});

describe('zoneOf', () => {
  it('writes the zone as git does', () => {
    const at = (offset: number) => ({ getTimezoneOffset: () => offset }) as Date;
    assert.equal(zoneOf(at(0)), '+0000');
    assert.equal(zoneOf(at(-60)), '+0100');
    assert.equal(zoneOf(at(330)), '-0530');
    assert.equal(zoneOf(at(-345)), '+0545');
  });
});

describe('chainMatches', () => {
  const merges = [{ changes: [add('a.txt', 1), add('x/b.txt', 2)] }, { changes: [mod('c.txt', 3)] }];
  it('is true exactly when the chain changed every merge’s paths to their blobs and modes, and nothing else', () => {
    assert.equal(chainMatches(merges, [add('a.txt', 1), mod('c.txt', 3), add('x/b.txt', 2)]), true);
    assert.equal(chainMatches(merges, [add('a.txt', 1), add('x/b.txt', 2)]), false, 'one missing');
    assert.equal(chainMatches(merges, [add('a.txt', 1), add('x/b.txt', 2), mod('c.txt', 3), add('extra', 4)]), false, 'one more');
    assert.equal(chainMatches(merges, [add('a.txt', 1), add('x/b.txt', 9), mod('c.txt', 3)]), false, 'another blob');
    assert.equal(chainMatches(merges, [add('a.txt', 1, '100755'), add('x/b.txt', 2), mod('c.txt', 3)]), false, 'another mode');
  });
});
