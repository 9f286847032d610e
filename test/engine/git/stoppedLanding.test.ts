/**
 * A merge's landing stopped in the middle (`src/engine/git/integration.ts`): a real engine process
 * lands a package of some thousands of files on the integration tree and is killed, with its git,
 * while git writes them. The next read of the integration tree (as a resume's merge makes it)
 * puts the files back as the tip has them, so the merge lands again; a change that is neither the
 * tip's nor the merge's is never touched. The same for a tree made ahead whose fast-forward to the
 * integration tip was stopped.
 *
 * Run: node --import tsx --test test/engine/git/stoppedLanding.test.ts
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { commitMerge, ensureIntegration, integrationState, mergeTreeCheck, writeMergeCommit } from '../../../src/engine/git/integration.js';
import { madeAheadReason, markLanding, markMadeAhead } from '../../../src/engine/git/treeMarks.js';
import { createWorktree, takeMadeAhead } from '../../../src/engine/git/worktrees.js';
import { isolateGit } from '../engineFixtures.js';
import { git, makeRepo } from '../helpers.js';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const FILES = 4000;

/** The package branch: FILES new files, one file changed, one deleted. */
function packageBranch(repo: string): string {
  git(repo, 'switch', '-q', '-c', 'waves/feat/big');
  for (let i = 0; i < FILES; i++) {
    const dir = path.join(repo, 'big', `d${i % 40}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `f${i}.txt`), `line of file ${i}\n`.repeat(20));
  }
  fs.writeFileSync(path.join(repo, 'shared.txt'), 'changed by the package\n');
  fs.rmSync(path.join(repo, 'gone.txt'));
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'big package');
  git(repo, 'switch', '-q', 'main');
  return git(repo, 'rev-parse', 'waves/feat/big').trim();
}

/** Lands `merge` on `tip` in another process, killed with its git once some of the files are written. */
function landAndKill(tree: string, tip: string, merge: string): Promise<void> {
  return killedWhileWriting(
    tree,
    `const { commitMerge, integrationState } = require(${JSON.stringify(path.join(ROOT, 'src/engine/git/integration.ts'))});
    (async () => commitMerge(${JSON.stringify(tree)}, ${JSON.stringify(tip)}, { merge: ${JSON.stringify(merge)}, ...(await integrationState(${JSON.stringify(tree)})) }))();`,
  );
}

/** Runs `script` in an engine process of its own, killed with its git once the package's files begin to appear in `tree`. */
async function killedWhileWriting(tree: string, script: string): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, env: process.env, detached: true, stdio: 'ignore' });
  const first = path.join(tree, 'big');
  const t0 = Date.now();
  while (!(fs.existsSync(first) && fs.readdirSync(first).length > 3)) {
    if (Date.now() - t0 > 60_000) throw new Error('the landing wrote nothing in 60 s');
    await new Promise((r) => setTimeout(r, 2));
  }
  process.kill(-child.pid!, 'SIGKILL');
  await new Promise((r) => child.once('exit', r));
}

/** `integrationState(tree)` in a new process, as a resumed engine reads it. */
function stateInNewProcess(tree: string): Promise<{ head: string; dirty: string[] }> {
  return inNewProcess(`require(${JSON.stringify(path.join(ROOT, 'src/engine/git/integration.ts'))}).integrationState(${JSON.stringify(tree)})`);
}

/** The value of the promise `expression` gives, in a new engine process. */
function inNewProcess<T>(expression: string): Promise<T> {
  const script = `Promise.resolve(${expression}).then((s) => process.stdout.write(JSON.stringify(s)), (e) => { process.stderr.write(String(e)); process.exit(1); });`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, env: process.env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => (err ? reject(new Error(stderr || String(err))) : resolve(JSON.parse(stdout))));
  });
}

describe('a landing stopped in the middle', () => {
  let repo: string;
  let tree: string;
  let tip: string;
  let merge: string;
  before(async () => {
    isolateGit();
    repo = makeRepo({ 'README.md': '# r\n', 'shared.txt': 'as it was\n', 'gone.txt': 'to be deleted\n' });
    const commit = packageBranch(repo);
    const integ = await ensureIntegration({ repo, branch: 'waves/feat/_integration', worktree: path.join(`${repo}.worktrees`, 'feat', '_integration'), base: 'main' });
    tree = integ.worktree;
    tip = integ.tipSha;
    const check = await mergeTreeCheck(tree, tip, commit);
    assert.equal(check.clean, true);
    merge = await writeMergeCommit(tree, tip, commit, check.tree, 'merge big');
  });

  it('is put back as the tip has it when the tree is next read, and the merge then lands', async () => {
    await landAndKill(tree, tip, merge);
    assert.equal(git(tree, 'rev-parse', 'HEAD').trim(), tip, 'killed before the branch moved');
    assert.notEqual(git(tree, 'status', '--porcelain', '--untracked-files=all'), '', 'files of the merge are in the tree');
    const state = await stateInNewProcess(tree);
    assert.deepEqual(state, { head: tip, dirty: [] });
    assert.equal(fs.readFileSync(path.join(tree, 'shared.txt'), 'utf8'), 'as it was\n');
    assert.equal(fs.existsSync(path.join(tree, 'big')), false);
    assert.equal(await commitMerge(tree, tip, { merge, ...state }), merge);
    assert.equal(git(tree, 'status', '--porcelain', '--untracked-files=all'), '');
    assert.equal(fs.readFileSync(path.join(tree, 'big', 'd39', `f${FILES - 1}.txt`), 'utf8'), `line of file ${FILES - 1}\n`.repeat(20));
    assert.equal(fs.existsSync(path.join(tree, 'gone.txt')), false);
  });

  it('the folders git made for files it had not begun to write (empty: no status shows them) are removed with the rest', async () => {
    const integ3 = await ensureIntegration({ repo, branch: 'waves/feat3/_integration', worktree: path.join(`${repo}.worktrees`, 'feat3', '_integration'), base: 'main' });
    const t3 = integ3.worktree;
    markLanding(t3, { tip, merge });
    // Stopped as git had written one file of the merge whole, made two more folders and nested ones, and written nothing in them.
    fs.mkdirSync(path.join(t3, 'big', 'd0'), { recursive: true });
    fs.writeFileSync(path.join(t3, 'big', 'd0', 'f0.txt'), 'line of file 0\n'.repeat(20));
    fs.mkdirSync(path.join(t3, 'big', 'd1'));
    fs.mkdirSync(path.join(t3, 'big', 'd2'));
    const state = await integrationState(t3);
    assert.deepEqual(state, { head: tip, dirty: [] });
    assert.equal(fs.existsSync(path.join(t3, 'big')), false, 'no folder of the merge is left');
    assert.equal(await commitMerge(t3, tip, { merge, ...state }), merge);
    assert.equal(git(t3, 'status', '--porcelain', '--untracked-files=all'), '');
  });

  it('leaves a change that is neither the tip\'s nor the merge\'s, and the landing is refused', async () => {
    const integ2 = await ensureIntegration({ repo, branch: 'waves/feat2/_integration', worktree: path.join(`${repo}.worktrees`, 'feat2', '_integration'), base: 'main' });
    const t2 = integ2.worktree;
    markLanding(t2, { tip, merge });
    fs.writeFileSync(path.join(t2, 'shared.txt'), 'a person\'s edit\n');
    fs.writeFileSync(path.join(t2, 'README.md'), '# r\n'); // as the tip has it: no change
    const state = await integrationState(t2);
    assert.deepEqual(state.dirty, ['shared.txt']);
    assert.equal(fs.readFileSync(path.join(t2, 'shared.txt'), 'utf8'), 'a person\'s edit\n');
    await assert.rejects(commitMerge(t2, tip, { merge, ...state }), /has changes \(shared\.txt\); not merging into it/);
  });

  it('a tree made ahead whose fast-forward to the tip was stopped is put back, then taken and fast-forwarded', async () => {
    // Made ahead at main; the integration tip is then the big merge (as when dependencies merge meanwhile).
    const tree = path.join(`${repo}.worktrees`, 'feat', 'ahead');
    await createWorktree({ repo, path: tree, branch: 'waves/feat/ahead', base: tip, reason: madeAheadReason('waves run', tip), onlyNew: true });
    markMadeAhead(tree, tip);
    await killedWhileWriting(
      tree,
      `require(${JSON.stringify(path.join(ROOT, 'src/engine/git/landing.ts'))}).fastForwardMarked(${JSON.stringify(tree)}, ${JSON.stringify(tip)}, ${JSON.stringify(merge)});`,
    );
    assert.notEqual(git(tree, 'status', '--porcelain', '--untracked-files=all'), '', 'files of the tip are in the tree');
    // Taken by a resumed engine (a new process): put back, then fast-forwarded whole.
    const taken = await inNewProcess<{ head: string }>(
      `require(${JSON.stringify(path.join(ROOT, 'src/engine/git/worktrees.ts'))}).takeMadeAhead(${JSON.stringify({ repo, path: tree, branch: 'waves/feat/ahead', base: merge })}, ${JSON.stringify(tip)})`,
    );
    assert.equal(taken.head, merge);
    assert.equal(git(tree, 'status', '--porcelain', '--untracked-files=all'), '');
    assert.equal(fs.readFileSync(path.join(tree, 'shared.txt'), 'utf8'), 'changed by the package\n');
  });

  it("a retry's merge of the updated base, stopped in the middle, is put back and made again", async () => {
    // A package's tree with a commit of its own, made before the big merge; its retry merges the integration tip in.
    const tree = path.join(`${repo}.worktrees`, 'feat', 'retry');
    await createWorktree({ repo, path: tree, branch: 'waves/feat/retry', base: tip, reason: 'waves run' });
    fs.mkdirSync(path.join(tree, 'retry'));
    fs.writeFileSync(path.join(tree, 'retry', 'mine.txt'), 'committed work\n');
    git(tree, 'add', '-A');
    git(tree, 'commit', '-q', '-m', 'first attempt');
    const own = git(tree, 'rev-parse', 'HEAD').trim();
    const request = { repo, path: tree, branch: 'waves/feat/retry', base: merge, reason: 'waves run' };
    const worktrees = JSON.stringify(path.join(ROOT, 'src/engine/git/worktrees.ts'));
    await killedWhileWriting(tree, `require(${worktrees}).createWorktree(${JSON.stringify(request)});`);
    assert.equal(git(tree, 'rev-parse', 'HEAD').trim(), own, 'killed before the branch moved');
    assert.notEqual(git(tree, 'status', '--porcelain', '--untracked-files=all'), '');
    const again = await inNewProcess<{ how: string; head: string; mergedBase: string | null }>(`require(${worktrees}).createWorktree(${JSON.stringify(request)})`);
    assert.equal(again.how, 'reused');
    assert.ok(again.mergedBase);
    assert.equal(git(tree, 'rev-parse', 'HEAD^1').trim(), own);
    assert.equal(git(tree, 'rev-parse', 'HEAD^2').trim(), merge);
    assert.equal(git(tree, 'status', '--porcelain', '--untracked-files=all'), '');
    assert.equal(fs.readFileSync(path.join(tree, 'retry', 'mine.txt'), 'utf8'), 'committed work\n');
    assert.equal(fs.readFileSync(path.join(tree, 'big', 'd0', 'f0.txt'), 'utf8'), 'line of file 0\n'.repeat(20));
  });

  it('a landing stopped after git wrote the index (files written or not), before the branch moved, is put back', async () => {
    for (const [name, readTree] of [
      ['index-only', ['read-tree', merge]],
      ['index-and-files', ['read-tree', '-m', '-u', tip, merge]],
    ] as const) {
      const integ = await ensureIntegration({ repo, branch: `waves/${name}/_integration`, worktree: path.join(`${repo}.worktrees`, name, '_integration'), base: 'main' });
      markLanding(integ.worktree, { tip, merge });
      // What git leaves when stopped between writing the index and moving the branch (seen in a run killed at random).
      git(integ.worktree, ...readTree);
      assert.notEqual(git(integ.worktree, 'status', '--porcelain', '--untracked-files=all'), '', name);
      assert.deepEqual(await stateInNewProcess(integ.worktree), { head: tip, dirty: [] }, name);
      assert.equal(git(integ.worktree, 'status', '--porcelain', '--untracked-files=all'), '', name);
      assert.equal(fs.readFileSync(path.join(integ.worktree, 'shared.txt'), 'utf8'), 'as it was\n', name);
    }
  });

  it('a tree made ahead whose fast-forward ended before its take was marked is taken where it is', async () => {
    const tree = path.join(`${repo}.worktrees`, 'feat', 'ahead2');
    await createWorktree({ repo, path: tree, branch: 'waves/feat/ahead2', base: tip, reason: madeAheadReason('waves run', tip), onlyNew: true });
    markMadeAhead(tree, tip);
    git(tree, 'merge', '--ff-only', '--quiet', merge);
    const taken = await takeMadeAhead({ repo, path: tree, branch: 'waves/feat/ahead2', base: merge }, tip);
    assert.equal(taken.head, merge);
    assert.equal(git(tree, 'status', '--porcelain', '--untracked-files=all'), '');
  });
});
