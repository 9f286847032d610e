/**
 * A run's queue on pull workers as both front ends open it (engine/workers/queueRun.ts): what
 * stops it before the coordinator is reached — the plan outside a repository, a coordinator URL
 * that is not one, a coordinator out of reach — said in words (never the password), nothing
 * thrown. With a real PostgreSQL: test/coordinator/workerCli.test.ts (`waves run --workers`) and
 * the editor's test/vscode/suite/workers.test.ts.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { queueRun } from '../../../src/engine/workers';
import { planYaml } from '../engineFixtures';
import { makeRepo, tempDir } from '../helpers';

const PLAN = planYaml('queued', [{ id: 'a', write: ['a/**'] }]);

describe("a run's queue on pull workers, opened", () => {
  test('a plan outside a git repository: said with the name the front end gave it', async () => {
    const folder = tempDir('waves-loose-');
    fs.writeFileSync(path.join(folder, 'work-packages.yaml'), PLAN);
    const opened = await queueRun({ planFile: path.join(folder, 'work-packages.yaml'), shown: 'work-packages.yaml', coordinator: { url: 'postgres://127.0.0.1:1/waves' }, remote: 'origin', agent: 'codex' });
    assert.deepEqual(opened, { problem: 'work-packages.yaml is not in a git repository' });
  });

  test('a coordinator that is not a PostgreSQL URL, or one out of reach: said, without its password', async () => {
    const repo = makeRepo({ 'work-packages.yaml': PLAN });
    const planFile = path.join(repo, 'work-packages.yaml');
    const bad = await queueRun({ planFile, coordinator: { url: 'mysql://ana:hunter22@db/waves' }, remote: 'origin', agent: 'codex' });
    assert.ok('problem' in bad, JSON.stringify(bad));
    assert.doesNotMatch(bad.problem, /hunter22/);
    const away = await queueRun({ planFile, coordinator: { url: 'postgres://ana:hunter22@127.0.0.1:1/waves', connectTimeoutMs: 2_000 }, remote: 'origin', agent: 'codex' });
    assert.ok('problem' in away, JSON.stringify(away));
    assert.match(away.problem, /^The coordinator postgres:\/\/ana:\*\*\*@127\.0\.0\.1:1\/waves cannot be reached/);
    assert.doesNotMatch(away.problem, /hunter22/);
  });
});
