/**
 * The start use case's planned-claims refusal through `waves run`, on a real PostgreSQL: another
 * feature's approved plan claims the plan's lock key, and the run is refused with the reason
 * test/fixtures/startRefusals.ts gives (the editor's side: test/vscode/suite/startRefusals.test.ts).
 * Nothing is started: no run state. `--allow-planned-overlap` is the way through
 * (test/coordinator/plannedClaims.test.ts).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { analyzePlan } from '../../src/core/plan/analyze';
import { runStateFile } from '../../src/core/run/runPaths';
import { registerPlannedClaims } from '../../src/engine/coordinator/plannedClaims';
import { REFUSALS } from '../fixtures/startRefusals';
import { gitEnv, REPO_ROOT, SCRIPTED_AGENT, tempDir } from '../engine/helpers';
import { clusterWithRunner } from './cluster';

const setup = clusterWithRunner();
const AGENT = JSON.stringify([process.execPath, SCRIPTED_AGENT, '--prompt', '${promptFile}']);

describe('waves run refuses as the start use case says (coordinator)', () => {
  for (const c of REFUSALS.filter((c) => c.coordinator)) {
    test(`${c.name}: refused (${c.kind}), nothing started`, async () => {
      const s = c.setup(path.join(tempDir('waves-refusal-'), 'repo'));
      const other = s.plannedElsewhere!;
      const registered = await registerPlannedClaims(s.repo, { url: setup.cluster.url }, { featureId: other.featureId, planId: other.planId, plan: analyzePlan(other.text).plan });
      assert.ok(registered.ok, registered.ok ? '' : registered.message);
      const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'waves.js'), 'run', '--agent-argv', AGENT, '--coordinator', setup.cluster.url, s.plan], {
        cwd: s.repo,
        env: gitEnv(tempDir('waves-home-')),
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(r.status, 2, r.stdout + r.stderr);
      const reason = (r.stderr.split('\n')[0] ?? '').replace(/^waves: /, '').replace(/:$/, '');
      assert.match(reason, c.reason(s), r.stderr);
      if (c.detail) assert.match(r.stderr, c.detail);
      assert.equal(fs.existsSync(runStateFile(s.repo, 'refused-claims')), false, 'no run state written');
    });
  }
});
