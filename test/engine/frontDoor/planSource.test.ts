/**
 * The front door's plan source: one repository root (git's, as the engine finds it) and one
 * plan hash (the one the engine writes to the run state), on real repositories and files.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { customProfile } from '../../../src/core/agents/agentProfiles';
import { RunEngine } from '../../../src/engine/run/engine';
import { PlanReadError, loadPlan, planHash, previewRoot, repositoryRoot } from '../../../src/engine';
import { tempDir } from '../helpers';
import { isolateGit, planRepo } from './fixtures';

before(isolateGit);

describe('repositoryRoot', () => {
  it('is the repository holding a folder deep inside it, or a file, as a real path — the engine finds the same', async () => {
    const { repo, planFile } = planRepo('root', [{ id: 'a' }]);
    const deep = path.join(repo, 'plans', 'deeper');
    fs.mkdirSync(deep, { recursive: true });
    assert.equal(await repositoryRoot(deep), repo);
    assert.equal(await repositoryRoot(planFile), repo);
    // through a symbolic link: the real path, as RunEngine.prepare's repoRoot
    const link = path.join(tempDir('waves-link-'), 'linked');
    fs.symlinkSync(repo, link);
    assert.equal(await repositoryRoot(link), repo);
    const engine = await RunEngine.prepare({ planFile: path.join(link, 'work-packages.yaml'), agent: customProfile(['agent']) });
    try {
      assert.equal(engine.repoRoot, await repositoryRoot(link));
    } finally {
      engine.dispose();
    }
  });

  it('is null outside any repository', async () => {
    assert.equal(await repositoryRoot(tempDir('waves-nogit-')), null);
  });

  it('previewRoot (waves prompt): git\'s root, else the nearest folder holding .git, else the folder', async () => {
    const { repo } = planRepo('preview', [{ id: 'a' }]);
    fs.mkdirSync(path.join(repo, 'x'));
    assert.equal(await previewRoot(path.join(repo, 'x')), repo);
    const fake = tempDir('waves-fake-');
    fs.mkdirSync(path.join(fake, '.git'));
    fs.mkdirSync(path.join(fake, 'plans'));
    assert.equal(await repositoryRoot(path.join(fake, 'plans')), null, 'not a repository for git');
    assert.equal(await previewRoot(path.join(fake, 'plans')), fake);
    const bare = tempDir('waves-nogit-');
    assert.equal(await previewRoot(bare), bare);
  });
});

describe('loadPlan', () => {
  it('gives the analysis, feature id, repository and the hash the engine writes as planHash', async () => {
    const { repo, planFile } = planRepo('hashed', [{ id: 'a' }, { id: 'b', deps: ['a'] }]);
    const plan = await loadPlan(planFile);
    assert.equal(plan.featureId, 'hashed');
    assert.equal(plan.repo, repo);
    assert.equal(plan.file, fs.realpathSync(planFile));
    assert.deepEqual(plan.analysis.graph.waves, [['a'], ['b']]);
    const text = fs.readFileSync(planFile, 'utf8');
    assert.equal(plan.hash, createHash('sha256').update(text).digest('hex'));
    assert.equal(plan.hash, planHash(text));
    // a one-character edit is another hash
    fs.writeFileSync(planFile, text.replace('Package a', 'Package A'));
    assert.notEqual((await loadPlan(planFile)).hash, plan.hash);
  });

  it('hashes a plan with a byte-order mark as the engine reads it, and analyses it without the mark', async () => {
    const { planFile } = planRepo('bom', [{ id: 'a' }]);
    const text = fs.readFileSync(planFile, 'utf8');
    fs.writeFileSync(planFile, '\ufeff' + text);
    const plan = await loadPlan(planFile);
    assert.equal(plan.hash, planHash('\ufeff' + text));
    assert.notEqual(plan.hash, planHash(text));
    assert.equal(plan.text, text);
    assert.equal(plan.featureId, 'bom');
  });

  it('loads a plan outside a repository with repo null; an unreadable file is a PlanReadError saying why', async () => {
    const dir = tempDir('waves-nogit-');
    const file = path.join(dir, 'p.yaml');
    fs.writeFileSync(file, 'schema_version: 1\nfeature: { id: lone }\npackages: []\n');
    const plan = await loadPlan(file);
    assert.equal(plan.repo, null);
    assert.equal(plan.featureId, 'lone');
    await assert.rejects(loadPlan(path.join(dir, 'missing.yaml')), (err: unknown) => err instanceof PlanReadError && err.why === 'no such file');
    await assert.rejects(loadPlan(dir), (err: unknown) => err instanceof PlanReadError && err.why === 'is a directory');
  });
});
