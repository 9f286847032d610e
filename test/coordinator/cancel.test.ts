/**
 * `waves cancel --coordinator` from another clone (a real PostgreSQL cluster, the built bin, a
 * real engine in its own process on the first clone): the request reaches the run's driver
 * through the coordinator, which cancels as a cancel from its own clone would; nothing to cancel
 * and an unknown package are told plainly.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { runStateFile } from '../../src/core/run/runPaths';
import type { RunState } from '../../src/core/run/runState';
import { repositoryKeyOf } from '../../src/engine/coordinator/openCoordinator';
import { PgCoordinator } from '../../src/engine/coordinator/pgCoordinator';
import { planYaml } from '../engine/engineFixtures';
import { git, gitEnv, makeRepo, REPO_ROOT, spawnProcess, tempDir, waitFor } from '../engine/helpers';
import { clusterWithRunner } from './cluster';

const setup = clusterWithRunner();

function waves(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'waves.js'), ...args], { cwd, env: gitEnv(tempDir('waves-home-')), encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('waves cancel --coordinator', () => {
  test('from another clone: the driver takes the request at its heartbeat and cancels the package; its dependent does not start', { timeout: 90_000 }, async () => {
    const gate = path.join(tempDir('waves-gate-'), 'never');
    const origin = makeRepo({
      'README.md': '# cancel from afar\n',
      'work-packages.yaml': planYaml('afar', [
        { id: 'slow', agent: [`wait-for ${gate}`, 'write slow/s.txt'] },
        { id: 'after', deps: ['slow'], agent: ['write after/a.txt'] },
      ]),
    });
    const root = tempDir('waves-clones-');
    git(root, 'clone', '-q', origin, 'a');
    git(root, 'clone', '-q', origin, 'b');
    const [a, b] = [path.join(root, 'a'), path.join(root, 'b')];
    const url = setup.cluster.url;

    // Nothing runs yet: nothing to cancel, said plainly.
    const none = waves(b, 'cancel', '--coordinator', url, 'work-packages.yaml');
    assert.equal(none.code, 1, none.out + none.err);
    assert.match(none.err, /no run of afar is driven anywhere the coordinator .* knows; nothing to cancel/);

    const driver = spawnProcess([
      process.execPath,
      '--import',
      'tsx',
      path.join(REPO_ROOT, 'test', 'engine', 'engine-driver.ts'),
      JSON.stringify({ planFile: path.join(a, 'work-packages.yaml'), runnerScript: setup.runnerScript, coordinator: { url, driver: 'Ana' } }),
    ]);
    const rows = await PgCoordinator.open(url, await repositoryKeyOf(a));
    try {
      await waitFor(async () => (await rows.listRuns()).some((r) => r.packages.some((p) => p.id === 'slow' && p.status === 'running')), 'slow running on clone a', 30_000);

      const unknown = waves(b, 'cancel', '--coordinator', url, 'work-packages.yaml', 'nope');
      assert.equal(unknown.code, 2);
      assert.match(unknown.err, /the plan has no package "nope" \(its packages: slow, after\)/);

      // From clone b, where nothing runs: through the coordinator.
      assert.equal(fs.existsSync(runStateFile(b, 'afar')), false);
      const asked = waves(b, 'cancel', '--coordinator', url, 'work-packages.yaml', 'slow');
      assert.equal(asked.code, 0, asked.out + asked.err);
      assert.match(asked.out, new RegExp(`asked the engine \\(Ana on ${os.hostname()} \\(${a.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)\\) through the coordinator to cancel slow; it takes the request within about \\d+ s`));

      const end = await driver.exited;
      assert.equal(end.code, 0, driver.stderr());
      const events = driver
        .stdout()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; message?: string; outcome?: string });
      assert.ok(events.some((e) => e.type === 'problem' && / on .* asked through the coordinator to cancel slow\./.test(e.message ?? '')), 'the driver says who asked');
      assert.notEqual(events.at(-1)?.outcome, 'succeeded');
      const state = JSON.parse(fs.readFileSync(runStateFile(a, 'afar'), 'utf8')) as RunState;
      assert.equal(state.packages.slow!.status, 'cancelled');
      assert.equal(state.packages.after!.attempts, 0, 'its dependent never started');
      assert.equal(fs.existsSync(path.join(a, 'slow', 's.txt')), false);
      // The run's row is gone with its driver: nothing is left to take a request.
      assert.deepEqual(await rows.listRuns(), []);
    } finally {
      driver.child.kill();
      await rows.close();
    }
  });
});
