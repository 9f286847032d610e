/**
 * The engine's folder `.waves` and the folders under it are real folders of the repository
 * (src/store/engineFolder.ts): a repository that commits a symbolic link at
 * `.waves/runs` or at a feature's runs folder has its run refused before anything is written
 * through the link, and every other writer — Retry / Resume (`resetPackages`), the lock
 * table, the run store, a cancel request — refuses a `.waves` link too. Real repositories,
 * the real runner, the scripted test agent.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { runStateFile } from '../../../src/core/run/runPaths';
import { createRunState } from '../../../src/core/run/runStateInit';
import { RunEngine, resetPackages } from '../../../src/engine';
import { LockTableStore } from '../../../src/store/lockTableStore';
import { RunStore } from '../../../src/store/runStore';
import { engineFor, isolateGit, repoWithPlan } from '../engineFixtures';
import { buildRunner, git, tempDir } from '../helpers';

let runnerScript = '';

before(async () => {
  isolateGit();
  runnerScript = await buildRunner();
});

/** Every file under `dir` with its content (what a folder outside the repository holds). */
function contents(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = fs.readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

/** A repository with the plan of one package and a committed link at `linkAt` (repo-relative) to a new folder outside. */
function repoWithLink(featureId: string, linkAt: string): { repo: string; planFile: string; out: string } {
  const { repo, planFile } = repoWithPlan(featureId, [{ id: 'a', agent: ['write a/ok.txt'] }]);
  const out = tempDir('waves-outside-');
  fs.mkdirSync(path.dirname(path.join(repo, linkAt)), { recursive: true });
  fs.symlinkSync(out, path.join(repo, linkAt));
  git(repo, 'add', linkAt);
  git(repo, 'commit', '-q', '-m', 'a link');
  return { repo, planFile, out };
}

async function run(planFile: string) {
  const { engine } = await engineFor(planFile, runnerScript);
  try {
    return await engine.run();
  } finally {
    engine.dispose();
  }
}

describe('a committed link under .waves', () => {
  test('.waves/runs: the run is refused, naming it and what to do, and nothing is written there', async () => {
    const { repo, planFile, out } = repoWithLink('runs-link', '.waves/runs');
    await assert.rejects(run(planFile), (err: Error) => {
      assert.equal(err.name, 'EngineFolderError');
      assert.equal(
        err.message,
        `${path.join(repo, '.waves', 'runs')} is a symbolic link (to ${out}): Wave Orchestrator writes its run files only into real folders inside the repository, never through a link; remove the link (\`git rm .waves/runs\` and commit, when the repository tracks it) and start again.`,
      );
      return true;
    });
    assert.deepEqual(fs.readdirSync(out), []);
  });

  test("the feature's runs folder (.waves/runs/<feature>): refused before the first attempt, nothing written there, the lease let go", async () => {
    const { repo, planFile, out } = repoWithLink('feature-link', '.waves/runs/feature-link');
    await assert.rejects(run(planFile), /\.waves\/runs\/feature-link is a symbolic link .*remove the link \(`git rm \.waves\/runs\/feature-link`/);
    assert.deepEqual(fs.readdirSync(out), []);
    assert.ok(!fs.existsSync(path.join(repo, '.waves', 'runs', 'feature-link.lease')), 'the lease is released');
    assert.equal(git(repo, 'worktree', 'list', '--porcelain').match(/^worktree /gm)?.length, 1, 'no worktree was made');
  });
});

describe('every writer refuses a .waves link', () => {
  test('Retry / Resume, the lock table, the run store and a cancel request write nothing through it', async () => {
    const { repo, out } = repoWithLink('writers', '.waves');
    // What the folder outside holds: a run of the feature with a failed package (so there is something to retry).
    const state = createRunState({ featureId: 'writers', planFile: 'work-packages.yaml', runId: 'r1', packageIds: ['a'], now: new Date('2025-01-01T00:00:00.000Z') });
    Object.assign(state.packages.a!, { status: 'failed', attempts: 1, startedAt: '2025-01-01T00:00:01.000Z', endedAt: '2025-01-01T00:00:02.000Z' });
    fs.mkdirSync(path.join(out, 'runs'));
    fs.writeFileSync(path.join(out, 'runs', 'writers.json'), JSON.stringify(state, null, 2) + '\n');
    const before = contents(out);

    await assert.rejects(resetPackages(repo, 'writers', ['failed']), /\.waves is a symbolic link/);
    await assert.rejects(new LockTableStore(repo).update((t) => ({ ...t, locks: [] })), /\.waves is a symbolic link/);
    const store = new RunStore({ workspaceRoot: repo, featureId: 'writers', createInitial: () => state, coalesceMs: 0 });
    try {
      await store.load();
      store.save({ ...state, updatedAt: '2025-01-01T00:00:03.000Z' });
      await assert.rejects(store.flush(), /\.waves is a symbolic link/);
    } finally {
      store.dispose();
    }
    await assert.rejects(RunEngine.requestCancel(repo, 'writers'), /\.waves is a symbolic link/);

    assert.deepEqual(contents(out), before, 'the folder outside is as it was');
    assert.ok(fs.existsSync(runStateFile(repo, 'writers')), 'read through the link, never written');
  });
});
