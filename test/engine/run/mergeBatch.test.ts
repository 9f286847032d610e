/**
 * Merges of packages that ended together land together (`src/engine/run/merge.ts`): on a
 * REAL repository, three merges asked at once make one batch — each audited commit merged on the
 * one before it in memory, one fast-forward of the integration branch — and a conflict in the
 * batch fails that package alone. The history is the one separate merges would have made. On the
 * tip the run left, merges of different paths are written as one chain by `git fast-import` (ADR
 * 0038): each merge's tree is the one `git merge-tree` gives its two parents, and those that
 * remove a file, share a path or fall outside their scope follow one at a time. A
 * merge read ahead while its package is audited (ADR 0017) is used only on the tip it was read on:
 * after another merge, or a person's commit, it is read again.
 *
 * Run: node --import tsx --test test/engine/run/mergeBatch.test.ts
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { analyzePlan } from '../../../src/core/plan/analyze.js';
import { createRunState } from '../../../src/core/run/runStateInit.js';
import { RunContext } from '../../../src/engine/run/context.js';
import { LocalExecutor } from '../../../src/engine/attempt/localExecutor.js';
import { Merges } from '../../../src/engine/run/merge.js';
import { RunStore } from '../../../src/store/runStore.js';
import { repoWithPlan, scriptedAgent, type TestPackage } from '../engineFixtures.js';
import { git } from '../helpers.js';

/** A commit of `files` on `waves/<feature>/<id>`, made from `base` in a worktree of its own. */
function packageCommit(repo: string, id: string, base: string, files: Record<string, string>, feature = 'batch'): string {
  const tree = path.join(`${repo}.worktrees`, feature, id);
  git(repo, 'worktree', 'add', '-q', '-b', `waves/${feature}/${id}`, tree, base);
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(tree, f)), { recursive: true });
    fs.writeFileSync(path.join(tree, f), text);
  }
  git(tree, 'add', '-A');
  git(tree, 'commit', '-q', '-m', `${id}'s work`);
  return git(tree, 'rev-parse', 'HEAD').trim();
}

/** A run context on a plan of `ids` with its integration branch, and its Merges; `marks`: the engine's trace marks, when given. */
async function mergesFor(feature: string, packages: (string | TestPackage)[], marks?: string[]) {
  const ids = packages.map((p) => (typeof p === 'string' ? p : p.id));
  const { repo, planFile } = repoWithPlan(feature, packages.map((p) => (typeof p === 'string' ? { id: p } : p)));
  const analysis = analyzePlan(fs.readFileSync(planFile, 'utf8'));
  assert.ok(analysis.valid);
  const trace = marks ? (step: string, id: string) => void marks.push(`${step} ${id}`) : undefined;
  const ctx = new RunContext(repo, planFile, feature, analysis, { planFile, agent: scriptedAgent(), ...(trace ? { trace } : {}) }, new LocalExecutor({ repoRoot: repo, featureId: feature }));
  const store = new RunStore({
    workspaceRoot: repo,
    featureId: feature,
    coalesceMs: 0,
    createInitial: () => createRunState({ featureId: feature, planFile: 'work-packages.yaml', runId: '20261125-000000-abcdef', packageIds: ids, now: new Date() }),
  });
  ctx.storeOpened(store);
  ctx.loaded((await store.load()).state);
  // No integration guard in these runs: the merges that land are told to nobody.
  const merges = new Merges(ctx, { landed: () => undefined });
  await merges.ensureIntegration();
  const pkg = (id: string) => analysis.plan.packages.find((p) => p.id === id)!;
  return { repo, ctx, merges, pkg };
}

describe('a merge read ahead (ADR 0017)', () => {
  it('is used while the tip holds, and read again when the tip moved: on another merge, and on a conflict a person made', async () => {
    const { repo, ctx, merges, pkg } = await mergesFor('ahead', ['a', 'b', 'c', 'd']);
    const base = ctx.state.integration!.tipSha;
    const wt = ctx.state.integration!.worktree;
    const commitOf = (id: string) => packageCommit(repo, id, base, { [`${id}/x.txt`]: `${id}\n` }, 'ahead');
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(commitOf) as [string, string, string, string];
    // a, c and d are read ahead on the tip of now; all are clean there.
    for (const [id, commit] of [['a', a], ['c', c], ['d', d]] as const) merges.readAhead(id, commit);
    assert.equal(await merges.serialMerge(pkg('a'), a), true);
    const afterA = ctx.state.integration!.tipSha;
    assert.deepEqual([git(repo, 'rev-parse', `${afterA}^1`).trim(), git(repo, 'rev-parse', `${afterA}^2`).trim()], [base, a], "a's merge: on the tip it was read on");
    assert.equal(await merges.serialMerge(pkg('b'), b), true);
    const afterB = ctx.state.integration!.tipSha;
    // d was read on the tip before a and b: merged on b's merge, with everything of a and b kept.
    assert.equal(await merges.serialMerge(pkg('d'), d), true);
    const afterD = ctx.state.integration!.tipSha;
    assert.deepEqual([git(repo, 'rev-parse', `${afterD}^1`).trim(), git(repo, 'rev-parse', `${afterD}^2`).trim()], [afterB, d]);
    assert.deepEqual(git(repo, 'ls-tree', '-r', '--name-only', afterD).trim().split('\n').filter((f) => f.endsWith('x.txt')), ['a/x.txt', 'b/x.txt', 'd/x.txt']);
    assert.deepEqual(ctx.state.merges.d?.files, ['d/x.txt']);
    // A person commits c's file on the integration branch: c's clean reads of the old tip are not used; the conflict is said.
    fs.mkdirSync(path.join(wt, 'c'));
    fs.writeFileSync(path.join(wt, 'c', 'x.txt'), 'from a person\n');
    git(wt, 'add', '-A');
    git(wt, 'commit', '-q', '-m', 'a person edits c/x.txt');
    assert.equal(await merges.serialMerge(pkg('c'), c), false);
    assert.equal(ctx.state.merges.c?.status, 'conflict');
    assert.deepEqual(ctx.state.merges.c?.files, ['c/x.txt']);
    assert.equal(fs.readFileSync(path.join(wt, 'c', 'x.txt'), 'utf8'), 'from a person\n');
    assert.equal(git(wt, 'status', '--porcelain').trim(), '');
  });
});

describe('merges asked together', () => {
  it('land in one fast-forward, each on the one before; a conflict in the batch fails only its package', async () => {
    const { repo, ctx, merges, pkg } = await mergesFor('batch', ['a', 'b', 'c']);
    const integration = ctx.state.integration!;
    const base = integration.tipSha;

    const a = packageCommit(repo, 'a', base, { 'a/x.txt': 'a\n' });
    const b = packageCommit(repo, 'b', base, { 'b/x.txt': 'from the agent\n' });
    const c = packageCommit(repo, 'c', base, { 'c/x.txt': 'c\n' });
    // Someone commits b's file on the integration branch meanwhile: b conflicts; the run learns of it from HEAD.
    fs.mkdirSync(path.join(integration.worktree, 'b'));
    fs.writeFileSync(path.join(integration.worktree, 'b', 'x.txt'), 'from a person\n');
    git(integration.worktree, 'add', '-A');
    git(integration.worktree, 'commit', '-q', '-m', 'a person edits b/x.txt');
    const person = git(integration.worktree, 'rev-parse', 'HEAD').trim();
    const reflogBefore = git(repo, 'reflog', 'show', '--format=%H', integration.branch).trim().split('\n').length;

    const results = await Promise.all([merges.serialMerge(pkg('a'), a), merges.serialMerge(pkg('b'), b), merges.serialMerge(pkg('c'), c)]);

    assert.deepEqual(results, [true, false, true]);
    const state = ctx.state;
    assert.equal(state.merges.a?.status, 'merged');
    assert.equal(state.merges.b?.status, 'conflict');
    assert.deepEqual(state.merges.b?.files, ['b/x.txt']);
    assert.equal(state.merges.c?.status, 'merged');
    // One fast-forward for both merges.
    const reflogAfter = git(repo, 'reflog', 'show', '--format=%H', integration.branch).trim().split('\n').length;
    assert.equal(reflogAfter - reflogBefore, 1, git(repo, 'reflog', 'show', integration.branch));
    // The history separate merges make: c's merge on a's merge on the person's commit, each with the package's commit as second parent.
    const tip = git(repo, 'rev-parse', integration.branch).trim();
    assert.equal(state.integration?.tipSha, tip);
    assert.equal(state.merges.c?.commit, tip);
    assert.equal(git(repo, 'rev-parse', `${tip}^2`).trim(), c);
    const mergeA = git(repo, 'rev-parse', `${tip}^1`).trim();
    assert.equal(state.merges.a?.commit, mergeA);
    assert.equal(git(repo, 'rev-parse', `${mergeA}^2`).trim(), a);
    assert.equal(git(repo, 'rev-parse', `${mergeA}^1`).trim(), person);
    assert.deepEqual(state.merges.a?.files, ['a/x.txt']);
    assert.deepEqual(state.merges.c?.files, ['c/x.txt']);
    // The integration worktree holds both, and the person's file is untouched.
    assert.equal(fs.readFileSync(path.join(integration.worktree, 'a', 'x.txt'), 'utf8'), 'a\n');
    assert.equal(fs.readFileSync(path.join(integration.worktree, 'c', 'x.txt'), 'utf8'), 'c\n');
    assert.equal(fs.readFileSync(path.join(integration.worktree, 'b', 'x.txt'), 'utf8'), 'from a person\n');
    assert.equal(git(integration.worktree, 'status', '--porcelain').trim(), '');
  });
});

describe('merges asked together on the tip the run left', () => {
  it('are written as one chain when their paths are apart — the commits and trees one at a time would make — and the rest follow one at a time', async () => {
    const marks: string[] = [];
    const { repo, ctx, merges, pkg } = await mergesFor('chain', ['a', 'b', 'c', { id: 'd', write: ['shared.md'] }, { id: 'e', write: ['e/**', 'old.txt'] }, { id: 'f', write: ['a/x.txt'], deps: ['a'] }], marks);
    const integration = ctx.state.integration!;
    const wt = integration.worktree;
    // The base holds a file d changes and one e removes.
    fs.writeFileSync(path.join(wt, 'shared.md'), 'one\ntwo\n');
    fs.writeFileSync(path.join(wt, 'old.txt'), 'old\n');
    git(wt, 'add', '-A');
    git(wt, 'commit', '-q', '-m', 'base files');
    const base = git(wt, 'rev-parse', 'HEAD').trim();
    ctx.state.integration!.tipSha = base;
    const odd = 'a/with space/"q" ünï\ttab.txt';
    const a = packageCommit(repo, 'a', base, { 'a/x.txt': 'a\n', [odd]: 'odd\n' }, 'chain');
    packageCommit(repo, 'b', base, { 'b/run.sh': '#!/bin/sh\n' }, 'chain');
    fs.chmodSync(path.join(`${repo}.worktrees`, 'chain', 'b', 'b', 'run.sh'), 0o755);
    git(path.join(`${repo}.worktrees`, 'chain', 'b'), 'commit', '-q', '-a', '-m', 'executable');
    const bExec = git(path.join(`${repo}.worktrees`, 'chain', 'b'), 'rev-parse', 'HEAD').trim();
    const c = packageCommit(repo, 'c', base, { 'c/deep/er/x.txt': 'c\n' }, 'chain');
    const d = packageCommit(repo, 'd', base, { 'shared.md': 'one\ntwo\nthree\n' }, 'chain');
    // e removes a file: merged one at a time, after the chain.
    const eTree = path.join(`${repo}.worktrees`, 'chain', 'e');
    const e0 = packageCommit(repo, 'e', base, { 'e/x.txt': 'e\n' }, 'chain');
    git(eTree, 'rm', '-q', 'old.txt');
    git(eTree, 'commit', '-q', '-m', 'e removes old.txt');
    const e = git(eTree, 'rev-parse', 'HEAD').trim();
    assert.notEqual(e, e0);
    // f writes a's file too: left apart, it conflicts with a's merge on the chain.
    const f = packageCommit(repo, 'f', base, { 'a/x.txt': 'not a\n' }, 'chain');
    const reflogBefore = git(repo, 'reflog', 'show', '--format=%H', integration.branch).trim().split('\n').length;

    const results = await Promise.all([
      merges.serialMerge(pkg('a'), a),
      merges.serialMerge(pkg('b'), bExec),
      merges.serialMerge(pkg('c'), c),
      merges.serialMerge(pkg('d'), d),
      merges.serialMerge(pkg('e'), e),
      merges.serialMerge(pkg('f'), f),
    ]);

    assert.deepEqual(results, [true, true, true, true, true, false]);
    assert.deepEqual(
      marks.filter((m) => m.startsWith('merge-chain')),
      ['merge-chain a', 'merge-chain b', 'merge-chain c', 'merge-chain d'],
      'a, b, c and d in one chain; e (a removal) and f (a path of a) apart',
    );
    const state = ctx.state;
    assert.equal(state.merges.f?.status, 'conflict');
    assert.deepEqual(state.merges.f?.files, ['a/x.txt']);
    // One fast-forward for the batch.
    const reflogAfter = git(repo, 'reflog', 'show', '--format=%H', integration.branch).trim().split('\n').length;
    assert.equal(reflogAfter - reflogBefore, 1);
    // The history one at a time makes: e's merge on d's, on c's, on b's, on a's, on the base; each with its package's commit.
    const tip = git(repo, 'rev-parse', integration.branch).trim();
    assert.equal(state.integration?.tipSha, tip);
    const chain: string[] = [];
    for (let at = tip; at !== base; at = git(repo, 'rev-parse', `${at}^1`).trim()) chain.unshift(at);
    assert.deepEqual(
      chain.map((m) => git(repo, 'rev-parse', `${m}^2`).trim()),
      [a, bExec, c, d, e],
    );
    assert.deepEqual(chain, ['a', 'b', 'c', 'd', 'e'].map((id) => state.merges[id]?.commit));
    for (const [i, m] of chain.entries()) {
      const id = ['a', 'b', 'c', 'd', 'e'][i]!;
      assert.equal(git(repo, 'log', '-1', '--format=%s', m).trim(), `waves: merge ${id} into ${integration.branch}`);
      // Named as commit-tree names a merge one at a time (e's, the last).
      assert.equal(git(repo, 'log', '-1', '--format=%an <%ae> %cn <%ce>', m).trim(), git(repo, 'log', '-1', '--format=%an <%ae> %cn <%ce>', tip).trim());
      // Each merge's tree is exactly the one git's merge of the package's commit on the merge before it gives.
      const before = git(repo, 'rev-parse', `${m}^1`).trim();
      const merged = git(repo, 'merge-tree', '--write-tree', before, `${m}^2`).trim().split('\n')[0];
      assert.equal(git(repo, 'rev-parse', `${m}^{tree}`).trim(), merged, `${id}'s merge tree`);
    }
    assert.deepEqual(state.merges.a?.files?.slice().sort(), ['a/x.txt', odd].sort());
    assert.deepEqual(state.merges.b?.files, ['b/run.sh']);
    assert.deepEqual(state.merges.d?.files, ['shared.md']);
    // The worktree has all of it: the executable bit, the odd name, d's change, e's removal; nothing left over.
    assert.equal(fs.readFileSync(path.join(wt, odd), 'utf8'), 'odd\n');
    assert.ok((fs.statSync(path.join(wt, 'b', 'run.sh')).mode & 0o111) !== 0);
    assert.equal(fs.readFileSync(path.join(wt, 'shared.md'), 'utf8'), 'one\ntwo\nthree\n');
    assert.equal(fs.existsSync(path.join(wt, 'old.txt')), false);
    assert.equal(fs.readFileSync(path.join(wt, 'a', 'x.txt'), 'utf8'), 'a\n');
    assert.equal(git(wt, 'status', '--porcelain').trim(), '');
    // fast-import's ref is gone; its objects were written loose, as commit-tree writes them.
    assert.equal(git(repo, 'for-each-ref', 'refs/waves-merge-chain').trim(), '');
    assert.equal(git(repo, 'count-objects', '-v').includes('packs: 0'), true);
  });

  it('go one at a time when fewer than two could chain, each on the merge before it', async () => {
    const marks: string[] = [];
    const { repo, ctx, merges, pkg } = await mergesFor('chainone', ['a', { id: 'b', write: ['b/**', 'README.md'] }], marks);
    const base = ctx.state.integration!.tipSha;
    const a = packageCommit(repo, 'a', base, { 'a/x.txt': 'a\n' }, 'chainone');
    const bTree = path.join(`${repo}.worktrees`, 'chainone', 'b');
    packageCommit(repo, 'b', base, { 'b/x.txt': 'b\n' }, 'chainone');
    git(bTree, 'rm', '-q', 'README.md');
    git(bTree, 'commit', '-q', '-m', 'b removes the README');
    const b = git(bTree, 'rev-parse', 'HEAD').trim();
    assert.deepEqual(await Promise.all([merges.serialMerge(pkg('a'), a), merges.serialMerge(pkg('b'), b)]), [true, true]);
    assert.deepEqual(marks.filter((m) => m.startsWith('merge-chain')), []);
    const tip = ctx.state.integration!.tipSha;
    assert.deepEqual([git(repo, 'rev-parse', `${tip}^2`).trim(), git(repo, 'rev-parse', `${tip}^1^2`).trim(), git(repo, 'rev-parse', `${tip}^1^1`).trim()], [b, a, base]);
    assert.deepEqual(git(repo, 'ls-tree', '-r', '--name-only', tip).trim().split('\n').filter((p) => !p.startsWith('.') && p !== 'work-packages.yaml'), ['a/x.txt', 'b/x.txt']);
  });

  it('leave one outside its scope on the tip to be audited one at a time (and refused); the others land as a chain', async () => {
    const marks: string[] = [];
    const { repo, ctx, merges, pkg } = await mergesFor('chainscope', ['a', 'b', 'c'], marks);
    const base = ctx.state.integration!.tipSha;
    const a = packageCommit(repo, 'a', base, { 'a/x.txt': 'a\n' }, 'chainscope');
    // b writes outside its scope (b/**): its merge is audited as one at a time and refused.
    const b = packageCommit(repo, 'b', base, { 'elsewhere/x.txt': 'b\n' }, 'chainscope');
    const c = packageCommit(repo, 'c', base, { 'c/x.txt': 'c\n' }, 'chainscope');
    const results = await Promise.all([merges.serialMerge(pkg('a'), a), merges.serialMerge(pkg('b'), b), merges.serialMerge(pkg('c'), c)]);
    assert.deepEqual(results, [true, false, true]);
    assert.deepEqual(marks.filter((m) => m.startsWith('merge-chain')), ['merge-chain a', 'merge-chain c']);
    assert.equal(ctx.state.merges.b?.status, 'skipped');
    const tip = ctx.state.integration!.tipSha;
    assert.deepEqual(git(repo, 'ls-tree', '-r', '--name-only', tip).trim().split('\n').filter((p) => p.endsWith('x.txt')), ['a/x.txt', 'c/x.txt']);
  });
});
