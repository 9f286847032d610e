/**
 * Tests for git's porcelain parsers (`src/core/git/gitParse.ts`) against outputs recorded from
 * a real git (test/fixtures/git/outputs.json, made by test/fixtures/git/record.mjs), plus
 * hand-written records for the cases the recording does not hold.
 *
 * Run: node --import tsx --test test/core/git/gitParse.test.ts
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import {
  parseLsFilesZ,
  parseMergeTree,
  parseNameStatusZ,
  parseStatusV2Z,
  parseStatusZ,
  parseWorktreeList,
  splitZ,
} from '../../../src/core/git/gitParse.js';

interface Recorded {
  base: string;
  commands: Record<string, { args: string[]; stdout: string }>;
}
const REC = JSON.parse(fs.readFileSync(new URL('../../fixtures/git/outputs.json', import.meta.url), 'utf8')) as Recorded;
const out = (name: string): string => {
  const c = REC.commands[name];
  assert.ok(c, `fixture ${name} is recorded`);
  return c.stdout;
};

describe('parseWorktreeList', () => {
  const expected = [
    { path: '<TMP>/repo', head: REC.base, branch: 'main', detached: false, bare: false, locked: null, prunable: null },
    { path: '<TMP>/repo.worktrees/feat/detached', head: REC.base, branch: null, detached: true, bare: false, locked: null, prunable: null },
    {
      path: '<TMP>/repo.worktrees/feat/pkg a',
      head: REC.base,
      branch: 'waves/feat/pkg-a',
      detached: false,
      bare: false,
      locked: 'waves run r1',
      prunable: null,
    },
  ];
  it('reads the recorded -z output: main, detached, locked with a reason, a path with a space', () => {
    assert.deepEqual(parseWorktreeList(out('worktreeListZ')), expected);
  });
  it('reads the newline form the same way', () => {
    assert.deepEqual(parseWorktreeList(out('worktreeList')), expected);
  });
  it('reads bare, prunable, locked without a reason, an unborn HEAD and ignores unknown fields', () => {
    const text =
      'worktree /r\0bare\0\0' +
      'worktree /w/x\0HEAD 0000000000000000000000000000000000000000\0branch refs/heads/x\0locked\0prunable gitdir file points to non-existent location\0future-field 1\0\0';
    assert.deepEqual(parseWorktreeList(text), [
      { path: '/r', head: null, branch: null, detached: false, bare: true, locked: null, prunable: null },
      { path: '/w/x', head: null, branch: 'x', detached: false, bare: false, locked: '', prunable: 'gitdir file points to non-existent location' },
    ]);
  });
  it('a path holding a newline survives in the -z form', () => {
    const [w] = parseWorktreeList('worktree /a\nb\0HEAD abc\0detached\0\0');
    assert.equal(w!.path, '/a\nb');
  });
  it('empty output → no worktrees; a last record without its blank line is kept', () => {
    assert.deepEqual(parseWorktreeList(''), []);
    assert.equal(parseWorktreeList('worktree /x\nHEAD abc\nbranch refs/heads/m').length, 1);
  });
});

describe('parseNameStatusZ', () => {
  it('reads committed changes with --no-renames: a rename is a deletion plus an addition', () => {
    assert.deepEqual(parseNameStatusZ(out('diffCommitted')), [
      { path: 'keep.txt', change: 'deleted' },
      { path: 'old.txt', change: 'deleted' },
      { path: 'renamed.txt', change: 'added' },
      { path: 'shared.txt', change: 'modified' },
      { path: 'src/new.ts', change: 'added' },
    ]);
  });
  it('reads a rename record (R100, old, new) when renames are on', () => {
    assert.deepEqual(parseNameStatusZ(out('diffRenames'))[1], { path: 'renamed.txt', change: 'renamed', from: 'old.txt' });
  });
  it('reads uncommitted changes, a path with a space included', () => {
    assert.deepEqual(parseNameStatusZ(out('diffUncommitted')), [
      { path: 'dir/sp ace.txt', change: 'deleted' },
      { path: 'nested/deep/u.ts', change: 'added' },
      { path: 'shared.txt', change: 'modified' },
    ]);
  });
  it('copies, type changes, unmerged, unknown letters; a truncated record is dropped', () => {
    assert.deepEqual(parseNameStatusZ('C75\0a\0b\0T\0l\0U\0u\0Z\0z\0M\0'), [
      { path: 'b', change: 'copied', from: 'a' },
      { path: 'l', change: 'type-changed' },
      { path: 'u', change: 'unmerged' },
      { path: 'z', change: 'unknown' },
    ]);
    assert.deepEqual(parseNameStatusZ(''), []);
  });
});

describe('parseStatusZ', () => {
  it('reads the recorded status: unstaged deletion, staged addition, modification, untracked with a newline in the name', () => {
    const entries = parseStatusZ(out('statusZ'));
    assert.deepEqual(
      entries.map((e) => [e.path, e.index + e.worktree]),
      [
        ['dir/sp ace.txt', ' D'],
        ['nested/deep/u.ts', 'A '],
        ['shared.txt', ' M'],
        ['line\nbreak.txt', '??'],
        ['untracked file.txt', '??'],
      ],
    );
    assert.equal(entries[3]!.index, '?');
  });
  it('a clean tree has no entries', () => {
    assert.deepEqual(parseStatusZ(out('statusClean')), []);
  });
  it('a staged rename carries its original path as the next field and does not shift later records', () => {
    const e = parseStatusZ('R  new name.ts\0old name.ts\0 M after.ts\0');
    assert.deepEqual(e, [
      { path: 'new name.ts', index: 'R', worktree: ' ', from: 'old name.ts' },
      { path: 'after.ts', index: ' ', worktree: 'M' },
    ]);
  });
});

describe('parseLsFilesZ / splitZ', () => {
  it('reads the recorded untracked list', () => {
    assert.deepEqual(parseLsFilesZ(out('lsFilesOthers')), ['line\nbreak.txt', 'untracked file.txt']);
  });
  it('property: splitZ inverts joining NUL-terminated records', () => {
    const rec = fc.string({ minLength: 1 }).filter((s) => !s.includes('\0'));
    fc.assert(
      fc.property(fc.array(rec), fc.boolean(), (xs, lastTerminated) => {
        const joined = xs.map((x) => x + '\0').join('');
        const text = lastTerminated || joined === '' ? joined : joined.slice(0, -1);
        assert.deepEqual(splitZ(text), xs);
      }),
    );
  });
});

describe('parseMergeTree', () => {
  it('a recorded conflict (-z, --no-messages): tree id and the conflicted file', () => {
    const r = parseMergeTree(out('mergeTreeConflict'));
    assert.match(r.tree, /^[0-9a-f]{40}$/);
    assert.deepEqual(r.conflicts, ['shared.txt']);
  });
  it('a recorded clean merge: tree only', () => {
    const r = parseMergeTree(out('mergeTreeClean'));
    assert.match(r.tree, /^[0-9a-f]{40}$/);
    assert.deepEqual(r.conflicts, []);
  });
  it('the text form with messages', () => {
    const r = parseMergeTree(out('mergeTreeConflictText'));
    assert.deepEqual(r.conflicts, ['shared.txt']);
    assert.ok(r.messages.some((m) => m.startsWith('CONFLICT (content)')));
  });
  it('-z with messages: stops at the messages section; a path listed per stage appears once', () => {
    const r = parseMergeTree('abc\0a.txt\0a.txt\0b c.txt\0\x001\0a.txt\0Auto-merging\0Auto-merging a.txt\n\0');
    assert.deepEqual(r.conflicts, ['a.txt', 'b c.txt']);
  });
});

describe('parseStatusV2Z (one process for the checkout fingerprint)', () => {
  const run = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  const both = (cwd: string) => {
    const v1 = parseStatusZ(run(cwd, 'status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames'));
    const v2 = parseStatusV2Z(run(cwd, 'status', '--porcelain=v2', '--branch', '-z', '--untracked-files=all', '--no-renames'));
    return { v1: sorted(v1), v2: { ...v2, entries: sorted(v2.entries) } };
  };
  // v2 lists unmerged entries after the others; the fingerprint is a map, so order is not kept.
  const sorted = <T extends { path: string; index: string }>(list: T[]): T[] => [...list].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.index < b.index ? -1 : 1));
  const repo = (): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-v2-'));
    run(dir, 'init', '-q', '-b', 'main');
    run(dir, 'config', 'user.name', 't');
    run(dir, 'config', 'user.email', 't@x');
    return dir;
  };

  it('gives what v1, symbolic-ref and rev-parse give, on a real repository in every state a checkout can be in', () => {
    const dir = repo();
    try {
      // Before the first commit: no HEAD commit, on main.
      fs.writeFileSync(path.join(dir, 'first.txt'), '1\n');
      let { v1, v2 } = both(dir);
      assert.deepEqual(v2.entries, v1);
      assert.equal(v2.head, null);
      assert.equal(v2.branch, 'main');
      run(dir, 'add', '-A');
      run(dir, 'commit', '-q', '-m', 'one');
      for (const [f, t] of [['mod.txt', 'a\n'], ['del.txt', 'd\n'], ['staged del.txt', 'e\n'], ['conflict.txt', 'base\n'], ['ren.txt', 'r\n']]) fs.writeFileSync(path.join(dir, f!), t!);
      run(dir, 'add', '-A');
      run(dir, 'commit', '-q', '-m', 'two');
      run(dir, 'checkout', '-q', '-b', 'other');
      fs.writeFileSync(path.join(dir, 'conflict.txt'), 'other\n');
      run(dir, 'commit', '-q', '-am', 'other');
      run(dir, 'checkout', '-q', 'main');
      fs.writeFileSync(path.join(dir, 'conflict.txt'), 'main\n');
      run(dir, 'commit', '-q', '-am', 'main');
      try {
        run(dir, 'merge', '-q', 'other');
      } catch {
        // the conflict is the point
      }
      fs.writeFileSync(path.join(dir, 'mod.txt'), 'changed\n');
      fs.rmSync(path.join(dir, 'del.txt'));
      run(dir, 'rm', '-q', 'staged del.txt');
      run(dir, 'mv', 'ren.txt', 'renamed.txt');
      fs.writeFileSync(path.join(dir, 'new file with spaces.txt'), 'n\n');
      fs.writeFileSync(path.join(dir, 'line\nbreak.txt'), 'n\n');
      fs.writeFileSync(path.join(dir, 'ünï.txt'), 'u\n');
      fs.mkdirSync(path.join(dir, 'nested'));
      run(path.join(dir, 'nested'), 'init', '-q');
      fs.writeFileSync(path.join(dir, 'nested', 'x'), 'x\n');
      ({ v1, v2 } = both(dir));
      assert.ok(v1.length >= 8, `a busy status (${v1.length} entries)`);
      assert.deepEqual(v2.entries, v1);
      assert.equal(v2.head, run(dir, 'rev-parse', 'HEAD').trim());
      assert.equal(v2.branch, 'main');
      // With renames on, v2's rename record carries its original path like v1's.
      const r1 = parseStatusZ(run(dir, 'status', '--porcelain=v1', '-z'));
      const r2 = parseStatusV2Z(run(dir, 'status', '--porcelain=v2', '-z'));
      assert.deepEqual(sorted(r2.entries), sorted(r1));
      assert.ok(r1.some((e) => e.from === 'ren.txt'));
      run(dir, 'merge', '--abort');
      run(dir, 'checkout', '-q', '--detach');
      ({ v1, v2 } = both(dir));
      assert.equal(v2.branch, null);
      assert.equal(v2.head, run(dir, 'rev-parse', 'HEAD').trim());
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('skips what is not a record and keeps a path with spaces whole', () => {
    const rec = [
      `# branch.oid ${'a'.repeat(40)}`,
      '# branch.head feature/x y',
      'garbage',
      '1 .M',
      '? un tracked',
      `1 .M N... 100644 100644 100644 ${'b'.repeat(40)} ${'b'.repeat(40)} a b c.txt`,
      '',
    ].join('\0');
    const s = parseStatusV2Z(rec);
    assert.equal(s.head, 'a'.repeat(40));
    assert.equal(s.branch, 'feature/x y');
    assert.deepEqual(s.entries, [
      { path: 'un tracked', index: '?', worktree: '?' },
      { path: 'a b c.txt', index: ' ', worktree: 'M' },
    ]);
  });
});
