// The integration guard from the editor: with `waves.integration.guard` on, Run Plan
// checks the integration branch as packages land — two parallel packages each pass their own
// checks and break each other (one renames an export, the other calls the old name); the guard
// names the second one, its scripted agent gets the failure and fixes the call, and the Waves
// view's plan row says the branch is green. The plan is a git repository of its own in the
// workspace; the agents and the checks run inside their walls.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WavesApi } from '../../../src/extension';
import type { RunState } from '../../../src/core/run/runState';
import { runStateFile } from '../../../src/core/run/runPaths';
import { readRunSettings } from '../../../src/run/run/settings';
import { committedPlanRepo, Scratch, useScriptedAgent, waitFor, waitForPlan, wavesApi } from '../helpers';
import { callerAgent, RENAMED_EXPORT_FILES, RENAMER_AGENT } from '../../fixtures/renamedExport';

function guardedPlan(repo: string, gate: string, feature = 'guarded-editor', budget?: number): string {
  const agent = (lines: readonly string[]) => ['    description: |', ...lines.map((l) => `      test-agent: ${l}`)];
  const text = [
    'schema_version: 1',
    'feature:',
    `  id: ${feature}`,
    '  title: Guarded in the editor',
    'packages:',
    '  - package_id: a',
    '    title: Renames the export',
    ...agent(RENAMER_AGENT),
    '    scope:',
    '      write_allow: ["a/**"]',
    '  - package_id: b',
    '    title: Calls it',
    ...agent(callerAgent(gate)),
    ...(budget === undefined ? [] : [`    retry_budget: ${budget}`]),
    '    scope:',
    '      write_allow: ["b/**"]',
    '  - package_id: int',
    '    title: Integration',
    '    task_type: integrate',
    '    depends_on: [a, b]',
    ...agent(['write tests/ok.txt ok', 'commit']),
    '    scope:',
    '      write_allow: ["tests/**"]',
    '    verification:',
    '      steps:',
    '        - name: suite',
    '          kind: command',
    '          command: node check.mjs',
    '',
  ].join('\n');
  return committedPlanRepo(repo, { ...RENAMED_EXPORT_FILES, 'work-packages.yaml': text });
}

describe('The integration guard in the editor (#34)', function () {
  this.timeout(150_000);
  let api: WavesApi;
  let scratch: Scratch;
  const config = () => vscode.workspace.getConfiguration('waves');

  before(async () => {
    api = await wavesApi();
    await useScriptedAgent(true);
    scratch = new Scratch('guard');
  });
  after(async () => {
    await config().update('integration.guard', undefined, vscode.ConfigurationTarget.Workspace);
    await config().update('sandbox.read', undefined, vscode.ConfigurationTarget.Global);
    await useScriptedAgent(null);
    await scratch.dispose();
  });

  it('Run Plan with waves.integration.guard: the package that broke the check gets the failure and fixes it; the plan row says green', async () => {
    const folder = scratch.root.fsPath;
    fs.mkdirSync(folder, { recursive: true });
    const gate = path.join(folder, 'gate');
    const plan = guardedPlan(path.join(folder, 'repo'), gate);
    const repo = path.dirname(plan);
    await config().update('integration.guard', true, vscode.ConfigurationTarget.Workspace);
    await config().update('sandbox.read', [folder], vscode.ConfigurationTarget.Global); // b's agent reads its gate
    const controller = api.run.controller;
    const saved = controller.questions;
    const asked: string[][] = [];
    controller.questions = { ...saved, approveCommands: async (commands) => (asked.push([...commands]), true), confirmRun: async () => true };
    try {
      const entry = await waitForPlan(api, vscode.Uri.file(plan), 'the plan in the registry', (e) => e.analysis.plan.packages.length === 3);
      // The plan row's words in the Waves view, each time the view changes during the run.
      const tree = api.views.tree;
      const shown = new Set<string>();
      const watching = tree.onDidChangeTreeData(() => {
        const node = tree.getChildren().find((n) => n.kind === 'plan' && n.entry.uri.fsPath === plan);
        if (node) shown.add(String(tree.getTreeItem(node).description ?? ''));
      });
      const session = await controller.start(entry, { what: 'the plan' });
      assert.ok(session, 'the run started');
      const state = () => JSON.parse(fs.readFileSync(runStateFile(repo, 'guarded-editor'), 'utf8')) as RunState;
      await waitFor(() => fs.existsSync(runStateFile(repo, 'guarded-editor')) && state().packages.a?.status === 'succeeded', 'a merged', { timeoutMs: 60_000 });
      fs.writeFileSync(gate, 'go');
      const outcome = await session.outcome;
      watching.dispose();
      assert.ok(outcome);
      assert.equal(outcome.outcome, 'succeeded', JSON.stringify(outcome.counts));
      assert.deepEqual(asked, [['node check.mjs']], 'the check approved like any verification command');
      const done = state();
      assert.equal(done.packages.b!.attempts, 2, 'b, whose merge broke the check, was sent the failure');
      assert.deepEqual(done.packages.b!.followUps?.map((f) => f.kind), ['integration']);
      assert.equal(done.integration!.guard!.status, 'green');
      // The Waves view's plan row said where the guard stood: red with b blamed, then green.
      const seen = [...shown].join(' | ');
      assert.ok([...shown].some((d) => d === 'guarded-editor · integration red: b blamed (node check.mjs)'), seen);
      assert.ok([...shown].some((d) => /^guarded-editor · integration checks green at [0-9a-f]{8}$/.test(d)), seen);
    } finally {
      controller.questions = saved;
    }
  });

  it("with b's retry_budget 0 the run ends failed; the Waves view says b broke the check with no retry left, and what to do", async () => {
    const folder = path.join(scratch.root.fsPath, 'spent');
    fs.mkdirSync(folder, { recursive: true });
    const gate = path.join(folder, 'gate');
    const plan = guardedPlan(path.join(folder, 'repo'), gate, 'guarded-spent', 0);
    const repo = path.dirname(plan);
    await config().update('integration.guard', true, vscode.ConfigurationTarget.Workspace);
    await config().update('sandbox.read', [folder], vscode.ConfigurationTarget.Global);
    const controller = api.run.controller;
    const saved = controller.questions;
    controller.questions = { ...saved, approveCommands: async () => true, confirmRun: async () => true };
    try {
      const entry = await waitForPlan(api, vscode.Uri.file(plan), 'the plan in the registry', (e) => e.analysis.plan.packages.length === 3);
      const session = await controller.start(entry, { what: 'the plan' });
      assert.ok(session, 'the run started');
      const state = () => JSON.parse(fs.readFileSync(runStateFile(repo, 'guarded-spent'), 'utf8')) as RunState;
      await waitFor(() => fs.existsSync(runStateFile(repo, 'guarded-spent')) && state().packages.a?.status === 'succeeded', 'a merged', { timeoutMs: 60_000 });
      fs.writeFileSync(gate, 'go');
      const outcome = await session.outcome;
      assert.equal(outcome?.outcome, 'failed', JSON.stringify(outcome?.counts));
      assert.equal(state().integration!.guard!.blamed?.outcome, 'no-retry');
      const tree = api.views.tree;
      const planNode = tree.getChildren().find((n) => n.kind === 'plan' && n.entry.uri.fsPath === plan);
      assert.ok(planNode, 'the plan row');
      await waitFor(() => String(tree.getTreeItem(planNode).description ?? '') === 'guarded-spent · integration red: b broke node check.mjs and has no retry left', 'the plan row says it', { timeoutMs: 10_000 });
      const planTip = tree.getTreeItem(planNode).tooltip as vscode.MarkdownString;
      assert.match(planTip.value, /b's merge broke the integration check `node check\.mjs` and its retry budget is spent.*Raise b's retry_budget in the plan and resume the run/s);
      const packages = (node: typeof planNode): typeof planNode[] => tree.getChildren(node).flatMap((c) => (c.kind === 'package' ? [c] : packages(c)));
      const b = packages(planNode).find((n) => n.kind === 'package' && n.packageId === 'b');
      assert.ok(b, "b's row");
      const item = tree.getTreeItem(b);
      assert.match(String(item.description ?? ''), /broke the integration check$/);
      assert.match((item.tooltip as vscode.MarkdownString).value, /Raise b's retry_budget in the plan and resume the run/);
    } finally {
      controller.questions = saved;
    }
  });

  it('the setting names the guard only where the person set it: set nowhere, a run taken up again keeps its own', async () => {
    await config().update('integration.guard', undefined, vscode.ConfigurationTarget.Workspace);
    assert.equal(config().get('integration.guard'), false, 'its default');
    assert.equal(readRunSettings(undefined).integrationGuard, undefined, 'set nowhere: the start names no guard');
    await config().update('integration.guard', false, vscode.ConfigurationTarget.Workspace);
    assert.equal(readRunSettings(undefined).integrationGuard, false, 'set off by the person: the guard is turned off');
    await config().update('integration.guard', true, vscode.ConfigurationTarget.Workspace);
    assert.equal(readRunSettings(undefined).integrationGuard, true);
  });
});
