/**
 * The front door's finish offer and clean-up on real repositories: the fast-forward of the
 * person's branch to the integration branch is offered only when nothing can be lost and no
 * live lease says someone drives the run (both front ends now get that check), is checked
 * again before it is done, and the clean-up removes nothing while the run is driven.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import type { RunState } from '../../../src/core/run/runState';
import { cleanUpWorktrees, fastForwardTo, finishOffer } from '../../../src/engine';
import { git } from '../helpers';
import { isolateGit, planRepo, writeLease, writeRunState } from './fixtures';

before(isolateGit);

const BRANCH = 'waves/fin/_integration';

/** A repository whose integration branch is one commit ahead of main, and the run state naming it. */
function finishedRun(): { repo: string; state: RunState; tip: string } {
  const { repo } = planRepo('fin', [{ id: 'a' }, { id: 'b' }]);
  const base = git(repo, 'rev-parse', 'HEAD').trim();
  const worktree = path.join(path.dirname(repo), 'integration');
  git(repo, 'worktree', 'add', '-q', '-b', BRANCH, worktree, 'main');
  fs.mkdirSync(path.join(worktree, 'a'));
  fs.writeFileSync(path.join(worktree, 'a', 'x.txt'), 'x\n');
  git(worktree, 'add', '-A');
  git(worktree, 'commit', '-q', '-m', 'merge a');
  const tip = git(repo, 'rev-parse', BRANCH).trim();
  const state = writeRunState(repo, 'fin', ['a', 'b'], (s) => {
    s.packages.a!.status = 'succeeded';
    s.packages.b!.status = 'failed';
    s.merges.a = { status: 'merged', files: ['a/x.txt'], commit: tip };
    s.integration = { branch: BRANCH, worktree, baseSha: base, tipSha: tip };
  });
  return { repo, state, tip };
}

describe('finishOffer', () => {
  it('without a lease: the fast-forward of main, what the branch holds and its commits', async () => {
    const { repo, state, tip } = finishedRun();
    const f = await finishOffer(repo, state);
    assert.equal(f.kind, 'offer');
    if (f.kind !== 'offer') return;
    assert.equal(f.blocked, null);
    assert.equal(f.branch, 'main');
    assert.equal(f.tip, tip);
    assert.deepEqual(f.merged.map(([id]) => id), ['a']);
    assert.deepEqual(f.notMerged, ['b']);
    assert.equal(f.commits?.length, 1);
    assert.match(f.commits![0]!, /merge a$/);
    assert.equal(f.offer?.possible, true);
    assert.equal(f.offer?.method, 'merge-ff-only');
    const done = await fastForwardTo(repo, 'fin', f.offer!);
    assert.deepEqual(done, { ok: true, to: tip });
    assert.equal(git(repo, 'rev-parse', 'main').trim(), tip);
    const again = await finishOffer(repo, state);
    assert.ok(again.kind === 'offer' && again.offer === null && again.upToDate, 'up to date: nothing more to offer');
  });

  it('with a live lease: no fast-forward, the driver named; a stale lease does not stop it', async () => {
    const { repo, state, tip } = finishedRun();
    const before = git(repo, 'rev-parse', 'main').trim();
    writeLease(repo, 'fin', 'live');
    const f = await finishOffer(repo, state);
    assert.ok(f.kind === 'offer');
    assert.equal(f.offer, null);
    assert.match(f.blocked ?? '', /^the run is still going \(pid \d+ on .+\); let it end first$/);
    assert.equal(f.upToDate, false);
    assert.equal(f.commits?.length, 1, 'what it holds is still shown');
    writeLease(repo, 'fin', 'stale');
    const g = await finishOffer(repo, state);
    assert.ok(g.kind === 'offer' && g.offer?.possible === true);
    // the lease is checked again at the person's yes: a run going again stops it
    writeLease(repo, 'fin', 'live');
    const refused = await fastForwardTo(repo, 'fin', g.offer!);
    assert.equal(refused.ok, false);
    assert.match(!refused.ok ? refused.why : '', /the run is going again/);
    assert.equal(git(repo, 'rev-parse', 'main').trim(), before, 'main untouched');
    assert.notEqual(before, tip);
  });

  it('main moved on: refused with git\'s reason; detached HEAD: refused; no integration branch: nothing', async () => {
    const { repo, state } = finishedRun();
    fs.writeFileSync(path.join(repo, 'NOTES.md'), 'mine\n');
    git(repo, 'add', 'NOTES.md');
    git(repo, 'commit', '-q', '-m', 'my own work');
    const f = await finishOffer(repo, state);
    assert.ok(f.kind === 'offer' && f.offer === null);
    assert.match(f.blocked ?? '', /^main has commits that waves\/fin\/_integration lacks/);
    git(repo, 'checkout', '-q', '--detach');
    const d = await finishOffer(repo, state);
    assert.ok(d.kind === 'offer' && d.branch === null);
    assert.match(d.blocked ?? '', /HEAD is not on a branch/);
    const none = await finishOffer(repo, { ...state, integration: null });
    assert.deepEqual(none, { kind: 'nothing', why: 'run r1 has no integration branch yet: nothing was merged' });
    git(repo, 'worktree', 'remove', '--force', state.integration!.worktree);
    git(repo, 'branch', '-D', BRANCH);
    assert.deepEqual(await finishOffer(repo, state), { kind: 'nothing', why: `the integration branch ${BRANCH} does not exist any more` });
  });
});

describe('cleanUpWorktrees', () => {
  it('keeps every worktree while a live lease says the run is driven; removes the merged one without it', async () => {
    const { repo, state } = finishedRun();
    const f = await finishOffer(repo, state);
    assert.ok(f.kind === 'offer' && f.offer);
    await fastForwardTo(repo, 'fin', f.offer);
    writeLease(repo, 'fin', 'live');
    const held = await cleanUpWorktrees(repo, state);
    assert.deepEqual(held.removed, []);
    assert.equal(held.kept.length, 1);
    assert.match(held.kept[0]!.why, /^the run is going \(pid /);
    assert.ok(fs.existsSync(state.integration!.worktree));
    writeLease(repo, 'fin', 'stale');
    const done = await cleanUpWorktrees(repo, state);
    assert.deepEqual(done.removed, [state.integration!.worktree]);
    assert.equal(fs.existsSync(state.integration!.worktree), false);
  });
});
