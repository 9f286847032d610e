/**
 * git's lock files left by a git that no longer runs (`src/engine/git/staleLocks.ts`), on real
 * repositories with real git processes: the engine's own stale lock is removed and the call made
 * again (and said); a lock while a git works in the tree, a lock younger than this process, the
 * person's own index lock and a lock that is a link are never touched.
 *
 * Run: node --import tsx --test test/engine/git/staleLocks.test.ts
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createWorktree } from '../../../src/engine/git/worktrees.js';
import { git as engineGit, GitError } from '../../../src/engine/git/gitRun.js';
import { clearStaleLock, liveGitIn, lockFailedOn, onStaleLockCleared } from '../../../src/engine/git/staleLocks.js';
import { isolateGit } from '../engineFixtures.js';
import { git, makeRepo } from '../helpers.js';

const privateDir = (tree: string) => git(tree, 'rev-parse', '--absolute-git-dir').trim();
const anHourAgo = () => new Date(Date.now() - 3_600_000);

/** A lock file at `file` as a killed git leaves it: empty, written an hour ago. */
function staleLock(file: string): void {
  fs.writeFileSync(file, '');
  fs.utimesSync(file, anHourAgo(), anHourAgo());
}

describe("git's stale locks", () => {
  let repo: string;
  let n = 0;
  const newTree = async () => {
    const name = `p${++n}`;
    const tree = path.join(`${repo}.worktrees`, 'feat', name);
    await createWorktree({ repo, path: tree, branch: `waves/feat/${name}`, base: 'main', reason: 'waves run' });
    fs.writeFileSync(path.join(tree, `${name}.txt`), 'work\n');
    return { tree, name };
  };
  before(() => {
    isolateGit();
    repo = makeRepo();
  });

  it('reads the lock git failed on from its words', () => {
    assert.equal(lockFailedOn("fatal: Unable to create '/r/.git/worktrees/a/index.lock': File exists.\n\nAnother git process seems"), '/r/.git/worktrees/a/index.lock');
    assert.equal(lockFailedOn('fatal: not a git repository'), null);
  });

  it("removes a package tree's stale index lock, makes the call again and says so", async () => {
    const { tree } = await newTree();
    const lock = path.join(privateDir(tree), 'index.lock');
    staleLock(lock);
    const told: string[] = [];
    const stop = onStaleLockCleared((l) => told.push(l));
    try {
      await engineGit(tree, ['add', '-A']);
    } finally {
      stop();
    }
    assert.equal(fs.existsSync(lock), false);
    assert.deepEqual(told, [fs.realpathSync(path.dirname(lock)) + path.sep + 'index.lock']);
    assert.match(git(tree, 'status', '--porcelain'), /^A {2}p\d+\.txt$/m);
  });

  it("removes a stale lock of a waves/ branch's ref", async () => {
    const { name } = await newTree();
    const lock = path.join(repo, '.git', 'refs', 'heads', 'waves', 'feat', `${name}.lock`);
    staleLock(lock);
    const main = git(repo, 'rev-parse', 'main').trim();
    await engineGit(repo, ['update-ref', `refs/heads/waves/feat/${name}`, main]);
    assert.equal(fs.existsSync(lock), false);
  });

  it('leaves a lock while a git process works in the tree, and fails as git does', async () => {
    const { tree } = await newTree();
    // A process named git working in the tree (a copy of sleep: git's own long writes end too soon to be caught).
    const bin = path.join(path.dirname(repo), 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.copyFileSync('/bin/sleep', path.join(bin, 'git'));
    fs.chmodSync(path.join(bin, 'git'), 0o755);
    const working = spawn(path.join(bin, 'git'), ['30'], { cwd: tree, stdio: 'ignore' });
    const lock = path.join(privateDir(tree), 'index.lock');
    staleLock(lock);
    try {
      assert.equal(liveGitIn([tree]), working.pid);
      await assert.rejects(engineGit(tree, ['add', '-A']), (e: unknown) => e instanceof GitError && /Another git process/.test(e.message));
      assert.equal(fs.existsSync(lock), true);
    } finally {
      const ended = new Promise((r) => working.once('exit', r));
      working.kill('SIGKILL');
      await ended;
    }
    // Once it has ended, the lock is stale: removed and the call made.
    await engineGit(tree, ['add', '-A']);
    assert.equal(fs.existsSync(lock), false);
  });

  it('leaves a lock younger than this process: one of its own gits may hold it', async () => {
    const { tree } = await newTree();
    const lock = path.join(privateDir(tree), 'index.lock');
    fs.writeFileSync(lock, '');
    await assert.rejects(engineGit(tree, ['add', '-A']), GitError);
    assert.equal(fs.existsSync(lock), true);
    fs.rmSync(lock);
  });

  it("never touches the person's own index lock, nor a lock that is a link", async () => {
    const own = path.join(repo, '.git', 'index.lock');
    staleLock(own);
    fs.writeFileSync(path.join(repo, 'mine.txt'), 'mine\n');
    await assert.rejects(engineGit(repo, ['add', 'mine.txt']), GitError);
    assert.equal(fs.existsSync(own), true);
    assert.equal(clearStaleLock(path.join(repo, '.git'), own), false);
    fs.rmSync(own);

    const { tree } = await newTree();
    const target = path.join(repo, 'kept.txt');
    fs.writeFileSync(target, 'kept\n');
    const lock = path.join(privateDir(tree), 'index.lock');
    fs.symlinkSync(target, lock);
    await assert.rejects(engineGit(tree, ['add', '-A']), GitError);
    assert.equal(fs.lstatSync(lock).isSymbolicLink(), true);
    assert.equal(fs.readFileSync(target, 'utf8'), 'kept\n');
    fs.rmSync(lock);
  });
});
