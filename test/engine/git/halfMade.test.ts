/**
 * A worktree left half made (`src/engine/git/halfMade.ts`): a real `git worktree add` of a real
 * repository of some thousands of files, killed while it writes the files (as when its engine is
 * killed or the machine goes down), then the engine asked for the package's tree again, as a
 * resume asks. The tree is finished (every file of its commit, an index, no lock) and nothing
 * else is touched; a git still writing it is waited for; a file the commit has not is refused.
 *
 * Run: node --import tsx --test test/engine/git/halfMade.test.ts
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createWorktree, prepareSharedTree, removeWorktreeIfSafe, takeMadeAhead } from '../../../src/engine/git/worktrees.js';
import { madeAheadAt, madeAheadReason } from '../../../src/engine/git/treeMarks.js';
import { finishHalfMade, TreeInTheWayError } from '../../../src/engine/git/halfMade.js';
import { isolateGit } from '../engineFixtures.js';
import { git, gitEnv, makeRepo } from '../helpers.js';

const FOLDERS = 60;
const PER_FOLDER = 100;

/** FOLDERS × PER_FOLDER small files: a checkout long enough to be stopped in the middle. */
function manyFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (let d = 0; d < FOLDERS; d++) for (let f = 0; f < PER_FOLDER; f++) files[`src/m${d}/f${f}.ts`] = `export const v${d}_${f} = ${d * PER_FOLDER + f};\n`.repeat(8);
  return files;
}

const privateDir = (tree: string) => git(tree, 'rev-parse', '--absolute-git-dir').trim();
const status = (tree: string) => git(tree, 'status', '--porcelain=v1', '--untracked-files=all');
/** The files in `dir` (its `.git` file aside); a folder git deletes meanwhile counts as empty. */
const filesIn = (dir: string): number => {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  return entries.reduce((n, e) => n + (e.isDirectory() ? filesIn(path.join(dir, e.name)) : e.name === '.git' ? 0 : 1), 0);
};

/**
 * Starts `git worktree add` as the engine does and kills it once it has written some of the
 * tree's files: the whole process group (engine and git gone), or only `git worktree add`
 * itself (`onlyParent`: its checkout goes on, as when only the engine's own process is killed).
 */
async function stopAddMidway(repo: string, tree: string, args: string[], onlyParent = false, reason = 'waves run'): Promise<void> {
  const child = spawn('git', ['worktree', 'add', '--quiet', '--lock', '--reason', reason, ...args], { cwd: repo, env: gitEnv(repo), detached: true, stdio: 'ignore' });
  const first = path.join(tree, 'src', 'm0');
  const t0 = Date.now();
  while (!(fs.existsSync(first) && fs.readdirSync(first).length > 0)) {
    if (Date.now() - t0 > 20_000) throw new Error('git worktree add wrote nothing in 20 s');
    await new Promise((r) => setTimeout(r, 2));
  }
  if (onlyParent) process.kill(child.pid!, 'SIGKILL');
  else process.kill(-child.pid!, 'SIGKILL');
  await new Promise((r) => child.once('exit', r));
}

describe('a worktree left half made', () => {
  let repo: string;
  let base: string;
  let all: number;
  /** The package's tree asked for again, as a resume asks: reused, every file of its commit, clean. */
  const reusedWhole = async (tree: string, branch: string) => {
    const r = await createWorktree({ repo, path: tree, branch, base, reason: 'waves run' });
    assert.equal(r.how, 'reused');
    assert.equal(filesIn(tree), all);
    assert.equal(status(tree), '');
    return r;
  };
  before(() => {
    isolateGit();
    repo = makeRepo({ 'README.md': '# big\n', ...manyFiles() });
    base = git(repo, 'rev-parse', 'HEAD').trim();
    all = git(repo, 'ls-tree', '-r', '--name-only', base).split('\n').filter(Boolean).length;
  });

  it('is finished when the package asks for its tree again: every file of its commit, an index, no lock, clean', async () => {
    const tree = path.join(`${repo}.worktrees`, 'feat', 'p1');
    await stopAddMidway(repo, tree, ['-b', 'waves/feat/p1', tree, base]);
    // What the stop left: no index, git's lock, some files only, and git calling the rest deleted.
    assert.equal(fs.existsSync(path.join(privateDir(tree), 'index')), false, 'the checkout was stopped before its index');
    assert.ok(filesIn(tree) < all, `only some files written (${filesIn(tree)} of ${all})`);
    const r = await createWorktree({ repo, path: tree, branch: 'waves/feat/p1', base, reason: 'waves run' });
    assert.equal(r.how, 'reused');
    assert.equal(r.head, base);
    assert.equal(filesIn(tree), all);
    assert.equal(status(tree), '');
    assert.equal(fs.existsSync(path.join(privateDir(tree), 'index.lock')), false);
    assert.equal(fs.readFileSync(path.join(tree, 'src', 'm59', 'f99.ts'), 'utf8'), `export const v59_99 = ${59 * PER_FOLDER + 99};\n`.repeat(8));
    // The person's checkout is untouched; the tree's commit is its own branch.
    assert.equal(status(repo), '');
    assert.equal(git(tree, 'symbolic-ref', 'HEAD').trim(), 'refs/heads/waves/feat/p1');
    // Asked once more, the whole tree is left as it is.
    assert.equal(await finishHalfMade(tree), false);
  });

  it('a tree stopped after its turn (its entry made, no file written yet) is finished as one half made; new trees are whole, their index with the files\' stat data', async () => {
    const tree = path.join(`${repo}.worktrees`, 'feat', 'p0');
    git(repo, 'worktree', 'add', '--quiet', '--no-checkout', '--lock', '--reason', 'waves run', '-b', 'waves/feat/p0', tree, base);
    assert.equal(filesIn(tree), 0);
    await reusedWhole(tree, 'waves/feat/p0');
    // Made at once (two side by side): whole, clean, and git finds nothing to refresh.
    const [a, b] = await Promise.all(['n1', 'n2'].map((n) => createWorktree({ repo, path: path.join(`${repo}.worktrees`, 'feat', n), branch: `waves/feat/${n}`, base, reason: 'waves run' })));
    for (const r of [a!, b!]) {
      assert.deepEqual([r.how, r.head], ['created', base]);
      assert.equal(filesIn(r.path), all);
      assert.equal(status(r.path), '');
      assert.equal(git(r.path, 'diff-files', '--name-only'), '', 'the index has the files\' stat data');
    }
  });

  it('waits for a git still writing the tree (its engine gone, the git not), then takes it whole', async () => {
    const tree = path.join(`${repo}.worktrees`, 'feat', 'p2');
    await stopAddMidway(repo, tree, ['-b', 'waves/feat/p2', tree, base], true);
    await reusedWhole(tree, 'waves/feat/p2');
  });

  it('finishes the feature\'s shared tree left half made', async () => {
    const tree = path.join(`${repo}.worktrees`, 'feat', '_shared');
    await stopAddMidway(repo, tree, ['--detach', tree, base]);
    assert.equal(fs.existsSync(path.join(privateDir(tree), 'index')), false);
    const r = await prepareSharedTree({ repo, path: tree, branch: 'waves/feat/s1', base, reason: 'waves run', leftoversMessage: (b) => `leftovers of ${b}` });
    assert.equal(r.how, 'created');
    assert.equal(filesIn(tree), all);
    assert.equal(status(tree), '');
    // No commit of leftovers: nothing was left but the commit's own files.
    assert.equal(git(repo, 'rev-parse', 'waves/feat/s1').trim(), base);
  });

  it('finishes a tree made ahead that was left half made, and its package takes it', async () => {
    const tree = path.join(`${repo}.worktrees`, 'feat', 'p4');
    await stopAddMidway(repo, tree, ['-b', 'waves/feat/p4', tree, base], false, madeAheadReason('waves run', base));
    assert.equal(madeAheadAt(tree), base, 'known as made ahead by its lock reason');
    const r = await takeMadeAhead({ repo, path: tree, branch: 'waves/feat/p4', base }, base);
    assert.equal(r.head, base);
    assert.equal(filesIn(tree), all);
    assert.equal(status(tree), '');
  });

  it('a finishing itself stopped in the middle leaves the tree half made, and the next one finishes it', async () => {
    const tree = path.join(`${repo}.worktrees`, 'feat', 'p5');
    await stopAddMidway(repo, tree, ['-b', 'waves/feat/p5', tree, base]);
    // A finishing in an engine process of its own, killed with its git once it has written an index (its own, or the tree's).
    const script = `require(${JSON.stringify(path.resolve(__dirname, '../../../src/engine/git/halfMade.ts'))}).finishHalfMade(${JSON.stringify(tree)});`;
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { env: process.env, detached: true, stdio: 'ignore' });
    const own = path.join(privateDir(tree), 'waves-finishing-index');
    const t0 = Date.now();
    const index = path.join(privateDir(tree), 'index');
    while (!fs.existsSync(own) && !fs.existsSync(index) && child.exitCode === null && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 1));
    process.kill(-child.pid!, 'SIGKILL');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    assert.equal(fs.existsSync(path.join(privateDir(tree), 'index')), false, 'no index: still known as half made');
    await reusedWhole(tree, 'waves/feat/p5');
  });

  it('refuses, touching nothing, a half made tree holding a file its commit has not, every time it is asked', async () => {
    const tree = path.join(`${repo}.worktrees`, 'feat', 'p6');
    await stopAddMidway(repo, tree, ['-b', 'waves/feat/p6', tree, base]);
    fs.writeFileSync(path.join(tree, 'stray.txt'), 'mine\n');
    for (let i = 0; i < 2; i++) await assert.rejects(createWorktree({ repo, path: tree, branch: 'waves/feat/p6', base, reason: 'waves run' }), /left half made and holds files its commit has not \(stray\.txt\)/);
    assert.equal(fs.readFileSync(path.join(tree, 'stray.txt'), 'utf8'), 'mine\n');
    fs.rmSync(path.join(tree, 'stray.txt'));
    await createWorktree({ repo, path: tree, branch: 'waves/feat/p6', base, reason: 'waves run' });
    assert.equal(status(tree), '');
  });

  it('drops a tree stopped before it had its commit (git\'s placeholder HEAD, nothing in it) and makes it anew on its branch', async () => {
    const tree = path.join(`${repo}.worktrees`, 'feat', 'p7');
    // What `worktree add -b` leaves when stopped between its branch and its HEAD (seen in a run killed at random).
    git(repo, 'worktree', 'add', '--quiet', '--no-checkout', '--lock', '--reason', 'waves run', '-b', 'waves/feat/p7', tree, base);
    const own = privateDir(tree);
    fs.writeFileSync(path.join(own, 'HEAD'), '0000000000000000000000000000000000000000\n');
    fs.rmSync(path.join(own, 'index'), { force: true });
    assert.deepEqual(fs.readdirSync(tree), ['.git']);
    const r = await createWorktree({ repo, path: tree, branch: 'waves/feat/p7', base, reason: 'waves run' });
    assert.equal(r.how, 'checked-out');
    assert.equal(r.head, base);
    assert.equal(filesIn(tree), all);
    assert.equal(status(tree), '');
  });

  it('refuses a tree without its commit that holds a file of someone\'s', async () => {
    const tree = path.join(`${repo}.worktrees`, 'feat', 'p8');
    git(repo, 'worktree', 'add', '--quiet', '--no-checkout', '--lock', '--reason', 'waves run', '-b', 'waves/feat/p8', tree, base);
    fs.writeFileSync(path.join(privateDir(tree), 'HEAD'), '0000000000000000000000000000000000000000\n');
    fs.writeFileSync(path.join(tree, 'notes.txt'), 'mine\n');
    await assert.rejects(createWorktree({ repo, path: tree, branch: 'waves/feat/p8', base, reason: 'waves run' }), (err: unknown) => err instanceof TreeInTheWayError && /holds files \(notes\.txt\) and no commit of this repository/.test(err.message));
    assert.equal(fs.readFileSync(path.join(tree, 'notes.txt'), 'utf8'), 'mine\n');
  });

  it('a merged tree whose removal was stopped (some of its files deleted) is removed, not kept as changed', async () => {
    const tree = path.join(`${repo}.worktrees`, 'feat', 'p9');
    await createWorktree({ repo, path: tree, branch: 'waves/feat/p9', base, reason: 'waves run' });
    git(repo, 'worktree', 'unlock', tree);
    const child = spawn('git', ['worktree', 'remove', tree], { cwd: repo, env: gitEnv(repo), detached: true, stdio: 'ignore' });
    const t0 = Date.now();
    while (filesIn(tree) === all && child.exitCode === null && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 1));
    process.kill(-child.pid!, 'SIGKILL');
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
    assert.ok(filesIn(tree) < all && filesIn(tree) > 0, `stopped in the middle (${filesIn(tree)} of ${all} files left)`);
    assert.match(status(tree), /^ D /m);
    const r = await removeWorktreeIfSafe({ repo, worktree: tree, branch: 'waves/feat/p9', mergedInto: base });
    assert.deepEqual([r.removed, r.reason], [true, null]);
    assert.equal(fs.existsSync(tree), false);
  });

  it('a merged tree with a file changed or added is still kept', async () => {
    const tree = path.join(`${repo}.worktrees`, 'feat', 'p10');
    await createWorktree({ repo, path: tree, branch: 'waves/feat/p10', base, reason: 'waves run' });
    fs.rmSync(path.join(tree, 'src', 'm0', 'f0.ts'));
    fs.writeFileSync(path.join(tree, 'src', 'm0', 'f1.ts'), 'changed\n');
    const r = await removeWorktreeIfSafe({ repo, worktree: tree, branch: 'waves/feat/p10', mergedInto: base });
    assert.equal(r.removed, false);
    assert.match(r.reason ?? '', /has 2 uncommitted or untracked file\(s\)/);
    assert.equal(fs.readFileSync(path.join(tree, 'src', 'm0', 'f1.ts'), 'utf8'), 'changed\n');
  });
});
