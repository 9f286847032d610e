/**
 * Merges of packages that ended together land together (`src/engine/merge.ts`, issue #18): on a
 * REAL repository, three merges asked at once make one batch — each audited commit merged on the
 * one before it in memory, one fast-forward of the integration branch — and a conflict in the
 * batch fails that package alone. The history is the one separate merges would have made.
 *
 * Run: node --import tsx --test test/engine/mergeBatch.test.ts
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { analyzePlan } from '../../src/core/plan/analyze.js';
import { createRunState } from '../../src/core/run/runState.js';
import { RunContext } from '../../src/engine/context.js';
import { LocalExecutor } from '../../src/engine/localExecutor.js';
import { Merges } from '../../src/engine/merge.js';
import { RunStore } from '../../src/store/runStore.js';
import { repoWithPlan, scriptedAgent } from './engineFixtures.js';
import { git } from './helpers.js';

/** A commit of `files` on `waves/batch/<id>`, made from `base` in a worktree of its own. */
function packageCommit(repo: string, id: string, base: string, files: Record<string, string>): string {
  const tree = path.join(`${repo}.worktrees`, 'batch', id);
  git(repo, 'worktree', 'add', '-q', '-b', `waves/batch/${id}`, tree, base);
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(tree, f)), { recursive: true });
    fs.writeFileSync(path.join(tree, f), text);
  }
  git(tree, 'add', '-A');
  git(tree, 'commit', '-q', '-m', `${id}'s work`);
  return git(tree, 'rev-parse', 'HEAD').trim();
}

describe('merges asked together', () => {
  it('land in one fast-forward, each on the one before; a conflict in the batch fails only its package', async () => {
    const { repo, planFile } = repoWithPlan('batch', [{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
    const analysis = analyzePlan(fs.readFileSync(planFile, 'utf8'));
    assert.ok(analysis.valid);
    const ctx = new RunContext(repo, planFile, 'batch', analysis, { planFile, agent: scriptedAgent() }, new LocalExecutor({ repoRoot: repo, featureId: 'batch' }));
    const store = new RunStore({
      workspaceRoot: repo,
      featureId: 'batch',
      coalesceMs: 0,
      createInitial: () => createRunState({ featureId: 'batch', planFile: 'work-packages.yaml', runId: '20261125-000000-abcdef', packageIds: ['a', 'b', 'c'], now: new Date() }),
    });
    ctx.store = store;
    ctx.loaded((await store.load()).state);
    const merges = new Merges(ctx);
    await merges.ensureIntegration();
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

    const pkg = (id: string) => analysis.plan.packages.find((p) => p.id === id)!;
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
