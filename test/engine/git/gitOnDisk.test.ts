/**
 * `src/engine/git/gitOnDisk.ts` (git's answers read from its files) held to git itself on REAL
 * repositories, state by state: whatever the files hold, a reader either says what
 * `git rev-parse` says or says nothing (null: the engine asks git). And the two answers the
 * engine keeps by content (a tree pair's diff, a config file's risky entries) stay right when the
 * files change under them, however they change.
 *
 * Run: node --import tsx --test test/engine/git/gitOnDisk.test.ts
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { branchTip, commitTreeOnDisk, headOnDisk, indexHoldsPathUnder, onDiskAllowed, repoDirs, revOnDisk, treeHasEntry, treeOnDisk } from '../../../src/engine/git/gitOnDisk.js';
import { commitAll } from '../../../src/engine/git/commits.js';
import { headCommit, revParse } from '../../../src/engine/git/gitRun.js';
import { inspectTree, treeChanges } from '../../../src/engine/git/treeDiff.js';
import { snapshotGitSetup } from '../../../src/engine/git/gitSafety.js';
import { git, gitEnv, makeRepo, writeFiles } from '../helpers.js';

const REVS = ['HEAD', 'HEAD^{commit}', 'HEAD^{tree}', 'refs/heads/main', 'refs/heads/main^{commit}', 'refs/heads/main^{tree}', 'refs/heads/side', 'refs/heads/side^{commit}', 'refs/heads/gone'];

/** What git says of `rev` in `cwd` (null: it names nothing). */
function gitSays(cwd: string, rev: string): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--verify', '--quiet', '--end-of-options', rev], { cwd, env: gitEnv(cwd), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** Every reader's answer in `cwd` is git's or none; returns how many answered. */
function heldToGit(cwd: string, state: string): number {
  let answered = 0;
  for (const rev of REVS) {
    const disk = revOnDisk(cwd, rev);
    if (disk === null) continue;
    answered++;
    assert.equal(disk, gitSays(cwd, rev), `${state}: ${rev}`);
  }
  return answered;
}

/** A repository with `main`, a branch `side` one commit ahead, and a linked worktree on `side`. */
function repoWithTree(): { repo: string; tree: string } {
  const repo = makeRepo({ 'README.md': 'r\n' });
  const tree = `${repo}.worktrees/side`;
  git(repo, 'worktree', 'add', '-q', '-b', 'side', tree);
  writeFiles(tree, { 'a.txt': 'a\n' });
  git(tree, 'add', '-A');
  git(tree, 'commit', '-q', '-m', 'side');
  return { repo, tree };
}

describe("git's answers from its files", () => {
  it("a full object id, peeled or not: git's answer while its object is loose, else none", () => {
    const { repo, tree } = repoWithTree();
    const commit = gitSays(tree, 'HEAD')!;
    const treeId = gitSays(tree, 'HEAD^{tree}')!;
    const revs = [commit, `${commit}^{commit}`, `${commit}^{tree}`, treeId, `${treeId}^{tree}`, `${treeId}^{commit}`, '0'.repeat(40), `${'0'.repeat(40)}^{commit}`];
    let answered = 0;
    for (const rev of revs) {
      const disk = revOnDisk(repo, rev);
      if (disk === null) continue;
      answered++;
      assert.equal(disk, gitSays(repo, rev), rev);
    }
    assert.ok(answered >= 4, 'the loose commit and tree, peeled and not');
    assert.equal(revOnDisk(repo, `${'0'.repeat(40)}^{commit}`), null, 'no such object');
    git(repo, 'gc', '-q');
    assert.equal(revOnDisk(repo, `${commit}^{commit}`), null, 'packed: git is asked');
  });

  it('say what git says in every state, or nothing; the plain states are answered', () => {
    const { repo, tree } = repoWithTree();
    fs.mkdirSync(path.join(tree, 'sub'));
    for (const cwd of [repo, tree, path.join(tree, 'sub')]) {
      // A work tree's folder and its subfolders alike; loose refs and objects: all answered.
      assert.equal(heldToGit(cwd, `loose: ${cwd}`), REVS.length - 1, cwd);
    }
    heldToGit(path.join(repo, '.git'), 'in the git folder');
    git(repo, 'pack-refs', '--all');
    assert.equal(heldToGit(tree, 'packed refs'), REVS.length - 1, 'packed-refs are read');
    git(tree, 'checkout', '-q', '--detach');
    heldToGit(tree, 'detached');
    assert.equal(headOnDisk(tree)?.ref, null);
    git(tree, 'checkout', '-q', 'side');
    // A branch that is a symbolic ref: git is asked.
    git(repo, 'symbolic-ref', 'refs/heads/alias', 'refs/heads/main');
    assert.equal(branchTip(path.join(repo, '.git'), 'refs/heads/alias'), null);
    git(tree, 'checkout', '-q', 'alias');
    heldToGit(tree, 'on a symbolic ref');
    assert.equal(revOnDisk(tree, 'HEAD'), null);
    git(tree, 'checkout', '-q', 'side');
    // Objects packed away: the commit's type and tree cannot be told from a loose object; its id still can.
    git(repo, 'gc', '-q', '--prune=now');
    heldToGit(tree, 'packed objects');
    assert.equal(revOnDisk(tree, 'HEAD^{commit}'), null);
    assert.equal(revOnDisk(tree, 'HEAD'), gitSays(tree, 'HEAD'));
  });

  it('say nothing where the files are not plain: a linked HEAD, an odd ref, a reftable, git pointed elsewhere', () => {
    const { repo, tree } = repoWithTree();
    const common = path.join(repo, '.git');
    const treeGitDir = path.join(common, 'worktrees', 'side');
    // HEAD a symbolic link (git's old style): its target's bytes would look like a detached HEAD.
    fs.renameSync(path.join(treeGitDir, 'HEAD'), path.join(treeGitDir, 'HEAD.real'));
    fs.symlinkSync(path.join(common, 'refs', 'heads', 'side'), path.join(treeGitDir, 'HEAD'));
    assert.equal(headOnDisk(tree), null);
    heldToGit(tree, 'linked HEAD');
    fs.rmSync(path.join(treeGitDir, 'HEAD'));
    fs.renameSync(path.join(treeGitDir, 'HEAD.real'), path.join(treeGitDir, 'HEAD'));
    // A loose ref with bytes git would not write; names that could leave refs/heads/.
    fs.writeFileSync(path.join(common, 'refs', 'heads', 'odd'), 'not an id\n');
    assert.equal(branchTip(common, 'refs/heads/odd'), null);
    for (const name of ['refs/heads/../config', 'refs/heads/x.lock', 'refs/heads/.hidden', 'refs/tags/v1', 'refs/heads/a//b', 'refs/heads/']) {
      assert.equal(branchTip(common, name), null, name);
    }
    // A reftable repository keeps refs in binary tables.
    fs.mkdirSync(path.join(common, 'reftable'));
    assert.equal(revOnDisk(tree, 'HEAD'), null);
    fs.rmdirSync(path.join(common, 'reftable'));
    assert.ok(revOnDisk(tree, 'HEAD'));
    // Variables that send git to another repository, and the switch.
    for (const name of ['GIT_DIR', 'GIT_COMMON_DIR', 'GIT_OBJECT_DIRECTORY', 'WAVES_GIT_ON_DISK']) {
      assert.equal(onDiskAllowed({ [name]: name === 'WAVES_GIT_ON_DISK' ? '0' : '/elsewhere' }), false, name);
    }
    assert.equal(onDiskAllowed({}), true);
    // Other revisions are git's to parse.
    for (const rev of ['main', 'HEAD~1', 'HEAD^{blob}', 'side@{1}']) assert.equal(revOnDisk(tree, rev), null, rev);
  });

  it("objects: a commit's tree and a tree's id from loose objects, as git says", () => {
    const { repo, tree } = repoWithTree();
    const common = path.join(repo, '.git');
    const commit = gitSays(tree, 'HEAD')!;
    const treeId = gitSays(tree, 'HEAD^{tree}')!;
    assert.equal(commitTreeOnDisk(common, commit), treeId);
    assert.equal(treeOnDisk(common, commit), treeId);
    assert.equal(treeOnDisk(common, treeId), treeId);
    const blob = git(tree, 'rev-parse', 'HEAD:a.txt').trim();
    assert.equal(treeOnDisk(common, blob), null, 'a blob names no tree');
    assert.equal(commitTreeOnDisk(common, treeId), null, 'a tree is not a commit');
    assert.equal(treeOnDisk(common, '0'.repeat(40)), null, 'no such object');
    // A commit with a long message: the tree line is at its start, whatever follows.
    writeFiles(tree, { 'b.txt': 'b\n' });
    git(tree, 'add', '-A');
    git(tree, 'commit', '-q', '-m', `long\n\n${'x'.repeat(20000)}`);
    assert.equal(commitTreeOnDisk(common, gitSays(tree, 'HEAD')!), gitSays(tree, 'HEAD^{tree}'));
  });

  it('the engine asks git when the files do not say: revParse and headCommit give git answers in every state', async () => {
    const { repo, tree } = repoWithTree();
    git(repo, 'gc', '-q', '--prune=now');
    assert.equal(await revParse(tree, 'HEAD'), gitSays(tree, 'HEAD^{commit}'));
    assert.equal(await headCommit(tree), gitSays(tree, 'HEAD'));
    assert.equal(await revParse(tree, 'refs/heads/gone'), null);
    // An unborn HEAD: no answer from the files, and git's (none).
    const empty = path.join(path.dirname(repo), 'empty');
    fs.mkdirSync(empty);
    git(empty, 'init', '-q', '-b', 'main');
    assert.equal(revOnDisk(empty, 'HEAD'), null);
    assert.equal(await revParse(empty, 'HEAD'), null);
    await assert.rejects(headCommit(empty));
  });

  it('a tree left mid-merge or mid-cherry-pick is seen from its marker files', async () => {
    const { repo, tree } = repoWithTree();
    writeFiles(repo, { 'a.txt': 'main\n' });
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'main a');
    assert.throws(() => git(tree, 'merge', '-q', 'main'));
    const merging = await inspectTree(tree, 'side');
    assert.deepEqual([merging.onBranch, merging.where], [false, 'in the middle of a merge']);
    git(tree, 'merge', '--abort');
    assert.equal((await inspectTree(tree, 'side')).onBranch, true);
    assert.throws(() => git(tree, 'cherry-pick', 'main'));
    assert.equal((await inspectTree(tree, 'side')).where, 'in the middle of a cherry-pick');
    git(tree, 'cherry-pick', '--abort');
    const back = await inspectTree(tree, 'side');
    assert.deepEqual([back.onBranch, back.head, back.tip], [true, gitSays(tree, 'HEAD'), gitSays(tree, 'refs/heads/side')]);
    assert.equal((await inspectTree(tree, 'main')).where, 'on side');
  });

  it("a tree pair's changes are kept by the trees' ids: the same as git's for commits and trees, never another pair's", async () => {
    const { repo, tree } = repoWithTree();
    const base = gitSays(repo, 'main')!;
    const tip = gitSays(tree, 'HEAD')!;
    const first = await treeChanges(tree, base, tip);
    assert.deepEqual(first.map((c) => [c.path, c.change]), [['a.txt', 'A']]);
    // The same pair named by the commit's tree (the merge's question), in another work tree.
    assert.deepEqual(await treeChanges(repo, base, gitSays(tree, 'HEAD^{tree}')!), first);
    // Another pair: its own answer.
    writeFiles(tree, { 'a.txt': 'changed\n', 'c.txt': 'c\n' });
    git(tree, 'add', '-A');
    git(tree, 'commit', '-q', '-m', 'more');
    const second = await treeChanges(tree, tip, gitSays(tree, 'HEAD')!);
    assert.deepEqual(second.map((c) => [c.path, c.change]), [['a.txt', 'M'], ['c.txt', 'A']]);
    // Whether an added path is ignored is asked of the work tree each time (its rules may differ).
    writeFiles(repo, { '.gitignore': 'c.txt\n' });
    assert.deepEqual((await treeChanges(repo, tip, gitSays(tree, 'HEAD')!)).find((c) => c.path === 'c.txt'), { path: 'c.txt', change: 'A', ignored: true });
    assert.deepEqual((await treeChanges(tree, tip, gitSays(tree, 'HEAD')!)).find((c) => c.path === 'c.txt'), { path: 'c.txt', change: 'A' });
  });

  it("the set-up's config is fingerprinted by its bytes: a planted entry is seen even with the file's size and times put back", async () => {
    const repo = makeRepo();
    const config = path.join(repo, '.git', 'config');
    const plain = fs.readFileSync(config, 'utf8');
    const before = await snapshotGitSetup(repo);
    assert.deepEqual(await snapshotGitSetup(repo), before, 'the same bytes: the same fingerprint');
    // A risky entry in place of a harmless one of the same length, size and times restored.
    const harmless = `${plain}[x]\n\tk = 0123456789abcdef\n`;
    fs.writeFileSync(config, harmless);
    const st = fs.statSync(config);
    const withHarmless = await snapshotGitSetup(repo);
    assert.deepEqual(withHarmless, before, 'an entry that runs nothing is not part of the fingerprint');
    const planted = `${plain}[filter "f"]\n\tclean = x\n`.padEnd(harmless.length, '#');
    assert.equal(planted.length, harmless.length);
    fs.writeFileSync(config, planted);
    fs.utimesSync(config, st.atime, st.mtime);
    const withFilter = await snapshotGitSetup(repo);
    assert.notDeepEqual(withFilter, before, 'the planted filter is seen');
    fs.writeFileSync(config, plain);
    assert.deepEqual(await snapshotGitSetup(repo), before, 'put back: as before');
    // A file git cannot read as config is asked again each time, and a later fix is seen.
    fs.writeFileSync(config, `${plain}[broken\n`);
    await snapshotGitSetup(repo);
    fs.writeFileSync(config, `${plain}[filter "g"]\n\tsmudge = y\n`);
    assert.notDeepEqual(await snapshotGitSetup(repo), before);
  });

  it("the index's paths under a folder, as `git ls-files` says, in every index version; a split index is git's to read", () => {
    const { tree } = repoWithTree();
    const dirs = repoDirs(tree)!;
    const lsFiles = (top: string) => git(tree, 'ls-files', '--', top).trim() !== '';
    const check = (state: string) => {
      for (const top of ['.waves', 'a.txt', 'README.md', 'sub', '.wave']) {
        const disk = indexHoldsPathUnder(dirs, top);
        assert.notEqual(disk, null, `${state}: ${top} answered`);
        assert.equal(disk, lsFiles(top), `${state}: ${top}`);
      }
    };
    check('v2, nothing under .waves');
    // Long names (past one padding block), a name sorting beside `.waves`, an intent-to-add entry (v3's extended flags).
    writeFiles(tree, { [`sub/${'n/'.repeat(60)}${'n'.repeat(200)}.txt`]: 'x\n', '.wavesx/y': 'y\n', '.waves/staged.json': '{}', 'later.txt': 'l\n' });
    git(tree, 'add', '-A');
    git(tree, 'add', '-f', '.waves/staged.json');
    check('v2, a staged .waves file');
    git(tree, 'rm', '-q', '--cached', '.waves/staged.json');
    writeFiles(tree, { 'ita.txt': 'i\n' });
    git(tree, 'add', '-N', 'ita.txt');
    assert.equal(fs.readFileSync(path.join(dirs.gitDir, 'index')).readUInt32BE(4), 3, 'an extended entry makes a version 3 index');
    check('v3');
    for (const v of ['4', '2']) {
      git(tree, 'update-index', '--index-version', v);
      if (v === '2') git(tree, 'rm', '-q', '--cached', 'ita.txt');
      check(`v${v}`);
      git(tree, 'add', '-f', '.waves/staged.json');
      check(`v${v}, a staged .waves file`);
      git(tree, 'rm', '-q', '--cached', '.waves/staged.json');
    }
    git(tree, 'update-index', '--split-index');
    assert.equal(indexHoldsPathUnder(dirs, '.waves'), null, 'a split index');
    git(tree, 'update-index', '--no-split-index');
    fs.writeFileSync(path.join(dirs.gitDir, 'index'), 'DIRC garbage');
    assert.equal(indexHoldsPathUnder(dirs, '.waves'), null, 'a file git would not read');
    fs.rmSync(path.join(dirs.gitDir, 'index'));
    assert.equal(indexHoldsPathUnder(dirs, '.waves'), null, 'no index');
  });

  it("a loose tree's entries, as `git ls-tree` says; a packed tree is git's to read", () => {
    const repo = makeRepo({ 'README.md': 'r\n', '.waves/keep.txt': 'k\n', 'src/a.ts': 'a\n' });
    const common = path.join(repo, '.git');
    const root = gitSays(repo, 'HEAD^{tree}')!;
    for (const name of ['.waves', 'README.md', 'src', '.wave', 'a.ts']) {
      assert.equal(treeHasEntry(common, root, name), git(repo, 'ls-tree', '--name-only', 'HEAD', '--', name).trim() !== '', name);
    }
    assert.equal(treeHasEntry(common, gitSays(repo, 'HEAD')!, '.waves'), null, 'a commit is not a tree');
    git(repo, 'gc', '-q', '--prune=now');
    assert.equal(treeHasEntry(common, root, '.waves'), null, 'packed');
  });

  it('leftovers committed without `.waves/`: staged there by an agent, tracked by the repository, or neither', async () => {
    for (const [name, files, act] of [
      ['untracked', {}, (t: string) => writeFiles(t, { '.waves/runs/f.json': '{}' })],
      ['staged by the agent', {}, (t: string) => (writeFiles(t, { '.waves/approvals.json': '{"planted":true}' }), git(t, 'add', '-f', '.waves/approvals.json'))],
      ['tracked and changed', { '.waves/keep.txt': 'k\n' }, (t: string) => writeFiles(t, { '.waves/keep.txt': 'changed\n' })],
      ['tracked and removed from the index', { '.waves/keep.txt': 'k\n' }, (t: string) => git(t, 'rm', '-q', '--cached', '.waves/keep.txt')],
    ] as const) {
      const repo = makeRepo({ 'README.md': 'r\n', ...files });
      const tree = `${repo}.worktrees/a`;
      git(repo, 'worktree', 'add', '-q', '-b', 'a', tree);
      writeFiles(tree, { 'a/ok.txt': 'ok\n' });
      act(tree);
      const commit = await commitAll(tree, 'leftovers');
      assert.ok(commit, name);
      const changed = git(tree, 'diff', '--name-only', 'HEAD~1', 'HEAD').trim();
      assert.equal(changed, 'a/ok.txt', `${name}: only the agent's file is committed`);
      assert.equal(gitSays(tree, 'refs/heads/a'), commit, `${name}: the branch is at the commit`);
    }
  });
});
