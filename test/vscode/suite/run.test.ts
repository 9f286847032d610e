// Issue #10, the run in the editor, in a real VS Code on a real git repository (the suite's
// workspace is a git copy): plans run from the commands with the scripted test agent
// (test/fixtures/agents/scripted-agent.mjs) in terminals whose process is the runner, to a
// merged integration branch; the status bar, the Waves view and the notifications follow;
// a failing and an out-of-scope package, cancel, resume and retry. Every wait is on a
// condition with a deadline.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WavesApi } from '../../../src/extension';
import type { RunSession } from '../../../src/run/runController';
import { extension, Scratch, waitFor, waitForPlan, wavesApi, workspaceRoot } from '../helpers';

const RUN_TIMEOUT = 90_000;

/** A plan whose packages the scripted agent carries out (`test-agent:` lines in their descriptions). */
function plan(feature: string, packages: { id: string; deps?: string[]; write: string; agent: string[]; retry?: number }[]): string {
  const lines = ['schema_version: 1', 'feature:', `  id: ${feature}`, `  title: Run test ${feature}`, 'packages:'];
  for (const p of packages) {
    lines.push(
      `  - package_id: ${p.id}`,
      `    title: Package ${p.id}`,
      '    task_type: implement',
      '    description: |',
      ...p.agent.map((a) => `      test-agent: ${a}`),
      `    depends_on: [${(p.deps ?? []).join(', ')}]`,
      '    scope:',
      `      write_allow: ["${p.write}"]`,
      '      read_allow: ["**"]',
      `    retry_budget: ${p.retry ?? 0}`,
      '    timeout_minutes: 5',
    );
  }
  return lines.join('\n') + '\n';
}

function git(args: string[]): string {
  return execFileSync('git', args, { cwd: workspaceRoot().fsPath, encoding: 'utf8' }).trim();
}

/** Waits for a session's outcome, with a deadline. */
async function outcomeOf(session: RunSession | undefined) {
  assert.ok(session, 'the run started');
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the run of ${session.featureId} did not end within ${RUN_TIMEOUT} ms`)), RUN_TIMEOUT);
  });
  try {
    const outcome = await Promise.race([session.outcome, deadline]);
    assert.ok(outcome, 'the run ended with an outcome (no engine error)');
    return outcome;
  } finally {
    clearTimeout(timer);
  }
}

let counter = 0;

describe('Run in the editor', function () {
  this.timeout(RUN_TIMEOUT + 30_000);
  let api: WavesApi;
  let scratch: Scratch;
  let previousActive: vscode.Uri | undefined;

  before(async () => {
    api = await wavesApi();
    previousActive = api.registry.active?.uri;
    const agent = path.join(extension().extensionPath, 'test', 'fixtures', 'agents', 'scripted-agent.mjs');
    await vscode.workspace.getConfiguration('waves').update('agent', [process.execPath, agent, '--prompt', '${promptFile}'], vscode.ConfigurationTarget.Workspace);
  });
  beforeEach(() => {
    scratch = new Scratch('run');
  });
  afterEach(async () => {
    for (const s of api.run.controller.activeSessions) {
      await s.engine.cancel();
      await s.outcome;
    }
    await scratch.dispose();
  });
  after(async () => {
    await vscode.workspace.getConfiguration('waves').update('agent', undefined, vscode.ConfigurationTarget.Workspace);
    if (previousActive) await api.registry.setActive(previousActive);
    // The runs' worktrees live beside the workspace: remove them so nothing is left behind.
    for (const line of git(['worktree', 'list', '--porcelain']).split('\n')) {
      const wt = line.startsWith('worktree ') ? line.slice(9) : '';
      if (wt && wt !== fs.realpathSync(workspaceRoot().fsPath)) execFileSync('git', ['worktree', 'remove', '--force', '--force', wt], { cwd: workspaceRoot().fsPath });
    }
    fs.rmSync(path.join(workspaceRoot().fsPath, '.waves'), { recursive: true, force: true });
  });

  /** Writes a plan, makes it the active plan, and returns its registry entry. */
  async function usePlan(text: string) {
    const uri = await scratch.write('work-packages.yaml', text);
    await waitForPlan(api, uri, 'the run plan in the registry', (e) => e.analysis.valid);
    await api.registry.setActive(uri);
    return uri;
  }

  it('Run Plan runs every package in a terminal to a merged integration branch, with live status', async () => {
    const feature = `run-ok-${process.pid}-${++counter}`;
    const uri = await usePlan(
      plan(feature, [
        { id: 'wp-a', write: 'out-a/**', agent: ['write out-a/a.txt from a', 'commit'] },
        { id: 'wp-b', deps: ['wp-a'], write: 'out-b/**', agent: ['write out-b/b.txt from b'] },
        { id: 'wp-c', deps: ['wp-a'], write: 'out-c/**', agent: ['write out-c/c.txt from c', 'commit'] },
      ]),
    );
    const opened: vscode.Terminal[] = [];
    const onOpen = vscode.window.onDidOpenTerminal((t) => opened.push(t));
    const texts: string[] = [];
    const waves: string[] = [];
    const sub = api.run.live.onDidChangeRuns(() => {
      texts.push(api.views.statusBar.text);
      const roots = api.views.tree.getChildren();
      const mine = roots.find((r) => r.kind === 'plan' && r.entry.uri.toString() === uri.toString());
      if (mine) for (const w of api.views.tree.getChildren(mine)) waves.push(String(api.views.tree.getTreeItem(w).description));
    });
    try {
      const session = (await vscode.commands.executeCommand('waves.runPlan', uri)) as RunSession | undefined;
      const outcome = await outcomeOf(session);
      assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
      assert.deepEqual(outcome.counts, { succeeded: 3 });
      // Merged: the integration branch holds every package's file.
      const branch = outcome.integrationBranch!;
      assert.match(branch, /^waves\/.+integration$/);
      const files = git(['ls-tree', '-r', '--name-only', branch]).split('\n');
      for (const f of ['out-a/a.txt', 'out-b/b.txt', 'out-c/c.txt']) assert.ok(files.includes(f), `${f} is on ${branch}`);
      assert.deepEqual(
        Object.entries(outcome.state.merges).map(([id, m]) => `${id} ${m.status}`).sort(),
        ['wp-a merged', 'wp-b merged', 'wp-c merged'],
      );
      // Each attempt ran in its own terminal, named after its wave and package, whose process
      // is the runner itself (no shell): process.execPath runner.js <attemptDir> <token>.
      assert.deepEqual(opened.map((t) => t.name).sort(), ['wave 1 · wp-a', 'wave 2 · wp-b', 'wave 2 · wp-c']);
      for (const t of opened) {
        const options = t.creationOptions as vscode.TerminalOptions;
        assert.equal(options.shellPath, process.execPath);
        assert.equal(path.basename(String(options.shellArgs?.[0])), 'runner.js');
        assert.equal(options.shellArgs?.length, 3);
        assert.equal(options.env?.ELECTRON_RUN_AS_NODE, '1');
      }
      // The status bar followed the run, then shows how it ended.
      await waitFor(() => api.views.statusBar.text.startsWith('$(pass) Run succeeded'), 'the finished run in the status bar');
      assert.equal(api.views.statusBar.text, '$(pass) Run succeeded · 3/3 succeeded');
      assert.ok(texts.some((t) => /^\$\(sync~spin\) Wave [12]\/2 · .*\d\/3 done/.test(t)), `a live status bar text among ${JSON.stringify(texts)}`);
      // The Waves view: per wave "n/m done", per package its status.
      assert.ok(waves.includes('2 packages · 2/2 done'), `wave 2 done among ${JSON.stringify([...new Set(waves)])}`);
      const planNode = api.views.tree.getChildren().find((r) => r.kind === 'plan' && r.entry.uri.toString() === uri.toString())!;
      const wave2 = api.views.tree.getChildren(planNode)[1]!;
      const items = api.views.tree.getChildren(wave2).map((n) => api.views.tree.getTreeItem(n));
      for (const item of items) {
        assert.match(String(item.description), /succeeded after \d+/);
        assert.equal((item.iconPath as vscode.ThemeIcon).id, 'pass-filled');
        assert.equal(item.contextValue, 'waves.package.succeeded');
      }
      assert.ok(api.run.notifications.shown.some((m) => m.includes('all 3 packages succeeded and merged')), JSON.stringify(api.run.notifications.shown));
      // The user's branch and working tree are untouched until Finish Run.
      assert.ok(!fs.existsSync(path.join(workspaceRoot().fsPath, 'out-a')));
    } finally {
      sub.dispose();
      onOpen.dispose();
    }
  });

  it('a failing and an out-of-scope package fail with their reasons, block their dependents, and are told', async () => {
    const feature = `run-bad-${process.pid}-${++counter}`;
    const uri = await usePlan(
      plan(feature, [
        { id: 'wp-fail', write: 'out-f/**', agent: ['write out-f/f.txt x', 'exit 3'] },
        { id: 'wp-out', write: 'out-o/**', agent: ['write elsewhere/o.txt x', 'commit'] },
        { id: 'wp-next', deps: ['wp-fail'], write: 'out-n/**', agent: ['write out-n/n.txt x'] },
      ]),
    );
    const session = (await vscode.commands.executeCommand('waves.runPlan', uri)) as RunSession | undefined;
    const outcome = await outcomeOf(session);
    assert.equal(outcome.outcome, 'failed');
    const p = outcome.state.packages;
    assert.equal(p['wp-fail']!.status, 'failed');
    assert.match(p['wp-fail']!.lastError ?? '', /3/);
    assert.equal(p['wp-out']!.status, 'scope-violation');
    assert.deepEqual(p['wp-out']!.scopeViolations.map((v) => v.path), ['elsewhere/o.txt']);
    assert.equal(p['wp-next']!.status, 'blocked');
    const shown = api.run.notifications.shown.join('\n');
    assert.match(shown, /wp-fail failed/);
    assert.match(shown, /wp-out changed files outside its scope/);
    await waitFor(() => api.views.statusBar.text.startsWith('$(error) Run failed'), 'the failed run in the status bar');
    assert.ok(api.views.statusBar.warning, 'the warning colour on failures');
    // Retry Failed is offered (and Resume is not: nothing was interrupted).
    const entry = api.registry.get(uri)!;
    assert.equal(api.run.controller.whyNot('retryFailed', entry), null);
    assert.match(api.run.controller.whyNot('resume', entry) ?? '', /nothing interrupted or cancelled/);

    // Fix the broken package and retry: only the failed ones run again, then their dependents.
    await usePlan(
      plan(feature, [
        { id: 'wp-fail', write: 'out-f/**', agent: ['write out-f/f.txt fixed', 'commit'] },
        { id: 'wp-out', write: 'out-o/**', agent: ['delete elsewhere/o.txt', 'write out-o/o.txt x', 'commit'] },
        { id: 'wp-next', deps: ['wp-fail'], write: 'out-n/**', agent: ['write out-n/n.txt x'] },
      ]),
    );
    const retry = (await vscode.commands.executeCommand('waves.retryFailed', uri)) as RunSession | undefined;
    const second = await outcomeOf(retry);
    assert.equal(second.state.packages['wp-fail']!.status, 'succeeded');
    assert.equal(second.state.packages['wp-fail']!.attempts, 2);
    assert.equal(second.state.packages['wp-next']!.status, 'succeeded');
    assert.equal(second.state.runId, outcome.state.runId, 'the same run went on');
  });

  it('Cancel Run stops the running agent; Resume runs what was cancelled', async () => {
    const feature = `run-cancel-${process.pid}-${++counter}`;
    const uri = await usePlan(plan(feature, [{ id: 'wp-hang', write: 'out-h/**', agent: ['write out-h/h.txt x', 'hang'] }]));
    const session = (await vscode.commands.executeCommand('waves.runPlan', uri)) as RunSession | undefined;
    assert.ok(session);
    await waitFor(() => session.engine.store?.state?.packages['wp-hang']?.status === 'running', 'wp-hang running', { timeoutMs: 30_000 });
    const entry = api.registry.get(uri)!;
    assert.equal(api.run.controller.whyNot('runPlan', entry), 'a run of this plan is going in this window; cancel it or wait for its end');
    assert.ok(await vscode.commands.executeCommand('waves.cancelRun', uri));
    const outcome = await outcomeOf(session);
    assert.equal(outcome.outcome, 'cancelled');
    assert.equal(outcome.state.packages['wp-hang']!.status, 'cancelled');
    await waitFor(() => api.views.statusBar.text.startsWith('$(circle-slash) Run cancelled'), 'the cancelled run in the status bar');

    await usePlan(plan(feature, [{ id: 'wp-hang', write: 'out-h/**', agent: ['write out-h/h.txt done', 'commit'] }]));
    const resumed = await outcomeOf((await vscode.commands.executeCommand('waves.resume', uri)) as RunSession | undefined);
    assert.equal(resumed.outcome, 'succeeded');
    assert.equal(resumed.state.packages['wp-hang']!.attempts, 2);
  });
});
