/**
 * `waves run --coordinator` as a person meets it, the built bin in a real process: a URL that is
 * not PostgreSQL's is a usage error; a coordinator out of reach is a clear error, nothing is
 * started or written; neither ever shows the password.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { runStateFile } from '../../src/core/run/runPaths';
import { repoWithPlan } from '../engine/engineFixtures';
import { gitEnv, REPO_ROOT, SCRIPTED_AGENT, tempDir } from '../engine/helpers';

const AGENT = JSON.stringify([process.execPath, SCRIPTED_AGENT, '--prompt', '${promptFile}']);
let env: NodeJS.ProcessEnv;
before(() => {
  env = gitEnv(tempDir('waves-home-'));
});

function waves(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'waves.js'), ...args], { cwd, env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('waves run --coordinator', () => {
  test('a URL that is not a PostgreSQL one: a usage error, without its password', () => {
    const { repo } = repoWithPlan('cli-a', [{ id: 'p', agent: ['write p/a.txt', 'commit'] }]);
    const r = waves(repo, 'run', '--agent-argv', AGENT, '--coordinator', 'mysql://ana:hunter22@db/w', 'work-packages.yaml');
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /The coordinator mysql:\/\/ana:\*\*\*@db\/w is not a PostgreSQL URL/);
    assert.doesNotMatch(r.out + r.err, /hunter22/);
    const empty = waves(repo, 'run', '--agent-argv', AGENT, '--coordinator-repository', 'team/app', 'work-packages.yaml');
    assert.equal(empty.code, 2);
    assert.match(empty.err, /--coordinator-repository needs --coordinator/);
  });

  test('a coordinator out of reach: a clear error, nothing started, .waves/ untouched, no password', () => {
    const { repo } = repoWithPlan('cli-b', [{ id: 'p', agent: ['write p/a.txt', 'commit'] }]);
    const r = waves(repo, 'run', '--agent-argv', AGENT, '--coordinator', 'postgres://ana:hunter22@127.0.0.1:1/waves', 'work-packages.yaml');
    assert.equal(r.code, 2, r.out + r.err);
    assert.match(r.err, /waves: The coordinator postgres:\/\/ana:\*\*\*@127\.0\.0\.1:1\/waves cannot be reached/);
    assert.match(r.err, /nothing was started and no run state was written/);
    assert.doesNotMatch(r.out + r.err, /hunter22/);
    assert.equal(fs.existsSync(runStateFile(repo, 'cli-b')), false);
    // The same from the environment (WAVES_COORDINATOR), which a shell history never shows.
    const fromEnv = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'waves.js'), 'run', '--agent-argv', AGENT, 'work-packages.yaml'], {
      cwd: repo,
      env: { ...env, WAVES_COORDINATOR: 'postgres://ana:hunter22@127.0.0.1:1/waves' },
      encoding: 'utf8',
    });
    assert.equal(fromEnv.status, 2);
    assert.match(fromEnv.stderr, /cannot be reached/);
    assert.doesNotMatch(fromEnv.stdout + fromEnv.stderr, /hunter22/);
  });
});
