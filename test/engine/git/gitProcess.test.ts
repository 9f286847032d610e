/**
 * The engine's git queue (`src/engine/git/gitProcess.ts`) on a REAL repository: identical reads
 * asked together share one git process, a read never shares a process that started before it
 * was asked, writes are never shared, each caller judges the exit code by its own rules, and a
 * git helper that ends does not make a write happen twice. Git's own trace (`GIT_TRACE`)
 * counts the processes.
 *
 * Run: node --import tsx --test test/engine/git/gitProcess.test.ts
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { git as gitRun, GitError } from '../../../src/engine/git/gitRun.js';
import { gitHelperPid, runGit, warmGit } from '../../../src/engine/git/gitProcess.js';
import { git, makeRepo, tempDir } from '../helpers.js';

const traceFile = path.join(tempDir('waves-gittrace-'), 'trace.log');
/** How many git processes ran exactly `git <command>` since the trace was emptied (git writes "trace: built-in: git <command>"). */
const ran = (command: string): number =>
  (fs.existsSync(traceFile) ? fs.readFileSync(traceFile, 'utf8') : '').split('\n').filter((l) => l.endsWith(`built-in: git ${command}`)).length;

let repo: string;
const saved = process.env.GIT_TRACE;

/** Waits until the helper process is up, so calls go through it. */
async function helperReady(): Promise<void> {
  warmGit();
  for (let i = 0; i < 200 && gitHelperPid() === null; i++) await new Promise((r) => setTimeout(r, 25));
  // A round trip proves it answers.
  await gitRun(repo, ['rev-parse', '--git-dir']);
}

describe('the engine git queue', () => {
  before(() => {
    repo = makeRepo({ 'a.txt': 'a\n' });
    process.env.GIT_TRACE = traceFile;
  });
  after(() => {
    if (saved === undefined) delete process.env.GIT_TRACE;
    else process.env.GIT_TRACE = saved;
  });

  it('identical reads asked in the same turn share one git process; each caller gets the answer', async () => {
    await helperReady();
    fs.writeFileSync(traceFile, '');
    const answers = await Promise.all(Array.from({ length: 9 }, () => gitRun(repo, ['rev-parse', '--verify', 'HEAD'])));
    const headNow = git(repo, 'rev-parse', 'HEAD').trim();
    for (const a of answers) assert.equal(a.stdout.trim(), headNow);
    assert.equal(ran('rev-parse --verify HEAD'), 1, fs.readFileSync(traceFile, 'utf8'));
  });

  it('different reads are not shared', async () => {
    fs.writeFileSync(traceFile, '');
    await Promise.all([gitRun(repo, ['rev-parse', '--verify', 'HEAD']), gitRun(repo, ['rev-parse', '--verify', 'HEAD^{tree}'])]);
    assert.equal(ran('rev-parse --verify HEAD') + ran("rev-parse --verify 'HEAD^{tree}'"), 2, fs.readFileSync(traceFile, 'utf8'));
  });

  it('a read asked after an identical one started gets its own process and sees what happened in between', async () => {
    const first = gitRun(repo, ['rev-parse', 'HEAD']);
    // The first call is dispatched at the next turn of the event loop; after two, it has started.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    fs.writeFileSync(path.join(repo, 'b.txt'), 'b\n');
    git(repo, 'add', 'b.txt');
    git(repo, 'commit', '-q', '-m', 'b');
    const moved = git(repo, 'rev-parse', 'HEAD').trim();
    const second = await gitRun(repo, ['rev-parse', 'HEAD']);
    assert.equal(second.stdout.trim(), moved, 'the later read sees the commit made before it was asked');
    await first;
  });

  it('writes are never shared, even identical ones', async () => {
    const tree = git(repo, 'rev-parse', 'HEAD^{tree}').trim();
    fs.writeFileSync(traceFile, '');
    await Promise.all(Array.from({ length: 3 }, () => gitRun(repo, ['-c', 'user.name=t', '-c', 'user.email=t@x', 'commit-tree', tree, '-m', 'same'])));
    assert.equal(ran(`commit-tree ${tree} -m same`), 3);
  });

  it('each caller of a shared read judges its exit code by its own rules', async () => {
    const args = ['rev-parse', '--verify', '--quiet', 'refs/heads/no-such-branch'];
    const [lenient, strict] = await Promise.allSettled([gitRun(repo, args, [0, 1]), gitRun(repo, args)]);
    assert.equal(lenient.status, 'fulfilled');
    assert.equal(lenient.status === 'fulfilled' ? lenient.value.code : -1, 1);
    assert.equal(strict.status, 'rejected');
    assert.ok(strict.status === 'rejected' && strict.reason instanceof GitError && strict.reason.code === 1);
  });

  it('when the helper ends mid-call, a write it ran is not run again (it fails, saying why) and later calls work', async () => {
    await helperReady();
    const pid = gitHelperPid();
    assert.ok(pid, 'the helper runs');
    // `cat-file --batch` waits on its stdin (the helper never closes it): a call that is under way when the helper dies.
    const pending = runGit({ cwd: repo, argv: ['cat-file', '--batch'], env: process.env, maxBuffer: 1024 });
    await new Promise((r) => setTimeout(r, 300));
    process.kill(pid, 'SIGKILL');
    const o = await pending;
    assert.equal(o.code, null);
    assert.match(o.message, /helper process ended/);
    // The next calls run (directly, then through a new helper).
    const head = git(repo, 'rev-parse', 'HEAD').trim();
    assert.equal((await gitRun(repo, ['rev-parse', 'HEAD'])).stdout.trim(), head);
    await helperReady();
    assert.notEqual(gitHelperPid(), pid);
    assert.equal((await gitRun(repo, ['rev-parse', 'HEAD'])).stdout.trim(), head);
  });

  it('a merge by the engine runs no automatic maintenance afterwards; the same merge by plain git does', async () => {
    const r = makeRepo({ 'a.txt': 'a\n' });
    // Two commits on a side branch `two`, `one` at the first: both merges are fast-forwards.
    const main = git(r, 'symbolic-ref', '--short', 'HEAD').trim();
    git(r, 'checkout', '-q', '-b', 'two');
    for (const name of ['one', 'two']) {
      fs.writeFileSync(path.join(r, `${name}.txt`), `${name}\n`);
      git(r, 'add', '-A');
      git(r, 'commit', '-q', '-m', name);
      if (name === 'one') git(r, 'branch', 'one');
    }
    git(r, 'checkout', '-q', main);
    fs.writeFileSync(traceFile, '');
    execFileSync('git', ['merge', '--ff-only', '--quiet', 'one'], { cwd: r, env: process.env });
    assert.equal(ran('maintenance run --auto --quiet'), 1, `plain git: ${fs.readFileSync(traceFile, 'utf8')}`);
    fs.writeFileSync(traceFile, '');
    await gitRun(r, ['merge', '--ff-only', '--quiet', 'two']);
    assert.equal(ran('maintenance run --auto --quiet'), 0, fs.readFileSync(traceFile, 'utf8'));
    assert.equal(fs.readFileSync(path.join(r, 'two.txt'), 'utf8'), 'two\n', 'the merge itself ran');
  });

  it('git that cannot start is an error with git\'s words, not a crash', async () => {
    await assert.rejects(gitRun(path.join(repo, 'no-such-folder'), ['status']), (err: unknown) => err instanceof GitError && err.code === null);
  });
});
