/**
 * `src/engine/git/` (and the set-up hook, `src/engine/attempt/setupHook.ts`) on REAL temporary git repositories: worktrees (create, retry reuse,
 * existing branch, stale base merged in), the audit's change lists, commits, the integration
 * branch and its merges (clean and conflicting siblings made by the scripted test agent), the
 * fast-forward offer, safe clean-up and set-up hooks. Every test checks that nothing of the
 * user's is lost.
 *
 * Run: node --import tsx --test test/engine/git/git.test.ts
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { auditScope } from '../../../src/core/run/audit.js';
import { commitAll } from '../../../src/engine/git/commits.js';
import { createWorktree, dropMadeAhead, listWorktrees, removeWorktreeIfSafe, takeMadeAhead, worktreeAt, worktreeHeadOnDisk } from '../../../src/engine/git/worktrees.js';
import { ensureExcluded } from '../../../src/engine/git/exclude.js';
import { commitMerge, ensureIntegration, integrationState, mergeTreeCheck, writeMergeCommit } from '../../../src/engine/git/integration.js';
import { fastForward, fastForwardOffer } from '../../../src/engine/git/fastForward.js';
import { GitError, git as gitRun, revParse } from '../../../src/engine/git/gitRun.js';
import { madeAheadAt, madeAheadReason, markMadeAhead } from '../../../src/engine/git/treeMarks.js';
import { treeChanges } from '../../../src/engine/git/treeDiff.js';
import { runSetupHook } from '../../../src/engine/attempt/setupHook.js';
import { git, makeRepo, SCRIPTED_AGENT, tempDir, writeFiles } from '../helpers.js';

const wtPath = (repo: string, name: string) => path.join(`${repo}.worktrees`, 'feat', name);
const head = (cwd: string) => git(cwd, 'rev-parse', 'HEAD').trim();
const status = (cwd: string) => git(cwd, 'status', '--porcelain=v1', '--untracked-files=all');

/** Runs the scripted test agent in `cwd` with `script`. */
function agent(cwd: string, script: string): void {
  execFileSync(process.execPath, [SCRIPTED_AGENT, '--package', path.basename(cwd)], { cwd, env: { ...process.env, WAVES_TEST_AGENT: script }, stdio: 'pipe' });
}

/**
 * Merges a package branch into the integration worktree as the run does (src/engine/run/merge.ts):
 * `merge-tree` first, then the merge commit written and landed by `merge --ff-only`; a conflict
 * is returned with its files and nothing is merged. With the merged commit's files.
 */
async function mergeInto(integrationWorktree: string, branch: string, message: string): Promise<{ merged: true; commit: string; files: string[] } | { merged: false; conflicts: string[] }> {
  const tip = head(integrationWorktree);
  const check = await mergeTreeCheck(integrationWorktree, tip, branch);
  if (!check.clean) return { merged: false, conflicts: check.conflicts };
  const commit = git(integrationWorktree, 'rev-parse', branch).trim();
  const merge = await writeMergeCommit(integrationWorktree, tip, commit, check.tree, message);
  await commitMerge(integrationWorktree, tip, { merge, ...(await integrationState(integrationWorktree)) });
  const files = git(integrationWorktree, 'diff', '--name-only', '--no-renames', tip, 'HEAD').split('\n').filter(Boolean);
  return { merged: true, commit: merge, files };
}

async function newWorktree(repo: string, name: string, base = 'main') {
  return createWorktree({ repo, path: wtPath(repo, name), branch: `waves/feat/${name}`, base, reason: 'waves run r1' });
}

describe('git runner', () => {
  it('trees added while others are removed, all at once: each call takes its turn, none fails (git alone fails such pairs: "failed to read .git/worktrees/<x>/commondir")', async () => {
    const repo = makeRepo();
    const tree = (name: string) => path.join(`${repo}.trees`, name);
    const add = (name: string) => gitRun(repo, ['worktree', 'add', '--quiet', '-b', `race/${name}`, tree(name), 'HEAD']);
    await Promise.all(Array.from({ length: 16 }, (_, i) => add(`r0-${i}`)));
    const failed: string[] = [];
    for (let round = 1; round <= 6; round++) {
      const outcomes = await Promise.allSettled([
        ...Array.from({ length: 16 }, (_, i) => add(`r${round}-${i}`)),
        ...Array.from({ length: 16 }, (_, i) => gitRun(repo, ['worktree', 'remove', tree(`r${round - 1}-${i}`)])),
      ]);
      failed.push(...outcomes.flatMap((o) => (o.status === 'rejected' ? [`round ${round}: ${String(o.reason).split('\n').pop()}`] : [])));
    }
    assert.deepEqual(failed, []);
    const left = (await listWorktrees(repo)).flatMap((w) => (w.branch?.startsWith('race/') ? [w.branch] : [])).sort();
    assert.deepEqual(left, Array.from({ length: 16 }, (_, i) => `race/r6-${i}`).sort());
  });

  it("a failure is a GitError with git's stderr", async () => {
    const repo = makeRepo();
    await assert.rejects(gitRun(repo, ['checkout', 'no-such-branch']), (e: unknown) => e instanceof GitError && /pathspec 'no-such-branch'/.test(e.message) && e.code === 1);
    assert.equal(await revParse(repo, 'no-such-rev'), null);
    assert.equal(await revParse(repo, 'main'), head(repo));
  });

  it('ensureExcluded adds .waves/ to .git/info/exclude once, and it holds in worktrees', async () => {
    const repo = makeRepo();
    assert.equal(await ensureExcluded(repo), true);
    assert.equal(await ensureExcluded(repo), false);
    const text = fs.readFileSync(path.join(repo, '.git', 'info', 'exclude'), 'utf8');
    assert.equal(text.split('\n').filter((l) => l === '.waves/').length, 1);
    const wt = await newWorktree(repo, 'a');
    assert.equal(await ensureExcluded(wt.path), false, 'a worktree shares the exclude file');
    writeFiles(wt.path, { '.waves/runs/x.json': '{}' });
    assert.equal(status(wt.path), '');
  });
});

describe('createWorktree', () => {
  it('a tree whose files cannot be written is not left behind to be taken up as if whole', async () => {
    const repo = makeRepo();
    // A commit git refuses to check out: an entry named .git.
    const blob = execFileSync('git', ['hash-object', '-w', '--stdin'], { cwd: repo, input: 'evil\n', encoding: 'utf8' }).trim();
    const inner = execFileSync('git', ['mktree'], { cwd: repo, input: `100644 blob ${blob}\tx\n`, encoding: 'utf8' }).trim();
    const top = execFileSync('git', ['mktree'], { cwd: repo, input: `040000 tree ${inner}\t.git\n100644 blob ${blob}\tb\n`, encoding: 'utf8' }).trim();
    const bad = execFileSync('git', ['commit-tree', top, '-m', 'bad'], { cwd: repo, encoding: 'utf8' }).trim();
    for (let i = 0; i < 2; i++) {
      await assert.rejects(newWorktree(repo, 'bad', bad), /invalid path '\.git\/x'/);
      assert.equal((await listWorktrees(repo)).some((w) => w.path.endsWith(`${path.sep}bad`)), false, `attempt ${i + 1}: no tree left in the list`);
      assert.equal(fs.existsSync(path.join(wtPath(repo, 'bad'), '.git')), false, `attempt ${i + 1}: nothing on disk to reuse`);
    }
  });

  it('creates the branch at the base, checks HEAD, locks with the reason', async () => {
    const repo = makeRepo();
    const base = head(repo);
    const wt = await newWorktree(repo, 'a');
    assert.deepEqual([wt.how, wt.baseSha, wt.head, wt.mergedBase], ['created', base, base, null]);
    const info = (await listWorktrees(repo)).find((w) => w.branch === 'waves/feat/a')!;
    assert.equal(info.locked, 'waves run r1');
    assert.equal(fs.realpathSync(info.path), fs.realpathSync(wtPath(repo, 'a')));
    assert.equal(git(repo, 'symbolic-ref', 'HEAD').trim(), 'refs/heads/main', "the user's checkout is untouched");
  });

  it('a retry reuses the worktree and keeps committed work', async () => {
    const repo = makeRepo();
    const first = await newWorktree(repo, 'a');
    agent(first.path, 'write src/a.ts; commit first attempt');
    const tip = head(first.path);
    const again = await newWorktree(repo, 'a');
    assert.deepEqual([again.how, again.head, again.mergedBase], ['reused', tip, null]);
    assert.ok(fs.existsSync(path.join(again.path, 'src/a.ts')));
  });

  it('an existing branch without a worktree is checked out, not recreated', async () => {
    const repo = makeRepo();
    const first = await newWorktree(repo, 'a');
    agent(first.path, 'write src/a.ts; commit work');
    const tip = head(first.path);
    git(repo, 'worktree', 'unlock', first.path);
    git(repo, 'worktree', 'remove', first.path);
    const again = await newWorktree(repo, 'a');
    assert.deepEqual([again.how, again.head], ['checked-out', tip]);
  });

  it("a stale base: the dependency's merged result is merged into the existing branch first", async () => {
    const repo = makeRepo({ 'README.md': 'r\n' });
    const a = await newWorktree(repo, 'a');
    agent(a.path, 'write src/a.ts; commit a');
    // Meanwhile a dependency was merged into the integration branch.
    const integ = await ensureIntegration({ repo, branch: 'waves/feat/_integration', worktree: wtPath(repo, '_integration'), base: 'main' });
    const dep = await newWorktree(repo, 'dep');
    agent(dep.path, 'write src/dep.ts; commit dep');
    assert.equal((await mergeInto(integ.worktree, 'waves/feat/dep', 'merge dep')).merged, true);
    const again = await createWorktree({ repo, path: a.path, branch: 'waves/feat/a', base: 'waves/feat/_integration', reason: 'waves run r1' });
    assert.ok(again.mergedBase);
    assert.ok(fs.existsSync(path.join(a.path, 'src/dep.ts')), 'the base is in the tree');
    assert.ok(fs.existsSync(path.join(a.path, 'src/a.ts')), 'committed work is kept');
    assert.match(git(a.path, 'log', '-1', '--format=%an|%s'), /^Wave Orchestrator\|Merge the updated base/);
  });

  it("a stale base that clashes with the branch's work: the merge is undone and its files named; a tree moved off its branch is not used", async () => {
    const repo = makeRepo({ 'README.md': 'r\n', 'shared.txt': 'main\n' });
    const a = await newWorktree(repo, 'a');
    agent(a.path, 'write shared.txt from-a; commit a');
    const work = head(a.path);
    git(repo, 'checkout', '-q', '-b', 'clash');
    fs.writeFileSync(path.join(repo, 'shared.txt'), 'from a dependency\n');
    git(repo, 'commit', '-q', '-am', 'clash');
    git(repo, 'checkout', '-q', 'main');
    const req = { repo, path: a.path, branch: 'waves/feat/a', base: 'clash', reason: 'waves run r1' };
    await assert.rejects(createWorktree(req), /conflicts: shared\.txt/);
    assert.equal(head(a.path), work, 'the branch is where its attempt left it');
    assert.equal(git(a.path, 'status', '--porcelain').trim(), '', 'no half merge left');
    git(a.path, 'checkout', '-q', '-b', 'elsewhere');
    await assert.rejects(createWorktree({ ...req, base: 'main' }), /is already a worktree of elsewhere, not waves\/feat\/a; move it away first/);
    assert.equal(git(repo, 'rev-parse', 'refs/heads/elsewhere').trim(), work, 'the other branch did not move');
  });

  it("a new tree's HEAD read from its files only when they say it plainly: the same answer as git, else none", async () => {
    const repo = makeRepo();
    const wt = await newWorktree(repo, 'a');
    assert.equal(worktreeHeadOnDisk(wt.path, 'waves/feat/a'), head(wt.path), 'a loose branch ref: its id');
    assert.equal(worktreeHeadOnDisk(wt.path, 'waves/feat/b'), null, 'another branch');
    assert.equal(worktreeHeadOnDisk(repo, 'main'), null, 'the main worktree (.git a folder) is always asked of git');
    git(repo, 'pack-refs', '--all');
    assert.equal(worktreeHeadOnDisk(wt.path, 'waves/feat/a'), head(wt.path), 'a packed ref: its id from packed-refs');
    // The tree made from a packed branch still gets its HEAD checked (from the worktree list).
    git(repo, 'worktree', 'unlock', wt.path);
    git(repo, 'worktree', 'remove', wt.path);
    const again = await newWorktree(repo, 'a');
    assert.deepEqual([again.how, again.head], ['checked-out', head(again.path)]);
    git(again.path, 'checkout', '-q', '--detach');
    assert.equal(worktreeHeadOnDisk(again.path, 'waves/feat/a'), null, 'a detached HEAD');
    assert.equal(worktreeHeadOnDisk(path.join(repo, 'no-such-tree'), 'waves/feat/a'), null);
  });

  it('a tree is found by its folder however its path is written: through a link, a missing folder by its path, never a sibling', async () => {
    const repo = makeRepo();
    await newWorktree(repo, 'a');
    await newWorktree(repo, 'b');
    const listed = await listWorktrees(repo);
    const link = path.join(tempDir(), 'to-b');
    fs.symlinkSync(wtPath(repo, 'b'), link);
    assert.equal(worktreeAt(listed, link)?.branch, 'waves/feat/b', 'the same folder through a link');
    assert.equal(worktreeAt(listed, `${wtPath(repo, 'a')}${path.sep}.`)?.branch, 'waves/feat/a', 'the path written otherwise');
    assert.equal(worktreeAt(listed, wtPath(repo, 'c')), undefined, 'a folder not made yet is none of them');
    assert.equal(worktreeAt(listed, path.dirname(wtPath(repo, 'a'))), undefined, 'their parent is none of them');
    // A listed tree whose folder is gone is still found by its path (git lists it as prunable).
    const gone = [...listed, { ...listed[1]!, path: path.join(path.dirname(wtPath(repo, 'a')), 'gone'), branch: 'waves/feat/gone' }];
    assert.equal(worktreeAt(gone, path.join(path.dirname(wtPath(repo, 'a')), 'gone'))?.branch, 'waves/feat/gone');
    // Through the link, a retry reuses the tree the package has (its work kept), not a second one.
    agent(wtPath(repo, 'b'), 'write src/b.ts; commit b');
    const again = await createWorktree({ repo, path: link, branch: 'waves/feat/b', base: 'main', reason: 'waves run r1' });
    assert.deepEqual([again.how, again.head], ['reused', head(wtPath(repo, 'b'))]);
    await assert.rejects(createWorktree({ repo, path: link, branch: 'waves/feat/z', base: 'main', reason: 'r' }), /already a worktree of waves\/feat\/b/);
  });

  it('refuses a path that holds another branch, a folder with files, or a branch checked out elsewhere', async () => {
    const repo = makeRepo();
    await newWorktree(repo, 'a');
    await assert.rejects(createWorktree({ repo, path: wtPath(repo, 'a'), branch: 'waves/feat/b', base: 'main', reason: 'r' }), /already a worktree of waves\/feat\/a/);
    writeFiles(wtPath(repo, 'junk'), { 'keep.txt': 'mine\n' });
    await assert.rejects(createWorktree({ repo, path: wtPath(repo, 'junk'), branch: 'waves/feat/junk', base: 'main', reason: 'r' }), /exists and is not a worktree/);
    assert.equal(fs.readFileSync(path.join(wtPath(repo, 'junk'), 'keep.txt'), 'utf8'), 'mine\n');
    await assert.rejects(createWorktree({ repo, path: wtPath(repo, 'other'), branch: 'main', base: 'main', reason: 'r' }), /main is already checked out in/);
    await assert.rejects(newWorktree(repo, 'x', 'no-such-base'), /is not a commit/);
  });
});

describe('treeChanges + commitAll', () => {
  it('the leftovers committed, then the commit audited tree to tree against the base', async () => {
    const repo = makeRepo({ 'README.md': 'r\n', 'src/api/old.ts': 'o\n', 'docs/guide.md': 'g\n' });
    const wt = await newWorktree(repo, 'a');
    agent(wt.path, 'write src/api/x.ts; commit committed work');
    agent(wt.path, 'write src/api/y.ts; delete src/api/old.ts; delete docs/guide.md; write src/web/outside.ts; append README.md more\\n');
    writeFiles(wt.path, { '.waves/runs/f.json': '{}' });

    const sha = await commitAll(wt.path, 'waves: what the agent left uncommitted');
    assert.ok(sha);
    assert.equal(status(wt.path), '?? .waves/runs/f.json\n', 'the engine never commits .waves/');
    assert.match(git(wt.path, 'log', '-1', '--format=%an <%ae>|%s'), /^Wave Orchestrator <waves@localhost>\|waves: what the agent left/);
    assert.equal(await commitAll(wt.path, 'nothing'), null);

    const changes = await treeChanges(wt.path, wt.baseSha, sha);
    assert.deepEqual(changes, [
      { path: 'README.md', change: 'M' },
      { path: 'docs/guide.md', change: 'D' },
      { path: 'src/api/old.ts', change: 'D' },
      { path: 'src/api/x.ts', change: 'A' },
      { path: 'src/api/y.ts', change: 'A' },
      { path: 'src/web/outside.ts', change: 'A' },
    ]);
    const audit = auditScope(changes, { writeAllow: ['src/api/**'], deny: [] });
    assert.deepEqual(
      audit.violations.map((v) => v.path),
      ['README.md', 'docs/guide.md', 'src/web/outside.ts'],
    );
    assert.deepEqual(audit.deletions, [
      { path: 'docs/guide.md', allowed: false },
      { path: 'src/api/old.ts', allowed: true },
    ]);
    assert.equal(git(repo, 'symbolic-ref', 'HEAD').trim(), 'refs/heads/main');
    assert.equal(status(repo), '', "the user's tree is untouched");
  });

  it('marks a symbolic link with its target and a force-added ignored file', async () => {
    const repo = makeRepo({ 'README.md': 'r\n', '.gitignore': '*.env\n' });
    const wt = await newWorktree(repo, 'a');
    agent(wt.path, 'symlink src/a/passwd /etc/passwd; symlink src/a/ok ../b/c.txt; write src/a/.env SECRET=1; write src/a/x.ts; git add -f src/a/.env; commit');
    const changes = await treeChanges(wt.path, wt.baseSha, 'HEAD');
    assert.deepEqual(changes, [
      { path: 'src/a/.env', change: 'A', ignored: true },
      { path: 'src/a/ok', change: 'A', link: '../b/c.txt' },
      { path: 'src/a/passwd', change: 'A', link: '/etc/passwd' },
      { path: 'src/a/x.ts', change: 'A' },
    ]);
    const audit = auditScope(changes, { writeAllow: ['src/**'], deny: [] });
    assert.deepEqual(
      audit.violations.map((v) => [v.path, v.reason]),
      [
        ['src/a/.env', 'ignored-file'],
        ['src/a/passwd', 'link-outside'],
      ],
    );
  });
});

describe('integration and merges', () => {
  it('clean siblings merge with --no-ff; a conflicting sibling is stopped with its files and nothing merged', async () => {
    const repo = makeRepo({ 'shared.txt': 'one\ntwo\nthree\n', 'README.md': 'r\n' });
    const integ = await ensureIntegration({ repo, branch: 'waves/feat/_integration', worktree: wtPath(repo, '_integration'), base: 'main' });
    assert.equal(integ.baseSha, head(repo));
    const a = await newWorktree(repo, 'a');
    const b = await newWorktree(repo, 'b');
    const c = await newWorktree(repo, 'c');
    agent(a.path, 'line shared.txt 2 TWO from a; write src/a.ts; commit a');
    agent(b.path, 'line shared.txt 2 TWO from b; commit b');
    agent(c.path, 'write src/c.ts; commit c');

    const ma = await mergeInto(integ.worktree, 'waves/feat/a', 'Merge package a');
    assert.equal(ma.merged, true);
    if (ma.merged) {
      assert.deepEqual(ma.files, ['shared.txt', 'src/a.ts']);
      assert.equal(git(integ.worktree, 'rev-list', '--parents', '-n', '1', 'HEAD').trim().split(' ').length, 3, 'a merge commit');
    }
    const tip = head(integ.worktree);
    const check = await mergeTreeCheck(repo, 'waves/feat/_integration', 'waves/feat/b');
    assert.deepEqual([check.clean, check.conflicts], [false, ['shared.txt']]);
    const mb = await mergeInto(integ.worktree, 'waves/feat/b', 'Merge package b');
    assert.deepEqual(mb, { merged: false, conflicts: ['shared.txt'] });
    assert.equal(head(integ.worktree), tip, 'nothing merged');
    assert.equal(status(integ.worktree), '', 'the integration tree stays clean');
    const mc = await mergeInto(integ.worktree, 'waves/feat/c', 'Merge package c');
    assert.equal(mc.merged, true, 'a conflict stops only that package');
    assert.equal(fs.readFileSync(path.join(integ.worktree, 'shared.txt'), 'utf8'), 'one\nTWO from a\nthree\n');
    assert.equal(fs.readFileSync(path.join(repo, 'shared.txt'), 'utf8'), 'one\ntwo\nthree\n', "the user's tree is untouched");
    assert.equal(head(b.path), git(repo, 'rev-parse', 'waves/feat/b').trim(), "the conflicting package's work is kept on its branch");

    const again = await ensureIntegration({ repo, branch: 'waves/feat/_integration', worktree: wtPath(repo, '_integration'), base: 'main' });
    assert.deepEqual([again.baseSha, again.tipSha], [integ.baseSha, head(integ.worktree)], 'reused as it is');
  });

  it('a merge refuses a dirty integration worktree', async () => {
    const repo = makeRepo();
    const integ = await ensureIntegration({ repo, branch: 'waves/feat/_integration', worktree: wtPath(repo, '_integration'), base: 'main' });
    const a = await newWorktree(repo, 'a');
    agent(a.path, 'write a.txt; commit a');
    writeFiles(integ.worktree, { 'stray.txt': 'x\n' });
    await assert.rejects(mergeInto(integ.worktree, 'waves/feat/a', 'm'), /has changes \(stray\.txt\)/);
    assert.ok(fs.existsSync(path.join(integ.worktree, 'stray.txt')));
  });
});

describe('fastForwardOffer', () => {
  async function setup() {
    const repo = makeRepo({ 'README.md': 'r\n' });
    const integ = await ensureIntegration({ repo, branch: 'waves/feat/_integration', worktree: wtPath(repo, '_integration'), base: 'main' });
    const a = await newWorktree(repo, 'a');
    agent(a.path, 'write src/a.ts; commit a');
    await mergeInto(integ.worktree, 'waves/feat/a', 'Merge a');
    return { repo, integ };
  }

  it('target checked out in a clean main worktree → merge --ff-only moves it', async () => {
    const { repo, integ } = await setup();
    writeFiles(repo, { 'untracked-note.txt': 'mine\n' });
    const offer = await fastForwardOffer(repo, 'main', 'waves/feat/_integration');
    assert.deepEqual([offer.possible, offer.method], [true, 'merge-ff-only']);
    await fastForward(repo, offer);
    assert.equal(head(repo), head(integ.worktree));
    assert.ok(fs.existsSync(path.join(repo, 'src/a.ts')));
    assert.equal(fs.readFileSync(path.join(repo, 'untracked-note.txt'), 'utf8'), 'mine\n');
    const done = await fastForwardOffer(repo, 'main', 'waves/feat/_integration');
    assert.deepEqual([done.possible, done.reason], [false, 'main is already at waves/feat/_integration']);
  });

  it("a local ignored file the integration branch adds (force-added by an agent) → refused, naming it; the file is untouched", async () => {
    const repo = makeRepo({ 'README.md': 'r\n', '.gitignore': '*.env\n' });
    const integ = await ensureIntegration({ repo, branch: 'waves/feat/_integration', worktree: wtPath(repo, '_integration'), base: 'main' });
    const a = await newWorktree(repo, 'a');
    agent(a.path, 'write src/a/.env SECRET=agent; git add -f src/a/.env; commit a');
    await mergeInto(integ.worktree, 'waves/feat/a', 'Merge a');
    writeFiles(repo, { 'src/a/.env': 'SECRET=mine\n' });
    const before = head(repo);
    const offer = await fastForwardOffer(repo, 'main', 'waves/feat/_integration');
    assert.equal(offer.possible, false);
    assert.match(offer.reason, /where the fast-forward would overwrite or delete a file of yours that git does not track: src\/a\/\.env \(ignored\); move it out of the way/);
    assert.deepEqual(offer.inTheWay, [{ path: 'src/a/.env', ignored: true }]);
    await assert.rejects(fastForward(repo, offer), /cannot fast-forward/);
    assert.equal(head(repo), before);
    assert.equal(fs.readFileSync(path.join(repo, 'src/a/.env'), 'utf8'), 'SECRET=mine\n');
  });

  it('uncommitted changes in the main worktree → refused with the files; nothing moves', async () => {
    const { repo } = await setup();
    const before = head(repo);
    writeFiles(repo, { 'README.md': 'edited by the user\n' });
    const offer = await fastForwardOffer(repo, 'main', 'waves/feat/_integration');
    assert.equal(offer.possible, false);
    assert.match(offer.reason, /uncommitted changes \(README\.md\)/);
    await assert.rejects(fastForward(repo, offer), /cannot fast-forward/);
    assert.equal(head(repo), before);
    assert.equal(fs.readFileSync(path.join(repo, 'README.md'), 'utf8'), 'edited by the user\n');
  });

  it('target checked out nowhere → update-ref (compare-and-swap); diverged → refused', async () => {
    const { repo, integ } = await setup();
    git(repo, 'branch', 'release', 'main');
    const offer = await fastForwardOffer(repo, 'release', 'waves/feat/_integration');
    assert.deepEqual([offer.possible, offer.method], [true, 'update-ref']);
    await fastForward(repo, offer);
    assert.equal(git(repo, 'rev-parse', 'release').trim(), head(integ.worktree));

    agent(repo, 'write user.txt; commit the user kept working');
    const diverged = await fastForwardOffer(repo, 'main', 'waves/feat/_integration');
    assert.equal(diverged.possible, false);
    assert.match(diverged.reason, /main has commits that waves\/feat\/_integration lacks/);
  });

  it('target checked out in a linked worktree → refused, naming it', async () => {
    const { repo } = await setup();
    git(repo, 'branch', 'topic', 'main');
    const other = path.join(tempDir(), 'topic-wt');
    git(repo, 'worktree', 'add', other, 'topic');
    const offer = await fastForwardOffer(repo, 'topic', 'waves/feat/_integration');
    assert.equal(offer.possible, false);
    assert.match(offer.reason, /checked out in the worktree .*topic-wt; fast-forward it there \(git -C .*topic-wt merge --ff-only waves\/feat\/_integration\)/);
    // Asked for that checkout itself (a run from the linked worktree): offered there, and done.
    const there = await fastForwardOffer(other, 'topic', 'waves/feat/_integration');
    assert.deepEqual([there.possible, there.method, there.worktree, there.checkout], [true, 'merge-ff-only', other, other]);
    await fastForward(repo, there);
    assert.equal(git(other, 'rev-parse', 'HEAD').trim(), git(repo, 'rev-parse', 'waves/feat/_integration').trim());
  });
});

describe('trees made ahead (#18, ADR 0016)', () => {
  /** A repository with its integration branch, and a tree for `name` made ahead at the integration tip, marked. */
  async function madeAhead(name = 'b') {
    const repo = makeRepo({ 'README.md': 'r\n' });
    const integ = await ensureIntegration({ repo, branch: 'waves/feat/_integration', worktree: wtPath(repo, '_integration'), base: 'main' });
    const tree = await createWorktree({ repo, path: wtPath(repo, name), branch: `waves/feat/${name}`, base: 'waves/feat/_integration', reason: 'waves run r1' });
    markMadeAhead(tree.path, tree.head);
    const req = { repo, path: tree.path, branch: `waves/feat/${name}`, base: 'waves/feat/_integration' };
    return { repo, integ, tree, req };
  }

  /** The dependency's work merged into the integration branch meanwhile; its merge commit. */
  async function dependencyMerged(repo: string, integration: string): Promise<string> {
    const dep = await newWorktree(repo, 'a', 'waves/feat/_integration');
    agent(dep.path, 'write src/a.ts; commit a');
    const merged = await mergeInto(integration, 'waves/feat/a', 'Merge a');
    assert.ok(merged.merged);
    return merged.commit;
  }

  it('is taken as made: fast-forwarded to the base with the dependency merged since, its mark gone, a new tree for the set-up hook', async () => {
    const { repo, integ, tree, req } = await madeAhead();
    assert.equal(madeAheadAt(tree.path), tree.head);
    assert.equal(status(tree.path), '', 'the mark lives in the private git folder, not in the work tree');
    const merge = await dependencyMerged(repo, integ.worktree);
    const taken = await takeMadeAhead(req, tree.head);
    assert.deepEqual([taken.how, taken.baseSha, taken.head, taken.mergedBase], ['created', merge, merge, null]);
    assert.equal(head(tree.path), merge);
    assert.ok(fs.existsSync(path.join(tree.path, 'src/a.ts')), "the dependency's work is in the tree");
    assert.equal(git(tree.path, 'rev-list', '--count', `${merge}..HEAD`).trim(), '0', 'no merge commit of its own');
    assert.equal(madeAheadAt(tree.path), null);
    assert.equal(git(tree.path, 'symbolic-ref', 'HEAD').trim(), 'refs/heads/waves/feat/b');
    // Nothing moved: taken at once (the base is where it was made).
    const again = await madeAhead('c');
    assert.equal((await takeMadeAhead(again.req, again.tree.head)).head, again.tree.head);
  });

  it("made ahead by an engine stopped before its mark: its lock reason, written by git before the tree's files, still says so; taken only as made", async () => {
    const repo = makeRepo({ 'README.md': 'r\n' });
    const integ = await ensureIntegration({ repo, branch: 'waves/feat/_integration', worktree: wtPath(repo, '_integration'), base: 'main' });
    const at = head(integ.worktree);
    const tree = await createWorktree({ repo, path: wtPath(repo, 'b'), branch: 'waves/feat/b', base: at, reason: madeAheadReason('waves run r1', at), onlyNew: true });
    assert.match(git(repo, 'worktree', 'list', '--porcelain'), new RegExp(`locked waves run r1 \\(made ahead at ${at}\\)`));
    assert.equal(madeAheadAt(tree.path), at, 'no mark: the lock reason says it');
    writeFiles(tree.path, { 'b/planted.ts': 'from another agent\n' });
    const req = { repo, path: tree.path, branch: 'waves/feat/b', base: 'waves/feat/_integration' };
    await assert.rejects(takeMadeAhead(req, at), /changed before its package started \(1 file\(s\) changed or added: b\/planted\.ts\)/);
    fs.rmSync(path.join(tree.path, 'b'), { recursive: true });
    await takeMadeAhead(req, at);
    assert.equal(madeAheadAt(tree.path), null, 'taken: an attempt\'s tree from now on, whatever its lock reason says');
    // A tree an attempt made (its lock reason the run's only) is no tree made ahead.
    const other = await newWorktree(repo, 'c');
    assert.equal(madeAheadAt(other.path), null);
  });

  it('a tree changed while it waited is kept as it is, with its mark, and the start refused with what changed', async () => {
    const { repo, integ, tree, req } = await madeAhead();
    await dependencyMerged(repo, integ.worktree);
    writeFiles(tree.path, { 'b/planted.ts': 'from another agent\n' });
    await assert.rejects(takeMadeAhead(req, tree.head), /changed before its package started \(1 file\(s\) changed or added: b\/planted\.ts\); it is kept/);
    assert.equal(fs.readFileSync(path.join(tree.path, 'b/planted.ts'), 'utf8'), 'from another agent\n');
    assert.equal(head(tree.path), tree.head, 'not moved');
    assert.equal(madeAheadAt(tree.path), tree.head);

    fs.rmSync(path.join(tree.path, 'b'), { recursive: true });
    agent(tree.path, 'write b/early.ts; commit early');
    const early = head(tree.path);
    await assert.rejects(takeMadeAhead(req, tree.head), /its branch moved from [0-9a-f]{12} to [0-9a-f]{12}/);
    assert.equal(head(tree.path), early, 'the commit is kept');

    git(tree.path, 'checkout', '-q', '-b', 'elsewhere');
    await assert.rejects(takeMadeAhead(req, tree.head), /it is on elsewhere, not waves\/feat\/b/);
  });

  it('dropped at the end only while exactly as made: the tree and its branch go (even when the person never merged), a changed one stays', async () => {
    const { repo, tree } = await madeAhead();
    assert.equal(await dropMadeAhead(repo, tree.path, 'waves/feat/b', tree.head), true);
    assert.equal(fs.existsSync(tree.path), false);
    assert.equal(await revParse(repo, 'refs/heads/waves/feat/b'), null, 'its branch deleted by compare-and-swap');
    assert.equal((await listWorktrees(repo)).some((w) => w.branch === 'waves/feat/b'), false);

    const kept = await madeAhead('d');
    writeFiles(kept.tree.path, { 'notes.md': 'someone was here\n' });
    assert.equal(await dropMadeAhead(kept.repo, kept.tree.path, 'waves/feat/d', kept.tree.head), false);
    assert.equal(fs.readFileSync(path.join(kept.tree.path, 'notes.md'), 'utf8'), 'someone was here\n');
    const taken = await madeAhead('e');
    await takeMadeAhead(taken.req, taken.tree.head);
    assert.equal(await dropMadeAhead(taken.repo, taken.tree.path, 'waves/feat/e', taken.tree.head), false, 'a taken tree (no mark) is an attempt\'s');
    assert.ok(fs.existsSync(taken.tree.path));
  });
});

describe('removeWorktreeIfSafe', () => {
  it('refuses dirty and unmerged worktrees with the reason; removes a clean merged one without --force', async () => {
    const repo = makeRepo();
    const integ = await ensureIntegration({ repo, branch: 'waves/feat/_integration', worktree: wtPath(repo, '_integration'), base: 'main' });
    const a = await newWorktree(repo, 'a');
    agent(a.path, 'write src/a.ts; commit a');

    const unmerged = await removeWorktreeIfSafe({ repo, worktree: a.path, branch: 'waves/feat/a', mergedInto: 'waves/feat/_integration' });
    assert.deepEqual([unmerged.removed, unmerged.reason], [false, 'waves/feat/a is not merged into waves/feat/_integration; kept']);

    await mergeInto(integ.worktree, 'waves/feat/a', 'Merge a');
    writeFiles(a.path, { 'notes/untracked.md': 'agent notes\n' });
    const dirty = await removeWorktreeIfSafe({ repo, worktree: a.path, branch: 'waves/feat/a', mergedInto: 'waves/feat/_integration' });
    assert.equal(dirty.removed, false);
    assert.match(dirty.reason!, /1 uncommitted or untracked file\(s\) \(notes\/untracked\.md\); kept/);
    assert.ok(fs.existsSync(path.join(a.path, 'notes/untracked.md')));
    assert.equal((await listWorktrees(repo)).find((w) => w.branch === 'waves/feat/a')!.locked, 'waves run r1', 'still locked');

    fs.rmSync(path.join(a.path, 'notes'), { recursive: true });
    const ok = await removeWorktreeIfSafe({ repo, worktree: a.path, branch: 'waves/feat/a', mergedInto: 'waves/feat/_integration' });
    assert.equal(ok.removed, true);
    assert.equal(fs.existsSync(a.path), false);
    assert.equal((await listWorktrees(repo)).some((w) => w.branch === 'waves/feat/a'), false);
    // Nothing left for a prune: the repository's entry for the tree went with it, and none is listed as prunable.
    assert.deepEqual(fs.readdirSync(path.join(repo, '.git', 'worktrees')).sort(), ['_integration']);
    assert.equal((await listWorktrees(repo)).some((w) => w.prunable !== null), false);
    // `branch -d` checks against the current HEAD (main), which lacks the merge: the branch stays.
    assert.equal(ok.branchDeleted, false);
    assert.match(ok.reason!, /the branch waves\/feat\/a stays/);
    assert.ok(await revParse(repo, 'waves/feat/a'));
  });

  it('deletes the branch once the user fast-forwarded', async () => {
    const repo = makeRepo();
    const integ = await ensureIntegration({ repo, branch: 'waves/feat/_integration', worktree: wtPath(repo, '_integration'), base: 'main' });
    const a = await newWorktree(repo, 'a');
    agent(a.path, 'write src/a.ts; commit a');
    await mergeInto(integ.worktree, 'waves/feat/a', 'Merge a');
    await fastForward(repo, await fastForwardOffer(repo, 'main', 'waves/feat/_integration'));
    const ok = await removeWorktreeIfSafe({ repo, worktree: a.path, branch: 'waves/feat/a', mergedInto: 'main' });
    assert.deepEqual(ok, { removed: true, branchDeleted: true, reason: null });
    assert.equal(await revParse(repo, 'waves/feat/a'), null);
  });
});

describe('runSetupHook', () => {
  it('runs an argv (no shell) in the worktree and logs its output', async () => {
    const dir = tempDir();
    const log = path.join(dir, 'logs', 'setup.log');
    const r = await runSetupHook(dir, [process.execPath, '-e', 'require("fs").writeFileSync("installed", process.argv[1]); console.log("installed ok")', '$(rm -rf /tmp/x); echo'], log);
    assert.equal(r.ok, true);
    assert.equal(fs.readFileSync(path.join(dir, 'installed'), 'utf8'), '$(rm -rf /tmp/x); echo', 'an argument stays one literal argument');
    assert.match(fs.readFileSync(log, 'utf8'), /installed ok/);
  });

  it("a failing hook is returned with its log's tail, not swallowed", async () => {
    const dir = tempDir();
    const r = await runSetupHook(dir, [process.execPath, '-e', 'for (let i = 1; i <= 30; i++) console.error("line " + i); process.exit(4)'], path.join(dir, 'setup.log'), undefined, 5);
    assert.deepEqual([r.ok, r.code], [false, 4]);
    assert.equal(r.tail, 'line 26\nline 27\nline 28\nline 29\nline 30');
  });

  it('a hook that cannot start says so', async () => {
    const dir = tempDir();
    const r = await runSetupHook(dir, [path.join(dir, 'no-such-tool')], path.join(dir, 'setup.log'));
    assert.equal(r.ok, false);
    assert.match(r.tail, /could not start: .*ENOENT/);
  });
});
