/**
 * Which planning session owns a worktree (`sessionOfWorktree`, the one rule behind the run gate,
 * a run's end and a proposal's round trip): real repositories, a real worktree on `waves-plan/<id>`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { planningPaths } from '../../../src/core/planning/planningSession';
import { sessionOfWorktree } from '../../../src/engine/planning/worktreeSession';
import { finishCheckoutOf } from '../../../src/engine/planning/planApproval';
import { isolateGit } from '../engineFixtures';
import { git, makeRepo, tempDir } from '../helpers';

before(() => isolateGit());

/** A repository with a worktree on `waves-plan/<id>`; the session's state written when `worktree` is given (its recorded worktree). */
function planningWorktree(id: string, recorded?: (wt: string) => string) {
  const repo = makeRepo();
  const wt = path.join(`${repo}.worktrees`, '_plans', id);
  git(repo, 'worktree', 'add', '-q', '-b', `waves-plan/${id}`, wt);
  if (recorded) {
    const paths = planningPaths(repo, id);
    fs.mkdirSync(paths.dir, { recursive: true });
    const state = { version: 1, id, description: 'd', planDir: `plans/${id}`, branch: `waves-plan/${id}`, worktree: recorded(wt), baseSha: git(repo, 'rev-parse', 'HEAD').trim(), agent: 'claude', status: 'valid', rounds: [], createdAt: '', approvedCommit: null, discardedTip: null };
    fs.writeFileSync(paths.state, JSON.stringify(state));
  }
  return { repo, wt };
}

describe('sessionOfWorktree', () => {
  test('a worktree on waves-plan/<id> whose session records it: owned, with the person’s checkout and the state', async () => {
    const { repo, wt } = planningWorktree('shop', (w) => w);
    const session = await sessionOfWorktree(wt);
    assert.ok(session);
    assert.equal(session.branch, 'waves-plan/shop');
    assert.equal(session.id, 'shop');
    assert.equal(session.checkout, fs.realpathSync(repo));
    assert.equal(session.state?.id, 'shop');
    assert.equal(session.owns, true);
    assert.equal(await finishCheckoutOf(wt), fs.realpathSync(repo));
  });

  test('the recorded worktree is compared by real path: a link to it still owns it', async () => {
    const { wt } = planningWorktree('linked', (w) => {
      const link = path.join(tempDir(), 'link');
      fs.symlinkSync(w, link);
      return link;
    });
    assert.equal((await sessionOfWorktree(wt))?.owns, true);
  });

  test('a session recording another worktree does not own this one; a run’s end stays here', async () => {
    const { wt } = planningWorktree('moved', () => path.join(tempDir(), 'elsewhere'));
    const session = await sessionOfWorktree(wt);
    assert.equal(session?.id, 'moved');
    assert.ok(session?.state);
    assert.equal(session.owns, false);
    assert.equal(await finishCheckoutOf(wt), wt);
  });

  test('a planning branch with no session: its id, no state, not owned', async () => {
    const { wt } = planningWorktree('orphan');
    const session = await sessionOfWorktree(wt);
    assert.equal(session?.id, 'orphan');
    assert.equal(session?.state, null);
    assert.equal(session?.owns, false);
  });

  test('a checkout on another branch, a detached HEAD and a folder outside git: no session', async () => {
    const repo = makeRepo();
    assert.equal(await sessionOfWorktree(repo), null);
    git(repo, 'checkout', '-q', '--detach');
    assert.equal(await sessionOfWorktree(repo), null);
    assert.equal(await sessionOfWorktree(tempDir()), null);
  });
});
