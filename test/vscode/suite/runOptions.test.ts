// The editor's worktree and walls settings mean what `waves run`'s flags mean (one table,
// src/core/run/runOptions.ts; test/cli/runOptions.test.ts runs the same through the command line).
// The workspace sets the set-up command, the copy list and layered worktrees; the person's own settings add a
// writable folder and hide one; a writable folder the workspace's own settings file names is not
// taken (the walls are the person's). The agent's tree has the copy and the hook's effect, and its
// own ports.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WavesApi } from '../../../src/extension';
import { readRunSettings, readSandboxSetting } from '../../../src/run/run/settings';
import { planRepo } from '../../fixtures/startRefusals';
import { Scratch, useScriptedAgent, waitFor, waitForPlan, wavesApi, workspaceRoot } from '../helpers';

describe('Run Plan with the worktree and walls settings', function () {
  this.timeout(120_000);
  let api: WavesApi;
  let scratch: Scratch;
  const settingsFile = () => path.join(workspaceRoot().fsPath, '.vscode', 'settings.json');
  /** What the test writes into the workspace's settings file. */
  const WORKSPACE_KEYS = ['waves.worktrees.setupCommand', 'waves.worktrees.copy', 'waves.worktrees.layered', 'waves.sandbox.write', 'waves.sandbox.registries'];
  const config = () => vscode.workspace.getConfiguration('waves');

  before(async () => {
    api = await wavesApi();
    await useScriptedAgent(true);
    scratch = new Scratch('run-options');
  });
  after(async () => {
    for (const key of ['sandbox.read', 'sandbox.write', 'sandbox.hidden']) await config().update(key, undefined, vscode.ConfigurationTarget.Global);
    // The workspace's settings file as it was (written by hand: the editor writes no machine setting there), read again before the next write.
    const left = JSON.parse(fs.readFileSync(settingsFile(), 'utf8')) as Record<string, unknown>;
    for (const key of WORKSPACE_KEYS) delete left[key];
    fs.writeFileSync(settingsFile(), JSON.stringify(left, null, 2));
    await waitFor(() => config().inspect('worktrees.copy')?.workspaceValue === undefined && config().inspect('worktrees.setupCommand')?.workspaceValue === undefined, 'the workspace settings file read again');
    await useScriptedAgent(null);
    await scratch.dispose();
  });

  it("the workspace's set-up command and copy list prepare the tree, layered as it asks; the person's write and hidden folders hold; the workspace's own writable folder does not", async () => {
    const folder = scratch.root.fsPath;
    const writable = path.join(folder, 'writable');
    const forbidden = path.join(folder, 'forbidden');
    const hidden = path.join(folder, 'hidden');
    for (const d of [writable, forbidden, hidden]) fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(hidden, 's.txt'), 'secret\n');
    const { plan, repo } = planRepo(path.join(folder, 'repo'), 'options-editor');
    const text = fs.readFileSync(plan, 'utf8').replace(
      '    title: One\n',
      [
        '    title: One',
        '    description: |',
        '      test-agent: copy .env one/seen-env.txt',
        '      test-agent: copy deps/marker one/seen-hook.txt',
        '      test-agent: env PORT one/port.txt',
        `      test-agent: try-write ${writable}/one.txt from one`,
        `      test-agent: try-write ${forbidden}/one.txt from one`,
        `      test-agent: try-read ${hidden}/s.txt`,
        '      test-agent: commit',
        '',
      ].join('\n'),
    );
    fs.writeFileSync(plan, text);
    fs.writeFileSync(path.join(repo, '.gitignore'), '.env\ndeps/\n');
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.invalid', ...args], { cwd: repo, encoding: 'utf8' });
    git('add', '-A');
    git('commit', '-q', '-m', 'the agent');
    fs.writeFileSync(path.join(repo, '.env'), 'API_KEY=the-persons\n');

    // The person's own: this test's folder shown read-only inside the walls, a writable folder in it and a hidden one.
    await config().update('sandbox.read', [folder], vscode.ConfigurationTarget.Global);
    await config().update('sandbox.write', [writable], vscode.ConfigurationTarget.Global);
    await config().update('sandbox.hidden', [hidden], vscode.ConfigurationTarget.Global);
    // The workspace's settings file, as a repository could ship it: the set-up command (a program and
    // its arguments, no shell) and the copy list — and a writable folder and the registries, not taken.
    const hook = [process.execPath, '-e', "require('fs').mkdirSync('deps', { recursive: true }); require('fs').writeFileSync('deps/marker', 'set up by the hook\\n')"];
    const file = fs.existsSync(settingsFile()) ? (JSON.parse(fs.readFileSync(settingsFile(), 'utf8')) as Record<string, unknown>) : {};
    const workspace = { 'waves.worktrees.setupCommand': hook, 'waves.worktrees.copy': ['.env'], 'waves.worktrees.layered': true, 'waves.sandbox.write': [forbidden], 'waves.sandbox.registries': true };
    fs.mkdirSync(path.dirname(settingsFile()), { recursive: true });
    fs.writeFileSync(settingsFile(), JSON.stringify({ ...file, ...workspace }, null, 2));
    await waitFor(() => readRunSettings(undefined).copyFiles?.[0] === '.env', 'the workspace settings file read again');
    assert.deepEqual(readRunSettings(undefined).setupHook, hook);
    assert.equal(readRunSettings(undefined).layered, true);
    assert.deepEqual(readSandboxSetting(), { options: { write: [writable], read: [folder], hidden: [hidden] } }, "the walls: the person's values only");

    const entry = await waitForPlan(api, vscode.Uri.file(plan), 'the plan in the registry', (e) => e.analysis.plan.packages[0]?.description?.includes('try-write') === true);
    const session = await api.run.controller.start(entry, { what: 'the plan' });
    assert.ok(session, 'the run started');
    const outcome = await session.outcome;
    assert.ok(outcome);
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    const onBranch = (f: string) => git('show', `waves/options-editor/_integration:${f}`);
    assert.equal(onBranch('one/seen-env.txt'), 'API_KEY=the-persons\n', 'the copy list put the .env in the tree');
    assert.equal(onBranch('one/seen-hook.txt'), 'set up by the hook\n', 'the set-up command ran in the tree before the agent');
    assert.equal(onBranch('one/port.txt'), 'PORT=41000\n', 'its own ports');
    const attempt = path.join(repo, '.waves', 'runs', 'options-editor', outcome.runId, 'wp-one', '1');
    assert.match(fs.readFileSync(path.join(attempt, 'setup.log'), 'utf8'), /^copy list \(\.env\): 1 copied, 0 left out\n/);
    const log = fs.readFileSync(path.join(attempt, 'agent.log'), 'utf8');
    // Layered (as `waves run --layered-worktrees`): the copy and the set-up's file in its folder, the commit's files from the shared checkout.
    assert.match(log, /^waves: the worktree: layered over the shared checkout of [0-9a-f]{12} /m);
    assert.match(log, new RegExp(`^tried write ${writable}/one\\.txt: written$`, 'm'));
    assert.match(log, new RegExp(`^tried write ${forbidden}/one\\.txt: refused \\(EROFS\\)$`, 'm'), "the workspace's writable folder was not taken");
    assert.match(log, new RegExp(`^tried read ${hidden}/s\\.txt: refused \\(ENOENT\\)$`, 'm'));
    assert.equal(fs.readFileSync(path.join(writable, 'one.txt'), 'utf8'), 'from one');
    assert.equal(fs.existsSync(path.join(forbidden, 'one.txt')), false);
    assert.equal(fs.readFileSync(path.join(repo, '.env'), 'utf8'), 'API_KEY=the-persons\n');
  });

  it("layered worktrees with the person's own waves.sandbox.unconfined: Run Plan says they need the walls and starts nothing, as waves run refuses the two together", async () => {
    const { plan, repo } = planRepo(path.join(scratch.root.fsPath, 'repo-layered'), 'layered-unconfined');
    const file = JSON.parse(fs.readFileSync(settingsFile(), 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(settingsFile(), JSON.stringify({ ...file, 'waves.worktrees.layered': true }, null, 2));
    await config().update('sandbox.unconfined', true, vscode.ConfigurationTarget.Global);
    try {
      await waitFor(() => readRunSettings(undefined).layered, 'the workspace settings file read again');
      const entry = await waitForPlan(api, vscode.Uri.file(plan), 'the plan in the registry');
      const session = await api.run.controller.start(entry, { what: 'the plan' });
      assert.equal(session, undefined, 'nothing started');
      assert.equal(fs.existsSync(path.join(repo, '.waves', 'runs', 'layered-unconfined')), false, 'no run state');
    } finally {
      await config().update('sandbox.unconfined', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('a set-up command that does not end: the Waves view says the package is setting up its worktree (a turning gear); Cancel Package stops it and the package ends cancelled', async () => {
    const folder = scratch.root.fsPath;
    const { plan, repo } = planRepo(path.join(folder, 'hang-repo'), 'setup-hang-editor');
    // A set-up command retrying for good (as npm does a registry the walls refuse), with a child of its own.
    const hook = [process.execPath, '-e', "require('child_process').spawn(process.execPath,['-e','setInterval(()=>{},1021)'],{stdio:'ignore'});console.log('installing…');setInterval(()=>{},1000)"];
    const left = () => /setInterval\(\(\)=>\{\},1021\)/.test(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }));
    const file = JSON.parse(fs.readFileSync(settingsFile(), 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(settingsFile(), JSON.stringify({ ...file, 'waves.worktrees.setupCommand': hook, 'waves.worktrees.copy': [] }, null, 2));
    await waitFor(() => readRunSettings(undefined).setupHook?.[2]?.includes('1021') === true, 'the workspace settings file read again');
    const entry = await waitForPlan(api, vscode.Uri.file(plan), 'the plan in the registry');
    const session = await api.run.controller.start(entry, { what: 'the plan' });
    assert.ok(session, 'the run started');
    const tree = api.views.tree;
    const packageNode = () => {
      const planNode = tree.getChildren().find((n) => n.kind === 'plan' && n.entry.uri.fsPath === plan);
      const waves = planNode ? tree.getChildren(planNode) : tree.getChildren();
      return waves.flatMap((w) => tree.getChildren(w)).find((n) => n.kind === 'package' && n.entry.uri.fsPath === plan);
    };
    const row = await waitFor(() => {
      const node = packageNode();
      const item = node && tree.getTreeItem(node);
      return item && /setting up its worktree \d/.test(String(item.description)) ? { node: node!, item: item! } : null;
    }, 'the row says setting up its worktree', { timeoutMs: 60_000 });
    assert.equal((row.item.iconPath as vscode.ThemeIcon).id, 'gear~spin');
    assert.ok(left(), 'the set-up command and its child run');
    await vscode.commands.executeCommand('waves.cancelPackage', row.node);
    const outcome = await session.outcome;
    assert.ok(outcome);
    const one = outcome.state.packages['wp-one']!;
    assert.equal(one.status, 'cancelled', one.lastError ?? '');
    assert.equal(one.lastError, 'cancelled while its worktree was set up');
    await waitFor(() => !left(), 'nothing of the set-up command left', { timeoutMs: 15_000 });
    assert.ok(fs.existsSync(repo));
  });
});
