// The run in the editor, in a real VS Code on a real git repository (the suite's
// workspace is a git copy): plans run from the commands with the scripted test agent
// (test/fixtures/agents/scripted-agent.mjs) in terminals whose process is the runner, to a
// merged integration branch; the status bar, the Waves view and the notifications follow;
// a failing and an out-of-scope package, cancel, resume and retry; a plan in a repository of its
// own inside the workspace (its runs live in that repository's `.waves/`). Every wait is on a
// condition with a deadline.
import { strict as assert } from 'node:assert';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WavesApi } from '../../../src/extension';
import { attemptDir, runStateFile } from '../../../src/core/run/runPaths';
import { forecastHeadline, type RunForecast } from '../../../src/core/run/forecast';
import { createRunState } from '../../../src/core/run/runStateInit';
import type { RunState } from '../../../src/core/run/runState';
import { applied, exitRecordText, startedEvents } from '../../fixtures/shippedRun';
import { planRepo } from '../../fixtures/startRefusals';
import { RunWatch } from '../../../src/run/run/runWatch';
import type { RunSession } from '../../../src/run/run/runController';
import { closeEditors, extension, pidAlive, Scratch, useScriptedAgent, waitFor, waitForPlan, wavesApi, workspaceRoot } from '../helpers';

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

/** What a run that does not end is doing: each package's status and its attempt folder's files. */
function stuckRun(session: RunSession): string {
  const state = session.engine.store?.state;
  if (!state) return '(no run state)';
  const lines: string[] = [];
  for (const [id, r] of Object.entries(state.packages)) {
    lines.push(`  ${id}: ${r.status}, attempt ${r.attempts}, pid ${r.pid ?? '-'}`);
    if (r.attempts === 0) continue;
    const dir = attemptDir(session.engine.repoRoot, state.featureId, state.runId, id, r.attempts);
    let files: string[] = [];
    try {
      files = fs.readdirSync(dir);
    } catch (err) {
      lines.push(`    ${dir}: ${(err as Error).message}`);
    }
    lines.push(`    files: ${files.join(', ')}`);
    for (const name of ['exit.json', 'meta.json']) {
      if (files.includes(name)) lines.push(`    ${name}: ${fs.readFileSync(path.join(dir, name), 'utf8').replace(/\s+/g, ' ')}`);
    }
  }
  try {
    lines.push(execFileSync('ps', ['-eo', 'pid,ppid,stat,etime,args'], { encoding: 'utf8' }).split('\n').filter((l) => /runner\.js|scripted-agent|\bgit\b/.test(l)).join('\n'));
  } catch {
    // no ps
  }
  return lines.join('\n');
}

/** Waits for a session's outcome, with a deadline. */
async function outcomeOf(session: RunSession | undefined) {
  assert.ok(session, 'the run started');
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the run of ${session.featureId} did not end within ${RUN_TIMEOUT} ms\n${stuckRun(session)}`)), RUN_TIMEOUT);
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
    await useScriptedAgent(true);
  });
  beforeEach(() => {
    scratch = new Scratch('run');
  });
  afterEach(async () => {
    for (const s of api.run.controller.activeSessions) {
      await s.engine.cancel();
      let timer: NodeJS.Timeout | undefined;
      const ended = await Promise.race([s.outcome.then(() => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), 30_000)))]);
      clearTimeout(timer);
      assert.ok(ended, `the cancelled run of ${s.featureId} ended within 30 s\n${stuckRun(s)}`);
    }
    await scratch.dispose();
  });
  after(async () => {
    await useScriptedAgent(null);
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

  it('Run Plan asks first, with the forecast ("no history yet" on a fresh feature); a no starts nothing (#35)', async () => {
    const feature = `run-forecast-${process.pid}-${++counter}`;
    const uri = await usePlan(plan(feature, [{ id: 'wp-a', write: 'out-a/**', agent: ['write out-a/a.txt from a'] }]));
    const saved = api.run.controller.questions;
    const asked: RunForecast[] = [];
    api.run.controller.questions = {
      ...saved,
      confirmRun: async (forecast) => {
        asked.push(forecast);
        return false;
      },
    };
    try {
      const session = await vscode.commands.executeCommand('waves.runPlan', uri);
      assert.equal(session, undefined, 'nothing started');
      assert.equal(asked.length, 1, 'asked once');
      assert.equal(asked[0]!.history, 'none');
      assert.match(forecastHeadline(asked[0]!), /^no history yet: up to 5m 00s from timeout_minutes, at most \d+ at once$/);
      assert.equal(fs.existsSync(runStateFile(workspaceRoot().fsPath, feature)), false, 'no run state written');
    } finally {
      api.run.controller.questions = saved;
    }
  });

  it('Run Plan runs a plan of plans as one run: its sub-plan\'s packages under their parent, each shown with its run in the Waves view under the parent\'s row', async () => {
    const feature = `run-nested-${process.pid}-${++counter}`;
    await scratch.write(
      'api.yaml',
      plan(`${feature}-api`, [
        { id: 'model', write: 'out-n/api/model/**', agent: ['write out-n/api/model/m.txt m', 'commit'] },
        { id: 'routes', deps: ['model'], write: 'out-n/api/routes/**', agent: ['write out-n/api/routes/r.txt r', 'commit'] },
      ]),
    );
    const top = plan(feature, [
      { id: 'api', write: 'out-n/api/**', agent: ['noop'] },
      { id: 'ui', deps: ['api'], write: 'out-n/ui/**', agent: ['write out-n/ui/u.txt u', 'commit'] },
    ]).replace('    timeout_minutes: 5\n  - package_id: ui', '    timeout_minutes: 5\n    inputs: {waves: {plan: api.yaml}}\n  - package_id: ui');
    const uri = await usePlan(top);
    const { tree } = api.views;
    const subRows = async () => {
      const planRow = tree.getChildren().find((n) => n.kind === 'plan' && n.entry.uri.toString() === uri.toString());
      const parent = (planRow ? tree.getChildren(planRow) : []).flatMap((w) => tree.getChildren(w)).find((r) => r.kind === 'package' && r.packageId === 'api');
      return parent ? tree.getChildren(parent).flatMap((w) => tree.getChildren(w)) : [];
    };
    await waitFor(async () => (await subRows()).length === 2, "the sub-plan's packages under the parent's row");
    // Show Prompt before the run (the DAG's details call it with the run's id): a sub-plan package's as its run writes it; a parent's says no agent works on it.
    const shownPrompt = async (packageId: string) => {
      assert.equal(await vscode.commands.executeCommand('waves.showPrompt', { uri, packageId }), true, packageId);
      return waitFor(() => {
        const text = vscode.window.activeTextEditor?.document.getText() ?? '';
        return text.includes(packageId) ? text : undefined;
      }, `the prompt of ${packageId}`);
    };
    assert.match(await shownPrompt('api__routes'), /^# Work package `api__routes`[\s\S]*This package is part of the sub-plan `[^`]*api\.yaml`/);
    assert.match(await shownPrompt('api'), /^No agent: `api` is its sub-plan's join\. It starts once api__model, api__routes landed/);
    await closeEditors((u) => u.scheme === 'untitled');
    const session = (await vscode.commands.executeCommand('waves.runPlan', uri)) as RunSession | undefined;
    const outcome = await outcomeOf(session);
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    assert.deepEqual(Object.keys(outcome.state.packages).sort(), ['api', 'api__model', 'api__routes', 'ui']);
    const files = git(['ls-tree', '-r', '--name-only', outcome.integrationBranch!]).split('\n');
    for (const f of ['out-n/api/model/m.txt', 'out-n/api/routes/r.txt', 'out-n/ui/u.txt']) assert.ok(files.includes(f), `${f} is merged`);
    // The Waves view: each sub-plan package's row says its own run (the run names it under its parent), with no run action of its own.
    const shown = await waitFor(async () => {
      const rows = await subRows();
      const items = rows.map((r) => tree.getTreeItem(r));
      return items.length === 2 && items.every((i) => /succeeded/.test(String(i.description))) ? items : undefined;
    }, "the sub-plan's rows to say their packages succeeded");
    assert.deepEqual(shown.map((i) => i.contextValue), ['waves.subPlanPackage', 'waves.subPlanPackage']);
    assert.deepEqual(shown.map((i) => (i.iconPath as vscode.ThemeIcon).id), ['pass-filled', 'pass-filled']);
  });

  it("a parent its agent plans at run time: its planner's row under the parent's, with its prompt before and after; once kept, the sub-plan's waves below it", async () => {
    const feature = `run-planned-${process.pid}-${++counter}`;
    const sub = plan(`${feature}-api`, [
      { id: 'users', write: 'out-p/api/users/**', agent: ['write out-p/api/users/u.txt u', 'commit'] },
      { id: 'orders', deps: ['users'], write: 'out-p/api/orders/**', agent: ['write out-p/api/orders/o.txt o', 'commit'] },
    ]);
    const top = plan(feature, [
      { id: 'api', write: 'out-p/api/**', agent: [`write-sub-plan ${Buffer.from(sub).toString('base64')}`] },
      { id: 'ui', deps: ['api'], write: 'out-p/ui/**', agent: ['write out-p/ui/u.txt u', 'commit'] },
    ]).replace('    timeout_minutes: 5\n  - package_id: ui', '    timeout_minutes: 5\n    inputs: {waves: {plan: {by: agent}}}\n  - package_id: ui');
    const uri = await usePlan(top);
    const { tree } = api.views;
    const parentRow = () => {
      const planRow = tree.getChildren().find((n) => n.kind === 'plan' && n.entry.uri.toString() === uri.toString());
      return (planRow ? tree.getChildren(planRow) : []).flatMap((w) => tree.getChildren(w)).find((r) => r.kind === 'package' && r.packageId === 'api');
    };
    const planner = await waitFor(() => {
      const row = parentRow();
      return row ? tree.getChildren(row).find((r) => r.kind === 'planner') : undefined;
    }, "the planner's row under its parent's");
    assert.equal(tree.getChildren(parentRow()!).length, 1, 'nothing planned yet: the planner alone');
    assert.match(String(tree.getTreeItem(parentRow()!).description), /planned by its agent at run time/);
    let item = tree.getTreeItem(planner);
    assert.equal(item.label, 'Planner');
    assert.equal(item.contextValue, 'waves.planner');
    assert.match(String(item.description), /^plans api's work$/);
    // Its prompt before the run, from its row (as its context menu passes it): the one the engine would write.
    const shownPrompt = async (arg: unknown, marker: RegExp) => {
      assert.equal(await vscode.commands.executeCommand('waves.showPrompt', arg), true);
      return waitFor(() => {
        const text = vscode.window.activeTextEditor?.document.getText() ?? '';
        return marker.test(text) ? text : undefined;
      }, "the planner's prompt");
    };
    assert.match(await shownPrompt(planner, /^# Plan the work of package `api`/), /sub-plan\.yaml/);
    await closeEditors((u) => u.scheme === 'untitled');
    const session = (await vscode.commands.executeCommand('waves.runPlan', uri)) as RunSession | undefined;
    const outcome = await outcomeOf(session);
    assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
    assert.deepEqual(Object.keys(outcome.state.packages).sort(), ['api', 'api___plan', 'api__orders', 'api__users', 'ui']);
    // Kept: the planner's row says so with its run, and the sub-plan's waves follow it under the parent's row.
    const rows = await waitFor(() => {
      const row = parentRow();
      const children = row ? tree.getChildren(row) : [];
      const first = children[0] && tree.getTreeItem(children[0]);
      return children.length > 1 && /its sub-plan is kept · succeeded/.test(String(first?.description)) ? children : undefined;
    }, () => {
      const row = parentRow();
      const shown = row ? tree.getChildren(row).map((c) => `${c.kind}: ${String(tree.getTreeItem(c).description ?? tree.getTreeItem(c).label)}`) : [];
      return `the planner's row to say its sub-plan is kept, the sub-plan's waves below it (shown: ${JSON.stringify(shown)})`;
    });
    item = tree.getTreeItem(rows[0]!);
    assert.equal(item.contextValue, 'waves.planner.succeeded');
    assert.equal((item.iconPath as vscode.ThemeIcon).id, 'pass-filled');
    const planned = rows.slice(1).flatMap((w) => tree.getChildren(w)).map((r) => (r.kind === 'package' ? r.packageId : r.kind));
    assert.deepEqual(planned, ['users', 'orders']);
    // Its prompt after the run: the file its attempt read.
    assert.match(await shownPrompt(rows[0], /^# Plan the work of package `api`/), /sub-plan\.yaml/);
    assert.match(vscode.window.activeTextEditor!.document.uri.fsPath, /api___plan/);
  });

  it('Run Plan runs every package in a terminal to a merged integration branch, with live status', async () => {
    const feature = `run-ok-${process.pid}-${++counter}`;
    const uri = await usePlan(
      plan(feature, [
        { id: 'wp-a', write: 'out-a/**', agent: ['write out-a/a.txt from a', 'env NODE_EXTRA_CA_CERTS out-a/certs.txt', 'commit'] },
        { id: 'wp-b', deps: ['wp-a'], write: 'out-b/**', agent: ['write out-b/b.txt from b'] },
        { id: 'wp-c', deps: ['wp-a'], write: 'out-c/**', agent: ['write out-c/c.txt from c', 'commit'] },
      ]),
    );
    // Extra CA certificates of the person's (a company proxy's): the agent gets them; the runner,
    // a Node that makes no TLS connection, is started without them (Node reads the file at start).
    const certs = fs.existsSync('/etc/ssl/certs/ca-certificates.crt') ? '/etc/ssl/certs/ca-certificates.crt' : path.join(workspaceRoot().fsPath, 'README.md');
    const savedCerts = process.env.NODE_EXTRA_CA_CERTS;
    process.env.NODE_EXTRA_CA_CERTS = certs;
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
      assert.equal(git(['show', `${branch}:out-a/certs.txt`]), `NODE_EXTRA_CA_CERTS=${certs}`, "the agent's environment has the extra certificates");
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
        // null: the terminal starts the runner without the variable it would inherit; the runner hands it on.
        assert.equal(options.env?.NODE_EXTRA_CA_CERTS, null);
        assert.equal(options.env?.WAVES_NODE_EXTRA_CA_CERTS, certs);
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
      if (savedCerts === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
      else process.env.NODE_EXTRA_CA_CERTS = savedCerts;
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
    assert.match(api.run.controller.whyNot('resume', entry) ?? '', /nothing interrupted, cancelled or left to start/, JSON.stringify(Object.values(api.run.controller.stateFor(entry)?.packages ?? {}).map((r) => r.status)));

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

  // ---------------------------------------------------------------------------------------
  // Reconcile: a run another process drove, found on disk.

  /** A RunEngine in its own process (test/engine/engine-driver.ts, runners detached), as `waves run` or a window that goes away. */
  function driver(planFile: string, resumeFile: string): { child: ChildProcess; events: () => { type: string; packageId?: string }[]; stderr: () => string } {
    const root = extension().extensionPath;
    const config = { planFile, runnerScript: path.join(root, 'dist', 'runner.js'), env: { WAVES_TEST_AGENT_RESUME: resumeFile } };
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'test', 'engine', 'engine-driver.ts'), JSON.stringify(config)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const events = () => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type: string; packageId?: string });
    return { child, events, stderr: () => err };
  }

  const waitingPlan = (feature: string) =>
    plan(feature, [
      { id: 'wp-wait', write: 'out-w/**', agent: ['ask waiting for approval', 'append out-w/runs.txt ran\\n', 'commit'] },
      { id: 'wp-next', deps: ['wp-wait'], write: 'out-n/**', agent: ['write out-n/n.txt x', 'commit'] },
    ]);

  async function killed(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  }

  const lastRecord = (feature: string) => api.run.reconciler.records.filter((r) => r.featureId === feature).at(-1);
  const attemptMeta = (feature: string, runId: string, id: string, n: number) =>
    path.join(workspaceRoot().fsPath, '.waves', 'runs', feature, runId, id, String(n), 'meta.json');

  it('a run driven by another process is followed, then adopted (not re-run) when its driver dies and its agent lives', async () => {
    const feature = `run-adopt-${process.pid}-${++counter}`;
    const uri = await usePlan(waitingPlan(feature));
    const resume = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'waves-resume-')), 'go');
    const d = driver(uri.fsPath, resume);
    try {
      await waitFor(() => d.events().some((e) => e.type === 'needs-input' && e.packageId === 'wp-wait'), `the other process's agent to run (${d.stderr()})`, { timeoutMs: 60_000 });
      await api.run.reconciler.reconcileAll(true);
      assert.equal(lastRecord(feature)?.kind, 'followed', JSON.stringify(lastRecord(feature)));
      assert.equal(api.run.controller.session(feature), undefined, 'a run another process drives is never driven here');
      const entry = api.registry.get(uri)!;
      assert.match(api.run.controller.whyNot('resume', entry) ?? '', /a run of this plan is going \(driven by pid \d+/);

      // Its driver dies (a window reload, a closed terminal); its agent lives on.
      await killed(d.child);
      const session = await waitFor(() => api.run.controller.session(feature), 'the run to be adopted when its lease went stale', { timeoutMs: 30_000 });
      // The reconciler records the adoption once the engine has begun it (the start use case returned).
      await waitFor(() => lastRecord(feature)?.kind === 'adopt', `the adoption recorded (now: ${JSON.stringify(lastRecord(feature))})`, { timeoutMs: 30_000 });
      assert.match(lastRecord(feature)!.detail, /^wp-wait \(runner pid \d+\)$/);
      fs.writeFileSync(resume, '');
      const outcome = await outcomeOf(session);
      // An adoption nobody asked for collects, and starts nothing: the rest is the person's.
      assert.equal(outcome.outcome, 'collected', JSON.stringify(outcome.counts));
      assert.equal(outcome.state.packages['wp-wait']!.status, 'succeeded');
      assert.equal(outcome.state.packages['wp-wait']!.attempts, 1, 'the adopted agent was not run again');
      assert.ok(!fs.existsSync(attemptMeta(feature, outcome.runId, 'wp-wait', 2)));
      assert.equal(git(['show', `${outcome.integrationBranch!}:out-w/runs.txt`]), 'ran', 'its agent ran once');
      assert.equal(outcome.state.packages['wp-next']!.attempts, 0, 'its dependent did not start by itself');
      assert.ok(!fs.existsSync(attemptMeta(feature, outcome.runId, 'wp-next', 1)));

      // The person's Resume runs the rest.
      const finished = await outcomeOf((await vscode.commands.executeCommand('waves.resume', uri)) as RunSession | undefined);
      assert.equal(finished.outcome, 'succeeded', JSON.stringify(finished.counts));
      assert.equal(finished.state.packages['wp-next']!.status, 'succeeded', 'the rest ran on the person\'s Resume');
    } finally {
      await killed(d.child);
      fs.writeFileSync(resume, '');
    }
  });

  it('a run whose driver and agent died is offered to resume, starts nothing by itself, and Resume finishes it', async () => {
    const feature = `run-offer-${process.pid}-${++counter}`;
    const uri = await usePlan(waitingPlan(feature));
    const resume = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'waves-resume-')), 'go');
    const d = driver(uri.fsPath, resume);
    try {
      await waitFor(() => d.events().some((e) => e.type === 'needs-input' && e.packageId === 'wp-wait'), `the other process's agent to run (${d.stderr()})`, { timeoutMs: 60_000 });
      await killed(d.child);
      const state = JSON.parse(fs.readFileSync(path.join(workspaceRoot().fsPath, '.waves', 'runs', `${feature}.json`), 'utf8')) as RunState;
      const meta = JSON.parse(fs.readFileSync(attemptMeta(feature, state.runId, 'wp-wait', 1), 'utf8')) as { runnerPid: number; agentPid: number };
      process.kill(meta.runnerPid, 'SIGKILL');
      process.kill(-meta.agentPid, 'SIGKILL');
      await waitFor(() => !pidAlive(meta.runnerPid) && !pidAlive(meta.agentPid), 'the runner and the agent to be gone');

      await api.run.reconciler.reconcileAll(true);
      assert.equal(lastRecord(feature)?.kind, 'offer', JSON.stringify(lastRecord(feature)));
      assert.equal(lastRecord(feature)!.detail, 'wp-wait');
      assert.ok(api.run.reconciler.offers.some((m) => m.includes(`Run test ${feature}`) && m.includes('Nothing restarts until you resume it')), JSON.stringify(api.run.reconciler.offers));
      assert.equal(api.run.controller.session(feature), undefined, 'nothing restarts without the person');
      assert.ok(!fs.existsSync(attemptMeta(feature, state.runId, 'wp-wait', 2)));
      const entry = api.registry.get(uri)!;
      assert.equal(api.run.controller.whyNot('resume', entry), null, 'Resume can act');

      // The person chooses Resume (the notification's action runs this command).
      await usePlan(waitingPlan(feature).replace('ask waiting for approval', 'noop'));
      const outcome = await outcomeOf((await vscode.commands.executeCommand('waves.resume', uri)) as RunSession | undefined);
      assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
      assert.equal(outcome.runId, state.runId, 'the same run went on');
      assert.equal(outcome.state.packages['wp-wait']!.attempts, 2, 'the interrupted attempt was offered again, once');
      assert.equal(git(['show', `${outcome.integrationBranch!}:out-w/runs.txt`]), 'ran');
    } finally {
      await killed(d.child);
    }
  });

  it('a run state the repository ships is foreign: offered, never adopted; an adoption forced on it is refused and starts nothing (#15)', async () => {
    const feature = `run-shipped-${process.pid}-${++counter}`;
    const uri = await usePlan(
      plan(feature, [
        { id: 'wp-a', write: 'out-a/**', agent: ['write out-a/a.txt a'], retry: 2 },
        { id: 'wp-b', write: 'out-b/**', agent: ['write out-b/b.txt b'] },
      ]),
    );
    // What a repository can ship: wp-a running with a matching exit.json (an adoption would fail
    // its leftovers commit and retry it), wp-b ready to start.
    const root = workspaceRoot().fsPath;
    const state = applied(
      createRunState({ featureId: feature, planFile: path.relative(root, uri.fsPath), runId: 'r-shipped', packageIds: ['wp-a', 'wp-b'], now: new Date('2025-01-01T00:00:00.000Z') }),
      startedEvents('wp-a', 'tok-a', { worktree: path.join(root, 'x'), logFile: path.join(root, 'x.log') }),
    );
    const attempt = (n: number) => attemptDir(root, feature, 'r-shipped', 'wp-a', n);
    fs.mkdirSync(attempt(1), { recursive: true });
    fs.writeFileSync(path.join(attempt(1), 'exit.json'), exitRecordText('tok-a'));
    const file = path.join(root, '.waves', 'runs', `${feature}.json`);
    const shipped = JSON.stringify(state, null, 2) + '\n';
    fs.writeFileSync(file, shipped);

    await api.run.reconciler.reconcileAll(true);
    assert.equal(lastRecord(feature)?.kind, 'foreign', JSON.stringify(lastRecord(feature)));
    assert.ok(
      api.run.reconciler.offers.some((m) => m.includes(`a run of Run test ${feature} is in .waves/runs, but it does not say it was started on this machine`) && m.includes('nothing of it is driven here')),
      JSON.stringify(api.run.reconciler.offers),
    );
    assert.equal(api.run.controller.session(feature), undefined, 'nothing is driven');

    // Adopted anyway (a state that changed between the decision and the engine's read): the engine refuses, and nothing starts.
    const refusals: string[] = [];
    const sub = api.run.controller.onDidRefuseStart((r) => r.featureId === feature && refusals.push(r.refusal.kind));
    const session = await api.run.controller.adopt(api.registry.get(uri)!, [], 'r-shipped').finally(() => sub.dispose());
    assert.equal(session, undefined, 'the refused adoption has no session');
    assert.deepEqual(refusals, ['adopt-refused'], 'the adoption was tried and refused by the engine');
    assert.equal(fs.readFileSync(file, 'utf8'), shipped, 'the shipped state is left as it is');
    assert.ok(!fs.existsSync(attempt(2)), 'no retry of wp-a');
    assert.ok(!fs.existsSync(attemptDir(root, feature, 'r-shipped', 'wp-b', 1)), 'wp-b did not start');
  });

  it('CodeLens run actions sit on the plan where they can act, and run the same commands', async () => {
    const feature = `run-lens-${process.pid}-${++counter}`;
    const uri = await usePlan(
      plan(feature, [
        { id: 'wp-a', write: 'out-a/**', agent: ['write out-a/a.txt a', 'sleep 1500', 'commit'] },
        { id: 'wp-b', deps: ['wp-a'], write: 'out-b/**', agent: ['write out-b/b.txt b', 'commit'] },
      ]),
    );
    const doc = await vscode.workspace.openTextDocument(uri);
    const lineOf = (id: string) => doc.getText().split('\n').findIndex((l) => l.includes(`package_id: ${id}`));
    const runLenses = async () =>
      ((await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 10)) ?? []).filter((l) => l.command?.command.startsWith('waves.'));
    const shown = async () => (await runLenses()).map((l) => `${l.range.start.line === lineOf('wp-a') ? 'wp-a' : l.range.start.line === lineOf('wp-b') ? 'wp-b' : l.range.start.line} ${l.command!.title}`).sort();
    // Before a run: the plan, its first wave and the packages whose dependencies allow it.
    assert.deepEqual(await shown(), ['wp-a $(play) Run Package', 'wp-a $(play) Run Plan', 'wp-a $(play) Run Wave 1']);
    const runPackage = (await runLenses()).find((l) => l.command!.title === '$(play) Run Package')!;
    assert.deepEqual(runPackage.command!.arguments, [{ uri, packageId: 'wp-a' }]);
    // The lens runs the command it names.
    const session = (await vscode.commands.executeCommand(runPackage.command!.command, ...runPackage.command!.arguments!)) as RunSession | undefined;
    assert.ok(session);
    // While it runs: only Cancel Run.
    await waitFor(async () => JSON.stringify(await shown()) === JSON.stringify(['wp-a $(debug-stop) Cancel Run']), 'only Cancel Run while the run goes', { timeoutMs: 20_000 });
    const outcome = await outcomeOf(session);
    assert.equal(outcome.state.packages['wp-a']!.status, 'succeeded');
    // After it: wave 2 and wp-b can run now that wp-a succeeded.
    await waitFor(
      async () => JSON.stringify(await shown()) === JSON.stringify(['wp-a $(play) Run Package', 'wp-a $(play) Run Plan', 'wp-a $(play) Run Wave 1', 'wp-b $(play) Run Package', 'wp-b $(play) Run Wave 2']),
      `the lenses after the run (${JSON.stringify(await shown())})`,
    );
  });

  it('waves.agentOverrides gives a package its own agent; waves.worktrees.folder holds the worktrees', async () => {
    const feature = `run-settings-${process.pid}-${++counter}`;
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'waves-trees-'));
    // The override: the same scripted agent, told its package and result file (waves.agent is not).
    const scripted = path.join(extension().extensionPath, 'test', 'fixtures', 'agents', 'scripted-agent.mjs');
    const config = vscode.workspace.getConfiguration('waves');
    await config.update('agentOverrides', { 'wp-b': [process.execPath, scripted, '--prompt', '${promptFile}', '--result', '${resultFile}', '--package', '${packageId}'] }, vscode.ConfigurationTarget.Workspace);
    await config.update('worktrees.folder', folder, vscode.ConfigurationTarget.Workspace);
    try {
      const uri = await usePlan(
        plan(feature, [
          { id: 'wp-a', write: 'out-a/**', agent: ['write out-a/a.txt a', 'commit'] },
          { id: 'wp-b', write: 'out-b/**', agent: ['write out-b/b.txt b', 'commit'] },
        ]),
      );
      const outcome = await outcomeOf((await vscode.commands.executeCommand('waves.runPlan', uri)) as RunSession | undefined);
      assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
      const argv = (id: string) =>
        (JSON.parse(fs.readFileSync(path.join(workspaceRoot().fsPath, '.waves', 'runs', feature, outcome.runId, id, '1', 'spec.json'), 'utf8')) as { argv: string[] }).argv;
      assert.deepEqual(argv('wp-b').slice(-2), ['--package', 'wp-b'], 'wp-b ran its override');
      assert.equal(argv('wp-a').length, 4, 'wp-a ran waves.agent (node, the agent, --prompt, its prompt)');
      assert.equal(argv('wp-a')[2], '--prompt');
      assert.equal(outcome.state.packages['wp-a']!.worktree, path.join(folder, feature, 'wp-a'));
      assert.equal(outcome.state.integration?.worktree, path.join(folder, feature, '_integration'));
    } finally {
      await config.update('agentOverrides', undefined, vscode.ConfigurationTarget.Workspace);
      await config.update('worktrees.folder', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it("a plan in a repository nested in the workspace folder: its run is shown from that repository's .waves after it ended, and in a window opened later; the run commands act on that repository", async () => {
    assert.ok(fs.existsSync(path.join(workspaceRoot().fsPath, '.git')), 'the workspace folder is a repository of its own');
    const feature = `nested-${process.pid}`;
    const { plan, repo } = planRepo(path.join(scratch.root.fsPath, 'inner'), feature);
    const text = fs.readFileSync(plan, 'utf8').replace('    title: One\n', '    title: One\n    description: |\n      test-agent: write one/done.txt done\n      test-agent: commit\n');
    fs.writeFileSync(plan, text);
    const entry = await waitForPlan(api, vscode.Uri.file(plan), 'the nested plan in the registry', (e) => e.analysis.valid && e.analysis.plan.packages[0]?.description?.includes('test-agent') === true);
    assert.equal(api.run.facts.repoOf(entry), repo, 'its runs belong to its own repository');

    const session = await api.run.controller.start(entry, { what: 'the plan' });
    assert.ok(session, 'the run started');
    const outcome = await session.outcome;
    assert.equal(outcome?.outcome, 'succeeded', JSON.stringify(outcome?.counts));
    assert.ok(fs.existsSync(path.join(repo, '.waves', 'runs', `${feature}.json`)), "the run state is in the nested repository's .waves");
    assert.ok(!fs.existsSync(path.join(workspaceRoot().fsPath, '.waves', 'runs', `${feature}.json`)));
    await waitFor(() => api.run.controller.session(feature) === undefined, 'the session to end');

    // This window drives it no more: what every view reads comes from the nested repository.
    const shown = await waitFor(() => api.run.live.stateFor(feature, entry.uri), 'the ended run in the views');
    assert.equal(shown.runId, outcome.runId);
    assert.equal(shown.packages['wp-one']?.status, 'succeeded');
    assert.equal(api.run.facts.stateFor(entry)?.runId, outcome.runId);
    assert.equal(api.run.facts.repoOf(entry), repo);
    assert.equal(api.run.controller.whyNot('finishRun', entry), null, 'Finish Run can act on it');
    const planNode = api.views.tree.getChildren().find((n) => n.kind === 'plan' && n.entry.uri.fsPath === plan);
    assert.ok(planNode, 'the plan in the Waves view');
    const wave = api.views.tree.getChildren(planNode)[0]!;
    assert.match(String(api.views.tree.getTreeItem(wave).description), /· 1\/1 done$/);

    // A window opened now (a fresh watch) finds the run too, as one to leave alone (finished).
    const log = vscode.window.createOutputChannel('Waves test: nested RunWatch', { log: true });
    const fresh = new RunWatch(log, undefined, api.registry);
    try {
      await fresh.ready;
      assert.equal(fresh.stateFor(feature, entry.uri)?.runId, outcome.runId);
      const found = fresh.states().find((r) => r.state.featureId === feature);
      assert.equal(found && fs.realpathSync(found.repo.fsPath), repo);
      assert.equal(found?.folder.uri.toString(), vscode.workspace.getWorkspaceFolder(entry.uri)?.uri.toString());
    } finally {
      fresh.dispose();
      log.dispose();
    }
  });
});
