/**
 * The demo of `npm start` (examples/demo, README Quick start): its plan run headless with the
 * stand-in demo agent (examples/demo-agent) — every package succeeds and its verification
 * commands pass, so the person's first Run Plan ends "Run succeeded".
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { customProfile } from '../../../src/core/agents/agentProfiles';
import { RunEngine } from '../../../src/engine/run/engine';
import { DemoTargetNotEmptyError, makeDemoWorkspace } from '../../../src/engine';
import { buildRunner, git, makeRepo, REPO_ROOT } from '../helpers';
import { isolateGit, treeFiles } from '../engineFixtures';
// @ts-expect-error -- a plain .mjs module of the example, without types
import { demoAgentArgv } from '../../../examples/demo-agent/settings.mjs';

describe('the demo workspace', () => {
  it('runs to success with the stand-in demo agent, each package writing in its own scope', async () => {
    isolateGit();
    const repo = makeRepo();
    fs.cpSync(path.join(REPO_ROOT, 'examples', 'demo'), repo, { recursive: true });
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'the demo');
    const argv = (demoAgentArgv as (o: object) => string[])({ extra: ['--sleep-ms', '0-50'] });
    const engine = await RunEngine.prepare({
      planFile: path.join(repo, 'work-packages.yaml'),
      agent: customProfile(argv, { label: 'demo agent' }),
      runnerScript: await buildRunner(),
      verification: 'approved',
      pollMs: 200,
    });
    const out = await engine.run();
    engine.dispose();
    const failed = Object.values(out.state.packages).filter((p) => p.status !== 'succeeded');
    assert.deepEqual(failed.map((p) => `${p.packageId}: ${p.status} ${p.lastError ?? ''}`), []);
    assert.equal(out.outcome, 'succeeded');
    for (const p of Object.values(out.state.packages)) assert.ok(p.verification.every((v) => v.ok), p.packageId);
    const files = treeFiles(repo, out.integrationBranch!);
    assert.ok(files.includes('notes/user-profiles-wp-integration.md'), files.join(', '));
  });

  it('Try the Demo Plan: a new repository of the demo, one commit, its waves.agent the demo agent inside it, which runs it to success', async () => {
    isolateGit();
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-demo-ws-'));
    const target = path.join(parent, 'acme-notes');
    const planFile = await makeDemoWorkspace({
      demo: path.join(REPO_ROOT, 'examples', 'demo'),
      agent: path.join(REPO_ROOT, 'examples', 'demo-agent', 'agent.mjs'),
      target,
      node: process.execPath,
    });
    assert.equal(planFile, path.join(target, 'work-packages.yaml'));
    assert.equal(git(target, 'rev-list', '--count', 'HEAD').trim(), '1');
    assert.equal(git(target, 'status', '--porcelain'), '');
    const settings = JSON.parse(fs.readFileSync(path.join(target, '.vscode', 'settings.json'), 'utf8')) as { 'waves.agent': string[] };
    const argv = settings['waves.agent'];
    assert.equal(argv[1], path.join(target, '.vscode', 'demo-agent.mjs'));
    await assert.rejects(makeDemoWorkspace({ demo: path.join(REPO_ROOT, 'examples', 'demo'), agent: argv[1]!, target, node: process.execPath }), DemoTargetNotEmptyError);
    const engine = await RunEngine.prepare({
      planFile,
      agent: customProfile([...argv, '--sleep-ms', '0-50'], { label: 'demo agent' }),
      runnerScript: await buildRunner(),
      verification: 'approved',
      pollMs: 200,
    });
    const out = await engine.run();
    engine.dispose();
    assert.equal(out.outcome, 'succeeded');
  });
});
