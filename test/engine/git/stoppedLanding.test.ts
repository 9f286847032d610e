/**
 * A merge's landing stopped in the middle (`src/engine/git/integration.ts`): a real engine process
 * lands a package of some thousands of files on the integration tree and is killed, with its git,
 * while git writes them. The next read of the integration tree (as a resume's merge makes it)
 * puts the files back as the tip has them, so the merge lands again; a change that is neither the
 * tip's nor the merge's is never touched.
 *
 * Run: node --import tsx --test test/engine/git/stoppedLanding.test.ts
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { commitMerge, ensureIntegration, integrationState, mergeTreeCheck, writeMergeCommit } from '../../../src/engine/git/integration.js';
import { markLanding } from '../../../src/engine/git/treeMarks.js';
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
async function landAndKill(tree: string, tip: string, merge: string): Promise<void> {
  const script = `
    const { commitMerge, integrationState } = require(${JSON.stringify(path.join(ROOT, 'src/engine/git/integration.ts'))});
    (async () => commitMerge(${JSON.stringify(tree)}, ${JSON.stringify(tip)}, { merge: ${JSON.stringify(merge)}, ...(await integrationState(${JSON.stringify(tree)})) }))();
  `;
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
  const script = `
    const { integrationState } = require(${JSON.stringify(path.join(ROOT, 'src/engine/git/integration.ts'))});
    integrationState(${JSON.stringify(tree)}).then((s) => process.stdout.write(JSON.stringify(s)), (e) => { process.stderr.write(String(e)); process.exit(1); });
  `;
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
});
