/**
 * When a run ends: never on a decision made while an attempt was still ending. Real git
 * repositories, the real runner and the scripted agent; the moment that decides is forced by
 * slowing the engine's own lock release and state writes, so that a pass of the loop reads the
 * lock table while the ending package still holds its lock (its status already final), and
 * reaches its end check after that package has let go of it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { integrationBranch } from '../../../src/core/run/runPaths';
import { RunContext } from '../../../src/engine/run/context';
import { RunStore } from '../../../src/store/runStore';
import { isolateGit, repoWithPlan, runToEnd, treeFiles } from '../engineFixtures';
import { buildRunner } from '../helpers';

let runnerScript = '';

before(async () => {
  isolateGit();
  runnerScript = await buildRunner();
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('the end of a run', () => {
  const releaseLocksOf = RunContext.prototype.releaseLocksOf;
  const flush = RunStore.prototype.flush;
  after(() => {
    RunContext.prototype.releaseLocksOf = releaseLocksOf;
    RunStore.prototype.flush = flush;
  });

  test("a package waiting on the lock of one that just ended still starts: the run does not end on a pass that read the lock table before the release", async () => {
    // Shared mode: one package at a time in the shared tree, behind its lock. a takes it first
    // (ids break the tie) and ends outside its scope; b waits on it.
    const { repo, planFile } = repoWithPlan('run-end', [
      { id: 'a', mode: 'shared', retryBudget: 0, agent: ['write README.md not mine', 'commit'] },
      { id: 'b', mode: 'shared', agent: ['write b/ok.txt'] },
    ]);
    // From a's release on: the release takes 150 ms, and every state write 300 ms. A pass woken
    // meanwhile (b's lock retry) reads a's lock and decides nothing is left; it reaches its end
    // check after a's release, while a's own write (and its wake) are still under way.
    let slowed = false;
    let released = 0;
    RunContext.prototype.releaseLocksOf = async function (this: RunContext, id: string) {
      if (id === 'a' && this.state.packages.a?.status === 'scope-violation') {
        slowed = true;
        await sleep(150);
        released++;
      }
      return releaseLocksOf.call(this, id);
    };
    RunStore.prototype.flush = async function (this: RunStore) {
      if (slowed) await sleep(300);
      return flush.call(this);
    };
    const { outcome } = await runToEnd(planFile, runnerScript, { confinement: { unconfined: true }, pollMs: 20 });
    assert.ok(released > 0, 'the slowed release of a was reached');
    assert.equal(outcome.state.packages.a!.status, 'scope-violation');
    assert.equal(outcome.state.packages.b!.status, 'succeeded', `b: ${outcome.state.packages.b!.status} ${outcome.state.packages.b!.lastError ?? ''}`);
    assert.deepEqual(treeFiles(repo, integrationBranch('run-end')), ['README.md', 'b/ok.txt', 'work-packages.yaml']);
  });
});
