/**
 * `waves run --coordinator` while PostgreSQL goes away and comes back (pg_ctl stop / start), as a
 * person meets it: the built bin in a real process, real git, the scripted agent, a real cluster.
 * - Every release made while it is away is kept and done when it answers again, and a run that
 *   ends leaves no row of its own in the lock table (read there, after the process ended) —
 *   whether the run goes on after the outage or ends during it.
 * - A package waiting for its locks on a coordinator that is away waits quietly: told once, the
 *   coordinator tried again at a pause that grows — a handful of lines in 10 s, not thousands.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import pg from 'pg';
import { repoWithPlan } from '../engine/engineFixtures';
import { gitEnv, REPO_ROOT, SCRIPTED_AGENT, spawnProcess, tempDir, waitFor } from '../engine/helpers';
import { clusterWithRunner } from './cluster';

const setup = clusterWithRunner();
const AGENT = JSON.stringify([process.execPath, SCRIPTED_AGENT, '--prompt', '${promptFile}', '--result', '${resultFile}']);
let env: NodeJS.ProcessEnv;
before(() => {
  env = gitEnv(tempDir('waves-home-'));
});

/** `waves run --coordinator …` in a real process, its output followed as it comes. */
function wavesRun(repo: string) {
  return spawnProcess([process.execPath, path.join(REPO_ROOT, 'bin', 'waves.js'), 'run', '--agent-argv', AGENT, '--coordinator', setup.cluster.url, 'work-packages.yaml'], {
    cwd: repo,
    env,
  });
}

/** The rows the coordinator holds for a feature: its lock rows and its run row, read in the database itself. */
async function rowsOf(featureId: string): Promise<{ locks: { holder: string; expires_at: Date | null }[]; runs: number }> {
  const db = new pg.Client({ connectionString: setup.cluster.url });
  await db.connect();
  try {
    const locks = await db.query<{ holder: string; expires_at: Date | null }>('SELECT holder, expires_at FROM waves_locks WHERE feature_id = $1 ORDER BY holder', [featureId]);
    const runs = await db.query('SELECT 1 FROM waves_runs WHERE feature_id = $1', [featureId]);
    return { locks: locks.rows, runs: runs.rowCount ?? 0 };
  } finally {
    await db.end();
  }
}

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

type Run = ReturnType<typeof wavesRun>;

/**
 * `waves run` of the plan in `repo`, handed to `body` with the cluster's stop and start (started
 * again whatever happens); once the process ended, no row of the feature is left in the coordinator.
 */
async function runThroughOutage(repo: string, featureId: string, body: (run: Run, pg: { stop(): void; start(): void }) => Promise<void>): Promise<void> {
  const run = wavesRun(repo);
  let stopped = false;
  try {
    await body(run, {
      stop: () => {
        setup.cluster.stop();
        stopped = true;
      },
      start: () => {
        setup.cluster.start();
        stopped = false;
      },
    });
  } finally {
    if (stopped) setup.cluster.start();
    run.child.kill();
    await run.exited;
  }
  const rows = await rowsOf(featureId);
  assert.deepEqual(rows.locks, [], 'no lock row of the ended run');
  assert.equal(rows.runs, 0, 'no run row of the ended run');
}

describe('waves run while the coordinator is away', () => {
  test('two packages finish while it is away: both releases kept and done, the waiting package told once and quiet, no row left after the run', async () => {
    const gate = path.join(tempDir('waves-gate-'), 'go');
    const { repo } = repoWithPlan('leak-a', [
      { id: 'a1', lockFiles: ['src/a/**'], agent: [`wait-for ${gate}`, 'write a1/out.txt', 'commit'] },
      { id: 'a2', lockFiles: ['src/b/**'], agent: [`wait-for ${gate}`, 'write a2/out.txt', 'commit'] },
      { id: 'c', deps: ['a1', 'a2'], lockFiles: ['src/a/**', 'src/b/**'], agent: ['write c/out.txt', 'commit'] },
    ]);
    await runThroughOutage(repo, 'leak-a', async (run, pg) => {
      await waitFor(() => /a1 running/.test(run.stdout()) && /a2 running/.test(run.stdout()), 'a1 and a2 running', 60_000);
      const held = await rowsOf('leak-a');
      assert.deepEqual(held.locks.map((l) => l.holder), ['a1', 'a2'], 'both hold their locks in the coordinator');
      pg.stop();
      fs.writeFileSync(gate, 'go');
      // Both finish and are merged while it is away (merging needs no lock); both releases are kept.
      await waitFor(() => /a1 succeeded/.test(run.stdout()) && /a2 succeeded/.test(run.stdout()), 'a1 and a2 merged while the coordinator is away', 60_000);
      await waitFor(() => /c waits for its locks: The coordinator .* cannot be reached/.test(run.stdout()), 'c told it waits', 30_000);
      // Waiting on the absent coordinator for 10 s: a handful of lines, not a spin.
      const before = lines(run.stdout()).length;
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      const during = lines(run.stdout()).slice(before);
      assert.ok(during.length <= 5, `at most a handful of lines while waiting 10 s, got ${during.length}:\n${during.slice(0, 20).join('\n')}`);
      assert.equal(lines(run.stdout()).filter((l) => /c waits for its locks/.test(l)).length, 1, 'told once');
      assert.doesNotMatch(run.stdout() + run.stderr(), /Could not release/);
      assert.equal((run.stdout().match(/The release is kept/g) ?? []).length, 2, 'both releases kept');
      pg.start();
      const exit = await run.exited;
      assert.equal(exit.code, 0, run.stdout() + run.stderr());
      assert.match(run.stdout(), /c succeeded/);
      assert.match(run.stdout(), /answers again/);
    });
  });

  test('the run ends while it is away: it waits for the coordinator to take the kept releases, says so, and leaves no row', async () => {
    const gate = path.join(tempDir('waves-gate-'), 'go');
    const { repo } = repoWithPlan('leak-b', [
      { id: 'b1', lockFiles: ['src/a/**'], agent: [`wait-for ${gate}`, 'write b1/out.txt', 'commit'] },
      { id: 'b2', lockFiles: ['src/b/**'], agent: [`wait-for ${gate}`, 'write b2/out.txt', 'commit'] },
    ]);
    await runThroughOutage(repo, 'leak-b', async (run, pg) => {
      await waitFor(() => /b1 running/.test(run.stdout()) && /b2 running/.test(run.stdout()), 'b1 and b2 running', 60_000);
      pg.stop();
      fs.writeFileSync(gate, 'go');
      await waitFor(() => /The run has ended; 2 lock releases made while the coordinator was out of reach wait for it/.test(run.stdout()), 'the wait told', 60_000);
      // Still there: the run has not given up on its releases.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      assert.equal(run.child.exitCode, null, 'the run waits for the coordinator');
      pg.start();
      const exit = await run.exited;
      assert.equal(exit.code, 0, run.stdout() + run.stderr());
      assert.match(run.stdout(), /The coordinator took the 2 lock releases/);
      assert.match(run.stdout(), /every package succeeded/);
    });
  });
});
