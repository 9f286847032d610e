/**
 * Merges of packages that ended together land together (`src/engine/run/merge.ts`): on a
 * REAL repository, three merges asked at once make one batch — each audited commit merged on the
 * one before it in memory, one fast-forward of the integration branch — and a conflict in the
 * batch fails that package alone. The history is the one separate merges would have made. A
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
import { repoWithPlan, scriptedAgent } from '../engineFixtures.js';
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

/** A run context on a plan of `ids` with its integration branch, and its Merges. */
async function mergesFor(feature: string, ids: string[]) {
  const { repo, planFile } = repoWithPlan(feature, ids.map((id) => ({ id })));
  const analysis = analyzePlan(fs.readFileSync(planFile, 'utf8'));
  assert.ok(analysis.valid);
  const ctx = new RunContext(repo, planFile, feature, analysis, { planFile, agent: scriptedAgent() }, new LocalExecutor({ repoRoot: repo, featureId: feature }));
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
