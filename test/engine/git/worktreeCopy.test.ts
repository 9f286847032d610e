/**
 * The copy list (src/engine/git/worktreeCopy.ts; `waves.worktrees.copy`, `--copy`) on REAL git
 * repositories and worktrees: what git ignores is copied into a new tree as the tree's own file
 * (no inode shared: a write there leaves the person's file byte for byte), nothing is written
 * over what the tree has, nothing outside the checkout is read (absolute, `..`, a link leading
 * out) or written (a link in the tree's path), and what git would carry is left out. Through
 * `LocalExecutor`: copied once per tree — a new tree, a tree made ahead — and said in setup.log.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { copiedInto, copyIntoTree, copyListIntoTree, copyLogText } from '../../../src/engine/git';
import { LocalExecutor } from '../../../src/engine/attempt/localExecutor';
import { worktreePath } from '../../../src/core/run/runPaths';
import { isolateGit } from '../engineFixtures';
import { git, makeRepo, waitFor, writeFiles } from '../helpers';

before(isolateGit);

const IGNORE = ['.env', '.env.*', 'local/', 'node_modules/', 'config/*.local.json', 'secrets.txt', '*.local', 'escape', 'empty-link'].join('\n') + '\n';

/** A repository with ignored files beside its tracked ones (the person's checkout), and a worktree of it. */
function checkoutAndTree(branch = 'main'): { checkout: string; tree: string; outside: string } {
  const checkout = makeRepo({ 'README.md': '# r\n', '.gitignore': IGNORE, 'config/app.json': '{}\n', 'tracked.txt': 'from git\n' });
  const outside = path.join(path.dirname(checkout), 'outside');
  writeFiles(outside, { 'secret.txt': 'not the repository\'s\n' });
  writeFiles(checkout, {
    '.env': 'TOKEN=person\n',
    '.env.test': 'TOKEN=test\n',
    'local/settings/a.json': '{"a":1}\n',
    'config/dev.local.json': '{"dev":true}\n',
    'config/other.json': 'not ignored\n',
    'notignored.txt': 'untracked, not ignored\n',
  });
  fs.chmodSync(path.join(checkout, '.env'), 0o600);
  fs.symlinkSync('settings/a.json', path.join(checkout, 'local', 'link-in'));
  fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(checkout, 'local', 'link-out'));
  fs.symlinkSync('../outside/secret.txt', path.join(checkout, 'escape'));
  const tree = path.join(path.dirname(checkout), 'tree');
  git(checkout, 'worktree', 'add', '-q', '-b', 'pkg', tree, branch);
  return { checkout, tree, outside };
}

const read = (p: string) => fs.readFileSync(p, 'utf8');
const why = (copy: { skipped: { path: string; why: string }[] }, p: string) => copy.skipped.find((s) => s.path === p)?.why;

describe('copyListIntoTree: what git ignores, copied into a new tree', () => {
  test('files, a * within one folder level and a folder are copied; a link inside the folder is made again when it stays inside it', async () => {
    const { checkout, tree } = checkoutAndTree();
    const copy = await copyListIntoTree(checkout, tree, ['.env', '.env.*', 'local', 'config/*.local.json']);
    assert.deepEqual(copy.copied, ['.env', '.env.test', 'local/link-in', 'local/settings/a.json', 'config/dev.local.json']);
    assert.deepEqual(copy.skipped, [{ path: 'local/link-out', why: 'a link that leads out of the copied folder: not made again' }]);
    assert.equal(read(path.join(tree, '.env')), 'TOKEN=person\n');
    assert.equal(fs.statSync(path.join(tree, '.env')).mode & 0o777, 0o600, 'its mode kept');
    assert.equal(read(path.join(tree, 'local', 'settings', 'a.json')), '{"a":1}\n');
    assert.equal(fs.readlinkSync(path.join(tree, 'local', 'link-in')), 'settings/a.json', 'relative: it points at the tree\'s own copy');
    assert.equal(fs.realpathSync(path.join(tree, 'local', 'link-in')), fs.realpathSync(path.join(tree, 'local', 'settings', 'a.json')));
    assert.equal(fs.existsSync(path.join(tree, 'local', 'link-out')), false);
    // Ignored: git sees nothing new in the tree (a tree made ahead stays "as made").
    assert.equal(git(tree, 'status', '--porcelain', '--untracked-files=all'), '');
  });

  test('a private copy: no inode shared, and writes in the tree (in place, by rename, a delete) leave the checkout byte for byte', async () => {
    const { checkout, tree } = checkoutAndTree();
    const before = { env: fs.readFileSync(path.join(checkout, '.env')), a: fs.readFileSync(path.join(checkout, 'local', 'settings', 'a.json')) };
    await copyListIntoTree(checkout, tree, ['.env', 'local']);
    for (const rel of ['.env', 'local/settings/a.json']) {
      const mine = fs.statSync(path.join(checkout, rel));
      const theirs = fs.statSync(path.join(tree, rel));
      assert.notEqual(theirs.ino, mine.ino, `${rel}: an inode of its own`);
      assert.equal(mine.nlink, 1, `${rel}: no hard link made to the person's file`);
    }
    fs.writeFileSync(path.join(tree, '.env'), 'TOKEN=agent\n'); // in place: the same inode as the tree's copy
    fs.appendFileSync(path.join(tree, 'local', 'settings', 'a.json'), 'more');
    fs.writeFileSync(path.join(tree, 'local', 'settings', 'new.json'), '{}');
    fs.renameSync(path.join(tree, 'local', 'settings', 'new.json'), path.join(tree, 'local', 'settings', 'a.json'));
    fs.rmSync(path.join(tree, 'local'), { recursive: true });
    assert.deepEqual(fs.readFileSync(path.join(checkout, '.env')), before.env);
    assert.deepEqual(fs.readFileSync(path.join(checkout, 'local', 'settings', 'a.json')), before.a);
    assert.equal(fs.readlinkSync(path.join(checkout, 'local', 'link-in')), 'settings/a.json');
  });

  test('never over a file the tree has: git\'s (even one it ignores) or the agent\'s; a folder is merged, nothing in it replaced', async () => {
    const { checkout, tree } = checkoutAndTree();
    // secrets.txt: ignored yet committed (added with --force): git's file in the tree.
    fs.writeFileSync(path.join(checkout, 'secrets.txt'), 'committed\n');
    git(checkout, 'add', '--force', 'secrets.txt');
    git(checkout, 'commit', '-q', '-m', 'secrets');
    git(tree, 'merge', '-q', '--ff-only', 'main');
    fs.writeFileSync(path.join(checkout, 'secrets.txt'), 'the person\'s edit\n');
    fs.writeFileSync(path.join(tree, '.env'), 'TOKEN=agent\n');
    writeFiles(tree, { 'local/settings/a.json': 'the agent\'s\n' });
    const copy = await copyListIntoTree(checkout, tree, ['.env', 'secrets.txt', 'local']);
    assert.equal(read(path.join(tree, '.env')), 'TOKEN=agent\n');
    assert.equal(read(path.join(tree, 'secrets.txt')), 'committed\n');
    assert.equal(read(path.join(tree, 'local', 'settings', 'a.json')), 'the agent\'s\n');
    const kept = 'the worktree has it already (from git or the agent): left as it is';
    assert.equal(why(copy, '.env'), kept);
    assert.equal(why(copy, 'secrets.txt'), kept);
    assert.equal(why(copy, 'local/settings/a.json'), kept);
    assert.deepEqual(copy.copied, ['local/link-in'], 'the rest of the folder is copied');
  });

  test('refused: an absolute path, .., a link leading out of the checkout, git\'s folder; left out and said: a missing file, one git would carry', async () => {
    const { checkout, tree, outside } = checkoutAndTree();
    fs.symlinkSync('../outside', path.join(checkout, 'outlink'));
    fs.symlinkSync('.', path.join(checkout, 'self'));
    const entries = ['/etc/hostname', path.join(checkout, '.env'), '../outside/secret.txt', 'local/../../outside/secret.txt', 'escape', 'outlink/*', 'self', '.git/config', 'missing.txt', 'notignored.txt', 'config/*.json', 'x/*/y', '*.nothing'];
    const copy = await copyListIntoTree(checkout, tree, entries);
    assert.deepEqual(copy.copied, ['config/dev.local.json'], 'of all of them, only what git ignores in the glob');
    assert.equal(why(copy, '/etc/hostname'), 'an absolute path: entries are relative to the repository');
    assert.equal(why(copy, path.join(checkout, '.env')), 'an absolute path: entries are relative to the repository');
    assert.equal(why(copy, '../outside/secret.txt'), 'goes up out of the repository (..)');
    assert.equal(why(copy, 'local/../../outside/secret.txt'), 'goes up out of the repository (..)');
    assert.equal(why(copy, 'escape'), 'leads outside the repository (through a symbolic link)');
    assert.equal(why(copy, 'outlink/*'), 'leads outside the repository (through a symbolic link)', 'its folder is not even listed');
    assert.equal(why(copy, 'self'), 'names the whole repository');
    assert.equal(why(copy, '.git/config'), "git's own folder is never copied");
    assert.equal(why(copy, 'missing.txt'), 'not in the checkout');
    assert.match(why(copy, 'notignored.txt') ?? '', /^git does not ignore it, so the package's commit would take it/);
    assert.match(why(copy, 'config/other.json') ?? '', /^git does not ignore it/);
    assert.match(why(copy, 'config/app.json') ?? '', /^git does not ignore it/, 'tracked');
    assert.equal(why(copy, 'x/*/y'), 'a * only in the last part of the path');
    assert.equal(why(copy, '*.nothing'), 'nothing in the checkout matches it');
    assert.equal(fs.existsSync(path.join(tree, 'escape')), false);
    assert.equal(fs.existsSync(path.join(tree, 'notignored.txt')), false);
    assert.equal(git(tree, 'status', '--porcelain', '--untracked-files=all'), '');
    assert.equal(read(path.join(outside, 'secret.txt')), 'not the repository\'s\n');
  });

  test("nothing is written through a link in the tree's path: a folder the tree's branch has as a link leading out", async () => {
    const { checkout, outside } = checkoutAndTree();
    // On another branch, conf is a link to a folder outside; in the checkout it is a folder with an ignored file.
    git(checkout, 'checkout', '-q', '-b', 'linked');
    fs.symlinkSync(outside, path.join(checkout, 'conf'));
    git(checkout, 'add', 'conf');
    git(checkout, 'commit', '-q', '-m', 'conf as a link');
    git(checkout, 'checkout', '-q', 'main');
    writeFiles(checkout, { 'conf/key.local': 'the person\'s key\n' });
    const tree = path.join(path.dirname(checkout), 'tree-linked');
    git(checkout, 'worktree', 'add', '-q', '-b', 'pkg-linked', tree, 'linked');
    const copy = await copyListIntoTree(checkout, tree, ['conf/key.local']);
    assert.deepEqual(copy.copied, []);
    assert.equal(why(copy, 'conf/key.local'), "the worktree's conf is a symbolic link: nothing is written through it");
    assert.equal(fs.existsSync(path.join(outside, 'key.local')), false, 'nothing written outside the tree');
  });

  test('copyIntoTree alone (no git asked) and its log lines', () => {
    const { checkout, tree } = checkoutAndTree();
    const copy = copyIntoTree(checkout, tree, ['notignored.txt', 'missing']);
    assert.deepEqual(copy, { copied: ['notignored.txt'], skipped: [{ path: 'missing', why: 'not in the checkout' }] });
    assert.equal(copyLogText(['notignored.txt', 'missing'], copy), 'copy list (notignored.txt, missing): 1 copied, 1 left out\n  copied notignored.txt\n  left out missing: not in the checkout\n');
  });
});

describe('the copy list through LocalExecutor', () => {
  const executorFor = (checkout: string) => new LocalExecutor({ repoRoot: checkout, featureId: 'feat', copyFiles: ['.env', 'local'], pool: false });
  const prepare = (ex: LocalExecutor, packageId: string, attempt: number) =>
    ex.prepareTree({ packageId, isolated: true, base: 'main', reason: 'a test', attempt: ex.attempt('run-1', packageId, attempt) });

  test('a new tree is copied into before its agent, said in setup.log; a retry in the same tree is not copied into again', async () => {
    const { checkout } = checkoutAndTree();
    const ex = executorFor(checkout);
    const first = await prepare(ex, 'a', 1);
    assert.equal(first.worktree, worktreePath(checkout, 'feat', 'a'));
    assert.equal(read(path.join(first.worktree, '.env')), 'TOKEN=person\n');
    const log = read(path.join(ex.attempt('run-1', 'a', 1).dir, 'setup.log'));
    assert.match(log, /^copy list \(\.env, local\): 3 copied, 1 left out\n {2}copied \.env\n/);
    assert.match(log, /left out local\/link-out: a link that leads out of the copied folder/);
    assert.equal(copiedInto(first.worktree), log);

    fs.rmSync(path.join(first.worktree, '.env')); // the agent's doing
    const retry = await prepare(ex, 'a', 2);
    assert.equal(retry.worktree, first.worktree);
    assert.equal(fs.existsSync(path.join(retry.worktree, '.env')), false, 'the tree keeps what it has');
    assert.equal(fs.existsSync(path.join(ex.attempt('run-1', 'a', 2).dir, 'setup.log')), false, 'nothing copied, nothing said');
  });

  test('a tree made ahead is copied into as it is made, and still taken as made; its first attempt\'s setup.log says what was copied', async () => {
    const { checkout } = checkoutAndTree();
    const ex = executorFor(checkout);
    ex.prepareAhead([{ packageId: 'b', base: 'main', reason: 'a test' }]);
    const tree = worktreePath(checkout, 'feat', 'b');
    await waitFor(() => copiedInto(tree) !== null, "b's tree made ahead and copied into");
    assert.equal(read(path.join(tree, '.env')), 'TOKEN=person\n');
    const taken = await prepare(ex, 'b', 1);
    assert.equal(taken.worktree, tree);
    assert.match(read(path.join(ex.attempt('run-1', 'b', 1).dir, 'setup.log')), /^copy list \(\.env, local\): 3 copied/);
    await ex.dropAhead();
  });

  test('no list: nothing copied, no log', async () => {
    const { checkout } = checkoutAndTree();
    const ex = new LocalExecutor({ repoRoot: checkout, featureId: 'feat', pool: false });
    const t = await ex.prepareTree({ packageId: 'c', isolated: true, base: 'main', reason: 'a test', attempt: ex.attempt('run-1', 'c', 1) });
    assert.equal(fs.existsSync(path.join(t.worktree, '.env')), false);
    assert.equal(copiedInto(t.worktree), null);
    assert.equal(fs.existsSync(path.join(ex.attempt('run-1', 'c', 1).dir, 'setup.log')), false);
  });
});
